// Bindings of the gemm kernels (to be filled in by the gemm family).
#include "bindings/register.h"

namespace treino::bind {
void register_gemm(pybind11::module_& m) { (void)m; }
}  // namespace treino::bind
