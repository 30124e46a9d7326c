// Bindings of batch normalization's training step (forward and backward, one native call
// each).
#include <string>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "norm/batchnorm.h"

namespace treino::bind {

void register_norm(py::module_& m) {
  m.def("batchnorm_forward", [](py::handle x_, py::handle gamma_, py::handle beta_,
                                py::handle mm_, py::handle mv_, py::handle eps_,
                                py::handle decay_, py::handle out_) {
    Args c("batchnorm_forward");
    const char* fn = c.fn();
    F32 x = c.in("x", x_, {"M", "C"});
    const int64_t M = c.dim("M"), C = c.dim("C");
    F32 gamma = c.in_opt("gamma", gamma_, {"C"});
    F32 beta = c.in_opt("beta", beta_, {"C"});
    F32 mm = c.in("moving_mean", mm_, {"C"});
    F32 mv = c.in("moving_var", mv_, {"C"});
    const double eps = real(fn, "epsilon", eps_);
    if (!(eps > 0)) {
      value_error(std::string(fn) + ": argument 'epsilon' must be > 0, received " +
                  std::string(py::str(py::float_(eps))));
    }
    const double decay = real(fn, "decay", decay_);
    if (!(decay >= 0 && decay <= 1)) {
      value_error(std::string(fn) + ": argument 'decay' must be in [0, 1], received " +
                  std::string(py::str(py::float_(decay))));
    }
    F32 y = c.out("out", out_, {"M", "C"});
    c.disjoint();
    F32 new_mean({C}), new_var({C}), mean({C}), inv_std({C});

    BatchNormForwardArgs a;
    a.x = x.data();
    a.gamma = gamma ? gamma.data() : nullptr;
    a.beta = beta ? beta.data() : nullptr;
    a.moving_mean = mm.data();
    a.moving_var = mv.data();
    a.epsilon = eps;
    a.decay = decay;
    a.y = y.mutable_data();
    a.new_mean = new_mean.mutable_data();
    a.new_var = new_var.mutable_data();
    a.mean = mean.mutable_data();
    a.inv_std = inv_std.mutable_data();
    a.M = M, a.C = C;
    {
      py::gil_scoped_release nogil;
      batchnorm_forward_f32(a);
    }
    return py::make_tuple(y, new_mean, new_var, mean, inv_std);
  }, py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("moving_mean"),
     py::arg("moving_var"), py::arg("epsilon"), py::arg("decay"),
     py::arg("out") = py::none(),
     "batchnorm_forward(x, gamma, beta, moving_mean, moving_var, epsilon, decay, out=None) "
     "-> (y, new_mean, new_var, mean, inv_std)\n\n"
     "Batch normalization's training forward over x (M, C), statistics per column: "
     "mean = sum_m x / M, var = sum_m (x - mean)^2 / M (biased), inv_std = 1 / sqrt(var + "
     "epsilon), y = (x - mean) * inv_std * gamma + beta; the moving statistics move "
     "towards the batch's: new_mean = moving_mean - (moving_mean - mean) * decay, new_var "
     "likewise with var. gamma, beta: (C,) or None (1 and 0); moving_mean, moving_var "
     "(C,); epsilon > 0; decay (1 - momentum) in [0, 1]. All float32 C-contiguous; sums "
     "in double, independent of the thread count. out: optional float32 (M, C) for y, "
     "overwritten, sharing no memory with an input. Keep x, mean and inv_std for "
     "batchnorm_backward.");

  m.def("batchnorm_backward", [](py::handle dy_, py::handle x_, py::handle mean_,
                                 py::handle inv_, py::handle gamma_, bool need_dx,
                                 bool need_dgamma, bool need_dbeta, py::handle dx_,
                                 py::handle dgamma_, py::handle dbeta_) {
    Args c("batchnorm_backward");
    F32 x = c.in("x", x_, {"M", "C"});
    const int64_t M = c.dim("M"), C = c.dim("C");
    F32 dy = c.in("dy", dy_, {"M", "C"});
    F32 mean = c.in("mean", mean_, {"C"});
    F32 inv = c.in("inv_std", inv_, {"C"});
    F32 gamma = c.in_opt("gamma", gamma_, {"C"});
    F32 dx = c.out_if(need_dx, "need_dx", "dx", dx_, {"M", "C"});
    F32 dgamma = c.out_if(need_dgamma, "need_dgamma", "dgamma", dgamma_, {"C"});
    F32 dbeta = c.out_if(need_dbeta, "need_dbeta", "dbeta", dbeta_, {"C"});
    c.disjoint();

    BatchNormBackwardArgs a;
    a.dy = dy.data();
    a.x = x.data();
    a.mean = mean.data();
    a.inv_std = inv.data();
    a.gamma = gamma ? gamma.data() : nullptr;
    a.dx = dx ? dx.mutable_data() : nullptr;
    a.dgamma = dgamma ? dgamma.mutable_data() : nullptr;
    a.dbeta = dbeta ? dbeta.mutable_data() : nullptr;
    a.M = M, a.C = C;
    {
      py::gil_scoped_release nogil;
      batchnorm_backward_f32(a);
    }
    return py::make_tuple(or_none(dx), or_none(dgamma), or_none(dbeta));
  }, py::arg("dy"), py::arg("x"), py::arg("mean"), py::arg("inv_std"),
     py::arg("gamma") = py::none(), py::arg("need_dx") = true, py::arg("need_dgamma") = true,
     py::arg("need_dbeta") = true, py::arg("dx") = py::none(), py::arg("dgamma") = py::none(),
     py::arg("dbeta") = py::none(),
     "batchnorm_backward(dy, x, mean, inv_std, gamma=None, need_dx=True, need_dgamma=True, "
     "need_dbeta=True, dx=None, dgamma=None, dbeta=None) -> (dx, dgamma, dbeta), each or "
     "None\n\n"
     "Backward of batchnorm_forward from dy (M, C), its input x (M, C) and its saved mean "
     "and inv_std (C,); gamma (C,) or None (1). With xhat = (x - mean) * inv_std: dbeta = "
     "sum_m dy, dgamma = sum_m dy * xhat, dx = inv_std * gamma * (dy - dbeta / M - xhat * "
     "dgamma / M); each skipped (None) when its need_ flag is False. All float32 "
     "C-contiguous; dx/dgamma/dbeta, when given, are overwritten (not accumulated) and must "
     "not share memory with any input or each other.");
}

}  // namespace treino::bind
