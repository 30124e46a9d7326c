// Single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, row-major.
//
//   op(A) is M x K: A is M x K (lda >= K) or, with trans_a, K x M (lda >= M).
//   op(B) is K x N: B is K x N (ldb >= N) or, with trans_b, N x K (ldb >= K).
//   C is M x N with ldc >= N. beta == 0 overwrites C (NaNs in C are not propagated);
//   otherwise C is scaled and accumulated into. Any of M, N, K may be 0.
//   As in BLAS, alpha == 0 or K == 0 gives beta * C without reading A or B.
//
// sgemm() dispatches on active_isa() and the problem size (direct small-shape kernel,
// packed BLIS-style path, threads for large work). sgemm_ref() is the plain reference
// twin: a triple loop with a float accumulator, used as fallback and test oracle.
#pragma once
#include <cstdint>

namespace treino {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc);

void sgemm_ref(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
               const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
               float* C, int64_t ldc);

}  // namespace treino
