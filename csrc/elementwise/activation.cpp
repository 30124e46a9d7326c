// Names, dispatch and threading of the activations (the loops are in unary_impl.h).
#include "elementwise/activation.h"

#include "common/threading.h"
#include "elementwise/ew_kernels.h"

namespace treino {

namespace {
constexpr int64_t kGrain = 32768;  // as unary.cpp: below 64K elements, one thread

struct ActName { const char* name; Act act; };
constexpr ActName kNames[] = {
    {"linear", Act::Linear},     {"relu", Act::Relu},       {"relu6", Act::Relu6},
    {"elu", Act::Elu},           {"selu", Act::Selu},       {"sigmoid", Act::Sigmoid},
    {"tanh", Act::Tanh},         {"softplus", Act::Softplus}, {"softsign", Act::Softsign},
    {"leakyRelu", Act::LeakyRelu},
};
}  // namespace

bool parse_act(const std::string& name, Act* out) {
  for (const auto& e : kNames) {
    if (name == e.name) { *out = e.act; return true; }
  }
  if (name == "leaky_relu") { *out = Act::LeakyRelu; return true; }
  return false;
}

const char* act_name(Act act) {
  for (const auto& e : kNames) if (e.act == act) return e.name;
  return "unknown";
}

std::string act_names() {
  std::string s;
  for (const auto& e : kNames) s += std::string(s.empty() ? "'" : ", '") + e.name + "'";
  return s + " (or 'leaky_relu')";
}

float act_default_alpha(Act act) { return act == Act::LeakyRelu ? 0.2f : 1.f; }

void act_forward(Act act, float* y, int64_t n, float alpha) {
  if (act == Act::Linear) return;
  const auto& k = ew_detail::kernels();
  parallel_range(n, kGrain, [&](int64_t b, int64_t e) { k.act_forward(act, y + b, e - b, alpha); });
}

void act_backward(Act act, const float* dy, const float* y, float* dz, int64_t n,
                  float alpha) {
  const auto& k = ew_detail::kernels();
  parallel_range(n, kGrain, [&](int64_t b, int64_t e) {
    k.act_backward(act, dy + b, y + b, dz + b, e - b, alpha);
  });
}

void bias_act_forward(Act act, float* y, const float* b, int64_t rows, int64_t cols,
                      float alpha) {
  if (rows <= 0 || cols <= 0 || (act == Act::Linear && !b)) return;
  const auto& k = ew_detail::kernels();
  // Whole rows per range, at least kGrain elements each.
  const int64_t grain_rows = std::max<int64_t>(1, kGrain / cols);
  parallel_range(rows, grain_rows, [&](int64_t r0, int64_t r1) {
    k.bias_act_rows(act, y + r0 * cols, b, r1 - r0, cols, alpha);
  });
}

void act_forward_ref(Act act, float* y, int64_t n, float alpha) {
  if (n > 0) ew_detail::kernels_ref().act_forward(act, y, n, alpha);
}

void act_backward_ref(Act act, const float* dy, const float* y, float* dz, int64_t n,
                      float alpha) {
  if (n > 0) ew_detail::kernels_ref().act_backward(act, dy, y, dz, n, alpha);
}

void bias_act_forward_ref(Act act, float* y, const float* b, int64_t rows, int64_t cols,
                          float alpha) {
  if (rows > 0 && cols > 0) ew_detail::kernels_ref().bias_act_rows(act, y, b, rows, cols, alpha);
}

}  // namespace treino
