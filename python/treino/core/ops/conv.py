"""Convolutions: conv1d, conv2d, depthwise_conv2d, separable_conv2d, conv2d_transpose
(TF.js's names, argument order and padding rules), and the fused conv2d with bias and
activation that the convolution layers use.

Layout is NHWC ("channelsLast", TF.js's default) with filters [fh, fw, in, out]; 'NCHW'
inputs are transposed around the NHWC kernels. Padding is 'valid', 'same' (TF.js's
split: the odd pixel goes to the bottom/right), a number (the same on every side, with
`dim_rounding_mode` for the output size) or explicit [[0, 0], [top, bottom], [left,
right], [0, 0]]; every form becomes four explicit pads for the native kernels
(csrc/conv/conv.h), which compute forward, input and filter gradients in one call each.
"""
import math
import numbers

import numpy as np

from ... import _kernels as K
from .. import autodiff
from ..tensor import Tensor
from ._util import contiguous, tensor_arg

_ROUNDING = {None: math.trunc, "floor": math.floor, "round": round, "ceil": math.ceil}


def _pair(v, fn, arg):
    """An int or a pair of ints, each >= 1, as a tuple of two."""
    items = [v, v] if isinstance(v, (numbers.Integral, np.integer)) and not isinstance(
        v, bool) else v
    if not isinstance(items, (list, tuple)) or len(items) != 2 or any(
            isinstance(i, bool) or not isinstance(i, (numbers.Integral, np.integer)) or i < 1
            for i in items):
        raise ValueError(f"{fn}: argument '{arg}' must be an int >= 1 or a pair of them, "
                         f"received {v!r}")
    return int(items[0]), int(items[1])


def pads(fn, pad, in_hw, filter_hw, strides, dilations, rounding=None, channels_last=True):
    """TF.js's padding (conv_util.getPadAndOutInfo) as explicit (top, bottom, left, right),
    for the dilated filter; the output size follows from them (conv.h's formula)."""
    if rounding not in _ROUNDING:
        raise ValueError(f"{fn}: argument 'dim_rounding_mode' must be 'floor', 'round', 'ceil' "
                         f"or None, received {rounding!r}")
    (h, w), (sh, sw) = in_hw, strides
    eh = (filter_hw[0] - 1) * dilations[0] + 1
    ew = (filter_hw[1] - 1) * dilations[1] + 1
    if rounding is not None and not isinstance(pad, (numbers.Integral, np.integer)):
        raise ValueError(f"{fn}: dim_rounding_mode {rounding!r} needs a numeric pad, received "
                         f"pad={pad!r}")
    if pad == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        ph = max(0, (oh - 1) * sh + eh - h)
        pw = max(0, (ow - 1) * sw + ew - w)
        return ph // 2, ph - ph // 2, pw // 2, pw - pw // 2
    if pad == "valid":
        return _fit(fn, 0, 0, 0, 0, h, w, eh, ew)
    if isinstance(pad, (numbers.Integral, np.integer)) and not isinstance(pad, bool):
        if pad < 0:
            raise ValueError(f"{fn}: argument 'pad' must be >= 0, received {pad}")
        p = int(pad)
        want_h = _ROUNDING[rounding]((h - eh + 2 * p) / sh + 1)
        want_w = _ROUNDING[rounding]((w - ew + 2 * p) / sw + 1)
        # Rows the rounding asks for beyond the kernel's floor division read zeros, as
        # TF.js's kernels do: extra bottom/right padding.
        pb = max(p, (want_h - 1) * sh + eh - h - p)
        pr = max(p, (want_w - 1) * sw + ew - w - p)
        return _fit(fn, p, pb, p, pr, h, w, eh, ew)
    if isinstance(pad, (list, tuple)) and len(pad) == 4 and all(
            isinstance(q, (list, tuple)) and len(q) == 2 for q in pad):
        flat = [q for pair in pad for q in pair]
        if any(isinstance(q, bool) or not isinstance(q, (numbers.Integral, np.integer)) or q < 0
               for q in flat):
            raise ValueError(f"{fn}: explicit padding must hold ints >= 0, received {pad!r}")
        hh, ww = (pad[1], pad[2]) if channels_last else (pad[2], pad[3])
        return _fit(fn, int(hh[0]), int(hh[1]), int(ww[0]), int(ww[1]), h, w, eh, ew)
    raise ValueError(f"{fn}: argument 'pad' must be 'valid', 'same', an int or explicit "
                     f"[[0, 0], [top, bottom], [left, right], [0, 0]], received {pad!r}")


def _fit(fn, pt, pb, pl, pr, h, w, eh, ew):
    if h + pt + pb < eh or w + pl + pr < ew:
        raise ValueError(f"{fn}: the filter ({eh}x{ew} with dilations) is larger than the "
                         f"padded input ({h + pt + pb}x{w + pl + pr})")
    return pt, pb, pl, pr


def _data_format(v, fn):
    if v not in ("NHWC", "NCHW", "channelsLast", "channelsFirst", "channels_last",
                 "channels_first"):
        raise ValueError(f"{fn}: argument 'data_format' must be 'NHWC' or 'NCHW', received {v!r}")
    return v in ("NHWC", "channelsLast", "channels_last")


def _to_nhwc(x):
    return x if x is None else _transpose(x, (0, 2, 3, 1))


def _transpose(x, perm):
    from .shape import transpose
    return transpose(x, list(perm))


def _float_input(x, fn, arg, ranks):
    x = tensor_arg(x, fn, arg)
    if x.dtype != "float32":
        autodiff.refuse_complex(fn, (x,))  # a cast would keep only the real parts
        from .shape import cast
        x = cast(x, "float32")
    if x.rank not in ranks:
        raise ValueError(f"{fn}: argument '{arg}' must have rank {' or '.join(map(str, ranks))}, "
                         f"received shape {list(x.shape)}")
    return x


def conv_core(strides, padding, dilations, activation="linear", alpha=None, depthwise=False):
    """The core of one fused convolution node: y = act(conv(x, w) + b) forward, and its
    backward writing the filter and bias gradients into the buffers the engine gives
    (its flat gradient buffer), as the dense op does."""
    fwd = K.depthwise_conv2d_forward if depthwise else K.conv2d_forward
    bwd = K.depthwise_conv2d_backward if depthwise else K.conv2d_backward

    def core(xd, wd, bd=None):
        y = fwd(xd, wd, bd, strides, padding, dilations, activation, alpha)

        def backward(dy, needs, out=(None, None, None)):
            need_db = len(needs) > 2 and needs[2]
            dx, dw, db = bwd(contiguous(dy), xd, wd, y if activation != "linear" else None,
                             strides, padding, dilations, activation, alpha, needs[0],
                             need_db, None, out[1] if len(out) > 1 else None,
                             out[2] if need_db and len(out) > 2 else None)
            return (dx, dw, db) if bd is not None else (dx, dw)
        return y, backward
    core.writes_grads = True
    return core


def _conv(fn, x, w, b, strides, pad, data_format, dilations, rounding, activation, alpha,
          depthwise):
    channels_last = _data_format(data_format, fn)
    x = _float_input(x, fn, "x", (3, 4))
    w = _float_input(w, fn, "filter", (4,))
    squeeze = x.rank == 3
    if squeeze:
        from .shape import expand_dims
        x = expand_dims(x, 0)
    if not channels_last:
        x = _to_nhwc(x)
    strides = _pair(strides, fn, "strides")
    dilations = _pair(dilations, fn, "dilations")
    if max(strides) > 1 and max(dilations) > 1:
        raise ValueError(f"{fn}: either strides or dilations must be 1, received strides "
                         f"{list(strides)} and dilations {list(dilations)}")
    n, h, wd, c = x.shape
    fh, fw, fc, _ = w.shape
    if fc != c:
        raise ValueError(f"{fn}: depth of input ({c}) must match input depth for filter "
                         f"({fc}); x has shape {list(x.shape)}, filter {list(w.shape)}")
    padding = pads(fn, pad, (h, wd), (fh, fw), strides, dilations, rounding, True)
    inputs = (x, w) if b is None else (x, w, tensor_arg(b, fn, "bias"))
    y = autodiff.apply(fn, conv_core(strides, padding, dilations, activation, alpha,
                                     depthwise), inputs)
    if not channels_last:
        y = _transpose(y, (0, 3, 1, 2))
    if squeeze:
        from .shape import squeeze as _squeeze
        y = _squeeze(y, [0])
    return y


def conv2d(x, filter, strides, pad, data_format="NHWC", dilations=1,  # noqa: A002
           dim_rounding_mode=None):
    """TF.js conv2d: x [n, h, w, in] (or [h, w, in]), filter [fh, fw, in, out]."""
    return _conv("conv2d", x, filter, None, strides, pad, data_format, dilations,
                 dim_rounding_mode, "linear", None, False)


def fused_conv2d(x, filter, bias=None, strides=1, pad="valid", data_format="NHWC",  # noqa: A002
                 dilations=1, dim_rounding_mode=None, activation="linear", alpha=None):
    """act(conv2d(x, filter) + bias) as one node (TF.js's tf.fused.conv2d); activation a
    fusable id (linear, relu, relu6, elu, selu, sigmoid, tanh, softplus, softsign,
    leakyRelu with alpha)."""
    return _conv("conv2d", x, filter, bias, strides, pad, data_format, dilations,
                 dim_rounding_mode, activation, alpha, False)


def depthwise_conv2d(x, filter, strides, pad, data_format="NHWC", dilations=1,  # noqa: A002
                     dim_rounding_mode=None):
    """TF.js depthwiseConv2d: filter [fh, fw, in, multiplier]; output channels in *
    multiplier (channel ci * multiplier + m)."""
    return _conv("depthwise_conv2d", x, filter, None, strides, pad, data_format, dilations,
                 dim_rounding_mode, "linear", None, True)


def separable_conv2d(x, depthwise_filter, pointwise_filter, strides, pad, dilation=1,
                     data_format="NHWC"):
    """TF.js separableConv2d: a depthwise convolution, then a 1x1 convolution mixing the
    channels (pointwise_filter [1, 1, in * multiplier, out])."""
    pw = _float_input(pointwise_filter, "separable_conv2d", "pointwise_filter", (4,))
    if tuple(pw.shape[:2]) != (1, 1):
        raise ValueError(f"separable_conv2d: the pointwise filter must be [1, 1, in * "
                         f"multiplier, out], received {list(pw.shape)}")
    y = depthwise_conv2d(x, depthwise_filter, strides, pad, data_format, dilation)
    return conv2d(y, pw, 1, "valid", data_format)


def conv1d(x, filter, stride, pad, data_format="NWC", dilation=1,  # noqa: A002
           dim_rounding_mode=None):
    """TF.js conv1d: x [n, w, in] (or [w, in]), filter [fw, in, out]: conv2d with a height
    of one."""
    from .shape import expand_dims, squeeze
    if data_format not in ("NWC", "NCW"):
        raise ValueError(f"conv1d: argument 'data_format' must be 'NWC' or 'NCW', received "
                         f"{data_format!r}")
    x = _float_input(x, "conv1d", "x", (2, 3))
    w = _float_input(filter, "conv1d", "filter", (3,))
    batched = x.rank == 3
    x3 = x if batched else expand_dims(x, 0)
    if data_format == "NCW":
        x3 = _transpose(x3, (0, 2, 1))
    for v, arg in ((stride, "stride"), (dilation, "dilation")):
        if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)) or v < 1:
            raise ValueError(f"conv1d: argument '{arg}' must be an int >= 1, received {v!r}")
    p = [[0, 0], [0, 0], [pad, pad], [0, 0]] if isinstance(pad, (numbers.Integral,
                                                                  np.integer)) else pad
    y = _conv("conv1d", expand_dims(x3, 1), expand_dims(w, 0), None, (1, stride), p,
              "NHWC", (1, dilation), dim_rounding_mode, "linear", None, False)
    y = squeeze(y, [1])
    if data_format == "NCW":
        y = _transpose(y, (0, 2, 1))
    return y if batched else squeeze(y, [0])


def conv2d_transpose(x, filter, output_shape, strides, pad, dim_rounding_mode=None):  # noqa: A002
    """TF.js conv2dTranspose: the gradient of conv2d with respect to its input. x [n, h,
    w, out] (or [h, w, out]), filter [fh, fw, in, out] (conv2d's layout), output_shape
    [n, oh, ow, in] (or [oh, ow, in]); pad as conv2d's for the output's geometry."""
    fn = "conv2d_transpose"
    x = _float_input(x, fn, "x", (3, 4))
    w = _float_input(filter, fn, "filter", (4,))
    squeeze = x.rank == 3
    shape = list(output_shape)
    if squeeze:
        shape = [1] + shape
        from .shape import expand_dims
        x = expand_dims(x, 0)
    if len(shape) != 4 or any(isinstance(d, bool) or not isinstance(d, (numbers.Integral,
                                                                        np.integer)) or d < 1
                              for d in shape):
        raise ValueError(f"{fn}: argument 'output_shape' must be [n, height, width, channels] "
                         f"of positive ints, received {output_shape!r}")
    if shape[0] != x.shape[0] or shape[3] != w.shape[2] or x.shape[3] != w.shape[3]:
        raise ValueError(f"{fn}: output_shape {shape} does not fit x {list(x.shape)} and "
                         f"filter {list(w.shape)} (channels: x's last = filter's last, "
                         f"output's last = filter's third)")
    strides = _pair(strides, fn, "strides")
    fh, fw = w.shape[:2]
    padding = pads(fn, pad, (shape[1], shape[2]), (fh, fw), strides, (1, 1), dim_rounding_mode)
    eh, ew = fh, fw
    oh = (shape[1] + padding[0] + padding[1] - eh) // strides[0] + 1
    ow = (shape[2] + padding[2] + padding[3] - ew) // strides[1] + 1
    if (oh, ow) != tuple(x.shape[1:3]):
        raise ValueError(f"{fn}: a convolution of output_shape {shape} with this filter, "
                         f"strides {list(strides)} and pad {pad!r} gives {oh}x{ow}, but x is "
                         f"{x.shape[1]}x{x.shape[2]}")
    geometry = (strides, padding, (1, 1))
    in_shape = tuple(shape)

    def core(xd, wd):
        # conv2d's input gradient of dy = x (the filter gradient is computed alongside;
        # discarded here).
        probe = np.zeros(in_shape, np.float32)
        y, _, _ = K.conv2d_backward(xd, probe, wd, None, *geometry, "linear", None, True,
                                    False)

        def backward(dy, needs):
            dy = contiguous(dy)
            gx = K.conv2d_forward(dy, wd, None, *geometry) if needs[0] else None
            gw = None
            if needs[1]:  # conv2d's filter gradient with the roles of x and dy swapped
                _, gw, _ = K.conv2d_backward(xd, dy, wd, None, *geometry, "linear", None,
                                             False, False)
            return gx, gw
        return y, backward
    y = autodiff.apply(fn, core, (x, w))
    if squeeze:
        from .shape import squeeze as _squeeze
        y = _squeeze(y, [0])
    return y


__all__ = ["conv1d", "conv2d", "conv2d_transpose", "depthwise_conv2d", "separable_conv2d",
           "fused_conv2d", "pads", "Tensor"]
