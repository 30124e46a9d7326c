#include "bindings/checks.h"

#include <cmath>

#include <sstream>

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

double real(const char* fn, const char* arg, py::handle h) {
  const double v = PyFloat_AsDouble(h.ptr());
  if (v == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();
    type_error(std::string(fn) + ": argument '" + arg + "' must be a real number, received " +
               type_name(h));
  }
  if (!std::isfinite(v)) {
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
  if (out.is_none())
    return py::array_t<float, py::array::c_style>(
        std::vector<py::ssize_t>(shape.begin(), shape.end()));
  auto o = f32(out, fn, arg, static_cast<int>(shape.size()), true);
  expect_shape(o, fn, arg, shape);
  return o;
}

}  // namespace treino::bind
