// Fast convolution (contract in conv.h): the GEMM's micro-kernels over pieces of the
// im2col matrix X that are packed on the fly (conv_internal.h), never stored whole.
//
//   forward  y (M x oc) = X (M x K) W (K x oc), M = n*oh*ow, K = fh*fw*c. The filter is
//            packed once per call into the GEMM's nr-wide panels. Threads take fixed
//            chunks of output rows; for each K block and each mr-row piece of a chunk,
//            the X rows are copied from x (each tap is a run of channels) and read by
//            the micro-kernel as an unpacked A, times every filter panel; bias and
//            activation follow on the chunk while it is in cache.
//            A 1x1, stride-1, unpadded conv reads x in place (x is X). A filter of at
//            most kDirectMaxK rows (a first layer on 1-3 channel images) skips the GEMM:
//            per pixel, the window's values times the filter in vector registers.
//   dw       dw (K x oc) = X^T dz. The pixels are split into chunks fixed by the shape
//            (never by the thread count); a work item is (chunk, block of X columns):
//            the X rows of an L1-sized block of pixels are copied as above and read as
//            A^T, dz as B in place (or, for a small filter, the direct path's loop);
//            the partial sums are added in chunk order.
//   dx       per fixed chunk of whole images: a tile of mr rows of dX = dz W^T (dz read
//            in place, W^T packed once), then col2im adds it into dx, pixels and taps in
//            order.
//   dz = dy * act'(y) is formed a block of rows at a time where it is used, never in a
//   pass of its own over the batch; db is summed from those blocks (in double).
// Each output element is one chain of multiply-adds in a fixed order (per K block, as
// the GEMM), so results are bit-identical for any thread count.
#include <algorithm>
#include <atomic>
#include <new>
#include <vector>

#include "common/dispatch.h"
#include "common/threading.h"
#include "conv/conv.h"
#include "conv/conv_internal.h"
#include "elementwise/elementwise.h"
#include "elementwise/ew_kernels.h"
#include "gemm/gemm_internal.h"

namespace treino {

namespace {

using conv_detail::kMaxKc;
using conv_detail::kMaxMr;
using gemm::KernelSet;

// Below this many flops a call runs on one thread (as sgemm).
constexpr double kParallelMinFlops = 4e6;
// Forward chunk: about this many floats of y (64 KiB), still in L2 for the epilogue.
constexpr int64_t kChunkFloats = 16384;
// dw: about one pixel chunk per kDwChunkFlops, at most kMaxDwChunks of them, each of at
// least kDwMinChunkPixels pixels, and their partial sums at most kMaxPartialFloats in all.
// Within a chunk, blocks of pixels whose X rows fit in kDwBlockFloats (32 KiB, L1).
constexpr double kDwChunkFlops = 8e6;
constexpr int64_t kMaxDwChunks = 16;
constexpr int64_t kDwMinChunkPixels = 32;
constexpr int64_t kMaxPartialFloats = int64_t{1} << 22;
constexpr int64_t kDwBlockFloats = 8192;
// dx: chunks of whole images with at least this many output pixels.
constexpr int64_t kDxChunkPixels = 96;

thread_local gemm::Scratch tl_filter, tl_partial, tl_dzb, tl_tile;

// op(B) (kdim x ncols) packed whole: K block q (kcb rows, the last one shorter) holds its
// nr-wide panels one after another, as gemm::pack_b lays out one block.
struct PackedB {
  const float* base;
  int64_t kcb, kdim, npan;
  int nr;
  const float* panel(int64_t q, int64_t jp) const {
    const int64_t kc = std::min(kcb, kdim - q * kcb);
    return base + q * kcb * npan * nr + jp * kc * nr;
  }
};

// Packs the filter w (K x oc, row stride ldw): op(B) = w, or w^T with trans.
PackedB pack_filter(const KernelSet& ks, bool trans, const float* w, int64_t ldw,
                    int64_t kdim, int64_t ncols) {
  PackedB pb;
  pb.kcb = gemm::balanced(kdim, std::min<int64_t>(ks.kc, kMaxKc), 1);
  pb.kdim = kdim;
  pb.nr = ks.nr;
  pb.npan = (ncols + ks.nr - 1) / ks.nr;
  const int64_t blocks = (kdim + pb.kcb - 1) / pb.kcb;
  float* buf = tl_filter.get(static_cast<size_t>(blocks * pb.kcb * pb.npan * ks.nr));
  for (int64_t q = 0; q < blocks; ++q) {
    const int64_t pc = q * pb.kcb, kc = std::min(pb.kcb, kdim - pc);
    gemm::pack_b(ks, trans, w, ldw, pc, kc, 0, ncols, buf + q * pb.kcb * pb.npan * ks.nr);
  }
  pb.base = buf;
  return pb;
}

double flops_of(const ConvShape& s) {
  return 2.0 * double(s.n * s.oh * s.ow) * double(s.fh * s.fw * s.c) * double(s.oc);
}

// dz = dy * act'(y), formed a block of rows at a time where it is used (while the rows
// are in cache) instead of in a pass of its own over the whole batch.
struct Dz {
  const float* dy;
  const float* y;
  Act act;
  float alpha;
  const ew_detail::Kernels& ew = ew_detail::kernels();
  // Rows [r0, r0 + rows) of dz ([*, oc] row-major): dy's own for linear, else written
  // to buf (rows * oc floats).
  const float* rows(int64_t r0, int64_t rows, int64_t oc, float* buf) const {
    if (act == Act::Linear) return dy + r0 * oc;
    ew.act_backward(act, dy + r0 * oc, y + r0 * oc, buf, rows * oc, alpha);
    return buf;
  }
};

// A thread's buffer, or null (and `failed` set) when it cannot be had: an exception must
// not leave an OpenMP region.
float* scratch(gemm::Scratch& sc, size_t floats, std::atomic<bool>& failed) {
  try {
    return sc.get(floats);
  } catch (...) {
    failed = true;
    return nullptr;
  }
}

// dw (K x oc, overwritten) = X^T dz; db (oc, overwritten; skipped when null) = the sums of
// dz's columns, in double, per chunk and then in chunk order.
void backward_filter(const ConvShape& s, const float* x, const Dz& dz, float* dw, float* db) {
  const int64_t M = s.n * s.oh * s.ow, K = s.fh * s.fw * s.c, O = s.oc;
  if (O == 0) return;
  if (M == 0 || K == 0) {
    std::fill(dw, dw + K * O, 0.f);
    if (db) std::fill(db, db + O, 0.f);
    if (M == 0 || !db) return;
  }
  const KernelSet& ks = gemm::kernel_set();
  const conv_detail::PackKernels& pk = TREINO_ISA_PICK(conv_detail::pack_kernels)();
  const int mr = ks.mr, nr = ks.nr;
  const double flops = flops_of(s);
  int64_t chunks = std::clamp<int64_t>(static_cast<int64_t>(flops / kDwChunkFlops) + 1, 1,
                                       kMaxDwChunks);
  chunks = std::min({chunks, std::max<int64_t>(1, kMaxPartialFloats / std::max<int64_t>(1, K * O)),
                     std::max<int64_t>(1, M / kDwMinChunkPixels)});
  const int64_t per = (M + chunks - 1) / chunks;
  chunks = (M + per - 1) / per;
  float* part = chunks == 1 ? dw : tl_partial.get(static_cast<size_t>(chunks * K * O));
  std::vector<double> db_part(db ? static_cast<size_t>(chunks * O) : 0, 0.0);
  // K == 0 (no input channels): one column block of nothing, for db.
  const int64_t kcb = K ? gemm::balanced(K, kMaxKc, 1) : 1;
  const int64_t kblocks = K ? (K + kcb - 1) / kcb : 1;
  const bool direct = conv_detail::direct_ok(s);  // then kblocks == 1
  std::atomic<bool> failed{false};
  parallel_for_chunks(chunks * kblocks, flops >= kParallelMinFlops, [&](int64_t item) {
    // X rows of a block of pixels, read by the micro-kernel as A^T: a(i, kk) =
    // buf[kk * kc + i0 + i] for tap column i0 + i and pixel kk (rs_a = 1, cs_a = kc).
    alignas(64) float buf[kDwBlockFloats];
    const int64_t ch = item / kblocks, k0 = (item % kblocks) * kcb;
    const int64_t kc = std::min(kcb, K - k0);
    const int64_t p0 = ch * per, p1 = std::min(M, p0 + per);
    const int64_t pixels = gemm::balanced(
        p1 - p0, std::clamp<int64_t>(kDwBlockFloats / std::max<int64_t>(kc, 1), 1, kMaxKc), 1);
    float* dzbuf = nullptr;
    if (dz.act != Act::Linear) {
      dzbuf = scratch(tl_dzb, static_cast<size_t>(pixels * O), failed);
      if (!dzbuf) return;
    }
    float* c = part + ch * K * O + k0 * O;
    double* dbc = db && k0 == 0 ? db_part.data() + ch * O : nullptr;
    const conv_detail::Runs runs(s, k0, k0 + kc);
    for (int64_t pb = p0; pb < p1; pb += pixels) {
      const int64_t np = std::min(pixels, p1 - pb);
      const float* d = dz.rows(pb, np, O, dzbuf);
      if (dbc) {
        for (int64_t r = 0; r < np; ++r)
          for (int64_t o = 0; o < O; ++o) dbc[o] += d[r * O + o];
      }
      if (kc == 0) continue;
      if (direct) {
        pk.direct_dw(s, x, d, pb, pb + np, c, pb != p0);
        continue;
      }
      pk.pack_windows(s, x, runs, pb, np, kc, buf);
      for (int64_t i0 = 0; i0 < kc; i0 += mr) {
        const int h = static_cast<int>(std::min<int64_t>(mr, kc - i0));
        for (int64_t j = 0; j < O; j += nr) {
          const int n = static_cast<int>(std::min<int64_t>(nr, O - j));
          ks.ukernel(h, n, np, buf + i0, 1, kc, d + j, O, c + i0 * O + j, O, 1.f,
                     pb == p0 ? 0.f : 1.f);
        }
      }
    }
  });
  if (failed) throw std::bad_alloc();
  if (db) {
    for (int64_t o = 0; o < O; ++o) {
      double sum = 0.0;
      for (int64_t ch = 0; ch < chunks; ++ch) sum += db_part[static_cast<size_t>(ch * O + o)];
      db[o] = static_cast<float>(sum);
    }
  }
  if (chunks == 1 || K == 0) return;
  parallel_range(K * O, 65536, [&](int64_t e0, int64_t e1) {
    for (int64_t e = e0; e < e1; ++e) dw[e] = part[e];
    for (int64_t ch = 1; ch < chunks; ++ch) {
      const float* pc = part + ch * K * O;
      for (int64_t e = e0; e < e1; ++e) dw[e] += pc[e];
    }
  });
}

// dx (overwritten) = col2im(dz W^T).
void backward_input(const ConvShape& s, const Dz& dz, const float* w, float* dx) {
  const int64_t K = s.fh * s.fw * s.c, O = s.oc, image = s.h * s.w * s.c;
  if (s.n * image == 0) return;
  if (O == 0) {
    std::fill(dx, dx + s.n * image, 0.f);
    return;
  }
  const KernelSet& ks = gemm::kernel_set();
  const conv_detail::PackKernels& pk = TREINO_ISA_PICK(conv_detail::pack_kernels)();
  const int mr = ks.mr, nr = ks.nr;
  const PackedB wt = pack_filter(ks, true, w, O, O, K);
  const int64_t pixels = s.oh * s.ow;
  const int64_t ipc = std::max<int64_t>(1, kDxChunkPixels / pixels);
  const int64_t chunks = (s.n + ipc - 1) / ipc;
  std::atomic<bool> failed{false};
  parallel_for_chunks(chunks, flops_of(s) >= kParallelMinFlops, [&](int64_t ch) {
    const int64_t n0 = ch * ipc, n1 = std::min(s.n, n0 + ipc);
    // A tile of mr rows of dX (mr x K), then mr rows of dz (mr x oc).
    float* tile = scratch(tl_tile, static_cast<size_t>(mr * (K + O)), failed);
    if (!tile) return;
    std::fill(dx + n0 * image, dx + n1 * image, 0.f);
    for (int64_t ir = n0 * pixels; ir < n1 * pixels; ir += mr) {
      const int h = static_cast<int>(std::min<int64_t>(mr, n1 * pixels - ir));
      // dz rows, an unpacked A: a(i, o) = d[i * O + o] (with O == 1, kc is 1 and the
      // packed reading a[i + o] is the same element).
      const float* d = dz.rows(ir, h, O, tile + mr * K);
      for (int64_t q = 0; q * wt.kcb < O; ++q) {
        const int64_t pc = q * wt.kcb, kc = std::min(wt.kcb, O - pc);
        for (int64_t jp = 0; jp < wt.npan; ++jp) {
          const int n = static_cast<int>(std::min<int64_t>(nr, K - jp * nr));
          ks.ukernel(h, n, kc, d + pc, O, 1, wt.panel(q, jp), nr, tile + jp * nr, K, 1.f,
                     q == 0 ? 0.f : 1.f);
        }
      }
      pk.col2im_add(s, tile, ir, h, dx);
    }
  });
  if (failed) throw std::bad_alloc();
}

}  // namespace

namespace conv_detail {
Runs::Runs(const ConvShape& s, int64_t k0, int64_t k1) {
  const int64_t c = s.c;
  if (k0 >= k1) return;  // no columns (c == 0: no taps either)
  for (int64_t t = k0 / c; t * c < k1; ++t) {
    const int64_t p = t / s.fw, q = t % s.fw;
    const int64_t lo = std::max(k0, t * c) - t * c;
    const int64_t len = std::min(k1, (t + 1) * c) - t * c - lo;
    tap[ntap++] = {t * c + lo - k0, len, p, q, (p * s.dh * s.w + q * s.dw) * c + lo};
  }
  for (int u = 0; u < ntap; ++u) {
    Run* last = nmerged ? &merged[nmerged - 1] : nullptr;
    if (last && last->col + last->len == tap[u].col && last->x_off + last->len == tap[u].x_off) {
      last->len += tap[u].len;
    } else {
      merged[nmerged++] = tap[u];
    }
  }
  common_len = nmerged ? merged[0].len : 0;
  for (int u = 1; u < nmerged; ++u)
    if (merged[u].len != common_len) common_len = 0;
}
}  // namespace conv_detail

bool conv_output_size(ConvShape* s) {
  int64_t eh, ew, ph, pw;
  if (__builtin_mul_overflow(s->fh - 1, s->dh, &eh) ||
      __builtin_mul_overflow(s->fw - 1, s->dw, &ew) ||
      __builtin_add_overflow(s->h, s->pt, &ph) || __builtin_add_overflow(ph, s->pb, &ph) ||
      __builtin_add_overflow(s->w, s->pl, &pw) || __builtin_add_overflow(pw, s->pr, &pw)) {
    return false;
  }
  if (ph < eh + 1 || pw < ew + 1) return false;
  s->oh = (ph - eh - 1) / s->sh + 1;
  s->ow = (pw - ew - 1) / s->sw + 1;
  return true;
}

void conv2d_forward(const ConvShape& s, const float* x, const float* w, const float* b,
                    Act act, float alpha, float* y) {
  const int64_t M = s.n * s.oh * s.ow, K = s.fh * s.fw * s.c, O = s.oc;
  if (M == 0 || O == 0) return;
  if (K == 0) {
    std::fill(y, y + M * O, 0.f);
    bias_act_forward(act, y, b, M, O, alpha);
    return;
  }
  const KernelSet& ks = gemm::kernel_set();
  const conv_detail::PackKernels& pk = TREINO_ISA_PICK(conv_detail::pack_kernels)();
  const int mr = ks.mr, nr = ks.nr;
  const bool direct = conv_detail::direct_ok(s);
  const PackedB wp = direct ? PackedB{} : pack_filter(ks, false, w, O, K, O);
  const bool in_place = s.fh == 1 && s.fw == 1 && s.sh == 1 && s.sw == 1 && s.pt == 0 &&
                        s.pb == 0 && s.pl == 0 && s.pr == 0;
  const int64_t rpc = std::max<int64_t>(mr, kChunkFloats / O / mr * mr);
  const int64_t chunks = (M + rpc - 1) / rpc;
  const auto& ew = ew_detail::kernels();
  parallel_for_chunks(chunks, flops_of(s) >= kParallelMinFlops, [&](int64_t ch) {
    alignas(64) float abuf[kMaxKc * kMaxMr];
    const int64_t r0 = ch * rpc, r1 = std::min(M, r0 + rpc);
    if (direct) pk.direct_forward(s, x, w, r0, r1, y);
    for (int64_t q = 0; !direct && q * wp.kcb < K; ++q) {
      const int64_t pc = q * wp.kcb, kc = std::min(wp.kcb, K - pc);
      const conv_detail::Runs runs(s, pc, pc + kc);
      for (int64_t ir = r0; ir < r1; ir += mr) {
        const int h = static_cast<int>(std::min<int64_t>(mr, r1 - ir));
        // X rows, unpacked A: a(i, k) = a[i * rs_a + k] (kc == 1: the packed reading
        // a[i + k] is the same element).
        const float* a = abuf;
        int64_t rs_a = kc;
        if (in_place) {
          a = x + ir * K + pc, rs_a = K;
        } else {
          pk.pack_windows(s, x, runs, ir, h, kc, abuf);
        }
        for (int64_t jp = 0; jp < wp.npan; ++jp) {
          const int n = static_cast<int>(std::min<int64_t>(nr, O - jp * nr));
          ks.ukernel(h, n, kc, a, rs_a, 1, wp.panel(q, jp), nr, y + ir * O + jp * nr, O,
                     1.f, q == 0 ? 0.f : 1.f);
        }
      }
    }
    if (act != Act::Linear || b) ew.bias_act_rows(act, y + r0 * O, b, r1 - r0, O, alpha);
  });
}

void conv2d_backward(const ConvShape& s, const float* dy, const float* x, const float* w,
                     const float* y, Act act, float alpha, float* dx, float* dw, float* db) {
  const Dz dz{dy, y, act, alpha};
  backward_filter(s, x, dz, dw, db);
  if (dx) backward_input(s, dz, w, dx);
}

}  // namespace treino
