// Row gathers for the training loop: out[i] = src[idx[i]], rows of `row_bytes` bytes.
//
// fit draws every batch from shuffled indices, so each row comes from a random place in
// a dataset far larger than the caches; the copy is memory-latency bound (about 15 us
// for 32 rows of 784 floats here, a third of a W1 step). `prefetch` names the rows of
// the NEXT batch: their cache lines are requested now, to arrive while the step
// computes. (A background thread copying the next batch was tried and lost: on this
// 2-vCPU machine every cross-thread handoff costs more than the copy.) The copy does no
// arithmetic: results never depend on the thread count.
#pragma once
#include <cstdint>

namespace treino {

// src: n_src rows, dst: n rows (overwritten); idx and prefetch entries must be in
// [0, n_src) (the binding checks them, on its own copy of them).
void gather_rows(const char* src, int64_t row_bytes, const int64_t* idx, int64_t n, char* dst,
                 const int64_t* prefetch, int64_t n_prefetch);

}  // namespace treino
