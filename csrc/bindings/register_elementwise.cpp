// Bindings of the elementwise kernels (to be filled in by the elementwise family).
#include "bindings/register.h"

namespace treino::bind {
void register_elementwise(pybind11::module_& m) { (void)m; }
}  // namespace treino::bind
