// conv section of treino_bench: the convolution and pooling kernels of the tfjs-examples
// MNIST convnet at batch 320 (28x28x1 -> conv 3x3x16 relu -> maxpool 2 -> conv 3x3x32
// relu -> maxpool 2 -> conv 3x3x32 relu, valid padding). Each conv prints the forward
// (with bias and relu), the filter gradient (dw and db, from dy through relu') and the
// input gradient, in GFLOP/s, next to sgemm on the same M x K x N product over an
// im2col matrix built beforehand (the work the conv does without the im2col traffic).
// Best of 15 timed batches, reused buffers.
// Usage: treino_bench conv
#include <cstdio>
#include <vector>

#include "bench_peak.h"
#include "bench_util.h"
#include "common/threading.h"
#include "conv/conv.h"
#include "gemm/sgemm.h"
#include "pool/pool.h"

namespace treino::bench {

namespace {

double g_peak = 0.0;  // GFLOP/s: the measured FMA peak on the benchmark's threads

void line(const char* name, double sec, double flop) {
  const double gf = flop / sec * 1e-9;
  std::printf("  %-34s %9.1f us  %6.1f GFLOP/s  %3.0f%% of peak\n", name, sec * 1e6, gf,
              100.0 * gf / g_peak);
}

void line_gb(const char* name, double sec, double bytes) {
  std::printf("  %-34s %9.1f us  %6.1f GB/s\n", name, sec * 1e6, bytes / sec * 1e-9);
}

// x [n, h, w, c] -> conv 3x3 valid (relu) with oc filters; returns its output shape.
ConvShape conv3x3(int64_t n, int64_t h, int64_t w, int64_t c, int64_t oc) {
  ConvShape s;
  s.n = n, s.h = h, s.w = w, s.c = c, s.fh = 3, s.fw = 3, s.oc = oc;
  conv_output_size(&s);
  return s;
}

double bench_conv(const char* name, const ConvShape& s) {
  const int64_t M = s.n * s.oh * s.ow, K = s.fh * s.fw * s.c, O = s.oc;
  const double flop = 2.0 * double(M) * double(K) * double(O);
  const auto x = random_vector(size_t(s.n * s.h * s.w * s.c), 1, 0.f, 1.f);
  const auto w = random_vector(size_t(K * O), 2, -0.3f, 0.3f);
  const auto b = random_vector(size_t(O), 3, -0.1f, 0.1f);
  const auto dy = random_vector(size_t(M * O), 4);
  std::vector<float> y(size_t(M * O)), dx(x.size()), dw(w.size()), db(static_cast<size_t>(O));
  std::printf("%s: x [%ld, %ld, %ld, %ld] * w [3, 3, %ld, %ld] -> M x K x N = %ld x %ld x %ld\n",
              name, long(s.n), long(s.h), long(s.w), long(s.c), long(s.c), long(O), long(M),
              long(K), long(O));
  const double tf = best_seconds([&] {
    conv2d_forward(s, x.data(), w.data(), b.data(), Act::Relu, 0.f, y.data());
  });
  const double tw = best_seconds([&] {
    conv2d_backward(s, dy.data(), x.data(), w.data(), y.data(), Act::Relu, 0.f, nullptr,
                    dw.data(), db.data());
  });
  const double tx = best_seconds([&] {
    conv2d_backward(s, dy.data(), x.data(), w.data(), nullptr, Act::Linear, 0.f, dx.data(),
                    dw.data(), nullptr);
  });
  line("forward (bias, relu)", tf, flop);
  line("backward dw, db (relu')", tw, flop);
  line("backward dx + dw", tx, 2 * flop);
  // The same products as plain GEMMs on an M x K matrix standing for im2col(x).
  const auto cols = random_vector(size_t(M * K), 5, 0.f, 1.f);
  std::vector<float> cdx(size_t(M * K));
  const double gf = best_seconds([&] {
    sgemm(false, false, M, O, K, 1.f, cols.data(), K, w.data(), O, 0.f, y.data(), O);
  });
  const double gw = best_seconds([&] {
    sgemm(true, false, K, O, M, 1.f, cols.data(), K, dy.data(), O, 0.f, dw.data(), O);
  });
  const double gx = best_seconds([&] {
    sgemm(false, true, M, K, O, 1.f, dy.data(), O, w.data(), O, 0.f, cdx.data(), K);
  });
  line("sgemm X W        (forward)", gf, flop);
  line("sgemm X^T dz     (dw)", gw, flop);
  line("sgemm dz W^T     (dX before col2im)", gx, flop);
  std::fflush(stdout);
  return tf + tw + tx - tw;  // forward + (dw, db) + dx: tx includes a dw
}

// 2x2 stride-2 max pooling (forward with argmax, backward) and average pooling of a conv
// output; returns the max pool's forward + backward seconds.
double bench_pool(const char* name, int64_t n, int64_t h, int64_t w, int64_t c) {
  PoolShape s;
  s.n = n, s.h = h, s.w = w, s.c = c, s.fh = 2, s.fw = 2, s.sh = 2, s.sw = 2;
  pool_output_size(&s);
  const size_t in = size_t(n * h * w * c), out = size_t(n * s.oh * s.ow * c);
  const auto x = random_vector(in, 6), dy = random_vector(out, 7);
  std::vector<float> y(out), dx(in);
  std::vector<int32_t> arg(out);
  std::printf("%s: [%ld, %ld, %ld, %ld] -> [%ld, %ld, %ld, %ld]\n", name, long(n), long(h),
              long(w), long(c), long(n), long(s.oh), long(s.ow), long(c));
  const double mf = best_seconds([&] { max_pool_forward(s, x.data(), y.data(), arg.data()); });
  const double mb = best_seconds([&] { max_pool_backward(s, dy.data(), arg.data(), dx.data()); });
  const double af = best_seconds([&] { avg_pool_forward(s, x.data(), y.data()); });
  const double ab = best_seconds([&] { avg_pool_backward(s, dy.data(), dx.data()); });
  // Bytes that must move: x read + y and argmax written; dy and argmax read + dx written.
  line_gb("max forward (argmax)", mf, double(in * 4 + out * 8));
  line_gb("max backward", mb, double(out * 8 + in * 4));
  line_gb("avg forward", af, double(in * 4 + out * 4));
  line_gb("avg backward", ab, double(out * 4 + in * 4));
  std::fflush(stdout);
  return mf + mb;
}

}  // namespace

void run_conv(int argc, char** argv) {
  (void)argc, (void)argv;
  constexpr int64_t N = 320;
  g_peak = fma_peak_gflops(num_threads());
  std::printf("MNIST convnet kernels, batch %ld (best of 15, reused buffers); FMA peak "
              "measured on %d thread(s): %.1f GFLOP/s\n", long(N), num_threads(), g_peak);
  const ConvShape c1 = conv3x3(N, 28, 28, 1, 16);
  const ConvShape c2 = conv3x3(N, 13, 13, 16, 32);
  const ConvShape c3 = conv3x3(N, 5, 5, 32, 32);
  double conv = 0, pool = 0;
  conv += bench_conv("conv1", c1);
  pool += bench_pool("maxpool1", N, c1.oh, c1.ow, c1.oc);
  conv += bench_conv("conv2", c2);
  pool += bench_pool("maxpool2", N, c2.oh, c2.ow, c2.oc);
  conv += bench_conv("conv3", c3);
  std::printf("total: convs (forward, dw, db, dx) %.1f us, max pools (forward, backward) "
              "%.1f us\n", conv * 1e6, pool * 1e6);
}

}  // namespace treino::bench
