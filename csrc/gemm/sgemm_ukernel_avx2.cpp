// AVX2+FMA sgemm pieces: a micro-kernel with a register tile of up to 6 rows x 16
// columns (12 ymm accumulators, two 8-float vectors of B per k, each A element
// broadcast once; 15 of the 16 ymm registers live), and an 8x8-block transpose used to
// pack non-transposed A and transposed B (by this path and by the AVX-512 one).
// Contract: see sgemm_kernels.h (C tile m x n, m <= 6, n <= 16; beta == 0 overwrites C,
// otherwise C = alpha*acc + beta*C).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "gemm/sgemm_kernels.h"

namespace treino::gemm::avx2 {
namespace {

constexpr int MR = 6;

// Lanes j < n set (n clamped to [0, 8]).
inline __m256i tail_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Writes one row of the tile: C = alpha*acc (beta == 0) or fma(beta, C, alpha*acc).
template <int NV, bool FULL>
__attribute__((always_inline)) inline void store_row(float* ci, __m256 x0, __m256 x1,
                                                     __m256 va, __m256 vb, bool beta0,
                                                     __m256i m0, __m256i m1) {
  __m256 r0 = _mm256_mul_ps(va, x0), r1 = _mm256_mul_ps(va, x1);
  if (!beta0) {
    r0 = _mm256_fmadd_ps(vb, FULL ? _mm256_loadu_ps(ci) : _mm256_maskload_ps(ci, m0), r0);
    if (NV == 2) {
      r1 = _mm256_fmadd_ps(
          vb, FULL ? _mm256_loadu_ps(ci + 8) : _mm256_maskload_ps(ci + 8, m1), r1);
    }
  }
  if (FULL) _mm256_storeu_ps(ci, r0); else _mm256_maskstore_ps(ci, m0, r0);
  if (NV == 2) {
    if (FULL) _mm256_storeu_ps(ci + 8, r1); else _mm256_maskstore_ps(ci + 8, m1, r1);
  }
}

// One register tile. ROW_A: a(i,k) = a[i*sa + k] (unpacked A, not transposed); else
// a(i,k) = a[i + k*sa] (packed panel or transposed A). FULL: all NV*8 columns valid and
// plain loads/stores; else masked ones (nothing read or written past n). Accumulators
// are named variables, not an array, so GCC keeps every one in a register.
template <int M, int NV, bool ROW_A, bool FULL>
void tile_impl(int n, int64_t K, const float* a, int64_t sa, const float* b, int64_t rs_b,
               float* c, int64_t ldc, float alpha, float beta) {
  for (int i = 0; i < M; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NV * 8 - 1), _MM_HINT_T0);
  }
  const __m256i m0 = tail_mask(n), m1 = tail_mask(n - 8);
  const __m256 z = _mm256_setzero_ps();
  __m256 x00 = z, x01 = z, x10 = z, x11 = z, x20 = z, x21 = z, x30 = z, x31 = z,
         x40 = z, x41 = z, x50 = z, x51 = z;
  // Row pointers of unpacked A (ROW_A); unused otherwise.
  const float *a0 = a, *a1 = a + sa, *a2 = a + 2 * sa, *a3 = a + 3 * sa, *a4 = a + 4 * sa,
              *a5 = a + 5 * sa;
  const float* ak = a;
  for (int64_t k = 0; k < K; ++k) {
    const __m256 b0 = FULL ? _mm256_loadu_ps(b) : _mm256_maskload_ps(b, m0);
    __m256 b1 = b0;
    if (NV == 2) b1 = FULL ? _mm256_loadu_ps(b + 8) : _mm256_maskload_ps(b + 8, m1);
#define TREINO_ROW(i)                                                     \
  if (M > i) {                                                            \
    const __m256 ai = _mm256_broadcast_ss(ROW_A ? &a##i[k] : &ak[i]);     \
    x##i##0 = _mm256_fmadd_ps(ai, b0, x##i##0);                           \
    if (NV == 2) x##i##1 = _mm256_fmadd_ps(ai, b1, x##i##1);              \
  }
    TREINO_ROW(0) TREINO_ROW(1) TREINO_ROW(2) TREINO_ROW(3) TREINO_ROW(4) TREINO_ROW(5)
#undef TREINO_ROW
    b += rs_b;
    if (!ROW_A) ak += sa;
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const bool beta0 = beta == 0.f;
#define TREINO_STORE(i) \
  if (M > i) store_row<NV, FULL>(c + i * ldc, x##i##0, x##i##1, va, vb, beta0, m0, m1);
  TREINO_STORE(0) TREINO_STORE(1) TREINO_STORE(2) TREINO_STORE(3) TREINO_STORE(4)
  TREINO_STORE(5)
#undef TREINO_STORE
}

template <int M, int NV, bool ROW_A>
void tile(int n, int64_t K, const float* a, int64_t sa, const float* b, int64_t rs_b,
          float* c, int64_t ldc, float alpha, float beta) {
  if (n == NV * 8) {
    tile_impl<M, NV, ROW_A, true>(n, K, a, sa, b, rs_b, c, ldc, alpha, beta);
  } else {
    tile_impl<M, NV, ROW_A, false>(n, K, a, sa, b, rs_b, c, ldc, alpha, beta);
  }
}

using TileFn = void (*)(int, int64_t, const float*, int64_t, const float*, int64_t, float*,
                        int64_t, float, float);

template <int NV, bool ROW_A, size_t... I>
constexpr std::array<TileFn, MR> make_tiles(std::index_sequence<I...>) {
  return {{&tile<int(I) + 1, NV, ROW_A>...}};
}

// [ROW_A][NV - 1][m - 1]
const std::array<TileFn, MR> kTiles[2][2] = {
    {make_tiles<1, false>(std::make_index_sequence<MR>{}),
     make_tiles<2, false>(std::make_index_sequence<MR>{})},
    {make_tiles<1, true>(std::make_index_sequence<MR>{}),
     make_tiles<2, true>(std::make_index_sequence<MR>{})}};

inline void transpose8x8(__m256 (&r)[8]) {
  __m256 t[8], s[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h) {  // h = 0: rows 0-3, h = 1: rows 4-7
    s[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
    s[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
    s[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
    s[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(s[i], s[4 + i], 0x20);
    r[4 + i] = _mm256_permute2f128_ps(s[i], s[4 + i], 0x31);
  }
}

}  // namespace

void sgemm_ukernel_6x16_avx2(int m, int n, int64_t K, const float* a, int64_t rs_a,
                             int64_t cs_a, const float* b, int64_t rs_b, float* c, int64_t ldc,
                             float alpha, float beta) {
  if (m <= 0 || n <= 0) return;
  // rs_a == 1: columns of the tile's A are contiguous (packed panel or transposed A).
  const bool row_a = rs_a != 1;
  kTiles[row_a][n > 8][m - 1](n, K, a, row_a ? rs_a : cs_a, b, rs_b, c, ldc, alpha, beta);
}

// dst[c*ldd + r] = src[r*lds + c]: 8x8 blocks through registers; partial blocks use
// masked loads and stores so nothing outside the two matrices is touched.
void transpose_avx2(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst,
                    int64_t ldd) {
  for (int64_t r0 = 0; r0 < rows; r0 += 8) {
    const int rb = static_cast<int>(std::min<int64_t>(8, rows - r0));
    const __m256i rmask = tail_mask(rb);
    for (int64_t c0 = 0; c0 < cols; c0 += 8) {
      const int cb = static_cast<int>(std::min<int64_t>(8, cols - c0));
      const float* s = src + r0 * lds + c0;
      float* d = dst + c0 * ldd + r0;
      __m256 r[8];
      if (cb == 8) {
        for (int i = 0; i < 8; ++i) {
          r[i] = i < rb ? _mm256_loadu_ps(s + i * lds) : _mm256_setzero_ps();
        }
      } else {
        const __m256i cmask = tail_mask(cb);
        for (int i = 0; i < 8; ++i)
          r[i] = i < rb ? _mm256_maskload_ps(s + i * lds, cmask) : _mm256_setzero_ps();
      }
      transpose8x8(r);
      if (rb == 8) {
        for (int i = 0; i < cb; ++i) _mm256_storeu_ps(d + i * ldd, r[i]);
      } else if (rb == 4) {
        for (int i = 0; i < cb; ++i) _mm_storeu_ps(d + i * ldd, _mm256_castps256_ps128(r[i]));
      } else {
        for (int i = 0; i < cb; ++i) _mm256_maskstore_ps(d + i * ldd, rmask, r[i]);
      }
    }
  }
}

}  // namespace treino::gemm::avx2
