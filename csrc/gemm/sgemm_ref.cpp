// Reference sgemm: the plain triple loop (float accumulator, k in order). Fallback and
// test oracle for the optimized driver in sgemm.cpp; contract in sgemm.h.
#include "gemm/sgemm.h"

namespace treino {

void sgemm_ref(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
               const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
               float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      float acc = 0.f;
      // As BLAS: with alpha == 0, op(A) * op(B) is not evaluated (no NaN from A or B).
      for (int64_t k = 0; alpha != 0.f && k < K; ++k) {
        const float a = trans_a ? A[k * lda + i] : A[i * lda + k];
        const float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
        acc += a * b;
      }
      float& c = C[i * ldc + j];
      const float ab = (alpha == 0.f || K == 0) ? 0.f : alpha * acc;  // K == 0: beta * C
      c = beta == 0.f ? ab : ab + beta * c;
    }
  }
}

}  // namespace treino
