"""Making the processes start alike: every process describes what it holds (weight shapes,
optimizer, log names, data), the descriptions are compared (any difference is a clear
error on every process), and process `root`'s weights and optimizer state are copied to
the others."""
import numpy as np

from ..core.tensor import Tensor, Variable


def variables_of(target, fn):
    """The Variables of a model (all its weights, trainable first), of a list of
    Variables or of layer weights (objects with .val), or of one Variable."""
    if hasattr(target, "weights") and hasattr(target, "trainable_weights"):
        return [w.val for w in target.weights]
    items = [target] if isinstance(target, Variable) else target
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"{fn}: expected a model, a Variable or a list of Variables, "
                        f"received {type(target).__name__}")
    out = []
    for i, item in enumerate(items):
        v = getattr(item, "val", item)
        if not isinstance(v, Variable):
            raise TypeError(f"{fn}: item {i} must be a Variable (or a model's weight), "
                            f"received {type(item).__name__}")
        out.append(v)
    return out


def describe(variables, optimizer=None, **extra):
    """What must be the same on every process, as plain Python values."""
    out = {"weights": [(v.name, tuple(v.shape), str(v._data.dtype)) for v in variables]}
    if optimizer is not None:
        out["optimizer"] = (type(optimizer).__name__, tuple(optimizer.slot_names),
                            sorted(optimizer.get_config().items()))
    out.update(extra)
    return out


def _shape(s):
    return list(s)


def difference(every, fn):
    """The first way a process's description differs from process 0's, as a sentence,
    or None."""
    first = every[0]
    for rank, d in enumerate(every[1:], 1):
        wa, wb = first["weights"], d["weights"]
        if len(wa) != len(wb):
            return (f"process 0 has {len(wa)} weights, process {rank} has {len(wb)}: every "
                    f"process must build the same model")
        for i, ((na, sa, ta), (nb, sb, tb)) in enumerate(zip(wa, wb)):
            if (sa, ta) != (sb, tb):
                return (f"weight {i} is {na!r} of shape {_shape(sa)} ({ta}) on process 0 "
                        f"but {nb!r} of shape {_shape(sb)} ({tb}) on process {rank}: every "
                        f"process must build the same model")
        for key in sorted(set(first) | set(d)):
            a, b = first.get(key), d.get(key)
            if key == "weights" or a == b:
                continue
            if key == "data":
                return (f"the training data differ (process 0 has {a[0][0][0]} samples, "
                        f"process {rank} {b[0][0][0]}, and their values differ): fit takes "
                        f"the same full arrays on every process and gives each its part of "
                        f"every batch (to train each process on data of its own, use "
                        f"fit_dataset with dataset.shard)")
            return f"{key} differs: {a!r} on process 0, {b!r} on process {rank}"
    return None


def check_same(ctx, fn, description):
    """Raises ValueError on every process when the descriptions differ (all processes
    reach the same verdict: each sees every description)."""
    problem = difference(ctx.allgather_object(description, f"{fn} (comparing the "
                                                           f"processes)"), fn)
    if problem:
        raise ctx.agreed(ValueError(f"{fn}: the processes disagree: {problem}"))


def broadcast(ctx, variables, optimizer, root, fn):
    """Process root's values of `variables` (one exchange per dtype) and, with an
    optimizer, its step count and the slots of those variables, on every process."""
    what = f"{fn} (copying process {root}'s weights)"
    for dtype in sorted({v._data.dtype.str for v in variables}):
        group = [v for v in variables if v._data.dtype.str == dtype]
        buf = np.concatenate([v._data.reshape(-1) for v in group]) if ctx.rank == root else \
            np.empty(sum(v.size for v in group), np.dtype(dtype))
        ctx.bcast(buf, root, what)
        if ctx.rank != root:
            offset = 0
            for v in group:
                np.copyto(v._data, buf[offset:offset + v.size].reshape(v.shape))
                offset += v.size
    if optimizer is not None:
        _broadcast_slots(ctx, variables, optimizer, root, what)


def _broadcast_slots(ctx, variables, optimizer, root, what):
    """The optimizer's state for `variables`, matched by position (names may differ
    between processes); a variable without state on root loses its state elsewhere."""
    state = None
    if ctx.rank == root:
        slots = []
        for v in variables:
            entry = optimizer._slots.get(v.name)
            alive = entry is not None and entry[0]() is v
            slots.append([entry[1][s] for s in optimizer.slot_names] if alive else None)
        state = (optimizer.iterations, slots)
    iterations, slots = ctx.bcast_object(state, root, what)
    if ctx.rank == root:
        return
    optimizer.iterations = iterations
    for v, arrays in zip(variables, slots):
        if arrays is None:
            entry = optimizer._slots.get(v.name)
            if entry is not None and entry[0]() is v:
                del optimizer._slots[v.name]
            continue
        for s, a in zip(optimizer.slot_names, arrays):
            optimizer._slot(v, s)[...] = a


def average_non_trainable(ctx, model, fn):
    """Each float32 non-trainable weight (batch-normalization statistics, which every
    process updates from its own samples) becomes its mean over the processes, summed
    in float64 (a weight that is the same everywhere stays bit for bit the same)."""
    weights = [w.val for w in model.non_trainable_weights if w.val._data.dtype == np.float32]
    if not weights:
        return
    buf = np.concatenate([v._data.reshape(-1).astype(np.float64) for v in weights])
    ctx.allreduce(buf, f"{fn} (averaging the non-trainable weights)")
    buf /= ctx.size
    offset = 0
    for v in weights:
        np.copyto(v._data, buf[offset:offset + v.size].reshape(v.shape))
        offset += v.size


def as_array(tensor, fn):
    """A contiguous copy of a Tensor / array / number for a collective, and whether it
    came as a Tensor."""
    if isinstance(tensor, Tensor):
        a = tensor._data
    elif isinstance(tensor, (np.ndarray, int, float, np.number)) and \
            not isinstance(tensor, bool):
        a = np.asarray(tensor)
        if a.dtype == np.float64:
            a = a.astype(np.float32)
        elif a.dtype == np.int64:
            a = a.astype(np.int32)
    else:
        raise TypeError(f"{fn}: argument 'tensor' must be a Tensor, a numpy array or a "
                        f"number, received {type(tensor).__name__}")
    if a.dtype not in (np.float32, np.int32):
        raise TypeError(f"{fn}: argument 'tensor' must be float32 or int32, received "
                        f"dtype {a.dtype}")
    return np.array(a, order="C")
