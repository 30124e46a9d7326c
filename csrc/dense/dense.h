// Fused dense layer: y = act(x @ W + b) forward and its whole backward, one call each.
//
//   x  (N, K)   W (K, U)   b (U) or null   y (N, U)      all row-major, contiguous
//
// Forward: sgemm writes x @ W into y (overwritten), then one pass over the still-hot rows
// adds b and applies act in place.
// Backward, from dy (N, U) and the saved output y (act' is taken from y, see
// elementwise/activation.h):
//   dz = dy * act'(y)        (N, U)  scratch; dy itself for linear
//   dW = x^T @ dz            (K, U)  overwritten
//   db = column_sum(dz)      (U)     overwritten; skipped when db is null
//   dx = dz @ W^T            (N, K)  overwritten; skipped when dx is null (first layer)
// The scratch is a thread-local buffer that only grows, so steady-state training
// allocates nothing. Any of N, K, U may be 0.
#pragma once
#include <cstdint>

#include "elementwise/activation.h"

namespace treino {

void dense_forward(const float* x, const float* W, const float* b, float* y, int64_t N,
                   int64_t K, int64_t U, Act act, float alpha);
void dense_backward(const float* dy, const float* x, const float* W, const float* y,
                    int64_t N, int64_t K, int64_t U, Act act, float alpha, float* dx,
                    float* dW, float* db);

// Reference twins: sgemm_ref and the reference activation loops, single-threaded.
void dense_forward_ref(const float* x, const float* W, const float* b, float* y, int64_t N,
                       int64_t K, int64_t U, Act act, float alpha);
void dense_backward_ref(const float* dy, const float* x, const float* W, const float* y,
                        int64_t N, int64_t K, int64_t U, Act act, float alpha, float* dx,
                        float* dW, float* db);

}  // namespace treino
