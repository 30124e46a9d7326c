#include "common/threading.h"

namespace treino {

namespace {
int initial_threads() {
#if defined(TREINO_OPENMP)
  return std::max(1, omp_get_max_threads());
#else
  return 1;
#endif
}
// Atomic: a kernel running without the GIL may read it while Python sets it.
std::atomic<int> g_num_threads{initial_threads()};
}  // namespace

int num_threads() { return g_num_threads.load(std::memory_order_relaxed); }

int max_num_threads() {
#if defined(TREINO_OPENMP)
  // Far more threads than cores only costs; beyond the OpenMP limit, libgomp aborts.
  return std::max(1, std::min(omp_get_thread_limit(), std::max(64, 8 * omp_get_num_procs())));
#else
  return 1;
#endif
}

void set_num_threads(int n) {
#if defined(TREINO_OPENMP)
  g_num_threads.store(std::max(1, n), std::memory_order_relaxed);
#else
  (void)n;
  g_num_threads.store(1, std::memory_order_relaxed);
#endif
}

bool have_openmp() {
#if defined(TREINO_OPENMP)
  return true;
#else
  return false;
#endif
}

}  // namespace treino
