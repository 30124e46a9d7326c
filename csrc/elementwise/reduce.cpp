// Reductions along one axis: x viewed as (outer, len, inner). The summation order is fixed
// by len alone (blocks of kBlock, chunks of kChunk, see ew_kernels.h), threads only take
// whole rows, whole column tiles or whole chunks, so results never depend on threads.
#include <algorithm>
#include <limits>
#include <vector>

#include "common/threading.h"
#include "elementwise/elementwise.h"
#include "elementwise/ew_kernels.h"

namespace treino {

namespace {
using ew_detail::kChunk;
using ew_detail::kColTile;
using ew_detail::Kernels;
constexpr int64_t kParallelMin = 65536;  // elements read; below this, one thread
constexpr int64_t kShortRow = 16;        // last-axis rows up to this long: plain loop

// Sum or product of one contiguous row: chunk results combined in order, in double.
double row_total(const Kernels& k, Reduce op, const float* x, int64_t len, bool threaded) {
  const bool prod = op == Reduce::Prod;
  const int64_t nchunks = (len + kChunk - 1) / kChunk;
  auto chunk = [&](int64_t c) {
    const int64_t n = std::min(kChunk, len - c * kChunk);
    return prod ? k.prod_chunk(x + c * kChunk, n) : k.sum_chunk(x + c * kChunk, n);
  };
  double t = prod ? 1.0 : 0.0;
  if (threaded && nchunks > 1) {
    std::vector<double> part(nchunks);
    parallel_for_chunks(nchunks, true, [&](int64_t c) { part[c] = chunk(c); });
    for (double v : part) t = prod ? t * v : t + v;
  } else {
    for (int64_t c = 0; c < nchunks; ++c) t = prod ? t * chunk(c) : t + chunk(c);
  }
  return t;
}

float finish(Reduce op, double total, int64_t len) {
  if (op == Reduce::Mean)
    return len ? static_cast<float>(total / static_cast<double>(len))
               : std::numeric_limits<float>::quiet_NaN();
  return static_cast<float>(total);
}

void reduce_with(const Kernels& k, bool threaded, Reduce op, const float* x, int64_t outer,
                 int64_t len, int64_t inner, float* out) {
  if (outer <= 0 || inner <= 0) return;
  threaded = threaded && outer * len * inner >= kParallelMin;
  const bool extreme = op == Reduce::Max || op == Reduce::Min;
  if (inner == 1 && len <= kShortRow) {
    // Short rows (class scores, small feature axes): a plain loop per row in double beats
    // the lane machinery, whose setup costs more than the row. Exact for max/min.
    auto rows = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* row = x + r * len;
        if (extreme) {
          float m = row[0];
          for (int64_t l = 1; l < len; ++l) {
            const float v = row[l];
            if ((op == Reduce::Max ? v > m : v < m) || v != v) m = v;
          }
          out[r] = m;
        } else {
          double t = op == Reduce::Prod ? 1.0 : 0.0;
          for (int64_t l = 0; l < len; ++l) t = op == Reduce::Prod ? t * row[l] : t + row[l];
          out[r] = finish(op, t, len);
        }
      }
    };
    if (threaded) parallel_range(outer, std::max<int64_t>(1, kParallelMin / 2 / std::max<int64_t>(len, 1)), rows);
    else rows(0, outer);
    return;
  }
  if (inner == 1) {
    auto rows = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* row = x + r * len;
        out[r] = extreme ? k.extreme_span(row, len, op == Reduce::Max)
                         : finish(op, row_total(k, op, row, len, false), len);
      }
    };
    if (threaded && outer == 1 && !extreme) {
      out[0] = finish(op, row_total(k, op, x, len, true), len);
    } else if (threaded) {
      parallel_range(outer, std::max<int64_t>(1, kParallelMin / 2 / std::max<int64_t>(len, 1)), rows);
    } else {
      rows(0, outer);
    }
    return;
  }
  const int64_t tiles = (inner + kColTile - 1) / kColTile;
  parallel_for_chunks(outer * tiles, threaded, [&](int64_t u) {
    const int64_t o = u / tiles, j0 = (u % tiles) * kColTile;
    k.reduce_cols(op, x + o * len * inner + j0, len, inner, std::min(kColTile, inner - j0),
                  out + o * inner + j0);
  });
}

void arg_with(const Kernels& k, bool threaded, bool is_max, const float* x, int64_t outer,
              int64_t len, int64_t inner, int32_t* out) {
  if (outer <= 0 || inner <= 0 || len <= 0) return;
  threaded = threaded && outer * len * inner >= kParallelMin;
  if (inner == 1) {
    auto rows = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        out[r] = static_cast<int32_t>(k.arg_span(x + r * len, len, is_max));
    };
    if (threaded) parallel_range(outer, std::max<int64_t>(1, kParallelMin / 2 / len), rows);
    else rows(0, outer);
    return;
  }
  const int64_t tiles = (inner + kColTile - 1) / kColTile;
  parallel_for_chunks(outer * tiles, threaded, [&](int64_t u) {
    const int64_t o = u / tiles, j0 = (u % tiles) * kColTile;
    k.arg_cols(is_max, x + o * len * inner + j0, len, inner, std::min(kColTile, inner - j0),
               out + o * inner + j0);
  });
}
}  // namespace

void reduce(Reduce op, const float* x, int64_t outer, int64_t len, int64_t inner,
            float* out) {
  reduce_with(ew_detail::kernels(), true, op, x, outer, len, inner, out);
}

void reduce_ref(Reduce op, const float* x, int64_t outer, int64_t len, int64_t inner,
                float* out) {
  reduce_with(ew_detail::kernels_ref(), false, op, x, outer, len, inner, out);
}

void arg_reduce(bool is_max, const float* x, int64_t outer, int64_t len, int64_t inner,
                int32_t* out) {
  arg_with(ew_detail::kernels(), true, is_max, x, outer, len, inner, out);
}

void arg_reduce_ref(bool is_max, const float* x, int64_t outer, int64_t len,
                    int64_t inner, int32_t* out) {
  arg_with(ew_detail::kernels_ref(), false, is_max, x, outer, len, inner, out);
}

void column_sum(const float* x, int64_t rows, int64_t cols, float* out) {
  reduce(Reduce::Sum, x, 1, rows, cols, out);
}

bool sum_to_shape(const float* x, const std::vector<int64_t>& xs,
                  const std::vector<int64_t>& to, float* out) {
  if (to.size() > xs.size()) return false;  // x would have been broadcast up to `to`
  const size_t r = xs.size();
  const size_t lead = r - to.size();
  // Groups of adjacent dims that are all reduced (to == 1 < xs) or all kept.
  std::vector<int64_t> ext;
  std::vector<bool> red;
  int64_t total = 1, out_total = 1;
  for (size_t i = 0; i < r; ++i) {
    const int64_t t = i < lead ? 1 : to[i - lead];
    if (t != xs[i] && t != 1) return false;
    total *= xs[i];
    out_total *= t;
    if (xs[i] == 1) continue;
    const bool rd = t == 1;
    if (!ext.empty() && red.back() == rd) { ext.back() *= xs[i]; continue; }
    ext.push_back(xs[i]);
    red.push_back(rd);
  }
  if (total == 0) {
    for (int64_t i = 0; i < out_total; ++i) out[i] = 0.f;
    return true;
  }
  std::vector<float> cur, next;
  const float* src = x;
  for (;;) {
    size_t k = red.size();
    for (size_t i = red.size(); i-- > 0;) if (red[i]) { k = i; break; }
    if (k == red.size()) break;
    int64_t outer = 1, inner = 1;
    for (size_t i = 0; i < k; ++i) outer *= ext[i];
    for (size_t i = k + 1; i < ext.size(); ++i) inner *= ext[i];
    bool last = true;
    for (size_t i = 0; i < k; ++i) last = last && !red[i];
    float* dst = out;
    if (!last) { next.resize(static_cast<size_t>(outer * inner)); dst = next.data(); }
    reduce(Reduce::Sum, src, outer, ext[k], inner, dst);
    ext.erase(ext.begin() + k);
    red.erase(red.begin() + k);
    if (k > 0 && k < ext.size() && !red[k - 1] && !red[k]) {  // neighbours now adjacent
      ext[k - 1] *= ext[k];
      ext.erase(ext.begin() + k);
      red.erase(red.begin() + k);
    }
    if (last) return true;
    cur.swap(next);
    src = cur.data();
  }
  for (int64_t i = 0; i < out_total; ++i) out[i] = src[i];  // nothing reduced: a copy
  return true;
}

}  // namespace treino
