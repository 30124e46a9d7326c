// Internal: unary forward/backward loops and the activation (Act) loops, written once and
// compiled per ISA through elementwise_impl.h (anonymous namespace: no ODR clash). Each
// op is one simple loop over a contiguous span; the math comes from vmath_impl.h so the
// compiler vectorizes it. Outputs may alias inputs exactly (no __restrict; the compiler
// adds its own overlap check).
#pragma once
#include <cmath>
#include <cstdint>

#include "elementwise/activation.h"
#include "elementwise/elementwise.h"
#include "elementwise/vmath_impl.h"

namespace treino::ew_detail {
namespace {

// y[i] = EXPR(v) with v = x[i].
#define TREINO_EW_MAP(EXPR)                                               \
  for (int64_t i = 0; i < n; ++i) { const float v = x[i]; y[i] = (EXPR); } \
  return
// dx[i] = dy[i] * EXPR(v) with v = the saved x or y.
#define TREINO_EW_GRAD(EXPR)                                                           \
  for (int64_t i = 0; i < n; ++i) { const float v = s[i]; dx[i] = dy[i] * (EXPR); } \
  return

constexpr float kSqrt2OverPi = 0.7978845608028654f;  // gelu_new: sqrt(2 / pi)
constexpr float kGeluCubic = 0.044715f;

inline float sign_f(float v) { return v > 0.f ? 1.f : (v < 0.f ? -1.f : v * 0.f); }
inline float softsign_f(float v) {
  const float r = v / (1.f + std::fabs(v));
  return std::fabs(v) == kInf ? std::copysign(1.f, v) : r;
}
inline float elu_f(float v, float alpha) { return v > 0.f ? v : alpha * expm1_f(v); }
inline float selu_f(float v) {
  return kSeluScale * (v > 0.f ? v : kSeluAlpha * expm1_f(v));
}
inline float hard_sigmoid_f(float v) {
  const float z = 0.2f * v + 0.5f;
  return z < 0.f ? 0.f : (z > 1.f ? 1.f : z);
}
inline float gelu_new_f(float v) {
  // 0.5 (1 + tanh(u)) = sigmoid(2u): no cancellation for negative v.
  const float u = kSqrt2OverPi * (v + kGeluCubic * v * v * v);
  return v * sigmoid_f(2.f * u);
}
inline float gelu_new_grad(float v) {
  const float u = kSqrt2OverPi * (v + kGeluCubic * v * v * v);
  const float s = sigmoid_f(2.f * u);
  const float du = kSqrt2OverPi * (1.f + 3.f * kGeluCubic * v * v);
  return s + v * 2.f * s * (1.f - s) * du;
}
inline float mish_f(float v) { return v * tanh_f(softplus_f(v)); }
inline float mish_grad(float v) {
  const float t = tanh_f(softplus_f(v));
  return t + v * sigmoid_f(v) * (1.f - t * t);
}
// Exact gelu needs erfc with full relative accuracy in the far negative tail; libm's
// double erfc gives it (not vectorized: gelu is rare on CPUs and still ~10 ns/element).
inline float gelu_f(float v) {
  const double d = v;
  return static_cast<float>(0.5 * d * std::erfc(-d * 0.70710678118654752440));
}
inline float gelu_grad(float v) {
  const double d = v;
  const double cdf = 0.5 * std::erfc(-d * 0.70710678118654752440);
  const double pdf = 0.39894228040143267794 * std::exp(-0.5 * d * d);
  return static_cast<float>(cdf + d * pdf);
}

// sin / cos: blocks whose |x| stay below 8192 take the vector polynomial, a block with a
// larger (or non-finite) element is done by libm. Deciding per block keeps in-place safe.
template <bool kCos>
void sincos_loop(const float* x, float* y, int64_t n, const float* dy, float scale) {
  constexpr int64_t kB = 512;
  for (int64_t b0 = 0; b0 < n; b0 += kB) {
    const int64_t m = n - b0 < kB ? n - b0 : kB;
    const float* xb = x + b0;
    float* yb = y + b0;
    int32_t far = 0;
    for (int64_t i = 0; i < m; ++i) far |= !(std::fabs(xb[i]) < 8192.f);
    if (far) {
      for (int64_t i = 0; i < m; ++i) {
        const float r = kCos ? std::cos(xb[i]) : std::sin(xb[i]);
        yb[i] = dy ? dy[b0 + i] * scale * r : r;
      }
    } else if (dy) {
      for (int64_t i = 0; i < m; ++i)
        yb[i] = dy[b0 + i] * scale * (kCos ? cos_f(xb[i]) : sin_f(xb[i]));
    } else {
      for (int64_t i = 0; i < m; ++i) yb[i] = kCos ? cos_f(xb[i]) : sin_f(xb[i]);
    }
  }
}

void unary_forward_k(Unary op, const float* x, float* y, int64_t n, float alpha) {
  switch (op) {
    case Unary::Relu: TREINO_EW_MAP(v < 0.f ? 0.f : v);
    case Unary::Relu6: TREINO_EW_MAP(v < 0.f ? 0.f : (v > 6.f ? 6.f : v));
    case Unary::Elu: TREINO_EW_MAP(elu_f(v, alpha));
    case Unary::Selu: TREINO_EW_MAP(selu_f(v));
    case Unary::LeakyRelu: TREINO_EW_MAP(v < 0.f ? alpha * v : v);
    case Unary::Sigmoid: TREINO_EW_MAP(sigmoid_f(v));
    case Unary::LogSigmoid: TREINO_EW_MAP(log_sigmoid_f(v));
    case Unary::Tanh: TREINO_EW_MAP(tanh_f(v));
    case Unary::Softplus: TREINO_EW_MAP(softplus_f(v));
    case Unary::Softsign: TREINO_EW_MAP(softsign_f(v));
    case Unary::Exp: TREINO_EW_MAP(exp_f(v));
    case Unary::Expm1: TREINO_EW_MAP(expm1_f(v));
    case Unary::Log: TREINO_EW_MAP(log_f(v));
    case Unary::Log1p: TREINO_EW_MAP(log1p_f(v));
    case Unary::Sqrt: TREINO_EW_MAP(std::sqrt(v));
    case Unary::Rsqrt: TREINO_EW_MAP(1.f / std::sqrt(v));
    case Unary::Square: TREINO_EW_MAP(v * v);
    case Unary::Abs: TREINO_EW_MAP(std::fabs(v));
    case Unary::Neg: TREINO_EW_MAP(-v);
    case Unary::Sign: TREINO_EW_MAP(sign_f(v));
    case Unary::Reciprocal: TREINO_EW_MAP(1.f / v);
    case Unary::Sin: sincos_loop<false>(x, y, n, nullptr, 1.f); return;
    case Unary::Cos: sincos_loop<true>(x, y, n, nullptr, 1.f); return;
    case Unary::Floor: TREINO_EW_MAP(floor_f(v));
    case Unary::Ceil: TREINO_EW_MAP(ceil_f(v));
    case Unary::Round: TREINO_EW_MAP(rint_f(v));
    case Unary::Swish: TREINO_EW_MAP(v * sigmoid_f(v));
    case Unary::Gelu: TREINO_EW_MAP(gelu_f(v));
    case Unary::GeluNew: TREINO_EW_MAP(gelu_new_f(v));
    case Unary::Mish: TREINO_EW_MAP(mish_f(v));
    case Unary::HardSigmoid: TREINO_EW_MAP(hard_sigmoid_f(v));
    case Unary::Count: return;
  }
}

// s is the saved tensor named by unary_grad_input(op) (x, y, or unused).
void unary_backward_k(Unary op, const float* dy, const float* s, float* dx, int64_t n,
                      float alpha) {
  switch (op) {
    case Unary::Relu: TREINO_EW_GRAD(v > 0.f ? 1.f : 0.f);                          // x
    case Unary::Relu6: TREINO_EW_GRAD(v > 0.f && v < 6.f ? 1.f : 0.f);              // x
    case Unary::Elu: TREINO_EW_GRAD(v >= 0.f ? 1.f : alpha * exp_f(v));             // x
    case Unary::Selu: TREINO_EW_GRAD(v > 0.f ? kSeluScale : kSeluScale * kSeluAlpha * exp_f(v));
    case Unary::LeakyRelu: TREINO_EW_GRAD(v > 0.f ? 1.f : alpha);                   // x
    case Unary::Sigmoid: TREINO_EW_GRAD(v * (1.f - v));                             // y
    // (1 - y)(1 + y), not 1 - y * y: 1 - y is exact for y near 1, where y * y rounds.
    case Unary::LogSigmoid: TREINO_EW_GRAD(sigmoid_f(-v));                          // x
    case Unary::Tanh: TREINO_EW_GRAD((1.f - v) * (1.f + v));                        // y
    case Unary::Softplus: TREINO_EW_GRAD(sigmoid_f(v));                             // x
    case Unary::Softsign: TREINO_EW_GRAD(1.f / ((1.f + std::fabs(v)) * (1.f + std::fabs(v))));
    case Unary::Exp: TREINO_EW_GRAD(v);                                             // y
    case Unary::Expm1: TREINO_EW_GRAD(exp_f(v));  // x: y + 1 would lose exp(x) << 1   // x
    case Unary::Log: TREINO_EW_GRAD(1.f / v);                                       // x
    case Unary::Log1p: TREINO_EW_GRAD(1.f / (1.f + v));                             // x
    case Unary::Sqrt: TREINO_EW_GRAD(0.5f / v);                                     // y
    case Unary::Rsqrt: TREINO_EW_GRAD(-0.5f * v * v * v);                           // y
    case Unary::Square: TREINO_EW_GRAD(2.f * v);                                    // x
    case Unary::Abs: TREINO_EW_GRAD(sign_f(v));                                     // x
    case Unary::Reciprocal: TREINO_EW_GRAD(-(v * v));                               // y
    case Unary::Sin: sincos_loop<true>(s, dx, n, dy, 1.f); return;                  // x
    case Unary::Cos: sincos_loop<false>(s, dx, n, dy, -1.f); return;                // x
    case Unary::Swish: TREINO_EW_GRAD(sigmoid_f(v) * (1.f + v * (1.f - sigmoid_f(v))));
    case Unary::Gelu: TREINO_EW_GRAD(gelu_grad(v));                                 // x
    case Unary::GeluNew: TREINO_EW_GRAD(gelu_new_grad(v));                          // x
    case Unary::Mish: TREINO_EW_GRAD(mish_grad(v));                                 // x
    case Unary::HardSigmoid: {                                                      // x
      // TF.js clipByValue passes the gradient on the closed interval 0 <= 0.2 x + 0.5 <= 1,
      // i.e. |x| <= 2.5 (tested on x itself: FMA contraction would move the edges).
      TREINO_EW_GRAD(std::fabs(v) <= 2.5f ? 0.2f : 0.f);
    }
    case Unary::Neg:
      for (int64_t i = 0; i < n; ++i) dx[i] = -dy[i];
      return;
    case Unary::Sign: case Unary::Floor: case Unary::Ceil: case Unary::Round:
      // Zero almost everywhere (TF.js and PyTorch); NaN in dy still propagates.
      for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * 0.f;
      return;
    case Unary::Count: return;
  }
}

#undef TREINO_EW_MAP
#undef TREINO_EW_GRAD

void act_forward_k(Act act, float* y, int64_t n, float alpha) {
  switch (act) {
    case Act::Linear: return;
    case Act::Relu: unary_forward_k(Unary::Relu, y, y, n, alpha); return;
    case Act::Relu6: unary_forward_k(Unary::Relu6, y, y, n, alpha); return;
    case Act::Elu: unary_forward_k(Unary::Elu, y, y, n, alpha); return;
    case Act::Selu: unary_forward_k(Unary::Selu, y, y, n, alpha); return;
    case Act::Sigmoid: unary_forward_k(Unary::Sigmoid, y, y, n, alpha); return;
    case Act::Tanh: unary_forward_k(Unary::Tanh, y, y, n, alpha); return;
    case Act::Softplus: unary_forward_k(Unary::Softplus, y, y, n, alpha); return;
    case Act::Softsign: unary_forward_k(Unary::Softsign, y, y, n, alpha); return;
    case Act::LeakyRelu: unary_forward_k(Unary::LeakyRelu, y, y, n, alpha); return;
    case Act::Count: return;
  }
}

// dz = dy * act'(x) written through y = act(x) (see activation.h for why this is exact).
void act_backward_k(Act act, const float* dy, const float* y, float* dz, int64_t n,
                    float alpha) {
#define TREINO_ACT_GRAD(EXPR)                                                           \
  for (int64_t i = 0; i < n; ++i) { const float v = y[i]; dz[i] = dy[i] * (EXPR); } \
  return
  switch (act) {
    case Act::Linear:
      if (dz != dy) for (int64_t i = 0; i < n; ++i) dz[i] = dy[i];
      return;
    case Act::Relu: TREINO_ACT_GRAD(v > 0.f ? 1.f : 0.f);
    case Act::Relu6: TREINO_ACT_GRAD(v > 0.f && v < 6.f ? 1.f : 0.f);
    case Act::Elu: TREINO_ACT_GRAD(v >= 0.f ? 1.f : v + alpha);
    case Act::Selu: TREINO_ACT_GRAD(v > 0.f ? kSeluScale : v + kSeluScale * kSeluAlpha);
    case Act::Sigmoid: TREINO_ACT_GRAD(v * (1.f - v));
    case Act::Tanh: TREINO_ACT_GRAD((1.f - v) * (1.f + v));
    // sigmoid(x) = 1 - exp(-softplus(x)) = -expm1(-y).
    case Act::Softplus: TREINO_ACT_GRAD(-expm1_f(-v));
    // softsign'(x) = 1 / (1 + |x|)^2 = (1 - |y|)^2.
    case Act::Softsign: TREINO_ACT_GRAD((1.f - std::fabs(v)) * (1.f - std::fabs(v)));
    case Act::LeakyRelu: TREINO_ACT_GRAD(v > 0.f ? 1.f : alpha);
    case Act::Count: return;
  }
#undef TREINO_ACT_GRAD
}

void bias_act_rows_k(Act act, float* y, const float* b, int64_t rows, int64_t cols,
                     float alpha) {
  // Two passes over the (cache-hot) rows: per row, the activation's dispatch would cost
  // more than the math for short rows (a conv's 16-32 channels).
  if (b) {
    for (int64_t r = 0; r < rows; ++r) {
      float* row = y + r * cols;
      for (int64_t c = 0; c < cols; ++c) row[c] += b[c];
    }
  }
  act_forward_k(act, y, rows * cols, alpha);
}

}  // namespace
}  // namespace treino::ew_detail
