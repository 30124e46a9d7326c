"""Regularising noise layers: GaussianNoise, GaussianDropout, AlphaDropout (TF.js's
tfjs-layers/src/layers/noise.ts) and SpatialDropout1D (core.ts).

Each adds or multiplies noise when called with training=True and is the identity
otherwise. The noise is drawn inside the layer's node (as Dropout draws its mask), from
the generator current at that moment (tn.set_seed's stream, or a seeded
SpatialDropout1D's own), so that a captured training step draws new noise at every
replay, in the same order and from the same stream as the eager step.
"""
import math

import numpy as np

from .._config import check_dims, check_int, check_number
from ..core import autodiff
from ..core.ops._util import contiguous, f32
from ..core.random import generator
from .base import Layer, shape_str
from .core import Dropout, incompatible

# SELU's constants (Klambauer et al. 2017), as TF.js writes them in AlphaDropout.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _rate(value, who):
    # TF.js noises only for 0 < rate < 1 and passes the input through otherwise; a rate
    # outside [0, 1) is a mistake (1 would make GaussianDropout's stddev infinite).
    return check_number(value, who, "rate", low=0.0, high=1.0, high_open=True)


class GaussianNoise(Layer):
    """x + noise drawn from N(0, stddev) when training (a fresh draw for every call and
    every training step); the identity at inference. The gradient passes unchanged."""

    supports_masking = True  # TF.js

    def __init__(self, stddev, **kwargs):
        stddev = check_number(stddev, "GaussianNoise", "stddev", low=0.0)
        super().__init__(**kwargs)
        self.stddev = stddev

    def call(self, inputs, training=False):
        if not training:
            return inputs
        stddev = self.stddev

        def core(xd):
            noise = generator().normal(0.0, stddev, xd.shape).astype(np.float32)
            return contiguous(f32(xd) + noise), lambda dy, needs: (dy,)
        return autodiff.apply("gaussian_noise", core, (inputs,))

    def get_config(self):
        config = {"stddev": self.stddev}
        config.update(super().get_config())
        return config


class GaussianDropout(Layer):
    """x * noise drawn from N(1, sqrt(rate / (1 - rate))) when training (a fresh draw for
    every call and step); the identity at inference or with rate 0. The gradient is
    dy * noise."""

    supports_masking = True  # TF.js

    def __init__(self, rate, **kwargs):
        rate = _rate(rate, "GaussianDropout")
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))

        def core(xd):
            noise = generator().normal(1.0, stddev, xd.shape).astype(np.float32)
            return contiguous(f32(xd) * noise), lambda dy, needs: (
                contiguous(dy * noise, np.float32),)
        return autodiff.apply("gaussian_dropout", core, (inputs,))

    def get_config(self):
        config = {"rate": self.rate}
        config.update(super().get_config())
        return config


def noise_shape_for(layer, noise_shape, shape):
    """The shape of the draws for an input of `shape`: noise_shape with None entries
    taking the input's sizes, each 1 (shared along that axis) or the input's size."""
    if noise_shape is None:
        return tuple(shape)
    out = tuple(s if n is None else n for n, s in zip(noise_shape, shape))
    if len(noise_shape) != len(shape) or any(n not in (1, s) for n, s in zip(out, shape)):
        raise incompatible(layer, f"noise_shape {shape_str(noise_shape)} does not broadcast "
                                  f"to the input shape {shape_str(shape)}")
    return out


class AlphaDropout(Layer):
    """Dropout for self-normalising networks (SELU activations): when training, each
    value is kept with probability 1 - rate or set to SELU's negative saturation
    -scale * alpha, then all are mapped by a * x + b, with a and b chosen so that inputs
    of mean 0 and variance 1 keep them. noise_shape: the shape of the keep/drop draws
    (None entries take the input's sizes; 1 shares a draw along that axis). The identity
    at inference or with rate 0.

    Dropped values become alpha_p = -scale * alpha, as TF.js documents and Keras and the
    paper do: TF.js 4.22's code sets them to +scale * alpha instead (its (kept - 1) *
    alpha_p has the sign reversed), which shifts the mean away from 0. TF.js also leaves
    noise_shape out of its config (a loaded layer forgets it); treino writes it, and
    TF.js reads it back."""

    supports_masking = True  # TF.js

    def __init__(self, rate, noise_shape=None, **kwargs):
        rate = _rate(rate, "AlphaDropout")
        noise_shape = None if noise_shape is None else list(
            check_dims(noise_shape, "AlphaDropout", "noise_shape", minimum=1, empty=False))
        super().__init__(**kwargs)
        self.rate, self.noise_shape = rate, noise_shape

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        rate = self.rate
        shape = noise_shape_for(self, self.noise_shape, inputs.shape)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * rate
        # In float32, as Keras: x * kept + (1 - kept) * alpha_p, then * a + b.
        alpha_p, a, b = np.float32(alpha_p), np.float32(a), np.float32(b)

        def core(xd):
            kept = (generator().random(shape) >= rate).astype(np.float32)
            y = (f32(xd) * kept + (np.float32(1) - kept) * alpha_p) * a + b
            return contiguous(y, np.float32), lambda dy, needs: (
                contiguous(dy * (kept * a), np.float32),)
        return autodiff.apply("alpha_dropout", core, (inputs,))

    def get_config(self):
        config = {"rate": self.rate, "noise_shape": self.noise_shape}
        config.update(super().get_config())
        return config


class SpatialDropout1D(Dropout):
    """Dropout of whole feature channels of a [batch, timesteps, features] sequence: one
    keep/drop draw per sample and feature, shared by every timestep (noise shape
    [batch, 1, features]); the kept channels are scaled by 1 / (1 - rate). A seed gives
    the layer a generator of its own, as Dropout's does. The identity at inference."""

    def __init__(self, rate, seed=None, noise_shape=None, **kwargs):
        # TF.js's config carries Dropout's noise_shape key (null): the shape is fixed.
        if noise_shape is not None:
            raise ValueError(f"SpatialDropout1D: argument 'noise_shape' is fixed to [batch, 1, "
                             f"features] and cannot be given, received {noise_shape!r}")
        rate = check_number(rate, "SpatialDropout1D", "rate", low=0.0, high=1.0,
                            high_open=True)
        seed = check_int(seed, "SpatialDropout1D", "seed", allow_none=True)
        super().__init__(rate, seed=seed, **kwargs)

    def _check_rank(self, shape):
        if len(shape) != 3:
            raise incompatible(self, f"expected ndim=3, found ndim={len(shape)} (shape "
                                     f"{shape_str(shape)})")

    def _mask_shape(self, shape):
        self._check_rank(shape)
        return (shape[0], 1, shape[2])

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return input_shape

    def call(self, inputs, training=False):
        self._check_rank(inputs.shape)
        return super().call(inputs, training=training)
