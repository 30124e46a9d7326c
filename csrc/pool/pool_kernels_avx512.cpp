// The pooling loops of pool_impl.h compiled with the AVX-512 flags (see CMakeLists.txt).
#include "pool/pool_impl.h"

namespace treino::pool_detail {
const Kernels& pool_kernels_avx512() { return kKernels; }
}  // namespace treino::pool_detail
