// The update loops of optim_impl.h compiled with AVX-512 F/DQ/BW/VL.
#include "optim/optim_impl.h"

namespace treino::optim_detail {
const Kernels& kernels_avx512() { return kLoops; }
}  // namespace treino::optim_detail
