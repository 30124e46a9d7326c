#include "optim/penalty.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threading.h"

namespace treino {

namespace {

constexpr int kLanes = 16;               // float partial sums: vector registers
constexpr int64_t kChunk = 16384;        // fixed: the order never depends on threads
constexpr int64_t kParallel = 1 << 17;   // below this, one thread is faster

struct Sums {
  double abs = 0, sq = 0;
};

// Sum of f(x[i]) over a chunk: kLanes float partial sums (one simple loop per term, the
// shape compilers vectorize at the baseline ISA), combined in double.
template <class F>
double lane_sum(const float* x, int64_t n, F f) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += f(x[i + j]);
  }
  for (int j = 0; i + j < n; ++j) acc[j] += f(x[i + j]);
  double total = 0;
  for (int j = 0; j < kLanes; ++j) total += acc[j];
  return total;
}

Sums chunk_sums(const float* x, int64_t n, bool want_abs, bool want_sq) {
  Sums out;
  if (want_abs) out.abs = lane_sum(x, n, [](float v) { return std::fabs(v); });
  if (want_sq) out.sq = lane_sum(x, n, [](float v) { return v * v; });
  return out;
}

// numpy's sign: +-1, +0 for either zero, NaN for NaN.
inline float sign_of(float v) { return v > 0.f ? 1.f : (v < 0.f ? -1.f : (v == 0.f ? 0.f : v)); }

template <bool L1, bool L2, bool Acc>
void backward_span(const float* x, float c1, float c2, float* out, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; ++i) {
    float g;
    if (L2 && L1) {
      const float p = x[i] * c2;
      const float q = sign_of(x[i]) * c1;
      g = p + q;
    } else if (L2) {
      g = x[i] * c2;
    } else {
      g = sign_of(x[i]) * c1;
    }
    out[i] = Acc ? out[i] + g : g;
  }
}

template <bool L1, bool L2>
void backward_all(const float* x, int64_t n, float c1, float c2, float* out, bool acc) {
  parallel_range(n, kParallel / 2, [&](int64_t b, int64_t e) {
    if (acc) backward_span<L1, L2, true>(x, c1, c2, out, b, e);
    else backward_span<L1, L2, false>(x, c1, c2, out, b, e);
  });
}

}  // namespace

float l1l2_penalty(const float* x, int64_t n, float l1, float l2) {
  const bool want_abs = l1 != 0.f, want_sq = l2 != 0.f;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<Sums> part(static_cast<size_t>(std::max<int64_t>(chunks, 1)));
  parallel_for_chunks(chunks, n >= kParallel, [&](int64_t c) {
    const int64_t b = c * kChunk;
    part[static_cast<size_t>(c)] = chunk_sums(x + b, std::min(n, b + kChunk) - b, want_abs,
                                              want_sq);
  });
  double sabs = 0, ssq = 0;
  for (int64_t c = 0; c < chunks; ++c) {
    sabs += part[static_cast<size_t>(c)].abs;
    ssq += part[static_cast<size_t>(c)].sq;
  }
  float total = 0.f;
  if (want_abs) total = l1 * static_cast<float>(sabs);
  if (want_sq) total = total + l2 * static_cast<float>(ssq);
  return total;
}

void l1l2_penalty_backward(const float* x, int64_t n, float l1, float l2, float dy,
                           float* out, bool accumulate) {
  const float c2 = (2.f * l2) * dy, c1 = l1 * dy;
  if (l1 != 0.f && l2 != 0.f) backward_all<true, true>(x, n, c1, c2, out, accumulate);
  else if (l1 != 0.f) backward_all<true, false>(x, n, c1, c2, out, accumulate);
  else backward_all<false, true>(x, n, c1, c2, out, accumulate);  // l2 only (or none: x * 0)
}

}  // namespace treino
