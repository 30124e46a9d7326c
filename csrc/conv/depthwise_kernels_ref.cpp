// The depthwise loops of depthwise_impl.h compiled with no ISA flags (any CPU) (see CMakeLists.txt).
#include "conv/depthwise_impl.h"

namespace treino::conv_detail {
const DepthwiseKernels& depthwise_kernels_ref() { return kDepthwise; }
}  // namespace treino::conv_detail
