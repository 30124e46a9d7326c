"""Pooling layers (TF.js's tfjs-layers/src/layers/pooling.ts): MaxPooling1D/2D and
AveragePooling1D/2D over windows (native kernels through ops.max_pool / ops.avg_pool),
and the global poolings, which reduce the spatial axes."""
from ..core import ops
from .base import Layer
from .convolutional import check_data_format, conv_output_length, from_last, ints, \
    padding_mode, to_last
from .core import incompatible


class _Pooling(Layer):
    """A window `pool_size` moved by `strides` (pool_size when None) with 'valid' or
    'same' padding."""

    rank = 2

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        who = type(self).__name__
        pool = ints(pool_size, self.rank, who, "pool_size")
        strides = pool if strides is None else ints(strides, self.rank, who, "strides")
        padding = padding_mode(padding, who)
        fmt = check_data_format(data_format, who)
        super().__init__(**kwargs)
        self.pool_size, self.strides, self.padding, self.data_format = pool, strides, padding, fmt

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise incompatible(self, f"expected ndim={self.rank + 2}, found "
                                     f"ndim={len(input_shape)}")
        first = self.data_format == "channelsFirst"
        space = input_shape[2:] if first else input_shape[1:-1]
        out = [conv_output_length(d, k, self.padding, s) for d, k, s in zip(
            space, self.pool_size, self.strides)]
        return (input_shape[0], input_shape[1], *out) if first else \
            (input_shape[0], *out, input_shape[-1])

    def call(self, inputs, training=False):
        if inputs.rank != self.rank + 2:
            raise incompatible(self, f"expected ndim={self.rank + 2}, got shape "
                                     f"{list(inputs.shape)}")
        x = to_last(inputs, self.data_format)
        if self.rank == 1:
            x = ops.expand_dims(x, 1)
        pool = self.pool_size if self.rank == 2 else [1] + self.pool_size
        strides = self.strides if self.rank == 2 else [1] + self.strides
        y = self._pool(x, pool, strides, self.padding)
        if self.rank == 1:
            y = ops.squeeze(y, [1])
        return from_last(y, self.data_format)

    def get_config(self):
        config = {"pool_size": list(self.pool_size), "padding": self.padding,
                  "strides": list(self.strides), "data_format": self.data_format}
        if self.rank == 1:  # TF.js's 1-D poolings have no data format
            del config["data_format"]
        config.update(super().get_config())
        return config


class MaxPooling2D(_Pooling):
    rank = 2

    @staticmethod
    def _pool(x, pool, strides, padding):
        return ops.max_pool(x, pool, strides, padding)


class AveragePooling2D(_Pooling):
    rank = 2

    @staticmethod
    def _pool(x, pool, strides, padding):
        return ops.avg_pool(x, pool, strides, padding)


class MaxPooling1D(MaxPooling2D):
    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


class AveragePooling1D(AveragePooling2D):
    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


class _GlobalPooling(Layer):
    """Reduces every spatial axis (steps, or height and width)."""

    rank = 2

    def __init__(self, data_format=None, **kwargs):
        fmt = check_data_format(data_format, type(self).__name__)
        super().__init__(**kwargs)
        self.data_format = fmt

    def _axes(self):
        first = self.data_format == "channelsFirst"
        return list(range(2, self.rank + 2)) if first else list(range(1, self.rank + 1))

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise incompatible(self, f"expected ndim={self.rank + 2}, found "
                                     f"ndim={len(input_shape)}")
        return (input_shape[0], input_shape[1] if self.data_format == "channelsFirst"
                else input_shape[-1])

    def call(self, inputs, training=False):
        if inputs.rank != self.rank + 2:
            raise incompatible(self, f"expected ndim={self.rank + 2}, got shape "
                                     f"{list(inputs.shape)}")
        return self._reduce(inputs, self._axes())

    def get_config(self):
        config = {"data_format": self.data_format} if self.rank == 2 else {}
        config.update(super().get_config())
        return config


class GlobalAveragePooling2D(_GlobalPooling):
    rank = 2
    _reduce = staticmethod(ops.mean)


class GlobalMaxPooling2D(_GlobalPooling):
    rank = 2
    _reduce = staticmethod(ops.max)


class GlobalAveragePooling1D(_GlobalPooling):
    rank = 1
    _reduce = staticmethod(ops.mean)


class GlobalMaxPooling1D(_GlobalPooling):
    rank = 1
    _reduce = staticmethod(ops.max)
