"""Moving values between the batch or depth axis and the spatial axes:
space_to_batch_nd, batch_to_space_nd (each the other's gradient) and depth_to_space.
Each is a pad or crop and a fixed permutation, as TensorFlow defines them."""
import numpy as np

from .. import autodiff
from .._args import int_arg
from ._util import contiguous, tensor_arg
from .shape import _ints


def _block_args(fn, x, block_shape, pairs, pairs_arg):
    x = tensor_arg(x, fn)
    block = _ints(block_shape, fn, "block_shape")
    m = len(block)
    if m < 1 or any(b < 1 for b in block):
        raise ValueError(f"{fn}: argument 'block_shape' must be a non-empty list of ints "
                         f">= 1, received {block}")
    if x.rank < m + 1:
        raise ValueError(f"{fn}: x must have rank >= {m + 1} (a batch axis and "
                         f"{m} spatial axes), received shape {list(x.shape)}")
    try:
        pads = [tuple(_ints(p, fn, pairs_arg)) for p in pairs]
    except TypeError:
        raise TypeError(f"{fn}: argument '{pairs_arg}' must be a list of [start, end] "
                        f"pairs, received {pairs!r}") from None
    if len(pads) != m or any(len(p) != 2 or min(p) < 0 for p in pads):
        raise ValueError(f"{fn}: argument '{pairs_arg}' must hold {m} non-negative "
                         f"[start, end] pairs (one per block axis), received {pairs!r}")
    return x, block, pads


def _to_batch(xd, block, pads):
    m = len(block)
    padded = np.pad(xd, [(0, 0)] + list(pads) + [(0, 0)] * (xd.ndim - 1 - m))
    b, rest = xd.shape[0], padded.shape[1 + m:]
    split = [b]
    for d, bs in enumerate(block):
        split += [padded.shape[1 + d] // bs, bs]
    y = padded.reshape(split + list(rest))
    perm = [2 + 2 * d for d in range(m)] + [0] + [1 + 2 * d for d in range(m)] + \
        list(range(1 + 2 * m, y.ndim))
    y = y.transpose(perm)
    return contiguous(y.reshape([b * int(np.prod(block))] + split[1::2] + list(rest)))


def _to_space(xd, block, crops):
    m = len(block)
    prod = int(np.prod(block))
    b, spatial, rest = xd.shape[0] // prod, xd.shape[1:1 + m], xd.shape[1 + m:]
    y = xd.reshape(list(block) + [b] + list(spatial) + list(rest))
    perm = [m]
    for d in range(m):
        perm += [m + 1 + d, d]
    perm += list(range(2 * m + 1, y.ndim))
    y = y.transpose(perm).reshape([b] + [s * bs for s, bs in zip(spatial, block)] + list(rest))
    idx = (slice(None),) + tuple(slice(c0, y.shape[1 + d] - c1) for d, (c0, c1) in enumerate(crops))
    return contiguous(y[idx])


def space_to_batch_nd(x, block_shape, paddings):
    """Pads the spatial axes 1..M of x by `paddings`, splits each into blocks of
    block_shape and moves the block offsets into the batch axis: shape
    [batch * prod(block_shape), padded_i / block_i ..., rest...]."""
    fn = "space_to_batch_nd"
    x, block, pads = _block_args(fn, x, block_shape, paddings, "paddings")
    for d, (bs, (p0, p1)) in enumerate(zip(block, pads)):
        if (x.shape[1 + d] + p0 + p1) % bs:
            raise ValueError(f"{fn}: axis {1 + d} of extent {x.shape[1 + d]} padded by "
                             f"{[p0, p1]} is not divisible by its block size {bs}")

    def core(xd):
        y = _to_batch(xd, block, pads)
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: (_to_space(dy, block, pads),)
    return autodiff.apply(fn, core, (x,))


def batch_to_space_nd(x, block_shape, crops):
    """The inverse of space_to_batch_nd: moves blocks of the batch axis back into the
    spatial axes 1..M, then crops them by `crops`."""
    fn = "batch_to_space_nd"
    x, block, cr = _block_args(fn, x, block_shape, crops, "crops")
    prod = int(np.prod(block))
    if x.shape[0] % prod:
        raise ValueError(f"{fn}: the batch extent {x.shape[0]} must be divisible by the "
                         f"product of block_shape {block} ({prod})")
    for d, (bs, (c0, c1)) in enumerate(zip(block, cr)):
        if c0 + c1 > x.shape[1 + d] * bs:
            raise ValueError(f"{fn}: crops {[c0, c1]} of axis {1 + d} exceed its extent "
                             f"{x.shape[1 + d] * bs}")

    def core(xd):
        y = _to_space(xd, block, cr)
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: (_to_batch(dy, block, cr),)
    return autodiff.apply(fn, core, (x,))


def depth_to_space(x, block_size, data_format="NHWC"):
    """Moves blocks of the channel axis of a 4-D x into block_size x block_size patches
    of the height and width axes: [b, h, w, c] -> [b, h * s, w * s, c / s^2] (NHWC), or
    [b, c, h, w] -> [b, c / s^2, h * s, w * s] (NCHW)."""
    fn = "depth_to_space"
    x = tensor_arg(x, fn)
    if x.rank != 4:
        raise ValueError(f"{fn}: x must have rank 4, received shape {list(x.shape)}")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{fn}: argument 'data_format' must be 'NHWC' or 'NCHW', received "
                         f"{data_format!r}")
    s = int_arg(block_size, fn, "block_size", 2)
    nhwc = data_format == "NHWC"
    b, h, w, c = x.shape if nhwc else (x.shape[0], x.shape[2], x.shape[3], x.shape[1])
    if c % (s * s):
        raise ValueError(f"{fn}: the channel extent {c} must be divisible by block_size^2 "
                         f"= {s * s} (x shape {list(x.shape)})")
    cd = c // (s * s)
    if nhwc:
        split, perm, out = [b, h, w, s, s, cd], [0, 1, 3, 2, 4, 5], [b, h * s, w * s, cd]
    else:
        split, perm, out = [b, s, s, cd, h, w], [0, 3, 4, 1, 5, 2], [b, cd, h * s, w * s]
    inverse = list(np.argsort(perm))
    moved = [split[p] for p in perm]

    def core(xd):
        y = contiguous(xd.reshape(split).transpose(perm).reshape(out))
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: (
            contiguous(dy.reshape(moved).transpose(inverse).reshape(xd.shape)),)
    return autodiff.apply(fn, core, (x,))
