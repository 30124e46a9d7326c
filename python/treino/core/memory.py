"""TF.js memory helpers. Python frees tensors itself, so tidy/dispose/keep only exist
for ported code; memory() reports the live tensors."""
import gc

from .ops._result import result_type
from .tensor import Tensor


def tidy(fn, *args):
    """Runs fn() and returns its result (TF.js frees the intermediates; Python does)."""
    if isinstance(fn, str):  # tidy(name, fn), as TF.js allows
        fn, args = args[0], args[1:]
    return fn(*args)


def dispose(x):
    """Releases nothing: tensors are freed when no longer referenced."""
    if isinstance(x, Tensor):
        x.dispose()
    elif isinstance(x, dict):
        for v in x.values():
            dispose(v)
    elif isinstance(x, (list, tuple)):
        for v in x:
            dispose(v)


def keep(x):
    return x


MemoryInfo = result_type("MemoryInfo", ["num_tensors", "num_data_buffers", "num_bytes",
                                        "unreliable"])


def memory():
    """TF.js's memory(): num_tensors (live Tensor objects), num_data_buffers (the distinct
    arrays they hold), num_bytes (those arrays' bytes), unreliable (False). Readable as
    attributes (m.num_tensors) or by key, snake_case or TF.js's camelCase
    (m['numTensors']). A gc scan: slow, for debugging."""
    # type(o), not isinstance: isinstance reads __class__, which some objects compute.
    ts = [o for o in gc.get_objects() if issubclass(type(o), Tensor)]
    seen, nbytes = set(), 0
    for t in ts:
        base = t._data if t._data.base is None else t._data.base
        if id(base) not in seen:
            seen.add(id(base))
            nbytes += base.nbytes
    return MemoryInfo(len(ts), len(seen), nbytes, False)
