// sgemm driver: C = alpha * op(A) * op(B) + beta * C, row-major (contract in sgemm.h).
//
// BLIS structure. Loops, outermost first:
//   jc over N in nc blocks -> pc over K in kc blocks (pack B: kc x nc panel of nr-wide
//   micro-panels) -> ic over M in mc blocks (pack A: mc x kc block of mr-tall
//   micro-panels) -> jr over nr columns -> ir over mr rows -> micro-kernel.
// The B micro-panel (kc x nr) stays in L1 across the ir loop, the A block in L2, the B
// panel in L3. Transposes are absorbed by the packing (a copy or an 8x8-block
// transpose). For the small shapes of training, packing costs as much as the math, so
// an operand the micro-kernel can read in place is not packed (the "direct" path: A
// is read with its own strides, non-transposed B row by row); the choice depends on the
// shape only.
//
// Threads (from 4 MFLOP, see kParallelMinFlops) split C into disjoint row or column
// ranges. The operand all ranges need (B for rows, A for columns) is packed once by all
// threads together (whole, with one barrier, or panel by panel for a big B); each
// thread packs its own part of the other. K is never split, and every element is one
// FMA chain over k in a fixed order whatever tile or range it lands in, so results are
// bit-identical for any thread count.
#include <algorithm>
#include <atomic>
#include <new>

#include "common/threading.h"
#include "gemm/gemm_internal.h"
#include "gemm/sgemm.h"

namespace treino {
namespace gemm {
namespace {

// Below this many flops (~35 us on one core) a product runs on one thread. Alone in a
// loop, the 1.6 MFLOP products of a 784-32 dense layer at batch 32 gain 1.3-1.6x from 2
// threads; inside a training step they lose: after each parallel region the idle OpenMP
// worker spins, and on this 2-vCPU VM that slows the caller's serial work that follows
// (the sgd update 3.5 -> 13 us, the batch gather 16 -> 20-26 us). Measured W1 step
// (bench/bench_step.py, 2 threads): 95 us with this bound, 102-137 us with 1e6.
constexpr double kParallelMinFlops = 4e6;

thread_local Scratch tl_pack_a, tl_pack_b;

struct Problem {
  bool ta, tb;
  int64_t M, N, K;
  float alpha, beta;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float* C;
  int64_t ldc;
  bool pack_a, pack_b;
};

// C[i, j] = beta * C[i, j] for the whole matrix (beta == 0 writes zeros).
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.f) {
      std::fill(c, c + N, 0.f);
    } else if (beta != 1.f) {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

// C[ic:ic+mc, jc:jc+nc] (+)= alpha * op(A) block * op(B) block over k in [pc, pc+kc):
// the jr / ir loops around the micro-kernel. abuf / bbuf: packed blocks or null
// (operand read in place).
void macro_kernel(const Problem& p, const KernelSet& ks, int64_t ic, int64_t mc, int64_t pc,
                  int64_t kc, int64_t jc, int64_t nc, const float* abuf, const float* bbuf,
                  float beta) {
  const int mr = ks.mr, nr = ks.nr;
  for (int64_t jr = 0; jr < nc; jr += nr) {
    const int w = static_cast<int>(std::min<int64_t>(nr, nc - jr));
    const float* b = bbuf ? bbuf + (jr / nr) * kc * nr : p.B + pc * p.ldb + jc + jr;
    const int64_t rs_b = bbuf ? nr : p.ldb;
    float* c = p.C + ic * p.ldc + jc + jr;
    for (int64_t ir = 0; ir < mc; ir += mr) {
      const int h = static_cast<int>(std::min<int64_t>(mr, mc - ir));
      const float* a;
      int64_t rs_a, cs_a;
      if (abuf) {
        a = abuf + (ir / mr) * kc * mr, rs_a = 1, cs_a = mr;
      } else if (p.ta) {
        a = p.A + pc * p.lda + ic + ir, rs_a = 1, cs_a = p.lda;
      } else {
        a = p.A + (ic + ir) * p.lda + pc, rs_a = p.lda, cs_a = 1;
      }
      ks.ukernel(h, w, kc, a, rs_a, cs_a, b, rs_b, c + ir * p.ldc, p.ldc, p.alpha, beta);
    }
  }
}

// An operand packed whole, before the threads start on their ranges: block
// (outer block i, k block q) of `block_floats` floats at base + (i * n_k + q) * block_floats,
// laid out as pack_a / pack_b lay out one block.
struct Prepacked {
  const float* base = nullptr;
  int64_t n_k = 0;
  size_t block_floats = 0;
  const float* at(int64_t i, int64_t q) const { return base + (i * n_k + q) * block_floats; }
};

// Computes C[m0:m1, n0:n1] on the calling thread, packing into its own buffers what
// is to be packed and not given pre-packed (pre_a must cover rows [0, M) and pre_b
// columns [0, N), with the blocking below).
void run_range(const Problem& p, const KernelSet& ks, int64_t m0, int64_t m1, int64_t n0,
               int64_t n1, const Prepacked* pre_a = nullptr, const Prepacked* pre_b = nullptr) {
  const int64_t kcb = balanced(p.K, ks.kc, 1);
  const int64_t ncb = balanced(n1 - n0, ks.nc, ks.nr);
  const int64_t mcb = balanced(m1 - m0, ks.mc, ks.mr);
  float* bbuf = nullptr;
  float* abuf = nullptr;
  if (p.pack_b && !pre_b) bbuf = tl_pack_b.get(panel_floats(std::min(ncb, n1 - n0), ks.nr, kcb));
  if (p.pack_a && !pre_a) abuf = tl_pack_a.get(panel_floats(std::min(mcb, m1 - m0), ks.mr, kcb));
  for (int64_t jc = n0; jc < n1; jc += ncb) {
    const int64_t nc = std::min(ncb, n1 - jc);
    for (int64_t pc = 0; pc < p.K; pc += kcb) {
      const int64_t kc = std::min(kcb, p.K - pc);
      const float* b = pre_b ? pre_b->at(jc / ncb, pc / kcb) : bbuf;
      if (bbuf) pack_b(ks, p.tb, p.B, p.ldb, pc, kc, jc, nc, bbuf);
      for (int64_t ic = m0; ic < m1; ic += mcb) {
        const int64_t mc = std::min(mcb, m1 - ic);
        const float* a = pre_a ? pre_a->at(ic / mcb, pc / kcb) : abuf;
        if (abuf) pack_a(ks, p.ta, p.A, p.lda, ic, mc, pc, kc, abuf);
        macro_kernel(p, ks, ic, mc, pc, kc, jc, nc, a, b, pc == 0 ? p.beta : 1.f);
      }
    }
  }
}

#if defined(TREINO_OPENMP)
// Boundary c of `parts` near-equal ranges of [0, n), rounded to a multiple of `unit`.
int64_t split_point(int64_t n, int64_t parts, int64_t c, int64_t unit) {
  if (c >= parts) return n;
  const int64_t units = (n + unit - 1) / unit;
  return std::min(n, units * c / parts * unit);
}

// Operands up to this many floats (8 MiB) are packed whole by all threads together
// before the ranges start (one barrier); bigger B panels are shared block by block.
constexpr int64_t kPrepackMaxFloats = int64_t{1} << 21;
constexpr int64_t kShareMinFloats = int64_t{1} << 16;

// Micro-panel q of a whole-operand packing (round-robin over threads keeps the
// packing balanced even when a block has a single micro-panel).
// B: blocks over (jc, pc), nr-wide micro-panels. A: blocks over (ic, pc), mr-tall ones.
void prepack_share(const Problem& p, const KernelSet& ks, bool is_b, const Prepacked& pre,
                   int64_t outer_blk, int t, int T) {
  const int64_t extent = is_b ? p.N : p.M, tile = is_b ? ks.nr : ks.mr;
  const int64_t kcb = balanced(p.K, ks.kc, 1);
  const int64_t n_outer = (extent + outer_blk - 1) / outer_blk;
  const int64_t tiles_per_block = (outer_blk + tile - 1) / tile;
  int64_t q = 0;
  for (int64_t i = 0; i < n_outer; ++i) {
    const int64_t o0 = i * outer_blk, olen = std::min(outer_blk, extent - o0);
    for (int64_t pq = 0; pq < pre.n_k; ++pq) {
      const int64_t pc = pq * kcb, kc = std::min(kcb, p.K - pc);
      float* block = const_cast<float*>(pre.at(i, pq));
      for (int64_t r = 0; r < tiles_per_block && r * tile < olen; ++r, ++q) {
        if (q % T != t) continue;
        const int64_t len = std::min(tile, olen - r * tile);
        if (is_b) {
          pack_b(ks, p.tb, p.B, p.ldb, pc, kc, o0 + r * tile, len, block + r * tile * kc);
        } else {
          pack_a(ks, p.ta, p.A, p.lda, o0 + r * tile, len, pc, kc, block + r * tile * kc);
        }
      }
    }
  }
}

// Rows split across threads that share each packed B panel of a B too big to pack
// whole: every thread packs a slice of the panel, a barrier publishes it, each thread
// runs its rows, and a second barrier protects the panel from the next packing.
void rows_with_shared_b_blocks(const Problem& p, const KernelSet& ks, float* bbuf,
                               int64_t m0, int64_t m1, int t, int T, float* abuf) {
  const int64_t kcb = balanced(p.K, ks.kc, 1);
  const int64_t ncb = balanced(p.N, ks.nc, ks.nr);
  const int64_t mcb = balanced(std::max<int64_t>(1, m1 - m0), ks.mc, ks.mr);
  for (int64_t jc = 0; jc < p.N; jc += ncb) {
    const int64_t nc = std::min(ncb, p.N - jc);
    for (int64_t pc = 0; pc < p.K; pc += kcb) {
      const int64_t kc = std::min(kcb, p.K - pc);
      const int64_t panels = (nc + ks.nr - 1) / ks.nr;
      const int64_t j0 = panels * t / T * ks.nr, j1 = std::min(nc, panels * (t + 1) / T * ks.nr);
      if (j1 > j0) pack_b(ks, p.tb, p.B, p.ldb, pc, kc, jc + j0, j1 - j0, bbuf + j0 * kc);
#pragma omp barrier
      for (int64_t ic = m0; ic < m1; ic += mcb) {
        const int64_t mc = std::min(mcb, m1 - ic);
        if (abuf) pack_a(ks, p.ta, p.A, p.lda, ic, mc, pc, kc, abuf);
        macro_kernel(p, ks, ic, mc, pc, kc, jc, nc, abuf, bbuf, pc == 0 ? p.beta : 1.f);
      }
#pragma omp barrier
    }
  }
}

// Threads take disjoint row (split_m) or column ranges of C. The operand every range
// needs whole (B for row ranges, A for column ranges) is packed once, together;
// the other is packed by each thread for its range.
void run_parallel(const Problem& p, const KernelSet& ks, bool split_m, int nt, int64_t unit) {
  const int64_t kcb = balanced(p.K, ks.kc, 1);
  // Sharing costs a barrier and cross-core traffic: below kShareMinFloats each thread
  // packs the operand for itself (measured: 32x784 op(B) 20% faster duplicated,
  // 128x784 op(A) 10% faster shared).
  const int64_t operand_floats = split_m ? p.K * p.N : p.M * p.K;
  const bool shared = (split_m ? p.pack_b : p.pack_a) && operand_floats >= kShareMinFloats;
  const int64_t outer_blk = split_m ? balanced(p.N, ks.nc, ks.nr) : balanced(p.M, ks.mc, ks.mr);
  const int64_t tile = split_m ? ks.nr : ks.mr;
  Prepacked pre;
  pre.n_k = (p.K + kcb - 1) / kcb;
  pre.block_floats = panel_floats(outer_blk, tile, kcb);
  const int64_t n_outer = ((split_m ? p.N : p.M) + outer_blk - 1) / outer_blk;
  const size_t whole_floats = pre.block_floats * static_cast<size_t>(n_outer * pre.n_k);
  const bool whole = shared && whole_floats <= static_cast<size_t>(kPrepackMaxFloats);
  // Only B panels are shared block by block; a huge A is re-packed per column range.
  const bool b_blocks = shared && !whole && split_m;
  Scratch& shared_buf = split_m ? tl_pack_b : tl_pack_a;
  if (whole) pre.base = shared_buf.get(whole_floats);
  float* bblock = b_blocks ? tl_pack_b.get(pre.block_floats) : nullptr;
  std::atomic<bool> failed{false};
#pragma omp parallel num_threads(nt)
  {
    const int T = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t extent = split_m ? p.M : p.N;
    const int64_t r0 = split_point(extent, T, t, unit), r1 = split_point(extent, T, t + 1, unit);
    if (whole) {
      prepack_share(p, ks, split_m, pre, outer_blk, t, T);
#pragma omp barrier
    }
    if (b_blocks) {
      // Every thread must reach every barrier: allocate before the first one.
      float* abuf = nullptr;
      try {
        const int64_t rows = std::max<int64_t>(1, r1 - r0);
        const int64_t mcb = balanced(rows, ks.mc, ks.mr);
        if (p.pack_a) abuf = tl_pack_a.get(panel_floats(std::min(mcb, rows), ks.mr, kcb));
      } catch (...) {
        failed = true;
      }
#pragma omp barrier
      if (!failed) rows_with_shared_b_blocks(p, ks, bblock, r0, r1, t, T, abuf);
    } else if (r1 > r0) {
      try {
        const Prepacked* pp = whole ? &pre : nullptr;
        if (split_m) {
          run_range(p, ks, r0, r1, 0, p.N, nullptr, pp);
        } else {
          run_range(p, ks, 0, p.M, r0, r1, pp, nullptr);
        }
      } catch (...) {
        failed = true;
      }
    }
  }
  if (failed) throw std::bad_alloc();
}
#endif

}  // namespace
}  // namespace gemm

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc) {
  using namespace gemm;
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.f) {  // as BLAS: op(A) * op(B) is not evaluated
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const KernelSet& ks = kernel_set();
  Problem p{trans_a, trans_b, M, N, K, alpha, beta, A, lda, B, ldb, C, ldc, true, true};
  // Pack an operand only when the micro-kernel cannot read it in place (transposed B)
  // or when it is both re-read by many micro-kernel calls (more than ks.direct_b_m rows
  // of C for B, 128 columns for A) and too big to stay in L1/L2 unpacked (strided rows
  // then cost TLB misses and cache-set conflicts). Measured: a direct 32x784 @ 784x32
  // runs 20% faster than a packed one.
  constexpr int64_t kSmallOperand = 16384;  // floats (64 KiB)
  p.pack_a = N > 128 && M * K > kSmallOperand;
  p.pack_b = trans_b || (M > ks.direct_b_m && K * N > kSmallOperand);

  const double flops = 2.0 * double(M) * double(N) * double(K);
  const int nt = num_threads();
#if defined(TREINO_OPENMP)
  if (nt > 1 && flops >= kParallelMinFlops) {
    // Split the dimension with more register tiles: many tiles give whole-tile
    // ranges, few give equal ones (whole vectors along N).
    const int64_t tiles_m = (M + ks.mr - 1) / ks.mr, tiles_n = (N + ks.nr - 1) / ks.nr;
    const bool split_m = tiles_m >= tiles_n;
    const int64_t tiles = split_m ? tiles_m : tiles_n;
    const bool many = tiles >= 4 * nt;
    const int64_t unit = split_m ? (many ? ks.mr : 4) : (many ? ks.nr : ks.nr / 2);
    const int64_t extent = split_m ? M : N;
    const int64_t parts = std::min<int64_t>(nt, (extent + unit - 1) / unit);
    if (parts > 1) {
      run_parallel(p, ks, split_m, static_cast<int>(parts), unit);
      return;
    }
  }
#else
  (void)flops, (void)nt;
#endif
  run_range(p, ks, 0, M, 0, N);
}

}  // namespace treino
