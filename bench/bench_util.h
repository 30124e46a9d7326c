// Tiny timing harness shared by the C++ benchmark sections.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

namespace treino::bench {

// How many calls of fn() make a timed batch of at least min_seconds (after one warm-up
// call).
template <class Fn>
int calls_per_batch(Fn& fn, double min_seconds) {
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
  return inner;
}

// Seconds per call of fn() in each of `reps` timed batches of about min_seconds.
template <class Fn>
std::vector<double> batch_seconds(Fn&& fn, int reps, double min_seconds) {
  using clk = std::chrono::steady_clock;
  const int inner = calls_per_batch(fn, min_seconds);
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto t0 = clk::now();
    for (int i = 0; i < inner; ++i) fn();
    times.push_back(std::chrono::duration<double>(clk::now() - t0).count() / inner);
  }
  return times;
}

// Median seconds per call over `reps` batches.
template <class Fn>
double median_seconds(Fn&& fn, int reps = 7, double min_seconds = 0.02) {
  std::vector<double> times = batch_seconds(fn, reps, min_seconds);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Fastest seconds per call over `reps` batches: on a shared machine the minimum is the
// statistic least disturbed by other load.
template <class Fn>
double best_seconds(Fn&& fn, int reps = 15, double min_seconds = 0.01) {
  const std::vector<double> times = batch_seconds(fn, reps, min_seconds);
  return *std::min_element(times.begin(), times.end());
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
void run_dense(int argc, char** argv);
void run_conv(int argc, char** argv);
void run_rnn(int argc, char** argv);

}  // namespace treino::bench
