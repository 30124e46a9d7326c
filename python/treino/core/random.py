"""Random tensors and tn.set_seed.

One process-wide numpy Generator feeds every draw, weight initialisation and shuffle;
tn.set_seed(n) re-seeds it, so a seeded program repeats bit for bit. A `seed=` argument
gives a draw its own generator and leaves the global stream untouched.
"""
import numbers

import numpy as np

from . import autodiff
from .creation import _shape
from .dtypes import NP, check_dtype
from .tensor import Tensor

_rng = np.random.default_rng()


def set_seed(seed):
    """Seeds every later random draw, initialisation and shuffle."""
    global _rng
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)) or seed < 0:
        raise ValueError(f"set_seed: argument 'seed' must be a non-negative int, received {seed!r}")
    _rng = np.random.default_rng(int(seed))


def generator(seed=None):
    """The global generator, or a fresh one for an explicit seed."""
    if seed is None:
        return _rng
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise ValueError(f"argument 'seed' must be an int or None, received {seed!r}")
    return np.random.default_rng(int(seed) & 0xFFFFFFFFFFFFFFFF)


def _draw(fn, dtype, draw):
    """A node without inputs whose core draws `draw()` (numpy values) anew, so that a
    captured step draws fresh values at every replay, from the generator current then."""
    dt = check_dtype(dtype, fn) or "float32"
    if dt == "bool":
        raise TypeError(f"{fn}: argument 'dtype' must be 'float32' or 'int32', received 'bool'")
    np_dtype = NP[dt]

    def core():
        values = draw()
        return (np.ascontiguousarray(values.astype(np_dtype)) if values.ndim else
                np.asarray(values.astype(np_dtype))), None
    return autodiff.apply(fn, core, ())


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    shape = _shape(shape, "random_normal")
    generator(seed)  # checks the seed now
    return _draw("random_normal", dtype, lambda: generator(seed).normal(mean, stddev, shape))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
    shape = _shape(shape, "random_uniform")
    if maxval < minval:
        raise ValueError(f"random_uniform: maxval ({maxval}) must be >= minval ({minval})")
    generator(seed)
    if check_dtype(dtype, "random_uniform") == "int32":
        lo, hi = int(minval), int(maxval)
        return _draw("random_uniform", "int32", lambda: generator(seed).integers(lo, hi, shape))
    return _draw("random_uniform", dtype,
                 lambda: generator(seed).uniform(minval, maxval, shape))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    """Normal draws re-drawn until within two standard deviations of the mean."""
    shape = _shape(shape, "truncated_normal")
    generator(seed)

    def draw():
        g = generator(seed)
        z = g.standard_normal(shape)
        bad = np.abs(z) > 2
        while bad.any():
            z[bad] = g.standard_normal(int(bad.sum()))
            bad = np.abs(z) > 2
        return mean + stddev * z
    return _draw("truncated_normal", dtype, draw)
