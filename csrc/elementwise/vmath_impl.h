// Internal: branch-free float32 math (exp, log, tanh, sin, ...) written as scalar C++ the
// compiler vectorizes when it is called in a loop (every branch is a select, bit casts go
// through memcpy). Cephes-style range reduction + minimax polynomials, within a few ulp
// over the whole float range, with IEEE edges: NaN in -> NaN out, exp overflows to inf and
// underflows through the denormals to 0, log(0) = -inf, log(x < 0) = NaN.
//
// Included only by elementwise_impl.h, i.e. once per ISA translation unit; everything is in
// an anonymous namespace so the copies compiled with different flags never meet (ODR).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace treino::ew_detail {
namespace {

inline int32_t as_bits(float x) { int32_t i; std::memcpy(&i, &x, 4); return i; }
inline float from_bits(int32_t i) { float x; std::memcpy(&x, &i, 4); return x; }

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Round to nearest, ties to even (the default FP mode), for any float: adding and
// removing 2^23 drops the fraction bits; |x| >= 2^23 (and inf/NaN) is already integral.
inline float rint_f(float x) {
  const float ax = std::fabs(x);
  const float r = std::copysign((ax + 8388608.f) - 8388608.f, x);
  return ax < 8388608.f ? r : x;
}
inline float floor_f(float x) { const float r = rint_f(x); return r > x ? r - 1.f : r; }
inline float ceil_f(float x) { const float r = rint_f(x); return r < x ? r + 1.f : r; }

// 2^k for integer k in [-150, 128]: two normal-range factors so denormal results and
// overflow to inf come out of ordinary rounding.
inline float exp_core(float xc) {
  // |xc * log2(e)| < 2^22 here, so the 1.5 * 2^23 shift rounds to nearest without
  // rint_f's guard for huge values (which made GCC evaluate the polynomial twice).
  const float kf = (xc * 1.44269504088896341f + 12582912.f) - 12582912.f;
  float r = xc - kf * 0.693359375f;
  r = r - kf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.f;
  const int32_t k = static_cast<int32_t>(kf);
  const int32_t k1 = k >> 1, k2 = k - k1;
  return p * from_bits((k1 + 127) << 23) * from_bits((k2 + 127) << 23);
}

inline float exp_f(float x) {
  // exp(-104) rounds to 0 and exp(89) to inf, so clamping there changes no result;
  // NaN is parked at 0 (keeps the int conversion defined) and restored at the end.
  float xc = x < -104.f ? -104.f : x;
  xc = xc > 89.f ? 89.f : xc;
  xc = x == x ? xc : 0.f;
  const float r = exp_core(xc);
  return x == x ? r : x;
}

// exp(x) - 1 without the cancellation near 0: Taylor series to x^9 for |x| < 0.5
// (truncation < 1e-9 relative), exp(x) - 1 beyond (no catastrophic loss there).
inline float expm1_f(float x) {
  float t = 1.f / 362880.f;
  t = t * x + 1.f / 40320.f;
  t = t * x + 1.f / 5040.f;
  t = t * x + 1.f / 720.f;
  t = t * x + 1.f / 120.f;
  t = t * x + 1.f / 24.f;
  t = t * x + 1.f / 6.f;
  t = t * x + 0.5f;
  t = t * (x * x) + x;
  const float e = exp_f(x) - 1.f;
  return std::fabs(x) < 0.5f ? t : e;
}

inline float log_f(float x) {
  // Denormals: scale into the normal range first.
  const bool tiny = x < 1.17549435e-38f;
  const float xs = tiny ? x * 8388608.f : x;
  const int32_t bits = as_bits(xs);
  float e = static_cast<float>(((bits >> 23) & 0xff) - 126) - (tiny ? 23.f : 0.f);
  float m = from_bits((bits & 0x807fffff) | 0x3f000000);  // mantissa in [0.5, 1)
  const bool small = m < 0.707106781186547524f;
  e = small ? e - 1.f : e;
  m = small ? m + m - 1.f : m - 1.f;
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  y = y + e * -2.12194440e-4f;
  y = y - 0.5f * z;
  float r = m + y + e * 0.693359375f;
  r = x > 0.f ? r : (x == 0.f ? -kInf : kNaN);
  return x == kInf ? kInf : r;
}

// log(1 + x) = log(u) * x / (u - 1) with u = fl(1 + x): the quotient corrects the
// rounding of u (Goldberg), so tiny x keep full relative accuracy.
inline float log1p_f(float x) {
  const float u = 1.f + x;
  const float d = u - 1.f;
  const float r = log_f(u) * (x / (d == 0.f ? 1.f : d));
  const float s = d == 0.f ? x : r;
  return x == kInf ? kInf : s;
}

// 1 / (1 + exp(-x)) using only exp(-|x|) <= 1: no overflow, and for x < 0 the result is
// e / (1 + e), accurate down to the denormals.
inline float sigmoid_f(float x) {
  const float e = exp_f(-std::fabs(x));
  const float r = 1.f / (1.f + e);
  return x >= 0.f ? r : e * r;
}

// max(x, 0) + log1p(exp(-|x|)): no overflow for large x, no underflow to 0 for x << 0
// until the true value is below the denormals.
inline float softplus_f(float x) {
  return (x > 0.f ? x : 0.f) + log1p_f(exp_f(-std::fabs(x)));
}
inline float log_sigmoid_f(float x) {
  return (x < 0.f ? x : 0.f) - log1p_f(exp_f(-std::fabs(x)));
}

inline float tanh_f(float x) {
  const float ax = std::fabs(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float big = 1.f - 2.f / (exp_f(2.f * ax) + 1.f);
  return ax < 0.625f ? small : std::copysign(big, x);
}

// Cephes sinf/cosf: reduction by pi/4 in three parts, accurate for |x| < 8192. Larger
// |x| (and inf/NaN) give garbage: the caller sends those to the libm function.
// q is the even octant count; bit 1 of q picks the other polynomial, and the sign comes
// from q's bits and x's sign as integer bit ops (bools in the loop stop the vectorizer).
inline float sincos_reduce(float x, int32_t* q_out) {
  const float ax = std::fabs(x);
  const float axc = ax < 8192.f ? ax : 0.f;
  int32_t q = static_cast<int32_t>(axc * 1.27323954473516f);
  q = (q + 1) & ~1;
  const float y = static_cast<float>(q);
  *q_out = q;
  return ((axc - y * 0.78515625f) - y * 2.4187564849853515625e-4f) - y * 3.77489497744594108e-8f;
}
inline float sin_poly(float r, float z) {
  float p = -1.9515295891e-4f;
  p = p * z + 8.3321608736e-3f;
  p = p * z - 1.6666654611e-1f;
  return p * z * r + r;
}
inline float cos_poly(float z) {
  float p = 2.443315711809948e-5f;
  p = p * z - 1.388731625493765e-3f;
  p = p * z + 4.166664568298827e-2f;
  return p * z * z - 0.5f * z + 1.f;
}
inline float sin_f(float x) {
  int32_t q;
  const float r = sincos_reduce(x, &q);
  const float z = r * r;
  const float s = sin_poly(r, z), c = cos_poly(z);
  const float v = (q & 2) ? c : s;
  const uint32_t sign = (static_cast<uint32_t>(q & 4) << 29) ^
                        (static_cast<uint32_t>(as_bits(x)) & 0x80000000u);
  return from_bits(static_cast<int32_t>(static_cast<uint32_t>(as_bits(v)) ^ sign));
}
inline float cos_f(float x) {
  int32_t q;
  const float r = sincos_reduce(x, &q);
  const float z = r * r;
  const float s = sin_poly(r, z), c = cos_poly(z);
  const float v = (q & 2) ? s : c;
  const uint32_t sign = static_cast<uint32_t>(((q >> 2) ^ (q >> 1)) & 1) << 31;
  return from_bits(static_cast<int32_t>(static_cast<uint32_t>(as_bits(v)) ^ sign));
}

}  // namespace
}  // namespace treino::ew_detail
