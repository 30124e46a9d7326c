// Internal interface of the GEMM for the sgemm driver and for other kernel families that
// build on its pieces (convolution packs its own A panels and calls the micro-kernel).
//
// Layouts, as the micro-kernel contract of sgemm_kernels.h expects them:
//   packed A block (mc x kc): mr-tall micro-panels, panel r at dst + r*kc*mr, each
//     k-major: dst[k*mr + i] = op(A)[ic + r*mr + i, pc + k];
//   packed B panel (kc x nc): nr-wide micro-panels, panel q at dst + q*kc*nr, each
//     row-major: dst[k*nr + j] = op(B)[pc + k, jc + q*nr + j].
// Rows / columns past the edge of a partial micro-panel are left unwritten: the
// micro-kernel never reads them (it masks by m and n).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "gemm/sgemm_kernels.h"

namespace treino::gemm {

// Register tile, cache blocks and kernels of active_isa().
const KernelSet& kernel_set();

// Grow-only, 64-byte aligned packing buffer (one per thread, thread_local): no
// allocation in steady state.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(p_); }
  float* get(size_t floats) {
    if (floats > n_) {
      std::free(p_);
      p_ = nullptr;
      n_ = 0;
      const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
      p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p_) throw std::bad_alloc();
      n_ = floats;
    }
    return p_;
  }

 private:
  float* p_ = nullptr;
  size_t n_ = 0;
};

// Block size for an extent n: at most `blk`, equal blocks (rounded up to `unit`), so
// no block is a sliver (K = 784 with kc = 256 gives 4 x 196, not 3 x 256 + 16).
int64_t balanced(int64_t n, int64_t blk, int64_t unit);

// Floats of a packed block covering `extent` rows (A) or columns (B) in whole tiles.
size_t panel_floats(int64_t extent, int64_t tile, int64_t kc);

// Packs op(B)[pc:pc+kc, jc:jc+nc] as above. op(B) is B (K x N, row stride ldb) or, with
// trans, B^T for B of N x K.
void pack_b(const KernelSet& ks, bool trans, const float* B, int64_t ldb, int64_t pc,
            int64_t kc, int64_t jc, int64_t nc, float* dst);

// Packs op(A)[ic:ic+mc, pc:pc+kc] as above. op(A) is A (M x K, row stride lda) or, with
// trans, A^T for A of K x M.
void pack_a(const KernelSet& ks, bool trans, const float* A, int64_t lda, int64_t ic,
            int64_t mc, int64_t pc, int64_t kc, float* dst);

}  // namespace treino::gemm
