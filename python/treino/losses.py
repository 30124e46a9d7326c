"""tn.losses: TF.js's core losses with weights and reductions.

Each loss computes per-element (or per-row) losses with tensor ops, so it is
differentiable like any other op, then compute_weighted_loss applies `weights` and the
reduction. softmax_cross_entropy is one fused native pass over the logits.
"""
from .core import ops
from .core.creation import ones_like
from .core.ops._util import tensor_arg


class Reduction:
    NONE = 0
    MEAN = 1
    SUM = 2
    SUM_BY_NONZERO_WEIGHTS = 3


_REDUCTIONS = (0, 1, 2, 3)


def compute_weighted_loss(losses, weights=None, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """TF.js's computeWeightedLoss: losses * weights, then NONE (as is), SUM, MEAN
    (sum / sum of broadcast weights) or SUM_BY_NONZERO_WEIGHTS (sum / count of non-zero
    broadcast weights; the number of elements when weights is None)."""
    losses = tensor_arg(losses, "compute_weighted_loss", "losses")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"compute_weighted_loss: unknown reduction {reduction!r}; use "
                         f"tn.losses.Reduction.NONE, MEAN, SUM or SUM_BY_NONZERO_WEIGHTS")
    if weights is not None:
        weights = tensor_arg(weights, "compute_weighted_loss", "weights")
        try:
            weighted = ops.mul(losses, weights)
        except ValueError:
            raise ValueError(f"compute_weighted_loss: weights of shape {list(weights.shape)} do "
                             f"not broadcast to the losses' shape {list(losses.shape)}") from None
    else:
        weighted = losses
    if reduction == Reduction.NONE:
        return weighted
    if reduction == Reduction.SUM:
        return ops.sum(weighted)
    if reduction == Reduction.MEAN:
        if weights is None:
            return ops.mean(weighted)
        return ops.div(ops.sum(weighted), ops.sum(ops.mul(weights, ones_like(losses))))
    if weights is None:
        return ops.mean(weighted) if losses.size else ops.sum(weighted)
    nonzero = ops.sum(ops.cast(ops.not_equal(ops.mul(weights, ones_like(losses)), 0.0), "float32"))
    return ops.div(ops.sum(weighted), nonzero)


def _pair(labels, predictions, fn, a="labels", b="predictions"):
    y = tensor_arg(labels, fn, a)
    p = tensor_arg(predictions, fn, b)
    if y.shape != p.shape:
        raise ValueError(f"{fn}: {a} of shape {list(y.shape)} and {b} of shape "
                         f"{list(p.shape)} must have the same shape")
    return ops.cast(y, "float32"), ops.cast(p, "float32")


def softmax_cross_entropy(onehot_labels, logits, weights=None, label_smoothing=0.0,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Cross-entropy of softmax(logits) against one-hot (or soft) labels over the last
    axis, one fused native pass; label_smoothing as TF.js (labels * (1 - s) + s / C)."""
    fn = "softmax_cross_entropy"
    y, z = _pair(onehot_labels, logits, fn, "onehot_labels", "logits")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{fn}: argument 'label_smoothing' must be in [0, 1], received "
                         f"{label_smoothing}")
    if z.rank == 0:
        raise ValueError(f"{fn}: logits must have rank >= 1, received a scalar")
    if z.rank == 2:
        per_row, _ = ops.softmax_cross_entropy_with_logits(y, z, label_smoothing)
    else:  # the kernel takes (rows, classes): fold the leading axes and unfold after
        flat = [-1, z.shape[-1]]
        per_row, _ = ops.softmax_cross_entropy_with_logits(
            ops.reshape(y, flat), ops.reshape(z, flat), label_smoothing)
        per_row = ops.reshape(per_row, list(z.shape[:-1]))
    return compute_weighted_loss(per_row, weights, reduction)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=None, label_smoothing=0.0,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """max(x, 0) - x * z + log(1 + exp(-|x|)) per element (stable), labels smoothed
    towards 0.5 as TF.js."""
    y, x = _pair(multi_class_labels, logits, "sigmoid_cross_entropy", "multi_class_labels", "logits")
    if label_smoothing:
        y = ops.add(ops.mul(y, 1.0 - label_smoothing), 0.5 * label_smoothing)
    losses = ops.add(ops.sub(ops.relu(x), ops.mul(x, y)), ops.log1p(ops.exp(ops.neg(ops.abs(x)))))
    return compute_weighted_loss(losses, weights, reduction)


def log_loss(labels, predictions, weights=None, epsilon=1e-7,
             reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    y, p = _pair(labels, predictions, "log_loss")
    losses = ops.neg(ops.add(ops.mul(y, ops.log(ops.add(p, epsilon))),
                             ops.mul(ops.sub(1.0, y), ops.log(ops.add(ops.sub(1.0, p), epsilon)))))
    return compute_weighted_loss(losses, weights, reduction)


def mean_squared_error(labels, predictions, weights=None,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    y, p = _pair(labels, predictions, "mean_squared_error")
    return compute_weighted_loss(ops.squared_difference(y, p), weights, reduction)


def absolute_difference(labels, predictions, weights=None,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    y, p = _pair(labels, predictions, "absolute_difference")
    return compute_weighted_loss(ops.abs(ops.sub(y, p)), weights, reduction)


def hinge_loss(labels, predictions, weights=None, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """relu(1 - (2 * labels - 1) * predictions): labels are 0/1, as TF.js."""
    y, p = _pair(labels, predictions, "hinge_loss")
    signed = ops.sub(ops.mul(y, 2.0), 1.0)
    return compute_weighted_loss(ops.relu(ops.sub(1.0, ops.mul(signed, p))), weights, reduction)


def huber_loss(labels, predictions, weights=None, delta=1.0,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    y, p = _pair(labels, predictions, "huber_loss")
    err = ops.abs(ops.sub(p, y))
    quad = ops.minimum(err, float(delta))
    lin = ops.sub(err, quad)
    losses = ops.add(ops.mul(ops.square(quad), 0.5), ops.mul(lin, float(delta)))
    return compute_weighted_loss(losses, weights, reduction)


def cosine_distance(labels, predictions, axis=-1, weights=None,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """1 - sum(labels * predictions, axis) (inputs are expected unit-normalised, as TF.js)."""
    y, p = _pair(labels, predictions, "cosine_distance")
    losses = ops.sub(1.0, ops.sum(ops.mul(y, p), axis, keepdims=True))
    return compute_weighted_loss(losses, weights, reduction)


__all__ = ["Reduction", "compute_weighted_loss", "softmax_cross_entropy",
           "sigmoid_cross_entropy", "log_loss", "mean_squared_error", "absolute_difference",
           "hinge_loss", "huber_loss", "cosine_distance"]
