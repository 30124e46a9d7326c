// The pooling loops of pool_impl.h compiled with no ISA flags (any CPU) (see CMakeLists.txt).
#include "pool/pool_impl.h"

namespace treino::pool_detail {
const Kernels& pool_kernels_ref() { return kKernels; }
}  // namespace treino::pool_detail
