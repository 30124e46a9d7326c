// Bindings of the 2-D convolutions (csrc/conv/conv.h): conv2d and depthwise_conv2d,
// forward and backward, each with its _ref twin under the same signature.
#include <string>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "conv/conv.h"

namespace treino::bind {

namespace {

// Strides, dilations and pads up to 2^31 - 1 keep every index computation far from
// int64 overflow; sizes beyond that are refused by the output's size check anyway.
constexpr int64_t kMaxParam = 2147483647;

using Forward = void (*)(const ConvShape&, const float*, const float*, const float*, Act,
                         float, float*);
using Backward = void (*)(const ConvShape&, const float*, const float*, const float*,
                          const float*, Act, float, float*, float*, float*);

// x [n, h, w, c] and the filter [fh, fw, c, oc] (depthwise: [fh, fw, c, mult]) declared
// on `a`; the geometry checked and the output extents "oh", "ow", "oc" bound.
ConvShape geometry(Args& a, bool depthwise, py::handle x_, py::handle w_, py::handle strides,
                   py::handle padding, py::handle dilations, F32* x, F32* w) {
  const char* fn = a.fn();
  *x = a.in("x", x_, {"n", "h", "w", "c"});
  *w = a.in("w", w_, {"fh", "fw", "c", depthwise ? "mult" : "oc"});
  ConvShape s;
  s.n = a.dim("n"), s.h = a.dim("h"), s.w = a.dim("w"), s.c = a.dim("c");
  s.fh = a.dim("fh"), s.fw = a.dim("fw");
  if (depthwise) {
    s.mult = a.dim("mult");
    a.bind("oc", s.c * s.mult);
  }
  s.oc = a.dim("oc");
  const auto st = int_tuple(fn, "strides", strides, 2, 1, kMaxParam);
  const auto di = int_tuple(fn, "dilations", dilations, 2, 1, kMaxParam);
  const auto pad = int_tuple(fn, "padding", padding, 4, 0, kMaxParam);
  s.sh = st[0], s.sw = st[1], s.dh = di[0], s.dw = di[1];
  s.pt = pad[0], s.pb = pad[1], s.pl = pad[2], s.pr = pad[3];
  if (s.fh == 0 || s.fw == 0) {
    value_error(std::string(fn) + ": the filter must have at least one tap, received w of "
                "shape " + shape_str(*w));
  }
  if (!conv_output_size(&s)) {
    value_error(std::string(fn) + ": the dilated filter (" + std::to_string(s.fh) + "x" +
                std::to_string(s.fw) + ", dilations " + shape_str(di) +
                ") does not fit in the padded input: x has shape " + shape_str(*x) +
                ", padding (top, bottom, left, right) = " + shape_str(pad));
  }
  a.bind("oh", s.oh);
  a.bind("ow", s.ow);
  return s;
}

const char* kGeometryDoc =
    "x: float32 [n, h, w, c] (NHWC); w: float32 [fh, fw, c, oc] (TF.js filter layout; "
    "depthwise: [fh, fw, c, mult], oc = c * mult, output channel ci * mult + m). "
    "strides (sh, sw) and dilations (dh, dw): ints >= 1; padding (top, bottom, left, "
    "right): explicit zero padding, ints >= 0. Output [n, oh, ow, oc] with oh = (h + top "
    "+ bottom - (fh - 1) * dh - 1) // sh + 1, ow likewise.";

void def_forward(py::module_& m, const char* name, bool depthwise, Forward kernel) {
  const std::string doc = std::string(name) +
      "(x, w, b=None, strides=(1, 1), padding=(0, 0, 0, 0), dilations=(1, 1), "
      "activation='linear', alpha=None, out=None) -> y\n\n"
      "y = act(conv(x, w) + b), " + (depthwise ? "depthwise, " : "") + "in one call. " +
      kGeometryDoc + " b: [oc] or None. activation/alpha as dense_forward. out: optional "
      "float32 [n, oh, ow, oc], overwritten and returned; keep y for the backward. Results "
      "do not depend on the thread count.";
  m.def(name, [name, depthwise, kernel](py::handle x_, py::handle w_, py::handle b_,
                                        py::handle strides, py::handle padding,
                                        py::handle dilations, py::handle act_,
                                        py::handle alpha_, py::handle out_) {
    Args a(name);
    float alpha;
    const Act act = activation_arg(name, act_, alpha_, &alpha);
    F32 x, w;
    const ConvShape s = geometry(a, depthwise, x_, w_, strides, padding, dilations, &x, &w);
    F32 b = a.in_opt("b", b_, {"oc"});
    F32 y = a.out("out", out_, {"n", "oh", "ow", "oc"});
    a.disjoint();
    const float* xp = x.data();
    const float* wp = w.data();
    const float* bp = b ? b.data() : nullptr;
    float* yp = y.mutable_data();
    {
      py::gil_scoped_release nogil;
      kernel(s, xp, wp, bp, act, alpha, yp);
    }
    return y;
  }, py::arg("x"), py::arg("w"), py::arg("b") = py::none(), py::arg("strides") = py::make_tuple(1, 1),
     py::arg("padding") = py::make_tuple(0, 0, 0, 0), py::arg("dilations") = py::make_tuple(1, 1),
     py::arg("activation") = "linear", py::arg("alpha") = py::none(),
     py::arg("out") = py::none(), doc.c_str());
}

void def_backward(py::module_& m, const char* name, const char* fwd, bool depthwise,
                  Backward kernel) {
  const std::string doc = std::string(name) +
      "(dy, x, w, y=None, strides=(1, 1), padding=(0, 0, 0, 0), dilations=(1, 1), "
      "activation='linear', alpha=None, need_dx=True, need_db=True, dx=None, dw=None, "
      "db=None) -> (dx or None, dw, db or None)\n\n"
      "Backward of " + fwd + " from dy [n, oh, ow, oc] and, for a non-linear activation, "
      "its output y: dz = dy * act'(y); dw = the filter gradient (w's shape); db = sums of "
      "dz over n, oh, ow ([oc]) unless need_db=False; dx = the input gradient (x's shape) "
      "unless need_dx=False (first layer). " + kGeometryDoc + " dx/dw/db, when given, are "
      "overwritten (not accumulated) and must not share memory with any input. Results do "
      "not depend on the thread count.";
  m.def(name, [name, depthwise, kernel](py::handle dy_, py::handle x_, py::handle w_,
                                        py::handle y_, py::handle strides,
                                        py::handle padding, py::handle dilations,
                                        py::handle act_, py::handle alpha_,
                                        py::handle need_dx_, py::handle need_db_,
                                        py::handle dx_, py::handle dw_, py::handle db_) {
    Args a(name);
    const bool need_dx = bool_arg(name, "need_dx", need_dx_);
    const bool need_db = bool_arg(name, "need_db", need_db_);
    float alpha;
    const Act act = activation_arg(name, act_, alpha_, &alpha);
    F32 x, w;
    const ConvShape s = geometry(a, depthwise, x_, w_, strides, padding, dilations, &x, &w);
    F32 dy = a.in("dy", dy_, {"n", "oh", "ow", "oc"});
    if (act != Act::Linear && y_.is_none()) {
      value_error(std::string(name) + ": argument 'y' (the forward output) is needed for "
                  "activation '" + act_name(act) + "', received None");
    }
    F32 y = a.in_opt("y", y_, {"n", "oh", "ow", "oc"});
    F32 dw = a.out("dw", dw_, {"fh", "fw", "c", depthwise ? "mult" : "oc"});
    F32 dx = a.out_if(need_dx, "need_dx", "dx", dx_, {"n", "h", "w", "c"});
    F32 db = a.out_if(need_db, "need_db", "db", db_, {"oc"});
    a.disjoint();
    const float* dyp = dy.data();
    const float* xp = x.data();
    const float* wp = w.data();
    const float* yp = y ? y.data() : nullptr;
    float* dxp = dx ? dx.mutable_data() : nullptr;
    float* dwp = dw.mutable_data();
    float* dbp = db ? db.mutable_data() : nullptr;
    {
      py::gil_scoped_release nogil;
      kernel(s, dyp, xp, wp, yp, act, alpha, dxp, dwp, dbp);
    }
    return py::make_tuple(or_none(dx), dw, or_none(db));
  }, py::arg("dy"), py::arg("x"), py::arg("w"), py::arg("y") = py::none(),
     py::arg("strides") = py::make_tuple(1, 1), py::arg("padding") = py::make_tuple(0, 0, 0, 0),
     py::arg("dilations") = py::make_tuple(1, 1), py::arg("activation") = "linear",
     py::arg("alpha") = py::none(), py::arg("need_dx") = true, py::arg("need_db") = true,
     py::arg("dx") = py::none(), py::arg("dw") = py::none(), py::arg("db") = py::none(),
     doc.c_str());
}

}  // namespace

void register_conv(py::module_& m) {
  def_forward(m, "conv2d_forward", false, &conv2d_forward);
  def_forward(m, "conv2d_forward_ref", false, &conv2d_forward_ref);
  def_backward(m, "conv2d_backward", "conv2d_forward", false, &conv2d_backward);
  def_backward(m, "conv2d_backward_ref", "conv2d_forward", false, &conv2d_backward_ref);
  def_forward(m, "depthwise_conv2d_forward", true, &depthwise_conv2d_forward);
  def_forward(m, "depthwise_conv2d_forward_ref", true, &depthwise_conv2d_forward_ref);
  def_backward(m, "depthwise_conv2d_backward", "depthwise_conv2d_forward", true,
               &depthwise_conv2d_backward);
  def_backward(m, "depthwise_conv2d_backward_ref", "depthwise_conv2d_forward", true,
               &depthwise_conv2d_backward_ref);
}

}  // namespace treino::bind
