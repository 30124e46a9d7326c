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

import numpy as np

from ._config import (Configurable, canon, check_choice, check_config, check_dims, check_int,
                      check_number, from_config_dict, to_snake, type_error, value_error)
from .core.random import generator

_NP = {"float32": np.float32, "int32": np.int32}


def _dtype(dtype, who):
    dtype = "float32" if dtype is None else dtype
    if not isinstance(dtype, str):
        raise type_error(who, "dtype", "'float32' or 'int32'", dtype)
    if dtype not in _NP:
        raise value_error(who, "dtype", "'float32' or 'int32'", dtype)
    return _NP[dtype]


def _seed(seed, who):
    return check_int(seed, who, "seed", allow_none=True)


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
        shape = check_dims(shape, self.class_name, "shape", free=False)
        np_dtype = _dtype(dtype, self.class_name)
        self._check_shape(shape)
        return np.ascontiguousarray(self._values(shape).astype(np_dtype))

    def _check_shape(self, shape):
        """Refuses shapes the initializer cannot fill (a ValueError naming the shape)."""

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
        self.value = check_number(value, "Constant", "value")

    def _values(self, shape):
        return np.full(shape, self.value)

    def get_config(self):
        return {"value": self.value}


class RandomUniform(Initializer):
    class_name = "RandomUniform"

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = check_number(minval, "RandomUniform", "minval")
        self.maxval = check_number(maxval, "RandomUniform", "maxval")
        if self.maxval < self.minval:
            raise ValueError(f"RandomUniform: argument 'maxval' must be >= 'minval' "
                             f"({minval!r}), received {maxval!r}")
        self.seed = _seed(seed, "RandomUniform")

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
        who = type(self).__name__
        self.mean = check_number(mean, who, "mean")
        self.stddev = check_number(stddev, who, "stddev", low=0.0)
        self.seed = _seed(seed, who)

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


class VarianceScaling(Initializer):
    """stddev or limit from scale / fan: 'normal' (and 'truncatedNormal') draw a normal
    truncated at two stddevs with stddev sqrt(scale) (TF.js applies no correction for the
    truncation), 'uniform' draws from +-sqrt(3 scale)."""
    class_name = "VarianceScaling"

    def __init__(self, scale=1.0, mode="fanIn", distribution="normal", seed=None):
        # TF.js's message asks for "a positive float" (its check lets 0 through; Keras's
        # does not): a zero scale would make every weight 0.
        who = type(self).__name__
        self.scale = check_number(scale, who, "scale", low=0.0, low_open=True)
        self.mode = check_choice(mode, _MODES, who, "mode")
        self.distribution = check_choice(distribution, _DISTS, who, "distribution")
        self.seed = _seed(seed, who)

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
            """Takes {'seed': ...}, as Keras writes a preset, and also the full
            VarianceScaling config get_config gives, whose scale, mode and distribution
            must then be the preset's own (a config that asks for another is refused,
            not silently ignored as TF.js does)."""
            config = dict(check_config(cls, config, extra=("scale", "mode", "distribution")))
            own = {"scale": scale, "mode": mode, "distribution": distribution}
            for key in [k for k in own if k in config]:
                given = config.pop(key)
                ok = (check_number(given, cls.__name__, key) == own[key] if key == "scale" else
                      check_choice(given, _MODES if key == "mode" else _DISTS, cls.__name__,
                                   key) == own[key])
                if not ok:
                    raise value_error(cls.__name__, key, f"{own[key]!r} (fixed for "
                                      f"{cls.__name__}; use VarianceScaling for others)", given)
            return cls(**config)
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
        self.gain = check_number(gain, "Orthogonal", "gain")
        self.seed = _seed(seed, "Orthogonal")

    def _check_shape(self, shape):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must have at least 2 dimensions, "
                             f"received {list(shape)}")

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
        self.gain = check_number(gain, "Identity", "gain")

    def _check_shape(self, shape):
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"Identity: the initializer makes square 2-D matrices only, "
                             f"received shape {list(shape)}")

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


def get(identifier, where="initializer"):
    """An Initializer from an id (either spelling: 'glorotNormal', 'glorot_normal'), an
    Initializer, or a config dict {'class_name': ..., 'config': {...}}. Errors start with
    `where` (a layer passes "Dense: argument 'kernel_initializer'")."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_CANON.get(canon(identifier))
        if cls is None:
            raise ValueError(f"{where}: unknown initializer {identifier!r}; valid ids: "
                             f"{', '.join(VALID_IDS)} (camelCase or snake_case)")
        if cls is Constant:
            raise ValueError(f"{where}: 'constant' needs a value: use "
                             f"tn.initializers.constant(value)")
        return cls()
    if isinstance(identifier, dict):
        return from_config_dict(identifier, _BY_CANON, where, ", ".join(_CLASSES))
    raise TypeError(f"{where}: expected an initializer id (str), an Initializer or a "
                    f"config dict, received {identifier!r} (of type "
                    f"{type(identifier).__name__})")


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
