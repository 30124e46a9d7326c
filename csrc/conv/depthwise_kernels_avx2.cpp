// The depthwise loops of depthwise_impl.h compiled with -mavx2 -mfma (see CMakeLists.txt).
#include "conv/depthwise_impl.h"

namespace treino::conv_detail {
const DepthwiseKernels& depthwise_kernels_avx2() { return kDepthwise; }
}  // namespace treino::conv_detail
