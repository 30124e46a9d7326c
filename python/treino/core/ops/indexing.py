"""Index-driven gathers and scatters: gather_nd, scatter_nd, tensor_scatter_update,
sparse_to_dense, unsorted_segment_sum, bincount, dense_bincount.

Indices are int32 tensors whose last axis holds coordinates (gather_nd's convention).
Their values are checked inside each core (a captured training step checks each new
batch's indices too). TF.js gives gather_nd, scatter_nd, tensor_scatter_update and
sparse_to_dense no gradient; treino does: each is the scatter or gather of the other.
"""
import numpy as np

from .. import autodiff
from .._args import int_arg
from ..dtypes import to_array
from ..tensor import Tensor
from ._util import contiguous, tensor_arg
from .shape_extra import _shape_list


def _index_arg(indices, fn, arg="indices"):
    t = indices if isinstance(indices, Tensor) else Tensor(to_array(indices, "int32", fn, arg))
    if t.dtype != "int32":
        raise TypeError(f"{fn}: argument '{arg}' must be int32, received {t.dtype}")
    return t


def _flat_positions(ind, shape, fn, arg="indices"):
    """Row-major positions in shape[:k] of the k-coordinates along ind's last axis,
    checked to be in range (a ValueError naming the first bad coordinate)."""
    k = ind.shape[-1]
    coords = ind.reshape(int(np.prod(ind.shape[:-1], dtype=np.int64)), k).astype(np.int64)
    bounds = np.asarray(shape[:k], np.int64)
    bad = (coords < 0) | (coords >= bounds)
    if bad.any():
        row = int(np.argmax(bad.any(axis=1)))
        raise ValueError(f"{fn}: {arg} holds the coordinate {coords[row].tolist()}, out of "
                         f"range for shape {list(shape[:k])}")
    if k == 0:
        return np.zeros(coords.shape[0], np.int64)
    return np.ravel_multi_index(tuple(coords.T), tuple(shape[:k]))


def _slices(shape, k):
    """shape viewed as [prod(shape[:k]), *shape[k:]]."""
    return (int(np.prod(shape[:k], dtype=np.int64)),) + tuple(shape[k:])


def gather_nd(x, indices):
    """Slices of x at the coordinates along the last axis of `indices` (int32, shape
    [..., k] with k <= x.rank): the result has shape indices.shape[:-1] + x.shape[k:]."""
    x = tensor_arg(x, "gather_nd")
    idx = _index_arg(indices, "gather_nd")
    if idx.rank == 0 or idx.shape[-1] > x.rank:
        raise ValueError(f"gather_nd: indices must have rank >= 1 and a last axis of at most "
                         f"x's rank {x.rank}, received shape {list(idx.shape)}")
    k = idx.shape[-1]

    def core(xd, ind):
        pos = _flat_positions(ind, xd.shape, "gather_nd")
        rows = xd.reshape(_slices(xd.shape, k))[pos]
        y = contiguous(rows.reshape(ind.shape[:-1] + xd.shape[k:]))
        if y.dtype != np.float32:
            return y, None

        def backward(dy, needs):
            g = np.zeros(_slices(xd.shape, k), np.float32)
            np.add.at(g, pos, dy.reshape((-1,) + xd.shape[k:]))
            return g.reshape(xd.shape), None
        return y, backward
    return autodiff.apply("gather_nd", core, (x, idx))


def _check_updates(idx, updates, shape, fn):
    """TF.js's validateUpdateShape: updates.shape == indices.shape[:-1] + shape[k:]."""
    k = idx.shape[-1] if idx.rank > 1 else 1
    lead = idx.shape[:-1] if idx.rank > 1 else idx.shape
    want = tuple(lead) + tuple(shape[k:])
    if idx.rank == 0 or k > len(shape) or updates.shape != want:
        raise ValueError(f"{fn}: updates must have shape indices.shape[:-1] + "
                         f"shape[{k}:] = {list(want)}, received {list(updates.shape)} "
                         f"(indices {list(idx.shape)}, shape {list(shape)})")
    return k


def _as_coords(ind):
    """1-D indices are one coordinate each, as in TF.js."""
    return ind.reshape(-1, 1) if ind.ndim == 1 else ind


def scatter_nd(indices, updates, shape):
    """A tensor of `shape`, zero except where `updates` are added at the coordinates in
    `indices` (repeated coordinates sum, as TF.js)."""
    idx = _index_arg(indices, "scatter_nd")
    upd = tensor_arg(updates, "scatter_nd", "updates")
    shape = tuple(_shape_list(shape, "scatter_nd"))
    k = _check_updates(idx, upd, shape, "scatter_nd")

    def core(ind, ud):
        pos = _flat_positions(_as_coords(ind), shape, "scatter_nd")
        out = np.zeros(_slices(shape, k), ud.dtype)
        np.add.at(out, pos, ud.reshape((-1,) + shape[k:]))
        y = out.reshape(shape)
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: (
            None, contiguous(dy.reshape(_slices(shape, k))[pos].reshape(ud.shape)))
    return autodiff.apply("scatter_nd", core, (idx, upd))


def _last_writes(pos):
    """For each row of a scatter, whether it is the last to write its position (the
    value that stays, as TF.js's loop leaves it)."""
    last = np.zeros(pos.shape, bool)
    _, first_in_reversed = np.unique(pos[::-1], return_index=True)
    last[len(pos) - 1 - first_in_reversed] = True
    return last


def tensor_scatter_update(tensor, indices, updates):
    """A copy of `tensor` with the slices at `indices` replaced by `updates` (for a
    repeated coordinate the last update stays)."""
    t = tensor_arg(tensor, "tensor_scatter_update", "tensor")
    idx = _index_arg(indices, "tensor_scatter_update")
    upd = tensor_arg(updates, "tensor_scatter_update", "updates")
    if t.dtype != upd.dtype:
        raise TypeError(f"tensor_scatter_update: tensor and updates must have one dtype, "
                        f"received {t.dtype} and {upd.dtype}")
    shape = t.shape
    k = _check_updates(idx, upd, shape, "tensor_scatter_update")

    def core(td, ind, ud):
        pos = _flat_positions(_as_coords(ind), shape, "tensor_scatter_update")
        keep = _last_writes(pos)
        out = td.reshape(_slices(shape, k)).copy()
        rows = ud.reshape((-1,) + shape[k:])
        out[pos[keep]] = rows[keep]
        y = out.reshape(shape)
        if y.dtype != np.float32:
            return y, None

        def backward(dy, needs):
            flat = dy.reshape(_slices(shape, k))
            gt = flat.copy()
            gt[pos] = 0
            gu = flat[pos] * keep.reshape((-1,) + (1,) * (flat.ndim - 1))
            return gt.reshape(shape), None, contiguous(gu.reshape(ud.shape), np.float32)
        return y, backward
    return autodiff.apply("tensor_scatter_update", core, (t, idx, upd))


def sparse_to_dense(sparse_indices, sparse_values, output_shape, default_value=0):
    """A dense tensor of `output_shape` holding `default_value` except at
    `sparse_indices` (a scalar, a vector of positions for a 1-D output, or an [n, rank]
    matrix of coordinates), which get `sparse_values` (one value for all, or one each).
    For a repeated index the last value stays, as in TF.js."""
    fn = "sparse_to_dense"
    idx = _index_arg(sparse_indices, fn, "sparse_indices")
    vals = tensor_arg(sparse_values, fn, "sparse_values")
    shape = tuple(_shape_list(output_shape, fn, "output_shape"))
    default = tensor_arg(default_value, fn, "default_value")
    if default.dtype != vals.dtype:
        default = default.cast(vals.dtype)
    if idx.rank > 2:
        raise ValueError(f"{fn}: sparse_indices must have rank <= 2, received shape "
                         f"{list(idx.shape)}")
    n = idx.shape[0] if idx.rank else 1
    dims = idx.shape[1] if idx.rank == 2 else 1
    if dims != len(shape):
        raise ValueError(f"{fn}: sparse_indices hold {dims}-coordinates but output_shape "
                         f"{list(shape)} has rank {len(shape)}")
    if vals.rank > 1 or (vals.rank == 1 and vals.shape[0] != n):
        raise ValueError(f"{fn}: sparse_values must be a scalar or a vector of {n} values, "
                         f"received shape {list(vals.shape)}")
    if default.rank != 0:
        raise ValueError(f"{fn}: default_value must be a scalar, received shape "
                         f"{list(default.shape)}")

    def core(ind, vd, dd):
        pos = _flat_positions(ind.reshape(n, dims), shape, fn, "sparse_indices")
        keep = _last_writes(pos)
        size = int(np.prod(shape, dtype=np.int64))
        out = np.full(size, dd, vd.dtype)
        values = np.broadcast_to(vd, (n,))
        out[pos[keep]] = values[keep]
        y = out.reshape(shape)
        if y.dtype != np.float32:
            return y, None

        def backward(dy, needs):
            flat = dy.reshape(-1)
            gv = np.where(keep, flat[pos], np.float32(0)).astype(np.float32)
            gv = gv.reshape(vd.shape) if vd.ndim else np.asarray(gv.sum(), np.float32)
            unset = np.ones(size, bool)
            unset[pos] = False
            return None, gv, np.asarray(flat[unset].sum(), np.float32)
        return y, backward
    return autodiff.apply(fn, core, (idx, vals, default))


def unsorted_segment_sum(x, segment_ids, num_segments):
    """Sums of x's slices by segment: output[s] = sum of x[i] where segment_ids[i] == s,
    shape [num_segments] + x.shape[segment_ids.rank:]. ids outside [0, num_segments) are
    dropped, as TF.js does."""
    fn = "unsorted_segment_sum"
    x = tensor_arg(x, fn)
    ids = _index_arg(segment_ids, fn, "segment_ids")
    n = int_arg(num_segments, fn, "num_segments", 0)
    r = ids.rank
    if r == 0 or ids.shape != x.shape[:r]:
        raise ValueError(f"{fn}: segment_ids must have a shape that starts x's shape "
                         f"{list(x.shape)}, received {list(ids.shape)}")
    rest = x.shape[r:]

    def core(xd, idd):
        flat_ids = idd.reshape(-1)
        valid = (flat_ids >= 0) & (flat_ids < n)
        rows = xd.reshape((-1,) + rest)
        dtype = np.float32 if xd.dtype == np.float32 else np.int32
        out = np.zeros((n,) + rest, dtype)
        np.add.at(out, flat_ids[valid], rows[valid].astype(dtype, copy=False))
        if dtype != np.float32:
            return out, None

        def backward(dy, needs):
            g = np.zeros(rows.shape, np.float32)
            g[valid] = dy[flat_ids[valid]]
            return g.reshape(xd.shape), None
        return out, backward
    return autodiff.apply(fn, core, (x, ids))


def _bincount_args(fn, x, weights, size, max_rank):
    x = _index_arg(x, fn, "x")
    if x.rank < 1 or x.rank > max_rank:
        raise ValueError(f"{fn}: x must have rank {'1' if max_rank == 1 else '1 or 2'}, "
                         f"received shape {list(x.shape)}")
    w = tensor_arg([] if weights is None else weights, fn, "weights")
    if w.size not in (0, x.size) or (w.size and w.shape != x.shape):
        raise ValueError(f"{fn}: weights must have x's shape {list(x.shape)} or be empty, "
                         f"received shape {list(w.shape)}")
    return x, w, int_arg(size, fn, "size", 0)


def _bincount_rows(fn, xd, wd, size, binary):
    if xd.size and xd.min() < 0:
        raise ValueError(f"{fn}: x must hold non-negative values, received "
                         f"{int(xd.min())}")
    rows = xd.reshape(-1, xd.shape[-1]) if xd.ndim else xd.reshape(1, -1)
    out = np.zeros((rows.shape[0], size), wd.dtype if wd.dtype != np.bool_ else np.int32)
    r, c = np.nonzero(rows < size)
    if binary:
        out[r, rows[r, c]] = 1
    elif wd.size:
        np.add.at(out, (r, rows[r, c]), wd.reshape(rows.shape)[r, c])
    else:
        np.add.at(out, (r, rows[r, c]), 1)
    return out


def bincount(x, weights, size):
    """Counts (or sums of `weights`) of each value in [0, size) among the int32 vector x;
    larger values are ignored, negative ones raise. `weights` has x's shape, or is empty
    ([] or None) to count; the result has weights' dtype (float32 for [] or None, as
    TF.js's empty weights array)."""
    x, w, size = _bincount_args("bincount", x, weights, size, 1)

    def core(xd, wd):
        return contiguous(_bincount_rows("bincount", xd, wd, size, False)[0]), None
    return autodiff.apply("bincount", core, (x, w))


def dense_bincount(x, weights, size, binary_output=False):
    """bincount over a vector, or over each row of a matrix ([rows, size]); with
    binary_output, 1 where a value occurs (weights ignored)."""
    x, w, size = _bincount_args("dense_bincount", x, weights, size, 2)
    rank, binary = x.rank, bool(binary_output)

    def core(xd, wd):
        out = _bincount_rows("dense_bincount", xd, wd, size, binary)
        return contiguous(out[0] if rank == 1 else out), None
    return autodiff.apply("dense_bincount", core, (x, w))
