// Internal: the vectorized row kernels, written once against a small SIMD interface V
// and included by loss_avx2.cpp and loss_avx512.cpp, which define V with their
// intrinsics. V lives in an anonymous namespace, so every instantiation here has
// internal linkage and the two ISA builds never collide at link time; nothing below
// calls an out-of-line helper that could be shared between them.
//
// V provides: reg, W (lanes), Full / Tail block tags (tail(n) for the last n < W
// lanes), load(p, m) (zero outside m), load_or(p, m, fill), store(p, v, m),
// keep(m, v) (zero outside m), set1, zero, add, sub, mul, fma (a*b+c), min/max (second
// operand returned when either is NaN), round (to nearest), pow2i (2^n for integral n in
// [-126, 127]), lt_zero(v, x, lim) (0 where x < lim), nonzero_or_zero(c, v) (v where
// c != 0), eq_bits(a, b) (lane bitmask of a == b), sum and max_lanes (horizontal, in a
// fixed order).
#pragma once
#include <cstdint>
#include <limits>

#include "loss/loss_kernels.h"

namespace treino::loss_detail {
namespace {

// fn(j, block) over [0, n) in blocks of V::W lanes, the last one masked.
template <class V, class Fn>
inline void for_blocks(int64_t n, Fn&& fn) {
  int64_t j = 0;
  for (; j + V::W <= n; j += V::W) fn(j, typename V::Full{});
  if (j < n) fn(j, V::tail(n - j));
}

// exp(x) for a vector: n = round(x / ln 2), r = x - n ln 2 in two parts (Cody-Waite),
// Cephes' degree-5 polynomial for exp(r) (about 1-2 ulp), times 2^n. Inputs are clamped
// to [ln(FLT_MIN), 88] so 2^n stays a normal float; below that (where exp underflows past
// FLT_MIN, including -inf) the result is 0. NaN propagates.
template <class V>
inline typename V::reg vexp(typename V::reg x) {
  const auto lo = V::set1(-87.33654f);  // ln(FLT_MIN)
  auto xc = V::max(lo, V::min(V::set1(88.0f), x));
  const auto n = V::round(V::mul(xc, V::set1(1.44269504088896341f)));
  auto r = V::fma(n, V::set1(-0.693359375f), xc);
  r = V::fma(n, V::set1(2.12194440e-4f), r);
  auto p = V::set1(1.9875691500e-4f);
  p = V::fma(p, r, V::set1(1.3981999507e-3f));
  p = V::fma(p, r, V::set1(8.3334519073e-3f));
  p = V::fma(p, r, V::set1(4.1665795894e-2f));
  p = V::fma(p, r, V::set1(1.6666665459e-1f));
  p = V::fma(p, r, V::set1(5.0000001201e-1f));
  p = V::fma(p, V::mul(r, r), V::add(r, V::set1(1.0f)));
  return V::lt_zero(V::mul(p, V::pow2i(n)), x, lo);
}

template <class V>
inline float fnan() { return std::numeric_limits<float>::quiet_NaN(); }

// Row maximum; with arg, also numpy.argmax (first maximum, first NaN wins). Vector max
// drops NaNs, so a sticky x * 0 flag (NaN for NaN or +-inf) sends such rare rows to a
// scalar rescan with numpy's rules.
template <class V>
inline float row_max(const float* x, int64_t cols, int64_t* arg) {
  const float ninf = -std::numeric_limits<float>::infinity();
  auto vmax = V::set1(ninf), flag = V::zero();
  for_blocks<V>(cols, [&](int64_t j, auto m) {
    const auto v = V::load_or(x + j, m, V::set1(ninf));
    vmax = V::max(v, vmax);
    flag = V::fma(V::load(x + j, m), V::zero(), flag);
  });
  const float f = V::sum(flag);
  if (f != f) {
    float best = x[0];
    int64_t idx = 0;
    if (best != best) { if (arg) *arg = 0; return fnan<V>(); }
    for (int64_t j = 1; j < cols; ++j) {
      if (x[j] > best) { best = x[j]; idx = j; }
      else if (x[j] != x[j]) { if (arg) *arg = j; return fnan<V>(); }
    }
    if (arg) *arg = idx;
    return best;
  }
  const float mx = V::max_lanes(vmax);
  if (arg) {
    const auto vm = V::set1(mx);
    int64_t j = 0;
    for (; j < cols; j += V::W) {
      const int64_t n = cols - j < V::W ? cols - j : V::W;
      const unsigned hit = V::eq_bits(V::load_or(x + j, V::tail(n), V::set1(ninf)), vm) &
                           ((n == V::W) ? ~0u : ((1u << n) - 1u));
      if (hit) { *arg = j + __builtin_ctz(hit); break; }
    }
  }
  return mx;
}

template <class V>
void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows && cols > 0; ++i, x += cols, y += cols) {
    const auto vmx = V::set1(row_max<V>(x, cols, nullptr));
    auto vs = V::zero();
    for_blocks<V>(cols, [&](int64_t j, auto m) {
      const auto e = V::keep(m, vexp<V>(V::sub(V::load(x + j, m), vmx)));
      vs = V::add(vs, e);
      V::store(y + j, e, m);
    });
    const auto inv = V::set1(1.0f / V::sum(vs));
    for_blocks<V>(cols, [&](int64_t j, auto m) {
      V::store(y + j, V::mul(V::load(y + j, m), inv), m);
    });
  }
}

template <class V>
void log_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows && cols > 0; ++i, x += cols, y += cols) {
    const auto vmx = V::set1(row_max<V>(x, cols, nullptr));
    auto vs = V::zero();
    for_blocks<V>(cols, [&](int64_t j, auto m) {
      vs = V::add(vs, V::keep(m, vexp<V>(V::sub(V::load(x + j, m), vmx))));
    });
    const auto lse = V::set1(__builtin_logf(V::sum(vs)));
    for_blocks<V>(cols, [&](int64_t j, auto m) {
      V::store(y + j, V::sub(V::sub(V::load(x + j, m), vmx), lse), m);
    });
  }
}

template <class V>
void softmax_bwd_rows(const float* dy, const float* y, float* dx, int64_t rows,
                      int64_t cols) {
  for (int64_t i = 0; i < rows; ++i, dy += cols, y += cols, dx += cols) {
    auto vs = V::zero();
    for_blocks<V>(cols, [&](int64_t j, auto m) {
      vs = V::fma(V::load(dy + j, m), V::load(y + j, m), vs);
    });
    const auto s = V::set1(V::sum(vs));
    for_blocks<V>(cols, [&](int64_t j, auto m) {
      V::store(dx + j, V::mul(V::load(y + j, m), V::sub(V::load(dy + j, m), s)), m);
    });
  }
}

template <class V>
void log_softmax_bwd_rows(const float* dy, const float* y, float* dx, int64_t rows,
                          int64_t cols) {
  for (int64_t i = 0; i < rows; ++i, dy += cols, y += cols, dx += cols) {
    auto vs = V::zero();
    for_blocks<V>(cols, [&](int64_t j, auto m) { vs = V::add(vs, V::load(dy + j, m)); });
    const auto s = V::set1(V::sum(vs));
    for_blocks<V>(cols, [&](int64_t j, auto m) {
      const auto e = vexp<V>(V::load(y + j, m));
      V::store(dx + j, V::sub(V::load(dy + j, m), V::mul(e, s)), m);
    });
  }
}

// Per row, three sweeps over data that stays in L1: max/argmax; exp, sum and loss terms
// (exp kept in dlogits); the gradient. Loss = sum t * (log S + max - x): both parts are
// non-negative for non-negative labels, so nothing cancels even for logits of 1e4.
template <class V>
int64_t xent_rows(const SoftmaxXentArgs& A, int64_t r0, int64_t r1) {
  const int64_t C = A.cols;
  const float a = static_cast<float>(1.0 - static_cast<double>(A.label_smoothing));
  const float b = static_cast<float>(static_cast<double>(A.label_smoothing) / C);
  const auto va = V::set1(a), vb = V::set1(b);
  int64_t correct = 0;
  for (int64_t i = r0; i < r1; ++i) {
    const float* x = A.logits + i * C;
    float* dl = A.dlogits ? A.dlogits + i * C : nullptr;
    const float scale = A.grad_scale * (A.sample_weight ? A.sample_weight[i] : 1.0f);
    int64_t pred = 0;
    const float mx = row_max<V>(x, C, &pred);
    const auto vmx = V::set1(mx);
    auto vs = V::zero();
    if (A.labels) {
      const float* t = A.labels + i * C;
      int64_t want = 0;
      row_max<V>(t, C, &want);
      correct += pred == want;
      auto vst = V::zero(), vstd = V::zero();
      for_blocks<V>(C, [&](int64_t j, auto m) {
        const auto xj = V::load(x + j, m);
        const auto e = V::keep(m, vexp<V>(V::sub(xj, vmx)));
        const auto tj = V::keep(m, V::fma(V::load(t + j, m), va, vb));
        vs = V::add(vs, e);
        vst = V::add(vst, tj);
        vstd = V::add(vstd, V::nonzero_or_zero(tj, V::mul(tj, V::sub(vmx, xj))));
        if (dl) V::store(dl + j, e, m);  // x[j] is not read again (dl may be x)
      });
      const float s = V::sum(vs), st = V::sum(vst);
      A.losses[i] = st * __builtin_logf(s) + V::sum(vstd);
      if (dl) {  // d loss / d x_j = softmax_j * sum(t) - t_j (sum(t) = 1 for one-hot)
        const auto inv = V::set1(st / s), sc = V::set1(scale);
        for_blocks<V>(C, [&](int64_t j, auto m) {
          const auto tj = V::fma(V::load(t + j, m), va, vb);
          V::store(dl + j, V::mul(V::sub(V::mul(V::load(dl + j, m), inv), tj), sc), m);
        });
      }
    } else {
      const int64_t want = A.label_index[i];
      if (want < 0 || want >= C) {  // changed after the binding's check: never index with it
        A.losses[i] = __builtin_nanf("");
        if (dl) for (int64_t j = 0; j < C; ++j) dl[j] = __builtin_nanf("");
        continue;
      }
      correct += pred == want;
      const float xl = x[want];
      auto vsd = V::zero();
      for_blocks<V>(C, [&](int64_t j, auto m) {
        const auto xj = V::load(x + j, m);
        const auto e = V::keep(m, vexp<V>(V::sub(xj, vmx)));
        vs = V::add(vs, e);
        if (b != 0.0f) vsd = V::add(vsd, V::keep(m, V::sub(vmx, xj)));
        if (dl) V::store(dl + j, e, m);
      });
      const float s = V::sum(vs);
      float loss = (a + b * static_cast<float>(C)) * __builtin_logf(s);
      if (a != 0.0f) loss += a * (mx - xl);
      if (b != 0.0f) loss += b * V::sum(vsd);
      A.losses[i] = loss;
      if (dl) {
        const float inv = 1.0f / s, el = dl[want];
        const auto vinv = V::set1(inv), sc = V::set1(scale);
        for_blocks<V>(C, [&](int64_t j, auto m) {
          V::store(dl + j, V::mul(V::sub(V::mul(V::load(dl + j, m), vinv), vb), sc), m);
        });
        dl[want] = (el * inv - (a + b)) * scale;
      }
    }
  }
  return correct;
}

template <class V>
int64_t argmax_match_rows(const float* a, const float* b, int64_t r0, int64_t r1, int64_t C) {
  int64_t same = 0;
  for (int64_t i = r0; i < r1; ++i) {
    int64_t ia = 0, ib = 0;
    row_max<V>(a + i * C, C, &ia);
    row_max<V>(b + i * C, C, &ib);
    same += ia == ib;
  }
  return same;
}

template <class V>
constexpr Kernels kernels_for = {&softmax_rows<V>, &log_softmax_rows<V>,
                                 &softmax_bwd_rows<V>, &log_softmax_bwd_rows<V>,
                                 &xent_rows<V>, &argmax_match_rows<V>};

}  // namespace
}  // namespace treino::loss_detail
