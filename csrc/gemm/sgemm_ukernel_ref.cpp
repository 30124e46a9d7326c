// Portable sgemm pieces for Isa::Ref (any CPU): a 4x16 micro-kernel the compiler can
// vectorize for the baseline ISA, and a scalar transpose for packing. Contracts as in
// sgemm_kernels.h.
#include <algorithm>

#include "gemm/sgemm_kernels.h"

namespace treino::gemm {

// C tile m x n (m <= 4, n <= 16), overwritten (beta == 0) or scaled and accumulated.
void sgemm_ukernel_4x16_ref(int m, int n, int64_t K, const float* a, int64_t rs_a,
                            int64_t cs_a, const float* b, int64_t rs_b, float* c, int64_t ldc,
                            float alpha, float beta) {
  constexpr int MR = 4, NR = 16;
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < K; ++k) {
    const float* bk = b + k * rs_b;
    float bv[NR] = {};
    for (int j = 0; j < n; ++j) bv[j] = bk[j];
    for (int i = 0; i < m; ++i) {
      const float ai = a[i * rs_a + k * cs_a];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * bv[j];
    }
  }
  for (int i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.f) {
      for (int j = 0; j < n; ++j) ci[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < n; ++j) ci[j] = beta * ci[j] + alpha * acc[i][j];
    }
  }
}

// dst[c*ldd + r] = src[r*lds + c], in 8x8 blocks so both sides stay in cache lines.
void transpose_ref(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst,
                   int64_t ldd) {
  for (int64_t r0 = 0; r0 < rows; r0 += 8) {
    const int64_t r1 = std::min(rows, r0 + 8);
    for (int64_t c0 = 0; c0 < cols; c0 += 8) {
      const int64_t c1 = std::min(cols, c0 + 8);
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) dst[c * ldd + r] = src[r * lds + c];
    }
  }
}

}  // namespace treino::gemm
