// 2-D convolution, NHWC ("channelsLast", TF.js's default), forward and backward.
//
//   x  [n, h, w, c]            input, contiguous
//   w  [fh, fw, c, oc]         filter, TF.js layout (conv2d); depthwise: [fh, fw, c, mult]
//                              with oc = c * mult, output channel ci * mult + m
//   b  [oc] or null            bias
//   y  [n, oh, ow, oc]         output
//   y[n, i, j, o] = act(b[o] + sum_{p, q, ci} x[n, i*sh - pt + p*dh, j*sw - pl + q*dw, ci]
//                                            * w[p, q, ci, o])
// with x read as 0 outside [0, h) x [0, w) (explicit zero padding top / bottom / left /
// right; the Python side turns 'same' / 'valid' into these numbers) and
//   oh = (h + pt + pb - ((fh - 1) * dh + 1)) / sh + 1,   ow likewise (floor division).
// conv1d is conv2d with h = fh = 1.
//
// Every function overwrites its outputs (never accumulates into them). Backward, from
// dy [n, oh, ow, oc] and the saved output y (act' is taken from y as in
// elementwise/activation.h; y may be null for Act::Linear):
//   dz = dy * act'(y)                  (scratch; dy itself for linear)
//   dw[p, q, ci, o] = sum_{n, i, j} x[n, i*sh - pt + p*dh, j*sw - pl + q*dw, ci] * dz[n, i, j, o]
//   db[o] = sum_{n, i, j} dz[n, i, j, o]                    (skipped when db is null)
//   dx[n, r, s, ci] = sum over the (i, j, p, q) that read x[n, r, s, ci] of
//                     w[p, q, ci, o] * dz[n, i, j, o]        (skipped when dx is null)
//
// The fast functions dispatch on active_isa() and use threads for large problems; their
// results do not depend on the thread count (each output element is one fixed chain of
// multiply-adds; the dw / db reduction over the batch is split into chunks fixed by the
// shape and summed in chunk order). The _ref twins are plain loops with float
// accumulators, single-threaded: fallback and test oracle.
#pragma once
#include <cstdint>

#include "elementwise/activation.h"

namespace treino {

struct ConvShape {
  int64_t n = 0, h = 0, w = 0, c = 0;   // input
  int64_t fh = 1, fw = 1, oc = 0;       // filter taps and output channels
  int64_t sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pt = 0, pb = 0, pl = 0, pr = 0;
  int64_t oh = 0, ow = 0;               // output (conv_output_size fills them)
  int64_t mult = 0;                     // depthwise channel multiplier (0: dense conv)
};

// Sets s->oh and s->ow from the other fields. Returns false (and sets nothing) when the
// padded input is smaller than the dilated filter in either dimension or a size would
// overflow. Requires h, w >= 0, fh, fw, strides and dilations >= 1, pads >= 0.
bool conv_output_size(ConvShape* s);

void conv2d_forward(const ConvShape& s, const float* x, const float* w, const float* b,
                    Act act, float alpha, float* y);
void conv2d_backward(const ConvShape& s, const float* dy, const float* x, const float* w,
                     const float* y, Act act, float alpha, float* dx, float* dw, float* db);

void conv2d_forward_ref(const ConvShape& s, const float* x, const float* w, const float* b,
                        Act act, float alpha, float* y);
void conv2d_backward_ref(const ConvShape& s, const float* dy, const float* x,
                         const float* w, const float* y, Act act, float alpha, float* dx,
                         float* dw, float* db);

// Depthwise (s.mult >= 1, s.oc == s.c * s.mult): each input channel convolved with its
// own mult filters, no sum over channels. Same contracts as above.
void depthwise_conv2d_forward(const ConvShape& s, const float* x, const float* w,
                              const float* b, Act act, float alpha, float* y);
void depthwise_conv2d_backward(const ConvShape& s, const float* dy, const float* x,
                               const float* w, const float* y, Act act, float alpha,
                               float* dx, float* dw, float* db);
void depthwise_conv2d_forward_ref(const ConvShape& s, const float* x, const float* w,
                                  const float* b, Act act, float alpha, float* y);
void depthwise_conv2d_backward_ref(const ConvShape& s, const float* dy, const float* x,
                                   const float* w, const float* y, Act act, float alpha,
                                   float* dx, float* dw, float* db);

}  // namespace treino
