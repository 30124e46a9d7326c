"""Reverse-mode automatic differentiation with a tape.

While a gradient function runs `f`, a Tape is active. Every op asks `record()` to note
(output, inputs, backward) when at least one input is tracked: a watched tensor, a
trainable Variable (for variable_grads / minimize), or the output of a recorded op.
With no active tape, `record` is a single falsy check, so predict-style code pays no
autodiff cost. Backward functions work on numpy arrays: backward(dy, needs) returns one
gradient array (or None) per input; `needs[i]` says whether input i wants one, so e.g.
the first dense layer skips computing dX.

Higher-order gradients (the gradient of a gradient) are not supported: backward
functions are not themselves recorded.
"""
import numpy as np

from .tensor import Tensor, Variable


class Tape:
    __slots__ = ("nodes", "tracked", "watch_variables", "variables", "blocked")

    def __init__(self, watch_variables=False):
        self.nodes = []             # (output, inputs, backward, op name), in run order
        self.tracked = {}           # id -> tensor; holding them keeps every id unique
        self.watch_variables = watch_variables
        self.variables = {}         # id -> trainable Variable that f touched
        self.blocked = {}           # id -> op name: non-differentiable op on a tracked input

    def watch(self, t):
        self.tracked[id(t)] = t

    def _tracks(self, x):
        i = id(x)
        if i in self.tracked:
            return True
        if self.watch_variables and type(x) is Variable and x.trainable:
            self.tracked[i] = x
            self.variables[i] = x
            return True
        return False


_tapes = []  # active tapes, innermost last


def recording():
    """True while some gradient function is running (ops may skip saving work if not)."""
    return bool(_tapes)


def tracked(t):
    """True when the innermost active tape differentiates through t."""
    return bool(_tapes) and id(t) in _tapes[-1].tracked


def record(name, inputs, output, backward):
    """Called by every differentiable op after computing `output`."""
    for tape in _tapes:
        if any([tape._tracks(x) for x in inputs]):  # list: every variable gets noted
            tape.nodes.append((output, inputs, backward, name))
            tape.tracked[id(output)] = output


def record_non_differentiable(name, inputs, output):
    """Called by ops with no gradient (argmax, comparisons, casts to int...): the output
    is not tracked, but asking for a gradient through it gets a message naming `name`."""
    for tape in _tapes:
        if any([tape._tracks(x) for x in inputs]):
            tape.blocked[id(output)] = (name, output)


def _backprop(tape, y, dy, targets):
    grads = {id(y): dy}
    tracked = tape.tracked
    for out, inputs, backward, _name in reversed(tape.nodes):
        g = grads.pop(id(out), None)
        if g is None:
            continue
        needs = tuple(id(x) in tracked for x in inputs)
        for x, gx, need in zip(inputs, backward(g, needs), needs):
            if need and gx is not None:
                if gx.shape != x.shape:  # e.g. a (1,) gradient for a scalar input
                    gx = gx.reshape(x.shape)
                k = id(x)
                prev = grads.get(k)
                grads[k] = gx if prev is None else prev + gx
    return [grads.get(id(t)) for t in targets]


def _run(f, args, watched, watch_variables):
    tape = Tape(watch_variables)
    for t in watched:
        tape.watch(t)
    _tapes.append(tape)
    try:
        y = f(*args)
    finally:
        _tapes.remove(tape)
    return tape, y


def _check_output(y, fn, scalar=False):
    if not isinstance(y, Tensor):
        raise TypeError(f"{fn}: the function must return a Tensor, received {type(y).__name__}")
    if y.dtype != "float32":
        raise TypeError(f"{fn}: the function must return a float32 Tensor to be "
                        f"differentiated, received dtype {y.dtype}")
    if scalar and y.rank != 0:
        raise ValueError(f"{fn}: the function must return a scalar, received shape "
                         f"{list(y.shape)}")


def _dy_array(dy, y, fn):
    if dy is None:
        return np.ones(y.shape, np.float32)
    d = dy._data if isinstance(dy, Tensor) else np.asarray(dy, np.float32)
    if d.shape != y.shape:
        raise ValueError(f"{fn}: argument 'dy' must have the shape of f's output "
                         f"{list(y.shape)}, received {list(d.shape)}")
    return np.asarray(d, np.float32, order="C")


def _unconnected(tape, y, fn, what):
    hint = ""
    if id(y) in tape.blocked:
        hint = (f" The output comes from '{tape.blocked[id(y)][0]}', which has no gradient.")
    elif tape.blocked:
        ops = sorted({name for name, _ in tape.blocked.values()})
        hint = f" The path goes through an op with no gradient: {', '.join(ops)}."
    return ValueError(f"{fn}: cannot compute the gradient of y=f(x) with respect to {what}: "
                      f"y does not depend on it through differentiable ops.{hint} Make sure "
                      f"f computes y from x with tensor ops.")


def _as_inputs(xs, fn):
    out = []
    for i, x in enumerate(xs):
        if isinstance(x, Tensor):
            out.append(x)
        else:
            from .creation import tensor
            out.append(tensor(x))
        if out[-1].dtype != "float32":
            raise TypeError(f"{fn}: input {i} must be float32 to be differentiated, received "
                            f"dtype {out[-1].dtype}")
    return out


def _grads_of(f, xs, dy, fn):
    xs = _as_inputs(xs, fn)
    tape, y = _run(f, xs, xs, False)
    _check_output(y, fn)
    gs = _backprop(tape, y, _dy_array(dy, y, fn), xs)
    for i, g in enumerate(gs):
        if g is None:
            raise _unconnected(tape, y, fn, f"input {i}" if len(xs) > 1 else "x")
    return y, [Tensor(np.asarray(g, np.float32, order="C").reshape(x.shape)) for g, x in zip(gs, xs)]


def grad(f):
    """tn.grad(f) -> g where g(x, dy=None) is the gradient of f at x (f: Tensor -> Tensor)."""
    def g(x, dy=None):
        return _grads_of(f, [x], dy, "grad")[1][0]
    return g


def grads(f):
    """tn.grads(f) -> g where g(xs, dy=None) is the list of gradients of f(*xs)."""
    def g(xs, dy=None):
        return _grads_of(f, list(xs), dy, "grads")[1]
    return g


def value_and_grad(f):
    """tn.value_and_grad(f) -> g where g(x, dy=None) returns (f(x), gradient)."""
    def g(x, dy=None):
        y, (gx,) = _grads_of(f, [x], dy, "value_and_grad")
        return y, gx
    return g


def value_and_grads(f):
    """tn.value_and_grads(f) -> g where g(xs, dy=None) returns (f(*xs), [gradients])."""
    def g(xs, dy=None):
        return _grads_of(f, list(xs), dy, "value_and_grads")
    return g


def variable_grads(f, var_list=None):
    """Runs f() and returns {'value': y, 'grads': {name: gradient}} over `var_list` or,
    when None, every trainable Variable that f touched. y must be a scalar."""
    fn = "variable_grads"
    if var_list is not None:
        var_list = list(var_list)
        for i, v in enumerate(var_list):
            if not isinstance(v, Variable):
                raise TypeError(f"{fn}: var_list[{i}] must be a Variable, received "
                                f"{type(v).__name__}")
        if not any(v.trainable for v in var_list):
            raise ValueError(f"{fn}: expects at least one of the {len(var_list)} variables in "
                             f"var_list to be trainable, but none is")
    tape, y = _run(f, (), [v for v in var_list or () if v.trainable], var_list is None)
    _check_output(y, fn, scalar=True)
    targets = list(tape.variables.values()) if var_list is None else \
        [v for v in var_list if v.trainable]
    if not targets:
        raise ValueError(f"{fn}: f() touched no trainable variable, so there is nothing to "
                         f"differentiate with respect to")
    gs = _backprop(tape, y, np.ones((), np.float32), targets)
    out = {}
    for v, g in zip(targets, gs):
        if g is None and var_list is not None:
            continue  # as TF.js: variables f did not use get no entry
        out[v.name] = Tensor(np.asarray(g, np.float32, order="C").reshape(v.shape)) \
            if g is not None else Tensor(np.zeros(v.shape, np.float32))
    return {"value": y, "grads": out}


def stop_gradient(x):
    """The same values, cut off from differentiation."""
    x = x if isinstance(x, Tensor) else _as_inputs([x], "stop_gradient")[0]
    return Tensor(x._data.copy() if isinstance(x, Variable) else x._data)


def custom_grad(f):
    """TF.js's customGrad. f(*inputs, save) returns {'value': Tensor, 'grad_func':
    fn(dy, saved) -> list of gradients (one per input)}; `save(list_of_tensors)` keeps
    tensors for grad_func (camelCase 'gradFunc' accepted)."""
    def wrapped(*inputs):
        xs = [x if isinstance(x, Tensor) else _as_inputs([x], "custom_grad")[0] for x in inputs]
        saved = []
        outer = list(_tapes)
        _tapes.clear()  # f's own ops are not recorded: grad_func replaces them
        try:
            res = f(*xs, lambda ts: saved.extend(ts))
        finally:
            _tapes.extend(outer)
        if not isinstance(res, dict) or "value" not in res or \
                not ({"grad_func", "gradFunc"} & res.keys()):
            raise TypeError("custom_grad: f must return {'value': Tensor, 'grad_func': "
                            "fn(dy, saved)}")
        value = res["value"]
        grad_func = res.get("grad_func") or res.get("gradFunc")
        if not isinstance(value, Tensor):
            raise TypeError("custom_grad: 'value' must be a Tensor, received "
                            f"{type(value).__name__}")
        out = Tensor(value._data.copy() if isinstance(value, Variable) else value._data)

        def backward(dy, needs):
            gs = grad_func(Tensor(dy), list(saved))
            gs = list(gs) if isinstance(gs, (list, tuple)) else [gs]
            if len(gs) != len(xs):
                raise ValueError(f"custom_grad: grad_func returned {len(gs)} gradients for "
                                 f"{len(xs)} inputs")
            res = []
            for i, (g, x) in enumerate(zip(gs, xs)):
                a = g._data if isinstance(g, Tensor) else np.asarray(g, np.float32)
                if a.shape != x.shape:
                    raise ValueError(f"custom_grad: gradient {i} has shape {list(a.shape)}, "
                                     f"expected the input's shape {list(x.shape)}")
                res.append(a)
            return res
        record("custom_grad", xs, out, backward)
        return out
    return wrapped
