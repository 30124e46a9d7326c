"""RepeatVector and Permute (TF.js's layers/core.ts): moving a sequence's axes around."""
from .._config import check_int, is_int, type_error, value_error
from ..core import ops
from .base import Layer, shape_str
from .core import incompatible


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the input repeated n times, e.g. an
    encoder's summary fed to every step of a decoder."""

    def __init__(self, n, **kwargs):
        n = check_int(n, "RepeatVector", "n", minimum=1)
        super().__init__(**kwargs)
        self.n = n

    def _check_rank(self, shape):
        if len(shape) != 2:
            raise incompatible(self, f"expected ndim=2, found ndim={len(shape)} (shape "
                                     f"{shape_str(shape)})")

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs, training=False):
        self._check_rank(inputs.shape)
        return ops.tile(ops.expand_dims(inputs, 1), [1, self.n, 1])

    def get_config(self):
        config = {"n": self.n}
        config.update(super().get_config())
        return config


class Permute(Layer):
    """Permutes the axes after the batch axis: dims is a permutation of 1..rank-1 (the
    batch axis is 0 and stays), e.g. dims=[2, 1] swaps time and features."""

    def __init__(self, dims, **kwargs):
        expected = "a permutation of 1, 2, ..., n (the axes after the batch axis)"
        if not isinstance(dims, (list, tuple)) or not dims:
            raise type_error("Permute", "dims", expected, dims)
        for d in dims:
            if not is_int(d):
                raise type_error("Permute", "dims", expected, dims, item=d)
        if sorted(int(d) for d in dims) != list(range(1, len(dims) + 1)):
            raise value_error("Permute", "dims", expected, dims)
        super().__init__(**kwargs)
        self.dims = [int(d) for d in dims]

    def _check_rank(self, shape):
        if len(shape) != len(self.dims) + 1:
            raise incompatible(self, f"dims {self.dims} permute {len(self.dims)} axes, but the "
                                     f"input has shape {shape_str(shape)}")

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs, training=False):
        self._check_rank(inputs.shape)
        return ops.transpose(inputs, [0] + self.dims)

    def get_config(self):
        config = {"dims": list(self.dims)}
        config.update(super().get_config())
        return config

