// Elementwise float32 kernels on contiguous arrays: unary math and activations with their
// backward, binary ops with numpy broadcasting, and reductions along one axis.
//
// Each entry point dispatches on active_isa() and uses threads only for large arrays
// (> 64K elements); every result is bit-identical for any thread count (reductions use
// a split fixed by the problem size). The *_ref twins run the same generic code compiled
// without ISA flags, single-threaded: fallback and test oracle.
#pragma once
#include <cstdint>
#include <vector>

namespace treino {

enum class Unary : int {
  Relu = 0, Relu6, Elu, Selu, LeakyRelu, Sigmoid, LogSigmoid, Tanh, Softplus, Softsign,
  Exp, Expm1, Log, Log1p, Sqrt, Rsqrt, Square, Abs, Neg, Sign, Reciprocal, Sin, Cos,
  Floor, Ceil, Round, Swish, Gelu, GeluNew, Mish, HardSigmoid,
  Count
};

// What unary_backward reads besides dy: the forward input x, the forward output y, or
// nothing (the derivative is constant, e.g. neg, or zero, e.g. floor).
enum class GradInput : int { X, Y, None };
GradInput unary_grad_input(Unary op);

// y[i] = f(x[i]) for i < n; y may alias x exactly (in place). alpha: elu (default 1) and
// leaky_relu (default 0.2); ignored by the others.
//   gelu is the exact erf form (TF.js 'gelu'), gelu_new the tanh approximation
//   (TF.js 'gelu_new'); hard_sigmoid is TF.js's clip(0.2 x + 0.5, 0, 1); round is half
//   to even.
void unary_forward(Unary op, const float* x, float* y, int64_t n, float alpha);
// dx[i] = dy[i] * f'(...) where v is x or y as unary_grad_input(op) says (ignored for
// None). dx may alias dy or v exactly.
void unary_backward(Unary op, const float* dy, const float* v, float* dx, int64_t n,
                    float alpha);
void unary_forward_ref(Unary op, const float* x, float* y, int64_t n, float alpha);
void unary_backward_ref(Unary op, const float* dy, const float* v, float* dx, int64_t n,
                        float alpha);

enum class Binary : int {
  Add = 0, Sub, Mul, Div, Pow, Maximum, Minimum, SquaredDifference, FloorDiv, Mod,
  Count
};

// numpy broadcasting: shapes are right-aligned, each pair of extents must be equal or
// one of them 1. Returns false (out untouched) when they are incompatible.
bool broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                      std::vector<int64_t>* out);
// out = op(a, b) with out of the broadcast shape (overwritten). out may alias a or b
// only when that operand already has the output's shape.
//   maximum/minimum propagate NaN; floor_div and mod follow numpy (mod takes the sign of
//   the divisor, like Python and TF.js); pow is powf.
void binary(Binary op, const float* a, const std::vector<int64_t>& a_shape, const float* b,
            const std::vector<int64_t>& b_shape, float* out);
void binary_ref(Binary op, const float* a, const std::vector<int64_t>& a_shape,
                const float* b, const std::vector<int64_t>& b_shape, float* out);

enum class Reduce : int { Sum = 0, Mean, Max, Min, Prod };

// x viewed as (outer, len, inner), reduced over len into out (outer, inner), overwritten.
// Sum/mean: float partial sums over fixed blocks, blocks added in double, so long axes
// stay accurate and the order never depends on threads. Max/min propagate NaN.
// len == 0 gives 0 (sum), NaN (mean), 1 (prod); max/min need len > 0 (caller checks).
void reduce(Reduce op, const float* x, int64_t outer, int64_t len, int64_t inner,
            float* out);
void reduce_ref(Reduce op, const float* x, int64_t outer, int64_t len, int64_t inner,
                float* out);
// Index of the max (is_max) or min over len, first index on ties; a NaN wins (the first
// NaN), as numpy. len must be > 0 and < 2^31.
void arg_reduce(bool is_max, const float* x, int64_t outer, int64_t len, int64_t inner,
                int32_t* out);
void arg_reduce_ref(bool is_max, const float* x, int64_t outer, int64_t len,
                    int64_t inner, int32_t* out);
// out[c] = sum_r x[r, c] for x (rows, cols): the bias gradient. Overwrites out.
void column_sum(const float* x, int64_t rows, int64_t cols, float* out);
// Sums x (shape xs) down to shape `to`, which must broadcast to xs (numpy rules): the
// gradient of a broadcast operand of a binary op. Reduces one group of adjacent reduced
// dims per pass with reduce(Sum) (fixed order, thread-independent). Returns false (out
// untouched) when `to` does not broadcast to xs. Overwrites out (prod(to) elements).
bool sum_to_shape(const float* x, const std::vector<int64_t>& xs,
                  const std::vector<int64_t>& to, float* out);

}  // namespace treino
