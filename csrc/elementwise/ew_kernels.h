// Internal: the per-ISA kernel table of the elementwise family. The generic loops live in
// unary_impl.h / reduce_impl.h and are compiled three times (elementwise_ref.cpp, _avx2,
// _avx512); the dispatchers (unary.cpp, binary.cpp, reduce.cpp, activation.cpp) pick a
// table with active_isa() and own the threading and the fixed reduction split. Every
// kernel here is single-threaded and works on one contiguous span.
#pragma once
#include <cstdint>

#include "elementwise/activation.h"
#include "elementwise/elementwise.h"

namespace treino::ew_detail {

// Reductions are summed in blocks of this many elements (float lanes), blocks in double;
// a long row is cut into chunks of kChunk elements that threads may take, so the split
// is a function of the length only.
constexpr int64_t kBlock = 256;
constexpr int64_t kChunk = 256 * kBlock;
// Column tiles of the axis-not-last reductions (stack buffers of this many entries).
constexpr int64_t kColTile = 1024;
// Rows summed in float before they are added into the double accumulator.
constexpr int64_t kRowBlock = 64;

struct Kernels {
  void (*unary_forward)(Unary op, const float* x, float* y, int64_t n, float alpha);
  void (*unary_backward)(Unary op, const float* dy, const float* v, float* dx, int64_t n,
                         float alpha);
  void (*act_forward)(Act act, float* y, int64_t n, float alpha);
  void (*act_backward)(Act act, const float* dy, const float* y, float* dz, int64_t n,
                       float alpha);
  // y[r, :] = act(y[r, :] + b) for rows r of length cols; b may be null.
  void (*bias_act_rows)(Act act, float* y, const float* b, int64_t rows, int64_t cols,
                        float alpha);
  // out[i] = op(a[i * sa], b[i * sb]), sa and sb in {0, 1}.
  void (*binary_span)(Binary op, const float* a, int64_t sa, const float* b, int64_t sb,
                      float* out, int64_t n);
  // Sum / product of x[0..n), n <= kChunk, in the fixed block order.
  double (*sum_chunk)(const float* x, int64_t n);
  double (*prod_chunk)(const float* x, int64_t n);
  // Max (is_max) or min of x[0..n), n > 0, NaN-propagating.
  float (*extreme_span)(const float* x, int64_t n, bool is_max);
  // First index of the max/min of x[0..n), n > 0 (first NaN wins).
  int64_t (*arg_span)(const float* x, int64_t n, bool is_max);
  // Column reductions: out[j] = op over l < len of x[l * stride + j], j < ncols <= kColTile.
  void (*reduce_cols)(Reduce op, const float* x, int64_t len, int64_t stride,
                      int64_t ncols, float* out);
  void (*arg_cols)(bool is_max, const float* x, int64_t len, int64_t stride,
                   int64_t ncols, int32_t* out);
};

const Kernels& kernels_ref();
#if defined(TREINO_X86)
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();
#endif
// The table for active_isa().
const Kernels& kernels();

}  // namespace treino::ew_detail
