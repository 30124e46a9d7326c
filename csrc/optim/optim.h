// In-place optimizer updates over a whole list of variables in one call.
//
// Each OptimSlot is one variable: `param` (size floats, contiguous) is updated in place
// from `grad` (same size, read only), and the optimizer's per-variable state arrays
// (`state[0..2]`, same size, updated in place; which ones are used is listed per
// function) carry over between calls. Buffers of different slots and of one slot must
// not overlap (the bindings check it). Formulas are TF.js 4.22's, except adadelta, which
// follows the published algorithm (Zeiler 2012) as Keras and PyTorch do. Hyper-parameters
// are double; per-call scalars (bias corrections, decayed learning rates) are computed in
// double once, then the elementwise math runs in float32.
//
// Every update is elementwise, so the result does not depend on the thread count: large
// variables are split into fixed-size chunks run in parallel, all variables in one
// parallel region. Each function dispatches on active_isa(); the _ref twin runs the same
// plain loops compiled without ISA flags, on one thread.
#pragma once
#include <cstdint>

namespace treino {

struct OptimSlot {
  float* param;
  const float* grad;
  float* state[3];  // unused entries are nullptr
  int64_t size;
};

// p -= lr * g
void sgd_update(const OptimSlot* v, int64_t n, double lr);
void sgd_update_ref(const OptimSlot* v, int64_t n, double lr);

// state[0] = a: a = momentum * a + g; p -= lr * a, or with Nesterov
// p -= lr * (g + momentum * a) (a already updated).
void momentum_update(const OptimSlot* v, int64_t n, double lr, double momentum,
                     bool nesterov);
void momentum_update_ref(const OptimSlot* v, int64_t n, double lr, double momentum,
                         bool nesterov);

// state[0] = a: a += g^2; p -= lr * g / sqrt(a + eps)  (TF.js: eps inside the root).
void adagrad_update(const OptimSlot* v, int64_t n, double lr, double eps);
void adagrad_update_ref(const OptimSlot* v, int64_t n, double lr, double eps);

// state[0] = Eg, state[1] = Edx:
//   Eg = rho Eg + (1 - rho) g^2; u = sqrt(Edx + eps) / sqrt(Eg + eps) * g (updated Eg);
//   Edx = rho Edx + (1 - rho) u^2; p -= lr * u.
void adadelta_update(const OptimSlot* v, int64_t n, double lr, double rho, double eps);
void adadelta_update_ref(const OptimSlot* v, int64_t n, double lr, double rho, double eps);

// state[0] = m, state[1] = v; step t >= 1 counts calls (the caller keeps it):
//   m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
//   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
void adam_update(const OptimSlot* v, int64_t n, double lr, double beta1, double beta2,
                 double eps, int64_t step);
void adam_update_ref(const OptimSlot* v, int64_t n, double lr, double beta1, double beta2,
                     double eps, int64_t step);

// state[0] = m, state[1] = u; step t >= 1:
//   lr_t = lr / (1 + decay * (t - 1)); m = b1 m + (1 - b1) g; u = max(b2 u, |g|);
//   p -= lr_t / (1 - b1^t) * m / (u + eps).
void adamax_update(const OptimSlot* v, int64_t n, double lr, double beta1, double beta2,
                   double eps, int64_t step, double decay);
void adamax_update_ref(const OptimSlot* v, int64_t n, double lr, double beta1,
                       double beta2, double eps, int64_t step, double decay);

// state[0] = ms, state[1] = mom, state[2] = mg (centered only):
//   ms = d ms + (1 - d) g^2;
//   centered: mg = d mg + (1 - d) g; mom = momentum mom + lr g / sqrt(ms - mg^2 + eps)
//   else:     mom = momentum mom + lr g / sqrt(ms + eps);
//   p -= mom.
// Centered: TF.js's code computes sqrt(ms - (mg^2 + eps)), subtracting epsilon (a NaN
// when the variance estimate is below eps); this adds it, as TensorFlow's
// ApplyCenteredRMSProp and Keras do.
void rmsprop_update(const OptimSlot* v, int64_t n, double lr, double decay,
                    double momentum, double eps, bool centered);
void rmsprop_update_ref(const OptimSlot* v, int64_t n, double lr, double decay,
                        double momentum, double eps, bool centered);

}  // namespace treino
