// The machine's measured multiply-add peak, the yardstick of the conv and GEMM tables.
#pragma once

namespace treino::bench {

// GFLOP/s of a loop of independent float32 FMAs (as wide as the active ISA: 16 lanes for
// AVX-512, 8 for AVX2, none of either: 4-lane multiply and add) on `threads` threads,
// best of a few runs; 2 flops per lane and FMA.
double fma_peak_gflops(int threads);

}  // namespace treino::bench
