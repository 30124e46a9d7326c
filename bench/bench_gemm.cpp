// gemm section of treino_bench: GFLOP/s of sgemm at square sizes 64..2048 (each
// transpose combination) and at the training shapes of a 784-32-10 / 784-512-512 MLP
// (forward x @ W, dW = x^T dz, dX = dz W^T), after a correctness check with padded
// leading dimensions (which the Python binding cannot express). Each figure is the
// best of 15 timed batches.
// Usage: treino_bench gemm [square|train|check]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_util.h"
#include "gemm/sgemm.h"

namespace treino::bench {
namespace {

const char* tname(bool ta, bool tb) { return ta ? (tb ? "TT" : "TN") : (tb ? "NT" : "NN"); }

// sgemm vs sgemm_ref with lda/ldb/ldc larger than the matrices; returns false on mismatch.
bool check_leading_dims() {
  struct S { int64_t M, N, K; };
  // Direct and packed operands, serial, row-split and column-split threads.
  const S shapes[] = {{1, 1, 1},     {13, 37, 5},    {32, 784, 32},
                      {100, 70, 300}, {257, 129, 65}, {300, 200, 150}, {40, 700, 300}};
  bool ok = true;
  uint32_t seed = 1;
  for (const S& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      const int64_t lda = (ta ? s.M : s.K) + 3, ldb = (tb ? s.K : s.N) + 5, ldc = s.N + 7;
      const auto A = random_vector(size_t((ta ? s.K : s.M) * lda), seed++);
      const auto B = random_vector(size_t((tb ? s.N : s.K) * ldb), seed++);
      auto C0 = random_vector(size_t(s.M * ldc), seed++);
      auto C1 = C0;
      sgemm(ta, tb, s.M, s.N, s.K, 0.7f, A.data(), lda, B.data(), ldb, 0.3f, C0.data(), ldc);
      sgemm_ref(ta, tb, s.M, s.N, s.K, 0.7f, A.data(), lda, B.data(), ldb, 0.3f, C1.data(), ldc);
      double err = 0;
      bool pad_ok = true;
      for (int64_t i = 0; i < s.M; ++i)
        for (int64_t j = 0; j < ldc; ++j) {
          const double d = std::fabs(double(C0[i * ldc + j]) - C1[i * ldc + j]);
          if (j < s.N) err = std::max(err, d); else pad_ok = pad_ok && d == 0;
        }
      const double tol = 1e-5 * double(s.K) + 1e-6;
      if (err > tol || !pad_ok) {
        std::printf("  ld check FAILED: %ldx%ldx%ld %s max err %.3g%s\n", long(s.M), long(s.K),
                    long(s.N), tname(ta, tb), err, pad_ok ? "" : " (padding of C written)");
        ok = false;
      }
    }
  }
  std::printf("leading-dimension check vs sgemm_ref: %s\n", ok ? "ok" : "FAILED");
  return ok;
}

double gflops(int64_t M, int64_t N, int64_t K, bool ta, bool tb) {
  const auto A = random_vector(size_t(M * K), 11), B = random_vector(size_t(K * N), 12);
  std::vector<float> C(size_t(M * N), 0.f);
  const double sec = best_seconds([&] {
    sgemm(ta, tb, M, N, K, 1.f, A.data(), ta ? M : K, B.data(), tb ? K : N, 0.f, C.data(), N);
  });
  return 2.0 * double(M) * double(N) * double(K) / sec * 1e-9;
}

}  // namespace

void run_gemm(int argc, char** argv) {
  const std::string what = argc > 2 ? argv[2] : "all";
  if (!check_leading_dims() || what == "check") return;
  if (what == "all" || what == "square") {
    std::printf("\nsgemm GFLOP/s, square M=N=K    NN       TN       NT       TT\n");
    for (int64_t n : {64, 128, 256, 512, 1024, 2048}) {
      std::printf("  %-28ld", long(n));
      for (int t = 0; t < 4; ++t) std::printf(" %8.1f", gflops(n, n, n, t & 1, t & 2));
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  if (what == "all" || what == "train") {
    // name, M, K, N, trans_a, trans_b: MxKxN means op(A) M x K times op(B) K x N.
    struct T { const char* name; int64_t M, K, N; bool ta, tb; };
    const T shapes[] = {
        {"fwd 32x784x32", 32, 784, 32, false, false},
        {"dW  784x32x32 (x^T dz)", 784, 32, 32, true, false},
        {"dX  32x32x784 (dz W^T)", 32, 32, 784, false, true},
        {"fwd 32x32x10", 32, 32, 10, false, false},
        {"dW  32x32x10 (h^T dz)", 32, 32, 10, true, false},
        {"dX  32x10x32 (dz W^T)", 32, 10, 32, false, true},
        {"fwd 128x784x512", 128, 784, 512, false, false},
        {"dW  784x128x512", 784, 128, 512, true, false},
        {"dX  128x512x784", 128, 512, 784, false, true},
        {"fwd 128x512x512", 128, 512, 512, false, false},
        {"dW  512x128x512", 512, 128, 512, true, false},
        {"dX  128x512x512", 128, 512, 512, false, true},
    };
    std::printf("\nsgemm GFLOP/s, training shapes MxKxN   own      NN       TN       NT       TT\n");
    for (const T& s : shapes) {
      std::printf("  %-28s %s", s.name, tname(s.ta, s.tb));
      std::printf(" %8.1f", gflops(s.M, s.N, s.K, s.ta, s.tb));
      for (int t = 0; t < 4; ++t) std::printf(" %8.1f", gflops(s.M, s.N, s.K, t & 1, t & 2));
      std::printf("\n");
      std::fflush(stdout);
    }
  }
}

}  // namespace treino::bench
