"""Normalisation ops: batch_norm (and TF.js's rank-checked batch_norm2d..4d),
local_response_normalization, moving_average.

batch_norm and moving_average are compositions of differentiable ops, as in TF.js, so
every input gets its gradient. local_response_normalization is one node whose backward
is the analytic derivative (TF.js's LRN gradient).
"""
import numbers

import numpy as np

from .. import autodiff
from .._args import int_arg
from ._util import contiguous, f32, tensor_arg
from .binary import add, div, mul, pow, sub  # noqa: A004
from .unary import rsqrt


def batch_norm(x, mean, variance, offset=None, scale=None, variance_epsilon=0.001):
    """(x - mean) / sqrt(variance + variance_epsilon) * scale + offset, every statistic
    broadcasting against x (a vector over the last axis, or of x's rank)."""
    fn = "batch_norm"
    x = tensor_arg(x, fn, "x")
    stats = {"mean": tensor_arg(mean, fn, "mean"), "variance": tensor_arg(variance, fn, "variance")}
    if offset is not None:
        stats["offset"] = tensor_arg(offset, fn, "offset")
    if scale is not None:
        stats["scale"] = tensor_arg(scale, fn, "scale")
    for name, t in stats.items():
        if t.rank != stats["mean"].rank:
            raise ValueError(f"{fn}: mean, variance, offset and scale must have one rank; "
                             f"mean has {stats['mean'].rank}, {name} has {t.rank}")
        try:
            if np.broadcast_shapes(x.shape, t.shape) != x.shape:
                raise ValueError
        except ValueError:
            raise ValueError(f"{fn}: {name} of shape {list(t.shape)} does not broadcast to "
                             f"x's shape {list(x.shape)}") from None
    if isinstance(variance_epsilon, bool) or not isinstance(variance_epsilon, numbers.Real):
        raise TypeError(f"{fn}: argument 'variance_epsilon' must be a number, received "
                        f"{variance_epsilon!r}")
    inv = rsqrt(add(stats["variance"], float(variance_epsilon)))
    if "scale" in stats:
        inv = mul(inv, stats["scale"])
    y = mul(sub(x, stats["mean"]), inv)
    return add(y, stats["offset"]) if "offset" in stats else y


def _batch_norm_nd(rank):
    def op(x, mean, variance, offset=None, scale=None, variance_epsilon=0.001):
        fn = f"batch_norm{rank}d"
        xt = tensor_arg(x, fn, "x")
        if xt.rank != rank:
            raise ValueError(f"{fn}: x must have rank {rank}, received shape {list(xt.shape)}")
        for name, t in (("mean", mean), ("variance", variance), ("offset", offset),
                        ("scale", scale)):
            if t is not None and tensor_arg(t, fn, name).rank not in (1, rank):
                raise ValueError(f"{fn}: {name} must have rank 1 or {rank}, received shape "
                                 f"{list(tensor_arg(t, fn, name).shape)}")
        return batch_norm(xt, mean, variance, offset, scale, variance_epsilon)
    op.__name__ = op.__qualname__ = f"batch_norm{rank}d"
    op.__doc__ = f"batch_norm for a rank-{rank} x (statistics of rank 1 or {rank})."
    return op


batch_norm2d = _batch_norm_nd(2)
batch_norm3d = _batch_norm_nd(3)
batch_norm4d = _batch_norm_nd(4)


def _window_sum(a, radius):
    """Sum of a over [d - radius, d + radius] along the last axis (clipped at the ends)."""
    n = a.shape[-1]
    c = np.concatenate([np.zeros(a.shape[:-1] + (1,), a.dtype), np.cumsum(a, axis=-1)], -1)
    hi = np.minimum(np.arange(n) + radius + 1, n)
    lo = np.maximum(np.arange(n) - radius, 0)
    return c[..., hi] - c[..., lo]


def local_response_normalization(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    """x / (bias + alpha * sum of x^2 over the depth_radius neighbours on each side in
    the last axis) ^ beta, for a 3-D or 4-D x (TF.js's localResponseNormalization)."""
    fn = "local_response_normalization"
    x = tensor_arg(x, fn)
    if x.rank not in (3, 4):
        raise ValueError(f"{fn}: x must have rank 3 or 4, received shape {list(x.shape)}")
    r = int_arg(depth_radius, fn, "depth_radius", 0)
    bias, alpha, beta = float(bias), float(alpha), float(beta)

    def core(xd):
        x64 = f32(xd).astype(np.float64)
        norm = bias + alpha * _window_sum(x64 * x64, r)
        y = contiguous(x64 * norm ** -beta, np.float32)

        def backward(dy, needs):
            # d y_d / d x_k = [d == k] norm_k^-beta
            #                 - 2 alpha beta x_d x_k norm_d^(-beta-1)  (k in window(d)),
            # and k is in window(d) exactly when d is in window(k).
            g = dy.astype(np.float64)
            inner = _window_sum(g * x64 * norm ** (-beta - 1), r)
            return (contiguous(g * norm ** -beta - 2 * alpha * beta * x64 * inner, np.float32),)
        return y, backward
    return autodiff.apply(fn, core, (x,))


def moving_average(v, x, decay, step=None, zero_debias=True):
    """v + (x - v) * (1 - decay), divided by (1 - decay^step) when zero_debias (the
    default, which needs `step`): TF.js's movingAverage, a new tensor (v is unchanged)."""
    fn = "moving_average"
    v = tensor_arg(v, fn, "v")
    x = tensor_arg(x, fn, "x")
    if v.dtype != x.dtype or v.shape != x.shape:
        raise ValueError(f"{fn}: v and x must have one shape and dtype, received "
                         f"{list(v.shape)} {v.dtype} and {list(x.shape)} {x.dtype}")
    decay = tensor_arg(decay, fn, "decay")
    update = mul(sub(x, v), sub(1.0, decay))
    if zero_debias:
        if step is None:
            raise ValueError(f"{fn}: argument 'step' is required when zero_debias is True")
        update = div(update, sub(1.0, pow(decay, tensor_arg(step, fn, "step"))))
    return add(v, update)
