"""Builds a model from a checked model.json and its decoded weights: the topology read
(model_config.py), the layers made and connected (rebuild.py), weights matched by name,
the training config compiled, optimizer state mapped onto the new model's variables.

Nothing sized by the file is allocated before it is checked: each layer creates its
weights through a guard that, before the values exist, takes them from the file when
name and shape match, and otherwise counts them against what the file holds (strict) or
against limits.MAX_UNBACKED_PARAMS (strict=False). A weight taken from the file is never
initialised, so a load that matches its file draws nothing from the random generator.

A failure leaves the process as it was: the random generator and the counters behind
default layer and model names are restored, and no warning has been issued."""
import contextlib
import importlib
import inspect
import itertools
import math
import warnings

import numpy as np

from ... import initializers
from ...core import random as trandom
from ...layers import base as layers_base
from . import limits
from .model_config import read_topology
from .rebuild import Builder, Refused
from .safe_io import LoadError, clip, fail, short
from .tfjs_format import optimizer_from_config, to_camel


def _peek(count):
    """(value, an equal fresh counter): itertools.count cannot be read without moving."""
    value = next(count)
    return value, itertools.count(value)


class _ProcessState:
    """What building layers may change outside the new model: the global random generator
    (initialisers draw from it) and the counters behind default layer, Sequential and
    functional model names (a config without a name takes the next one)."""

    def __init__(self):
        # The module, not the tn.sequential factory that treino.models exports by that name.
        sequential = importlib.import_module("..sequential", __package__)
        self._sequential = sequential
        self._rng = trandom.generator()
        self._rng_state = self._rng.bit_generator.state
        counters = layers_base._counters
        self._counters = {}
        for key in list(counters):
            self._counters[key], counters[key] = _peek(counters[key])
        self._model_id, sequential._ids = _peek(sequential._ids)
        self._functional = importlib.import_module("..functional", __package__)
        self._functional_id, self._functional._model_ids = _peek(self._functional._model_ids)

    def restore(self):
        self._rng.bit_generator.state = self._rng_state
        counters = layers_base._counters
        for key in list(counters):
            if key not in self._counters:
                del counters[key]
        for key, value in self._counters.items():
            counters[key] = itertools.count(value)
        self._sequential._ids = itertools.count(self._model_id)
        self._functional._model_ids = itertools.count(self._functional_id)


@contextlib.contextmanager
def all_or_nothing(where):
    """Restores the process state (_ProcessState) when the block raises; an error that
    is not the loader's becomes one, naming the file."""
    state = _ProcessState()
    try:
        yield
    except BaseException as e:
        state.restore()
        if isinstance(e, Exception) and not isinstance(e, LoadError):
            raise fail(where, f"cannot build the model ({type(e).__name__}: {e})") from e
        raise


class _InitialValues:
    """Decides each weight's initial value before the layer allocates it."""

    def __init__(self, model_w, strict, where):
        self.file = model_w
        self.file_params = sum(int(a.size) for a in model_w.values())
        self.strict = strict
        self.where = where
        self.requested = 0
        self.unbacked = 0

    def guard(self, layer, label):
        """An add_weight for `layer` whose initializer is replaced by one that decides;
        `label` names the layer in messages ("layer 2 (Dense 'd')")."""
        base = layer.add_weight
        signature = inspect.signature(base)

        def add_weight(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            # Layer.add_weight's defaults: a weight without a name is weight<i>, one
            # without an initializer is glorot_uniform.
            name = bound.arguments.get("name")
            if name is None:
                name = f"weight{len(layer.weights)}"
            original = bound.arguments.get("initializer")
            bound.arguments["initializer"] = _Decided(self._initializer(
                layer, label, name, "glorotUniform" if original is None else original))
            return base(*bound.args, **bound.kwargs)
        return add_weight

    def _initializer(self, layer, label, name, original):
        def initial(shape, dtype):
            full = f"{layer.name}/{name}"
            shape = tuple(int(d) for d in shape)
            n = math.prod(shape)
            self.requested += n
            arr = self.file.get(full)
            if arr is not None and arr.shape == shape:
                return arr
            what = f"{label} creates weight {full!r} of shape {list(shape)} ({n} values)"
            if self.strict:
                if self.requested > self.file_params:
                    raise Refused(f"{what}: the model would need more values than the "
                                  f"{self.file_params} its weights manifest holds; the "
                                  f"topology does not match its weights")
                # The load fails once every weight is known (and then lists them all):
                # zeros stand in without drawing from the random generator.
                return np.zeros(shape, dtype)
            self.unbacked += n
            if self.unbacked > limits.MAX_UNBACKED_PARAMS:
                raise Refused(f"{what}, which the file does not hold: with strict=False a "
                              f"loader initialises at most {limits.MAX_UNBACKED_PARAMS} "
                              f"values the file lacks")
            return initializers.get(original, f"{label}: weight {full!r}")(shape, dtype)
        return initial


class _Decided(initializers.Initializer):
    """The initializer the guard hands to add_weight (which takes Initializers): the
    decision is made when the layer asks for the values, once the shape is known."""
    class_name = "Decided"

    def __init__(self, decide):
        self._decide = decide

    def __call__(self, shape, dtype="float32"):
        return self._decide(shape, dtype)


def _match(model, model_w, strict, where):
    """Compares the built model's weights with the file's: raises (strict) or returns the
    load report. Weights that matched already hold the file's values."""
    ws = {}
    for w in model.weights:
        if w.name in ws:
            raise fail(where, f"two layers of the model (in different nested models) have a "
                              f"weight named {w.name!r}; the file's weights, named by layer, "
                              f"cannot be told apart")
        ws[w.name] = w
    missing = [n for n in ws if n not in model_w]
    unused = [n for n in model_w if n not in ws]
    mismatched = [f"{n}: model {list(ws[n].shape)}, file {list(model_w[n].shape)}"
                  for n in ws if n in model_w and tuple(model_w[n].shape) != ws[n].shape]
    if strict and (missing or unused or mismatched):
        parts = []
        if missing:
            parts.append(f"missing from the file: {clip(', '.join(missing))}")
        if unused:
            parts.append(f"in the file but not in the model: {clip(', '.join(unused))}")
        if mismatched:
            parts.append(f"wrong shapes: {clip('; '.join(mismatched))}")
        raise fail(where, f"the weights do not match the model ({'; '.join(parts)}); pass "
                          f"strict=False to load the weights that match")
    return {"missing": missing, "unused": unused, "mismatched": mismatched}


def _ids(value, what, where, nested=True):
    """A training config's loss or metrics entry checked for form: an id, or a list or
    dict ({output name: ...}) of ids (of lists of ids for metrics, when nested)."""
    def ok(v, depth):
        if isinstance(v, str):
            return True
        if depth and isinstance(v, list):
            return all(ok(u, depth - 1) for u in v)
        if depth and isinstance(v, dict):
            return all(isinstance(k, str) and ok(u, depth - 1) for k, u in v.items())
        return False
    if not ok(value, 2 if nested else 1):
        raise fail(where, f"trainingConfig's {what} must be an id, or a list or an object of "
                          f"ids by output, received {short(value)} (pass compile=False to "
                          f"load without it)")
    return value


def _camel_ids(v):
    if isinstance(v, str):
        return to_camel(v)
    if isinstance(v, list):
        return [_camel_ids(u) for u in v]
    return {k: _camel_ids(u) for k, u in v.items()}


def _training_config(mj, where):
    """(optimizer, loss, metrics, loss_weights) of the training config, checked for form
    (compile checks them against the model), or None. TF.js writes loss and metrics as
    ids, lists or objects by output name; Keras also writes loss_weights."""
    tc = mj.get("trainingConfig")
    if tc is None:
        return None
    if not isinstance(tc, dict):
        raise fail(where, f"'trainingConfig' must be an object, received {short(tc)}")
    for key in ("weighted_metrics", "sample_weight_mode"):
        if tc.get(key) is not None:
            raise fail(where, f"trainingConfig uses {key!r}, which treino does not support "
                              f"(pass compile=False)")
    opt = optimizer_from_config(tc.get("optimizer_config"), where)
    metrics = tc.get("metrics")
    # TF.js writes ids in snake_case and reads them back in camelCase (its
    # convertPythonicToTs), so a metric's log key survives the round trip.
    metrics = [] if metrics is None else _camel_ids(_ids(metrics, "metrics", where))
    loss = tc.get("loss")
    if isinstance(loss, list) and len(loss) == 1:
        loss = loss[0]
    loss = _ids(loss, "loss", where, nested=False)
    weights = tc.get("loss_weights")
    if weights is not None:
        values = list(weights.values()) if isinstance(weights, dict) else weights
        if not isinstance(values, list) or any(
                isinstance(w, bool) or not isinstance(w, (int, float)) for w in values) or (
                isinstance(weights, dict) and not all(isinstance(k, str) for k in weights)):
            raise fail(where, f"trainingConfig's loss_weights must be a list or an object of "
                              f"numbers by output, received {short(weights)}")
    return opt, loss, metrics, weights


def _compile(model, opt, loss, metrics, loss_weights, where):
    if isinstance(metrics, dict) and len(model.outputs) == 1 and not set(metrics) <= set(
            model._output_keys()):
        metrics = list(metrics.values())  # older TF.js files: one output's metrics by name
    try:
        model.compile(optimizer=opt, loss=loss, metrics=metrics, loss_weights=loss_weights)
    except Exception as e:
        raise fail(where, f"cannot compile with the saved training config (loss {short(loss)}, "
                          f"metrics {short(metrics)}): {e} (pass compile=False to load "
                          f"without it)") from None


def check_optimizer_weights(opt_w, opt, where):
    """(step count or None, [(weight name, slot, array)], [problems]): the optimizer's
    saved weights checked as a file (names unique, 'iter' a count) and against the
    optimizer's slots; problems are entries that name no slot of it."""
    seen, iterations, slots, problems = set(), None, [], []
    for name, arr in opt_w:
        if name in seen:
            raise fail(where, f"optimizer weight {short(name)} appears twice")
        seen.add(name)
        if name == "iter":
            value = arr.reshape(-1)[0] if arr.size == 1 and arr.ndim <= 1 else None
            if value is None or not np.isfinite(value) or value != int(value) or \
                    not 0 <= value <= 2 ** 31 - 1:
                raise fail(where, f"optimizer weight 'iter' (the step count) must be one "
                                  f"integer in [0, 2**31 - 1], received shape {list(arr.shape)} "
                                  f"{short(arr.tolist() if arr.size <= 4 else '...')}")
            iterations = int(value)
            continue
        var, _, slot = name.rpartition("/")
        if not var or slot not in opt.slot_names:
            problems.append(f"{short(name)} (not '<weight>/<slot>' with a "
                            f"{type(opt).__name__} slot {list(opt.slot_names)})")
        else:
            slots.append((var, slot, arr))
    return iterations, slots, problems


def _set_optimizer_state(model, checked, strict, where, notes):
    """All or nothing: a state that does not fit raises (strict) or is dropped with a
    warning (the optimizer starts fresh), never applied in part."""
    iterations, slots, problems = checked[0], checked[1], list(checked[2])
    by_name = {w.name: w for w in model.weights}
    staged = [] if iterations is None else [{"name": "iter", "tensor": np.int32(iterations)}]
    for var, slot, arr in slots:
        w = by_name.get(var)
        if w is None:
            problems.append(f"{short(f'{var}/{slot}')} (the model has no weight {short(var)})")
        elif tuple(arr.shape) != w.shape:
            problems.append(f"{short(f'{var}/{slot}')} has shape {list(arr.shape)}, the weight "
                            f"{list(w.shape)}")
        else:
            staged.append({"name": f"{w.val.name}/{slot}", "tensor": arr})
    if problems:
        msg = f"the optimizer state does not fit the model: {clip('; '.join(problems))}"
        if strict:
            raise fail(where, msg + " (pass strict=False to start the optimizer afresh)")
        notes.append(f"load_layers_model: {where}: {msg}; the optimizer starts afresh")
        return
    model.optimizer.set_weights(staged)


def build_model(mj, model_w, opt_w, where, strict=True, compile=True, finish=None):
    """A Sequential or functional model from a parsed model.json and decoded weights.
    With strict=False the weights that match (name and shape) are loaded and the rest
    reported: a warning and `model.load_report` = {'missing': [...], 'unused': [...],
    'mismatched': [...]}. finish(model), when given, runs last (checks, then changes
    process state)."""
    spec = read_topology(mj["modelTopology"], where)
    training = _training_config(mj, where) if compile else None
    checked = check_optimizer_weights(opt_w, training[0], where) if training and opt_w else None
    notes = []
    with all_or_nothing(where):
        model = Builder(where, _InitialValues(model_w, strict, where)).build(spec)
        report = _match(model, model_w, strict, where)
        if training is not None:
            _compile(model, *training, where)
            if checked is not None:
                _set_optimizer_state(model, checked, strict, where, notes)
        if finish is not None:
            finish(model)
    if not strict:
        model.load_report = report
        if any(report.values()):
            notes.insert(0, f"load_layers_model: loaded the matching weights only; not "
                            f"loaded: {short(report, 2000)}")
    for note in notes:
        warnings.warn(note, stacklevel=3)
    return model


def optimizer_state(model):
    """The optimizer's weights with layer-relative variable names (stable across
    processes, unlike the variables' registered names): [(name, array)], 'iter' first,
    then slot by slot in trainable-weight order (TF.js's order)."""
    opt = model.optimizer
    by_var = {w.val.name: w.name for w in model.weights}
    entries = {}
    iterations = None
    for item in opt.get_weights():
        arr = item["tensor"].numpy()
        if item["name"] == "iter":
            iterations = arr
            continue
        var, _, slot = item["name"].rpartition("/")
        if var in by_var:
            entries[(by_var[var], slot)] = arr
    out = [("iter", np.asarray(iterations if iterations is not None else opt.iterations, np.int32))]
    for slot in opt.slot_names:
        out += [(f"{w.name}/{slot}", entries[(w.name, slot)])
                for w in model.weights if (w.name, slot) in entries]
    return out
