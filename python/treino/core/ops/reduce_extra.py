"""Reductions beyond reduce.py's: all, any (logical), moments, norm, euclidean_norm.

moments and norm are compositions of differentiable ops, as in TF.js, so their gradients
are those of the ops they are made of (the norm of a zero vector has a NaN gradient, as
in TF.js: sqrt's derivative at 0).
"""
import math
import numbers

import numpy as np

from .. import autodiff
from ._result import result_type
from ._util import axes_arg, contiguous, tensor_arg
from .binary import sub
from .reduce import max, mean, min, sum  # noqa: A004
from .shape import reshape
from .unary import abs, sqrt, square  # noqa: A004


def _logical(name, ufunc, x, axis, keepdims):
    x = tensor_arg(x, name)
    axes = axes_arg(axis, x.rank, name)

    def core(xd):  # numbers count as True when non-zero, as TF.js's cast to bool
        return contiguous(ufunc(xd.astype(bool, copy=False), axis=axes, keepdims=keepdims)), None
    return autodiff.apply(name, core, (x,))


def all(x, axis=None, keepdims=False):  # noqa: A001 (tn.all, as TF.js)
    """True where every value along `axis` is (all axes by default); True for none."""
    return _logical("all", np.all, x, axis, keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    """True where some value along `axis` is (all axes by default); False for none."""
    return _logical("any", np.any, x, axis, keepdims)


Moments = result_type("Moments", ["mean", "variance"])


def moments(x, axis=None, keepdims=False):
    """Mean and (biased) variance along `axis`: a result with .mean and .variance (also
    ['mean'], ['variance'], or unpacked)."""
    x = tensor_arg(x, "moments")
    axes = axes_arg(axis, x.rank, "moments")
    m = mean(x, list(axes), keepdims)
    kept = [1 if i in axes else d for i, d in enumerate(x.shape)]
    dev = square(sub(x if x.dtype == "float32" else x.cast("float32"), reshape(m, kept)))
    return Moments(m, mean(dev, list(axes), keepdims))


_ORDS = ("euclidean", "fro", 1, 2, math.inf, -math.inf)


def norm(x, ord="euclidean", axis=None, keepdims=False):  # noqa: A002 (TF.js's name)
    """TF.js's norm: a vector norm (ord 1, 2 / 'euclidean', inf, -inf) over one axis or
    over all values (axis None), or a matrix norm (ord 1, inf, -inf, 'fro' /
    'euclidean') over two axes [rows, columns]."""
    x = tensor_arg(x, "norm")
    if isinstance(ord, bool) or not (ord in ("euclidean", "fro") or (
            isinstance(ord, numbers.Real) and ord in _ORDS)):
        raise ValueError(f"norm: argument 'ord' must be one of 'euclidean', 'fro', 1, 2, "
                         f"inf or -inf, received {ord!r}")
    if x.rank == 0:
        return abs(x)
    if axis is None:
        out = _vector_norm(reshape(x, [-1]), ord, 0, "norm")
        return reshape(out, [1] * x.rank) if keepdims else out
    axes = list(axes_arg(axis, x.rank, "norm"))
    if isinstance(axis, (list, tuple)):
        axes = [int(a) % x.rank for a in axis]  # keep the caller's [rows, columns] order
    if len(axes) == 1:
        out = _vector_norm(x, ord, axes[0], "norm")
    elif len(axes) == 2:
        out = _matrix_norm(x, ord, axes[0], axes[1])
    else:
        raise ValueError(f"norm: argument 'axis' must be None, one axis or two axes, "
                         f"received {axis!r}")
    if keepdims:
        out = reshape(out, [1 if i in axes else d for i, d in enumerate(x.shape)])
    return out


def _vector_norm(x, ord, axis, fn):
    if ord == 1:
        return sum(abs(x), axis)
    if ord == math.inf:
        return max(abs(x), axis)
    if ord == -math.inf:
        return min(abs(x), axis)
    if ord in ("euclidean", 2):
        return sqrt(sum(square(abs(x)), axis))
    raise ValueError(f"{fn}: ord {ord!r} is a matrix norm; a vector norm takes 1, 2, "
                     f"'euclidean', inf or -inf")


def _matrix_norm(x, ord, rows, cols):
    if ord == 1:  # the largest column sum
        return max(sum(abs(x), rows), cols - (cols > rows))
    if ord in (math.inf, -math.inf):  # the largest (smallest) row sum
        reduce = max if ord == math.inf else min
        return reduce(sum(abs(x), cols), rows - (rows > cols))
    if ord in ("fro", "euclidean"):
        return sqrt(sum(square(x), [rows, cols]))
    raise ValueError(f"norm: ord {ord!r} is not supported for a matrix norm (as in "
                     f"TF.js): use 1, inf, -inf, 'fro' or 'euclidean'")


def euclidean_norm(x, axis=None, keepdims=False):
    """The Euclidean norm over `axis` (all values by default): norm(x, 'euclidean', ...)."""
    return norm(x, "euclidean", axis, keepdims)
