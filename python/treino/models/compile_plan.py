"""What compile() decides, and the loss and metric part of a training step built from it.

A model has one Head per output: the output's loss function, its weight in the total
loss, its metrics, and whether the loss is computed fused from the output layer's
logits (a dense softmax layer with (sparse) categorical cross-entropy: the native
softmax-cross-entropy, which also counts correct predictions for 'accuracy'). compile
takes one loss for every output, a list, or a dict by output name (TF.js and Keras);
`loss_weights` and metrics likewise (a list of metrics applies to every output).

The logs follow TF.js: 'loss' is the total (weighted sum plus regularization); with
several outputs each adds '<output>_loss' and '<output>_<metric>'.
"""
from .. import losses as losses_mod
from .. import metrics as metrics_mod
from .. import train
from ..core import autodiff, ops, engine

_OPTIMIZERS = {
    "sgd": lambda: train.sgd(0.01),
    "momentum": lambda: train.momentum(0.01, 0.9),
    "adagrad": lambda: train.adagrad(0.01),
    "adadelta": lambda: train.adadelta(1.0, 0.95, 1e-7),
    "adam": lambda: train.adam(0.001, 0.9, 0.999, 1e-7),
    "adamax": lambda: train.adamax(0.002, 0.9, 0.999, 1e-7, 0.0),
    "rmsprop": lambda: train.rmsprop(0.001, 0.9, 0.0, 1e-7),
}
SPARSE = ("sparseCategoricalCrossentropy",)
CATEGORICAL = ("categoricalCrossentropy",)


def get_optimizer(identifier):
    if isinstance(identifier, train.Optimizer):
        return identifier
    if isinstance(identifier, str):
        make = _OPTIMIZERS.get(identifier.lower())
        if make is None:
            raise ValueError(f"compile: unknown optimizer {identifier!r}; valid ids: "
                             f"{', '.join(repr(k) for k in _OPTIMIZERS)} (or an optimizer "
                             f"instance from tn.train)")
        return make()
    raise TypeError(f"compile: argument 'optimizer' must be an id or a tn.train optimizer, "
                    f"received {type(identifier).__name__}")


def loss_ignores_output(loss):
    """The error for a compiled loss whose value does not depend on the model's output
    (it would train nothing; TF.js and Keras refuse it too)."""
    name = getattr(loss, "name", None) or getattr(loss, "__name__", type(loss).__name__)
    return ValueError(f"fit: the loss {name!r} does not depend on the model's output "
                      f"(y_pred), so no weight would get a gradient; the loss must be "
                      f"computed from y_pred with tensor ops")


def is_builtin(fn):
    return (getattr(fn, "__module__", None) or "").startswith("treino.")


def user_code(fn, call, name, inputs, trace=False):
    """call(*inputs): treino's own functions run (and are captured) op by op; a user's
    function runs as one Python slot of the engine, called again at every replay, or,
    with trace (a loss function), is traced op by op when it allows it (see
    engine.python_slot)."""
    if is_builtin(fn):
        return call(*inputs)
    return engine.python_slot(name, call, inputs, trace=trace)


class Head:
    """One output's training setup (see the module docstring)."""

    __slots__ = ("name", "shape", "loss", "weight", "metrics", "fused", "sparse")

    def __init__(self, name, shape, loss, weight, metrics, fused):
        self.name, self.shape, self.loss, self.weight = name, shape, loss, weight
        self.metrics, self.fused = metrics, fused
        self.sparse = getattr(loss, "name", None) in SPARSE


class CompilePlan:
    """compile()'s arguments as given (`optimizer_arg`, `loss_arg`, `metrics_arg`,
    `loss_weights`), the optimizer, and a Head per output."""

    def __init__(self, optimizer_arg, loss_arg, metrics_arg, loss_weights, optimizer, heads):
        self.optimizer_arg, self.loss_arg, self.metrics_arg = optimizer_arg, loss_arg, metrics_arg
        self.loss_weights, self.optimizer, self.heads = loss_weights, optimizer, heads

    @property
    def fused(self):
        return any(h.fused for h in self.heads)

    def value_names(self):
        """The log keys of a step's values, in order (TF.js's)."""
        heads = self.heads
        if len(heads) == 1:
            return ["loss"] + [m.name for m in heads[0].metrics]
        return (["loss"] + [f"{h.name}_loss" for h in heads] +
                [f"{h.name}_{m.name}" for h in heads for m in h.metrics])

    def divisors(self, n):
        """What each value is divided by to give its log entry: the batch size for a
        correct count (read from a fused loss), else 1."""
        extra = [] if len(self.heads) == 1 else [1] * len(self.heads)
        return [1] + extra + [n if h.fused and m.from_correct_count else 1
                              for h in self.heads for m in h.metrics]


def _per_output(value, names, what, allow_single=True):
    """value for each output: the same for all (allow_single), a list in output order
    or a dict by output name."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"compile: argument '{what}' has unknown output name(s) {unknown}; "
                             f"the model's outputs are {names}")
        missing = [n for n in names if n not in value]
        if missing and what == "loss":
            raise ValueError(f"compile: argument 'loss' gives no loss for output(s) {missing}; "
                             f"every output needs one")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)) and not (what == "metrics" and len(names) == 1):
        if len(value) != len(names):
            raise ValueError(f"compile: argument '{what}' must have one entry per output "
                             f"({len(names)}: {names}), received {len(value)}")
        return list(value)
    if not allow_single and len(names) > 1:
        raise ValueError(f"compile: argument '{what}' must be a list or a dict by output "
                         f"name for a model with {len(names)} outputs")
    return [value] * len(names)


def compile_plan(model, optimizer, loss, metrics, loss_weights):
    opt = get_optimizer(optimizer)
    names = model._output_keys()
    shapes = [t.shape for t in model.outputs]
    losses = _per_output(loss, names, "loss")
    weights = [1.0] * len(names) if loss_weights is None else \
        _per_output(loss_weights, names, "loss_weights", allow_single=False)
    for n, w in zip(names, weights):
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not w == w or w < 0 \
                or w == float("inf"):
            raise ValueError(f"compile: argument 'loss_weights' must hold finite numbers >= 0, "
                             f"received {w!r} for output {n!r}")
    if metrics is None:
        per_metrics = [[] for _ in names]
    elif isinstance(metrics, dict):
        per_metrics = _per_output(metrics, names, "metrics")
        per_metrics = [[] if m is None else m for m in per_metrics]
    elif isinstance(metrics, str) or callable(metrics):
        per_metrics = [[metrics] for _ in names]
    elif isinstance(metrics, (list, tuple)) and metrics and all(
            isinstance(m, (list, tuple)) for m in metrics):
        per_metrics = _per_output(list(metrics), names, "metrics")
    elif isinstance(metrics, (list, tuple)):
        per_metrics = [list(metrics) for _ in names]  # applied to every output (TF.js)
    else:
        raise TypeError(f"compile: argument 'metrics' must be a list of metric ids or "
                        f"functions (or a dict by output name), received {type(metrics).__name__}")
    fusable = model._fusable_outputs()
    heads = []
    for i, (name, shape, lo, w, ms) in enumerate(zip(names, shapes, losses, weights, per_metrics)):
        where = "loss" if len(names) == 1 else f"loss for output {name!r}"
        try:
            loss_fn = losses_mod.get(lo)
        except (ValueError, TypeError) as e:
            raise type(e)(f"compile: argument '{where}': {e}") from None
        lname = getattr(loss_fn, "name", None)
        units = shape[-1]
        if lname in CATEGORICAL and units == 1:
            raise ValueError("compile: loss 'categoricalCrossentropy' needs an output of "
                             "more than one unit (one-hot labels), but the model outputs "
                             f"{units}; use 'binaryCrossentropy' for a 1-unit sigmoid output")
        if lname in SPARSE and units == 1:
            raise ValueError("compile: loss 'sparseCategoricalCrossentropy' needs an output "
                             "with one unit per class, but the model outputs 1 unit")
        if isinstance(ms, (str,)) or callable(ms):
            ms = [ms]
        elif not isinstance(ms, (list, tuple)):
            raise TypeError(f"compile: argument 'metrics' for output {name!r} must be a metric "
                            f"id, a function or a list of them, received {type(ms).__name__}")
        got = []
        for j, m in enumerate(ms):
            try:
                got.append(metrics_mod.get(m, loss=loss_fn, output_shape=shape))
            except (ValueError, TypeError) as e:
                raise type(e)(f"compile: argument 'metrics'[{j}]: {e}") from None
        last = fusable[i]
        act = getattr(getattr(last, "activation", None), "name", None)
        # The fused kernel takes (batch, classes) logits: other ranks take the loss as is.
        fused = (lname in CATEGORICAL + SPARSE and act == "softmax"
                 and hasattr(last, "call_logits") and len(shape) == 2)
        heads.append(Head(name, shape, loss_fn, float(w), got, fused))
    return CompilePlan(optimizer, loss, metrics, loss_weights, opt, heads)


def reduce_loss(per, w):
    """The batch loss from per-sample losses `per` and sample weights w (or None)."""
    if w is not None and per.rank > 1:
        # One loss per sample before weighting (as Keras): a user's loss may keep
        # trailing axes, e.g. [n, 1], which would broadcast against [n] weights.
        per = ops.mean(per, list(range(1, per.rank)))
    return ops.mean(per) if w is None else ops.mean(ops.mul(per, w))


def step_loss(model, plan, xs, ys, ws, cache, training):
    """The scalar training loss of a batch: the model's forward pass, each head's loss
    (weighted), and with `training` the regularization penalties (TF.js adds them to the
    training loss only). `cache` gets what the metrics need: per head 'out', or 'logits'
    and 'correct' for a fused loss, and the heads' losses."""
    heads = plan.heads
    single = len(heads) == 1
    call = type(model).call
    # The weight penalties depend on the weights only, so they are recorded before the
    # forward pass: their backward then runs after the layers', and adds the penalty's
    # gradient into the weight's gradient the layer's backward has already written (in a
    # captured step: in place, in the flat gradient buffer; see engine.py's adds_grads).
    penalties = model.regularization_losses() if training else ()
    regularized = _regularized_count(model) if training else 0
    flags = [h.fused for h in heads]
    skip = flags[0] if single else (flags if any(flags) else False)
    x = xs[0] if len(xs) == 1 else list(xs)
    if isinstance(x, list):
        out = user_code(call, lambda *ts: model.call(list(ts), training=training,
                                                     skip_last_activation=skip),
                        "call", tuple(xs))
    else:
        out = user_code(call, lambda t: model.call(t, training=training,
                                                   skip_last_activation=skip), "call", (x,))
    outs = [out] if single else (list(out.values()) if isinstance(out, dict) else list(out))
    losses = []
    for i, (h, o, y, w) in enumerate(zip(heads, outs, ys, ws)):
        c = cache.setdefault(i, {})
        if h.fused:
            if w is None:  # the common case: the batch mean in one node
                loss, correct = ops.softmax_cross_entropy_mean(y, o)
            else:
                per, correct = ops.softmax_cross_entropy_with_logits(y, o)
                loss = reduce_loss(per, w)
            c["logits"], c["correct"] = o, correct
        else:
            per = user_code(h.loss, h.loss, "loss", (y, o), trace=True)
            if training and autodiff.tracked(o) and not autodiff.tracked(per):
                raise loss_ignores_output(h.loss)
            c["out"] = o
            loss = reduce_loss(per, w)
        losses.append(loss)
    cache["losses"] = losses
    if single and heads[0].weight == 1.0:
        total = losses[0]
    else:
        total = None
        for h, loss in zip(heads, losses):
            term = loss if h.weight == 1.0 else ops.mul(loss, h.weight)
            total = term if total is None else ops.add(total, term)
    if training and _regularized_count(model) != regularized:
        # The forward pass created weights (a layer built in its first call): their
        # penalties are taken now, from every weight, as they exist after the pass.
        penalties = model.regularization_losses()
    if training:  # add_loss terms: after the forward pass, which they may depend on
        penalties = list(penalties) + model.added_losses()
    for penalty in penalties:
        total = ops.add(total, penalty)
    return total


def _regularized_count(model):
    return sum(w.regularizer is not None for layer in model._leaf_layers()
               for w in layer._weights)


def metric_tensors(plan, ys, cache):
    """The per-output losses (several outputs) and the compiled metrics' values, as
    tensors (a fused loss's correct count for accuracy; see CompilePlan.divisors)."""
    values = [] if len(plan.heads) == 1 else list(cache["losses"])
    for i, (h, y) in enumerate(zip(plan.heads, ys)):
        c = cache[i]
        for m in h.metrics:
            if "correct" in c and m.from_correct_count:
                values.append(c["correct"])
                continue
            if "out" not in c:
                c["out"] = ops.softmax(c["logits"])
            values.append(m(y, c["out"]))
    return values
