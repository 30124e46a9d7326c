"""max_pool and avg_pool (TF.js's maxPool / avgPool): windows over the height and width
of NHWC images, padding as the convolutions' ('valid', 'same', a number with
dim_rounding_mode, or explicit), native kernels forward and backward (csrc/pool/). The
padding is never a candidate for the max nor counted in the average (TF.js); the
max-pool backward sends each gradient to the window's first maximum, found by the
forward."""
from ... import _kernels as K
from .. import autodiff
from .conv import _float_input, _pair, pads
from ._util import contiguous


def _pool(fn, x, filter_size, strides, pad, dim_rounding_mode, core_of):
    x = _float_input(x, fn, "x", (3, 4))
    squeeze = x.rank == 3
    if squeeze:
        from .shape import expand_dims
        x = expand_dims(x, 0)
    window = _pair(filter_size, fn, "filter_size")
    strides = _pair(strides, fn, "strides")
    padding = pads(fn, pad, x.shape[1:3], window, strides, (1, 1), dim_rounding_mode)
    if padding[0] >= window[0] or padding[1] >= window[0] or padding[2] >= window[1] or \
            padding[3] >= window[1]:
        raise ValueError(f"{fn}: the padding {list(padding)} (top, bottom, left, right) must "
                         f"be smaller than the window {list(window)} along each axis")
    y = autodiff.apply(fn, core_of(window, strides, padding), (x,))
    if squeeze:
        from .shape import squeeze as _squeeze
        y = _squeeze(y, [0])
    return y


def _max_core(window, strides, padding):
    # The argmax offsets are the node's own scratch (nothing else sees them): once a
    # backward has used them they serve the next forward of this node, so a replayed
    # step does not fault in a fresh buffer of the output's size every time.
    spare = []

    def core(xd):
        reuse = spare.pop() if spare else None
        try:
            y, argmax = K.max_pool_forward(xd, window, strides, padding, True, None, reuse)
        except ValueError:  # the spare buffer has another shape (not in a replayed step)
            if reuse is None:
                raise
            y, argmax = K.max_pool_forward(xd, window, strides, padding, True)
        shape = xd.shape

        def backward(dy, needs):
            dx = K.max_pool_backward(contiguous(dy), argmax, shape, window, strides, padding)
            spare[:] = [argmax]
            return (dx,)
        return y, backward
    return core


def _avg_core(window, strides, padding):
    def core(xd):
        shape = xd.shape
        return K.avg_pool_forward(xd, window, strides, padding), lambda dy, needs: (
            K.avg_pool_backward(contiguous(dy), shape, window, strides, padding),)
    return core


def max_pool(x, filter_size, strides, pad, dim_rounding_mode=None):
    """TF.js maxPool: x [n, h, w, c] (or [h, w, c]); filter_size and strides an int or
    (height, width)."""
    return _pool("max_pool", x, filter_size, strides, pad, dim_rounding_mode, _max_core)


def avg_pool(x, filter_size, strides, pad, dim_rounding_mode=None):
    """TF.js avgPool: the mean of each window's elements inside x."""
    return _pool("avg_pool", x, filter_size, strides, pad, dim_rounding_mode, _avg_core)


__all__ = ["max_pool", "avg_pool"]
