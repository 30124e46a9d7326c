"""DistributedOptimizer (Horovod's name): an optimizer whose updates use the gradients
averaged over every process, for training loops written with the core API
(`minimize`, `apply_gradients`). model.fit needs none: its steps all-reduce already."""
import numpy as np

from ..core import engine
from ..core.tensor import Tensor
from . import state
from .step import flat_base

_classes = {}  # optimizer class -> its Distributed subclass


def DistributedOptimizer(optimizer):
    """`optimizer` (a tn.train optimizer) made data-parallel: the returned optimizer
    shares its state (slots, step count, learning rate) and its class's behaviour, but
    apply_gradients, and so minimize, first replaces every gradient by its mean over
    the processes (one all-reduce of all of them; each process's gradient counts the
    same, so give every process batches of the same size). In a single process it is
    `optimizer` itself, unchanged."""
    from ..train import Optimizer
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"DistributedOptimizer: argument 'optimizer' must be a tn.train "
                        f"optimizer, received {type(optimizer).__name__}")
    if getattr(optimizer, "_apply_local", None) is not None:
        return optimizer  # already distributed
    base = type(optimizer)
    cls = _classes.get(base)
    if cls is None:
        cls = _classes[base] = type(f"Distributed{base.__name__}", (base,), {
            "__doc__": f"{base.__name__} averaging its gradients over the processes "
                       f"(tn.distributed.DistributedOptimizer).",
            "__module__": __name__,
            "apply_gradients": _apply_gradients,
            "_apply_local": base.apply_gradients,
        })
    wrapped = object.__new__(cls)
    object.__setattr__(wrapped, "__dict__", optimizer.__dict__)  # one state, two views
    return wrapped


def _apply_gradients(self, grads):
    ctx = state.active()
    if ctx is None:
        return self._apply_local(grads)
    with ctx.guard("DistributedOptimizer.apply_gradients"):
        pairs = self._pairs(grads)  # checked whole, before any exchange
        means = engine.collective(_Mean(ctx), [g for _, g in pairs])
        return self._apply_local([(Tensor(m), v) for (v, _), m in zip(pairs, means)])


class _Mean:
    """engine.collective's function: the gradients' means over the processes, in one
    all-reduce (in place in a replayed step's flat gradient buffer)."""
    reserve = 0

    def __init__(self, ctx):
        self.ctx = ctx

    def __call__(self, *grads):
        if not grads:
            return []
        buf = flat_base(grads, 0)
        if buf is None:  # an eager step: one buffer for all
            buf = np.concatenate([g.reshape(-1) for g in grads])
            views, offset = [], 0
            for g in grads:
                views.append(buf[offset:offset + g.size].reshape(g.shape))
                offset += g.size
        else:
            views = list(grads)
        self.ctx.allreduce(buf, "DistributedOptimizer.apply_gradients")
        np.divide(buf, self.ctx.size, out=buf)
        return views
