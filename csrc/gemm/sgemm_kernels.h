// Internal interface between the sgemm driver (sgemm.cpp) and its per-ISA pieces.
//
// A micro-kernel computes one register tile of C, m x n with m <= MR and n <= NR:
//   C[i*ldc + j] = alpha * sum_{k<K} a(i,k) * b(k,j) + beta * C[i*ldc + j]
// where a(i,k) = a[i*rs_a + k*cs_a] and b(k,j) = b[k*rs_b + j] (rows of B contiguous
// along N). beta == 0 overwrites C without reading it. Packed A panels use rs_a = 1,
// cs_a = MR; unpacked (direct) A uses its own strides; packed B panels use rs_b = NR,
// unpacked B uses rs_b = ldb. Loads past n are masked, so neither operand needs
// padding. A kernel accumulates each element as one chain of multiply-adds over k in
// order (FMA in the AVX2 / AVX-512 ones) and applies the same epilogue to every tile
// (fma(beta, C, alpha * acc) there), so the result of an element does not depend on the
// tile it falls in; thread-count independence relies on that.
//
// A transpose kernel writes dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols; the
// packing of non-transposed A and of transposed B are both this operation.
#pragma once
#include <cstdint>

namespace treino::gemm {

using UkernelFn = void (*)(int m, int n, int64_t K, const float* a, int64_t rs_a,
                           int64_t cs_a, const float* b, int64_t rs_b, float* c, int64_t ldc,
                           float alpha, float beta);
using TransposeFn = void (*)(const float* src, int64_t lds, int64_t rows, int64_t cols,
                             float* dst, int64_t ldd);

// Register tile, cache blocks and kernels of one ISA path.
struct KernelSet {
  int mr, nr;           // register tile (micro-kernel) rows and columns
  int64_t mc, kc, nc;   // cache blocks: A block mc x kc (L2), B panel kc x nc (L3)
  int64_t direct_b_m;   // non-transposed B is read in place (not packed) when M <= this
  UkernelFn ukernel;
  TransposeFn transpose;
};

// Portable path (any CPU): 4x16 tile in plain C++.
void sgemm_ukernel_4x16_ref(int m, int n, int64_t K, const float* a, int64_t rs_a,
                            int64_t cs_a, const float* b, int64_t rs_b, float* c, int64_t ldc,
                            float alpha, float beta);
void transpose_ref(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst,
                   int64_t ldd);

#if defined(TREINO_X86)
namespace avx2 {
void sgemm_ukernel_6x16_avx2(int m, int n, int64_t K, const float* a, int64_t rs_a,
                             int64_t cs_a, const float* b, int64_t rs_b, float* c, int64_t ldc,
                             float alpha, float beta);
// 8x8 register transposes; also used by the AVX-512 path (every AVX-512 CPU has AVX2).
void transpose_avx2(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst,
                    int64_t ldd);
}  // namespace avx2
namespace avx512 {
void sgemm_ukernel_12x32_avx512(int m, int n, int64_t K, const float* a, int64_t rs_a,
                                int64_t cs_a, const float* b, int64_t rs_b, float* c,
                                int64_t ldc, float alpha, float beta);
}  // namespace avx512
#endif

}  // namespace treino::gemm
