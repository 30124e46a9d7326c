// The depthwise loops of depthwise_impl.h compiled with the AVX-512 flags (see CMakeLists.txt).
#include "conv/depthwise_impl.h"

namespace treino::conv_detail {
const DepthwiseKernels& depthwise_kernels_avx512() { return kDepthwise; }
}  // namespace treino::conv_detail
