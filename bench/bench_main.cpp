// treino_bench: GFLOP/s of sgemm and GB/s of the elementwise kernels.
// Usage: treino_bench [gemm|elementwise|dense|conv|rnn|all]   (TREINO_CPU_ISA and OMP_NUM_THREADS apply)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench_util.h"
#include "common/cpu.h"
#include "common/threading.h"

int main(int argc, char** argv) {
  using namespace treino;
  set_active_isa(detected_isa());
  if (const char* env = std::getenv("TREINO_CPU_ISA"); env && *env) {
    Isa isa;
    if (!parse_isa(env, &isa) || !set_active_isa(isa)) {
      std::fprintf(stderr, "TREINO_CPU_ISA=%s is not usable here\n", env);
      return 2;
    }
  }
  const std::string what = argc > 1 ? argv[1] : "all";
  std::printf("cpu: %s  isa: %s  threads: %d\n", cpu_model_name().c_str(),
              isa_name(active_isa()), num_threads());
  if (what == "gemm" || what == "all") bench::run_gemm(argc, argv);
  if (what == "elementwise" || what == "all") bench::run_elementwise(argc, argv);
  if (what == "dense" || what == "all") bench::run_dense(argc, argv);
  if (what == "conv" || what == "all") bench::run_conv(argc, argv);
  if (what == "rnn" || what == "all") bench::run_rnn(argc, argv);
  if (what != "gemm" && what != "elementwise" && what != "dense" && what != "conv" &&
      what != "rnn" && what != "all") {
    std::fprintf(stderr, "usage: treino_bench [gemm|elementwise|dense|conv|rnn|all]\n");
    return 2;
  }
  return 0;
}
