"""Layers around a layer (TF.js's layers/wrappers.ts): TimeDistributed applies one to
every time step, Bidirectional runs a recurrent layer both ways.

The wrapper owns the inner layers' weights (recurrent_cells.build_inside), named as TF.js
names them: `time_distributed_TimeDistributed1/kernel`, and
`bidirectional_Bidirectional1/forward_lstm_LSTM1/kernel`, then `.../backward_lstm_LSTM1/...`.
"""
from .._config import check_choice
from ..core import ops
from ..core.ops.rnn import reverse_time
from .base import Layer, invoke_call, shape_str
from .core import incompatible
from .recurrent import RNN
from .recurrent_cells import build_inside, nested_layers


def _layer_arg(layer, who):
    if not isinstance(layer, Layer):
        raise TypeError(f"{who}: argument 'layer' must be a layer, received {layer!r}")
    return layer


def _layer_config(layer):
    return {"class_name": layer.class_name, "config": layer.get_config()}


class TimeDistributed(Layer):
    """Applies `layer` to every time step: (batch, time, ...) -> (batch, time, ...out).
    The steps go through the layer together, as one batch of batch * time samples
    (the same values as step by step for a layer that treats samples independently)."""

    supports_masking = True

    def __init__(self, layer, **kwargs):
        layer = _layer_arg(layer, "TimeDistributed")
        super().__init__(**kwargs)
        self.layer = layer

    def _child_shape(self, input_shape):
        if len(input_shape) < 3:
            raise incompatible(self, f"TimeDistributed expects an input of rank >= 3, "
                                     f"received shape {shape_str(input_shape)}")
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        child = self._child_shape(input_shape)
        if self.layer.built:  # a layer built before: its weights, listed here too
            self._weights.extend(w for w in self.layer.weights if w not in self._weights)
        else:
            build_inside(self, self.layer, child)
        self.layer.note_shapes(child, self.layer.compute_output_shape(child))
        self.built = True

    def compute_output_shape(self, input_shape):
        out = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (out[0], input_shape[1]) + tuple(out[1:])

    def call(self, inputs, training=False, mask=None):
        B, T = inputs.shape[0], inputs.shape[1]
        flat = ops.reshape(inputs, [B * T] + list(inputs.shape[2:]))
        y = invoke_call(self.layer, flat, training)
        return ops.reshape(y, [B, T] + list(y.shape[1:]))

    def get_config(self):
        config = {"layer": _layer_config(self.layer)}
        config.update(super().get_config())
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config(nested_layers(cls, config, "layer"))


_MERGE_MODES = {"concat": "concat", "sum": "sum", "mul": "mul", "ave": "ave"}


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy backwards (go_backwards flipped) over
    the same input and merges their outputs: merge_mode 'concat' (default), 'sum',
    'mul', 'ave', or None (both outputs, as a list). With return_sequences the
    backward layer's outputs are put back in time order first. Initial states: the
    forward layer's, then the backward layer's."""

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", **kwargs):
        if not isinstance(layer, RNN):
            raise TypeError(f"Bidirectional: argument 'layer' must be a recurrent layer "
                            f"(tn.layers.lstm, gru, simple_rnn, rnn), received {layer!r}")
        if merge_mode is not None:
            merge_mode = check_choice(merge_mode, _MERGE_MODES, "Bidirectional", "merge_mode")
        super().__init__(**kwargs)
        self.layer = layer
        self.merge_mode = merge_mode
        # Fresh copies from the layer's config (TF.js does the same), renamed.
        config = layer.get_config()
        self.forward_layer = type(layer).from_config({**config, "name": "forward_" + layer.name})
        self.backward_layer = type(layer).from_config(
            {**config, "name": "backward_" + layer.name, "go_backwards": not layer.go_backwards})
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state

    def __call__(self, inputs, initial_state=None, training=None, **kwargs):
        if "initialState" in kwargs:
            initial_state = kwargs.pop("initialState")
        if initial_state is not None:
            if isinstance(inputs, (list, tuple)):
                raise ValueError(f"{self.name}: give the initial states either in the inputs "
                                 f"list or as 'initial_state', not both")
            inputs = [inputs] + (list(initial_state) if isinstance(initial_state, (list, tuple))
                                 else [initial_state])
        return super().__call__(inputs, training=training, **kwargs)

    def _split(self, items):
        """(x, forward states, backward states) of an input (shape) list."""
        if not isinstance(items, list):
            return items, [], []
        x, states = items[0], list(items[1:])
        if len(states) % 2:
            raise ValueError(f"{self.name}: the initial states must be the forward layer's "
                             f"then the backward layer's (an even number), received "
                             f"{len(states)}")
        half = len(states) // 2
        return x, states[:half], states[half:]

    def build(self, input_shape):
        shapes = [tuple(s) for s in input_shape] if input_shape and isinstance(
            input_shape[0], (list, tuple)) else tuple(input_shape)
        x, fs, bs = self._split(shapes)
        for inner, states in ((self.forward_layer, fs), (self.backward_layer, bs)):
            build_inside(self, inner, [x] + states if states else x, inner.name + "/")
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape] if input_shape and isinstance(
            input_shape[0], (list, tuple)) else tuple(input_shape)
        x, _, _ = self._split(shapes)
        out = self.forward_layer.compute_output_shape(x)
        outs = list(out) if self.return_state else [out]
        y, states = tuple(outs[0]), [tuple(s) for s in outs[1:]]
        if self.merge_mode == "concat":
            merged = [y[:-1] + (y[-1] * 2,)]
        elif self.merge_mode is None:
            merged = [y, y]
        else:
            merged = [y]
        if self.return_state:
            return merged + states + states
        return merged if len(merged) > 1 else merged[0]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n = len(self.forward_layer.state_sizes)
            return outs + [None] * (2 * n)
        return outs if len(outs) > 1 else outs[0]

    def call(self, inputs, training=False, mask=None):
        x, fs, bs = self._split(list(inputs) if isinstance(inputs, (list, tuple)) else inputs)
        if isinstance(mask, list):
            mask = mask[0]
        y = invoke_call(self.forward_layer, [x] + fs if fs else x, training, mask=mask)
        y_rev = invoke_call(self.backward_layer, [x] + bs if bs else x, training, mask=mask)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = reverse_time(y_rev)
        mode = self.merge_mode
        if mode == "concat":
            out = [ops.concat([y, y_rev], axis=-1)]
        elif mode == "sum":
            out = [ops.add(y, y_rev)]
        elif mode == "ave":
            out = [ops.mul(0.5, ops.add(y, y_rev))]
        elif mode == "mul":
            out = [ops.mul(y, y_rev)]
        else:
            out = [y, y_rev]
        out = out + states
        return out if len(out) > 1 else out[0]

    # The inner layers' state writes (stateful) wait for the step, as the wrapper's do.
    def begin_step(self):
        super().begin_step()
        self.forward_layer.begin_step()
        self.backward_layer.begin_step()

    def commit_step(self):
        super().commit_step()
        self.forward_layer.commit_step()
        self.backward_layer.commit_step()

    def end_step(self):
        super().end_step()
        self.forward_layer.end_step()
        self.backward_layer.end_step()

    @property
    def stateful(self):
        return self.forward_layer.stateful

    def reset_states(self, states=None):
        """Zeroes both directions' states (TF.js's Bidirectional takes no states here)."""
        if states is not None:
            raise ValueError(f"{self.name}: reset_states() of a Bidirectional layer takes "
                             f"no states, received {type(states).__name__}")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def get_config(self):
        config = {"merge_mode": self.merge_mode, "layer": _layer_config(self.layer)}
        config.update(super().get_config())
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config(nested_layers(cls, config, "layer"))
