"""softmax, log_softmax, prelu and the fused softmax-cross-entropy from logits."""
import numpy as np

from ... import _kernels as K
from .. import autodiff
from ..tensor import Tensor
from ._util import contiguous, float_data, pair, tensor_arg, unbroadcast


def _last_axis(x, dim, fn):
    if x.rank == 0:
        raise ValueError(f"{fn}: x must have rank >= 1, received a scalar")
    if dim not in (-1, x.rank - 1):
        raise ValueError(f"{fn}: only the last axis is supported (dim=-1, as TF.js), received "
                         f"dim={dim} for a tensor of rank {x.rank}")


def softmax(logits, dim=-1):
    x = tensor_arg(logits, "softmax", "logits")
    _last_axis(x, dim, "softmax")
    y = Tensor(K.softmax(float_data(x, "softmax")))
    if autodiff._tapes:
        autodiff.record("softmax", (x,), y, lambda dy, needs: (K.softmax_backward(dy, y._data),))
    return y


def log_softmax(logits, axis=-1):
    x = tensor_arg(logits, "log_softmax", "logits")
    _last_axis(x, axis, "log_softmax")
    y = Tensor(K.log_softmax(float_data(x, "log_softmax")))
    if autodiff._tapes:
        autodiff.record("log_softmax", (x,), y,
                        lambda dy, needs: (K.log_softmax_backward(dy, y._data),))
    return y


def prelu(x, alpha):
    """x where x > 0, alpha * x elsewhere (alpha broadcasts against x)."""
    x, a = pair(x, alpha, "prelu")
    xd, ad = x._data, a._data
    pos = xd > 0
    y = Tensor(contiguous(np.where(pos, xd, ad * xd)).astype(xd.dtype))
    if autodiff._tapes:
        def backward(dy, needs):
            gx = np.where(pos, dy, dy * ad).astype(np.float32) if needs[0] else None
            ga = unbroadcast(np.where(pos, 0, dy * xd).astype(np.float32), ad.shape) if needs[1] else None
            return gx, ga
        autodiff.record("prelu", (x, a), y, backward)
    return y


def softmax_cross_entropy_with_logits(labels, logits, label_smoothing=0.0):
    """Per-row -sum(t * log_softmax(logits)) over the last axis of 2-D logits, with
    labels as float (N, C) probabilities or int32 (N,) class indices, computed (with the
    gradient and the correct-prediction count) in one native pass.
    Returns (losses Tensor (N,), correct count: int)."""
    z = tensor_arg(logits, "softmax_cross_entropy", "logits")
    t = tensor_arg(labels, "softmax_cross_entropy", "labels")
    if z.dtype != "float32":
        raise TypeError(f"softmax_cross_entropy: logits must be float32, received {z.dtype}")
    if z.rank != 2:
        raise ValueError(f"softmax_cross_entropy: logits must have shape (batch, classes), "
                         f"received {list(z.shape)}")
    sparse = t.dtype == "int32" and t.rank == 1
    if not sparse:
        if t.shape != z.shape:
            raise ValueError(f"softmax_cross_entropy: labels must have the logits' shape "
                             f"{list(z.shape)} (or be int32 class indices of shape "
                             f"[{z.shape[0]}]), received {list(t.shape)}")
        td = float_data(t, "softmax_cross_entropy")
    else:
        td = t._data
    want_grad = autodiff.recording()
    losses, dlogits, correct = K.softmax_cross_entropy(
        z._data, td, label_smoothing=float(label_smoothing), compute_grad=want_grad)
    y = Tensor(losses)
    if want_grad:
        zd = z._data

        def backward(dy, needs):
            dz = dlogits * dy[:, None] if needs[0] else None
            dt = None
            if needs[1] and not sparse:
                dt = -K.log_softmax(zd) * dy[:, None] * np.float32(1 - label_smoothing)
            return dz, dt
        autodiff.record("softmax_cross_entropy", (z, t), y, backward)
    return y, correct
