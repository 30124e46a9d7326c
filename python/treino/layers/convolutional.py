"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D,
and the spatial helpers UpSampling2D, ZeroPadding2D, Cropping2D (TF.js's
tfjs-layers/src/layers/convolutional.ts and convolutional_depthwise.ts, spelled the
Python way: options, defaults, weight names such as `conv2d_Conv2D1/kernel`, configs).

Layout is channelsLast ([batch, height, width, channels], TF.js's default) or
channelsFirst; kernels are [kh, kw, in, filters]. A Conv2D with a fusable activation
(relu, tanh, ...) is one native node forward and one backward (ops.fused_conv2d).
"""
import numbers

import numpy as np

from .. import activations as _activations
from .. import constraints as _constraints
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from .._config import check_bool, check_int, type_error, value_error
from ..core import ops
from ..core.ops import conv as conv_ops
from .base import Layer
from .core import _activation_property, component, components, incompatible

_DATA_FORMATS = {"channelsLast": "channelsLast", "channels_last": "channelsLast",
                 "channelsFirst": "channelsFirst", "channels_first": "channelsFirst"}


def ints(value, n, who, arg):
    """TF.js's normalizeArray: an int repeated n times, or a list of n ints (each >= 1)."""
    expected = f"an int >= 1 or a list of {n} ints >= 1"
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
        items = [value] * n
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise type_error(who, arg, expected, value)
    if len(items) != n or any(isinstance(v, bool) or not isinstance(
            v, (numbers.Integral, np.integer)) for v in items):
        raise value_error(who, arg, expected, value)
    if any(v < 1 for v in items):
        raise value_error(who, arg, expected, value)
    return [int(v) for v in items]


def check_data_format(value, who):
    if value is None:
        return "channelsLast"
    if not isinstance(value, str) or value not in _DATA_FORMATS:
        raise value_error(who, "data_format", "'channelsLast' or 'channelsFirst'", value)
    return _DATA_FORMATS[value]


def padding_mode(value, who, allowed=("valid", "same")):
    if value is None:
        return "valid"
    if not isinstance(value, str) or value not in allowed:
        raise value_error(who, "padding", " or ".join(repr(a) for a in allowed), value)
    return value


def conv_output_length(length, size, padding, stride, dilation=1):
    """TF.js's convOutputLength (None stays None); 'causal' keeps the length."""
    if length is None:
        return None
    dilated = size + (size - 1) * (dilation - 1)
    out = length if padding in ("same", "causal") else length - dilated + 1
    return (out + stride - 1) // stride


def deconv_length(length, stride, size, padding):
    """TF.js's deconvLength: a transposed convolution's output length."""
    if length is None:
        return None
    return length * stride + (max(size - stride, 0) if padding == "valid" else 0)


def to_last(x, fmt):
    return x if fmt == "channelsLast" else ops.transpose(
        x, [0] + list(range(2, x.rank)) + [1])


def from_last(y, fmt):
    return y if fmt == "channelsLast" else ops.transpose(
        y, [0, y.rank - 1] + list(range(1, y.rank - 1)))


def _activation_of(layer):
    return _activations.serialize(layer.activation)


class _BaseConv(Layer):
    """What every convolution shares (TF.js's BaseConv): kernel size, strides, padding,
    data format, dilation, activation and the bias."""

    rank = 2
    paddings = ("valid", "same")

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, bias_initializer="zeros",
                 bias_regularizer=None, bias_constraint=None, activity_regularizer=None,
                 **kwargs):
        who = type(self).__name__
        if activity_regularizer is not None:
            raise ValueError(f"{who}: activity regularizers are not supported, received "
                             f"{activity_regularizer!r}")
        config = {
            "kernel_size": ints(kernel_size, self.rank, who, "kernel_size"),
            "strides": ints(strides, self.rank, who, "strides"),
            "padding": padding_mode(padding, who, self.paddings),
            "data_format": check_data_format(data_format, who),
            "dilation_rate": ints(dilation_rate, self.rank, who, "dilation_rate"),
            "activation": component(_activations, activation, who, "activation"),
            "use_bias": check_bool(use_bias, who, "use_bias"),
            **components(who, bias_initializer=bias_initializer,
                         bias_regularizer=bias_regularizer, bias_constraint=bias_constraint)}
        if max(config["strides"]) > 1 and max(config["dilation_rate"]) > 1:
            raise ValueError(f"{who}: strides and dilation_rate cannot both be > 1, received "
                             f"strides={config['strides']}, "
                             f"dilation_rate={config['dilation_rate']}")
        self._own_config(who, config)
        super().__init__(**kwargs)
        for arg, value in config.items():
            setattr(self, arg, value)
        self.kernel = self.bias = None

    def _own_config(self, who, config):
        """Adds the subclass's checked arguments to config (before any side effect)."""

    def _channels(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise incompatible(self, f"expected ndim={self.rank + 2}, found "
                                     f"ndim={len(input_shape)}")
        axis = 1 if self.data_format == "channelsFirst" else -1
        if input_shape[axis] is None:
            raise ValueError(f"{self.name}: the channel dimension of the input should be "
                             f"defined. Found None")
        return int(input_shape[axis])

    def assert_input_compatibility(self, input_shape):
        axis = 1 if self.data_format == "channelsFirst" else -1
        if len(input_shape) != self.rank + 2 or input_shape[axis] not in (
                None, self._in_channels):
            raise incompatible(self, f"expected ndim={self.rank + 2} with "
                                     f"{self._in_channels} channels, got shape "
                                     f"{list(input_shape)}")

    def _out_space(self, input_shape):
        """The output's spatial sizes (TF.js's convOutputLength per axis)."""
        return [conv_output_length(d, k, self.padding, s, r) for d, k, s, r in zip(
            self._space(input_shape), self.kernel_size, self.strides, self.dilation_rate)]

    def _space(self, input_shape):
        return list(input_shape[2:] if self.data_format == "channelsFirst" else
                    input_shape[1:-1])

    def _shape(self, input_shape, space, channels):
        if self.data_format == "channelsFirst":
            return (input_shape[0], channels, *space)
        return (input_shape[0], *space, channels)

    def _bias_weight(self, units):
        if self.use_bias:
            self.bias = self.add_weight("bias", (units,), self.bias_initializer,
                                        self.bias_regularizer, self.bias_constraint)

    def _check_input(self, x):
        want = self._in_channels
        got = x.shape[1] if self.data_format == "channelsFirst" else x.shape[-1]
        if x.rank != self.rank + 2 or got != want:
            raise incompatible(self, f"expected ndim={self.rank + 2} with {want} channels, "
                                     f"got shape {list(x.shape)}")

    def get_config(self):
        config = {
            "kernel_size": list(self.kernel_size), "strides": list(self.strides),
            "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": _activation_of(self), "use_bias": self.use_bias,
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "bias_regularizer": _regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": None,
            "bias_constraint": _constraints.serialize(self.bias_constraint),
        }
        config.update(super().get_config())
        return config

    activation = _activation_property()


class _Conv(_BaseConv):
    """Conv1D / Conv2D: a kernel [*kernel_size, in, filters] summed over the channels."""

    def __init__(self, filters, kernel_size, kernel_initializer="glorotNormal",
                 kernel_regularizer=None, kernel_constraint=None, **kwargs):
        who = type(self).__name__
        self._pending_config = {
            "filters": check_int(filters, who, "filters", minimum=1),
            **components(who, kernel_initializer=kernel_initializer,
                         kernel_regularizer=kernel_regularizer,
                         kernel_constraint=kernel_constraint)}
        super().__init__(kernel_size, **kwargs)

    def _own_config(self, who, config):
        config.update(self._pending_config)
        object.__delattr__(self, "_pending_config")

    def build(self, input_shape):
        c = self._channels(input_shape)
        self._in_channels = c
        self.kernel = self.add_weight("kernel", tuple(self.kernel_size) + (c, self.filters),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      self.kernel_constraint)
        self._bias_weight(self.filters)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._channels(input_shape)
        space = self._out_space(input_shape)
        return self._shape(input_shape, space, self.filters)

    def _pads(self):
        """The padding for the ops: 'same'/'valid', or explicit for 'causal'."""
        if self.padding != "causal":
            return self.padding
        left = (self.kernel_size[-1] - 1) * self.dilation_rate[-1]
        return [[0, 0], [0, 0], [left, 0], [0, 0]]

    def _conv(self, x, fused):
        x4 = to_last(x, self.data_format)
        if self.rank == 1:
            x4 = ops.expand_dims(x4, 1)
        k = self.kernel.val if self.rank == 2 else ops.expand_dims(self.kernel.val, 0)
        strides = self.strides if self.rank == 2 else [1] + self.strides
        dil = self.dilation_rate if self.rank == 2 else [1] + self.dilation_rate
        b = self.bias.val if self.bias is not None else None
        y = conv_ops.fused_conv2d(x4, k, b, strides, self._pads(), "NHWC", dil,
                                  activation=fused)
        if self.rank == 1:
            y = ops.squeeze(y, [1])
        return from_last(y, self.data_format)

    def call(self, inputs, training=False):
        self._check_input(inputs)
        fused = self.activation.fused
        if fused is not None:
            return self._conv(inputs, fused)
        return self.activation.apply(self._conv(inputs, "linear"))

    def get_config(self):
        config = {"filters": self.filters,
                  "kernel_initializer": _initializers.serialize(self.kernel_initializer),
                  "kernel_regularizer": _regularizers.serialize(self.kernel_regularizer),
                  "kernel_constraint": _constraints.serialize(self.kernel_constraint)}
        config.update(super().get_config())
        return config


class Conv2D(_Conv):
    """2-D convolution over [batch, height, width, channels] (channelsLast)."""
    rank = 2


class Conv1D(_Conv):
    """1-D convolution over [batch, steps, channels]; padding may also be 'causal'
    (zeros before the sequence only, so step t sees steps <= t; Keras's option)."""
    rank = 1
    paddings = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, data_format=None, **kwargs):
        if data_format not in (None, "channelsLast", "channels_last"):
            raise value_error("Conv1D", "data_format", "'channelsLast'", data_format)
        super().__init__(filters, kernel_size, data_format=data_format, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]  # TF.js's Conv1D writes none
        return config


class Conv2DTranspose(_Conv):
    """The transpose of Conv2D (its input gradient): kernel [kh, kw, filters, in], the
    output grows by the strides (TF.js's deconvLength)."""
    rank = 2

    def __init__(self, filters, kernel_size, dilation_rate=1, **kwargs):
        if ints(dilation_rate, 2, "Conv2DTranspose", "dilation_rate") != [1, 1]:
            raise ValueError("Conv2DTranspose: dilation_rate must be 1 (TF.js supports no "
                             f"dilation here), received {dilation_rate!r}")
        super().__init__(filters, kernel_size, **kwargs)

    def build(self, input_shape):
        c = self._channels(input_shape)
        self._in_channels = c
        self.kernel = self.add_weight("kernel", tuple(self.kernel_size) + (self.filters, c),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      self.kernel_constraint)
        self._bias_weight(self.filters)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._channels(input_shape)
        space = [deconv_length(d, s, k, self.padding) for d, s, k in zip(
            self._space(input_shape), self.strides, self.kernel_size)]
        return self._shape(input_shape, space, self.filters)

    def _conv(self, x, fused):
        x4 = to_last(x, self.data_format)
        n, h, w = x4.shape[:3]
        oh, ow = (deconv_length(d, s, k, self.padding) for d, s, k in zip(
            (h, w), self.strides, self.kernel_size))
        y = ops.conv2d_transpose(x4, self.kernel.val, [n, oh, ow, self.filters], self.strides,
                                 self.padding)
        if self.bias is not None:
            y = ops.add(y, self.bias.val)
        return from_last(self.activation.apply(y), self.data_format)

    def call(self, inputs, training=False):
        self._check_input(inputs)
        return self._conv(inputs, None)

    def get_config(self):
        config = super().get_config()
        del config["dilation_rate"]
        return config


class DepthwiseConv2D(_BaseConv):
    """Each input channel convolved with its own depth_multiplier filters (kernel
    'depthwise_kernel' [kh, kw, in, depth_multiplier]); out channels in * multiplier."""
    rank = 2

    def __init__(self, kernel_size, depth_multiplier=1, depthwise_initializer="glorotNormal",
                 depthwise_regularizer=None, depthwise_constraint=None, **kwargs):
        who = "DepthwiseConv2D"
        self._pending_config = {
            "depth_multiplier": check_int(depth_multiplier, who, "depth_multiplier", minimum=1),
            **components(who, depthwise_initializer=depthwise_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         depthwise_constraint=depthwise_constraint)}
        super().__init__(kernel_size, **kwargs)

    _own_config = _Conv._own_config

    def build(self, input_shape):
        c = self._channels(input_shape)
        self._in_channels = c
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", tuple(self.kernel_size) + (c, self.depth_multiplier),
            self.depthwise_initializer, self.depthwise_regularizer, self.depthwise_constraint)
        self._bias_weight(c * self.depth_multiplier)
        self.built = True

    def compute_output_shape(self, input_shape):
        c = self._channels(input_shape)
        space = self._out_space(input_shape)
        return self._shape(input_shape, space, c * self.depth_multiplier)

    def call(self, inputs, training=False):
        self._check_input(inputs)
        y = ops.depthwise_conv2d(to_last(inputs, self.data_format), self.depthwise_kernel.val,
                                 self.strides, self.padding, "NHWC", self.dilation_rate)
        if self.bias is not None:
            y = ops.add(y, self.bias.val)
        return from_last(self.activation.apply(y), self.data_format)

    def get_config(self):
        config = {"depth_multiplier": self.depth_multiplier,
                  "depthwise_initializer": _initializers.serialize(self.depthwise_initializer),
                  "depthwise_regularizer": _regularizers.serialize(self.depthwise_regularizer),
                  "depthwise_constraint": _constraints.serialize(self.depthwise_constraint)}
        config.update(super().get_config())
        return config


class SeparableConv2D(_BaseConv):
    """A depthwise convolution, then a 1x1 convolution to `filters` channels (weights
    'depthwise_kernel' [kh, kw, in, depth_multiplier], 'pointwise_kernel' [1, 1, in *
    depth_multiplier, filters], 'bias')."""
    rank = 2

    def __init__(self, filters, kernel_size, depth_multiplier=1,
                 depthwise_initializer="glorotUniform", pointwise_initializer="glorotUniform",
                 depthwise_regularizer=None, pointwise_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, **kwargs):
        who = "SeparableConv2D"
        self._pending_config = {
            "filters": check_int(filters, who, "filters", minimum=1),
            "depth_multiplier": check_int(depth_multiplier, who, "depth_multiplier", minimum=1),
            **components(who, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint)}
        super().__init__(kernel_size, **kwargs)

    _own_config = _Conv._own_config

    def build(self, input_shape):
        c = self._channels(input_shape)
        self._in_channels = c
        m = self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", tuple(self.kernel_size) + (c, m), self.depthwise_initializer,
            self.depthwise_regularizer, self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1, 1, c * m, self.filters), self.pointwise_initializer,
            self.pointwise_regularizer, self.pointwise_constraint)
        self._bias_weight(self.filters)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._channels(input_shape)
        space = self._out_space(input_shape)
        return self._shape(input_shape, space, self.filters)

    def call(self, inputs, training=False):
        self._check_input(inputs)
        y = ops.separable_conv2d(to_last(inputs, self.data_format), self.depthwise_kernel.val,
                                 self.pointwise_kernel.val, self.strides, self.padding,
                                 self.dilation_rate)
        if self.bias is not None:
            y = ops.add(y, self.bias.val)
        return from_last(self.activation.apply(y), self.data_format)

    def get_config(self):
        config = {"filters": self.filters, "depth_multiplier": self.depth_multiplier}
        for part in ("depthwise", "pointwise"):
            config[f"{part}_initializer"] = _initializers.serialize(
                getattr(self, f"{part}_initializer"))
            config[f"{part}_regularizer"] = _regularizers.serialize(
                getattr(self, f"{part}_regularizer"))
            config[f"{part}_constraint"] = _constraints.serialize(
                getattr(self, f"{part}_constraint"))
        config.update(super().get_config())
        return config
