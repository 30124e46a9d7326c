// The update loops of optim_impl.h compiled with baseline flags.
#include "optim/optim_impl.h"

namespace treino::optim_detail {
const Kernels& kernels_ref() { return kLoops; }
}  // namespace treino::optim_detail
