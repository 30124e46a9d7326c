// Softmax, log-softmax and the fused softmax-cross-entropy, row-wise over the last axis.
//
// Every array is row-major and contiguous: `rows` rows of `cols` floats. Outputs are
// overwritten, never accumulated, and may be the very same buffer as an input of the
// same shape (in place); partial overlaps are not allowed (the bindings check it).
// Each row is independent: rows are split into chunks fixed by the problem size and run
// in parallel for large inputs, so results do not depend on the thread count.
//
// Stability: the row maximum is subtracted before exp. Logits of +-1e4 are fine; -inf
// entries give probability 0 (log-probability -inf); a row whose maximum is not finite
// (all -inf, any +inf) or that holds a NaN gives NaN for the whole row, as the numpy
// formula x - max(x) does.
//
// Each function dispatches on active_isa() (AVX-512 / AVX2 row loops with a vector exp
// accurate to ~2 ulp); the _ref twin is plain scalar code with std::exp, one thread.
#pragma once
#include <cstdint>

namespace treino {

// y = softmax(x), y = log_softmax(x): x, y (rows, cols).
void softmax_f32(const float* x, float* y, int64_t rows, int64_t cols);
void softmax_f32_ref(const float* x, float* y, int64_t rows, int64_t cols);
void log_softmax_f32(const float* x, float* y, int64_t rows, int64_t cols);
void log_softmax_f32_ref(const float* x, float* y, int64_t rows, int64_t cols);

// Backward from the saved forward output y (rows, cols):
//   softmax:     dx = y * (dy - sum_row(dy * y))
//   log_softmax: dx = dy - exp(y) * sum_row(dy)
void softmax_backward_f32(const float* dy, const float* y, float* dx, int64_t rows,
                          int64_t cols);
void softmax_backward_f32_ref(const float* dy, const float* y, float* dx, int64_t rows,
                              int64_t cols);
void log_softmax_backward_f32(const float* dy, const float* y, float* dx, int64_t rows,
                              int64_t cols);
void log_softmax_backward_f32_ref(const float* dy, const float* y, float* dx, int64_t rows,
                                  int64_t cols);

// Softmax cross-entropy from logits, one call per batch. With smoothed labels
// t = labels * (1 - label_smoothing) + label_smoothing / cols (TF.js):
//   losses[i]    = -sum_j t_ij * log_softmax(logits)_ij   (unweighted; terms with t_ij == 0
//                  are skipped, so a -inf logit with zero label weight costs nothing)
//   dlogits[i,j] = (softmax(logits)_ij * sum_k t_ik - t_ij) * grad_scale * sample_weight[i]
//   returns the number of rows with argmax(logits) == argmax(labels) (or == the index),
//   first index on ties and first NaN wins, as numpy.argmax.
struct SoftmaxXentArgs {
  const float* logits = nullptr;        // (rows, cols), cols >= 1
  const float* labels = nullptr;        // (rows, cols) probabilities, or nullptr ...
  const int32_t* label_index = nullptr; // ... (rows,) class indices in [0, cols)
  const float* sample_weight = nullptr; // (rows,) or nullptr (all 1)
  float grad_scale = 1.0f;
  float label_smoothing = 0.0f;
  float* losses = nullptr;   // (rows,), overwritten
  float* dlogits = nullptr;  // (rows, cols), overwritten; nullptr: no gradient. May be logits.
  int64_t rows = 0, cols = 0;
};
int64_t softmax_xent_f32(const SoftmaxXentArgs& a);
int64_t softmax_xent_f32_ref(const SoftmaxXentArgs& a);

// Categorical accuracy's count: the number of rows i of two (rows, cols) arrays with
// argmax(a[i]) == argmax(b[i]) (numpy.argmax: first maximum, first NaN wins); 0 when
// cols < 1.
int64_t argmax_match_count(const float* a, const float* b, int64_t rows, int64_t cols);

}  // namespace treino
