"""Activation layers (elu, re_lu, leaky_relu, prelu, softmax, thresholded_relu), noise
layers (gaussian_noise, gaussian_dropout, alpha_dropout, spatial_dropout1d) and
preprocessing layers (rescaling, center_crop, category_encoding): values against float64
numpy and PyTorch, gradients against float64 finite differences, outputs and saved models
against the real TF.js 4.22 (when node and tests/tfjs are installed), the noise's
statistics and its absence at inference, configs, argument errors, replayed training
steps bit-identical to the eager ones, and save/load."""
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import treino as tn
from treino import layers as L
from treino.core.engine import Program

try:
    import torch
except ImportError:  # only the torch comparisons skip
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def normal(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


def away_from(x, points, gap=0.05):
    """x with values within `gap` of a kink moved off it (finite differences need a
    smooth neighbourhood)."""
    x = x.copy()
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + np.where(x[near] >= p, gap, -gap) * 2
    return x


def fd(f, x, h=1e-6):
    """Central finite differences of the float64 scalar function f at x."""
    x = x.astype(np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


def grad_of(layer, x, cot, training=False):
    """treino's gradient of sum(layer(x) * cot) w.r.t. x, and the output."""
    out = {}

    def f(t):
        out["y"] = layer(t, training=training)
        return tn.sum(out["y"] * tn.tensor(cot))
    return tn.grad(f)(tn.tensor(x)).numpy(), out["y"].numpy()


def softmax64(x, axes):
    m = x.max(axis=axes, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=axes, keepdims=True)


# --- activation layers: values and gradients ------------------------------------------
# (factory, config, float64 numpy reference, kinks to keep finite differences off)
ACTIVATIONS = {
    "elu": (L.elu, {}, lambda x: np.where(x > 0, x, np.expm1(x)), [0]),
    "elu-alpha": (L.elu, {"alpha": 0.4}, lambda x: np.where(x > 0, x, 0.4 * np.expm1(x)), [0]),
    "relu": (L.re_lu, {}, lambda x: np.maximum(x, 0), [0]),
    "relu-max": (L.re_lu, {"max_value": 0.8}, lambda x: np.clip(x, 0, 0.8), [0, 0.8]),
    "leaky": (L.leaky_relu, {}, lambda x: np.where(x > 0, x, 0.3 * x), [0]),
    "leaky-alpha": (L.leaky_relu, {"alpha": 0.05}, lambda x: np.where(x > 0, x, 0.05 * x), [0]),
    "thresholded": (L.thresholded_relu, {}, lambda x: np.where(x > 1, x, 0), [1]),
    "thresholded-theta": (L.thresholded_relu, {"theta": -0.5},
                          lambda x: np.where(x > -0.5, x, 0), [-0.5]),
    "softmax": (L.softmax, {}, lambda x: softmax64(x, (1,)), []),
    "softmax-last": (L.softmax, {"axis": -1}, lambda x: softmax64(x, (1,)), []),
}


@pytest.mark.parametrize("case", list(ACTIVATIONS))
def test_activation_values_and_gradients(case):
    factory, config, ref, kinks = ACTIVATIONS[case]
    x = away_from(normal(4, 5, scale=1.5), kinks)
    cot = normal(4, 5, seed=1)
    g, y = grad_of(factory(**config), x, cot)
    np.testing.assert_allclose(y, ref(x.astype(np.float64)), rtol=1e-6, atol=1e-6)
    want = fd(lambda v: float((ref(v) * cot).sum()), x)
    np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-5)


def test_softmax_over_several_axes_and_with_a_mask():
    x = normal(2, 3, 4, scale=2)
    cot = normal(2, 3, 4, seed=3)
    layer = L.softmax(axis=[1, 2])
    g, y = grad_of(layer, x, cot)
    np.testing.assert_allclose(y, softmax64(x.astype(np.float64), (1, 2)), rtol=1e-5, atol=1e-7)
    want = fd(lambda v: float((softmax64(v, (1, 2)) * cot).sum()), x)
    np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-6)
    # [1] is the axis 1 alone; [-1] and [2] the last one
    y1 = L.softmax(axis=[-1])(tn.tensor(x)).numpy()
    np.testing.assert_allclose(y1, softmax64(x.astype(np.float64), (2,)), rtol=1e-5, atol=1e-7)
    # a mask (TF.js's call kwarg) takes its zeros out of the normalisation
    mask = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], np.float32)
    x2 = normal(2, 4, seed=4)
    y = L.softmax().call(tn.tensor(x2), mask=tn.tensor(mask)).numpy()
    want = np.where(mask > 0, np.exp(x2), 0)
    np.testing.assert_allclose(y, want / want.sum(1, keepdims=True), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match=r"the mask must be a Tensor broadcasting to the "
                                         r"input's shape \[2,4\], received \[2,3\]"):
        L.softmax().call(tn.tensor(x2), mask=tn.ones([2, 3]))


@needs_torch
def test_activation_values_against_torch():
    x = normal(6, 7, scale=2)
    t = torch.tensor(x, dtype=torch.float64)
    F = torch.nn.functional
    cases = [(L.elu(), F.elu(t)), (L.elu(alpha=0.4), F.elu(t, alpha=0.4)),
             (L.re_lu(), F.relu(t)), (L.re_lu(max_value=0.8), t.clamp(0, 0.8)),
             (L.leaky_relu(), F.leaky_relu(t, 0.3)),
             (L.thresholded_relu(theta=0.2), F.threshold(t, 0.2, 0.0)),
             (L.softmax(), torch.softmax(t, 1))]
    for layer, want in cases:
        np.testing.assert_allclose(layer(tn.tensor(x)).numpy(), want.numpy(), rtol=1e-6,
                                   atol=1e-6, err_msg=layer.name)


def test_prelu_values_and_gradients_of_input_and_alpha():
    x = away_from(normal(3, 4, 5, scale=1.5), [0])
    cot = normal(3, 4, 5, seed=1)
    for shared, alpha_shape in ((None, (4, 5)), ([1], (1, 5)), ([1, 2], (1, 1)), (2, (4, 1))):
        layer = L.prelu(shared_axes=shared)
        layer.build_for((None, 4, 5))
        alpha = normal(*alpha_shape, seed=2)
        layer.set_weights([alpha])
        assert layer.weights[0].name == f"{layer.name}/alpha"

        def ref(v, a):
            return np.where(v > 0, v, a * v)
        res = tn.variable_grads(lambda: tn.sum(layer(tn.tensor(x)) * tn.tensor(cot)))
        (ga,) = res["grads"].values()
        gx, y = grad_of(layer, x, cot)
        a64 = alpha.astype(np.float64)
        np.testing.assert_allclose(y, ref(x.astype(np.float64), a64), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(gx, fd(lambda v: float((ref(v, a64) * cot).sum()), x),
                                   rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ga.numpy(), fd(lambda a: float((ref(x, a) * cot).sum()),
                                                  alpha), rtol=1e-4, atol=1e-5)
    # alpha starts at zeros (TF.js's default): a ReLU
    fresh = L.prelu()
    np.testing.assert_array_equal(fresh(tn.tensor(x)).numpy(), np.maximum(x, 0))


# --- preprocessing: values and gradients ----------------------------------------------
def test_rescaling_values_dtype_and_gradient():
    layer = L.rescaling(scale=1 / 127.5, offset=-1)
    ids = np.array([[0, 127, 255]], np.int32)
    y = layer(tn.tensor(ids, dtype="int32"))
    assert y.dtype == "float32"
    np.testing.assert_allclose(y.numpy(), ids / 127.5 - 1, rtol=1e-6, atol=1e-6)
    x, cot = normal(3, 4), normal(3, 4, seed=1)
    g, _ = grad_of(L.rescaling(scale=-2.5), x, cot)
    np.testing.assert_allclose(g, -2.5 * cot, rtol=1e-6)
    assert L.rescaling(scale=2).offset == 0.0


def bilinear64(img, h, w):
    """TF.js's resizeBilinear (no aligned corners, no half-pixel centres) in float64,
    written out as its CPU kernel loops."""
    H, W = img.shape[-3], img.shape[-2]
    out = np.zeros(img.shape[:-3] + (h, w, img.shape[-1]))
    for r in range(h):
        fr = H / h * r
        r0, r1 = max(0, math.floor(fr)), min(H - 1, math.ceil(fr))
        for c in range(w):
            fc = W / w * c
            c0, c1 = max(0, math.floor(fc)), min(W - 1, math.ceil(fc))
            top = img[..., r0, c0, :] + (img[..., r0, c1, :] - img[..., r0, c0, :]) * (fc - c0)
            bot = img[..., r1, c0, :] + (img[..., r1, c1, :] - img[..., r1, c0, :]) * (fc - c0)
            out[..., r, c, :] = top + (bot - top) * (fr - r0)
    return out


@pytest.mark.parametrize("hw", [(3, 4), (2, 3), (5, 6), (1, 1), (3, 5), (7, 4), (4, 7), (6, 2)])
def test_center_crop_values_and_gradients(hw):
    h, w = hw
    img = normal(2, 5, 6, 3)
    cot = normal(2, h, w, 3, seed=1)
    if h <= 5 and w <= 6:  # a crop; a width 1 smaller drops the first column (TF.js)
        top = (5 - h) // 2
        left = 1 if w == 5 else (6 - w) // 2

        def ref(v):
            return v[:, top:top + h, left:left + w, :]
    else:  # smaller than the window: the whole image resized
        def ref(v):
            return bilinear64(v, h, w)
    g, y = grad_of(L.center_crop(height=h, width=w), img, cot)
    np.testing.assert_allclose(y, ref(img.astype(np.float64)), rtol=1e-5, atol=1e-5)
    small = img[:1, :, :, :1]  # finite differences on a smaller image
    g1, _ = grad_of(L.center_crop(height=h, width=w), small, cot[:1, ..., :1])
    np.testing.assert_allclose(g1, fd(lambda v: float((ref(v) * cot[:1, ..., :1]).sum()),
                                      small), rtol=1e-4, atol=1e-5)
    # one image [height, width, channels] works too, and integer images keep their dtype
    np.testing.assert_allclose(L.center_crop(height=h, width=w)(tn.tensor(img[0])).numpy(),
                               y[0], rtol=1e-6, atol=1e-6)
    ints = np.arange(2 * 5 * 6).reshape(2, 5, 6, 1).astype(np.int32)
    yi = L.center_crop(height=h, width=w)(tn.tensor(ints, dtype="int32"))
    assert yi.dtype == "int32"
    np.testing.assert_array_equal(yi.numpy(), np.trunc(ref(ints.astype(np.float64))
                                                       .astype(np.float32)).astype(np.int32))


def test_center_crop_keeps_tfjs_far_edge_rounding():
    """16 -> 15 columns: TF.js's offset 1 and float32 crop box put the last column a
    rounding error past the image, and cropAndResize fills it with 0; treino gives the
    same numbers (and no gradient there)."""
    img = np.arange(1, 33, dtype=np.float32).reshape(1, 2, 16, 1)
    want = img[:, :, 1:16].copy()
    want[:, :, -1] = 0
    g, y = grad_of(L.center_crop(height=2, width=15), img, np.ones((1, 2, 15, 1), np.float32))
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(g[0, :, :, 0], np.tile([0] + [1] * 14 + [0], (2, 1)))


def test_category_encoding_modes():
    ids = np.array([[0, 1, 1], [3, 3, 2]], np.int32)
    multi = L.category_encoding(num_tokens=5)(tn.tensor(ids, dtype="int32"))
    assert multi.dtype == "float32"
    np.testing.assert_array_equal(multi.numpy(), [[1, 1, 0, 0, 0], [0, 0, 1, 1, 0]])
    count = L.category_encoding(num_tokens=5, output_mode="count")
    np.testing.assert_array_equal(count(tn.tensor(ids, dtype="int32")).numpy(),
                                  [[1, 2, 0, 0, 0], [0, 0, 1, 2, 0]])
    w = np.array([[0.5, 1, 2], [3, 4, 5]], np.float32)
    np.testing.assert_array_equal(count(tn.tensor(ids, dtype="int32"), count_weights=w).numpy(),
                                  [[0.5, 3, 0, 0, 0], [0, 0, 5, 7, 0]])
    np.testing.assert_array_equal(  # TF.js's spelling, through apply
        count.apply(tn.tensor(ids, dtype="int32"), {"countWeights": tn.tensor(w)}).numpy(),
        [[0.5, 3, 0, 0, 0], [0, 0, 5, 7, 0]])
    one = L.category_encoding(num_tokens=4, output_mode="one_hot")
    for x in ([2, 0, 3], [[2], [0], [3]]):
        np.testing.assert_array_equal(one(tn.tensor(x, dtype="int32")).numpy(),
                                      np.eye(4)[[2, 0, 3]])
    # a vector of ids is one sample for multiHot and count (TF.js's denseBincount)
    np.testing.assert_array_equal(L.category_encoding(num_tokens=3)(tn.tensor([2, 0, 2])).numpy(),
                                  [1, 0, 1])
    # float ids are truncated, as TF.js casts them
    np.testing.assert_array_equal(L.category_encoding(num_tokens=3)(
        tn.tensor([[0.9, 2.7]])).numpy(), [[1, 0, 1]])
    assert L.category_encoding(num_tokens=4).compute_output_shape((None, 3)) == (None, 4)
    assert one.compute_output_shape((None,)) == (None, 4)
    assert one.compute_output_shape((None, 1)) == (None, 4)


# --- the real TF.js --------------------------------------------------------------------
TFJS_DIR = Path(__file__).resolve().parents[1] / "tfjs"
SCRIPT = TFJS_DIR / "activation_noise_layers.js"


def _node_with_tfjs():
    exe = shutil.which("node")
    reason = None
    if exe is None:
        reason = "node is not installed, so the TF.js comparison cannot run"
    elif not (TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        reason = f"TF.js is not installed: run `npm ci` in {TFJS_DIR}"
    if reason is None:
        return exe
    if os.environ.get("TREINO_REQUIRE_TFJS") == "1":
        pytest.fail(f"TREINO_REQUIRE_TFJS=1 but {reason}")
    pytest.skip(reason)


def _run_tfjs(node, request):
    r = subprocess.run([node, str(SCRIPT)], input=json.dumps(request), capture_output=True,
                       text=True, timeout=120, cwd=TFJS_DIR)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def _spec(x):
    x = np.asarray(x)
    return {"shape": list(x.shape), "values": x.ravel().tolist(),
            "dtype": "int32" if x.dtype.kind in "iu" else "float32"}


def test_outputs_match_tfjs():
    node = _node_with_tfjs()
    img = normal(2, 5, 6, 2)
    ints = np.arange(60).reshape(1, 5, 6, 2).astype(np.int32)
    x = normal(3, 4, scale=2)
    x3 = normal(2, 3, 4)
    alpha = normal(3, 1, seed=5)
    cases = [  # (factory, config with TF.js's keys, input, weights, kwargs)
        ("elu", {}, x), ("reLU", {}, x), ("reLU", {"maxValue": 0.5}, x),
        ("reLU", {}, np.array([[1, -2, 3]], np.int32)),
        ("leakyReLU", {}, x), ("leakyReLU", {"alpha": -0.5}, x),
        ("thresholdedReLU", {}, x), ("thresholdedReLU", {"theta": 0.25}, x),
        ("thresholdedReLU", {"theta": 1}, np.array([[1, 2, -3]], np.int32)),
        ("softmax", {}, x), ("softmax", {"axis": -1}, x3), ("softmax", {"axis": [1, 2]}, x3),
        ("softmax", {}, x3),  # axis 1 of a rank-3 input: TF.js refuses
        ("prelu", {"sharedAxes": [2]}, x3, [alpha]),
        ("rescaling", {"scale": 0.5, "offset": 2}, x),
        ("rescaling", {"scale": 0.5}, np.array([[1, 2, -3]], np.int32)),
        ("categoryEncoding", {"numTokens": 4}, np.array([[0, 1], [2, 2]], np.int32)),
        ("categoryEncoding", {"numTokens": 4}, np.array([0, 1, 3], np.int32)),
        ("categoryEncoding", {"numTokens": 4}, np.array([[0.7, 2.9]], np.float32)),
        ("categoryEncoding", {"numTokens": 4, "outputMode": "oneHot"},
         np.array([[0], [3]], np.int32)),
        ("categoryEncoding", {"numTokens": 4, "outputMode": "oneHot"}, np.array([3, 1], np.int32)),
        ("categoryEncoding", {"numTokens": 4, "outputMode": "oneHot"},
         np.array([[0, 1], [3, 1]], np.int32)),
        ("categoryEncoding", {"numTokens": 4, "outputMode": "count"},
         np.array([[0, 1, 1], [3, 3, 3]], np.int32), None,
         {"countWeights": _spec(np.arange(1, 7, dtype=np.float32).reshape(2, 3))}),
        ("categoryEncoding", {"numTokens": 4}, np.array([[0, 4]], np.int32)),
        ("categoryEncoding", {"numTokens": 4}, np.array([[-1, 2]], np.int32)),
    ]
    cases += [("centerCrop", {"height": h, "width": w}, img) for h, w in
              [(3, 4), (3, 5), (2, 6), (5, 5), (1, 1), (7, 4), (4, 7), (6, 8)]]
    cases += [("centerCrop", {"height": 2, "width": 15}, normal(1, 2, 16, 1))]
    cases += [("centerCrop", {"height": h, "width": w}, ints) for h, w in [(3, 5), (4, 7)]]
    cases += [("centerCrop", {"height": 2, "width": 3}, img[0])]
    request = []
    for case in cases:
        name, config, inp = case[:3]
        weights = case[3] if len(case) > 3 else None
        kwargs = case[4] if len(case) > 4 else None
        entry = {"layer": name, "config": config, "input": _spec(inp)}
        if weights is not None:
            entry["weights"] = [_spec(w) for w in weights]
        if kwargs:
            entry["kwargs"] = kwargs
        request.append(entry)
    results = _run_tfjs(node, request)
    for case, want in zip(cases, results):
        name, config, inp = case[:3]
        snake = {"".join("_" + c.lower() if c.isupper() else c for c in k): v
                 for k, v in config.items()}  # maxValue -> max_value
        factory = {"reLU": L.re_lu, "leakyReLU": L.leaky_relu, "thresholdedReLU":
                   L.thresholded_relu, "categoryEncoding": L.category_encoding,
                   "centerCrop": L.center_crop}.get(name) or getattr(L, name)
        layer = factory(**snake)
        x = tn.tensor(inp, dtype="int32" if inp.dtype.kind in "iu" else "float32")
        kw = {}
        if len(case) > 4:
            kw["count_weights"] = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
        if "error" in want:
            with pytest.raises(ValueError):
                layer(x, **kw)
            continue
        if len(case) > 3 and case[3] is not None:
            layer.build_for((None,) + inp.shape[1:])
            layer.set_weights(case[3])
        y = layer(x, **kw)
        where = f"{name} {config} {list(inp.shape)}"
        assert list(y.shape) == want["shape"], where
        assert y.dtype == want["dtype"], where
        np.testing.assert_allclose(y.numpy().ravel(), want["values"], rtol=1e-5, atol=1e-5,
                                   err_msg=where)


def _all_layers_model(noise=True):
    """A sequence model through every activation and noise layer (the noise layers pass
    their input through at inference)."""
    layers = [L.spatial_dropout1d(rate=0.2, seed=3, input_shape=[5, 4])] if noise else \
        [L.input_layer(input_shape=[5, 4])]
    layers += [L.dense(units=6), L.prelu(shared_axes=[1], alpha_initializer="randomNormal"),
               L.elu(), L.re_lu(max_value=2.0), L.leaky_relu(alpha=0.1),
               L.thresholded_relu(theta=-0.2)]
    if noise:
        layers += [L.gaussian_noise(stddev=0.1),
                   L.alpha_dropout(rate=0.1, noise_shape=[None, 1, 6]),
                   L.gaussian_dropout(rate=0.2)]
    layers += [L.flatten(), L.dense(units=3), L.softmax(axis=-1)]
    return tn.sequential(layers=layers)


def test_treino_saved_models_load_in_tfjs_and_back(tmp_path):
    node = _node_with_tfjs()
    tn.set_seed(1)
    seq = _all_layers_model()
    # TF.js's CenterCrop.computeOutputShape writes into the shape it is given: after a
    # layer handing on its input's shape array (Rescaling), it changes the model's input
    # shape and TF.js's predict refuses the images. A reshape in between gives it a copy.
    img = tn.sequential(layers=[L.rescaling(scale=1 / 255, offset=-0.5, input_shape=[6, 7, 2]),
                                L.reshape(target_shape=[6, 7, 2]),
                                L.center_crop(height=4, width=6), L.flatten(), L.dense(units=2)])
    enc = tn.sequential(layers=[L.reshape(target_shape=[3], input_shape=[3]),  # as above
                                L.category_encoding(num_tokens=6, output_mode="count"),
                                L.dense(units=2)])
    inputs = [normal(3, 5, 4), np.floor(normal(2, 6, 7, 2) ** 2 * 40), np.array(
        [[0, 5, 5], [1, 2, 3]], np.float32)]
    for i, (model, x) in enumerate(zip((seq, img, enc), inputs)):
        folder = tmp_path / f"m{i}"
        model.save(str(folder))
        (tmp_path / "in.json").write_text(json.dumps({"shape": list(x.shape),
                                                      "values": x.ravel().tolist()}))
        r = subprocess.run([node, str(TFJS_DIR / "load_predict.js"), str(folder),
                            str(tmp_path / "in.json")], capture_output=True, text=True,
                           timeout=120, cwd=TFJS_DIR)
        assert r.returncode == 0, r.stderr[-3000:]
        res = json.loads(r.stdout)
        assert res["weights"] == [w.name for w in model.weights]
        np.testing.assert_allclose(model.predict(x).numpy(), np.array(res["predictions"]),
                                   rtol=1e-5, atol=1e-6)


def test_tfjs_saved_model_loads_in_treino(tmp_path):
    node = _node_with_tfjs()
    x = normal(3, 5, 4)
    layers = [["spatialDropout1d", {"rate": 0.2, "inputShape": [5, 4]}],
              ["gaussianNoise", {"stddev": 0.3}],
              ["dense", {"units": 6}],
              ["prelu", {"sharedAxes": [1], "alphaInitializer": "randomNormal"}],
              ["elu", {}], ["reLU", {"maxValue": 1.5}], ["leakyReLU", {}],
              ["thresholdedReLU", {"theta": -0.1}], ["gaussianDropout", {"rate": 0.3}],
              ["alphaDropout", {"rate": 0.1}], ["rescaling", {"scale": 2, "offset": 1}],
              ["flatten", {}], ["dense", {"units": 3}], ["softmax", {}]]
    want = _run_tfjs(node, {"save": str(tmp_path / "m"), "layers": layers, "input": _spec(x)})
    config = json.loads((tmp_path / "m" / "model.json").read_text())
    model = tn.load_layers_model(str(tmp_path / "m"))
    written = [(l["class_name"], l["config"]) for l in config["modelTopology"]["config"]["layers"]]
    assert [l.class_name for l in model.layers] == [c for c, _ in written]
    for layer, (_, cfg) in zip(model.layers, written):  # treino writes the keys TF.js wrote
        if layer.class_name in ("Dense", "Flatten"):
            continue
        # (treino writes the dtype of every layer; TF.js of those given one)
        assert set(layer.get_config()) <= set(cfg) | {"noise_shape", "dtype"}, layer.class_name
    assert model.layers[3].shared_axes == [1] and model.layers[5].max_value == 1.5
    np.testing.assert_allclose(model.predict(x).numpy().ravel(), want["values"], rtol=1e-5,
                               atol=1e-6)
    # (the reshape keeps TF.js's CategoryEncoding from writing into the model's input shape)
    enc_layers = [["reshape", {"targetShape": [1], "inputShape": [1]}],
                  ["categoryEncoding", {"numTokens": 5, "outputMode": "oneHot"}]]
    ids = np.array([[4], [0]], np.float32)
    enc_want = _run_tfjs(node, {"save": str(tmp_path / "e"), "layers": enc_layers,
                                "input": _spec(ids)})
    written = json.loads((tmp_path / "e" / "model.json").read_text())
    assert written["modelTopology"]["config"]["layers"][1]["config"]["output_mode"] == "one_hot"
    enc = tn.load_layers_model(str(tmp_path / "e"))
    assert enc.layers[1].output_mode == "oneHot"
    assert enc.layers[1].get_config()["output_mode"] == "one_hot"  # as TF.js wrote it
    np.testing.assert_array_equal(enc.predict(ids).numpy().ravel(), enc_want["values"])


# --- configs ---------------------------------------------------------------------------
CONFIGS = [  # (factory, arguments, the config keys besides name/trainable/dtype)
    (L.elu, {"alpha": 0.5}, {"alpha"}),
    (L.re_lu, {"max_value": 6}, {"max_value"}),
    (L.leaky_relu, {"alpha": 0.1}, {"alpha"}),
    (L.prelu, {"alpha_initializer": "ones", "alpha_regularizer": "l2",
               "alpha_constraint": "nonNeg", "shared_axes": 1},
     {"alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"}),
    (L.softmax, {"axis": [1, 2]}, {"axis"}),
    (L.thresholded_relu, {"theta": 0.5}, {"theta"}),
    (L.gaussian_noise, {"stddev": 0.2}, {"stddev"}),
    (L.gaussian_dropout, {"rate": 0.3}, {"rate"}),
    (L.alpha_dropout, {"rate": 0.3, "noise_shape": [None, 1]}, {"rate", "noise_shape"}),
    (L.spatial_dropout1d, {"rate": 0.3, "seed": 4}, {"rate", "noise_shape", "seed"}),
    (L.rescaling, {"scale": 0.5, "offset": 1}, {"scale", "offset"}),
    (L.center_crop, {"height": 2, "width": 3}, {"height", "width"}),
    (L.category_encoding, {"num_tokens": 7, "output_mode": "count"},
     {"num_tokens", "output_mode"}),
]


@pytest.mark.parametrize("factory,args,keys", CONFIGS, ids=[c[0].__name__ for c in CONFIGS])
def test_config_round_trip(factory, args, keys):
    layer = factory(**args)
    config = layer.get_config()
    assert set(config) == keys | {"name", "trainable", "dtype"}
    json.dumps(config)
    again = type(layer).from_config(config)
    assert again.get_config() == config
    assert type(layer).__name__ in L.CLASSES


def test_defaults_and_names():
    assert L.elu().alpha == 1.0 and L.leaky_relu().alpha == 0.3 and L.re_lu().max_value is None
    assert L.thresholded_relu().theta == 1.0 and L.softmax().axis == 1  # TF.js's DEFAULT_AXIS
    assert L.prelu().get_config()["alpha_initializer"] == {"class_name": "Zeros", "config": {}}
    assert L.prelu(shared_axes=2).shared_axes == [2]
    assert L.category_encoding(num_tokens=3).get_config()["output_mode"] == "multi_hot"
    assert L.category_encoding(num_tokens=3, output_mode="oneHot").output_mode == "oneHot"
    assert L.alpha_dropout(rate=0.1).noise_shape is None
    # TF.js's generated names (toSnakeCase of the class name, a counter per class)
    assert L.PReLU().name.startswith("p_re_lu_PReLU")
    assert L.LeakyReLU().name.startswith("leaky_re_lu_LeakyReLU")
    assert L.SpatialDropout1D(rate=0.1).name.startswith("spatial_dropout1d_SpatialDropout1D")
    assert L.re_lu().supports_masking and L.prelu().supports_masking
    assert L.gaussian_noise(stddev=1).supports_masking and not L.softmax().supports_masking


BAD = [  # (factory, arguments, exception, message pattern)
    (L.re_lu, {"max_value": -1}, ValueError, r"ReLU: argument 'max_value' must be a finite "
                                             r"number >= 0"),
    (L.re_lu, {"max_value": "6"}, TypeError, r"ReLU: argument 'max_value'"),
    (L.leaky_relu, {"alpha": float("nan")}, ValueError, r"LeakyReLU: argument 'alpha'"),
    (L.elu, {"alpha": [1]}, TypeError, r"ELU: argument 'alpha'"),
    (L.thresholded_relu, {"theta": True}, TypeError, r"ThresholdedReLU: argument 'theta'"),
    (L.prelu, {"shared_axes": 0}, ValueError, r"PReLU: argument 'shared_axes'.*received 0"),
    (L.prelu, {"shared_axes": [1, 1.5]}, TypeError, r"PReLU: argument 'shared_axes'.*1.5"),
    (L.prelu, {"alpha_initializer": "nope"}, ValueError, r"PReLU: argument 'alpha_initializer'"),
    (L.softmax, {"axis": []}, ValueError, r"Softmax: argument 'axis'"),
    (L.softmax, {"axis": [1, 1]}, ValueError, r"Softmax: argument 'axis'"),
    (L.softmax, {"axis": 1.0}, TypeError, r"Softmax: argument 'axis'"),
    (L.gaussian_noise, {}, TypeError, r"stddev"),
    (L.gaussian_noise, {"stddev": -0.1}, ValueError, r"GaussianNoise: argument 'stddev'"),
    (L.gaussian_dropout, {"rate": 1}, ValueError, r"GaussianDropout: argument 'rate' must be a "
                                                  r"finite number in \[0, 1\)"),
    (L.gaussian_dropout, {"rate": "0.1"}, TypeError, r"GaussianDropout: argument 'rate'"),
    (L.alpha_dropout, {"rate": -0.1}, ValueError, r"AlphaDropout: argument 'rate'"),
    (L.alpha_dropout, {"rate": 0.1, "noise_shape": [0, 1]}, ValueError,
     r"AlphaDropout: argument 'noise_shape'"),
    (L.spatial_dropout1d, {"rate": 1.0}, ValueError, r"SpatialDropout1D: argument 'rate'"),
    (L.spatial_dropout1d, {"rate": 0.1, "seed": 1.5}, TypeError,
     r"SpatialDropout1D: argument 'seed'"),
    (L.spatial_dropout1d, {"rate": 0.1, "noise_shape": [None, 1, None]}, ValueError,
     r"SpatialDropout1D: argument 'noise_shape' is fixed"),
    (L.rescaling, {}, TypeError, r"scale"),
    (L.rescaling, {"scale": float("inf")}, ValueError, r"Rescaling: argument 'scale'"),
    (L.center_crop, {"height": 0, "width": 2}, ValueError, r"CenterCrop: argument 'height'"),
    (L.center_crop, {"height": 2, "width": 2.0}, TypeError, r"CenterCrop: argument 'width'"),
    (L.category_encoding, {"num_tokens": 0}, ValueError,
     r"CategoryEncoding: argument 'num_tokens'"),
    (L.category_encoding, {"num_tokens": 3, "output_mode": "int"}, ValueError,
     r"CategoryEncoding: argument 'output_mode' must be one of \['multiHot', 'oneHot', "
     r"'count'\].*received 'int'"),
    (L.elu, {"foo": 1}, TypeError, r"ELU: unknown argument 'foo'"),
]


@pytest.mark.parametrize("factory,args,exc,pattern", BAD,
                         ids=[f"{b[0].__name__}-{i}" for i, b in enumerate(BAD)])
def test_bad_arguments_raise_clear_errors(factory, args, exc, pattern):
    with pytest.raises(exc, match=pattern):
        factory(**args)


def test_bad_inputs_raise_clear_errors():
    x3 = tn.tensor(normal(2, 3, 4))
    with pytest.raises(ValueError, match=r"softmax along one axis must use the last one.*"
                                         r"axis=1.*\[null,3,4\].*axis=-1"):
        L.softmax()(x3)
    with pytest.raises(ValueError, match=r"axis \[1, 5\] is out of range"):
        L.softmax(axis=[1, 5])(x3)
    with pytest.raises(ValueError, match=r"shared_axes \[3\] name axis 3.*\[null,3,4\]"):
        L.prelu(shared_axes=3)(x3)
    with pytest.raises(ValueError, match=r"every axis that is not shared must have a known "
                                         r"size.*\[null,null,4\]"):
        tn.sequential(layers=[L.prelu(input_shape=[None, 4])])
    tn.sequential(layers=[L.prelu(shared_axes=1, input_shape=[None, 4])])  # shared: free
    built = L.prelu()
    built(x3)
    with pytest.raises(ValueError, match=r"expected shape \[null,3,4\], but got shape \[2,3,5\]"):
        built(tn.tensor(normal(2, 3, 5)))
    with pytest.raises(ValueError, match=r"noise_shape \[null,2\] does not broadcast to the "
                                         r"input shape \[2,3,4\]"):
        L.alpha_dropout(rate=0.5, noise_shape=[None, 2])(x3, training=True)
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=2"):
        L.spatial_dropout1d(rate=0.5)(tn.tensor(normal(2, 3)))
    with pytest.raises(ValueError, match=r"rank 4 .* or 3, got shape \[null,3\]"):
        L.center_crop(height=1, width=1)(tn.tensor(normal(2, 3)))
    enc = L.category_encoding(num_tokens=3)
    with pytest.raises(ValueError, match=r"input values must be in \[0, num_tokens\) with "
                                         r"num_tokens=3, received values from 0 to 3"):
        enc(tn.tensor([[0, 3]], dtype="int32"))
    with pytest.raises(ValueError, match=r"from -1 to 1"):
        enc(tn.tensor([[-1, 1]], dtype="int32"))
    with pytest.raises(ValueError, match=r"output rank is 2 at most.*'oneHot'.*\[null,2\].*rank 3"):
        L.category_encoding(num_tokens=3, output_mode="oneHot")(tn.tensor([[0, 1], [1, 2]]))
    with pytest.raises(ValueError, match=r"count_weights is used only when output_mode is "
                                         r"'count', received output_mode 'multiHot'"):
        enc(tn.tensor([[0, 1]]), count_weights=[[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"count_weights must have the inputs' shape \[1,2\], "
                                         r"received \[2\]"):
        L.category_encoding(num_tokens=3, output_mode="count")(tn.tensor([[0, 1]]),
                                                               count_weights=[1.0, 2.0])
    with pytest.raises(TypeError, match=r"count_weights is for calls on Tensors"):
        L.category_encoding(num_tokens=3, output_mode="count")(tn.input(shape=[2]),
                                                               count_weights=[[1.0, 2.0]])


# --- noise: statistics, gradients, inference -------------------------------------------
def test_noise_statistics_and_gradients():
    tn.set_seed(3)
    x = normal(200, 500, seed=7)
    cot = normal(200, 500, seed=8)
    g, y = grad_of(L.gaussian_noise(stddev=0.5), x, cot, training=True)
    d = y - x
    assert abs(d.mean()) < 0.005 and abs(d.std() - 0.5) < 0.005
    np.testing.assert_array_equal(g, cot)

    ones = np.ones((200, 500), np.float32)
    g, y = grad_of(L.gaussian_dropout(rate=0.3), ones, cot, training=True)
    assert abs(y.mean() - 1) < 0.005 and abs(y.std() - math.sqrt(0.3 / 0.7)) < 0.005
    np.testing.assert_allclose(g, cot * y, rtol=1e-6)  # dy * noise, the noise being y here

    rate = 0.2
    g, y = grad_of(L.alpha_dropout(rate=rate), x, cot, training=True)
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    kept = np.abs(y - (a * x + b)) < 1e-5
    dropped = np.abs(y - (a * alpha_p + b)) < 1e-5  # SELU's negative saturation, mapped
    assert (kept | dropped).all()
    assert abs(dropped.mean() - rate) < 0.005
    # inputs of mean 0 and variance 1 keep them: the point of alpha dropout
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    np.testing.assert_allclose(g, np.where(kept, a * cot, 0), rtol=1e-5, atol=1e-7)

    seq = np.ones((64, 10, 50), np.float32)
    y = L.spatial_dropout1d(rate=0.4)(tn.tensor(seq), training=True).numpy()
    assert (y == y[:, :1, :]).all()  # one draw per sample and channel, for every step
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.6)}
    assert abs((y[:, 0, :] == 0).mean() - 0.4) < 0.02

    shared = L.alpha_dropout(rate=0.5, noise_shape=[None, 1, 50])(tn.tensor(seq), training=True)
    assert (shared.numpy() == shared.numpy()[:, :1, :]).all()


@pytest.mark.parametrize("factory,args", [
    (L.gaussian_noise, {"stddev": 1.0}), (L.gaussian_dropout, {"rate": 0.5}),
    (L.alpha_dropout, {"rate": 0.5}), (L.spatial_dropout1d, {"rate": 0.5})])
def test_noise_is_identity_at_inference_and_seeded(factory, args):
    x = normal(4, 3, 5)
    layer = factory(**args)
    t = tn.tensor(x)
    assert layer(t) is t and layer(t, training=False) is t
    np.testing.assert_array_equal(tn.sequential(layers=[factory(**args, input_shape=[3, 5])])
                                  .predict(x).numpy(), x)
    tn.set_seed(9)
    first = [layer(t, training=True).numpy() for _ in range(2)]
    assert not np.array_equal(first[0], first[1])  # each call draws anew
    tn.set_seed(9)
    again = [layer(t, training=True).numpy() for _ in range(2)]
    for u, v in zip(first, again):
        np.testing.assert_array_equal(u, v)
    for rate_zero in ([] if "stddev" in args else [0.0]):
        quiet = factory(**{**args, "rate": rate_zero})
        assert quiet(t, training=True) is t


# --- training: replay against the eager step, functional models, save/load ------------
def _fit_both(make, x, y, epochs=3, batch_size=8, loss="meanSquaredError", **fit_kw):
    runs = []
    for eager in (False, True):
        tn.set_seed(11)
        model = make()
        model.compile(optimizer=tn.train.adam(0.01), loss=loss, run_eagerly=eager)
        batches = []
        tn.set_seed(42)
        hist = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                         callbacks={"on_batch_end": lambda b, logs: batches.append(logs["loss"])},
                         **fit_kw)
        runs.append((model, hist, batches))
    (fast, hf, bf), (eager, he, be) = runs
    assert fast._programs and all(isinstance(p, Program) for p in fast._programs.values()), \
        fast._engine_reason
    assert not eager._programs
    assert bf == be and hf.history == he.history
    for u, v in zip(fast.get_weights(), eager.get_weights()):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))
    return fast, bf


def test_replayed_fit_is_bit_identical_to_the_eager_one():
    x = normal(40, 5, 4, seed=2)
    y = normal(40, 3, seed=3)
    y = np.exp(y) / np.exp(y).sum(1, keepdims=True)
    model, _ = _fit_both(_all_layers_model, x, y)
    assert len(model.get_weights()) == 5

    img = np.floor(normal(24, 6, 7, 2, seed=4) ** 2 * 30)

    def image_model():
        return tn.sequential(layers=[
            L.rescaling(scale=1 / 255, input_shape=[6, 7, 2]), L.center_crop(height=4, width=5),
            L.gaussian_noise(stddev=0.05), L.flatten(), L.dense(units=3),
            L.prelu(), L.gaussian_dropout(rate=0.1), L.dense(units=3), L.softmax()])
    _fit_both(image_model, img, y[:24], epochs=2, batch_size=5,
              loss="categoricalCrossentropy")

    ids = np.random.default_rng(5).integers(0, 6, (30, 4)).astype(np.float32)

    def encoded():
        return tn.sequential(layers=[L.category_encoding(num_tokens=6, output_mode="count",
                                                         input_shape=[4]),
                                     L.dense(units=3), L.alpha_dropout(rate=0.2),
                                     L.leaky_relu(), L.dense(units=3)])
    _fit_both(encoded, ids, y[:30], epochs=2)


def test_replayed_steps_draw_new_noise_each_step():
    """Learning rate 0 and one repeated batch: the losses differ from batch to batch only
    through the noise, in the replayed run exactly as in the eager one."""
    x = np.tile(normal(1, 6, seed=1), (32, 1))
    y = np.zeros((32, 1), np.float32)
    for noise in (L.gaussian_noise(stddev=0.5), L.gaussian_dropout(rate=0.4),
                  L.alpha_dropout(rate=0.4)):
        cfg = noise.get_config()
        del cfg["name"]

        def make(cls=type(noise), cfg=cfg):
            return tn.sequential(layers=[L.dense(units=4, input_shape=[6]), cls(**cfg),
                                         L.dense(units=1)])

        def fit(eager):
            tn.set_seed(0)
            model = make()
            model.compile(optimizer=tn.train.sgd(0.0), loss="meanSquaredError",
                          run_eagerly=eager)
            losses = []
            model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                      callbacks={"on_batch_end": lambda b, logs: losses.append(logs["loss"])})
            return losses
        fast, eager = fit(False), fit(True)
        assert fast == eager
        assert len(set(fast)) == len(fast), type(noise).__name__


def test_functional_model_summary_and_save_load(tmp_path, capsys):
    inp = tn.input(shape=[5, 4])
    h = L.spatial_dropout1d(rate=0.3, seed=2, name="sd")(inp)
    h = L.dense(units=6)(h)
    a = L.prelu(shared_axes=[1], alpha_initializer="randomUniform", name="pr")(h)
    b = L.elu(alpha=0.7, name="el")(h)
    h = L.add()([a, b])
    h = L.alpha_dropout(rate=0.2, noise_shape=[None, 1, 6], name="ad")(h)
    out = L.softmax(axis=-1, name="sm")(L.re_lu(max_value=3, name="re")(h))
    model = tn.model(inputs=inp, outputs=out)
    model.summary()
    text = capsys.readouterr().out
    for cls in ("SpatialDropout1D", "PReLU", "ELU", "AlphaDropout", "ReLU", "Softmax"):
        assert f"({cls})" in text
    assert "Total params: 36" in text  # dense 4*6+6, prelu 1*6
    x = normal(3, 5, 4)
    for target in (tmp_path / "m", tmp_path / "m.treino"):
        model.save(str(target))
        loaded = tn.load_layers_model(str(target))
        assert [l.get_config() for l in loaded.layers] == [l.get_config() for l in model.layers]
        for u, v in zip(model.get_weights(), loaded.get_weights()):
            np.testing.assert_array_equal(np.asarray(u), np.asarray(v))
        np.testing.assert_array_equal(loaded.predict(x).numpy(), model.predict(x).numpy())
