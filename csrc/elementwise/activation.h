// Activations shared by the elementwise ops and the fused dense layer.
//
// Every Act has a forward that works in place and a backward computed FROM THE OUTPUT y
// (the fused dense backward keeps only y): dz = dy * act'(x) expressed through y. That is
// exact for these activations because each is monotonic (for elu alpha > 0, for
// leakyRelu alpha >= 0; the bindings check it). Kink conventions follow TF.js:
//   relu'(0) = 0, relu6' = 1 only for 0 < x < 6, elu'(0) = 1 (TF.js EluGrad: y >= 0),
//   selu'(0) = scale * alpha, leakyRelu'(0) = alpha (x > 0 ? 1 : alpha).
// Activations not expressible through y (swish, gelu, mish, hardSigmoid) are not Acts;
// use a linear dense plus the unary op of elementwise.h.
#pragma once
#include <cstdint>
#include <string>

namespace treino {

enum class Act : int {
  Linear = 0, Relu, Relu6, Elu, Selu, Sigmoid, Tanh, Softplus, Softsign, LeakyRelu,
  Count
};

// TF.js identifiers: 'linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'tanh',
// 'softplus', 'softsign', 'leakyRelu' (also accepted: 'leaky_relu', and None -> linear is
// the binding's business). Returns false for anything else.
bool parse_act(const std::string& name, Act* out);
const char* act_name(Act act);
// "'linear', 'relu', ..." for error messages.
std::string act_names();
// Default alpha: 1 for elu, 0.2 for leakyRelu (TF.js), unused by the others.
float act_default_alpha(Act act);

// SELU constants (Klambauer et al.; TF.js uses the same).
constexpr float kSeluAlpha = 1.6732632423543772848170429916717f;
constexpr float kSeluScale = 1.0507009873554804934193349852946f;

// y[i] = act(y[i]) for i < n, in place.
void act_forward(Act act, float* y, int64_t n, float alpha);
// dz[i] = dy[i] * act'(x[i]) written through y[i] = act(x[i]). dz may alias dy.
void act_backward(Act act, const float* dy, const float* y, float* dz, int64_t n,
                  float alpha);
// Dense epilogue: y is rows x cols (row-major, contiguous), b has cols entries or is
// null; y[r, c] = act(y[r, c] + b[c]), overwriting y. One pass while the rows are hot.
void bias_act_forward(Act act, float* y, const float* b, int64_t rows, int64_t cols,
                      float alpha);

// Reference twins (the same code compiled without ISA flags, single-threaded).
void act_forward_ref(Act act, float* y, int64_t n, float alpha);
void act_backward_ref(Act act, const float* dy, const float* y, float* dz, int64_t n,
                      float alpha);
void bias_act_forward_ref(Act act, float* y, const float* b, int64_t rows, int64_t cols,
                          float alpha);

}  // namespace treino
