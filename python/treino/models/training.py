"""Model: compile / fit / evaluate / predict on top of the core API.

A training step is the optimizer's minimize (DESIGN.md principle 1; its two halves,
compute_gradients and apply_gradients, with the metrics in between): the forward pass,
each output's loss (mean over the batch, sample weights applied; see compile_plan.py,
which also fuses softmax + cross-entropy where it can) and the regularization penalties.
fit is a short skeleton (fit_loop.py): batches come from an epoch plan, hooks, history
and the progress display from a CallbackList. Data are standardised into one array per
input and per output first (standardize.py).

Speed comes from the engine (core/engine.py, docs/engine.md), not from a second step:
_replay captures this eager step once per signature and replays its program, the very
same calls; compile(run_eagerly=True) runs every step on the tape.
"""
import contextlib
import numbers
import threading

import numpy as np

from .. import _kernels as K
from .._config import camel_hint, check_bool
from ..callbacks.base import _to_callbacks
from ..core import autodiff, engine, ops
from ..core import random as trandom
from ..core.tensor import Tensor, bump_state_version, in_step, state_version
from ..distributed import state as distributed
from ..distributed.state import collective_call
from ..layers.base import Layer, assign_all, weight_values
from . import compile_plan as cp
from .compile_plan import get_optimizer, loss_ignores_output  # noqa: F401 (re-exported)
from .data_checks import check_initial_epoch, positive_int
from .dataset_training import DatasetTraining
from .fit_loop import EpochPlan, check_verbose, check_yield_every, train_loop
from .standardize import (check_counts, input_arrays, target_arrays, weight_arrays)

# Captured programs kept per model (one per signature: a last partial batch, train and
# evaluate each have their own).
_MAX_PROGRAMS = 8


class Model(Layer, DatasetTraining):
    """What every model can do (compile, fit, evaluate, predict, save); the graph is
    the subclass's (functional.py's LayersModel, sequential.py's Sequential). A model is
    a layer: it can be applied inside another model."""

    # A model's own attributes (optimizer, history, stop_training...) are not layer
    # configuration: setting them does not make the engine capture steps again (its
    # layers' attributes do).
    __setattr__ = object.__setattr__
    # The all-reduce of data-parallel training steps (distributed/step.py), once
    # tn.distributed.init() ran in a job of several processes; it then also replaces
    # _fit_step on the instance, so a single process's steps check nothing.
    _step_sync = None

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
        """As TF.js's Container: the weights of the model's own layers (those created
        trainable) follow the flag, while each layer's own flag is left as it is, and a
        frozen model lists no trainable weights, nested models' included. A nested
        model's weights belong to its layers, not to the model's own: TF.js leaves them
        alone, so a model compiled before the freeze keeps training them (the GAN
        recipe: freeze the discriminator, then compile the combined model)."""
        value = check_bool(value, type(self).__name__, "trainable")
        for layer in self._layers:
            if not isinstance(layer, Model):
                layer._weights_follow(value)
        object.__setattr__(self, "_trainable", value)
        bump_state_version()

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
        """TF.js's order: each layer's trainable weights (a nested model's, recursively);
        none when the model is frozen."""
        if not self.trainable:
            return []
        return _unique(w for l in self._layers for w in l.trainable_weights)

    @property
    def non_trainable_weights(self):
        """Each layer's non-trainable weights; for a frozen model, its layers' trainable
        weights first (TF.js's Container.nonTrainableWeights)."""
        rest = [w for l in self._layers for w in l.non_trainable_weights]
        if not self.trainable:
            rest = [w for l in self._layers for w in l.trainable_weights] + rest
        return _unique(rest)

    def _step_variables(self):
        """The Variables a training step updates: as TF.js, the trainable weights when the
        model was compiled whose variables are still trainable (a weight frozen since is
        left alone; one unfrozen since waits for the next compile; the model's own flag
        only freezes its layers' weights), plus any trainable weight created since (a
        layer built in its first call)."""
        collected, known = getattr(self, "_collected", (None, None))
        if collected is None:
            return [w.val for w in self.trainable_weights]
        new = [w for w in self.trainable_weights if id(w) not in known]
        return [w.val for w in collected + new if w.val.trainable]

    def count_params(self):
        return sum(l.count_params() for l in self._leaf_layers())

    # -- states ------------------------------------------------------------------------
    @property
    def stateful(self):
        """True when a layer of the model is stateful (TF.js's LayersModel.stateful)."""
        return any(l.stateful for l in self._leaf_layers())

    def reset_states(self):
        """Zeroes the states of every stateful layer (a stateful RNN's carried states);
        a model without one is left as it is, as in TF.js."""
        for layer in self._leaf_layers():
            if layer.stateful:
                layer.reset_states()

    def regularization_losses(self):
        return [p for l in self._leaf_layers() for p in l.regularization_losses()]

    def added_losses(self):
        """The add_loss terms of every layer (the model's own too), now."""
        return [p for l in [self] + self._leaf_layers() for p in Layer.added_losses(l)]

    def get_weights(self, trainable_only=False):
        """The weights' current values as Tensors (TF.js's getWeights), in model.weights
        order (trainable first); only the trainable ones with trainable_only=True. Each
        is a copy: training later does not change it (np.asarray(t) or t.numpy() give
        arrays)."""
        trainable_only = check_bool(trainable_only, "get_weights", "trainable_only")
        return weight_values(self.trainable_weights if trainable_only else self.weights)

    def set_weights(self, weights):
        """Assigns a list of Tensors or arrays in model.weights order; checked whole
        first (count, shapes, numbers), so a bad list changes nothing."""
        assign_all(self.weights, weights, "set_weights")

    def save(self, path, include_optimizer=True):
        """Saves to a folder in TF.js's layers-model format (model.json + weight shards),
        or, for a path ending in '.treino', to one file that also holds the optimizer
        state (see models/saving/). Data-parallel, only process 0 writes (every process
        has the same weights)."""
        if not distributed.is_main():
            return path
        from .saving import save_model
        return save_model(self, path, include_optimizer=include_optimizer)

    def _invalidate(self):
        self._compiled = None  # the layers changed: compile again
        self._programs, self._divisors_of = {}, {}

    # -- compile -----------------------------------------------------------------------
    @camel_hint
    def compile(self, optimizer, loss, metrics=None, loss_weights=None, run_eagerly=False):
        """optimizer, loss and metrics as ids (both spellings), instances or callables;
        for several outputs, loss (and loss_weights, metrics) also as a list or a dict by
        output name. Checked against each other and the model's outputs now; a failed
        compile leaves the model as it was. run_eagerly=True (Keras's name) runs every
        step on the tape instead of replaying its captured program: slower, for
        debugging."""
        self._check_layers("compile")
        if not isinstance(run_eagerly, (bool, np.bool_)):
            raise TypeError(f"compile: argument 'run_eagerly' must be a bool, received "
                            f"{run_eagerly!r}")
        plan = cp.compile_plan(self, optimizer, loss, metrics, loss_weights)
        self._compiled = plan
        # TF.js's collectedTrainableWeights: what later steps may train (_step_variables).
        self._collected = (self.trainable_weights, {id(w) for w in self.weights})
        self.run_eagerly = bool(run_eagerly)
        self._programs, self._divisors_of = {}, {}
        self.optimizer = plan.optimizer
        heads = plan.heads
        self.loss = heads[0].loss if len(heads) == 1 else [h.loss for h in heads]
        self.metrics = [m for h in heads for m in h.metrics]

    def _check_compiled(self, fn):
        if self._compiled is None:
            raise RuntimeError(f"{fn}: the model must be compiled first (model.compile("
                               f"optimizer=..., loss=...))")

    def _fusable_outputs(self):
        """Per output, the layer a fused loss may ask for logits (call_logits), or None."""
        return [self._output_layer()]

    def _metric_names(self):
        return self._compiled.value_names()

    # -- predict -----------------------------------------------------------------------
    @camel_hint
    def predict(self, x, batch_size=32, verbose=0):
        """Outputs for x, in batches, without recording gradients: a Tensor, or a list
        (a dict when the model's outputs were given as one) for several outputs.
        verbose (0, 1, 2 or a bool) is checked and prints nothing (TF.js's predict has
        no verbose mode either)."""
        self._check_layers("predict")
        xs = input_arrays(self, x, "predict")
        check_counts(xs, [], "predict")
        batch_size = positive_int(batch_size, "predict", "batch_size")
        check_verbose(verbose, "predict")
        n = xs[0].shape[0]
        if autodiff.recording():
            return self._predict_on_tape(x, xs, batch_size)
        parts = [self._replay("predict", self._predict_step,
                              tuple(Tensor(a[i:i + batch_size]) for a in xs))
                 for i in range(0, n, batch_size)]
        outs = [Tensor(np.concatenate(p) if len(p) > 1 else p[0]) for p in zip(*parts)]
        return self._structured(outs)

    def _predict_on_tape(self, x, xs, batch_size):
        """predict inside a gradient function (tn.grad, tn.variable_grads, minimize):
        eagerly on the tape, so the outputs are differentiable with respect to the
        weights and to float32 Tensor inputs (TF.js's predict is too; a replayed program
        would leave no trace on the tape)."""
        ts = self._input_tensors(x, xs)
        n = xs[0].shape[0]
        parts = []
        for i in range(0, n, batch_size):
            batch = ts if n <= batch_size else [
                ops.slice(t, [i] + [0] * (t.rank - 1), [min(batch_size, n - i)] + [-1] * (t.rank - 1))
                for t in ts]
            parts.append(self._predict_step(*batch))
        outs = [p[0] if len(p) == 1 else ops.concat(list(p), 0) for p in zip(*parts)]
        return self._structured(outs)

    def _structured(self, outs):
        keys = getattr(self, "_out_keys", None)
        if len(outs) == 1 and not isinstance(keys, list):
            return outs[0]
        return dict(zip(keys, outs)) if isinstance(keys, list) else outs

    def _predict_step(self, *xs):
        call = type(self).call
        if len(xs) == 1:
            out = cp.user_code(call, lambda t: self.call(t, training=False), "call", xs)
        else:
            out = cp.user_code(call, lambda *ts: self.call(list(ts), training=False), "call", xs)
        return list(out.values()) if isinstance(out, dict) else \
            list(out) if isinstance(out, (list, tuple)) else [out]

    def predict_on_batch(self, x, training=False):
        """The model's output for one batch. Tensor inputs of the input's dtype are used
        as they are, so model(x) is differentiable with respect to x and the weights
        (tn.grad, tn.variable_grads through a model). training=True runs the layers in
        training mode (dropout active, batch statistics), as model(x, training=True)."""
        self._check_layers("predict_on_batch")
        arrays = input_arrays(self, x, "predict_on_batch")
        ts = self._input_tensors(x, arrays)
        return self.call(ts[0] if len(ts) == 1 else ts, training=training)

    def _given_inputs(self, x):
        """The objects the caller gave for each input, in input order (x itself, the
        items of a list, or a dict's values by key)."""
        if isinstance(x, dict):
            return [x.get(k) for k in self._input_keys()]
        if isinstance(x, (list, tuple)) and (len(self.inputs) > 1 or len(x) == 1):
            return list(x)
        return [x]

    def _input_tensors(self, x, arrays):
        """Tensors for the checked `arrays`: the caller's own Tensor where it has the
        input's dtype and the array's shape (so gradients reach it), else a new one."""
        return [g if isinstance(g, Tensor) and g.dtype == s.dtype and g.shape == a.shape
                else Tensor(a) for g, a, s in zip(self._given_inputs(x), arrays, self.inputs)]

    # -- one training step ---------------------------------------------------------------
    def _split(self, flat):
        """A flat batch (inputs, labels per output, weights per output) in three lists."""
        a = len(self.inputs)
        b = a + len(self._compiled.heads)
        return flat[:a], flat[a:b], flat[b:]

    @staticmethod
    def _values(arrays, divisors):
        """A step's result arrays (0-d) as the numbers of the logs: Python floats (a
        correct count becomes a ratio)."""
        return [a.item() if d == 1 else a.item() / d for a, d in zip(arrays, divisors)]

    def _train_step(self, *flat):
        """One training step, eager: minimize's two halves (compute_gradients,
        apply_gradients) with the metrics in between, so a step that raises anywhere
        changes nothing (layers queue their state updates, such as batch-norm
        statistics, until the step has succeeded). Returns [loss, metric...] tensors.
        The engine captures it once per signature and replays it (see _run_step)."""
        xs, ys, ws = self._split(flat)
        plan = self._compiled
        cache = {}
        var_list = self._step_variables()
        layers = self._leaf_layers()
        sync = self._step_sync  # data-parallel: an all-reduce before the update
        for layer in layers:
            layer.begin_step()
        try:
            if var_list:
                loss_fn = lambda: cp.step_loss(self, plan, xs, ys, ws, cache, True)  # noqa: E731
                res = self.optimizer.compute_gradients(
                    loss_fn if sync is None else sync.scaled(loss_fn), var_list)
                loss = res["value"] if sync is None else sync.take_loss()
            else:  # everything frozen: the loss is still computed and reported
                loss = cp.step_loss(self, plan, xs, ys, ws, cache, True)
            values = [loss] + cp.metric_tensors(plan, ys, cache)
            for v in values:  # a metric must give one number
                if v.size != 1:
                    raise ValueError(f"fit: a metric returned a tensor of shape "
                                     f"{list(v.shape)}; metrics must return one value")
            if sync is not None:  # global values and the global batch's gradients
                values, grads = sync.exchange(values, res["grads"] if var_list else {},
                                              var_list)
                if var_list:
                    sync.apply_gradients(grads)
            elif var_list:
                self.optimizer.apply_gradients(res["grads"])
            for layer in layers:
                layer.commit_step()
                layer.apply_constraints()
        finally:
            for layer in layers:
                layer.end_step()
        return values

    def _eval_step(self, *flat):
        """The loss and metrics of one batch without training (evaluate)."""
        xs, ys, ws = self._split(flat)
        plan = self._compiled
        cache = {}
        loss = cp.step_loss(self, plan, xs, ys, ws, cache, False)
        return [loss] + cp.metric_tensors(plan, ys, cache)

    def _run_step(self, kind, step, flat):
        """step(*flat) -> tensors through the engine (see _replay); returns the step's
        values as the floats of the logs."""
        n = flat[0]._data.shape[0]
        divisors = self._divisors_of.get(n) or self._divisors_of.setdefault(
            n, self._compiled.divisors(n))
        return self._values(self._replay(kind, step, flat), divisors)

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

    def _fit_step(self, batch):
        """One training step on a flat batch of Tensors; returns [loss, ...] as floats."""
        return self._run_step("train", self._train_step, batch)

    def _arrays(self, x, y, sample_weight, class_weight, fn):
        """(inputs, labels, weights per output), checked: the flat batch's arrays."""
        xs = input_arrays(self, x, fn)
        ys = target_arrays(self, self._compiled, y, fn)
        n = check_counts(xs, ys, fn)
        ws = weight_arrays(self._compiled, sample_weight, class_weight, ys, n, fn)
        return xs, ys, ws

    @camel_hint
    @collective_call
    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One update on one batch; returns the loss, or [loss, metric...]. Data-parallel,
        each process passes its own batch and the update is the global batch's."""
        self._check_compiled("train_on_batch")
        xs, ys, ws = self._arrays(x, y, sample_weight, class_weight, "train_on_batch")
        batch = tuple(Tensor(a) for a in xs + ys) + tuple(
            None if w is None else Tensor(w) for w in ws)
        ctx = distributed.active()
        if ctx is not None:
            from ..distributed.fitting import prepare_train_on_batch
            prepare_train_on_batch(ctx, self, batch)
        with self._exclusive("train_on_batch"):
            vals = self._fit_step(batch)
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

    # -- evaluate ----------------------------------------------------------------------
    def _evaluate_batches(self, batches):
        """[loss, ...] averaged over the samples of `batches`, an iterable of flat
        batches; None when there was no batch."""
        totals, count = None, 0
        for batch in batches:
            n = batch[0].shape[0]
            vals = np.array(self._run_step("eval", self._eval_step, batch)) * n
            totals = vals if totals is None else totals + vals
            count += n
        ctx = distributed.active()
        if ctx is not None:  # every process's sums: means over every process's samples
            totals, count = ctx.sum_totals(totals, count, len(self._metric_names()),
                                           "evaluate")
        return None if count == 0 else list(totals / count)

    def _evaluate_arrays(self, arrays, batch_size, steps=None):
        """arrays: the flat batch's arrays for all samples (None for absent weights).
        Data-parallel, every process passes all of them and evaluates every size()-th
        sample from its rank on (fit's share of each global batch, distributed/fitting.py)."""
        ctx = distributed.active()
        if ctx is not None:
            arrays = [None if a is None else np.ascontiguousarray(a[ctx.rank::ctx.size])
                      for a in arrays]
        n = arrays[0].shape[0]
        starts = range(0, n, batch_size)[:steps]
        return self._evaluate_batches(
            tuple(None if a is None else Tensor(a[i:i + batch_size]) for a in arrays)
            for i in starts)

    @camel_hint
    @collective_call
    def evaluate(self, x, y, batch_size=32, verbose=0, sample_weight=None, steps=None):
        """The loss Tensor, or [loss, ...] when there are metrics or several outputs
        (means over the samples, in batches, nothing recorded for gradients); with
        `steps`, over the first `steps` batches only. verbose (0, 1 or 2) is checked and
        prints nothing (TF.js's evaluate has no verbose mode either)."""
        self._check_compiled("evaluate")
        xs, ys, ws = self._arrays(x, y, sample_weight, None, "evaluate")
        batch_size = positive_int(batch_size, "evaluate", "batch_size")
        check_verbose(verbose, "evaluate")
        steps = positive_int(steps, "evaluate", "steps", allow_none=True)
        vals = [Tensor(np.asarray(v, np.float32))
                for v in self._evaluate_arrays(xs + ys + ws, batch_size, steps)]
        return vals[0] if len(vals) == 1 else vals

    # -- fit -----------------------------------------------------------------------------
    @camel_hint
    @collective_call
    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, yield_every="auto"):
        """Trains for `epochs` epochs over (x, y); returns the History.

        TF.js's ModelFitArgs, snake_case, plus Keras's validation_batch_size and
        validation_freq. initial_epoch: the index of the first epoch (epochs is the
        index the training stops before, as in TF.js). steps_per_epoch and
        validation_steps work as in Keras (batches per epoch, continuing through the
        data; batches of each validation); TF.js 4.22 ignores both. class_weight: a
        dict {class index: weight} (a list or dict by output name for several outputs)
        weighting the training samples by their label, not the validation ones.
        yield_every ('auto', 'batch', 'epoch', 'never' or milliseconds): in TF.js it lets
        the browser's event loop run during training, which a Python thread does not need;
        here it only paces a callbacks dict's on_yield(epoch, batch, logs), called at a
        batch's end at most once every yield_every ms ('auto': 125), as TF.js does."""
        fn = "fit"
        self._check_compiled(fn)
        callbacks = _to_callbacks(callbacks, check_yield_every(yield_every, fn))
        batch_size = positive_int(batch_size, fn, "batch_size")
        epochs = positive_int(epochs, fn, "epochs")
        initial_epoch = check_initial_epoch(initial_epoch, epochs, fn)
        steps_per_epoch = positive_int(steps_per_epoch, fn, "steps_per_epoch", allow_none=True)
        validation_steps = positive_int(validation_steps, fn, "validation_steps", allow_none=True)
        if validation_batch_size is None:
            validation_batch_size = batch_size
        validation_batch_size = positive_int(validation_batch_size, fn, "validation_batch_size")
        validation_freq = positive_int(validation_freq, fn, "validation_freq")
        verbose = check_verbose(verbose, fn)
        if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) \
                or not 0 <= validation_split < 1:
            raise ValueError(f"fit: argument 'validation_split' must be a number in [0, 1), "
                             f"received {validation_split!r}")
        xs, ys, ws = self._arrays(x, y, sample_weight, None, fn)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("fit: argument 'validation_data' must be (x_val, y_val) or "
                                 "(x_val, y_val, sample_weight_val)")
            vxs = input_arrays(self, validation_data[0], fn, "validation_data[0]")
            vys = target_arrays(self, self._compiled, validation_data[1], fn,
                                "validation_data[1]")
            vn = check_counts(vxs, vys, fn)
            vws = weight_arrays(self._compiled, validation_data[2] if len(validation_data) == 3
                                else None, None, vys, vn, fn, "validation_data[2]")
            val = vxs + vys + vws
        elif validation_split > 0:
            # The LAST fraction, taken before shuffling, as TF.js does.
            n = xs[0].shape[0]
            split = int(n * (1 - validation_split))
            if split == 0 or split == n:
                raise ValueError(f"fit: validation_split={validation_split} leaves "
                                 f"{split} training and {n - split} validation "
                                 f"samples out of {n}; both must be non-empty")
            val = [None if a is None else a[split:] for a in xs + ys + ws]
            xs, ys, ws = ([a[:split] for a in xs], [a[:split] for a in ys],
                          [None if w is None else w[:split] for w in ws])
        if class_weight is not None:  # after the split: validation is not class-weighted
            ws = weight_arrays(self._compiled, ws if len(ws) > 1 else ws[0], class_weight,
                               ys, xs[0].shape[0], fn)
        arrays = xs + ys + ws
        ctx = distributed.active()
        if ctx is not None:  # data-parallel (tn.distributed.init()): docs/distributed.md
            from ..distributed.fitting import fit as fit_data_parallel
            return fit_data_parallel(
                ctx, self, arrays, val, batch_size, epochs, initial_epoch, callbacks, verbose,
                shuffle, steps_per_epoch, validation_batch_size, validation_steps,
                validation_freq)
        n = xs[0].shape[0]
        steps = steps_per_epoch or -(-n // batch_size)
        plan = EpochPlan(n, batch_size, steps, shuffle)

        def epoch_batches(epoch):
            # Shuffled rows lie scattered over arrays far larger than the caches: the next
            # batch's rows of the first input are prefetched while this one trains.
            gather = K.gather_rows
            if len(arrays) == 3:  # one input, one output: the common case, unrolled
                x0, y0, w0 = arrays
                for idx, nxt in plan.epoch():
                    yield (Tensor(gather(x0, idx, None, nxt)), Tensor(gather(y0, idx)),
                           None if w0 is None else Tensor(gather(w0, idx)))
                return
            first, rest = arrays[0], arrays[1:]
            for idx, nxt in plan.epoch():
                yield (Tensor(gather(first, idx, None, nxt)),) + tuple(
                    None if a is None else Tensor(gather(a, idx)) for a in rest)

        def validate():
            return self._evaluate_arrays(val, validation_batch_size, validation_steps)
        params = {"samples": n, "steps": steps, "batch_size": batch_size}
        return self._train_loop(epoch_batches, epochs, initial_epoch, callbacks, verbose,
                                params, validate if val is not None else None, validation_freq)

    def _train_loop(self, *args, **kwargs):
        ctx = distributed.active()
        if ctx is not None:  # fit_dataset, data-parallel: each process its own dataset
            from ..distributed.fitting import DataParallelEpochs
            kwargs["runner"] = DataParallelEpochs(ctx, kwargs.get("fn", "fit"), {}, True)
        return train_loop(self, *args, **kwargs)


def _unique(weights):
    out, seen = [], set()
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


__all__ = ["Model", "get_optimizer"]
