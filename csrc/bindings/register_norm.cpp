// Bindings of batch normalization's training step (forward and backward, one native call
// each).
#include <string>
#include <utility>
#include <vector>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "norm/batchnorm.h"

namespace treino::bind {

namespace {

using F32 = py::array_t<float, py::array::c_style>;
using Named = std::pair<const py::array*, const char*>;

// A (C,) float32 parameter, or an empty array for None.
F32 column_arg(const py::handle& h, const char* fn, const char* arg, int64_t C,
               bool optional) {
  if (optional && h.is_none()) return F32();
  F32 a = f32(h, fn, arg, 1);
  expect_shape(a, fn, arg, {C});
  return a;
}

// Outputs are written while inputs are still read: no output may share memory with an
// input or another output.
void expect_disjoint(const std::vector<Named>& ins, const std::vector<Named>& outs,
                     const char* fn) {
  for (size_t i = 0; i < outs.size(); ++i) {
    for (const auto& in : ins)
      expect_no_overlap(*in.first, *outs[i].first, fn, in.second, outs[i].second);
    for (size_t j = i + 1; j < outs.size(); ++j)
      expect_no_overlap(*outs[i].first, *outs[j].first, fn, outs[i].second, outs[j].second);
  }
}

}  // namespace

void register_norm(py::module_& m) {
  m.def("batchnorm_forward", [](py::handle x_, py::handle gamma_, py::handle beta_,
                                py::handle mm_, py::handle mv_, py::handle eps_,
                                py::handle decay_, py::handle out_) {
    const char* fn = "batchnorm_forward";
    F32 x = f32(x_, fn, "x", 2);
    const int64_t M = x.shape(0), C = x.shape(1);
    F32 gamma = column_arg(gamma_, fn, "gamma", C, true);
    F32 beta = column_arg(beta_, fn, "beta", C, true);
    F32 mm = column_arg(mm_, fn, "moving_mean", C, false);
    F32 mv = column_arg(mv_, fn, "moving_var", C, false);
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
    F32 y = out_or_new(out_, fn, "out", {M, C});
    std::vector<Named> ins = {{&x, "x"}, {&mm, "moving_mean"}, {&mv, "moving_var"}};
    if (!gamma_.is_none()) ins.push_back({&gamma, "gamma"});
    if (!beta_.is_none()) ins.push_back({&beta, "beta"});
    expect_disjoint(ins, {{&y, "out"}}, fn);
    F32 new_mean({C}), new_var({C}), mean({C}), inv_std({C});

    BatchNormForwardArgs a;
    a.x = x.data();
    a.gamma = gamma_.is_none() ? nullptr : gamma.data();
    a.beta = beta_.is_none() ? nullptr : beta.data();
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
    const char* fn = "batchnorm_backward";
    F32 x = f32(x_, fn, "x", 2);
    const int64_t M = x.shape(0), C = x.shape(1);
    F32 dy = f32(dy_, fn, "dy", 2);
    expect_shape(dy, fn, "dy", {M, C});
    F32 mean = column_arg(mean_, fn, "mean", C, false);
    F32 inv = column_arg(inv_, fn, "inv_std", C, false);
    F32 gamma = column_arg(gamma_, fn, "gamma", C, true);
    const std::pair<bool, const py::handle*> given[] = {
        {need_dx, &dx_}, {need_dgamma, &dgamma_}, {need_dbeta, &dbeta_}};
    const char* names[] = {"dx", "dgamma", "dbeta"};
    for (int i = 0; i < 3; ++i) {
      if (!given[i].first && !given[i].second->is_none()) {
        value_error(std::string(fn) + ": argument '" + names[i] + "' was given but need_" +
                    names[i] + "=False");
      }
    }
    F32 dx, dgamma, dbeta;
    std::vector<Named> outs;
    if (need_dx) { dx = out_or_new(dx_, fn, "dx", {M, C}); outs.push_back({&dx, "dx"}); }
    if (need_dgamma) {
      dgamma = out_or_new(dgamma_, fn, "dgamma", {C});
      outs.push_back({&dgamma, "dgamma"});
    }
    if (need_dbeta) {
      dbeta = out_or_new(dbeta_, fn, "dbeta", {C});
      outs.push_back({&dbeta, "dbeta"});
    }
    std::vector<Named> ins = {{&dy, "dy"}, {&x, "x"}, {&mean, "mean"}, {&inv, "inv_std"}};
    if (!gamma_.is_none()) ins.push_back({&gamma, "gamma"});
    expect_disjoint(ins, outs, fn);

    BatchNormBackwardArgs a;
    a.dy = dy.data();
    a.x = x.data();
    a.mean = mean.data();
    a.inv_std = inv.data();
    a.gamma = gamma_.is_none() ? nullptr : gamma.data();
    a.dx = need_dx ? dx.mutable_data() : nullptr;
    a.dgamma = need_dgamma ? dgamma.mutable_data() : nullptr;
    a.dbeta = need_dbeta ? dbeta.mutable_data() : nullptr;
    a.M = M, a.C = C;
    {
      py::gil_scoped_release nogil;
      batchnorm_backward_f32(a);
    }
    auto or_none = [](bool need, const F32& arr) {
      return need ? py::object(arr) : py::object(py::none());
    };
    return py::make_tuple(or_none(need_dx, dx), or_none(need_dgamma, dgamma),
                          or_none(need_dbeta, dbeta));
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
