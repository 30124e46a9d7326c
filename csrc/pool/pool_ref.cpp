// Reference pooling: the definitions of pool.h as plain loops, one element at a time,
// single-threaded. Fallback and test oracle for pool.cpp.
#include <algorithm>
#include <cmath>

#include "pool/pool.h"

namespace treino {

namespace {

// Calls fn(n, out, r0, r1, c0, c1) per output pixel, in order: out is the offset of
// y[n, i, j, 0]; the window's elements inside x are rows [r0, r1), columns [c0, c1).
template <class Fn>
void for_each_window(const PoolShape& s, Fn&& fn) {
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t i = 0; i < s.oh; ++i) {
      for (int64_t j = 0; j < s.ow; ++j) {
        const int64_t r0 = std::max<int64_t>(0, i * s.sh - s.pt);
        const int64_t r1 = std::min(s.h, i * s.sh - s.pt + s.fh);
        const int64_t c0 = std::max<int64_t>(0, j * s.sw - s.pl);
        const int64_t c1 = std::min(s.w, j * s.sw - s.pl + s.fw);
        fn(n, ((n * s.oh + i) * s.ow + j) * s.c, r0, r1, c0, c1);
      }
    }
  }
}

}  // namespace

void max_pool_forward_ref(const PoolShape& s, const float* x, float* y, int32_t* argmax) {
  const int64_t image = s.h * s.w * s.c;
  for_each_window(s, [&](int64_t n, int64_t out, int64_t r0, int64_t r1, int64_t c0,
                         int64_t c1) {
    for (int64_t ci = 0; ci < s.c; ++ci) {
      int64_t best = -1;
      float v = 0.f;
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t q = c0; q < c1; ++q) {
          const int64_t off = (r * s.w + q) * s.c + ci;
          const float e = x[n * image + off];
          if (best < 0 || e > v || (std::isnan(e) && !std::isnan(v))) best = off, v = e;
        }
      }
      y[out + ci] = v;
      if (argmax) argmax[out + ci] = static_cast<int32_t>(best);
    }
  });
}

void max_pool_backward_ref(const PoolShape& s, const float* dy, const int32_t* argmax,
                           float* dx) {
  const int64_t image = s.h * s.w * s.c, per_image = s.oh * s.ow * s.c;
  std::fill(dx, dx + s.n * image, 0.f);
  for (int64_t k = 0; k < s.n * per_image; ++k) dx[k / per_image * image + argmax[k]] += dy[k];
}

void avg_pool_forward_ref(const PoolShape& s, const float* x, float* y) {
  const int64_t image = s.h * s.w * s.c;
  for_each_window(s, [&](int64_t n, int64_t out, int64_t r0, int64_t r1, int64_t c0,
                         int64_t c1) {
    const float count = static_cast<float>((r1 - r0) * (c1 - c0));
    for (int64_t ci = 0; ci < s.c; ++ci) {
      float sum = 0.f;
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t q = c0; q < c1; ++q) sum += x[n * image + (r * s.w + q) * s.c + ci];
      y[out + ci] = sum / count;
    }
  });
}

void avg_pool_backward_ref(const PoolShape& s, const float* dy, float* dx) {
  const int64_t image = s.h * s.w * s.c;
  std::fill(dx, dx + s.n * image, 0.f);
  for_each_window(s, [&](int64_t n, int64_t out, int64_t r0, int64_t r1, int64_t c0,
                         int64_t c1) {
    const float count = static_cast<float>((r1 - r0) * (c1 - c0));
    for (int64_t ci = 0; ci < s.c; ++ci) {
      const float g = dy[out + ci] / count;
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t q = c0; q < c1; ++q) dx[n * image + (r * s.w + q) * s.c + ci] += g;
    }
  });
}

}  // namespace treino
