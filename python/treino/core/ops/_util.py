"""Argument handling shared by the op modules."""
import numbers

import numpy as np

from ... import _kernels as K
from .. import autodiff
from ..dtypes import NP, to_array
from ..tensor import Tensor, Variable


def contiguous(a, dtype=None):
    """a as a C-contiguous array (itself when it already is). Unlike
    np.ascontiguousarray, a 0-d array stays 0-d."""
    return np.asarray(a, dtype=dtype, order="C")


def frozen_data(x):
    """x's values for an op whose result may be a view of its input: a Variable's buffer
    changes in place (assign, optimizer updates), so a view of it would not stay
    immutable; it is copied. Other tensors never change and are shared."""
    return x._data.copy() if isinstance(x, Variable) else x._data


def tensor_arg(x, fn, arg="x"):
    """x as a Tensor (numbers, lists and numpy arrays are converted)."""
    if isinstance(x, Tensor):
        return x
    return Tensor(to_array(x, None, fn, arg))


def float_data(x, fn, arg="x"):
    """x's values as float32 (int32/bool tensors are cast, as TF.js does for float math)."""
    d = x._data
    return d if d.dtype == np.float32 else d.astype(np.float32)


_RANK = {"bool": 0, "int32": 1, "float32": 2, "complex64": 3}


def pair(a, b, fn):
    """Two operands of one dtype, upcast as TF.js does (bool < int32 < float32 <
    complex64). A Python number or array meeting a tensor takes the tensor's dtype when it
    fits (so an int32 tensor plus 1 stays int32), else the common type; a Python complex
    number makes a complex64 operand."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if not ta:
        a = Tensor(_convert(a, b if tb else None, fn, "a"))
    if not tb:
        b = Tensor(_convert(b, a, fn, "b"))
    da, db = a.dtype, b.dtype
    if da != db:
        target = da if _RANK[da] > _RANK[db] else db
        a = a if da == target else upcast(a, target)
        b = b if db == target else upcast(b, target)
    return a, b


def upcast(x, dtype):
    """x converted to a wider dtype, as a node (no gradient, but from float32 to complex64:
    the gradient's real part), so that a captured step converts each new batch too."""
    np_dtype = NP[dtype]
    if dtype == "complex64" and x._data.dtype == np.float32:
        return autodiff.apply("cast", lambda d: (d.astype(np_dtype), lambda dy, needs: (
            np.array(dy.real, np.float32, order="C"),)), (x,))
    return autodiff.apply("cast", lambda d: (d.astype(np_dtype), None), (x,))


def _convert(v, other, fn, arg):
    if type(v) is float and other is not None and other._data.dtype == np.float32:
        return np.array(v, np.float32)  # the common `x * 0.5`: one call, same value
    if type(v) is complex or isinstance(v, np.complexfloating) or (
            isinstance(v, np.ndarray) and v.dtype.kind == "c"):
        return np.asarray(v, np.complex64, order="C")
    if other is not None and other.dtype == "int32" and _is_integral(v):
        return to_array(v, "int32", fn, arg)
    if other is not None and other.dtype == "float32":
        return to_array(v, "float32", fn, arg)
    return to_array(v, None, fn, arg)


def _is_integral(v):
    if isinstance(v, (bool, np.bool_, numbers.Integral, np.integer)):
        return True
    if isinstance(v, numbers.Real):
        return float(v).is_integer()
    arr = v if isinstance(v, np.ndarray) else np.asarray(v)
    return arr.dtype.kind in "biu"


def unbroadcast(g, shape):
    """Sums the gradient g (of the broadcast shape) back to an operand's `shape`, one
    native call (deterministic blocked sums)."""
    if g.shape == shape:
        # numpy turns a product of rank-0 arrays into a scalar, which kernels refuse
        return g if type(g) is np.ndarray else np.asarray(g, np.float32)
    if g.dtype != np.float32 or not g.flags.c_contiguous:
        g = contiguous(g, np.float32)
    return K.sum_to_shape(g, shape)


def axes_arg(axis, rank, fn, arg="axis"):
    """Normalised sorted tuple of axes (None: all). Raises for out-of-range or repeats."""
    if axis is None:
        return tuple(range(rank))
    if type(axis) is int and -rank <= axis < rank:  # the common single axis, quickly
        return (axis % rank,)
    items = [axis] if isinstance(axis, (numbers.Integral, np.integer)) else list(axis)
    out = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, (numbers.Integral, np.integer)):
            raise TypeError(f"{fn}: argument '{arg}' must be an int, a list of ints or None, "
                            f"received {axis!r}")
        if not -rank <= a < max(rank, 1) or (rank == 0 and a not in (0, -1)):
            raise ValueError(f"{fn}: argument '{arg}' is out of range for a tensor of rank "
                             f"{rank}: received {axis!r}")
        out.append(int(a) % max(rank, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{fn}: argument '{arg}' repeats an axis: {axis!r}")
    return tuple(sorted(out)) if rank else ()


def f32(arr):
    return arr if arr.dtype == np.float32 else arr.astype(np.float32)


NP_DTYPES = NP
