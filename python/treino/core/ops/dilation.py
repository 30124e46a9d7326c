"""dilation2d (TF.js's dilation2d): grayscale morphological dilation of NHWC images by a
per-channel structuring element, y[b, i, j, c] = max over the taps (p, q) inside the
image of x[b, i * sh - top + p * rh, j * sw - left + q * rw, c] + filter[p, q, c].

As TF.js's kernels (and TensorFlow's): the running maximum starts at -(2^53 - 1)
(Number.MIN_SAFE_INTEGER), taps outside the image are skipped, a tap replaces it only
when strictly greater, so the gradient of each output goes to its first maximum in (p,
q) order: the input gradient to that pixel, the filter gradient to that tap. A window
with no tap above the start value sends its input gradient to its top-left pixel inside
the image and its filter gradient to tap (0, 0), as TF.js does. Vectorised numpy, one
pass per tap."""
import numpy as np

from .. import autodiff
from .conv import _float_input, _pair, pads

_START = np.float32(-9007199254740991.0)


def dilation2d(x, filter, strides, pad, dilations=1, data_format="NHWC"):  # noqa: A002
    """TF.js dilation2d: x [n, h, w, c] (or [h, w, c]), filter [fh, fw, c]; strides and
    dilations an int or (height, width); pad 'valid' or 'same' (for the dilated filter)."""
    fn = "dilation2d"
    x = _float_input(x, fn, "x", (3, 4))
    f = _float_input(filter, fn, "filter", (3,))
    if data_format != "NHWC":
        raise ValueError(f"{fn}: argument 'data_format' must be 'NHWC' (the only layout TF.js "
                         f"supports here), received {data_format!r}")
    if not isinstance(pad, str) or pad not in ("valid", "same"):
        raise ValueError(f"{fn}: argument 'pad' must be 'valid' or 'same', received {pad!r}")
    unbatched = x.rank == 3
    if unbatched:
        from .shape import expand_dims
        x = expand_dims(x, 0)
    n, h, w, c = x.shape
    if f.shape[2] != c:
        raise ValueError(f"{fn}: input and filter must have the same depth, received x of "
                         f"shape {list(x.shape)} and filter {list(f.shape)}")
    (sh, sw), (rh, rw) = _pair(strides, fn, "strides"), _pair(dilations, fn, "dilations")
    fh, fw = f.shape[:2]
    top, bottom, left, right = pads(fn, pad, (h, w), (fh, fw), (sh, sw), (rh, rw))
    oh = (h + top + bottom - (fh - 1) * rh - 1) // sh + 1
    ow = (w + left + right - (fw - 1) * rw - 1) // sw + 1

    def window(p, q):
        """The padded image's pixels tap (p, q) reads for every output position."""
        return (slice(None), slice(p * rh, p * rh + (oh - 1) * sh + 1, sh),
                slice(q * rw, q * rw + (ow - 1) * sw + 1, sw))

    def core(xd, fd):
        xp = np.full((n, h + top + bottom, w + left + right, c), -np.inf, np.float32)
        xp[:, top:top + h, left:left + w] = xd
        y = np.full((n, oh, ow, c), _START, np.float32)
        best = np.full((n, oh, ow, c), -1, np.int32)  # p * fw + q of the maximum
        for p in range(fh):
            for q in range(fw):
                v = xp[window(p, q)] + fd[p, q]
                better = v > y
                np.copyto(y, v, where=better)
                best[better] = p * fw + q
        none = best < 0

        def backward(dy, needs):
            gx = gf = None
            if needs[0]:
                gp = np.zeros(xp.shape, np.float32)
                for p in range(fh):
                    for q in range(fw):
                        gp[window(p, q)] += np.where(best == p * fw + q, dy, 0)
                gx = gp[:, top:top + h, left:left + w].copy()
                if none.any():
                    b, i, j, ch = np.nonzero(none)
                    np.add.at(gx, (b, np.maximum(i * sh - top, 0), np.maximum(j * sw - left, 0),
                                   ch), dy[b, i, j, ch])
            if needs[1]:
                gf = np.zeros(fd.shape, np.float32)
                for p in range(fh):
                    for q in range(fw):
                        gf[p, q] = np.where(best == p * fw + q, dy, 0).sum(axis=(0, 1, 2))
                if none.any():
                    gf[0, 0] += np.where(none, dy, 0).sum(axis=(0, 1, 2))
            return gx, gf
        return y, backward
    y = autodiff.apply(fn, core, (x, f))
    if unbatched:
        from .shape import squeeze
        y = squeeze(y, [0])
    return y


__all__ = ["dilation2d"]
