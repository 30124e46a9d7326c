// elementwise section of treino_bench: GB/s (bytes read + written per second) of the main
// elementwise kernels at 4K, 256K and 16M floats (L1/L2-resident, L2/L3, DRAM), and the
// fused dense forward/backward at the training shapes, including the two ways to fuse the
// bias (sgemm then one bias+activation pass, versus y = b rows then sgemm with beta = 1).
#include <cstdio>
#include <vector>

#include "bench_util.h"
#include "dense/dense.h"
#include "elementwise/activation.h"
#include "elementwise/elementwise.h"
#include "gemm/sgemm.h"

namespace treino::bench {

namespace {

void row(const char* name, int64_t n, double bytes, double sec) {
  std::printf("  %-22s %9lld  %8.2f GB/s  %9.3f us\n", name, static_cast<long long>(n),
              bytes / sec * 1e-9, sec * 1e6);
}

void bench_size(int64_t n) {
  auto x = random_vector(n, 1, -4.f, 4.f);
  auto x2 = random_vector(n, 2, 0.5f, 2.f);
  std::vector<float> y(n);
  const double un = 8.0 * n, bin = 12.0 * n;  // unary: read + write, binary: 2 reads + write
  struct U { const char* name; Unary op; };
  const U unary[] = {{"relu", Unary::Relu}, {"exp", Unary::Exp}, {"log", Unary::Log},
                     {"tanh", Unary::Tanh}, {"sigmoid", Unary::Sigmoid},
                     {"softplus", Unary::Softplus}, {"gelu_new", Unary::GeluNew},
                     {"sin", Unary::Sin}};
  for (const auto& u : unary) {
    const float* in = u.op == Unary::Log ? x2.data() : x.data();
    row(u.name, n, un, median_seconds([&] { unary_forward(u.op, in, y.data(), n, 1.f); }));
  }
  row("sigmoid_backward(y)", n, bin, median_seconds([&] {
        unary_backward(Unary::Sigmoid, x.data(), x2.data(), y.data(), n, 1.f); }));
  const std::vector<int64_t> s{n}, s1{1};
  row("add", n, bin, median_seconds([&] {
        binary(Binary::Add, x.data(), s, x2.data(), s, y.data()); }));
  const float two = 2.f;
  row("mul scalar", n, un, median_seconds([&] {
        binary(Binary::Mul, x.data(), s, &two, s1, y.data()); }));
  const int64_t cols = 512, rows = n / cols;
  const std::vector<int64_t> sm{rows, cols}, sb{cols};
  row("add bias (rows x 512)", n, un, median_seconds([&] {
        binary(Binary::Add, x.data(), sm, x2.data(), sb, y.data()); }));
  row("reduce_sum all", n, 4.0 * n, median_seconds([&] {
        reduce(Reduce::Sum, x.data(), 1, n, 1, y.data()); }));
  row("reduce_sum last axis", n, 4.0 * n, median_seconds([&] {
        reduce(Reduce::Sum, x.data(), rows, cols, 1, y.data()); }));
  row("column_sum (x 512)", n, 4.0 * n, median_seconds([&] {
        column_sum(x.data(), rows, cols, y.data()); }));
  std::vector<int32_t> idx(rows);
  row("argmax last axis", n, 4.0 * n, median_seconds([&] {
        arg_reduce(true, x.data(), rows, cols, 1, idx.data()); }));
  row("reduce_max all", n, 4.0 * n, median_seconds([&] {
        reduce(Reduce::Max, x.data(), 1, n, 1, y.data()); }));
}

void bench_dense(int64_t N, int64_t K, int64_t U) {
  auto x = random_vector(N * K, 3), w = random_vector(K * U, 4), b = random_vector(U, 5);
  auto dy = random_vector(N * U, 6);
  std::vector<float> y(N * U), dx(N * K), dw(K * U), db(U);
  const double flop = 2.0 * N * K * U;
  auto fused = [&] { dense_forward(x.data(), w.data(), b.data(), y.data(), N, K, U, Act::Relu, 1.f); };
  auto beta1 = [&] {
    for (int64_t r = 0; r < N; ++r)
      for (int64_t c = 0; c < U; ++c) y[r * U + c] = b[c];
    sgemm(false, false, N, U, K, 1.f, x.data(), K, w.data(), U, 1.f, y.data(), U);
    act_forward(Act::Relu, y.data(), N * U, 1.f);
  };
  auto gemm_only = [&] {
    sgemm(false, false, N, U, K, 1.f, x.data(), K, w.data(), U, 0.f, y.data(), U);
  };
  const double tg = median_seconds(gemm_only), tf = median_seconds(fused), tb = median_seconds(beta1);
  std::printf("  dense %lldx%lldx%lld relu: sgemm alone %.2f us (%.1f GFLOP/s); "
              "sgemm + bias/act pass %.2f us; b rows + sgemm(beta=1) + act %.2f us\n",
              static_cast<long long>(N), static_cast<long long>(K), static_cast<long long>(U),
              tg * 1e6, flop / tg * 1e-9, tf * 1e6, tb * 1e6);
  fused();
  const double tbw = median_seconds([&] {
    dense_backward(dy.data(), x.data(), w.data(), y.data(), N, K, U, Act::Relu, 1.f,
                   dx.data(), dw.data(), db.data());
  });
  const double tbw1 = median_seconds([&] {
    dense_backward(dy.data(), x.data(), w.data(), y.data(), N, K, U, Act::Relu, 1.f,
                   nullptr, dw.data(), db.data());
  });
  std::printf("    backward (dx, dw, db) %.2f us (%.1f GFLOP/s); without dx %.2f us\n",
              tbw * 1e6, 2 * flop / tbw * 1e-9, tbw1 * 1e6);
}

}  // namespace

void run_elementwise(int, char**) {
  std::printf("elementwise (float32, GB/s = bytes read + written / time)\n");
  for (int64_t n : {int64_t{4096}, int64_t{262144}, int64_t{16} << 20}) bench_size(n);
  std::printf("fused dense\n");
  bench_dense(32, 784, 32);
  bench_dense(128, 784, 512);
}

}  // namespace treino::bench
