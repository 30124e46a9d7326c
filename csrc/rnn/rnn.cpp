// Driver of the fused recurrent layers (contract in rnn.h): the input projection and the
// weight gradients as whole-sequence GEMMs, the recurrence as one parallel region in which
// each thread runs every time step on its own batch rows.
//
// The workspace is time-major, so that a step's rows are one contiguous block: the
// per-step products read and write whole cache lines (a (B, T, .) layout puts a step's
// rows a multiple of 4 KiB apart, where they evict each other from L1). Floats, in order;
// [t] blocks are indexed by input time t(s), [s] blocks by step s:
//   XT  (T, B, I)            x transposed (the A of dW = XT^T dZ); dx's scratch at the end
//   Z   (T, B, G*U)    [t]   x W (+ b + hm R per step), then the activated gates; the
//                            backward turns them into the gate gradients dZ in place
//   HM  (T, B, U)      [t]   hm, the recurrent input of the step (the A of dR = HM^T dZ)
//   LSTM: C (T, B, U) [s] cell states, AC (T, B, U) [s] act(c), C0 (B, U)
//   GRU:  E (T, B, U) [t] r hm (reset_after = false) or hm R_h + b'_h (true); the
//         backward of reset_after overwrites it with the gradient of r (hm R_h + b'_h)
#include <algorithm>
#include <cstring>
#include <vector>

#include "common/dispatch.h"
#include "common/threading.h"
#include "elementwise/elementwise.h"
#include "gemm/gemm_internal.h"
#include "gemm/sgemm.h"
#include "rnn/rnn.h"
#include "rnn/rnn_kernels.h"

namespace treino {

namespace {

using gemm::KernelSet;

const rnn_detail::Kernels& row_kernels() { return TREINO_ISA_PICK(rnn_detail::kernels)(); }

const char* const kActNames[] = {"linear", "relu", "relu6", "elu", "selu", "sigmoid",
                                 "hardSigmoid", "tanh", "softplus", "softsign"};

// An operand B (K x N) packed once per call into the micro-kernel's nr-wide panels,
// the whole K in one block: the recurrent kernels are small (U x 4U) and every step
// of every thread reads them again.
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
  gemm::pack_b(ks, trans, B, ldb, 0, K, 0, N, p.buf.data());
  return p;
}

// C (m x N, row stride ldc) = A (m x K, row stride lda) @ P + beta * C, on this thread.
void gemm_rows(const KernelSet& ks, int64_t m, const Packed& P, const float* A, int64_t lda,
               float* C, int64_t ldc, float beta) {
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

// The row blocks of the recurrence: whole micro-kernel tiles, one block per thread.
// Each row's result is the same in any block (see sgemm_kernels.h), so the split only
// affects speed. fn(block, first row, rows) runs for each block; scratch space is
// allocated before the parallel region (an exception must not leave it).
struct RowBlocks {
  int64_t n = 1, tiles = 0, max_rows = 0;
};

RowBlocks row_blocks(const KernelSet& ks, int64_t B) {
  RowBlocks rb;
  rb.tiles = (B + ks.mr - 1) / ks.mr;
  rb.n = std::max<int64_t>(1, std::min<int64_t>(num_threads(), rb.tiles));
  rb.max_rows = std::min(B, (rb.tiles + rb.n - 1) / rb.n * ks.mr);
  return rb;
}

template <class Fn>
void for_row_blocks(const KernelSet& ks, const RowBlocks& rb, int64_t B, Fn&& fn) {
  parallel_for_chunks(rb.n, rb.n > 1, [&](int64_t c) {
    const int64_t r0 = std::min(B, rb.tiles * c / rb.n * ks.mr);
    const int64_t r1 = std::min(B, rb.tiles * (c + 1) / rb.n * ks.mr);
    if (r1 > r0) fn(c, r0, r1 - r0);
  });
}

struct Layout {
  int64_t B, T, I, U, GU, BT;
  float *XT, *Z, *HM, *C, *AC, *C0, *E;
};

Layout layout(RnnCell cell, const RnnDims& d, float* ws) {
  Layout l{d.B, d.T, d.I, d.U, rnn_gates(cell) * d.U, d.B * d.T,
           nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  const int64_t btu = l.BT * l.U;
  l.XT = ws;
  l.Z = l.XT + l.BT * l.I;
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

// dst[b, t, :] = src[t, b, :] (to_batch) or dst[t, b, :] = src[b, t, :], rows of W floats.
void transpose_bt(const float* src, float* dst, int64_t B, int64_t T, int64_t W,
                  bool to_batch) {
  const int64_t chunks = std::min<int64_t>(T, 64);
  parallel_for_chunks(chunks, B * T * W >= (int64_t{1} << 16), [&](int64_t c) {
    for (int64_t t = T * c / chunks; t < T * (c + 1) / chunks; ++t) {
      for (int64_t b = 0; b < B; ++b) {
        const float* from = to_batch ? src + (t * B + b) * W : src + (b * T + t) * W;
        float* to = to_batch ? dst + (b * T + t) * W : dst + (t * B + b) * W;
        std::memcpy(to, from, static_cast<size_t>(W) * sizeof(float));
      }
    }
  });
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
  int64_t n = bt * d.I + bt * rnn_gates(cell) * d.U + bt * d.U;
  if (cell == RnnCell::Lstm) n += 2 * bt * d.U + d.B * d.U;
  if (cell == RnnCell::Gru || cell == RnnCell::GruResetAfter) n += bt * d.U;
  return n;
}

void rnn_forward(RnnCell cell, GateAct act, GateAct rec, const RnnDims& d, bool reverse,
                 const float* x, const float* W, const float* R, const float* b,
                 const float* h0, const float* c0, const float* mask, const float* rmask,
                 float* hseq, float* h_last, float* c_last, float* ws) {
  const Layout L = layout(cell, d, ws);
  const int64_t B = L.B, T = L.T, U = L.U, GU = L.GU, TU = T * U, BU = B * U, BGU = B * GU;
  if (B == 0 || T == 0) return;
  const KernelSet& ks = gemm::kernel_set();
  const rnn_detail::Kernels& K = row_kernels();

  // Z = x W for every (t, b) at once; each step adds b to its rows while they are in
  // cache (filling the whole Z with b first would cost a pass over memory).
  transpose_bt(x, L.XT, B, T, L.I, false);
  sgemm(false, false, L.BT, GU, L.I, 1.f, L.XT, L.I, W, GU, 0.f, L.Z, GU);

  std::vector<float> zeros;
  if (!h0 || (cell == RnnCell::Lstm && !c0)) zeros.assign(BU, 0.f);
  if (!h0) h0 = zeros.data();
  if (cell == RnnCell::Lstm) std::memcpy(L.C0, c0 ? c0 : zeros.data(), BU * sizeof(float));

  const bool gru_rb = cell == RnnCell::Gru;
  // GRU reset_after = false needs r before the candidate's product: R in two parts.
  const Packed PR = pack(ks, false, R, GU, U, gru_rb ? 2 * U : GU);
  const Packed PRh = gru_rb ? pack(ks, false, R + 2 * U, GU, U, U) : Packed();
  const float* b_rec = cell == RnnCell::GruResetAfter && b ? b + GU : nullptr;

  const RowBlocks rb = row_blocks(ks, B);
  const int64_t recur_floats = cell == RnnCell::GruResetAfter ? rb.max_rows * GU : 0;
  std::vector<float> recur_all(static_cast<size_t>(rb.n * recur_floats));
  for_row_blocks(ks, rb, B, [&](int64_t c, int64_t r0, int64_t n) {
    float* recur = recur_all.data() + c * recur_floats;  // hm R + b' (reset_after)
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
      float* z = L.Z + t * BGU + r0 * GU;
      float* h = hseq + r0 * TU + s * U;
      const float* keep = mask ? mask + r0 * T + t : nullptr;
      if (b) {
        for (int64_t r = 0; r < n; ++r) {
          for (int64_t j = 0; j < GU; ++j) z[r * GU + j] += b[j];
        }
      }
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
                  const float* W, const float* R, const float* mask,
                  const float* rmask, const float* dhseq,
                  const float* dh_last, const float* dc_last, float* ws, float* dx, float* dW,
                  float* dR, float* db, float* dh0, float* dc0) {
  const Layout L = layout(cell, d, ws);
  const int64_t B = L.B, T = L.T, U = L.U, GU = L.GU, TU = T * U, BU = B * U, BGU = B * GU;
  const KernelSet& ks = gemm::kernel_set();
  const rnn_detail::Kernels& K = row_kernels();
  const bool gru = cell == RnnCell::Gru || cell == RnnCell::GruResetAfter;

  // dhm = dZ R^T; a GRU's in two parts (its gates reach hm through different products).
  const Packed PRT = pack(ks, true, R, GU, gru ? 2 * U : GU, U);
  const Packed PRhT = gru ? pack(ks, true, R + 2 * U, GU, U, U) : Packed();

  if (B > 0 && T > 0) {
    const RowBlocks rb = row_blocks(ks, B);
    const int64_t block_floats = 5 * rb.max_rows * U + 5 * U;
    std::vector<float> buf_all(static_cast<size_t>(rb.n * block_floats), 0.f);
    for_row_blocks(ks, rb, B, [&](int64_t c, int64_t r0, int64_t n) {
      float* DH = buf_all.data() + c * block_floats;  // gradient carried into h_{s-1}
      float* DT = DH + n * U;       // this step's total dh
      float* DHM = DT + n * U;      // d hm
      float* DC = DHM + n * U;      // LSTM: carried dc
      float* DRH = DC + n * U;      // GRU reset_after = false: d (r hm)
      float* S = DRH + n * U;       // row kernel scratch (5 U)
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
          case RnnCell::GruResetAfter: {
            float* e = L.E + t * BU + r0 * U;
            K.gru_ra_bwd(act, rec, n, U, z, GU, hm, U, e, U, DT, DHM, keep, T, S);
            gemm_rows(ks, n, PRT, z, GU, DHM, U, 1.f);
            gemm_rows(ks, n, PRhT, e, U, DHM, U, 1.f);
            break;
          }
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
      }
      if (dh0) std::memcpy(dh0 + r0 * U, DH, n * U * sizeof(float));
      if (dc0 && cell == RnnCell::Lstm) std::memcpy(dc0 + r0 * U, DC, n * U * sizeof(float));
    });
  }

  // The weight gradients over every (t, b) at once. Masked steps left zero rows in Z.
  const int64_t BT = L.BT;
  if (dW) sgemm(true, false, L.I, GU, BT, 1.f, L.XT, L.I, L.Z, GU, 0.f, dW, GU);
  if (dR) {
    if (!gru) {
      sgemm(true, false, U, GU, BT, 1.f, L.HM, U, L.Z, GU, 0.f, dR, GU);
    } else {
      sgemm(true, false, U, 2 * U, BT, 1.f, L.HM, U, L.Z, GU, 0.f, dR, GU);
      if (cell == RnnCell::Gru) {  // the candidate's product had r hm (in E) as input
        sgemm(true, false, U, U, BT, 1.f, L.E, U, L.Z + 2 * U, GU, 0.f, dR + 2 * U, GU);
      } else {  // its output gradient was r dah (in E)
        sgemm(true, false, U, U, BT, 1.f, L.HM, U, L.E, U, 0.f, dR + 2 * U, GU);
      }
    }
  }
  if (db) {
    column_sum(L.Z, BT, GU, db);
    if (cell == RnnCell::GruResetAfter) {  // b' gets the z, r gradients again, and r dah
      std::memcpy(db + GU, db, 2 * U * sizeof(float));
      column_sum(L.E, BT, U, db + GU + 2 * U);
    }
  }
  if (dx) {  // dx^T = dZ W^T, time-major in XT's place (dW has read XT), then transposed
    sgemm(false, true, BT, L.I, GU, 1.f, L.Z, GU, W, GU, 0.f, L.XT, L.I);
    transpose_bt(L.XT, dx, B, T, L.I, true);
  }
}

}  // namespace treino
