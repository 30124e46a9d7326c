"""TF.js's tf.sparse namespace: sparse_segment_sum / sparse_segment_mean,
sparse_reshape and sparse_fill_empty_rows, over a sparse tensor given as (indices
[n, rank], values [n], dense_shape [rank]) as TensorFlow represents one.

The segment reductions and sparse_fill_empty_rows have output shapes that depend on
values, so they count as reading values, as the ops of dynamic.py do. TF.js defines no
gradients for them; the segment reductions have one for `data` here (each output row's
gradient goes back to the rows it gathered).
"""
import numpy as np

from .. import autodiff
from ..dtypes import to_array
from ..tensor import Tensor
from ._result import result_type
from ._util import contiguous, tensor_arg
from .dynamic import _reads_values


def _int_arg(v, fn, arg, rank):
    t = v if isinstance(v, Tensor) else Tensor(to_array(v, "int32", fn, arg))
    if t.dtype != "int32":
        raise TypeError(f"{fn}: argument '{arg}' must be int32, received {t.dtype}")
    if t.rank != rank:
        raise ValueError(f"{fn}: argument '{arg}' must have rank {rank}, received shape "
                         f"{list(t.shape)}")
    return t


def _segment_reduction(fn, data, indices, segment_ids, mean):
    data = tensor_arg(data, fn, "data")
    if data.rank < 1:
        raise ValueError(f"{fn}: data must have rank >= 1, received a scalar")
    idx = _int_arg(indices, fn, "indices", 1)
    seg = _int_arg(segment_ids, fn, "segment_ids", 1)
    if idx.shape != seg.shape:
        raise ValueError(f"{fn}: indices and segment_ids must have one length, received "
                         f"{idx.shape[0]} and {seg.shape[0]}")
    _reads_values()

    def core(dd, ind, sid):
        n, rows = ind.shape[0], dd.shape[0]
        if n and (np.any(np.diff(sid) < 0) or sid[0] < 0):
            raise ValueError(f"{fn}: segment_ids must be non-negative and sorted, received "
                             f"{sid.tolist()}")
        bad = (ind < 0) | (ind >= rows)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{fn}: indices[{i}] = {int(ind[i])} is out of range [0, {rows})")
        out_rows = int(sid[-1]) + 1 if n else 0
        counts = np.bincount(sid, minlength=out_rows).astype(np.int64)
        wide = np.float64 if dd.dtype == np.float32 else np.int64
        acc = np.zeros((out_rows,) + dd.shape[1:], wide)
        np.add.at(acc, sid, dd[ind])
        if mean:
            shape = (-1,) + (1,) * (dd.ndim - 1)
            if dd.dtype == np.float32:
                acc = acc / np.maximum(counts, 1).reshape(shape)
            else:  # an Int32Array's /= truncates, as in TF.js
                acc = np.trunc(acc / np.maximum(counts, 1).reshape(shape))
        y = contiguous(acc, dd.dtype if dd.dtype != np.bool_ else np.int32)
        if y.dtype != np.float32:
            return y, None

        def backward(dy, needs):
            g = np.zeros(dd.shape, np.float32)
            rows_dy = dy[sid]
            if mean:
                rows_dy = rows_dy / counts[sid].reshape((-1,) + (1,) * (dd.ndim - 1))
            np.add.at(g, ind, rows_dy.astype(np.float32))
            return g, None, None
        return y, backward
    return autodiff.apply(fn, core, (data, idx, seg))


def sparse_segment_sum(data, indices, segment_ids):
    """output[s] = sum of data[indices[i]] over the i with segment_ids[i] == s, for the
    sorted segment_ids; the output has segment_ids[-1] + 1 rows, empty segments 0."""
    return _segment_reduction("sparse_segment_sum", data, indices, segment_ids, False)


def sparse_segment_mean(data, indices, segment_ids):
    """sparse_segment_sum divided by each segment's count (empty segments stay 0)."""
    return _segment_reduction("sparse_segment_mean", data, indices, segment_ids, True)


SparseReshape = result_type("SparseReshape", ["output_indices", "output_shape"])


def sparse_reshape(input_indices, input_shape, new_shape):
    """The indices of a sparse tensor of dense shape input_shape, moved to new_shape
    (which may hold one -1, inferred): (output_indices, output_shape)."""
    fn = "sparse_reshape"
    idx = _int_arg(input_indices, fn, "input_indices", 2)
    old = _int_arg(input_shape, fn, "input_shape", 1)
    new = _int_arg(new_shape, fn, "new_shape", 1)
    if idx.shape[1] != old.shape[0]:
        raise ValueError(f"{fn}: input_indices hold {idx.shape[1]}-coordinates but "
                         f"input_shape has {old.shape[0]} entries")
    rank = new.shape[0]

    def core(ind, od, nd):
        size = int(np.prod(od, dtype=np.int64))
        target = nd.astype(np.int64)
        unknown = np.nonzero(target == -1)[0]
        if len(unknown) > 1 or np.any(target < -1):
            raise ValueError(f"{fn}: new_shape may hold one -1 and otherwise non-negative "
                             f"extents, received {nd.tolist()}")
        known = int(np.prod(target[target != -1], dtype=np.int64))
        if len(unknown):
            if known == 0 or size % known:
                raise ValueError(f"{fn}: cannot infer the -1 of new_shape {nd.tolist()} for "
                                 f"{size} elements")
            target[unknown[0]] = size // known
        elif known != size:
            raise ValueError(f"{fn}: input_shape {od.tolist()} has {size} elements, "
                             f"new_shape {nd.tolist()} has {known}")
        if ind.size and (np.any(ind < 0) or np.any(ind >= od)):
            raise ValueError(f"{fn}: input_indices hold a coordinate outside input_shape "
                             f"{od.tolist()}")
        flat = np.ravel_multi_index(tuple(ind.T.astype(np.int64)), tuple(od)) if ind.size \
            else np.zeros(ind.shape[0], np.int64)
        out = np.stack(np.unravel_index(flat, tuple(target)), 1) if rank and ind.shape[0] \
            else np.zeros((ind.shape[0], rank), np.int64)
        return (contiguous(out, np.int32), contiguous(target, np.int32)), None
    return SparseReshape(*autodiff.apply(fn, core, (idx, old, new)))


SparseFill = result_type("SparseFillEmptyRows", ["output_indices", "output_values",
                                                 "empty_row_indicator", "reverse_index_map"])


def sparse_fill_empty_rows(indices, values, dense_shape, default_value):
    """Adds the entry [row, 0, ...] = default_value for every row of the sparse tensor
    (indices, values, dense_shape) that has none; entries are ordered by row, keeping
    their order within a row. Returns (output_indices, output_values,
    empty_row_indicator: bool per row, reverse_index_map: each input entry's position
    in the output)."""
    fn = "sparse_fill_empty_rows"
    idx = _int_arg(indices, fn, "indices", 2)
    vals = tensor_arg(values, fn, "values")
    dense = _int_arg(dense_shape, fn, "dense_shape", 1)
    default = tensor_arg(default_value, fn, "default_value")
    if vals.rank != 1 or vals.shape[0] != idx.shape[0]:
        raise ValueError(f"{fn}: values must be a vector of one value per index "
                         f"({idx.shape[0]}), received shape {list(vals.shape)}")
    if default.rank != 0:
        raise ValueError(f"{fn}: default_value must be a scalar, received shape "
                         f"{list(default.shape)}")
    if default.dtype != vals.dtype:
        default = default.cast(vals.dtype)
    _reads_values()

    def core(ind, vd, sd, dv):
        n, rank = ind.shape
        rows = int(sd[0]) if sd.size else 0
        row_of = ind[:, 0] if rank else np.zeros(n, np.int32)
        if n and (row_of.min() < 0 or row_of.max() >= rows):
            i = int(np.argmax((row_of < 0) | (row_of >= rows)))
            raise ValueError(f"{fn}: indices[{i}] has row {int(row_of[i])}, outside "
                             f"[0, {rows})")
        counts = np.bincount(row_of, minlength=rows)[:rows] if rows else np.zeros(0, np.int64)
        empty = counts == 0
        slots = np.maximum(counts, 1)
        start = np.concatenate([[0], np.cumsum(slots)[:-1]]).astype(np.int64)
        # each entry's rank within its row: its place in a stable sort by row, minus
        # the number of entries of the rows before
        order = np.argsort(row_of, kind="stable")
        before = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        within = np.empty(n, np.int64)
        within[order] = np.arange(n) - before[row_of[order]]
        position = start[row_of] + within
        total = int(slots.sum())
        out_idx = np.zeros((total, rank), np.int32)
        out_val = np.full(total, dv, vd.dtype)
        out_idx[position] = ind
        out_val[position] = vd
        fill = start[empty]
        if rank:
            out_idx[fill, 0] = np.nonzero(empty)[0]
        return (out_idx, contiguous(out_val), contiguous(empty),
                contiguous(position, np.int32)), None
    return SparseFill(*autodiff.apply(fn, core, (idx, vals, dense, default)))
