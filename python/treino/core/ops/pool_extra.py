"""max_pool_with_argmax and pool (TF.js's maxPoolWithArgmax and pool): 2-D poolings on
top of the native max / average pools (pool.py).

max_pool_with_argmax returns the pool's maxima and where each came from, the flat index
(y * width + x) * channels + c of the first maximum in its image, plus b * height *
width * channels with include_batch_in_index (TF.js's formula). Its maxima have a
gradient (TF.js defines none), the indexes none.

pool with dilations > 1 follows TF.js: the image is moved into the batch with
space_to_batch_nd (zero padding for 'same', the padded zeros then taking part in the
max and the average as TF.js's do), pooled 'valid' with the undilated window, and moved
back with batch_to_space_nd; its gradient flows through those ops."""
import numpy as np

from ... import _kernels as K
from .. import autodiff
from .._args import is_int
from ._result import result_type
from ._util import contiguous
from .conv import _float_input, _pair, pads
from .pool import avg_pool, max_pool

MaxPoolWithArgmax = result_type("MaxPoolWithArgmax", ["result", "indexes"])


def max_pool_with_argmax(x, filter_size, strides, pad, include_batch_in_index=False):
    """TF.js maxPoolWithArgmax: x [n, h, w, c]; a result with .result (the max pool) and
    .indexes (int32, its shape), also readable as ['result'] / ['indexes'] or unpacked."""
    fn = "max_pool_with_argmax"
    x = _float_input(x, fn, "x", (4,))
    if not isinstance(include_batch_in_index, (bool, np.bool_)):
        raise TypeError(f"{fn}: argument 'include_batch_in_index' must be a bool, received "
                        f"{include_batch_in_index!r}")
    window = _pair(filter_size, fn, "filter_size")
    strides = _pair(strides, fn, "strides")
    padding = pads(fn, pad, x.shape[1:3], window, strides, (1, 1))
    if max(padding[:2]) >= window[0] or max(padding[2:]) >= window[1]:
        raise ValueError(f"{fn}: the padding {list(padding)} (top, bottom, left, right) must "
                         f"be smaller than the window {list(window)} along each axis")
    n, h, w, c = x.shape
    image = h * w * c
    if include_batch_in_index and n * image > np.iinfo(np.int32).max + 1:
        raise ValueError(f"{fn}: x of shape {list(x.shape)} has too many elements for int32 "
                         f"indexes that include the batch")
    offsets = (np.arange(n, dtype=np.int32) * image).reshape(-1, 1, 1, 1) \
        if include_batch_in_index else None

    def core(xd):
        y, argmax = K.max_pool_forward(xd, window, strides, padding, True)
        indexes = argmax + offsets if offsets is not None else argmax.copy()

        def backward(dys, needs):
            if dys[0] is None:
                return (None,)
            return (K.max_pool_backward(contiguous(dys[0]), argmax, xd.shape, window, strides,
                                        padding),)
        return (y, indexes), backward
    return MaxPoolWithArgmax(*autodiff.apply(fn, core, (x,)))


def _base_paddings(window, dilations):
    """'same' padding of the dilated window, the odd one at the end (TF.js's
    withSpaceToBatchBasePaddings)."""
    extra = [(k - 1) * r for k, r in zip(window, dilations)]
    return [[e // 2, e - e // 2] for e in extra]


def _space_to_batch_paddings(in_hw, dilations, base):
    """Paddings that make each padded extent a multiple of its block, and the crops that
    undo the extra (TF.js's requiredSpaceToBatchPaddings)."""
    extra = [(r - s % r) % r for s, r in zip(in_hw, dilations)]
    return ([[b[0], b[1] + e] for b, e in zip(base, extra)], [[0, e] for e in extra])


def pool(input, window_shape, pooling_type, pad, dilations=None, strides=None,  # noqa: A002
         dim_rounding_mode=None):
    """TF.js pool: an 'avg' or 'max' pooling of input [n, h, w, c] (or [h, w, c]) with
    window_shape, pad ('valid', 'same', a number or explicit), dilations and strides
    (default 1; one of them must be 1)."""
    fn = "pool"
    if pooling_type not in ("avg", "max"):
        raise ValueError(f"{fn}: argument 'pooling_type' must be 'avg' or 'max', received "
                         f"{pooling_type!r}")
    dilations = (1, 1) if dilations is None else _pair(dilations, fn, "dilations")
    strides = (1, 1) if strides is None else _pair(strides, fn, "strides")
    if is_int(pad) and pad == 0:
        pad = "valid"
    x = _float_input(input, fn, "x", (3, 4))
    unbatched = x.rank == 3
    if unbatched:
        from .shape import expand_dims
        x = expand_dims(x, 0)
    if max(strides) > 1 and max(dilations) > 1:
        raise ValueError(f"{fn}: either strides or dilations must be 1, received strides "
                         f"{list(strides)} and dilations {list(dilations)}")
    window = _pair(window_shape, fn, "window_shape")
    op = avg_pool if pooling_type == "avg" else max_pool
    if dilations == (1, 1):
        y = op(x, window, strides, pad, dim_rounding_mode)
    else:
        # Checks pad's form and that the dilated window fits, as TF.js's computePool2DInfo.
        pads(fn, pad, x.shape[1:3], window, strides, dilations, dim_rounding_mode)
        from .space import batch_to_space_nd, space_to_batch_nd
        base = _base_paddings(window, dilations) if pad == "same" else [[0, 0], [0, 0]]
        paddings, crops = _space_to_batch_paddings(x.shape[1:3], dilations, base)
        y = op(space_to_batch_nd(x, list(dilations), paddings), window, strides, "valid",
               dim_rounding_mode)
        y = batch_to_space_nd(y, list(dilations), crops)
    if unbatched:
        from .shape import squeeze
        y = squeeze(y, [0])
    return y


__all__ = ["max_pool_with_argmax", "pool"]
