// Internal: the elementwise update loops, written once as plain C++ and included by
// optim_ref.cpp, optim_avx2.cpp and optim_avx512.cpp, each compiled with its own ISA
// flags; the compiler vectorizes them (sqrt and division stay IEEE: no -ffast-math).
// Everything here has internal linkage (anonymous namespace), so the three copies
// never collide at link time. Pointers do not alias (checked by the bindings).
#pragma once
#include <cstdint>

#include "optim/optim_kernels.h"

namespace treino::optim_detail {
namespace {

void sgd_loop(float* __restrict p, const float* __restrict g, int64_t n, const Coef& k) {
  const float lr = k.lr;
  for (int64_t i = 0; i < n; ++i) p[i] -= lr * g[i];
}

void momentum_loop(float* __restrict p, const float* __restrict g, float* __restrict a,
                   int64_t n, const Coef& k) {
  const float lr = k.lr, mu = k.a;
  if (k.flag) {
    for (int64_t i = 0; i < n; ++i) {
      const float acc = mu * a[i] + g[i];
      a[i] = acc;
      p[i] -= lr * (g[i] + mu * acc);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float acc = mu * a[i] + g[i];
      a[i] = acc;
      p[i] -= lr * acc;
    }
  }
}

void adagrad_loop(float* __restrict p, const float* __restrict g, float* __restrict a,
                  int64_t n, const Coef& k) {
  const float lr = k.lr, eps = k.eps;
  for (int64_t i = 0; i < n; ++i) {
    const float acc = a[i] + g[i] * g[i];
    a[i] = acc;
    p[i] -= lr * g[i] / __builtin_sqrtf(acc + eps);
  }
}

void adadelta_loop(float* __restrict p, const float* __restrict g, float* __restrict eg,
                   float* __restrict edx, int64_t n, const Coef& k) {
  const float lr = k.lr, rho = k.a, one_m_rho = k.b, eps = k.eps;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float e = rho * eg[i] + one_m_rho * gi * gi;
    const float u = __builtin_sqrtf(edx[i] + eps) / __builtin_sqrtf(e + eps) * gi;
    eg[i] = e;
    edx[i] = rho * edx[i] + one_m_rho * u * u;
    p[i] -= lr * u;
  }
}

void adam_loop(float* __restrict p, const float* __restrict g, float* __restrict m,
               float* __restrict v, int64_t n, const Coef& k) {
  const float lr = k.lr, b1 = k.a, omb1 = k.b, b2 = k.c, omb2 = k.d, eps = k.eps;
  const float inv_bc2 = k.inv_bc2;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = b1 * m[i] + omb1 * gi;
    const float vi = b2 * v[i] + omb2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr * mi / (__builtin_sqrtf(vi * inv_bc2) + eps);
  }
}

void adamax_loop(float* __restrict p, const float* __restrict g, float* __restrict m,
                 float* __restrict u, int64_t n, const Coef& k) {
  const float lr = k.lr, b1 = k.a, omb1 = k.b, b2 = k.c, eps = k.eps;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = b1 * m[i] + omb1 * gi;
    const float decayed = b2 * u[i];
    const float ag = __builtin_fabsf(gi);
    // A NaN gradient propagates (as numpy.maximum and TF.js do).
    const float ui = decayed > ag ? decayed : ag;
    m[i] = mi;
    u[i] = ui;
    p[i] -= lr * mi / (ui + eps);
  }
}

void rmsprop_loop(float* __restrict p, const float* __restrict g, float* __restrict ms,
                  float* __restrict mom, float* __restrict mg, int64_t n, const Coef& k) {
  const float lr = k.lr, d = k.a, omd = k.b, mu = k.c, eps = k.eps;
  if (k.flag) {
    for (int64_t i = 0; i < n; ++i) {
      const float gi = g[i];
      const float s = d * ms[i] + omd * (gi * gi);
      const float mgi = d * mg[i] + omd * gi;
      const float mo = mu * mom[i] + lr * gi / __builtin_sqrtf(s - mgi * mgi + eps);
      ms[i] = s;
      mg[i] = mgi;
      mom[i] = mo;
      p[i] -= mo;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float gi = g[i];
      const float s = d * ms[i] + omd * (gi * gi);
      const float mo = mu * mom[i] + lr * gi / __builtin_sqrtf(s + eps);
      ms[i] = s;
      mom[i] = mo;
      p[i] -= mo;
    }
  }
}

// Function addresses only: constant-initialized, so no ISA-specific code runs at load.
constexpr Kernels kLoops = {&sgd_loop,  &momentum_loop, &adagrad_loop, &adadelta_loop,
                            &adam_loop, &adamax_loop,   &rmsprop_loop};

}  // namespace
}  // namespace treino::optim_detail
