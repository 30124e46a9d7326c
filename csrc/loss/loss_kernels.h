// Internal: per-ISA row kernels behind loss.h. Each processes a range of whole rows
// (pointers at row 0 of the range); loss.cpp splits the rows and dispatches.
#pragma once
#include <cstdint>

#include "loss/loss.h"

namespace treino::loss_detail {

struct Kernels {
  void (*softmax)(const float* x, float* y, int64_t rows, int64_t cols);
  void (*log_softmax)(const float* x, float* y, int64_t rows, int64_t cols);
  void (*softmax_bwd)(const float* dy, const float* y, float* dx, int64_t rows, int64_t cols);
  void (*log_softmax_bwd)(const float* dy, const float* y, float* dx, int64_t rows,
                          int64_t cols);
  // Rows [r0, r1) of `a`; returns the correct-prediction count of those rows.
  int64_t (*xent)(const SoftmaxXentArgs& a, int64_t r0, int64_t r1);
  // Rows [r0, r1) of two (rows, cols) arrays: how many have the same argmax.
  int64_t (*argmax_match)(const float* a, const float* b, int64_t r0, int64_t r1,
                          int64_t cols);
};

const Kernels& kernels_ref();  // loss_ref.cpp: scalar, std::exp
#if defined(TREINO_X86)
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();
#endif

}  // namespace treino::loss_detail
