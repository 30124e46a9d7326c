// Bindings of max and average pooling (csrc/pool/pool.h), forward and backward, each with
// its _ref twin under the same signature.
#include <limits>
#include <string>
#include <vector>

#include "bindings/array_pool.h"
#include "bindings/checks.h"
#include "bindings/register.h"
#include "pool/pool.h"

namespace treino::bind {

namespace {

constexpr int64_t kMaxParam = 2147483647;

// The window, strides and padding checked against the input extents on `a` (bound as
// "n", "h", "w", "c" by the caller); binds the output extents "oh" and "ow".
PoolShape geometry(Args& a, py::handle window, py::handle strides, py::handle padding) {
  const char* fn = a.fn();
  const auto win = int_tuple(fn, "window", window, 2, 1, kMaxParam);
  const auto st = int_tuple(fn, "strides", strides, 2, 1, kMaxParam);
  const auto pad = int_tuple(fn, "padding", padding, 4, 0, kMaxParam);
  PoolShape s;
  s.n = a.dim("n"), s.h = a.dim("h"), s.w = a.dim("w"), s.c = a.dim("c");
  s.fh = win[0], s.fw = win[1], s.sh = st[0], s.sw = st[1];
  s.pt = pad[0], s.pb = pad[1], s.pl = pad[2], s.pr = pad[3];
  if (!pool_output_size(&s)) {
    value_error(std::string(fn) + ": the window " + shape_str(win) + " with padding (top, "
                "bottom, left, right) = " + shape_str(pad) + " does not fit the input of "
                "shape " + shape_str({s.n, s.h, s.w, s.c}) + ": the image must be non-empty, "
                "hold one padded window, and each pad must be smaller than the window along "
                "its axis");
  }
  a.bind("oh", s.oh);
  a.bind("ow", s.ow);
  return s;
}

// The input's extents: from x itself (forward) or from x_shape (backward).
void bind_input(Args& a, py::handle x_shape) {
  const auto xs = int_tuple(a.fn(), "x_shape", x_shape, 4, 0, kMaxParam);
  a.bind("n", xs[0]);
  a.bind("h", xs[1]);
  a.bind("w", xs[2]);
  a.bind("c", xs[3]);
}

// argmax offsets index one image: they must fit int32.
void expect_int32_image(const Args& a) {
  const double image = double(a.dim("h")) * double(a.dim("w")) * double(a.dim("c"));
  if (image > std::numeric_limits<int32_t>::max()) {
    value_error(std::string(a.fn()) + ": an image of " + std::to_string(a.dim("h")) + " x " +
                std::to_string(a.dim("w")) + " x " + std::to_string(a.dim("c")) +
                " elements is too large for int32 argmax offsets");
  }
}

const char* kGeometryDoc =
    "NHWC float32 arrays. window (fh, fw) and strides (sh, sw): ints >= 1; padding (top, "
    "bottom, left, right): ints >= 0, each smaller than the window along its axis. Output "
    "[n, oh, ow, c] with oh = (h + top + bottom - fh) // sh + 1, ow likewise. The padding "
    "is never a candidate for the max and never counted in the average (TF.js).";

using MaxFwd = void (*)(const PoolShape&, const float*, float*, int32_t*);
using MaxBwd = void (*)(const PoolShape&, const float*, const int32_t*, float*);
using AvgFwd = void (*)(const PoolShape&, const float*, float*);
using AvgBwd = void (*)(const PoolShape&, const float*, float*);

void def_max(py::module_& m, const char* fwd, const char* bwd, MaxFwd kf, MaxBwd kb) {
  const std::string fdoc = std::string(fwd) +
      "(x, window, strides, padding=(0, 0, 0, 0), need_argmax=True, out=None, argmax=None) "
      "-> (y, argmax or None)\n\nMax pooling of x [n, h, w, c]: y = the largest element of "
      "each window (NaN when it holds one); argmax (int32, y's shape) = its offset in the "
      "image, (ih * w + iw) * c + ci, the first on ties, for " + bwd + ". " + kGeometryDoc +
      " out / argmax: optional outputs, overwritten and returned.";
  m.def(fwd, [fwd, kf](py::handle x_, py::handle window, py::handle strides,
                      py::handle padding, py::handle need_argmax_, py::handle out_,
                      py::handle argmax_) {
    Args a(fwd);
    const bool need_argmax = bool_arg(fwd, "need_argmax", need_argmax_);
    F32 x = a.in("x", x_, {"n", "h", "w", "c"});
    const PoolShape s = geometry(a, window, strides, padding);
    expect_int32_image(a);
    F32 y = a.out("out", out_, {"n", "oh", "ow", "c"});
    I32 arg;
    if (!need_argmax && !argmax_.is_none()) {
      value_error(std::string(fwd) + ": argument 'argmax' was given but need_argmax=False");
    }
    if (need_argmax) {
      if (argmax_.is_none()) {
        // The same size as y, which passed the size check.
        arg = pooled_array<int32_t>({s.n, s.oh, s.ow, s.c});
      } else {
        arg = i32(argmax_, fwd, "argmax", 4);
        expect_shape(arg, fwd, "argmax", {s.n, s.oh, s.ow, s.c});
        if (!arg.writeable()) value_error(std::string(fwd) + ": argument 'argmax' must be writeable");
        expect_no_overlap(x, arg, fwd, "x", "argmax");
        expect_no_overlap(y, arg, fwd, "out", "argmax");
      }
    }
    a.disjoint();
    const float* xp = x.data();
    float* yp = y.mutable_data();
    int32_t* ap = need_argmax ? arg.mutable_data() : nullptr;
    {
      py::gil_scoped_release nogil;
      kf(s, xp, yp, ap);
    }
    return py::make_tuple(y, need_argmax ? py::object(arg) : py::object(py::none()));
  }, py::arg("x"), py::arg("window"), py::arg("strides"),
     py::arg("padding") = py::make_tuple(0, 0, 0, 0), py::arg("need_argmax") = true,
     py::arg("out") = py::none(), py::arg("argmax") = py::none(), fdoc.c_str());

  const std::string bdoc = std::string(bwd) +
      "(dy, argmax, x_shape, window, strides, padding=(0, 0, 0, 0), dx=None) -> dx\n\n"
      "Backward of " + fwd + ": dx (x_shape, float32) is overwritten with each dy added at "
      "its window's argmax (the forward's; every offset is checked to lie in the image). " +
      kGeometryDoc;
  m.def(bwd, [bwd, kb](py::handle dy_, py::handle argmax_, py::handle x_shape,
                      py::handle window, py::handle strides, py::handle padding,
                      py::handle dx_) {
    Args a(bwd);
    bind_input(a, x_shape);
    const PoolShape s = geometry(a, window, strides, padding);
    expect_int32_image(a);
    F32 dy = a.in("dy", dy_, {"n", "oh", "ow", "c"});
    I32 arg = a.in_i32("argmax", argmax_, {"n", "oh", "ow", "c"});
    const int64_t image = s.h * s.w * s.c;
    const int32_t* ap = arg.data();
    const int64_t count = arg.size();
    // One branch-free pass (vector code; image fits int32, and a negative offset is a
    // large unsigned one), then the first bad offset is looked for only to report it.
    bool ok = true;
    for (int64_t k = 0; k < count; ++k)
      ok &= static_cast<uint32_t>(ap[k]) < static_cast<uint32_t>(image);
    for (int64_t k = 0; !ok && k < count; ++k) {
      if (ap[k] < 0 || ap[k] >= image) {
        value_error(std::string(bwd) + ": argmax[" + std::to_string(k) + "] (flat) = " +
                    std::to_string(ap[k]) + " is not an offset in an image of " +
                    std::to_string(image) + " elements");
      }
    }
    F32 dx = a.out("dx", dx_, {"n", "h", "w", "c"});
    a.disjoint();
    const float* dyp = dy.data();
    float* dxp = dx.mutable_data();
    {
      py::gil_scoped_release nogil;
      kb(s, dyp, ap, dxp);
    }
    return dx;
  }, py::arg("dy"), py::arg("argmax"), py::arg("x_shape"), py::arg("window"),
     py::arg("strides"), py::arg("padding") = py::make_tuple(0, 0, 0, 0),
     py::arg("dx") = py::none(), bdoc.c_str());
}

void def_avg(py::module_& m, const char* fwd, const char* bwd, AvgFwd kf, AvgBwd kb) {
  const std::string fdoc = std::string(fwd) +
      "(x, window, strides, padding=(0, 0, 0, 0), out=None) -> y\n\nAverage pooling of x "
      "[n, h, w, c]: y = the mean of each window's elements inside x. " + kGeometryDoc +
      " out: optional, overwritten and returned.";
  m.def(fwd, [fwd, kf](py::handle x_, py::handle window, py::handle strides,
                      py::handle padding, py::handle out_) {
    Args a(fwd);
    F32 x = a.in("x", x_, {"n", "h", "w", "c"});
    const PoolShape s = geometry(a, window, strides, padding);
    F32 y = a.out("out", out_, {"n", "oh", "ow", "c"});
    a.disjoint();
    const float* xp = x.data();
    float* yp = y.mutable_data();
    {
      py::gil_scoped_release nogil;
      kf(s, xp, yp);
    }
    return y;
  }, py::arg("x"), py::arg("window"), py::arg("strides"),
     py::arg("padding") = py::make_tuple(0, 0, 0, 0), py::arg("out") = py::none(),
     fdoc.c_str());

  const std::string bdoc = std::string(bwd) +
      "(dy, x_shape, window, strides, padding=(0, 0, 0, 0), dx=None) -> dx\n\nBackward of " +
      fwd + ": dx (x_shape, float32) is overwritten with, for each element, the sum of dy / "
      "count over the windows that hold it. " + kGeometryDoc;
  m.def(bwd, [bwd, kb](py::handle dy_, py::handle x_shape, py::handle window,
                      py::handle strides, py::handle padding, py::handle dx_) {
    Args a(bwd);
    bind_input(a, x_shape);
    const PoolShape s = geometry(a, window, strides, padding);
    F32 dy = a.in("dy", dy_, {"n", "oh", "ow", "c"});
    F32 dx = a.out("dx", dx_, {"n", "h", "w", "c"});
    a.disjoint();
    const float* dyp = dy.data();
    float* dxp = dx.mutable_data();
    {
      py::gil_scoped_release nogil;
      kb(s, dyp, dxp);
    }
    return dx;
  }, py::arg("dy"), py::arg("x_shape"), py::arg("window"), py::arg("strides"),
     py::arg("padding") = py::make_tuple(0, 0, 0, 0), py::arg("dx") = py::none(),
     bdoc.c_str());
}

}  // namespace

void register_pool(py::module_& m) {
  def_max(m, "max_pool_forward", "max_pool_backward", &max_pool_forward, &max_pool_backward);
  def_max(m, "max_pool_forward_ref", "max_pool_backward_ref", &max_pool_forward_ref,
          &max_pool_backward_ref);
  def_avg(m, "avg_pool_forward", "avg_pool_backward", &avg_pool_forward, &avg_pool_backward);
  def_avg(m, "avg_pool_forward_ref", "avg_pool_backward_ref", &avg_pool_forward_ref,
          &avg_pool_backward_ref);
}

}  // namespace treino::bind
