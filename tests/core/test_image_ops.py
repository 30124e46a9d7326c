"""tn.image against independent references: PyTorch's F.interpolate for the resizes
with aligned corners and half-pixel centres, float64 numpy loops written from the
documented definitions (TF.js's default resize grids, crop_and_resize, the greedy and
soft non-max suppressions, rotations, projective transforms, Otsu's threshold), and the
real TF.js 4.22 (tests/tfjs/image_ops.js, run by node) for the exact numbers; gradients
against float64 central differences and torch's autograd; bad arguments; zero-size
inputs; and the Resizing layer in models (fit replayed bit for bit, save/load, summary).

The TF.js comparisons need node and `npm ci` run in tests/tfjs; they are skipped with
the reason otherwise, unless TREINO_REQUIRE_TFJS=1 (CI sets it)."""
import json
import math
import subprocess

import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads, torch
from treino import layers as L
from treino.core.engine import Program
from tfjs_util import TFJS_DIR, find_node

rng = np.random.default_rng(17)
IM = tn.image


def normal(*shape, seed=None):
    r = rng if seed is None else np.random.default_rng(seed)
    return r.normal(size=shape).astype(np.float32)


def js_round(v):
    return math.floor(v + 0.5)


# --- the real TF.js ---------------------------------------------------------------------

def _node():
    return find_node()


def run_tfjs(cases):
    r = subprocess.run([_node(), str(TFJS_DIR / "image_ops.js")], input=json.dumps(cases),
                       capture_output=True, text=True, timeout=120, cwd=TFJS_DIR)
    assert r.returncode == 0, f"node image_ops.js failed:\n{r.stderr[-3000:]}"
    return json.loads(r.stdout)


def T(a):
    """A tensor argument for image_ops.js."""
    a = np.asarray(a)
    return {"tensor": {"shape": list(a.shape), "values": a.ravel().tolist(),
                       "dtype": "int32" if a.dtype.kind in "iu" else "float32"}}


def from_js(res):
    return np.array(res["values"], np.float32 if res["dtype"] == "float32" else np.int32) \
        .reshape(res["shape"])


# --- float64 references -----------------------------------------------------------------

def ref_resize(x, nh, nw, method, align=False, half=False):
    """TF's resize definition, pixel by pixel in float64."""
    b, h, w, c = x.shape
    out = np.zeros((b, nh, nw, c))

    def src(i, old, new):
        scale = (old - 1) / (new - 1) if align and new > 1 else old / new
        return scale * (i + 0.5) - (0.5 if method == "bilinear" else 0) if half else scale * i
    for i in range(nh):
        for j in range(nw):
            sy, sx = src(i, h, nh), src(j, w, nw)
            if method == "nearest":
                pick = js_round if align else math.floor
                yi = min(h - 1, max(0, pick(sy)))
                xi = min(w - 1, max(0, pick(sx)))
                out[:, i, j] = x[:, yi, xi]
                continue
            y0, x0 = max(0, math.floor(sy)), max(0, math.floor(sx))
            y1, x1 = min(h - 1, math.ceil(sy)), min(w - 1, math.ceil(sx))
            fy, fx = max(sy - y0, 0), max(sx - x0, 0)
            out[:, i, j] = ((1 - fy) * (1 - fx) * x[:, y0, x0] + (1 - fy) * fx * x[:, y0, x1]
                            + fy * (1 - fx) * x[:, y1, x0] + fy * fx * x[:, y1, x1])
    return out


def torch_resize(x, size, mode, align_corners=None):
    t = x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=torch.float64)
    y = torch.nn.functional.interpolate(t.permute(0, 3, 1, 2), size=size, mode=mode,
                                        align_corners=align_corners)
    return y.permute(0, 2, 3, 1)


def ref_crop_and_resize(img, boxes, ind, size, method, extra):
    b, h, w, c = img.shape
    ch, cw = size
    out = np.zeros((len(boxes), ch, cw, c))
    for n, (y1, x1, y2, x2) in enumerate(boxes.astype(np.float64)):
        if ind[n] >= b:
            continue
        im = img[ind[n]].astype(np.float64)
        for i in range(ch):
            yy = y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (ch - 1) if ch > 1 else \
                0.5 * (y1 + y2) * (h - 1)
            for j in range(cw):
                xx = x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (cw - 1) if cw > 1 else \
                    0.5 * (x1 + x2) * (w - 1)
                if not (0 <= yy <= h - 1 and 0 <= xx <= w - 1):
                    out[n, i, j] = extra
                elif method == "nearest":
                    out[n, i, j] = im[js_round(yy), js_round(xx)]
                else:
                    y0, x0 = math.floor(yy), math.floor(xx)
                    y1_, x1_ = math.ceil(yy), math.ceil(xx)
                    fy, fx = yy - y0, xx - x0
                    out[n, i, j] = ((1 - fy) * (1 - fx) * im[y0, x0] + (1 - fy) * fx * im[y0, x1_]
                                    + fy * (1 - fx) * im[y1_, x0] + fy * fx * im[y1_, x1_])
    return out


def ref_iou(a, b):
    ay0, ay1 = sorted((a[0], a[2]))
    ax0, ax1 = sorted((a[1], a[3]))
    by0, by1 = sorted((b[0], b[2]))
    bx0, bx1 = sorted((b[1], b[3]))
    area_a, area_b = (ay1 - ay0) * (ax1 - ax0), (by1 - by0) * (bx1 - bx0)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = max(min(ay1, by1) - max(ay0, by0), 0) * max(min(ax1, bx1) - max(ax0, bx0), 0)
    return inter / (area_a + area_b - inter)


def ref_nms(boxes, scores, max_out, iou_thr=0.5, score_thr=-np.inf, sigma=0.0):
    """The eager (soft-)NMS of the papers: take the best remaining box, then drop every
    remaining box overlapping it by iou >= iou_thr and decay the others' scores by
    exp(-iou^2 / (2 sigma)), dropping those at or below score_thr."""
    boxes = boxes.astype(np.float64)
    left = {i: float(s) for i, s in enumerate(scores) if s > score_thr}
    sel, sel_scores = [], []
    while left and len(sel) < min(max_out, len(boxes)):
        i = min(left, key=lambda k: (-left[k], k))
        sel.append(i)
        sel_scores.append(left.pop(i))
        for j in list(left):
            iou = ref_iou(boxes[i], boxes[j])
            if iou >= iou_thr:
                del left[j]
                continue
            if sigma > 0:
                left[j] *= math.exp(-0.5 * iou * iou / sigma)
            if left[j] <= score_thr:
                del left[j]
    return sel, sel_scores


def ref_rotate(img, radians, fill, center):
    b, h, w, c = img.shape
    cx, cy = w * center[0], h * center[1]
    out = np.zeros(img.shape)
    for r in range(h):
        for q in range(w):
            sx = js_round((q - cx) * math.cos(radians) - (r - cy) * math.sin(radians) + cx)
            sy = js_round((q - cx) * math.sin(radians) + (r - cy) * math.cos(radians) + cy)
            if 0 <= sx < w and 0 <= sy < h:
                out[:, r, q] = img[:, sy, sx]
            else:
                out[:, r, q] = fill
    return out


def ref_map(v, n, mode):
    """Where a source coordinate outside the image reads from, per fill mode (TF's
    definitions: reflect about the edge pixels' outer borders, wrap with TF's period
    rule, clamp to the nearest pixel)."""
    if mode == "constant" or 0 <= v <= n - 1:
        return v
    if mode == "nearest":
        return min(max(v, 0), n - 1)
    if n <= 1:
        return 0
    if mode == "reflect":
        m = v % (2 * n)
        return min(max(2 * n - 1 - m if m >= n else m, 0), n - 1)
    v = v + n * (math.trunc(-v / (n - 1)) + 1) if v < 0 else v - n * math.trunc(v / (n - 1))
    return min(max(v, 0), n - 1)


def ref_transform(img, t, method, mode, fill, out_hw):
    b, h, w, c = img.shape
    oh, ow = out_hw
    out = np.full((b, oh, ow, c), float(fill))

    def read(bi, y, x):
        return img[bi, y, x] if 0 <= y < h and 0 <= x < w else np.full(c, float(fill))
    for bi in range(b):
        a = t[bi if len(t) > 1 else 0].astype(np.float64)
        for y in range(oh):
            for x in range(ow):
                k = a[6] * x + a[7] * y + 1
                if k == 0:
                    continue
                sx = ref_map((a[0] * x + a[1] * y + a[2]) / k, w, mode)
                sy = ref_map((a[3] * x + a[4] * y + a[5]) / k, h, mode)
                if method == "nearest":
                    out[bi, y, x] = read(bi, js_round(sy), js_round(sx))
                else:
                    y0, x0 = math.floor(sy), math.floor(sx)
                    fy, fx = sy - y0, sx - x0
                    out[bi, y, x] = ((1 - fy) * ((1 - fx) * read(bi, y0, x0) + fx * read(bi, y0, x0 + 1))
                                     + fy * ((1 - fx) * read(bi, y0 + 1, x0) + fx * read(bi, y0 + 1, x0 + 1)))
    return out


def ref_otsu(gray):
    """Otsu's threshold: the histogram bin t (class 0 = bins <= t) maximising the
    between-class variance w0 w1 (mu0 - mu1)^2; -1 when no split separates anything."""
    hist = np.bincount(np.round(gray).astype(int).ravel(), minlength=256)[:256].astype(float)
    k = np.arange(256)
    best, best_t = 0.0, -1
    for t in range(255):
        n0, n1 = hist[:t + 1].sum(), hist[t + 1:].sum()
        if n0 == 0 or n1 == 0:
            continue
        mu0 = (hist[:t + 1] * k[:t + 1]).sum() / n0
        mu1 = (hist[t + 1:] * k[t + 1:]).sum() / n1
        v = n0 / gray.size * n1 / gray.size * (mu0 - mu1) ** 2
        if v > best:
            best, best_t = v, t
    return best_t


# --- resizing ---------------------------------------------------------------------------

RESIZE_SIZES = [((4, 5), (7, 3)), ((3, 3), (3, 3)), ((5, 2), (2, 6)), ((1, 4), (3, 1)),
                ((6, 6), (4, 4))]


@pytest.mark.parametrize("in_hw,out_hw", RESIZE_SIZES)
@pytest.mark.parametrize("mode", [(False, False), (True, False), (False, True)],
                         ids=["default", "align_corners", "half_pixel"])
def test_resize_values_match_references(in_hw, out_hw, mode):
    align, half = mode
    x = normal(2, *in_hw, 3)
    for method, op in (("bilinear", IM.resize_bilinear),
                       ("nearest", IM.resize_nearest_neighbor)):
        y = op(tn.tensor(x), list(out_hw), align_corners=align, half_pixel_centers=half)
        assert y.shape == (2, *out_hw, 3) and y.dtype == "float32"
        np.testing.assert_allclose(y.numpy(), ref_resize(x, *out_hw, method, align, half),
                                   rtol=1e-6, atol=1e-6, err_msg=method)
    if torch is None:
        return
    bil = IM.resize_bilinear(tn.tensor(x), list(out_hw), align, half).numpy()
    near = IM.resize_nearest_neighbor(tn.tensor(x), list(out_hw), align, half).numpy()
    if align:
        np.testing.assert_allclose(bil, torch_resize(x, out_hw, "bilinear", True).numpy(),
                                   rtol=1e-6, atol=1e-6)
    elif half:
        np.testing.assert_allclose(bil, torch_resize(x, out_hw, "bilinear", False).numpy(),
                                   rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(near, torch_resize(x, out_hw, "nearest-exact").numpy()
                                      .astype(np.float32))
    else:
        np.testing.assert_array_equal(near, torch_resize(x, out_hw, "nearest").numpy()
                                      .astype(np.float32))


def test_resize_rank3_int32_and_method_form():
    x = np.arange(4 * 6 * 2, dtype=np.int32).reshape(4, 6, 2)
    near = IM.resize_nearest_neighbor(tn.tensor(x), [2, 3])
    assert near.dtype == "int32" and near.shape == (2, 3, 2)
    np.testing.assert_array_equal(near.numpy(), x[::2, ::2])
    bil = tn.tensor(x).resize_bilinear([3, 4], True)            # TF.js's chained form
    assert bil.dtype == "float32" and bil.shape == (3, 4, 2)
    np.testing.assert_allclose(bil.numpy(), ref_resize(x[None].astype(float), 3, 4,
                                                        "bilinear", True)[0], rtol=1e-6)
    assert tn.tensor(x).resize_nearest_neighbor([1, 1]).shape == (1, 1, 2)
    # the example of TF.js's Resizing tests: 4x4 -> 2x2 with aligned corners
    r = IM.resize_nearest_neighbor(tn.tensor(np.arange(16.0).reshape(4, 4, 1)), [2, 2], True)
    np.testing.assert_array_equal(r.numpy()[..., 0], [[0, 3], [12, 15]])


@pytest.mark.parametrize("mode", [(False, False), (True, False), (False, True)],
                         ids=["default", "align_corners", "half_pixel"])
def test_resize_gradients(mode):
    align, half = mode
    x = normal(2, 3, 4, 2)
    for size in ([5, 7], [2, 3]):
        check_grads(lambda t: IM.resize_bilinear(t, size, align, half), [x],
                    torch_fn=None if torch is None or not (align or half) else
                    (lambda t: torch_resize(t, tuple(size), "bilinear", align)))
        nearest_twin = None
        if torch is not None and not align:
            nearest_twin = lambda t: torch_resize(t, tuple(size), "nearest-exact" if half else "nearest")  # noqa: E731
        check_grads(lambda t: IM.resize_nearest_neighbor(t, size, align, half), [x],
                    torch_fn=nearest_twin)
    # a rank-3 image's gradient keeps rank 3
    check_grads(lambda t: IM.resize_bilinear(t, [4, 2]), [normal(3, 3, 1)])


# --- crop_and_resize --------------------------------------------------------------------

def _boxes():
    b = np.array([[0.1, 0.2, 0.8, 0.9], [0.0, 0.0, 1.0, 1.0], [0.9, 0.7, 0.2, 0.1],
                  [-0.3, 0.4, 0.5, 1.4], [0.5, 0.5, 0.5, 0.5], [0.25, 0.0, 0.75, 0.5]],
                 np.float32)
    return b, np.array([0, 1, 1, 0, 1, 3], np.int32)   # 3 >= batch: zeros, as TF.js


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
@pytest.mark.parametrize("size", [(3, 4), (1, 1), (1, 3), (5, 1)])
def test_crop_and_resize_matches_the_definition(method, size):
    img = normal(2, 5, 6, 3)
    boxes, ind = _boxes()
    y = IM.crop_and_resize(tn.tensor(img), tn.tensor(boxes), tn.tensor(ind), list(size),
                           method, extrapolation_value=-2.5)
    assert y.shape == (6, *size, 3) and y.dtype == "float32"
    want = ref_crop_and_resize(img, boxes, ind, size, method, -2.5)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-5)
    assert (y.numpy()[5] == 0).all()
    check_grads(lambda t: IM.crop_and_resize(t, tn.tensor(boxes), tn.tensor(ind), list(size),
                                             method, -2.5), [img])


def test_crop_and_resize_int_image_lists_and_bad_index():
    img = np.arange(2 * 3 * 3, dtype=np.int32).reshape(2, 3, 3, 1)
    y = IM.crop_and_resize(tn.tensor(img), [[0, 0, 1, 1]], [1], [3, 3], "nearest")
    assert y.dtype == "float32"
    np.testing.assert_array_equal(y.numpy()[0], img[1])
    with pytest.raises(ValueError, match="crop_and_resize: box_ind must hold image indices >= 0"):
        IM.crop_and_resize(tn.tensor(img), [[0, 0, 1, 1]], [-1], [2, 2])


# --- non-max suppression ----------------------------------------------------------------

def _random_boxes(n, seed):
    r = np.random.default_rng(seed)
    c = r.uniform(0, 10, (n, 2))
    hw = r.uniform(0.5, 4, (n, 2))
    boxes = np.concatenate([c - hw / 2, c + hw / 2], 1)
    flip = r.random(n) < 0.3                      # corners in either order
    boxes[flip] = boxes[flip][:, [2, 3, 0, 1]]
    return boxes.astype(np.float32), r.random(n).astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_non_max_suppression_matches_the_greedy_definition(seed):
    boxes, scores = _random_boxes(40, seed)
    for max_out, iou, st in ((10, 0.5, -np.inf), (100, 0.3, 0.2), (5, 0.0, 0.5),
                             (40, 1.0, -np.inf)):
        want, _ = ref_nms(boxes, scores, max_out, iou, st)
        for fn in (IM.non_max_suppression, IM.non_max_suppression_async):
            got = fn(tn.tensor(boxes), tn.tensor(scores), max_out, iou, st)
            assert got.dtype == "int32"
            assert got.numpy().tolist() == want
        padded = IM.non_max_suppression_padded(boxes, scores, max_out, iou, st, True)
        assert int(padded.valid_outputs.item()) == len(want) and padded.valid_outputs.shape == ()
        assert padded["selectedIndices"].numpy().tolist() == \
            want + [0] * (min(max_out, 40) - len(want))
        sel, valid = IM.non_max_suppression_padded_async(boxes, scores, max_out, iou, st)
        assert sel.numpy().tolist() == want and int(valid.item()) == len(want)


@pytest.mark.parametrize("sigma", [0.0, 0.1, 0.5, 1.0])
def test_soft_non_max_suppression_matches_the_eager_definition(sigma):
    boxes, scores = _random_boxes(30, 7)
    for st in (-np.inf, 0.1):
        want, want_scores = ref_nms(boxes, scores, 30, 0.6, st, sigma)
        for fn in (IM.non_max_suppression_with_score, IM.non_max_suppression_with_score_async):
            r = fn(tn.tensor(boxes), tn.tensor(scores), 30, 0.6, st, sigma)
            assert r.selected_indices.numpy().tolist() == want
            assert r.selected_scores.dtype == "float32"
            np.testing.assert_allclose(r["selected_scores"].numpy(), want_scores, rtol=1e-6)
    if sigma:  # soft-NMS keeps boxes plain NMS drops, with lowered scores
        plain = IM.non_max_suppression(boxes, scores, 30, 0.6).numpy()
        soft = IM.non_max_suppression_with_score(boxes, scores, 30, 0.6, -np.inf, sigma)
        assert len(soft.selected_indices.numpy()) >= len(plain)


def test_non_max_suppression_ties_and_degenerate_boxes():
    boxes = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [5, 5, 5, 6]], np.float32)
    scores = np.array([0.5, 0.5, 0.5, 0.9], np.float32)
    # equal scores: the lower index first; a zero-area box overlaps nothing
    assert IM.non_max_suppression(boxes, scores, 4).numpy().tolist() == [3, 0, 2]
    assert IM.non_max_suppression(boxes, scores, 2).numpy().tolist() == [3, 0]
    assert IM.non_max_suppression(boxes, scores, 4, 0.5, 0.5).numpy().tolist() == [3]


# --- rotations, transforms, flips, colours, thresholds ---------------------------------

@pytest.mark.parametrize("radians,fill,center", [
    (0.7, 0, 0.5), (-2.1, 3.5, [0.2, 0.9]), (math.pi / 2, [1.0, 2.0, 3.0], 0.5),
    (0.0, 0, 0.5)])
def test_rotate_with_offset(radians, fill, center):
    img = normal(2, 5, 7, 3)
    c = center if isinstance(center, list) else [center, center]
    y = IM.rotate_with_offset(tn.tensor(img), radians, fill, center)
    fill_px = np.array(fill, float) if isinstance(fill, list) else fill
    np.testing.assert_allclose(y.numpy(), ref_rotate(img, radians, fill_px, c), rtol=1e-6)
    check_grads(lambda t: IM.rotate_with_offset(t, radians, fill, center), [img])
    if radians == 0.0:
        np.testing.assert_array_equal(y.numpy(), img)


def test_rotate_fills_a_fourth_channel_opaque_and_keeps_int32():
    img = np.zeros((1, 3, 3, 4), np.int32)
    y = IM.rotate_with_offset(tn.tensor(img), math.pi / 4, [10.7, 20, 30], 0.0)
    assert y.dtype == "int32"
    assert y.numpy()[0, 2, 0].tolist() == [10, 20, 30, 255]   # outside: filled, truncated
    assert y.numpy()[0, 0, 2].tolist() == [0, 0, 0, 0]       # inside: the image


@pytest.mark.parametrize("method", ["nearest", "bilinear"])
@pytest.mark.parametrize("mode", ["constant", "reflect", "wrap", "nearest"])
def test_transform_matches_the_definition(method, mode):
    img = normal(2, 4, 5, 2)
    t = np.array([[1.2, -0.3, 1.6, 0.4, 0.9, -1.7, 0.02, -0.05],
                  [-1.0, 0.0, 4.0, 0.0, 1.0, 0.0, 0.0, 0.0]], np.float32)
    for tt, out_hw in ((t, None), (t[:1], [6, 3])):
        y = IM.transform(tn.tensor(img), tn.tensor(tt), method, mode, -1.5, out_hw)
        want = ref_transform(img, tt, method, mode, -1.5, out_hw or (4, 5))
        np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-5)
        check_grads(lambda v: IM.transform(v, tn.tensor(tt), method, mode, -1.5, out_hw), [img])
    # the second transform mirrors left to right
    mirror = IM.transform(tn.tensor(img), tn.tensor(t), method, mode)
    np.testing.assert_array_equal(mirror.numpy()[1], img[1, :, ::-1])


def test_transform_zero_projection_reads_the_fill_value():
    img = np.ones((1, 2, 3, 1), np.float32)
    t = np.array([[1, 0, 0, 0, 1, 0, -1, 0]], np.float32)   # k = 1 - x: zero at x = 1
    y = IM.transform(tn.tensor(img), tn.tensor(t), "bilinear", "nearest", 7)
    assert (y.numpy()[0, :, 1, 0] == 7).all()


def test_flip_and_colour_conversions():
    img = normal(2, 3, 4, 3)
    np.testing.assert_array_equal(IM.flip_left_right(tn.tensor(img)).numpy(), img[:, :, ::-1])
    check_grads(IM.flip_left_right, [img])
    gray = IM.rgb_to_grayscale(tn.tensor(img))
    assert gray.shape == (2, 3, 4, 1)
    np.testing.assert_allclose(gray.numpy()[..., 0], img.astype(float) @ [0.2989, 0.587, 0.114],
                               rtol=1e-6, atol=1e-6)
    check_grads(IM.rgb_to_grayscale, [img[0]], torch_fn=torch and (
        lambda t: (t * torch.tensor([0.2989, 0.587, 0.114], dtype=t.dtype)).sum(-1, keepdim=True)))
    ints = np.array([[[100, 200, 50], [255, 255, 255]]], np.int32)
    g = IM.rgb_to_grayscale(tn.tensor(ints))
    assert g.dtype == "int32" and g.numpy()[..., 0].tolist() == [[152, 254]]   # 152.99 truncated
    rgb = IM.grayscale_to_rgb(tn.tensor(img[..., :1]))
    np.testing.assert_array_equal(rgb.numpy(), np.repeat(img[..., :1], 3, -1))
    check_grads(IM.grayscale_to_rgb, [img[0, :, :, :1]])
    assert IM.grayscale_to_rgb(np.ones((2, 1), np.int32)).dtype == "int32"


def test_threshold_binary_and_otsu():
    r = np.random.default_rng(4)
    img = np.concatenate([r.normal(60, 15, 300), r.normal(180, 20, 300)]).clip(0, 255)
    img = r.permutation(img).reshape(20, 30, 1).astype(np.float32)
    for inverted in (False, True):
        y = IM.threshold(tn.tensor(img), "binary", inverted, 0.4)
        assert y.dtype == "int32" and y.shape == (20, 30, 1)
        want = (img <= 0.4 * 255) if inverted else (img > 0.4 * 255)
        np.testing.assert_array_equal(y.numpy(), want * 255)
    t = ref_otsu(img)
    assert 60 < t < 180
    np.testing.assert_array_equal(IM.threshold(tn.tensor(img), "otsu").numpy(), (img > t) * 255)
    rgb = r.uniform(0, 255, (6, 5, 3)).astype(np.float32)
    gray = rgb.astype(float) @ [0.2989, 0.587, 0.114]
    np.testing.assert_array_equal(IM.threshold(tn.tensor(rgb)).numpy()[..., 0],
                                  (gray > 127.5) * 255)
    t = ref_otsu(gray)
    np.testing.assert_array_equal(IM.threshold(tn.tensor(rgb), "otsu").numpy()[..., 0],
                                  (gray > t) * 255)
    flat = np.full((2, 2, 1), 9, np.int32)     # one grey level: no split, threshold -1
    assert (IM.threshold(tn.tensor(flat), "otsu").numpy() == 255).all()


# --- the real TF.js ---------------------------------------------------------------------

def test_values_match_tfjs():
    img = normal(2, 4, 5, 3, seed=3)
    one = img[:1]
    boxes, ind = _boxes()
    nb, ns = _random_boxes(25, 11)
    t = np.array([[1.2, -0.3, 1.6, 0.4, 0.9, -1.7, 0.02, -0.05]], np.float32)
    gray = (np.random.default_rng(5).uniform(0, 255, (6, 7, 1))).astype(np.float32)
    cases = []
    ours = []

    def add(op, args, mine):
        cases.append({"op": op, "args": args})
        ours.append(mine)
    for align, half in ((False, False), (True, False), (False, True)):
        for size in ([7, 3], [2, 2], [1, 6]):
            add("resizeBilinear", [T(img), size, align, half],
                lambda s=size, a=align, h=half: IM.resize_bilinear(img, s, a, h))
            add("resizeNearestNeighbor", [T(img), size, align, half],
                lambda s=size, a=align, h=half: IM.resize_nearest_neighbor(img, s, a, h))
    for method in ("bilinear", "nearest"):
        for size in ([3, 4], [1, 1]):
            add("cropAndResize", [T(img), T(boxes), T(ind), size, method, 0.5],
                lambda m=method, s=size: IM.crop_and_resize(img, boxes, ind, s, m, 0.5))
    for mode in ("constant", "reflect", "wrap", "nearest"):
        for method in ("nearest", "bilinear"):
            # one image: TF.js 4.22's CPU kernel transforms only the first of a batch
            add("transform", [T(one), T(t), method, mode, 0.25, [5, 6]],
                lambda m=method, f=mode: IM.transform(one, t, m, f, 0.25, [5, 6]))
    for args in ((0.7, 0, 0.5), (-2.1, [0.1, 0.2, 0.3], [0.2, 0.9])):
        add("rotateWithOffset", [T(img), *args], lambda a=args: IM.rotate_with_offset(img, *a))
    add("flipLeftRight", [T(img)], lambda: IM.flip_left_right(img))
    add("rgbToGrayscale", [T(img)], lambda: IM.rgb_to_grayscale(img))
    add("grayscaleToRGB", [T(img[..., :1])], lambda: IM.grayscale_to_rgb(img[..., :1]))
    for args in (("binary", False, 0.3), ("binary", True, 0.6), ("otsu", False, 0.5)):
        add("threshold", [T(gray), *args], lambda a=args: IM.threshold(gray, *a))
    add("threshold", [T(gray[..., [0, 0, 0]] * [1.0, 0.5, 0.9]), "otsu"],
        lambda: IM.threshold(gray[..., [0, 0, 0]] * np.float32([1.0, 0.5, 0.9]), "otsu"))
    for args in ((10, 0.5, -1e9), (25, 0.3, 0.4)):
        add("nonMaxSuppression", [T(nb), T(ns), *args],
            lambda a=args: IM.non_max_suppression(nb, ns, *a))
        add("nonMaxSuppressionPadded", [T(nb), T(ns), *args, True],
            lambda a=args: IM.non_max_suppression_padded(nb, ns, *a, True))
    for sigma in (0.0, 0.3, 1.0):
        add("nonMaxSuppressionWithScore", [T(nb), T(ns), 20, 0.5, 0.05, sigma],
            lambda s=sigma: IM.non_max_suppression_with_score(nb, ns, 20, 0.5, 0.05, s))
        add("nonMaxSuppressionWithScoreAsync", [T(nb), T(ns), 20, 0.4, -1e9, sigma],
            lambda s=sigma: IM.non_max_suppression_with_score_async(nb, ns, 20, 0.4, -1e9, s))
    results = run_tfjs(cases)
    for case, mine, want in zip(cases, ours, results):
        assert "error" not in want, (case["op"], want)
        got = mine()
        if isinstance(got, tn.Tensor):
            got, want = {"v": got}, {"v": want}
        else:
            want = {k: want[k] for k in ({"selected_indices": "selectedIndices",
                                          "selected_scores": "selectedScores",
                                          "valid_outputs": "validOutputs"}[f] for f in got._fields)}
            got = dict(zip(want, got))
        for key in want:
            w, g = from_js(want[key]), got[key]
            assert g.dtype == want[key]["dtype"] and g.shape == w.shape, (case["op"], key)
            np.testing.assert_allclose(g.numpy(), w, rtol=2e-7, atol=1e-7,
                                       err_msg=f"{case['op']} {case['args'][1:]}")


def test_gradients_match_tfjs_where_tfjs_is_right():
    """TF.js's resize gradients are the adjoints of its forward passes except with
    half_pixel_centers, which they ignore (docs/api_coverage.md): ours agree elsewhere.
    (Square images: TF.js 4.22's bilinear gradient swaps height and width in its shape.)"""
    img = normal(1, 4, 4, 2, seed=8)
    cases, ours = [], []
    for op, fn in (("resizeBilinear", IM.resize_bilinear),
                   ("resizeNearestNeighbor", IM.resize_nearest_neighbor)):
        for align in (False, True):
            for size in ([7, 3], [2, 2], [9, 11]):
                w = normal(1, *size, 2, seed=9)
                cases.append({"op": op, "args": [T(img), size, align], "gradWeights":
                              T(w)["tensor"]})
                ours.append(tn.grad(lambda t, s=size, a=align, w=w, f=fn:
                                    tn.sum(f(t, s, a) * w))(tn.tensor(img)))
    for want, got in zip(run_tfjs(cases), ours):
        np.testing.assert_allclose(got.numpy(), from_js(want), rtol=1e-5, atol=1e-6)


def test_tfjs_transform_and_half_pixel_gradient_differences():
    """Where treino differs from TF.js 4.22 on purpose: every image of a batch is
    transformed, and the half-pixel resize gradient is the forward pass's adjoint."""
    img = normal(2, 3, 3, 1, seed=1)
    t = [[1, 0, 0.5, 0, 1, 0, 0, 0]]
    res = run_tfjs([{"op": "transform", "args": [T(img), T(np.float32(t)), "bilinear"]},
                    {"op": "resizeBilinear", "args": [T(img[:1]), [5, 5], False, True],
                     "gradWeights": T(np.ones((1, 5, 5, 1), np.float32))["tensor"]}])
    tfjs_t = from_js(res[0])
    ours = IM.transform(img, t, "bilinear").numpy()
    np.testing.assert_allclose(ours[0], tfjs_t[0], rtol=1e-6)
    assert (tfjs_t[1] == 0).all() and not (ours[1] == 0).all()
    np.testing.assert_allclose(ours[1], ref_transform(img, np.float32(t), "bilinear",
                                                      "constant", 0, (3, 3))[1], rtol=1e-6)
    g = tn.grad(lambda x: tn.sum(IM.resize_bilinear(x, [5, 5], False, True)))(
        tn.tensor(img[:1])).numpy()
    assert abs(g.sum() - 25) < 1e-4   # each output pixel's weights sum to 1
    assert not np.allclose(from_js(res[1]), g)


# --- bad arguments and empty inputs -----------------------------------------------------

X4 = np.zeros((1, 2, 2, 3), np.float32)
BAD = [
    (IM.resize_bilinear, (np.zeros((2, 2)), [3, 3]), ValueError,
     r"resize_bilinear: argument 'images' must have rank 3 or 4, received shape \[2, 2\]"),
    (IM.resize_bilinear, (X4, [3]), ValueError,
     r"resize_bilinear: argument 'size' must be \[height, width\], two ints >= 0, received \[3\]"),
    (IM.resize_nearest_neighbor, (X4, [3, -1]), ValueError, "argument 'size' must be"),
    (IM.resize_bilinear, (X4, [3, 3], True, True), ValueError,
     "align_corners and half_pixel_centers cannot both be True"),
    (IM.resize_bilinear, (X4, [3, 3], 1), TypeError, "argument 'align_corners' must be True or False"),
    (IM.resize_nearest_neighbor, (np.zeros((1, 2, 2, 1), bool), [2, 2]), TypeError,
     "argument 'images' must be a float32 or int32 tensor, received dtype bool"),
    (IM.resize_bilinear, (np.zeros((1, 0, 2, 1), np.float32), [2, 2]), ValueError,
     "cannot resize images of height x width 0x2 to 2x2"),
    (IM.flip_left_right, (np.zeros((2, 2, 3)),), ValueError,
     "flip_left_right: argument 'image' must have rank 4"),
    (IM.grayscale_to_rgb, (np.zeros((2, 2, 3)),), ValueError, "last axis of a grayscale image must have size 1"),
    (IM.rgb_to_grayscale, (np.zeros((2, 2, 1)),), ValueError, "last axis of an RGB image must have size 3"),
    (IM.rgb_to_grayscale, (np.zeros(3),), ValueError, "must have rank 2 to 6"),
    (IM.crop_and_resize, (X4, [[0, 0, 1]], [0], [2, 2]), ValueError,
     r"argument 'boxes' must have shape \[num_boxes, 4\], received \[1, 3\]"),
    (IM.crop_and_resize, (X4, [[0, 0, 1, 1]], [0, 0], [2, 2]), ValueError,
     r"argument 'box_ind' must have shape \[1\]"),
    (IM.crop_and_resize, (X4, [[0, 0, 1, 1]], tn.tensor([0.0]), [2, 2]), TypeError,
     "argument 'box_ind' must be an int32 tensor"),
    (IM.crop_and_resize, (X4, [[0, 0, 1, 1]], [0], [0, 2]), ValueError,
     r"argument 'crop_size' must be \[height, width\], two ints >= 1"),
    (IM.crop_and_resize, (X4, [[0, 0, 1, 1]], [0], [2, 2], "area"), ValueError,
     r"argument 'method' must be one of \['bilinear', 'nearest'\], received 'area'"),
    (IM.rotate_with_offset, (X4, 1.0, [1, 2]), ValueError, r"argument 'fill_value' must be a number or \[r, g, b\]"),
    (IM.rotate_with_offset, (X4, "1"), TypeError, "argument 'radians' must be a number"),
    (IM.rotate_with_offset, (X4, 1.0, 0, [0.5]), ValueError, r"argument 'center' must be a number or \[x, y\]"),
    (IM.transform, (X4, np.zeros((1, 6))), ValueError,
     r"argument 'transforms' must have shape \[1, 8\] or \[1, 8\], received \[1, 6\]"),
    (IM.transform, (X4, np.zeros((1, 8)), "bicubic"), ValueError, "argument 'interpolation' must be one of"),
    (IM.transform, (X4, np.zeros((1, 8)), "nearest", "mirror"), ValueError, "argument 'fill_mode' must be one of"),
    (IM.transform, (X4, np.zeros((1, 8)), "nearest", "constant", 0, [3]), ValueError,
     "argument 'output_shape' must be"),
    (IM.threshold, (np.zeros((2, 2, 2)),), ValueError, "must have 3 or 1 channels"),
    (IM.threshold, (np.zeros((1, 2, 2, 1)),), ValueError, "argument 'image' must have rank 3"),
    (IM.threshold, (np.zeros((2, 2, 1)), "mean"), ValueError, "argument 'method' must be one of"),
    (IM.threshold, (-np.ones((2, 2, 1), np.float32), "otsu"), ValueError,
     "method 'otsu' needs non-negative pixel values"),
    (IM.non_max_suppression, (np.zeros((2, 3)), np.zeros(2), 2), ValueError,
     r"argument 'boxes' must have shape \[num_boxes, 4\]"),
    (IM.non_max_suppression, (np.zeros((2, 4)), np.zeros(3), 2), ValueError,
     r"argument 'scores' must have shape \[2\]"),
    (IM.non_max_suppression, (np.zeros((2, 4)), np.zeros(2), -1), ValueError,
     "argument 'max_output_size' must be an int >= 0"),
    (IM.non_max_suppression, (np.zeros((2, 4)), np.zeros(2), 2, 1.5), ValueError,
     r"argument 'iou_threshold' must be a number in \[0, 1\], received 1.5"),
    (IM.non_max_suppression_with_score, (np.zeros((2, 4)), np.zeros(2), 2, 0.5, 0, 2), ValueError,
     r"argument 'soft_nms_sigma' must be a number in \[0, 1\]"),
    (IM.non_max_suppression_padded, (np.zeros((2, 4)), np.zeros(2), 2, 0.5, 0, 1), TypeError,
     "argument 'pad_to_max_output_size' must be True or False"),
]


@pytest.mark.parametrize("fn,args,exc,pattern", BAD, ids=[f"{b[0].__name__}-{i}" for i, b in enumerate(BAD)])
def test_bad_arguments_raise_clear_errors(fn, args, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn(*args)


def test_zero_size_inputs():
    empty = np.zeros((0, 3, 4, 2), np.float32)
    for fn in (IM.resize_bilinear, IM.resize_nearest_neighbor):
        assert fn(empty, [5, 2]).shape == (0, 5, 2, 2)
        assert fn(normal(2, 3, 4, 2), [0, 3]).shape == (2, 0, 3, 2)
        assert fn(np.zeros((0, 0, 2), np.float32), [0, 0]).shape == (0, 0, 2)
        g = tn.grad(lambda t, f=fn: tn.sum(f(t, [0, 3])))(tn.tensor(normal(2, 3, 4, 2)))
        assert (g.numpy() == 0).all()
    assert IM.flip_left_right(empty).shape == (0, 3, 4, 2)
    assert IM.rotate_with_offset(empty, 1.0).shape == (0, 3, 4, 2)
    assert IM.transform(empty, np.eye(3).ravel()[:8][None]).shape == (0, 3, 4, 2)
    assert IM.transform(normal(1, 3, 4, 2), np.eye(3).ravel()[:8][None],
                        output_shape=[0, 0]).shape == (1, 0, 0, 2)
    assert IM.rgb_to_grayscale(np.zeros((0, 3), np.float32)).shape == (0, 1)
    crop = IM.crop_and_resize(normal(2, 3, 4, 2), np.zeros((0, 4)), np.zeros(0, np.int32), [2, 2])
    assert crop.shape == (0, 2, 2, 2)
    g = tn.grad(lambda t: tn.sum(IM.crop_and_resize(t, np.zeros((0, 4)), np.zeros(0, np.int32),
                                                    [2, 2])))(tn.tensor(normal(2, 3, 4, 2)))
    assert (g.numpy() == 0).all()
    assert IM.threshold(np.zeros((0, 4, 3), np.float32), "otsu").shape == (0, 4, 1)
    for fn in (IM.non_max_suppression, IM.non_max_suppression_async):
        assert fn(np.zeros((0, 4)), np.zeros(0), 5).shape == (0,)
    r = IM.non_max_suppression_padded(np.zeros((0, 4)), np.zeros(0), 5, pad_to_max_output_size=True)
    assert r.selected_indices.shape == (0,) and int(r.valid_outputs.item()) == 0
    r = IM.non_max_suppression_with_score(np.zeros((3, 4)), np.ones(3), 0)
    assert r.selected_indices.shape == (0,) and r.selected_scores.shape == (0,)


# --- the Resizing layer -----------------------------------------------------------------

def test_resizing_layer_values_config_and_errors():
    x = normal(2, 6, 6, 3)
    for interpolation, crop in (("bilinear", False), ("bilinear", True), ("nearest", False),
                                ("nearest", True)):
        layer = L.resizing(height=4, width=5, interpolation=interpolation,
                           crop_to_aspect_ratio=crop)
        y = layer(tn.tensor(x))
        assert y.shape == (2, 4, 5, 3)
        # TF.js 4.22: crop_to_aspect_ratio=False aligns the corners, True does not
        want = ref_resize(x, 4, 5, interpolation, align=not crop)
        np.testing.assert_allclose(y.numpy(), want, rtol=1e-6, atol=1e-6)
        assert layer(tn.tensor(x[0])).shape == (4, 5, 3)
        cfg = layer.get_config()
        assert {k: cfg[k] for k in ("height", "width", "interpolation",
                                    "crop_to_aspect_ratio")} == {
            "height": 4, "width": 5, "interpolation": interpolation,
            "crop_to_aspect_ratio": crop}
        assert type(layer).from_config(cfg).get_config() == cfg
    ints = tn.tensor(np.arange(36, dtype=np.int32).reshape(1, 6, 6, 1))
    # TF.js's Resizing tests: 6x6 -> 3x3 nearest
    near = L.resizing(height=3, width=3, interpolation="nearest")(ints)
    assert near.dtype == "int32"
    assert near.numpy()[0, ..., 0].tolist() == [[0, 3, 5], [18, 21, 23], [30, 33, 35]]
    assert L.resizing(height=3, width=3)(ints).dtype == "float32"
    assert L.Resizing(3, 4).get_config()["interpolation"] == "bilinear"
    with pytest.raises(ValueError, match="Resizing: argument 'interpolation' must be one of "
                                         r"\['bilinear', 'nearest'\], received 'bicubic'"):
        L.resizing(height=2, width=2, interpolation="bicubic")
    with pytest.raises(ValueError, match="Resizing: argument 'height' must be a positive int"):
        L.resizing(height=0, width=2)
    with pytest.raises(TypeError, match="Resizing: argument 'width' must be a positive int"):
        L.resizing(height=2, width=2.0)
    with pytest.raises(TypeError, match="argument 'crop_to_aspect_ratio' must be True or False"):
        L.resizing(height=2, width=2, crop_to_aspect_ratio="yes")
    with pytest.raises(ValueError, match="Input 0 is incompatible with layer .*: expected images of rank 4"):
        L.resizing(height=2, width=2)(tn.zeros([2, 3]))


def _resizing_model(interpolation="bilinear"):
    return tn.sequential(layers=[
        L.resizing(height=5, width=4, interpolation=interpolation, input_shape=[7, 6, 2]),
        L.conv2d(filters=3, kernel_size=2, activation="relu"), L.flatten(),
        L.dense(units=3, activation="softmax")])


def test_resizing_in_fit_replays_bit_identically():
    x = normal(20, 7, 6, 2, seed=2)
    y = np.eye(3, dtype=np.float32)[np.random.default_rng(3).integers(0, 3, 20)]
    for interpolation in ("bilinear", "nearest"):
        runs = []
        for eager in (False, True):
            tn.set_seed(5)
            model = _resizing_model(interpolation)
            model.compile(optimizer=tn.train.adam(0.01), loss="categoricalCrossentropy",
                          run_eagerly=eager)
            losses = []
            model.fit(x, y, batch_size=6, epochs=2, verbose=0, shuffle=False,
                      callbacks={"on_batch_end": lambda b, logs: losses.append(logs["loss"])})
            runs.append((model, losses))
        (fast, lf), (slow, ls) = runs
        assert fast._programs and all(isinstance(p, Program) for p in fast._programs.values())
        assert lf == ls
        for u, v in zip(fast.get_weights(), slow.get_weights()):
            np.testing.assert_array_equal(np.asarray(u), np.asarray(v))


def test_resizing_functional_summary_and_save_load(tmp_path, capsys):
    inp = tn.input(shape=[6, 8, 3])
    a = L.resizing(height=4, width=4, name="small")(inp)
    b = L.resizing(height=4, width=4, interpolation="nearest", crop_to_aspect_ratio=True)(inp)
    out = L.dense(units=2)(L.flatten()(L.concatenate()([a, b])))
    model = tn.model(inputs=inp, outputs=out)
    assert a.shape == (None, 4, 4, 3)
    model.summary()
    text = capsys.readouterr().out
    assert "(Resizing)" in text and "[null,4,4,3]" in text
    x = normal(3, 6, 8, 3)
    for target in (tmp_path / "m", tmp_path / "m.treino"):
        model.save(str(target))
        loaded = tn.load_layers_model(str(target))
        assert [l.get_config() for l in loaded.layers] == [l.get_config() for l in model.layers]
        np.testing.assert_array_equal(loaded.predict(x).numpy(), model.predict(x).numpy())
    saved = json.loads((tmp_path / "m" / "model.json").read_text())
    cfgs = [l["config"] for l in saved["modelTopology"]["config"]["layers"]
            if l["class_name"] == "Resizing"]
    assert cfgs[1]["crop_to_aspect_ratio"] is True and cfgs[1]["interpolation"] == "nearest"


def test_resizing_layer_matches_tfjs():
    """TF.js's own layer, applied to images. (A TF.js model cannot hold it: in a model
    TF.js 4.22 hands Resizing.call a list of tensors, which its resize op refuses.)"""
    x = normal(2, 4, 6, 2)
    cases, ours = [], []
    for interpolation in ("bilinear", "nearest"):
        for crop in (False, True):
            for img in (x, x[0]):
                cases.append({"layer": "resizing", "config": {
                    "height": 5, "width": 3, "interpolation": interpolation,
                    "cropToAspectRatio": crop}, "input": T(img)["tensor"]})
                ours.append(L.resizing(height=5, width=3, interpolation=interpolation,
                                       crop_to_aspect_ratio=crop)(tn.tensor(img)))
    for want, got in zip(run_tfjs(cases), ours):
        assert got.shape == tuple(want["shape"]) and got.dtype == want["dtype"]
        np.testing.assert_allclose(got.numpy(), from_js(want), rtol=2e-7, atol=1e-7)
