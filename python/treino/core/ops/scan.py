"""Cumulative sums and products along one axis (TF.js's cumsum and cumprod), with
`exclusive` (each output leaves out its own element) and `reverse` (from the end).

int32 and bool inputs give int32, float32 gives float32, as TF.js's kernels. The sums run
in float32 in order along the axis, as TF.js's CPU kernel does.
"""
import numpy as np

from .. import autodiff
from ._util import axes_arg, contiguous, tensor_arg


def _scan(ufunc, xd, axis, exclusive, reverse):
    out_dtype = np.float32 if xd.dtype == np.float32 else np.int32
    x = xd.astype(out_dtype, copy=False)
    if reverse:
        x = np.flip(x, axis)
    y = ufunc.accumulate(x, axis=axis, dtype=out_dtype)
    if exclusive:
        # Shift by one along the axis; the first output is the identity (0 or 1).
        shifted = np.full_like(y, ufunc.identity)
        src = [slice(None)] * y.ndim
        dst = [slice(None)] * y.ndim
        src[axis], dst[axis] = slice(0, -1), slice(1, None)
        shifted[tuple(dst)] = y[tuple(src)]
        y = shifted
    if reverse:
        y = np.flip(y, axis)
    return contiguous(y, out_dtype)


def _args(fn, x, axis, exclusive, reverse):
    x = tensor_arg(x, fn)
    if x.rank == 0:
        raise ValueError(f"{fn}: x must have rank >= 1, received a scalar")
    if isinstance(axis, (list, tuple)):
        raise TypeError(f"{fn}: argument 'axis' must be one int, received {axis!r}")
    (axis,) = axes_arg(axis, x.rank, fn)
    for arg, v in (("exclusive", exclusive), ("reverse", reverse)):
        if not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{fn}: argument '{arg}' must be a bool, received {v!r}")
    return x, axis, bool(exclusive), bool(reverse)


def cumsum(x, axis=0, exclusive=False, reverse=False):
    """Cumulative sum along `axis`. The gradient is the cumulative sum of dy in the
    other direction (TF.js's Cumsum gradient)."""
    x, axis, exclusive, reverse = _args("cumsum", x, axis, exclusive, reverse)

    def core(xd):
        y = _scan(np.add, xd, axis, exclusive, reverse)
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: (_scan(np.add, dy, axis, exclusive, not reverse),)
    return autodiff.apply("cumsum", core, (x,))


def cumprod(x, axis=0, exclusive=False, reverse=False):
    """Cumulative product along `axis`. TF.js defines no gradient for it; treino's is
    exact with zeros in x: output j's derivative by x_i is the product of the other
    factors of output j, summed over the outputs that contain x_i."""
    x, axis, exclusive, reverse = _args("cumprod", x, axis, exclusive, reverse)

    def core(xd):
        y = _scan(np.multiply, xd, axis, exclusive, reverse)
        if y.dtype != np.float32:
            return y, None

        def backward(dy, needs):
            return (contiguous(_cumprod_grad(xd, dy, axis, exclusive, reverse), np.float32),)
        return y, backward
    return autodiff.apply("cumprod", core, (x,))


def _cumprod_grad(xd, dy, axis, exclusive, reverse):
    """d/dx_i of sum_j dy_j * y_j in float64, exact with zeros (no division by x). For the
    forward scan y_j = prod_{k <= j} x_k (k < j if exclusive), the derivative is
    E_i * S_i with E_i = prod_{k < i} x_k and S_i = sum over the outputs j holding x_i of
    dy_j * prod_{i < k <= j (< j if exclusive)} x_k, which satisfies
    S_i = dy_i + x_{i+1} S_{i+1} (inclusive) or S_i = dy_{i+1} + x_{i+1} S_{i+1}
    (exclusive): one pass from the end."""
    x = np.moveaxis(xd.astype(np.float64), axis, -1)
    g = np.moveaxis(dy.astype(np.float64), axis, -1)
    if reverse:
        x, g = x[..., ::-1], g[..., ::-1]
    n = x.shape[-1]
    before = np.ones_like(x)  # E_i
    if n > 1:
        before[..., 1:] = np.cumprod(x[..., :-1], axis=-1)
    s = np.zeros_like(x)
    if n:
        s[..., n - 1] = 0.0 if exclusive else g[..., n - 1]
    for i in range(n - 2, -1, -1):
        s[..., i] = (g[..., i + 1] if exclusive else g[..., i]) + x[..., i + 1] * s[..., i + 1]
    grad = before * s
    if reverse:
        grad = grad[..., ::-1]
    return np.moveaxis(grad, -1, axis)
