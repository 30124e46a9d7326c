// Optimizer driver: per-call coefficients in double, ISA dispatch, and the split of a
// list of variables into parallel work.
#include "optim/optim.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/dispatch.h"
#include "common/threading.h"
#include "optim/optim_kernels.h"

namespace treino {

namespace {

using optim_detail::Coef;
using optim_detail::Kernels;

// A chunk is a range of one variable. Below kParallelMin elements in total the call is
// too small for threads to pay (the updates stream memory at a few ns per element).
constexpr int64_t kChunk = 16384;
constexpr int64_t kParallelMin = 65536;

const Kernels& active_kernels() { return TREINO_ISA_PICK(optim_detail::kernels)(); }

// Calls fn(slot, begin, end) over every element of every variable; the ranges do not
// depend on the thread count (and the updates are elementwise anyway).
template <class Fn>
void for_each_range(const OptimSlot* v, int64_t n, bool allow_threads, Fn&& fn) {
  int64_t total = 0;
  for (int64_t i = 0; i < n; ++i) total += v[i].size;
  if (!allow_threads || total < kParallelMin || num_threads() < 2) {
    for (int64_t i = 0; i < n; ++i)
      if (v[i].size > 0) fn(v[i], int64_t{0}, v[i].size);
    return;
  }
  struct Range { int64_t slot, begin, end; };
  std::vector<Range> ranges;
  ranges.reserve(static_cast<size_t>(total / kChunk + n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t b = 0; b < v[i].size; b += kChunk)
      ranges.push_back({i, b, std::min(v[i].size, b + kChunk)});
  parallel_for_chunks(static_cast<int64_t>(ranges.size()), true, [&](int64_t c) {
    const Range& r = ranges[static_cast<size_t>(c)];
    fn(v[r.slot], r.begin, r.end);
  });
}

float f(double x) { return static_cast<float>(x); }

void run_sgd(const Kernels& K, bool mt, const OptimSlot* v, int64_t n, double lr) {
  Coef k{};
  k.lr = f(lr);
  for_each_range(v, n, mt, [&](const OptimSlot& s, int64_t b, int64_t e) {
    K.sgd(s.param + b, s.grad + b, e - b, k);
  });
}

void run_momentum(const Kernels& K, bool mt, const OptimSlot* v, int64_t n, double lr,
                  double momentum, bool nesterov) {
  Coef k{};
  k.lr = f(lr);
  k.a = f(momentum);
  k.flag = nesterov;
  for_each_range(v, n, mt, [&](const OptimSlot& s, int64_t b, int64_t e) {
    K.momentum(s.param + b, s.grad + b, s.state[0] + b, e - b, k);
  });
}

void run_adagrad(const Kernels& K, bool mt, const OptimSlot* v, int64_t n, double lr,
                 double eps) {
  Coef k{};
  k.lr = f(lr);
  k.eps = f(eps);
  for_each_range(v, n, mt, [&](const OptimSlot& s, int64_t b, int64_t e) {
    K.adagrad(s.param + b, s.grad + b, s.state[0] + b, e - b, k);
  });
}

void run_adadelta(const Kernels& K, bool mt, const OptimSlot* v, int64_t n, double lr,
                  double rho, double eps) {
  Coef k{};
  k.lr = f(lr);
  k.a = f(rho);
  k.b = f(1.0 - rho);
  k.eps = f(eps);
  for_each_range(v, n, mt, [&](const OptimSlot& s, int64_t b, int64_t e) {
    K.adadelta(s.param + b, s.grad + b, s.state[0] + b, s.state[1] + b, e - b, k);
  });
}

void run_adam(const Kernels& K, bool mt, const OptimSlot* v, int64_t n, double lr,
              double beta1, double beta2, double eps, int64_t step) {
  const double t = static_cast<double>(step);
  Coef k{};
  k.lr = f(lr / (1.0 - std::pow(beta1, t)));
  k.a = f(beta1);
  k.b = f(1.0 - beta1);
  k.c = f(beta2);
  k.d = f(1.0 - beta2);
  k.eps = f(eps);
  k.inv_bc2 = f(1.0 / (1.0 - std::pow(beta2, t)));
  for_each_range(v, n, mt, [&](const OptimSlot& s, int64_t b, int64_t e) {
    K.adam(s.param + b, s.grad + b, s.state[0] + b, s.state[1] + b, e - b, k);
  });
}

void run_adamax(const Kernels& K, bool mt, const OptimSlot* v, int64_t n, double lr,
                double beta1, double beta2, double eps, int64_t step, double decay) {
  // TF.js counts iterations from 0 on the first call: lr / (1 + decay * (t - 1)).
  const double t = static_cast<double>(step);
  Coef k{};
  k.lr = f(lr / (1.0 + decay * (t - 1.0)) / (1.0 - std::pow(beta1, t)));
  k.a = f(beta1);
  k.b = f(1.0 - beta1);
  k.c = f(beta2);
  k.eps = f(eps);
  for_each_range(v, n, mt, [&](const OptimSlot& s, int64_t b, int64_t e) {
    K.adamax(s.param + b, s.grad + b, s.state[0] + b, s.state[1] + b, e - b, k);
  });
}

void run_rmsprop(const Kernels& K, bool mt, const OptimSlot* v, int64_t n, double lr,
                 double decay, double momentum, double eps, bool centered) {
  Coef k{};
  k.lr = f(lr);
  k.a = f(decay);
  k.b = f(1.0 - decay);
  k.c = f(momentum);
  k.eps = f(eps);
  k.flag = centered;
  for_each_range(v, n, mt, [&](const OptimSlot& s, int64_t b, int64_t e) {
    float* mg = centered ? s.state[2] + b : nullptr;
    K.rmsprop(s.param + b, s.grad + b, s.state[0] + b, s.state[1] + b, mg, e - b, k);
  });
}

}  // namespace

void sgd_update(const OptimSlot* v, int64_t n, double lr) {
  run_sgd(active_kernels(), true, v, n, lr);
}
void sgd_update_ref(const OptimSlot* v, int64_t n, double lr) {
  run_sgd(optim_detail::kernels_ref(), false, v, n, lr);
}

void momentum_update(const OptimSlot* v, int64_t n, double lr, double momentum,
                     bool nesterov) {
  run_momentum(active_kernels(), true, v, n, lr, momentum, nesterov);
}
void momentum_update_ref(const OptimSlot* v, int64_t n, double lr, double momentum,
                         bool nesterov) {
  run_momentum(optim_detail::kernels_ref(), false, v, n, lr, momentum, nesterov);
}

void adagrad_update(const OptimSlot* v, int64_t n, double lr, double eps) {
  run_adagrad(active_kernels(), true, v, n, lr, eps);
}
void adagrad_update_ref(const OptimSlot* v, int64_t n, double lr, double eps) {
  run_adagrad(optim_detail::kernels_ref(), false, v, n, lr, eps);
}

void adadelta_update(const OptimSlot* v, int64_t n, double lr, double rho, double eps) {
  run_adadelta(active_kernels(), true, v, n, lr, rho, eps);
}
void adadelta_update_ref(const OptimSlot* v, int64_t n, double lr, double rho,
                         double eps) {
  run_adadelta(optim_detail::kernels_ref(), false, v, n, lr, rho, eps);
}

void adam_update(const OptimSlot* v, int64_t n, double lr, double beta1, double beta2,
                 double eps, int64_t step) {
  run_adam(active_kernels(), true, v, n, lr, beta1, beta2, eps, step);
}
void adam_update_ref(const OptimSlot* v, int64_t n, double lr, double beta1, double beta2,
                     double eps, int64_t step) {
  run_adam(optim_detail::kernels_ref(), false, v, n, lr, beta1, beta2, eps, step);
}

void adamax_update(const OptimSlot* v, int64_t n, double lr, double beta1, double beta2,
                   double eps, int64_t step, double decay) {
  run_adamax(active_kernels(), true, v, n, lr, beta1, beta2, eps, step, decay);
}
void adamax_update_ref(const OptimSlot* v, int64_t n, double lr, double beta1,
                       double beta2, double eps, int64_t step, double decay) {
  run_adamax(optim_detail::kernels_ref(), false, v, n, lr, beta1, beta2, eps, step, decay);
}

void rmsprop_update(const OptimSlot* v, int64_t n, double lr, double decay,
                    double momentum, double eps, bool centered) {
  run_rmsprop(active_kernels(), true, v, n, lr, decay, momentum, eps, centered);
}
void rmsprop_update_ref(const OptimSlot* v, int64_t n, double lr, double decay,
                        double momentum, double eps, bool centered) {
  run_rmsprop(optim_detail::kernels_ref(), false, v, n, lr, decay, momentum, eps,
              centered);
}

}  // namespace treino
