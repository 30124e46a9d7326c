"""Layers that move pixels without weights: UpSampling2D, ZeroPadding2D, Cropping2D
(TF.js's tfjs-layers/src/layers/convolutional.ts and padding.ts), channelsLast or
channelsFirst."""
import numbers

import numpy as np

from .._config import type_error, value_error
from ..core import ops
from ..core.tensor import Tensor
from .base import Layer
from .convolutional import check_data_format, from_last, to_last
from .core import incompatible


def _pairs(value, who, arg, minimum, nested=True):
    """An int, a pair (height, width), or (nested) ((top, bottom), (left, right)), as
    the latter."""
    def is_int(v):
        return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)

    def ok(v):
        return is_int(v) and v >= minimum
    expected = f"an int >= {minimum}, a pair of them" + (", or a pair of pairs" if nested else "")
    if ok(value):
        return ((int(value), int(value)), (int(value), int(value)))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        if all(ok(v) for v in value):
            return ((int(value[0]),) * 2, (int(value[1]),) * 2)
        if nested and all(isinstance(v, (list, tuple)) and len(v) == 2 and all(ok(u) for u in v)
                          for v in value):
            return tuple(tuple(int(u) for u in v) for v in value)
    if is_int(value) or isinstance(value, (list, tuple)):
        raise value_error(who, arg, expected, value)
    raise type_error(who, arg, expected, value)


class _Spatial(Layer):
    def _check(self, input_shape):
        if len(input_shape) != 4:
            raise incompatible(self, f"expected ndim=4, found ndim={len(input_shape)}")

    def _hw(self, input_shape):
        return (input_shape[2], input_shape[3]) if self.data_format == "channelsFirst" else \
            (input_shape[1], input_shape[2])

    def _with_hw(self, input_shape, h, w):
        if self.data_format == "channelsFirst":
            return (input_shape[0], input_shape[1], h, w)
        return (input_shape[0], h, w, input_shape[3])


class ZeroPadding2D(_Spatial):
    """Adds rows and columns of zeros around the image: padding an int, (rows, cols) or
    ((top, bottom), (left, right))."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        padding = _pairs(padding, "ZeroPadding2D", "padding", 0)
        fmt = check_data_format(data_format, "ZeroPadding2D")
        super().__init__(**kwargs)
        self.padding, self.data_format = padding, fmt

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        (t, b), (l, r) = self.padding
        h, w = self._hw(input_shape)
        return self._with_hw(input_shape, None if h is None else h + t + b,
                             None if w is None else w + l + r)

    def call(self, inputs, training=False):
        (t, b), (l, r) = self.padding
        pads = [[0, 0], [t, b], [l, r], [0, 0]]
        if self.data_format == "channelsFirst":
            pads = [[0, 0], [0, 0], [t, b], [l, r]]
        return ops.pad(inputs, pads)

    def get_config(self):
        config = {"padding": [list(p) for p in self.padding], "data_format": self.data_format}
        config.update(super().get_config())
        return config


class Cropping2D(_Spatial):
    """Removes rows and columns at the edges: cropping an int, (rows, cols) or
    ((top, bottom), (left, right))."""

    def __init__(self, cropping, data_format=None, **kwargs):
        cropping = _pairs(cropping, "Cropping2D", "cropping", 0)
        fmt = check_data_format(data_format, "Cropping2D")
        super().__init__(**kwargs)
        self.cropping, self.data_format = cropping, fmt

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        (t, b), (l, r) = self.cropping
        h, w = self._hw(input_shape)
        if (h is not None and h - t - b < 0) or (w is not None and w - l - r < 0):
            raise ValueError(f"{self.name}: cropping {list(self.cropping)} removes more than "
                             f"the input's {h}x{w}")
        return self._with_hw(input_shape, None if h is None else h - t - b,
                             None if w is None else w - l - r)

    def call(self, inputs, training=False):
        (t, b), (l, r) = self.cropping
        h, w = self._hw(inputs.shape)
        if self.data_format == "channelsFirst":
            return ops.slice(inputs, [0, 0, t, l], [-1, -1, h - t - b, w - l - r])
        return ops.slice(inputs, [0, t, l, 0], [-1, h - t - b, w - l - r, -1])

    def get_config(self):
        config = {"cropping": [list(p) for p in self.cropping], "data_format": self.data_format}
        config.update(super().get_config())
        return config


def _bilinear_matrix(size_in, size_out):
    """[size_out, size_in] weights of TF.js's resizeBilinear along one axis (corners not
    aligned, no half-pixel centers): output i reads input i * in / out, between its floor
    and ceil."""
    m = np.zeros((size_out, size_in), np.float32)
    scale = size_in / size_out
    for i in range(size_out):
        src = scale * i
        lo = int(np.floor(src))
        hi = min(size_in - 1, int(np.ceil(src)))
        frac = src - lo
        m[i, lo] += 1 - frac
        m[i, hi] += frac
    return m


class UpSampling2D(_Spatial):
    """Repeats rows and columns `size` times (nearest), or interpolates ('bilinear', as
    TF.js's resizeBilinear)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        (sh, _), (sw, _) = _pairs(size, "UpSampling2D", "size", 1, nested=False)
        fmt = check_data_format(data_format, "UpSampling2D")
        if interpolation not in ("nearest", "bilinear"):
            raise value_error("UpSampling2D", "interpolation", "'nearest' or 'bilinear'",
                              interpolation)
        super().__init__(**kwargs)
        self.size, self.data_format, self.interpolation = [sh, sw], fmt, interpolation

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        h, w = self._hw(input_shape)
        return self._with_hw(input_shape, None if h is None else h * self.size[0],
                             None if w is None else w * self.size[1])

    def call(self, inputs, training=False):
        x = to_last(inputs, self.data_format)
        n, h, w, c = x.shape
        sh, sw = self.size
        if self.interpolation == "nearest":
            y = ops.tile(ops.reshape(x, [n, h, 1, w, 1, c]), [1, 1, sh, 1, sw, 1])
            y = ops.reshape(y, [n, h * sh, w * sw, c])
        else:  # rows then columns, as two matrix products
            mh = Tensor(_bilinear_matrix(h, h * sh))
            mw = Tensor(_bilinear_matrix(w, w * sw))
            t = ops.transpose(x, [0, 3, 1, 2])                          # n c h w
            t = ops.matmul(ops.matmul(mh, ops.reshape(t, [n * c, h, w])),
                           ops.transpose(mw))                          # (n c) H W
            y = ops.transpose(ops.reshape(t, [n, c, h * sh, w * sw]), [0, 2, 3, 1])
        return from_last(y, self.data_format)

    def get_config(self):
        config = {"size": list(self.size), "data_format": self.data_format,
                  "interpolation": self.interpolation}
        config.update(super().get_config())
        return config
