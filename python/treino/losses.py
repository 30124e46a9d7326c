"""tn.losses: TF.js's core losses with weights and reductions, and the Layers-API losses.

Each core loss computes per-element (or per-row) losses with tensor ops, so it is
differentiable like any other op, then compute_weighted_loss applies `weights` and the
reduction. softmax_cross_entropy is one fused native pass over the logits.

The Layers-API losses (tfjs-layers/src/losses.ts) are per-sample functions
`fn(y_true, y_pred) -> Tensor` of shape y_pred.shape[:-1] (mean or sum over the last
axis), with TF.js's epsilon (1e-7) and clipping. They carry `.name`, TF.js's id, and are
looked up by `get(identifier)` in both spellings. One name clashes: the core
`mean_squared_error(labels, predictions, weights, reduction)` keeps that name; the
Layers-API version is `mse` here, `get('mean_squared_error')` and
`tn.metrics.mean_squared_error`.
"""
import math

import numpy as np

from .core import autodiff, ops
from .core.creation import ones_like
from .core.ops._util import tensor_arg
from .core.tensor import Tensor


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



# -- Layers-API losses ------------------------------------------------------------------
EPSILON = 1e-7  # TF.js's epsilon() (tfjs-layers backend/common.ts)
_INF = float("inf")  # TF.js clips to Number.MAX_VALUE: no upper bound in float32

LAYERS_LOSSES = {}  # TF.js id -> function, in TF.js's lossesMap order


def _layers_loss(tfjs_name):
    def register(fn):
        fn.name = tfjs_name
        LAYERS_LOSSES[tfjs_name] = fn
        return fn
    return register


def _same_shape(y_true, y_pred, fn):
    t = tensor_arg(y_true, fn, "y_true")
    p = tensor_arg(y_pred, fn, "y_pred")
    if t.shape != p.shape:
        # TF.js would broadcast here: [32] against [32, 1] silently gives a [32, 32] loss.
        raise ValueError(f"{fn}: y_true of shape {list(t.shape)} and y_pred of shape "
                         f"{list(p.shape)} must have the same shape")
    if p.rank == 0:
        raise ValueError(f"{fn}: y_pred must have rank >= 1 (samples, ...), received a scalar")
    return ops.cast(t, "float32"), ops.cast(p, "float32")


@_layers_loss("meanSquaredError")
def mse(y_true, y_pred):
    """mean((y_pred - y_true)^2) over the last axis (the Layers-API meanSquaredError)."""
    t, p = _same_shape(y_true, y_pred, "meanSquaredError")
    return ops.mean(ops.squared_difference(p, t), -1)


@_layers_loss("meanAbsoluteError")
def mean_absolute_error(y_true, y_pred):
    t, p = _same_shape(y_true, y_pred, "meanAbsoluteError")
    return ops.mean(ops.abs(ops.sub(p, t)), -1)


@_layers_loss("meanAbsolutePercentageError")
def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, eps)) over the last axis."""
    t, p = _same_shape(y_true, y_pred, "meanAbsolutePercentageError")
    scale = ops.clip_by_value(ops.abs(t), EPSILON, _INF)
    return ops.mul(ops.mean(ops.abs(ops.div(ops.sub(t, p), scale)), -1), 100.0)


@_layers_loss("meanSquaredLogarithmicError")
def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps)))^2) over the last axis."""
    t, p = _same_shape(y_true, y_pred, "meanSquaredLogarithmicError")
    lp = ops.log1p(ops.clip_by_value(p, EPSILON, _INF))
    lt = ops.log1p(ops.clip_by_value(t, EPSILON, _INF))
    return ops.mean(ops.square(ops.sub(lp, lt)), -1)


@_layers_loss("squaredHinge")
def squared_hinge(y_true, y_pred):
    """mean(max(0, 1 - y_true * y_pred)^2): labels are -1/1 (TF.js does not map 0/1)."""
    t, p = _same_shape(y_true, y_pred, "squaredHinge")
    return ops.mean(ops.square(ops.relu(ops.sub(1.0, ops.mul(t, p)))), -1)


@_layers_loss("hinge")
def hinge(y_true, y_pred):
    """mean(max(0, 1 - y_true * y_pred)): labels are -1/1 (TF.js does not map 0/1)."""
    t, p = _same_shape(y_true, y_pred, "hinge")
    return ops.mean(ops.relu(ops.sub(1.0, ops.mul(t, p))), -1)


@_layers_loss("categoricalHinge")
def categorical_hinge(y_true, y_pred):
    """max(0, 1 + max((1 - y_true) * y_pred) - sum(y_true * y_pred)) over the last axis."""
    t, p = _same_shape(y_true, y_pred, "categoricalHinge")
    pos = ops.sum(ops.mul(t, p), -1)
    neg = ops.max(ops.mul(ops.sub(1.0, t), p), -1)
    return ops.relu(ops.add(ops.sub(neg, pos), 1.0))


@_layers_loss("logcosh")
def logcosh(y_true, y_pred):
    """mean(log(cosh(d))) with d = y_pred - y_true, as d + softplus(-2d) - log 2 so that
    large errors do not overflow cosh."""
    t, p = _same_shape(y_true, y_pred, "logcosh")
    d = ops.sub(p, t)
    return ops.mean(ops.sub(ops.add(d, ops.softplus(ops.mul(d, -2.0))), math.log(2.0)), -1)


def _categorical_crossentropy(t, p, from_logits):
    if from_logits:
        p = ops.softmax(p)
    else:  # TF.js rescales so each row sums to 1 before clipping
        p = ops.div(p, ops.sum(p, -1, keepdims=True))
    p = ops.clip_by_value(p, EPSILON, 1.0 - EPSILON)
    return ops.neg(ops.sum(ops.mul(t, ops.log(p)), -1))


@_layers_loss("categoricalCrossentropy")
def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """-sum(y_true * log(clip(y_pred / sum(y_pred), eps, 1 - eps))) over the last axis, on
    probabilities (or softmax(y_pred) with from_logits=True), as TF.js."""
    t, p = _same_shape(y_true, y_pred, "categoricalCrossentropy")
    return _categorical_crossentropy(t, p, from_logits)


@_layers_loss("sparseCategoricalCrossentropy")
def sparse_categorical_crossentropy(y_true, y_pred):
    """categoricalCrossentropy against one_hot(y_true): y_true holds class indices, of
    shape y_pred.shape[:-1] or that plus a trailing 1 (e.g. [batch] or [batch, 1])."""
    fn = "sparseCategoricalCrossentropy"
    t = tensor_arg(y_true, fn, "y_true")
    p = ops.cast(tensor_arg(y_pred, fn, "y_pred"), "float32")
    if p.rank < 2:
        raise ValueError(f"{fn}: y_pred must have shape [batch, ..., classes], received "
                         f"{list(p.shape)}")
    lead, classes = p.shape[:-1], p.shape[-1]
    if t.shape != lead and t.shape != lead + (1,):
        raise ValueError(f"{fn}: y_true must hold class indices of shape {list(lead)} or "
                         f"{list(lead + (1,))} for y_pred of shape {list(p.shape)}, received "
                         f"{list(t.shape)}")
    def onehot(td):
        # Checked here, on every run: a captured step sees a new batch of labels each time.
        if td.dtype == np.float32 and not np.all(np.isfinite(td)):
            raise ValueError(f"{fn}: y_true holds NaN or infinity; class indices expected")
        idx = np.floor(td).astype(np.int64)  # TF.js floors float labels
        bad = (idx < 0) | (idx >= classes)
        if bad.any():  # TF.js's oneHot gives an all-zero row here, i.e. a silent zero loss
            first = int(np.argmax(bad.ravel()))
            raise ValueError(f"{fn}: y_true holds class index {idx.ravel()[first]} at flat "
                             f"position {first}, outside [0, {classes}) for {classes} classes")
        return np.eye(classes, dtype=np.float32)[idx.reshape(lead)], None
    onehot = autodiff.apply("one_hot", onehot, (t,))
    return _categorical_crossentropy(onehot, ops.clip_by_value(p, EPSILON, 1.0 - EPSILON), False)


def _sigmoid_xent(t, z):
    # max(z, 0) - z * t + log(1 + exp(-|z|)): stable for either sign of z
    return ops.add(ops.sub(ops.relu(z), ops.mul(z, t)), ops.log1p(ops.exp(ops.neg(ops.abs(z)))))


@_layers_loss("binaryCrossentropy")
def binary_crossentropy(y_true, y_pred):
    """Mean binary cross-entropy over the last axis, on probabilities clipped to
    [eps, 1 - eps] and turned back into logits, as TF.js."""
    t, p = _same_shape(y_true, y_pred, "binaryCrossentropy")
    p = ops.clip_by_value(p, EPSILON, 1.0 - EPSILON)
    z = ops.log(ops.div(p, ops.sub(1.0, p)))
    return ops.mean(_sigmoid_xent(t, z), -1)


@_layers_loss("kullbackLeiblerDivergence")
def kullback_leibler_divergence(y_true, y_pred):
    """sum(y_true * log(clip(y_true, eps, 1) / clip(y_pred, eps, 1))) over the last axis."""
    t, p = _same_shape(y_true, y_pred, "kullbackLeiblerDivergence")
    ratio = ops.div(ops.clip_by_value(t, EPSILON, 1.0), ops.clip_by_value(p, EPSILON, 1.0))
    return ops.sum(ops.mul(t, ops.log(ratio)), -1)


@_layers_loss("poisson")
def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + eps)) over the last axis."""
    t, p = _same_shape(y_true, y_pred, "poisson")
    return ops.mean(ops.sub(p, ops.mul(t, ops.log(ops.add(p, EPSILON)))), -1)


def _l2_normalize(x):
    sq = ops.sum(ops.square(x), -1, keepdims=True)
    return ops.div(x, ops.sqrt(ops.maximum(sq, EPSILON)))


@_layers_loss("cosineProximity")
def cosine_proximity(y_true, y_pred):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred)) over the last axis (-1 when
    aligned), the norms floored at sqrt(eps) as TF.js."""
    t, p = _same_shape(y_true, y_pred, "cosineProximity")
    return ops.neg(ops.sum(ops.mul(_l2_normalize(t), _l2_normalize(p)), -1))


# Short ids TF.js exports as aliases (tf.metrics accepts them as ids; Keras accepts them
# as loss ids too, so get() does).
mae = mean_absolute_error
mape = mean_absolute_percentage_error
msle = mean_squared_logarithmic_error
kld = kullback_leibler_divergence
cosine = cosine_proximity
_SHORT = {"mse": "meanSquaredError", "MSE": "meanSquaredError", "mae": "meanAbsoluteError",
          "MAE": "meanAbsoluteError", "mape": "meanAbsolutePercentageError",
          "MAPE": "meanAbsolutePercentageError", "msle": "meanSquaredLogarithmicError",
          "MSLE": "meanSquaredLogarithmicError", "kld": "kullbackLeiblerDivergence",
          "KLD": "kullbackLeiblerDivergence", "cosine": "cosineProximity",
          "log_cosh": "logcosh", "logCosh": "logcosh"}


def snake_case(name):
    """'categoricalCrossentropy' -> 'categorical_crossentropy'."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _id_table(names, short):
    table = {}
    for n in names:
        table[n] = n
        table[snake_case(n)] = n
    table.update(short)
    return table


_LOSS_IDS = _id_table(LAYERS_LOSSES, _SHORT)


def canonical_id(identifier):
    """TF.js's id for a Layers-API loss id in either spelling or an alias, else None."""
    return _LOSS_IDS.get(identifier) if isinstance(identifier, str) else None


def get(identifier):
    """A Layers-API loss from its id (camelCase, snake_case, or a short alias such as
    'mse'): the function, with `.name` its TF.js id. A callable passes through, except
    the core mean_squared_error, which stands for the per-sample `mse`."""
    if isinstance(identifier, str):
        name = _LOSS_IDS.get(identifier)
        if name is not None:
            return LAYERS_LOSSES[name]
        hint = ""
        if "softmaxcrossentropy" in identifier.lower().replace("_", ""):
            hint = " (use 'categoricalCrossentropy' for tn.losses.softmax_cross_entropy)"
        raise ValueError(f"unknown loss {identifier!r}{hint}; valid ids: "
                         f"{', '.join(LAYERS_LOSSES)} (camelCase or snake_case), and "
                         f"{', '.join(k for k in _SHORT if k.islower())}")
    if identifier is mean_squared_error:
        # The core loss of the clashing name reduces to a scalar; as a Layers-API loss
        # (Keras's losses.mean_squared_error) it means the per-sample one.
        return mse
    if callable(identifier):
        return identifier
    raise TypeError(f"loss must be an id (e.g. 'categoricalCrossentropy') or a function "
                    f"(y_true, y_pred) -> Tensor, received {type(identifier).__name__}")


def name_of(fn):
    """TF.js's getLossOrMetricName: a loss's id, or a user function's __name__."""
    return getattr(fn, "name", None) or getattr(fn, "__name__", None) or type(fn).__name__


__all__ = ["Reduction", "compute_weighted_loss", "softmax_cross_entropy",
           "sigmoid_cross_entropy", "log_loss", "mean_squared_error", "absolute_difference",
           "hinge_loss", "huber_loss", "cosine_distance",
           # Layers API
           "get", "mse", "mae", "mape", "msle", "kld", "cosine", "mean_absolute_error",
           "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
           "squared_hinge", "hinge", "categorical_hinge", "logcosh", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "binary_crossentropy",
           "kullback_leibler_divergence", "poisson", "cosine_proximity", "EPSILON"]
