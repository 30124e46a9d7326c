"""More shape ops: broadcast_to, broadcast_args, ensure_shape, clone, reverse,
mirror_pad, meshgrid, and TF.js's rank-checked forms (reverse1d..4d, slice1d..4d,
pad1d..4d, concat1d..4d). Gradients put dy back where each value came from."""
import numbers

import numpy as np

from .. import autodiff
from ..dtypes import to_array
from ..tensor import Tensor
from ._util import axes_arg, contiguous, tensor_arg, unbroadcast
from .shape import _ints, concat, pad, reshape, slice  # noqa: A004


def _shape_list(shape, fn, arg="shape", allow_none=False):
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    try:
        dims = list(shape)
    except TypeError:
        raise TypeError(f"{fn}: argument '{arg}' must be a list of ints, received "
                        f"{shape!r}") from None
    for d in dims:
        ok = d is None if allow_none else False
        if not ok and (isinstance(d, bool) or not isinstance(d, (numbers.Integral, np.integer))
                       or d < 0):
            raise ValueError(f"{fn}: argument '{arg}' must be a list of non-negative ints"
                             f"{' or None' if allow_none else ''}, received {dims}")
    return [d if d is None else int(d) for d in dims]


def broadcast_to(x, shape):
    """x repeated along its extent-1 axes (and new leading axes) to `shape`, as numpy's
    broadcasting; the gradient sums back over the repeated axes."""
    x = tensor_arg(x, "broadcast_to")
    shape = tuple(_shape_list(shape, "broadcast_to"))
    if x.rank > len(shape):
        raise ValueError(f"broadcast_to: x has rank {x.rank}, more than the rank "
                         f"{len(shape)} of shape {list(shape)}")
    padded = (1,) * (len(shape) - x.rank) + x.shape
    for d, want in zip(padded, shape):
        if d != want and d != 1:
            raise ValueError(f"broadcast_to: x of shape {list(x.shape)} cannot be broadcast "
                             f"to {list(shape)}: each axis must match or be 1")

    def core(xd):
        y = np.array(np.broadcast_to(xd, shape), order="C")  # a copy, never a view
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: (unbroadcast(dy, xd.shape),)
    return autodiff.apply("broadcast_to", core, (x,))


def broadcast_args(s0, s1):
    """The shape two shapes broadcast to, as an int32 vector (TF.js's broadcastArgs)."""
    shapes = []
    for arg, s in (("s0", s0), ("s1", s1)):
        arr = s._data if isinstance(s, Tensor) else to_array(s, "int32", "broadcast_args", arg)
        if arr.ndim != 1:
            raise ValueError(f"broadcast_args: argument '{arg}' must be a vector (rank 1), "
                             f"received shape {list(arr.shape)}")
        if arr.dtype.kind not in "iu" and not (arr.size == 0 or np.all(np.mod(arr, 1) == 0)):
            raise TypeError(f"broadcast_args: argument '{arg}' must hold ints, received {arr}")
        shapes.append(tuple(int(d) for d in arr))
    try:
        out = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"broadcast_args: shapes {list(shapes[0])} and {list(shapes[1])} do "
                         f"not broadcast together") from None
    return Tensor(np.asarray(out, np.int32).reshape(len(out)))


def ensure_shape(x, shape):
    """x itself when its shape matches `shape` (None matches any extent), else a
    ValueError."""
    x = tensor_arg(x, "ensure_shape")
    want = _shape_list(shape, "ensure_shape", allow_none=True)
    if len(want) != x.rank or any(w is not None and w != d for w, d in zip(want, x.shape)):
        raise ValueError(f"ensure_shape: x has shape {list(x.shape)}, which is not "
                         f"compatible with the expected shape {want}")
    return x


def clone(x):
    """A new tensor with x's values (TF.js's clone: an identity op, differentiable)."""
    x = tensor_arg(x, "clone")

    def core(xd):
        y = xd.copy()
        differentiable = y.dtype == np.float32 or y.dtype == np.complex64
        return y, (lambda dy, needs: (dy,)) if differentiable else None
    return autodiff.apply("clone", core, (x,))


def reverse(x, axis=None):
    """x with the order of its values reversed along `axis` (an int, a list, or None for
    every axis)."""
    x = tensor_arg(x, "reverse")
    axes = axes_arg(axis, x.rank, "reverse")

    def core(xd):
        y = np.flip(xd, axes).copy()  # a copy (C order), never a view of x
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: (np.flip(dy, axes).copy(),)
    return autodiff.apply("reverse", core, (x,))


def _rank_checked(fn, x, rank):
    x = tensor_arg(x, fn)
    if x.rank != rank:
        raise ValueError(f"{fn}: x must have rank {rank}, received shape {list(x.shape)}")
    return x


def reverse1d(x):
    return reverse(_rank_checked("reverse1d", x, 1))


def reverse2d(x, axis=None):
    return reverse(_rank_checked("reverse2d", x, 2), axis)


def reverse3d(x, axis=None):
    return reverse(_rank_checked("reverse3d", x, 3), axis)


def reverse4d(x, axis=None):
    return reverse(_rank_checked("reverse4d", x, 4), axis)


def slice1d(x, begin, size):
    return slice(_rank_checked("slice1d", x, 1), [begin], [size])


def slice2d(x, begin, size):
    return slice(_rank_checked("slice2d", x, 2), begin, size)


def slice3d(x, begin, size):
    return slice(_rank_checked("slice3d", x, 3), begin, size)


def slice4d(x, begin, size):
    return slice(_rank_checked("slice4d", x, 4), begin, size)


def pad1d(x, paddings, constant_value=0):
    """paddings: one [before, after] pair."""
    return pad(_rank_checked("pad1d", x, 1), [paddings], constant_value)


def pad2d(x, paddings, constant_value=0):
    return pad(_rank_checked("pad2d", x, 2), paddings, constant_value)


def pad3d(x, paddings, constant_value=0):
    return pad(_rank_checked("pad3d", x, 3), paddings, constant_value)


def pad4d(x, paddings, constant_value=0):
    return pad(_rank_checked("pad4d", x, 4), paddings, constant_value)


def _concat_nd(fn, tensors, axis, rank):
    if isinstance(tensors, (list, tuple)):
        for i, t in enumerate(tensors):
            t = tensor_arg(t, fn, f"tensors[{i}]")
            if t.rank != rank:
                raise ValueError(f"{fn}: every tensor must have rank {rank}, tensors[{i}] "
                                 f"has shape {list(t.shape)}")
    return concat(tensors, axis)


def concat1d(tensors):
    return _concat_nd("concat1d", tensors, 0, 1)


def concat2d(tensors, axis=0):
    return _concat_nd("concat2d", tensors, axis, 2)


def concat3d(tensors, axis=0):
    return _concat_nd("concat3d", tensors, axis, 3)


def concat4d(tensors, axis=0):
    return _concat_nd("concat4d", tensors, axis, 4)


def mirror_pad(x, paddings, mode):
    """Pads with x's own values mirrored at each edge: 'reflect' leaves the edge value
    out (before <= extent - 1), 'symmetric' repeats it (before <= extent). The gradient
    adds every mirrored copy's dy back to its source (TF.js's keeps only the centre)."""
    x = tensor_arg(x, "mirror_pad")
    if mode not in ("reflect", "symmetric"):
        raise ValueError(f"mirror_pad: argument 'mode' must be 'reflect' or 'symmetric', "
                         f"received {mode!r}")
    if x.rank == 0:
        raise ValueError("mirror_pad: x must have rank >= 1, received a scalar")
    try:
        pads = [tuple(_ints(p, "mirror_pad", "paddings")) for p in paddings]
    except TypeError:
        raise TypeError(f"mirror_pad: argument 'paddings' must be a list of [before, after] "
                        f"pairs, received {paddings!r}") from None
    offset = 1 if mode == "reflect" else 0
    if len(pads) != x.rank or any(len(p) != 2 for p in pads):
        raise ValueError(f"mirror_pad: argument 'paddings' must hold one [before, after] "
                         f"pair per axis ({x.rank}), received {paddings!r}")
    for d, ((b, a), n) in enumerate(zip(pads, x.shape)):
        if not (0 <= b <= n - offset and 0 <= a <= n - offset):
            raise ValueError(f"mirror_pad: paddings {list(pads[d])} of axis {d} must be in "
                             f"[0, {n - offset}] for mode {mode!r} and shape {list(x.shape)}")
    # Where each output position reads from, per axis.
    sources = [np.pad(np.arange(n), p, mode=mode) for n, p in zip(x.shape, pads)]

    def core(xd):
        y = contiguous(np.pad(xd, pads, mode=mode))
        if y.dtype != np.float32:
            return y, None

        def backward(dy, needs):
            g = dy
            for d, src in enumerate(sources):
                acc = np.zeros(g.shape[:d] + (xd.shape[d],) + g.shape[d + 1:], np.float32)
                np.add.at(np.moveaxis(acc, d, 0), src, np.moveaxis(g, d, 0))
                g = acc
            return (g,)
        return y, backward
    return autodiff.apply("mirror_pad", core, (x,))


def meshgrid(x=None, y=None, indexing="xy"):
    """Coordinate matrices from two vectors (flattened first): with 'xy' both are
    [len(y), len(x)], with 'ij' [len(x), len(y)]. No argument gives [], x alone [x]."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: argument 'indexing' must be 'xy' or 'ij', received "
                         f"{indexing!r}")
    if x is None:
        return []
    x = tensor_arg(x, "meshgrid", "x")
    if y is None:
        return [x]
    y = tensor_arg(y, "meshgrid", "y")
    w, h = x.size, y.size
    if indexing == "xy":
        return [broadcast_to(reshape(x, [1, -1]), [h, w]),
                broadcast_to(reshape(y, [-1, 1]), [h, w])]
    return [broadcast_to(reshape(x, [-1, 1]), [w, h]), broadcast_to(reshape(y, [1, -1]), [w, h])]
