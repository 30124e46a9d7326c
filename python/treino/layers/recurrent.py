"""Recurrent layers (TF.js's RNN, SimpleRNN, LSTM, GRU): a cell (recurrent_cells.py) run
over the time axis of a (batch, time, features) input.

A layer of built-in cells with activations the native kernels compute is one node per
cell over the whole sequence (core/ops/rnn.py); anything else (a user's cell, an
activation such as swish) runs TF.js's loop, one cell.call per time step.

TF.js's options: return_sequences (every step's output, in processing order) or the
last; return_state (the final states follow the output); go_backwards; stateful (the
final states of a batch start the next batch; reset_states() zeroes them or sets
them); masks from an Embedding with mask_zero (a masked step keeps the states and
repeats the previous output); initial states passed as `layer(x, initial_state=[...])`
or `layer.apply(x, {'initial_state': [...]})`, which the functional graph records as
extra inputs of the node, as TF.js does. The weights of the cell belong to the layer:
`lstm_LSTM1/kernel`, `lstm_LSTM1/recurrent_kernel`, `lstm_LSTM1/bias` (`RNNCell_0/...`
per cell of a stack), as TF.js names them.
"""
import numpy as np

from .._config import accepted_arguments, check_bool, check_config, check_int
from ..core import autodiff, ops
from ..core.creation import zeros
from ..core.ops import rnn as rnn_ops
from ..core.tensor import Tensor, Variable
from .base import Layer, invoke_call, shape_str
from .core import incompatible
from .recurrent_cells import (GRUCell, LSTMCell, RNNCell, SimpleRNNCell, StackedRNNCells,
                              build_inside, drop_activity_regularizer, nested_layers)
from .topology import is_symbolic


def _sizes(state_size):
    return list(state_size) if isinstance(state_size, (list, tuple)) else [state_size]


def _step_dropout(like, rate):
    """A (batch, features) inverted-dropout mask drawn inside a node (every run anew)."""
    def core(xd):
        return rnn_ops.dropout_mask(xd.shape, rate), None
    return autodiff.apply("dropout_mask", core, (like,))


class RNN(Layer):
    """A recurrent layer over `cell`: a cell layer (state_size, call([x, *states])) or a
    list of cells, run one after another at each step (StackedRNNCells)."""

    supports_masking = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, input_dim=None, input_length=None, **kwargs):
        who = type(self).__name__
        cells = list(cell) if isinstance(cell, (list, tuple)) else [cell]
        if not cells or not all(isinstance(c, Layer) and hasattr(c, "state_size")
                                for c in cells):
            raise TypeError(f"{who}: argument 'cell' must be an RNN cell (a layer with a "
                            f"state_size, such as tn.layers.lstm_cell(...)) or a list of "
                            f"them, received {cell!r}")
        flags = {k: check_bool(v, who, k) for k, v in (
            ("return_sequences", return_sequences), ("return_state", return_state),
            ("go_backwards", go_backwards), ("stateful", stateful), ("unroll", unroll))}
        input_dim = check_int(input_dim, who, "input_dim", minimum=0, allow_none=True)
        input_length = check_int(input_length, who, "input_length", minimum=1, allow_none=True)
        if input_dim is not None or input_length is not None:  # Keras's reading of them
            given = [k for k in ("input_shape", "batch_input_shape") if kwargs.get(k) is not None]
            if given:
                raise ValueError(f"{who}: give one of 'input_shape', 'input_dim' and "
                                 f"'batch_input_shape', not several (received input_dim or "
                                 f"input_length and {' and '.join(given)})")
            kwargs["input_shape"] = (input_length, input_dim)
        super().__init__(**kwargs)
        # A list becomes a stack only now: a refused layer makes no layer at all.
        self.cell = StackedRNNCells(cells) if isinstance(cell, (list, tuple)) else cell
        for k, v in flags.items():
            setattr(self, k, v)
        self._state_vars = None  # stateful: the states carried between batches

    @property
    def state_sizes(self):
        return _sizes(self.cell.state_size)

    # -- applying: initial states are inputs of the node ---------------------------------
    def __call__(self, inputs, initial_state=None, training=None, mask=None, **kwargs):
        if "initialState" in kwargs:  # TF.js's spelling, in an apply() dict
            initial_state = kwargs.pop("initialState")
        if initial_state is not None:
            if isinstance(inputs, (list, tuple)):
                raise ValueError(f"{self.name}: give the initial states either in the inputs "
                                 f"list or as 'initial_state', not both")
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else \
                [initial_state]
            inputs = [inputs] + states
        if mask is None:
            return super().__call__(inputs, training=training, **kwargs)
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if any(is_symbolic(t) for t in items) or kwargs:
            raise TypeError(f"{self.name}: a mask argument is for calls on Tensors; in a "
                            f"functional model masks come from the layers that make them "
                            f"(an embedding with mask_zero=True, a masking layer)")
        if not self.built:
            shapes = [(None,) + tuple(t.shape[1:]) for t in items]
            self.build_for(shapes if len(items) > 1 else shapes[0])
        if not isinstance(mask, Tensor):
            mask = Tensor(np.asarray(mask))
        return self.call(inputs, training=bool(training), mask=mask)

    def _split_shapes(self, input_shape):
        if input_shape and isinstance(input_shape[0], (list, tuple)):
            return tuple(input_shape[0]), [tuple(s) for s in input_shape[1:]]
        return tuple(input_shape), []

    def build(self, input_shape):
        x_shape, state_shapes = self._split_shapes(input_shape)
        if len(x_shape) != 3:
            raise incompatible(self, f"expected ndim=3, found ndim={len(x_shape)} (shape "
                                     f"{shape_str(x_shape)})")
        if x_shape[-1] is None:
            raise incompatible(self, f"the last axis of the input must be defined, got shape "
                                     f"{shape_str(x_shape)}")
        self._check_state_shapes(state_shapes)
        build_inside(self, self.cell, (x_shape[0], x_shape[2]))
        self._features = int(x_shape[2])
        if self.stateful:
            # An eager call builds with a free batch axis: the declared shape has it.
            declared = self.batch_input_shape[0] if self.batch_input_shape else None
            self._batch = x_shape[0] if x_shape[0] is not None else declared
            self.reset_states()
        self.built = True

    def _check_state_shapes(self, state_shapes):
        sizes = self.state_sizes
        if state_shapes and (len(state_shapes) != len(sizes) or any(
                len(s) != 2 or s[-1] not in (None, n) for s, n in zip(state_shapes, sizes))):
            raise ValueError(f"{self.name}: the initial states must be {len(sizes)} tensor(s) "
                             f"of shapes {', '.join(f'[null,{n}]' for n in sizes)}, received "
                             f"{', '.join(shape_str(s) for s in state_shapes)}")

    def compute_output_shape(self, input_shape):
        x_shape, _ = self._split_shapes(input_shape)
        sizes = self.state_sizes
        out = (x_shape[0], x_shape[1], sizes[0]) if self.return_sequences else \
            (x_shape[0], sizes[0])
        if self.return_state:
            return [out] + [(x_shape[0], n) for n in sizes]
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        out = mask if self.return_sequences else None
        return [out] + [None] * len(self.state_sizes) if self.return_state else out

    # -- states of a stateful layer ------------------------------------------------------
    @property
    def states(self):
        """The current states of a stateful layer (Tensors), else a list of None."""
        if self._state_vars is None:
            return [None] * len(self.state_sizes)
        return [Tensor(v._data.copy()) for v in self._state_vars]

    def reset_states(self, states=None):
        """Stateful layers only: zeroes the states, or sets them to `states` (a Tensor or
        array per state, each (batch, units))."""
        if not self.stateful:
            raise AttributeError(f"{self.name}: cannot call reset_states() on an RNN layer "
                                 f"that is not stateful")
        batch = getattr(self, "_batch", None)
        if batch is None:
            raise ValueError(f"{self.name}: a stateful RNN needs to know its batch size: give "
                             f"the first layer batch_input_shape=[batch, time, features] (or "
                             f"tn.input(batch_shape=...))")
        sizes = self.state_sizes
        if states is None:
            values = [np.zeros((batch, n), np.float32) for n in sizes]
        else:
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            if len(states) != len(sizes):
                raise ValueError(f"{self.name}: expects {len(sizes)} state(s), received "
                                 f"{len(states)}")
            values = [np.asarray(s._data if isinstance(s, Tensor) else s, np.float32)
                      for s in states]
            for i, (v, n) in enumerate(zip(values, sizes)):
                if v.shape != (batch, n):
                    raise ValueError(f"{self.name}: state {i} must have shape [{batch},{n}], "
                                     f"received {list(v.shape)}")
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
        if x.rank != 3 or x.shape[2] != self._features:
            raise incompatible(self, f"expected shape [null,null,{self._features}], but got "
                                     f"shape {shape_str(x.shape)}")
        if x.shape[1] == 0:
            raise incompatible(self, "the input has no time steps")
        sizes = self.state_sizes
        if not states and self.stateful:
            states = self._state_vars
        if states:
            want = [(x.shape[0], n) for n in sizes]
            if len(states) != len(sizes) or any(tuple(s.shape) != w for s, w in zip(states, want)):
                raise ValueError(f"{self.name}: the initial states must be {len(sizes)} "
                                 f"tensor(s) of shapes {', '.join(map(str, map(list, want)))}, "
                                 f"received {', '.join(str(list(s.shape)) for s in states)}")
        x = x if x.dtype == "float32" else ops.cast(x, "float32")
        if self._fusable():
            seq, final = self._run_fused(x, states or None, mask, training)
        else:
            seq, final = self._run_steps(x, states or None, mask, training)
        if self.stateful:
            for var, s in zip(self._state_vars, final):
                self.update_state(var, s)
        out = seq if self.return_sequences else final[0]
        return [out] + final if self.return_state else out

    def _cells(self):
        return self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]

    def _fusable(self):
        return all(isinstance(c, RNNCell) and c.fused() is not None for c in self._cells())

    def _run_fused(self, x, states, mask, training):
        """One native node per cell; a stack runs cell after cell over whole sequences
        (the same values as step by step: cell k at step t reads cell k-1's output at t)."""
        cells = self._cells()
        if not states:
            per_cell = [None] * len(cells)
        else:
            per_cell = self.cell.split_states(states) if len(cells) > 1 else [states]
        finals = []
        backwards = self.go_backwards
        for k, (cell, init) in enumerate(zip(cells, per_cell)):
            kernel, act, rec = cell.fused()
            if k == 1 and backwards and mask is not None:
                mask = rnn_ops.reverse_time(mask)  # later cells read the sequence in step order
            out = rnn_ops.recurrent(
                kernel, x, cell.kernel.val, cell.recurrent_kernel.val,
                None if cell.bias is None else cell.bias.val, init or None, mask,
                backwards and k == 0, act, rec, cell.dropout if training else 0.0,
                cell.recurrent_dropout if training else 0.0)
            x = out[0]
            finals.append(list(out[1:]))
        return x, [s for f in reversed(finals) for s in f]

    def _run_steps(self, x, states, mask, training):
        """TF.js's rnn(): the cell's call at each step, masked steps keeping the states."""
        B = x.shape[0]
        if states is None:
            states = [zeros([B, n]) for n in self.state_sizes]
        steps = ops.unstack(x, axis=1)
        keep = None
        if mask is not None:
            keep = ops.unstack(ops.expand_dims(ops.cast(ops.cast(mask, "bool"), "float32"), -1),
                               axis=1)
        order = range(len(steps) - 1, -1, -1) if self.go_backwards else range(len(steps))
        for cell in self._cells():
            rates = (getattr(cell, "dropout", 0.0), getattr(cell, "recurrent_dropout", 0.0))
            if isinstance(cell, RNNCell):
                cell._step_masks = None
                if training and any(rates):
                    h = states[0]
                    cell._step_masks = (_step_dropout(steps[0], rates[0]) if rates[0] else None,
                                        _step_dropout(h, rates[1]) if rates[1] else None)
        outputs = []
        try:
            for t in order:
                out, *new = invoke_call(self.cell, [steps[t]] + list(states), training)
                if keep is not None:  # a masked step repeats state 0 and keeps the states
                    m, off = keep[t], ops.sub(1.0, keep[t])
                    out = ops.add(ops.mul(out, m), ops.mul(states[0], off))
                    new = [ops.add(ops.mul(n, m), ops.mul(s, off)) for n, s in zip(new, states)]
                states = new
                outputs.append(out)
        finally:
            for cell in self._cells():
                if isinstance(cell, RNNCell):
                    cell._step_masks = None
        return ops.stack(outputs, axis=1), list(states)

    # -- serialisation -------------------------------------------------------------------
    def _rnn_config(self):
        return {"return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll}

    def get_config(self):
        """TF.js's: the cell's config, then the layer's, then the RNN options (and, for
        the RNN class itself, the cell as {class_name, config})."""
        config = dict(self.cell.get_config())
        config.update(super().get_config())
        config.update(self._rnn_config())
        if type(self) is RNN:
            config["cell"] = {"class_name": self.cell.class_name,
                              "config": self.cell.get_config()}
        return config

    @classmethod
    def from_config(cls, config):
        # TF.js's config holds the cell's own keys beside the layer's (see get_config):
        # those are read from 'cell', anything else must be the layer's.
        extra = ()
        if isinstance(config, dict) and isinstance(config.get("cell"), dict) and \
                isinstance(config["cell"].get("config"), dict):
            extra = [k for k in config["cell"]["config"] if k not in ("name", "trainable",
                                                                      "dtype")]
        check_config(cls, config, extra)
        own = accepted_arguments(cls)[0]
        kept = {k: v for k, v in config.items() if k in own}
        return cls(**nested_layers(cls, kept, "cell"))


class _CellLayer(RNN):
    """An RNN over a cell made from the layer's own arguments (SimpleRNN, LSTM, GRU): the
    cell's arguments (units, activation, ...) and the RNN's, in one call as TF.js."""

    CELL = None

    def __init__(self, units, **kwargs):
        cell_args, _ = accepted_arguments(self.CELL)
        rnn_args, _ = accepted_arguments(RNN)
        unknown = [k for k in kwargs if k not in cell_args and k not in rnn_args]
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown argument"
                            f"{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(map(repr, unknown))}; accepted arguments: "
                            f"{', '.join(self.accepted_arguments())}")
        # The layer's own arguments (name, shapes, RNN options) go to the RNN, the rest
        # to the cell, which takes a fixed name (a refused layer leaves the name counters
        # alone).
        own = {k: kwargs.pop(k) for k in list(kwargs) if k in rnn_args and k != "cell"}
        try:
            cell = self.CELL(units, name="cell", **kwargs)
        except (TypeError, ValueError) as e:  # name the layer the user made, not its cell
            prefix = f"{self.CELL.__name__}:"
            text = str(e)
            if not text.startswith(prefix):
                raise
            raise type(e)(f"{type(self).__name__}:{text[len(prefix):]}") from None
        super().__init__(cell, **own)
        self.cell.name = f"{self.name}_cell"

    @classmethod
    def accepted_arguments(cls):
        cell_args, _ = accepted_arguments(cls.CELL)
        names = ["units"] + [k for k in cell_args if k not in ("units", "name", "trainable",
                                                               "dtype", "input_shape",
                                                               "batch_input_shape",
                                                               "batch_size", "input_dim")] + \
            [k for k in accepted_arguments(RNN)[0] if k != "cell"]
        return list(dict.fromkeys(names))  # each once (Layer's own come through both)

    @classmethod
    def from_config(cls, config):
        # The constructor refuses unknown keys with the full list of its arguments.
        config = drop_activity_regularizer(cls, config)
        check_config(cls, config, extra=config if isinstance(config, dict) else ())
        return cls(**config)

    # The cell's options read and set through the layer (lstm.units, gru.dropout = 0.2).
    _CELL_OPTIONS = ("units", "activation", "recurrent_activation", "use_bias",
                     "kernel_initializer", "recurrent_initializer", "bias_initializer",
                     "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                     "kernel_constraint", "recurrent_constraint", "bias_constraint",
                     "dropout", "recurrent_dropout", "implementation", "unit_forget_bias",
                     "reset_after")

    def __getattr__(self, name):
        if name in _CellLayer._CELL_OPTIONS and "cell" in self.__dict__:
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in _CellLayer._CELL_OPTIONS and "cell" in self.__dict__:
            setattr(self.__dict__["cell"], name, value)
        else:
            super().__setattr__(name, value)


class SimpleRNN(_CellLayer):
    """A fully connected RNN: h = activation(x kernel + bias + h_prev recurrent_kernel)."""
    CELL = SimpleRNNCell


class LSTM(_CellLayer):
    """Long short-term memory (Hochreiter 1997), TF.js's equations and defaults."""
    CELL = LSTMCell


class GRU(_CellLayer):
    """Gated recurrent unit (Cho et al. 2014); reset_after=False as TF.js."""
    CELL = GRUCell
