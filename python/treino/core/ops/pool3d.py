"""max_pool3d and avg_pool3d (TF.js's maxPool3d / avgPool3d): windows over the depth,
height and width of [n, d, h, w, c] volumes, computed by the native 2-D pooling
(csrc/pool/) over the height and width of every depth slice, then combined over each
window's depths.

Padding as TF.js's 3-D pools ('valid', 'same', or a number with dim_rounding_mode; 'same'
never negative, see conv3d.py), never a candidate for the max nor counted in the
average. A 3-D max is the first maximum over the window's depths of the slices' 2-D
maxima, so its gradient reaches the first maximum in (depth, row, column) order through
the 2-D pool's own backward. A 3-D average over the elements inside the volume is the
mean over the window's depths inside it of the slices' 2-D averages (each of those
counts the same rows and columns), so the backward divides by that depth count and
hands the rest to the 2-D average's backward."""
import numpy as np

from ... import _kernels as K
from .. import autodiff
from .conv3d import Geometry, _restore, _volume, depth_major, pads3d, triple
from ._util import contiguous


class _PoolGeometry(Geometry):
    """Geometry of a window (fd, fh, fw) over x [n, d, h, w, c] (a convolution whose
    filter has c output channels), and the per-output-depth count of depths inside."""

    def __init__(self, x_shape, window, strides, padding, out):
        super().__init__(x_shape, tuple(window) + (x_shape[4], x_shape[4]), strides, padding,
                         (1, 1, 1), out)
        self.window2 = tuple(window[1:])
        self.strides2, self.pads4 = self.conv2d[0], self.conv2d[1]
        count = np.zeros(self.od, np.float32)
        for _, lo, hi, _ in self.taps:
            count[lo:hi] += 1
        self.count = count.reshape(-1, 1, 1, 1, 1)

    def depths(self, first, lo, hi):
        """The slice of input depths a tap reads for output depths lo..hi-1."""
        return slice(first, first + (hi - lo - 1) * self.sd + 1, self.sd)

    def slices(self, xd):
        """x [n, d, h, w, c] as the 2-D pool's batch of depth slices [d * n, h, w, c]."""
        return depth_major(xd).reshape(-1, self.h, self.w, self.c)


def _max_core(g):
    def core(xd):
        p, arg = K.max_pool_forward(g.slices(xd), g.window2, g.strides2, g.pads4, True)
        p = p.reshape(g.d, g.n, g.oh, g.ow, g.c)
        # Each window's candidates over the depths of the volume it reads, one row per
        # tap that reads any (in depth order; -inf where a tap reads padding for some
        # output depths), so the array grows with the volume, not with the window's
        # depth; argmax takes the first maximum (the first NaN, as the 2-D pool's NaN
        # windows).
        cand = np.full((len(g.taps), g.od, g.n, g.oh, g.ow, g.c), -np.inf, np.float32)
        for i, (_, lo, hi, first) in enumerate(g.taps):
            cand[i, lo:hi] = p[g.depths(first, lo, hi)]
        tap = np.argmax(cand, axis=0)
        y = np.take_along_axis(cand, tap[None], 0)[0]

        def backward(dy, needs):
            dy_t = depth_major(contiguous(dy))
            dp = np.zeros((g.d, g.n, g.oh, g.ow, g.c), np.float32)
            for i, (_, lo, hi, first) in enumerate(g.taps):
                dp[g.depths(first, lo, hi)] += np.where(tap[lo:hi] == i, dy_t[lo:hi], 0)
            dx = K.max_pool_backward(dp.reshape(-1, g.oh, g.ow, g.c), arg,
                                     (g.d * g.n, g.h, g.w, g.c), g.window2, g.strides2, g.pads4)
            return (depth_major(dx.reshape(g.d, g.n, g.h, g.w, g.c)),)
        return depth_major(y), backward
    return core


def _avg_core(g):
    def core(xd):
        a = K.avg_pool_forward(g.slices(xd), g.window2, g.strides2, g.pads4)
        a = a.reshape(g.d, g.n, g.oh, g.ow, g.c)
        y = np.zeros((g.od, g.n, g.oh, g.ow, g.c), np.float32)
        for _, lo, hi, first in g.taps:
            y[lo:hi] += a[g.depths(first, lo, hi)]
        y /= g.count

        def backward(dy, needs):
            dyc = depth_major(contiguous(dy)) / g.count
            da = np.zeros((g.d, g.n, g.oh, g.ow, g.c), np.float32)
            for _, lo, hi, first in g.taps:
                da[g.depths(first, lo, hi)] += dyc[lo:hi]
            dx = K.avg_pool_backward(da.reshape(-1, g.oh, g.ow, g.c),
                                     (g.d * g.n, g.h, g.w, g.c), g.window2, g.strides2, g.pads4)
            return (depth_major(dx.reshape(g.d, g.n, g.h, g.w, g.c)),)
        return depth_major(y), backward
    return core


def _pool3d(fn, x, filter_size, strides, pad, dim_rounding_mode, data_format, core_of):
    x, unbatched, channels_last = _volume(fn, x, data_format)
    for value, arg in ((strides, "strides"), (pad, "pad")):
        if value is None:
            raise ValueError(f"{fn}: argument '{arg}' is required, received None")
    window = triple(filter_size, fn, "filter_size")
    strides = triple(strides, fn, "strides")
    padding, out = pads3d(fn, pad, x.shape[1:4], window, strides, (1, 1, 1), dim_rounding_mode)
    if any(p >= window[i // 2] for i, p in enumerate(padding)):
        raise ValueError(f"{fn}: the padding {list(padding)} (front, back, top, bottom, left, "
                         f"right) must be smaller than the window {list(window)} along each "
                         f"axis")
    g = _PoolGeometry(x.shape, window, strides, padding, out)
    y = autodiff.apply(fn, core_of(g), (x,))
    return _restore(y, unbatched, channels_last)


def max_pool3d(x, filter_size=(1, 1, 1), strides=None, pad=None, dim_rounding_mode=None,
               data_format="NDHWC"):
    """TF.js maxPool3d: x [n, d, h, w, c] (or [d, h, w, c]); filter_size (default 1, as
    TF.js's) and strides (required) an int or (depth, height, width); pad (required)
    'valid', 'same' or an int (dim_rounding_mode 'floor', 'round' or 'ceil' rounds the
    output size then). data_format 'NCDHW' takes and returns [n, c, d, h, w] (TF.js
    accepts 'NDHWC' only)."""
    return _pool3d("max_pool3d", x, filter_size, strides, pad, dim_rounding_mode, data_format,
                   _max_core)


def avg_pool3d(x, filter_size, strides, pad, dim_rounding_mode=None, data_format="NDHWC"):
    """TF.js avgPool3d: the mean of each window's elements inside x (arguments as
    max_pool3d's)."""
    return _pool3d("avg_pool3d", x, filter_size, strides, pad, dim_rounding_mode, data_format,
                   _avg_core)


__all__ = ["max_pool3d", "avg_pool3d"]
