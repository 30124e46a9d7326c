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
int g_num_threads = initial_threads();
}  // namespace

int num_threads() { return g_num_threads; }

void set_num_threads(int n) {
#if defined(TREINO_OPENMP)
  g_num_threads = std::max(1, n);
#else
  (void)n;
  g_num_threads = 1;
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
