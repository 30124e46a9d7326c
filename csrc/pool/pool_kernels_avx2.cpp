// The pooling loops of pool_impl.h compiled with -mavx2 -mfma (see CMakeLists.txt).
#include "pool/pool_impl.h"

namespace treino::pool_detail {
const Kernels& pool_kernels_avx2() { return kKernels; }
}  // namespace treino::pool_detail
