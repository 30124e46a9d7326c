// The FMA peak (bench_peak.h). Each width is one function with its own target attribute,
// so the benchmark binary needs no ISA flags: the one that matches the active ISA runs.
// Twelve independent accumulators cover the FMA latency (4 cycles) times two pipes.
#include "bench_peak.h"


#include <algorithm>
#include <chrono>

#include "common/cpu.h"

namespace treino::bench {

namespace {

constexpr long kIters = 20'000'000;
constexpr int kAcc = 12;

template <class V>
inline float fold(V (&a)[kAcc]) {
  V s = a[0];
  for (int i = 1; i < kAcc; ++i) s += a[i];
  float out = 0.f;
  for (int l = 0; l < int(sizeof(V) / sizeof(float)); ++l) out += s[l];
  return out;
}

#if defined(__x86_64__) || defined(__i386__)
typedef float V16 __attribute__((vector_size(64)));
typedef float V8 __attribute__((vector_size(32)));

__attribute__((target("avx512f,fma"), noinline)) float loop16(float m, float c) {
  V16 a[kAcc];
  for (int i = 0; i < kAcc; ++i) a[i] = V16{} + float(i);
  const V16 mv = V16{} + m, cv = V16{} + c;
  for (long it = 0; it < kIters; ++it)
    for (int i = 0; i < kAcc; ++i) a[i] = a[i] * mv + cv;
  return fold(a);
}

__attribute__((target("avx2,fma"), noinline)) float loop8(float m, float c) {
  V8 a[kAcc];
  for (int i = 0; i < kAcc; ++i) a[i] = V8{} + float(i);
  const V8 mv = V8{} + m, cv = V8{} + c;
  for (long it = 0; it < kIters; ++it)
    for (int i = 0; i < kAcc; ++i) a[i] = a[i] * mv + cv;
  return fold(a);
}
#endif

typedef float V4 __attribute__((vector_size(16)));
__attribute__((noinline)) float loop4(float m, float c) {
  V4 a[kAcc];
  for (int i = 0; i < kAcc; ++i) a[i] = V4{} + float(i);
  const V4 mv = V4{} + m, cv = V4{} + c;
  for (long it = 0; it < kIters; ++it)
    for (int i = 0; i < kAcc; ++i) a[i] = a[i] * mv + cv;
  return fold(a);
}

}  // namespace

double fma_peak_gflops(int threads) {
  int lanes = 4;
  float (*loop)(float, float) = loop4;
#if defined(__x86_64__) || defined(__i386__)
  if (active_isa() == Isa::Avx512) lanes = 16, loop = loop16;
  else if (active_isa() == Isa::Avx2) lanes = 8, loop = loop8;
#endif
  double best = 0.0;
  volatile float sink = 0.f;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    float local = 0.f;
#pragma omp parallel num_threads(threads) reduction(+ : local)
    local += loop(0.999999f, 1e-7f);
    const double dt =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sink = sink + local;
    best = std::max(best, 2.0 * lanes * kAcc * double(kIters) * threads / dt * 1e-9);
  }
  return best;
}

}  // namespace treino::bench
