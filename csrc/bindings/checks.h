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

namespace treino::bind {

namespace py = pybind11;

// "(32, 784)" for messages.
std::string shape_str(const py::array& a);
std::string shape_str(const std::vector<int64_t>& shape);

// Returns obj as a C-contiguous float32 ndarray of rank `rank` (-1: any rank).
// No conversion is done: a float64 array, a list or a strided view is an error, so
// in-place outputs always alias the caller's memory and inputs are never silently
// copied. writeable=true also requires the array to be writeable.
py::array_t<float, py::array::c_style> f32(const py::handle& obj, const char* fn,
                                            const char* arg, int rank = -1,
                                            bool writeable = false);
// Same for int32 (labels, indices).
py::array_t<int32_t, py::array::c_style> i32(const py::handle& obj, const char* fn,
                                              const char* arg, int rank = -1);

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
py::array_t<float, py::array::c_style> out_or_new(const py::handle& out, const char* fn,
                                                   const char* arg,
                                                   std::vector<int64_t> shape);

// Raises ValueError when two arrays overlap in memory but are not the same buffer
// where the kernel cannot work in place.
void expect_no_overlap(const py::array& a, const py::array& b, const char* fn,
                       const char* arg_a, const char* arg_b);

// The name of h's type, for messages ("list", "float", ...).
std::string type_name(py::handle h);

// A Python real number as double: TypeError for non-numbers, ValueError for NaN / inf.
double real(const char* fn, const char* arg, py::handle h);

// A Python int (or an object with __index__) as int64, ValueError when out of range.
int64_t to_int64(const py::handle& obj, const char* fn, const char* arg);

[[noreturn]] void value_error(const std::string& msg);
[[noreturn]] void type_error(const std::string& msg);

}  // namespace treino::bind
