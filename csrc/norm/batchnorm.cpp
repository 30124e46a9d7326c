// Batch normalization forward/backward (see batchnorm.h). Both paths evaluate the same
// expressions in the same order per element; they differ only in the loop nest (the
// default one sweeps rows so that the compiler vectorises across columns).
#include "norm/batchnorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/cpu.h"

namespace treino {

namespace {

// Per-column scratch; grows to the widest C seen on this thread, never shrinks.
struct Scratch {
  std::vector<double> d;
  std::vector<float> f;
};
Scratch& scratch(int64_t C, int nd, int nf) {
  thread_local Scratch s;
  const size_t c = static_cast<size_t>(C);
  if (s.d.size() < c * nd) s.d.resize(c * nd);
  if (s.f.size() < c * nf) s.f.resize(c * nf);
  return s;
}

// Sums over no rows give 0, not 0 / 0.
double rows_of(int64_t M) { return static_cast<double>(std::max<int64_t>(M, 1)); }

// Everything the forward derives from column c's sum and sum of squared deviations.
void finish_column(const BatchNormForwardArgs& a, int64_t c, double mean, double var) {
  a.mean[c] = static_cast<float>(mean);
  a.inv_std[c] = static_cast<float>(1.0 / std::sqrt(var + a.epsilon));
  const double mm = a.moving_mean[c], mv = a.moving_var[c];
  a.new_mean[c] = static_cast<float>(mm - (mm - mean) * a.decay);
  a.new_var[c] = static_cast<float>(mv - (mv - var) * a.decay);
}

// Column c's y scale (inv_std * gamma) and shift (beta).
inline float scale_of(const BatchNormForwardArgs& a, int64_t c) {
  return a.gamma ? a.inv_std[c] * a.gamma[c] : a.inv_std[c];
}
inline float shift_of(const BatchNormForwardArgs& a, int64_t c) {
  return a.beta ? a.beta[c] : 0.f;
}

}  // namespace

void batchnorm_forward_f32_ref(const BatchNormForwardArgs& a) {
  const int64_t M = a.M, C = a.C;
  const double n = rows_of(M);
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0;
    for (int64_t m = 0; m < M; ++m) sum += static_cast<double>(a.x[m * C + c]);
    const double mean = sum / n;
    double sq = 0;
    for (int64_t m = 0; m < M; ++m) {
      const double d = static_cast<double>(a.x[m * C + c]) - mean;
      sq += d * d;
    }
    finish_column(a, c, mean, sq / n);
    const float mu = a.mean[c], s = scale_of(a, c), b = shift_of(a, c);
    for (int64_t m = 0; m < M; ++m) a.y[m * C + c] = (a.x[m * C + c] - mu) * s + b;
  }
}

void batchnorm_forward_f32(const BatchNormForwardArgs& a) {
  if (active_isa() == Isa::Ref) return batchnorm_forward_f32_ref(a);
  const int64_t M = a.M, C = a.C;
  if (C == 0) return;
  const double n = rows_of(M);
  Scratch& sc = scratch(C, 2, 2);
  double* __restrict sum = sc.d.data();
  double* __restrict sq = sum + C;
  std::fill(sum, sum + 2 * C, 0.0);
  for (int64_t m = 0; m < M; ++m) {
    const float* __restrict xr = a.x + m * C;
    for (int64_t c = 0; c < C; ++c) sum[c] += static_cast<double>(xr[c]);
  }
  for (int64_t c = 0; c < C; ++c) sum[c] /= n;  // now the mean
  for (int64_t m = 0; m < M; ++m) {
    const float* __restrict xr = a.x + m * C;
    for (int64_t c = 0; c < C; ++c) {
      const double d = static_cast<double>(xr[c]) - sum[c];
      sq[c] += d * d;
    }
  }
  float* __restrict s = sc.f.data();
  float* __restrict b = s + C;
  for (int64_t c = 0; c < C; ++c) {
    finish_column(a, c, sum[c], sq[c] / n);
    s[c] = scale_of(a, c);
    b[c] = shift_of(a, c);
  }
  const float* __restrict mu = a.mean;
  for (int64_t m = 0; m < M; ++m) {
    const float* __restrict xr = a.x + m * C;
    float* __restrict yr = a.y + m * C;
    for (int64_t c = 0; c < C; ++c) yr[c] = (xr[c] - mu[c]) * s[c] + b[c];
  }
}

// The backward's per-column constants, from sum_m dy and sum_m dy * xhat:
// dx = k * (dy - b - xhat * g) with k = inv_std * gamma, b = sum_dy / M, g = sum_dyx / M.
namespace {
struct DxCoef {
  float k, b, g;
};
DxCoef dx_coef(const BatchNormBackwardArgs& a, int64_t c, double sum_dy, double sum_dyx,
               double n) {
  const float k = a.gamma ? a.inv_std[c] * a.gamma[c] : a.inv_std[c];
  return {k, static_cast<float>(sum_dy / n), static_cast<float>(sum_dyx / n)};
}
}  // namespace

void batchnorm_backward_f32_ref(const BatchNormBackwardArgs& a) {
  const int64_t M = a.M, C = a.C;
  const double n = rows_of(M);
  for (int64_t c = 0; c < C; ++c) {
    const float mu = a.mean[c], inv = a.inv_std[c];
    double sum_dy = 0, sum_dyx = 0;
    for (int64_t m = 0; m < M; ++m) {
      const float dy = a.dy[m * C + c], xhat = (a.x[m * C + c] - mu) * inv;
      sum_dy += static_cast<double>(dy);
      sum_dyx += static_cast<double>(dy) * static_cast<double>(xhat);
    }
    if (a.dbeta) a.dbeta[c] = static_cast<float>(sum_dy);
    if (a.dgamma) a.dgamma[c] = static_cast<float>(sum_dyx);
    if (!a.dx) continue;
    const DxCoef k = dx_coef(a, c, sum_dy, sum_dyx, n);
    for (int64_t m = 0; m < M; ++m) {
      const float xhat = (a.x[m * C + c] - mu) * inv;
      a.dx[m * C + c] = k.k * (a.dy[m * C + c] - k.b - xhat * k.g);
    }
  }
}

void batchnorm_backward_f32(const BatchNormBackwardArgs& a) {
  if (active_isa() == Isa::Ref) return batchnorm_backward_f32_ref(a);
  const int64_t M = a.M, C = a.C;
  if (C == 0 || (!a.dx && !a.dgamma && !a.dbeta)) return;
  const double n = rows_of(M);
  Scratch& sc = scratch(C, 2, 3);
  double* __restrict sum_dy = sc.d.data();
  double* __restrict sum_dyx = sum_dy + C;
  std::fill(sum_dy, sum_dy + 2 * C, 0.0);
  const float* __restrict mu = a.mean;
  const float* __restrict inv = a.inv_std;
  for (int64_t m = 0; m < M; ++m) {
    const float* __restrict dyr = a.dy + m * C;
    const float* __restrict xr = a.x + m * C;
    for (int64_t c = 0; c < C; ++c) {
      const float xhat = (xr[c] - mu[c]) * inv[c];
      sum_dy[c] += static_cast<double>(dyr[c]);
      sum_dyx[c] += static_cast<double>(dyr[c]) * static_cast<double>(xhat);
    }
  }
  if (a.dbeta)
    for (int64_t c = 0; c < C; ++c) a.dbeta[c] = static_cast<float>(sum_dy[c]);
  if (a.dgamma)
    for (int64_t c = 0; c < C; ++c) a.dgamma[c] = static_cast<float>(sum_dyx[c]);
  if (!a.dx) return;
  float* __restrict kk = sc.f.data();
  float* __restrict kb = kk + C;
  float* __restrict kg = kb + C;
  for (int64_t c = 0; c < C; ++c) {
    const DxCoef k = dx_coef(a, c, sum_dy[c], sum_dyx[c], n);
    kk[c] = k.k, kb[c] = k.b, kg[c] = k.g;
  }
  for (int64_t m = 0; m < M; ++m) {
    const float* __restrict dyr = a.dy + m * C;
    const float* __restrict xr = a.x + m * C;
    float* __restrict dxr = a.dx + m * C;
    for (int64_t c = 0; c < C; ++c) {
      const float xhat = (xr[c] - mu[c]) * inv[c];
      dxr[c] = kk[c] * (dyr[c] - kb[c] - xhat * kg[c]);
    }
  }
}

}  // namespace treino
