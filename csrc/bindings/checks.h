// Argument checks shared by every binding. Each raises a Python TypeError (wrong type
// or dtype) or ValueError (wrong rank, shape, layout, size) whose message names the
// function, the argument, what was expected and what was received, before any kernel
// runs or the GIL is released.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "elementwise/activation.h"

namespace treino::bind {

namespace py = pybind11;

using F32 = py::array_t<float, py::array::c_style>;
using I32 = py::array_t<int32_t, py::array::c_style>;

// An absent optional argument or skipped output: a null handle, false in a condition
// (a default-constructed array_t is a real, empty array, true in a condition).
inline F32 absent() { return py::reinterpret_steal<F32>(py::handle()); }
// a, or None for an absent one.
inline py::object or_none(const py::array& a) { return a ? py::object(a) : py::object(py::none()); }

// "(32, 784)" for messages.
std::string shape_str(const py::array& a);
std::string shape_str(const std::vector<int64_t>& shape);

// Returns obj as a C-contiguous float32 ndarray of rank `rank` (-1: any rank).
// No conversion is done: a float64 array, a list or a strided view is an error, so
// in-place outputs always alias the caller's memory and inputs are never silently
// copied. writeable=true also requires the array to be writeable.
F32 f32(const py::handle& obj, const char* fn, const char* arg, int rank = -1,
        bool writeable = false);
// Same for int32 (labels, indices).
I32 i32(const py::handle& obj, const char* fn, const char* arg, int rank = -1);

// Any numpy array of plain values (no Python objects: copying their pointers would skip
// reference counting), C-contiguous and aligned (and writeable when asked): for kernels
// that move bytes whatever the dtype.
py::array plain_array(const py::handle& obj, const char* fn, const char* arg,
                      bool writeable = false);

// True when a has the layout every kernel needs: C order, elements aligned to their size,
// and writeable when asked. The checks above raise the detailed error when it does not.
bool layout_ok(const py::array& a, bool writeable);

// Raises ValueError unless a.shape == expected (-1 in expected matches any extent).
void expect_shape(const py::array& a, const char* fn, const char* arg,
                  const std::vector<int64_t>& expected);

// An output argument: a new float32 array of `shape` when out is None, else out checked
// to be a writeable C-contiguous float32 array of exactly that shape (overwritten).
F32 out_or_new(const py::handle& out, const char* fn, const char* arg,
               std::vector<int64_t> shape);

// Raises ValueError when two arrays overlap in memory but are not the same buffer
// where the kernel cannot work in place.
void expect_no_overlap(const py::array& a, const py::array& b, const char* fn,
                       const char* arg_a, const char* arg_b);

// For kernels that may work in place: a is either exactly b (same start and shape) or
// shares no memory with it; a partial overlap would let an element be read after it
// was overwritten.
void expect_same_or_disjoint(const py::array& a, const py::array& b, const char* fn,
                             const char* arg_a, const char* arg_b);

std::vector<int64_t> shape_of(const py::array& a);

// A new float32 array of `shape`, after checking that its size neither overflows nor
// exceeds this machine's physical memory (ValueError naming fn and arg otherwise), so
// a huge shape computed from user arguments raises instead of crashing or swapping.
F32 new_f32(const char* fn, const char* arg, const std::vector<int64_t>& shape);

// One extent of a declared shape: a number (-1: any), or a name ("batch") bound to the
// extent of the first argument declared with it and required of every later one.
struct Dim {
  Dim(int v) : value(v) {}
  Dim(int64_t v) : value(v) {}
  Dim(const char* n) : name(n) {}
  const char* name = nullptr;
  int64_t value = -1;
};
// A computed shape, or an array's shape, as declared extents.
std::vector<Dim> dims(const std::vector<int64_t>& shape);
std::vector<Dim> dims(const py::array& like);

// The declared arguments of one binding call, checked in order of declaration:
//
//   Args a("dense_forward");
//   F32 x = a.in("x", x_, {"batch", "in"});        // float32, C-contiguous, rank 2
//   F32 w = a.in("w", w_, {"in", "units"});        // w.shape[0] must equal x.shape[1]
//   F32 b = a.in_opt("b", b_, {"units"});          // None -> absent(), false
//   F32 y = a.out("out", out_, {"batch", "units"});  // new, or the caller's (overwritten)
//   a.disjoint();                                  // outputs share no memory with anything
//
// Every failure raises the TypeError / ValueError described above, naming fn and the
// argument, what was expected (bound names shown as numbers, unbound ones by name) and
// what was received. Nothing is written before all checks pass.
class Args {
 public:
  explicit Args(const char* fn) : fn_(fn) {}
  const char* fn() const { return fn_; }

  // float32 input of the declared shape (its rank is the shape's length).
  F32 in(const char* arg, py::handle obj, const std::vector<Dim>& shape);
  // float32 input of any rank.
  F32 in(const char* arg, py::handle obj);
  // As in(), or absent() when obj is None.
  F32 in_opt(const char* arg, py::handle obj, const std::vector<Dim>& shape);
  I32 in_i32(const char* arg, py::handle obj, const std::vector<Dim>& shape);

  // Output of the declared shape (every name bound by then): a new array when obj is
  // None, else obj, checked writeable float32 C-contiguous of exactly that shape.
  F32 out(const char* arg, py::handle obj, const std::vector<Dim>& shape);
  // An output the caller may skip: with need == false, obj must be None (else
  // "argument 'dx' was given but need_dx=False", flag = "need_dx") and absent() is
  // returned.
  F32 out_if(bool need, const char* flag, const char* arg, py::handle obj,
             const std::vector<Dim>& shape);

  // The extent bound to `name` (std::logic_error if none: a bug in the binding).
  int64_t dim(const char* name) const;
  // Binds `name` to v as if an argument had it (for extents computed from parameters).
  void bind(const char* name, int64_t v);

  // Raises unless every output shares no memory with any input or other output (for
  // kernels that read inputs while writing outputs). `in_place` lists (output, input)
  // pairs the kernel allows to be exactly the same array (never a partial overlap).
  // Messages name the input first ("'x' and 'out'"), the output first for such a pair.
  void disjoint(std::initializer_list<std::pair<const char*, const char*>> in_place = {}) const;

 private:
  void match(const char* arg, const py::array& a, const std::vector<Dim>& shape);
  std::vector<int64_t> resolve(const std::vector<Dim>& shape) const;
  std::string expected_str(const std::vector<Dim>& shape) const;
  const int64_t* find(const char* name) const;

  const char* fn_;
  std::vector<std::pair<std::string, int64_t>> dims_;
  std::vector<std::pair<py::array, const char*>> ins_, outs_;
};

// The name of h's type, for messages ("list", "float", ...).
std::string type_name(py::handle h);

// A Python real number as double: TypeError for non-numbers, ValueError for NaN / inf
// unless finite=false (then they pass through).
double real(const char* fn, const char* arg, py::handle h, bool finite = true);

// A Python int (or an object with __index__) as int64, ValueError when out of range.
int64_t to_int64(const py::handle& obj, const char* fn, const char* arg);

// A fused activation: a TF.js id ('linear', 'relu', ..., 'leakyRelu' or 'leaky_relu') or
// None (linear); alpha: a number, or None for the activation's default (1 for elu, 0.2
// for leakyRelu). Refuses alphas that make elu / leakyRelu non-monotonic: the backward
// reads act' from the output.
Act activation_arg(const char* fn, py::handle name, py::handle alpha, float* alpha_out);

// A tuple or list of exactly `size` ints, each in [lo, hi]: strides, padding, window.
std::vector<int64_t> int_tuple(const char* fn, const char* arg, py::handle obj, size_t size,
                               int64_t lo, int64_t hi);

// True or False (a numpy bool too); TypeError naming fn and arg for anything else (pybind's
// own bool conversion error prints the repr of every argument, whole arrays included).
bool bool_arg(const char* fn, const char* arg, py::handle obj);

[[noreturn]] void value_error(const std::string& msg);
[[noreturn]] void type_error(const std::string& msg);

}  // namespace treino::bind
