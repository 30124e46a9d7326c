"""softmax, log_softmax, prelu and the fused softmax-cross-entropy from logits."""
import numpy as np

from ... import _kernels as K
from .. import autodiff
from ..tensor import Tensor
from ._util import contiguous, f32, pair, tensor_arg, unbroadcast


def _last_axis(x, dim, fn):
    if x.rank == 0:
        raise ValueError(f"{fn}: x must have rank >= 1, received a scalar")
    if dim not in (-1, x.rank - 1):
        raise ValueError(f"{fn}: only the last axis is supported (dim=-1, as TF.js), received "
                         f"dim={dim} for a tensor of rank {x.rank}")


def softmax(logits, dim=-1):
    x = tensor_arg(logits, "softmax", "logits")
    _last_axis(x, dim, "softmax")
    def core(xd):
        y = K.softmax(f32(xd))
        return y, lambda dy, needs: (K.softmax_backward(dy, y),)
    return autodiff.apply("softmax", core, (x,))


def log_softmax(logits, axis=-1):
    x = tensor_arg(logits, "log_softmax", "logits")
    _last_axis(x, axis, "log_softmax")
    def core(xd):
        y = K.log_softmax(f32(xd))
        return y, lambda dy, needs: (K.log_softmax_backward(dy, y),)
    return autodiff.apply("log_softmax", core, (x,))


def prelu(x, alpha):
    """x where x > 0, alpha * x elsewhere (alpha broadcasts against x)."""
    x, a = pair(x, alpha, "prelu")
    def core(xd, ad):
        pos = xd > 0

        def backward(dy, needs):
            gx = np.where(pos, dy, dy * ad).astype(np.float32) if needs[0] else None
            ga = unbroadcast(np.where(pos, 0, dy * xd).astype(np.float32), ad.shape) if needs[1] else None
            return gx, ga
        return contiguous(np.where(pos, xd, ad * xd)).astype(xd.dtype), backward
    return autodiff.apply("prelu", core, (x, a))


def _ce_args(labels, logits):
    """(logits, labels, sparse) checked for the fused softmax-cross-entropy kernel."""
    z = tensor_arg(logits, "softmax_cross_entropy", "logits")
    t = tensor_arg(labels, "softmax_cross_entropy", "labels")
    if z.dtype != "float32":
        raise TypeError(f"softmax_cross_entropy: logits must be float32, received {z.dtype}")
    if z.rank != 2:
        raise ValueError(f"softmax_cross_entropy: logits must have shape (batch, classes), "
                         f"received {list(z.shape)}")
    sparse = t.dtype == "int32" and t.rank == 1
    if not sparse and t.shape != z.shape:
        raise ValueError(f"softmax_cross_entropy: labels must have the logits' shape "
                         f"{list(z.shape)} (or be int32 class indices of shape "
                         f"[{z.shape[0]}]), received {list(t.shape)}")
    return z, t, sparse


def softmax_cross_entropy_with_logits(labels, logits, label_smoothing=0.0):
    """Per-row -sum(t * log_softmax(logits)) over the last axis of 2-D logits, with
    labels as float (N, C) probabilities or int32 (N,) class indices, computed (with the
    gradient and the correct-prediction count) in one native pass.
    Returns (losses Tensor (N,), correct count: an int32 scalar Tensor); one node with
    both outputs (only the losses have a gradient)."""
    z, t, sparse = _ce_args(labels, logits)
    want_grad = autodiff.recording()
    smoothing = float(label_smoothing)

    def core(zd, td):
        if not sparse:
            td = f32(td)
        losses, dlogits, correct = K.softmax_cross_entropy(zd, td, None, None, None, 1.0,
                                                           smoothing, want_grad)
        count = np.asarray(correct, np.int32)
        if not want_grad:
            return (losses, count), None

        def backward(dys, needs):
            dy = dys[0]
            if dy is None:
                return None, None
            dz = dlogits * dy[:, None] if needs[0] else None
            dt = None
            if needs[1] and not sparse:
                dt = -K.log_softmax(zd) * dy[:, None] * np.float32(1 - smoothing)
            return dz, dt
        return (losses, count), backward
    return autodiff.apply("softmax_cross_entropy", core, (z, t))


def softmax_cross_entropy_mean(labels, logits):
    """mean(softmax_cross_entropy_with_logits(labels, logits)[0]) as one node, the loss of
    a classifier's training step: the kernel scales the gradient by the mean's 1/n as it
    computes it (the same float32 values as the two ops' backward, in one pass).
    Returns (loss: a scalar Tensor, correct count: an int32 scalar Tensor)."""
    z, t, sparse = _ce_args(labels, logits)
    want_grad = autodiff.recording()
    n = z.shape[0]
    scale = float(np.float32(1) / np.float32(max(n, 1)))  # the mean's backward: 1/n

    def core(zd, td):
        if not sparse:
            td = f32(td)
        losses, dlogits, correct = K.softmax_cross_entropy(zd, td, None, None, None, scale,
                                                           0.0, want_grad)
        loss = np.asarray(K.reduce_mean(losses, None, False), np.float32)
        count = np.asarray(correct, np.int32)
        if not want_grad:
            return (loss, count), None

        def backward(dys, needs):
            dy = dys[0]
            if dy is None or not needs[0]:
                return None, None
            # dlogits already holds d loss / d logits; a seed other than 1 scales it.
            # (.item(): a 0-d array's == costs a microsecond, a Python float's nothing.)
            return (dlogits if dy.item() == 1.0 else dlogits * dy), None
        return (loss, count), backward
    return autodiff.apply("softmax_cross_entropy_mean", core, (z, t))
