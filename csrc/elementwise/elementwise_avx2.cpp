// The elementwise kernels of elementwise_impl.h compiled with the avx2 flags (see CMakeLists.txt).
#include "elementwise/elementwise_impl.h"

namespace treino::ew_detail {
const Kernels& kernels_avx2() { return kTable; }
}  // namespace treino::ew_detail
