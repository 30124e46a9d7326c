// AVX2+FMA row kernels: the SIMD interface of loss_rows_impl.h on 8-lane registers,
// tails through vmaskmov and lane masks.
#include <immintrin.h>

#include <cstdint>

namespace treino::loss_detail {
namespace {

struct V256 {
  using reg = __m256;
  static constexpr int64_t W = 8;
  struct Full {};
  struct Tail { __m256i k; };
  static Tail tail(int64_t n) {
    return {_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                               _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))};
  }

  static reg load(const float* p, Full) { return _mm256_loadu_ps(p); }
  static reg load(const float* p, Tail m) { return _mm256_maskload_ps(p, m.k); }
  static reg load_or(const float* p, Full, reg) { return _mm256_loadu_ps(p); }
  static reg load_or(const float* p, Tail m, reg fill) {
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m.k), _mm256_castsi256_ps(m.k));
  }
  static void store(float* p, reg v, Full) { _mm256_storeu_ps(p, v); }
  static void store(float* p, reg v, Tail m) { _mm256_maskstore_ps(p, m.k, v); }
  static reg keep(Full, reg v) { return v; }
  static reg keep(Tail m, reg v) { return _mm256_and_ps(v, _mm256_castsi256_ps(m.k)); }

  static reg set1(float f) { return _mm256_set1_ps(f); }
  static reg zero() { return _mm256_setzero_ps(); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg min(reg a, reg b) { return _mm256_min_ps(a, b); }
  static reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  static reg round(reg v) {
    return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static reg pow2i(reg n) {
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  }
  static reg lt_zero(reg v, reg x, reg lim) {
    return _mm256_andnot_ps(_mm256_cmp_ps(x, lim, _CMP_LT_OQ), v);
  }
  static reg nonzero_or_zero(reg c, reg v) {
    return _mm256_and_ps(_mm256_cmp_ps(c, zero(), _CMP_NEQ_UQ), v);
  }
  static unsigned eq_bits(reg a, reg b) {
    return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_EQ_OQ)));
  }
  static float sum(reg v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
  }
  static float max_lanes(reg v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_shuffle_ps(s, s, 1)));
  }
};

}  // namespace
}  // namespace treino::loss_detail

#include "loss/loss_rows_impl.h"

namespace treino::loss_detail {
const Kernels& kernels_avx2() { return kernels_for<V256>; }
}  // namespace treino::loss_detail
