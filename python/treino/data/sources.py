"""Dataset sources: tn.data.generator, tn.data.array and tn.data.zip."""
import builtins

import numpy as np

from ..core.dtypes import to_array
from ..core.tensor import Tensor, Variable
from .._awaitable import resolve
from .dataset import Dataset, add_note


# -- generator -------------------------------------------------------------------------
class GeneratorDataset(Dataset):
    """Elements of the iterator that `fn()` returns; fn is called anew for every pass."""

    def __init__(self, fn):
        self._fn = fn

    def _open(self):
        return _generate(self._fn)


def generator(fn):
    """tn.data.generator(fn): a dataset whose passes each iterate a fresh `fn()`.

    `fn` is typically a generator function (`def gen(): yield ...`); it may also return
    any iterable, or a TF.js-style iterator whose next() returns {'value', 'done'}."""
    if not callable(fn):
        hint = ""
        if hasattr(fn, "__next__"):
            hint = ("; pass the function that creates the iterator (gen, not gen()), "
                    "since a dataset starts a new one for every pass")
        raise TypeError(f"data.generator: argument 'fn' must be callable, received "
                        f"{type(fn).__name__}{hint}")
    return GeneratorDataset(fn)


def _generate(fn):
    try:
        src = fn()
    except Exception as e:
        add_note(e, "tn.data.generator: raised by the generator function while starting a "
                    "pass")
        raise
    it = _as_iterator(src)
    i = 0
    try:
        while True:
            try:
                x = next(it)
            except StopIteration:
                return
            except Exception as e:
                add_note(e, f"tn.data.generator: raised while producing element {i}")
                raise
            yield x
            i += 1
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()  # runs the user's generator's own cleanup when a pass stops early


def _as_iterator(src):
    if hasattr(src, "__next__"):
        return src
    if hasattr(src, "__iter__"):
        return iter(src)
    if callable(getattr(src, "next", None)):
        return _tfjs_iterator(src)
    raise TypeError(f"data.generator: the function must return an iterator or an iterable "
                    f"(e.g. be a generator function), but it returned "
                    f"{type(src).__name__}")


def _tfjs_iterator(src):
    """A TF.js iterator object: next() returns {'value': ..., 'done': bool} (or an
    awaitable of it: an async next is awaited)."""
    while True:
        r = _step_result(src.next(), "data.generator: an iterator's next()")
        if r["done"]:
            return
        yield r.get("value")


def _step_result(r, what):
    r = resolve(r, what)
    if not isinstance(r, dict) or "done" not in r:
        raise TypeError(f"{what} must return {{'value': ..., 'done': bool}}, received {r!r}")
    return r


# -- func ------------------------------------------------------------------------------
class FuncDataset(Dataset):
    """Elements produced by calling f() again and again until it says done."""

    def __init__(self, f):
        self._f = f

    def _open(self):
        return _calls(self._f)


def func(f):
    """tn.data.func(f): a dataset whose every element is a call of f(), which returns
    {'value': element, 'done': False}, and finally {'value': None, 'done': True} to end a
    pass (TF.js's tf.data.func; an `async def` f is awaited). Every pass calls f anew, so
    passes may differ."""
    if not callable(f):
        raise TypeError(f"data.func: argument 'f' must be callable, received "
                        f"{type(f).__name__}")
    return FuncDataset(f)


def _calls(f):
    i = 0
    while True:
        try:
            r = _step_result(f(), "data.func: the function")
        except Exception as e:
            add_note(e, f"tn.data.func: raised while producing element {i}")
            raise
        if r["done"]:
            return
        yield r.get("value")
        i += 1


# -- array -----------------------------------------------------------------------------
class ArrayDataset(Dataset):
    """Rows of a tensor: one Tensor per index along axis 0."""

    def __init__(self, data):
        self._data = data  # private C-contiguous array that nothing else writes to
        self._size = data.shape[0]

    def _open(self):
        data = self._data
        # data[i, ...] keeps a 0-d array (not a numpy scalar) for rank-1 data
        return (Tensor(data[i, ...]) for i in range(data.shape[0]))

    def _open_slices(self, batch_size, small_last_batch, limit=None):
        """Batches as slices of the array: the same values batch() would stack, without
        touching each row."""
        data = self._data
        n = data.shape[0] if limit is None else min(limit, data.shape[0])
        stop = n if small_last_batch else n - n % batch_size
        return (Tensor(data[s:min(s + batch_size, n)]) for s in range(0, stop, batch_size))


class ListDataset(Dataset):
    """The items of a list, in order."""

    def __init__(self, items):
        self._items = items
        self._size = len(items)

    def _open(self):
        return iter(self._items)


def array(items):
    """tn.data.array(items): a dataset of the items of a list (numbers, nested lists,
    dicts, tuples, Tensors...), or of the rows of a numpy array or Tensor (split along
    axis 0, with tn.tensor's dtype rules)."""
    if isinstance(items, Tensor):
        data = items._data
        if isinstance(items, Variable):
            data = data.copy()  # a Variable changes under assign; the dataset must not
    elif isinstance(items, np.ndarray):
        data = to_array(items, fn="data.array", arg="items")
        if np.may_share_memory(data, items):
            data = data.copy()  # later writes to the caller's array must not leak in
    elif isinstance(items, (list, tuple)):
        return ListDataset(list(items))
    else:
        raise TypeError(f"data.array: argument 'items' must be a list, a tuple, a numpy "
                        f"array or a Tensor, received {type(items).__name__}")
    if data.ndim == 0:
        raise ValueError(f"data.array: argument 'items' must have at least one axis to split "
                         f"into elements, received a scalar")
    return ArrayDataset(data)


# -- zip -------------------------------------------------------------------------------
class ZipDataset(Dataset):
    """Elements of several datasets side by side, in the nesting of `datasets`; ends with
    the shortest."""

    def __init__(self, datasets):
        self._leaves = []
        self._spec = _flatten(datasets, self._leaves, ())
        sizes = [d._size for d in self._leaves]
        self._size = None if not sizes or None in sizes else min(sizes)

    def _open(self):
        return _zipped([d._open for d in self._leaves], self._spec)

    def _open_slices(self, batch_size, small_last_batch, limit=None):
        if self._size is None or not all(hasattr(d, "_open_slices") for d in self._leaves):
            return None
        n = self._size if limit is None else min(limit, self._size)
        parts = [d._open_slices(batch_size, small_last_batch, n) for d in self._leaves]
        if any(p is None for p in parts):
            return None
        return _zipped([p.__iter__ for p in parts], self._spec)


def zip(datasets):  # noqa: A001 (tn.data.zip, as TF.js)
    """tn.data.zip(datasets): a dict, tuple or list (nested freely) of datasets becomes a
    dataset of elements with that same nesting, e.g. zip({'xs': a, 'ys': b})."""
    if not isinstance(datasets, (dict, tuple, list)):
        raise TypeError(f"data.zip: argument 'datasets' must be a dict, tuple or list of "
                        f"datasets, received {type(datasets).__name__}")
    return ZipDataset(datasets)


def _flatten(node, leaves, path):
    """A spec to rebuild the nesting: an int (leaf index) or (type, keys, child specs)."""
    if isinstance(node, Dataset):
        leaves.append(node)
        return len(leaves) - 1
    if isinstance(node, dict):
        keys = list(node)
        return (dict, keys, [_flatten(node[k], leaves, path + (k,)) for k in keys])
    if isinstance(node, (tuple, list)):
        return (type(node), None, [_flatten(v, leaves, path + (i,)) for i, v in
                                   enumerate(node)])
    where = "".join(f"[{p!r}]" for p in path)
    raise TypeError(f"data.zip: every leaf of argument 'datasets' must be a Dataset, but "
                    f"datasets{where} is {type(node).__name__}")


def _rebuild(spec, values):
    if isinstance(spec, int):
        return values[spec]
    kind, keys, children = spec
    if kind is dict:
        return {k: _rebuild(c, values) for k, c in builtins.zip(keys, children)}
    out = [_rebuild(c, values) for c in children]
    return tuple(out) if kind is tuple else out


def _zipped(openers, spec):
    its = [iter(o()) for o in openers]
    try:
        while True:
            values = []
            for it in its:
                try:
                    values.append(next(it))
                except StopIteration:
                    return
            yield _rebuild(spec, values)
    finally:
        for it in its:  # the longer streams stop here too (files closed, threads ended)
            close = getattr(it, "close", None)
            if close is not None:
                close()
