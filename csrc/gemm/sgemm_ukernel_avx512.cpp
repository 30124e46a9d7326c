// AVX-512 sgemm micro-kernel: register tile of up to 12 rows x 32 columns (24 zmm
// accumulators, two 16-float vectors of B per k, each A element broadcast once).
//
// Zen 4 runs a 512-bit FMA as two 256-bit halves (one zmm FMA per cycle per core), so
// the gain over AVX2 is half the instructions and 32 registers: 24 accumulators leave
// room for B and the broadcast. Contract: see sgemm_kernels.h (C tile m x n, m <= 12,
// n <= 32; beta == 0 overwrites C, otherwise C = alpha*acc + beta*C).
#include <immintrin.h>

#include <array>
#include <utility>

#include "gemm/sgemm_kernels.h"

namespace treino::gemm::avx512 {
namespace {

constexpr int MR = 12;

inline __mmask16 tail_mask(int n) {
  return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

// Writes one row of the tile: C = alpha*acc (beta == 0) or fma(beta, C, alpha*acc).
template <int NV, bool FULL>
__attribute__((always_inline)) inline void store_row(float* ci, __m512 x0, __m512 x1,
                                                     __m512 va, __m512 vb, bool beta0,
                                                     __mmask16 m0, __mmask16 m1) {
  __m512 r0 = _mm512_mul_ps(va, x0), r1 = _mm512_mul_ps(va, x1);
  if (!beta0) {
    r0 = _mm512_fmadd_ps(vb, FULL ? _mm512_loadu_ps(ci) : _mm512_maskz_loadu_ps(m0, ci), r0);
    if (NV == 2) {
      r1 = _mm512_fmadd_ps(
          vb, FULL ? _mm512_loadu_ps(ci + 16) : _mm512_maskz_loadu_ps(m1, ci + 16), r1);
    }
  }
  if (FULL) _mm512_storeu_ps(ci, r0); else _mm512_mask_storeu_ps(ci, m0, r0);
  if (NV == 2) {
    if (FULL) _mm512_storeu_ps(ci + 16, r1); else _mm512_mask_storeu_ps(ci + 16, m1, r1);
  }
}

// One register tile. ROW_A: a(i,k) = a[i*sa + k] (unpacked A, not transposed); else
// a(i,k) = a[i + k*sa] (packed panel or transposed A). FULL: all NV*16 columns valid and
// plain loads/stores; else masked ones (nothing read or written past n). Accumulators
// are named variables, not an array, so GCC keeps every one in a register.
template <int M, int NV, bool ROW_A, bool FULL>
void tile_impl(int n, int64_t K, const float* a, int64_t sa, const float* b, int64_t rs_b,
               float* c, int64_t ldc, float alpha, float beta) {
  for (int i = 0; i < M; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NV * 16 - 1), _MM_HINT_T0);
  }
  const __mmask16 m0 = tail_mask(n), m1 = tail_mask(n - 16);
  const __m512 z = _mm512_setzero_ps();
  __m512 x00 = z, x01 = z, x10 = z, x11 = z, x20 = z, x21 = z, x30 = z, x31 = z,
         x40 = z, x41 = z, x50 = z, x51 = z, x60 = z, x61 = z, x70 = z, x71 = z,
         x80 = z, x81 = z, x90 = z, x91 = z, x100 = z, x101 = z, x110 = z, x111 = z;
  // Row pointers of unpacked A (ROW_A); unused otherwise.
  const float *a0 = a, *a1 = a + sa, *a2 = a + 2 * sa, *a3 = a + 3 * sa, *a4 = a + 4 * sa,
              *a5 = a + 5 * sa, *a6 = a + 6 * sa, *a7 = a + 7 * sa, *a8 = a + 8 * sa,
              *a9 = a + 9 * sa, *a10 = a + 10 * sa, *a11 = a + 11 * sa;
  const float* ak = a;
  for (int64_t k = 0; k < K; ++k) {
    const __m512 b0 = FULL ? _mm512_loadu_ps(b) : _mm512_maskz_loadu_ps(m0, b);
    __m512 b1 = b0;
    if (NV == 2) b1 = FULL ? _mm512_loadu_ps(b + 16) : _mm512_maskz_loadu_ps(m1, b + 16);
#define TREINO_ROW(i)                                          \
  if (M > i) {                                                 \
    const __m512 ai = _mm512_set1_ps(ROW_A ? a##i[k] : ak[i]); \
    x##i##0 = _mm512_fmadd_ps(ai, b0, x##i##0);                \
    if (NV == 2) x##i##1 = _mm512_fmadd_ps(ai, b1, x##i##1);   \
  }
    TREINO_ROW(0) TREINO_ROW(1) TREINO_ROW(2) TREINO_ROW(3) TREINO_ROW(4) TREINO_ROW(5)
    TREINO_ROW(6) TREINO_ROW(7) TREINO_ROW(8) TREINO_ROW(9) TREINO_ROW(10) TREINO_ROW(11)
#undef TREINO_ROW
    b += rs_b;
    if (!ROW_A) ak += sa;
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const bool beta0 = beta == 0.f;
#define TREINO_STORE(i) \
  if (M > i) store_row<NV, FULL>(c + i * ldc, x##i##0, x##i##1, va, vb, beta0, m0, m1);
  TREINO_STORE(0) TREINO_STORE(1) TREINO_STORE(2) TREINO_STORE(3) TREINO_STORE(4)
  TREINO_STORE(5) TREINO_STORE(6) TREINO_STORE(7) TREINO_STORE(8) TREINO_STORE(9)
  TREINO_STORE(10) TREINO_STORE(11)
#undef TREINO_STORE
}

template <int M, int NV, bool ROW_A>
void tile(int n, int64_t K, const float* a, int64_t sa, const float* b, int64_t rs_b,
          float* c, int64_t ldc, float alpha, float beta) {
  if (n == NV * 16) {
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

}  // namespace

void sgemm_ukernel_12x32_avx512(int m, int n, int64_t K, const float* a, int64_t rs_a,
                                int64_t cs_a, const float* b, int64_t rs_b, float* c,
                                int64_t ldc, float alpha, float beta) {
  if (m <= 0 || n <= 0) return;
  // rs_a == 1: columns of the tile's A are contiguous (packed panel or transposed A).
  const bool row_a = rs_a != 1;
  kTiles[row_a][n > 16][m - 1](n, K, a, row_a ? rs_a : cs_a, b, rs_b, c, ldc, alpha, beta);
}

}  // namespace treino::gemm::avx512
