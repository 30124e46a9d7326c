// Internal: binary-op spans and reduction kernels, written once and compiled per ISA
// through elementwise_impl.h (anonymous namespace: no ODR clash).
//
// Reductions keep kLanes independent float partial sums (plain arrays the compiler turns
// into vector registers: FP reductions are not auto-vectorized without -ffast-math, an
// elementwise update of a lane array is). The lane count is the same on every ISA, so
// sums agree bit for bit across ISAs as well as across thread counts.
#pragma once
#include <cmath>
#include <cstdint>

#include "elementwise/elementwise.h"
#include "elementwise/ew_kernels.h"
#include "elementwise/vmath_impl.h"

namespace treino::ew_detail {
namespace {

constexpr int kLanes = 64;
constexpr int kArgLanes = 16;

// numpy's npy_divmodf, in float: floor quotient snapped to an integer, remainder with the
// sign of the divisor. b == 0 gives a / b and fmod's NaN, as numpy.
inline float floor_div_f(float a, float b) {
  if (b == 0.f) return a / b;
  float mod = std::fmod(a, b);
  float div = (a - mod) / b;
  if (mod != 0.f) {
    if ((b < 0.f) != (mod < 0.f)) div -= 1.f;
  }
  if (div != 0.f) {
    float fl = std::floor(div);
    if (div - fl > 0.5f) fl += 1.f;
    return fl;
  }
  return std::copysign(0.f, a / b);
}
inline float mod_f(float a, float b) {
  float mod = std::fmod(a, b);
  if (b == 0.f) return mod;
  if (mod != 0.f) {
    if ((b < 0.f) != (mod < 0.f)) mod += b;
  } else {
    mod = std::copysign(0.f, b);
  }
  return mod;
}

// out[i] = F(a[i * sa], b[i * sb]) with sa, sb in {0, 1}; the stride-0 operand is hoisted
// so every case is a unit-stride loop.
template <class F>
void span_loop(F f, const float* a, int64_t sa, const float* b, int64_t sb, float* out,
               int64_t n) {
  if (sa && sb) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (sa) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
  } else if (sb) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
  } else {
    const float r = f(a[0], b[0]);
    for (int64_t i = 0; i < n; ++i) out[i] = r;
  }
}

void binary_span_k(Binary op, const float* a, int64_t sa, const float* b, int64_t sb,
                   float* out, int64_t n) {
  switch (op) {
    case Binary::Add: span_loop([](float p, float q) { return p + q; }, a, sa, b, sb, out, n); return;
    case Binary::Sub: span_loop([](float p, float q) { return p - q; }, a, sa, b, sb, out, n); return;
    case Binary::Mul: span_loop([](float p, float q) { return p * q; }, a, sa, b, sb, out, n); return;
    case Binary::Div: span_loop([](float p, float q) { return p / q; }, a, sa, b, sb, out, n); return;
    case Binary::Pow:
      span_loop([](float p, float q) { return std::pow(p, q); }, a, sa, b, sb, out, n);
      return;
    case Binary::Maximum:
      span_loop([](float p, float q) { return (p > q || p != p) ? p : q; }, a, sa, b, sb, out, n);
      return;
    case Binary::Minimum:
      span_loop([](float p, float q) { return (p < q || p != p) ? p : q; }, a, sa, b, sb, out, n);
      return;
    case Binary::SquaredDifference:
      span_loop([](float p, float q) { return (p - q) * (p - q); }, a, sa, b, sb, out, n);
      return;
    case Binary::FloorDiv: span_loop(floor_div_f, a, sa, b, sb, out, n); return;
    case Binary::Mod: span_loop(mod_f, a, sa, b, sb, out, n); return;
    case Binary::Count: return;
  }
}

// Sum of n <= kChunk elements. Rows shorter than one block (the common short softmax-
// or class-sized axis) take 16 float lanes folded pairwise; longer ones take kLanes float
// lanes within each kBlock block (4 adds per lane), every lane carried into a double lane,
// the double lanes folded pairwise. Either way the order depends on n only.
double sum_chunk_k(const float* x, int64_t n) {
  if (n < kBlock) {
    float acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
      for (int l = 0; l < 16; ++l) acc[l] += x[i + l];
    for (int l = 0; i + l < n; ++l) acc[l] += x[i + l];
    for (int w = 8; w >= 1; w /= 2)
      for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
    return acc[0];
  }
  double dacc[kLanes] = {};
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    const int64_t m = n - b0 < kBlock ? n - b0 : kBlock;
    const float* xb = x + b0;
    float acc[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= m; i += kLanes)
      for (int l = 0; l < kLanes; ++l) acc[l] += xb[i + l];
    for (int l = 0; i + l < m; ++l) acc[l] += xb[i + l];
    for (int l = 0; l < kLanes; ++l) dacc[l] += acc[l];
  }
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) dacc[l] += dacc[l + w];
  return dacc[0];
}

double prod_chunk_k(const float* x, int64_t n) {
  constexpr int L = 16;
  double acc[L];
  for (int l = 0; l < L; ++l) acc[l] = 1.0;
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) acc[l] *= static_cast<double>(x[i + l]);
  for (int l = 0; i + l < n; ++l) acc[l] *= x[i + l];
  for (int w = L / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] *= acc[l + w];
  return acc[0];
}

// Max (kMax) or min over L lanes, NaN-propagating; the fold is pairwise so it vectorizes.
// Any order gives the same value (max/min are exact), so the lane count is free.
template <int L, bool kMax>
float extreme_lanes(const float* x, int64_t n) {
  float acc[L];
  for (int l = 0; l < L; ++l) acc[l] = x[0];
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) {
      const float v = x[i + l];
      acc[l] = ((kMax ? v > acc[l] : v < acc[l]) || v != v) ? v : acc[l];
    }
  for (int l = 0; i + l < n; ++l) {
    const float v = x[i + l];
    acc[l] = ((kMax ? v > acc[l] : v < acc[l]) || v != v) ? v : acc[l];
  }
  for (int w = L / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) {
      const float v = acc[l + w];
      acc[l] = ((kMax ? v > acc[l] : v < acc[l]) || v != v) ? v : acc[l];
    }
  return acc[0];
}

float extreme_span_k(const float* x, int64_t n, bool is_max) {
  if (n < kBlock) return is_max ? extreme_lanes<16, true>(x, n) : extreme_lanes<16, false>(x, n);
  return is_max ? extreme_lanes<kLanes, true>(x, n) : extreme_lanes<kLanes, false>(x, n);
}

// Candidate (v, j) beats the current (bv, bi) in argmax/argmin order: a NaN beats any
// number, then the larger (smaller) value, then the smaller index.
inline bool arg_better(float v, int64_t j, float bv, int64_t bi, bool is_max) {
  const bool vn = v != v, bn = bv != bv;
  if (vn || bn) return vn && (!bn || j < bi);
  if (v == bv) return j < bi;
  return is_max ? v > bv : v < bv;
}

int64_t arg_span_k(const float* x, int64_t n, bool is_max) {
  if (n < 4 * kArgLanes) {  // short rows (class scores): lane setup would dominate
    float bv = x[0];
    int64_t bi = 0;
    for (int64_t i = 1; i < n; ++i) {
      const float v = x[i];
      if ((is_max ? v > bv : v < bv) || (v != v && bv == bv)) { bv = v; bi = i; }
    }
    return bi;
  }
  float best[kArgLanes];
  int32_t idx[kArgLanes];
  for (int l = 0; l < kArgLanes; ++l) { best[l] = x[0]; idx[l] = 0; }
  int64_t i = 0;
  for (; i + kArgLanes <= n; i += kArgLanes) {
    for (int l = 0; l < kArgLanes; ++l) {
      const float v = x[i + l], b = best[l];
      const bool take = (is_max ? v > b : v < b) || (v != v && b == b);
      best[l] = take ? v : b;
      idx[l] = take ? static_cast<int32_t>(i + l) : idx[l];
    }
  }
  for (int l = 0; i + l < n; ++l) {
    const float v = x[i + l], b = best[l];
    if ((is_max ? v > b : v < b) || (v != v && b == b)) { best[l] = v; idx[l] = static_cast<int32_t>(i + l); }
  }
  float bv = best[0];
  int64_t bi = idx[0];
  for (int l = 1; l < kArgLanes; ++l)
    if (arg_better(best[l], idx[l], bv, bi, is_max)) { bv = best[l]; bi = idx[l]; }
  return bi;
}

// Axis-not-last reductions: x points at the first of ncols (<= kColTile) adjacent columns;
// row l of them starts at x + l * stride. Sums: kRowBlock rows in float, blocks in double.
void reduce_cols_k(Reduce op, const float* x, int64_t len, int64_t stride, int64_t ncols,
                   float* out) {
  if (op == Reduce::Sum || op == Reduce::Mean) {
    double acc[kColTile];
    for (int64_t j = 0; j < ncols; ++j) acc[j] = 0.0;
    for (int64_t l0 = 0; l0 < len; l0 += kRowBlock) {
      const int64_t l1 = len - l0 < kRowBlock ? len : l0 + kRowBlock;
      float t[kColTile];
      for (int64_t j = 0; j < ncols; ++j) t[j] = 0.f;
      // Four rows per pass: a quarter of the read-modify-writes of t, pairwise within.
      int64_t l = l0;
      for (; l + 4 <= l1; l += 4) {
        const float* r0 = x + l * stride;
        const float* r1 = r0 + stride;
        const float* r2 = r1 + stride;
        const float* r3 = r2 + stride;
        for (int64_t j = 0; j < ncols; ++j) t[j] += (r0[j] + r1[j]) + (r2[j] + r3[j]);
      }
      for (; l < l1; ++l) {
        const float* row = x + l * stride;
        for (int64_t j = 0; j < ncols; ++j) t[j] += row[j];
      }
      for (int64_t j = 0; j < ncols; ++j) acc[j] += t[j];
    }
    const double scale = op == Reduce::Mean ? 1.0 / static_cast<double>(len) : 1.0;
    for (int64_t j = 0; j < ncols; ++j)
      out[j] = static_cast<float>(op == Reduce::Mean ? acc[j] * scale : acc[j]);
    if (op == Reduce::Mean && len == 0) for (int64_t j = 0; j < ncols; ++j) out[j] = kNaN;
    return;
  }
  if (op == Reduce::Prod) {
    double acc[kColTile];
    for (int64_t j = 0; j < ncols; ++j) acc[j] = 1.0;
    for (int64_t l = 0; l < len; ++l) {
      const float* row = x + l * stride;
      for (int64_t j = 0; j < ncols; ++j) acc[j] *= row[j];
    }
    for (int64_t j = 0; j < ncols; ++j) out[j] = static_cast<float>(acc[j]);
    return;
  }
  const bool is_max = op == Reduce::Max;
  float m[kColTile];
  for (int64_t j = 0; j < ncols; ++j) m[j] = x[j];
  for (int64_t l = 1; l < len; ++l) {
    const float* row = x + l * stride;
    if (is_max) {
      for (int64_t j = 0; j < ncols; ++j) { const float v = row[j]; m[j] = (v > m[j] || v != v) ? v : m[j]; }
    } else {
      for (int64_t j = 0; j < ncols; ++j) { const float v = row[j]; m[j] = (v < m[j] || v != v) ? v : m[j]; }
    }
  }
  for (int64_t j = 0; j < ncols; ++j) out[j] = m[j];
}

void arg_cols_k(bool is_max, const float* x, int64_t len, int64_t stride, int64_t ncols,
                int32_t* out) {
  float best[kColTile];
  int32_t idx[kColTile];
  for (int64_t j = 0; j < ncols; ++j) { best[j] = x[j]; idx[j] = 0; }
  for (int64_t l = 1; l < len; ++l) {
    const float* row = x + l * stride;
    const int32_t li = static_cast<int32_t>(l);
    for (int64_t j = 0; j < ncols; ++j) {
      const float v = row[j], b = best[j];
      const bool take = (is_max ? v > b : v < b) || (v != v && b == b);
      best[j] = take ? v : b;
      idx[j] = take ? li : idx[j];
    }
  }
  for (int64_t j = 0; j < ncols; ++j) out[j] = idx[j];
}

}  // namespace
}  // namespace treino::ew_detail
