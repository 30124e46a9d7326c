// Bindings of the dense kernels (to be filled in by the dense family).
#include "bindings/register.h"

namespace treino::bind {
void register_dense(pybind11::module_& m) { (void)m; }
}  // namespace treino::bind
