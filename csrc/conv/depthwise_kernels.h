// Internal: the per-ISA loops of the depthwise convolution (depthwise_impl.h compiled
// three times), each over the images [n0, n1) of the batch; depthwise.cpp splits the batch
// into fixed chunks and picks the table with TREINO_ISA_PICK(depthwise_kernels).
#pragma once
#include <cstdint>

#include "conv/conv.h"

namespace treino::conv_detail {

struct DepthwiseKernels {
  // y rows of images [n0, n1) = the taps' sums (no bias, no activation), overwritten.
  void (*forward)(const ConvShape& s, const float* x, const float* w, float* y, int64_t n0,
                  int64_t n1);
  // dz: the rows of images [n0, n1) only (dz[0] is the first row of image n0).
  // dw_part (fh*fw*oc) += the filter gradient of those images, pixels and taps in order;
  // dx (the whole batch's) rows of those images are overwritten (skipped when null).
  void (*backward)(const ConvShape& s, const float* x, const float* w, const float* dz,
                   float* dw_part, float* dx, int64_t n0, int64_t n1);
};

const DepthwiseKernels& depthwise_kernels_ref();
#if defined(TREINO_X86)
const DepthwiseKernels& depthwise_kernels_avx2();
const DepthwiseKernels& depthwise_kernels_avx512();
#endif

}  // namespace treino::conv_detail
