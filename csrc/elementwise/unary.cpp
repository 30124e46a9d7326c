// Dispatch and threading of the unary ops (the loops are in unary_impl.h).
#include "common/dispatch.h"
#include "common/threading.h"
#include "elementwise/elementwise.h"
#include "elementwise/ew_kernels.h"

namespace treino {

namespace ew_detail {
const Kernels& kernels() { return TREINO_ISA_PICK(kernels)(); }
}  // namespace ew_detail

namespace {
// Elementwise work is split into ranges of at least this many elements, so arrays below
// 64K elements stay on the calling thread. Each element's result does not depend on the
// split, so threads never change a value.
constexpr int64_t kGrain = 32768;
}  // namespace

GradInput unary_grad_input(Unary op) {
  switch (op) {
    case Unary::Sigmoid: case Unary::Tanh: case Unary::Exp:
    case Unary::Sqrt: case Unary::Rsqrt: case Unary::Reciprocal:
      return GradInput::Y;
    case Unary::Neg: case Unary::Sign: case Unary::Floor: case Unary::Ceil:
    case Unary::Round:
      return GradInput::None;
    default:
      return GradInput::X;
  }
}

void unary_forward(Unary op, const float* x, float* y, int64_t n, float alpha) {
  const auto& k = ew_detail::kernels();
  parallel_range(n, kGrain, [&](int64_t b, int64_t e) {
    k.unary_forward(op, x + b, y + b, e - b, alpha);
  });
}

void unary_backward(Unary op, const float* dy, const float* v, float* dx, int64_t n,
                    float alpha) {
  const auto& k = ew_detail::kernels();
  const bool uses_v = unary_grad_input(op) != GradInput::None;
  parallel_range(n, kGrain, [&](int64_t b, int64_t e) {
    k.unary_backward(op, dy + b, uses_v ? v + b : nullptr, dx + b, e - b, alpha);
  });
}

void unary_forward_ref(Unary op, const float* x, float* y, int64_t n, float alpha) {
  if (n > 0) ew_detail::kernels_ref().unary_forward(op, x, y, n, alpha);
}

void unary_backward_ref(Unary op, const float* dy, const float* v, float* dx, int64_t n,
                        float alpha) {
  if (n > 0) ew_detail::kernels_ref().unary_backward(op, dy, v, dx, n, alpha);
}

}  // namespace treino
