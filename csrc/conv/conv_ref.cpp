// Reference convolutions: the definitions of conv.h as plain loops (float accumulators,
// taps in (p, q, ci) order, pixels in (n, i, j) order), single-threaded. Fallback and
// test oracle for conv.cpp and depthwise.cpp.
#include <algorithm>
#include <vector>

#include "conv/conv.h"
#include "elementwise/elementwise.h"

namespace treino {

namespace {

// Calls fn(pixel, p, q, x_offset) for every output pixel (n, i, j) in order (pixel is
// its row in the [n*oh*ow, oc] output) and every tap (p, q) whose input lies inside the
// image; x_offset is the offset of x[n, ih, iw, 0].
template <class Fn>
void for_each_tap(const ConvShape& s, Fn&& fn) {
  int64_t pixel = 0;
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t i = 0; i < s.oh; ++i) {
      for (int64_t j = 0; j < s.ow; ++j, ++pixel) {
        for (int64_t p = 0; p < s.fh; ++p) {
          const int64_t ih = i * s.sh - s.pt + p * s.dh;
          if (ih < 0 || ih >= s.h) continue;
          for (int64_t q = 0; q < s.fw; ++q) {
            const int64_t iw = j * s.sw - s.pl + q * s.dw;
            if (iw < 0 || iw >= s.w) continue;
            fn(pixel, p, q, ((n * s.h + ih) * s.w + iw) * s.c);
          }
        }
      }
    }
  }
}

// dz = dy * act'(y) into a scratch vector, or dy itself for linear.
const float* dz_of(const float* dy, const float* y, Act act, float alpha, int64_t n,
                   std::vector<float>* buf) {
  if (act == Act::Linear || n == 0) return dy;
  buf->resize(static_cast<size_t>(n));
  act_backward_ref(act, dy, y, buf->data(), n, alpha);
  return buf->data();
}

}  // namespace

void conv2d_forward_ref(const ConvShape& s, const float* x, const float* w, const float* b,
                        Act act, float alpha, float* y) {
  const int64_t rows = s.n * s.oh * s.ow, C = s.c, O = s.oc;
  std::fill(y, y + rows * O, 0.f);
  for_each_tap(s, [&](int64_t pixel, int64_t p, int64_t q, int64_t xo) {
    float* yr = y + pixel * O;
    for (int64_t ci = 0; ci < C; ++ci) {
      const float xv = x[xo + ci];
      const float* wr = w + ((p * s.fw + q) * C + ci) * O;
      for (int64_t o = 0; o < O; ++o) yr[o] += xv * wr[o];
    }
  });
  bias_act_forward_ref(act, y, b, rows, O, alpha);
}

void conv2d_backward_ref(const ConvShape& s, const float* dy, const float* x,
                         const float* w, const float* y, Act act, float alpha, float* dx,
                         float* dw, float* db) {
  const int64_t rows = s.n * s.oh * s.ow, C = s.c, O = s.oc;
  std::vector<float> buf;
  const float* dz = dz_of(dy, y, act, alpha, rows * O, &buf);
  std::fill(dw, dw + s.fh * s.fw * C * O, 0.f);
  if (dx) std::fill(dx, dx + s.n * s.h * s.w * C, 0.f);
  for_each_tap(s, [&](int64_t pixel, int64_t p, int64_t q, int64_t xo) {
    const float* dzr = dz + pixel * O;
    for (int64_t ci = 0; ci < C; ++ci) {
      const int64_t wo = ((p * s.fw + q) * C + ci) * O;
      const float xv = x[xo + ci];
      float acc = 0.f;
      for (int64_t o = 0; o < O; ++o) {
        dw[wo + o] += xv * dzr[o];
        acc += w[wo + o] * dzr[o];
      }
      if (dx) dx[xo + ci] += acc;
    }
  });
  if (db) reduce_ref(Reduce::Sum, dz, 1, rows, O, db);
}

void depthwise_conv2d_forward_ref(const ConvShape& s, const float* x, const float* w,
                                  const float* b, Act act, float alpha, float* y) {
  const int64_t rows = s.n * s.oh * s.ow, C = s.c, M = s.mult, O = s.oc;
  std::fill(y, y + rows * O, 0.f);
  for_each_tap(s, [&](int64_t pixel, int64_t p, int64_t q, int64_t xo) {
    float* yr = y + pixel * O;
    const float* wr = w + (p * s.fw + q) * O;
    for (int64_t ci = 0; ci < C; ++ci)
      for (int64_t m = 0; m < M; ++m) yr[ci * M + m] += x[xo + ci] * wr[ci * M + m];
  });
  bias_act_forward_ref(act, y, b, rows, O, alpha);
}

void depthwise_conv2d_backward_ref(const ConvShape& s, const float* dy, const float* x,
                                   const float* w, const float* y, Act act, float alpha,
                                   float* dx, float* dw, float* db) {
  const int64_t rows = s.n * s.oh * s.ow, C = s.c, M = s.mult, O = s.oc;
  std::vector<float> buf;
  const float* dz = dz_of(dy, y, act, alpha, rows * O, &buf);
  std::fill(dw, dw + s.fh * s.fw * O, 0.f);
  if (dx) std::fill(dx, dx + s.n * s.h * s.w * C, 0.f);
  for_each_tap(s, [&](int64_t pixel, int64_t p, int64_t q, int64_t xo) {
    const float* dzr = dz + pixel * O;
    const int64_t wo = (p * s.fw + q) * O;
    for (int64_t ci = 0; ci < C; ++ci) {
      float acc = 0.f;
      for (int64_t m = 0; m < M; ++m) {
        dw[wo + ci * M + m] += x[xo + ci] * dzr[ci * M + m];
        acc += w[wo + ci * M + m] * dzr[ci * M + m];
      }
      if (dx) dx[xo + ci] += acc;
    }
  });
  if (db) reduce_ref(Reduce::Sum, dz, 1, rows, O, db);
}

}  // namespace treino
