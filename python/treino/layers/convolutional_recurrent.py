"""Convolutional recurrent layers (TF.js's ConvLSTM2D and ConvLSTM2DCell,
tfjs-layers/src/layers/convolutional_recurrent.ts): an LSTM whose input and recurrent
products are 2-D convolutions, over a (batch, time, rows, cols, channels) input
(channelsLast) or (batch, time, channels, rows, cols) (channelsFirst).

The equations are TF.js's, gate order [i f c o]: z = conv(x, kernel; strides, padding,
dilation_rate) + bias + conv(h, recurrent_kernel; stride 1, 'same'); i, f, o the
recurrent activation (hardSigmoid by default) of their blocks; c = f c_prev + i act(z_c);
h = o act(c). The states h and c have the output's shape without the time axis.

Everything is ops on the tape (conv2d runs the native kernels): no hand-written
backward. The layer convolves the inputs of all time steps at once (one conv over
batch x time images, the bias fused in), then loops over the steps for the recurrent
convolution and the gates; a channelsFirst layer transposes to channelsLast once on the
way in and once on the way out. Dropout follows TF.js: four masks (one per gate) on the
inputs and four on the state entering the recurrent convolution, drawn once per call
and shared by every step, only when training. A mask (batch, time) from an earlier layer
skips steps as in the other recurrent layers (Keras's reading: TF.js 4.22 fails on
it); a mask (batch, time, rows', cols'), what a Masking layer makes of a channelsLast
input with 'same' padding, skips the step per pixel, as TF.js does.

Weights `conv_lst_m2d_ConvLSTM2D1/kernel` (kh, kw, in, 4 filters),
`.../recurrent_kernel` (kh, kw, filters, 4 filters) and `.../bias` (4 filters), as TF.js
names them. tf.layers.rnn over a ConvLSTM2DCell takes 3-D inputs only, in TF.js as here.
"""
import numpy as np

from .._config import check_int
from ..core import autodiff, ops
from ..core.creation import zeros
from ..core.ops import conv as conv_ops
from ..core.ops import rnn as rnn_ops
from ..core.tensor import Tensor, Variable
from .base import shape_str
from .convolutional import check_data_format, conv_output_length, ints, padding_mode
from .core import incompatible
from .recurrent import _CellLayer
from .recurrent_cells import LSTMCell, build_inside

_GEOMETRY = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate")


def _fixed(arg):
    """A convolution option: read-only after construction (TF.js's are readonly), since
    the weights' shapes and the states' sizes follow from it."""
    def get(self):
        return self.__dict__["_" + arg]

    def set(self, value):
        raise AttributeError(f"{type(self).__name__}: '{arg}' is fixed when the layer is made "
                             f"(received {value!r}); make a new layer instead")
    return property(get, set)


def _to_last(t):
    """channelsFirst -> channelsLast for a state (batch, C, rows, cols) or a sequence
    (batch, time, C, rows, cols)."""
    return ops.transpose(t, [0, 2, 3, 1] if t.rank == 4 else [0, 1, 3, 4, 2])


def _to_first(t):
    return ops.transpose(t, [0, 3, 1, 2] if t.rank == 4 else [0, 1, 4, 2, 3])


def _gate_masks(like, shape, rate):
    """Four inverted-dropout masks of `shape`, one per gate, drawn inside a node (every
    run anew, as a replayed step must)."""
    def core(xd):
        return rnn_ops.dropout_mask((4,) + tuple(shape), rate), None
    return ops.unstack(autodiff.apply("dropout_mask", core, (like,)))


class ConvLSTM2DCell(LSTMCell):
    """One ConvLSTM2D step: call([x, h, c]) -> [h, h, c], x (batch, rows, cols, channels)
    and h, c (batch, rows', cols', filters) (channelsFirst: channels before rows). The
    LSTM's options (activation, recurrent_activation, unit_forget_bias, initializers,
    regularizers, constraints, dropout rates) with `filters` in place of `units`, and
    the convolution's: kernel_size, strides, padding ('valid' or 'same'), data_format,
    dilation_rate (strides and dilation_rate cannot both exceed 1)."""

    KERNEL = None  # no fused sequence kernel: the layer composes convolutions
    filters = _fixed("filters")
    kernel_size = _fixed("kernel_size")
    strides = _fixed("strides")
    padding = _fixed("padding")
    data_format = _fixed("data_format")
    dilation_rate = _fixed("dilation_rate")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, **kwargs):
        who = type(self).__name__
        if "units" in kwargs:
            raise TypeError(f"{who}: unknown argument 'units'; a convolutional cell's number "
                            f"of output channels is 'filters'")
        geometry = {
            "filters": check_int(filters, who, "filters", minimum=1),
            "kernel_size": ints(kernel_size, 2, who, "kernel_size"),
            "strides": ints(strides, 2, who, "strides"),
            "padding": padding_mode(padding, who),
            "data_format": check_data_format(data_format, who),
            "dilation_rate": ints(dilation_rate, 2, who, "dilation_rate"),
        }
        if max(geometry["strides"]) > 1 and max(geometry["dilation_rate"]) > 1:
            raise ValueError(f"{who}: strides and dilation_rate cannot both be > 1, received "
                             f"strides={geometry['strides']}, "
                             f"dilation_rate={geometry['dilation_rate']}")
        super().__init__(geometry["filters"], **kwargs)
        for arg, value in geometry.items():
            object.__setattr__(self, "_" + arg, value)

    @property
    def channels_last(self):
        return self.data_format == "channelsLast"

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        if len(input_shape) != 4:
            raise incompatible(self, f"expected ndim=4 (batch, rows, cols, channels), found "
                                     f"ndim={len(input_shape)} (shape {shape_str(input_shape)})")
        channels = input_shape[-1 if self.channels_last else 1]
        if channels is None:
            raise ValueError(f"{self.name}: the channel dimension of the input should be "
                             f"defined, got shape {shape_str(input_shape)}")
        f4 = 4 * self.filters
        self.kernel = self.add_weight("kernel", (*self.kernel_size, int(channels), f4),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      self.kernel_constraint)
        self.recurrent_kernel = self.add_weight("recurrent_kernel",
                                                (*self.kernel_size, self.filters, f4),
                                                self.recurrent_initializer,
                                                self.recurrent_regularizer,
                                                self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (f4,), self._bias_initializer(),
                                        self.bias_regularizer, self.bias_constraint)
        self._in_channels = int(channels)
        self.built = True

    def output_space(self, rows, cols):
        """The states' (rows', cols') for an input of (rows, cols) (None stays None)."""
        return tuple(conv_output_length(d, k, self.padding, s, r) for d, k, s, r in zip(
            (rows, cols), self.kernel_size, self.strides, self.dilation_rate))

    # -- the equations, on channelsLast tensors ------------------------------------------
    def input_conv(self, x):
        """conv(x, kernel) + bias for the four gates, x (n, rows, cols, channels): one
        (n, rows', cols', 4 filters) tensor, or, given a list of four inputs (each gate's
        own dropout mask applied), a list of the four gates' blocks."""
        k, b = self.kernel.val, None if self.bias is None else self.bias.val
        geometry = (self.strides, self.padding, "NHWC", self.dilation_rate)
        if not isinstance(x, list):
            return conv_ops.fused_conv2d(x, k, b, *geometry)
        bs = ops.split(b, 4) if b is not None else [None] * 4
        return [conv_ops.fused_conv2d(xg, kg, bg, *geometry)
                for xg, kg, bg in zip(x, ops.split(k, 4, axis=3), bs)]

    def recurrent_step(self, zx, h, c, masks=None):
        """(h, c) after one step from the input convolution zx (input_conv's result), the
        previous h and c, and the four recurrent dropout masks (or None)."""
        rk = self.recurrent_kernel.val
        if masks is None:
            zh = conv_ops.conv2d(h, rk, 1, "same")
        else:
            zh = [conv_ops.conv2d(ops.mul(h, m), kg, 1, "same")
                  for m, kg in zip(masks, ops.split(rk, 4, axis=3))]
        if isinstance(zx, list) or isinstance(zh, list):
            zx = zx if isinstance(zx, list) else ops.split(zx, 4, axis=-1)
            zh = zh if isinstance(zh, list) else ops.split(zh, 4, axis=-1)
            z = [ops.add(a, b) for a, b in zip(zx, zh)]
        else:
            z = ops.split(ops.add(zx, zh), 4, axis=-1)
        rec, act = self.recurrent_activation, self.activation
        i, f, o = rec.apply(z[0]), rec.apply(z[1]), rec.apply(z[3])
        c = ops.add(ops.mul(f, c), ops.mul(i, act.apply(z[2])))
        return ops.mul(o, act.apply(c)), c

    def call(self, inputs, training=False):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 3:
            raise ValueError(f"{type(self).__name__} expects 3 input Tensors (inputs, h, c), "
                             f"received {len(inputs) if isinstance(inputs, (list, tuple)) else 1}")
        x, h, c = inputs
        if x.rank != 4 or x.shape[-1 if self.channels_last else 1] != self._in_channels:
            raise incompatible(self, f"expected a 4-D input with {self._in_channels} channels "
                                     f"({self.data_format}), got shape {shape_str(x.shape)}")
        x = x if x.dtype == "float32" else ops.cast(x, "float32")
        if not self.channels_last:
            x, h, c = _to_last(x), _to_last(h), _to_last(c)
        masks = self._step_masks or (None, None)
        xs = x if masks[0] is None else [ops.mul(x, m) for m in masks[0]]
        h, c = self.recurrent_step(self.input_conv(xs), h, c, masks[1])
        if not self.channels_last:
            h, c = _to_first(h), _to_first(c)
        return [h, h, c]

    def get_config(self):
        config = super().get_config()
        del config["units"]
        config.update({"filters": self.filters, "kernel_size": list(self.kernel_size),
                       "padding": self.padding, "data_format": self.data_format,
                       "dilation_rate": list(self.dilation_rate),
                       "strides": list(self.strides)})
        return config


class ConvLSTM2D(_CellLayer):
    """A ConvLSTM2D cell run over the time axis of a 5-D input: the cell's arguments
    (filters, kernel_size, ...) and the RNN's (return_sequences, return_state,
    go_backwards, stateful) in one call, as TF.js. Output (batch, [time,] rows', cols',
    filters) (channelsFirst: filters before rows')."""

    CELL = ConvLSTM2DCell

    def __init__(self, filters, kernel_size, **kwargs):
        who = type(self).__name__
        if kwargs.get("unroll"):
            raise ValueError(f"{who}: unrolling is not possible with convolutional RNNs "
                             f"(received unroll={kwargs['unroll']!r})")
        bad = [k for k in ("cell", "units") if k in kwargs]
        if bad:  # the RNN's and LSTM's arguments that have no meaning here
            raise TypeError(f"{who}: unknown argument{'s' if len(bad) > 1 else ''} "
                            f"{', '.join(map(repr, bad))}; accepted arguments: "
                            f"{', '.join(self.accepted_arguments())}")
        super().__init__(filters, kernel_size=kernel_size, **kwargs)

    @classmethod
    def accepted_arguments(cls):
        return [k for k in super().accepted_arguments() if k != "units"]

    def __getattr__(self, name):
        if name in _GEOMETRY and "cell" in self.__dict__:
            return getattr(self.__dict__["cell"], name)
        return super().__getattr__(name)

    def __setattr__(self, name, value):
        if name in _GEOMETRY and "cell" in self.__dict__:
            setattr(self.__dict__["cell"], name, value)  # refused, naming the option
        else:
            super().__setattr__(name, value)

    # -- shapes --------------------------------------------------------------------------
    def _space_of(self, shape):
        """(rows, cols) of an input shape with (5-D) or without (4-D) its time axis."""
        return tuple(shape[-3:-1] if self.cell.channels_last else shape[-2:])

    def _state_shape(self, x_shape):
        """A state's shape (batch, rows', cols', filters), in the layer's data format, for
        an input of shape x_shape (with or without its time axis)."""
        space = self.cell.output_space(*self._space_of(x_shape))
        f = self.cell.filters
        return (x_shape[0], *space, f) if self.cell.channels_last else (x_shape[0], f, *space)

    def build(self, input_shape):
        x_shape, state_shapes = self._split_shapes(input_shape)
        if len(x_shape) != 5:
            raise incompatible(self, f"expected ndim=5 (batch, time, rows, cols, channels), "
                                     f"found ndim={len(x_shape)} (shape {shape_str(x_shape)})")
        self._check_space(x_shape)
        self._check_state_shapes(state_shapes, x_shape)
        step_shape = (x_shape[0],) + tuple(x_shape[2:])
        build_inside(self, self.cell, step_shape)
        self._features = self.cell._in_channels
        if self.stateful:
            # An eager call builds with a free batch axis: the declared shape has it.
            declared = self.batch_input_shape[0] if self.batch_input_shape else None
            self._batch = x_shape[0] if x_shape[0] is not None else declared
            self._step_shape = step_shape
            self.reset_states()
        self.built = True

    def _check_space(self, x_shape):
        space = self._space_of(x_shape)
        if any(d is not None and d < 1 for d in self.cell.output_space(*space)):
            cell = self.cell
            kernel = [(k - 1) * r + 1 for k, r in zip(cell.kernel_size, cell.dilation_rate)]
            raise incompatible(self, f"the input's rows and cols ({space[0]}x{space[1]}) are "
                                     f"too small for the kernel ({kernel[0]}x{kernel[1]}) with "
                                     f"padding '{cell.padding}'")

    def _check_state_shapes(self, state_shapes, x_shape=None):
        if not state_shapes:
            return
        want = self._state_shape(x_shape)
        if len(state_shapes) != 2 or any(
                len(s) != 4 or any(a is not None and b is not None and a != b
                                   for a, b in zip(s[1:], want[1:])) for s in state_shapes):
            raise ValueError(f"{self.name}: the initial states must be 2 tensors (h and c) of "
                             f"shape {shape_str(want)}, received "
                             f"{', '.join(shape_str(s) for s in state_shapes)}")

    def compute_output_shape(self, input_shape):
        x_shape, _ = self._split_shapes(input_shape)
        state = self._state_shape(x_shape)
        out = (state[0], x_shape[1], *state[1:]) if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    def assert_input_compatibility(self, input_shape):
        x_shape, _ = self._split_shapes(input_shape)
        axis = -1 if self.cell.channels_last else 2
        if len(x_shape) != 5 or x_shape[axis] not in (None, self._features):
            raise incompatible(self, f"expected ndim=5 with {self._features} channels, got "
                                     f"shape {shape_str(x_shape)}")

    # -- states of a stateful layer ------------------------------------------------------
    def reset_states(self, states=None):
        """Stateful layers only: zeroes h and c, or sets them to `states` (two Tensors or
        arrays of the states' shape, batch first)."""
        if not self.stateful:
            raise AttributeError(f"{self.name}: cannot call reset_states() on an RNN layer "
                                 f"that is not stateful")
        batch = getattr(self, "_batch", None)
        if batch is None:
            raise ValueError(f"{self.name}: a stateful RNN needs to know its batch size: give "
                             f"the first layer batch_input_shape=[batch, time, rows, cols, "
                             f"channels] (or tn.input(batch_shape=...))")
        shape = self._state_shape((batch,) + self._step_shape[1:])
        if any(d is None for d in shape):
            raise ValueError(f"{self.name}: a stateful ConvLSTM2D needs the input's rows and "
                             f"cols defined, got states of shape {shape_str(shape)}")
        if states is None:
            values = [np.zeros(shape, np.float32) for _ in range(2)]
        else:
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            if len(states) != 2:
                raise ValueError(f"{self.name}: expects 2 state(s), received {len(states)}")
            values = [np.asarray(s._data if isinstance(s, Tensor) else s, np.float32)
                      for s in states]
            for i, v in enumerate(values):
                if v.shape != shape:
                    raise ValueError(f"{self.name}: state {i} must have shape "
                                     f"{shape_str(shape)}, received {shape_str(v.shape)}")
        if self._state_vars is None:
            self._state_vars = [Variable(v, trainable=False) for v in values]
        else:
            for var, v in zip(self._state_vars, values):
                var.assign(v)

    # -- the computation -----------------------------------------------------------------
    def call(self, inputs, training=False, mask=None):
        if isinstance(inputs, (list, tuple)):
            x, states = inputs[0], list(inputs[1:])
        else:
            x, states = inputs, []
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        cell = self.cell
        channels = x.shape[-1 if cell.channels_last else 2] if x.rank == 5 else None
        if x.rank != 5 or channels != self._features:
            raise incompatible(self, f"expected a 5-D input with {self._features} channels "
                                     f"({cell.data_format}), got shape {shape_str(x.shape)}")
        self._check_space(x.shape)
        B, T = x.shape[:2]
        if T == 0:
            raise incompatible(self, "the input has no time steps")
        if not states and self.stateful:
            states = self._state_vars
        want = self._state_shape(x.shape)
        if states and (len(states) != 2 or any(tuple(s.shape) != want for s in states)):
            raise ValueError(f"{self.name}: the initial states must be 2 tensors (h and c) of "
                             f"shape {shape_str(want)}, received "
                             f"{', '.join(shape_str(s.shape) for s in states)}")
        space = want[1:3] if cell.channels_last else want[2:]
        if mask is not None and tuple(mask.shape) not in ((B, T), (B, T, *space)):
            raise ValueError(f"{self.name}: a mask must have shape [{B},{T}] (batch, time) or "
                             f"{shape_str((B, T, *space))} (batch, time, the states' rows and "
                             f"cols), received {shape_str(mask.shape)}")
        x = x if x.dtype == "float32" else ops.cast(x, "float32")
        if not cell.channels_last:
            x = _to_last(x)
            states = [_to_last(s) for s in states]
        seq, final = self._run(x, states, mask, training)
        if not cell.channels_last:
            seq = _to_first(seq) if seq is not None else None
            final = [_to_first(s) for s in final]
        if self.stateful:
            for var, s in zip(self._state_vars, final):
                self.update_state(var, s)
        out = seq if self.return_sequences else final[0]
        return [out] + final if self.return_state else out

    def _run(self, x, states, mask, training):
        """TF.js's rnn() over channelsLast x (B, T, rows, cols, C): the input convolution
        of every step at once, then the recurrent step by step. Returns (the output
        sequence in processing order or None, [h, c])."""
        cell = self.cell
        B, T, rows, cols, C = x.shape
        in_masks = rec_masks = None
        if training and cell.dropout:
            in_masks = [ops.expand_dims(m, 1)
                        for m in _gate_masks(x, (B, rows, cols, C), cell.dropout)]
        xs = x if in_masks is None else [ops.mul(x, m) for m in in_masks]
        flat = [ops.reshape(v, [B * T, rows, cols, C]) for v in
                (xs if isinstance(xs, list) else [xs])]
        zx = cell.input_conv(flat if isinstance(xs, list) else flat[0])
        per_step = []
        for z in (zx if isinstance(zx, list) else [zx]):
            z = ops.reshape(z, [B, T] + list(z.shape[1:]))
            per_step.append(ops.unstack(z, axis=1))
        steps = [list(g) for g in zip(*per_step)] if isinstance(zx, list) else per_step[0]
        space = zx[0].shape[1:3] if isinstance(zx, list) else zx.shape[1:3]
        if not states:
            zero = zeros([B, *space, cell.filters])
            states = [zero, zero]
        h, c = states
        if training and cell.recurrent_dropout:
            rec_masks = _gate_masks(h, tuple(h.shape), cell.recurrent_dropout)
        keep = None
        if mask is not None:
            m = ops.cast(ops.cast(mask, "bool"), "float32")
            keep = ops.unstack(ops.reshape(m, list(mask.shape) + [1] * (5 - mask.rank)), axis=1)
        order = range(T - 1, -1, -1) if self.go_backwards else range(T)
        outputs = []
        for t in order:
            h_new, c_new = cell.recurrent_step(steps[t], h, c, rec_masks)
            if keep is not None:  # a masked step repeats the output and keeps the states
                on, off = keep[t], ops.sub(1.0, keep[t])
                h_new = ops.add(ops.mul(h_new, on), ops.mul(h, off))
                c_new = ops.add(ops.mul(c_new, on), ops.mul(c, off))
            h, c = h_new, c_new
            outputs.append(h)
        seq = ops.stack(outputs, axis=1) if self.return_sequences else None
        return seq, [h, c]
