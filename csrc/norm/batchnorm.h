// Batch normalization's training step: the forward with the batch statistics and its
// whole backward, one call each.
//
//   x, y, dy, dx  (M, C)   row-major, contiguous; statistics per column c over the M rows
//   gamma, beta   (C) or null (scale 1, shift 0)
//   everything else (C)
//
// Forward (y and every (C) output overwritten):
//   mean    = sum_m x / M
//   var     = sum_m (x - mean)^2 / M                       (biased, two passes)
//   inv_std = 1 / sqrt(var + eps)
//   y       = (x - mean) * (inv_std * gamma) + beta
//   new_mean = moving_mean - (moving_mean - mean) * decay
//   new_var  = moving_var  - (moving_var  - var)  * decay
// Backward, from the saved mean and inv_std (xhat = (x - mean) * inv_std):
//   dbeta  = sum_m dy                                      skipped when dbeta is null
//   dgamma = sum_m dy * xhat                               skipped when dgamma is null
//   dx = inv_std * gamma * (dy - dbeta / M - xhat * dgamma / M)   (gamma = 1 when null),
//        which is inv_std * (dxhat - mean_m(dxhat) - xhat * mean_m(dxhat * xhat)) with
//        dxhat = dy * gamma; skipped when dx is null.
//
// Sums are accumulated in double, rows in ascending order, on the calling thread: the
// result depends neither on the thread count nor on the ISA path. M == 0 gives mean and
// variance 0 (as the sums over no rows divided by max(M, 1)). Outputs must not overlap
// inputs (the bindings check it). A thread-local scratch of 2 * C doubles only grows, so
// steady-state training allocates nothing.
//
// The default functions sweep the rows (vectorised across columns); when the active ISA
// is Ref they call the _ref twins, plain per-column loops used as the test oracle.
#pragma once
#include <cstdint>

namespace treino {

struct BatchNormForwardArgs {
  const float* x = nullptr;            // (M, C)
  const float* gamma = nullptr;        // (C) or nullptr
  const float* beta = nullptr;         // (C) or nullptr
  const float* moving_mean = nullptr;  // (C)
  const float* moving_var = nullptr;   // (C)
  double epsilon = 1e-3;               // > 0
  double decay = 0.01;                 // 1 - momentum, in [0, 1]
  float* y = nullptr;                  // (M, C)
  float* new_mean = nullptr;           // (C)
  float* new_var = nullptr;            // (C)
  float* mean = nullptr;               // (C), saved for the backward
  float* inv_std = nullptr;            // (C), saved for the backward
  int64_t M = 0, C = 0;
};
void batchnorm_forward_f32(const BatchNormForwardArgs& a);
void batchnorm_forward_f32_ref(const BatchNormForwardArgs& a);

struct BatchNormBackwardArgs {
  const float* dy = nullptr;       // (M, C)
  const float* x = nullptr;        // (M, C), the forward's input
  const float* mean = nullptr;     // (C), from the forward
  const float* inv_std = nullptr;  // (C), from the forward
  const float* gamma = nullptr;    // (C) or nullptr
  float* dx = nullptr;             // (M, C) or nullptr
  float* dgamma = nullptr;         // (C) or nullptr
  float* dbeta = nullptr;          // (C) or nullptr
  int64_t M = 0, C = 0;
};
void batchnorm_backward_f32(const BatchNormBackwardArgs& a);
void batchnorm_backward_f32_ref(const BatchNormBackwardArgs& a);

}  // namespace treino
