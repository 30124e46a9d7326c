// elementwise section of treino_bench (filled in by the elementwise family).
#include "bench_util.h"

namespace treino::bench {
void run_elementwise(int, char**) {}
}  // namespace treino::bench
