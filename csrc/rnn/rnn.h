// Fused recurrent layers: a whole sequence through one cell (SimpleRNN, LSTM or GRU), one
// call forward and one call backward through time, with TF.js's cell equations.
//
// Shapes (row-major, contiguous):
//   x (B, T, I)   W (I, G*U)   R (U, G*U)   b (G*U), or (2, G*U) for GRU reset_after
//   h0, c0 (B, U)   mask (B, T) or null   rmask (B, U) or null   hseq (B, T, U)
// with G the gates per cell: 1 SimpleRNN, 4 LSTM (i, f, c, o), 3 GRU (z, r, h). Step s
// (s = 0 .. T-1) reads input time t(s) = s, or T-1-s with `reverse` (go_backwards), and
// writes hseq[:, s]: the output sequence is in processing order, as TF.js returns it.
//
// Cell equations (act = activation, rec = recurrent activation, hm = h_{s-1} * rmask,
// the recurrent dropout; hm = h_{s-1} without rmask):
//   SimpleRNN  h = act(x W + b + hm R)
//   LSTM       [i f g o] = [rec rec act rec](x W + b + hm R)
//              c = f c_{s-1} + i g;  h = o act(c)
//   GRU        z, r = rec(x W_zr + b_zr + hm R_zr)
//     reset_after = false (TF.js):  hh = act(x W_h + b_h + (r hm) R_h)
//     reset_after = true (Keras):   hh = act(x W_h + b_h + r (hm R_h + b'_h)), b' = b[1]
//              h = z hm + (1 - z) hh   (TF.js's GRU updates from the dropped-out state)
// A masked step (mask[b, t(s)] == 0) keeps every state and outputs h_{s-1} (TF.js).
//
// How: the batch rows are independent through time, so threads take disjoint row blocks
// and run the whole sequence on them without meeting again. Per step a block computes
// x_t W + b + hm R with micro-kernel passes (W and R packed once per call) into its rows
// of the gate buffer Z, and a fused row kernel applies the gates and the cell update.
// The backward mirrors it: per step the row kernel turns the saved gates into dZ in place,
// then dhm = dZ R^T, dx_t = dZ W^T and the block's shares of dW, dR and db, while the rows
// are in cache. Each block sums its own weight gradients; the blocks are a function of B
// alone and their sums are added in block order, so results do not depend on the thread
// count.
//
// Activations' derivatives are taken from their outputs; hardSigmoid's is 0.2 where
// 0 < y < 1 and 0 at y = 0 or 1 (TF.js also passes 0.2 at exactly |x| = 2.5).
#pragma once
#include <cstdint>
#include <string>

namespace treino {

enum class RnnCell : int { Simple = 0, Lstm, Gru, GruResetAfter };
enum class GateAct : int {
  Linear = 0, Relu, Relu6, Elu, Selu, Sigmoid, HardSigmoid, Tanh, Softplus, Softsign, Count
};

// TF.js ids ('tanh', 'hardSigmoid' or 'hard_sigmoid', ...); false for anything else.
bool parse_gate_act(const std::string& name, GateAct* out);
std::string gate_act_names();
int rnn_gates(RnnCell cell);

struct RnnDims {
  int64_t B, T, I, U;
};

// Floats of the workspace rnn_forward fills and rnn_backward reads (the saved gates,
// recurrent inputs and cell states).
int64_t rnn_workspace_floats(RnnCell cell, const RnnDims& d);

// Forward. Writes hseq, h_last (B, U), c_last (LSTM only, else null) and the workspace
// (all overwritten). h0 / c0 null: zeros. b null: no bias.
void rnn_forward(RnnCell cell, GateAct act, GateAct rec, const RnnDims& d, bool reverse,
                 const float* x, const float* W, const float* R, const float* b,
                 const float* h0, const float* c0, const float* mask, const float* rmask,
                 float* hseq, float* h_last, float* c_last, float* ws);

// Backward from the gradients of hseq, h_last and c_last (each may be null: no
// gradient). The workspace is consumed (overwritten by the gate gradients). Outputs
// (overwritten) may be null when not wanted: dx (B,T,I), dW, dR, db, dh0, dc0.
void rnn_backward(RnnCell cell, GateAct act, GateAct rec, const RnnDims& d, bool reverse,
                  const float* x, const float* W, const float* R, const float* mask,
                  const float* rmask, const float* dhseq, const float* dh_last,
                  const float* dc_last, float* ws, float* dx, float* dW, float* dR, float* db,
                  float* dh0, float* dc0);

}  // namespace treino
