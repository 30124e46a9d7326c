"""Model: compile / fit / evaluate / predict on top of the core API.

A training step is the optimizer's minimize (DESIGN.md principle 1; its two halves,
compute_gradients and apply_gradients, with the metrics in between): loss_fn runs
the forward pass, the loss (mean over the batch, sample weights applied) and the
regularization penalties. When the last layer is a dense softmax and the loss is
(sparse) categorical cross-entropy, the step computes the loss from the logits with the
fused native softmax-cross-entropy (more accurate than clipping probabilities, and one
pass that also counts correct predictions). fit is a short skeleton: batches come from
an epoch plan, hooks, history and the progress display from a CallbackList.

Speed comes from the engine (core/engine.py, docs/engine.md), not from a second step:
_replay captures this eager step once per signature and replays its program, the very
same calls; compile(run_eagerly=True) runs every step on the tape.
"""
import contextlib
import numbers
import signal
import threading

import numpy as np

from .. import _kernels as K
from .. import callbacks as cbks
from .. import losses as losses_mod
from .. import metrics as metrics_mod
from .. import train
from .._config import check_bool
from ..core import autodiff, ops
from ..core import random as trandom
from ..core.tensor import Tensor, in_step, state_version
from ..layers.base import Layer, assign_all
from .data_checks import (as_array, check_count, check_initial_epoch, check_input, positive_int,
                          sample_weights)
from .dataset_training import DatasetTraining
from ..core import engine

_OPTIMIZERS = {
    "sgd": lambda: train.sgd(0.01),
    "momentum": lambda: train.momentum(0.01, 0.9),
    "adagrad": lambda: train.adagrad(0.01),
    "adadelta": lambda: train.adadelta(1.0, 0.95, 1e-7),
    "adam": lambda: train.adam(0.001, 0.9, 0.999, 1e-7),
    "adamax": lambda: train.adamax(0.002, 0.9, 0.999, 1e-7, 0.0),
    "rmsprop": lambda: train.rmsprop(0.001, 0.9, 0.0, 1e-7),
}
_SPARSE = ("sparseCategoricalCrossentropy",)
_CATEGORICAL = ("categoricalCrossentropy",)


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


# Captured programs kept per model (one per signature: a last partial batch, train and
# evaluate each have their own).
_MAX_PROGRAMS = 8


def _is_builtin(fn):
    return (getattr(fn, "__module__", None) or "").startswith("treino.")


def _user_code(fn, call, name, inputs, trace=False):
    """call(*inputs): treino's own functions run (and are captured) op by op; a user's
    function runs as one Python slot of the engine, called again at every replay, or,
    with trace (a loss function), is traced op by op when it allows it (see
    engine.python_slot)."""
    if _is_builtin(fn):
        return call(*inputs)
    return engine.python_slot(name, call, inputs, trace=trace)


class Model(Layer, DatasetTraining):
    """What every model can do (compile, fit, evaluate, predict, save); the graph is
    the subclass's (functional.py's LayersModel, sequential.py's Sequential). A model is
    a layer: it can be applied inside another model."""

    # A model's own attributes (optimizer, history, stop_training...) are not layer
    # configuration: setting them does not make the engine capture steps again (its
    # layers' attributes do).
    __setattr__ = object.__setattr__

    def __init__(self, name):
        Layer.__init__(self, name=name)
        self.optimizer = None
        self.loss = None
        self.metrics = []
        self.stop_training = False
        self.history = None
        self._compiled = None
        self.run_eagerly = False
        self._programs = {}  # signature -> engine.Program, or False (runs eagerly)
        self._divisors_of = {}  # batch size -> _divisors(batch size), for this compile
        self._engine_reason = None  # why the last captured step is not replayable
        # Held while fit / fit_dataset / train_on_batch runs: the step's buffers and the
        # optimizer state are not safe to share between two training calls.
        self._training = threading.Lock()

    # -- weights -----------------------------------------------------------------------
    @property
    def trainable(self):
        return getattr(self, "_trainable", True)

    @trainable.setter
    def trainable(self, value):
        """As TF.js: sets every layer's trainable flag (a frozen model trains nothing)."""
        value = check_bool(value, type(self).__name__, "trainable")
        for layer in self._layers:
            layer.trainable = value
        object.__setattr__(self, "_trainable", value)

    def _leaf_layers(self):
        """Every layer inside the model, nested models' layers in their place, each
        once (a shared layer appears at its first use)."""
        out, seen = [], set()
        for layer in self._layers:
            for leaf in (layer._leaf_layers() if isinstance(layer, Model) else [layer]):
                if id(leaf) not in seen:
                    seen.add(id(leaf))
                    out.append(leaf)
        return out

    @property
    def weights(self):
        # TF.js's order (and so get_weights / set_weights'): trainable, then the rest.
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self):
        return [w for l in self._leaf_layers() for w in l.trainable_weights]

    @property
    def non_trainable_weights(self):
        return [w for l in self._leaf_layers() for w in l.non_trainable_weights]

    def count_params(self):
        return sum(l.count_params() for l in self._leaf_layers())

    def regularization_losses(self):
        return [p for l in self._leaf_layers() for p in l.regularization_losses()]

    def get_weights(self):
        return [w.val.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Assigns a list of arrays in model.weights order; checked whole first."""
        assign_all(self.weights, weights, "set_weights")

    def save(self, path, include_optimizer=True):
        """Saves to a folder in TF.js's layers-model format (model.json + weight shards),
        or, for a path ending in '.treino', to one file that also holds the optimizer
        state (see models/saving/)."""
        from .saving import save_model
        return save_model(self, path, include_optimizer=include_optimizer)

    def _invalidate(self):
        self._compiled = None  # the layers changed: compile again
        self._programs, self._divisors_of = {}, {}

    # -- compile -----------------------------------------------------------------------
    def compile(self, optimizer, loss, metrics=None, run_eagerly=False):
        """optimizer, loss and metrics as ids (both spellings), instances or callables;
        checked against each other and the model's output now. A failed compile leaves
        the model as it was. run_eagerly=True (Keras's name) runs every step on the
        tape instead of replaying its captured program: slower, for debugging."""
        self._check_layers("compile")
        if not isinstance(run_eagerly, (bool, np.bool_)):
            raise TypeError(f"compile: argument 'run_eagerly' must be a bool, received "
                            f"{run_eagerly!r}")
        plan = self._compile_plan(optimizer, loss, metrics)
        self._compiled = plan
        self.run_eagerly = bool(run_eagerly)
        self._programs, self._divisors_of = {}, {}
        _, _, _, self.optimizer, self.loss, self.metrics, _ = plan

    def _compile_plan(self, optimizer, loss, metrics):
        opt = get_optimizer(optimizer)
        try:
            loss_fn = losses_mod.get(loss)
        except (ValueError, TypeError) as e:
            raise type(e)(f"compile: argument 'loss': {e}") from None
        out_shape = self.output_shape
        name = getattr(loss_fn, "name", None)
        units = out_shape[-1]
        if name in _CATEGORICAL and units == 1:
            raise ValueError("compile: loss 'categoricalCrossentropy' needs an output of "
                             "more than one unit (one-hot labels), but the model outputs "
                             f"{units}; use 'binaryCrossentropy' for a 1-unit sigmoid output")
        if name in _SPARSE and units == 1:
            raise ValueError("compile: loss 'sparseCategoricalCrossentropy' needs an output "
                             "with one unit per class, but the model outputs 1 unit")
        if metrics is None:
            metrics = []
        elif isinstance(metrics, (str,)) or callable(metrics):
            metrics = [metrics]
        elif isinstance(metrics, dict):
            raise TypeError("compile: argument 'metrics' must be a list for a single-output model")
        ms = []
        for i, m in enumerate(metrics):
            try:
                ms.append(metrics_mod.get(m, loss=loss_fn, output_shape=out_shape))
            except (ValueError, TypeError) as e:
                raise type(e)(f"compile: argument 'metrics'[{i}]: {e}") from None
        last = self._output_layer()
        act = getattr(getattr(last, "activation", None), "name", None)
        # The fused kernel takes (batch, classes) logits: other ranks take the loss as is.
        fused = (name in _CATEGORICAL + _SPARSE and act == "softmax"
                 and hasattr(last, "call_logits") and len(out_shape) == 2)
        return (optimizer, loss, metrics, opt, loss_fn, ms, fused)

    def _check_compiled(self, fn):
        if self._compiled is None:
            raise RuntimeError(f"{fn}: the model must be compiled first (model.compile("
                               f"optimizer=..., loss=...))")

    # -- predict -----------------------------------------------------------------------
    def predict(self, x, batch_size=32, verbose=0):
        """Outputs for x, in batches, without recording gradients."""
        self._check_layers("predict")
        xa = as_array(x, "predict", "x")
        xa = check_input(xa, self, "predict")
        batch_size = positive_int(batch_size, "predict", "batch_size")
        outs = [self._replay("predict", self._predict_step, (Tensor(xa[i:i + batch_size]),))[0]
                for i in range(0, xa.shape[0], batch_size)]
        return Tensor(np.concatenate(outs) if len(outs) > 1 else outs[0])

    def _predict_step(self, x):
        return [_user_code(type(self).call, lambda t: self.call(t, training=False), "call", (x,))]

    def predict_on_batch(self, x):
        """The model's output for one batch. A float32 Tensor input is used as it is,
        so model(x) is differentiable with respect to x (tn.grad through a model)."""
        self._check_layers("predict_on_batch")
        if isinstance(x, Tensor) and x.dtype == "float32" and x.rank == len(self.input_shape):
            check_input(x._data, self, "predict_on_batch")
            return self.call(x)
        xa = as_array(x, "predict_on_batch", "x")
        xa = check_input(xa, self, "predict_on_batch")
        return self.call(Tensor(xa))

    __call__ = predict_on_batch

    # -- one training step ---------------------------------------------------------------
    def _labels(self, y, fn, arg="y"):
        sparse = getattr(self.loss, "name", None) in _SPARSE
        ya = as_array(y, fn, arg, allow_int=sparse)
        out = self.output_shape
        if sparse:
            if not (ya.ndim == 1 or (ya.ndim == 2 and ya.shape[1] == 1)):
                raise ValueError(f"{fn}: sparse categorical labels ('{arg}') must have shape "
                                 f"[n] or [n,1] (class indices), received {list(ya.shape)}; "
                                 f"use 'categoricalCrossentropy' for one-hot labels")
            ya = ya.reshape(-1).astype(np.int32)
            if ya.min() < 0 or ya.max() >= out[-1]:
                bad = int(np.argmax((ya < 0) | (ya >= out[-1])))
                raise ValueError(f"{fn}: label {ya[bad]} in row {bad} of '{arg}' is outside "
                                 f"[0, {out[-1]}) for an output of {out[-1]} classes")
            return ya
        if ya.ndim == 1 and tuple(out[1:]) == (1,):
            ya = ya.reshape(-1, 1)  # one value per sample for a 1-unit output, as TF.js
        if ya.ndim != len(out) or any(o is not None and o != g for o, g in zip(out[1:], ya.shape[1:])):
            hint = ""
            if ya.ndim == 1 and getattr(self.loss, "name", None) in _CATEGORICAL:
                hint = " (class indices need loss 'sparseCategoricalCrossentropy', or one-hot encode them)"
            raise ValueError(f"{fn}: argument '{arg}' must have shape [null,{','.join(str(d) for d in out[1:])}] "
                             f"(the output of layer {self.output_names[0]}), received "
                             f"{list(ya.shape)}{hint}")
        return ya

    def _step_loss(self, x, y, w, cache, training=True):
        """The scalar training loss (and what the metrics need, in cache)."""
        fused = self._compiled[6]
        call = type(self).call
        if fused:
            logits = _user_code(call, lambda t: self.call(t, training=training,
                                                          skip_last_activation=True),
                                "call", (x,))
            if w is None:  # the common case: the batch mean in one node
                loss, correct = ops.softmax_cross_entropy_mean(y, logits)
                per = None
            else:
                per, correct = ops.softmax_cross_entropy_with_logits(y, logits)
            cache["logits"], cache["correct"] = logits, correct
        else:
            out = _user_code(call, lambda t: self.call(t, training=training), "call", (x,))
            per = _user_code(self.loss, self.loss, "loss", (y, out), trace=True)
            if training and autodiff.tracked(out) and not autodiff.tracked(per):
                raise loss_ignores_output(self.loss)
            cache["out"] = out
        if per is not None:
            loss = self._reduce_loss(per, w)
        if training:  # TF.js adds the penalties to the training loss only, not to evaluate
            for penalty in self.regularization_losses():
                loss = ops.add(loss, penalty)
        return loss

    @staticmethod
    def _reduce_loss(per, w):
        """The batch loss from per-sample losses `per` and sample weights w (or None)."""
        if w is not None and per.rank > 1:
            # One loss per sample before weighting (as Keras): a user's loss may keep
            # trailing axes, e.g. [n, 1], which would broadcast against [n] weights.
            per = ops.mean(per, list(range(1, per.rank)))
        return ops.mean(per) if w is None else ops.mean(ops.mul(per, w))

    def _metric_tensors(self, y, cache):
        """The compiled metrics' values as tensors (the fused loss's correct count for
        accuracy; see _values)."""
        values = []
        for m in self.metrics:
            if "correct" in cache and getattr(m, "from_correct_count", False):
                values.append(cache["correct"])
                continue
            if "out" not in cache:
                cache["out"] = ops.softmax(cache["logits"])
            values.append(m(y, cache["out"]))  # one node whose core calls the metric
        return values

    def _divisors(self, n):
        """What each value of a step is divided by to give its log entry: the batch
        size for a correct count, else 1."""
        fused = self._compiled[6]
        return [1] + [n if fused and getattr(m, "from_correct_count", False) else 1
                      for m in self.metrics]

    @staticmethod
    def _values(arrays, divisors):
        """A step's result arrays (0-d) as the numbers of the logs: Python floats (a
        correct count becomes a ratio)."""
        return [a.item() if d == 1 else a.item() / d for a, d in zip(arrays, divisors)]

    def _train_step(self, x, y, w):
        """One training step, eager: minimize's two halves (compute_gradients,
        apply_gradients) with the metrics in between, so a step that raises anywhere
        changes nothing (layers queue their state updates, such as batch-norm
        statistics, until the step has succeeded). Returns [loss, metric...] tensors.
        The engine captures it once per signature and replays it (see _run_step)."""
        cache = {}
        var_list = [lv.val for lv in self.trainable_weights]
        layers = self._leaf_layers()
        for layer in layers:
            layer.begin_step()
        try:
            if var_list:
                res = self.optimizer.compute_gradients(
                    lambda: self._step_loss(x, y, w, cache), var_list)
                loss = res["value"]
            else:  # everything frozen: the loss is still computed and reported
                loss = self._step_loss(x, y, w, cache)
            values = [loss] + self._metric_tensors(y, cache)
            for v in values:  # a metric must give one number
                if v.size != 1:
                    raise ValueError(f"fit: a metric returned a tensor of shape "
                                     f"{list(v.shape)}; metrics must return one value")
            if var_list:
                self.optimizer.apply_gradients(res["grads"])
            for layer in layers:
                layer.commit_step()
                layer.apply_constraints()
        finally:
            for layer in layers:
                layer.end_step()
        return values

    def _eval_step(self, x, y, w):
        """The loss and metrics of one batch without training (evaluate)."""
        cache = {}
        loss = self._step_loss(x, y, w, cache, training=False)
        return [loss] + self._metric_tensors(y, cache)

    def _run_step(self, kind, step, x, y, w):
        """step(x, y, w) -> tensors through the engine (see _replay); returns the step's
        values as the floats of the logs."""
        n = x._data.shape[0]
        divisors = self._divisors_of.get(n) or self._divisors_of.setdefault(n, self._divisors(n))
        return self._values(self._replay(kind, step, (x, y, w)), divisors)

    def _replay(self, kind, step, inputs):
        """step(*inputs) -> list of tensors, run through the engine: captured on the first
        call of each signature (input shapes and dtypes, trainable variables, optimizer,
        compile settings), replayed after; eagerly every time with run_eagerly. Returns
        the result arrays."""
        token = in_step.set(True)  # attributes set during the step are not configuration
        try:
            if self.run_eagerly:
                return [t._data for t in step(*inputs)]
            key = self._signature(kind, inputs)
            program = self._programs.get(key)
            if program is None:
                if len(self._programs) >= _MAX_PROGRAMS:  # many signatures: keep few
                    self._programs.clear()
                result, program, self._engine_reason = engine.capture(step, inputs)
                self._programs[key] = program or False
                return [t._data for t in result]
            if program is False:  # not replayable (see _engine_reason): eager
                return [t._data for t in step(*inputs)]
            # Only a Python slot can find mid-replay that the program no longer fits (it
            # touched other variables); then the step is captured again from the start,
            # with the random generators as they were, so it draws the same values.
            saved = self._generator_states() if program.has_slots else None
            try:
                return program.run([None if t is None else t._data for t in inputs])
            except engine.NotReplayable:
                self._restore_generators(saved)
                del self._programs[key]
        finally:
            in_step.reset(token)
        return self._replay(kind, step, inputs)

    def _generators(self):
        gens = [trandom.generator()]
        gens += [l._rng for l in self._leaf_layers() if getattr(l, "_rng", None) is not None]
        return gens

    def _generator_states(self):
        return [(g, g.bit_generator.state) for g in self._generators()]

    @staticmethod
    def _restore_generators(saved):
        for g, state in saved or ():
            g.bit_generator.state = state

    def _signature(self, kind, inputs):
        """What a captured program depends on besides the inputs' values: their shapes
        and dtypes, the compile settings (their identity: compile and layer changes
        replace them), the optimizer, and the state version (trainable flags,
        regularizers, constraints and layer attributes bump it)."""
        return (kind, id(self._compiled), id(self.optimizer), state_version()) + tuple(
            [None if t is None else (t._data.shape, t._data.dtype) for t in inputs])

    def _fit_step(self, x, y, w):
        """One training step on batch Tensors; returns [loss, metric...] as floats."""
        return self._run_step("train", self._train_step, x, y, w)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One update on one batch; returns the loss, or [loss, metric...]."""
        self._check_compiled("train_on_batch")
        xa = as_array(x, "train_on_batch", "x")
        xa = check_input(xa, self, "train_on_batch")
        ya = self._labels(y, "train_on_batch")
        check_count(xa, ya, "train_on_batch")
        w = sample_weights(sample_weight, class_weight, ya, xa.shape[0], "train_on_batch",
                           getattr(self.loss, "name", None) in _SPARSE)
        with self._exclusive("train_on_batch"):
            vals = self._fit_step(Tensor(xa), Tensor(ya), None if w is None else Tensor(w))
        return vals[0] if len(vals) == 1 else vals

    @contextlib.contextmanager
    def _exclusive(self, fn):
        """Runs a training call alone on this model: a second one (another thread, or a
        callback calling fit) gets a clear error instead of sharing the step's buffers."""
        if not self._training.acquire(blocking=False):
            raise RuntimeError(f"{fn}: model {self.name!r} is already training (fit, "
                               f"fit_dataset or train_on_batch is running, in another thread "
                               f"or in a callback); one training call at a time per model")
        try:
            yield
        finally:
            self._training.release()

    def _metric_names(self):
        return ["loss"] + [m.name for m in self.metrics]

    # -- evaluate ----------------------------------------------------------------------
    def _evaluate_batches(self, batches):
        """[loss, metric...] averaged over the samples of `batches`, an iterable of
        (x, y, sample_weight or None) Tensors; None when there was no batch."""
        totals, count = None, 0
        for x, y, w in batches:
            vals = np.array(self._run_step("eval", self._eval_step, x, y, w)) * x.shape[0]
            totals = vals if totals is None else totals + vals
            count += x.shape[0]
        return None if count == 0 else list(totals / count)

    def _evaluate_arrays(self, xa, ya, w, batch_size, steps=None):
        starts = range(0, xa.shape[0], batch_size)[:steps]
        return self._evaluate_batches(
            (Tensor(xa[i:i + batch_size]), Tensor(ya[i:i + batch_size]),
             None if w is None else Tensor(w[i:i + batch_size])) for i in starts)

    def evaluate(self, x, y, batch_size=32, verbose=0, sample_weight=None, steps=None):
        """The loss Tensor, or [loss, metric1, ...] when metrics were compiled (means over
        the samples, in batches, nothing recorded for gradients)."""
        self._check_compiled("evaluate")
        xa = as_array(x, "evaluate", "x")
        xa = check_input(xa, self, "evaluate")
        ya = self._labels(y, "evaluate")
        check_count(xa, ya, "evaluate")
        batch_size = positive_int(batch_size, "evaluate", "batch_size")
        steps = positive_int(steps, "evaluate", "steps", allow_none=True)
        w = sample_weights(sample_weight, None, ya, xa.shape[0], "evaluate", False)
        vals = [Tensor(np.asarray(v, np.float32)) for v in self._evaluate_arrays(xa, ya, w, batch_size, steps)]
        return vals[0] if len(vals) == 1 else vals

    # -- fit -----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains for `epochs` epochs over (x, y); returns the History."""
        fn = "fit"
        self._check_compiled(fn)
        batch_size = positive_int(batch_size, fn, "batch_size")
        epochs = positive_int(epochs, fn, "epochs")
        initial_epoch = check_initial_epoch(initial_epoch, epochs, fn)
        steps_per_epoch = positive_int(steps_per_epoch, fn, "steps_per_epoch", allow_none=True)
        validation_steps = positive_int(validation_steps, fn, "validation_steps", allow_none=True)
        if validation_batch_size is None:
            validation_batch_size = batch_size
        validation_batch_size = positive_int(validation_batch_size, fn, "validation_batch_size")
        validation_freq = positive_int(validation_freq, fn, "validation_freq")
        if verbose not in (0, 1, 2):
            raise ValueError(f"fit: argument 'verbose' must be 0, 1 or 2, received {verbose!r}")
        if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) \
                or not 0 <= validation_split < 1:
            raise ValueError(f"fit: argument 'validation_split' must be a number in [0, 1), "
                             f"received {validation_split!r}")
        xa = as_array(x, fn, "x")
        xa = check_input(xa, self, fn)
        ya = self._labels(y, fn)
        check_count(xa, ya, fn)
        sparse = getattr(self.loss, "name", None) in _SPARSE
        w = sample_weights(sample_weight, None, ya, xa.shape[0], fn, sparse)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("fit: argument 'validation_data' must be (x_val, y_val) or "
                                 "(x_val, y_val, sample_weight_val)")
            vx = as_array(validation_data[0], fn, "validation_data[0]")
            vx = check_input(vx, self, fn, "validation_data[0]")
            vy = self._labels(validation_data[1], fn, "validation_data[1]")
            check_count(vx, vy, fn)
            vw = None if len(validation_data) == 2 else sample_weights(
                validation_data[2], None, vy, vx.shape[0], fn, sparse)
            val = (vx, vy, vw)
        elif validation_split > 0:
            # The LAST fraction, taken before shuffling, as TF.js does.
            split = int(xa.shape[0] * (1 - validation_split))
            if split == 0 or split == xa.shape[0]:
                raise ValueError(f"fit: validation_split={validation_split} leaves "
                                 f"{split} training and {xa.shape[0] - split} validation "
                                 f"samples out of {xa.shape[0]}; both must be non-empty")
            val = (xa[split:], ya[split:], None if w is None else w[split:])
            xa, ya, w = xa[:split], ya[:split], None if w is None else w[:split]
        if class_weight is not None:  # after the split: validation is not class-weighted
            w = sample_weights(w, class_weight, ya, xa.shape[0], fn, sparse)

        n = xa.shape[0]
        steps = steps_per_epoch or -(-n // batch_size)
        plan = _EpochPlan(n, batch_size, steps, shuffle)

        def epoch_batches(epoch):
            # Shuffled rows lie scattered over arrays far larger than the caches: the next
            # batch's rows of x are prefetched while this one trains.
            gather = K.gather_rows
            for idx, nxt in plan.epoch():
                yield (Tensor(gather(xa, idx, None, nxt)), Tensor(gather(ya, idx)),
                       None if w is None else Tensor(gather(w, idx)))

        def validate():
            return self._evaluate_arrays(val[0], val[1], val[2], validation_batch_size,
                                         validation_steps)
        params = {"samples": n, "steps": steps, "batch_size": batch_size}
        return self._train_loop(epoch_batches, epochs, initial_epoch, callbacks, verbose,
                                params, validate if val is not None else None, validation_freq)

    def _train_loop(self, epoch_batches, epochs, initial_epoch, callbacks, verbose, params,
                    validate, validation_freq=1, fn="fit"):
        """The epoch skeleton shared by fit and fit_dataset: epoch_batches(epoch) yields
        (x, y, sample_weight) Tensors; validate() returns the validation values (loss,
        metrics) or is None. Hooks, History and the progress display come from the
        CallbackList."""
        names = self._metric_names()
        history = cbks.History()
        params = dict(params, epochs=epochs, initial_epoch=initial_epoch, verbose=verbose,
                      do_validation=validate is not None,
                      metrics=names + (["val_" + m for m in names] if validate else []))
        callback_list = cbks.CallbackList(callbacks, model=self, params=params,
                                          history=history, verbose=verbose)
        with self._exclusive(fn):
            self.stop_training = False
            self.history = history
            self._run_epochs(epoch_batches, epochs, initial_epoch, names, callback_list,
                             validate, validation_freq)
        return history

    def _run_epochs(self, epoch_batches, epochs, initial_epoch, names, callback_list,
                    validate, validation_freq):
        """_train_loop's epochs: hooks, steps and the logs of each epoch."""
        compiled = self._compiled
        batch_begin = callback_list.listens("on_batch_begin")
        batch_end = callback_list.listens("on_batch_end")
        with _StopOnInterrupt(self):
            callback_list.on_train_begin()
            for epoch in range(initial_epoch, epochs):
                callback_list.on_epoch_begin(epoch)
                sums, seen = [0.0] * len(names), 0
                for b, (xb, yb, wb) in enumerate(epoch_batches(epoch)):
                    size = xb.shape[0]
                    if batch_begin:
                        callback_list.on_batch_begin(b, {"batch": b, "size": size})
                    if self._compiled is not compiled:
                        raise _changed_during_fit(self)
                    vals = self._fit_step(xb, yb, wb)
                    sums = [s + v * size for s, v in zip(sums, vals)]
                    seen += size
                    if batch_end:
                        logs = {"batch": b, "size": size}
                        logs.update(zip(names, vals))
                        callback_list.on_batch_end(b, logs)
                    if self.stop_training:
                        break
                if seen == 0:  # the data ran out (fit_dataset): no numbers to log
                    break
                logs = dict(zip(names, [s / seen for s in sums]))
                # Counted from epoch 0 whatever initial_epoch is, as Keras.
                if validate is not None and (epoch + 1) % validation_freq == 0:
                    if self._compiled is not compiled:
                        raise _changed_during_fit(self)
                    logs.update({"val_" + k: float(v) for k, v in zip(names, validate())})
                callback_list.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
            callback_list.on_train_end()


def _changed_during_fit(model):
    what = ("its layers changed (a layer was added or removed)" if model._compiled is None
            else "it was compiled again")
    return RuntimeError(f"fit: model {model.name!r} changed during fit: {what}, e.g. in a "
                        f"callback. Change the layers or compile settings before or after "
                        f"fit, not during it")


class _EpochPlan:
    """Batch index arrays for each epoch: a fresh permutation per epoch (from the seeded
    global generator) when shuffling; with steps_per_epoch, batches continue across
    passes over the data so every epoch has that many."""

    def __init__(self, n, batch_size, steps, shuffle):
        self.n, self.batch_size, self.steps, self.shuffle = n, batch_size, steps, shuffle
        self._order, self._pos = None, 0

    def _next_pass(self):
        self._order = trandom.generator().permutation(self.n) if self.shuffle else np.arange(self.n)
        self._pos = 0

    def epoch(self):
        """(indices of a batch, indices of the next batch or None) for each batch of an
        epoch (the next ones when they are already known, within this pass)."""
        if self._order is None or self._pos >= self.n or self.steps == -(-self.n // self.batch_size):
            self._next_pass()
        size, n = self.batch_size, self.n
        for _ in range(self.steps):
            if self._pos >= n:
                self._next_pass()
            pos = self._pos
            idx = self._order[pos:pos + size]
            self._pos = pos = pos + len(idx)
            yield idx, self._order[pos:pos + size] if pos < n else None


class _StopOnInterrupt:
    """Ctrl-C during fit sets model.stop_training, so training ends after the current
    batch with the weights intact (a native update is never cut in half) and fit returns
    the history so far. Only in the main thread, where Python delivers signals."""

    def __init__(self, model):
        self.model = model
        self.previous = None
        self.interrupted = False

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.getsignal(signal.SIGINT)
            if self.previous is None:  # set outside Python: it could not be restored
                return self

            def handler(signum, frame):
                if self.interrupted:  # a second Ctrl-C interrupts at once
                    raise KeyboardInterrupt
                self.interrupted = True
                self.model.stop_training = True
            signal.signal(signal.SIGINT, handler)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


__all__ = ["Model", "get_optimizer"]
