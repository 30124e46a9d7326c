// One register_<family>() per kernel family, each in its own register_<family>.cpp.
#pragma once
#include <pybind11/pybind11.h>

namespace treino::bind {
void register_common(pybind11::module_& m);
void register_gemm(pybind11::module_& m);
void register_elementwise(pybind11::module_& m);
void register_dense(pybind11::module_& m);
void register_loss(pybind11::module_& m);
void register_optim(pybind11::module_& m);
void register_data(pybind11::module_& m);
void register_norm(pybind11::module_& m);
void register_conv(pybind11::module_& m);
void register_rnn(pybind11::module_& m);
void register_pool(pybind11::module_& m);
}  // namespace treino::bind
