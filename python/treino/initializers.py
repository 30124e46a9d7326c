"""Weight initializers with TF.js 4.22's formulas.

An initializer is called as `init(shape, dtype='float32')` and returns a numpy array.
Random ones draw from treino.core.random.generator(seed): the process-wide stream that
tn.set_seed seeds, or, with an explicit seed, a fresh generator, so that a seeded
initializer gives the same values on every call (as TF.js and Keras 3).

Serialisation follows TF.js: `serialize(init)` is {'class_name', 'config'} with the
string values snake_cased as TF.js writes model.json; glorot/he/lecun are written as
the VarianceScaling they are ('class_name': 'VarianceScaling'), as TF.js does for Keras
compatibility.
"""
import math
import numbers

import numpy as np

from ._config import Configurable, canon, from_config_dict, to_snake
from .core.random import generator

_NP = {"float32": np.float32, "int32": np.int32}


def _dtype(dtype, who):
    dtype = dtype or "float32"
    if dtype not in _NP:
        raise ValueError(f"{who}: dtype must be 'float32' or 'int32', received {dtype!r}")
    return _NP[dtype]


def _number(v, who, arg):
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.number)) or not math.isfinite(v):
        raise ValueError(f"{who}: argument '{arg}' must be a finite number, received {v!r}")
    return float(v)


def _seed(seed, who):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise ValueError(f"{who}: argument 'seed' must be an int or None, received {seed!r}")
    return int(seed)


def _shape(shape, who):
    try:
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: shape must be a list of ints, received {shape!r}") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"{who}: shape must not hold negative sizes, received {list(dims)}")
    return dims


def compute_fans(shape):
    """(fan_in, fan_out) as TF.js computes them (channels-last kernels): 2-D: the two
    dims; 3- to 5-D: receptive field size times the last two dims; otherwise (0-D, 1-D,
    > 5-D) both are sqrt(number of elements)."""
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    if len(shape) in (3, 4, 5):
        receptive = math.prod(shape[:-2])
        return float(shape[-2] * receptive), float(shape[-1] * receptive)
    n = math.sqrt(math.prod(shape))
    return n, n


class Initializer(Configurable):
    class_name = None

    def __call__(self, shape, dtype="float32"):
        shape = _shape(shape, self.class_name)
        return np.ascontiguousarray(self._values(shape).astype(_dtype(dtype, self.class_name)))

    def _values(self, shape):
        raise NotImplementedError



class Zeros(Initializer):
    class_name = "Zeros"

    def _values(self, shape):
        return np.zeros(shape)


class Ones(Initializer):
    class_name = "Ones"

    def _values(self, shape):
        return np.ones(shape)


class Constant(Initializer):
    class_name = "Constant"

    def __init__(self, value):
        self.value = _number(value, "constant", "value")

    def _values(self, shape):
        return np.full(shape, self.value)

    def get_config(self):
        return {"value": self.value}


class RandomUniform(Initializer):
    class_name = "RandomUniform"

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = _number(minval, "random_uniform", "minval")
        self.maxval = _number(maxval, "random_uniform", "maxval")
        if self.maxval < self.minval:
            raise ValueError(f"random_uniform: 'maxval' ({maxval}) must be >= 'minval' ({minval})")
        self.seed = _seed(seed, "random_uniform")

    def _values(self, shape):
        return generator(self.seed).uniform(self.minval, self.maxval, shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated(g, shape):
    """Standard normal draws re-drawn until within two standard deviations (TF.js's
    truncatedNormal; no variance correction, as TF.js)."""
    z = g.standard_normal(shape)
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = g.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return z


class RandomNormal(Initializer):
    class_name = "RandomNormal"

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _number(mean, "random_normal", "mean")
        self.stddev = _number(stddev, "random_normal", "stddev")
        if self.stddev < 0:
            raise ValueError(f"random_normal: 'stddev' must be >= 0, received {stddev!r}")
        self.seed = _seed(seed, "random_normal")

    def _values(self, shape):
        return self.mean + self.stddev * generator(self.seed).standard_normal(shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    class_name = "TruncatedNormal"

    def _values(self, shape):
        return self.mean + self.stddev * _truncated(generator(self.seed), shape)


_MODES = {"fanin": "fanIn", "fanout": "fanOut", "fanavg": "fanAvg"}
_DISTS = {"normal": "normal", "uniform": "uniform", "truncatednormal": "truncatedNormal"}


def _choice(value, table, who, arg):
    key = canon(value) if isinstance(value, str) else None
    if key not in table:
        raise ValueError(f"{who}: argument '{arg}' must be one of {list(table.values())} "
                         f"(camelCase or snake_case), received {value!r}")
    return table[key]


class VarianceScaling(Initializer):
    """stddev or limit from scale / fan: 'normal' (and 'truncatedNormal') draw a normal
    truncated at two stddevs with stddev sqrt(scale) (TF.js applies no correction for the
    truncation), 'uniform' draws from +-sqrt(3 scale)."""
    class_name = "VarianceScaling"

    def __init__(self, scale=1.0, mode="fanIn", distribution="normal", seed=None):
        self.scale = _number(scale, "variance_scaling", "scale")
        if self.scale <= 0:
            raise ValueError(f"variance_scaling: argument 'scale' must be positive, received "
                             f"{scale!r}")
        self.mode = _choice(mode, _MODES, "variance_scaling", "mode")
        self.distribution = _choice(distribution, _DISTS, "variance_scaling", "distribution")
        self.seed = _seed(seed, "variance_scaling")

    def _values(self, shape):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fanIn": fan_in, "fanOut": fan_out, "fanAvg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, fan)
        g = generator(self.seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            return g.uniform(-limit, limit, shape)
        return math.sqrt(scale) * _truncated(g, shape)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _variance_preset(cls_name, scale, mode, distribution):
    class Preset(VarianceScaling):
        __doc__ = f"VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})."

        def __init__(self, seed=None):
            super().__init__(scale, mode, distribution, seed)

        @classmethod
        def from_config(cls, config):
            return cls(seed=config.get("seed"))
    Preset.__name__ = Preset.__qualname__ = Preset.class_name = cls_name
    return Preset


GlorotUniform = _variance_preset("GlorotUniform", 1.0, "fanAvg", "uniform")
GlorotNormal = _variance_preset("GlorotNormal", 1.0, "fanAvg", "normal")
HeUniform = _variance_preset("HeUniform", 2.0, "fanIn", "uniform")
HeNormal = _variance_preset("HeNormal", 2.0, "fanIn", "normal")
LeCunUniform = _variance_preset("LeCunUniform", 1.0, "fanIn", "uniform")
LeCunNormal = _variance_preset("LeCunNormal", 1.0, "fanIn", "normal")


class Orthogonal(Initializer):
    """gain * Q of the QR decomposition of a normal matrix, signs fixed by R's diagonal
    so that Q is uniformly distributed; > 2-D shapes flatten all but the last axis."""
    class_name = "Orthogonal"

    def __init__(self, gain=1.0, seed=None):
        self.gain = _number(gain, "orthogonal", "gain")
        self.seed = _seed(seed, "orthogonal")

    def __call__(self, shape, dtype="float32"):
        if len(shape) < 2:
            raise ValueError(f"orthogonal: the shape must have at least 2 dimensions, "
                             f"received {list(shape)}")
        return super().__call__(shape, dtype)

    def _values(self, shape):
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = generator(self.seed).standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    class_name = "Identity"

    def __init__(self, gain=1.0):
        self.gain = _number(gain, "identity", "gain")

    def __call__(self, shape, dtype="float32"):
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"identity: the initializer makes square 2-D matrices only, "
                             f"received shape {list(shape)}")
        return super().__call__(shape, dtype)

    def _values(self, shape):
        return self.gain * np.eye(shape[0])

    def get_config(self):
        return {"gain": self.gain}


# Factories, TF.js's tf.initializers.* spelled snake_case.
def zeros():
    return Zeros()


def ones():
    return Ones()


def constant(value):
    return Constant(value)


def random_normal(mean=0.0, stddev=0.05, seed=None):
    return RandomNormal(mean, stddev, seed)


def random_uniform(minval=-0.05, maxval=0.05, seed=None):
    return RandomUniform(minval, maxval, seed)


def truncated_normal(mean=0.0, stddev=0.05, seed=None):
    return TruncatedNormal(mean, stddev, seed)


def variance_scaling(scale=1.0, mode="fanIn", distribution="normal", seed=None):
    return VarianceScaling(scale, mode, distribution, seed)


def glorot_uniform(seed=None):
    return GlorotUniform(seed)


def glorot_normal(seed=None):
    return GlorotNormal(seed)


def he_uniform(seed=None):
    return HeUniform(seed)


def he_normal(seed=None):
    return HeNormal(seed)


def lecun_uniform(seed=None):
    return LeCunUniform(seed)


def lecun_normal(seed=None):
    return LeCunNormal(seed)


def orthogonal(gain=1.0, seed=None):
    return Orthogonal(gain, seed)


def identity(gain=1.0):
    return Identity(gain)


_CLASSES = {c.__name__: c for c in (
    Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling,
    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LeCunUniform, LeCunNormal,
    Orthogonal, Identity)}
_BY_CANON = {canon(n): c for n, c in _CLASSES.items()}
VALID_IDS = ["zeros", "ones", "constant", "randomNormal", "randomUniform", "truncatedNormal",
             "varianceScaling", "glorotUniform", "glorotNormal", "heUniform", "heNormal",
             "leCunUniform", "leCunNormal", "orthogonal", "identity"]
# Keras spells LeCun 'lecun_normal': the canonical form ('lecunnormal') covers both.


def get(identifier):
    """An Initializer from an id (either spelling: 'glorotNormal', 'glorot_normal'), an
    Initializer, or a config dict {'class_name': ..., 'config': {...}}."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_CANON.get(canon(identifier))
        if cls is None:
            raise ValueError(f"initializer: unknown initializer {identifier!r}; valid ids: "
                             f"{', '.join(VALID_IDS)} (camelCase or snake_case)")
        if cls is Constant:
            raise ValueError("initializer: 'constant' needs a value: use "
                             "tn.initializers.constant(value)")
        return cls()
    if isinstance(identifier, dict):
        return from_config_dict(identifier, _BY_CANON, "initializer", ", ".join(_CLASSES))
    raise TypeError(f"initializer: expected an initializer id (str), an Initializer or a "
                    f"config dict, received {type(identifier).__name__}")


def _snake_value(v):
    return to_snake(v) if isinstance(v, str) else v


def serialize(initializer):
    """{'class_name', 'config'} as TF.js writes it in model.json (glorot/he/lecun as
    VarianceScaling; string values snake_case: mode 'fan_avg')."""
    if initializer is None:
        return None
    cls = "VarianceScaling" if isinstance(initializer, VarianceScaling) else initializer.class_name
    return {"class_name": cls,
            "config": {k: _snake_value(v) for k, v in initializer.get_config().items()}}
