// Bindings of the loss kernels (to be filled in by the loss family).
#include "bindings/register.h"

namespace treino::bind {
void register_loss(pybind11::module_& m) { (void)m; }
}  // namespace treino::bind
