"""Ops whose output shape depends on the input values: unique, setdiff1d_async,
where_async, boolean_mask_async. (TF.js makes the last three async because they must
download the values; here they return their result directly.)

No other op may close over a shape that depends on values, and a captured training step
replays its ops with the shapes of the capturing run. So each of these counts as reading
tensor values, like `Tensor.numpy()` does: a loss or metric that uses one is not traced
into the captured program but runs as a Python slot, called anew at every step (see
docs/engine.md), and its result is right for every batch. They have no gradient, as in
TF.js, except boolean_mask_async, which gathers (as TF.js's does) and so is
differentiable with respect to the masked tensor.
"""
import numpy as np

from .. import autodiff
from .. import tensor as _tensor
from ._result import result_type
from ._util import axes_arg, contiguous, tensor_arg
from .shape import gather, reshape, squeeze


def _reads_values():
    _tensor.value_reads[0] += 1


Unique = result_type("Unique", ["values", "indices"])


def unique(x, axis=0):
    """The distinct slices of x along `axis`, in order of first occurrence, and for each
    slice of x the int32 index of its value in them: a result with .values and .indices
    (also ['values'], ['indices'], or unpacked)."""
    x = tensor_arg(x, "unique")
    if x.rank == 0:
        raise ValueError("unique: x must have rank >= 1, received a scalar")
    if isinstance(axis, (list, tuple)):
        raise TypeError(f"unique: argument 'axis' must be one int, received {axis!r}")
    (a,) = axes_arg(axis, x.rank, "unique")
    _reads_values()

    def core(xd):
        moved = np.moveaxis(xd, a, 0)
        if moved.shape[0] == 0:
            return (contiguous(xd.copy()), np.zeros(0, np.int32)), None
        rows = moved.reshape(moved.shape[0], -1)
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        order = np.argsort(first, kind="stable")     # numpy sorts; TF.js keeps first seen
        rank_of = np.empty_like(order)
        rank_of[order] = np.arange(len(order))
        values = np.moveaxis(moved[np.sort(first)], 0, a)
        return (contiguous(values), contiguous(rank_of[inverse], np.int32)), None
    return Unique(*autodiff.apply("unique", core, (x,)))


def setdiff1d_async(x, y):
    """(out, indices): the values of the 1-D x that are not in y, in x's order, and
    their int32 positions in x."""
    x = tensor_arg(x, "setdiff1d_async", "x")
    y = tensor_arg(y, "setdiff1d_async", "y")
    if x.dtype != y.dtype:
        raise TypeError(f"setdiff1d_async: x and y must have one dtype, received {x.dtype} "
                        f"and {y.dtype}")
    if x.rank != 1 or y.rank != 1:
        raise ValueError(f"setdiff1d_async: x and y must be 1-D, received shapes "
                         f"{list(x.shape)} and {list(y.shape)}")
    _reads_values()

    def core(xd, yd):
        keep = ~np.isin(xd, yd)
        return (contiguous(xd[keep]), contiguous(np.nonzero(keep)[0], np.int32)), None
    return tuple(autodiff.apply("setdiff1d_async", core, (x, y)))


def where_async(condition):
    """The coordinates of the true (non-zero) values of `condition`, in row-major order:
    an int32 tensor of shape [count, rank]."""
    cond = tensor_arg(condition, "where_async", "condition")
    _reads_values()

    def core(cd):
        coords = np.argwhere(cd) if cd.ndim else np.zeros((int(bool(cd)), 0), np.int64)
        return contiguous(coords, np.int32), None
    return autodiff.apply("where_async", core, (cond,))


def boolean_mask_async(tensor, mask, axis=0):
    """The slices of `tensor` where `mask` is true: mask's shape must equal
    tensor.shape[axis:axis + mask.rank], and those axes become one axis holding the
    selected slices (TF.js's booleanMaskAsync)."""
    fn = "boolean_mask_async"
    t = tensor_arg(tensor, fn, "tensor")
    m = tensor_arg(mask, fn, "mask")
    if m.dtype != "bool":
        raise TypeError(f"{fn}: argument 'mask' must be a bool tensor, received {m.dtype}")
    if m.rank == 0:
        raise ValueError(f"{fn}: mask must not be a scalar")
    if isinstance(axis, (list, tuple)):
        raise TypeError(f"{fn}: argument 'axis' must be one int, received {axis!r}")
    (a,) = axes_arg(axis, t.rank, fn)
    if t.shape[a:a + m.rank] != m.shape:
        raise ValueError(f"{fn}: mask's shape {list(m.shape)} must match tensor's shape "
                         f"{list(t.shape)} from axis {a}")
    merged = list(t.shape[:a]) + [int(np.prod(m.shape, dtype=np.int64))] + \
        list(t.shape[a + m.rank:])
    positions = where_async(reshape(m, [-1]))
    return gather(reshape(t, merged), squeeze(positions, [1]), a)
