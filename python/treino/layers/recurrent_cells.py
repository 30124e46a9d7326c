"""Recurrent cells (TF.js's SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells): the
weights and the equations of one time step.

A cell is a layer: `cell.call([x_t, *states])` computes one step with core ops and
returns `[output, *new_states]`, as TF.js's cells do. An RNN layer (recurrent.py) does
not loop over that call when it can avoid it: `fused()` names the native kernel that
runs the whole sequence in one node (csrc/rnn), and the step-by-step call serves only
activations the kernel lacks and user-written cells.

TF.js's defaults: tanh activation, hardSigmoid recurrent activation, glorotNormal
kernel, orthogonal recurrent kernel, zeros bias. Gate order: LSTM [i f c o], GRU
[z r h]. GRU's reset_after=False is TF.js's only form (the reset gate multiplies the
state before the recurrent product); reset_after=True is Keras's form (bias (2, 3 units),
the gate multiplies the product), for models that come from Keras.
"""
import numpy as np

from .. import activations as _activations
from .. import constraints as _constraints
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from .._config import (check_bool, check_config, check_int, check_number, split_config_dict,
                       type_error, value_error)
from ..core import ops
from ..core.ops.rnn import FUSED_ACTIVATIONS
from ..core.tensor import bump_state_version
from .base import Layer, invoke_call
from .core import component, components, incompatible


def build_inside(owner, layer, input_shape, prefix=""):
    """Builds `layer` with its weights created by `owner` (named
    `{owner.name}/{prefix}{name}`, TF.js's name scopes): an RNN owns its cell's weights,
    a wrapper its inner layer's. They are listed by the owner (and by `layer` too), so a
    model, a loader and the trainable flag see them on the layer the model holds."""
    def add_weight(name=None, shape=None, *args, **kwargs):
        lv = owner.add_weight(None if name is None else prefix + name, shape, *args, **kwargs)
        layer._weights.append(lv)
        return lv
    object.__setattr__(layer, "add_weight", add_weight)
    try:
        layer.build(input_shape)
        layer.built = True
    finally:
        object.__delattr__(layer, "add_weight")


def deserialize(spec, where="layer"):
    """A layer from a nested {'class_name', 'config'} dict (an RNN's cell, a wrapper's
    layer): treino's classes first, then those registered with tn.serialization."""
    from . import CLASSES
    from .. import serialization
    if isinstance(spec, Layer):  # already a layer (a from_config given objects)
        return spec
    if not isinstance(spec, dict):
        raise TypeError(f"{where}: expected a {{'class_name', 'config'}} dict, received "
                        f"{spec!r}")
    name, config = split_config_dict(spec, where)
    cls = CLASSES.get(name) or serialization.registered_class(name)
    if cls is None:
        raise ValueError(f"{where}: unknown layer class {name!r} (not a treino layer, and "
                         f"not registered with tn.serialization.register_class)")
    return cls.from_config(config)


def _dropout_rate(value, who, arg):
    # TF.js clamps rates into [0, 1] and ignores 1; a rate outside [0, 1) is a mistake.
    return check_number(value, who, arg, low=0.0, high=1.0, high_open=True)


def _checked(arg, check):
    """A cell option checked when set after construction too (lstm.cell.dropout = 2 fails
    there, not in the next fit): check(value, who, arg) -> the stored value."""
    def get(self):
        return self.__dict__["_" + arg]

    def set(self, value):
        self._set_checked(arg, check(value, type(self).__name__, arg))
    return property(get, set)


def _activation_arg(value, who, arg):
    return component(_activations, value, who, arg)


def _implementation(value, who):
    # Accepted for TF.js's and Keras's configs; treino always fuses the gates.
    if value is None:
        return None
    value = check_int(value, who, "implementation")
    if value not in (0, 1, 2):
        raise value_error(who, "implementation", "0, 1, 2 or None", value)
    return value


class _ForgetBiasOnes(_initializers.Initializer):
    """An LSTM bias with unit_forget_bias: the forget gate's block is ones, the other
    three come from the bias initializer (TF.js's CustomInit)."""
    class_name = "ForgetBiasOnes"

    def __init__(self, base, units):
        self._base, self._units = base, units

    def _values(self, shape):
        u = self._units
        return np.concatenate([self._base((u,)), np.ones(u, np.float32), self._base((2 * u,))])


class RNNCell(Layer):
    """Shared by the built-in cells: units, activations, the three weights with their
    initializers, regularizers and constraints, and the dropout rates."""

    GATES = 1
    KERNEL = None  # the native kernel's cell id
    activation = _checked("activation", _activation_arg)
    dropout = _checked("dropout", _dropout_rate)
    recurrent_dropout = _checked("recurrent_dropout", _dropout_rate)

    def _set_checked(self, arg, value):
        # Stored under a private name; setting the public one is a configuration change
        # a captured step depends on (Layer.__setattr__ notes it).
        object.__setattr__(self, "_" + arg, value)
        bump_state_version()

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorotNormal", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        who = type(self).__name__
        config = {
            "units": check_int(units, who, "units", minimum=1),
            "activation": component(_activations, activation, who, "activation"),
            "use_bias": check_bool(use_bias, who, "use_bias"),
            **components(who, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint),
            "dropout": _dropout_rate(dropout, who, "dropout"),
            "recurrent_dropout": _dropout_rate(recurrent_dropout, who, "recurrent_dropout"),
        }
        super().__init__(**kwargs)
        for arg, value in config.items():
            setattr(self, arg, value)
        self.kernel = self.recurrent_kernel = self.bias = None
        self._step_masks = None  # (input mask, recurrent mask) of the running sequence

    @property
    def state_size(self):
        return self.units

    def _bias_shape(self):
        return (self.GATES * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        if input_shape[-1] is None:
            raise incompatible(self, "the last axis of the input must be defined")
        g = self.GATES * self.units
        self.kernel = self.add_weight("kernel", (int(input_shape[-1]), g),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      self.kernel_constraint)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, g),
                                                self.recurrent_initializer,
                                                self.recurrent_regularizer,
                                                self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                                        self.bias_regularizer, self.bias_constraint)
        self.built = True

    def _activation_ids(self):
        return self.activation.name, "linear"

    def fused(self):
        """(kernel cell id, activation id, recurrent activation id) when the native
        kernel computes this cell, else None (the layer then loops over call)."""
        ids = self._activation_ids()
        if self._kernel_id() is None or any(a not in FUSED_ACTIVATIONS for a in ids):
            return None
        return (self._kernel_id(),) + ids

    def _kernel_id(self):
        return self.KERNEL

    # -- one step with core ops (TF.js's cell.call) --------------------------------------
    def _inputs(self, inputs, n_states):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 1 + n_states:
            raise ValueError(f"{type(self).__name__} expects {1 + n_states} input Tensors "
                             f"(the input and {n_states} state(s)), received "
                             f"{len(inputs) if isinstance(inputs, (list, tuple)) else 1}")
        x, *states = inputs
        masks = self._step_masks
        if masks is not None and masks[0] is not None:
            x = ops.mul(x, masks[0])
        hm = states[0]
        if masks is not None and masks[1] is not None:
            hm = ops.mul(hm, masks[1])
        return x, hm, states

    def _projection(self, x, hm):
        xw = ops.matmul(x, self.kernel.val)
        if self.bias is not None:
            xw = ops.add(xw, self.bias.val)
        return xw, ops.matmul(hm, self.recurrent_kernel.val)

    def get_config(self):
        config = {
            "units": self.units,
            "activation": _activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": _initializers.serialize(self.recurrent_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": _regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": _regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": None,  # TF.js writes the key; treino has none
            "kernel_constraint": _constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": _constraints.serialize(self.recurrent_constraint),
            "bias_constraint": _constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }
        config.update(super().get_config())
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config(drop_activity_regularizer(cls, config))


def drop_activity_regularizer(cls, config):
    """config without TF.js's 'activity_regularizer' key (null: treino has none)."""
    if isinstance(config, dict) and "activity_regularizer" in config:
        config = dict(config)
        if config.pop("activity_regularizer") is not None:
            raise ValueError(f"{cls.__name__}.from_config: activity regularizers are not "
                             f"supported, received a non-null 'activity_regularizer'")
    return config


class SimpleRNNCell(RNNCell):
    """h = activation(x kernel + bias + h_prev recurrent_kernel)."""
    KERNEL = "simple_rnn"

    def call(self, inputs, training=False):
        x, hm, _ = self._inputs(inputs, 1)
        xw, hr = self._projection(x, hm)
        h = self.activation.apply(ops.add(xw, hr))
        return [h, h]


class _GatedCell(RNNCell):
    """A cell with a recurrent activation and TF.js's `implementation` (accepted, unused:
    the gates are always computed together)."""

    recurrent_activation = _checked("recurrent_activation", _activation_arg)

    def __init__(self, units, recurrent_activation="hardSigmoid", implementation=None,
                 **kwargs):
        who = type(self).__name__
        rec = component(_activations, recurrent_activation, who, "recurrent_activation")
        implementation = _implementation(implementation, who)
        super().__init__(units, **kwargs)
        self.recurrent_activation = rec
        self.implementation = implementation

    def _activation_ids(self):
        return self.activation.name, self.recurrent_activation.name

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = _activations.serialize(self.recurrent_activation)
        config["implementation"] = self.implementation
        return config


class LSTMCell(_GatedCell):
    """[i f c o] = gates of x kernel + bias + h_prev recurrent_kernel; c = f c_prev +
    i activation(c~); h = o activation(c). States [h, c]. unit_forget_bias initialises
    the forget gate's bias to ones."""
    GATES = 4
    KERNEL = "lstm"

    def __init__(self, units, unit_forget_bias=None, **kwargs):
        # TF.js leaves it undefined (null in its configs) unless given.
        ufb = None if unit_forget_bias is None else check_bool(
            unit_forget_bias, type(self).__name__, "unit_forget_bias")
        super().__init__(units, **kwargs)
        self.unit_forget_bias = ufb

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_initializer(self):
        if self.unit_forget_bias:
            return _ForgetBiasOnes(self.bias_initializer, self.units)
        return self.bias_initializer

    def call(self, inputs, training=False):
        x, hm, (_, c) = self._inputs(inputs, 2)
        xw, hr = self._projection(x, hm)
        z0, z1, z2, z3 = ops.split(ops.add(xw, hr), 4, axis=-1)
        rec, act = self.recurrent_activation, self.activation
        i, f, o = rec.apply(z0), rec.apply(z1), rec.apply(z3)
        c = ops.add(ops.mul(f, c), ops.mul(i, act.apply(z2)))
        h = ops.mul(o, act.apply(c))
        return [h, h, c]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRUCell(_GatedCell):
    """z, r = gates; hh = activation(x kernel_h + bias_h + (r h_prev) recurrent_kernel_h)
    (reset_after=True: r (h_prev recurrent_kernel_h + recurrent bias_h)); h = z h_prev +
    (1 - z) hh."""
    GATES = 3

    def __init__(self, units, reset_after=False, **kwargs):
        reset_after = check_bool(reset_after, type(self).__name__, "reset_after")
        super().__init__(units, **kwargs)
        self.reset_after = reset_after

    def _kernel_id(self):
        return "gru_reset_after" if self.reset_after else "gru"

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, training=False):
        x, hm, _ = self._inputs(inputs, 1)
        u, rec, act = self.units, self.recurrent_activation, self.activation
        xw = ops.matmul(x, self.kernel.val)
        rk = self.recurrent_kernel.val
        if self.reset_after:
            hr = ops.matmul(hm, rk)
            if self.bias is not None:
                b_in, b_rec = ops.unstack(self.bias.val)
                xw, hr = ops.add(xw, b_in), ops.add(hr, b_rec)
            x_z, x_r, x_h = ops.split(xw, 3, axis=-1)
            h_z, h_r, h_h = ops.split(hr, 3, axis=-1)
            z, r = rec.apply(ops.add(x_z, h_z)), rec.apply(ops.add(x_r, h_r))
            hh = act.apply(ops.add(x_h, ops.mul(r, h_h)))
        else:
            if self.bias is not None:
                xw = ops.add(xw, self.bias.val)
            rk_zr, rk_h = ops.split(rk, [2 * u, u], axis=-1)
            x_z, x_r, x_h = ops.split(xw, 3, axis=-1)
            h_z, h_r = ops.split(ops.matmul(hm, rk_zr), 2, axis=-1)
            z, r = rec.apply(ops.add(x_z, h_z)), rec.apply(ops.add(x_r, h_r))
            hh = act.apply(ops.add(x_h, ops.matmul(ops.mul(r, hm), rk_h)))
        # TF.js updates from the state after recurrent dropout (hm), as here.
        h = ops.add(ops.mul(z, hm), ops.mul(ops.sub(1.0, z), hh))
        return [h, h]

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


class StackedRNNCells(Layer):
    """Cells run one after another at each time step (TF.js's StackedRNNCells, what
    tn.layers.rnn(cell=[...]) makes). States are flat, last cell first ([h2, c2, h1, c1]
    for two LSTM cells), so state 0 is the output's."""

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise type_error("StackedRNNCells", "cells", "a non-empty list of RNN cells", cells)
        for c in cells:
            if not isinstance(c, Layer) or not hasattr(c, "state_size"):
                raise type_error("StackedRNNCells", "cells", "a list of RNN cells (layers "
                                 "with a state_size)", cells, item=c)
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self):
        sizes = []
        for cell in reversed(self.cells):
            s = cell.state_size
            sizes.extend(s if isinstance(s, (list, tuple)) else [s])
        return sizes

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        for i, cell in enumerate(self.cells):
            build_inside(self, cell, tuple(input_shape), f"RNNCell_{i}/")
            s = cell.state_size
            input_shape = (input_shape[0], s[0] if isinstance(s, (list, tuple)) else s)
        self.built = True

    def split_states(self, states):
        """The flat state list (last cell first) as one list per cell, in cell order."""
        nested, states = [], list(states)
        for cell in reversed(self.cells):
            s = cell.state_size
            n = len(s) if isinstance(s, (list, tuple)) else 1
            nested.append(states[:n])
            states = states[n:]
        return nested[::-1]

    def call(self, inputs, training=False):
        x, per_cell = inputs[0], self.split_states(inputs[1:])
        new = []
        for cell, states in zip(self.cells, per_cell):
            x, *s = invoke_call(cell, [x] + states, training)
            new.append(s)
        return [x] + [t for s in reversed(new) for t in s]

    def get_config(self):
        config = {"cells": [{"class_name": c.class_name, "config": c.get_config()}
                            for c in self.cells]}
        config.update(super().get_config())
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config(nested_layers(cls, config, "cells", many=True))


def nested_layers(cls, config, key, many=False):
    """config with its nested layer config(s) under `key` made into layers, after the
    form checks of Layer.from_config (a dict with string keys holding `key`)."""
    check_config(cls, config)
    value = config[key]
    where = f"{cls.__name__}.from_config: '{key}'"
    if many:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{where} must be a list of {{'class_name', 'config'}} dicts, "
                            f"received {value!r}")
        return {**config, key: [deserialize(v, where) for v in value]}
    return {**config, key: deserialize(value, where)}
