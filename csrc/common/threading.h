// Thread count and the parallel loop every kernel uses.
//
// treino keeps its own thread count (default: OpenMP's, which honours OMP_NUM_THREADS)
// and passes it to each parallel region, so set_num_threads() does not touch the
// OpenMP state of other libraries in the process. Work is split into a number of
// chunks fixed by the problem, never by the thread count, so every result is
// bit-identical whatever the number of threads.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>

#if defined(TREINO_OPENMP)
#include <omp.h>
#endif

namespace treino {

int num_threads();
void set_num_threads(int n);  // n < 1 is clamped to 1
int max_num_threads();        // the most set_num_threads accepts (bindings check it)
bool have_openmp();

// Calls fn(chunk) for chunk in [0, n_chunks). Runs on min(num_threads(), n_chunks)
// threads when `parallel` is true, on the calling thread otherwise. fn must be
// independent per chunk.
template <class Fn>
void parallel_for_chunks(int64_t n_chunks, bool parallel, Fn&& fn) {
#if defined(TREINO_OPENMP)
  const int nt = static_cast<int>(std::min<int64_t>(num_threads(), n_chunks));
  if (parallel && nt > 1) {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t c = 0; c < n_chunks; ++c) fn(c);
    return;
  }
#endif
  for (int64_t c = 0; c < n_chunks; ++c) fn(c);
}

// Elementwise helper: splits [0, n) into contiguous ranges of at least `grain`
// items and calls fn(begin, end) for each. Single-threaded when n < 2 * grain. Range
// starts are multiples of kRangeAlign, so a kernel that treats its span in blocks of
// (a divisor of) kRangeAlign elements sees the same blocks for any thread count.
constexpr int64_t kRangeAlign = 512;

template <class Fn>
void parallel_range(int64_t n, int64_t grain, Fn&& fn) {
  if (n <= 0) return;
  const int64_t max_chunks = std::max<int64_t>(1, n / std::max<int64_t>(grain, 1));
  const int64_t chunks = std::min<int64_t>(max_chunks, num_threads());
  if (chunks <= 1) { fn(int64_t{0}, n); return; }
  const int64_t step = ((n + chunks - 1) / chunks + kRangeAlign - 1) / kRangeAlign * kRangeAlign;
  parallel_for_chunks(chunks, true, [&](int64_t c) {
    const int64_t b = c * step, e = std::min(n, b + step);
    if (b < e) fn(b, e);
  });
}

}  // namespace treino
