// Internal: the depthwise convolution's loops (contract in depthwise_kernels.h), vectorized
// over the output channels of a pixel (o = ci * mult + m). Included once by each of
// depthwise_kernels_ref.cpp, _avx2.cpp and _avx512.cpp, which differ only in their
// compile flags.
#pragma once
#include <algorithm>

#include "conv/depthwise_kernels.h"

namespace treino::conv_detail {
namespace {

// Calls fn(row, p, q, x_offset) for every output pixel of images [n0, n1) (row counted from
// the first pixel of image n0) and every tap (p, q) whose input lies inside x; x_offset is
// the offset of x[n, ih, iw, 0].
template <class Fn>
inline void for_each_tap(const ConvShape& s, int64_t n0, int64_t n1, Fn&& fn) {
  int64_t row = 0;
  for (int64_t n = n0; n < n1; ++n) {
    for (int64_t i = 0; i < s.oh; ++i) {
      for (int64_t j = 0; j < s.ow; ++j, ++row) {
        for (int64_t p = 0; p < s.fh; ++p) {
          const int64_t ih = i * s.sh - s.pt + p * s.dh;
          if (ih < 0 || ih >= s.h) continue;
          for (int64_t q = 0; q < s.fw; ++q) {
            const int64_t iw = j * s.sw - s.pl + q * s.dw;
            if (iw < 0 || iw >= s.w) continue;
            fn(row, p, q, ((n * s.h + ih) * s.w + iw) * s.c);
          }
        }
      }
    }
  }
}

void forward_k(const ConvShape& s, const float* x, const float* w, float* y, int64_t n0,
               int64_t n1) {
  const int64_t C = s.c, M = s.mult, O = s.oc;
  float* yc = y + n0 * s.oh * s.ow * O;
  std::fill(yc, yc + (n1 - n0) * s.oh * s.ow * O, 0.f);
  for_each_tap(s, n0, n1, [&](int64_t row, int64_t p, int64_t q, int64_t xo) {
    float* __restrict yr = yc + row * O;
    const float* __restrict xr = x + xo;
    const float* __restrict wr = w + (p * s.fw + q) * O;
    if (M == 1) {
      for (int64_t ci = 0; ci < C; ++ci) yr[ci] += xr[ci] * wr[ci];
    } else {
      for (int64_t ci = 0; ci < C; ++ci)
        for (int64_t m = 0; m < M; ++m) yr[ci * M + m] += xr[ci] * wr[ci * M + m];
    }
  });
}

void backward_k(const ConvShape& s, const float* x, const float* w, const float* dz,
                float* dw_part, float* dx, int64_t n0, int64_t n1) {
  const int64_t C = s.c, M = s.mult, O = s.oc, image = s.h * s.w * C;
  if (dx) std::fill(dx + n0 * image, dx + n1 * image, 0.f);
  for_each_tap(s, n0, n1, [&](int64_t row, int64_t p, int64_t q, int64_t xo) {
    const float* __restrict g = dz + row * O;
    const float* __restrict xr = x + xo;
    const float* __restrict wr = w + (p * s.fw + q) * O;
    float* __restrict dwr = dw_part + (p * s.fw + q) * O;
    float* __restrict dxr = dx ? dx + xo : nullptr;
    if (M == 1) {
      for (int64_t ci = 0; ci < C; ++ci) dwr[ci] += xr[ci] * g[ci];
      if (dxr) for (int64_t ci = 0; ci < C; ++ci) dxr[ci] += wr[ci] * g[ci];
    } else {
      for (int64_t ci = 0; ci < C; ++ci) {
        float acc = 0.f;
        for (int64_t m = 0; m < M; ++m) {
          dwr[ci * M + m] += xr[ci] * g[ci * M + m];
          acc += wr[ci * M + m] * g[ci * M + m];
        }
        if (dxr) dxr[ci] += acc;
      }
    }
  });
}

const DepthwiseKernels kDepthwise = {forward_k, backward_k};

}  // namespace
}  // namespace treino::conv_detail
