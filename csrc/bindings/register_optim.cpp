// Bindings of the optimizer updates (csrc/optim/optim.h): every call updates a whole
// list of variables in place. All arguments are checked before any array is touched,
// so a call that raises changes nothing.
#include <Python.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "optim/optim.h"
#include "optim/penalty.h"

namespace treino::bind {

namespace {

// A real number (NaN and infinities pass through, as in numpy).
float any_real(const char* fn, const char* arg, py::handle h) {
  return static_cast<float>(real(fn, arg, h, false));
}

// A regularization rate: a real >= 0 (a float64 rate beyond float32's range is infinity).
float rate(const char* fn, const char* arg, py::handle h) {
  const float v = any_real(fn, arg, h);
  if (!(v >= 0.f)) {
    value_error(std::string(fn) + ": argument '" + arg + "' must be a number >= 0, received " +
                std::string(py::str(py::float_(v))));
  }
  return v;
}

// The checked arrays of one call; `arrays` keeps references alive while the GIL is off.
struct Batch {
  std::vector<OptimSlot> slots;
  std::vector<py::array> arrays;
};

struct ListArg {
  const char* name;
  py::handle obj;
};

py::sequence as_list(const char* fn, const ListArg& a) {
  if (!py::isinstance<py::list>(a.obj) && !py::isinstance<py::tuple>(a.obj)) {
    type_error(std::string(fn) + ": argument '" + a.name +
               "' must be a list of float32 arrays, received " + type_name(a.obj));
  }
  return py::reinterpret_borrow<py::sequence>(a.obj);
}

struct Interval {
  const char* lo;
  const char* hi;
  bool written;
  uint32_t list, index;  // names are built only for an error message
};

std::string item_name(const std::vector<ListArg>& lists, uint32_t list, size_t index) {
  return std::string(lists[list].name) + "[" + std::to_string(index) + "]";
}

// Written buffers must not overlap anything else (parameters and states of any variable,
// or any gradient); gradients may share memory with each other (they are only read).
void check_overlaps(const char* fn, const std::vector<ListArg>& lists, std::vector<Interval> iv) {
  std::sort(iv.begin(), iv.end(),
            [](const Interval& x, const Interval& y) { return x.lo < y.lo; });
  for (size_t i = 0; i < iv.size(); ++i) {
    for (size_t j = i + 1; j < iv.size() && iv[j].lo < iv[i].hi; ++j) {
      if (iv[i].written || iv[j].written) {
        value_error(std::string(fn) + ": arguments '" + item_name(lists, iv[i].list, iv[i].index) +
                    "' and '" + item_name(lists, iv[j].list, iv[j].index) +
                    "' must not share memory");
      }
    }
  }
}

// params: writeable; grads: read only; states: writeable, one list per state.
Batch collect(const char* fn, const ListArg& params, const ListArg& grads,
              std::initializer_list<ListArg> states) {
  std::vector<ListArg> lists{params, grads};
  lists.insert(lists.end(), states.begin(), states.end());
  std::vector<py::sequence> seqs;
  for (const ListArg& l : lists) seqs.push_back(as_list(fn, l));
  const size_t n = py::len(seqs[0]);
  for (size_t li = 1; li < lists.size(); ++li) {
    const size_t m = py::len(seqs[li]);
    if (m != n) {
      value_error(std::string(fn) + ": argument '" + lists[li].name + "' must hold one array per "
                  "parameter: 'params' has " + std::to_string(n) + ", '" + lists[li].name +
                  "' has " + std::to_string(m));
    }
  }
  const py::dtype float32 = py::dtype::of<float>();
  Batch b;
  b.slots.resize(n);
  b.arrays.reserve(n * lists.size());
  std::vector<Interval> iv;
  iv.reserve(n * lists.size());
  for (size_t i = 0; i < n; ++i) {
    OptimSlot& s = b.slots[i];
    s.state[0] = s.state[1] = s.state[2] = nullptr;
    py::array p;
    for (uint32_t li = 0; li < lists.size(); ++li) {
      const bool written = li != 1;
      py::object item = seqs[li][i];
      // Fast path for the usual valid array (the dtype and layout f32() requires: a
      // misaligned view of a byte buffer must not reach the kernels); anything else goes
      // through f32(), which raises the detailed error.
      bool ok = py::isinstance<py::array>(item);
      if (ok) {
        const auto& a = py::reinterpret_borrow<py::array>(item);
        ok = a.dtype().is(float32) && layout_ok(a, written);
      }
      if (!ok) f32(item, fn, item_name(lists, li, i).c_str(), -1, written);
      py::array a = py::reinterpret_borrow<py::array>(item);
      if (li == 0) {
        p = a;
        s.param = static_cast<float*>(a.mutable_data());
        s.size = static_cast<int64_t>(a.size());
      } else {
        const bool same = a.ndim() == p.ndim() && std::equal(a.shape(), a.shape() + a.ndim(),
                                                             p.shape());
        if (!same) {
          value_error(std::string(fn) + ": '" + item_name(lists, li, i) +
                      "' must have the shape of 'params[" + std::to_string(i) + "]' " +
                      shape_str(p) + ", received shape " + shape_str(a));
        }
        if (li == 1) s.grad = static_cast<const float*>(a.data());
        else s.state[li - 2] = static_cast<float*>(a.mutable_data());
      }
      if (a.nbytes() > 0) {
        const char* lo = static_cast<const char*>(a.data());
        iv.push_back({lo, lo + a.nbytes(), written, li, static_cast<uint32_t>(i)});
      }
      b.arrays.push_back(std::move(a));
    }
  }
  check_overlaps(fn, lists, std::move(iv));
  return b;
}

int64_t step_arg(const char* fn, py::handle h) {
  if (py::isinstance<py::bool_>(h) || !PyIndex_Check(h.ptr())) {
    type_error(std::string(fn) + ": argument 'step' must be an int, received " + type_name(h));
  }
  PyObject* index = PyNumber_Index(h.ptr());
  if (!index) {
    PyErr_Clear();
    type_error(std::string(fn) + ": argument 'step' must be an int, received " + type_name(h));
  }
  const long long v = PyLong_AsLongLong(index);
  Py_DECREF(index);
  if (v == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    value_error(std::string(fn) + ": argument 'step' is out of range");
  }
  if (v < 1) {
    value_error(std::string(fn) + ": argument 'step' counts updates from 1, received " +
                std::to_string(v));
  }
  return static_cast<int64_t>(v);
}

// 1 - beta^t must not vanish, or the bias correction divides by zero.
void check_bias_correction(const char* fn, const char* arg, double beta, int64_t step) {
  if (1.0 - std::pow(beta, static_cast<double>(step)) == 0.0) {
    value_error(std::string(fn) + ": argument '" + arg + "'=" + std::string(py::str(py::float_(beta))) +
                " makes the bias correction 1 - " + arg + "^step zero at step " +
                std::to_string(step));
  }
}

}  // namespace

void register_optim(py::module_& m) {
  m.def("sgd_update", [](py::handle params, py::handle grads, py::handle lr) {
    const char* fn = "sgd_update";
    const double lr_ = real(fn, "lr", lr);
    Batch b = collect(fn, {"params", params}, {"grads", grads}, {});
    py::gil_scoped_release nogil;
    sgd_update(b.slots.data(), static_cast<int64_t>(b.slots.size()), lr_);
  }, py::arg("params"), py::arg("grads"), py::arg("lr"),
  R"(In place, for each i: params[i] -= lr * grads[i].

params, grads: lists (or tuples) of C-contiguous float32 arrays; grads[i] has the shape
of params[i]. Everything is checked before any array changes.)");

  m.def("momentum_update", [](py::handle params, py::handle grads, py::handle accums,
                              py::handle lr, py::handle momentum, bool use_nesterov) {
    const char* fn = "momentum_update";
    const double lr_ = real(fn, "lr", lr), mu = real(fn, "momentum", momentum);
    Batch b = collect(fn, {"params", params}, {"grads", grads}, {{"accums", accums}});
    py::gil_scoped_release nogil;
    momentum_update(b.slots.data(), static_cast<int64_t>(b.slots.size()), lr_, mu,
                    use_nesterov);
  }, py::arg("params"), py::arg("grads"), py::arg("accums"), py::arg("lr"),
  py::arg("momentum"), py::arg("use_nesterov") = false,
  R"(In place (TF.js MomentumOptimizer): a = momentum * a + g, then
p -= lr * (g + momentum * a) with use_nesterov, else p -= lr * a.

params and accums are updated; all lists hold float32 arrays shaped like params[i].)");

  m.def("adagrad_update", [](py::handle params, py::handle grads, py::handle accums,
                             py::handle lr, py::handle epsilon) {
    const char* fn = "adagrad_update";
    const double lr_ = real(fn, "lr", lr), eps = real(fn, "epsilon", epsilon);
    Batch b = collect(fn, {"params", params}, {"grads", grads}, {{"accums", accums}});
    py::gil_scoped_release nogil;
    adagrad_update(b.slots.data(), static_cast<int64_t>(b.slots.size()), lr_, eps);
  }, py::arg("params"), py::arg("grads"), py::arg("accums"), py::arg("lr"),
  py::arg("epsilon") = 1e-7,
  R"(In place (TF.js AdagradOptimizer): a += g^2; p -= lr * g / sqrt(a + epsilon).

TF.js starts accums at initialAccumulatorValue (0.1); the caller fills them.)");

  m.def("adadelta_update", [](py::handle params, py::handle grads, py::handle accum_grads,
                              py::handle accum_updates, py::handle lr, py::handle rho,
                              py::handle epsilon) {
    const char* fn = "adadelta_update";
    const double lr_ = real(fn, "lr", lr), rho_ = real(fn, "rho", rho),
                 eps = real(fn, "epsilon", epsilon);
    Batch b = collect(fn, {"params", params}, {"grads", grads},
                      {{"accum_grads", accum_grads}, {"accum_updates", accum_updates}});
    py::gil_scoped_release nogil;
    adadelta_update(b.slots.data(), static_cast<int64_t>(b.slots.size()), lr_, rho_, eps);
  }, py::arg("params"), py::arg("grads"), py::arg("accum_grads"), py::arg("accum_updates"),
  py::arg("lr"), py::arg("rho"), py::arg("epsilon") = 1e-7,
  R"(In place, the published Adadelta (as Keras and PyTorch; TF.js divides by the
previous accumulator instead):
  Eg = rho Eg + (1 - rho) g^2
  u = sqrt(Edx + epsilon) / sqrt(Eg + epsilon) * g        (updated Eg)
  Edx = rho Edx + (1 - rho) u^2
  p -= lr * u
accum_grads holds Eg, accum_updates holds Edx.)");

  m.def("adam_update", [](py::handle params, py::handle grads, py::handle ms, py::handle vs,
                          py::handle lr, py::handle beta1, py::handle beta2,
                          py::handle epsilon, py::handle step) {
    const char* fn = "adam_update";
    const double lr_ = real(fn, "lr", lr), b1 = real(fn, "beta1", beta1),
                 b2 = real(fn, "beta2", beta2), eps = real(fn, "epsilon", epsilon);
    const int64_t t = step_arg(fn, step);
    check_bias_correction(fn, "beta1", b1, t);
    check_bias_correction(fn, "beta2", b2, t);
    Batch b = collect(fn, {"params", params}, {"grads", grads}, {{"ms", ms}, {"vs", vs}});
    py::gil_scoped_release nogil;
    adam_update(b.slots.data(), static_cast<int64_t>(b.slots.size()), lr_, b1, b2, eps, t);
  }, py::arg("params"), py::arg("grads"), py::arg("ms"), py::arg("vs"), py::arg("lr"),
  py::arg("beta1"), py::arg("beta2"), py::arg("epsilon"), py::arg("step"),
  R"(In place (TF.js AdamOptimizer); step t >= 1 is this update's number (the caller
counts):
  m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
  p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
Bias corrections are computed in double once per call.)");

  m.def("adamax_update", [](py::handle params, py::handle grads, py::handle ms,
                            py::handle us, py::handle lr, py::handle beta1, py::handle beta2,
                            py::handle epsilon, py::handle step, py::handle decay) {
    const char* fn = "adamax_update";
    const double lr_ = real(fn, "lr", lr), b1 = real(fn, "beta1", beta1),
                 b2 = real(fn, "beta2", beta2), eps = real(fn, "epsilon", epsilon),
                 dec = real(fn, "decay", decay);
    const int64_t t = step_arg(fn, step);
    check_bias_correction(fn, "beta1", b1, t);
    if (1.0 + dec * static_cast<double>(t - 1) == 0.0) {
      value_error(std::string(fn) + ": argument 'decay' makes the decayed learning rate "
                  "divide by zero at step " + std::to_string(t));
    }
    Batch b = collect(fn, {"params", params}, {"grads", grads}, {{"ms", ms}, {"us", us}});
    py::gil_scoped_release nogil;
    adamax_update(b.slots.data(), static_cast<int64_t>(b.slots.size()), lr_, b1, b2, eps, t,
                  dec);
  }, py::arg("params"), py::arg("grads"), py::arg("ms"), py::arg("us"), py::arg("lr"),
  py::arg("beta1"), py::arg("beta2"), py::arg("epsilon"), py::arg("step"),
  py::arg("decay") = 0.0,
  R"(In place (TF.js AdamaxOptimizer); step t >= 1 is this update's number:
  lr_t = lr / (1 + decay * (t - 1))
  m = beta1 m + (1 - beta1) g;  u = max(beta2 u, |g|)
  p -= lr_t / (1 - beta1^t) * m / (u + epsilon))");

  m.def("rmsprop_update", [](py::handle params, py::handle grads, py::handle ms,
                             py::handle moms, py::handle lr, py::handle decay,
                             py::handle momentum, py::handle epsilon, bool centered,
                             py::handle mgs) {
    const char* fn = "rmsprop_update";
    const double lr_ = real(fn, "lr", lr), dec = real(fn, "decay", decay),
                 mu = real(fn, "momentum", momentum), eps = real(fn, "epsilon", epsilon);
    if (centered && mgs.is_none()) {
      value_error(std::string(fn) + ": centered=True needs 'mgs' (the mean gradients), received None");
    }
    if (!centered && !mgs.is_none()) {
      value_error(std::string(fn) + ": argument 'mgs' is only used with centered=True");
    }
    Batch b = centered ? collect(fn, {"params", params}, {"grads", grads},
                                 {{"ms", ms}, {"moms", moms}, {"mgs", mgs}})
                       : collect(fn, {"params", params}, {"grads", grads},
                                 {{"ms", ms}, {"moms", moms}});
    py::gil_scoped_release nogil;
    rmsprop_update(b.slots.data(), static_cast<int64_t>(b.slots.size()), lr_, dec, mu, eps,
                   centered);
  }, py::arg("params"), py::arg("grads"), py::arg("ms"), py::arg("moms"), py::arg("lr"),
  py::arg("decay"), py::arg("momentum"), py::arg("epsilon"), py::arg("centered") = false,
  py::arg("mgs") = py::none(),
  R"(In place (TF.js RMSPropOptimizer; epsilon inside the square root):
  ms = decay ms + (1 - decay) g^2
  centered: mg = decay mg + (1 - decay) g
            mom = momentum mom + lr g / sqrt(ms - mg^2 + epsilon)
  else:     mom = momentum mom + lr g / sqrt(ms + epsilon)
  p -= mom
mgs (the mean gradients) is required with centered=True and refused otherwise. Centered
adds epsilon under the root as TensorFlow and Keras do (TF.js's code subtracts it).)");

  m.def("l1l2_penalty", [](py::handle x_, py::handle l1_, py::handle l2_) {
    const char* fn = "l1l2_penalty";
    const F32 x = f32(x_, fn, "x");
    const float l1 = rate(fn, "l1", l1_), l2 = rate(fn, "l2", l2_);
    const float* xp = x.data();
    const int64_t n = static_cast<int64_t>(x.size());
    py::gil_scoped_release nogil;
    return l1l2_penalty(xp, n, l1, l2);
  }, py::arg("x"), py::arg("l1"), py::arg("l2"),
     "l1l2_penalty(x, l1, l2) -> float\n\n"
     "l1 * sum(|x|) + l2 * sum(x^2) in float32 over a C-contiguous float32 array of any "
     "shape (TF.js's L1L2 regularizer), in one pass; the sum's order is fixed (thread-count "
     "independent). l1, l2: >= 0; a zero rate skips its term.");

  m.def("l1l2_penalty_backward", [](py::handle x_, py::handle l1_, py::handle l2_,
                                    py::handle dy_, py::handle out_, bool accumulate) {
    Args a("l1l2_penalty_backward");
    const F32 x = a.in("x", x_);
    const float l1 = rate(a.fn(), "l1", l1_), l2 = rate(a.fn(), "l2", l2_);
    const float dy = any_real(a.fn(), "dy", dy_);  // a NaN or infinity propagates
    if (accumulate && out_.is_none()) {
      value_error(std::string(a.fn()) + ": accumulate=True needs 'out' (the gradient to add "
                  "into), received None");
    }
    F32 out = a.out("out", out_, dims(x));
    a.disjoint();
    const float* xp = x.data();
    float* op = out.mutable_data();
    const int64_t n = static_cast<int64_t>(x.size());
    {
      py::gil_scoped_release nogil;
      l1l2_penalty_backward(xp, n, l1, l2, dy, op, accumulate);
    }
    return out;
  }, py::arg("x"), py::arg("l1"), py::arg("l2"), py::arg("dy"), py::arg("out") = py::none(),
     py::arg("accumulate") = false,
     "l1l2_penalty_backward(x, l1, l2, dy, out=None, accumulate=False) -> out\n\n"
     "The gradient of dy * l1l2_penalty(x): g = x * ((2 * l2) * dy) + sign(x) * (l1 * dy) "
     "(a term left out when its rate is 0), written into out (a new array, or the "
     "caller's float32 array of x's shape, not overlapping x), or added into it with "
     "accumulate=True: out + g, rounded as two float32 operations. dy: a real number.");
}

}  // namespace treino::bind
