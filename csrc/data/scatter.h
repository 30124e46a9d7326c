// Deterministic scatter-add of rows, the backward of a row gather (an embedding lookup):
//
//   out (V, D) = 0;  out[idx[p], :] += src[p, :]  for p = 0 .. n-1, in that order
//
// Each output row sums its contributions in increasing p whatever the thread count (a
// stable sort groups them by row, a counting sort unless the table is far bigger than
// the batch; threads take whole groups), so the result is bit-identical to the
// sequential loop (numpy's np.add.at on zeros) on any number of threads. idx entries
// must be in [0, V) (the binding checks them).
#pragma once
#include <cstdint>

namespace treino {

void scatter_add_rows(const float* src, int64_t D, const int64_t* idx, int64_t n, int64_t V,
                      float* out);

}  // namespace treino
