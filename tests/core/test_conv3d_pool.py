"""conv3d, conv3d_transpose, max_pool3d, avg_pool3d, dilation2d, max_pool_with_argmax and
pool: against PyTorch in float64 (after the NDHWC <-> NCDHW transposes), float64
central differences, plain loops, and the real TF.js 4.22 (tests/tfjs/conv3d_pool.js,
when node and tests/tfjs are installed); odd and even sizes, strides, dilations, 'same'
and 'valid', batch 1, channel counts off the SIMD widths; bad arguments."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads
from treino.core.ops.conv import pads
from treino.core.ops.conv3d import pads3d

torch = pytest.importorskip("torch")
F = torch.nn.functional
RNG = np.random.default_rng(11)


def normal(*shape):
    return RNG.normal(size=shape).astype(np.float32)


def spaced(*shape):
    """Distinct values at least 0.05 apart (no ties for a max; finite differences of
    1e-3 never reorder them)."""
    return (RNG.permutation(int(np.prod(shape))).reshape(shape) * 0.05 - 1).astype(np.float32)


def _t(a):
    return torch.tensor(np.asarray(a, np.float64))


def _ncdhw(a):
    return _t(a).permute(0, 4, 1, 2, 3)


def _ndhwc(t):
    return t.permute(0, 2, 3, 4, 1)


def _torch_pad(padding):
    """(front, back, top, bottom, left, right) -> F.pad's order (last axis first)."""
    f, b, t, bo, l, r = padding
    return (l, r, t, bo, f, b)


CONV_CASES = [  # x shape, filter depth/height/width, out channels, strides, dilations, pad
    ((2, 5, 6, 7, 3), (3, 3, 3), 4, 1, 1, "same"),
    ((1, 7, 5, 6, 2), (2, 3, 2), 3, (2, 1, 3), 1, "valid"),
    ((3, 6, 6, 5, 2), (3, 2, 3), 5, 1, (2, 1, 2), "same"),
    ((2, 4, 5, 5, 3), (4, 1, 2), 2, (3, 2, 1), 1, "same"),
    ((1, 3, 4, 4, 17), (5, 3, 3), 16, 1, 1, "same"),  # taps beyond the depth: padding only
    ((2, 8, 3, 4, 1), (3, 3, 2), 2, (2, 2, 2), 1, "valid"),
    ((1, 6, 5, 4, 5), (2, 2, 2), 33, 1, (3, 1, 1), "valid"),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv3d_matches_pytorch_forward_and_gradients(case, isa):
    shape, fs, oc, strides, dil, pad = case
    x, k = normal(*shape), normal(*fs, shape[4], oc)
    s3, d3 = [(v,) * 3 if isinstance(v, int) else v for v in (strides, dil)]
    padding, out = pads3d("t", pad, shape[1:4], fs, s3, d3)
    xt = _ncdhw(x).requires_grad_()
    wt = _t(k).permute(4, 3, 0, 1, 2).detach().requires_grad_()
    yt = _ndhwc(F.conv3d(F.pad(xt, _torch_pad(padding)), wt, stride=s3, dilation=d3))
    y = tn.conv3d(x, k, strides, pad, dilations=dil)
    assert y.shape == tuple(yt.shape) == (shape[0], *out, oc)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = normal(*y.shape)
    (yt * _t(g)).sum().backward()
    gx, gk = tn.grads(lambda a, b: tn.sum(tn.mul(tn.conv3d(a, b, strides, pad, dilations=dil),
                                                 g)))([tn.tensor(x), tn.tensor(k)])
    np.testing.assert_allclose(gx.numpy(), _ndhwc(xt.grad).numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(gk.numpy(), wt.grad.permute(2, 3, 4, 1, 0).numpy(), rtol=1e-4,
                               atol=1e-3)


def test_conv3d_layouts_unbatched_and_thread_independence(threads):
    x, k = normal(2, 3, 5, 6, 4), normal(2, 3, 3, 3, 5)
    want = tn.conv3d(x.transpose(0, 2, 3, 4, 1), k, 2, "same").numpy()
    got = tn.conv3d(x, k, 2, "same", data_format="NCDHW").numpy()
    np.testing.assert_array_equal(got, want.transpose(0, 4, 1, 2, 3))
    single = tn.conv3d(x[1].transpose(1, 2, 3, 0), k, 2, "same")
    assert single.shape == want.shape[1:]
    np.testing.assert_array_equal(single.numpy(), want[1])
    tn.set_num_threads(1)
    one = tn.conv3d(x.transpose(0, 2, 3, 4, 1), k, 1, "same").numpy()
    tn.set_num_threads(2)
    two = tn.conv3d(x.transpose(0, 2, 3, 4, 1), k, 1, "same").numpy()
    np.testing.assert_array_equal(one, two)
    # int32 input is computed as float32, as TF.js does
    ints = np.arange(2 * 3 * 3 * 3).reshape(1, 2, 3, 3, 3).astype(np.int32)
    np.testing.assert_allclose(tn.conv3d(ints, np.ones((1, 1, 1, 3, 1), np.float32), 1,
                                         "valid").numpy()[..., 0], ints.sum(-1))


def test_conv3d_and_transpose_gradients_match_finite_differences():
    check_grads(lambda a, b: tn.conv3d(a, b, 1, "same", dilations=(1, 2, 1)),
                [normal(1, 3, 4, 3, 2), normal(2, 2, 2, 2, 2)], eps=1e-2)
    check_grads(lambda a, b: tn.conv3d(a, b, (2, 1, 2), "valid"),
                [normal(2, 4, 3, 4, 1), normal(2, 2, 3, 1, 2)], eps=1e-2)
    check_grads(lambda a, b: tn.conv3d_transpose(a, b, [1, 5, 4, 3, 2], 2, "same"),
                [normal(1, 3, 2, 2, 3), normal(3, 2, 2, 2, 3)], eps=1e-2)


@pytest.mark.parametrize("shape,fs,strides,pad", [
    ((2, 5, 6, 7, 2), (3, 3, 3), 2, "same"), ((1, 7, 5, 6, 3), (2, 3, 2), (2, 1, 3), "valid"),
    ((2, 4, 4, 5, 2), (3, 2, 2), (1, 2, 2), "same"), ((1, 9, 8, 8, 1), (4, 4, 3), 3, "same")])
def test_conv3d_transpose_matches_pytorch(shape, fs, strides, pad):
    oc = 3
    k = normal(*fs, shape[4], oc)
    s3 = (strides,) * 3 if isinstance(strides, int) else strides
    padding, out = pads3d("t", pad, shape[1:4], fs, s3, (1, 1, 1))
    x = normal(shape[0], *out, oc)
    y = tn.conv3d_transpose(x, k, list(shape), strides, pad)
    # conv_transpose3d without padding, cropped by the forward's front/top/left pads
    full = [(o - 1) * s + f for o, s, f in zip(out, s3, fs)]
    extra = [max(0, padding[2 * i] + shape[1 + i] - full[i]) for i in range(3)]
    yt = F.conv_transpose3d(_ncdhw(x), _t(k).permute(4, 3, 0, 1, 2), stride=s3,
                            output_padding=extra)
    yt = _ndhwc(yt)[:, padding[0]:padding[0] + shape[1], padding[2]:padding[2] + shape[2],
                    padding[4]:padding[4] + shape[3]]
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-4, atol=1e-4)
    # the adjoint of conv3d: <conv3d(z), x> = <z, conv3d_transpose(x)>
    z = normal(*shape)
    lhs = np.sum(tn.conv3d(z, k, strides, pad).numpy().astype(np.float64) * x)
    np.testing.assert_allclose(lhs, np.sum(z.astype(np.float64) * y.numpy()), rtol=1e-4)
    unbatched = tn.conv3d_transpose(x[0], k, list(shape[1:]), strides, pad)
    np.testing.assert_array_equal(unbatched.numpy(), y.numpy()[0])


POOL_CASES = [  # x shape, window, strides, pad
    ((2, 5, 6, 7, 3), 2, 2, "valid"), ((1, 7, 5, 6, 2), (3, 2, 3), (2, 1, 2), "same"),
    ((2, 4, 5, 5, 17), 3, 1, "same"), ((2, 6, 5, 4, 2), (2, 3, 2), (3, 2, 1), "valid"),
    ((1, 5, 5, 5, 1), 2, 3, "same"), ((1, 6, 6, 6, 2), (1, 3, 3), (1, 2, 2), "valid")]


@pytest.mark.parametrize("shape,window,strides,pad", POOL_CASES)
def test_pool3d_match_pytorch_forward_and_gradients(shape, window, strides, pad, isa):
    x = spaced(*shape)
    w3, s3 = [(v,) * 3 if isinstance(v, int) else v for v in (window, strides)]
    padding, _ = pads3d("t", pad, shape[1:4], w3, s3, (1, 1, 1))
    g = normal(*tn.max_pool3d(x, window, strides, pad).shape)
    xt = _ncdhw(x).requires_grad_()
    ym = _ndhwc(F.max_pool3d(F.pad(xt, _torch_pad(padding), value=-1e300), w3, s3))
    (ym * _t(g)).sum().backward()
    y, gx = tn.value_and_grad(lambda t: tn.sum(tn.mul(tn.max_pool3d(t, window, strides, pad),
                                                      g)))(tn.tensor(x))
    np.testing.assert_array_equal(tn.max_pool3d(x, window, strides, pad).numpy(),
                                  ym.detach().numpy())
    np.testing.assert_allclose(gx.numpy(), _ndhwc(xt.grad).numpy(), rtol=1e-6, atol=1e-6)
    # The average counts only the elements inside the volume (TF.js).
    xt = _ncdhw(x).requires_grad_()
    count = F.avg_pool3d(F.pad(torch.ones(1, 1, *shape[1:4], dtype=torch.float64),
                               _torch_pad(padding)), w3, s3)
    ya = _ndhwc(F.avg_pool3d(F.pad(xt, _torch_pad(padding)), w3, s3) / count)
    (ya * _t(g)).sum().backward()
    got = tn.avg_pool3d(x, window, strides, pad)
    np.testing.assert_allclose(got.numpy(), ya.detach().numpy(), rtol=1e-5, atol=1e-6)
    ga = tn.grad(lambda t: tn.sum(tn.mul(tn.avg_pool3d(t, window, strides, pad), g)))(x)
    np.testing.assert_allclose(ga.numpy(), _ndhwc(xt.grad).numpy(), rtol=1e-5, atol=1e-6)


def test_pool3d_numeric_pad_rounding_layouts_and_finite_differences():
    x = spaced(1, 6, 5, 7, 2)
    # (6 - 3 + 2) / 2 + 1 = 3.5: truncated by default, 4 with 'ceil' (TF.js's rounding)
    assert tn.max_pool3d(x, 3, 2, 1).shape == (1, 3, 3, 4, 2)
    assert tn.avg_pool3d(x, 3, 2, 1, dim_rounding_mode="ceil").shape == (1, 4, 3, 4, 2)
    xt = F.pad(_ncdhw(x), (1, 1, 1, 1, 1, 1), value=-1e300)
    np.testing.assert_array_equal(tn.max_pool3d(x, 3, 2, 1).numpy(),
                                  _ndhwc(F.max_pool3d(xt, 3, 2)).numpy())
    first = tn.avg_pool3d(x.transpose(0, 4, 1, 2, 3), 2, 2, "same", data_format="NCDHW")
    np.testing.assert_allclose(first.numpy(), tn.avg_pool3d(x, 2, 2, "same").numpy()
                               .transpose(0, 4, 1, 2, 3), rtol=1e-6)
    np.testing.assert_array_equal(tn.max_pool3d(x[0], 2, 2, "valid").numpy(),
                                  tn.max_pool3d(x, 2, 2, "valid").numpy()[0])
    check_grads(lambda t: tn.max_pool3d(t, (2, 3, 2), (1, 2, 2), "same"), [spaced(1, 3, 4, 4, 2)])
    check_grads(lambda t: tn.avg_pool3d(t, 3, (2, 1, 2), 1, "ceil"), [normal(2, 4, 3, 4, 1)])


def _dilation_reference(x, f, strides, pad, rates):
    """TF.js's Dilation2D kernel as plain loops, in float64."""
    n, h, w, c = x.shape
    fh, fw, _ = f.shape
    top, bottom, left, right = pads("t", pad, (h, w), (fh, fw), strides, rates)
    oh = (h + top + bottom - (fh - 1) * rates[0] - 1) // strides[0] + 1
    ow = (w + left + right - (fw - 1) * rates[1] - 1) // strides[1] + 1
    y = np.full((n, oh, ow, c), -9007199254740991.0)
    for b, i, j, ch in np.ndindex(n, oh, ow, c):
        for p, q in np.ndindex(fh, fw):
            hi, wi = i * strides[0] - top + p * rates[0], j * strides[1] - left + q * rates[1]
            if 0 <= hi < h and 0 <= wi < w:
                y[b, i, j, ch] = max(y[b, i, j, ch], x[b, hi, wi, ch] + f[p, q, ch])
    return y


@pytest.mark.parametrize("shape,fs,strides,pad,rates", [
    ((2, 6, 7, 3), (3, 2), (1, 1), "same", (1, 1)), ((1, 7, 6, 2), (2, 3), (2, 1), "valid", (1, 2)),
    ((2, 5, 5, 1), (3, 3), (2, 2), "same", (2, 1)), ((1, 4, 6, 5), (1, 2), (1, 3), "same", (1, 1))])
def test_dilation2d_matches_loops_and_finite_differences(shape, fs, strides, pad, rates):
    x, f = spaced(*shape), normal(*fs, shape[3]) * 0.01
    y = tn.dilation2d(x, f, strides, pad, rates)
    np.testing.assert_allclose(y.numpy(), _dilation_reference(x.astype(np.float64), f, strides,
                                                              pad, rates), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(tn.tensor(x[0]).dilation2d(f, strides, pad, rates).numpy(),
                                  y.numpy()[0])
    check_grads(lambda a, b: tn.dilation2d(a, b, strides, pad, rates), [x, f])


def test_dilation2d_window_without_a_tap_follows_tfjs():
    # A 2-tap filter of rate 3 over a 1-row image, 'same': the first window's taps read
    # rows -1 and 2, both outside: TF.js's start value, gradient to the first row inside.
    x, f = normal(1, 1, 4, 1), normal(2, 1, 1)
    y = tn.dilation2d(x, f, 1, "same", (3, 1))
    assert y.numpy()[0, 0, 0, 0] == np.float32(-9007199254740991.0)
    gx, gf = tn.grads(lambda a, b: tn.sum(tn.dilation2d(a, b, 1, "same", (3, 1))))(
        [tn.tensor(x), tn.tensor(f)])
    np.testing.assert_array_equal(gx.numpy(), np.ones_like(x))
    np.testing.assert_array_equal(gf.numpy().ravel(), [4, 0])


def test_max_pool_with_argmax():
    x = spaced(2, 5, 6, 3)
    r = tn.max_pool_with_argmax(x, 3, 2, "same")
    np.testing.assert_array_equal(r.result.numpy(), tn.max_pool(x, 3, 2, "same").numpy())
    assert r["indexes"].dtype == "int32" and r.indexes.shape == r.result.shape
    flat = x.reshape(2, -1)
    idx = r.indexes.numpy()
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.reshape(2, -1), 1),
                                  r.result.numpy().reshape(2, -1))
    with_batch = tn.max_pool_with_argmax(x, 3, 2, "same", include_batch_in_index=True)
    np.testing.assert_array_equal(with_batch.indexes.numpy(),
                                  idx + np.arange(2).reshape(2, 1, 1, 1) * 5 * 6 * 3)
    result, indexes = tn.max_pool_with_argmax(x, (2, 3), 1, "valid")
    assert result.shape == indexes.shape == (2, 4, 4, 3)
    check_grads(lambda t: tn.max_pool_with_argmax(t, 2, (1, 2), "same").result,
                [spaced(1, 3, 4, 2)])


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool(kind):
    x = spaced(2, 9, 8, 3)
    base = tn.max_pool if kind == "max" else tn.avg_pool
    np.testing.assert_array_equal(tn.pool(x, (2, 3), kind, "same", strides=2).numpy(),
                                  base(x, (2, 3), 2, "same").numpy())
    np.testing.assert_array_equal(tn.pool(x, 2, kind, 0).numpy(), base(x, 2, 1, "valid").numpy())
    # Dilated: the window's taps rate apart; 'same' pads with zeros that take part, as
    # TF.js's space_to_batch_nd padding does.
    for pad, rates in (("valid", (2, 2)), ("same", (2, 3)), ("same", (3, 1))):
        y = tn.pool(x, (2, 3), kind, pad, dilations=rates)
        top, bottom, left, right = pads("t", pad, (9, 8), (2, 3), (1, 1), rates)
        xp = F.pad(_t(x).permute(0, 3, 1, 2), (left, right, top, bottom))
        taps = torch.stack([xp[:, :, p * rates[0]:p * rates[0] + y.shape[1],
                               q * rates[1]:q * rates[1] + y.shape[2]]
                            for p in range(2) for q in range(3)])
        want = taps.amax(0) if kind == "max" else taps.mean(0)
        np.testing.assert_allclose(y.numpy(), want.permute(0, 2, 3, 1).numpy(), rtol=1e-6,
                                   atol=1e-7)
    np.testing.assert_array_equal(tn.tensor(x[0]).pool(2, kind, "same", 2).numpy(),
                                  tn.pool(x, 2, kind, "same", 2).numpy()[0])
    check_grads(lambda t: tn.pool(t, (2, 2), kind, "same", (2, 1)), [spaced(1, 5, 4, 2)])


def test_bad_arguments():
    x5, x4 = normal(1, 4, 4, 4, 2), normal(1, 5, 5, 2)
    k5 = normal(2, 2, 2, 2, 3)
    cases = [
        (lambda: tn.conv3d(x5[None], k5, 1, "same"), "conv3d: argument 'x' must have rank 4"),
        (lambda: tn.conv3d(normal(4, 4, 2), k5, 1, "same"), "argument 'x' must have rank 4 or 5"),
        (lambda: tn.conv3d(x5, normal(2, 2, 2, 3), 1, "same"), "'filter' must have rank 5"),
        (lambda: tn.conv3d(x5, normal(2, 2, 2, 3, 3), 1, "same"), r"depth of input \(2\) must"),
        (lambda: tn.conv3d(x5, k5, 2, "same", dilations=2), "either strides or dilations"),
        (lambda: tn.conv3d(x5, k5, (1, 1), "same"), "'strides' must be an int >= 1 or a list"),
        (lambda: tn.conv3d(x5, k5, 0, "same"), "'strides'"),
        (lambda: tn.conv3d(x5, k5, 1, 1), "'pad' must be 'valid' or 'same', received 1"),
        (lambda: tn.conv3d(x5, k5, 1, "full"), "'pad'"),
        (lambda: tn.conv3d(x5, k5, 1, "same", data_format="NHWC"), "must be 'NDHWC' or 'NCDHW'"),
        (lambda: tn.conv3d(x5, normal(5, 2, 2, 2, 3), 1, "valid"), "larger than the padded input"),
        (lambda: tn.conv3d_transpose(x5, k5, [1, 4, 4, 4, 2], 1, "same"), "does not fit"),
        (lambda: tn.conv3d_transpose(normal(1, 4, 4, 4, 3), k5, [1, 9, 9, 9, 2], 2, "same"),
         "gives 5x5x5, but x is 4x4x4"),
        (lambda: tn.conv3d_transpose(normal(1, 4, 4, 4, 3), k5, [1, 4, 4, 2], 1, "same"),
         "'output_shape' must be a list of 5 positive ints"),
        (lambda: tn.max_pool3d(x5, 2), "max_pool3d: argument 'strides' is required"),
        (lambda: tn.max_pool3d(x5, 5, 1, "valid"), "larger than the padded input"),
        (lambda: tn.avg_pool3d(x5, 2, 1, 2), "must be smaller than the window"),
        (lambda: tn.avg_pool3d(x5, 2, 1, "same", "ceil"), "needs a numeric pad"),
        (lambda: tn.avg_pool3d(x5, 2, 1, -1), "'pad' must be >= 0"),
        (lambda: tn.max_pool3d(normal(4, 4, 2), 2, 1, "same"), "'x' must have rank 4 or 5"),
        (lambda: tn.dilation2d(x4, normal(2, 2, 3), 1, "same"), "same depth"),
        (lambda: tn.dilation2d(x4, normal(2, 2, 2), 1, 1), "'pad' must be 'valid' or 'same'"),
        (lambda: tn.dilation2d(x4, normal(2, 2, 2), 1, "same", data_format="NCHW"), "'NHWC'"),
        (lambda: tn.dilation2d(x4, normal(2, 2), 1, "same"), "'filter' must have rank 3"),
        (lambda: tn.max_pool_with_argmax(x5, 2, 2, "same"), "'x' must have rank 4"),
        (lambda: tn.max_pool_with_argmax(x4, 2, 2, "same", include_batch_in_index=1),
         "'include_batch_in_index' must be a bool"),
        (lambda: tn.pool(x4, 2, "min", "same"), "'pooling_type' must be 'avg' or 'max'"),
        (lambda: tn.pool(x4, 2, "max", "same", dilations=2, strides=2), "either strides or"),
        (lambda: tn.pool(x4, 3, "max", "valid", dilations=3), "larger than the padded input"),
    ]
    for call, match in cases:
        with pytest.raises((ValueError, TypeError), match=match):
            call()


# --- the real TF.js --------------------------------------------------------------------
TFJS_DIR = Path(__file__).resolve().parents[1] / "tfjs"


def run_tfjs(request):
    """tests/tfjs/conv3d_pool.js's answer, or a skip (a failure with
    TREINO_REQUIRE_TFJS=1) when node or TF.js is missing."""
    exe, reason = shutil.which("node"), None
    if exe is None:
        reason = "node is not installed, so the TF.js comparison cannot run"
    elif not (TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        reason = f"TF.js is not installed: run `npm ci` in {TFJS_DIR}"
    if reason is not None:
        if os.environ.get("TREINO_REQUIRE_TFJS") == "1":
            pytest.fail(f"TREINO_REQUIRE_TFJS=1 but {reason}")
        pytest.skip(reason)
    r = subprocess.run([exe, str(TFJS_DIR / "conv3d_pool.js")], input=json.dumps(request),
                       capture_output=True, text=True, timeout=120, cwd=TFJS_DIR)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def _spec(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "values": a.ravel().tolist()}


def _values(spec):
    return np.array(spec["values"], np.float64).reshape(spec["shape"])


def test_ops_match_tfjs():
    x5, x5b = spaced(2, 5, 6, 5, 2), spaced(1, 6, 5, 6, 3)
    k5 = normal(3, 2, 3, 2, 3)
    x4, f3 = spaced(2, 6, 7, 2), normal(3, 2, 2) * 0.01
    ct_x, ct_shape = normal(2, 3, 3, 3, 3), [2, 5, 6, 5, 2]
    # (op, treino call, TF.js args, tensor inputs, compare gradients)
    cases = [
        ("conv3d", lambda a, b: tn.conv3d(a, b, 1, "same"), [1, "same"], [x5, k5], True),
        ("conv3d", lambda a, b: tn.conv3d(a, b, (2, 1, 2), "valid"), [[2, 1, 2], "valid"],
         [x5, k5], True),
        ("conv3d", lambda a, b: tn.conv3d(a, b, 1, "valid", dilations=(2, 1, 1)),
         [1, "valid", "NDHWC", [2, 1, 1]], [x5, k5], False),  # TF.js: no dilated gradient
        ("conv3dTranspose", lambda a, b: tn.conv3d_transpose(a, b, ct_shape, 2, "same"),
         [ct_shape, 2, "same"], [ct_x, k5], False),  # TF.js: no gradient
        ("maxPool3d", lambda a: tn.max_pool3d(a, 2, 2, "valid"), [2, 2, "valid"], [x5b], True),
        ("maxPool3d", lambda a: tn.max_pool3d(a, 3, (1, 2, 2), "same"), [3, [1, 2, 2], "same"],
         [x5b], True),
        ("maxPool3d", lambda a: tn.max_pool3d(a, (2, 3, 2), 2, 1, "ceil"),
         [[2, 3, 2], 2, 1, "ceil"], [x5b], False),  # TF.js's non-cubic gradient is off
        ("avgPool3d", lambda a: tn.avg_pool3d(a, (2, 3, 2), (1, 2, 2), "valid"),
         [[2, 3, 2], [1, 2, 2], "valid"], [x5b], True),
        ("avgPool3d", lambda a: tn.avg_pool3d(a, 3, 2, "same"), [3, 2, "same"], [x5b], False),
        ("dilation2d", lambda a, b: tn.dilation2d(a, b, 1, "same", 2), [1, "same", 2], [x4, f3],
         True),
        ("dilation2d", lambda a, b: tn.dilation2d(a, b, (2, 1), "valid"), [[2, 1], "valid"],
         [x4, f3], True),
        ("pool", lambda a: tn.pool(a, (2, 3), "max", "same", (2, 2)),
         [[2, 3], "max", "same", [2, 2]], [x4], True),
        ("pool", lambda a: tn.pool(a, (3, 2), "avg", "same", (1, 3)),
         [[3, 2], "avg", "same", [1, 3]], [x4], True),
        ("pool", lambda a: tn.pool(a, 2, "avg", "valid", 2), [2, "avg", "valid", 2], [x4], True),
        ("pool", lambda a: tn.pool(a, 3, "max", "same", 1, 2), [3, "max", "same", 1, 2], [x4],
         True),
    ]
    request = []
    for op, _, args, inputs, grads in cases:
        case = {"op": op, "inputs": [_spec(a) for a in inputs], "args": args}
        if grads:
            fn = cases[len(request)][1]
            case["dy"] = _spec(RNG.uniform(0.5, 1.5, fn(*inputs).shape))
        request.append(case)
    argmax = [{"op": "maxPoolWithArgmax", "inputs": [_spec(x4)], "args": [3, 2, "same", b]}
              for b in (False, True)]
    answers = run_tfjs(request + argmax)
    for (op, fn, _, inputs, grads), case, want in zip(cases, request, answers):
        assert "error" not in want, (op, want)
        y = fn(*inputs)
        assert list(y.shape) == want["shape"], op
        np.testing.assert_allclose(y.numpy(), _values(want), rtol=1e-5, atol=1e-5, err_msg=op)
        if grads:
            dy = _values(case["dy"]).astype(np.float32)
            ours = tn.grads(lambda *ts: tn.sum(tn.mul(fn(*ts), dy)))([tn.tensor(a) for a in inputs])
            for g, w in zip(ours, want["grads"]):
                np.testing.assert_allclose(g.numpy(), _values(w), rtol=1e-5, atol=1e-5,
                                           err_msg=f"{op} gradient")
    for b, want in zip((False, True), answers[len(request):]):
        r = tn.max_pool_with_argmax(x4, 3, 2, "same", include_batch_in_index=b)
        np.testing.assert_array_equal(r.result.numpy(), _values(want["result"]))
        np.testing.assert_array_equal(r.indexes.numpy(), _values(want["indexes"]))
        assert want["indexes"]["dtype"] == "int32"
