"""Capture and replay: the one training engine's fast path (see docs/engine.md).

A function over tensors (a model's training step, its evaluation or prediction step)
runs eagerly once under a Recorder. Every op is a tape node whose core is a function of
arrays (autodiff.py), so the recorded list of nodes, together with the gradient
computations, optimizer updates, variable assignments and collectives (a data-parallel
all-reduce, `collective`) that happened between them, is a flat Program, generated as
one straight-line Python function: replaying it runs the same cores, backward
functions and native updates on the arrays of a new batch, in the same order, with no
Tensor per op and no tape. Results are bit-identical to the eager run: the very same
functions compute them.

What a Program reads and writes:
- placeholders: the step's inputs (batch x, y, sample weights), given to `run`;
- variables: read from the Variable at each replay (optimizers update them in place);
- constants: any other tensor an op received (a Python number converted by an op, a
  tensor made before the step): kept as captured;
- node outputs and gradients: local variables of the generated function.
The gradients of every variable the step updates live in one flat float32 buffer, in a
fixed order; the optimizer's one native call updates all variables from views of it,
and a data-parallel step all-reduces the whole buffer in one call before that.

User code is never traced through: a user's Layer `call`, loss or metric runs as a
Python slot, one node whose core calls the user function again at every replay (with
its own small tape for the backward), so Python side effects and data-dependent
branches in user code behave exactly as on the tape.

A step the recorder cannot express (an optimizer update or a variable assignment from
arrays no op produced, a result no op computed) gives no Program: the caller runs that
step eagerly, and the reason says why.
"""
import functools

import numpy as np

from . import autodiff
from .autodiff import _active, _push
from .tensor import Tensor, Variable, value_reads


class NotReplayable(Exception):
    """Raised inside a replay when the program no longer describes the step (a Python
    slot touched other variables than when captured): capture again."""


class Recorder:
    """Collects what happens while a function runs: nodes, gradient computations,
    optimizer updates and variable assignments, in order."""

    def __init__(self):
        self.events = []

    def node(self, node):
        self.events.append(("node", node))

    def backprop(self, tape, y, targets, grads):
        self.events.append(("backprop", tape, y, targets, grads))

    def update(self, optimizer, variables, grads):
        self.events.append(("update", optimizer, list(variables), list(grads)))

    def assign(self, variable, value):
        self.events.append(("assign", variable, value))

    def guard(self, guard):
        self.events.append(("guard", guard))

    def collective(self, fn, inputs, outputs):
        self.events.append(("collective", fn, list(inputs), list(outputs)))


def capture(fn, placeholders):
    """Runs fn(*placeholders) eagerly under a Recorder. Returns (result, Program or
    None, reason): the Program replays fn on new arrays for the placeholders."""
    rec = Recorder()
    token = _push(recorder=rec)
    try:
        result = fn(*placeholders)
    finally:
        _active.reset(token)
    try:
        program = Program(rec.events, placeholders, result)
    except _Unreplayable as e:
        return result, None, str(e)
    return result, program, None


class _Unreplayable(Exception):
    pass


def collective(fn, arrays):
    """fn(*arrays) -> list of arrays: a step's exchange with other processes (the
    data-parallel all-reduce, treino/distributed). Runs now; in a captured step the
    program calls fn again at this point of every replay, on that replay's arrays.

    A gradient that the step's optimizer update consumes arrives, when replayed, as a
    view of the program's flat gradient buffer, in the buffer's order, and the buffer
    holds `fn.reserve` spare float32 elements after the gradients: fn can put a few
    other numbers there (the step's loss and metrics) and exchange everything in one
    call, in place. fn may raise to end the step before its update."""
    outputs = fn(*arrays)
    recorder = autodiff.active_recorder()
    if recorder is not None:
        recorder.collective(fn, arrays, outputs)
    return outputs


def _flatten(result):
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, (list, tuple)):
        out = []
        for r in result:
            out.extend(_flatten(r))
        return out
    return []


class Program:
    """The flat program of one captured run (see the module docstring). `run(arrays)`
    replays it on new arrays for the placeholders (None for an absent one) and returns
    the arrays of the captured function's result tensors. Those may be buffers the
    program reuses (a gradient's view of the flat buffer): they are valid until the next
    run; copy what must outlive it."""

    def __init__(self, events, placeholders, result):
        self._tensor_slot = {}   # id(tensor) -> slot
        self._array_slot = {}    # id(array) -> slot (for updates and assignments)
        self._keep = []          # tensors and arrays whose ids are keys above
        self.init = []           # slot -> constant array (None for computed slots)
        self.variable_slots = []  # (slot, Variable): refreshed at each replay
        self.placeholder_slots = []
        for t in placeholders:
            self.placeholder_slots.append(None if t is None else self._new_slot(t))
        self.instructions = []
        self.guards = []         # PythonGuards: checked before anything else runs
        self.n_nodes = 0
        node_index = {}          # id(Node) -> index among the program's nodes
        for ev in events:
            kind = ev[0]
            if kind == "node":
                node = ev[1]
                ins = [self._input_slot(t) for t in node.inputs]
                outs = [self._new_slot(o) for o in node.outputs]
                node_index[id(node)] = self.n_nodes
                self.instructions.append(("node", node.core, ins, outs, self.n_nodes))
                self.n_nodes += 1
            elif kind == "backprop":
                self.instructions.append(self._backprop(ev, node_index))
            elif kind == "guard":
                self.guards.append(ev[1])
            elif kind == "collective":
                _, fn, inputs, outputs = ev
                ins = [self._array_input(a, "a collective") for a in inputs]
                # Its outputs get slots of their own (even an input given back, reduced in
                # place): what reads them later (the update, the result) reads fn's.
                outs = [self._new_slot(Tensor(o)) for o in outputs]
                self.instructions.append(("collective", fn, ins, outs))
            elif kind == "update":
                _, optimizer, variables, grads = ev
                slots = [self._array_input(g, "an optimizer update") for g in grads]
                self.instructions.append(("update", optimizer, variables, slots))
            else:
                _, variable, value = ev
                self.instructions.append(("assign", variable,
                                          self._array_input(value, "a variable assignment")))
        self.has_slots = any(getattr(ins[1], "python_slot", False)
                             for ins in self.instructions if ins[0] == "node")
        self.result_slots = [self._computed_slot(t) for t in _flatten(result)]
        if any(s is None for s in self.result_slots):
            raise _Unreplayable("the step returned a tensor no op computed")
        self._flat_gradients()
        self._keep = None
        self._tensor_slot = self._array_slot = None
        self._compile()
        self.init = None  # the constants live in the generated function's namespace

    # -- building ------------------------------------------------------------------------
    def _new_slot(self, t, constant=None):
        slot = len(self.init)
        self.init.append(constant)
        self._tensor_slot[id(t)] = slot
        self._array_slot[id(t._data)] = slot
        self._keep.append(t)
        return slot

    def _computed_slot(self, t):
        """t's slot, or None. Another Tensor over a computed array (variable_grads wraps
        the gradients it computed) has that array's slot."""
        slot = self._tensor_slot.get(id(t))
        return slot if slot is not None else self._array_slot.get(id(t._data))

    def _input_slot(self, t):
        slot = self._computed_slot(t)
        if slot is not None:
            return slot
        if isinstance(t, Variable):
            slot = self._new_slot(t)
            self.variable_slots.append((slot, t))
            return slot
        return self._new_slot(t, constant=t._data)

    def _array_input(self, a, what):
        slot = self._array_slot.get(id(a))
        if slot is None:
            raise _Unreplayable(f"{what} used values that no op computed")
        return slot

    def _backprop(self, ev, node_index):
        _, tape, y, targets, grads = ev
        steps = []
        for node in tape.nodes:
            i = node_index.get(id(node))
            if i is None:
                raise _Unreplayable(f"a gradient went through op '{node.name}', computed "
                                    f"outside the captured run")
            ins = [self._input_slot(x) for x in node.inputs]
            outs = [self._tensor_slot[id(o)] for o in node.outputs]
            needs = tuple([id(x) in tape.tracked for x in node.inputs])
            # Only the inputs that take a gradient: (position, slot, shape).
            wanted = [(k, s, x.shape) for k, (s, x, n) in enumerate(zip(ins, node.inputs, needs))
                      if n]
            writes = getattr(node.core, "writes_grads", False)
            adds = getattr(node.core, "adds_grads", False)
            steps.append([i, outs[0] if len(outs) == 1 else outs, needs, wanted, writes, adds])
        y_slot = self._tensor_slot[id(y)]
        target_slots = [self._input_slot(t) for t in targets]
        out_slots = []
        for t, g in zip(targets, grads):
            if g is None:
                out_slots.append(None)
                continue
            holder = Tensor(g)  # keeps the id of g's array unique while building
            out_slots.append(self._new_slot(holder))
        return ["backprop", steps[::-1], y_slot, target_slots,
                [t.shape for t in targets], out_slots, None, y.shape]

    @staticmethod
    def _direct_writes(ins, views):
        """For each backward step whose node writes weight gradients into given buffers
        (dense, batch normalization), the buffers to pass: the flat buffer's view of a
        target variable, given to the first such node that reaches it. A later node that
        can add its gradient into a buffer (`adds_grads`: a weight penalty) gets the view
        too, with its add flag set: the view holds the running sum by then. Other
        contributions to that variable are added into the view (_emit_backprop);
        gradients no node wrote there are copied in at the end."""
        steps, targets = ins[1], ins[3]
        view_of = {t: v for t, v in zip(targets, views) if v is not None}
        given = set()  # each view goes to one writer; other contributions add into it
        for step in steps:
            out = add = None
            if step[4]:
                out, add = [None] * len(step[2]), [False] * len(step[2])
                for k, slot, shape in step[3]:
                    if slot not in view_of or view_of[slot].shape != shape:
                        continue
                    if slot not in given:
                        out[k] = view_of[slot]
                        given.add(slot)
                    elif step[5]:
                        out[k], add[k] = view_of[slot], True
                out = tuple(out) if any(o is not None for o in out) else None
                add = tuple(add) if out is not None and any(add) else None
            step[4], step[5] = out, add

    def _flat_gradients(self):
        """Every gradient an update consumes gets a view into one flat buffer, written
        by the backward; the update reads the views."""
        consumed, reserve = {}, 0
        for ins in self.instructions:
            if ins[0] == "update":
                for s in ins[3]:
                    consumed[s] = None
            elif ins[0] == "collective":  # it reads the gradients before the update does
                for s in ins[2]:
                    consumed[s] = None
                reserve = max(reserve, int(getattr(ins[1], "reserve", 0)))
        sizes = {}
        for ins in self.instructions:
            if ins[0] == "backprop":
                for shape, s in zip(ins[4], ins[5]):
                    if s is not None and s in consumed:
                        sizes[s] = shape
        total = sum(int(np.prod(shape, dtype=np.int64)) for shape in sizes.values())
        self.flat_grads = np.empty(total + reserve, np.float32)
        self.grad_views = {}
        off = 0
        for s, shape in sizes.items():
            n = int(np.prod(shape, dtype=np.int64))
            self.grad_views[s] = self.flat_grads[off:off + n].reshape(shape)
            off += n
        for ins in self.instructions:
            if ins[0] == "backprop":
                ins[6] = [self.grad_views.get(s) if s is not None else None for s in ins[5]]
                self._direct_writes(ins, ins[6])

    # -- replay: the instructions as one straight-line Python function -------------------
    def _compile(self):
        """Generates the replay function: one line per native call, slots as local
        variables, no loop and no dict between the calls (see `source`)."""
        env = {"np": np, "NotReplayable": NotReplayable, "grad_array": autodiff.grad_array}
        lines = ["def replay(arrays):"]
        emit = lines.append

        def name(obj, prefix):
            key = f"{prefix}{len(env)}"
            env[key] = obj
            return key
        ph = ", ".join(f"s{s}" if s is not None else "_" for s in self.placeholder_slots)
        emit(f"    {ph}, = arrays")
        for guard in self.guards:
            emit(f"    if not {name(guard, 'guard')}.check():")
            emit("        raise NotReplayable('a Python value a traced function read changed')")
        for slot, value in enumerate(self.init):
            if value is not None:
                emit(f"    s{slot} = {name(value, 'const')}")
        for slot, v in self.variable_slots:
            emit(f"    s{slot} = {name(v, 'var')}._data")
        for ins in self.instructions:
            kind = ins[0]
            if kind == "node":
                _, core, in_slots, out_slots, index = ins
                args = ", ".join(f"s{i}" for i in in_slots)
                outs = f"s{out_slots[0]}" if len(out_slots) == 1 else \
                    "(" + ", ".join(f"s{o}" for o in out_slots) + ",)"
                emit(f"    {outs}, b{index} = {name(core, 'core')}({args})")
            elif kind == "backprop":
                self._emit_backprop(ins, emit, name)
            elif kind == "collective":
                _, fn, in_slots, out_slots = ins
                call = f"{name(fn, 'coll')}({', '.join(f's{i}' for i in in_slots)})"
                outs = "".join(f"s{o}, " for o in out_slots)
                emit(f"    {outs}= {call}" if out_slots else f"    {call}")
            elif kind == "update":
                _, optimizer, variables, slots = ins
                grads = ", ".join(f"s{s}" for s in slots)
                emit(f"    {name(optimizer, 'opt')}._apply_arrays({name(variables, 'vars')}, "
                     f"[{grads}])")
            else:
                _, variable, slot = ins
                emit(f"    np.copyto({name(variable, 'var')}._data, s{slot})")
        emit("    return [" + ", ".join(f"s{s}" for s in self.result_slots) + "]")
        self.source = "\n".join(lines) + "\n"
        exec(compile(self.source, "<treino captured step>", "exec"), env)
        self.run = env["replay"]

    def _emit_backprop(self, ins, emit, name):
        """autodiff._backprop over the captured nodes: the same backward functions in the
        same order, and the same sums (autodiff._backprop's). g<slot> is the gradient
        flowing into a slot (None until a consumer's backward gives one)."""
        _, steps, y_slot, target_slots, shapes, out_slots, views, y_shape = ins
        view_names = {t: name(v, "view") for t, v in zip(target_slots, views) if v is not None}
        # A slot one step alone gives a gradient to holds exactly that gradient: no sum.
        givers = {}
        for step in steps:
            for _, slot, _ in step[3]:
                givers[slot] = givers.get(slot, 0) + 1
        # Slots a gradient can reach: the output, and the inputs of backward steps. A step
        # none of whose outputs can be reached never runs (e.g. a batch-norm statistics
        # update, computed from tracked values but feeding no loss).
        touched = {y_slot} | {slot for step in steps for _, slot, _ in step[3]}
        for slot in sorted(touched - {y_slot}):
            emit(f"    g{slot} = None")
        # The seed dy = 1: one array for every replay, read-only, so that a backward
        # writing into its dy would fail loudly instead of changing the next step's seed.
        # (A program with Python slots gets a fresh seed each time: a user's backward may
        # write into what it is given.)
        if self.has_slots:
            emit(f"    g{y_slot} = np.ones({tuple(y_shape)!r}, np.float32)")
        else:
            seed = np.ones(y_shape, np.float32)
            seed.flags.writeable = False
            emit(f"    g{y_slot} = {name(seed, 'seed')}")
        for index, out, needs, wanted, buffers, adds in steps:
            if type(out) is int:
                if out not in touched:
                    continue
                emit(f"    if g{out} is not None:")
                dy = f"g{out}"
            else:
                if not touched.intersection(out):
                    continue
                outs = [f"g{o}" if o in touched else "None" for o in out]
                emit(f"    if {' or '.join(f'{o} is not None' for o in outs if o != 'None')}:")
                dy = "[" + ", ".join(outs) + "]"
            extra = "" if buffers is None else f", {name(buffers, 'buf')}"
            if adds is not None:  # the view must hold the running sum before the add
                extra += f", {adds!r}"
                for k, slot, _ in wanted:
                    if adds[k]:
                        # A writer may decline its buffer (it is allowed to: its gradient
                        # is then summed outside); the sum so far is moved into the view,
                        # or with none yet the view holds -0.0, the additive identity
                        # (-0.0 + g == g for every g), so the sums match the tape's.
                        v = view_names[slot]
                        emit(f"        if g{slot} is not {v}:")
                        emit(f"            if g{slot} is None:")
                        emit(f"                {v}.fill(-0.0)")
                        emit("            else:")
                        emit(f"                np.copyto({v}, g{slot})")
                        emit(f"            g{slot} = {v}")
            emit(f"        r = b{index}({dy}, {needs!r}{extra})")
            for k, slot, shape in wanted:
                if adds is not None and adds[k]:  # added in place: r[k] is the new sum
                    emit(f"        g{slot} = r[{k}]")
                    continue
                emit(f"        t = r[{k}]")
                emit("        if t is not None:")
                emit(f"            if t.shape != {shape!r}:")
                emit(f"                t = t.reshape({shape!r})")
                v = view_names.get(slot)
                if givers[slot] == 1:
                    emit(f"            g{slot} = t")
                elif v is None and not shape:  # as the tape: a 0-d sum stays an array
                    emit(f"            g{slot} = t if g{slot} is None else np.asarray(g{slot} + t)")
                elif v is None:
                    emit(f"            g{slot} = t if g{slot} is None else g{slot} + t")
                else:  # the same sum, written into the flat buffer's view when one holds it
                    emit(f"            if g{slot} is None:")
                    emit(f"                g{slot} = t")
                    emit(f"            elif t is {v} or g{slot} is {v}:")
                    emit(f"                g{slot} = np.add(g{slot}, t, out={v})")
                    emit("            else:")
                    emit(f"                g{slot} = g{slot} + t")
        for t, shape, out, view in zip(target_slots, shapes, out_slots, views):
            if out is None:
                continue
            emit(f"    if g{t} is None:")
            emit("        raise NotReplayable('a variable that had a gradient when captured "
                 "has none')")
            if view is not None:
                v = view_names[t]
                emit(f"    if g{t} is not {v}:  # not written in place by its node")
                emit(f"        np.copyto({v}, g{t}.reshape({shape!r}))")
                emit(f"    s{out} = {v}")
            else:
                emit(f"    s{out} = grad_array(g{t}, {shape!r})")


def python_slot(name, fn, inputs, trace=False):
    """fn(*inputs) -> Tensor (or a list of Tensors). While a run is captured, this is
    one node whose core calls fn again at every replay, with a tape of its own for the
    backward (user code is not traced through); otherwise a plain call.

    With trace=True (a user's loss function) fn is traced instead when it allows it: its
    ops become ordinary nodes of the program, fn's Python runs at capture only, and a
    guard captures again when a Python number fn reads from its closure or globals
    changes (see _traceable and PythonGuard). fn that read a tensor's values, computed a
    gradient or wrote a variable runs as a slot (its Python may depend on the values)."""
    a = _active.get()
    if a is None or a.recorder is None:
        return fn(*inputs)
    variables = {}
    differentiable = [None]  # whether the capturing run's result had a gradient path
    kind = [None]  # the container type of fn's result (a list is given back as a list)
    # Only the inputs an outer tape differentiates through get gradients (not labels).
    watched = [any(id(t) in tape.tracked for tape in a.tapes) for t in inputs]
    n_inputs = len(inputs)  # (the core must not hold the capturing batch's tensors)

    def run(args, recorder=None):
        tape = autodiff.Tape(watch_variables=True)
        for t, w in zip(args, watched):
            if w:
                tape.watch(t)
        token = _push(tape, recorder=recorder, isolate=True)
        try:
            out = fn(*args)
        finally:
            _active.reset(token)
        outs = out if isinstance(out, (list, tuple)) else [out]
        kind[0] = type(out)
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(f"{name} must return a Tensor, received {type(o).__name__}")
        return out, outs, tape

    def finish(args, out, outs, tape, first):
        if first:
            variables.update(tape.variables)
        elif tape.variables.keys() != variables.keys():
            raise NotReplayable(f"{name} used other variables than when captured")
        targets = list(args) + list(variables.values())
        flows = any(id(o) in tape.tracked for o in outs)
        if differentiable[0] is None:
            differentiable[0] = flows
        elif flows != differentiable[0]:  # the program's backward was built for the other
            raise NotReplayable(f"{name}'s result has a gradient path only sometimes")
        if not flows:
            return _arrays_of(out, outs), None  # no gradient flows through fn's result

        def backward(dy, needs):
            res = []
            dys = dy if isinstance(out, (list, tuple)) else [dy]
            for o, d in zip(outs, dys):
                if d is None:
                    continue
                res.append(autodiff._backprop(tape, o, d, targets))
            total = []
            for i, t in enumerate(targets):
                gs = [r[i] for r in res if r[i] is not None]
                total.append(None if not gs else gs[0] if len(gs) == 1 else sum(gs[1:], gs[0]))
            return total
        return _arrays_of(out, outs), backward

    def core(*arrays):
        args = [Tensor(x) for x in arrays[:n_inputs]]
        return finish(args, *run(args), first=False)

    # The first run gets the step's own tensors: its nodes can join the program as they
    # are (traced), or it is the slot's first call (the variables it touches become
    # inputs of the node, so that gradients flow to them through the outer tape).
    sub = Recorder() if trace else None
    reads = value_reads[0]
    out, outs, tape = run(inputs, sub)
    if trace and _traceable(sub, outs, inputs, reads):
        _splice(a, sub, fn)
        return out
    out_arrays, backward = finish(inputs, out, outs, tape, first=True)
    node_inputs = tuple(inputs) + tuple(variables.values())
    wrapped = first_result(core, out_arrays, backward)
    wrapped.python_slot = True
    result = autodiff.apply(name, wrapped, node_inputs)
    return list(result) if isinstance(result, tuple) and kind[0] is list else result


def trace(fn, inputs):
    """fn(*inputs) -> Tensor (or a list), for a function without gradient (a metric).
    While a run is captured, fn runs once with its ops recorded aside; when it is
    traceable (see _traceable) they join the program, guarded (PythonGuard), and this
    returns (out, True); otherwise (out, False), its ops recorded nowhere, and the caller
    makes fn a node of its own. Outside a capture: (fn(*inputs), False)."""
    a = _active.get()
    if a is None or a.recorder is None:
        return fn(*inputs), False
    sub = Recorder()
    reads = value_reads[0]
    token = _push(recorder=sub, isolate=True)
    try:
        out = fn(*inputs)
    finally:
        _active.reset(token)
    outs = out if isinstance(out, (list, tuple)) else [out]
    if not all(isinstance(o, Tensor) for o in outs) or not _traceable(sub, outs, inputs, reads):
        return out, False
    _splice(a, sub, fn)
    return out, True


def _splice(a, sub, fn):
    """Puts the nodes of a traced run (recorded aside in `sub`) on the active tapes and
    recorder, as if they had run there, and guards the Python values fn read."""
    for ev in sub.events:
        node = ev[1]
        for outer in a.tapes:
            outer.add(node)
        a.recorder.node(node)
    guard = PythonGuard.of(fn)
    if guard is not None:
        a.recorder.guard(guard)


def _traceable(sub, outs, inputs, reads):
    """Whether a function's first run (its events in `sub`) can join the program op by
    op: it read no tensor values (value_reads unchanged since `reads`), only ran ops (no
    gradient, update or assignment), and each result is an op's output or an input."""
    if value_reads[0] != reads or any(ev[0] != "node" for ev in sub.events):
        return False
    made = {id(o) for ev in sub.events for o in ev[1].outputs}
    given = {id(t) for t in inputs}
    return all(id(o) in made or id(o) in given for o in outs)


_SCALAR_TYPES = (bool, int, float, complex, str, bytes, type(None), np.generic)


class PythonGuard:
    """The Python scalars (and tensors) a traced function reads from its closure, its
    globals and
    (for a callable object or a bound method) its object's attributes, following the
    plain Python functions it reaches the same way. A traced program baked their values
    in (a loss weight, an axis): `check()` is False once one of them changed, and the
    step is captured again. Values reached otherwise (through a module's or another
    object's attribute, or a list) are not watched: pass such a value as a tn.variable,
    or compile with run_eagerly=True."""

    __slots__ = ("places", "values")

    def __init__(self, places):
        self.places = places  # (0, cell) | (1, dict, key) | (2, object, attribute)
        self.values = [self._read(p) for p in places]

    @classmethod
    def of(cls, fn):
        places, seen = [], set()
        cls._visit(fn, places, seen)
        return cls(places) if places else None

    @classmethod
    def _visit(cls, f, places, seen):
        if id(f) in seen:
            return
        seen.add(id(f))
        if isinstance(f, functools.partial):
            cls._callee(f, places, seen)
            return
        if getattr(f, "__self__", None) is not None and hasattr(f, "__func__"):
            cls._attributes(f.__self__, places, seen)  # a bound method
            f = f.__func__
        code = getattr(f, "__code__", None)
        if code is None:  # a callable object: its attributes and its __call__
            call = getattr(type(f), "__call__", None)
            if hasattr(f, "__dict__") and getattr(call, "__code__", None) is not None:
                cls._attributes(f, places, seen)
                cls._visit(call, places, seen)
            return
        if (getattr(f, "__module__", None) or "").startswith("treino."):
            return  # treino's own functions read no user state
        for cell in f.__closure__ or ():
            try:
                v = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if _watched(v):
                places.append((0, cell))
            else:
                cls._callee(v, places, seen)
        g = getattr(f, "__globals__", {})
        for n in _names(code):
            if n in g:
                v = g[n]
                if _watched(v):
                    places.append((1, g, n))
                else:
                    cls._callee(v, places, seen)

    @classmethod
    def _attributes(cls, obj, places, seen):
        for k, v in list(getattr(obj, "__dict__", {}).items()):
            if _watched(v):
                places.append((2, obj, k))

    @classmethod
    def _callee(cls, v, places, seen):
        if isinstance(v, functools.partial):  # the wrapped function, and its bound values
            for a in list(v.args) + list(v.keywords.values()):
                cls._callee(a, places, seen)
            cls._visit(v.func, places, seen)
        elif callable(v) and not isinstance(v, type) and (
                hasattr(v, "__code__") or hasattr(v, "__func__")):
            cls._visit(v, places, seen)

    @staticmethod
    def _read(place):
        try:
            if place[0] == 0:
                return place[1].cell_contents
            if place[0] == 1:
                return place[1].get(place[2], _MISSING)
            return getattr(place[1], place[2], _MISSING)
        except ValueError:
            return _MISSING

    def check(self):
        for place, v in zip(self.places, self.values):
            now = self._read(place)
            # A number must stay equal; a tensor (immutable) must stay the same object.
            if now is not v and (type(now) is not type(v) or isinstance(v, Tensor)
                                 or not now == v):
                return False
        return True


_MISSING = object()


def _watched(v):
    """Values a PythonGuard keeps an eye on: Python scalars (by value) and tensors (by
    identity: rebinding a name to another tensor changes what a traced function reads;
    a Variable is read at every replay anyway)."""
    return isinstance(v, _SCALAR_TYPES) or (isinstance(v, Tensor) and not isinstance(v, Variable))


def _names(code):
    """The global names a code object and the code nested in it (lambdas,
    comprehensions) refer to."""
    names = set(code.co_names)
    for c in code.co_consts:
        if hasattr(c, "co_names"):
            names |= _names(c)
    return names


def _arrays_of(out, outs):
    arrays = tuple(o._data for o in outs)
    return arrays if isinstance(out, (list, tuple)) else arrays[0]


def first_result(core, out, backward):
    """A core that returns a precomputed first result once, then runs `core` (so the
    capturing run does not call the user function twice)."""
    first = [(out, backward)]  # dropped once used: a program must not keep the batch

    def wrapped(*arrays):
        if first:
            return first.pop()
        return core(*arrays)
    return wrapped
