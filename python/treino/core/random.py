"""Random tensors and tn.set_seed.

One process-wide numpy Generator feeds every draw, weight initialisation and shuffle;
tn.set_seed(n) re-seeds it, so a seeded program repeats bit for bit. A `seed=` argument
gives a draw its own generator and leaves the global stream untouched.
"""
import contextvars
import numbers

import numpy as np

from . import autodiff
from ._args import int_arg
from .creation import _shape
from .dtypes import NP, check_dtype
from .tensor import Tensor

_rng = np.random.default_rng()
# A thread that produces data ahead of training (tn.data's prefetch) draws from its own
# generator, split off the global one when the thread starts, so that its draws and the
# training thread's never interleave in an order that depends on timing.
_thread_rng = contextvars.ContextVar("treino_thread_rng", default=None)


def split_generator():
    """A new generator seeded from this thread's stream (one draw from generator()): for a
    thread that should draw reproducibly without sharing that stream (use_generator). A
    producer thread that starts another one splits from its own stream."""
    return np.random.default_rng(int(generator().integers(0, 2**63)))


def use_generator(rng):
    """Makes generator() return `rng` in this thread (context); see split_generator."""
    _thread_rng.set(rng)


def set_seed(seed):
    """Seeds every later random draw, initialisation and shuffle."""
    global _rng
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)) or seed < 0:
        raise ValueError(f"set_seed: argument 'seed' must be a non-negative int, received {seed!r}")
    _rng = np.random.default_rng(int(seed))


def generator(seed=None):
    """The global generator (or the thread's own: use_generator), or a fresh one for an
    explicit seed."""
    if seed is None:
        own = _thread_rng.get()
        return _rng if own is None else own
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
        if dt == "int32" and values.dtype.kind == "f":
            values = np.floor(values + 0.5)  # JavaScript's Math.round, as TF.js rounds
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


def random_standard_normal(shape, dtype="float32", seed=None):
    """Draws from the normal distribution of mean 0 and standard deviation 1."""
    return random_normal(shape, 0.0, 1.0, dtype, seed)


def random_uniform_int(shape, minval, maxval, seed=None):
    """int32 draws, uniform over [minval, maxval)."""
    minval = int_arg(minval, "random_uniform_int", "minval")
    maxval = int_arg(maxval, "random_uniform_int", "maxval")
    if maxval <= minval:
        raise ValueError(f"random_uniform_int: maxval ({maxval}) must be > minval ({minval})")
    return random_uniform(shape, minval, maxval, "int32", seed)


def random_gamma(shape, alpha, beta=1.0, dtype="float32", seed=None):
    """Draws from the gamma distribution of shape `alpha` and inverse scale (rate) `beta`:
    mean alpha / beta, variance alpha / beta^2, as TF.js documents it and TensorFlow
    computes it. (TF.js 4.22's CPU code multiplies by beta instead, contrary to its
    documentation; treino follows the documented distribution.) int32 draws are
    rounded."""
    shape = _shape(shape, "random_gamma")
    for arg, v in (("alpha", alpha), ("beta", beta)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not v > 0:
            raise ValueError(f"random_gamma: argument '{arg}' must be a number > 0, received {v!r}")
    generator(seed)
    scale = 1.0 / float(beta)
    return _draw("random_gamma", dtype, lambda: generator(seed).gamma(float(alpha), scale, shape))


def rand(shape, rand_function, dtype=None):
    """A tensor of `shape` whose values are successive calls of rand_function() (a
    Python function of no arguments returning a number), in row-major order."""
    shape = _shape(shape, "rand")
    if not callable(rand_function):
        raise TypeError(f"rand: argument 'rand_function' must be callable, received "
                        f"{type(rand_function).__name__}")
    dt = check_dtype(dtype, "rand") or "float32"
    size = int(np.prod(shape, dtype=np.int64))

    def core():  # a node, so that a captured step calls rand_function anew
        values = np.array([rand_function() for _ in range(size)], np.float64).reshape(shape)
        if dt != "float32":
            values = np.trunc(values)  # TF.js's Int32Array / Uint8Array truncate
        return np.asarray(values.astype(NP[dt]), order="C"), None
    return autodiff.apply("rand", core, ())
