// The GEMM's per-ISA blocking and its packing routines (interface in gemm_internal.h),
// shared by the sgemm driver and the convolution kernels.
#include <algorithm>
#include <cstring>

#include "common/dispatch.h"
#include "gemm/gemm_internal.h"

namespace treino::gemm {

// {mr, nr, mc, kc, nc, direct_b_m}. A packed mc x kc block of A (<= 504 KiB) takes
// half of a 1 MiB L2; the kc x nr B micro-panel (16-64 KiB) is re-read from L1/L2 across
// the ir loop; a kc x nc B panel (4-8 MiB) sits in L3. Blocks are balanced (see
// balanced()). AVX-512 on Zen 4: kc 512 with mc 240 (a 480 KiB A block) against the AVX2
// path's 256 x 504: a longer k loop per tile halves the C loads and stores per FMA and
// the number of packing passes. Measured on one Zen 4 thread against OpenBLAS's
// AVX-512 kernel (best of 7): 2048 from 0.92x to 1.02x, 512-1024 from 0.97-0.98x to
// 1.00-1.01x; kc 384 (mc 336 or 504) and 768 (mc 168) were within noise of 512.
// direct_b_m: up to 48 rows of C, packing B costs more than it saves. With 32-wide
// (two-line) B rows the AVX-512 kernel still reads B in place faster at 128 rows
// (batch-128 forward 128x784 @ 784x512: 3-5% faster alone; about even inside a whole
// training step, where W arrives cold); the 16-wide AVX2 kernel re-reads each B row
// twice as often and is 10-15% slower unpacked there.
namespace {
const KernelSet kernel_set_ref{4, 16, 256, 256, 4096, 48, &sgemm_ukernel_4x16_ref,
                               &transpose_ref};
#if defined(TREINO_X86)
const KernelSet kernel_set_avx2{6, 16, 504, 256, 4096, 48, &avx2::sgemm_ukernel_6x16_avx2,
                                &avx2::transpose_avx2};
const KernelSet kernel_set_avx512{12, 32, 240, 512, 4096, 128,
                                  &avx512::sgemm_ukernel_12x32_avx512, &avx2::transpose_avx2};
#endif
}  // namespace

const KernelSet& kernel_set() { return *TREINO_ISA_PICK(kernel_set); }

namespace {

// dst[r*ldd + c] = src[r*lds + c] for r < rows, c < w. Full-width rows are copied with a
// compile-time size (a few vector moves, not a memcpy call per 48-128 bytes).
template <int W>
void copy_rows_fixed(const float* src, int64_t lds, int64_t rows, float* dst) {
  for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * W, src + r * lds, W * sizeof(float));
}

void copy_rows(const float* src, int64_t lds, int64_t rows, int64_t w, float* dst, int64_t ldd) {
  if (w == ldd) {
    switch (w) {
      case 4: return copy_rows_fixed<4>(src, lds, rows, dst);
      case 6: return copy_rows_fixed<6>(src, lds, rows, dst);
      case 12: return copy_rows_fixed<12>(src, lds, rows, dst);
      case 16: return copy_rows_fixed<16>(src, lds, rows, dst);
      case 32: return copy_rows_fixed<32>(src, lds, rows, dst);
      default: break;
    }
  }
  for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * ldd, src + r * lds, w * sizeof(float));
}

}  // namespace

void pack_b(const KernelSet& ks, bool trans, const float* B, int64_t ldb, int64_t pc,
            int64_t kc, int64_t jc, int64_t nc, float* dst) {
  const int nr = ks.nr;
  for (int64_t jr = 0; jr < nc; jr += nr) {
    const int64_t w = std::min<int64_t>(nr, nc - jr);
    float* d = dst + (jr / nr) * kc * nr;
    if (trans) {
      ks.transpose(B + (jc + jr) * ldb + pc, ldb, w, kc, d, nr);
    } else {
      copy_rows(B + pc * ldb + jc + jr, ldb, kc, w, d, nr);
    }
  }
}

void pack_a(const KernelSet& ks, bool trans, const float* A, int64_t lda, int64_t ic,
            int64_t mc, int64_t pc, int64_t kc, float* dst) {
  const int mr = ks.mr;
  for (int64_t ir = 0; ir < mc; ir += mr) {
    const int64_t h = std::min<int64_t>(mr, mc - ir);
    float* d = dst + (ir / mr) * kc * mr;
    if (trans) {
      copy_rows(A + pc * lda + ic + ir, lda, kc, h, d, mr);
    } else {
      ks.transpose(A + (ic + ir) * lda + pc, lda, h, kc, d, mr);
    }
  }
}

int64_t balanced(int64_t n, int64_t blk, int64_t unit) {
  const int64_t blocks = std::max<int64_t>(1, (n + blk - 1) / blk);
  const int64_t b = (n + blocks - 1) / blocks;
  return std::max<int64_t>(unit, (b + unit - 1) / unit * unit);
}

size_t panel_floats(int64_t extent, int64_t tile, int64_t kc) {
  return static_cast<size_t>((extent + tile - 1) / tile * tile * kc);
}

}  // namespace treino::gemm
