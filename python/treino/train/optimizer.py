"""Optimizer base class: the books (slots, step count, learning rate, weights I/O,
minimize/compute_gradients/apply_gradients). Each subclass names its slots and writes
one `_update`, a single native call over every variable."""
import weakref

import numpy as np

from .._config import Configurable, check_bool, check_number
from ..core import autodiff
from ..core.tensor import Tensor, Variable, variables_by_name

_MAX_STEP = 2 ** 31 - 1  # get_weights writes the step count as TF.js does, in int32


class Hyper:
    """A hyper-parameter's rule, declared on the class (`beta1 = Hyper(low=0.0, ...)`,
    check_number's bounds). Optimizer.__setattr__ checks every assignment against it, in
    the constructor and between steps (`opt.learning_rate = 0.01`), so a bad value is
    refused before it reaches the native update; the value itself lives on the instance
    and reads as a plain attribute (each step reads several). TF.js checks none of them;
    the bounds are where each formula stays meaningful."""

    def __init__(self, **bounds):
        self.bounds = bounds

    def check(self, value, who, name):
        return check_number(value, who, name, **self.bounds)


class Flag(Hyper):
    """A True/False hyper-parameter (never a truthy string: bool('false') is True)."""

    def check(self, value, who, name):
        return check_bool(value, who, name)


def _step_count(arr, fn):
    """The step count an 'iter' entry holds: one whole number in [0, 2**31 - 1]. Any
    numeric dtype, as a file may store it as a float; its value must still be whole."""
    if arr.size != 1:
        raise ValueError(f"{fn}: 'iter' must hold one number (the step count), received "
                         f"shape {list(arr.shape)}")
    value = arr.reshape(()).item()
    if not (np.isfinite(value) and value == int(value) and 0 <= value <= _MAX_STEP):
        raise ValueError(f"{fn}: 'iter' must be a whole number from 0 to {_MAX_STEP}, "
                         f"received {value!r}")
    return int(value)


class Optimizer(Configurable):
    """Subclasses set `slot_names` (per-variable state arrays, e.g. ('m', 'v')),
    `class_name` (TF.js's) and implement `_update(params, grads, slots)`; their
    hyper-parameters are Hyper attributes."""
    slot_names = ()
    class_name = "Optimizer"
    learning_rate = Hyper(low=0.0)
    _rules = {"learning_rate": learning_rate}  # name -> Hyper, for this class and its bases

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self.iterations = 0
        # Per-variable state: name -> (weak reference to the variable, {slot: array}).
        self._slots = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._rules = {name: rule for klass in reversed(cls.__mro__)
                      for name, rule in vars(klass).items() if isinstance(rule, Hyper)}

    def __setattr__(self, name, value):
        # One dict lookup: the step count is assigned at every step.
        rule = self._rules.get(name)
        if rule is not None:
            value = rule.check(value, type(self).__name__, name)
        object.__setattr__(self, name, value)

    # -- the TF.js surface -------------------------------------------------------------
    def minimize(self, f, return_cost=False, var_list=None):
        """Runs f(), differentiates its scalar result with respect to the trainable
        variables it touched (or var_list) and applies one update. Returns the cost
        tensor when return_cost, else None."""
        res = self.compute_gradients(f, var_list)
        self.apply_gradients(res["grads"])
        return res["value"] if return_cost else None

    def compute_gradients(self, f, var_list=None):
        """{'value': f(), 'grads': {variable name: gradient}}."""
        return autodiff.variable_grads(f, var_list)

    def apply_gradients(self, grads):
        """grads: {variable name: gradient} (as compute_gradients returns) or a list of
        (gradient, variable) pairs. Checked whole before any variable changes."""
        pairs = self._pairs(grads)
        if pairs:
            self._apply_arrays([var for var, _ in pairs], [g for _, g in pairs])

    def _apply_arrays(self, variables, grads):
        """One update of `variables` from float32 C-contiguous gradient arrays of their
        shapes (apply_gradients after its checks; a replayed step calls it directly)."""
        recorder = autodiff.active_recorder()
        if recorder is not None:  # a captured step: the engine replays this update
            recorder.update(self, variables, grads)
        slots = [[self._slot(var, s) for var in variables] for s in self.slot_names]
        # One native call: it validates, then updates all.
        step = self.iterations + 1
        self._update([var._data for var in variables], grads, slots, step)
        # The step count has no rule to check: set without __setattr__'s lookup (this runs
        # at every training step).
        object.__setattr__(self, "iterations", step)

    def _pairs(self, grads):
        fn = "apply_gradients"
        if isinstance(grads, dict):
            items = []
            for name, g in grads.items():
                var = variables_by_name.get(name)
                if var is None:
                    raise ValueError(f"{fn}: no variable named {name!r} exists")
                items.append((var, g))
        else:
            try:
                items = [(v, g) for g, v in grads]
            except (TypeError, ValueError):
                raise TypeError(f"{fn}: argument 'grads' must be a dict {{name: gradient}} or "
                                f"a list of (gradient, variable) pairs") from None
        out = []
        for var, g in items:
            if not isinstance(var, Variable):
                raise TypeError(f"{fn}: expected a Variable, received {type(var).__name__}")
            if var.dtype != "float32":
                raise TypeError(f"{fn}: variable {var.name!r} must be float32 to be trained, "
                                f"received {var.dtype}")
            if g is None:
                continue
            ga = g._data if isinstance(g, Tensor) else np.asarray(g)
            if ga.shape != var.shape:
                raise ValueError(f"{fn}: the gradient for {var.name!r} has shape "
                                 f"{list(ga.shape)}, the variable {list(var.shape)}")
            if ga.dtype != np.float32 or not ga.flags.c_contiguous:
                ga = np.ascontiguousarray(ga, dtype=np.float32)
            out.append((var, ga))
        return out

    def _slot(self, var, name):
        entry = self._slots.get(var.name)
        if entry is None or entry[0]() is not var:  # new, or a dead variable's name reused
            entry = self._slots[var.name] = (
                weakref.ref(var), {s: self._initial_slot(s, var) for s in self.slot_names})
        return entry[1][name]

    def _initial_slot(self, slot, var):
        return np.zeros(var.shape, np.float32)

    def _update(self, params, grads, slots, step):
        raise NotImplementedError

    def get_weights(self):
        """[{'name': 'iter', 'tensor': step count}, then every slot of every variable as
        {'name': 'variable/slot', 'tensor': values}] as TF.js's getWeights."""
        out = [{"name": "iter", "tensor": Tensor(np.asarray(self.iterations, np.int32))}]
        for name, (ref, slots) in self._slots.items():
            if ref() is not None:
                for s in self.slot_names:
                    out.append({"name": f"{name}/{s}", "tensor": Tensor(slots[s].copy())})
        return out

    def set_weights(self, weights):
        """Restores what get_weights returned: a list of {'name': 'iter' or
        'variable/slot', 'tensor': values}, matched by name (TF.js matches by position).
        Everything is checked before any state changes: each entry's form, the step
        count, each slot's variable, shape and finite values, and no name twice."""
        fn = f"{type(self).__name__}.set_weights"
        if isinstance(weights, (dict, str, bytes, Tensor, np.ndarray)) or \
                not hasattr(weights, "__iter__"):
            raise TypeError(f"{fn}: expected a list of {{'name': ..., 'tensor': ...}} dicts, "
                            f"received {type(weights).__name__}")
        staged, seen, iterations = [], set(), self.iterations
        for i, w in enumerate(weights):
            if not isinstance(w, dict) or set(w) != {"name", "tensor"} or \
                    not isinstance(w["name"], str):
                raise TypeError(f"{fn}: entry {i} must be a dict {{'name': str, 'tensor': "
                                f"values}}, received {w!r:.200}")
            name, t = w["name"], w["tensor"]
            if name in seen:
                raise ValueError(f"{fn}: {name!r} is given twice")
            seen.add(name)
            try:
                arr = t._data if isinstance(t, Tensor) else np.asarray(t)
            except (TypeError, ValueError):
                arr = None
            if arr is None or arr.dtype.kind not in "iuf":
                raise TypeError(f"{fn}: {name!r} must hold numbers, received "
                                f"{type(t).__name__ if arr is None else arr.dtype}")
            if name == "iter":
                iterations = _step_count(arr, fn)
                continue
            var_name, _, slot = name.rpartition("/")
            var = variables_by_name.get(var_name)
            if var is None or slot not in self.slot_names:
                raise ValueError(f"{fn}: {name!r} names no variable slot of this "
                                 f"{type(self).__name__} (slots {list(self.slot_names)})")
            if arr.shape != var.shape:
                raise ValueError(f"{fn}: {name!r} has shape {list(arr.shape)}, the variable "
                                 f"{list(var.shape)}")
            with np.errstate(over="ignore"):
                values = np.array(arr, np.float32)
            if not np.isfinite(values).all():
                raise ValueError(f"{fn}: {name!r} holds NaN or infinite values (or values "
                                 f"beyond float32's range)")
            staged.append((var, slot, values))
        for var, slot, arr in staged:
            self._slot(var, slot)[...] = arr
        self.iterations = iterations

    def get_config(self):
        return {"learning_rate": self.learning_rate}


    def dispose(self):
        self._slots = {}
