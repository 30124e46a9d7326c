"""Ranking and searching: top_k (TF.js's topk), search_sorted / lower_bound /
upper_bound, in_top_k_async. Ties rank the lower index first, as TF.js's sort does."""
import numpy as np

from .. import autodiff
from .._args import int_arg
from ..tensor import Tensor
from ._result import result_type
from ._util import contiguous, tensor_arg

TopK = result_type("TopK", ["values", "indices"])


def _order(rows):
    """Per row, indices from the largest value down; equal values by index."""
    return np.argsort(-rows.astype(np.float64), axis=-1, kind="stable")


def top_k(x, k=1, sorted=True):  # noqa: A002 (TF.js's argument name)
    """The k largest values along the last axis and their int32 indices, largest first:
    a result with .values and .indices (also ['values'], ['indices'], or unpacked). The
    values' gradient goes back to the positions they came from (TF.js has none)."""
    x = tensor_arg(x, "top_k")
    if x.rank == 0:
        raise ValueError("top_k: x must have rank >= 1, received a scalar")
    k = int_arg(k, "top_k", "k", 0, x.shape[-1])  # at most the last axis' extent

    def core(xd):
        idx = contiguous(_order(xd)[..., :k], np.int32)
        values = contiguous(np.take_along_axis(xd, idx, -1))
        if values.dtype != np.float32:
            return (values, idx), None

        def backward(dys, needs):
            g = np.zeros(xd.shape, np.float32)
            if dys[0] is not None:
                np.put_along_axis(g, idx, dys[0], -1)
            return (g,)
        return (values, idx), backward
    return TopK(*autodiff.apply("top_k", core, (x,)))


topk = top_k


def search_sorted(sorted_sequence, values, side="left"):
    """For each of `values`, the int32 index where it would be inserted into the
    matching row of `sorted_sequence` (sorted along its last axis) to keep it sorted:
    before equal entries with side='left', after them with 'right'. The leading axes of
    both must match (or sorted_sequence is 1-D and values too)."""
    fn = "search_sorted"
    seq = tensor_arg(sorted_sequence, fn, "sorted_sequence")
    vals = tensor_arg(values, fn, "values")
    if side not in ("left", "right"):
        raise ValueError(f"{fn}: argument 'side' must be 'left' or 'right', received {side!r}")
    if seq.rank == 0 or vals.rank == 0:
        raise ValueError(f"{fn}: sorted_sequence and values must have rank >= 1, received "
                         f"shapes {list(seq.shape)} and {list(vals.shape)}")
    if seq.shape[:-1] != vals.shape[:-1] and not (seq.rank == vals.rank == 1):
        raise ValueError(f"{fn}: the leading axes of sorted_sequence {list(seq.shape)} and "
                         f"values {list(vals.shape)} must match")
    out_shape = vals.shape

    def core(sd, vd):
        s2 = sd.reshape(-1, sd.shape[-1]).astype(np.float64)
        v2 = vd.reshape(-1, vd.shape[-1]).astype(np.float64)
        out = np.empty(v2.shape, np.int32)
        for r in range(s2.shape[0]):
            out[r] = np.searchsorted(s2[r], v2[r], side=side)
        return out.reshape(out_shape), None
    return autodiff.apply(fn, core, (seq, vals))


def lower_bound(sorted_sequence, values):
    """search_sorted(sorted_sequence, values, 'left')."""
    return search_sorted(sorted_sequence, values, "left")


def upper_bound(sorted_sequence, values):
    """search_sorted(sorted_sequence, values, 'right')."""
    return search_sorted(sorted_sequence, values, "right")


def in_top_k_async(predictions, targets, k=1):
    """Whether each target class is among the k largest predictions of its row: a bool
    tensor of targets' shape. (TF.js's inTopKAsync; the value is returned directly.)"""
    fn = "in_top_k_async"
    p = tensor_arg(predictions, fn, "predictions")
    t = targets if isinstance(targets, Tensor) else tensor_arg(targets, fn, "targets")
    if p.rank < 2 or t.rank != p.rank - 1 or t.shape != p.shape[:-1]:
        raise ValueError(f"{fn}: predictions must have rank >= 2 and targets its shape "
                         f"without the last axis, received {list(p.shape)} and "
                         f"{list(t.shape)}")
    last = p.shape[-1]
    k = int_arg(k, fn, "k", 1, last)

    def core(pd, td):
        rows = pd.reshape(-1, last)
        top = _order(rows)[:, :k]
        tgt = td.reshape(-1, 1)
        return contiguous((top == tgt).any(axis=1).reshape(td.shape)), None
    return autodiff.apply(fn, core, (p, t))
