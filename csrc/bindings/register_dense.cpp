// Bindings of the fused dense layer (forward and backward, one native call each).
#include <cmath>
#include <string>
#include <vector>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "dense/dense.h"

namespace treino::bind {

namespace {

using F32 = py::array_t<float, py::array::c_style>;

// activation: a TF.js id ('linear', 'relu', ..., 'leakyRelu' or 'leaky_relu') or None
// (linear). alpha: None picks the activation's default (1 for elu, 0.2 for leakyRelu).
Act parse_activation(const py::handle& name, const py::handle& alpha_, const char* fn,
                     float* alpha) {
  Act act = Act::Linear;
  if (!name.is_none()) {
    if (!py::isinstance<py::str>(name)) {
      type_error(std::string(fn) + ": argument 'activation' must be a str, received " +
                 std::string(py::str(py::type::of(name).attr("__name__"))));
    }
    const std::string s = name.cast<std::string>();
    if (!parse_act(s, &act)) {
      value_error(std::string(fn) + ": unknown activation '" + s +
                  "'; the fused dense supports " + act_names() +
                  " (apply other activations as a separate op)");
    }
  }
  *alpha = act_default_alpha(act);
  if (!alpha_.is_none()) {
    if (py::isinstance<py::bool_>(alpha_) ||
        !PyNumber_Check(alpha_.ptr()) || py::isinstance<py::str>(alpha_)) {
      type_error(std::string(fn) + ": argument 'alpha' must be a number or None, received " +
                 std::string(py::str(py::type::of(alpha_).attr("__name__"))));
    }
    *alpha = py::float_(py::reinterpret_borrow<py::object>(alpha_)).cast<float>();
  }
  // The backward reads act' from the output y, which needs a monotonic activation.
  if (act == Act::Elu && !(*alpha > 0.f)) {
    value_error(std::string(fn) + ": elu needs alpha > 0 (the gradient is taken from the "
                "output), received alpha=" + std::to_string(*alpha));
  }
  if (act == Act::LeakyRelu && !(*alpha >= 0.f)) {
    value_error(std::string(fn) + ": leakyRelu needs alpha >= 0 (the gradient is taken from "
                "the output), received alpha=" + std::to_string(*alpha));
  }
  return act;
}

// x (N, K) and w (K, U), checked against each other.
void x_and_w(py::handle x_, py::handle w_, const char* fn, F32* x, F32* w, int64_t* N,
             int64_t* K, int64_t* U) {
  *x = f32(x_, fn, "x", 2);
  *w = f32(w_, fn, "w", 2);
  *N = x->shape(0), *K = x->shape(1), *U = w->shape(1);
  if (w->shape(0) != *K) {
    value_error(std::string(fn) + ": argument 'w' must have shape (" + std::to_string(*K) +
                ", units) to match x of shape " + shape_str(*x) + ", received shape " +
                shape_str(*w));
  }
}

}  // namespace

void register_dense(py::module_& m) {
  m.def("dense_forward", [](py::handle x_, py::handle w_, py::handle b_, py::handle act_,
                            py::handle alpha_, py::handle out_) {
    const char* fn = "dense_forward";
    float alpha;
    const Act act = parse_activation(act_, alpha_, fn, &alpha);
    F32 x, w;
    int64_t N, K, U;
    x_and_w(x_, w_, fn, &x, &w, &N, &K, &U);
    F32 b;
    const bool has_b = !b_.is_none();
    if (has_b) { b = f32(b_, fn, "b", 1); expect_shape(b, fn, "b", {U}); }
    F32 y = out_or_new(out_, fn, "out", {N, U});
    expect_no_overlap(x, y, fn, "x", "out");
    expect_no_overlap(w, y, fn, "w", "out");
    if (has_b) expect_no_overlap(b, y, fn, "b", "out");
    const float* xp = x.data();
    const float* wp = w.data();
    const float* bp = has_b ? b.data() : nullptr;
    float* yp = y.mutable_data();
    {
      py::gil_scoped_release nogil;
      dense_forward(xp, wp, bp, yp, N, K, U, act, alpha);
    }
    return y;
  }, py::arg("x"), py::arg("w"), py::arg("b") = py::none(), py::arg("activation") = "linear",
     py::arg("alpha") = py::none(), py::arg("out") = py::none(),
     "dense_forward(x, w, b=None, activation='linear', alpha=None, out=None) -> y\n\n"
     "y = act(x @ w + b) in one call. x (N, K), w (K, U), b (U,) or None, all float32 "
     "C-contiguous. activation: TF.js id 'linear', 'relu', 'relu6', 'elu', 'selu', "
     "'sigmoid', 'tanh', 'softplus', 'softsign', 'leakyRelu' (or 'leaky_relu'), or None. "
     "alpha: elu's (default 1, must be > 0) or leakyRelu's (default 0.2, must be >= 0). "
     "out: optional float32 (N, U), overwritten and returned; keep y for dense_backward.");

  m.def("dense_backward", [](py::handle dy_, py::handle x_, py::handle w_, py::handle y_,
                             py::handle act_, py::handle alpha_, bool need_dx, bool need_db,
                             py::handle dx_, py::handle dw_, py::handle db_) {
    const char* fn = "dense_backward";
    float alpha;
    const Act act = parse_activation(act_, alpha_, fn, &alpha);
    F32 x, w;
    int64_t N, K, U;
    x_and_w(x_, w_, fn, &x, &w, &N, &K, &U);
    F32 dy = f32(dy_, fn, "dy", 2);
    expect_shape(dy, fn, "dy", {N, U});
    F32 y = f32(y_, fn, "y", 2);
    expect_shape(y, fn, "y", {N, U});
    if (!need_dx && !dx_.is_none())
      value_error(std::string(fn) + ": argument 'dx' was given but need_dx=False");
    if (!need_db && !db_.is_none())
      value_error(std::string(fn) + ": argument 'db' was given but need_db=False");
    F32 dw = out_or_new(dw_, fn, "dw", {K, U});
    F32 dx, db;
    if (need_dx) dx = out_or_new(dx_, fn, "dx", {N, K});
    if (need_db) db = out_or_new(db_, fn, "db", {U});
    // Outputs are written while inputs are still read: no output may share memory with
    // an input or another output.
    std::vector<std::pair<const py::array*, const char*>> ins = {
        {&dy, "dy"}, {&x, "x"}, {&w, "w"}, {&y, "y"}};
    std::vector<std::pair<const py::array*, const char*>> outs = {{&dw, "dw"}};
    if (need_dx) outs.push_back({&dx, "dx"});
    if (need_db) outs.push_back({&db, "db"});
    for (size_t i = 0; i < outs.size(); ++i) {
      for (const auto& in : ins) expect_no_overlap(*in.first, *outs[i].first, fn, in.second, outs[i].second);
      for (size_t j = i + 1; j < outs.size(); ++j)
        expect_no_overlap(*outs[i].first, *outs[j].first, fn, outs[i].second, outs[j].second);
    }
    const float* dyp = dy.data();
    const float* xp = x.data();
    const float* wp = w.data();
    const float* yp = y.data();
    float* dxp = need_dx ? dx.mutable_data() : nullptr;
    float* dwp = dw.mutable_data();
    float* dbp = need_db ? db.mutable_data() : nullptr;
    {
      py::gil_scoped_release nogil;
      dense_backward(dyp, xp, wp, yp, N, K, U, act, alpha, dxp, dwp, dbp);
    }
    return py::make_tuple(need_dx ? py::object(dx) : py::object(py::none()), dw,
                          need_db ? py::object(db) : py::object(py::none()));
  }, py::arg("dy"), py::arg("x"), py::arg("w"), py::arg("y"),
     py::arg("activation") = "linear", py::arg("alpha") = py::none(),
     py::arg("need_dx") = true, py::arg("need_db") = true, py::arg("dx") = py::none(),
     py::arg("dw") = py::none(), py::arg("db") = py::none(),
     "dense_backward(dy, x, w, y, activation='linear', alpha=None, need_dx=True, "
     "need_db=True, dx=None, dw=None, db=None) -> (dx or None, dw, db or None)\n\n"
     "Backward of y = act(x @ w + b) from dy (N, U) and the saved output y (N, U); x (N, K), "
     "w (K, U). dz = dy * act'(y); dw = x^T dz (K, U); db = column sums of dz (U,) unless "
     "need_db=False (no bias); dx = dz w^T (N, K) unless need_dx=False (first layer). "
     "All float32 C-contiguous; dx/dw/db, when given, are overwritten (not accumulated) and "
     "must not share memory with any input. activation/alpha as dense_forward.");
}

}  // namespace treino::bind
