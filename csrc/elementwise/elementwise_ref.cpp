// The elementwise kernels of elementwise_impl.h compiled without ISA flags (reference twin).
#include "elementwise/elementwise_impl.h"

namespace treino::ew_detail {
const Kernels& kernels_ref() { return kTable; }
}  // namespace treino::ew_detail
