// Binding of the row gather used by fit's batching (csrc/data/gather.h).
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "data/finite.h"
#include "data/gather.h"

namespace treino::bind {

namespace {

// 1-D int64 or int32 indices (native byte order), every one in [0, rows), copied: the
// kernel reads the copy after the GIL is released, so another thread changing the array
// meanwhile cannot send it out of bounds.
std::vector<int64_t> row_indices(py::handle obj, const char* fn, const char* arg,
                                 int64_t rows) {
  py::array a = plain_array(obj, fn, arg, false);
  const py::dtype dt = a.dtype();
  const bool native = dt.attr("isnative").cast<bool>();
  if (dt.kind() != 'i' || (dt.itemsize() != 8 && dt.itemsize() != 4) || !native) {
    type_error(std::string(fn) + ": argument '" + arg + "' must have dtype int64 or int32, "
               "received dtype " + std::string(py::str(dt)));
  }
  if (a.ndim() != 1) {
    value_error(std::string(fn) + ": argument '" + arg + "' must have rank 1, received shape " +
                shape_str(a));
  }
  const int64_t n = a.shape(0);
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = dt.itemsize() == 8 ? static_cast<const int64_t*>(a.data())[i]
                                          : static_cast<const int32_t*>(a.data())[i];
    if (v < 0 || v >= rows) {
      value_error(std::string(fn) + ": " + arg + "[" + std::to_string(i) + "] = " +
                  std::to_string(v) + " is out of range for " + std::to_string(rows) +
                  " rows (expected 0 <= index < " + std::to_string(rows) + ")");
    }
    idx[static_cast<size_t>(i)] = v;
  }
  return idx;
}

}  // namespace

void register_data(py::module_& m) {
  m.def("gather_rows", [](py::handle x_, py::handle idx_, py::handle out_, py::handle pf_) {
    const char* fn = "gather_rows";
    py::array x = plain_array(x_, fn, "x", false);
    if (x.ndim() < 1) {
      value_error(std::string(fn) + ": argument 'x' must have rank >= 1, received a scalar");
    }
    const int64_t rows = x.shape(0);
    const std::vector<int64_t> idx = row_indices(idx_, fn, "indices", rows);
    const int64_t n = static_cast<int64_t>(idx.size());
    std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
    shape[0] = n;
    py::array out;
    if (out_.is_none()) {
      out = py::array(x.dtype(), shape);
    } else {
      out = plain_array(out_, fn, "out", true);
      if (!py::detail::npy_api::get().PyArray_EquivTypes_(out.dtype().ptr(), x.dtype().ptr())) {
        type_error(std::string(fn) + ": argument 'out' must have x's dtype " +
                   std::string(py::str(x.dtype())) + ", received dtype " +
                   std::string(py::str(out.dtype())));
      }
      expect_shape(out, fn, "out", std::vector<int64_t>(shape.begin(), shape.end()));
      expect_no_overlap(out, x, fn, "out", "x");
    }
    std::vector<int64_t> pf;
    if (!pf_.is_none()) pf = row_indices(pf_, fn, "prefetch", rows);
    const int64_t row_bytes = rows ? static_cast<int64_t>(x.nbytes()) / rows
                                   : static_cast<int64_t>(x.itemsize());
    const char* src = static_cast<const char*>(x.data());
    char* dst = static_cast<char*>(out.mutable_data());
    {
      py::gil_scoped_release nogil;
      gather_rows(src, row_bytes, idx.data(), n, dst, pf_.is_none() ? nullptr : pf.data(),
                  static_cast<int64_t>(pf.size()));
    }
    return out;
  }, py::arg("x"), py::arg("indices"), py::arg("out") = py::none(),
     py::arg("prefetch") = py::none(),
     "gather_rows(x, indices, out=None, prefetch=None) -> x[indices]\n\n"
     "Copies rows x[indices[i]] (axis 0) of a C-contiguous array of plain numbers into out "
     "(shape (len(indices),) + x.shape[1:], x's dtype; overwritten) and returns it. "
     "indices: 1-D int64 or int32, each in [0, len(x)). prefetch: optional indices (int64 "
     "or int32) whose rows are requested into cache now, for the next call (fit passes "
     "the next batch's indices).");

  m.def("first_nonfinite", [](py::handle x_) {
    const F32 x = f32(x_, "first_nonfinite", "x");
    const float* p = x.data();
    const int64_t n = static_cast<int64_t>(x.size());
    py::gil_scoped_release nogil;
    return first_nonfinite(p, n);
  }, py::arg("x"),
     "first_nonfinite(x) -> int\n\n"
     "The flat (C-order) index of the first NaN or infinity of a C-contiguous float32 "
     "array, or -1 when every element is finite. Reads each element's bits once, on "
     "every thread for large arrays.");
}

}  // namespace treino::bind
