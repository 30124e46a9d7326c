"""Tensor creation: tn.tensor, scalar, zeros, ones, fill, *_like, one_hot, linspace, range."""
import numbers

import numpy as np

from . import autodiff
from ._args import int_arg
from .dtypes import NP, check_dtype, to_array
from .tensor import Tensor, value_reads


def _shape(shape, fn, arg="shape"):
    if isinstance(shape, (numbers.Integral, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{fn}: argument '{arg}' must be a list of non-negative ints, "
                        f"received {shape!r}") from None
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (numbers.Integral, np.integer)) or d < 0:
            raise ValueError(f"{fn}: argument '{arg}' must be a list of non-negative ints, "
                             f"received {list(dims)}")
    return tuple(int(d) for d in dims)


def tensor(values, shape=None, dtype=None):
    """tn.tensor(values, shape=None, dtype=None): values as nested lists, a number, a
    numpy array or a Tensor; with `shape`, the values are read in row-major order."""
    if isinstance(values, Tensor):
        value_reads[0] += 1  # its values are copied: a traced function doing this runs as a slot
    src = values._data if isinstance(values, Tensor) else values
    arr = to_array(src, dtype, "tensor")
    if shape is not None:
        shape = _shape(shape, "tensor")
        n = int(np.prod(shape, dtype=np.int64))
        if arr.size == 1 and n != 1 and arr.ndim == 0:
            arr = np.full(shape, arr.item(), arr.dtype)  # TF.js fills from a scalar
        elif arr.size != n:
            raise ValueError(f"tensor: based on the provided shape {list(shape)}, the tensor "
                             f"should have {n} values but has {arr.size}")
        else:
            arr = arr.reshape(shape)
    if isinstance(src, np.ndarray) and np.may_share_memory(arr, src):
        arr = arr.copy()  # later changes to the caller's array must not reach the tensor
    return Tensor(arr)


def scalar(value, dtype=None):
    arr = to_array(value, dtype, "scalar", "value")
    if arr.ndim != 0:
        raise ValueError(f"scalar: argument 'value' must be a single number or boolean, "
                         f"received shape {list(arr.shape)}; use tn.tensor")
    return Tensor(arr)


def _dtype(dtype, fn, allow_complex=False):
    return check_dtype(dtype, fn, allow_complex=allow_complex) or "float32"


def zeros(shape, dtype="float32"):
    """Zeros of `dtype` ('complex64' too, as TF.js)."""
    return Tensor(np.zeros(_shape(shape, "zeros"), NP[_dtype(dtype, "zeros", True)]))


def ones(shape, dtype="float32"):
    """Ones of `dtype` ('complex64' too: 1 + 0i, as TF.js)."""
    return Tensor(np.ones(_shape(shape, "ones"), NP[_dtype(dtype, "ones", True)]))


def fill(shape, value, dtype=None):
    if dtype is None:
        dtype = "bool" if isinstance(value, (bool, np.bool_)) else "float32"
    return Tensor(np.full(_shape(shape, "fill"), to_array(value, dtype, "fill", "value")))


def _like(x, fn):
    if not isinstance(x, Tensor):
        x = tensor(x)
    return x


def zeros_like(x):
    x = _like(x, "zeros_like")
    return autodiff.apply("zeros_like", lambda d: (np.zeros_like(d), None), (x,))


def ones_like(x):
    x = _like(x, "ones_like")
    return autodiff.apply("ones_like", lambda d: (np.ones_like(d), None), (x,))


def one_hot(indices, depth, on_value=1, off_value=0, dtype="int32"):
    """TF.js's oneHot: int indices (any shape) -> shape + [depth]; out-of-range indices
    give an all-off row, as in TF.js."""
    if not isinstance(indices, Tensor):
        indices = Tensor(to_array(indices, "int32", "one_hot", "indices"))
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"one_hot: argument 'indices' must be int32, received {indices.dtype}")
    if isinstance(depth, bool) or not isinstance(depth, (numbers.Integral, np.integer)) or depth < 1:
        raise ValueError(f"one_hot: argument 'depth' must be an int >= 1, received {depth!r}")
    dt = NP[_dtype(dtype, "one_hot")]
    depth = int(depth)

    def core(idx):  # a node: a captured step one-hot encodes each new batch
        out = np.full(idx.shape + (depth,), off_value, dt)
        valid = (idx >= 0) & (idx < depth)
        rows = np.nonzero(valid.ravel())[0]
        out.reshape(-1, depth)[rows, idx.ravel()[rows]] = on_value
        return out, None
    return autodiff.apply("one_hot", core, (indices,))


def linspace(start, stop, num):
    if isinstance(num, bool) or not isinstance(num, (numbers.Integral, np.integer)) or num < 1:
        raise ValueError(f"linspace: argument 'num' must be an int >= 1, received {num!r}")
    return Tensor(np.linspace(start, stop, int(num), dtype=np.float64).astype(np.float32))


def range_(start, stop=None, step=1, dtype="float32"):
    """tn.range(start, stop, step=1, dtype='float32'), as TF.js (stop exclusive)."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("range: argument 'step' must not be 0")
    return Tensor(np.arange(start, stop, step, dtype=np.float64).astype(NP[_dtype(dtype, "range")]))


def _tensor_nd(rank):
    """TF.js's tensor1d ... tensor6d: tn.tensor whose result must have `rank` axes.
    Nested values must already have that rank; flat values need `shape` (rank >= 2)."""
    fn = f"tensor{rank}d"

    def make(values, shape=None, dtype=None):
        if shape is not None and len(_shape(shape, fn)) != rank:
            raise ValueError(f"{fn}: argument 'shape' must have {rank} entries, received "
                             f"{list(_shape(shape, fn))}")
        src = values._data if isinstance(values, Tensor) else values
        try:
            inferred = np.ndim(src)
        except ValueError:  # ragged nesting: tn.tensor explains
            return tensor(values, shape, dtype)
        if inferred != rank and not (inferred == 1 and rank > 1):
            want = "a flat list" if rank == 1 else f"nested to depth {rank} or flat"
            raise ValueError(f"{fn}: values must be {want}, received values of rank {inferred}")
        if inferred != rank and shape is None:
            raise ValueError(f"{fn}: argument 'shape' is required when values are flat")
        return tensor(values, shape, dtype)

    if rank == 1:
        def tensor1d(values, dtype=None):
            return make(values, None, dtype)
        tensor1d.__doc__ = "tn.tensor1d(values, dtype=None): a rank-1 tensor from a flat list."
        return tensor1d
    make.__name__ = make.__qualname__ = fn
    make.__doc__ = (f"tn.{fn}(values, shape=None, dtype=None): a rank-{rank} tensor from "
                    f"values nested to depth {rank}, or flat values with `shape`.")
    return make


tensor1d = _tensor_nd(1)
tensor2d = _tensor_nd(2)
tensor3d = _tensor_nd(3)
tensor4d = _tensor_nd(4)
tensor5d = _tensor_nd(5)
tensor6d = _tensor_nd(6)


def eye(num_rows, num_columns=None, batch_shape=None, dtype="float32"):
    """An identity matrix [num_rows, num_columns] (square by default), repeated over
    `batch_shape` (up to 3 leading axes, as TF.js) when given."""
    rows = int_arg(num_rows, "eye", "num_rows", 0)
    cols = rows if num_columns is None else int_arg(num_columns, "eye", "num_columns", 0)
    m = np.eye(rows, cols, dtype=NP[_dtype(dtype, "eye")])
    if batch_shape is not None:
        batch = _shape(batch_shape, "eye", "batch_shape")
        if not 1 <= len(batch) <= 3:
            raise ValueError(f"eye: argument 'batch_shape' must have 1 to 3 entries, "
                             f"received {list(batch)}")
        m = np.array(np.broadcast_to(m, batch + m.shape), order="C")
    return Tensor(m)
