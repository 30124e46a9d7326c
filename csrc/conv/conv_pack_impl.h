// Internal: the im2col pieces of the fast convolution (contracts in conv_internal.h).
// Included once by each of conv_pack_ref.cpp, conv_pack_avx2.cpp and conv_pack_avx512.cpp,
// which differ only in their compile flags: these loops are copies and adds over runs of
// channels, as wide as the ISA allows.
#pragma once
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "conv/conv_internal.h"

namespace treino::conv_detail {

namespace {

// A run of channels: fixed-size pieces become inline vector moves (a loop would be
// turned into a memmove call, which costs more than the 16-64 bytes it copies).
inline void copy_floats(float* __restrict d, const float* __restrict s, int64_t n) {
  for (; n >= 16; n -= 16, d += 16, s += 16) std::memcpy(d, s, 16 * sizeof(float));
  if (n >= 8) std::memcpy(d, s, 8 * sizeof(float)), n -= 8, d += 8, s += 8;
  if (n >= 4) std::memcpy(d, s, 4 * sizeof(float)), n -= 4, d += 4, s += 4;
  switch (n) {  // not a loop: GCC would turn that into a memmove call as well
    case 3: d[2] = s[2]; [[fallthrough]];
    case 2: d[1] = s[1]; [[fallthrough]];
    case 1: d[0] = s[0]; break;
    default: break;
  }
}

// Copies one run; C > 0: every run has exactly C channels, a compile-time size.
template <int C>
inline void copy_run(float* d, const float* s, int64_t n) {
  if constexpr (C > 0) {
    std::memcpy(d, s, C * sizeof(float));
  } else {
    copy_floats(d, s, n);
  }
}

// dst[col] = X[pixel, k0 + col] for the columns of `runs`: the pixel's window read from
// x, zeros where it lies in the padding. C: the length of every merged run, or 0.
template <int C>
void copy_window(const ConvShape& s, const float* x, const PixelCursor& cur, const Runs& runs,
                 float* dst) {
  const int64_t ih0 = cur.ih0(), iw0 = cur.iw0();
  // Offset of the window's top-left element (outside x when it is in the padding).
  const int64_t base = cur.image() + (ih0 * s.w + iw0) * s.c;
  if (ih0 >= 0 && ih0 + (s.fh - 1) * s.dh < s.h && iw0 >= 0 && iw0 + (s.fw - 1) * s.dw < s.w) {
    for (int u = 0; u < runs.nmerged; ++u) {
      const Run& ru = runs.merged[u];
      copy_run<C>(dst + ru.col, x + (base + ru.x_off), ru.len);
    }
    return;
  }
  for (int u = 0; u < runs.ntap; ++u) {
    const Run& ru = runs.tap[u];
    const int64_t ih = ih0 + ru.p * s.dh, iw = iw0 + ru.q * s.dw;
    if (ih >= 0 && ih < s.h && iw >= 0 && iw < s.w) {
      copy_floats(dst + ru.col, x + (base + ru.x_off), ru.len);
    } else {
      std::fill(dst + ru.col, dst + ru.col + ru.len, 0.f);
    }
  }
}

// Calls fn(std::integral_constant<int, C>) with C = runs.common_len when it is one of a
// few sizes, else C = 0 (lengths read at run time).
template <class Fn>
void with_run_length(const Runs& runs, Fn&& fn) {
  switch (runs.common_len) {
    case 1: return fn(std::integral_constant<int, 1>{});
    case 2: return fn(std::integral_constant<int, 2>{});
    case 3: return fn(std::integral_constant<int, 3>{});
    case 4: return fn(std::integral_constant<int, 4>{});
    case 8: return fn(std::integral_constant<int, 8>{});
    case 9: return fn(std::integral_constant<int, 9>{});
    case 16: return fn(std::integral_constant<int, 16>{});
    case 32: return fn(std::integral_constant<int, 32>{});
    case 48: return fn(std::integral_constant<int, 48>{});
    case 96: return fn(std::integral_constant<int, 96>{});
    default: return fn(std::integral_constant<int, 0>{});
  }
}

void pack_windows_k(const ConvShape& s, const float* x, const Runs& runs, int64_t pixel0,
                    int64_t count, int64_t ld, float* dst) {
  with_run_length(runs, [&](auto len) {
    PixelCursor cur(s, pixel0);
    for (int64_t r = 0; r < count; ++r, cur.next())
      copy_window<decltype(len)::value>(s, x, cur, runs, dst + r * ld);
  });
}

void col2im_add_k(const ConvShape& s, const float* tile, int64_t pixel0, int h, float* dx) {
  const int64_t c = s.c, K = s.fh * s.fw * c;
  PixelCursor cur(s, pixel0);
  for (int r = 0; r < h; ++r, cur.next()) {
    const float* t = tile + r * K;
    for (int64_t p = 0; p < s.fh; ++p) {
      const int64_t ih = cur.ih0() + p * s.dh;
      if (ih < 0 || ih >= s.h) continue;
      for (int64_t q = 0; q < s.fw; ++q) {
        const int64_t iw = cur.iw0() + q * s.dw;
        if (iw < 0 || iw >= s.w) continue;
        float* __restrict d = dx + cur.image() + (ih * s.w + iw) * c;
        const float* __restrict src = t + (p * s.fw + q) * c;
        for (int64_t ci = 0; ci < c; ++ci) d[ci] += src[ci];
      }
    }
  }
}

// The direct small-K path. VF: 16 floats, one zmm, two ymm or four xmm by the ISA this
// file is compiled for (GCC/Clang vector types); loaded and stored with memcpy (no
// alignment needed), passed by pointer (returning one by value is ABI-dependent).
typedef float VF __attribute__((vector_size(kDirectBlock * sizeof(float))));
inline void load_vf(VF* v, const float* p) { std::memcpy(v, p, sizeof *v); }
inline void store_vf(float* p, const VF* v) { std::memcpy(p, v, sizeof *v); }

// Where the direct path reads a pixel's window: for a window inside x, its top-left
// element and the K offsets from it (computed once per call); for a window crossing the
// padding, a copy with zeros (xw[slot]) read with offsets 0..K-1. Up to kGroup windows
// are held at once (each in its own slot).
constexpr int kGroup = 4;
struct Windows {
  const ConvShape& s;
  const float* x;
  int64_t K;
  int64_t off[kDirectMaxK], seq[kDirectMaxK];
  float xw[kGroup][kDirectMaxK];
  Windows(const ConvShape& shape, const float* input) : s(shape), x(input) {
    K = s.fh * s.fw * s.c;
    int64_t k = 0;
    for (int64_t p = 0; p < s.fh; ++p)
      for (int64_t q = 0; q < s.fw; ++q)
        for (int64_t ci = 0; ci < s.c; ++ci, ++k) off[k] = (p * s.dh * s.w + q * s.dw) * s.c + ci;
    for (k = 0; k < K; ++k) seq[k] = k;
  }
  // Sets *base and returns the offsets to read X[pixel, k] = (*base)[offsets[k]].
  const int64_t* at(const PixelCursor& cur, const float** base, int slot = 0) {
    const int64_t ih0 = cur.ih0(), iw0 = cur.iw0();
    const float* xi = x + cur.image();
    if (ih0 >= 0 && ih0 + (s.fh - 1) * s.dh < s.h && iw0 >= 0 &&
        iw0 + (s.fw - 1) * s.dw < s.w) {
      *base = xi + (ih0 * s.w + iw0) * s.c;
      return off;
    }
    int64_t k = 0;
    for (int64_t p = 0; p < s.fh; ++p) {
      const int64_t ih = ih0 + p * s.dh;
      for (int64_t q = 0; q < s.fw; ++q) {
        const int64_t iw = iw0 + q * s.dw;
        const bool in = ih >= 0 && ih < s.h && iw >= 0 && iw < s.w;
        const float* e = xi + (ih * s.w + iw) * s.c;
        for (int64_t ci = 0; ci < s.c; ++ci, ++k) xw[slot][k] = in ? e[ci] : 0.f;
      }
    }
    *base = xw[slot];
    return seq;
  }
};

void direct_forward_k(const ConvShape& s, const float* x, const float* w, int64_t p0,
                      int64_t p1, float* y) {
  const int64_t O = s.oc;
  Windows win(s, x);
  const int64_t K = win.K;
  PixelCursor cur(s, p0);
  int64_t r = p0;
  // kGroup pixels at a time: four independent chains of multiply-adds keep the FMA units
  // busy (one pixel's chain would wait on each add's latency).
  for (; r + kGroup <= p1; r += kGroup) {
    const float* base[kGroup];
    const int64_t* off[kGroup];
    for (int g = 0; g < kGroup; ++g, cur.next()) off[g] = win.at(cur, &base[g], g);
    for (int64_t o = 0; o < O; o += kDirectBlock) {
      VF a0 = {}, a1 = {}, a2 = {}, a3 = {};
      for (int64_t k = 0; k < K; ++k) {
        VF wk;
        load_vf(&wk, w + k * O + o);
        a0 += base[0][off[0][k]] * wk;
        a1 += base[1][off[1][k]] * wk;
        a2 += base[2][off[2][k]] * wk;
        a3 += base[3][off[3][k]] * wk;
      }
      store_vf(y + r * O + o, &a0);
      store_vf(y + (r + 1) * O + o, &a1);
      store_vf(y + (r + 2) * O + o, &a2);
      store_vf(y + (r + 3) * O + o, &a3);
    }
  }
  for (; r < p1; ++r, cur.next()) {
    const float* base;
    const int64_t* off = win.at(cur, &base);
    for (int64_t o = 0; o < O; o += kDirectBlock) {
      VF acc = {};
      for (int64_t k = 0; k < K; ++k) {
        VF wk;
        load_vf(&wk, w + k * O + o);
        acc += base[off[k]] * wk;
      }
      store_vf(y + r * O + o, &acc);
    }
  }
}

void direct_dw_k(const ConvShape& s, const float* x, const float* dz, int64_t p0, int64_t p1,
                 float* dw, bool accumulate) {
  const int64_t O = s.oc;
  Windows win(s, x);
  const int64_t K = win.K;
  for (int64_t o = 0; o < O; o += kDirectBlock) {
    VF acc[kDirectMaxK];
    for (int64_t k = 0; k < K; ++k) {
      if (accumulate) {
        load_vf(&acc[k], dw + k * O + o);
      } else {
        acc[k] = VF{};
      }
    }
    PixelCursor cur(s, p0);
    for (int64_t r = p0; r < p1; ++r, cur.next()) {
      const float* base;
      const int64_t* off = win.at(cur, &base);
      VF d;
      load_vf(&d, dz + (r - p0) * O + o);
      for (int64_t k = 0; k < K; ++k) acc[k] += base[off[k]] * d;
    }
    for (int64_t k = 0; k < K; ++k) store_vf(dw + k * O + o, &acc[k]);
  }
}

const PackKernels kPack = {pack_windows_k, col2im_add_k, direct_forward_k, direct_dw_k};

}  // namespace
}  // namespace treino::conv_detail
