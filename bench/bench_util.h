// Tiny timing harness shared by the C++ benchmark sections.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

namespace treino::bench {

// Median seconds per call of fn(), over `reps` timed batches after one warm-up batch.
// Each batch runs fn() enough times to last about min_seconds.
template <class Fn>
double median_seconds(Fn&& fn, int reps = 7, double min_seconds = 0.02) {
  using clk = std::chrono::steady_clock;
  fn();
  int inner = 1;
  for (;;) {
    auto t0 = clk::now();
    for (int i = 0; i < inner; ++i) fn();
    double dt = std::chrono::duration<double>(clk::now() - t0).count();
    if (dt >= min_seconds || inner >= (1 << 24)) break;
    inner *= 2;
  }
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto t0 = clk::now();
    for (int i = 0; i < inner; ++i) fn();
    times.push_back(std::chrono::duration<double>(clk::now() - t0).count() / inner);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

inline std::vector<float> random_vector(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

// Sections, each in its own bench_<family>.cpp.
void run_gemm(int argc, char** argv);
void run_elementwise(int argc, char** argv);

}  // namespace treino::bench
