"""BatchNormalization and LayerNormalization (TF.js's layers/normalization.ts).
LayerNormalization and batch normalization's inference are core ops; batch
normalization's training step is one fused node over native kernels (forward with the
moved statistics, and backward), like dense."""
import numpy as np

from .. import constraints as _constraints
from .. import initializers as _initializers
from .. import _kernels as K
from .. import regularizers as _regularizers
from .._config import check_axes, check_bool, check_int, check_number
from ..core import autodiff, ops
from .base import Layer, shape_str
from .core import components, incompatible


def _epsilon(v, who):
    # TF.js takes any number; epsilon keeps the variance's square root away from 0.
    return check_number(v, who, "epsilon", low=0.0, low_open=True)


def _normalise_axes(layer, axes, input_shape):
    rank = len(input_shape)
    norm = []
    for a in axes:
        if not -rank <= a < rank or a % rank == 0:
            raise incompatible(layer, f"axis {a} is out of range or the batch axis for an "
                                      f"input of shape {shape_str(input_shape)}")
        norm.append(a % rank)
    if len(set(norm)) != len(norm):
        raise ValueError(f"{layer.name}: argument 'axis' repeats an axis: {axes}")
    for a in norm:
        if input_shape[a] is None:
            raise incompatible(layer, f"axis {a} of the input should have a defined "
                                      f"dimension, but got shape {shape_str(input_shape)}")
    return sorted(norm)


class _Normalization(Layer):
    """Shared bookkeeping: the normalised axes, the parameter shape and how parameters
    broadcast against the input (reshaped only when they do not already)."""

    def _setup(self, input_shape, axes):
        self._rank = len(input_shape)
        self._axes = _normalise_axes(self, axes, input_shape)
        self._param_shape = tuple(int(input_shape[a]) for a in self._axes)
        self._reduce = [i for i in range(self._rank) if i not in self._axes]
        trailing = self._axes == list(range(self._axes[0], self._rank))
        self._bshape = None if trailing else [
            int(input_shape[i]) if i in self._axes else 1 for i in range(self._rank)]

    def _check(self, x):
        if x.rank != self._rank or any(x.shape[a] != d for a, d in
                                       zip(self._axes, self._param_shape)):
            want = ["null"] * self._rank
            for a, d in zip(self._axes, self._param_shape):
                want[a] = str(d)
            raise incompatible(self, f"expected an input of rank {self._rank} with shape "
                                     f"[{','.join(want)}], but got shape {shape_str(x.shape)}")

    def _param(self, w):
        return w.val if self._bshape is None else ops.reshape(w.val, self._bshape)


class BatchNormalization(_Normalization):
    """Normalises each feature over the batch (and every other non-`axis` axis):
    training=True uses the batch mean and (biased) variance and moves the moving
    statistics towards them (moving = moving * momentum + batch * (1 - momentum), in
    place, outside the gradient); training=False uses the moving statistics."""

    supports_masking = True  # the input's mask passes through (TF.js)

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        who = "BatchNormalization"
        config = {
            "axis": check_int(axis, who, "axis"),
            # The moving statistics' decay: outside [0, 1] they would diverge.
            "momentum": check_number(momentum, who, "momentum", low=0.0, high=1.0),
            "epsilon": _epsilon(epsilon, who),
            "center": check_bool(center, who, "center"),
            "scale": check_bool(scale, who, "scale"),
            **components(who, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer,
                         moving_mean_initializer=moving_mean_initializer,
                         moving_variance_initializer=moving_variance_initializer,
                         beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                         beta_constraint=beta_constraint, gamma_constraint=gamma_constraint)}
        super().__init__(**kwargs)
        for arg, value in config.items():
            setattr(self, arg, value)
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        self._setup(input_shape, [self.axis])
        shape = self._param_shape
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                         self.gamma_regularizer, self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer,
                                        self.beta_regularizer, self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               self.moving_variance_initializer, trainable=False)
        self.built = True

    def call(self, inputs, training=False):
        self._check(inputs)
        if training:
            return self._train_forward(inputs)
        else:
            y = ops.mul(ops.sub(inputs, self._param(self.moving_mean)),
                        ops.rsqrt(ops.add(self._param(self.moving_variance), self.epsilon)))
        if self.scale:
            y = ops.mul(y, self._param(self.gamma))
        if self.center:
            y = ops.add(y, self._param(self.beta))
        return y

    def _train_forward(self, x):
        """Training: one fused node normalising with the batch statistics (one native
        call forward, one backward), with outputs y and the moved statistics (written
        after the step succeeds, update_state). The kernels take x as (M, C) with C the
        normalised axis last: a plain reshape for channels-last input; another axis is
        moved last and back."""
        axis, C = self._axes[0], self._param_shape[0]
        last = axis == self._rank - 1
        moved = tuple(d for i, d in enumerate(x.shape) if i != axis) + (C,)
        shape2 = (int(np.prod(moved[:-1], dtype=np.int64)), C)
        eps, decay = self.epsilon, 1.0 - self.momentum
        scale, center = self.scale, self.center
        gamma = self.gamma.val if scale else None
        beta = self.beta.val if center else None
        inputs = [x, self.state_value(self.moving_mean.val),
                  self.state_value(self.moving_variance.val)]
        inputs += [t for t in (gamma, beta) if t is not None]

        def to_rows(a):  # (..., C at `axis`, ...) -> (M, C), float32 C-contiguous
            if not last:
                a = np.moveaxis(a, axis, -1)
            return np.ascontiguousarray(a, np.float32).reshape(shape2)

        def from_rows(a, shape):
            return a.reshape(shape) if last else \
                np.ascontiguousarray(np.moveaxis(a.reshape(moved), -1, axis))

        def core(xd, mm, mv, *params):
            g = params[0] if scale else None
            x2 = to_rows(xd)
            y, new_mm, new_mv, mean, inv = K.batchnorm_forward(
                x2, g, params[-1] if center else None, mm, mv, eps, decay)

            # out: buffers for the parameters' gradients (writes_grads, see engine.py).
            def backward(dys, needs, out=None):
                dy = dys[0]
                need_dg = scale and needs[3]
                need_db = center and needs[-1]
                if dy is None or not (needs[0] or need_dg or need_db):
                    return (None,) * (3 + len(params))
                dx, dg, db = K.batchnorm_backward(
                    to_rows(dy), x2, mean, inv, g, needs[0], need_dg, need_db, None,
                    out[3] if out and need_dg else None, out[-1] if out and need_db else None)
                grads = ([dg] if scale else []) + ([db] if center else [])
                return (None if dx is None else from_rows(dx, xd.shape), None, None, *grads)
            return (from_rows(y, xd.shape), new_mm, new_mv), backward
        core.writes_grads = True
        y, new_mm, new_mv = autodiff.apply("batch_normalization", core, tuple(inputs))
        self.update_state(self.moving_mean.val, new_mm)
        self.update_state(self.moving_variance.val, new_mv)
        return y

    def get_config(self):
        s = _initializers.serialize
        config = {
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "beta_initializer": s(self.beta_initializer),
            "gamma_initializer": s(self.gamma_initializer),
            "moving_mean_initializer": s(self.moving_mean_initializer),
            "moving_variance_initializer": s(self.moving_variance_initializer),
            "beta_regularizer": _regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": _regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": _constraints.serialize(self.beta_constraint),
            "gamma_constraint": _constraints.serialize(self.gamma_constraint),
        }
        config.update(super().get_config())
        return config


class LayerNormalization(_Normalization):
    """Normalises each sample over `axis` (an int or a list, default the last axis) with
    its own mean and (biased) variance, then scales by gamma and shifts by beta (whose
    shape is the input's along `axis`)."""

    supports_masking = True  # the input's mask passes through (TF.js)

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, **kwargs):
        who = "LayerNormalization"
        axis = check_axes(axis, who)
        config = {
            "epsilon": _epsilon(epsilon, who),
            "center": check_bool(center, who, "center"),
            "scale": check_bool(scale, who, "scale"),
            **components(who, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer,
                         beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer)}
        super().__init__(**kwargs)
        self._axis_arg = axis  # as given (an int or a list), for get_config
        self.axis = [axis] if isinstance(axis, int) else list(axis)
        for arg, value in config.items():
            setattr(self, arg, value)
        self.gamma = self.beta = None

    def build(self, input_shape):
        self._setup(input_shape, self.axis)
        if self.scale:
            self.gamma = self.add_weight("gamma", self._param_shape, self.gamma_initializer,
                                         self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight("beta", self._param_shape, self.beta_initializer,
                                        self.beta_regularizer)
        self.built = True

    def call(self, inputs, training=False):
        self._check(inputs)
        mean = ops.mean(inputs, axis=self._axes, keepdims=True)
        centred = ops.sub(inputs, mean)
        var = ops.mean(ops.square(centred), axis=self._axes, keepdims=True)
        y = ops.mul(centred, ops.rsqrt(ops.add(var, self.epsilon)))
        if self.scale:
            y = ops.mul(y, self._param(self.gamma))
        if self.center:
            y = ops.add(y, self._param(self.beta))
        return y

    def get_config(self):
        config = {
            "axis": self._axis_arg if isinstance(self._axis_arg, int) else list(self._axis_arg),
            "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale,
            "beta_initializer": _initializers.serialize(self.beta_initializer),
            "gamma_initializer": _initializers.serialize(self.gamma_initializer),
            "beta_regularizer": _regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": _regularizers.serialize(self.gamma_regularizer),
        }
        config.update(super().get_config())
        return config
