// Internal: the im2col view of a convolution that the fast path (conv.cpp) copies into
// blocks the GEMM's micro-kernel reads, and the scatter back for the input gradient.
//
// The im2col matrix X of conv.h's shapes has one row per output pixel (n, i, j), in that
// order (the row of the [n*oh*ow, oc] output), and one column per tap and channel,
// k = (p*fw + q)*c + ci, in the order of the filter's rows ([fh*fw*c, oc]):
//   X[pixel, k] = x[n, i*sh - pt + p*dh, j*sw - pl + q*dw, ci], 0 in the padding.
// Then y = X W, dw = X^T dz and dx = col2im(dz W^T). X is never stored whole: the
// functions here fill (or drain) a cache-sized block of it at a time.
#pragma once
#include <cstdint>

#include "conv/conv.h"

namespace treino::conv_detail {

// Largest register tile height (mr) of any ISA's micro-kernel (AVX-512: 12).
constexpr int kMaxMr = 16;
// Longest K block (the GEMM's kc); as many taps as columns at most (one channel each).
constexpr int64_t kMaxKc = 256;
constexpr int kMaxRuns = static_cast<int>(kMaxKc);

// Walks output pixels in order without a division per step.
struct PixelCursor {
  const ConvShape& s;
  int64_t n, i, j;
  PixelCursor(const ConvShape& shape, int64_t pixel) : s(shape) {
    j = pixel % s.ow;
    i = (pixel / s.ow) % s.oh;
    n = pixel / (s.ow * s.oh);
  }
  void next() {
    if (++j == s.ow) {
      j = 0;
      if (++i == s.oh) i = 0, ++n;
    }
  }
  int64_t ih0() const { return i * s.sh - s.pt; }  // input row of tap p = 0
  int64_t iw0() const { return j * s.sw - s.pl; }  // input column of tap q = 0
  int64_t image() const { return n * s.h * s.w * s.c; }  // offset of x[n, 0, 0, 0]
};

// Columns [k0, k1) of X as runs contiguous in x, computed once per column block: `tap`
// has one run per tap (clipped to the range), for windows that cross the padding;
// `merged` joins the taps of a filter row that are adjacent in x too (dilation 1: fw * c
// channels in a row), for windows inside x. k1 - k0 <= kMaxKc.
struct Run {
  int64_t col, len, p, q, x_off;  // col: k - k0; x_off: from the window's top-left element
};
struct Runs {
  Runs(const ConvShape& s, int64_t k0, int64_t k1);
  Run tap[kMaxRuns], merged[kMaxRuns];
  int ntap = 0, nmerged = 0;
  int64_t common_len = 0;  // the length of every merged run, or 0
};

// The per-ISA pieces (conv_pack_impl.h compiled three times), picked with
// TREINO_ISA_PICK(pack_kernels).
struct PackKernels {
  // Rows [pixel0, pixel0 + count) of X, columns [k0, k1) of `runs`: dst[r*ld + (k - k0)],
  // zeros for the padding. Each run is a copy from x, never a transpose. The forward
  // uses ld = k1 - k0: an unpacked A the micro-kernel reads with rs_a = ld, cs_a = 1; dw
  // reads the same rows as A^T (rs_a = 1, cs_a = ld).
  void (*pack_windows)(const ConvShape& s, const float* x, const Runs& runs, int64_t pixel0,
                       int64_t count, int64_t ld, float* dst);
  // dx += col2im of rows [pixel0, pixel0 + h) of dX = dz W^T: each tile[i*K + k] (K =
  // fh*fw*c) is added to the element of dx that X[pixel0 + i, k] was read from (nothing
  // for the padding), pixels in order, taps in order.
  void (*col2im_add)(const ConvShape& s, const float* tile, int64_t pixel0, int h, float* dx);
  // The direct path for a filter of few rows (K = fh*fw*c <= kDirectMaxK, typically the
  // first layer of a network on 1-3 channel images, where an im2col GEMM with K = 9..27
  // spends its time packing) and oc a multiple of kDirectBlock: per output pixel, the
  // window's K values times the filter, in vector registers.
  // Rows [p0, p1) of y (ld oc) = X W, bias and activation not applied.
  void (*direct_forward)(const ConvShape& s, const float* x, const float* w, int64_t p0,
                         int64_t p1, float* y);
  // dw (K x oc) = X^T dz over pixels [p0, p1) (dz row r is pixel p0 + r, ld oc), added to
  // dw's values when accumulate, else written; pixels in order per element.
  void (*direct_dw)(const ConvShape& s, const float* x, const float* dz, int64_t p0,
                    int64_t p1, float* dw, bool accumulate);
};

constexpr int64_t kDirectMaxK = 32;
constexpr int64_t kDirectBlock = 16;
inline bool direct_ok(const ConvShape& s) {
  const int64_t K = s.fh * s.fw * s.c;
  return s.mult == 0 && K > 0 && K <= kDirectMaxK && s.oc > 0 && s.oc % kDirectBlock == 0;
}

const PackKernels& pack_kernels_ref();
#if defined(TREINO_X86)
const PackKernels& pack_kernels_avx2();
const PackKernels& pack_kernels_avx512();
#endif

}  // namespace treino::conv_detail
