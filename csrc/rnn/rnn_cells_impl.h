// Internal: the row kernels of rnn_kernels.h, written once and compiled per ISA (included
// exactly once by each of rnn_ref.cpp, rnn_avx2.cpp and rnn_avx512.cpp, which differ only
// in their compile flags; anonymous namespace: the copies never meet).
//
// Per row, each activation is one tight loop over a gate block (the switch on the
// activation sits outside the loop, so the loop vectorizes) and the cell update is one
// more loop over the row, all while the row is in L1: the gates of a row are read from
// memory once per step. The math is elementwise/vmath_impl.h's (the same tanh and
// sigmoid as the elementwise ops).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "elementwise/activation.h"
#include "elementwise/vmath_impl.h"
#include "rnn/rnn_kernels.h"

namespace treino::rnn_detail {
namespace {

using ew_detail::expm1_f;
using ew_detail::kInf;
using ew_detail::sigmoid_f;
using ew_detail::softplus_f;
using ew_detail::tanh_f;

#define TREINO_RNN_MAP(EXPR) \
  for (int64_t i = 0; i < n; ++i) { const float v = y[i]; y[i] = (EXPR); } \
  return

// y = act(y), in place.
void act_span(GateAct a, float* y, int64_t n) {
  switch (a) {
    case GateAct::Linear: return;
    case GateAct::Relu: TREINO_RNN_MAP(v < 0.f ? 0.f : v);
    case GateAct::Relu6: TREINO_RNN_MAP(v < 0.f ? 0.f : (v > 6.f ? 6.f : v));
    case GateAct::Elu: TREINO_RNN_MAP(v > 0.f ? v : expm1_f(v));
    case GateAct::Selu: TREINO_RNN_MAP(kSeluScale * (v > 0.f ? v : kSeluAlpha * expm1_f(v)));
    case GateAct::Sigmoid: TREINO_RNN_MAP(sigmoid_f(v));
    case GateAct::HardSigmoid: {
      // TF.js: clip(0.2 x + 0.5, 0, 1).
      for (int64_t i = 0; i < n; ++i) {
        const float u = 0.2f * y[i] + 0.5f;
        y[i] = u < 0.f ? 0.f : (u > 1.f ? 1.f : u);
      }
      return;
    }
    case GateAct::Tanh: TREINO_RNN_MAP(tanh_f(v));
    case GateAct::Softplus: TREINO_RNN_MAP(softplus_f(v));
    case GateAct::Softsign: {
      for (int64_t i = 0; i < n; ++i) {
        const float v = y[i];
        const float r = v / (1.f + std::fabs(v));
        y[i] = std::fabs(v) == kInf ? std::copysign(1.f, v) : r;
      }
      return;
    }
    case GateAct::Count: return;
  }
}
#undef TREINO_RNN_MAP

// d = act'(x) written through y = act(x) (conventions of elementwise/activation.h).
void act_deriv(GateAct a, const float* y, float* d, int64_t n) {
#define TREINO_RNN_D(EXPR) \
  for (int64_t i = 0; i < n; ++i) { const float v = y[i]; d[i] = (EXPR); } \
  return
  switch (a) {
    case GateAct::Linear:
      for (int64_t i = 0; i < n; ++i) d[i] = 1.f;
      return;
    case GateAct::Relu: TREINO_RNN_D(v > 0.f ? 1.f : 0.f);
    case GateAct::Relu6: TREINO_RNN_D(v > 0.f && v < 6.f ? 1.f : 0.f);
    case GateAct::Elu: TREINO_RNN_D(v >= 0.f ? 1.f : v + 1.f);
    case GateAct::Selu: TREINO_RNN_D(v > 0.f ? kSeluScale : v + kSeluScale * kSeluAlpha);
    case GateAct::Sigmoid: TREINO_RNN_D(v * (1.f - v));
    case GateAct::HardSigmoid: TREINO_RNN_D(v > 0.f && v < 1.f ? 0.2f : 0.f);
    case GateAct::Tanh: TREINO_RNN_D((1.f - v) * (1.f + v));
    case GateAct::Softplus: TREINO_RNN_D(-expm1_f(-v));
    case GateAct::Softsign: TREINO_RNN_D((1.f - std::fabs(v)) * (1.f - std::fabs(v)));
    case GateAct::Count: return;
  }
#undef TREINO_RNN_D
}

inline bool kept(const float* keep, int64_t ldk, int64_t r) {
  return keep == nullptr || keep[r * ldk] != 0.f;
}

inline void copy_row(const float* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

inline void zero_row(float* dst, int64_t n) {
  std::memset(dst, 0, static_cast<size_t>(n) * sizeof(float));
}

void simple_fwd_k(GateAct act, int64_t n, int64_t U, float* z, int64_t ldz,
                  const float* hprev, int64_t ldhp, const float* keep, int64_t ldk, float* h,
                  int64_t ldh) {
  for (int64_t r = 0; r < n; ++r) {
    float* zr = z + r * ldz;
    if (!kept(keep, ldk, r)) {
      copy_row(hprev + r * ldhp, h + r * ldh, U);
      continue;
    }
    act_span(act, zr, U);
    copy_row(zr, h + r * ldh, U);
  }
}

void simple_bwd_k(GateAct act, int64_t n, int64_t U, float* z, int64_t ldz, const float* dh,
                  const float* keep, int64_t ldk) {
  for (int64_t r = 0; r < n; ++r) {
    float* zr = z + r * ldz;
    if (!kept(keep, ldk, r)) {
      zero_row(zr, U);
      continue;
    }
    const float* g = dh + r * U;
    act_deriv(act, zr, zr, U);
    for (int64_t u = 0; u < U; ++u) zr[u] *= g[u];
  }
}

void lstm_fwd_k(GateAct act, GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz,
                const float* hprev, int64_t ldhp, const float* cprev, int64_t ldcp,
                const float* keep, int64_t ldk, float* c, float* ac, int64_t ldc, float* h,
                int64_t ldh) {
  for (int64_t r = 0; r < n; ++r) {
    float* zr = z + r * ldz;
    const float* cp = cprev + r * ldcp;
    float* cr = c + r * ldc;
    float* acr = ac + r * ldc;
    float* hr = h + r * ldh;
    if (!kept(keep, ldk, r)) {
      copy_row(hprev + r * ldhp, hr, U);
      copy_row(cp, cr, U);
      zero_row(acr, U);
      continue;
    }
    act_span(rec, zr, 2 * U);
    act_span(act, zr + 2 * U, U);
    act_span(rec, zr + 3 * U, U);
    const float* gi = zr;
    const float* gf = zr + U;
    const float* gg = zr + 2 * U;
    const float* go = zr + 3 * U;
    for (int64_t u = 0; u < U; ++u) {
      const float cv = gf[u] * cp[u] + gi[u] * gg[u];
      cr[u] = cv;
      acr[u] = cv;
    }
    act_span(act, acr, U);
    for (int64_t u = 0; u < U; ++u) hr[u] = go[u] * acr[u];
  }
}

void lstm_bwd_k(GateAct act, GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz,
                const float* cprev, int64_t ldcp, const float* ac, int64_t ldac,
                const float* dh, float* dc, const float* keep, int64_t ldk, float* scratch) {
  float* D = scratch;  // gate derivatives [i f g o] then act'(c)
  for (int64_t r = 0; r < n; ++r) {
    float* zr = z + r * ldz;
    if (!kept(keep, ldk, r)) {  // the carried dc passes on unchanged
      zero_row(zr, 4 * U);
      continue;
    }
    const float* cp = cprev + r * ldcp;
    const float* acr = ac + r * ldac;
    const float* g = dh + r * U;
    float* dcr = dc + r * U;
    act_deriv(rec, zr, D, 2 * U);
    act_deriv(act, zr + 2 * U, D + 2 * U, U);
    act_deriv(rec, zr + 3 * U, D + 3 * U, U);
    act_deriv(act, acr, D + 4 * U, U);
    for (int64_t u = 0; u < U; ++u) {
      const float i = zr[u], f = zr[U + u], gv = zr[2 * U + u], o = zr[3 * U + u];
      const float dct = dcr[u] + g[u] * o * D[4 * U + u];
      zr[u] = dct * gv * D[u];
      zr[U + u] = dct * cp[u] * D[U + u];
      zr[2 * U + u] = dct * i * D[2 * U + u];
      zr[3 * U + u] = g[u] * acr[u] * D[3 * U + u];
      dcr[u] = dct * f;
    }
  }
}

void gru_fwd_zr_k(GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz, const float* hm,
                  int64_t ldhm, float* rh, int64_t ldrh) {
  for (int64_t r = 0; r < n; ++r) {
    float* zr = z + r * ldz;
    const float* hmr = hm + r * ldhm;
    float* rhr = rh + r * ldrh;
    act_span(rec, zr, 2 * U);
    for (int64_t u = 0; u < U; ++u) rhr[u] = zr[U + u] * hmr[u];
  }
}

void gru_fwd_h_k(GateAct act, int64_t n, int64_t U, float* z, int64_t ldz, const float* hm,
                 int64_t ldhm, const float* hprev, int64_t ldhp, const float* keep,
                 int64_t ldk, float* h, int64_t ldh) {
  for (int64_t r = 0; r < n; ++r) {
    float* zr = z + r * ldz;
    float* hr = h + r * ldh;
    if (!kept(keep, ldk, r)) {
      copy_row(hprev + r * ldhp, hr, U);
      continue;
    }
    const float* hmr = hm + r * ldhm;
    act_span(act, zr + 2 * U, U);
    for (int64_t u = 0; u < U; ++u) {
      const float zg = zr[u];
      hr[u] = zg * hmr[u] + (1.f - zg) * zr[2 * U + u];
    }
  }
}

void gru_ra_fwd_k(GateAct act, GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz,
                  const float* recur, const float* hm, int64_t ldhm, const float* hprev,
                  int64_t ldhp, const float* keep, int64_t ldk, float* e, int64_t lde,
                  float* h, int64_t ldh) {
  for (int64_t r = 0; r < n; ++r) {
    float* zr = z + r * ldz;
    float* er = e + r * lde;
    float* hr = h + r * ldh;
    const float* rc = recur + r * 3 * U;
    if (!kept(keep, ldk, r)) {
      copy_row(hprev + r * ldhp, hr, U);
      zero_row(er, U);
      continue;
    }
    const float* hmr = hm + r * ldhm;
    for (int64_t u = 0; u < 2 * U; ++u) zr[u] += rc[u];
    act_span(rec, zr, 2 * U);
    for (int64_t u = 0; u < U; ++u) {
      er[u] = rc[2 * U + u];
      zr[2 * U + u] += zr[U + u] * er[u];
    }
    act_span(act, zr + 2 * U, U);
    for (int64_t u = 0; u < U; ++u) {
      const float zg = zr[u];
      hr[u] = zg * hmr[u] + (1.f - zg) * zr[2 * U + u];
    }
  }
}

void gru_bwd_a_k(GateAct act, GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz,
                 const float* hm, int64_t ldhm, const float* dh, float* dhm,
                 const float* keep, int64_t ldk, float* scratch) {
  float* Dz = scratch;
  float* Dh = scratch + U;
  for (int64_t r = 0; r < n; ++r) {
    float* zr = z + r * ldz;
    float* dhmr = dhm + r * U;
    if (!kept(keep, ldk, r)) {
      zero_row(zr, 3 * U);
      zero_row(dhmr, U);
      continue;
    }
    const float* hmr = hm + r * ldhm;
    const float* g = dh + r * U;
    act_deriv(rec, zr, Dz, U);
    act_deriv(act, zr + 2 * U, Dh, U);
    for (int64_t u = 0; u < U; ++u) {
      const float zg = zr[u], hh = zr[2 * U + u];
      zr[u] = g[u] * (hmr[u] - hh) * Dz[u];
      zr[2 * U + u] = g[u] * (1.f - zg) * Dh[u];
      dhmr[u] = g[u] * zg;
    }
  }
}

void gru_bwd_b_k(GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz, const float* hm,
                 int64_t ldhm, const float* drh, float* dhm, const float* keep, int64_t ldk,
                 float* scratch) {
  float* Dr = scratch;
  for (int64_t r = 0; r < n; ++r) {
    if (!kept(keep, ldk, r)) continue;  // gru_bwd_a zeroed the row
    float* zr = z + r * ldz;
    const float* hmr = hm + r * ldhm;
    const float* d = drh + r * U;
    float* dhmr = dhm + r * U;
    act_deriv(rec, zr + U, Dr, U);
    for (int64_t u = 0; u < U; ++u) {
      const float rv = zr[U + u];
      zr[U + u] = d[u] * hmr[u] * Dr[u];
      dhmr[u] += d[u] * rv;
    }
  }
}

void gru_ra_bwd_k(GateAct act, GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz,
                  const float* hm, int64_t ldhm, float* e, int64_t lde, const float* dh,
                  float* dhm, const float* keep, int64_t ldk, float* scratch) {
  float* D = scratch;  // rec'(z), rec'(r), act'(hh)
  for (int64_t r = 0; r < n; ++r) {
    float* zr = z + r * ldz;
    float* er = e + r * lde;
    float* dhmr = dhm + r * U;
    if (!kept(keep, ldk, r)) {
      zero_row(zr, 3 * U);
      zero_row(er, U);
      zero_row(dhmr, U);
      continue;
    }
    const float* hmr = hm + r * ldhm;
    const float* g = dh + r * U;
    act_deriv(rec, zr, D, 2 * U);
    act_deriv(act, zr + 2 * U, D + 2 * U, U);
    for (int64_t u = 0; u < U; ++u) {
      const float zg = zr[u], rv = zr[U + u], hh = zr[2 * U + u];
      const float dah = g[u] * (1.f - zg) * D[2 * U + u];
      zr[u] = g[u] * (hmr[u] - hh) * D[u];
      zr[U + u] = dah * er[u] * D[U + u];
      zr[2 * U + u] = dah;
      er[u] = dah * rv;
      dhmr[u] = g[u] * zg;
    }
  }
}

const Kernels kTable = {simple_fwd_k, simple_bwd_k, lstm_fwd_k,   lstm_bwd_k,
                        gru_fwd_zr_k, gru_fwd_h_k,  gru_ra_fwd_k, gru_bwd_a_k,
                        gru_bwd_b_k,  gru_ra_bwd_k};

}  // namespace
}  // namespace treino::rnn_detail
