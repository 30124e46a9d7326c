// Bindings of the sequence family: the fused recurrent layers (csrc/rnn/rnn.h) and the
// embedding lookup with its deterministic scatter-add backward (csrc/data).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "data/gather.h"
#include "data/scatter.h"
#include "rnn/rnn.h"

namespace treino::bind {

namespace {

RnnCell cell_arg(const char* fn, const std::string& name) {
  if (name == "simple_rnn") return RnnCell::Simple;
  if (name == "lstm") return RnnCell::Lstm;
  if (name == "gru") return RnnCell::Gru;
  if (name == "gru_reset_after") return RnnCell::GruResetAfter;
  value_error(std::string(fn) + ": argument 'cell' must be one of 'simple_rnn', 'lstm', "
              "'gru', 'gru_reset_after', received '" + name + "'");
}

GateAct act_arg(const char* fn, const char* arg, const std::string& name) {
  GateAct a;
  if (!parse_gate_act(name, &a)) {
    value_error(std::string(fn) + ": argument '" + arg + "' must be one of " +
                gate_act_names() + ", received '" + name + "'");
  }
  return a;
}

// The shared checks of rnn_forward / rnn_backward: x, w, r (declared in that order, so
// messages name what x fixed), the optional masks, and the gate count of the cell.
struct RnnArgs {
  RnnCell cell;
  RnnDims d;
  F32 x, w, r, mask, rmask;
};

RnnArgs rnn_args(Args& a, const std::string& cell_name, py::handle x_, py::handle w_,
                 py::handle r_, py::handle mask_, py::handle rmask_) {
  RnnArgs ra;
  ra.cell = cell_arg(a.fn(), cell_name);
  ra.x = a.in("x", x_, {"batch", "time", "in"});
  ra.w = a.in("w", w_, {"in", "gates"});
  ra.r = a.in("r", r_, {"units", "gates"});
  const int64_t U = a.dim("units"), G = rnn_gates(ra.cell);
  if (a.dim("gates") != G * U) {
    value_error(std::string(a.fn()) + ": the " + cell_name + " cell has " + std::to_string(G) +
                " gate(s): w and r must have " + std::to_string(G) + " * units = " +
                std::to_string(G * U) + " columns (units = " + std::to_string(U) +
                " from r's rows), received " + std::to_string(a.dim("gates")));
  }
  if (a.dim("time") < 1) {
    value_error(std::string(a.fn()) + ": x must have at least one time step, received shape " +
                shape_str(ra.x));
  }
  // Every buffer the kernels use is at most (B, T, 5 U) or (B, T, G U) floats; an
  // empty x may still declare extents whose product overflows.
  const double floats = static_cast<double>(a.dim("batch")) * static_cast<double>(a.dim("time")) *
                        static_cast<double>(std::max<int64_t>(5 * U, G * U));
  if (floats > 4.0e18) {
    value_error(std::string(a.fn()) + ": the shapes of x " + shape_str(ra.x) + " and r " +
                shape_str(ra.r) + " need more memory than any machine has");
  }
  ra.mask = a.in_opt("mask", mask_, {"batch", "time"});
  ra.rmask = a.in_opt("rmask", rmask_, {"batch", "units"});
  ra.d = RnnDims{a.dim("batch"), a.dim("time"), a.dim("in"), U};
  return ra;
}

// Indices of any shape as int64, each in [0, rows), copied (the kernel reads the copy
// without the GIL, so another thread changing the array cannot send it out of bounds).
std::vector<int64_t> checked_indices(const I32& idx, const char* fn, int64_t rows) {
  const int64_t n = idx.size();
  const int32_t* p = idx.data();
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] < 0 || p[i] >= rows) {
      value_error(std::string(fn) + ": index " + std::to_string(p[i]) + " (at flat position " +
                  std::to_string(i) + " of 'indices') is out of range for " +
                  std::to_string(rows) + " rows (expected 0 <= index < " +
                  std::to_string(rows) + ")");
    }
    out[static_cast<size_t>(i)] = p[i];
  }
  return out;
}

}  // namespace

void register_rnn(py::module_& m) {
  m.def("rnn_forward", [](const std::string& cell_name, py::handle x_, py::handle w_,
                          py::handle r_, py::handle b_, py::handle h0_, py::handle c0_,
                          py::handle mask_, py::handle rmask_, bool go_backwards,
                          const std::string& act_name, const std::string& rec_name,
                          py::handle ws_) {
    Args a("rnn_forward");
    RnnArgs ra = rnn_args(a, cell_name, x_, w_, r_, mask_, rmask_);
    const GateAct act = act_arg(a.fn(), "activation", act_name);
    const GateAct rec = act_arg(a.fn(), "recurrent_activation", rec_name);
    const bool lstm = ra.cell == RnnCell::Lstm;
    F32 b = ra.cell == RnnCell::GruResetAfter ? a.in_opt("b", b_, {2, "gates"})
                                              : a.in_opt("b", b_, {"gates"});
    F32 h0 = a.in_opt("h0", h0_, {"batch", "units"});
    if (!lstm && !c0_.is_none()) {
      value_error("rnn_forward: argument 'c0' is only for an lstm cell, received one for a " +
                  cell_name + " cell");
    }
    F32 c0 = lstm ? a.in_opt("c0", c0_, {"batch", "units"}) : absent();
    const RnnDims d = ra.d;
    F32 hseq = new_f32(a.fn(), "hseq", {d.B, d.T, d.U});
    F32 h_last = new_f32(a.fn(), "h_last", {d.B, d.U});
    F32 c_last = lstm ? new_f32(a.fn(), "c_last", {d.B, d.U}) : absent();
    F32 ws = a.out("workspace", ws_, {rnn_workspace_floats(ra.cell, d)});
    a.disjoint();
    const float* xp = ra.x.data();
    const float* wp = ra.w.data();
    const float* rp = ra.r.data();
    const float* bp = b ? b.data() : nullptr;
    const float* h0p = h0 ? h0.data() : nullptr;
    const float* c0p = c0 ? c0.data() : nullptr;
    const float* mp = ra.mask ? ra.mask.data() : nullptr;
    const float* rmp = ra.rmask ? ra.rmask.data() : nullptr;
    float* hs = hseq.mutable_data();
    float* hl = h_last.mutable_data();
    float* cl = c_last ? c_last.mutable_data() : nullptr;
    float* wsp = ws.mutable_data();
    {
      py::gil_scoped_release nogil;
      rnn_forward(ra.cell, act, rec, d, go_backwards, xp, wp, rp, bp, h0p, c0p, mp, rmp, hs,
                  hl, cl, wsp);
    }
    return py::make_tuple(hseq, h_last, or_none(c_last), ws);
  }, py::arg("cell"), py::arg("x"), py::arg("w"), py::arg("r"), py::arg("b") = py::none(),
     py::arg("h0") = py::none(), py::arg("c0") = py::none(), py::arg("mask") = py::none(),
     py::arg("rmask") = py::none(), py::arg("go_backwards") = false,
     py::arg("activation") = "tanh", py::arg("recurrent_activation") = "hardSigmoid",
     py::arg("workspace") = py::none(),
     "rnn_forward(cell, x, w, r, b=None, h0=None, c0=None, mask=None, rmask=None, "
     "go_backwards=False, activation='tanh', recurrent_activation='hardSigmoid', "
     "workspace=None) -> (hseq, h_last, c_last or None, workspace)\n\n"
     "A whole sequence through one recurrent cell ('simple_rnn', 'lstm', 'gru' or "
     "'gru_reset_after'; equations in csrc/rnn/rnn.h). x (B, T, I), w (I, G*U), r (U, G*U), "
     "b (G*U,) or (2, G*U) for gru_reset_after, h0 / c0 (B, U) or None (zeros; c0 for lstm "
     "only), mask (B, T) (0 = skip the step) and rmask (B, U) (recurrent dropout) or None; "
     "all float32 C-contiguous, T >= 1. Returns new arrays: the outputs hseq (B, T, U) in "
     "processing order, the final h and c (B, U), and the workspace that rnn_backward "
     "consumes: a new float32 array, or `workspace` (of the size a previous call returned, "
     "overwritten) to reuse one.");

  m.def("rnn_backward", [](const std::string& cell_name, py::handle x_, py::handle w_,
                           py::handle r_, py::handle mask_, py::handle rmask_, py::handle ws_,
                           py::handle dhseq_, py::handle dh_last_, py::handle dc_last_,
                           bool go_backwards, const std::string& act_name,
                           const std::string& rec_name, bool need_dx, bool need_dw,
                           bool need_dr, bool need_db, bool need_dh0, bool need_dc0,
                           py::handle dw_, py::handle dr_, py::handle db_) {
    Args a("rnn_backward");
    RnnArgs ra = rnn_args(a, cell_name, x_, w_, r_, mask_, rmask_);
    const GateAct act = act_arg(a.fn(), "activation", act_name);
    const GateAct rec = act_arg(a.fn(), "recurrent_activation", rec_name);
    const bool lstm = ra.cell == RnnCell::Lstm;
    const bool ra_bias = ra.cell == RnnCell::GruResetAfter;
    F32 dhseq = a.in_opt("dhseq", dhseq_, {"batch", "time", "units"});
    F32 dh_last = a.in_opt("dh_last", dh_last_, {"batch", "units"});
    if (!lstm && (!dc_last_.is_none() || need_dc0)) {
      value_error("rnn_backward: 'dc_last' and need_dc0 are only for an lstm cell");
    }
    F32 dc_last = lstm ? a.in_opt("dc_last", dc_last_, {"batch", "units"}) : absent();
    const RnnDims d = ra.d;
    F32 ws = a.out("workspace", ws_, {rnn_workspace_floats(ra.cell, d)});
    F32 dx = a.out_if(need_dx, "need_dx", "dx", py::none(), {"batch", "time", "in"});
    F32 dw = a.out_if(need_dw, "need_dw", "dw", dw_, {"in", "gates"});
    F32 dr = a.out_if(need_dr, "need_dr", "dr", dr_, {"units", "gates"});
    F32 db = ra_bias ? a.out_if(need_db, "need_db", "db", db_, {2, "gates"})
                     : a.out_if(need_db, "need_db", "db", db_, {"gates"});
    F32 dh0 = a.out_if(need_dh0, "need_dh0", "dh0", py::none(), {"batch", "units"});
    F32 dc0 = a.out_if(need_dc0, "need_dc0", "dc0", py::none(), {"batch", "units"});
    a.disjoint();
    const float* xp = ra.x.data();
    const float* wp = ra.w.data();
    const float* rp = ra.r.data();
    const float* mp = ra.mask ? ra.mask.data() : nullptr;
    const float* rmp = ra.rmask ? ra.rmask.data() : nullptr;
    const float* dhs = dhseq ? dhseq.data() : nullptr;
    const float* dhl = dh_last ? dh_last.data() : nullptr;
    const float* dcl = dc_last ? dc_last.data() : nullptr;
    float* wsp = ws.mutable_data();
    float* dxp = dx ? dx.mutable_data() : nullptr;
    float* dwp = dw ? dw.mutable_data() : nullptr;
    float* drp = dr ? dr.mutable_data() : nullptr;
    float* dbp = db ? db.mutable_data() : nullptr;
    float* dh0p = dh0 ? dh0.mutable_data() : nullptr;
    float* dc0p = dc0 ? dc0.mutable_data() : nullptr;
    {
      py::gil_scoped_release nogil;
      rnn_backward(ra.cell, act, rec, d, go_backwards, xp, wp, rp, mp, rmp, dhs, dhl, dcl, wsp,
                   dxp, dwp, drp, dbp, dh0p, dc0p);
    }
    return py::make_tuple(or_none(dx), or_none(dw), or_none(dr), or_none(db), or_none(dh0),
                          or_none(dc0));
  }, py::arg("cell"), py::arg("x"), py::arg("w"), py::arg("r"), py::arg("mask"),
     py::arg("rmask"), py::arg("workspace"), py::arg("dhseq") = py::none(),
     py::arg("dh_last") = py::none(), py::arg("dc_last") = py::none(),
     py::arg("go_backwards") = false, py::arg("activation") = "tanh",
     py::arg("recurrent_activation") = "hardSigmoid", py::arg("need_dx") = true,
     py::arg("need_dw") = true, py::arg("need_dr") = true, py::arg("need_db") = true,
     py::arg("need_dh0") = false, py::arg("need_dc0") = false, py::arg("dw") = py::none(),
     py::arg("dr") = py::none(), py::arg("db") = py::none(),
     "rnn_backward(cell, x, w, r, mask, rmask, workspace, dhseq=None, dh_last=None, "
     "dc_last=None, go_backwards=False, activation='tanh', "
     "recurrent_activation='hardSigmoid', need_dx=True, need_dw=True, need_dr=True, "
     "need_db=True, need_dh0=False, need_dc0=False, dw=None, dr=None, db=None) -> "
     "(dx, dw, dr, db, dh0, dc0)\n\n"
     "Backward through time of rnn_forward from the gradients of its outputs (None: no "
     "gradient), with the forward's arguments and its workspace, which is consumed "
     "(overwritten): run rnn_forward again for a second backward. Gradients not needed are "
     "None; dw, dr, db may be given (float32, overwritten).");

  m.def("embedding_forward", [](py::handle table_, py::handle idx_) {
    const char* fn = "embedding_forward";
    F32 table = f32(table_, fn, "table", 2);
    I32 idx = i32(idx_, fn, "indices");
    const int64_t V = table.shape(0), D = table.shape(1);
    const std::vector<int64_t> ids = checked_indices(idx, fn, V);
    std::vector<int64_t> shape(idx.shape(), idx.shape() + idx.ndim());
    shape.push_back(D);
    F32 out = new_f32(fn, "out", shape);
    const char* src = reinterpret_cast<const char*>(table.data());
    char* dst = reinterpret_cast<char*>(out.mutable_data());
    {
      py::gil_scoped_release nogil;
      gather_rows(src, D * static_cast<int64_t>(sizeof(float)), ids.data(),
                  static_cast<int64_t>(ids.size()), dst, nullptr, 0);
    }
    return out;
  }, py::arg("table"), py::arg("indices"),
     "embedding_forward(table, indices) -> table[indices]\n\n"
     "Rows of table (V, D), float32 C-contiguous, for int32 indices of any shape, each in "
     "[0, V); returns a new float32 array of shape indices.shape + (D,).");

  m.def("embedding_backward", [](py::handle dy_, py::handle idx_, int64_t vocab,
                                 py::handle out_) {
    const char* fn = "embedding_backward";
    if (vocab < 0) value_error("embedding_backward: argument 'vocab' must be >= 0");
    I32 idx = i32(idx_, fn, "indices");
    F32 dy = f32(dy_, fn, "dy");
    std::vector<int64_t> want(idx.shape(), idx.shape() + idx.ndim());
    const int64_t D = dy.ndim() == idx.ndim() + 1 ? dy.shape(dy.ndim() - 1) : -1;
    want.push_back(D < 0 ? 0 : D);
    if (D < 0) {
      value_error("embedding_backward: argument 'dy' must have the indices' shape plus one "
                  "axis, received dy of shape " + shape_str(dy) + " for indices of shape " +
                  shape_str(idx));
    }
    expect_shape(dy, fn, "dy", want);
    const std::vector<int64_t> ids = checked_indices(idx, fn, vocab);
    F32 out = out_or_new(out_, fn, "out", {vocab, D});
    expect_no_overlap(out, dy, fn, "out", "dy");
    const float* src = dy.data();
    float* dst = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      scatter_add_rows(src, D, ids.data(), static_cast<int64_t>(ids.size()), vocab, dst);
    }
    return out;
  }, py::arg("dy"), py::arg("indices"), py::arg("vocab"), py::arg("out") = py::none(),
     "embedding_backward(dy, indices, vocab, out=None) -> d table (vocab, D)\n\n"
     "The gradient of embedding_forward: zeros, then dy's rows added into the rows the "
     "indices name, in index order (the same sums whatever the thread count). dy: float32 "
     "of shape indices.shape + (D,). out: optional float32 (vocab, D), overwritten.");
}

}  // namespace treino::bind
