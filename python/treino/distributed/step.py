"""A model's data-parallel training step: the model's own step (Model._train_step) with
one all-reduce between its backward (and metrics) and its optimizer update.

Each process computes the loss, metrics and gradients of its part of the global batch.
The loss it differentiates is multiplied by its share n_local / n_global (a variable, so
a replayed step reads the current share), which makes the sum of the processes'
gradients the gradient of the global batch's mean loss. One collective then sums, in
place in the engine's flat gradient buffer (engine.collective), every gradient and, in
a few spare elements after them, the step's values (loss and metrics, each times the
samples it averages), the sample count and a stop flag. Every process gets the same
sums, so the same update, the same global loss and metrics for the logs, and the same
decision to stop. When n_global is not known beforehand (fit_dataset: each process has
its own dataset), the share is n_local and the sums are divided by the summed count.

The collective raises before the update when a process asked to stop (Stop) or when no
process had a batch left (NoData): the step then changes nothing, on every process.
A process without a batch for a step (the last global batch may be smaller than the
number of processes; a dataset shard may end first) still takes part: empty_step joins
the collective with zeros and applies the same update.
"""
import numpy as np

from ..core import engine, ops
from ..core.tensor import Tensor, Variable, in_step


class Stop(Exception):
    """A process asked to stop training (model.stop_training): every process stops."""


class NoData(Exception):
    """No process had a batch for this step: the epoch is over."""


def flat_base(arrays, reserve):
    """The 1-D float32 buffer that `arrays` are consecutive views of, from its start,
    followed by exactly `reserve` spare elements; None when they are not."""
    if not arrays:
        return None
    base = arrays[0].base
    if base is None or base.ndim != 1 or base.dtype != np.float32 or \
            not base.flags.c_contiguous:
        return None
    address, offset = base.ctypes.data, 0
    for a in arrays:
        if a.base is not base or a.dtype != np.float32 or not a.flags.c_contiguous or \
                a.ctypes.data != address + 4 * offset:
            return None
        offset += a.size
    return base if base.size == offset + reserve else None


class StepSync:
    """The all-reduce of one model's training steps (see the module docstring): the
    collective function itself (it has engine.collective's `reserve`), and what the
    step needs around it."""

    def __init__(self, ctx, model):
        self.ctx, self.model, self.plan = ctx, model, model._compiled
        # Which values are correct counts (divided by the batch size for the logs) rather
        # than means (CompilePlan.divisors).
        self.counts = tuple(d != 1 for d in self.plan.divisors(2))
        self.reserve = len(self.counts) + 2  # values, sample count, stop flag
        self.share = Variable(np.float32(1), trainable=False)
        self.n_local, self.n_global, self.last_n = 0, None, 0
        self._loss = None
        self._flat = {}  # id(first gradient view) -> (that view, its flat buffer)
        self._own = {}   # gradient shapes -> (buffer, views): eager steps and empty joins

    # -- inside Model._train_step -----------------------------------------------------
    def scaled(self, loss_fn):
        """loss_fn() times this process's share of the global batch (what is
        differentiated); the loss itself is kept for the logs (take_loss)."""
        def scaled_loss():
            self._loss = loss_fn()
            return ops.mul(self._loss, self.share)
        return scaled_loss

    def take_loss(self):
        loss, self._loss = self._loss, None
        return loss

    def exchange(self, values, grads, variables):
        """(values, grads) summed over the processes: the step's values as global means
        (Tensors) and the global batch's gradients {name: Tensor}, in `variables` order.
        Every trainable weight needs a gradient: the processes exchange them by
        position."""
        arrays = []
        for v in variables:
            g = grads.get(v.name)
            if g is None:
                raise ValueError(f"fit: weight {v.name!r} received no gradient; in "
                                 f"data-parallel training every trainable weight must take "
                                 f"part in the loss (make it trainable=False otherwise)")
            arrays.append(g._data)
        out = engine.collective(self, arrays + [t._data for t in values])
        k = len(arrays)
        return ([Tensor(o) for o in out[k:]],
                {v.name: Tensor(o) for v, o in zip(variables, out[:k])})

    def apply_gradients(self, grads):
        """The optimizer's update with gradients already summed: a DistributedOptimizer
        must not average them again."""
        optimizer = self.model.optimizer
        getattr(optimizer, "_apply_local", optimizer.apply_gradients)(grads)

    # -- the collective (engine.collective calls it, at capture and at every replay) --
    def __call__(self, *arrays):
        k = len(arrays) - len(self.counts)
        grads, values = arrays[:k], arrays[k:]
        buf, views = self._buffer(grads)
        total = buf.size - self.reserve
        tail = buf[total:]
        n = self.n_local
        for i, (v, is_count) in enumerate(zip(values, self.counts)):
            tail[i] = v if is_count else v * n  # both become sums over the samples
        tail[-2] = n
        tail[-1] = 1.0 if self.model.stop_training else 0.0
        self.ctx.allreduce(buf, "a training step")
        if tail[-1] > 0:
            raise Stop()
        count = tail[-2]
        if count == 0:
            raise NoData()
        if self.n_global is None and total:  # shares were n_local: divide by the sum
            np.divide(buf[:total], count, out=buf[:total])
        self.last_n = int(count)
        return list(views) + [np.asarray(tail[i] / count, np.float32)
                              for i in range(len(self.counts))]

    def _buffer(self, grads):
        """(buffer, gradient views): the replayed program's flat buffer when the
        gradients are its views (reduced in place), else this object's own buffer with
        the gradients copied in (an eager step)."""
        if grads:
            hit = self._flat.get(id(grads[0]))
            if hit is not None and hit[0] is grads[0]:
                return hit[1], grads
            base = flat_base(grads, self.reserve)
            if base is not None:
                if len(self._flat) >= 16:  # programs captured again: forget old buffers
                    self._flat.clear()
                self._flat[id(grads[0])] = (grads[0], base)
                return base, grads
        buf, views = self.own_buffer(tuple(g.shape for g in grads))
        for view, g in zip(views, grads):
            np.copyto(view, g)
        return buf, views

    def own_buffer(self, shapes):
        entry = self._own.get(shapes)
        if entry is None:
            sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
            buf = np.zeros(sum(sizes) + self.reserve, np.float32)
            offsets = np.cumsum([0] + sizes)
            views = [buf[o:o + n].reshape(s) for o, n, s in zip(offsets, sizes, shapes)]
            entry = self._own[shapes] = (buf, views)
        return entry

    # -- steps --------------------------------------------------------------------------
    def set_batch(self, n_local, n_global=None):
        """This process's samples in the coming step, and the global batch's when known."""
        self.n_local, self.n_global = n_local, n_global
        self.share._data[()] = n_local / n_global if n_global else n_local

    def fit_step(self, batch):
        """Model._fit_step when data-parallel: the step (replayed after its capture)
        with this process's part of the global batch; returns the global values."""
        model = self.model
        arrays = model._replay("train", model._train_step, batch)
        return [a.item() for a in arrays]

    def empty_step(self):
        """A step without a batch here (set_batch(0, ...) first): zeros into the
        collective, then the same update (and constraints) as every other process.
        Returns the global values."""
        model = self.model
        variables = model._step_variables()
        buf, views = self.own_buffer(tuple(v.shape for v in variables))
        buf[:] = 0
        zeros = [np.zeros((), np.float32)] * len(self.counts)
        out = self(*views, *zeros)
        k = len(variables)
        token = in_step.set(True)
        try:
            if variables:
                self.apply_gradients({v.name: Tensor(g) for v, g in zip(variables, out[:k])})
            for layer in model._leaf_layers():
                layer.apply_constraints()
        finally:
            in_step.reset(token)
        return [v.item() for v in out[k:]]


def current(ctx, model):
    """The model's StepSync, if it fits the model's current compile."""
    sync = model._step_sync
    return sync if sync is not None and sync.plan is model._compiled and \
        sync.ctx is ctx else None


def install(ctx, model):
    """The model's StepSync for its current compile (a new one after compile: the
    values differ), and its steps routed through it. Programs captured before (without
    the collective) are dropped."""
    sync = current(ctx, model)
    if sync is None:
        sync = StepSync(ctx, model)
        model._step_sync = sync
        model._programs = {}
        model._fit_step = sync.fit_step  # shadows Model._fit_step (train_on_batch too)
    return sync
