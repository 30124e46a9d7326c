"""Random ops with tensor inputs: multinomial and dropout. Their draws happen inside the
core, from the generator current then (tn.set_seed's stream, or a fresh one for an
explicit seed), so a captured training step draws anew at every replay."""
import numbers

import numpy as np

from .. import autodiff
from .._args import int_arg
from ..random import generator
from ._util import contiguous, f32, tensor_arg


def multinomial(logits, num_samples, seed=None, normalized=False):
    """num_samples int32 class indices per row of `logits` (1-D: one distribution, or
    2-D: one per row), drawn with probabilities softmax(logits), or the values
    themselves when normalized=True."""
    fn = "multinomial"
    x = tensor_arg(logits, fn, "logits")
    if x.rank not in (1, 2):
        raise ValueError(f"{fn}: logits must have rank 1 or 2, received shape {list(x.shape)}")
    if x.shape[-1] < 2:
        raise ValueError(f"{fn}: logits must have at least 2 outcomes, received shape "
                         f"{list(x.shape)}")
    n, rank, norm = int_arg(num_samples, fn, "num_samples", 0), x.rank, bool(normalized)
    generator(seed)  # checks the seed now

    def core(ld):
        rows = f32(ld).reshape(-1, ld.shape[-1]).astype(np.float64)
        if norm:
            probs = rows
        else:
            e = np.exp(rows - rows.max(axis=1, keepdims=True))
            probs = e / e.sum(axis=1, keepdims=True)
        cdf = np.cumsum(probs, axis=1)
        u = generator(seed).random((rows.shape[0], n)) * cdf[:, -1:]
        out = np.empty((rows.shape[0], n), np.int32)
        for r in range(rows.shape[0]):
            out[r] = np.minimum(np.searchsorted(cdf[r], u[r], side="right"), rows.shape[1] - 1)
        return contiguous(out[0] if rank == 1 else out), None
    return autodiff.apply(fn, core, (x,))


def _noise_shape(x, noise_shape, fn):
    if noise_shape is None:
        return x.shape
    dims = list(noise_shape)
    if len(dims) == x.rank:  # None keeps x's extent, as TF.js's getNoiseShape
        dims = [x.shape[i] if d is None else d for i, d in enumerate(dims)]
    shape = tuple(int_arg(d, fn, "noise_shape", 0) for d in dims)
    try:
        if np.broadcast_shapes(shape, x.shape) != x.shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"{fn}: noise_shape {list(shape)} must broadcast to x's shape "
                         f"{list(x.shape)}") from None
    return shape


def dropout(x, rate, noise_shape=None, seed=None):
    """Zeroes each value of x with probability `rate` and scales the others by
    1 / (1 - rate), so the expectation is unchanged; `noise_shape` (broadcasting to x's
    shape) shares one draw along its extent-1 axes. The gradient goes through the kept
    values with the same scale."""
    fn = "dropout"
    x = tensor_arg(x, fn)
    if x.dtype != "float32":
        raise TypeError(f"{fn}: x must be float32 (it is scaled), received {x.dtype}")
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"{fn}: argument 'rate' must be a number in [0, 1), received {rate!r}")
    shape = _noise_shape(x, noise_shape, fn)
    generator(seed)
    if rate == 0:
        from .shape_extra import clone
        return clone(x)
    keep = 1.0 - float(rate)

    def core(xd):
        # TF.js's floor(uniform + keep) / keep: 1 / keep with probability keep, else 0.
        mask = (np.floor(generator(seed).random(shape) + keep) / keep).astype(np.float32)
        return contiguous(xd * mask, np.float32), lambda dy, needs: (
            contiguous(dy * mask, np.float32),)
    return autodiff.apply(fn, core, (x,))
