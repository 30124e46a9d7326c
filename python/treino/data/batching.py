"""Stacking a list of same-structured dataset elements into one batch.

The structure of the first element decides the structure of the batch: dicts and tuples
are recursed into (keys and positions kept), every other value is a leaf stacked into a
Tensor whose axis 0 is the batch. Lists follow TF.js: a (nested) list of numbers is tensor
data and becomes a leaf, while a list holding Tensors, arrays, dicts or tuples (as
`tn.data.zip([a, b])` produces) is structure and keeps its nesting.
"""
import numbers

import numpy as np

from ..core.dtypes import to_array
from ..core.tensor import Tensor

_NUMBER = (numbers.Number, np.generic)


def is_structure(x):
    """Whether batching recurses into `x` rather than stacking it."""
    if isinstance(x, (dict, tuple)):
        return True
    return isinstance(x, list) and not _is_tensor_like_list(x)


def _is_tensor_like_list(x):
    while isinstance(x, list):
        if not x:
            return True
        x = x[0]
    return isinstance(x, _NUMBER) and not isinstance(x, (np.str_, np.bytes_))


def batch_elements(rows, first_index=0):
    """The batch of `rows` (a non-empty list of elements); `first_index` is the dataset
    index of rows[0], used only in error messages."""
    return _batch(rows, (), first_index)


def _path_str(path):
    """How messages name a position inside an element: "the value" or "['xs'][0]"."""
    return "the value" if not path else "".join(f"[{p!r}]" for p in path)


def _batch(rows, path, first_index):
    head = rows[0]
    if isinstance(head, dict):
        keys = list(head)
        for i, r in enumerate(rows):
            if not isinstance(r, dict) or (len(r) != len(keys) or any(k not in r for k in keys)):
                raise ValueError(
                    f"batch: every element must have the structure of the first one; "
                    f"{_path_str(path)} of element {first_index} has keys {keys} but element "
                    f"{first_index + i} has {_describe(r)}")
        return {k: _batch([r[k] for r in rows], path + (k,), first_index) for k in keys}
    if is_structure(head):
        kind, n = type(head), len(head)
        for i, r in enumerate(rows):
            if type(r) is not kind or len(r) != n:
                raise ValueError(
                    f"batch: every element must have the structure of the first one; "
                    f"{_path_str(path)} of element {first_index} is a {kind.__name__} of "
                    f"length {n} but element {first_index + i} is {_describe(r)}")
        out = [_batch([r[j] for r in rows], path + (j,), first_index) for j in range(n)]
        return tuple(out) if kind is tuple else out
    return Tensor(_stack_leaf(rows, path, first_index))


def _describe(x):
    if isinstance(x, dict):
        return f"keys {list(x)}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a {type(x).__name__}"


def _stack_leaf(values, path, first_index):
    head = values[0]
    if isinstance(head, (Tensor, np.ndarray)):
        arrays = [_as_array(v) for v in values]
        shape = arrays[0].shape
        for a in arrays:
            if a.shape != shape:
                _diagnose(values, path, first_index)
    try:
        if isinstance(head, (Tensor, np.ndarray)):
            # concatenate + reshape is several times faster than np.stack for rows
            stacked = (np.concatenate(arrays).reshape((len(arrays),) + shape) if shape
                       else np.array(arrays))
            return to_array(stacked, fn="batch", arg="elements")
        if isinstance(head, np.generic):
            return to_array(np.array(values), fn="batch", arg="elements")
        # Python numbers, bools and nested lists: TF.js's inference (numbers -> float32).
        return to_array(values, fn="batch", arg="elements")
    except (ValueError, TypeError) as e:
        error = e
    _diagnose(values, path, first_index)
    raise ValueError(f"batch: cannot stack {_path_str(path)} of elements "
                     f"{first_index}..{first_index + len(values) - 1}: {error}")


def _as_array(v):
    return v._data if isinstance(v, Tensor) else np.asarray(v)


def _diagnose(values, path, first_index):
    """Raises the specific error for a leaf that failed to stack."""
    where = _path_str(path)
    shapes = []
    for i, v in enumerate(values):
        if v is None:
            raise ValueError(f"batch: {where} of element {first_index + i} is None; fill "
                             f"missing values (e.g. with map) before batching")
        if isinstance(v, (str, bytes, np.str_, np.bytes_)):
            raise TypeError(f"batch: {where} of element {first_index + i} is a string "
                            f"({v!r}); tensors hold numbers and booleans only, so map "
                            f"strings to numbers before batching")
        try:
            arr = _as_array(v)
        except ValueError:
            raise ValueError(f"batch: {where} of element {first_index + i} is a ragged "
                             f"nested list and cannot become a tensor") from None
        if arr.dtype == object:
            raise ValueError(f"batch: {where} of element {first_index + i} is a ragged "
                             f"nested list or holds non-numeric values ({type(v).__name__})")
        shapes.append(arr.shape)
        if arr.shape != shapes[0]:
            raise ValueError(
                f"batch: elements of a batch must have the same shape, but {where} has "
                f"shape {list(shapes[0])} in element {first_index} and shape "
                f"{list(arr.shape)} in element {first_index + i}")
