// Bindings of the elementwise kernels: unary ops and their backward, binary ops with
// broadcasting, reductions. Every argument is checked before the GIL is released.
#include <cmath>
#include <string>
#include <vector>

#include "bindings/checks.h"
#include "bindings/register.h"
#include "elementwise/elementwise.h"

namespace treino::bind {

namespace {

struct UnaryDef {
  const char* name;
  Unary op;
  const char* math;     // one line for the docstring
  float alpha;          // default alpha, NaN when the op takes none
};

const float kNoAlpha = std::nanf("");
const UnaryDef kUnary[] = {
    {"relu", Unary::Relu, "max(x, 0) (NaN stays NaN); relu'(0) = 0", kNoAlpha},
    {"relu6", Unary::Relu6, "min(max(x, 0), 6); derivative 1 only for 0 < x < 6", kNoAlpha},
    {"elu", Unary::Elu, "x if x > 0 else alpha * (exp(x) - 1); elu'(0) = 1 as TF.js", 1.f},
    {"selu", Unary::Selu, "scale * (x if x > 0 else alpha * (exp(x) - 1)), TF.js constants", kNoAlpha},
    {"leaky_relu", Unary::LeakyRelu, "x if x > 0 else alpha * x (TF.js default alpha 0.2); derivative alpha at 0", 0.2f},
    {"sigmoid", Unary::Sigmoid, "1 / (1 + exp(-x)), no overflow for any x", kNoAlpha},
    {"log_sigmoid", Unary::LogSigmoid, "log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), stable", kNoAlpha},
    {"tanh", Unary::Tanh, "tanh(x)", kNoAlpha},
    {"softplus", Unary::Softplus, "log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), stable", kNoAlpha},
    {"softsign", Unary::Softsign, "x / (1 + |x|)", kNoAlpha},
    {"exp", Unary::Exp, "exp(x) (inf above ~88.72, 0 below ~-103.97)", kNoAlpha},
    {"expm1", Unary::Expm1, "exp(x) - 1, accurate near 0", kNoAlpha},
    {"log", Unary::Log, "natural log (log(0) = -inf, log(x < 0) = NaN)", kNoAlpha},
    {"log1p", Unary::Log1p, "log(1 + x), accurate near 0", kNoAlpha},
    {"sqrt", Unary::Sqrt, "sqrt(x) (NaN for x < 0)", kNoAlpha},
    {"rsqrt", Unary::Rsqrt, "1 / sqrt(x)", kNoAlpha},
    {"square", Unary::Square, "x * x", kNoAlpha},
    {"abs", Unary::Abs, "|x|; abs'(0) = 0", kNoAlpha},
    {"neg", Unary::Neg, "-x", kNoAlpha},
    {"sign", Unary::Sign, "-1, 0 or 1 (NaN stays NaN)", kNoAlpha},
    {"reciprocal", Unary::Reciprocal, "1 / x", kNoAlpha},
    {"sin", Unary::Sin, "sin(x)", kNoAlpha},
    {"cos", Unary::Cos, "cos(x)", kNoAlpha},
    {"floor", Unary::Floor, "floor(x)", kNoAlpha},
    {"ceil", Unary::Ceil, "ceil(x)", kNoAlpha},
    {"round", Unary::Round, "round half to even (numpy, TF.js)", kNoAlpha},
    {"swish", Unary::Swish, "x * sigmoid(x) (also called silu)", kNoAlpha},
    {"silu", Unary::Swish, "x * sigmoid(x) (same as swish)", kNoAlpha},
    {"gelu", Unary::Gelu, "x * Phi(x) = 0.5 x erfc(-x / sqrt(2)), exact form (TF.js 'gelu')", kNoAlpha},
    {"gelu_new", Unary::GeluNew, "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), TF.js 'gelu_new'", kNoAlpha},
    {"mish", Unary::Mish, "x * tanh(softplus(x))", kNoAlpha},
    {"hard_sigmoid", Unary::HardSigmoid, "clip(0.2 x + 0.5, 0, 1) (TF.js); gradient 0.2 on the closed interval", kNoAlpha},
};

void def_unary(py::module_& m, const UnaryDef& d) {
  const Unary op = d.op;
  const bool has_alpha = !std::isnan(d.alpha);
  const std::string name = d.name, bname = name + "_backward";
  const GradInput gi = unary_grad_input(op);
  const char* saved = gi == GradInput::Y ? "y" : "x";

  std::string doc = name + "(x" + (has_alpha ? ", alpha=" + std::to_string(d.alpha).substr(0, 3) : "") +
                    ", out=None) -> y\n\ny = " + d.math +
                    ", elementwise over a float32 C-contiguous array of any shape.\n"
                    "out: optional float32 array of x's shape, overwritten and returned; it may be x "
                    "itself (in place).";
  auto fwd = [op, name](py::handle x_, float alpha, py::handle out_) {
    Args a(name.c_str());
    F32 x = a.in("x", x_);
    F32 out = a.out("out", out_, dims(x));
    a.disjoint({{"out", "x"}});
    const float* xp = x.data();
    float* yp = out.mutable_data();
    const int64_t n = x.size();
    {
      py::gil_scoped_release nogil;
      unary_forward(op, xp, yp, n, alpha);
    }
    return out;
  };
  if (has_alpha) {
    m.def(d.name, fwd, py::arg("x"), py::arg("alpha") = d.alpha, py::arg("out") = py::none(),
          doc.c_str());
  } else {
    m.def(d.name, [fwd](py::handle x, py::handle out) { return fwd(x, 0.f, out); },
          py::arg("x"), py::arg("out") = py::none(), doc.c_str());
  }

  std::string bdoc = bname + "(dy" + (gi == GradInput::None ? "" : std::string(", ") + saved) +
                     (has_alpha ? ", alpha" : "") + ", out=None) -> dx\n\n" +
                     "dx = dy * d" + name + "/dx" +
                     (gi == GradInput::None ? " (no saved tensor needed)"
                      : gi == GradInput::Y ? ", computed from the forward OUTPUT y"
                                           : ", computed from the forward INPUT x") +
                     ". All float32 C-contiguous of dy's shape; out is overwritten and may be "
                     "dy or the saved tensor itself.";
  auto bwd = [op, bname, saved, gi](py::handle dy_, py::handle v_, float alpha, py::handle out_) {
    Args a(bname.c_str());
    F32 dy = a.in("dy", dy_);
    F32 v;
    const bool uses_v = gi != GradInput::None;
    if (uses_v && v_.is_none()) {
      type_error(bname + ": argument '" + saved + "' must be a float32 array, received None");
    }
    if (uses_v) v = a.in(saved, v_, dims(dy));
    F32 out = a.out("out", out_, dims(dy));
    a.disjoint({{"out", "dy"}, {"out", saved}});
    const float* dyp = dy.data();
    const float* vp = uses_v ? v.data() : nullptr;
    float* dxp = out.mutable_data();
    const int64_t n = dy.size();
    {
      py::gil_scoped_release nogil;
      unary_backward(op, dyp, vp, dxp, n, alpha);
    }
    return out;
  };
  if (gi == GradInput::None) {
    m.def(bname.c_str(), [bwd](py::handle dy, py::handle out) { return bwd(dy, py::none(), 0.f, out); },
          py::arg("dy"), py::arg("out") = py::none(), bdoc.c_str());
  } else if (has_alpha) {
    m.def(bname.c_str(), bwd, py::arg("dy"), py::arg(saved), py::arg("alpha") = d.alpha,
          py::arg("out") = py::none(), bdoc.c_str());
  } else {
    m.def(bname.c_str(),
          [bwd](py::handle dy, py::handle v, py::handle out) { return bwd(dy, v, 0.f, out); },
          py::arg("dy"), py::arg(saved), py::arg("out") = py::none(), bdoc.c_str());
  }
}

struct BinaryDef { const char* name; Binary op; const char* math; };
const BinaryDef kBinary[] = {
    {"add", Binary::Add, "a + b"},
    {"sub", Binary::Sub, "a - b"},
    {"mul", Binary::Mul, "a * b"},
    {"div", Binary::Div, "a / b"},
    {"pow", Binary::Pow, "a ** b (powf)"},
    {"maximum", Binary::Maximum, "max(a, b), NaN if either is NaN"},
    {"minimum", Binary::Minimum, "min(a, b), NaN if either is NaN"},
    {"squared_difference", Binary::SquaredDifference, "(a - b) ** 2"},
    {"floor_div", Binary::FloorDiv, "floor(a / b) as numpy.floor_divide"},
    {"mod", Binary::Mod, "a mod b with the sign of b (numpy.remainder, Python %, TF.js mod)"},
};

void def_binary(py::module_& m, const BinaryDef& d) {
  const Binary op = d.op;
  const std::string name = d.name;
  const std::string doc = name + "(a, b, out=None) -> out\n\nout = " + d.math +
      ", elementwise with numpy broadcasting over float32 C-contiguous arrays.\n"
      "out: optional float32 array of the broadcast shape, overwritten and returned; it may "
      "be a or b itself when that operand already has the broadcast shape.";
  m.def(d.name, [op, name](py::handle a_, py::handle b_, py::handle out_) {
    Args args(name.c_str());
    F32 a = args.in("a", a_);
    F32 b = args.in("b", b_);
    const auto as = shape_of(a), bs = shape_of(b);
    std::vector<int64_t> os;
    if (!broadcast_shapes(as, bs, &os)) {
      value_error(name + ": operands could not be broadcast together: a has shape " +
                  shape_str(as) + ", b has shape " + shape_str(bs));
    }
    F32 out = args.out("out", out_, dims(os));
    args.disjoint({{"out", "a"}, {"out", "b"}});
    const float* ap = a.data();
    const float* bp = b.data();
    float* op_ = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      binary(op, ap, as, bp, bs, op_);
    }
    return out;
  }, py::arg("a"), py::arg("b"), py::arg("out") = py::none(), doc.c_str());
}

// Resolves axis (None or an int in [-ndim, ndim)) into (outer, len, inner) and the output
// shape. Returns the normalized axis, -1 for None (all elements).
int64_t resolve_axis(const py::handle& axis, const py::array& x, bool keepdims,
                     const char* fn, int64_t* outer, int64_t* len, int64_t* inner,
                     std::vector<int64_t>* out_shape) {
  const auto s = shape_of(x);
  const int64_t nd = static_cast<int64_t>(s.size());
  if (axis.is_none()) {
    *outer = 1; *len = x.size(); *inner = 1;
    *out_shape = keepdims ? std::vector<int64_t>(s.size(), 1) : std::vector<int64_t>{};
    return -1;
  }
  if (py::isinstance<py::bool_>(axis) || !PyIndex_Check(axis.ptr())) {
    type_error(std::string(fn) + ": argument 'axis' must be an int or None, received " +
               std::string(py::str(py::type::of(axis).attr("__name__"))));
  }
  const int64_t a = to_int64(axis, fn, "axis");
  if (a < -nd || a >= nd) {
    value_error(std::string(fn) + ": argument 'axis' is out of range: axis=" + std::to_string(a) +
                " for x of rank " + std::to_string(nd) + " (shape " + shape_str(s) + ")");
  }
  const int64_t ax = a < 0 ? a + nd : a;
  *outer = 1; *inner = 1; *len = s[ax];
  for (int64_t i = 0; i < ax; ++i) *outer *= s[i];
  for (int64_t i = ax + 1; i < nd; ++i) *inner *= s[i];
  *out_shape = s;
  if (keepdims) (*out_shape)[ax] = 1; else out_shape->erase(out_shape->begin() + ax);
  return ax;
}

void def_reduce(py::module_& m, const char* name_c, Reduce op, const char* what) {
  const std::string name = name_c;
  const std::string doc = name + "(x, axis=None, keepdims=False, out=None) -> out\n\n" + what +
      " of float32 C-contiguous x along one axis (an int, negative counts from the end) or "
      "over all elements (axis=None). keepdims keeps the reduced axis with extent 1.\n"
      "out: optional float32 array of the result shape, overwritten and returned. Sums "
      "accumulate in fixed blocks (float) combined in double: accurate, and identical for "
      "any thread count.";
  m.def(name_c, [op, name](py::handle x_, py::handle axis, bool keepdims, py::handle out_) {
    Args a(name.c_str());
    F32 x = a.in("x", x_);
    int64_t outer, len, inner;
    std::vector<int64_t> os;
    resolve_axis(axis, x, keepdims, a.fn(), &outer, &len, &inner, &os);
    if ((op == Reduce::Max || op == Reduce::Min) && len == 0 && outer * inner > 0) {
      value_error(name + ": cannot reduce over an empty axis (x has shape " + shape_str(x) +
                  "), as there is no identity for max/min");
    }
    F32 out = a.out("out", out_, dims(os));
    a.disjoint();
    const float* xp = x.data();
    float* op_ = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      reduce(op, xp, outer, len, inner, op_);
    }
    return out;
  }, py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false,
     py::arg("out") = py::none(), doc.c_str());
}

void def_arg(py::module_& m, const char* name_c, bool is_max) {
  const std::string name = name_c;
  const std::string doc = name + "(x, axis=None, keepdims=False, out=None) -> int32 array\n\n"
      "Index of the " + std::string(is_max ? "largest" : "smallest") +
      " element along axis (None: of the flattened array), first index on ties; a NaN "
      "counts as the extreme (the first NaN wins), as numpy. The axis must be non-empty. "
      "out: optional int32 C-contiguous writeable array of the result shape, overwritten.";
  m.def(name_c, [is_max, name](py::handle x_, py::handle axis, bool keepdims, py::handle out_) {
    const char* fn = name.c_str();
    F32 x = f32(x_, fn, "x");
    int64_t outer, len, inner;
    std::vector<int64_t> os;
    resolve_axis(axis, x, keepdims, fn, &outer, &len, &inner, &os);
    if (len == 0 && outer * inner > 0)
      value_error(name + ": attempt to get the index over an empty axis (x has shape " +
                  shape_str(x) + ")");
    if (len > 2147483647LL)
      value_error(name + ": the reduced axis has " + std::to_string(len) +
                  " elements, more than an int32 index can hold");
    I32 out;
    if (out_.is_none()) {
      out = I32(std::vector<py::ssize_t>(os.begin(), os.end()));
    } else {
      out = i32(out_, fn, "out");
      if (!out.writeable()) value_error(name + ": argument 'out' must be writeable");
      expect_shape(out, fn, "out", os);
      expect_no_overlap(x, out, fn, "x", "out");
    }
    const float* xp = x.data();
    int32_t* op_ = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      arg_reduce(is_max, xp, outer, len, inner, op_);
    }
    return out;
  }, py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false,
     py::arg("out") = py::none(), doc.c_str());
}

}  // namespace

void register_elementwise(py::module_& m) {
  for (const auto& d : kUnary) def_unary(m, d);
  for (const auto& d : kBinary) def_binary(m, d);
  def_reduce(m, "reduce_sum", Reduce::Sum, "Sum");
  def_reduce(m, "reduce_mean", Reduce::Mean, "Mean (NaN over an empty axis)");
  def_reduce(m, "reduce_max", Reduce::Max, "Maximum (NaN-propagating; the axis must be non-empty)");
  def_reduce(m, "reduce_min", Reduce::Min, "Minimum (NaN-propagating; the axis must be non-empty)");
  def_reduce(m, "reduce_prod", Reduce::Prod, "Product (accumulated in double)");
  def_arg(m, "argmax", true);
  def_arg(m, "argmin", false);

  m.def("column_sum", [](py::handle x_, py::handle out_) {
    Args a("column_sum");
    F32 x = a.in("x", x_, {"rows", "cols"});
    const int64_t rows = a.dim("rows"), cols = a.dim("cols");
    F32 out = a.out("out", out_, {"cols"});
    a.disjoint();
    const float* xp = x.data();
    float* op_ = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      column_sum(xp, rows, cols, op_);
    }
    return out;
  }, py::arg("x"), py::arg("out") = py::none(),
     "column_sum(x, out=None) -> out\n\nout[c] = sum over rows r of x[r, c] for float32 "
     "C-contiguous x of shape (rows, cols): the bias gradient. out: optional float32 (cols,), "
     "overwritten and returned. Fixed summation order, identical for any thread count.");

  m.def("sum_to_shape", [](py::handle x_, py::handle shape_, py::handle out_) {
    Args a("sum_to_shape");
    const char* fn = a.fn();
    F32 x = a.in("x", x_);
    std::vector<int64_t> to;
    if (!py::isinstance<py::tuple>(shape_) && !py::isinstance<py::list>(shape_)) {
      type_error(std::string(fn) + ": argument 'shape' must be a tuple or list of ints, received " +
                 std::string(py::str(py::type::of(shape_).attr("__name__"))));
    }
    for (py::handle d : py::reinterpret_borrow<py::sequence>(shape_)) {
      if (py::isinstance<py::bool_>(d) || !PyIndex_Check(d.ptr()))
        type_error(std::string(fn) + ": argument 'shape' must contain ints");
      const int64_t v = to_int64(d, fn, "shape");
      if (v < 0) value_error(std::string(fn) + ": argument 'shape' has a negative extent");
      to.push_back(v);
    }
    const auto xs = shape_of(x);
    std::vector<int64_t> b;
    if (!broadcast_shapes(to, xs, &b) || b != xs) {
      value_error(std::string(fn) + ": shape " + shape_str(to) +
                  " does not broadcast to x's shape " + shape_str(xs));
    }
    F32 out = a.out("out", out_, dims(to));
    a.disjoint();
    const float* xp = x.data();
    float* op_ = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      sum_to_shape(xp, xs, to, op_);
    }
    return out;
  }, py::arg("x"), py::arg("shape"), py::arg("out") = py::none(),
     "sum_to_shape(x, shape, out=None) -> out\n\nSums float32 C-contiguous x over the "
     "dims that numpy broadcasting added or stretched to go from `shape` to x.shape: the "
     "gradient of a broadcast operand of add/mul/... (e.g. (N, U) -> (U,) is the column "
     "sum). out: optional float32 array of `shape`, overwritten and returned.");
}

}  // namespace treino::bind
