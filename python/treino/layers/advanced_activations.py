"""Activation layers with arguments: ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU and
Softmax (TF.js's tfjs-layers/src/layers/advanced_activations.ts).

Each is one of treino's activation ops on the input (the native elementwise kernels:
relu, leaky_relu, elu, prelu, softmax), or a short composition of ops whose gradient the
tape gives. PReLU is the only one with a weight: `alpha`, of the input's shape without
the batch axis (size 1 along the shared axes).
"""
import numpy as np

from .. import constraints as _constraints
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from .._config import check_number, is_int, type_error, value_error
from ..core import ops
from .base import Layer, shape_str
from .core import components, incompatible


def _float(x):
    """x as float32 (TF.js's activations compute in float32 whatever the input)."""
    return x if x.dtype == "float32" else ops.cast(x, "float32")


class ReLU(Layer):
    """max(x, 0), clipped to `max_value` when one is given (None: no upper bound)."""

    supports_masking = True  # TF.js

    def __init__(self, max_value=None, **kwargs):
        # TF.js checks nothing and fails in clipByValue for a negative bound.
        max_value = check_number(max_value, "ReLU", "max_value", low=0.0, allow_none=True)
        super().__init__(**kwargs)
        self.max_value = max_value

    def call(self, inputs, training=False):
        y = ops.relu(inputs)
        if self.max_value is not None:
            y = ops.clip_by_value(y, 0.0, self.max_value)
        return y

    def get_config(self):
        config = {"max_value": self.max_value}
        config.update(super().get_config())
        return config


class LeakyReLU(Layer):
    """x where x > 0, alpha * x elsewhere (alpha defaults to 0.3, TF.js's default)."""

    def __init__(self, alpha=None, **kwargs):
        # None (a TF.js config's null) is the default, as `args.alpha == null` in TF.js.
        alpha = 0.3 if alpha is None else check_number(alpha, "LeakyReLU", "alpha")
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs, training=False):
        return ops.leaky_relu(inputs, self.alpha)

    def get_config(self):
        config = {"alpha": self.alpha}
        config.update(super().get_config())
        return config


class ELU(Layer):
    """x where x > 0, alpha * (exp(x) - 1) elsewhere. TF.js 4.22 refuses an alpha other
    than 1 ("not supported yet"); treino's elu kernel takes any alpha, so any finite one
    is accepted here (a model saved with alpha != 1 loads in treino and Keras, not in
    TF.js)."""

    def __init__(self, alpha=None, **kwargs):
        alpha = 1.0 if alpha is None else check_number(alpha, "ELU", "alpha")
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs, training=False):
        return ops.elu(inputs, self.alpha)

    def get_config(self):
        config = {"alpha": self.alpha}
        config.update(super().get_config())
        return config


class ThresholdedReLU(Layer):
    """x where x > theta, 0 elsewhere (theta defaults to 1). The gradient is 1 where
    x > theta and 0 elsewhere, as TF.js's x * cast(x > theta) gives."""

    def __init__(self, theta=None, **kwargs):
        theta = 1.0 if theta is None else check_number(theta, "ThresholdedReLU", "theta")
        super().__init__(**kwargs)
        self.theta = theta

    def call(self, inputs, training=False):
        x = _float(inputs)
        return ops.mul(x, ops.cast(ops.greater(x, self.theta), "float32"))

    def get_config(self):
        config = {"theta": self.theta}
        config.update(super().get_config())
        return config


def _shared_axes(value):
    """None, an int or a list of ints (the axes alpha is shared along), as a list."""
    if value is None:
        return None
    expected = "an int, a list of ints (axes >= 1: the batch axis 0 is always shared) or None"
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for a in items:
        if not is_int(a):
            raise type_error("PReLU", "shared_axes", expected, value,
                             item=None if a is value else a)
    if any(a < 1 for a in items):
        raise value_error("PReLU", "shared_axes", expected, value)
    return [int(a) for a in items]


class PReLU(Layer):
    """x where x > 0, alpha * x elsewhere, with a learned `alpha` per input value (the
    input's shape without the batch axis; size 1 along `shared_axes`, e.g. [1, 2] for one
    alpha per channel of a [batch, height, width, channels] input). alpha starts at
    zeros unless alpha_initializer says otherwise."""

    supports_masking = True  # TF.js

    def __init__(self, alpha_initializer=None, alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        config = {
            # TF.js: `args.alphaInitializer || 'zeros'`
            **components("PReLU", alpha_initializer="zeros" if alpha_initializer is None
                         else alpha_initializer, alpha_regularizer=alpha_regularizer,
                         alpha_constraint=alpha_constraint),
            "shared_axes": _shared_axes(shared_axes)}
        super().__init__(**kwargs)
        for arg, value in config.items():
            setattr(self, arg, value)
        self.alpha = None
        self._in = None  # the built input shape (None: a free size along a shared axis)

    def _param_shape(self, input_shape):
        rank = len(input_shape)
        if rank < 2:
            raise incompatible(self, f"expected min_ndim=2, found ndim={rank} (shape "
                                     f"{shape_str(input_shape)})")
        shared = self.shared_axes or []
        bad = [a for a in shared if a >= rank]
        if bad:
            raise ValueError(f"PReLU {self.name}: shared_axes {shared} name axis {bad[0]}, but "
                             f"the input has shape {shape_str(input_shape)} (axes 1..{rank - 1})")
        shape = [1 if i in shared else d for i, d in enumerate(input_shape) if i > 0]
        if None in shape:
            raise incompatible(self, f"alpha has the input's shape without the batch axis, so "
                                     f"every axis that is not shared must have a known size; "
                                     f"got shape {shape_str(input_shape)} and shared_axes "
                                     f"{self.shared_axes}")
        return shape

    def build(self, input_shape):
        shape = self._param_shape(tuple(input_shape))
        self.alpha = self.add_weight("alpha", shape, self.alpha_initializer,
                                     self.alpha_regularizer, self.alpha_constraint)
        self._in = tuple(input_shape)
        self.built = True

    def assert_input_compatibility(self, input_shape):
        want = self._in
        if want is None:
            return
        if len(input_shape) != len(want) or any(
                w is not None and d is not None and d != w
                for w, d in zip(want[1:], input_shape[1:])):
            raise incompatible(self, f"expected shape {shape_str(want)}, but got shape "
                                     f"{shape_str(input_shape)}")

    def call(self, inputs, training=False):
        self.assert_input_compatibility(inputs.shape)
        return ops.prelu(_float(inputs), self.alpha.val)

    def get_config(self):
        config = {
            "alpha_initializer": _initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": _regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": _constraints.serialize(self.alpha_constraint),
            "shared_axes": None if self.shared_axes is None else list(self.shared_axes),
        }
        config.update(super().get_config())
        return config


def _softmax_axis(value):
    expected = "an int or a non-empty list of distinct ints"
    if is_int(value):
        return int(value)
    if not isinstance(value, (list, tuple)):
        raise type_error("Softmax", "axis", expected, value)
    for a in value:
        if not is_int(a):
            raise type_error("Softmax", "axis", expected, value, item=a)
    if not value or len({int(a) for a in value}) != len(value):
        raise value_error("Softmax", "axis", expected, value)
    return [int(a) for a in value]


class Softmax(Layer):
    """exp(x) / sum(exp(x)) along `axis`. The default axis is 1, as TF.js 4.22's code
    has it (its documentation says -1; for [batch, features] inputs they agree). One
    axis must be the last one (TF.js's softmax refuses others: pass axis=-1 for
    sequences); a list of several axes normalises over all of them together, as
    exp(x - logsumexp(x, axes)). call(x, mask=m) adds -1e9 where m is 0 first, so those
    positions get (almost) no weight."""

    def __init__(self, axis=None, **kwargs):
        axis = 1 if axis is None else _softmax_axis(axis)
        super().__init__(**kwargs)
        self.axis = axis

    def _axes(self, shape):
        """The axes normalised against a rank, checked as TF.js checks them."""
        rank = len(shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        bad = [a for a in axes if not -rank <= a < rank]
        if bad:
            raise incompatible(self, f"axis {self.axis} is out of range for an input of "
                                     f"shape {shape_str(shape)}")
        axes = sorted({a % rank for a in axes})
        if len(axes) == 1 and axes[0] != rank - 1:
            raise incompatible(self, f"softmax along one axis must use the last one, "
                                     f"received axis={self.axis} for an input of shape "
                                     f"{shape_str(shape)} (TF.js's softmax supports only the "
                                     f"last axis: pass axis=-1)")
        return axes

    def compute_output_shape(self, input_shape):
        self._axes(input_shape)
        return input_shape

    def call(self, inputs, training=False, mask=None):
        axes = self._axes(inputs.shape)
        x = _float(inputs)
        if mask is not None:
            try:
                np.broadcast_shapes(tuple(mask.shape), tuple(x.shape))
            except (AttributeError, ValueError):
                got = shape_str(mask.shape) if hasattr(mask, "shape") else repr(mask)
                raise ValueError(f"{self.name}: the mask must be a Tensor broadcasting to the "
                                 f"input's shape {shape_str(x.shape)}, received {got}") from None
            # TF.js: (1 - mask) * -1e9 added to the scores, so masked positions vanish.
            x = ops.add(x, ops.mul(ops.sub(1.0, _float(mask)), -1e9))
        if len(axes) == 1:
            return ops.softmax(x)
        return ops.exp(ops.sub(x, ops.logsumexp(x, axes, keepdims=True)))

    def get_config(self):
        config = {"axis": list(self.axis) if isinstance(self.axis, list) else self.axis}
        config.update(super().get_config())
        return config
