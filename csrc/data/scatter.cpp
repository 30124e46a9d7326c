#include "data/scatter.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/threading.h"

namespace treino {

namespace {
// Output rows per parallel chunk: a function of V only.
constexpr int64_t kRowsPerChunk = 256;
// Below this many floats touched, one thread.
constexpr int64_t kParallelFloats = int64_t{1} << 16;
}  // namespace

void scatter_add_rows(const float* src, int64_t D, const int64_t* idx, int64_t n, int64_t V,
                      float* out) {
  // Stable counting sort of the positions by index: first[v] .. first[v + 1] lists the
  // positions that add into row v, in increasing order.
  std::vector<int64_t> first(static_cast<size_t>(V) + 1, 0);
  for (int64_t p = 0; p < n; ++p) ++first[idx[p] + 1];
  for (int64_t v = 0; v < V; ++v) first[v + 1] += first[v];
  std::vector<int64_t> order(static_cast<size_t>(n));
  {
    std::vector<int64_t> next(first.begin(), first.end() - 1);
    for (int64_t p = 0; p < n; ++p) order[next[idx[p]]++] = p;
  }
  const int64_t chunks = (V + kRowsPerChunk - 1) / kRowsPerChunk;
  parallel_for_chunks(chunks, (V + n) * D >= kParallelFloats, [&](int64_t c) {
    const int64_t v0 = c * kRowsPerChunk, v1 = std::min(V, v0 + kRowsPerChunk);
    for (int64_t v = v0; v < v1; ++v) {
      float* row = out + v * D;
      std::memset(row, 0, static_cast<size_t>(D) * sizeof(float));
      for (int64_t k = first[v]; k < first[v + 1]; ++k) {
        const float* s = src + order[k] * D;
        for (int64_t j = 0; j < D; ++j) row[j] += s[j];
      }
    }
  });
}

}  // namespace treino
