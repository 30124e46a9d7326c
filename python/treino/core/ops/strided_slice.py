"""strided_slice: TF.js's (and TensorFlow's) general slicing, x[begin:end:strides] per
axis with five bit masks. Bit i of a mask refers to entry i of begin/end/strides:

- begin_mask / end_mask: ignore begin[i] / end[i] (start or stop at the edge);
- ellipsis_mask: entry i stands for as many full axes as needed (at most one bit);
- new_axis_mask: entry i inserts an axis of extent 1 (begin, end, stride ignored);
- shrink_axis_mask: entry i takes the single index begin[i] and drops the axis.

Out-of-range begin and end are clamped as in numpy (and TensorFlow). The whole spec maps
onto one numpy basic index, so the gradient puts dy back at the same positions.
"""
import numpy as np

from .. import autodiff
from ._util import tensor_arg
from .shape import _ints


def _mask(v, fn, arg):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise TypeError(f"{fn}: argument '{arg}' must be a non-negative int (a bit mask), "
                        f"received {v!r}")
    return int(v)


def _index(shape, begin, end, strides, masks, fn):
    """The numpy index tuple for the spec, checked against x's shape."""
    begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_mask = masks
    if bin(ellipsis_mask).count("1") > 1:
        raise ValueError(f"{fn}: argument 'ellipsis_mask' may set at most one bit, received "
                         f"{ellipsis_mask}")
    n = len(begin)
    consumed = sum(1 for i in range(n)
                   if not (ellipsis_mask >> i) & 1 and not (new_axis_mask >> i) & 1)
    if consumed > len(shape):
        raise ValueError(f"{fn}: the spec indexes {consumed} axes but x has rank {len(shape)}")
    index, axis = [], 0
    for i in range(n):
        bit = 1 << i
        if ellipsis_mask & bit:
            full = len(shape) - consumed
            index.extend([np.s_[:]] * full)
            axis += full
        elif new_axis_mask & bit:
            index.append(np.newaxis)
        elif shrink_mask & bit:
            k, extent = begin[i], shape[axis]
            if not -extent <= k < extent:
                raise ValueError(f"{fn}: shrink index begin[{i}]={k} is out of range for axis "
                                 f"{axis} of extent {extent}")
            index.append(k)
            axis += 1
        else:
            if strides[i] == 0:
                raise ValueError(f"{fn}: strides[{i}] must not be 0")
            index.append(slice(None if begin_mask & bit else begin[i],
                               None if end_mask & bit else end[i], strides[i]))
            axis += 1
    return tuple(index)


def strided_slice(x, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0):
    """x[begin:end:strides] per axis, with TensorFlow's masks (see the module docstring)."""
    fn = "strided_slice"
    x = tensor_arg(x, fn)
    b = _ints(begin, fn, "begin")
    e = _ints(end, fn, "end")
    s = [1] * len(b) if strides is None else _ints(strides, fn, "strides")
    if not (len(b) == len(e) == len(s)):
        raise ValueError(f"{fn}: begin, end and strides must have one length, received "
                         f"{len(b)}, {len(e)} and {len(s)}")
    masks = [_mask(v, fn, arg) for v, arg in zip(
        (begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask),
        ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"))]
    idx = _index(x.shape, b, e, s, masks, fn)

    def core(xd):
        y = np.array(xd[idx], order="C")  # a copy: never a view of x
        if y.dtype != np.float32:
            return y, None

        def backward(dy, needs):
            g = np.zeros(xd.shape, np.float32)
            g[idx] = dy
            return (g,)
        return y, backward
    return autodiff.apply(fn, core, (x,))

