"""Dataset: a lazily evaluated, re-iterable stream of elements, as TF.js's tf.data.Dataset.

Every pass (`iter(ds)`, `ds.iterator()`, `for_each`, `to_array`) starts a fresh stream from
the source and replays the chain of transformations element by element, so nothing is
materialised beyond the shuffle buffer, the batch being assembled and the prefetch queue.
A Dataset is a recipe: `_open()` returns a new Python iterator for one pass.
"""
import itertools
import math
import numbers

import numpy as np

from .._awaitable import resolve
from ..core import random as _random
from .batching import batch_elements
from .prefetch import prefetch_iterator


def add_note(exc, note):
    """Attaches `note` to an exception in flight without changing its type or traceback
    (a no-op before Python 3.11, which has no notes)."""
    if hasattr(exc, "add_note"):
        exc.add_note(note)


def _count_arg(value, fn, arg, minimum):
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)) \
            or value < minimum:
        what = "a positive int" if minimum == 1 else "a non-negative int"
        raise ValueError(f"{fn}: argument '{arg}' must be {what}, received {value!r}")
    return int(value)


def _callable_arg(fn_arg, fn, arg):
    if not callable(fn_arg):
        raise TypeError(f"{fn}: argument '{arg}' must be callable, received "
                        f"{type(fn_arg).__name__}")
    return fn_arg


class Dataset:
    """Base class. Subclasses set `_size` (an int, math.inf or None when unknown) and
    implement `_open()`."""

    _size = None

    def _open(self):
        raise NotImplementedError

    # -- facts -------------------------------------------------------------------------
    @property
    def size(self):
        """The number of elements when known, else None (also for endless datasets)."""
        return None if self._size is None or self._size == math.inf else int(self._size)

    def __repr__(self):
        size = "infinite" if self._size == math.inf else self.size
        return f"<{type(self).__name__} size={size}>"

    # -- iteration ---------------------------------------------------------------------
    def __iter__(self):
        return iter(self._open())

    def iterator(self):
        """A new pass over the dataset, as TF.js's `iterator()`: `next()` returns
        {'value': element, 'done': False} and finally {'value': None, 'done': True}; it
        is also a Python iterator."""
        return DatasetIterator(self._open())

    def for_each(self, fn):
        """Calls fn(element) on every element of one pass (TF.js's forEachAsync; an
        `async def` fn is awaited, element by element)."""
        _callable_arg(fn, "for_each", "fn")
        for i, x in enumerate(self._open()):
            try:
                resolve(fn(x), "for_each's function")
            except Exception as e:
                add_note(e, f"tn.data: raised by the for_each function on element {i}")
                raise

    # TF.js's name (forEachAsync, snake_case and as spelled), so ported code runs.
    for_each_async = forEachAsync = for_each

    def to_array(self):
        """Every element of one pass, as a list (for small datasets only)."""
        if self._size == math.inf:
            raise ValueError("to_array: the dataset is endless (repeat() without a count); "
                             "take(n) first")
        return list(self._open())

    toArray = to_array

    # -- transformations ---------------------------------------------------------------
    def batch(self, batch_size, small_last_batch=True):
        """Groups consecutive elements into batches, stacking each leaf of the (nested)
        element into a Tensor whose axis 0 is the batch."""
        batch_size = _count_arg(batch_size, "batch", "batch_size", 1)
        small_last_batch = bool(small_last_batch)
        size = self._size
        if size is not None and size != math.inf:
            size = (math.ceil if small_last_batch else math.floor)(size / batch_size)
        base = self

        def open_():
            fast = getattr(base, "_open_slices", None)
            slices = fast(batch_size, small_last_batch) if fast else None
            if slices is not None:
                return slices
            return _batches(base._open(), batch_size, small_last_batch)
        return _Derived(open_, size)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """Buffered shuffle as TF.js: a buffer of `buffer_size` elements is filled from
        the stream; each output is a uniformly drawn buffer element, whose slot is
        refilled with the next input. Every element comes out exactly once per pass.

        With a seed (an int, or a string as TF.js takes), the sequence of passes is the
        same in every run of the program (pass k and pass k+1 differ unless
        reshuffle_each_iteration=False). Without one,
        the dataset's seed is drawn now from the global generator, so tn.set_seed before
        building the pipeline makes it reproducible; nothing is drawn during iteration,
        so a prefetch thread cannot make the order depend on timing."""
        buffer_size = _count_arg(buffer_size, "shuffle", "buffer_size", 1)
        if seed is None:
            seed = int(_random.generator().integers(0, 2**63))
        elif isinstance(seed, str):  # TF.js's seed is a string: a fixed hash of it
            import hashlib
            seed = int.from_bytes(hashlib.sha256(seed.encode("utf-8", "surrogatepass"))
                                  .digest()[:8], "little")
        elif isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
            raise ValueError(f"shuffle: argument 'seed' must be an int, a string or None, "
                             f"received {seed!r}")
        seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        passes = itertools.count()
        base = self

        def open_():
            k = next(passes)
            rng = np.random.default_rng([seed, k] if reshuffle_each_iteration else seed)
            return _shuffled(base._open(), buffer_size, rng)
        return _Derived(open_, self._size)

    def map(self, fn):
        """Applies fn to every element."""
        _callable_arg(fn, "map", "fn")
        base = self

        def open_():
            for i, x in enumerate(base._open()):
                try:
                    y = resolve(fn(x), "map's function")
                except Exception as e:
                    add_note(e, f"tn.data: raised by the map function on element {i}")
                    raise
                yield y
        return _Derived(open_, self._size)

    def map_async(self, fn):
        """map with a transform that returns an awaitable (TF.js's mapAsync): each result
        is awaited in turn (map itself awaits one too)."""
        _callable_arg(fn, "map_async", "fn")
        return self.map(fn)

    mapAsync = map_async

    def filter(self, predicate):
        """Keeps the elements for which predicate(element) is true."""
        _callable_arg(predicate, "filter", "predicate")
        base = self

        def open_():
            for i, x in enumerate(base._open()):
                try:
                    keep = predicate(x)
                except Exception as e:
                    add_note(e, f"tn.data: raised by the filter predicate on element {i}")
                    raise
                if keep:
                    yield x
        return _Derived(open_, math.inf if self._size == math.inf else None)

    def take(self, count):
        """At most the first `count` elements."""
        count = _count_arg(count, "take", "count", 0)
        base = self
        size = None if self._size is None else min(self._size, count)

        def open_():
            if count:  # take(0) must not even start the source
                yield from itertools.islice(base._open(), count)
        return _Derived(open_, size)

    def skip(self, count):
        """Everything after the first `count` elements."""
        count = _count_arg(count, "skip", "count", 0)
        base = self
        size = None if self._size is None else max(self._size - count, 0)
        return _Derived(lambda: itertools.islice(base._open(), count, None), size)

    def shard(self, num_shards, index):
        """Every num_shards-th element, from element `index` on (tf.data's shard): the
        part of the data one of num_shards processes trains on, e.g.
        `ds.shard(tn.distributed.size(), tn.distributed.rank())`. Shard before batching
        (and after a seeded shuffle) so that the processes' batches together are the
        batches of the whole dataset."""
        num_shards = _count_arg(num_shards, "shard", "num_shards", 1)
        if isinstance(index, bool) or not isinstance(index, (numbers.Integral, np.integer)) \
                or not 0 <= index < num_shards:
            raise ValueError(f"shard: argument 'index' must be an int in [0, num_shards) = "
                             f"[0, {num_shards}), received {index!r}")
        index, base = int(index), self
        size = self._size
        if size is not None and size != math.inf:
            size = max(0, -(-(size - index) // num_shards))
        return _Derived(lambda: itertools.islice(base._open(), index, None, num_shards), size)

    def repeat(self, count=None):
        """The dataset `count` times over (forever when count is None); each repetition
        is a new pass, so a shuffle reshuffles."""
        if count is not None:
            count = _count_arg(count, "repeat", "count", 0)
        base = self
        if count == 0:
            size = 0
        elif count is None:
            size = math.inf if self._size else (0 if self._size == 0 else None)
        else:
            size = None if self._size is None else self._size * count

        def open_():
            for _ in (itertools.count() if count is None else range(count)):
                empty = True
                for x in base._open():
                    empty = False
                    yield x
                if empty and count is None:
                    return  # repeating an empty dataset forever would hang
        return _Derived(open_, size)

    def concatenate(self, other):
        """This dataset's elements followed by other's."""
        if not isinstance(other, Dataset):
            raise TypeError(f"concatenate: argument 'other' must be a Dataset, received "
                            f"{type(other).__name__}")
        a, b = self, other
        if math.inf in (a._size, b._size):
            size = math.inf
        else:
            size = None if a._size is None or b._size is None else a._size + b._size

        def open_():
            yield from a._open()
            yield from b._open()  # opened only once `a` is done (a file, a thread...)
        return _Derived(open_, size)

    def prefetch(self, buffer_size):
        """Produces up to `buffer_size` elements ahead in a background thread, so that
        loading and preprocessing overlap with the consumer (e.g. training)."""
        buffer_size = _count_arg(buffer_size, "prefetch", "buffer_size", 1)
        base = self
        return _Derived(lambda: prefetch_iterator(base._open, buffer_size), self._size)


class _Derived(Dataset):
    """A dataset defined by a function returning a fresh iterator per pass (TF.js's
    datasetFromIteratorFn)."""

    def __init__(self, open_fn, size):
        self._open_fn, self._size = open_fn, size

    def _open(self):
        return self._open_fn()


class DatasetIterator:
    """One pass over a dataset (TF.js's LazyIterator, Python iterator protocol too)."""

    def __init__(self, it):
        self._it = iter(it)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._it)

    def next(self):
        try:
            return {"value": next(self._it), "done": False}
        except StopIteration:
            return {"value": None, "done": True}

    def to_array(self):
        return list(self._it)

    def close(self):
        """Stops the pass early, releasing its file handles and threads."""
        close = getattr(self._it, "close", None)
        if close is not None:
            close()


def _batches(it, batch_size, small_last_batch):
    start, rows = 0, []
    for x in it:
        rows.append(x)
        if len(rows) == batch_size:
            yield batch_elements(rows, start)
            start, rows = start + batch_size, []
    if rows and small_last_batch:
        yield batch_elements(rows, start)


def _shuffled(it, buffer_size, rng):
    it = iter(it)
    buf = list(itertools.islice(it, buffer_size))
    more = len(buf) == buffer_size
    while more:
        # Slot indices drawn 1024 at a time as Python ints: a numpy call per element
        # would cost more than the rest of the pipeline.
        draws = iter(rng.integers(0, buffer_size, 1024).tolist())
        for j, x in zip(draws, it):  # draws first: no element is pulled and lost
            out, buf[j] = buf[j], x
            yield out
        more = next(draws, None) is None  # the draws ran out, not the stream
    # The stream ended: drain the buffer, still drawing uniformly among what is left.
    for j in rng.integers(0, np.arange(len(buf), 0, -1)).tolist():
        buf[j], buf[-1] = buf[-1], buf[j]
        yield buf.pop()
