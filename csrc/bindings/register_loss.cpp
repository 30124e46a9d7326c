// Bindings of the loss kernels (csrc/loss/loss.h): softmax, log-softmax, their
// backward passes and the fused softmax-cross-entropy.
#include <Python.h>

#include <string>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "loss/loss.h"

namespace treino::bind {

namespace {

// Rows of the last axis: x of any rank >= 1.
void rows_cols(const py::array& x, int64_t* rows, int64_t* cols) {
  *cols = x.shape(x.ndim() - 1);
  *rows = *cols ? static_cast<int64_t>(x.size()) / *cols : 0;
}

F32 input_rank1plus(Args& a, const char* arg, py::handle obj) {
  F32 x = a.in(arg, obj);
  if (x.ndim() < 1) {
    value_error(std::string(a.fn()) + ": argument '" + arg +
                "' must have rank >= 1 (softmax runs over the last axis), received a scalar");
  }
  return x;
}

using UnaryKernel = void (*)(const float*, float*, int64_t, int64_t);
using BinaryKernel = void (*)(const float*, const float*, float*, int64_t, int64_t);

// Outputs may be the very same buffer as an input (in place) but not overlap it partly.
py::array unary(const char* fn, UnaryKernel k, py::handle x_obj, py::handle out_obj) {
  Args a(fn);
  F32 x = input_rank1plus(a, "x", x_obj);
  F32 out = a.out("out", out_obj, dims(x));
  a.disjoint({{"out", "x"}});
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
  Args a(fn);
  F32 dy = input_rank1plus(a, "dy", dy_obj);
  F32 y = a.in("y", y_obj, dims(dy));
  F32 out = a.out("out", out_obj, dims(dy));
  a.disjoint({{"out", "dy"}, {"out", "y"}});
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
  Args c("softmax_cross_entropy");
  const char* fn = c.fn();
  F32 logits = c.in("logits", logits_obj, {"N", "C"});
  const int64_t N = c.dim("N"), C = c.dim("C");
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
  if (ldt.is(py::dtype::of<int32_t>())) {
    I32 li = c.in_i32("labels", labels_obj, {"N"});
    const int32_t* p = li.data();
    for (int64_t i = 0; i < N; ++i) {
      if (p[i] < 0 || p[i] >= C) {
        value_error(std::string(fn) + ": labels[" + std::to_string(i) + "] = " +
                    std::to_string(p[i]) + " is out of range for " + std::to_string(C) +
                    " classes (expected 0 <= label < " + std::to_string(C) + ")");
      }
    }
    a.label_index = p;
  } else if (ldt.is(py::dtype::of<float>())) {
    a.labels = c.in("labels", labels_obj, {"N", "C"}).data();
  } else {
    type_error(std::string(fn) + ": argument 'labels' must have dtype float32 (N, C) or "
               "int32 (N,), received dtype " + std::string(py::str(ldt)));
  }
  F32 sw = c.in_opt("sample_weight", sw_obj, {"N"});
  if (sw) a.sample_weight = sw.data();
  F32 losses = c.out("losses", losses_obj, {"N"});
  F32 dl = c.out_if(compute_grad, "compute_grad", "dlogits", dlogits_obj, {"N", "C"});
  c.disjoint({{"dlogits", "logits"}});
  a.losses = losses.mutable_data();
  if (dl) a.dlogits = dl.mutable_data();
  a.logits = logits.data();

  int64_t correct;
  {
    py::gil_scoped_release nogil;
    correct = softmax_xent_f32(a);
  }
  return py::make_tuple(losses, or_none(dl), py::int_(correct));
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

  m.def("argmax_match_count", [](py::handle a_, py::handle b_) {
    Args c("argmax_match_count");
    F32 a = c.in("a", a_, {"N", "C"});
    F32 b = c.in("b", b_, {"N", "C"});
    const float* ap = a.data();
    const float* bp = b.data();
    const int64_t N = c.dim("N"), C = c.dim("C");
    py::gil_scoped_release nogil;
    return argmax_match_count(ap, bp, N, C);
  }, py::arg("a"), py::arg("b"),
     "argmax_match_count(a, b) -> int\n\n"
     "The number of rows i of two float32 (N, C) arrays with argmax(a[i]) == argmax(b[i]) "
     "(numpy.argmax's rules: the first maximum, the first NaN wins); 0 when C == 0. "
     "Categorical accuracy's count in one pass.");
}

}  // namespace treino::bind
