// The update loops of optim_impl.h compiled with -mavx2 -mfma.
#include "optim/optim_impl.h"

namespace treino::optim_detail {
const Kernels& kernels_avx2() { return kLoops; }
}  // namespace treino::optim_detail
