"""Reductions: sum, mean, max, min, prod, logsumexp, argmax, argmin.

float32 reductions over one axis (or all elements) are one native call; several axes
are moved to the end and flattened into one first. Sums are blocked and deterministic
(the same bits for any thread count).
"""
import builtins

import numpy as np

from ... import _kernels as K
from .. import autodiff
from ..tensor import Tensor
from ._util import axes_arg, contiguous, f32, tensor_arg


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _reduce_f32(kernel, xd, axes, keepdims):
    """kernel over `axes` of float32 xd; no axes (axis=[]) reduces nothing, as numpy."""
    rank = xd.ndim
    if not axes and rank:
        return xd.copy()
    if len(axes) == rank:
        out = kernel(xd, None, False)
    elif len(axes) == 1:
        out = kernel(xd, axes[0], False)
    else:
        rest = [i for i in range(rank) if i not in axes]
        moved = contiguous(xd.transpose(rest + list(axes)))
        # Sizes spelled out: -1 cannot be inferred when another axis is 0.
        moved = moved.reshape([xd.shape[i] for i in rest] + [_count(xd.shape, axes)])
        out = kernel(moved, -1, False)
    out = np.asarray(out, order="C")
    return out.reshape(_kept_shape(xd.shape, axes)) if keepdims else out


def _count(shape, axes):
    """How many values each result element reduces."""
    return int(np.prod([shape[i] for i in axes], dtype=np.int64))


def _int_reduce(name, ufunc, x, axes, keepdims):
    def core(d):
        d = d.astype(np.int32) if d.dtype == np.bool_ else d
        return np.asarray(ufunc(d, axis=axes, keepdims=keepdims).astype(np.int32), order="C"), None
    return autodiff.apply(name, core, (x,))


_F32 = np.dtype(np.float32)


def sum(x, axis=None, keepdims=False):  # noqa: A001 (tn.sum, as TF.js)
    if axis is None and isinstance(x, Tensor) and x._data.dtype is _F32:
        # The common case (a loss): one kernel call, no axis bookkeeping.
        return autodiff.apply("sum", _sum_all_core if not keepdims else _sum_all_kept, (x,))
    x = tensor_arg(x, "sum")
    axes = axes_arg(axis, x.rank, "sum")
    if x.dtype != "float32":
        return _int_reduce("sum", np.sum, x, axes, keepdims)
    kept = _kept_shape(x.shape, axes)

    def core(xd):
        return _reduce_f32(K.reduce_sum, xd, axes, keepdims), lambda dy, needs: (
            _expand(dy.reshape(kept), xd.shape),)
    return autodiff.apply("sum", core, (x,))


def _expand(g, shape):
    """g broadcast to `shape` as a new float32 C-contiguous array (an assignment
    broadcasts in C; np.broadcast_to builds a view in Python first, several times
    slower for the small arrays of a loss)."""
    out = np.empty(shape, np.float32)
    out[...] = g
    return out


def _filled(shape, value):
    """A float32 array of `shape` holding `value` everywhere (np.full is slower for the
    small arrays of a loss's backward)."""
    out = np.empty(shape, np.float32)
    out.fill(value)
    return out


def _sum_all(xd, keepdims):
    return K.reduce_sum(xd, None, keepdims), lambda dy, needs: (
        _filled(xd.shape, dy.item()),)


def _sum_all_core(xd):
    return _sum_all(xd, False)


def _sum_all_kept(xd):
    return _sum_all(xd, True)


def mean(x, axis=None, keepdims=False):
    x = tensor_arg(x, "mean")
    axes = axes_arg(axis, x.rank, "mean")
    kept = _kept_shape(x.shape, axes)
    n = np.float32(builtins.max(1, _count(x.shape, axes)))

    if len(axes) == x.rank:  # every element (a loss): the gradient is one value
        # dy / n in double, rounded once to float32: the float32 quotient exactly (double
        # has more than twice float32's digits), without a numpy scalar operation.
        n_float = float(n)

        def core(xd):
            xd = f32(xd)
            return _reduce_f32(K.reduce_mean, xd, axes, keepdims), lambda dy, needs: (
                _filled(xd.shape, dy.item() / n_float),)
        return autodiff.apply("mean", core, (x,))

    def core(xd):
        xd = f32(xd)
        return _reduce_f32(K.reduce_mean, xd, axes, keepdims), lambda dy, needs: (
            _expand(dy.reshape(kept) / n, xd.shape),)
    return autodiff.apply("mean", core, (x,))


def _extreme(name, kernel, ufunc, x, axis, keepdims):
    x = tensor_arg(x, name)
    axes = axes_arg(axis, x.rank, name)
    empty = [i for i in axes if x.shape[i] == 0]
    if empty:  # numpy's rule: other empty axes just give an empty result
        raise ValueError(f"{name}: axis {empty[0]} of x (shape {list(x.shape)}) is empty, "
                         f"and the {name} of no values is undefined")
    if x.dtype != "float32":
        return _int_reduce(name, ufunc, x, axes, keepdims)
    kept = _kept_shape(x.shape, axes)

    def core(xd):
        y = _reduce_f32(kernel, xd, axes, keepdims)

        def backward(dy, needs):
            # TF.js: every element equal to the extreme gets the gradient.
            mask = xd == y.reshape(kept)
            return (contiguous(dy.reshape(kept) * mask, np.float32),)
        return y, backward
    return autodiff.apply(name, core, (x,))


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _extreme("max", K.reduce_max, np.max, x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _extreme("min", K.reduce_min, np.min, x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    x = tensor_arg(x, "prod")
    axes = axes_arg(axis, x.rank, "prod")
    if x.dtype != "float32":
        return _int_reduce("prod", np.prod, x, axes, keepdims)
    def core(xd):
        def backward(dy, needs):
            # d prod / d x_i = product of the others: exclusive cumulative products from
            # both sides, exact with zeros (no division by x).
            rest = [i for i in range(xd.ndim) if i not in axes]
            perm = rest + list(axes)
            moved = xd.astype(np.float64).transpose(perm).reshape(
                [xd.shape[i] for i in rest] + [_count(xd.shape, axes)])
            left = np.cumprod(np.concatenate([np.ones_like(moved[..., :1]), moved[..., :-1]], -1), -1)
            right = np.cumprod(np.concatenate([np.ones_like(moved[..., :1]), moved[..., :0:-1]], -1), -1)[..., ::-1]
            others = (left * right).reshape([xd.shape[i] for i in perm])
            others = others.transpose(np.argsort(perm))
            kept = _kept_shape(xd.shape, axes)
            return (contiguous(dy.reshape(kept) * others, np.float32),)
        return _reduce_f32(K.reduce_prod, xd, axes, keepdims), backward
    return autodiff.apply("prod", core, (x,))


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) along axis, computed stably (shifted by the max)."""
    x = tensor_arg(x, "logsumexp")
    axes = axes_arg(axis, x.rank, "logsumexp")
    kept = _kept_shape(x.shape, axes)
    reduced = [d for i, d in enumerate(x.shape) if i not in axes]

    def core(xd):
        xd = f32(xd)
        m = np.max(xd, axis=axes, keepdims=True) if xd.size else np.zeros(kept, np.float32)
        m = np.where(np.isfinite(m), m, 0).astype(np.float32)
        s = _reduce_f32(K.reduce_sum, contiguous(K.exp(contiguous(xd - m))), axes, True)
        with np.errstate(divide="ignore"):
            out = (np.log(s) + m).astype(np.float32)
        y = np.asarray(out if keepdims else out.reshape(reduced), order="C")
        return y, lambda dy, needs: (contiguous(dy.reshape(kept) * np.exp(xd - out), np.float32),)
    return autodiff.apply("logsumexp", core, (x,))


def _arg(name, kernel, ufunc, x, axis, keepdims):
    x = tensor_arg(x, name)
    if x.rank == 0:
        raise ValueError(f"{name}: x must have rank >= 1, received a scalar")
    if axis is None or isinstance(axis, (list, tuple)):
        raise TypeError(f"{name}: argument 'axis' must be one int, received {axis!r}")
    (axis,) = axes_arg(axis, x.rank, name)
    if x.shape[axis] == 0:  # an empty result (another axis is 0) is fine, as numpy
        raise ValueError(f"{name}: axis {axis} of x (shape {list(x.shape)}) is empty, so "
                         f"there is no index to return")
    def core(xd):
        if xd.dtype == np.float32:
            out = kernel(xd, axis, keepdims)
        else:
            out = ufunc(xd, axis=axis, keepdims=keepdims).astype(np.int32)
        return np.asarray(out, order="C"), None
    return autodiff.apply(name, core, (x,))


def argmax(x, axis=0, keepdims=False):
    """Index (int32) of the largest value along axis (default 0, as TF.js); first index
    on ties."""
    return _arg("argmax", K.argmax, np.argmax, x, axis, keepdims)


def argmin(x, axis=0, keepdims=False):
    return _arg("argmin", K.argmin, np.argmin, x, axis, keepdims)
