// AVX-512 row kernels: the SIMD interface of loss_rows_impl.h on 16-lane registers,
// tails through mask registers.
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm*_undefined_*
// placeholders (GCC bug 105593); the warning is a false positive here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

namespace treino::loss_detail {
namespace {

struct V512 {
  using reg = __m512;
  static constexpr int64_t W = 16;
  struct Full {};
  struct Tail { __mmask16 k; };
  static Tail tail(int64_t n) { return {static_cast<__mmask16>((1u << n) - 1u)}; }

  static reg load(const float* p, Full) { return _mm512_loadu_ps(p); }
  static reg load(const float* p, Tail m) { return _mm512_maskz_loadu_ps(m.k, p); }
  static reg load_or(const float* p, Full, reg) { return _mm512_loadu_ps(p); }
  static reg load_or(const float* p, Tail m, reg fill) {
    return _mm512_mask_loadu_ps(fill, m.k, p);
  }
  static void store(float* p, reg v, Full) { _mm512_storeu_ps(p, v); }
  static void store(float* p, reg v, Tail m) { _mm512_mask_storeu_ps(p, m.k, v); }
  static reg keep(Full, reg v) { return v; }
  static reg keep(Tail m, reg v) { return _mm512_maskz_mov_ps(m.k, v); }

  static reg set1(float f) { return _mm512_set1_ps(f); }
  static reg zero() { return _mm512_setzero_ps(); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg min(reg a, reg b) { return _mm512_min_ps(a, b); }
  static reg max(reg a, reg b) { return _mm512_max_ps(a, b); }
  static reg round(reg v) {
    return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static reg pow2i(reg n) {
    const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
  }
  static reg lt_zero(reg v, reg x, reg lim) {
    return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(x, lim, _CMP_LT_OQ), zero());
  }
  static reg nonzero_or_zero(reg c, reg v) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c, zero(), _CMP_NEQ_UQ), v);
  }
  static unsigned eq_bits(reg a, reg b) {
    return static_cast<unsigned>(_mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ));
  }
  // Horizontal reductions by halving (GCC 12's _mm512_reduce_* warn in its headers).
  static __m256 upper(reg v) {
    return _mm512_castps512_ps256(_mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(3, 2, 3, 2)));
  }
  static float sum(reg v) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), upper(v));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
  }
  static float max_lanes(reg v) {
    const __m256 h = _mm256_max_ps(_mm512_castps512_ps256(v), upper(v));
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_shuffle_ps(s, s, 1)));
  }
};

}  // namespace
}  // namespace treino::loss_detail

#include "loss/loss_rows_impl.h"

namespace treino::loss_detail {
const Kernels& kernels_avx512() { return kernels_for<V512>; }
}  // namespace treino::loss_detail
