// 2-D max and average pooling, NHWC ("channelsLast"), forward and backward.
//
//   x  [n, h, w, c]     input, contiguous
//   y  [n, oh, ow, c]   output, oh = (h + pt + pb - fh) / sh + 1, ow likewise
// Window (i, j) covers input rows i*sh - pt .. i*sh - pt + fh - 1 and columns likewise;
// the padding is never a candidate (max) and never counted (average, as TF.js and
// TensorFlow). Every pad is smaller than the window along its axis, so every window holds
// at least one element of x.
//   max: y = the largest element of the window (NaN if the window holds one, as numpy);
//        argmax = its offset in the image, (ih * w + iw) * c + ci (int32; the first in
//        row-major window order on ties, the first NaN).
//   avg: y = the sum of the window's elements of x / their count.
// Backward: dx (x's shape) is overwritten with the sum, over the windows that hold an
// element, of dy routed to it: max through argmax (the forward's), avg as dy / count.
// Windows overlap when the stride is smaller than the window; their contributions are
// added in output order, so results do not depend on the thread count.
//
// The fast functions dispatch on active_isa() (pool_impl.h, vectorized over channels)
// and split the batch over threads; the _ref twins are plain loops, single-threaded.
#pragma once
#include <cstdint>

namespace treino {

struct PoolShape {
  int64_t n = 0, h = 0, w = 0, c = 0;
  int64_t fh = 1, fw = 1, sh = 1, sw = 1;
  int64_t pt = 0, pb = 0, pl = 0, pr = 0;
  int64_t oh = 0, ow = 0;  // pool_output_size fills them
};

// Sets s->oh and s->ow. Returns false (and sets nothing) unless h, w, fh, fw, sh, sw >= 1,
// every pad is in [0, window) along its axis and the padded input holds one window.
bool pool_output_size(PoolShape* s);

// argmax may be null (inference: no backward).
void max_pool_forward(const PoolShape& s, const float* x, float* y, int32_t* argmax);
void max_pool_backward(const PoolShape& s, const float* dy, const int32_t* argmax,
                       float* dx);
void avg_pool_forward(const PoolShape& s, const float* x, float* y);
void avg_pool_backward(const PoolShape& s, const float* dy, float* dx);

void max_pool_forward_ref(const PoolShape& s, const float* x, float* y, int32_t* argmax);
void max_pool_backward_ref(const PoolShape& s, const float* dy, const int32_t* argmax,
                           float* dx);
void avg_pool_forward_ref(const PoolShape& s, const float* x, float* y);
void avg_pool_backward_ref(const PoolShape& s, const float* dy, float* dx);

}  // namespace treino
