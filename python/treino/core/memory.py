"""TF.js memory helpers. Python frees tensors itself, so tidy/dispose/keep only exist
for ported code; memory() reports the live tensors."""
import gc

from .._config import _snake_key
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


class MemoryInfo(dict):
    """memory()'s result: a dict (keys num_tensors, num_data_buffers, num_bytes,
    unreliable) whose entries also read as attributes, and by TF.js's camelCase keys
    (m['numTensors'], m.num_tensors)."""

    def __getitem__(self, key):
        if isinstance(key, str) and key not in self:
            key = _snake_key(key)
        return dict.__getitem__(self, key)

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"memory(): no entry {name!r}; entries: "
                                 f"{', '.join(self)}") from None


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
    return MemoryInfo(num_tensors=len(ts), num_data_buffers=len(seen), num_bytes=nbytes,
                      unreliable=False)
