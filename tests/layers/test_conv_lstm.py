"""ConvLSTM2D and ConvLSTM2DCell: values against a float64 numpy reference written from
TF.js's equations (its own convolution, TF.js's 'same' split, hardSigmoid), every
gradient against float64 central differences of that reference, over paddings, strides,
dilations, both data formats, go_backwards, return_state, initial states, masks and
TF.js's four dropout masks per gate; fit replayed against eager training (dropout,
stateful), save/load, configs, summary, errors, and the real TF.js 4.22 (a model it
trained and saved loads and predicts the same; the same weights give the same numbers;
a treino-saved model loads in TF.js)."""
import json
import subprocess

import numpy as np
import pytest

import treino as tn
from treino import layers as L
from treino.core.ops import rnn as rnn_ops
from tfjs_util import TFJS_DIR, find_node

rng = np.random.default_rng(17)


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# -- the float64 reference ---------------------------------------------------------------
def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


ACT = {"tanh": np.tanh, "hardSigmoid": lambda v: np.clip(0.2 * v + 0.5, 0.0, 1.0),
       "sigmoid": sig, "relu": lambda v: np.maximum(v, 0.0), "linear": lambda v: v}


def conv_ref(x, w, strides=(1, 1), padding="valid", dil=(1, 1)):
    """NHWC x, [kh, kw, in, out] w, TF.js's padding ('same': the odd pixel at the end)."""
    _, H, W, _ = x.shape
    kh, kw = w.shape[:2]
    eh, ew = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    if padding == "same":
        oh, ow = -(-H // strides[0]), -(-W // strides[1])
        ph = max(0, (oh - 1) * strides[0] + eh - H)
        pw = max(0, (ow - 1) * strides[1] + ew - W)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (H - eh) // strides[0] + 1, (W - ew) // strides[1] + 1
    out = 0.0
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i * dil[0]: i * dil[0] + (oh - 1) * strides[0] + 1: strides[0],
                      j * dil[1]: j * dil[1] + (ow - 1) * strides[1] + 1: strides[1], :]
            out = out + patch @ w[i, j]
    return out


def ref_layer(x, k, rk, b, opts, h0=None, c0=None, mask=None, in_masks=None, rec_masks=None):
    """TF.js's ConvLSTM2D in float64 over channelsLast x (B, T, rows, cols, C): (the
    outputs in processing order, h, c). in_masks (4, B, rows, cols, C) and rec_masks
    (4, B, rows', cols', F) are the gates' dropout masks."""
    s, p, d = opts.get("strides", (1, 1)), opts.get("padding", "valid"), \
        opts.get("dilation_rate", (1, 1))
    s, d = ((v, v) if isinstance(v, int) else v for v in (s, d))
    act = ACT[opts.get("activation", "tanh")]
    rec = ACT[opts.get("recurrent_activation", "hardSigmoid")]
    F = rk.shape[2]
    ks, rks = np.split(k, 4, axis=3), np.split(rk, 4, axis=3)
    bs = np.split(b, 4) if b is not None else [0.0] * 4
    B, T = x.shape[:2]
    h = c = None
    if h0 is not None:
        h, c = h0, c0
    outs = []
    order = range(T - 1, -1, -1) if opts.get("go_backwards") else range(T)
    for t in order:
        xt = x[:, t]
        zx = [conv_ref(xt if in_masks is None else xt * in_masks[g], ks[g], s, p, d) + bs[g]
              for g in range(4)]
        if h is None:
            h = c = np.zeros(zx[0].shape[:3] + (F,))
        zh = [conv_ref(h if rec_masks is None else h * rec_masks[g], rks[g], padding="same")
              for g in range(4)]
        z = [a + bb for a, bb in zip(zx, zh)]
        c_new = rec(z[1]) * c + rec(z[0]) * act(z[2])
        h_new = rec(z[3]) * act(c_new)
        if mask is not None:
            m = mask[:, t].reshape(mask[:, t].shape + (1,) * (5 - mask.ndim))
            h_new, c_new = h_new * m + h * (1 - m), c_new * m + c * (1 - m)
        h, c = h_new, c_new
        outs.append(h)
    return np.stack(outs, 1), h, c


def last(a):  # channelsFirst -> channelsLast, for a state (rank 4) or a sequence (rank 5)
    return np.moveaxis(a, 1 if a.ndim == 4 else 2, -1)


def first(a):
    return np.moveaxis(a, -1, 1 if a.ndim == 4 else 2)


def reference(layer, x, states=(), mask=None, in_masks=None, rec_masks=None):
    """[output, (h, c)] as the layer returns them, from ref_layer in float64."""
    opts = {k: getattr(layer, k) for k in ("strides", "padding", "dilation_rate",
                                           "go_backwards")}
    opts["activation"] = layer.activation.name
    opts["recurrent_activation"] = layer.recurrent_activation.name
    cf = layer.data_format == "channelsFirst"
    w = [np.asarray(v, np.float64) for v in layer.get_weights()]
    k, rk, b = w if len(w) == 3 else (*w, None)
    x = np.asarray(x, np.float64)
    st = [np.asarray(s, np.float64) for s in states]
    if cf:
        x, st = last(x), [last(s) for s in st]
    seq, h, c = ref_layer(x, k, rk, b, opts, *(st or (None, None)), mask=mask,
                          in_masks=in_masks, rec_masks=rec_masks)
    outs = [seq if layer.return_sequences else h] + ([h, c] if layer.return_state else [])
    return [first(o) for o in outs] if cf else outs


# -- treino's side: outputs and gradients of sum(out_i * cot_i) ---------------------------
def run(layer, x, states=(), cots=None, mask=None, training=False):
    xs = [tn.tensor(x)] + [tn.tensor(s) for s in states]
    kw = {"initial_state": [tn.tensor(s) for s in states]} if states else {}
    if mask is not None:
        kw["mask"] = tn.tensor(mask)
    if not layer.built:
        layer(tn.tensor(x), **kw)
    got = {}

    def f(x, *rest):
        kw2 = dict(kw)
        if states:
            kw2["initial_state"] = list(rest[:len(states)])
        out = layer(x, training=training, **kw2)
        outs = out if isinstance(out, list) else [out]
        got["outs"] = [o.numpy() for o in outs]
        loss = tn.sum(outs[0] * tn.tensor(cots[0]))
        for o, c in zip(outs[1:], cots[1:]):
            loss = loss + tn.sum(o * tn.tensor(c))
        return loss
    grads = tn.grads(f)(xs + [w.val for w in layer.weights])
    return got["outs"], [g.numpy() for g in grads]


def central_differences(loss, params, eps=1e-6, sample=24):
    """d loss / d params at up to `sample` random entries of each parameter (NaN
    elsewhere), in float64."""
    grads = []
    for k, p in enumerate(params):
        g = np.full(p.shape, np.nan)
        every = list(np.ndindex(p.shape))
        picked = rng.choice(len(every), min(sample, len(every)), replace=False)
        for idx in (every[i] for i in picked):
            vals = []
            for sign in (1, -1):
                moved = [q.copy() for q in params]
                moved[k][idx] += sign * eps
                vals.append(loss(moved))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(g)
    return grads


def check_layer(layer, x, states=(), mask=None, masks=(None, None), training=False):
    """Outputs against the reference and every gradient (input, states, weights) against
    central differences of the reference."""
    out0 = layer(tn.tensor(x), **({"initial_state": [tn.tensor(s) for s in states]}
                                  if states else {}))
    outs0 = out0 if isinstance(out0, list) else [out0]
    weights = [rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in layer.weights]
    layer.set_weights(weights)
    cots = [rng.uniform(0.5, 1.5, o.shape) for o in outs0]
    outs, grads = run(layer, x, states, [c.astype(np.float32) for c in cots], mask, training)
    want = reference(layer, x, states, mask, *masks)
    assert len(outs) == len(want)
    for o, w in zip(outs, want):
        assert o.shape == w.shape
        np.testing.assert_allclose(o, w, rtol=0, atol=3e-5)
    n_in = 1 + len(states)
    params = [np.asarray(v, np.float64) for v in [x, *states, *weights]]

    def loss(ps):
        ref = reference_with(layer, ps[0], ps[1:n_in], ps[n_in:], mask, masks)
        return sum((r * c).sum() for r, c in zip(ref, cots))
    want_g = central_differences(loss, params)
    for i, (g, w) in enumerate(zip(grads, want_g)):
        assert g.shape == w.shape
        seen = ~np.isnan(w)
        np.testing.assert_allclose(g[seen], w[seen], rtol=1e-3, atol=2e-4,
                                   err_msg=f"gradient {i}")
    return outs


def reference_with(layer, x, states, weights, mask, masks):
    """reference() with float64 weights (set_weights would round them to float32)."""
    class View:
        pass
    v = View()
    for k in ("strides", "padding", "dilation_rate", "go_backwards", "return_sequences",
              "return_state", "data_format", "activation", "recurrent_activation"):
        setattr(v, k, getattr(layer, k))
    v.get_weights = lambda: weights
    return reference(v, x, states, mask, *masks)


CASES = {
    "defaults": ({"filters": 2, "kernel_size": 3, "return_sequences": True}, (2, 3, 5, 4, 2)),
    "same_strides_backwards_state": ({"filters": 2, "kernel_size": [2, 3], "strides": [2, 1],
                                      "padding": "same", "go_backwards": True,
                                      "return_state": True}, (2, 3, 5, 4, 3)),
    "dilation_relu_no_bias": ({"filters": 3, "kernel_size": 2, "dilation_rate": 2,
                               "padding": "same", "use_bias": False, "activation": "relu",
                               "recurrent_activation": "sigmoid", "return_sequences": True},
                              (1, 3, 4, 4, 2)),
    "channels_first": ({"filters": 2, "kernel_size": 3, "strides": 2, "data_format":
                        "channelsFirst", "return_sequences": True, "return_state": True},
                       (2, 2, 3, 5, 5)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_layer_matches_reference_and_finite_differences(case):
    kwargs, shape = CASES[case]
    check_layer(L.ConvLSTM2D(**kwargs), f32(*shape))


@pytest.mark.parametrize("fmt", ["channelsLast", "channelsFirst"])
def test_initial_states_and_mask(fmt):
    layer = L.ConvLSTM2D(filters=2, kernel_size=3, padding="same", data_format=fmt,
                         return_sequences=True, return_state=True)
    x = f32(3, 4, 3, 3, 2) if fmt == "channelsLast" else f32(3, 4, 2, 3, 3)
    states = [f32(3, 3, 3, 2), f32(3, 3, 3, 2)] if fmt == "channelsLast" else \
        [f32(3, 2, 3, 3), f32(3, 2, 3, 3)]
    mask = np.ones((3, 4), np.float32)
    mask[1, 2:] = 0
    mask[2, 0] = 0
    outs = check_layer(layer, x, states, mask=mask)
    # A masked step repeats the last output: sample 1 keeps step 1's output at steps 2, 3.
    np.testing.assert_array_equal(outs[0][1, 2], outs[0][1, 1])
    np.testing.assert_array_equal(outs[0][1, 3], outs[1][1])
    np.testing.assert_array_equal(outs[0][2, 0], states[0][2])


def test_a_mask_per_pixel():
    """A (batch, time, rows, cols) mask, what a Masking layer makes of a 5-D input, skips
    each pixel's step on its own (TF.js's reading)."""
    layer = L.ConvLSTM2D(filters=2, kernel_size=3, padding="same", return_sequences=True)
    x = f32(2, 3, 4, 3, 2)
    mask = (rng.random((2, 3, 4, 3)) > 0.4).astype(np.float32)
    check_layer(layer, x, mask=mask)
    x[..., :] *= mask[..., None]  # masked pixels all zero: Masking finds the same mask
    model = tn.sequential(layers=[L.Masking(mask_value=0, input_shape=[3, 4, 3, 2]), layer])
    want = reference(layer, x, mask=mask)[0]
    np.testing.assert_allclose(model.predict(x).numpy(), want, rtol=0, atol=3e-5)


def test_four_dropout_masks_per_gate_as_tfjs(monkeypatch):
    """Training draws four masks on the inputs and four on h (one per gate), once per
    call: with the masks fixed, the values and gradients are the reference's."""
    layer = L.ConvLSTM2D(filters=3, kernel_size=2, padding="same", dropout=0.3,
                         recurrent_dropout=0.4, return_sequences=True)
    x = f32(2, 3, 3, 3, 2)

    def draw(shape, rate):
        return np.where(rng.random(shape) >= rate, 1 / (1 - rate), 0.0).astype(np.float32)
    masks = {((4, 2, 3, 3, 2), 0.3): draw((4, 2, 3, 3, 2), 0.3),
             ((4, 2, 3, 3, 3), 0.4): draw((4, 2, 3, 3, 3), 0.4)}
    calls = []

    def fixed(shape, rate):
        calls.append((tuple(shape), rate))
        return masks[(tuple(shape), rate)]
    monkeypatch.setattr(rnn_ops, "dropout_mask", fixed)
    check_layer(layer, x, masks=tuple(masks.values()), training=True)
    assert sorted(calls) == sorted(masks)  # each drawn once, for all the steps
    # Inference ignores the rates.
    monkeypatch.undo()
    plain = L.ConvLSTM2D(filters=3, kernel_size=2, padding="same", return_sequences=True)
    plain(tn.tensor(x))
    plain.set_weights(layer.get_weights())
    np.testing.assert_array_equal(layer(tn.tensor(x)).numpy(), plain(tn.tensor(x)).numpy())
    a, b = layer(tn.tensor(x), training=True).numpy(), layer(tn.tensor(x), training=True).numpy()
    assert not np.allclose(a, b)


def test_cell_alone_is_one_step():
    cell = L.ConvLSTM2DCell(filters=3, kernel_size=3, padding="same", unit_forget_bias=True)
    x, h, c = f32(2, 4, 4, 2), f32(2, 4, 4, 3), f32(2, 4, 4, 3)
    cell.build((None, 4, 4, 2))
    assert [w.name.split("/")[-1] for w in cell.weights] == ["kernel", "recurrent_kernel",
                                                             "bias"]
    # unit_forget_bias: the forget gate's block starts at ones, the rest at zeros.
    np.testing.assert_array_equal(cell.bias.val.numpy(), np.repeat([0, 1, 0, 0], 3))
    cell.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in cell.weights])
    out = cell.call([tn.tensor(x), tn.tensor(h), tn.tensor(c)])
    assert len(out) == 3
    k, rk, b = (np.asarray(v, np.float64) for v in cell.get_weights())
    _, h1, c1 = ref_layer(np.asarray(x, np.float64)[:, None], k, rk, b, {"padding": "same"},
                          np.asarray(h, np.float64), np.asarray(c, np.float64))
    np.testing.assert_allclose(out[0].numpy(), h1, atol=2e-5, rtol=0)
    np.testing.assert_allclose(out[2].numpy(), c1, atol=2e-5, rtol=0)
    np.testing.assert_array_equal(out[0].numpy(), out[1].numpy())
    with pytest.raises(ValueError, match="expects 3 input Tensors"):
        cell.call([tn.tensor(x), tn.tensor(h)])


# -- training: the replay against eager ---------------------------------------------------
def _train(make, x, y, run_eagerly, epochs=2, batch_size=4):
    tn.set_seed(3)
    model = make()
    model.compile(optimizer="adam", loss="meanSquaredError", run_eagerly=run_eagerly)
    h = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=False)
    return h.history["loss"], model.get_weights(), model


def test_fit_replay_is_bit_identical_to_eager():
    data = np.random.default_rng(5)
    x = data.standard_normal((10, 3, 5, 5, 2)).astype(np.float32)
    y = data.standard_normal((10, 1)).astype(np.float32)

    def sequential():
        return tn.sequential(layers=[
            L.ConvLSTM2D(filters=3, kernel_size=3, padding="same", dropout=0.2,
                         recurrent_dropout=0.1, return_sequences=True, input_shape=[3, 5, 5, 2],
                         kernel_regularizer="l2"),
            L.ConvLSTM2D(filters=2, kernel_size=2, strides=2, go_backwards=True),
            L.Flatten(), L.Dense(units=1)])

    def functional():
        inp = tn.input(shape=[2, 3, 5, 5])
        seq, h, c = L.ConvLSTM2D(filters=2, kernel_size=3, data_format="channelsFirst",
                                 return_sequences=True, return_state=True,
                                 dropout=0.1).apply(inp)
        out = L.ConvLSTM2D(filters=2, kernel_size=3, padding="same",
                           data_format="channelsFirst").apply(seq, {"initial_state": [h, c]})
        return tn.model(inputs=inp, outputs=L.Dense(units=1).apply(L.Flatten().apply(out)))
    x_first = data.standard_normal((10, 2, 3, 5, 5)).astype(np.float32)
    for make, xs in ((sequential, x), (functional, x_first)):
        eager, replay = _train(make, xs, y, True), _train(make, xs, y, False)
        assert eager[0] == replay[0]
        assert eager[0][1] < eager[0][0] * 1.5  # it trains (finite, not diverging)
        for a, b in zip(eager[1], replay[1]):
            np.testing.assert_array_equal(a, b)


def test_stateful_layer_carries_states_and_replays_as_eager():
    data = np.random.default_rng(8)
    x = data.standard_normal((8, 2, 4, 4, 1)).astype(np.float32)
    y = data.standard_normal((8, 1)).astype(np.float32)

    def make():
        return tn.sequential(layers=[
            L.ConvLSTM2D(filters=2, kernel_size=3, padding="same", stateful=True,
                         batch_input_shape=[4, 2, 4, 4, 1]),
            L.Flatten(), L.Dense(units=1)])
    eager, replay = _train(make, x, y, True), _train(make, x, y, False)
    assert eager[0] == replay[0]
    le, lr = eager[2].layers[0], replay[2].layers[0]
    assert [s.shape for s in lr.states] == [(4, 4, 4, 2), (4, 4, 4, 2)]
    assert np.abs(lr.states[0].numpy()).sum() > 0
    for a, b in zip(eager[1] + [s.numpy() for s in le.states],
                    replay[1] + [s.numpy() for s in lr.states]):
        np.testing.assert_array_equal(a, b)
    # The carried states change the next prediction; reset_states zeroes them.
    model = replay[2]
    p1 = model.predict(x[:4], batch_size=4).numpy()
    p2 = model.predict(x[:4], batch_size=4).numpy()
    assert not np.allclose(p1, p2)
    model.reset_states()
    assert not any(s.numpy().any() for s in lr.states)
    lr.reset_states([np.ones((4, 4, 4, 2)), np.zeros((4, 4, 4, 2))])
    np.testing.assert_array_equal(lr.states[0].numpy(), 1.0)
    with pytest.raises(ValueError, match=r"state 0 must have shape \[4,4,4,2\]"):
        lr.reset_states([np.ones((4, 4, 4, 3)), np.zeros((4, 4, 4, 2))])


# -- saving, configs, summary -----------------------------------------------------------
TFJS_KEYS = {  # TF.js 4.22's ConvLSTM2D config in model.json
    "name", "trainable", "batch_input_shape", "dtype", "activation", "recurrent_activation",
    "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
    "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
    "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
    "dropout", "recurrent_dropout", "implementation", "filters", "kernel_size", "padding",
    "data_format", "dilation_rate", "strides", "return_sequences", "return_state",
    "go_backwards", "stateful", "unroll"}


def test_save_load_round_trip_config_and_summary(tmp_path):
    tn.set_seed(1)
    layer = L.ConvLSTM2D(filters=2, kernel_size=[3, 2], padding="same", strides=[1, 2],
                         data_format="channelsFirst", recurrent_activation="sigmoid",
                         unit_forget_bias=True, dropout=0.25, kernel_constraint="maxNorm",
                         input_shape=[3, 2, 5, 6], return_sequences=True)
    model = tn.sequential(layers=[layer, L.Flatten(), L.Dense(units=2)])
    assert [w.name for w in model.weights][:3] == [f"{layer.name}/kernel",
                                                   f"{layer.name}/recurrent_kernel",
                                                   f"{layer.name}/bias"]
    assert layer.name.startswith("conv_lst_m2d_ConvLSTM2D")
    assert [w.shape for w in layer.weights] == [(3, 2, 2, 8), (3, 2, 2, 8), (8,)]
    lines = []
    model.summary(print_fn=lines.append)
    row = next(r for r in lines if r.startswith(layer.name[:27]))
    assert "[[null,3,2,5,6]]" in row and "[null,3,2,5,3]" in row and row.split()[-1] == "200"
    x = f32(2, 3, 2, 5, 6)
    before = model.predict(x).numpy()
    model.save(str(tmp_path / "m"))
    spec = json.loads((tmp_path / "m" / "model.json").read_text())
    config = spec["modelTopology"]["config"]["layers"][0]
    assert config["class_name"] == "ConvLSTM2D"
    assert set(config["config"]) == TFJS_KEYS
    c = config["config"]
    assert (c["data_format"], c["recurrent_activation"], c["kernel_size"], c["strides"],
            c["unit_forget_bias"]) == ("channelsFirst", "sigmoid", [3, 2], [1, 2], True)
    loaded = tn.load_layers_model(str(tmp_path / "m"))
    assert [w.name for w in loaded.weights] == [w.name for w in model.weights]
    np.testing.assert_array_equal(loaded.predict(x).numpy(), before)
    again = loaded.layers[0]
    assert again.get_config() == layer.get_config()
    assert isinstance(again, L.ConvLSTM2D) and again.cell.dropout == 0.25
    cell = L.ConvLSTM2DCell(filters=4, kernel_size=3, dilation_rate=2)
    cconf = cell.get_config()
    assert "units" not in cconf and cconf["filters"] == 4 and cconf["dilation_rate"] == [2, 2]
    assert L.ConvLSTM2DCell.from_config(cconf).get_config() == cconf
    assert isinstance(tn.layers.conv_lstm2d(filters=1, kernel_size=1), L.ConvLSTM2D)
    assert isinstance(tn.layers.conv_lstm2d_cell(filters=1, kernel_size=1), L.ConvLSTM2DCell)
    assert {"ConvLSTM2D", "ConvLSTM2DCell"} <= set(L.CLASSES)


def test_defaults_and_options_through_the_layer():
    layer = L.ConvLSTM2D(filters=3, kernel_size=2)
    assert (layer.filters, layer.kernel_size, layer.strides, layer.padding, layer.data_format,
            layer.dilation_rate) == (3, [2, 2], [1, 1], "valid", "channelsLast", [1, 1])
    assert layer.activation.name == "tanh" and layer.recurrent_activation.name == "hardSigmoid"
    assert layer.cell.kernel_initializer.get_config()["distribution"] == "normal"
    assert type(layer.cell.recurrent_initializer).__name__ == "Orthogonal"
    layer.recurrent_dropout = 0.5
    assert layer.cell.recurrent_dropout == 0.5
    with pytest.raises(AttributeError, match="'kernel_size' is fixed"):
        layer.kernel_size = 3
    with pytest.raises(AttributeError, match="'filters' is fixed"):
        layer.cell.filters = 4
    out = layer(tn.zeros([2, 3, 4, 5, 1]))
    assert out.shape == (2, 3, 4, 3)
    assert layer.compute_output_shape((None, 3, 4, 5, 1)) == (None, 3, 4, 3)


def test_errors():
    with pytest.raises(ValueError, match="'filters' must be a positive int"):
        L.ConvLSTM2D(filters=0, kernel_size=3)
    with pytest.raises(ValueError, match="'kernel_size' must be an int >= 1 or a list of 2"):
        L.ConvLSTM2D(filters=2, kernel_size=[3])
    with pytest.raises(ValueError, match="strides and dilation_rate cannot both be > 1"):
        L.ConvLSTM2D(filters=2, kernel_size=3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="'padding' must be 'valid' or 'same', received 'causal'"):
        L.ConvLSTM2D(filters=2, kernel_size=3, padding="causal")
    with pytest.raises(ValueError, match="'data_format'"):
        L.ConvLSTM2D(filters=2, kernel_size=3, data_format="NHWC")
    with pytest.raises(ValueError, match="unrolling is not possible"):
        L.ConvLSTM2D(filters=2, kernel_size=3, unroll=True)
    with pytest.raises(TypeError, match="ConvLSTM2D: unknown argument 'units'; accepted "
                                        "arguments: filters, kernel_size, strides"):
        L.ConvLSTM2D(filters=2, kernel_size=3, units=4)
    with pytest.raises(TypeError, match="ConvLSTM2DCell: unknown argument 'units'"):
        L.ConvLSTM2DCell(filters=2, kernel_size=3, units=4)
    with pytest.raises(TypeError, match="ConvLSTM2D: unknown argument 'bogus'"):
        L.ConvLSTM2D(filters=2, kernel_size=3, bogus=1)
    with pytest.raises(ValueError, match="ConvLSTM2D: argument 'dropout'"):
        L.ConvLSTM2D(filters=2, kernel_size=3, dropout=1.0)
    layer = L.ConvLSTM2D(filters=2, kernel_size=3)
    with pytest.raises(ValueError, match="expected ndim=5"):
        layer(tn.zeros([2, 3, 5, 5]))
    layer(tn.zeros([1, 2, 5, 5, 3]))
    with pytest.raises(ValueError, match="expected a 5-D input with 3 channels"):
        layer(tn.zeros([1, 2, 5, 5, 4]))
    with pytest.raises(ValueError, match=r"initial states must be 2 tensors .* \[1,3,3,2\]"):
        layer(tn.zeros([1, 2, 5, 5, 3]), initial_state=[tn.zeros([1, 3, 3, 2])])
    with pytest.raises(ValueError, match=r"a mask must have shape \[1,2\] \(batch, time\) "
                                         r"or \[1,2,3,3\]"):
        layer(tn.zeros([1, 2, 5, 5, 3]), mask=np.ones((1, 2, 5)))
    with pytest.raises(ValueError, match=r"rows and cols \(3x3\) are too small for the "
                                         r"kernel \(4x4\) with padding 'valid'"):
        L.ConvLSTM2D(filters=2, kernel_size=4)(tn.zeros([1, 2, 3, 3, 1]))
    with pytest.raises(ValueError, match="needs to know its batch size"):
        L.ConvLSTM2D(filters=2, kernel_size=3, stateful=True)(tn.zeros([1, 2, 5, 5, 3]))
    with pytest.raises(AttributeError, match="not stateful"):
        layer.reset_states()


# -- against TF.js 4.22 ------------------------------------------------------------------
@pytest.fixture(scope="module")
def node():
    return find_node()


def run_node(node, script, *args, payload=None):
    r = subprocess.run([node, str(TFJS_DIR / script), *map(str, args)],
                       input=None if payload is None else json.dumps(payload),
                       capture_output=True, text=True, timeout=120, cwd=TFJS_DIR)
    assert r.returncode == 0, f"node {script} failed:\n{r.stderr[-3000:]}"
    return json.loads(r.stdout)


TFJS_CASES = [  # treino config (snake_case), input shape
    ({"filters": 2, "kernel_size": 3, "return_sequences": True}, (2, 3, 5, 4, 2)),
    ({"filters": 3, "kernel_size": [2, 3], "strides": 2, "padding": "same",
      "go_backwards": True}, (2, 4, 5, 6, 1)),
    ({"filters": 2, "kernel_size": 2, "dilation_rate": 2, "padding": "same",
      "activation": "relu", "recurrent_activation": "sigmoid", "use_bias": False,
      "return_sequences": True}, (1, 3, 5, 5, 2)),
    ({"filters": 2, "kernel_size": 3, "data_format": "channelsFirst", "padding": "same",
      "return_sequences": True}, (2, 3, 2, 4, 5)),
    ({"filters": 2, "kernel_size": 3, "padding": "same", "return_sequences": True,
      "masked": True}, (2, 3, 4, 3, 2)),
]


def camel(k):
    head, *rest = k.split("_")
    return head + "".join(w.capitalize() for w in rest)


def test_same_weights_predict_tfjs_numbers(node):
    payload, models = [], []
    for config, shape in TFJS_CASES:
        config = dict(config)
        x = f32(*shape)
        specs = [("conv_lstm2d", config)]
        if config.pop("masked", False):  # pixels whose channels are all 0 skip the step
            x *= rng.random(shape[:-1] + (1,)) > 0.4
            specs.insert(0, ("masking", {"mask_value": 0}))
        specs[0][1]["input_shape"] = list(shape[1:])
        model = tn.sequential(layers=[getattr(tn.layers, n)(**c) for n, c in specs])
        weights = [rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in model.weights]
        model.set_weights(weights)
        models.append((model, x))
        payload.append({"layers": [{"type": camel(n), "config": {camel(k): v for k, v in
                                                                  c.items()}}
                                   for n, c in specs],
                        "weights": [{"shape": list(w.shape), "values": w.ravel().tolist()}
                                    for w in weights],
                        "input": {"shape": list(x.shape), "values": x.ravel().tolist()}})
    results = run_node(node, "sequence_models.js", "predict", payload=payload)
    for (model, x), res in zip(models, results):
        assert [tuple(s) for _, s in res["weights"]] == [w.shape for w in model.weights]
        names = [n.split("/") for n, _ in res["weights"]]  # TF.js's, up to its counters
        assert {n[0].rstrip("0123456789") for n in names} == {"conv_lst_m2d_ConvLSTM2D"}
        assert [n[-1] for n in names] == [w.name.split("/")[-1] for w in model.weights]
        want = np.array(res["values"], np.float32).reshape(res["shape"])
        np.testing.assert_allclose(model.predict(x).numpy(), want, rtol=0, atol=2e-5)


def test_tfjs_trained_model_loads_in_treino(node, tmp_path):
    saved = run_node(node, "conv_lstm.js", tmp_path)
    expected = json.loads((tmp_path / "expected.json").read_text())
    x = np.array(expected["input"]["values"], np.float32).reshape(expected["input"]["shape"])
    model = tn.load_layers_model(str(tmp_path))
    assert [w.name for w in model.weights] == saved["weights"]
    np.testing.assert_allclose(model.predict(x).numpy(), np.array(expected["predictions"]),
                               rtol=0, atol=1e-5)


def test_treino_model_loads_in_tfjs(node, tmp_path):
    tn.set_seed(4)
    model = tn.sequential(layers=[
        L.ConvLSTM2D(filters=2, kernel_size=3, padding="same", return_sequences=True,
                     input_shape=[3, 4, 4, 2], unit_forget_bias=True),
        L.ConvLSTM2D(filters=2, kernel_size=2, data_format="channelsLast", go_backwards=True),
        L.Flatten(), L.Dense(units=2, activation="softmax")])
    model.compile(optimizer="adam", loss="categoricalCrossentropy")
    x = f32(6, 3, 4, 4, 2)
    model.fit(x, np.eye(2, dtype=np.float32)[np.arange(6) % 2], epochs=2, verbose=0)
    model.save(str(tmp_path / "m"))
    (tmp_path / "inputs.json").write_text(json.dumps({"shape": list(x.shape),
                                                      "values": x.ravel().tolist()}))
    r = subprocess.run([node, str(TFJS_DIR / "load_predict.js"), str(tmp_path / "m"),
                        str(tmp_path / "inputs.json")], capture_output=True, text=True,
                       timeout=120, cwd=TFJS_DIR)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout)
    assert res["weights"] == [w.name for w in model.weights]
    np.testing.assert_allclose(model.predict(x).numpy(), np.array(res["predictions"]),
                               rtol=0, atol=1e-5)
