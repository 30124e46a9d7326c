// Bindings of the fused dense layer (forward and backward, one native call each).
#include "bindings/checks.h"
#include "bindings/register.h"
#include "dense/dense.h"

namespace treino::bind {

void register_dense(py::module_& m) {
  m.def("dense_forward", [](py::handle x_, py::handle w_, py::handle b_, py::handle act_,
                            py::handle alpha_, py::handle out_) {
    Args a("dense_forward");
    float alpha;
    const Act act = activation_arg(a.fn(), act_, alpha_, &alpha);
    F32 x = a.in("x", x_, {"batch", "in"});
    F32 w = a.in("w", w_, {"in", "units"});
    F32 b = a.in_opt("b", b_, {"units"});
    F32 y = a.out("out", out_, {"batch", "units"});
    a.disjoint();
    const int64_t N = a.dim("batch"), K = a.dim("in"), U = a.dim("units");
    const float* xp = x.data();
    const float* wp = w.data();
    const float* bp = b ? b.data() : nullptr;
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
    Args a("dense_backward");
    float alpha;
    const Act act = activation_arg(a.fn(), act_, alpha_, &alpha);
    F32 x = a.in("x", x_, {"batch", "in"});
    F32 w = a.in("w", w_, {"in", "units"});
    F32 dy = a.in("dy", dy_, {"batch", "units"});
    F32 y = a.in("y", y_, {"batch", "units"});
    F32 dw = a.out("dw", dw_, {"in", "units"});
    F32 dx = a.out_if(need_dx, "need_dx", "dx", dx_, {"batch", "in"});
    F32 db = a.out_if(need_db, "need_db", "db", db_, {"units"});
    // Outputs are written while inputs are still read.
    a.disjoint();
    const int64_t N = a.dim("batch"), K = a.dim("in"), U = a.dim("units");
    const float* dyp = dy.data();
    const float* xp = x.data();
    const float* wp = w.data();
    const float* yp = y.data();
    float* dxp = dx ? dx.mutable_data() : nullptr;
    float* dwp = dw.mutable_data();
    float* dbp = db ? db.mutable_data() : nullptr;
    {
      py::gil_scoped_release nogil;
      dense_backward(dyp, xp, wp, yp, N, K, U, act, alpha, dxp, dwp, dbp);
    }
    return py::make_tuple(or_none(dx), dw, or_none(db));
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
