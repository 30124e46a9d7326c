#include "data/scatter.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/threading.h"

namespace treino {

namespace {
// Work units: runs of sorted positions cut at row boundaries, a function of the
// indices only (never of the thread count).
constexpr int64_t kChunks = 64;
// Below this many floats touched, one thread.
constexpr int64_t kParallelFloats = int64_t{1} << 16;
}  // namespace

void scatter_add_rows(const float* src, int64_t D, const int64_t* idx, int64_t n, int64_t V,
                      float* out) {
  // Every output row starts at zero (rows no index names stay zero).
  const bool parallel = (V + n) * D >= kParallelFloats;
  const int64_t zchunks = std::max<int64_t>(1, std::min<int64_t>(kChunks, V));
  parallel_for_chunks(zchunks, parallel, [&](int64_t c) {
    const int64_t v0 = V * c / zchunks, v1 = V * (c + 1) / zchunks;
    std::memset(out + v0 * D, 0, static_cast<size_t>((v1 - v0) * D) * sizeof(float));
  });
  if (n == 0 || D == 0) return;
  // The positions grouped by row, each group in increasing position: a counting sort
  // when the table is not much bigger than the batch, else a stable sort (memory O(n)
  // whatever the vocabulary).
  std::vector<int64_t> order(static_cast<size_t>(n));
  if (V <= 4 * n + 65536) {
    std::vector<int64_t> next(static_cast<size_t>(V) + 1, 0);
    for (int64_t p = 0; p < n; ++p) ++next[idx[p] + 1];
    for (int64_t v = 0; v < V; ++v) next[v + 1] += next[v];
    for (int64_t p = 0; p < n; ++p) order[next[idx[p]]++] = p;
  } else {
    for (int64_t p = 0; p < n; ++p) order[p] = p;
    std::stable_sort(order.begin(), order.end(),
                     [idx](int64_t a, int64_t b) { return idx[a] < idx[b]; });
  }
  // Cut the sorted positions into chunks that never split a row's group.
  std::vector<int64_t> cut(kChunks + 1, n);
  cut[0] = 0;
  for (int64_t c = 1; c < kChunks; ++c) {
    int64_t k = std::max(cut[c - 1], n * c / kChunks);
    while (k > 0 && k < n && idx[order[k]] == idx[order[k - 1]]) ++k;
    cut[c] = k;
  }
  parallel_for_chunks(kChunks, parallel, [&](int64_t c) {
    for (int64_t k = cut[c]; k < cut[c + 1]; ++k) {
      float* row = out + idx[order[k]] * D;
      const float* s = src + order[k] * D;
      for (int64_t j = 0; j < D; ++j) row[j] += s[j];
    }
  });
}

}  // namespace treino
