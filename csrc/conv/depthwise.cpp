// Depthwise convolution driver (contract in conv.h): chunks of whole images fixed by the
// shape, the loops of depthwise_impl.h for the active ISA. Every chunk writes its own rows
// of y and dx and its own partial filter gradient (db in double); the partials are added
// in chunk order, so results do not depend on the thread count.
#include <algorithm>
#include <atomic>
#include <new>
#include <vector>

#include "common/dispatch.h"
#include "common/threading.h"
#include "conv/conv.h"
#include "conv/depthwise_kernels.h"
#include "elementwise/ew_kernels.h"
#include "gemm/gemm_internal.h"

namespace treino {

namespace {

// About this many multiply-adds per chunk, at most kMaxChunks chunks, and their partial
// filter gradients at most kMaxPartialFloats in all; threads from kParallelMinFlops.
constexpr double kChunkWork = 65536;
constexpr int64_t kMaxChunks = 64;
constexpr int64_t kMaxPartialFloats = int64_t{1} << 22;
constexpr double kParallelMinFlops = 4e6;

thread_local gemm::Scratch tl_dz;

struct Split {
  int64_t per, chunks;  // images per chunk, chunks
};

Split split(const ConvShape& s) {
  const double work = std::max(1.0, double(s.oh * s.ow * s.oc) * double(s.fh * s.fw));
  const int64_t taps = std::max<int64_t>(1, s.fh * s.fw * s.oc);
  const int64_t max_chunks = std::clamp<int64_t>(kMaxPartialFloats / taps, 1, kMaxChunks);
  const int64_t per = std::max({int64_t{1}, static_cast<int64_t>(kChunkWork / work),
                                (s.n + max_chunks - 1) / max_chunks});
  return {per, (s.n + per - 1) / per};
}

bool threaded(const ConvShape& s) {
  return 2.0 * double(s.n * s.oh * s.ow) * double(s.oc * s.fh * s.fw) >= kParallelMinFlops;
}

}  // namespace

void depthwise_conv2d_forward(const ConvShape& s, const float* x, const float* w,
                              const float* b, Act act, float alpha, float* y) {
  if (s.n == 0 || s.oc == 0) return;
  const auto& k = TREINO_ISA_PICK(conv_detail::depthwise_kernels)();
  const auto& ew = ew_detail::kernels();
  const Split sp = split(s);
  const int64_t rows = s.oh * s.ow;
  parallel_for_chunks(sp.chunks, threaded(s), [&](int64_t ch) {
    const int64_t n0 = ch * sp.per, n1 = std::min(s.n, n0 + sp.per);
    k.forward(s, x, w, y, n0, n1);
    if (act != Act::Linear || b) {
      ew.bias_act_rows(act, y + n0 * rows * s.oc, b, (n1 - n0) * rows, s.oc, alpha);
    }
  });
}

void depthwise_conv2d_backward(const ConvShape& s, const float* dy, const float* x,
                               const float* w, const float* y, Act act, float alpha,
                               float* dx, float* dw, float* db) {
  const int64_t O = s.oc, F = s.fh * s.fw * O, rows = s.oh * s.ow;
  if (O == 0) {  // no filters (mult == 0): nothing flows back
    if (dx) std::fill(dx, dx + s.n * s.h * s.w * s.c, 0.f);
    return;
  }
  if (s.n == 0) {
    std::fill(dw, dw + F, 0.f);
    if (db) std::fill(db, db + O, 0.f);
    return;
  }
  const auto& k = TREINO_ISA_PICK(conv_detail::depthwise_kernels)();
  const auto& ew = ew_detail::kernels();
  const Split sp = split(s);
  std::vector<float> part(static_cast<size_t>(sp.chunks * F), 0.f);
  std::vector<double> db_part(db ? static_cast<size_t>(sp.chunks * O) : 0, 0.0);
  std::atomic<bool> failed{false};
  parallel_for_chunks(sp.chunks, threaded(s), [&](int64_t ch) {
    const int64_t n0 = ch * sp.per, n1 = std::min(s.n, n0 + sp.per);
    const int64_t r0 = n0 * rows, nr = (n1 - n0) * rows;
    // dz = dy * act'(y) for this chunk's rows only, while they are in cache.
    const float* dz = dy + r0 * O;
    if (act != Act::Linear) {
      float* buf;
      try {
        buf = tl_dz.get(static_cast<size_t>(nr * O));
      } catch (...) {
        failed = true;
        return;
      }
      ew.act_backward(act, dy + r0 * O, y + r0 * O, buf, nr * O, alpha);
      dz = buf;
    }
    if (db) {
      double* d = db_part.data() + ch * O;
      for (int64_t r = 0; r < nr; ++r)
        for (int64_t o = 0; o < O; ++o) d[o] += dz[r * O + o];
    }
    k.backward(s, x, w, dz, part.data() + ch * F, dx, n0, n1);
  });
  if (failed) throw std::bad_alloc();
  for (int64_t e = 0; e < F; ++e) {
    float sum = part[static_cast<size_t>(e)];
    for (int64_t ch = 1; ch < sp.chunks; ++ch) sum += part[static_cast<size_t>(ch * F + e)];
    dw[e] = sum;
  }
  if (db) {
    for (int64_t o = 0; o < O; ++o) {
      double sum = 0.0;
      for (int64_t ch = 0; ch < sp.chunks; ++ch) sum += db_part[static_cast<size_t>(ch * O + o)];
      db[o] = static_cast<float>(sum);
    }
  }
}

}  // namespace treino
