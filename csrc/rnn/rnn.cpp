// Driver of the fused recurrent layers (contract in rnn.h). The batch rows are independent
// through time, so the rows are cut into blocks (a function of B only) that threads take,
// and each block runs the whole sequence inside one parallel region: per step, its input
// projection x_t W, its recurrent product and its gates in the forward; its gate
// gradients, dx_t, dhm and its share of dW, dR and db in the backward, while the step's
// rows are in cache. Each block keeps its own dW, dR and db; they are added in block order
// at the end, so the sums do not depend on the thread count.
//
// The workspace is time-major, so that a block's rows of a step are contiguous (in a
// (B, T, .) layout they sit T rows apart, a multiple of 4 KiB for common shapes, and evict
// each other from L1 in the products). Floats, in order; [t] blocks are indexed by input
// time t(s), [s] blocks by step s:
//   Z   (T, B, G*U)    [t]   the gates' pre-activations, then the activated gates; the
//                            backward turns them into the gate gradients dZ in place
//   HM  (T, B, U)      [t]   hm, the recurrent input of the step (the A of dR += hm^T dZ)
//   LSTM: C (T, B, U) [s] cell states, AC (T, B, U) [s] act(c), C0 (B, U)
//   GRU:  E (T, B, U) [t] r hm (reset_after = false) or hm R_h + b'_h (true); the
//         backward of reset_after overwrites it with the gradient of r (hm R_h + b'_h)
#include <algorithm>
#include <cstring>
#include <vector>

#include "common/dispatch.h"
#include "common/threading.h"
#include "gemm/gemm_internal.h"
#include "rnn/rnn.h"
#include "rnn/rnn_kernels.h"

namespace treino {

namespace {

using gemm::KernelSet;

const rnn_detail::Kernels& row_kernels() { return TREINO_ISA_PICK(rnn_detail::kernels)(); }

const char* const kActNames[] = {"linear", "relu", "relu6", "elu", "selu", "sigmoid",
                                 "hardSigmoid", "tanh", "softplus", "softsign"};

// An operand B (K x N) packed once per call into the micro-kernel's nr-wide panels, the
// whole K in one block: every step of every block reads it again.
struct Packed {
  std::vector<float> buf;
  int64_t K = 0, N = 0;
};

// op(B) is B[:, 0:N] of a K x N block with row stride ldb, or with trans B^T of an
// N x K block.
Packed pack(const KernelSet& ks, bool trans, const float* B, int64_t ldb, int64_t K,
            int64_t N) {
  Packed p;
  p.K = K, p.N = N;
  p.buf.assign(gemm::panel_floats(N, ks.nr, K), 0.f);
  if (K > 0) gemm::pack_b(ks, trans, B, ldb, 0, K, 0, N, p.buf.data());
  return p;
}

// C (m x N, row stride ldc) = A (m x K, row stride lda) @ P + beta * C, on this thread.
void gemm_rows(const KernelSet& ks, int64_t m, const Packed& P, const float* A, int64_t lda,
               float* C, int64_t ldc, float beta) {
  if (P.K == 0) {  // an empty product (no inputs): beta * C
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < P.N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    }
    return;
  }
  for (int64_t jr = 0; jr < P.N; jr += ks.nr) {
    const int w = static_cast<int>(std::min<int64_t>(ks.nr, P.N - jr));
    const float* b = P.buf.data() + (jr / ks.nr) * P.K * ks.nr;
    for (int64_t ir = 0; ir < m; ir += ks.mr) {
      const int h = static_cast<int>(std::min<int64_t>(ks.mr, m - ir));
      ks.ukernel(h, w, P.K, A + ir * lda, lda, 1, b, ks.nr, C + ir * ldc + jr, ldc, 1.f,
                 beta);
    }
  }
}

// C (M x N) += A^T B for A (K x M, row stride lda) and B (K x N, row stride ldb), both
// read in place: a weight gradient's share of one step (K = the block's rows).
void gemm_tn_acc(const KernelSet& ks, int64_t M, int64_t N, int64_t K, const float* A,
                 int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc) {
  if (K == 0) return;
  for (int64_t jr = 0; jr < N; jr += ks.nr) {
    const int w = static_cast<int>(std::min<int64_t>(ks.nr, N - jr));
    for (int64_t ir = 0; ir < M; ir += ks.mr) {
      const int h = static_cast<int>(std::min<int64_t>(ks.mr, M - ir));
      ks.ukernel(h, w, K, A + ir, 1, lda, B + jr, ldb, C + ir * ldc + jr, ldc, 1.f, 1.f);
    }
  }
}

// out[j] += sum over the n rows of x[r * ld + j], j < N.
void add_column_sums(const float* x, int64_t n, int64_t N, int64_t ld, float* out) {
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < N; ++j) out[j] += x[r * ld + j];
  }
}

// The row blocks: whole micro-kernel tiles, about 64 rows each, their number a function
// of B alone (never of the thread count: the weight gradients are summed per block).
struct Blocks {
  int64_t n = 1, tiles = 0, max_rows = 0;
  int64_t first(int64_t c, int64_t mr, int64_t B) const {
    return std::min(B, tiles * c / n * mr);
  }
};

Blocks blocks(const KernelSet& ks, int64_t B) {
  Blocks bl;
  bl.tiles = (B + ks.mr - 1) / ks.mr;
  bl.n = std::max<int64_t>(1, std::min<int64_t>({(B + 63) / 64, bl.tiles, 64}));
  bl.max_rows = std::min(B, (bl.tiles + bl.n - 1) / bl.n * ks.mr);
  return bl;
}

// fn(block, first row, rows) for each block, blocks spread over the threads. Scratch
// space is allocated before (an exception must not leave the parallel region).
template <class Fn>
void for_blocks(const KernelSet& ks, const Blocks& bl, int64_t B, Fn&& fn) {
  parallel_for_chunks(bl.n, bl.n > 1, [&](int64_t c) {
    const int64_t r0 = bl.first(c, ks.mr, B), r1 = bl.first(c + 1, ks.mr, B);
    if (r1 > r0) fn(c, r0, r1 - r0);
  });
}

// dst (n x W, contiguous) = rows r0 .. r0+n-1 at time t of src (B, T, W).
void gather_step(const float* src, int64_t T, int64_t W, int64_t r0, int64_t n, int64_t t,
                 float* dst) {
  for (int64_t r = 0; r < n; ++r) {
    std::memcpy(dst + r * W, src + ((r0 + r) * T + t) * W, static_cast<size_t>(W) * sizeof(float));
  }
}

struct Layout {
  int64_t B, T, I, U, GU, BT;
  float *Z, *HM, *C, *AC, *C0, *E;
};

Layout layout(RnnCell cell, const RnnDims& d, float* ws) {
  Layout l{d.B, d.T, d.I, d.U, rnn_gates(cell) * d.U, d.B * d.T,
           nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  const int64_t btu = l.BT * l.U;
  l.Z = ws;
  l.HM = l.Z + l.BT * l.GU;
  if (cell == RnnCell::Lstm) {
    l.C = l.HM + btu;
    l.AC = l.C + btu;
    l.C0 = l.AC + btu;
  } else if (cell != RnnCell::Simple) {
    l.E = l.HM + btu;
  }
  return l;
}

}  // namespace

bool parse_gate_act(const std::string& name, GateAct* out) {
  for (int i = 0; i < static_cast<int>(GateAct::Count); ++i) {
    if (name == kActNames[i]) {
      *out = static_cast<GateAct>(i);
      return true;
    }
  }
  if (name == "hard_sigmoid") {
    *out = GateAct::HardSigmoid;
    return true;
  }
  return false;
}

std::string gate_act_names() {
  std::string s;
  for (const char* n : kActNames) s += std::string(s.empty() ? "'" : ", '") + n + "'";
  return s;
}

int rnn_gates(RnnCell cell) {
  switch (cell) {
    case RnnCell::Simple: return 1;
    case RnnCell::Lstm: return 4;
    case RnnCell::Gru: case RnnCell::GruResetAfter: return 3;
  }
  return 1;
}

int64_t rnn_workspace_floats(RnnCell cell, const RnnDims& d) {
  const int64_t bt = d.B * d.T;
  int64_t n = bt * rnn_gates(cell) * d.U + bt * d.U;
  if (cell == RnnCell::Lstm) n += 2 * bt * d.U + d.B * d.U;
  if (cell == RnnCell::Gru || cell == RnnCell::GruResetAfter) n += bt * d.U;
  return n;
}

void rnn_forward(RnnCell cell, GateAct act, GateAct rec, const RnnDims& d, bool reverse,
                 const float* x, const float* W, const float* R, const float* b,
                 const float* h0, const float* c0, const float* mask, const float* rmask,
                 float* hseq, float* h_last, float* c_last, float* ws) {
  const Layout L = layout(cell, d, ws);
  const int64_t B = L.B, T = L.T, I = L.I, U = L.U, GU = L.GU, TU = T * U, BU = B * U,
                BGU = B * GU;
  if (B == 0 || T == 0) return;
  const KernelSet& ks = gemm::kernel_set();
  const rnn_detail::Kernels& K = row_kernels();

  std::vector<float> zeros;
  if (!h0 || (cell == RnnCell::Lstm && !c0)) zeros.assign(BU, 0.f);
  if (!h0) h0 = zeros.data();
  if (cell == RnnCell::Lstm) std::memcpy(L.C0, c0 ? c0 : zeros.data(), BU * sizeof(float));

  const bool gru_rb = cell == RnnCell::Gru;
  const Packed PW = pack(ks, false, W, GU, I, GU);
  // GRU reset_after = false needs r before the candidate's product: R in two parts.
  const Packed PR = pack(ks, false, R, GU, U, gru_rb ? 2 * U : GU);
  const Packed PRh = gru_rb ? pack(ks, false, R + 2 * U, GU, U, U) : Packed();
  const float* b_rec = cell == RnnCell::GruResetAfter && b ? b + GU : nullptr;

  const Blocks bl = blocks(ks, B);
  // Per block: the step's x rows, and (reset_after) hm R + b'.
  const int64_t block_floats = bl.max_rows * (I + (cell == RnnCell::GruResetAfter ? GU : 0));
  std::vector<float> scratch(static_cast<size_t>(bl.n * block_floats));
  for_blocks(ks, bl, B, [&](int64_t c, int64_t r0, int64_t n) {
    float* xs = scratch.data() + c * block_floats;
    float* recur = xs + n * I;
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = reverse ? T - 1 - s : s;
      const float* hp = s == 0 ? h0 + r0 * U : hseq + r0 * TU + (s - 1) * U;
      const int64_t ldhp = s == 0 ? U : TU;
      float* hm = L.HM + t * BU + r0 * U;
      for (int64_t r = 0; r < n; ++r) {
        const float* src = hp + r * ldhp;
        float* dst = hm + r * U;
        if (rmask) {
          const float* m = rmask + (r0 + r) * U;
          for (int64_t u = 0; u < U; ++u) dst[u] = src[u] * m[u];
        } else {
          std::memcpy(dst, src, U * sizeof(float));
        }
      }
      // z = x_t W + b, then the recurrent product is added by each cell below.
      float* z = L.Z + t * BGU + r0 * GU;
      gather_step(x, T, I, r0, n, t, xs);
      gemm_rows(ks, n, PW, xs, I, z, GU, 0.f);
      if (b) {
        for (int64_t r = 0; r < n; ++r) {
          for (int64_t j = 0; j < GU; ++j) z[r * GU + j] += b[j];
        }
      }
      float* h = hseq + r0 * TU + s * U;
      const float* keep = mask ? mask + r0 * T + t : nullptr;
      switch (cell) {
        case RnnCell::Simple:
          gemm_rows(ks, n, PR, hm, U, z, GU, 1.f);
          K.simple_fwd(act, n, U, z, GU, hp, ldhp, keep, T, h, TU);
          break;
        case RnnCell::Lstm: {
          const float* cp = s == 0 ? L.C0 + r0 * U : L.C + (s - 1) * BU + r0 * U;
          gemm_rows(ks, n, PR, hm, U, z, GU, 1.f);
          K.lstm_fwd(act, rec, n, U, z, GU, hp, ldhp, cp, U, keep, T, L.C + s * BU + r0 * U,
                     L.AC + s * BU + r0 * U, U, h, TU);
          break;
        }
        case RnnCell::Gru: {
          float* rh = L.E + t * BU + r0 * U;
          gemm_rows(ks, n, PR, hm, U, z, GU, 1.f);
          K.gru_fwd_zr(rec, n, U, z, GU, hm, U, rh, U);
          gemm_rows(ks, n, PRh, rh, U, z + 2 * U, GU, 1.f);
          K.gru_fwd_h(act, n, U, z, GU, hm, U, hp, ldhp, keep, T, h, TU);
          break;
        }
        case RnnCell::GruResetAfter: {
          if (b_rec) {
            for (int64_t r = 0; r < n; ++r) std::memcpy(recur + r * GU, b_rec, GU * sizeof(float));
          }
          gemm_rows(ks, n, PR, hm, U, recur, GU, b_rec ? 1.f : 0.f);
          K.gru_ra_fwd(act, rec, n, U, z, GU, recur, hm, U, hp, ldhp, keep, T,
                       L.E + t * BU + r0 * U, U, h, TU);
          break;
        }
      }
    }
  });

  for (int64_t r = 0; r < B; ++r) {
    std::memcpy(h_last + r * U, hseq + r * TU + (T - 1) * U, U * sizeof(float));
  }
  if (c_last) std::memcpy(c_last, L.C + (T - 1) * BU, BU * sizeof(float));
}

void rnn_backward(RnnCell cell, GateAct act, GateAct rec, const RnnDims& d, bool reverse,
                  const float* x, const float* W, const float* R, const float* mask,
                  const float* rmask, const float* dhseq, const float* dh_last,
                  const float* dc_last, float* ws, float* dx, float* dW, float* dR, float* db,
                  float* dh0, float* dc0) {
  const Layout L = layout(cell, d, ws);
  const int64_t B = L.B, T = L.T, I = L.I, U = L.U, GU = L.GU, TU = T * U, BU = B * U,
                BGU = B * GU;
  const KernelSet& ks = gemm::kernel_set();
  const rnn_detail::Kernels& K = row_kernels();
  const bool gru = cell == RnnCell::Gru || cell == RnnCell::GruResetAfter;
  const bool ra = cell == RnnCell::GruResetAfter;
  const int64_t nb_bias = ra ? 2 * GU : GU;
  if (dW) std::fill(dW, dW + I * GU, 0.f);
  if (dR) std::fill(dR, dR + U * GU, 0.f);
  if (db) std::fill(db, db + nb_bias, 0.f);
  if (B == 0 || T == 0) return;  // (every row of dx is written by its step below)

  // dhm = dZ R^T, a GRU's in two parts (its gates reach hm through different products);
  // dx_t = dZ W^T.
  const Packed PRT = pack(ks, true, R, GU, gru ? 2 * U : GU, U);
  const Packed PRhT = gru ? pack(ks, true, R + 2 * U, GU, U, U) : Packed();
  const Packed PWT = dx ? pack(ks, true, W, GU, GU, I) : Packed();

  // Per block: the carried gradients and row-kernel scratch, the step's x rows, and the
  // block's own dW, dR, db (summed over the blocks in order at the end).
  const Blocks bl = blocks(ks, B);
  const int64_t rows = bl.max_rows;
  const int64_t own = (dW ? I * GU : 0) + (dR ? U * GU : 0) + (db ? nb_bias : 0);
  const int64_t block_floats = 5 * rows * U + 5 * U + (dW ? rows * I : 0) + own;
  std::vector<float> scratch(static_cast<size_t>(bl.n * block_floats), 0.f);
  for_blocks(ks, bl, B, [&](int64_t c, int64_t r0, int64_t n) {
    float* DH = scratch.data() + c * block_floats;  // gradient carried into h_{s-1}
    float* DT = DH + rows * U;                       // this step's total dh
    float* DHM = DT + rows * U;                      // d hm
    float* DC = DHM + rows * U;                      // LSTM: carried dc
    float* DRH = DC + rows * U;                      // GRU reset_after = false: d (r hm)
    float* S = DRH + rows * U;                       // row kernel scratch (5 U)
    float* xs = S + 5 * U;                           // the step's x rows
    float* gW = xs + (dW ? rows * I : 0);            // this block's dW, dR, db
    float* gR = gW + (dW ? I * GU : 0);
    float* gb = gR + (dR ? U * GU : 0);
    if (dh_last) std::memcpy(DH, dh_last + r0 * U, n * U * sizeof(float));
    if (dc_last && cell == RnnCell::Lstm) std::memcpy(DC, dc_last + r0 * U, n * U * sizeof(float));
    for (int64_t s = T - 1; s >= 0; --s) {
      const int64_t t = reverse ? T - 1 - s : s;
      if (dhseq) {
        const float* g = dhseq + r0 * TU + s * U;
        for (int64_t r = 0; r < n; ++r) {
          for (int64_t u = 0; u < U; ++u) DT[r * U + u] = DH[r * U + u] + g[r * TU + u];
        }
      } else {
        std::memcpy(DT, DH, n * U * sizeof(float));
      }
      float* z = L.Z + t * BGU + r0 * GU;
      const float* hm = L.HM + t * BU + r0 * U;
      float* e = gru ? L.E + t * BU + r0 * U : nullptr;
      const float* keep = mask ? mask + r0 * T + t : nullptr;
      switch (cell) {
        case RnnCell::Simple:
          K.simple_bwd(act, n, U, z, GU, DT, keep, T);
          gemm_rows(ks, n, PRT, z, GU, DHM, U, 0.f);
          break;
        case RnnCell::Lstm: {
          const float* cp = s == 0 ? L.C0 + r0 * U : L.C + (s - 1) * BU + r0 * U;
          K.lstm_bwd(act, rec, n, U, z, GU, cp, U, L.AC + s * BU + r0 * U, U, DT, DC, keep,
                     T, S);
          gemm_rows(ks, n, PRT, z, GU, DHM, U, 0.f);
          break;
        }
        case RnnCell::Gru:
          K.gru_bwd_a(act, rec, n, U, z, GU, hm, U, DT, DHM, keep, T, S);
          gemm_rows(ks, n, PRhT, z + 2 * U, GU, DRH, U, 0.f);
          K.gru_bwd_b(rec, n, U, z, GU, hm, U, DRH, DHM, keep, T, S);
          gemm_rows(ks, n, PRT, z, GU, DHM, U, 1.f);
          break;
        case RnnCell::GruResetAfter:
          K.gru_ra_bwd(act, rec, n, U, z, GU, hm, U, e, U, DT, DHM, keep, T, S);
          gemm_rows(ks, n, PRT, z, GU, DHM, U, 1.f);
          gemm_rows(ks, n, PRhT, e, U, DHM, U, 1.f);
          break;
      }
      // h_{s-1} reaches this step through hm = h_{s-1} * rmask only; a masked step
      // passes its whole gradient on.
      for (int64_t r = 0; r < n; ++r) {
        float* dst = DH + r * U;
        if (keep && keep[r * T] == 0.f) {
          std::memcpy(dst, DT + r * U, U * sizeof(float));
        } else if (rmask) {
          const float* m = rmask + (r0 + r) * U;
          for (int64_t u = 0; u < U; ++u) dst[u] = DHM[r * U + u] * m[u];
        } else {
          std::memcpy(dst, DHM + r * U, U * sizeof(float));
        }
      }
      // This step's share of the input and weight gradients (masked rows of z are 0).
      if (dx) gemm_rows(ks, n, PWT, z, GU, dx + (r0 * T + t) * I, T * I, 0.f);
      if (dW) {
        gather_step(x, T, I, r0, n, t, xs);
        gemm_tn_acc(ks, I, GU, n, xs, I, z, GU, gW, GU);
      }
      if (dR) {
        if (!gru) {
          gemm_tn_acc(ks, U, GU, n, hm, U, z, GU, gR, GU);
        } else {
          gemm_tn_acc(ks, U, 2 * U, n, hm, U, z, GU, gR, GU);
          if (!ra) {  // the candidate's product had r hm (in E) as input
            gemm_tn_acc(ks, U, U, n, e, U, z + 2 * U, GU, gR + 2 * U, GU);
          } else {    // its output gradient was r dah (in E)
            gemm_tn_acc(ks, U, U, n, hm, U, e, U, gR + 2 * U, GU);
          }
        }
      }
      if (db) {
        add_column_sums(z, n, GU, GU, gb);
        if (ra) add_column_sums(e, n, U, U, gb + GU + 2 * U);
      }
    }
    if (dh0) std::memcpy(dh0 + r0 * U, DH, n * U * sizeof(float));
    if (dc0 && cell == RnnCell::Lstm) std::memcpy(dc0 + r0 * U, DC, n * U * sizeof(float));
  });

  // The blocks' shares, added in block order.
  for (int64_t c = 0; c < bl.n; ++c) {
    const float* gW = scratch.data() + c * block_floats + 5 * rows * U + 5 * U +
                      (dW ? rows * I : 0);
    const float* gR = gW + (dW ? I * GU : 0);
    const float* gb = gR + (dR ? U * GU : 0);
    if (dW) for (int64_t i = 0; i < I * GU; ++i) dW[i] += gW[i];
    if (dR) for (int64_t i = 0; i < U * GU; ++i) dR[i] += gR[i];
    if (db) for (int64_t i = 0; i < nb_bias; ++i) db[i] += gb[i];
  }
  // b' (reset_after) gets the z and r gradients again.
  if (db && ra) std::memcpy(db + GU, db, 2 * U * sizeof(float));
}

}  // namespace treino
