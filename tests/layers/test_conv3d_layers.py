"""Conv3D, Conv3DTranspose, MaxPooling3D and AveragePooling3D: against PyTorch in float64
(after the NDHWC <-> NCDHW transposes), TF.js's defaults, weight names, configs and
summary, in Sequential and functional models, fit replayed bit for bit as the eager
step, saved and loaded (TF.js's format and the single file), and against the real
TF.js 4.22 both ways (tests/tfjs/conv3d_pool.js and load_predict.js, when node and
tests/tfjs are installed); errors."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import treino as tn

torch = pytest.importorskip("torch")
F = torch.nn.functional
RNG = np.random.default_rng(5)
L = tn.layers


def normal(*shape, scale=1.0):
    return (RNG.normal(size=shape) * scale).astype(np.float32)


def _t(a):
    return torch.tensor(np.asarray(a, np.float64))


def _ncdhw(a):
    return _t(a).permute(0, 4, 1, 2, 3)


def _ndhwc(t):
    return t.permute(0, 2, 3, 4, 1).detach().numpy()


def test_conv3d_layer_matches_pytorch_and_tfjs_defaults():
    x = normal(2, 6, 5, 7, 3)
    layer = L.conv3d(filters=4, kernel_size=[3, 2, 3], strides=[2, 1, 2], padding="same",
                     activation="relu")
    y = layer(tn.tensor(x))
    assert layer.name.startswith("conv3d_Conv3D")
    assert [w.name for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    k, b = layer.get_weights()
    assert k.shape == (3, 2, 3, 3, 4) and b.shape == (4,) and not np.asarray(b).any()
    layer.set_weights([k, normal(4)])
    y = layer(tn.tensor(x))
    k, b = (np.asarray(w) for w in layer.get_weights())
    # 'same': depth 6 / stride 2 and height 5 / stride 1 pad 1 after, width 7 / stride 2
    # 1 on each side
    want = F.conv3d(F.pad(_ncdhw(x), (1, 1, 0, 1, 0, 1)), _t(k).permute(4, 3, 0, 1, 2), _t(b),
                    stride=(2, 1, 2))
    np.testing.assert_allclose(y.numpy(), np.maximum(_ndhwc(want), 0), rtol=1e-5, atol=1e-5)
    assert y.shape == (2,) + layer.compute_output_shape((None, 6, 5, 7, 3))[1:] == (2, 3, 5, 4, 4)
    cf = L.conv3d(filters=2, kernel_size=2, dilation_rate=[1, 2, 1], use_bias=False,
                  data_format="channelsFirst")
    out = cf(tn.tensor(x.transpose(0, 4, 1, 2, 3)))
    want = F.conv3d(_ncdhw(x), _t(cf.get_weights()[0]).permute(4, 3, 0, 1, 2),
                    dilation=(1, 2, 1))
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    assert cf.compute_output_shape((None, 3, 6, 5, 7)) == (None, 2, 5, 3, 6)
    assert set(layer.get_config()) == {
        "filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint",
        "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
        "use_bias", "bias_initializer", "bias_regularizer", "activity_regularizer",
        "bias_constraint", "name", "trainable", "dtype"}
    assert layer.get_config()["kernel_initializer"]["config"]["distribution"] == "normal"


def test_conv3d_transpose_layer_matches_pytorch():
    x = normal(2, 3, 4, 2, 3)
    for padding, strides in (("valid", [2, 1, 2]), ("same", 2)):
        layer = L.conv3d_transpose(filters=2, kernel_size=[3, 2, 2], strides=strides,
                                   padding=padding, activation="tanh")
        layer.build((None, 3, 4, 2, 3))
        k = normal(3, 2, 2, 2, 3)
        layer.set_weights([k, normal(2)])
        y = layer(tn.tensor(x))
        assert y.shape == (2,) + layer.compute_output_shape((None, 3, 4, 2, 3))[1:]
        s = [strides] * 3 if isinstance(strides, int) else strides
        full = F.conv_transpose3d(_ncdhw(x), _t(k).permute(4, 3, 0, 1, 2),
                                  _t(layer.get_weights()[1]), stride=s)
        if padding == "same":  # deconvLength: in * stride; the forward's pads cropped
            assert y.shape == (2, 6, 8, 4, 2)
            full = full[:, :, 0:6, 0:8, 0:4]
        else:
            assert y.shape == (2, 7, 5, 4, 2)
        np.testing.assert_allclose(y.numpy(), np.tanh(_ndhwc(full)), rtol=1e-5, atol=1e-5)
    assert layer.kernel.shape == (3, 2, 2, 2, 3)  # [*kernel_size, filters, in]
    assert "dilation_rate" not in layer.get_config()
    assert layer.name.startswith("conv3d_transpose_Conv3DTranspose")


def test_pooling3d_layers():
    x = normal(2, 5, 6, 7, 3)
    mp = L.max_pooling3d()
    assert mp.pool_size == [2, 2, 2] and mp.strides == [2, 2, 2]
    np.testing.assert_array_equal(mp(tn.tensor(x)).numpy(),
                                  _ndhwc(F.max_pool3d(_ncdhw(x), 2)))
    ap = L.average_pooling3d(pool_size=[1, 3, 2], strides=1, padding="valid",
                             data_format="channelsFirst")
    xf = x.transpose(0, 4, 1, 2, 3)
    np.testing.assert_allclose(ap(tn.tensor(xf)).numpy(),
                               F.avg_pool3d(_t(xf), (1, 3, 2), 1).numpy(), rtol=1e-6, atol=1e-7)
    assert ap.compute_output_shape((None, 3, 5, 6, 7)) == (None, 3, 5, 4, 6)
    same = L.avg_pool3d(pool_size=3, strides=2, padding="same")
    assert same(tn.tensor(x)).shape == (2,) + same.compute_output_shape((None, 5, 6, 7, 3))[1:] \
        == (2, 3, 3, 4, 3)
    assert type(L.avg_pooling3d()) is type(L.avg_pool3d()) is tn.layers.AveragePooling3D
    assert mp.get_config() == {"pool_size": [2, 2, 2], "padding": "valid",
                               "strides": [2, 2, 2], "data_format": "channelsLast",
                               "name": mp.name, "trainable": True, "dtype": "float32"}
    assert mp.name.startswith("max_pooling3d_MaxPooling3D")
    assert same.name.startswith("average_pooling3d_AveragePooling3D")


def _model(functional=False):
    # (the channelsFirst convolution reads the volume [4, 3, 2, 2] as 4 channels)
    layers = [L.conv3d(filters=3, kernel_size=3, activation="relu", padding="same",
                       kernel_regularizer=tn.regularizers.l2(0.01), input_shape=[4, 6, 5, 2]),
              L.max_pooling3d(pool_size=2),
              L.conv3d_transpose(filters=2, kernel_size=2, strides=2),
              L.average_pooling3d(pool_size=[1, 2, 2], padding="same"),
              L.conv3d(filters=2, kernel_size=[2, 1, 2], strides=[1, 2, 1],
                       data_format="channelsFirst"),
              L.flatten(), L.dense(units=3, activation="softmax")]
    if not functional:
        return tn.sequential(layers)
    inp = tn.input(shape=[4, 6, 5, 2])
    h = inp
    for layer in layers:
        h = layer.apply(h)
    return tn.model(inputs=inp, outputs=h)


def test_summary_shapes_and_parameter_counts():
    lines = []
    _model().summary(print_fn=lines.append)
    rows = [line.split() for line in lines[3:-5:2]]
    assert [r[-2:] for r in rows] == [
        ["[null,4,6,5,3]", "165"], ["[null,2,3,2,3]", "0"], ["[null,4,6,4,2]", "50"],
        ["[null,4,3,2,2]", "0"], ["[null,2,2,1,1]", "34"], ["[null,4]", "0"],
        ["[null,3]", "15"]]
    assert "Total params: 264" in lines


@pytest.mark.parametrize("functional", [False, True])
def test_fit_replays_bit_identically_to_eager(functional):
    x = normal(12, 4, 6, 5, 2)
    y = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, 12)]
    runs = []
    for eager in (False, True):
        m = _model(functional)
        m.set_weights(runs[0][2] if runs else [normal(*w.shape, scale=0.3) for w in m.weights])
        init = m.get_weights()
        m.compile(optimizer=tn.train.adam(0.01), loss="categoricalCrossentropy",
                  metrics=["acc"], run_eagerly=eager)
        h = m.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
        runs.append((m.get_weights(), h.history, init))
    assert runs[0][1] == runs[1][1]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][0], runs[1][0]))
    assert not np.array_equal(runs[0][0][0], runs[0][2][0])  # it trained


@pytest.mark.parametrize("name", ["folder", "m.treino"])
def test_save_and_load_round_trip(tmp_path, name):
    m = _model()
    m.compile(optimizer="sgd", loss="categoricalCrossentropy")
    x = normal(3, 4, 6, 5, 2)
    m.fit(x, np.eye(3, dtype=np.float32), epochs=1, verbose=0)
    m.save(str(tmp_path / name))
    back = tn.load_layers_model(str(tmp_path / name))
    assert [type(a) for a in back.layers] == [type(a) for a in m.layers]
    assert [a.get_config() for a in back.layers] == [a.get_config() for a in m.layers]
    assert [w.name for w in back.weights] == [w.name for w in m.weights]
    np.testing.assert_array_equal(back.predict(x).numpy(), m.predict(x).numpy())


def test_bad_layer_arguments():
    cases = [
        (lambda: L.conv3d(filters=2, kernel_size=[3, 3]), "kernel_size"),
        (lambda: L.conv3d(filters=0, kernel_size=3), "filters"),
        (lambda: L.conv3d(filters=2, kernel_size=3, strides=2, dilation_rate=2), "cannot both"),
        (lambda: L.conv3d(filters=2, kernel_size=3, padding="causal"), "padding"),
        (lambda: L.conv3d_transpose(filters=2, kernel_size=3, dilation_rate=2), "dilation_rate"),
        (lambda: L.max_pooling3d(strides=[2, 2]), "strides"),
        (lambda: L.average_pooling3d(pool_size=0), "pool_size"),
        (lambda: L.max_pooling3d(data_format="NDHWC"), "data_format"),
    ]
    for make, match in cases:
        with pytest.raises((ValueError, TypeError), match=match):
            make()
    conv = L.conv3d(filters=2, kernel_size=2)
    conv(tn.tensor(normal(1, 3, 3, 3, 2)))
    with pytest.raises(ValueError, match="incompatible"):
        conv(tn.tensor(normal(1, 3, 3, 3, 4)))
    with pytest.raises(ValueError, match="incompatible"):
        L.max_pooling3d()(tn.tensor(normal(1, 4, 4, 2)))
    with pytest.raises(ValueError, match="ndim=5"):
        L.conv3d_transpose(filters=2, kernel_size=2).build((None, 4, 4, 2))


# --- the real TF.js --------------------------------------------------------------------
TFJS_DIR = Path(__file__).resolve().parents[1] / "tfjs"


def _node():
    exe, reason = shutil.which("node"), None
    if exe is None:
        reason = "node is not installed, so the TF.js comparison cannot run"
    elif not (TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        reason = f"TF.js is not installed: run `npm ci` in {TFJS_DIR}"
    if reason is None:
        return exe
    if os.environ.get("TREINO_REQUIRE_TFJS") == "1":
        pytest.fail(f"TREINO_REQUIRE_TFJS=1 but {reason}")
    pytest.skip(reason)


def _run(node, args, stdin=None):
    r = subprocess.run([node, *map(str, args)], input=stdin, capture_output=True, text=True,
                       timeout=120, cwd=TFJS_DIR)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def _spec(x):
    return {"shape": list(x.shape), "values": np.asarray(x).ravel().tolist()}


def test_treino_saved_model_loads_in_tfjs(tmp_path):
    node = _node()
    m = _model()
    m.compile(optimizer="adam", loss="categoricalCrossentropy")
    x = normal(3, 4, 6, 5, 2)
    m.fit(x, np.eye(3, dtype=np.float32), epochs=2, verbose=0)
    m.save(str(tmp_path / "m"))
    (tmp_path / "in.json").write_text(json.dumps(_spec(x)))
    res = _run(node, [TFJS_DIR / "load_predict.js", tmp_path / "m", tmp_path / "in.json"])
    assert res["weights"] == [w.name for w in m.weights]
    np.testing.assert_allclose(np.array(res["predictions"]), m.predict(x).numpy(), rtol=1e-5,
                               atol=1e-6)


def test_tfjs_saved_model_loads_in_treino(tmp_path):
    node = _node()
    x = normal(2, 5, 6, 4, 2)
    layers = [["conv3d", {"filters": 3, "kernelSize": [2, 3, 2], "strides": [1, 2, 1],
                          "padding": "same", "activation": "relu", "inputShape": [5, 6, 4, 2],
                          "biasInitializer": "randomNormal"}],
              ["maxPooling3d", {"poolSize": [2, 1, 2], "padding": "same"}],
              ["conv3dTranspose", {"filters": 2, "kernelSize": 2, "strides": [2, 1, 1],
                                   "biasInitializer": "ones"}],
              ["avgPool3d", {"poolSize": 2, "strides": 1, "dataFormat": "channelsFirst"}],
              ["conv3d", {"filters": 2, "kernelSize": 1, "dilationRate": 1}],
              ["flatten", {}], ["dense", {"units": 2}]]
    want = _run(node, [TFJS_DIR / "conv3d_pool.js"],
                json.dumps({"save": str(tmp_path / "m"), "layers": layers, "input": _spec(x)}))
    written = json.loads((tmp_path / "m" / "model.json").read_text())
    configs = [l["config"] for l in written["modelTopology"]["config"]["layers"]]
    model = tn.load_layers_model(str(tmp_path / "m"))
    assert [l.class_name for l in model.layers] == [l["class_name"] for l in
                                                    written["modelTopology"]["config"]["layers"]]
    for layer, cfg in zip(model.layers[:5], configs):  # the keys TF.js wrote, no others
        assert set(layer.get_config()) - {"dtype", "batch_input_shape"} == \
            set(cfg) - {"dtype", "batch_input_shape"}, layer.class_name
    assert list(model.predict(x).shape) == want["shape"]
    np.testing.assert_allclose(model.predict(x).numpy().ravel(), want["values"], rtol=1e-5,
                               atol=1e-6)
