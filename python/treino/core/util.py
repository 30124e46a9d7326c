"""tn.util: the helpers of TF.js's tf.util that training programs call (shuffling,
assertions, timing, shape arithmetic), spelled the Python way. Shuffles draw from
treino's generator, so tn.set_seed makes them reproducible."""
import math
import time

import numpy as np

from ._args import int_arg


def _generator():
    from .random import generator  # numpy.random loads on first use only
    return generator()


def _check_shuffleable(array, fn, arg="array"):
    if not isinstance(array, (list, np.ndarray)):
        raise TypeError(f"{fn}: argument '{arg}' must be a list or a numpy array (shuffled "
                        f"in place), received {type(array).__name__}")


def shuffle(array):
    """Shuffles a list or a numpy array in place (along its first axis), as TF.js's
    util.shuffle does; returns None."""
    _check_shuffleable(array, "shuffle")
    order = _generator().permutation(len(array))
    array[:] = [array[i] for i in order] if isinstance(array, list) else array[order]


def shuffle_combo(array, array2):
    """Shuffles two lists or arrays of one length in place with the same permutation."""
    _check_shuffleable(array, "shuffle_combo")
    _check_shuffleable(array2, "shuffle_combo", "array2")
    if len(array) != len(array2):
        raise ValueError(f"shuffle_combo: the arrays must have one length, received "
                         f"{len(array)} and {len(array2)}")
    order = _generator().permutation(len(array))
    for a in (array, array2):
        a[:] = [a[i] for i in order] if isinstance(a, list) else a[order]


def create_shuffled_indices(n):
    """The integers 0 .. n-1 in a random order (a uint32 numpy array, as TF.js's
    Uint32Array)."""
    n = int_arg(n, "create_shuffled_indices", "n", 0)
    return _generator().permutation(n).astype(np.uint32)


def assert_(expr, msg):
    """Raises AssertionError(msg) when expr is false; msg is a string or, as in TF.js, a
    function returning one (called only on failure). (`assert` is a Python keyword.)"""
    if not expr:
        raise AssertionError(msg() if callable(msg) else msg)


def now():
    """A high-resolution time in milliseconds, for measuring durations (TF.js's
    util.now, performance.now())."""
    return time.perf_counter() * 1000.0


def size_from_shape(shape):
    """The number of elements of a tensor of `shape` (1 for a scalar's [])."""
    return math.prod(int_arg(d, "size_from_shape", "shape", 0) for d in shape)


def flatten(arr, result=None, skip_typed_array=False):
    """The values of a nested list (tuples and numpy arrays too) in order, as one flat
    list. With skip_typed_array, numpy arrays are kept whole as TF.js keeps typed
    arrays."""
    out = [] if result is None else result
    if isinstance(arr, np.ndarray) and not skip_typed_array:
        out.extend(arr.ravel().tolist())
    elif isinstance(arr, (list, tuple)):
        for item in arr:
            flatten(item, out, skip_typed_array)
    else:
        out.append(arr)
    return out


def arrays_equal(a, b):
    """Whether two flat sequences have equal length and values."""
    return len(a) == len(b) and all(x == y for x, y in zip(a, b))


__all__ = ["shuffle", "shuffle_combo", "create_shuffled_indices", "assert_", "now",
           "size_from_shape", "flatten", "arrays_equal"]
