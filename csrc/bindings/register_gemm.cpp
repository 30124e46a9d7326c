// Bindings of the gemm family: sgemm (dispatching: direct / packed, AVX-512 / AVX2 /
// portable, threads) and sgemm_ref (the triple-loop oracle), with the same signature.
#include <string>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "gemm/sgemm.h"

namespace treino::bind {

namespace {

using GemmFn = void (*)(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                        const float*, int64_t, float, float*, int64_t);

std::string num_str(float v) {
  std::string s = py::str(py::float_(v));
  return s;
}

py::object gemm_call(const char* fn, GemmFn kernel, py::handle a_obj, py::handle b_obj,
                     py::handle c_obj, bool ta, bool tb, float alpha, float beta) {
  auto a = f32(a_obj, fn, "a", 2);
  auto b = f32(b_obj, fn, "b", 2);
  const int64_t M = ta ? a.shape(1) : a.shape(0), K = ta ? a.shape(0) : a.shape(1);
  const int64_t Kb = tb ? b.shape(1) : b.shape(0), N = tb ? b.shape(0) : b.shape(1);
  if (K != Kb) {
    value_error(std::string(fn) + ": inner dimensions differ: op(a) is " + shape_str({M, K}) +
                ", op(b) is " + shape_str({Kb, N}) + " (a has shape " + shape_str(a) +
                ", b has shape " + shape_str(b) + ", trans_a=" + (ta ? "True" : "False") +
                ", trans_b=" + (tb ? "True" : "False") + ")");
  }
  py::array_t<float, py::array::c_style> c;
  py::object result;
  if (c_obj.is_none()) {
    if (beta != 0.f) {
      value_error(std::string(fn) + ": beta=" + num_str(beta) +
                  " accumulates into argument 'c', which must then be given; received c=None");
    }
    c = new_f32(fn, "c", {M, N});
    result = c;
  } else {
    c = f32(c_obj, fn, "c", 2, /*writeable=*/true);
    expect_shape(c, fn, "c", {M, N});
    expect_no_overlap(c, a, fn, "c", "a");
    expect_no_overlap(c, b, fn, "c", "b");
    result = py::reinterpret_borrow<py::object>(c_obj);
  }
  const float* pa = a.data();
  const float* pb = b.data();
  float* pc = c.mutable_data();
  const int64_t lda = a.shape(1), ldb = b.shape(1);
  {
    py::gil_scoped_release release;
    kernel(ta, tb, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, N);
  }
  return result;
}

const char* kSgemmDoc = R"(C = alpha * op(a) @ op(b) + beta * C, float32, row-major.

a: (M, K), or (K, M) with trans_a=True; b: (K, N), or (N, K) with trans_b=True; both
2-D C-contiguous float32 (never copied or converted). c: (M, N) C-contiguous writeable
float32, overwritten when beta == 0 (old values, NaN included, are ignored), else scaled
by beta and accumulated into; allocated when None (then beta must be 0). Returns c.
Results do not depend on the thread count.)";

const char* kSgemmRefDoc = R"(Reference twin of sgemm (plain triple loop, same arguments
and semantics); the oracle for tests and benchmarks.)";

}  // namespace

void register_gemm(py::module_& m) {
  m.def("sgemm",
        [](py::handle a, py::handle b, py::handle c, bool trans_a, bool trans_b, float alpha,
           float beta) {
          return gemm_call("sgemm", &sgemm, a, b, c, trans_a, trans_b, alpha, beta);
        },
        py::arg("a"), py::arg("b"), py::arg("c") = py::none(), py::arg("trans_a") = false,
        py::arg("trans_b") = false, py::arg("alpha") = 1.0f, py::arg("beta") = 0.0f, kSgemmDoc);
  m.def("sgemm_ref",
        [](py::handle a, py::handle b, py::handle c, bool trans_a, bool trans_b, float alpha,
           float beta) {
          return gemm_call("sgemm_ref", &sgemm_ref, a, b, c, trans_a, trans_b, alpha, beta);
        },
        py::arg("a"), py::arg("b"), py::arg("c") = py::none(), py::arg("trans_a") = false,
        py::arg("trans_b") = false, py::arg("alpha") = 1.0f, py::arg("beta") = 0.0f,
        kSgemmRefDoc);
}

}  // namespace treino::bind
