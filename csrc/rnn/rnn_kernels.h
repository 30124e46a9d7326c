// Internal: the per-ISA row kernels of the recurrent cells (rnn_cells_impl.h, compiled
// by rnn_ref.cpp, rnn_avx2.cpp and rnn_avx512.cpp) and the driver's view of them.
//
// A row kernel handles n batch rows of ONE time step, every array row-major with the row
// strides given (the driver's buffers are time-major, so most rows are contiguous; the
// outputs h and the masks are views into (B, T, .) arrays, a row stride of T rows). `keep` (stride ldk) is the sequence mask of those rows at this
// step, or null for "all kept". `scratch` holds at least 5 * U floats. Gate blocks in a
// z row follow the weight layout: LSTM [i f g o], GRU [z r h], each U wide.
//
// Forward (z holds x W + b + hm R on entry where noted; activated gates on exit):
//   simple_fwd   h = act(z); z = h (the saved output); masked: h = hprev
//   lstm_fwd     gates, c, ac = act(c), h = o ac; masked: h = hprev, c = cprev
//   gru_fwd_zr   z, r = rec(z[0:2U]) (the hm R_zr part added); rh = r hm
//   gru_fwd_h    hh = act(z[2U:3U]) ((r hm) R_h added); h = z hm + (1 - z) hh
//   gru_ra_fwd   reset_after: rec (n, 3U) holds hm R + b'; z, r = rec(z + rec),
//                e = rec_h, hh = act(z_h + r e); h as above
// Backward (dh: this step's total output gradient, contiguous (n, U)):
//   simple_bwd   z = dh act'(z)
//   lstm_bwd     z = gate gradients; dc (in: the carried dc_s, out: dc_{s-1})
//   gru_bwd_a    z_z = dz rec'(z); z_h = dhh act'(hh); dhm = dh z (direct term)
//   gru_bwd_b    (drh = z_h R_h^T given) z_r = drh hm rec'(r); dhm += drh r
//   gru_ra_bwd   z = [dz rec'(z), dr rec'(r), dah]; e = dah r; dhm = dh z
// Masked rows get z = 0 (and e = 0, dhm = 0): no gradient reaches the weights.
#pragma once
#include <cstdint>

#include "rnn/rnn.h"

namespace treino::rnn_detail {

struct Kernels {
  void (*simple_fwd)(GateAct act, int64_t n, int64_t U, float* z, int64_t ldz,
                     const float* hprev, int64_t ldhp, const float* keep, int64_t ldk,
                     float* h, int64_t ldh);
  void (*simple_bwd)(GateAct act, int64_t n, int64_t U, float* z, int64_t ldz,
                     const float* dh, const float* keep, int64_t ldk);
  void (*lstm_fwd)(GateAct act, GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz,
                   const float* hprev, int64_t ldhp, const float* cprev, int64_t ldcp,
                   const float* keep, int64_t ldk, float* c, float* ac, int64_t ldc,
                   float* h, int64_t ldh);
  void (*lstm_bwd)(GateAct act, GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz,
                   const float* cprev, int64_t ldcp, const float* ac, int64_t ldac,
                   const float* dh, float* dc, const float* keep, int64_t ldk, float* scratch);
  void (*gru_fwd_zr)(GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz,
                     const float* hm, int64_t ldhm, float* rh, int64_t ldrh);
  void (*gru_fwd_h)(GateAct act, int64_t n, int64_t U, float* z, int64_t ldz,
                    const float* hm, int64_t ldhm, const float* hprev, int64_t ldhp,
                    const float* keep, int64_t ldk, float* h, int64_t ldh);
  void (*gru_ra_fwd)(GateAct act, GateAct rec, int64_t n, int64_t U, float* z,
                     int64_t ldz, const float* recur, const float* hm, int64_t ldhm,
                     const float* hprev, int64_t ldhp, const float* keep, int64_t ldk,
                     float* e, int64_t lde, float* h, int64_t ldh);
  void (*gru_bwd_a)(GateAct act, GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz,
                    const float* hm, int64_t ldhm, const float* dh, float* dhm,
                    const float* keep, int64_t ldk, float* scratch);
  void (*gru_bwd_b)(GateAct rec, int64_t n, int64_t U, float* z, int64_t ldz,
                    const float* hm, int64_t ldhm, const float* drh, float* dhm,
                    const float* keep, int64_t ldk, float* scratch);
  void (*gru_ra_bwd)(GateAct act, GateAct rec, int64_t n, int64_t U, float* z,
                     int64_t ldz, const float* hm, int64_t ldhm, float* e, int64_t lde,
                     const float* dh, float* dhm, const float* keep, int64_t ldk,
                     float* scratch);
};

const Kernels& kernels_ref();
#if defined(TREINO_X86)
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();
#endif

}  // namespace treino::rnn_detail
