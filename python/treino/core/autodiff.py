"""Reverse-mode automatic differentiation: tape nodes and the tape.

Every op is one call of `apply(name, core, inputs)`. The op's public function checks
its arguments and derives static attributes (axes, activation ids, ...); `core` is a
function of the input *arrays* only (attributes are closed over), returning
`(output, backward)`: the output array (or a tuple of arrays for several outputs) and
`backward(dy, needs)` -> one gradient array (or None) per input, or `backward=None` for
ops without a gradient. For a multi-output node, `dy` is a list with one entry per
output (None where no gradient flows). `needs[i]` says whether input i wants a
gradient, so e.g. the first dense layer skips dX.

Because a core sees only arrays, the same node can run again on new arrays: the engine
(engine.py) records the nodes of a training step once and replays their cores for
later batches. That is the whole contract of an op: one forward and one backward on
arrays, nothing else.

While a gradient function runs `f`, a Tape is active. A node is put on it when at
least one input is tracked: a watched tensor, a trainable Variable (variable_grads /
minimize), or the output of a recorded node. The active tapes (and the engine's
recorder) live in a ContextVar, so an op run in another thread never lands on this
thread's tape. With nothing active, recording is one falsy check.

Higher-order gradients (the gradient of a gradient) are not supported: backward
functions are not themselves recorded.
"""
import contextvars

import numpy as np

from .tensor import Tensor, Variable


class Node:
    """One recorded op: its core (to run again on new arrays), input tensors, output
    tensors (a tuple) and the backward of this run."""
    __slots__ = ("name", "core", "inputs", "outputs", "backward")

    def __init__(self, name, core, inputs, outputs, backward):
        self.name, self.core, self.inputs = name, core, inputs
        self.outputs, self.backward = outputs, backward


class Tape:
    __slots__ = ("nodes", "tracked", "watch_variables", "variables", "blocked")

    def __init__(self, watch_variables=False):
        self.nodes = []             # Nodes whose output depends on a tracked tensor, in order
        self.tracked = {}           # id -> tensor; holding them keeps every id unique
        self.watch_variables = watch_variables
        self.variables = {}         # id -> trainable Variable that f touched
        self.blocked = {}           # id -> op name: non-differentiable op on a tracked input

    def watch(self, t):
        self.tracked[id(t)] = t

    def add(self, node):
        tracked, hit = self.tracked, False
        for x in node.inputs:  # no early exit: every variable gets noted
            i = id(x)
            if i in tracked:
                hit = True
            elif self.watch_variables and type(x) is Variable and x.trainable:
                tracked[i] = x
                self.variables[i] = x
                hit = True
        if hit:
            if node.backward is None:
                for o in node.outputs:
                    self.blocked[id(o)] = (node.name, o)
            else:
                self.nodes.append(node)
                for o in node.outputs:
                    self.tracked[id(o)] = o


class _Active:
    """What records ops in this context: the gradient tapes (innermost last) and the
    engine's recorder (or None)."""
    __slots__ = ("tapes", "recorder")

    def __init__(self, tapes, recorder):
        self.tapes, self.recorder = tapes, recorder


# None when nothing records (the common case for inference): ops test it and move on.
_active = contextvars.ContextVar("treino_autodiff_active", default=None)


def _push(tape=None, recorder=None, isolate=False):
    """Activates a tape and/or a recorder on top of (or, isolated, instead of) the
    current ones; returns the token to pass to _active.reset."""
    cur = None if isolate else _active.get()
    tapes = cur.tapes if cur is not None else ()
    rec = cur.recorder if cur is not None else None
    if tape is not None:
        tapes = tapes + (tape,)
    if recorder is not None:
        rec = recorder
    return _active.set(_Active(tapes, rec) if tapes or rec is not None else None)


def active_recorder():
    """The engine's recorder when a run is being captured, else None."""
    a = _active.get()
    return None if a is None else a.recorder


def recording():
    """True while some gradient function is running (ops may skip saving work if not)."""
    a = _active.get()
    return a is not None and bool(a.tapes)


def tracked(t):
    """True when the innermost active tape differentiates through t."""
    a = _active.get()
    return a is not None and bool(a.tapes) and id(t) in a.tapes[-1].tracked


# The ops whose cores take complex64 arrays (TF.js's complex ops and the structural ops
# on top of them: ops/complex.py, ops/spectral.py). Every other op refuses a complex64
# input here, before its core could drop the imaginary parts.
COMPLEX_OPS = frozenset({
    "complex", "real", "imag", "fft", "ifft", "irfft", "cast", "add", "sub", "mul", "neg",
    "abs", "clone", "reshape", "expand_dims", "squeeze", "transpose", "slice", "concat",
    "stack", "zeros_like", "ones_like"})
_C64 = np.dtype(np.complex64)


def refuse_complex(name, inputs):
    for x in inputs:
        if x._data.dtype is _C64:
            raise TypeError(f"{name}: complex64 tensors are not supported by this op "
                            f"(received one of shape {list(x.shape)}); take tn.real(x), "
                            f"tn.imag(x) or tn.abs(x) first. Ops on complex64: "
                            f"{', '.join(sorted(COMPLEX_OPS))}")


def apply(name, core, inputs):
    """Runs an op: core(*input arrays) -> (output array(s), backward or None); wraps the
    output(s) in Tensors and records the node where something records."""
    n = len(inputs)  # the common arities without building an argument list
    if n == 1:
        d = inputs[0]._data
        if d.dtype is _C64 and name not in COMPLEX_OPS:
            refuse_complex(name, inputs)
        out, backward = core(d)
    elif n == 2:
        d0, d1 = inputs[0]._data, inputs[1]._data
        if (d0.dtype is _C64 or d1.dtype is _C64) and name not in COMPLEX_OPS:
            refuse_complex(name, inputs)
        out, backward = core(d0, d1)
    else:
        arrays = [x._data for x in inputs]
        if name not in COMPLEX_OPS:
            for d in arrays:
                if d.dtype is _C64:
                    refuse_complex(name, inputs)
        out, backward = core(*arrays)
    a = _active.get()
    if type(out) is tuple:
        result = outputs = tuple([Tensor(o) for o in out])
    else:
        result = Tensor(out)
        if a is None:
            return result
        outputs = (result,)
    if a is not None:
        node = Node(name, core, inputs, outputs, backward)
        for tape in a.tapes:
            tape.add(node)
        if a.recorder is not None:
            a.recorder.node(node)
    return result


def _backprop(tape, y, dy, targets):
    """Gradients of y (seeded with dy) for each target tensor (None where y does not
    depend on it), walking the tape's nodes backwards."""
    grads = {id(y): dy}
    tracked = tape.tracked
    for node in reversed(tape.nodes):
        outs = node.outputs
        if len(outs) == 1:
            g = grads.pop(id(outs[0]), None)
            if g is None:
                continue
        else:
            g = [grads.pop(id(o), None) for o in outs]
            if all(v is None for v in g):
                continue
        inputs = node.inputs
        needs = tuple([id(x) in tracked for x in inputs])
        # Summed per input in this order; the engine's generated backward (engine.py)
        # makes the same sums in the same order, so replays match the tape bit for bit.
        for x, gx, need in zip(inputs, node.backward(g, needs), needs):
            if need and gx is not None:
                shape = x._data.shape
                if gx.shape != shape:  # e.g. a (1,) gradient for a scalar input
                    gx = gx.reshape(shape)
                k = id(x)
                prev = grads.get(k)
                if prev is not None:
                    gx = prev + gx
                    if not shape:  # numpy makes a sum of 0-d arrays a scalar
                        gx = np.asarray(gx)
                grads[k] = gx
    return [grads.get(id(t)) for t in targets]


def _run(f, args, watched, watch_variables):
    tape = Tape(watch_variables)
    for t in watched:
        tape.watch(t)
    token = _push(tape)
    try:
        y = f(*args)
    finally:
        _active.reset(token)
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


def grad_array(g, shape):
    """A gradient as the float32 C-contiguous array of its variable's shape."""
    return np.asarray(g, np.float32, order="C").reshape(shape)


def _grads_of(f, xs, dy, fn):
    xs = _as_inputs(xs, fn)
    tape, y = _run(f, xs, xs, False)
    _check_output(y, fn)
    gs = _backprop(tape, y, _dy_array(dy, y, fn), xs)
    for i, g in enumerate(gs):
        if g is None:
            raise _unconnected(tape, y, fn, f"input {i}" if len(xs) > 1 else "x")
    return y, [Tensor(grad_array(g, x.shape)) for g, x in zip(gs, xs)]


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


def _check_var_list(var_list, fn):
    var_list = list(var_list)
    for i, v in enumerate(var_list):
        if not isinstance(v, Variable):
            raise TypeError(f"{fn}: var_list[{i}] must be a Variable, received "
                            f"{type(v).__name__}")
    if not any(v.trainable for v in var_list):
        raise ValueError(f"{fn}: expects at least one of the {len(var_list)} variables in "
                         f"var_list to be trainable, but none is")
    return var_list


def variable_gradients(f, var_list, fn):
    """(y, [(variable, gradient array or None)]) for f() over var_list (trainable ones)
    or, when None, every trainable Variable f touched: the engine-level form of
    variable_grads, keyed by the Variable objects themselves."""
    if var_list is not None:
        var_list = _check_var_list(var_list, fn)
    tape, y = _run(f, (), [v for v in var_list or () if v.trainable], var_list is None)
    _check_output(y, fn, scalar=True)
    targets = list(tape.variables.values()) if var_list is None else \
        [v for v in var_list if v.trainable]
    if not targets:
        raise ValueError(f"{fn}: f() touched no trainable variable, so there is nothing to "
                         f"differentiate with respect to")
    gs = _backprop(tape, y, np.ones((), np.float32), targets)
    gs = [None if g is None else grad_array(g, t.shape) for g, t in zip(gs, targets)]
    a = _active.get()
    if a is not None and a.recorder is not None:
        a.recorder.backprop(tape, y, targets, gs)
    return y, list(zip(targets, gs))


def variable_grads(f, var_list=None):
    """Runs f() and returns {'value': y, 'grads': {name: gradient}} over `var_list` or,
    when None, every trainable Variable that f touched. y must be a scalar."""
    y, pairs = variable_gradients(f, var_list, "variable_grads")
    if all(g is None for _, g in pairs):
        # As TF.js: a result no variable reaches is an error, not zero gradients (a
        # forward pass run outside f, or through an op without gradient, trains nothing).
        raise ValueError("variable_grads: cannot find a connection between any variable and "
                         "the result of the loss function y=f(); make sure the operations "
                         "that use the variables run inside f (model.predict and model(x) "
                         "do, when called inside f)")
    # As TF.js: variables without a path to y get no entry.
    return {"value": y, "grads": {v.name: Tensor(g) for v, g in pairs if g is not None}}


def stop_gradient(x):
    """The same values, cut off from differentiation."""
    x = x if isinstance(x, Tensor) else _as_inputs([x], "stop_gradient")[0]
    copy = isinstance(x, Variable)
    return apply("stop_gradient", lambda a: (a.copy() if copy else a, None), (x,))


def custom_grad(f):
    """TF.js's customGrad. f(*inputs, save) returns {'value': Tensor, 'grad_func':
    fn(dy, saved) -> list of gradients (one per input)}; `save(list_of_tensors)` keeps
    tensors for grad_func (camelCase 'gradFunc' accepted). One node: f's own ops are not
    recorded (grad_func replaces them), and the engine replays it by calling f again."""
    def wrapped(*inputs):
        xs = [x if isinstance(x, Tensor) else _as_inputs([x], "custom_grad")[0] for x in inputs]
        return apply("custom_grad", lambda *arrays: _custom_core(f, xs, arrays), tuple(xs))
    return wrapped


def _custom_core(f, xs, arrays):
    saved = []
    args = [Tensor(a) for a in arrays]
    token = _push(isolate=True)  # f's own ops are recorded nowhere
    try:
        res = f(*args, lambda ts: saved.extend(ts))
    finally:
        _active.reset(token)
    if not isinstance(res, dict) or "value" not in res or \
            not ({"grad_func", "gradFunc"} & res.keys()):
        raise TypeError("custom_grad: f must return {'value': Tensor, 'grad_func': "
                        "fn(dy, saved)}")
    value = res["value"]
    grad_func = res.get("grad_func") or res.get("gradFunc")
    if not isinstance(value, Tensor):
        raise TypeError("custom_grad: 'value' must be a Tensor, received "
                        f"{type(value).__name__}")
    out = value._data.copy() if isinstance(value, Variable) else value._data

    def backward(dy, needs):
        token = _push(isolate=True)
        try:
            gs = grad_func(Tensor(dy), list(saved))
        finally:
            _active.reset(token)
        gs = list(gs) if isinstance(gs, (list, tuple)) else [gs]
        if len(gs) != len(xs):
            raise ValueError(f"custom_grad: grad_func returned {len(gs)} gradients for "
                             f"{len(xs)} inputs")
        res = []
        for i, (g, x) in enumerate(zip(gs, arrays)):
            a = g._data if isinstance(g, Tensor) else np.asarray(g, np.float32)
            if a.shape != x.shape:
                raise ValueError(f"custom_grad: gradient {i} has shape {list(a.shape)}, "
                                 f"expected the input's shape {list(x.shape)}")
            res.append(a)
        return res
    return out, backward


def _recorded_assign(variable, value):
    a = _active.get()
    if a is not None and a.recorder is not None:
        a.recorder.assign(variable, value)


Variable._on_assign = staticmethod(_recorded_assign)
