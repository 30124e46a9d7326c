"""Shape and indexing ops: reshape, transpose, expand_dims, squeeze, concat, stack,
split, slice, gather, tile, pad, cast. They move data with numpy; their gradients put
the incoming gradient back where each value came from."""
import builtins
import math
import numbers

import numpy as np

from .. import autodiff
from ..dtypes import NP, check_dtype
from ..tensor import Tensor, Variable
from ._util import axes_arg, contiguous, frozen_data, tensor_arg


def _op(name, inputs, core):
    """Runs core(*arrays) -> (y, backward) as a node; only float32 and complex64 results
    keep the backward (int32 and bool values have no gradient)."""
    def node_core(*arrays):
        y, backward = core(*arrays)
        return y, backward if y.dtype == np.float32 or y.dtype == np.complex64 else None
    return autodiff.apply(name, node_core, inputs)


def _view_source(x):
    """How a view-returning op reads x: a Variable's buffer changes in place (assign,
    optimizer updates), so a view of it is copied to stay immutable."""
    return (lambda d: d.copy()) if isinstance(x, Variable) else (lambda d: d)


def _ints(v, fn, arg):
    if isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool):
        return [int(v)]
    try:
        items = list(v)
    except TypeError:
        raise TypeError(f"{fn}: argument '{arg}' must be a list of ints, received {v!r}") from None
    for i in items:
        if isinstance(i, bool) or not isinstance(i, (numbers.Integral, np.integer)):
            raise TypeError(f"{fn}: argument '{arg}' must be a list of ints, received {v!r}")
    return [int(i) for i in items]


def reshape(x, shape):
    x = tensor_arg(x, "reshape")
    dims = _ints(shape, "reshape", "shape")
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        raise ValueError(f"reshape: argument 'shape' may hold one -1 and otherwise "
                         f"non-negative ints, received {dims}")
    if tuple(dims) == x.shape and not isinstance(x, Variable):
        return x  # tensors are immutable: the same tensor is the reshaped one
    known = math.prod(d for d in dims if d != -1)
    if (-1 in dims and (known == 0 or x.size % known)) or (-1 not in dims and known != x.size):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {list(x.shape)} "
                         f"({x.size} values) into shape {dims}")
    src = _view_source(x)

    def core(xd):
        return src(xd).reshape(dims), lambda dy, needs: (dy.reshape(xd.shape),)
    return _op("reshape", (x,), core)


def transpose(x, perm=None):
    x = tensor_arg(x, "transpose")
    perm = list(range(x.rank))[::-1] if perm is None else _ints(perm, "transpose", "perm")
    if sorted(perm) != list(range(x.rank)):
        raise ValueError(f"transpose: argument 'perm' must be a permutation of "
                         f"{list(range(x.rank))}, received {perm}")
    inv = list(np.argsort(perm))

    src = _view_source(x)

    def core(xd):
        return contiguous(src(xd).transpose(perm)), lambda dy, needs: (
            contiguous(dy.transpose(inv)),)
    return _op("transpose", (x,), core)


def expand_dims(x, axis=0):
    x = tensor_arg(x, "expand_dims")
    (a,) = _ints(axis, "expand_dims", "axis")
    if not -(x.rank + 1) <= a <= x.rank:
        raise ValueError(f"expand_dims: argument 'axis' must be in [{-(x.rank + 1)}, "
                         f"{x.rank}] for a tensor of rank {x.rank}, received {a}")
    src = _view_source(x)

    def core(xd):
        return np.expand_dims(src(xd), a), lambda dy, needs: (dy.reshape(xd.shape),)
    return _op("expand_dims", (x,), core)


def squeeze(x, axis=None):
    x = tensor_arg(x, "squeeze")
    shape = x.shape
    if axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = axes_arg(axis, x.rank, "squeeze")
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: cannot squeeze axis {a} of extent {shape[a]} "
                                 f"(shape {list(shape)}); only extent-1 axes can be removed")
    src = _view_source(x)

    def core(xd):
        return np.squeeze(src(xd), axis=axes), lambda dy, needs: (dy.reshape(xd.shape),)
    return _op("squeeze", (x,), core)


def _tensor_list(xs, fn):
    if isinstance(xs, Tensor) or not isinstance(xs, (list, tuple)) or not xs:
        raise TypeError(f"{fn}: argument 'tensors' must be a non-empty list of tensors")
    ts = [tensor_arg(t, fn, f"tensors[{i}]") for i, t in enumerate(xs)]
    dt = ts[0].dtype
    for i, t in enumerate(ts):
        if t.dtype != dt:
            raise TypeError(f"{fn}: all tensors must have one dtype: tensors[0] is {dt}, "
                            f"tensors[{i}] is {t.dtype}")
    return ts


def concat(tensors, axis=0):
    ts = _tensor_list(tensors, "concat")
    rank = ts[0].rank
    (a,) = axes_arg(axis, rank, "concat")
    for i, t in enumerate(ts):
        if t.rank != rank or any(t.shape[d] != ts[0].shape[d] for d in range(rank) if d != a):
            raise ValueError(f"concat: tensors[{i}] has shape {list(t.shape)}, which does not "
                             f"match tensors[0] {list(ts[0].shape)} outside axis {a}")
    bounds = np.cumsum([t.shape[a] for t in ts])[:-1]

    def core(*arrays):
        return contiguous(np.concatenate(arrays, axis=a)), lambda dy, needs: tuple(
            contiguous(p) for p in np.split(dy, bounds, axis=a))
    return _op("concat", tuple(ts), core)


def stack(tensors, axis=0):
    ts = _tensor_list(tensors, "stack")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ValueError(f"stack: all tensors must have one shape: tensors[0] is "
                             f"{list(ts[0].shape)}, tensors[{i}] is {list(t.shape)}")
    rank = ts[0].rank + 1
    (a,) = _ints(axis, "stack", "axis")
    if not -rank <= a < rank:
        raise ValueError(f"stack: argument 'axis' must be in [{-rank}, {rank - 1}], received {a}")
    a %= rank
    def core(*arrays):
        return contiguous(np.stack(arrays, axis=a)), lambda dy, needs: tuple(
            contiguous(np.take(dy, i, axis=a)) for i in range(len(arrays)))
    return _op("stack", tuple(ts), core)


def unstack(x, axis=0):
    x = tensor_arg(x, "unstack")
    (a,) = axes_arg(axis, x.rank, "unstack")
    return [squeeze(p, a) for p in split(x, x.shape[a], a)]


def split(x, num_or_size_splits, axis=0):
    """TF.js split: an int n (the axis must divide evenly) or a list of sizes (one may
    be -1)."""
    x = tensor_arg(x, "split")
    (a,) = axes_arg(axis, x.rank, "split")
    n = x.shape[a]
    if isinstance(num_or_size_splits, (numbers.Integral, np.integer)):
        k = int(num_or_size_splits)
        if k < 1 or n % k:
            raise ValueError(f"split: axis {a} of extent {n} cannot be split into "
                             f"{num_or_size_splits} equal parts")
        sizes = [n // k] * k
    else:
        sizes = _ints(num_or_size_splits, "split", "num_or_size_splits")
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = n - (builtins.sum(sizes) + 1)
        if any(s < 0 for s in sizes) or builtins.sum(sizes) != n:
            raise ValueError(f"split: sizes {list(num_or_size_splits)} must add up to the "
                             f"extent {n} of axis {a}")
    outs, start = [], 0
    for s in sizes:
        outs.append(slice(x, [start if d == a else 0 for d in range(x.rank)],
                          [s if d == a else -1 for d in range(x.rank)]))
        start += s
    return outs


def slice(x, begin, size=None):  # noqa: A001 (tn.slice, as TF.js)
    """TF.js slice: `begin` per axis (an int slices axis 0 only), `size` per axis (-1 or
    omitted: to the end)."""
    x = tensor_arg(x, "slice")
    b = _ints(begin, "slice", "begin")
    s = [-1] * len(b) if size is None else _ints(size, "slice", "size")
    if len(b) > x.rank or len(s) != len(b):
        raise ValueError(f"slice: 'begin' {b} and 'size' {s} must have one entry per axis "
                         f"(at most {x.rank})")
    b += [0] * (x.rank - len(b))
    s += [-1] * (x.rank - len(s))
    idx = []
    for d, (bd, sd) in enumerate(zip(b, s)):
        n = x.shape[d]
        sd = n - bd if sd == -1 else sd
        if bd < 0 or sd < 0 or bd + sd > n:
            raise ValueError(f"slice: begin {b} with size {s} is out of bounds for a tensor "
                             f"of shape {list(x.shape)} (axis {d})")
        idx.append(np.s_[bd:bd + sd])
    idx = tuple(idx)
    src = _view_source(x)

    def core(xd):
        def backward(dy, needs):
            g = np.zeros(xd.shape, dy.dtype)
            g[idx] = dy
            return (g,)
        return contiguous(src(xd)[idx]), backward
    return _op("slice", (x,), core)


def gather(x, indices, axis=0):
    x = tensor_arg(x, "gather")
    idx = tensor_arg(indices, "gather", "indices")
    if idx.dtype != "int32" and not (idx.dtype == "float32" and np.all(np.mod(idx._data, 1) == 0)):
        raise TypeError(f"gather: argument 'indices' must be int32, received {idx.dtype}")
    (a,) = axes_arg(axis, x.rank, "gather")

    def core(xd, ind):
        # Checked here, on every run: the indices may be a new batch each step.
        if ind.dtype != np.int32:
            if not np.all(np.mod(ind, 1) == 0):
                raise TypeError("gather: argument 'indices' must hold integers")
            ind = ind.astype(np.int32)
        n = xd.shape[a]
        if ind.size and (ind.min() < 0 or ind.max() >= n):
            bad = ind[(ind < 0) | (ind >= n)].ravel()[0]
            raise ValueError(f"gather: index {bad} is out of range [0, {n}) for axis {a} of "
                             f"a tensor of shape {list(xd.shape)}")

        def backward(dy, needs):
            g = np.zeros(xd.shape, np.float32)
            moved = np.moveaxis(g, a, 0)
            dyv = dy.reshape(xd.shape[:a] + (ind.size,) + xd.shape[a + 1:])
            np.add.at(moved, ind.ravel(), np.moveaxis(dyv, a, 0))
            return (g, None)
        return contiguous(np.take(xd, ind, axis=a)), backward
    return _op("gather", (x, idx), core)


def tile(x, reps):
    x = tensor_arg(x, "tile")
    r = _ints(reps, "tile", "reps")
    if len(r) != x.rank or any(v < 0 for v in r):
        raise ValueError(f"tile: argument 'reps' must have one non-negative int per axis "
                         f"({x.rank}), received {r}")
    def core(xd):
        def backward(dy, needs):
            split_shape = [v for pair in zip(r, xd.shape) for v in pair]
            g = dy.reshape(split_shape).sum(axis=tuple(range(0, 2 * xd.ndim, 2)),
                                            dtype=np.float32)
            return (contiguous(g),)
        return contiguous(np.tile(xd, r)), backward
    return _op("tile", (x,), core)


def pad(x, paddings, constant_value=0):
    """paddings: one [before, after] pair per axis."""
    x = tensor_arg(x, "pad")
    try:
        pads = [tuple(_ints(p, "pad", "paddings")) for p in paddings]
    except TypeError:
        raise TypeError(f"pad: argument 'paddings' must be a list of [before, after] pairs, "
                        f"received {paddings!r}") from None
    if len(pads) != x.rank or any(len(p) != 2 or min(p) < 0 for p in pads):
        raise ValueError(f"pad: argument 'paddings' must hold one non-negative [before, "
                         f"after] pair per axis ({x.rank}), received {paddings!r}")
    idx = tuple(np.s_[b:b + n] for (b, _), n in zip(pads, x.shape))

    def core(xd):
        return contiguous(np.pad(xd, pads, constant_values=constant_value)), \
            lambda dy, needs: (contiguous(dy[idx]),)
    return _op("pad", (x,), core)


def cast(x, dtype):
    """x as `dtype` ('float32', 'int32' or 'bool'), as TF.js's CPU backend casts.

    To int32, float values follow JavaScript's ToInt32 (TF.js fills an Int32Array): NaN
    and +-infinity become 0, other values are truncated toward zero and wrapped modulo
    2**32 into [-2**31, 2**31), so cast(3e9, 'int32') is -1294967296. To bool, every
    non-zero value (NaN included) is True. A cast to or from int32 or bool has no
    gradient. To and from 'complex64' (TF.js's): a real tensor gets zero imaginary parts,
    a complex one keeps its real parts (ops/complex.py)."""
    x = tensor_arg(x, "cast")
    dt = check_dtype(dtype, "cast", allow_complex=True)
    if dt == x.dtype:
        if not isinstance(x, Variable):
            return x
        # A Variable changes in place: its cast is a copy (a float32 one is differentiable).
        return _op("cast", (x,), lambda xd: (xd.copy(), lambda dy, needs: (dy,)))
    if dt == "complex64" or x.dtype == "complex64":
        from .complex import cast as cast_complex  # (complex.py imports this module)
        return cast_complex(x, dt)
    to_int = dt == "int32" and x.dtype == "float32"
    np_dtype = NP[dt]

    def core(xd):
        out = _to_int32_wrapping(xd) if to_int else xd.astype(np_dtype)
        return contiguous(out), None
    return autodiff.apply("cast", core, (x,))


def _to_int32_wrapping(xd):
    """JavaScript's ToInt32 on float32 values, exact in float64: every float32 is exact
    there, and so is the remainder of a whole number by 2**32."""
    t = np.trunc(xd.astype(np.float64))
    t = np.mod(np.where(np.isfinite(t), t, 0.0), 2.0 ** 32)  # [0, 2**32)
    return np.where(t >= 2.0 ** 31, t - 2.0 ** 32, t).astype(np.int32)
