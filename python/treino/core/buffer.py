"""TensorBuffer: a mutable array with a shape and a dtype, to fill value by value and
turn into a Tensor (TF.js's tf.buffer and tensor.bufferSync())."""
import numbers

import numpy as np

from .creation import _shape
from .dtypes import NP, check_dtype, to_array
from .tensor import Tensor


class TensorBuffer:
    """`values` is the flat, writable numpy array of the buffer (row-major); `set` and
    `get` address it by one index per axis."""

    def __init__(self, shape, dtype="float32", values=None):
        self.shape = _shape(shape, "buffer")
        self.dtype = check_dtype(dtype, "buffer") or "float32"
        self.size = int(np.prod(self.shape, dtype=np.int64))
        if values is None:
            self.values = np.zeros(self.size, NP[self.dtype])
        else:
            arr = to_array(values, self.dtype, "buffer", "values").reshape(-1)
            if arr.size != self.size:
                raise ValueError(f"buffer: values has {arr.size} elements but shape "
                                 f"{list(self.shape)} needs {self.size}")
            self.values = arr.copy()  # the buffer owns its values
        self.strides = [int(np.prod(self.shape[i + 1:], dtype=np.int64))
                        for i in range(len(self.shape) - 1)]

    @property
    def rank(self):
        return len(self.shape)

    def _index(self, locs, fn):
        locs = list(locs) or [0]
        if len(locs) != max(self.rank, 1):
            raise ValueError(f"TensorBuffer.{fn}: expected {self.rank} indices (one per axis "
                             f"of shape {list(self.shape)}), received {len(locs)}")
        for axis, loc in enumerate(locs):
            if isinstance(loc, bool) or not isinstance(loc, (numbers.Integral, np.integer)):
                raise TypeError(f"TensorBuffer.{fn}: indices must be ints, received {loc!r}")
            extent = self.shape[axis] if self.rank else 1
            if not 0 <= loc < extent:
                raise ValueError(f"TensorBuffer.{fn}: index {loc} is out of range for axis "
                                 f"{axis} of shape {list(self.shape)}")
        return self.loc_to_index(locs) if self.rank else 0

    def set(self, value, *locs):
        """buffer.set(value, i, j, ...): writes one value (a number, or anything holding
        exactly one, such as the data_sync() of a scalar, as TF.js accepts)."""
        v = to_array(value, self.dtype, "TensorBuffer.set", "value")
        if v.size != 1:
            raise ValueError(f"TensorBuffer.set: argument 'value' must be a single value, "
                             f"received shape {list(v.shape)}")
        self.values[self._index(locs, "set")] = v.reshape(())

    def get(self, *locs):
        """buffer.get(i, j, ...): one value, as a Python number (or bool)."""
        return self.values[self._index(locs, "get")].item()

    def loc_to_index(self, locs):
        """The flat index of the position `locs` (one index per axis)."""
        return int(sum(int(l) * s for l, s in zip(locs, self.strides)) + int(locs[-1])) \
            if self.rank else 0

    def index_to_loc(self, index):
        """The position (one index per axis) of the flat index."""
        return [int(i) for i in np.unravel_index(int(index), self.shape)] if self.rank else []

    def to_tensor(self):
        """A Tensor with a copy of the buffer's values (later writes do not reach it)."""
        return Tensor(self.values.reshape(self.shape).copy())

    def __repr__(self):
        return f"<TensorBuffer shape={list(self.shape)} dtype={self.dtype}>"


def buffer(shape, dtype="float32", values=None):
    """tn.buffer(shape, dtype='float32', values=None): a TensorBuffer to fill with
    buffer.set(value, *indices), then buffer.to_tensor()."""
    return TensorBuffer(shape, dtype, values)
