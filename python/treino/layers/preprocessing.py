"""Preprocessing layers: Rescaling, CenterCrop and CategoryEncoding (TF.js's
tfjs-layers/src/layers/preprocessing/).

Rescaling and CenterCrop are compositions of ops, so a model can train through them;
CategoryEncoding turns integer ids into one-hot, multi-hot or count vectors (one node,
no gradient: its input is integers).
"""
import numpy as np

from .._config import check_choice, check_int, check_number
from ..core import autodiff, ops
from ..core.ops._util import contiguous, tensor_arg
from ..core.tensor import Tensor
from .base import Layer, shape_str
from .core import incompatible
from .topology import is_symbolic


class Rescaling(Layer):
    """x * scale + offset, in float32 (other dtypes are cast first): e.g. scale=1/255
    maps pixel values to [0, 1], scale=1/127.5 with offset=-1 to [-1, 1]."""

    output_dtype = "float32"  # whatever the input's dtype (see topology._output_dtype)

    def __init__(self, scale, offset=None, **kwargs):
        scale = check_number(scale, "Rescaling", "scale")
        # TF.js: `args.offset` or 0 (null in a config is 0 too).
        offset = 0.0 if offset is None else check_number(offset, "Rescaling", "offset")
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs, training=False):
        x = inputs if inputs.dtype == "float32" else ops.cast(inputs, "float32")
        return ops.add(ops.mul(x, self.scale), self.offset)

    def get_config(self):
        config = {"scale": self.scale, "offset": self.offset}
        config.update(super().get_config())
        return config


# The largest image height or width an output may have: TF.js's sizes are int32. The
# constructors take any positive int, as TF.js's; a call past this raises instead of
# reaching numpy, which allocates what it is asked for and takes np.arange(2**63) for an
# empty range.
MAX_IMAGE_SIZE = 2 ** 31 - 1


def check_output_size(layer):
    """Refuses a call of `layer` whose height or width exceeds MAX_IMAGE_SIZE."""
    for arg in ("height", "width"):
        value = getattr(layer, arg)
        if value > MAX_IMAGE_SIZE:
            raise ValueError(f"{layer.name}: argument '{arg}' must be at most "
                             f"{MAX_IMAGE_SIZE} to compute an output (TF.js's sizes are "
                             f"int32), received {value}")


def _nearest_crop(size, out, start):
    """(indices, valid) along one axis for TF.js's centre crop, which is cropAndResize
    with the method 'nearest' over the box [start / size, (start + out) / size]: the box
    is float32, the source position (box[0] * (size - 1) + i * scale) is computed in
    double and rounded half up; a position past the image reads 0. Apart from rare
    float rounding at the far edge this is the plain slice [start, start + out)."""
    lo = float(np.float32(start / size))
    hi = float(np.float32((out + start) / size))
    if out > 1:
        step = (hi - lo) * (size - 1) / (out - 1)
        # Vectorised (one float64 multiply and add per position, as the scalar formula):
        # the window's size comes from the config and may be huge.
        pos = lo * (size - 1) + np.arange(out, dtype=np.float64) * step
    else:
        pos = np.array([0.5 * (lo + hi) * (size - 1)])
    valid = (pos >= 0) & (pos <= size - 1)
    near = np.floor(pos)
    near = near + (pos - near >= 0.5)  # JavaScript's Math.round: halves go up
    return np.clip(near, 0, size - 1).astype(np.int32), valid


def _indices(a):
    return Tensor(np.ascontiguousarray(a, np.int32))


def _bilinear(size, out):
    """(floor indices, ceil indices, fractions) along one axis for TF.js's
    resizeBilinear without aligned corners or half-pixel centres."""
    ratio = size / out
    src = ratio * np.arange(out, dtype=np.float64)
    lo = np.maximum(0, np.floor(src))
    return lo.astype(np.int32), np.minimum(size - 1, np.ceil(src)).astype(np.int32), src - lo


class CenterCrop(Layer):
    """The central height x width window of images [batch, height, width, channels]
    (or one image [height, width, channels]). As TF.js: an odd difference leaves the
    extra row or column after the window, except that a width larger by exactly 1
    drops the first column (TF.js moves a zero column offset to 1; for some widths, 16
    -> 15 among them, its float32 crop box then puts the last column just past the
    image, where it reads 0); when the image is smaller than the window along either axis,
    the whole image is resized (bilinear) to height x width instead. The output keeps
    the input's dtype."""

    def __init__(self, height, width, **kwargs):
        height = check_int(height, "CenterCrop", "height", minimum=1)
        width = check_int(width, "CenterCrop", "width", minimum=1)
        super().__init__(**kwargs)
        self.height, self.width = height, width

    def _check_rank(self, shape):
        if len(shape) not in (3, 4):
            raise incompatible(self, f"expected images of rank 4 ([batch, height, width, "
                                     f"channels]) or 3, got shape {shape_str(shape)}")

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])

    def call(self, inputs, training=False):
        self._check_rank(inputs.shape)
        check_output_size(self)
        h_in, w_in = inputs.shape[-3], inputs.shape[-2]
        h_start = (h_in - self.height) // 2 if h_in != self.height else 0
        w_start = (w_in - self.width) // 2 if w_in != self.width else 0
        if w_in != self.width and w_start == 0:
            w_start = 1  # TF.js's rule (see the class docstring)
        if h_start < 0 or w_start < 0:
            return self._resize(inputs)
        return self._crop(inputs, (h_start, w_start))

    def _crop(self, x, starts):
        rank = x.rank
        valid_all = []
        for axis, size, out, start in ((rank - 3, x.shape[-3], self.height, starts[0]),
                                       (rank - 2, x.shape[-2], self.width, starts[1])):
            idx, valid = _nearest_crop(size, out, start)
            valid_all.append(valid)
            if np.array_equal(idx, np.arange(idx[0], idx[0] + out)):
                x = ops.slice(x, [0] * axis + [int(idx[0])], [-1] * axis + [out])
            else:
                x = ops.gather(x, _indices(idx), axis)
        keep = valid_all[0][:, None, None] & valid_all[1][None, :, None]
        if not keep.all():  # positions past the image read 0 (cropAndResize's extrapolation)
            x = ops.where(Tensor(np.ascontiguousarray(keep)), x, 0)
        return x

    def _resize(self, x):
        r0, r1, rf = _bilinear(x.shape[-3], self.height)
        c0, c1, cf = _bilinear(x.shape[-2], self.width)
        if x.dtype != "float32":
            # Integer images: computed in double as TF.js does, then truncated back
            # (no gradient flows into integers anyway).
            def core(xd):
                v = xd.astype(np.float64)
                top, bot = v[..., r0, :, :], v[..., r1, :, :]
                cfc = cf[:, None]
                top = top[..., c0, :] + (top[..., c1, :] - top[..., c0, :]) * cfc
                bot = bot[..., c0, :] + (bot[..., c1, :] - bot[..., c0, :]) * cfc
                y = (top + (bot - top) * rf[:, None, None]).astype(np.float32)
                return contiguous(np.trunc(y).astype(xd.dtype)), None
            return autodiff.apply("center_crop_resize", core, (x,))
        a = x.rank - 3
        top, bot = ops.gather(x, _indices(r0), a), ops.gather(x, _indices(r1), a)
        cfc = Tensor(np.ascontiguousarray(cf[:, None], np.float32))
        rfc = Tensor(np.ascontiguousarray(rf[:, None, None], np.float32))

        def lerp_cols(t):
            left, right = ops.gather(t, _indices(c0), a + 1), ops.gather(t, _indices(c1), a + 1)
            return ops.add(left, ops.mul(ops.sub(right, left), cfc))
        top, bot = lerp_cols(top), lerp_cols(bot)
        return ops.add(top, ops.mul(ops.sub(bot, top), rfc))

    def get_config(self):
        config = {"height": self.height, "width": self.width}
        config.update(super().get_config())
        return config


_MODES = {"multihot": "multiHot", "onehot": "oneHot", "count": "count"}
_MODES_SNAKE = {"multiHot": "multi_hot", "oneHot": "one_hot", "count": "count"}


class CategoryEncoding(Layer):
    """Integer ids in [0, num_tokens) -> float32 vectors of num_tokens (TF.js's rules):
    'multiHot' (the default): one row per sample of ids [batch, k] (or one for a vector
    of ids), 1 where an id occurs; 'count': how many times each id occurs (or the sum of
    `count_weights`, given at call time as layer(x, count_weights=w)); 'oneHot': one row
    per id of [batch] or [batch, 1] ids. Float ids are truncated, as TF.js casts them;
    an id outside [0, num_tokens) raises. The output has rank 2 at most."""

    output_dtype = "float32"

    def __init__(self, num_tokens, output_mode=None, **kwargs):
        num_tokens = check_int(num_tokens, "CategoryEncoding", "num_tokens", minimum=1)
        # TF.js: `args.outputMode` or 'multiHot'; 'int' and 'tfIdf' are TF.js's
        # StringLookup modes, not CategoryEncoding's (Keras 3 refuses them too).
        mode = "multiHot" if output_mode is None else check_choice(
            output_mode, _MODES, "CategoryEncoding", "output_mode")
        super().__init__(**kwargs)
        self.num_tokens, self.output_mode = num_tokens, mode

    def _work_shape(self, shape):
        """The shape the ids are counted in: a vector (one output row) or a matrix (one
        output row per row), TF.js's encodeCategoricalInputs rules."""
        work = tuple(shape) if shape else (1,)
        if self.output_mode == "oneHot" and work[-1] != 1:
            work = work + (1,)
        if len(work) > 2:
            raise incompatible(self, f"when output_mode is not 'int', the output rank is 2 at "
                                     f"most: received output_mode '{self.output_mode}' and input "
                                     f"shape {shape_str(shape)}, which would give an output of "
                                     f"rank {len(work)}")
        return work

    def compute_output_shape(self, input_shape):
        work = self._work_shape(input_shape)
        return work[:-1] + (self.num_tokens,)

    def __call__(self, inputs, training=None, count_weights=None, **kwargs):
        if "countWeights" in kwargs:  # TF.js's spelling, in an apply() dict
            count_weights = kwargs.pop("countWeights")
        if count_weights is None:
            return super().__call__(inputs, training=training, **kwargs)
        if self.output_mode != "count":
            raise ValueError(f"{self.name}: count_weights is used only when output_mode is "
                             f"'count', received output_mode '{self.output_mode}'")
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            inputs = inputs[0]
        if is_symbolic(inputs) or is_symbolic(count_weights) or kwargs:
            raise TypeError(f"{self.name}: count_weights is for calls on Tensors (with no "
                            f"other arguments), received inputs of type "
                            f"{type(inputs).__name__}"
                            + (f" and arguments {list(kwargs)}" if kwargs else ""))
        if not isinstance(inputs, Tensor):
            raise TypeError(f"{self.name}: input must be a Tensor, received "
                            f"{type(inputs).__name__}")
        if not self.built:
            self.build_for((None,) + tuple(inputs.shape[1:]))
        return self.call(inputs, count_weights=count_weights)

    def call(self, inputs, training=False, count_weights=None):
        work = self._work_shape(inputs.shape)
        n, binary = self.num_tokens, self.output_mode != "count"
        out_shape = work[:-1] + (n,)
        # Float ids are truncated as TF.js casts them (JavaScript's ToInt32).
        args = (inputs if inputs.dtype == "int32" else ops.cast(inputs, "int32"),)
        if count_weights is not None:
            w = tensor_arg(count_weights, f"{self.name}", "count_weights")
            if w.shape != inputs.shape:
                raise ValueError(f"{self.name}: count_weights must have the inputs' shape "
                                 f"{shape_str(inputs.shape)}, received {shape_str(w.shape)}")
            args += (w,)
        name = self.name

        def core(ids, wd=None):
            if ids.size and (ids.min() < 0 or ids.max() >= n):
                raise ValueError(f"{name}: input values must be in [0, num_tokens) with "
                                 f"num_tokens={n}, received values from {int(ids.min())} to "
                                 f"{int(ids.max())}")
            rows = ids.reshape(-1, work[-1])
            out = np.zeros((rows.shape[0], n), np.float32)
            r = np.repeat(np.arange(rows.shape[0]), rows.shape[1])
            if binary:
                out[r, rows.ravel()] = 1
            else:
                np.add.at(out, (r, rows.ravel()),
                          1 if wd is None else wd.astype(np.float32).ravel())
            return contiguous(out.reshape(out_shape)), None
        return autodiff.apply("category_encoding", core, args)

    def get_config(self):
        # The model.json spelling TF.js writes ('multi_hot'); both spellings load.
        config = {"num_tokens": self.num_tokens, "output_mode": _MODES_SNAKE[self.output_mode]}
        config.update(super().get_config())
        return config
