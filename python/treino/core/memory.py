"""TF.js memory helpers. Python frees tensors itself, so tidy/dispose/keep only exist
for ported code; memory() reports the live tensors."""
import gc

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


def memory():
    """{'num_tensors': live Tensor objects, 'num_bytes': their bytes} (a gc scan: slow,
    for debugging)."""
    ts = [o for o in gc.get_objects() if isinstance(o, Tensor)]
    seen, nbytes = set(), 0
    for t in ts:
        base = t._data if t._data.base is None else t._data.base
        if id(base) not in seen:
            seen.add(id(base))
            nbytes += base.nbytes
    return {"num_tensors": len(ts), "num_bytes": nbytes, "unreliable": False}
