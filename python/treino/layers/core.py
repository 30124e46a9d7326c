"""Core layers: InputLayer, Dense, Activation, Dropout, Flatten, Reshape (TF.js's
tfjs-layers/src/layers/core.ts and engine/input_layer.ts, spelled the Python way)."""
import math

import numpy as np

from .. import activations as _activations
from .. import constraints as _constraints
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from .._config import (camel_hint, check_bool, check_choice, check_dims, check_int, check_number, is_int,
                       type_error, unknown_arguments, value_error)
from .. import _kernels as K
from ..core import autodiff, ops
from ..core.random import generator
from .base import Layer, _counters, shape_str
from .topology import LayerNode, SymbolicTensor


def incompatible(layer, message):
    return ValueError(f"Input 0 is incompatible with layer {layer.name}: {message}")


def component(module, value, who, arg):
    """module.get(value) for a layer argument (an activation, initializer, regularizer
    or constraint); errors start with the layer class and the argument."""
    return module.get(value, f"{who}: argument '{arg}'")


_MODULES = {"initializer": _initializers, "regularizer": _regularizers,
            "constraint": _constraints}


def components(who, **args):
    """{argument: object} for initializer, regularizer and constraint arguments (the
    kind read from the name's ending: 'kernel_initializer' -> initializers.get)."""
    return {arg: component(_MODULES[arg.rpartition("_")[2]], value, who, arg)
            for arg, value in args.items()}


class InputLayer(Layer):
    """The model's entry point: no weights, passes its input through. Give `input_shape`
    (without the batch axis) or `batch_input_shape`, not both. Default names are TF.js's
    'input1', 'input2'..."""

    def __init__(self, input_shape=None, batch_size=None, batch_input_shape=None, dtype=None,
                 sparse=False, name=None, **unknown):
        if unknown:  # no trainable or input_dim here: TF.js's InputLayer takes neither
            raise unknown_arguments(InputLayer, list(unknown))
        if input_shape is None and batch_input_shape is None:
            raise ValueError("InputLayer: needs 'input_shape' (without the batch axis) or "
                             "'batch_input_shape'")
        # TF.js accepts sparse=True and then has no sparse support either.
        sparse = check_bool(sparse, "InputLayer", "sparse")
        super().__init__(name=name, trainable=False, input_shape=input_shape,
                         batch_input_shape=batch_input_shape, batch_size=batch_size,
                         dtype=dtype)
        self.sparse = sparse
        self.built = True
        self.input_shape = self.output_shape = self.batch_input_shape

    def call(self, inputs, training=False):
        want = self.batch_input_shape
        # The batch axis is not checked (TF.js's fit does not either: last batches are short).
        if inputs.rank != len(want) or any(
                d is not None and d != g for d, g in zip(want[1:], inputs.shape[1:])):
            raise incompatible(self, f"expected shape {shape_str(want)}, but got shape "
                                     f"{shape_str(inputs.shape)}")
        return inputs

    def get_config(self):
        return {"batch_input_shape": list(self.batch_input_shape), "dtype": self.dtype,
                "sparse": self.sparse, "name": self.name}

    def _default_name(self):
        return f"input{next(_counters['input'])}"  # TF.js: getUid('input')


@camel_hint
def input(shape=None, batch_shape=None, name=None, dtype=None, sparse=False):  # noqa: A001
    """tn.input(shape=[784]) (or batch_shape=[None, 784]): the symbolic input of a
    functional model, made by a new InputLayer."""
    if shape is None and batch_shape is None:
        raise ValueError("input: give 'shape' (without the batch axis) or 'batch_shape'")
    if shape is not None and batch_shape is not None:
        raise ValueError("input: give 'shape' or 'batch_shape', not both")
    layer = InputLayer(input_shape=shape, batch_input_shape=batch_shape, name=name,
                       dtype=dtype, sparse=sparse)
    return input_tensor(layer)


def input_tensor(layer):
    """The output of an InputLayer (its one node, made on first use)."""
    if not layer.inbound_nodes:
        sym = SymbolicTensor(layer.batch_input_shape, layer.dtype, layer.name, layer, 0, 0)
        layer.inbound_nodes.append(LayerNode(layer, [], False, [sym], {}))
    return layer.inbound_nodes[0].outputs[0]


def _activation_property():
    """A layer's `activation`: checked when set, after construction too (a string id
    becomes the Activation), so a bad value fails here and not in the next fit."""
    def get(self):
        return self._activation

    def set(self, value):
        self._activation = component(_activations, value, type(self).__name__, "activation")
    return property(get, set)


class Dense(Layer):
    """activation(x @ kernel + bias) over the last axis of x. With a fusable activation
    the whole layer is one native op forward and one backward (tn.dense)."""

    supports_masking = True  # the input's mask passes through (TF.js)

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorotNormal",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        # Everything is checked, here and then in Layer.__init__, before the layer takes a
        # name from the counter or sets an attribute.
        config = {
            "units": check_int(units, "Dense", "units", minimum=1),
            "activation": component(_activations, activation, "Dense", "activation"),
            "use_bias": check_bool(use_bias, "Dense", "use_bias"),
            **components("Dense", kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)}
        super().__init__(**kwargs)
        for arg, value in config.items():
            setattr(self, arg, value)
        self.kernel = self.bias = None
        self._in = None

    activation = _activation_property()

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise incompatible(self, f"expected min_ndim=2, found ndim={len(input_shape)}")
        if input_shape[-1] is None:
            raise incompatible(self, f"the last axis of the input must be defined, got "
                                     f"shape {shape_str(input_shape)}")
        self._in = int(input_shape[-1])
        self.kernel = self.add_weight("kernel", (self._in, self.units), self.kernel_initializer,
                                      self.kernel_regularizer, self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        self.bias_regularizer, self.bias_constraint)
        self.built = True

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 2:
            raise incompatible(self, f"expected min_ndim=2, found ndim={len(input_shape)}")
        return tuple(input_shape[:-1]) + (self.units,)

    def assert_input_compatibility(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] not in (None, self._in):
            raise incompatible(self, f"expected axis -1 of input shape to have value "
                                     f"{self._in}, but got shape {shape_str(input_shape)}")

    def _check(self, x):
        if x.rank < 2 or x.shape[-1] != self._in:
            raise incompatible(self, f"expected axis -1 of input shape to have value "
                                     f"{self._in}, but got shape {shape_str(x.shape)}")

    def _dense(self, x, fused):
        self._check(x)
        b = self.bias.val if self.bias is not None else None
        if x.rank == 2:
            return ops.dense(x, self.kernel.val, b, fused)
        lead = x.shape[:-1]
        y = ops.dense(ops.reshape(x, [-1, self._in]), self.kernel.val, b, fused)
        return ops.reshape(y, list(lead) + [self.units])

    def call(self, inputs, training=False):
        fused = self.activation.fused
        if fused is not None:
            return self._dense(inputs, fused)
        if type(self.activation) is _activations._Op and self.activation.name == "softmax":
            return self._dense(inputs, "softmax")  # one node (ops.dense), same kernels
        return self.activation.apply(self._dense(inputs, "linear"))

    def call_logits(self, inputs):
        """x @ kernel + bias, before the activation (one fused op): for a loss computed
        from logits, such as softmax + cross-entropy in one kernel."""
        if not self.built:
            self.build_for((None,) + tuple(inputs.shape[1:]))
        return self._dense(inputs, "linear")

    def get_config(self):
        config = {
            "units": self.units,
            "activation": _activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": _regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": None,  # TF.js writes the key; treino has none yet
            "kernel_constraint": _constraints.serialize(self.kernel_constraint),
            "bias_constraint": _constraints.serialize(self.bias_constraint),
        }
        config.update(super().get_config())
        return config

    @classmethod
    def from_config(cls, config):
        # TF.js writes 'activity_regularizer' (null unless one is set); treino has none.
        if isinstance(config, dict) and "activity_regularizer" in config:
            config = dict(config)
            if config.pop("activity_regularizer") is not None:
                raise ValueError("Dense.from_config: activity regularizers are not "
                                 "supported, received a non-null 'activity_regularizer'")
        return super().from_config(config)


class Activation(Layer):
    """Applies an activation (an id, either spelling, or a callable)."""

    supports_masking = True  # the input's mask passes through (TF.js)

    def __init__(self, activation, **kwargs):
        activation = component(_activations, activation, "Activation", "activation")
        super().__init__(**kwargs)
        self.activation = activation

    activation = _activation_property()

    def call(self, inputs, training=False):
        return self.activation.apply(inputs)

    def get_config(self):
        config = {"activation": _activations.serialize(self.activation)}
        config.update(super().get_config())
        return config


class Dropout(Layer):
    """Sets a `rate` fraction of the inputs to 0 and scales the rest by 1 / (1 - rate)
    when training=True (inverted dropout); the identity when training=False.
    noise_shape: the mask's shape (None entries take the input's size), e.g. [None, 1, F]
    for one mask per sample shared over timesteps. A seed makes the sequence of masks
    reproducible (the layer owns a generator seeded once)."""

    supports_masking = True  # the input's mask passes through (TF.js)

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        # TF.js clamps the rate into [0, 1]; a rate outside is a mistake, and 1 would
        # scale the kept inputs by 1 / 0.
        rate = check_number(rate, "Dropout", "rate", low=0.0, high=1.0, high_open=True)
        # Each mask dimension is 1 (shared) or the input's size (None): never 0 or negative;
        # an empty noise_shape would be a mask for a rank-0 input, which has no batch axis.
        noise_shape = None if noise_shape is None else list(
            check_dims(noise_shape, "Dropout", "noise_shape", minimum=1, empty=False))
        seed = check_int(seed, "Dropout", "seed", allow_none=True)
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self._rng = generator(seed) if seed is not None else None

    def _mask_shape(self, shape):
        if self.noise_shape is None:
            return shape
        ns = self.noise_shape
        out = tuple(s if n is None else n for n, s in zip(ns, shape))
        if len(ns) != len(shape) or any(n not in (1, s) for n, s in zip(out, shape)):
            raise incompatible(self, f"noise_shape {shape_str(ns)} does not broadcast to the input "
                                     f"shape {shape_str(shape)}")
        return out

    def dropout_mask(self, shape):
        """The mask a training call multiplies inputs of `shape` by: 0 or 1 / (1 - rate),
        of the noise shape, freshly drawn (from the layer's generator when seeded, else
        the global one); None when rate is 0 (the identity). The dropout node's core
        calls it, so a replayed step draws a fresh mask in the same order as the tape."""
        if self.rate == 0:
            return None
        rng = self._rng if self._rng is not None else generator()
        u = rng.random(self._mask_shape(tuple(shape)))
        mask = np.where(u >= self.rate, np.float32(1.0 / (1.0 - self.rate)), np.float32(0.0))
        return np.ascontiguousarray(mask, dtype=np.float32)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs

        def core(xd):
            # The mask is drawn inside the node: a captured step draws a fresh one at every
            # replay, in the same order as the eager step.
            mask = self.dropout_mask(xd.shape)
            return K.mul(xd, mask), lambda dy, needs: (dy * mask,)
        return autodiff.apply("dropout", core, (inputs,))

    def get_config(self):
        config = {"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}
        config.update(super().get_config())
        return config


_FORMATS = {"channelslast": "channelsLast", "channelsfirst": "channelsFirst"}


class Flatten(Layer):
    """[batch, d1, d2, ...] -> [batch, d1 * d2 * ...] (inputs of rank >= 3, as TF.js).
    data_format='channels_first' moves the channel axis last first, so the flattened
    order matches a channels-last model."""

    def __init__(self, data_format=None, **kwargs):
        data_format = None if data_format is None else check_choice(
            data_format, _FORMATS, "Flatten", "data_format")
        super().__init__(**kwargs)
        self.data_format = data_format

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 3:
            raise incompatible(self, f"expected min_ndim=3, found ndim={len(input_shape)} "
                                     f"(shape {shape_str(input_shape)})")
        if any(d is None for d in input_shape[1:]):
            raise ValueError(f"The shape of the input to \"Flatten\" ({self.name}) is not fully "
                             f"defined (got {shape_str(input_shape[1:])}). Make sure to pass a "
                             f"complete 'input_shape' or 'batch_input_shape' to the first "
                             f"layer of the model.")
        return (input_shape[0], math.prod(input_shape[1:]))

    def call(self, inputs, training=False):
        if inputs.rank < 3:
            raise incompatible(self, f"expected min_ndim=3, found ndim={inputs.rank} "
                                     f"(shape {shape_str(inputs.shape)})")
        if self.data_format == "channelsFirst":
            inputs = ops.transpose(inputs, [0] + list(range(2, inputs.rank)) + [1])
        return ops.reshape(inputs, [inputs.shape[0], math.prod(inputs.shape[1:])])

    def get_config(self):
        fmt = self.data_format and ("channels_last" if self.data_format == "channelsLast"
                                    else "channels_first")
        config = {"data_format": fmt}
        config.update(super().get_config())
        return config


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (without the batch axis; one entry may be
    -1 or None, inferred from the size)."""

    def __init__(self, target_shape, **kwargs):
        # TF.js checks the target shape only when the layer is first applied.
        expected = "a list of ints >= 0 with at most one -1 (or None) for an inferred size"
        if not isinstance(target_shape, (list, tuple)):
            raise type_error("Reshape", "target_shape", expected, target_shape)
        for d in target_shape:
            if d is not None and not is_int(d):
                raise type_error("Reshape", "target_shape", expected, target_shape, item=d)
        dims = [None if d is None or d == -1 else int(d) for d in target_shape]
        if dims.count(None) > 1 or any(d is not None and d < 0 for d in dims):
            raise value_error("Reshape", "target_shape", expected, target_shape)
        super().__init__(**kwargs)
        self.target_shape = dims

    def _resolve(self, sample_shape):
        """target_shape with its unknown entry filled in, for one sample's shape."""
        size = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d is not None)
        unknown = None in self.target_shape
        if (unknown and (known == 0 or size % known)) or (not unknown and known != size):
            raise incompatible(self, f"cannot reshape samples of shape {shape_str(sample_shape)} "
                                     f"({size} values) to the target shape "
                                     f"{shape_str(self.target_shape)}: total size of new array "
                                     f"must be unchanged")
        return [size // known if d is None else d for d in self.target_shape]

    def compute_output_shape(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0],) + tuple(self.target_shape)
        return (input_shape[0],) + tuple(self._resolve(input_shape[1:]))

    def call(self, inputs, training=False):
        if inputs.rank < 1:
            raise incompatible(self, "expected an input with a batch axis, got a scalar")
        return ops.reshape(inputs, [inputs.shape[0]] + self._resolve(inputs.shape[1:]))

    def get_config(self):
        config = {"target_shape": list(self.target_shape)}
        config.update(super().get_config())
        return config
