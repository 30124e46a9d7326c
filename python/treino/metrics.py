"""tn.metrics: TF.js's metric functions (tfjs-layers/src/metrics.ts) and the metric
objects compile() uses.

The functions follow TF.js: accuracies return one value per sample, precision, recall
and r2_score one value per batch, and every Layers-API loss doubles as a metric. They
need no gradient, so they compute in numpy and return a Tensor. `get(identifier, loss,
output_shape)` turns an id (either spelling), a function or a Metric into a Metric:
`.name` is the history/log key and calling it gives the batch mean as a scalar Tensor.
"""
import numbers

import numpy as np

from . import _kernels as K, losses
from .core import autodiff, engine
from .core.dtypes import to_array
from .core.tensor import Tensor, value_reads

_THRESHOLD = 0.5


def _arr(x, fn, arg):
    if isinstance(x, Tensor):
        # These metrics compute in numpy: handing a tensor's values to numpy is a value
        # read (a traced loss or metric calling one runs at every step instead).
        value_reads[0] += 1
        return x._data
    return to_array(x, None, fn, arg)


def _same_shape(y_true, y_pred, fn):
    t, p = _arr(y_true, fn, "y_true"), _arr(y_pred, fn, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"{fn}: y_true of shape {list(t.shape)} and y_pred of shape "
                         f"{list(p.shape)} must have the same shape")
    if p.ndim == 0:
        raise ValueError(f"{fn}: y_pred must have rank >= 1 (samples, ...), received a scalar")
    return t, p


def _f32(a):
    if type(a) is np.ndarray and a.ndim:  # (ascontiguousarray would make a 0-d array 1-d)
        return Tensor(np.ascontiguousarray(a, np.float32))
    return Tensor(np.array(a, dtype=np.float32, order="C"))


def _named(tfjs_name):
    def mark(fn):
        fn.name = tfjs_name
        return fn
    return mark


@_named("binaryAccuracy")
def binary_accuracy(y_true, y_pred, threshold=_THRESHOLD):
    """Per sample: the fraction of y_true == (y_pred > threshold) over the last axis."""
    t, p = _same_shape(y_true, y_pred, "binaryAccuracy")
    return _f32(np.mean(t == (p > threshold), axis=-1))


@_named("categoricalAccuracy")
def categorical_accuracy(y_true, y_pred):
    """Per sample: 1 where argmax(y_true) == argmax(y_pred) (first maximum wins), else 0."""
    t, p = _same_shape(y_true, y_pred, "categoricalAccuracy")
    return _f32(t.argmax(-1) == p.argmax(-1))  # (the methods skip np.argmax's wrapper)


def _sparse_labels(y_true, p, fn):
    t = _arr(y_true, fn, "y_true")
    if p.ndim < 2:
        raise ValueError(f"{fn}: y_pred must have shape [batch, ..., classes], received "
                         f"{list(p.shape)}")
    lead = p.shape[:-1]
    if t.shape == lead + (1,):  # TF.js squeezes a trailing 1 when the ranks match
        t = t.reshape(lead)
    if t.shape != lead:
        raise ValueError(f"{fn}: y_true must hold class indices of shape {list(lead)} or "
                         f"{list(lead + (1,))} for y_pred of shape {list(p.shape)}, received "
                         f"{list(t.shape)}")
    return t


@_named("sparseCategoricalAccuracy")
def sparse_categorical_accuracy(y_true, y_pred):
    """Per sample: 1 where the class index y_true equals argmax(y_pred), else 0."""
    fn = "sparseCategoricalAccuracy"
    p = _arr(y_pred, fn, "y_pred")
    t = _sparse_labels(y_true, p, fn)
    return _f32(t == p.argmax(-1))


def _in_top_k(target, p, k, fn):
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"{fn}: argument 'k' must be an int >= 1, received {k!r}")
    classes = p.shape[-1]
    target = target.astype(np.int64)
    if np.any((target < 0) | (target >= classes)):
        raise ValueError(f"{fn}: class indices must be in [0, {classes})")
    score = np.take_along_axis(p, target[..., None], axis=-1)
    # Ties at the k-th place count as in the top k (as tf.math.in_top_k and Keras).
    better = np.sum(p > score, axis=-1)
    return _f32((better < k) & ~np.isnan(score[..., 0]))


@_named("topKCategoricalAccuracy")
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per sample: 1 when the class argmax(y_true) is among the k highest of y_pred."""
    t, p = _same_shape(y_true, y_pred, "topKCategoricalAccuracy")
    return _in_top_k(np.argmax(t, axis=-1), p, k, "topKCategoricalAccuracy")


@_named("sparseTopKCategoricalAccuracy")
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per sample: 1 when the class index y_true is among the k highest of y_pred."""
    fn = "sparseTopKCategoricalAccuracy"
    p = _arr(y_pred, fn, "y_pred")
    return _in_top_k(_sparse_labels(y_true, p, fn), p, k, fn)


def _counts(y_true, y_pred, fn):
    t, p = _same_shape(y_true, y_pred, fn)
    # TF.js counts y_pred == 1 / == 0 exactly; thresholding at 0.5 (as Keras) agrees on
    # 0/1 predictions and makes the metric meaningful on probabilities.
    pos = p > _THRESHOLD
    tp = np.count_nonzero((t == 1) & pos)
    fp = np.count_nonzero((t == 0) & pos)
    fn_ = np.count_nonzero((t == 1) & ~pos)
    return tp, fp, fn_


@_named("precision")
def precision(y_true, y_pred):
    """tp / (tp + fp) over the whole batch, 0 when nothing is predicted positive (TF.js)."""
    tp, fp, _ = _counts(y_true, y_pred, "precision")
    return _f32(tp / (tp + fp) if tp + fp else 0.0)


@_named("recall")
def recall(y_true, y_pred):
    """tp / (tp + fn) over the whole batch, 0 when there are no positive labels (TF.js)."""
    tp, _, fn_ = _counts(y_true, y_pred, "recall")
    return _f32(tp / (tp + fn_) if tp + fn_ else 0.0)


@_named("r2Score")
def r2_score(y_true, y_pred):
    """1 - sum((y_true - y_pred)^2) / sum((y_true - mean(y_true))^2) over the batch, per
    output column then averaged (Keras's uniform_average); a constant column scores 1
    when predicted exactly and 0 otherwise (scikit-learn's convention) instead of
    dividing by zero."""
    t, p = _same_shape(y_true, y_pred, "r2Score")
    t = t.reshape(t.shape[0], -1).astype(np.float64)
    p = p.reshape(p.shape[0], -1).astype(np.float64)
    ss_res = np.sum((t - p) ** 2, axis=0)
    ss_tot = np.sum((t - t.mean(axis=0)) ** 2, axis=0)
    safe = np.where(ss_tot > 0, ss_tot, 1.0)
    score = np.where(ss_tot > 0, 1.0 - ss_res / safe, np.where(ss_res == 0, 1.0, 0.0))
    return _f32(score.mean())


# Layers-API losses as metrics (tf.metrics.meanSquaredError is the per-sample one).
mean_squared_error = mse = losses.mse
mean_absolute_error = mae = losses.mean_absolute_error
mean_absolute_percentage_error = mape = losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = msle = losses.mean_squared_logarithmic_error
squared_hinge = losses.squared_hinge
hinge = losses.hinge
categorical_hinge = losses.categorical_hinge
logcosh = losses.logcosh
categorical_crossentropy = losses.categorical_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy
binary_crossentropy = losses.binary_crossentropy
kullback_leibler_divergence = kld = losses.kullback_leibler_divergence
poisson = losses.poisson
cosine_proximity = cosine = losses.cosine_proximity

METRICS = {f.name: f for f in (binary_accuracy, categorical_accuracy,
                                sparse_categorical_accuracy, top_k_categorical_accuracy,
                                sparse_top_k_categorical_accuracy, precision, recall, r2_score)}
METRICS.update(losses.LAYERS_LOSSES)
_IDS = losses._id_table(METRICS, losses._SHORT)
_ACC = ("accuracy", "acc")
_CE = ("crossentropy", "ce")


class Metric:
    """A metric as compile() uses it. `name`: the history/log key; `fn`: the metric
    function (per sample where TF.js's is); calling it gives the batch mean as a scalar
    float32 Tensor. `from_correct_count` marks an accuracy that the fused
    softmax-cross-entropy step may read from its correct-prediction count."""

    __slots__ = ("fn", "name", "from_correct_count")

    def __init__(self, fn, name, from_correct_count=False):
        if not callable(fn):
            raise TypeError(f"Metric: argument 'fn' must be callable, received "
                            f"{type(fn).__name__}")
        self.fn, self.name, self.from_correct_count = fn, str(name), bool(from_correct_count)

    def __call__(self, y_true, y_pred):
        """The batch mean of fn(y_true, y_pred), without gradient. While a step is
        captured, fn is traced op by op when it allows it (engine.trace); otherwise it
        is one node whose core calls fn again at every replay (numpy inside fn, or a
        user's Python, is fine)."""
        t = y_true if isinstance(y_true, Tensor) else Tensor(_arr(y_true, self.name, "y_true"))
        p = y_pred if isinstance(y_pred, Tensor) else Tensor(_arr(y_pred, self.name, "y_pred"))
        if autodiff.active_recorder() is None:
            return autodiff.apply(self.name, self._core, (t, p))
        v, traced = engine.trace(self.fn, (t, p))
        if traced and isinstance(v, Tensor):
            return autodiff.apply(self.name, self._mean_core, (v,))
        return autodiff.apply(self.name, engine.first_result(self._core, self._mean(v), None),
                              (t, p))

    def _core(self, t, p):
        quick = _BATCH_MEANS.get(self.fn)
        if quick is not None:
            mean = quick(t, p)
            if mean is not None:
                return mean, None
        if autodiff._active.get() is None:  # a replay: nothing records
            return self._mean(self.fn(Tensor(t), Tensor(p))), None
        token = autodiff._push(isolate=True)  # fn's own ops are recorded nowhere
        try:
            v = self.fn(Tensor(t), Tensor(p))
        finally:
            autodiff._active.reset(token)
        return self._mean(v), None

    def _mean_core(self, a):
        return self._mean(a), None

    def _mean(self, v):
        a = v._data if isinstance(v, Tensor) else v if type(v) is np.ndarray else np.asarray(v)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"metric {self.name!r} must return numbers, received "
                            f"{type(v).__name__}")
        # The mean as ndarray.mean computes it: a float64 sum, then / size (the native
        # reduction sums float32 in double too, without numpy's casting machinery).
        if a.dtype == np.float32 and a.size and a.flags.c_contiguous:
            return K.reduce_mean(a, None)
        mean = np.add.reduce(a, axis=None, dtype=np.float64) / a.size if a.size else np.nan
        return np.asarray(mean, np.float32)

    def __repr__(self):
        return f"Metric(name={self.name!r}, fn={getattr(self.fn, '__name__', self.fn)!r})"


def _categorical_accuracy_mean(t, p):
    """categorical_accuracy's batch mean in one pass for the common case (two float32
    [batch, classes] arrays of one shape), the same number as the mean of its per-sample
    values; None for anything else (the full function checks and computes it)."""
    if t.shape != p.shape or t.ndim != 2 or not t.shape[0] or not t.shape[1] \
            or t.dtype != np.float32 or p.dtype != np.float32 or not t.flags.c_contiguous \
            or not p.flags.c_contiguous:
        return None
    return np.asarray(K.argmax_match_count(t, p) / t.shape[0], np.float32)


# Metric functions with a faster batch mean (Metric._core uses it when it applies).
_BATCH_MEANS = {categorical_accuracy: _categorical_accuracy_mean}


def _loss_name(loss):
    if loss is None:
        return None
    if isinstance(loss, str):
        return losses.canonical_id(loss)
    return getattr(loss, "name", None)


def _reads_correct_count(fn, loss_name):
    # The fused step counts argmax(logits) == label, which is this accuracy only when the
    # labels are of the kind the metric expects.
    return ((fn is categorical_accuracy and loss_name == "categoricalCrossentropy")
            or (fn is sparse_categorical_accuracy and loss_name == "sparseCategoricalCrossentropy"))


def get(identifier, loss=None, output_shape=None):
    """A Metric from an id (camelCase, snake_case or a short alias like 'mse'), a
    function or a Metric. 'accuracy'/'acc' (and 'crossentropy'/'ce') are resolved as
    TF.js's compile does: binary for binary cross-entropy or a 1-unit output, sparse for
    sparse categorical cross-entropy, categorical otherwise; their log key is 'acc'
    ('ce'). Other string ids are logged under the string as given, as TF.js does."""
    if isinstance(identifier, Metric):
        return identifier
    loss_name = _loss_name(loss)
    if isinstance(identifier, str):
        if identifier in _ACC + _CE:
            acc = identifier in _ACC
            units = output_shape[-1] if output_shape else None
            if units == 1 or loss_name == "binaryCrossentropy":
                fn = binary_accuracy if acc else binary_crossentropy
            elif loss_name == "sparseCategoricalCrossentropy":
                fn = sparse_categorical_accuracy if acc else sparse_categorical_crossentropy
            else:
                fn = categorical_accuracy if acc else categorical_crossentropy
            return Metric(fn, "acc" if acc else "ce", _reads_correct_count(fn, loss_name))
        name = _IDS.get(identifier)
        if name is None:
            raise ValueError(f"unknown metric {identifier!r}; valid ids: accuracy, acc, "
                             f"crossentropy, ce, {', '.join(METRICS)} (camelCase or "
                             f"snake_case), and {', '.join(k for k in losses._SHORT if k.islower())}")
        fn = METRICS[name]
        return Metric(fn, identifier, _reads_correct_count(fn, loss_name))
    if callable(identifier):
        fn = losses.get(identifier)  # maps the core mean_squared_error to mse
        return Metric(fn, losses.name_of(fn))
    raise TypeError(f"metric must be an id (e.g. 'accuracy'), a function (y_true, y_pred) "
                    f"or a tn.metrics.Metric, received {type(identifier).__name__}")


__all__ = ["Metric", "get", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "precision", "recall", "r2_score",
           "mean_squared_error", "mse", "mean_absolute_error", "mae",
           "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error", "msle",
           "squared_hinge", "hinge", "categorical_hinge", "logcosh", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "binary_crossentropy",
           "kullback_leibler_divergence", "kld", "poisson", "cosine_proximity", "cosine"]
