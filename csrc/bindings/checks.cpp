#include "bindings/checks.h"

#include "bindings/array_pool.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace treino::bind {

void value_error(const std::string& msg) { throw py::value_error(msg); }
void type_error(const std::string& msg) { throw py::type_error(msg); }

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s << ", ";
    if (shape[i] < 0) s << "any"; else s << shape[i];
  }
  if (shape.size() == 1) s << ",";
  s << ")";
  return s.str();
}

std::string shape_str(const py::array& a) {
  std::vector<int64_t> shape(a.shape(), a.shape() + a.ndim());
  return shape_str(shape);
}

bool layout_ok(const py::array& a, bool writeable) {
  const int flags = a.flags();
  return (flags & py::array::c_style) && (flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_) &&
         (!writeable || a.writeable());
}

namespace {
// Memory layout: C order, aligned elements, writeable when the kernel writes it.
void check_layout(const py::array& a, const char* fn, const char* arg, bool writeable) {
  if (!(a.flags() & py::array::c_style)) {
    value_error(std::string(fn) + ": argument '" + arg +
                "' must be C-contiguous, received a strided array of shape " + shape_str(a) +
                " (use numpy.ascontiguousarray)");
  }
  if (!(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) {
    value_error(std::string(fn) + ": argument '" + arg +
                "' must be aligned to its element size, received a misaligned array");
  }
  if (writeable && !a.writeable()) {
    value_error(std::string(fn) + ": argument '" + arg +
                "' is written in place and must be writeable, received a read-only array");
  }
}

template <class T>
py::array_t<T, py::array::c_style> checked(const py::handle& obj, const char* fn,
                                           const char* arg, int rank, bool writeable,
                                           const char* dtype_name) {
  if (!py::isinstance<py::array>(obj)) {
    type_error(std::string(fn) + ": argument '" + arg + "' must be a numpy " + dtype_name +
               " array, received " + std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  auto a = py::reinterpret_borrow<py::array>(obj);
  if (!a.dtype().is(py::dtype::of<T>())) {
    type_error(std::string(fn) + ": argument '" + arg + "' must have dtype " + dtype_name +
               ", received dtype " + std::string(py::str(a.dtype())));
  }
  if (rank >= 0 && a.ndim() != rank) {
    value_error(std::string(fn) + ": argument '" + arg + "' must have rank " +
                std::to_string(rank) + ", received rank " + std::to_string(a.ndim()) +
                " with shape " + shape_str(a));
  }
  check_layout(a, fn, arg, writeable);
  return py::reinterpret_borrow<py::array_t<T, py::array::c_style>>(obj);
}
}  // namespace

py::array plain_array(const py::handle& obj, const char* fn, const char* arg,
                      bool writeable) {
  if (!py::isinstance<py::array>(obj)) {
    type_error(std::string(fn) + ": argument '" + arg + "' must be a numpy array, received " +
               type_name(obj));
  }
  auto a = py::reinterpret_borrow<py::array>(obj);
  if (a.dtype().kind() == 'O' || a.dtype().has_fields()) {
    type_error(std::string(fn) + ": argument '" + arg + "' must hold plain numbers, "
               "received dtype " + std::string(py::str(a.dtype())));
  }
  check_layout(a, fn, arg, writeable);
  return a;
}

py::array_t<float, py::array::c_style> f32(const py::handle& obj, const char* fn,
                                            const char* arg, int rank, bool writeable) {
  return checked<float>(obj, fn, arg, rank, writeable, "float32");
}

py::array_t<int32_t, py::array::c_style> i32(const py::handle& obj, const char* fn,
                                              const char* arg, int rank) {
  return checked<int32_t>(obj, fn, arg, rank, false, "int32");
}

std::string type_name(py::handle h) {
  return std::string(py::str(py::type::of(h).attr("__name__")));
}

double real(const char* fn, const char* arg, py::handle h, bool finite) {
  const double v = PyFloat_AsDouble(h.ptr());
  if (v == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();
    type_error(std::string(fn) + ": argument '" + arg + "' must be a real number, received " +
               type_name(h));
  }
  if (finite && !std::isfinite(v)) {
    value_error(std::string(fn) + ": argument '" + arg + "' must be finite, received " +
                std::string(py::str(py::float_(v))));
  }
  return v;
}

int64_t to_int64(const py::handle& obj, const char* fn, const char* arg) {
  py::object idx = py::reinterpret_steal<py::object>(PyNumber_Index(obj.ptr()));
  if (!idx) {
    PyErr_Clear();
    type_error(std::string(fn) + ": argument '" + arg + "' must be an int, received " +
               std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(idx.ptr(), &overflow);
  if (overflow != 0 || (v == -1 && PyErr_Occurred())) {
    PyErr_Clear();
    value_error(std::string(fn) + ": argument '" + arg + "' is out of range, received " +
                std::string(py::str(obj)));
  }
  return static_cast<int64_t>(v);
}

void expect_shape(const py::array& a, const char* fn, const char* arg,
                  const std::vector<int64_t>& expected) {
  bool ok = static_cast<size_t>(a.ndim()) == expected.size();
  for (size_t i = 0; ok && i < expected.size(); ++i)
    ok = expected[i] < 0 || expected[i] == a.shape(i);
  if (!ok) {
    value_error(std::string(fn) + ": argument '" + arg + "' must have shape " +
                shape_str(expected) + ", received shape " + shape_str(a));
  }
}

void expect_no_overlap(const py::array& a, const py::array& b, const char* fn,
                       const char* arg_a, const char* arg_b) {
  const char* a0 = static_cast<const char*>(a.data());
  const char* b0 = static_cast<const char*>(b.data());
  const char* a1 = a0 + a.nbytes();
  const char* b1 = b0 + b.nbytes();
  if (a.nbytes() && b.nbytes() && a0 < b1 && b0 < a1) {
    value_error(std::string(fn) + ": arguments '" + arg_a + "' and '" + arg_b +
                "' must not share memory");
  }
}

py::array_t<float, py::array::c_style> out_or_new(const py::handle& out, const char* fn,
                                                   const char* arg,
                                                   std::vector<int64_t> shape) {
  if (out.is_none()) return new_f32(fn, arg, shape);
  auto o = f32(out, fn, arg, static_cast<int>(shape.size()), true);
  expect_shape(o, fn, arg, shape);
  return o;
}

}  // namespace treino::bind

namespace treino::bind {

std::vector<int64_t> shape_of(const py::array& a) {
  return std::vector<int64_t>(a.shape(), a.shape() + a.ndim());
}

void expect_same_or_disjoint(const py::array& a, const py::array& b, const char* fn,
                             const char* arg_a, const char* arg_b) {
  if (a.data() == b.data() && a.nbytes() == b.nbytes() && shape_of(a) == shape_of(b)) return;
  expect_no_overlap(a, b, fn, arg_a, arg_b);
}

namespace {
uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return uint64_t{1} << 40;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
}
}  // namespace

py::array_t<float, py::array::c_style> new_f32(const char* fn, const char* arg,
                                                const std::vector<int64_t>& shape) {
  static const uint64_t limit = physical_memory_bytes();
  uint64_t bytes = sizeof(float);
  bool ok = true;
  for (int64_t e : shape) {
    if (e < 0) throw std::logic_error("new_f32: negative extent");
    ok = ok && !__builtin_mul_overflow(bytes, static_cast<uint64_t>(e), &bytes);
  }
  if (!ok || bytes > limit) {
    value_error(std::string(fn) + ": the result '" + arg + "' of shape " + shape_str(shape) +
                " would need " + (ok ? std::to_string(bytes) + " bytes" : "more than 2^64 bytes") +
                ", more than this machine's memory (" + std::to_string(limit) + " bytes)");
  }
  return pooled_array<float>(shape);
}

std::vector<Dim> dims(const std::vector<int64_t>& shape) {
  return std::vector<Dim>(shape.begin(), shape.end());
}

std::vector<Dim> dims(const py::array& like) { return dims(shape_of(like)); }

const int64_t* Args::find(const char* name) const {
  for (const auto& d : dims_)
    if (d.first == name) return &d.second;
  return nullptr;
}

int64_t Args::dim(const char* name) const {
  const int64_t* v = find(name);
  if (!v) throw std::logic_error(std::string(fn_) + ": extent '" + name + "' is not bound");
  return *v;
}

void Args::bind(const char* name, int64_t v) {
  if (find(name)) throw std::logic_error(std::string(fn_) + ": extent '" + name + "' bound twice");
  dims_.emplace_back(name, v);
}

std::string Args::expected_str(const std::vector<Dim>& shape) const {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    const int64_t* v = shape[i].name ? find(shape[i].name) : nullptr;
    if (shape[i].name) s += v ? std::to_string(*v) : std::string(shape[i].name);
    else s += shape[i].value < 0 ? std::string("any") : std::to_string(shape[i].value);
  }
  return s + (shape.size() == 1 ? ",)" : ")");
}

void Args::match(const char* arg, const py::array& a, const std::vector<Dim>& shape) {
  bool ok = true;
  for (size_t i = 0; ok && i < shape.size(); ++i) {
    const int64_t e = a.shape(i);
    const Dim& d = shape[i];
    const int64_t* v = d.name ? find(d.name) : nullptr;
    if (d.name && !v) {
      dims_.emplace_back(d.name, e);
      continue;
    }
    const int64_t want = v ? *v : d.value;
    ok = want < 0 || want == e;
  }
  if (!ok) {
    value_error(std::string(fn_) + ": argument '" + arg + "' must have shape " +
                expected_str(shape) + ", received shape " + shape_str(a));
  }
}

std::vector<int64_t> Args::resolve(const std::vector<Dim>& shape) const {
  std::vector<int64_t> r;
  for (const Dim& d : shape) {
    const int64_t v = d.name ? dim(d.name) : d.value;
    if (v < 0) throw std::logic_error(std::string(fn_) + ": output extent not declared");
    r.push_back(v);
  }
  return r;
}

F32 Args::in(const char* arg, py::handle obj, const std::vector<Dim>& shape) {
  F32 a = f32(obj, fn_, arg, static_cast<int>(shape.size()));
  match(arg, a, shape);
  ins_.emplace_back(a, arg);
  return a;
}

F32 Args::in(const char* arg, py::handle obj) {
  F32 a = f32(obj, fn_, arg);
  ins_.emplace_back(a, arg);
  return a;
}

F32 Args::in_opt(const char* arg, py::handle obj, const std::vector<Dim>& shape) {
  return obj.is_none() ? absent() : in(arg, obj, shape);
}

I32 Args::in_i32(const char* arg, py::handle obj, const std::vector<Dim>& shape) {
  I32 a = i32(obj, fn_, arg, static_cast<int>(shape.size()));
  match(arg, a, shape);
  ins_.emplace_back(a, arg);
  return a;
}

F32 Args::out(const char* arg, py::handle obj, const std::vector<Dim>& shape) {
  const std::vector<int64_t> s = resolve(shape);
  F32 o;
  if (obj.is_none()) {
    o = new_f32(fn_, arg, s);
  } else {
    o = f32(obj, fn_, arg, static_cast<int>(s.size()), true);
    expect_shape(o, fn_, arg, s);
  }
  outs_.emplace_back(o, arg);
  return o;
}

F32 Args::out_if(bool need, const char* flag, const char* arg, py::handle obj,
                 const std::vector<Dim>& shape) {
  if (!need) {
    if (!obj.is_none()) {
      value_error(std::string(fn_) + ": argument '" + arg + "' was given but " + flag +
                  "=False");
    }
    return absent();
  }
  return out(arg, obj, shape);
}

void Args::disjoint(
    std::initializer_list<std::pair<const char*, const char*>> in_place) const {
  for (size_t i = 0; i < outs_.size(); ++i) {
    const auto& out = outs_[i];
    for (const auto& in : ins_) {
      const bool may_alias = std::any_of(in_place.begin(), in_place.end(), [&](const auto& p) {
        return std::strcmp(p.first, out.second) == 0 && std::strcmp(p.second, in.second) == 0;
      });
      if (may_alias) {
        expect_same_or_disjoint(out.first, in.first, fn_, out.second, in.second);
      } else {
        expect_no_overlap(in.first, out.first, fn_, in.second, out.second);
      }
    }
    for (size_t j = i + 1; j < outs_.size(); ++j)
      expect_no_overlap(out.first, outs_[j].first, fn_, out.second, outs_[j].second);
  }
}

Act activation_arg(const char* fn, py::handle name, py::handle alpha_, float* alpha) {
  Act act = Act::Linear;
  if (!name.is_none()) {
    if (!py::isinstance<py::str>(name)) {
      type_error(std::string(fn) + ": argument 'activation' must be a str, received " +
                 type_name(name));
    }
    const std::string s = name.cast<std::string>();
    if (!parse_act(s, &act)) {
      value_error(std::string(fn) + ": unknown activation '" + s +
                  "'; fused activations are " + act_names() +
                  " (apply others as a separate op)");
    }
  }
  *alpha = act_default_alpha(act);
  if (!alpha_.is_none()) {
    if (py::isinstance<py::bool_>(alpha_) ||
        !PyNumber_Check(alpha_.ptr()) || py::isinstance<py::str>(alpha_)) {
      type_error(std::string(fn) + ": argument 'alpha' must be a number or None, received " +
                 type_name(alpha_));
    }
    *alpha = py::float_(py::reinterpret_borrow<py::object>(alpha_)).cast<float>();
  }
  // The backward reads act' from the output y, which needs a monotonic activation.
  if (act == Act::Elu && !(*alpha > 0.f)) {
    value_error(std::string(fn) + ": elu needs alpha > 0 (the gradient is taken from the "
                "output), received alpha=" + std::to_string(*alpha));
  }
  if (act == Act::LeakyRelu && !(*alpha >= 0.f)) {
    value_error(std::string(fn) + ": leakyRelu needs alpha >= 0 (the gradient is taken from "
                "the output), received alpha=" + std::to_string(*alpha));
  }
  return act;
}

namespace {
// "(1, 2.5, ndarray)": ints as numbers, anything else by type (a repr could print a whole
// array into the message).
std::string seq_str(const py::sequence& seq) {
  std::string out = "(";
  for (size_t i = 0; i < py::len(seq); ++i) {
    py::handle e = seq[i];
    if (i) out += ", ";
    out += PyLong_CheckExact(e.ptr()) ? std::string(py::str(e)) : type_name(e);
  }
  return out + (py::len(seq) == 1 ? ",)" : ")");
}
}  // namespace

std::vector<int64_t> int_tuple(const char* fn, const char* arg, py::handle obj, size_t size,
                               int64_t lo, int64_t hi) {
  const std::string what = std::string(fn) + ": argument '" + arg + "' must be a tuple of " +
                           std::to_string(size) + " ints in [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "], received ";
  if (!py::isinstance<py::tuple>(obj) && !py::isinstance<py::list>(obj)) {
    type_error(what + type_name(obj));
  }
  const auto seq = py::reinterpret_borrow<py::sequence>(obj);
  if (py::len(seq) != size) value_error(what + seq_str(seq));
  std::vector<int64_t> v;
  for (py::handle e : seq) {
    py::object idx;
    if (!py::isinstance<py::bool_>(e) && PyIndex_Check(e.ptr()))
      idx = py::reinterpret_steal<py::object>(PyNumber_Index(e.ptr()));
    if (!idx) {
      PyErr_Clear();
      type_error(what + seq_str(seq));
    }
    int overflow = 0;
    const long long x = PyLong_AsLongLongAndOverflow(idx.ptr(), &overflow);
    if (overflow || x < lo || x > hi) value_error(what + seq_str(seq));
    v.push_back(static_cast<int64_t>(x));
  }
  return v;
}

bool bool_arg(const char* fn, const char* arg, py::handle obj) {
  if (PyBool_Check(obj.ptr())) return obj.ptr() == Py_True;
  static const py::object np_bool = py::module_::import("numpy").attr("bool_");
  if (py::isinstance(obj, np_bool)) return py::bool_(py::reinterpret_borrow<py::object>(obj));
  type_error(std::string(fn) + ": argument '" + arg + "' must be a bool, received " +
             type_name(obj));
}

}  // namespace treino::bind
