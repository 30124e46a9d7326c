// Bindings of the loss kernels (csrc/loss/loss.h): softmax, log-softmax, their
// backward passes and the fused softmax-cross-entropy.
#include <Python.h>

#include <cmath>
#include <string>
#include <vector>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "loss/loss.h"

namespace treino::bind {

namespace {

using F32 = py::array_t<float, py::array::c_style>;

// Outputs may be the very same buffer as an input (in place) but not overlap it partly.
void same_or_disjoint(const py::array& a, const py::array& b, const char* fn,
                      const char* an, const char* bn) {
  if (a.data() == b.data() && a.nbytes() == b.nbytes()) return;
  expect_no_overlap(a, b, fn, an, bn);
}

// Rows of the last axis: x of any rank >= 1.
void rows_cols(const py::array& x, int64_t* rows, int64_t* cols) {
  *cols = x.shape(x.ndim() - 1);
  *rows = *cols ? static_cast<int64_t>(x.size()) / *cols : 0;
}

F32 input_rank1plus(py::handle obj, const char* fn, const char* arg) {
  F32 x = f32(obj, fn, arg);
  if (x.ndim() < 1) {
    value_error(std::string(fn) + ": argument '" + arg +
                "' must have rank >= 1 (softmax runs over the last axis), received a scalar");
  }
  return x;
}

std::vector<int64_t> shape_of(const py::array& a) {
  return std::vector<int64_t>(a.shape(), a.shape() + a.ndim());
}

F32 output_like(py::handle out, const py::array& like, const char* fn) {
  if (out.is_none()) return F32(shape_of(like));
  F32 o = f32(out, fn, "out", -1, true);
  expect_shape(o, fn, "out", shape_of(like));
  return o;
}

using UnaryKernel = void (*)(const float*, float*, int64_t, int64_t);
using BinaryKernel = void (*)(const float*, const float*, float*, int64_t, int64_t);

py::array unary(const char* fn, UnaryKernel k, py::handle x_obj, py::handle out_obj) {
  F32 x = input_rank1plus(x_obj, fn, "x");
  F32 out = output_like(out_obj, x, fn);
  same_or_disjoint(out, x, fn, "out", "x");
  int64_t rows, cols;
  rows_cols(x, &rows, &cols);
  const float* xp = x.data();  // pointers taken while the GIL is held
  float* op = out.mutable_data();
  {
    py::gil_scoped_release nogil;
    k(xp, op, rows, cols);
  }
  return out;
}

py::array binary(const char* fn, BinaryKernel k, py::handle dy_obj, py::handle y_obj,
                 py::handle out_obj) {
  F32 dy = input_rank1plus(dy_obj, fn, "dy");
  F32 y = f32(y_obj, fn, "y");
  expect_shape(y, fn, "y", shape_of(dy));
  F32 out = output_like(out_obj, dy, fn);
  same_or_disjoint(out, dy, fn, "out", "dy");
  same_or_disjoint(out, y, fn, "out", "y");
  int64_t rows, cols;
  rows_cols(dy, &rows, &cols);
  const float* dyp = dy.data();  // pointers taken while the GIL is held
  const float* yp = y.data();
  float* op = out.mutable_data();
  {
    py::gil_scoped_release nogil;
    k(dyp, yp, op, rows, cols);
  }
  return out;
}

py::tuple softmax_cross_entropy(py::handle logits_obj, py::handle labels_obj,
                                py::handle dlogits_obj, py::handle losses_obj,
                                py::handle sw_obj, py::handle grad_scale,
                                py::handle label_smoothing, bool compute_grad) {
  const char* fn = "softmax_cross_entropy";
  F32 logits = f32(logits_obj, fn, "logits", 2);
  const int64_t N = logits.shape(0), C = logits.shape(1);
  if (C < 1) {
    value_error(std::string(fn) + ": argument 'logits' must have at least one class column, "
                "received shape " + shape_str(logits));
  }
  SoftmaxXentArgs a;
  a.rows = N;
  a.cols = C;
  a.grad_scale = static_cast<float>(real(fn, "grad_scale", grad_scale));
  a.label_smoothing = static_cast<float>(real(fn, "label_smoothing", label_smoothing));

  // Labels: float32 (N, C) probabilities or int32 (N,) class indices.
  if (!py::isinstance<py::array>(labels_obj)) {
    type_error(std::string(fn) + ": argument 'labels' must be a numpy float32 (N, C) or "
               "int32 (N,) array, received " + type_name(labels_obj));
  }
  const py::dtype ldt = py::reinterpret_borrow<py::array>(labels_obj).dtype();
  py::array labels;
  F32 labels_f;
  if (ldt.is(py::dtype::of<int32_t>())) {
    auto li = i32(labels_obj, fn, "labels", 1);
    expect_shape(li, fn, "labels", {N});
    const int32_t* p = li.data();
    for (int64_t i = 0; i < N; ++i) {
      if (p[i] < 0 || p[i] >= C) {
        value_error(std::string(fn) + ": labels[" + std::to_string(i) + "] = " +
                    std::to_string(p[i]) + " is out of range for " + std::to_string(C) +
                    " classes (expected 0 <= label < " + std::to_string(C) + ")");
      }
    }
    a.label_index = p;
    labels = li;
  } else if (ldt.is(py::dtype::of<float>())) {
    labels_f = f32(labels_obj, fn, "labels", 2);
    expect_shape(labels_f, fn, "labels", {N, C});
    a.labels = labels_f.data();
    labels = labels_f;
  } else {
    type_error(std::string(fn) + ": argument 'labels' must have dtype float32 (N, C) or "
               "int32 (N,), received dtype " + std::string(py::str(ldt)));
  }

  F32 sw;
  if (!sw_obj.is_none()) {
    sw = f32(sw_obj, fn, "sample_weight", 1);
    expect_shape(sw, fn, "sample_weight", {N});
    a.sample_weight = sw.data();
  }

  F32 losses;
  if (losses_obj.is_none()) {
    losses = F32(std::vector<int64_t>{N});
  } else {
    losses = f32(losses_obj, fn, "losses", 1, true);
    expect_shape(losses, fn, "losses", {N});
    expect_no_overlap(losses, logits, fn, "losses", "logits");
    expect_no_overlap(losses, labels, fn, "losses", "labels");
    if (sw) expect_no_overlap(losses, sw, fn, "losses", "sample_weight");
  }
  a.losses = losses.mutable_data();

  py::object dl_ret = py::none();
  if (!compute_grad) {
    if (!dlogits_obj.is_none()) {
      value_error(std::string(fn) + ": argument 'dlogits' was given but compute_grad=False");
    }
  } else {
    F32 dl;
    if (dlogits_obj.is_none()) {
      dl = F32(std::vector<int64_t>{N, C});
    } else {
      dl = f32(dlogits_obj, fn, "dlogits", 2, true);
      expect_shape(dl, fn, "dlogits", {N, C});
      same_or_disjoint(dl, logits, fn, "dlogits", "logits");
      expect_no_overlap(dl, labels, fn, "dlogits", "labels");
      expect_no_overlap(dl, losses, fn, "dlogits", "losses");
      if (sw) expect_no_overlap(dl, sw, fn, "dlogits", "sample_weight");
    }
    a.dlogits = dl.mutable_data();
    dl_ret = dl;
  }
  a.logits = logits.data();

  int64_t correct;
  {
    py::gil_scoped_release nogil;
    correct = softmax_xent_f32(a);
  }
  return py::make_tuple(losses, dl_ret, py::int_(correct));
}

}  // namespace

void register_loss(py::module_& m) {
  m.def("softmax", [](py::handle x, py::handle out) {
    return unary("softmax", &softmax_f32, x, out);
  }, py::arg("x"), py::arg("out") = py::none(),
  R"(Softmax over the last axis of float32 x (rank >= 1); returns out (overwritten, may be x).

Stable (the row maximum is subtracted): logits of +-1e4 are fine, -inf entries give 0.
A row that is all -inf, holds +inf or NaN gives NaN for the whole row (as numpy's
exp(x - max) / sum does).)");

  m.def("log_softmax", [](py::handle x, py::handle out) {
    return unary("log_softmax", &log_softmax_f32, x, out);
  }, py::arg("x"), py::arg("out") = py::none(),
  R"(Log-softmax over the last axis: x - max - log(sum(exp(x - max))); returns out
(overwritten, may be x). -inf entries give -inf; NaN rows as in softmax.)");

  m.def("softmax_backward", [](py::handle dy, py::handle y, py::handle out) {
    return binary("softmax_backward", &softmax_backward_f32, dy, y, out);
  }, py::arg("dy"), py::arg("y"), py::arg("out") = py::none(),
  R"(Gradient of softmax from its output y: dx = y * (dy - sum(dy * y, last axis)).
dy and y have the same shape; returns out (overwritten, may be dy or y).)");

  m.def("log_softmax_backward", [](py::handle dy, py::handle y, py::handle out) {
    return binary("log_softmax_backward", &log_softmax_backward_f32, dy, y, out);
  }, py::arg("dy"), py::arg("y"), py::arg("out") = py::none(),
  R"(Gradient of log-softmax from its output y: dx = dy - exp(y) * sum(dy, last axis).
Returns out (overwritten, may be dy or y).)");

  m.def("softmax_cross_entropy", &softmax_cross_entropy, py::arg("logits"), py::arg("labels"),
        py::arg("dlogits") = py::none(), py::arg("losses") = py::none(),
        py::arg("sample_weight") = py::none(), py::arg("grad_scale") = 1.0,
        py::arg("label_smoothing") = 0.0, py::arg("compute_grad") = true,
  R"(Fused softmax cross-entropy from logits in one call: each row is read from memory
once and finished while it sits in cache (max/argmax, exp/sum/loss, gradient sweeps);
rows run in parallel for large batches and the result does not depend on the thread
count.

logits: float32 (N, C), C >= 1. labels: float32 (N, C) probabilities (one-hot or soft)
or int32 (N,) class indices (an index outside [0, C) raises ValueError naming the first
bad row, before any work). With t = labels * (1 - label_smoothing) + label_smoothing / C
(TF.js's smoothing):
  losses[i]    = -sum_j t_ij * log_softmax(logits)_ij          (unweighted)
  dlogits[i,j] = (softmax(logits)_ij * sum_k t_ik - t_ij) * grad_scale * sample_weight[i]
the exact gradient of sum_i grad_scale * sample_weight[i] * losses[i] (softmax - t for
labels that sum to 1; TF.js's core op uses softmax - labels even when they do not, which
is not the derivative of its loss). Terms with t_ij == 0
are skipped, so -inf logits with zero label weight cost nothing.
correct = number of rows with argmax(logits) == argmax(labels) (or == the index); ties
go to the first index and the first NaN wins, as numpy.argmax.

losses (N,) and dlogits (N, C) are overwritten when given (dlogits may be logits itself),
allocated otherwise; compute_grad=False skips the gradient (dlogits must be None).
Returns (losses, dlogits or None, correct: int).)");
}

}  // namespace treino::bind
