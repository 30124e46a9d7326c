// rnn section of treino_bench: the fused recurrent kernels on W6's LSTM (batch 128,
// 100 steps, 128 inputs, 64 units) and addition-rnn's (128 units), forward and
// backward through time, against sgemm on the same products (the input projection and
// one recurrent product per step): the gates and the recurrence's bookkeeping are the
// difference. Best of 15 timed batches.
// Usage: treino_bench rnn
#include <cstdio>
#include <cstring>
#include <vector>

#include "bench_util.h"
#include "gemm/sgemm.h"
#include "rnn/rnn.h"

namespace treino::bench {

namespace {

void run_case(const char* name, RnnCell cell, const RnnDims& d, GateAct rec) {
  const int64_t G = rnn_gates(cell), GU = G * d.U, BT = d.B * d.T;
  const auto x = random_vector(size_t(BT * d.I), 1);
  const auto W = random_vector(size_t(d.I * GU), 2, -0.1f, 0.1f);
  const auto R = random_vector(size_t(d.U * GU), 3, -0.1f, 0.1f);
  const auto b = random_vector(size_t(GU), 4, -0.1f, 0.1f);
  const auto dh = random_vector(size_t(d.B * d.U), 5);
  std::vector<float> hseq(size_t(BT * d.U)), hl(size_t(d.B * d.U)), cl(size_t(d.B * d.U));
  std::vector<float> ws(size_t(rnn_workspace_floats(cell, d))), saved;
  std::vector<float> dx(size_t(BT * d.I)), dW(W.size()), dR(R.size()), db(b.size());
  float* c_last = cell == RnnCell::Lstm ? cl.data() : nullptr;
  auto forward = [&] {
    rnn_forward(cell, GateAct::Tanh, rec, d, false, x.data(), W.data(), R.data(), b.data(),
                nullptr, nullptr, nullptr, nullptr, hseq.data(), hl.data(), c_last, ws.data());
  };
  forward();
  saved = ws;
  auto backward = [&] {
    std::memcpy(ws.data(), saved.data(), ws.size() * sizeof(float));
    rnn_backward(cell, GateAct::Tanh, rec, d, false, x.data(), W.data(), R.data(), nullptr,
                 nullptr, nullptr, dh.data(), nullptr, ws.data(), dx.data(), dW.data(),
                 dR.data(), db.data(), nullptr, nullptr);
  };
  auto copy = [&] { std::memcpy(ws.data(), saved.data(), ws.size() * sizeof(float)); };
  std::vector<float> z(size_t(BT * GU)), hz(size_t(d.B * GU));
  auto proj = [&] {
    sgemm(false, false, BT, GU, d.I, 1.f, x.data(), d.I, W.data(), GU, 0.f, z.data(), GU);
  };
  auto steps = [&] {
    for (int64_t t = 0; t < d.T; ++t) {
      sgemm(false, false, d.B, GU, d.U, 1.f, hseq.data() + t * d.U, d.T * d.U, R.data(), GU,
            1.f, hz.data(), GU);
    }
  };
  const double f_proj = 2.0 * BT * d.I * GU, f_rec = 2.0 * BT * d.U * GU;
  const double t_fwd = best_seconds(forward), t_bwd = best_seconds(backward) -
                                                     best_seconds(copy);
  const double t_proj = best_seconds(proj), t_steps = best_seconds(steps);
  std::printf("%s (B %lld, T %lld, I %lld, U %lld)\n", name, (long long)d.B, (long long)d.T,
              (long long)d.I, (long long)d.U);
  std::printf("  forward           %8.2f ms  %6.1f GFLOP/s\n", t_fwd * 1e3,
              (f_proj + f_rec) / t_fwd * 1e-9);
  std::printf("  backward          %8.2f ms  %6.1f GFLOP/s\n", t_bwd * 1e3,
              (2 * f_proj + 2 * f_rec) / t_bwd * 1e-9);
  std::printf("  sgemm projection  %8.2f ms  %6.1f GFLOP/s\n", t_proj * 1e3,
              f_proj / t_proj * 1e-9);
  std::printf("  sgemm per step    %8.2f ms  %6.1f GFLOP/s (T separate products)\n",
              t_steps * 1e3, f_rec / t_steps * 1e-9);
}

}  // namespace

void run_rnn(int, char**) {
  std::printf("\n== rnn: fused recurrent layers ==\n");
  run_case("W6 LSTM, hardSigmoid", RnnCell::Lstm, RnnDims{128, 100, 128, 64},
           GateAct::HardSigmoid);
  run_case("W6 LSTM, sigmoid", RnnCell::Lstm, RnnDims{128, 100, 128, 64}, GateAct::Sigmoid);
  run_case("addition-rnn LSTM decoder", RnnCell::Lstm, RnnDims{128, 3, 128, 128},
           GateAct::HardSigmoid);
  run_case("GRU (TF.js)", RnnCell::Gru, RnnDims{128, 100, 128, 64}, GateAct::HardSigmoid);
}

}  // namespace treino::bench
