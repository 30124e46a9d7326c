"""MaxPooling3D and AveragePooling3D (TF.js's tfjs-layers/src/layers/pooling.ts): windows
`pool_size` (default [2, 2, 2]) moved by `strides` (pool_size when None) over the depth,
height and width of [batch, depth, height, width, channels] volumes (channelsLast) or
[batch, channels, depth, height, width]; ops.max_pool3d / ops.avg_pool3d."""
from ..core.ops.pool3d import avg_pool3d, max_pool3d
from .convolutional import from_last, to_last
from .core import incompatible
from .pooling import _Pooling


class _Pooling3D(_Pooling):
    rank = 3

    def call(self, inputs, training=False):
        if inputs.rank != 5:
            raise incompatible(self, f"expected ndim=5, got shape {list(inputs.shape)}")
        y = self._pool(to_last(inputs, self.data_format), self.pool_size, self.strides,
                       self.padding)
        return from_last(y, self.data_format)


class MaxPooling3D(_Pooling3D):

    @staticmethod
    def _pool(x, pool, strides, padding):
        return max_pool3d(x, pool, strides, padding)


class AveragePooling3D(_Pooling3D):

    @staticmethod
    def _pool(x, pool, strides, padding):
        return avg_pool3d(x, pool, strides, padding)
