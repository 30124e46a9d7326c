// gemm section of treino_bench (filled in by the gemm family).
#include "bench_util.h"

namespace treino::bench {
void run_gemm(int, char**) {}
}  // namespace treino::bench
