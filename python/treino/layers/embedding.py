"""The layers that start a sequence model and make its mask: Embedding (TF.js's
layers/embeddings.ts) and Masking (core.ts).

Embedding maps integer ids (int32, or float ids truncated as TF.js casts them) to rows of
a learned table: one native row gather forward, one deterministic native scatter-add
backward (core/ops/rnn.py). With mask_zero=True, id 0 is padding: the layer's mask
(ids != 0) reaches the recurrent layers after it, which skip those steps.
"""
from .. import constraints as _constraints
from .. import initializers as _initializers
from .. import regularizers as _regularizers
import numpy as np

from .._config import check_bool, check_int, check_number, is_int, type_error, value_error
from ..core import autodiff, ops
from ..core.ops.rnn import embedding_lookup
from .base import Layer, shape_str
from .core import components, incompatible
from .recurrent_cells import drop_activity_regularizer


def _input_length(value):
    """None, an int >= 1, or a list of them (None for a free axis): TF.js's inputLength."""
    if value is None:
        return None
    expected = "an int >= 1, None, or a non-empty list of them"
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for d in items:
        if d is not None and not is_int(d):
            raise type_error("Embedding", "input_length", expected, value, item=d)
    if not items or any(d is not None and d < 1 for d in items):
        raise value_error("Embedding", "input_length", expected, value)
    if isinstance(value, (list, tuple)):
        return [None if d is None else int(d) for d in items]
    return int(value)


class Embedding(Layer):
    """output[..., :] = embeddings[input[...]]: (batch, ...) ids -> (batch, ..., output_dim).
    input_dim: the vocabulary size (ids in [0, input_dim)); input_length: the sequence
    length when fixed (a list for more axes), which gives the layer its input shape."""

    output_dtype = "float32"  # whatever the ids' dtype (see topology._output_dtype)

    def __init__(self, input_dim, output_dim, embeddings_initializer="randomUniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 input_length=None, **kwargs):
        who = "Embedding"
        config = {
            "input_dim": check_int(input_dim, who, "input_dim", minimum=1),
            "output_dim": check_int(output_dim, who, "output_dim", minimum=1),
            **components(who, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint),
            # TF.js leaves maskZero undefined unless given (null in a config: false).
            "mask_zero": False if mask_zero is None else check_bool(mask_zero, who, "mask_zero"),
            "input_length": _input_length(input_length),
        }
        if kwargs.get("input_shape") is None and kwargs.get("batch_input_shape") is None:
            # TF.js: an embedding always knows its input shape, [batch, *input_length].
            lens = config["input_length"]
            lens = [None] if lens is None else lens if isinstance(lens, list) else [lens]
            batch = check_int(kwargs.pop("batch_size", None), who, "batch_size", minimum=1,
                              allow_none=True)
            kwargs["batch_input_shape"] = [batch] + lens
        super().__init__(**kwargs)
        for arg, value in config.items():
            setattr(self, arg, value)
        self.embeddings = None

    @property
    def supports_masking(self):
        return self.mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer,
                                          self.embeddings_regularizer,
                                          self.embeddings_constraint)
        self.built = True

    def _lengths(self, input_shape):
        """The id axes' sizes: the input's, checked against input_length."""
        lens = self.input_length
        if lens is None:
            return list(input_shape[1:])
        lens = lens if isinstance(lens, list) else [lens]
        got = list(input_shape[1:])
        if len(lens) != len(got) or any(a is not None and b is not None and a != b
                                        for a, b in zip(lens, got)):
            raise incompatible(self, f"input_length is {self.input_length}, but the input has "
                                     f"shape {shape_str(input_shape)}")
        return [b if a is None else a for a, b in zip(lens, got)]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._lengths(input_shape), self.output_dim)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def call(self, inputs, training=False):
        self._lengths(inputs.shape)
        return embedding_lookup(self.embeddings.val, inputs)

    def get_config(self):
        config = {
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": _initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": _regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": None,  # TF.js writes the key; treino has none
            "embeddings_constraint": _constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        }
        config.update(super().get_config())
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config(drop_activity_regularizer(cls, config))


def _keep_steps(x, mask_value):
    """(batch, ...) bool: the positions whose features are not all mask_value (a node
    without gradient)."""
    def core(xd):
        return np.ascontiguousarray(np.any(xd != np.float32(mask_value), axis=-1)), None
    return autodiff.apply("masking_mask", core, (x,))


class Masking(Layer):
    """Masks the time steps whose features all equal mask_value: they are zeroed, and the
    mask (batch, time) tells the recurrent layers after it to skip them."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        mask_value = check_number(mask_value, "Masking", "mask_value")
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return _keep_steps(inputs, self.mask_value)

    def call(self, inputs, training=False):
        value = np.float32(self.mask_value)

        def core(xd):
            keep = np.any(xd != value, axis=-1, keepdims=True).astype(xd.dtype)
            return xd * keep, lambda dy, needs: (dy * keep,)
        return autodiff.apply("masking", core, (inputs,))

    def get_config(self):
        config = {"mask_value": self.mask_value}
        config.update(super().get_config())
        return config
