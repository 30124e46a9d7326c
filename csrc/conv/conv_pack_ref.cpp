// The im2col pieces of conv_pack_impl.h compiled with no ISA flags (any CPU) (see CMakeLists.txt).
#include "conv/conv_pack_impl.h"

namespace treino::conv_detail {
const PackKernels& pack_kernels_ref() { return kPack; }
}  // namespace treino::conv_detail
