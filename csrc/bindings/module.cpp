// treino._core: the native kernels. Only python/treino/_kernels.py imports it.
#include "bindings/register.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "treino native kernels (float32, row-major)";
  treino::bind::register_common(m);
  treino::bind::register_gemm(m);
  treino::bind::register_elementwise(m);
  treino::bind::register_dense(m);
  treino::bind::register_loss(m);
  treino::bind::register_optim(m);
  treino::bind::register_data(m);
  treino::bind::register_norm(m);
  treino::bind::register_conv(m);
  treino::bind::register_rnn(m);
  treino::bind::register_pool(m);
}
