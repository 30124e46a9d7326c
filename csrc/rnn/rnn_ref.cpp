// The recurrent row kernels of rnn_cells_impl.h compiled without ISA flags: the
// reference twin (TREINO_CPU_ISA=ref) and the fallback on CPUs without AVX2.
#include "rnn/rnn_cells_impl.h"

namespace treino::rnn_detail {
const Kernels& kernels_ref() { return kTable; }
}  // namespace treino::rnn_detail
