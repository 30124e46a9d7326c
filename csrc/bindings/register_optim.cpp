// Bindings of the optim kernels (to be filled in by the optim family).
#include "bindings/register.h"

namespace treino::bind {
void register_optim(pybind11::module_& m) { (void)m; }
}  // namespace treino::bind
