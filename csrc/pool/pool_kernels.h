// Internal: the per-ISA pooling loops behind pool.h (pool_impl.h compiled three times),
// each over the images [n0, n1) of the batch; pool.cpp splits the batch into chunks and
// picks the table with TREINO_ISA_PICK(pool_kernels).
#pragma once
#include <cstdint>

#include "pool/pool.h"

namespace treino::pool_detail {

struct Kernels {
  void (*max_forward)(const PoolShape& s, const float* x, float* y, int32_t* argmax,
                      int64_t n0, int64_t n1);
  void (*max_backward)(const PoolShape& s, const float* dy, const int32_t* argmax, float* dx,
                       int64_t n0, int64_t n1);
  void (*avg_forward)(const PoolShape& s, const float* x, float* y, int64_t n0, int64_t n1);
  void (*avg_backward)(const PoolShape& s, const float* dy, float* dx, int64_t n0, int64_t n1);
};

const Kernels& pool_kernels_ref();
#if defined(TREINO_X86)
const Kernels& pool_kernels_avx2();
const Kernels& pool_kernels_avx512();
#endif

}  // namespace treino::pool_detail
