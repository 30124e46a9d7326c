// Internal: the pooling loops behind pool.h, over a range of images, vectorized over
// channels (blocks of 16 channels in GCC/Clang vector types, plain loops the compiler
// vectorizes for the rest).
// Included once by each of pool_kernels_ref.cpp, _avx2.cpp and _avx512.cpp, which differ
// only in their compile flags.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "pool/pool_kernels.h"

namespace treino::pool_detail {
namespace {

// Calls fn(n, out, r0, r1, c0, c1) per output pixel of images [n0, n1), in order: out is
// the offset of y[n, i, j, 0]; the window's elements inside x are rows [r0, r1),
// columns [c0, c1) (never empty: every pad is smaller than the window).
template <class Fn>
inline void for_each_window(const PoolShape& s, int64_t n0, int64_t n1, Fn&& fn) {
  for (int64_t n = n0; n < n1; ++n) {
    for (int64_t i = 0; i < s.oh; ++i) {
      const int64_t r0 = std::max<int64_t>(0, i * s.sh - s.pt);
      const int64_t r1 = std::min(s.h, i * s.sh - s.pt + s.fh);
      for (int64_t j = 0; j < s.ow; ++j) {
        const int64_t c0 = std::max<int64_t>(0, j * s.sw - s.pl);
        const int64_t c1 = std::min(s.w, j * s.sw - s.pl + s.fw);
        fn(n, ((n * s.oh + i) * s.ow + j) * s.c, r0, r1, c0, c1);
      }
    }
  }
}

// One block of 16 channels [ci0, ci0 + 16) of a window: the running maximum and its
// offset stay in vector registers (GCC/Clang vector types: one zmm, two ymm or four xmm
// each, by the ISA this file is compiled for) and are stored once. The window's first
// element, then each later one where it is larger or the first NaN.
typedef float VF __attribute__((vector_size(64)));
typedef int32_t VI __attribute__((vector_size(64)));

// (By pointer, not by value: returning a vector type is ABI-dependent.)
inline void load_vf(VF* v, const float* p) { std::memcpy(v, p, sizeof *v); }

template <bool Arg>
inline void max_block16(const PoolShape& s, const float* xi, int64_t r0, int64_t r1,
                        int64_t c0, int64_t c1, int64_t ci0, float* yr, int32_t* ar) {
  const int64_t C = s.c;
  const VI iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const int64_t first = (r0 * s.w + c0) * C + ci0;
  VF best;
  load_vf(&best, xi + first);
  VI arg = iota + static_cast<int32_t>(first);
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t q = (r == r0 ? c0 + 1 : c0); q < c1; ++q) {
      const int64_t off = (r * s.w + q) * C + ci0;
      VF e;
      load_vf(&e, xi + off);
      const VI take = (e > best) | ((e != e) & (best == best));
      best = take ? e : best;
      if constexpr (Arg) arg = take ? iota + static_cast<int32_t>(off) : arg;
    }
  }
  std::memcpy(yr + ci0, &best, sizeof best);
  if constexpr (Arg) std::memcpy(ar + ci0, &arg, sizeof arg);
}

// Channels [ci0, C) of a window, one at a time (the tail after the 16-wide blocks).
template <bool Arg>
inline void max_tail(const PoolShape& s, const float* xi, int64_t r0, int64_t r1, int64_t c0,
                     int64_t c1, int64_t ci0, float* __restrict yr, int32_t* __restrict ar) {
  const int64_t C = s.c, first = (r0 * s.w + c0) * C;
  for (int64_t ci = ci0; ci < C; ++ci) {
    yr[ci] = xi[first + ci];
    if constexpr (Arg) ar[ci] = static_cast<int32_t>(first + ci);
  }
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t q = (r == r0 ? c0 + 1 : c0); q < c1; ++q) {
      const int64_t off = (r * s.w + q) * C;
      const float* __restrict e = xi + off;
      for (int64_t ci = ci0; ci < C; ++ci) {
        const bool take = e[ci] > yr[ci] || (e[ci] != e[ci] && yr[ci] == yr[ci]);
        yr[ci] = take ? e[ci] : yr[ci];
        if constexpr (Arg) ar[ci] = take ? static_cast<int32_t>(off + ci) : ar[ci];
      }
    }
  }
}

template <bool Arg>
void max_forward_t(const PoolShape& s, const float* x, float* y, int32_t* argmax, int64_t n0,
                   int64_t n1) {
  const int64_t C = s.c, image = s.h * s.w * C;
  for_each_window(s, n0, n1, [&](int64_t n, int64_t out, int64_t r0, int64_t r1, int64_t c0,
                                 int64_t c1) {
    const float* xi = x + n * image;
    float* yr = y + out;
    int32_t* ar = Arg ? argmax + out : nullptr;
    int64_t ci = 0;
    for (; ci + 16 <= C; ci += 16) max_block16<Arg>(s, xi, r0, r1, c0, c1, ci, yr, ar);
    if (ci < C) max_tail<Arg>(s, xi, r0, r1, c0, c1, ci, yr, ar);
  });
}

void max_forward_k(const PoolShape& s, const float* x, float* y, int32_t* argmax, int64_t n0,
                   int64_t n1) {
  if (argmax) {
    max_forward_t<true>(s, x, y, argmax, n0, n1);
  } else {
    max_forward_t<false>(s, x, y, nullptr, n0, n1);
  }
}


// Windows that do not overlap (stride >= window along both axes): each element of x is
// in at most one window, so dx is written once, element by element, 16 channels at a
// time (the window's gradient where the element is its argmax, else 0) instead of zeroed
// and then scattered into one element at a time. Elements outside every window get 0.
void max_backward_tiled(const PoolShape& s, const float* dy, const int32_t* argmax, float* dx,
                        int64_t n0, int64_t n1) {
  const int64_t C = s.c, image = s.h * s.w * C, per_image = s.oh * s.ow * C;
  // Row r lies in window i = (r + pt) / sh when that window exists and reaches it (no
  // allocation here: this runs inside a parallel region); columns likewise.
  auto row_in = [&](int64_t r) {
    const int64_t i = (r + s.pt) / s.sh;
    return i < s.oh && r + s.pt - i * s.sh < s.fh;
  };
  auto col_in = [&](int64_t q) {
    const int64_t j = (q + s.pl) / s.sw;
    return j < s.ow && q + s.pl - j * s.sw < s.fw;
  };
  const VI iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const VF zero = {};
  for (int64_t n = n0; n < n1; ++n) {
    float* dxi = dx + n * image;
    for (int64_t r = 0; r < s.h; ++r) {
      for (int64_t q = 0; q < s.w; ++q) {
        if (!row_in(r) || !col_in(q)) {
          std::fill(dxi + (r * s.w + q) * C, dxi + (r * s.w + q + 1) * C, 0.f);
        }
      }
    }
    for_each_window(s, n, n + 1, [&](int64_t, int64_t out, int64_t r0, int64_t r1, int64_t c0,
                                     int64_t c1) {
      const int64_t o = out - n * per_image;  // within the image
      const float* g = dy + n * per_image + o;
      const int32_t* a = argmax + n * per_image + o;
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t q = c0; q < c1; ++q) {
          const int64_t off = (r * s.w + q) * C;
          int64_t ci = 0;
          for (; ci + 16 <= C; ci += 16) {
            VI am;
            VF gv;
            std::memcpy(&am, a + ci, sizeof am);
            load_vf(&gv, g + ci);
            const VF v = (am == iota + static_cast<int32_t>(off + ci)) ? gv : zero;
            std::memcpy(dxi + off + ci, &v, sizeof v);
          }
          for (; ci < C; ++ci) dxi[off + ci] = a[ci] == off + ci ? g[ci] : 0.f;
        }
      }
    });
  }
}

void max_backward_k(const PoolShape& s, const float* dy, const int32_t* argmax, float* dx,
                    int64_t n0, int64_t n1) {
  if (s.sh >= s.fh && s.sw >= s.fw) return max_backward_tiled(s, dy, argmax, dx, n0, n1);
  const int64_t image = s.h * s.w * s.c, per_image = s.oh * s.ow * s.c;
  std::fill(dx + n0 * image, dx + n1 * image, 0.f);
  for (int64_t n = n0; n < n1; ++n) {
    float* dxi = dx + n * image;
    const float* g = dy + n * per_image;
    const int32_t* a = argmax + n * per_image;
    for (int64_t k = 0; k < per_image; ++k) dxi[a[k]] += g[k];
  }
}

void avg_forward_k(const PoolShape& s, const float* x, float* y, int64_t n0, int64_t n1) {
  const int64_t C = s.c, image = s.h * s.w * C;
  for_each_window(s, n0, n1, [&](int64_t n, int64_t out, int64_t r0, int64_t r1, int64_t c0,
                                 int64_t c1) {
    const float* xi = x + n * image;
    float* __restrict yr = y + out;
    const float count = static_cast<float>((r1 - r0) * (c1 - c0));
    int64_t ci0 = 0;
    // 16 channels at a time, the sum in a vector register (the same additions, in the
    // same order, as the loop below).
    for (; ci0 + 16 <= C; ci0 += 16) {
      VF sum = {};
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t q = c0; q < c1; ++q) {
          VF e;
          load_vf(&e, xi + (r * s.w + q) * C + ci0);
          sum += e;
        }
      }
      sum /= count;
      std::memcpy(yr + ci0, &sum, sizeof sum);
    }
    if (ci0 == C) return;
    std::fill(yr + ci0, yr + C, 0.f);
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t q = c0; q < c1; ++q) {
        const float* __restrict e = xi + (r * s.w + q) * C;
        for (int64_t ci = ci0; ci < C; ++ci) yr[ci] += e[ci];
      }
    }
    for (int64_t ci = ci0; ci < C; ++ci) yr[ci] /= count;
  });
}

void avg_backward_k(const PoolShape& s, const float* dy, float* dx, int64_t n0, int64_t n1) {
  const int64_t C = s.c, image = s.h * s.w * C;
  std::fill(dx + n0 * image, dx + n1 * image, 0.f);
  for_each_window(s, n0, n1, [&](int64_t n, int64_t out, int64_t r0, int64_t r1, int64_t c0,
                                 int64_t c1) {
    float* dxi = dx + n * image;
    const float* __restrict g = dy + out;
    const float count = static_cast<float>((r1 - r0) * (c1 - c0));
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t q = c0; q < c1; ++q) {
        float* __restrict d = dxi + (r * s.w + q) * C;
        for (int64_t ci = 0; ci < C; ++ci) d[ci] += g[ci] / count;
      }
    }
  });
}

const Kernels kKernels = {max_forward_k, max_backward_k, avg_forward_k, avg_backward_k};

}  // namespace
}  // namespace treino::pool_detail
