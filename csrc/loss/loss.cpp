// Loss driver: ISA dispatch and the split of rows into parallel chunks.
#include <algorithm>
#include <vector>

#include "common/dispatch.h"
#include "common/threading.h"
#include "loss/loss.h"
#include "loss/loss_kernels.h"

namespace treino {

namespace {

using loss_detail::Kernels;

// Chunks of about kChunkElems floats (at least one row); threads only from
// kParallelMin elements, below which a parallel region costs more than it saves.
constexpr int64_t kChunkElems = 16384;
constexpr int64_t kParallelMin = 32768;

const Kernels& active_kernels() { return TREINO_ISA_PICK(loss_detail::kernels)(); }

// fn(r0, r1) over row ranges that depend only on (rows, cols); returns the sum of fn's
// results (an integer count, so the order of the sum does not matter either).
template <class Fn>
int64_t for_row_chunks(int64_t rows, int64_t cols, Fn&& fn) {
  if (rows <= 0) return 0;
  const int64_t per = std::max<int64_t>(1, kChunkElems / std::max<int64_t>(cols, 1));
  const int64_t chunks = (rows + per - 1) / per;
  if (chunks == 1 || rows * cols < kParallelMin) return fn(int64_t{0}, rows);
  std::vector<int64_t> part(static_cast<size_t>(chunks), 0);
  parallel_for_chunks(chunks, true, [&](int64_t c) {
    const int64_t r0 = c * per, r1 = std::min(rows, r0 + per);
    part[static_cast<size_t>(c)] = fn(r0, r1);
  });
  int64_t total = 0;
  for (int64_t v : part) total += v;
  return total;
}

// Row kernels of the softmax family: f(in0, in1, out, rows, cols) on row ranges.
template <class F>
void rows_unary(F f, const float* x, float* y, int64_t rows, int64_t cols) {
  for_row_chunks(rows, cols, [&](int64_t r0, int64_t r1) {
    f(x + r0 * cols, y + r0 * cols, r1 - r0, cols);
    return int64_t{0};
  });
}

template <class F>
void rows_binary(F f, const float* dy, const float* y, float* dx, int64_t rows,
                 int64_t cols) {
  for_row_chunks(rows, cols, [&](int64_t r0, int64_t r1) {
    f(dy + r0 * cols, y + r0 * cols, dx + r0 * cols, r1 - r0, cols);
    return int64_t{0};
  });
}

}  // namespace

void softmax_f32(const float* x, float* y, int64_t rows, int64_t cols) {
  rows_unary(active_kernels().softmax, x, y, rows, cols);
}
void softmax_f32_ref(const float* x, float* y, int64_t rows, int64_t cols) {
  loss_detail::kernels_ref().softmax(x, y, rows, cols);
}

void log_softmax_f32(const float* x, float* y, int64_t rows, int64_t cols) {
  rows_unary(active_kernels().log_softmax, x, y, rows, cols);
}
void log_softmax_f32_ref(const float* x, float* y, int64_t rows, int64_t cols) {
  loss_detail::kernels_ref().log_softmax(x, y, rows, cols);
}

void softmax_backward_f32(const float* dy, const float* y, float* dx, int64_t rows,
                          int64_t cols) {
  rows_binary(active_kernels().softmax_bwd, dy, y, dx, rows, cols);
}
void softmax_backward_f32_ref(const float* dy, const float* y, float* dx, int64_t rows,
                              int64_t cols) {
  loss_detail::kernels_ref().softmax_bwd(dy, y, dx, rows, cols);
}

void log_softmax_backward_f32(const float* dy, const float* y, float* dx, int64_t rows,
                              int64_t cols) {
  rows_binary(active_kernels().log_softmax_bwd, dy, y, dx, rows, cols);
}
void log_softmax_backward_f32_ref(const float* dy, const float* y, float* dx, int64_t rows,
                                  int64_t cols) {
  loss_detail::kernels_ref().log_softmax_bwd(dy, y, dx, rows, cols);
}

int64_t softmax_xent_f32(const SoftmaxXentArgs& a) {
  if (a.cols < 1) return 0;
  const Kernels& k = active_kernels();
  return for_row_chunks(a.rows, a.cols,
                        [&](int64_t r0, int64_t r1) { return k.xent(a, r0, r1); });
}
int64_t softmax_xent_f32_ref(const SoftmaxXentArgs& a) {
  if (a.cols < 1 || a.rows <= 0) return 0;
  return loss_detail::kernels_ref().xent(a, 0, a.rows);
}

int64_t argmax_match_count(const float* a, const float* b, int64_t rows, int64_t cols) {
  if (cols < 1) return 0;
  const Kernels& k = active_kernels();
  // Two rows are read per row: chunks sized for both.
  return for_row_chunks(rows, 2 * cols, [&](int64_t r0, int64_t r1) {
    return k.argmax_match(a, b, r0, r1, cols);
  });
}

}  // namespace treino
