// Pooling driver (contract in pool.h): ISA dispatch and the split of the batch into chunks
// of whole images. Every output and every dx element is computed by one chunk, in the
// same order whatever thread runs it.
#include <algorithm>

#include "common/dispatch.h"
#include "common/threading.h"
#include "pool/pool.h"
#include "pool/pool_kernels.h"

namespace treino {

namespace {

// A chunk is whole images of about kChunkWork window elements; below kParallelMin in all,
// one thread (the loops stream memory at a few ns per element).
constexpr double kChunkWork = 32768;
constexpr double kParallelMin = 131072;

const pool_detail::Kernels& kernels() { return TREINO_ISA_PICK(pool_detail::pool_kernels)(); }

// fn(n0, n1) over chunks of whole images.
template <class Fn>
void for_image_chunks(const PoolShape& s, Fn&& fn) {
  // In double: a window may be far larger than the image it covers (with its padding).
  const double work = std::max(1.0, double(s.oh * s.ow * s.c) *
                                        double(std::min(s.fh, s.h) * std::min(s.fw, s.w)) +
                                        double(s.h * s.w * s.c));
  const int64_t per = std::max<int64_t>(1, static_cast<int64_t>(kChunkWork / work));
  const int64_t chunks = (s.n + per - 1) / per;
  parallel_for_chunks(chunks, double(s.n) * work >= kParallelMin, [&](int64_t ch) {
    fn(ch * per, std::min(s.n, (ch + 1) * per));
  });
}

}  // namespace

bool pool_output_size(PoolShape* s) {
  if (s->fh < 1 || s->fw < 1 || s->sh < 1 || s->sw < 1 || s->h < 1 || s->w < 1) return false;
  if (s->pt < 0 || s->pb < 0 || s->pl < 0 || s->pr < 0) return false;
  if (s->pt >= s->fh || s->pb >= s->fh || s->pl >= s->fw || s->pr >= s->fw) return false;
  // Pads are below the window sizes, which are below the input's extents plus pads: no
  // overflow once the window fits.
  if (s->h + s->pt + s->pb < s->fh || s->w + s->pl + s->pr < s->fw) return false;
  s->oh = (s->h + s->pt + s->pb - s->fh) / s->sh + 1;
  s->ow = (s->w + s->pl + s->pr - s->fw) / s->sw + 1;
  return true;
}

void max_pool_forward(const PoolShape& s, const float* x, float* y, int32_t* argmax) {
  if (s.c == 0) return;
  const auto& k = kernels();
  for_image_chunks(s, [&](int64_t n0, int64_t n1) { k.max_forward(s, x, y, argmax, n0, n1); });
}

void max_pool_backward(const PoolShape& s, const float* dy, const int32_t* argmax,
                       float* dx) {
  if (s.c == 0) return;
  const auto& k = kernels();
  for_image_chunks(s, [&](int64_t n0, int64_t n1) { k.max_backward(s, dy, argmax, dx, n0, n1); });
}

void avg_pool_forward(const PoolShape& s, const float* x, float* y) {
  if (s.c == 0) return;
  const auto& k = kernels();
  for_image_chunks(s, [&](int64_t n0, int64_t n1) { k.avg_forward(s, x, y, n0, n1); });
}

void avg_pool_backward(const PoolShape& s, const float* dy, float* dx) {
  if (s.c == 0) return;
  const auto& k = kernels();
  for_image_chunks(s, [&](int64_t n0, int64_t n1) { k.avg_backward(s, dy, dx, n0, n1); });
}

}  // namespace treino
