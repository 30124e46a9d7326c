// Fused dense forward/backward on top of sgemm and the activation kernels (see dense.h).
#include "dense/dense.h"

#include <algorithm>
#include <vector>

#include "elementwise/elementwise.h"
#include "gemm/sgemm.h"

namespace treino {

namespace {
using Gemm = void (*)(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                      const float*, int64_t, float, float*, int64_t);

// dz scratch for the backward; grows to the largest N * U seen on this thread, never shrinks.
float* dz_scratch(int64_t n) {
  thread_local std::vector<float> buf;
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

template <bool kRef>
void forward_impl(const float* x, const float* W, const float* b, float* y, int64_t N,
                  int64_t K, int64_t U, Act act, float alpha) {
  if (N == 0 || U == 0) return;
  const Gemm gemm = kRef ? sgemm_ref : sgemm;
  // beta = 0 overwrites y, so whatever the caller's buffer held (even NaN) is gone.
  gemm(false, false, N, U, K, 1.f, x, K, W, U, 0.f, y, U);
  if (kRef) bias_act_forward_ref(act, y, b, N, U, alpha);
  else bias_act_forward(act, y, b, N, U, alpha);
}

template <bool kRef>
void backward_impl(const float* dy, const float* x, const float* W, const float* y,
                   int64_t N, int64_t K, int64_t U, Act act, float alpha, float* dx,
                   float* dW, float* db) {
  const Gemm gemm = kRef ? sgemm_ref : sgemm;
  const float* dz = dy;
  if (act != Act::Linear && N * U > 0) {
    float* s = dz_scratch(N * U);
    if (kRef) act_backward_ref(act, dy, y, s, N * U, alpha);
    else act_backward(act, dy, y, s, N * U, alpha);
    dz = s;
  }
  // dW (K, U) = x^T (K, N) @ dz (N, U); N == 0 leaves zeros (beta = 0 with K-depth 0).
  gemm(true, false, K, U, N, 1.f, x, K, dz, U, 0.f, dW, U);
  if (db) {
    if (kRef) reduce_ref(Reduce::Sum, dz, 1, N, U, db);
    else column_sum(dz, N, U, db);
  }
  // dx (N, K) = dz (N, U) @ W^T (U, K).
  if (dx) gemm(false, true, N, K, U, 1.f, dz, U, W, U, 0.f, dx, K);
}
}  // namespace

void dense_forward(const float* x, const float* W, const float* b, float* y, int64_t N,
                   int64_t K, int64_t U, Act act, float alpha) {
  forward_impl<false>(x, W, b, y, N, K, U, act, alpha);
}
void dense_forward_ref(const float* x, const float* W, const float* b, float* y, int64_t N,
                       int64_t K, int64_t U, Act act, float alpha) {
  forward_impl<true>(x, W, b, y, N, K, U, act, alpha);
}
void dense_backward(const float* dy, const float* x, const float* W, const float* y,
                    int64_t N, int64_t K, int64_t U, Act act, float alpha, float* dx,
                    float* dW, float* db) {
  backward_impl<false>(dy, x, W, y, N, K, U, act, alpha, dx, dW, db);
}
void dense_backward_ref(const float* dy, const float* x, const float* W, const float* y,
                        int64_t N, int64_t K, int64_t U, Act act, float alpha, float* dx,
                        float* dW, float* db) {
  backward_impl<true>(dy, x, W, y, N, K, U, act, alpha, dx, dW, db);
}

}  // namespace treino
