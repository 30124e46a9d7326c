// The im2col pieces of conv_pack_impl.h compiled with the AVX-512 flags (see CMakeLists.txt).
#include "conv/conv_pack_impl.h"

namespace treino::conv_detail {
const PackKernels& pack_kernels_avx512() { return kPack; }
}  // namespace treino::conv_detail
