// Scalar reference row kernels (fallback on Isa::Ref and test oracle): the formulas of
// loss.h written out plainly, float accumulators, std::exp / std::log.
#include <cmath>
#include <limits>

#include "loss/loss_kernels.h"

namespace treino::loss_detail {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Row maximum and numpy.argmax (first maximum; the first NaN wins and makes max NaN).
float row_max(const float* x, int64_t cols, int64_t* arg) {
  float best = x[0];
  int64_t idx = 0;
  if (std::isnan(best)) { *arg = 0; return kNaN; }
  for (int64_t j = 1; j < cols; ++j) {
    if (x[j] > best) { best = x[j]; idx = j; }
    else if (std::isnan(x[j])) { *arg = j; return kNaN; }
  }
  *arg = idx;
  return best;
}

void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows && cols > 0; ++i, x += cols, y += cols) {
    int64_t arg;
    const float mx = row_max(x, cols, &arg);
    float s = 0.0f;
    for (int64_t j = 0; j < cols; ++j) { y[j] = std::exp(x[j] - mx); s += y[j]; }
    const float inv = 1.0f / s;
    for (int64_t j = 0; j < cols; ++j) y[j] *= inv;
  }
}

void log_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows && cols > 0; ++i, x += cols, y += cols) {
    int64_t arg;
    const float mx = row_max(x, cols, &arg);
    float s = 0.0f;
    for (int64_t j = 0; j < cols; ++j) s += std::exp(x[j] - mx);
    const float lse = std::log(s);
    for (int64_t j = 0; j < cols; ++j) y[j] = (x[j] - mx) - lse;
  }
}

void softmax_bwd_rows(const float* dy, const float* y, float* dx, int64_t rows,
                      int64_t cols) {
  for (int64_t i = 0; i < rows; ++i, dy += cols, y += cols, dx += cols) {
    float s = 0.0f;
    for (int64_t j = 0; j < cols; ++j) s += dy[j] * y[j];
    for (int64_t j = 0; j < cols; ++j) dx[j] = y[j] * (dy[j] - s);
  }
}

void log_softmax_bwd_rows(const float* dy, const float* y, float* dx, int64_t rows,
                          int64_t cols) {
  for (int64_t i = 0; i < rows; ++i, dy += cols, y += cols, dx += cols) {
    float s = 0.0f;
    for (int64_t j = 0; j < cols; ++j) s += dy[j];
    for (int64_t j = 0; j < cols; ++j) dx[j] = dy[j] - std::exp(y[j]) * s;
  }
}

int64_t xent_rows(const SoftmaxXentArgs& A, int64_t r0, int64_t r1) {
  const int64_t C = A.cols;
  const float a = static_cast<float>(1.0 - static_cast<double>(A.label_smoothing));
  const float b = static_cast<float>(static_cast<double>(A.label_smoothing) / C);
  int64_t correct = 0;
  for (int64_t i = r0; i < r1; ++i) {
    const float* x = A.logits + i * C;
    float* dl = A.dlogits ? A.dlogits + i * C : nullptr;
    const float scale = A.grad_scale * (A.sample_weight ? A.sample_weight[i] : 1.0f);
    int64_t pred;
    const float mx = row_max(x, C, &pred);
    float s = 0.0f;
    if (A.labels) {
      const float* t = A.labels + i * C;
      int64_t want;
      row_max(t, C, &want);
      correct += pred == want;
      float st = 0.0f, std_ = 0.0f;  // sum t, sum t * (max - x)
      for (int64_t j = 0; j < C; ++j) {
        const float xj = x[j], e = std::exp(xj - mx), tj = t[j] * a + b;
        s += e;
        if (dl) dl[j] = e;  // x[j] is not read again (dl may be x)
        st += tj;
        if (tj != 0.0f) std_ += tj * (mx - xj);
      }
      A.losses[i] = st * std::log(s) + std_;
      if (dl) {  // d loss / d x_j = softmax_j * sum(t) - t_j (sum(t) = 1 for one-hot)
        const float inv = st / s;
        for (int64_t j = 0; j < C; ++j) dl[j] = (dl[j] * inv - (t[j] * a + b)) * scale;
      }
    } else {
      const int64_t want = A.label_index[i];
      if (want < 0 || want >= C) {  // changed after the binding's check: never index with it
        A.losses[i] = __builtin_nanf("");
        if (dl) for (int64_t j = 0; j < C; ++j) dl[j] = __builtin_nanf("");
        continue;
      }
      correct += pred == want;
      const float xl = x[want];
      float sd = 0.0f;  // sum (max - x), only needed with smoothing
      for (int64_t j = 0; j < C; ++j) {
        const float xj = x[j], e = std::exp(xj - mx);
        s += e;
        if (dl) dl[j] = e;
        if (b != 0.0f) sd += mx - xj;
      }
      float loss = (a + b * static_cast<float>(C)) * std::log(s);
      if (a != 0.0f) loss += a * (mx - xl);
      if (b != 0.0f) loss += b * sd;
      A.losses[i] = loss;
      if (dl) {
        const float inv = 1.0f / s, el = dl[want];
        for (int64_t j = 0; j < C; ++j) dl[j] = (dl[j] * inv - b) * scale;
        dl[want] = (el * inv - (a + b)) * scale;
      }
    }
  }
  return correct;
}

int64_t argmax_match_rows(const float* a, const float* b, int64_t r0, int64_t r1, int64_t C) {
  int64_t same = 0;
  for (int64_t i = r0; i < r1; ++i) {
    int64_t ia = 0, ib = 0;
    row_max(a + i * C, C, &ia);
    row_max(b + i * C, C, &ib);
    same += ia == ib;
  }
  return same;
}

constexpr Kernels kRef = {&softmax_rows, &log_softmax_rows, &softmax_bwd_rows,
                          &log_softmax_bwd_rows, &xent_rows, &argmax_match_rows};

}  // namespace

const Kernels& kernels_ref() { return kRef; }

}  // namespace treino::loss_detail
