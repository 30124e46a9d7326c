"""TF.js's tf.image ops on images [batch, height, width, channels]: flip_left_right,
grayscale_to_rgb, rgb_to_grayscale, resize_bilinear, resize_nearest_neighbor,
crop_and_resize, rotate_with_offset, transform and threshold (the non-max suppressions
are in image_nms.py).

Source coordinates and interpolations follow TF.js's CPU kernels operation for
operation, in double precision as JavaScript computes them, rounded to float32 once at
the end; JavaScript's Math.round (halves go up) is `_js_round`. Every op that moves or
mixes pixels is linear in the image, and its gradient is that map's exact adjoint (the
scatter of dy back to the pixels each output read): for the resizes this is TF.js's
gradient, except that TF.js's ignores half_pixel_centers (docs/api_coverage.md). For the
resizes and rotations the source indices and weights depend on shapes and attributes
only, so they are computed once per call, outside the cores; crop_and_resize and
transform derive theirs from the boxes and transforms inside their cores.
"""
import math

import numpy as np

from .. import autodiff
from .._args import is_int
from ..dtypes import to_array
from ..tensor import Tensor
from ._util import contiguous, tensor_arg
from .shape import tile

_LUMA = (0.2989, 0.5870, 0.1140)  # TF.js's RGB weights (CCIR 601 luma)


# -- argument checks ---------------------------------------------------------------------

def _image(x, fn, arg, ranks, float_lists=True):
    """x as a float32 or int32 tensor of one of `ranks`. Lists and numbers become
    float32 when TF.js parses them as float32 (`float_lists`)."""
    if not isinstance(x, Tensor):
        x = Tensor(to_array(x, "float32" if float_lists else None, fn, arg))
    if x.dtype not in ("float32", "int32"):
        raise TypeError(f"{fn}: argument '{arg}' must be a float32 or int32 tensor, "
                        f"received dtype {x.dtype}")
    if x.rank not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ValueError(f"{fn}: argument '{arg}' must have rank {want}, received shape "
                         f"{list(x.shape)}")
    return x


def _hw(v, fn, arg, minimum):
    if not isinstance(v, (list, tuple)) or len(v) != 2 or \
            not all(is_int(d) and d >= minimum for d in v):
        raise ValueError(f"{fn}: argument '{arg}' must be [height, width], two ints >= "
                         f"{minimum}, received {v!r}")
    return int(v[0]), int(v[1])


def _bool(v, fn, arg):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{fn}: argument '{arg}' must be True or False, received {v!r}")
    return bool(v)


def _number(v, fn, arg):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer,
                                                             np.floating)):
        raise TypeError(f"{fn}: argument '{arg}' must be a number, received {v!r}")
    return float(v)


def _choice(v, options, fn, arg):
    if v not in options:
        raise ValueError(f"{fn}: argument '{arg}' must be one of {list(options)}, received "
                         f"{v!r}")
    return v


# -- shared pieces ------------------------------------------------------------------------

def _js_round(v):
    """JavaScript's Math.round: the nearest integer, halves toward +infinity."""
    f = np.floor(v)
    return f + (v - f >= 0.5)


def _cast_out(y, dtype):
    """A double result stored as TF.js stores it: float32, or truncated into int32."""
    if dtype == np.int32:
        y = np.trunc(np.nan_to_num(y, nan=0.0))
    return contiguous(y, dtype)


def _scatter_sorted(vals, idx, axis, n):
    """The adjoint of np.take(x, idx, axis) for a non-decreasing idx: vals summed into
    the `n` positions they were read from (one reduceat, no atomic adds)."""
    shape = list(vals.shape)
    shape[axis] = n
    out = np.zeros(shape, vals.dtype)
    if len(idx) == 0 or vals.size == 0:
        return out
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    sums = np.add.reduceat(vals, starts, axis=axis)
    where = [slice(None)] * vals.ndim
    where[axis] = idx[starts]
    out[tuple(where)] = sums
    return out


def _scatter_pixels(shape, b, y, x, vals):
    """The adjoint of gathering image[b, y, x, :]: float64 zeros of `shape` with each
    row of vals ([..., channels]) added at its pixel; b, y, x broadcast together."""
    _, h, w, c = shape
    g = np.zeros((shape[0] * h * w, c))
    flat = ((b * h + y) * w + x)
    flat, vals = np.broadcast_arrays(flat[..., None], vals)
    np.add.at(g, flat[..., 0].ravel(), vals.reshape(-1, c))
    return g.reshape(shape)


def _as4d(x):
    return x.shape if x.rank == 4 else (1,) + x.shape


# -- flips and colours --------------------------------------------------------------------

def flip_left_right(image):
    """Mirrors each image of [batch, height, width, channels] left to right."""
    fn = "flip_left_right"
    x = _image(image, fn, "image", (4,))

    def core(xd):
        y = contiguous(xd[:, :, ::-1])
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: (contiguous(dy[:, :, ::-1]),)
    return autodiff.apply(fn, core, (x,))


def grayscale_to_rgb(image):
    """Repeats the single channel of a grayscale image [..., 1] three times: [..., 3]."""
    fn = "grayscale_to_rgb"
    x = tensor_arg(image, fn, "image")
    if x.rank < 2:
        raise ValueError(f"{fn}: argument 'image' must have rank >= 2, received shape "
                         f"{list(x.shape)}")
    if x.shape[-1] != 1:
        raise ValueError(f"{fn}: the last axis of a grayscale image must have size 1, "
                         f"received shape {list(x.shape)}")
    return tile(x, [1] * (x.rank - 1) + [3])


def rgb_to_grayscale(image):
    """Luma 0.2989 R + 0.5870 G + 0.1140 B of images [..., 3] -> [..., 1], of rank 2 to
    6, in float32, then cast back to the image's dtype (int32 truncates), as TF.js."""
    fn = "rgb_to_grayscale"
    x = tensor_arg(image, fn, "image")
    if x.dtype not in ("float32", "int32"):
        raise TypeError(f"{fn}: argument 'image' must be a float32 or int32 tensor, "
                        f"received dtype {x.dtype}")
    if not 2 <= x.rank <= 6:
        raise ValueError(f"{fn}: argument 'image' must have rank 2 to 6, received shape "
                         f"{list(x.shape)}")
    if x.shape[-1] != 3:
        raise ValueError(f"{fn}: the last axis of an RGB image must have size 3, received "
                         f"shape {list(x.shape)}")
    w = np.array(_LUMA, np.float32)

    def core(xd):
        # float32 products summed in double and rounded once (TF.js's einsum on the CPU)
        products = xd.astype(np.float32) * w
        gray = products.astype(np.float64).sum(axis=-1, keepdims=True).astype(np.float32)
        if xd.dtype != np.float32:
            return _cast_out(gray, xd.dtype), None
        return contiguous(gray), lambda dy, needs: (contiguous(dy * w),)
    return autodiff.apply(fn, core, (x,))


# -- resizing -----------------------------------------------------------------------------

def _ratio(old, new, align_corners):
    """TF.js's effective input size over effective output size along one axis."""
    if align_corners and new > 1:
        return (old - 1) / (new - 1)
    return old / new


def _bilinear_axis(old, new, align_corners, half_pixel):
    """(low index, high index, fraction) of each output position along one axis."""
    if new == 0:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)
    ratio = _ratio(old, new, align_corners)
    r = np.arange(new, dtype=np.float64)
    src = ratio * (r + 0.5) - 0.5 if half_pixel else ratio * r
    lo = np.maximum(0, np.floor(src))
    hi = np.minimum(old - 1, np.ceil(src))
    return lo.astype(np.int64), hi.astype(np.int64), src - lo


def _nearest_axis(old, new, align_corners, half_pixel):
    """The source index of each output position along one axis."""
    if new == 0:
        return np.zeros(0, np.int64)
    ratio = _ratio(old, new, align_corners)
    r = np.arange(new, dtype=np.float64)
    src = ratio * (r + 0.5) if half_pixel else ratio * r
    near = np.minimum(old - 1, _js_round(src) if align_corners else np.floor(src))
    if half_pixel:
        near = np.maximum(0, near)
    return near.astype(np.int64)


def _resize_args(fn, images, size, align_corners, half_pixel_centers):
    x = _image(images, fn, "images", (3, 4), float_lists=False)
    nh, nw = _hw(size, fn, "size", 0)
    align = _bool(align_corners, fn, "align_corners")
    half = _bool(half_pixel_centers, fn, "half_pixel_centers")
    if align and half:
        raise ValueError(f"{fn}: align_corners and half_pixel_centers cannot both be True")
    h, w = x.shape[-3], x.shape[-2]
    if (h == 0 and nh > 0) or (w == 0 and nw > 0):
        raise ValueError(f"{fn}: cannot resize images of height x width {h}x{w} to "
                         f"{nh}x{nw}: the images have no pixels to read")
    b, _, _, c = _as4d(x)
    out = (b, nh, nw, c) if x.rank == 4 else (nh, nw, c)
    return x, (nh, nw), align, half, out


def resize_bilinear(images, size, align_corners=False, half_pixel_centers=False):
    """Resizes images [batch, h, w, c] (or one image [h, w, c]) to size [new_h, new_w]
    by bilinear interpolation; the result is float32. Output row r reads input row
    r * h / new_h (align_corners: r * (h - 1) / (new_h - 1), so the corner pixels
    match; half_pixel_centers: (r + 0.5) * h / new_h - 0.5), between its floor and
    ceil, clamped to the image; columns alike."""
    fn = "resize_bilinear"
    x, (nh, nw), align, half, out_shape = _resize_args(fn, images, size, align_corners,
                                                       half_pixel_centers)
    b, h, w, c = _as4d(x)
    r0, r1, rf = _bilinear_axis(h, nh, align, half)
    c0, c1, cf = _bilinear_axis(w, nw, align, half)
    cfb, rfb = cf[:, None], rf[:, None, None]

    def core(xd):
        v = xd.reshape(b, h, w, c).astype(np.float64)
        left, right = np.take(v, c0, 2), np.take(v, c1, 2)
        cols = left + (right - left) * cfb              # [b, h, new_w, c]
        top, bottom = np.take(cols, r0, 1), np.take(cols, r1, 1)
        y = contiguous((top + (bottom - top) * rfb).reshape(out_shape), np.float32)
        if xd.dtype != np.float32:
            return y, None

        def backward(dy, needs):
            g = dy.reshape(b, nh, nw, c).astype(np.float64)
            g_cols = _scatter_sorted(g * (1 - rfb), r0, 1, h) + \
                _scatter_sorted(g * rfb, r1, 1, h)
            gx = _scatter_sorted(g_cols * (1 - cfb), c0, 2, w) + \
                _scatter_sorted(g_cols * cfb, c1, 2, w)
            return (contiguous(gx.reshape(xd.shape), np.float32),)
        return y, backward
    return autodiff.apply(fn, core, (x,))


def resize_nearest_neighbor(images, size, align_corners=False, half_pixel_centers=False):
    """Resizes images [batch, h, w, c] (or one image [h, w, c]) to size [new_h, new_w],
    each output pixel copying one input pixel, the dtype kept: output row r reads row
    floor(r * h / new_h) (align_corners: Math.round(r * (h - 1) / (new_h - 1));
    half_pixel_centers: floor((r + 0.5) * h / new_h)), clamped to the image."""
    fn = "resize_nearest_neighbor"
    x, (nh, nw), align, half, out_shape = _resize_args(fn, images, size, align_corners,
                                                       half_pixel_centers)
    b, h, w, c = _as4d(x)
    ri = _nearest_axis(h, nh, align, half)
    ci = _nearest_axis(w, nw, align, half)

    def core(xd):
        y = contiguous(np.take(np.take(xd.reshape(b, h, w, c), ri, 1), ci, 2).reshape(out_shape))
        if y.dtype != np.float32:
            return y, None

        def backward(dy, needs):
            g = _scatter_sorted(dy.reshape(b, nh, nw, c), ci, 2, w)
            return (contiguous(_scatter_sorted(g, ri, 1, h).reshape(xd.shape)),)
        return y, backward
    return autodiff.apply(fn, core, (x,))


# -- crops, rotations, projective transforms ----------------------------------------------

def crop_and_resize(image, boxes, box_ind, crop_size, method="bilinear",
                    extrapolation_value=0):
    """Crops boxes out of images [batch, h, w, c] and resizes each crop to crop_size
    [crop_h, crop_w]: float32 [num_boxes, crop_h, crop_w, c]. boxes [num_boxes, 4] holds
    normalised [y1, x1, y2, x2] (0 and 1 are the first and last pixel; y1 > y2 flips the
    crop); box_ind[i] is the image box i is cut from. Sample row y of box i reads image
    row y1 * (h - 1) + y * (y2 - y1) * (h - 1) / (crop_h - 1) (the box's centre when
    crop_h is 1) by 'bilinear' interpolation or the 'nearest' pixel; a sample outside the
    image is extrapolation_value. As TF.js, a box whose index is >= batch gives zeros;
    a negative index raises. The gradient flows to the image only (TF.js has none)."""
    fn = "crop_and_resize"
    img = _image(image, fn, "image", (4,), float_lists=False)
    bx = boxes if isinstance(boxes, Tensor) else Tensor(to_array(boxes, "float32", fn,
                                                                  "boxes"))
    if bx.dtype != "float32":
        raise TypeError(f"{fn}: argument 'boxes' must be a float32 tensor, received dtype "
                        f"{bx.dtype}")
    if bx.rank != 2 or bx.shape[1] != 4:
        raise ValueError(f"{fn}: argument 'boxes' must have shape [num_boxes, 4], received "
                         f"{list(bx.shape)}")
    n = bx.shape[0]
    bi = box_ind if isinstance(box_ind, Tensor) else Tensor(to_array(box_ind, "int32", fn,
                                                                     "box_ind"))
    if bi.dtype != "int32":
        raise TypeError(f"{fn}: argument 'box_ind' must be an int32 tensor, received dtype "
                        f"{bi.dtype}")
    if bi.shape != (n,):
        raise ValueError(f"{fn}: argument 'box_ind' must have shape [{n}] (one index per "
                         f"box), received {list(bi.shape)}")
    ch, cw = _hw(crop_size, fn, "crop_size", 1)
    method = _choice(method, ("bilinear", "nearest"), fn, "method")
    extra = _number(extrapolation_value, fn, "extrapolation_value")
    batch, h, w, c = img.shape

    def positions(lo, hi, size, crop):
        if crop > 1:
            scale = (hi - lo) * (size - 1) / (crop - 1)
            return lo[:, None] * (size - 1) + np.arange(crop)[None, :] * scale[:, None]
        return (0.5 * (lo + hi) * (size - 1))[:, None]

    def core(imd, bd, bid):
        if n and bid.min() < 0:
            raise ValueError(f"{fn}: box_ind must hold image indices >= 0, received "
                             f"{int(bid.min())}")
        b64 = bd.astype(np.float64)
        ys = positions(b64[:, 0], b64[:, 2], h, ch)           # [n, ch]
        xs = positions(b64[:, 1], b64[:, 3], w, cw)           # [n, cw]
        ok = ((ys >= 0) & (ys <= h - 1))[:, :, None] & ((xs >= 0) & (xs <= w - 1))[:, None, :]
        in_batch = bid < batch
        ok &= in_batch[:, None, None]
        fill = np.where(in_batch, extra, 0.0)[:, None, None, None]
        y = np.broadcast_to(fill, (n, ch, cw, c)).copy()
        taps = []  # (weight [n, ch, cw], rows, cols) of each pixel read
        bsel = np.where(in_batch, bid, 0)[:, None, None]
        if ok.any():
            v = imd.astype(np.float64)
            yc, xc = np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)
            if method == "bilinear":
                top, left = np.floor(yc), np.floor(xc)
                yl, xl = (yc - top)[:, :, None, None], (xc - left)[:, None, :, None]
                t, bo = top.astype(np.int64)[:, :, None], np.ceil(yc).astype(np.int64)[:, :, None]
                le, ri = left.astype(np.int64)[:, None, :], np.ceil(xc).astype(np.int64)[:, None, :]
                tl, tr, bl, br = v[bsel, t, le], v[bsel, t, ri], v[bsel, bo, le], v[bsel, bo, ri]
                upper = tl + (tr - tl) * xl
                lower = bl + (br - bl) * xl
                val = upper + (lower - upper) * yl
                yl, xl = yl[..., 0], xl[..., 0]
                taps = [((1 - yl) * (1 - xl), t, le), ((1 - yl) * xl, t, ri),
                        (yl * (1 - xl), bo, le), (yl * xl, bo, ri)]
            else:
                ny = _js_round(yc).astype(np.int64)[:, :, None]
                nx = _js_round(xc).astype(np.int64)[:, None, :]
                val = v[bsel, ny, nx]
                taps = [(np.ones((n, ch, cw)), ny, nx)]
            y = np.where(ok[..., None], val, y)
        out = contiguous(y, np.float32)
        if imd.dtype != np.float32:
            return out, None

        def backward(dy, needs):
            g = np.zeros(imd.shape)
            d = dy.astype(np.float64)
            for weight, rows, cols in taps:
                g += _scatter_pixels(imd.shape, bsel, rows, cols,
                                     d * (weight * ok)[..., None])
            return contiguous(g, np.float32), None, None
        return out, backward
    return autodiff.apply(fn, core, (img, bx, bi))


def _fill_values(fill_value, channels, fn):
    """Per channel fill: a number, or [r, g, b] (a fourth channel is filled with 255,
    fully opaque, as TF.js)."""
    if isinstance(fill_value, (list, tuple)):
        if len(fill_value) != 3:
            raise ValueError(f"{fn}: argument 'fill_value' must be a number or [r, g, b], "
                             f"received {fill_value!r}")
        vals = [_number(v, fn, "fill_value") for v in fill_value] + [255.0]
        if channels > 4:
            raise ValueError(f"{fn}: a fill_value of [r, g, b] fills images of at most 4 "
                             f"channels, received {channels}")
        return np.array(vals[:channels])
    return np.full(channels, _number(fill_value, fn, "fill_value"))


def rotate_with_offset(image, radians, fill_value=0, center=0.5):
    """Rotates images [batch, h, w, c] by `radians` about `center` (a fraction of the
    width and height: a number, or [x, y]), as TF.js: output pixel (row, col) copies the
    input pixel nearest to its rotated position, fill_value (a number or [r, g, b])
    where that falls outside the image. The dtype is kept."""
    fn = "rotate_with_offset"
    x = _image(image, fn, "image", (4,))
    rad = _number(radians, fn, "radians")
    b, h, w, c = x.shape
    fill = _fill_values(fill_value, c, fn)
    if isinstance(center, (list, tuple)):
        if len(center) != 2:
            raise ValueError(f"{fn}: argument 'center' must be a number or [x, y], "
                             f"received {center!r}")
        fx, fy = (_number(v, fn, "center") for v in center)
    else:
        fx = fy = _number(center, fn, "center")
    cx, cy = w * fx, h * fy
    sin, cos = math.sin(rad), math.cos(rad)
    dx = (np.arange(w, dtype=np.float64) - cx)[None, :]
    dy_ = (np.arange(h, dtype=np.float64) - cy)[:, None]
    sx = _js_round(dx * cos - dy_ * sin + cx)
    sy = _js_round(dx * sin + dy_ * cos + cy)
    ok = (sx >= 0) & (sx < w) & (sy >= 0) & (sy < h)
    rows, cols = np.nonzero(ok)
    src_r, src_c = sy[ok].astype(np.int64), sx[ok].astype(np.int64)

    def core(xd):
        y = np.broadcast_to(fill, xd.shape).astype(np.float64)
        y[:, rows, cols] = xd[:, src_r, src_c]
        out = _cast_out(y, xd.dtype)
        if xd.dtype != np.float32:
            return out, None

        def backward(dy, needs):
            g = np.zeros(xd.shape, np.float64)
            np.add.at(g, (slice(None), src_r, src_c), dy[:, rows, cols])
            return (contiguous(g, np.float32),)
        return out, backward
    return autodiff.apply(fn, core, (x,))


def _map_coord(v, size, mode):
    """TF.js's mapCoord: where a source coordinate outside [0, size - 1] reads from."""
    if mode == "constant":
        return v
    if mode == "nearest":
        return np.clip(v, 0, size - 1)
    out = v.copy()
    if size <= 1:
        out[(v < 0) | (v > size - 1)] = 0
        return np.clip(out, 0, max(size - 1, 0))
    low, high = v < 0, v > size - 1
    if mode == "reflect":
        sz2 = 2 * size
        lv = v[low]
        lv = np.where(lv < sz2, sz2 * np.trunc(-lv / sz2) + lv, lv)
        out[low] = np.where(lv < -size, lv + sz2, -lv - 1)
        hv = v[high]
        hv = hv - sz2 * np.trunc(hv / sz2)
        out[high] = np.where(hv >= size, sz2 - hv - 1, hv)
    else:  # wrap
        sz = size - 1
        out[low] = v[low] + size * (np.trunc(-v[low] / sz) + 1)
        out[high] = v[high] - size * np.trunc(v[high] / sz)
    return np.clip(out, 0, size - 1)


def transform(image, transforms, interpolation="nearest", fill_mode="constant",
              fill_value=0, output_shape=None):
    """Applies projective transforms to images [batch, h, w, c]. transforms is
    [batch, 8] or [1, 8] (one for every image): [a0, a1, a2, b0, b1, c0, c1] maps output
    pixel (x, y) to input ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k) with
    k = c0 x + c1 y + 1. interpolation 'nearest' or 'bilinear'; fill_mode 'constant'
    (fill_value outside the image), 'reflect', 'wrap' or 'nearest'; output_shape
    [height, width] (default the input's). The dtype is kept; the gradient flows to the
    image."""
    fn = "transform"
    x = _image(image, fn, "image", (4,))
    t = transforms if isinstance(transforms, Tensor) else Tensor(
        to_array(transforms, "float32", fn, "transforms"))
    if t.dtype != "float32":
        raise TypeError(f"{fn}: argument 'transforms' must be a float32 tensor, received "
                        f"dtype {t.dtype}")
    b, h, w, c = x.shape
    if t.rank != 2 or t.shape[1] != 8 or t.shape[0] not in (1, b):
        raise ValueError(f"{fn}: argument 'transforms' must have shape [{b}, 8] or [1, 8], "
                         f"received {list(t.shape)}")
    interp = _choice(interpolation, ("nearest", "bilinear"), fn, "interpolation")
    mode = _choice(fill_mode, ("constant", "reflect", "wrap", "nearest"), fn, "fill_mode")
    fill = _number(fill_value, fn, "fill_value")
    oh, ow = (h, w) if output_shape is None else _hw(output_shape, fn, "output_shape", 0)

    def core(xd, td):
        tt = td.astype(np.float64)[:, :, None, None]          # [1 or b, 8, 1, 1]
        ox = np.arange(ow, dtype=np.float64)[None, None, :]
        oy = np.arange(oh, dtype=np.float64)[None, :, None]
        proj = tt[:, 6] * ox + tt[:, 7] * oy + 1
        with np.errstate(divide="ignore", invalid="ignore"):
            in_x = (tt[:, 0] * ox + tt[:, 1] * oy + tt[:, 2]) / proj
            in_y = (tt[:, 3] * ox + tt[:, 4] * oy + tt[:, 5]) / proj
        shape3 = (b, oh, ow)
        live = np.broadcast_to(proj != 0, shape3)
        in_x = np.broadcast_to(np.where(proj != 0, in_x, 0.0), shape3)
        in_y = np.broadcast_to(np.where(proj != 0, in_y, 0.0), shape3)
        px, py = _map_coord(in_x, w, mode), _map_coord(in_y, h, mode)
        bidx = np.arange(b)[:, None, None]
        v = xd.astype(np.float64)

        def read(yy, xx):
            inside = live & (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            yi = np.where(inside, yy, 0).astype(np.int64)
            xi = np.where(inside, xx, 0).astype(np.int64)
            vals = v[bidx, yi, xi] if v.size else np.zeros(shape3 + (c,))
            return np.where(inside[..., None], vals, fill), inside, yi, xi
        if interp == "nearest":
            val, inside, yi, xi = read(_js_round(py), _js_round(px))
            taps = [(np.ones(shape3), inside, yi, xi)]
        else:
            yf, xf = np.floor(py), np.floor(px)
            wx0, wx1 = (xf + 1 - px)[..., None], (px - xf)[..., None]
            wy0, wy1 = (yf + 1 - py)[..., None], (py - yf)[..., None]
            c00, c01, c10, c11 = read(yf, xf), read(yf, xf + 1), read(yf + 1, xf), \
                read(yf + 1, xf + 1)
            val = wy0 * (wx0 * c00[0] + wx1 * c01[0]) + wy1 * (wx0 * c10[0] + wx1 * c11[0])
            taps = [((wy * wx)[..., 0], *corner[1:]) for wy, wx, corner in
                    ((wy0, wx0, c00), (wy0, wx1, c01), (wy1, wx0, c10), (wy1, wx1, c11))]
        y = np.where(live[..., None], val, fill)
        out = _cast_out(y, xd.dtype)
        if xd.dtype != np.float32:
            return out, None

        def backward(dy, needs):
            g = np.zeros(xd.shape)
            d = dy.astype(np.float64)
            for weight, inside, yi, xi in taps:
                g += _scatter_pixels(xd.shape, bidx, yi, xi, d * (weight * inside)[..., None])
            return contiguous(g, np.float32), None
        return out, backward
    return autodiff.apply(fn, core, (x, t))


# -- thresholding -------------------------------------------------------------------------

def _otsu(gray, total):
    """TF.js's Otsu threshold of the grayscale values: the first histogram index whose
    between-class variance is largest, -1 when none is positive. Each quantity is
    rounded to float32 where TF.js's tensor ops round it (their sums are exact in
    double), so the comparisons see TF.js's numbers."""
    f32 = np.float32
    ids = np.round(gray.astype(np.float64)).ravel()   # tf.round: halves to even
    if ids.size and ids.min() < 0:
        raise ValueError(f"threshold: method 'otsu' needs non-negative pixel values, "
                         f"received {ids.min():g}")
    ids = ids[ids < 256].astype(np.int64)
    hist = np.bincount(ids, minlength=256).astype(f32).astype(np.float64)
    k = np.arange(256, dtype=np.float64)
    weighted = (hist * k).astype(f32).astype(np.float64)
    csum, cw = np.cumsum(hist)[:-1], np.cumsum(weighted)[:-1]
    sum_first, sum_second = csum.astype(f32), (hist.sum() - csum).astype(f32)
    mean_first_num = cw.astype(f32)
    mean_second_num = (weighted.sum() - cw).astype(f32)
    total = f32(total)
    with np.errstate(divide="ignore", invalid="ignore"):
        w_first = (sum_first / total).astype(f32)
        w_back = (sum_second / total).astype(f32)
        mean_first = (mean_first_num / sum_first).astype(f32)
        mean_second = (mean_second_num / sum_second).astype(f32)
        diff = (mean_first - mean_second).astype(f32)
        var = ((w_first * w_back).astype(f32) * diff).astype(f32) * diff
    var = np.where(np.isnan(var), -np.inf, var.astype(f32))
    best = int(np.argmax(var))
    return f32(best if var[best] > 0 else -1)


def threshold(image, method="binary", inverted=False, thresh_value=0.5):
    """Binarises an image [h, w, 3] (RGB, made gray with TF.js's luma weights) or
    [h, w, 1]: int32 [h, w, 1] of 255 where the gray value is above the threshold (at or
    below it when `inverted`), else 0. The threshold is thresh_value * 255 ('binary') or
    Otsu's, from the histogram of the rounded gray values ('otsu')."""
    fn = "threshold"
    x = _image(image, fn, "image", (3,), float_lists=False)
    if x.shape[2] not in (1, 3):
        raise ValueError(f"{fn}: argument 'image' must have 3 or 1 channels, received "
                         f"shape {list(x.shape)}")
    method = _choice(method, ("binary", "otsu"), fn, "method")
    inv = _bool(inverted, fn, "inverted")
    level = np.float32(np.float32(_number(thresh_value, fn, "thresh_value")) * 255)
    total = x.shape[0] * x.shape[1]
    w = np.array(_LUMA, np.float32)

    def core(xd):
        if xd.shape[2] == 3:
            products = (xd.astype(np.float64) * w.astype(np.float64)).astype(np.float32)
            gray = (products[..., :1] + products[..., 1:2]).astype(np.float32) + products[..., 2:]
        else:
            gray = xd
        t = _otsu(gray, total) if method == "otsu" else level
        g = gray.astype(np.float32)
        hit = (g <= t) if inv else (g > t)
        return contiguous(hit.astype(np.int32) * 255), None
    return autodiff.apply(fn, core, (x,))
