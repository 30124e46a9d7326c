// The recurrent row kernels of rnn_cells_impl.h compiled with the
// avx2 flags (see CMakeLists.txt).
#include "rnn/rnn_cells_impl.h"

namespace treino::rnn_detail {
const Kernels& kernels_avx2() { return kTable; }
}  // namespace treino::rnn_detail
