"""conv3d and conv3d_transpose (TF.js's conv3d / conv3dTranspose): volumes [n, depth,
height, width, channels] ('NDHWC', TF.js's layout; 'NCDHW' is transposed around it) and
filters [fd, fh, fw, in, out], computed by the native 2-D convolution (csrc/conv/).

A 3-D convolution is a sum over the filter's depth taps of 2-D convolutions: tap kd
convolves input depth od * sd - front + kd * dd with w[kd] into output depth od. The
node holds the volumes depth-major ([depth, n, h, w, c]), so the input slices one tap
reads for all its output depths form one batch [count * n, h, w, c] (a view for depth
stride 1): one native conv2d call per tap forward, one conv2d backward per tap whose dw
lands straight in w's gradient buffer at [kd] and whose dx is added into the input
gradient's slices. Depth taps in the padding read nothing and are skipped.

'same' padding is never negative, as in TF.js's 2-D ops and TensorFlow (TF.js's 3-D
kernels shift the windows when a stride exceeds the filter).
"""
import numpy as np

from ... import _kernels as K
from .. import autodiff
from .._args import is_int
from .conv import _float_input, _transpose, pads
from ._util import contiguous, unbroadcast


def triple(v, fn, arg):
    """An int or a list of three ints, each >= 1, as a tuple of three."""
    items = [v] * 3 if is_int(v) else v
    if not isinstance(items, (list, tuple)) or len(items) != 3 or any(
            not is_int(i) or i < 1 for i in items):
        raise ValueError(f"{fn}: argument '{arg}' must be an int >= 1 or a list of three "
                         f"of them, received {v!r}")
    return tuple(int(i) for i in items)


def pads3d(fn, pad, in_dhw, filter_dhw, strides, dilations, rounding=None, numeric=True):
    """TF.js's 3-D padding as explicit (front, back, top, bottom, left, right) for the
    dilated filter, and the output's (depth, height, width). pad: 'valid', 'same' or,
    when numeric, an int >= 0 on every side (dim_rounding_mode rounds the output size)."""
    if not (isinstance(pad, str) and pad in ("valid", "same")) and not (numeric and is_int(pad)):
        forms = "'valid', 'same' or an int >= 0" if numeric else "'valid' or 'same'"
        raise ValueError(f"{fn}: argument 'pad' must be {forms}, received {pad!r}")
    if is_int(pad) and pad < 0:
        raise ValueError(f"{fn}: argument 'pad' must be >= 0, received {pad}")
    eff = [(k - 1) * r + 1 for k, r in zip(filter_dhw, dilations)]
    p = 0 if pad in ("valid", "same") else int(pad)
    if pad != "same" and any(s + 2 * p < e for s, e in zip(in_dhw, eff)):
        raise ValueError(f"{fn}: the filter ({'x'.join(map(str, eff))} with dilations) is "
                         f"larger than the padded input "
                         f"({'x'.join(str(s + 2 * p) for s in in_dhw)})")
    (d, h, w), (fd, fh, fw), (sd, sh, sw), (dd, dh, dw) = in_dhw, filter_dhw, strides, dilations
    front, back, _, _ = pads(fn, pad, (d, h), (fd, fh), (sd, sh), (dd, dh), rounding)
    top, bottom, left, right = pads(fn, pad, (h, w), (fh, fw), (sh, sw), (dh, dw), rounding)
    padding = (front, back, top, bottom, left, right)
    out = tuple((s + padding[2 * i] + padding[2 * i + 1] - eff[i]) // strides[i] + 1
                for i, s in enumerate(in_dhw))
    return padding, out


def data_format_3d(v, fn):
    if v not in ("NDHWC", "NCDHW", "channelsLast", "channelsFirst", "channels_last",
                 "channels_first"):
        raise ValueError(f"{fn}: argument 'data_format' must be 'NDHWC' or 'NCDHW', received "
                         f"{v!r}")
    return v in ("NDHWC", "channelsLast", "channels_last")


def depth_major(a):
    """[n, d, ...] -> [d, n, ...] and back (a view of a when either is 1)."""
    if a.shape[0] == 1 or a.shape[1] == 1:
        return a.reshape((a.shape[1], a.shape[0]) + a.shape[2:])
    return contiguous(a.swapaxes(0, 1))


class Geometry:
    """The static shape of one 3-D convolution: x [n, d, h, w, c], filter [fd, fh, fw, c,
    oc], output [n, od, oh, ow, oc], and for each depth tap that reads the volume (kd,
    first output depth, end, first input depth)."""

    def __init__(self, x_shape, w_shape, strides, padding, dilations, out):
        self.n, self.d, self.h, self.w, self.c = x_shape
        self.fd, self.oc = w_shape[0], w_shape[4]
        self.od, self.oh, self.ow = out
        self.sd, self.dd, front = strides[0], dilations[0], padding[0]
        self.conv2d = (strides[1:], padding[2:], dilations[1:])
        self.taps = []
        # Only the taps that can read the volume: output depth 0 of tap kd reads input
        # depth kd * dd - front, the last output depth (od - 1) * sd further, so taps
        # below `first_kd` read only the front padding and those from `end_kd` on only the
        # back padding. A pooling window's depth comes from its config, not from a weight
        # (2**31 - 1 is a valid window): the loop is bounded by the volume, not by it.
        first_kd = max(0, -(((self.od - 1) * self.sd - front) // self.dd))
        end_kd = min(self.fd, (self.d - 1 + front) // self.dd + 1)
        for kd in range(first_kd, end_kd):
            start = kd * self.dd - front  # the input depth output depth 0 reads
            lo = 0 if start >= 0 else (self.sd - 1 - start) // self.sd
            hi = min(self.od, (self.d - 1 - start) // self.sd + 1) if start < self.d else 0
            if hi > lo:
                self.taps.append((kd, lo, hi, lo * self.sd + start))

    def x_slices(self, x_t, lo, hi, first):
        """The input depths one tap reads for output depths lo..hi-1, as a 2-D batch."""
        end = first + (hi - lo - 1) * self.sd + 1
        part = x_t[first:end:self.sd]
        return contiguous(part).reshape(-1, self.h, self.w, self.c)


def forward(g, x_t, w, b=None):
    """Depth-major y [od, n, oh, ow, oc] of the depth-major input x_t [d, n, h, w, c]."""
    y = np.empty((g.od, g.n, g.oh, g.ow, g.oc), np.float32)
    flat = y.reshape(-1, g.oh, g.ow, g.oc)
    # A tap reading every output depth writes y first; the others add into it.
    full = next((t for t in g.taps if t[1] == 0 and t[2] == g.od), None)
    if full is None:
        y.fill(0)
    scratch = None
    for kd, lo, hi, first in ([full] if full else []) + [t for t in g.taps if t is not full]:
        xs = g.x_slices(x_t, lo, hi, first)
        if full is not None and kd == full[0]:
            K.conv2d_forward(xs, w[kd], None, *g.conv2d, "linear", None, flat)
            continue
        if scratch is None:
            scratch = np.empty_like(flat)
        part = K.conv2d_forward(xs, w[kd], None, *g.conv2d, "linear", None,
                                scratch[:(hi - lo) * g.n])
        y[lo:hi] += part.reshape(hi - lo, g.n, g.oh, g.ow, g.oc)
    if b is not None:
        y += b
    return y


def backward(g, dy_t, x_t, w, need_dx, dw=None):
    """The input gradient (depth-major [d, n, h, w, c], None unless need_dx) and the filter
    gradient (written into dw when given) of forward, from the depth-major dy_t. x_t None
    stands for zeros (conv3d_transpose needs the input gradient only)."""
    dw = np.empty(w.shape, np.float32) if dw is None else dw
    dx_t = np.zeros((g.d, g.n, g.h, g.w, g.c), np.float32) if need_dx else None
    dy_flat = dy_t.reshape(-1, g.oh, g.ow, g.oc)
    covered = set()
    dx_scratch = probe = None
    for kd, lo, hi, first in g.taps:
        rows = (hi - lo) * g.n
        if x_t is None:
            if probe is None:
                probe = np.zeros((g.od * g.n, g.h, g.w, g.c), np.float32)
            xs = probe[:rows]
        else:
            xs = g.x_slices(x_t, lo, hi, first)
        if need_dx and dx_scratch is None:
            dx_scratch = np.empty((g.od * g.n, g.h, g.w, g.c), np.float32)
        dxs, _, _ = K.conv2d_backward(dy_flat[lo * g.n:hi * g.n], xs, w[kd], None, *g.conv2d,
                                      "linear", None, need_dx, False,
                                      dx_scratch[:rows] if need_dx else None, dw[kd])
        covered.add(kd)
        if need_dx:
            end = first + (hi - lo - 1) * g.sd + 1
            dx_t[first:end:g.sd] += dxs.reshape(hi - lo, g.n, g.h, g.w, g.c)
    for kd in range(g.fd):
        if kd not in covered:  # a tap that only ever reads padding
            dw[kd] = 0
    return dx_t, dw


def _volume(fn, x, data_format):
    """x as a float32 [n, d, h, w, c] tensor, whether x was unbatched, channels_last."""
    channels_last = data_format_3d(data_format, fn)
    x = _float_input(x, fn, "x", (4, 5))
    unbatched = x.rank == 4
    if unbatched:
        from .shape import expand_dims
        x = expand_dims(x, 0)
    if not channels_last:
        x = _transpose(x, (0, 2, 3, 4, 1))
    return x, unbatched, channels_last


def _restore(y, unbatched, channels_last):
    if not channels_last:
        y = _transpose(y, (0, 4, 1, 2, 3))
    if unbatched:
        from .shape import squeeze
        y = squeeze(y, [0])
    return y


def conv3d_core(g, has_bias):
    """The node: y = conv3d(x, w) (+ b), backward writing dw (and db) where the engine
    gives buffers."""
    def core(xd, wd, bd=None):
        x_t = depth_major(xd)
        y = depth_major(forward(g, x_t, wd, bd))

        def backward_(dy, needs, out=(None, None, None)):
            dy_t = depth_major(contiguous(dy))
            dx_t, dw = backward(g, dy_t, x_t, wd, needs[0],
                                out[1] if len(out) > 1 and needs[1] else None)
            grads = (depth_major(dx_t) if needs[0] else None, dw if needs[1] else None)
            if has_bias:
                grads += (unbroadcast(dy, (g.oc,)) if needs[2] else None,)
            return grads
        return y, backward_
    core.writes_grads = True
    return core


def conv3d_with_bias(x, filter, bias, strides, pad, data_format="NDHWC",  # noqa: A002
                     dilations=1, fn="conv3d"):
    """conv3d(x, filter) + bias as one node (bias [out] or None): what Conv3D uses."""
    x, unbatched, channels_last = _volume(fn, x, data_format)
    w = _float_input(filter, fn, "filter", (5,))
    strides = triple(strides, fn, "strides")
    dilations = triple(dilations, fn, "dilations")
    if max(strides) > 1 and max(dilations) > 1:
        raise ValueError(f"{fn}: either strides or dilations must be 1, received strides "
                         f"{list(strides)} and dilations {list(dilations)}")
    if x.shape[4] != w.shape[3]:
        raise ValueError(f"{fn}: depth of input ({x.shape[4]}) must match input depth for "
                         f"filter ({w.shape[3]}); x has shape {list(x.shape)} (NDHWC), filter "
                         f"{list(w.shape)}")
    padding, out = pads3d(fn, pad, x.shape[1:4], w.shape[:3], strides, dilations,
                          numeric=False)
    g = Geometry(x.shape, w.shape, strides, padding, dilations, out)
    inputs = (x, w)
    if bias is not None:
        b = _float_input(bias, fn, "bias", (1,))
        if b.shape[0] != w.shape[4]:
            raise ValueError(f"{fn}: bias must have shape [{w.shape[4]}] (the filter's out "
                             f"channels), received {list(b.shape)}")
        inputs = (x, w, b)
    y = autodiff.apply(fn, conv3d_core(g, bias is not None), inputs)
    return _restore(y, unbatched, channels_last)


def conv3d(x, filter, strides, pad, data_format="NDHWC", dilations=1):  # noqa: A002
    """TF.js conv3d: x [n, d, h, w, in] (or [d, h, w, in]), filter [fd, fh, fw, in, out],
    strides and dilations an int or (depth, height, width) (one of them all ones), pad
    'valid' or 'same'. data_format 'NCDHW' takes and returns [n, c, d, h, w] (TF.js
    accepts 'NDHWC' only)."""
    return conv3d_with_bias(x, filter, None, strides, pad, data_format, dilations)


def conv3d_transpose(x, filter, output_shape, strides, pad):  # noqa: A002
    """TF.js conv3dTranspose: the gradient of conv3d with respect to its input. x [n, d,
    h, w, out] (or [d, h, w, out]), filter [fd, fh, fw, in, out] (conv3d's layout),
    output_shape [n, od, oh, ow, in] (or without n); pad 'valid' or 'same' as conv3d's
    for the output's geometry."""
    fn = "conv3d_transpose"
    x = _float_input(x, fn, "x", (4, 5))
    w = _float_input(filter, fn, "filter", (5,))
    unbatched = x.rank == 4
    shape = list(output_shape) if isinstance(output_shape, (list, tuple)) else output_shape
    if not isinstance(shape, list) or len(shape) != x.rank or any(
            not is_int(v) or v < 1 for v in shape):
        raise ValueError(f"{fn}: argument 'output_shape' must be a list of {x.rank} positive "
                         f"ints (x's rank; [n, depth, height, width, channels]), received "
                         f"{output_shape!r}")
    if unbatched:
        from .shape import expand_dims
        x = expand_dims(x, 0)
        shape = [1] + shape
    shape = [int(v) for v in shape]
    if shape[0] != x.shape[0] or shape[4] != w.shape[3] or x.shape[4] != w.shape[4]:
        raise ValueError(f"{fn}: output_shape {shape} does not fit x {list(x.shape)} and "
                         f"filter {list(w.shape)} (channels: x's last = filter's last, "
                         f"output's last = filter's fourth; batch sizes equal)")
    strides = triple(strides, fn, "strides")
    padding, out = pads3d(fn, pad, shape[1:4], w.shape[:3], strides, (1, 1, 1), numeric=False)
    if out != tuple(x.shape[1:4]):
        raise ValueError(f"{fn}: a convolution of output_shape {shape} with this filter, "
                         f"strides {list(strides)} and pad {pad!r} gives "
                         f"{'x'.join(map(str, out))}, but x is "
                         f"{'x'.join(map(str, x.shape[1:4]))}")
    g = Geometry(shape, w.shape, strides, padding, (1, 1, 1), out)

    def core(xd, wd):
        x_t = depth_major(xd)
        y_t, _ = backward(g, x_t, None, wd, True)

        def backward_(dy, needs):
            dy_t = depth_major(contiguous(dy))
            gx = depth_major(forward(g, dy_t, wd)) if needs[0] else None
            # conv3d's filter gradient with the roles of its input and output swapped
            gw = backward(g, x_t, dy_t, wd, False)[1] if needs[1] else None
            return gx, gw
        return depth_major(y_t), backward_
    y = autodiff.apply(fn, core, (x, w))
    if unbatched:
        from .shape import squeeze
        y = squeeze(y, [0])
    return y


__all__ = ["conv3d", "conv3d_transpose"]
