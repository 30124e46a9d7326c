// dense section of treino_bench: the native kernels of one training step of issue 6's
// W2 (784-512-512-10 MLP, batch 128, adam), each timed alone with reused buffers (as the
// Python fast path calls them) and split into its sgemm / elementwise parts, plus the
// forward and backward of the big layer into freshly allocated outputs.
// `treino_bench dense step` times only the whole step back to back, and each call
// inside it (operands then come from wherever the previous calls left them).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "dense/dense.h"
#include "elementwise/activation.h"
#include "elementwise/elementwise.h"
#include "gemm/sgemm.h"
#include "optim/optim.h"

namespace treino::bench {

namespace {

void line(const char* name, double sec, double flop = 0) {
  if (flop > 0) {
    std::printf("  %-44s %9.2f us  %6.1f GFLOP/s\n", name, sec * 1e6, flop / sec * 1e-9);
  } else {
    std::printf("  %-44s %9.2f us\n", name, sec * 1e6);
  }
}

struct Layer {
  int64_t K, U;
  Act act;
  bool need_dx;
  std::vector<float> W, b, y, dy, dx, dW, db;
};

}  // namespace

void run_dense(int argc, char** argv) {
  constexpr int64_t N = 128;
  // `treino_bench dense step`: only the whole-step loop, for ~3 s (a target for perf).
  const bool step_only = argc > 2 && std::string(argv[2]) == "step";
  std::printf("W2 step kernels (784-512-512-10, batch 128; best of 15, reused buffers)\n");
  std::vector<Layer> L = {{784, 512, Act::Relu, false, {}, {}, {}, {}, {}, {}, {}},
                          {512, 512, Act::Relu, true, {}, {}, {}, {}, {}, {}, {}},
                          {512, 10, Act::Linear, true, {}, {}, {}, {}, {}, {}, {}}};
  const auto x0 = random_vector(N * 784, 7, 0.f, 1.f);
  uint32_t seed = 10;
  for (auto& l : L) {
    l.W = random_vector(l.K * l.U, seed++, -0.05f, 0.05f);
    l.b = random_vector(l.U, seed++, -0.1f, 0.1f);
    l.y.resize(N * l.U);
    l.dy = random_vector(N * l.U, seed++, -0.01f, 0.01f);
    l.dx.resize(N * l.K);
    l.dW.resize(l.K * l.U);
    l.db.resize(l.U);
  }
  const float* in[3] = {x0.data(), L[0].y.data(), L[1].y.data()};
  std::vector<OptimSlot> slots;
  std::vector<std::vector<float>> m, v;
  for (auto& l : L) {
    for (int w = 0; w < 2; ++w) {
      const int64_t n = w ? l.U : l.K * l.U;
      m.emplace_back(n, 0.f);
      v.emplace_back(n, 0.f);
      slots.push_back({w ? l.b.data() : l.W.data(), w ? l.db.data() : l.dW.data(),
                       {m.back().data(), v.back().data(), nullptr}, n});
    }
  }
  int64_t step = 1;
  // One step's calls in order (softmax-CE left out: dy of the last layer is fixed), each
  // passed to each(index, call).
  auto step_calls = [&](auto&& each) {
    int c = 0;
    for (int i = 0; i < 3; ++i) {
      Layer& l = L[i];
      each(c++, [&] {
        dense_forward(in[i], l.W.data(), l.b.data(), l.y.data(), N, l.K, l.U, l.act, 1.f);
      });
    }
    for (int i = 2; i >= 0; --i) {
      Layer& l = L[i];
      each(c++, [&] {
        dense_backward(i == 2 ? l.dy.data() : L[i + 1].dx.data(), in[i], l.W.data(),
                       l.y.data(), N, l.K, l.U, l.act, 1.f,
                       l.need_dx ? l.dx.data() : nullptr, l.dW.data(), l.db.data());
      });
    }
    each(c++, [&] {
      adam_update(slots.data(), static_cast<int64_t>(slots.size()), 1e-3, 0.9, 0.999, 1e-7,
                  step++);
    });
  };
  auto whole_step = [&] { step_calls([](int, auto&& call) { call(); }); };
  if (step_only) {
    std::printf("  W2 step loop: %.2f us\n", best_seconds(whole_step, 100, 0.03) * 1e6);
    // The same calls timed one by one inside the loop: unlike the isolated timings,
    // operands come from wherever the previous calls left them (adam evicts a lot).
    using clk = std::chrono::steady_clock;
    const char* names[7] = {"fwd 784x512", "fwd 512x512", "fwd 512x10", "bwd 512x10",
                            "bwd 512x512", "bwd 784x512", "adam"};
    std::vector<std::vector<double>> t(7);
    for (int it = 0; it < 400; ++it) {
      step_calls([&](int c, auto&& call) {
        const auto t0 = clk::now();
        call();
        t[c].push_back(std::chrono::duration<double>(clk::now() - t0).count());
      });
    }
    double sum = 0, sum_best = 0;
    for (int c = 0; c < 7; ++c) {
      std::sort(t[c].begin(), t[c].end());
      const double med = t[c][t[c].size() / 2];
      sum += med;
      sum_best += t[c][0];
      line((std::string("in loop, median: ") + names[c]).c_str(), med);
      line((std::string("in loop, best: ") + names[c]).c_str(), t[c][0]);
    }
    line("in loop: sum of medians", sum);
    line("in loop: sum of bests", sum_best);
    return;
  }
  double fwd_total = 0, bwd_total = 0;
  char name[96];
  for (int i = 0; i < 3; ++i) {
    Layer& l = L[i];
    const double flop = 2.0 * N * l.K * l.U;
    const double tf = best_seconds([&] {
      dense_forward(in[i], l.W.data(), l.b.data(), l.y.data(), N, l.K, l.U, l.act, 1.f);
    });
    std::snprintf(name, sizeof name, "dense_forward %lldx%lldx%lld", (long long)N,
                  (long long)l.K, (long long)l.U);
    line(name, tf, flop);
    fwd_total += tf;
  }
  for (int i = 2; i >= 0; --i) {
    Layer& l = L[i];
    const double flop = 2.0 * N * l.K * l.U * (l.need_dx ? 2 : 1);
    const double tb = best_seconds([&] {
      dense_backward(l.dy.data(), in[i], l.W.data(), l.y.data(), N, l.K, l.U, l.act, 1.f,
                     l.need_dx ? l.dx.data() : nullptr, l.dW.data(), l.db.data());
    });
    std::snprintf(name, sizeof name, "dense_backward %lldx%lldx%lld%s", (long long)N,
                  (long long)l.K, (long long)l.U, l.need_dx ? "" : " (no dx)");
    line(name, tb, flop);
    bwd_total += tb;
  }
  int64_t params = 0;
  for (auto& s : slots) params += s.size;
  const double ta = best_seconds([&] {
    adam_update(slots.data(), static_cast<int64_t>(slots.size()), 1e-3, 0.9, 0.999, 1e-7,
                step++);
  });
  std::snprintf(name, sizeof name, "adam_update %lld params", (long long)params);
  line(name, ta);
  std::printf("    (%.1f GB/s: 7 floats of traffic per param)\n", 28.0 * params / ta * 1e-9);
  std::printf("  %-44s %9.2f us  (fwd %.1f + bwd %.1f + adam %.1f)\n", "W2 step native total",
              (fwd_total + bwd_total + ta) * 1e6, fwd_total * 1e6, bwd_total * 1e6, ta * 1e6);
  line("W2 step loop (the above back to back)", best_seconds(whole_step));

  std::printf("parts of the backward\n");
  for (int i = 1; i >= 0; --i) {
    Layer& l = L[i];
    const double flop = 2.0 * N * l.K * l.U;
    std::vector<float> dz(N * l.U);
    std::snprintf(name, sizeof name, "act_backward relu %lldx%lld", (long long)N, (long long)l.U);
    line(name, best_seconds([&] {
           act_backward(Act::Relu, l.dy.data(), l.y.data(), dz.data(), N * l.U, 1.f); }));
    std::snprintf(name, sizeof name, "column_sum %lldx%lld", (long long)N, (long long)l.U);
    line(name, best_seconds([&] { column_sum(dz.data(), N, l.U, l.db.data()); }));
    std::snprintf(name, sizeof name, "sgemm TN dW %lldx%lldx%lld", (long long)l.K,
                  (long long)N, (long long)l.U);
    line(name, best_seconds([&] {
           sgemm(true, false, l.K, l.U, N, 1.f, in[i], l.K, dz.data(), l.U, 0.f, l.dW.data(),
                 l.U); }), flop);
    std::snprintf(name, sizeof name, "sgemm NT dx %lldx%lldx%lld", (long long)N,
                  (long long)l.K, (long long)l.U);
    line(name, best_seconds([&] {
           sgemm(false, true, N, l.K, l.U, 1.f, dz.data(), l.U, l.W.data(), l.U, 0.f,
                 l.dx.data(), l.K); }), flop);
    std::snprintf(name, sizeof name, "sgemm NN fwd %lldx%lldx%lld", (long long)N,
                  (long long)l.K, (long long)l.U);
    line(name, best_seconds([&] {
           sgemm(false, false, N, l.U, l.K, 1.f, in[i], l.K, l.W.data(), l.U, 0.f,
                 l.y.data(), l.U); }), flop);
  }

  std::printf("fresh outputs (allocated per call, as without out= buffers)\n");
  {
    Layer& l = L[0];
    line("dense_forward 128x784x512 fresh y", best_seconds([&] {
           std::unique_ptr<float[]> y(new float[N * l.U]);
           dense_forward(in[0], l.W.data(), l.b.data(), y.get(), N, l.K, l.U, l.act, 1.f);
         }));
    line("dense_backward 128x784x512 fresh dW, db", best_seconds([&] {
           std::unique_ptr<float[]> dW(new float[l.K * l.U]), db(new float[l.U]);
           dense_backward(l.dy.data(), in[0], l.W.data(), l.y.data(), N, l.K, l.U, l.act,
                          1.f, nullptr, dW.get(), db.get());
         }));
  }
}

}  // namespace treino::bench
