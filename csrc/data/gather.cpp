#include "data/gather.h"

#include <cstring>

#include "common/threading.h"

namespace treino {

namespace {

// Above this many bytes the copy is split over threads (more misses in flight); below,
// waking a second thread costs more than it saves.
constexpr int64_t kParallelBytes = int64_t{1} << 20;
constexpr int64_t kLine = 64;

void prefetch_rows(const char* src, int64_t row_bytes, const int64_t* rows, int64_t n) {
#if defined(__GNUC__)
  for (int64_t i = 0; i < n; ++i) {
    const char* p = src + rows[i] * row_bytes;
    for (int64_t off = 0; off < row_bytes; off += kLine) __builtin_prefetch(p + off, 0, 2);
  }
#else
  (void)src, (void)row_bytes, (void)rows, (void)n;
#endif
}

}  // namespace

void gather_rows(const char* src, int64_t row_bytes, const int64_t* idx, int64_t n, char* dst,
                 const int64_t* prefetch, int64_t n_prefetch) {
  const int64_t chunks = n * row_bytes >= kParallelBytes ? 8 : 1;
  const int64_t per = (n + chunks - 1) / chunks;
  parallel_for_chunks(chunks, chunks > 1, [&](int64_t c) {
    const int64_t b = c * per, e = b + per < n ? b + per : n;
    for (int64_t i = b; i < e; ++i) {
      std::memcpy(dst + i * row_bytes, src + idx[i] * row_bytes,
                  static_cast<size_t>(row_bytes));
    }
  });
  if (prefetch) prefetch_rows(src, row_bytes, prefetch, n_prefetch);
}

}  // namespace treino
