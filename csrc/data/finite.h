// Finiteness check of float32 training data (fit, evaluate and predict validate every
// input before any weight changes).
//
// A scan of the whole dataset before training: for MNIST-sized inputs (188 MB) it is
// memory-bound, so it reads the bits once, with no arithmetic that could overflow (a
// sum would turn 3e38 + 3e38 into infinity and need a second look), split over the
// threads, which together draw more bandwidth than one.
#pragma once
#include <cstdint>

namespace treino {

// The index of the first element of p[0, n) that is NaN or +-infinity, or -1 if none.
int64_t first_nonfinite(const float* p, int64_t n);

}  // namespace treino
