// Internal: the per-ISA elementwise update loops behind optim.h. Each works on one
// contiguous range of one variable (pointers already offset, n elements); the driver
// (optim.cpp) splits variables into ranges. Coefficients are float32, precomputed in
// double by the driver.
#pragma once
#include <cstdint>

namespace treino::optim_detail {

struct Coef {
  float lr;    // learning rate (adamax, adam: already divided by the bias correction)
  float a, b;  // decay / beta1 and 1 - decay / 1 - beta1 (as used by each update)
  float c, d;  // beta2 and 1 - beta2 (adam, adamax); momentum (rmsprop)
  float eps;
  float inv_bc2;  // adam: 1 / (1 - beta2^t)
  bool flag;      // momentum: nesterov; rmsprop: centered
};

struct Kernels {
  void (*sgd)(float* p, const float* g, int64_t n, const Coef& k);
  void (*momentum)(float* p, const float* g, float* a, int64_t n, const Coef& k);
  void (*adagrad)(float* p, const float* g, float* a, int64_t n, const Coef& k);
  void (*adadelta)(float* p, const float* g, float* eg, float* edx, int64_t n,
                   const Coef& k);
  void (*adam)(float* p, const float* g, float* m, float* v, int64_t n, const Coef& k);
  void (*adamax)(float* p, const float* g, float* m, float* u, int64_t n, const Coef& k);
  void (*rmsprop)(float* p, const float* g, float* ms, float* mom, float* mg, int64_t n,
                  const Coef& k);
};

// Same loops (optim_impl.h) compiled three times: baseline, AVX2+FMA, AVX-512.
const Kernels& kernels_ref();
#if defined(TREINO_X86)
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();
#endif

}  // namespace treino::optim_detail
