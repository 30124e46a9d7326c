"""Recurrent layers (SimpleRNN, LSTM, GRU, RNN over cells): values and every gradient
against PyTorch's nn.RNN / nn.LSTM / nn.GRU with the weights mapped, TF.js's GRU
(reset_after=False, hardSigmoid) against a float64 numpy reference and finite
differences; go_backwards, masks, initial states, return_state, stateful layers, stacked
cells, the step-by-step path against the fused one, dropout, replays against eager
training, TF.js's defaults, names and configs, and the errors."""
import numpy as np
import pytest

import treino as tn
from treino import _kernels as K
from treino import layers as L

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # small problems: torch's thread pool would only compete with ours

rng = np.random.default_rng(11)


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def randomize(layer, scale=0.5):
    """Random weights (uniform, so the gates see both sides of every kink)."""
    layer.set_weights([rng.uniform(-scale, scale, w.shape).astype(np.float32)
                       for w in layer.weights])


def run(layer, x, states=(), cots=None, mask=None, training=False):
    """Outputs of layer(x, initial_state=states) and the gradients of sum(out_i * cot_i)
    w.r.t. x, the states and every weight (in layer.weights order)."""
    xs = [tn.tensor(x)] + [tn.tensor(s) for s in states]
    ws = [w.val for w in layer.weights]
    got = {}

    def f(x, *rest):
        st = list(rest[:len(states)])
        kw = {"initial_state": st} if st else {}
        if mask is not None:
            kw["mask"] = tn.tensor(mask)
        out = layer(x, training=training, **kw)
        outs = out if isinstance(out, list) else [out]
        got["outs"] = [o.numpy() for o in outs]
        loss = tn.sum(outs[0] * tn.tensor(cots[0]))
        for o, c in zip(outs[1:], cots[1:]):
            loss = loss + tn.sum(o * tn.tensor(c))
        return loss
    if not layer.built:
        layer(tn.tensor(x), **({"initial_state": [tn.tensor(s) for s in states]} if states else {}))
        ws = [w.val for w in layer.weights]
    grads = tn.grads(f)(xs + ws)
    return got["outs"], [g.numpy() for g in grads]


# -- PyTorch's layers with treino's weights ---------------------------------------------
def torch_module(kind, layer, I):
    U = layer.cell.units
    w = [np.asarray(v, np.float64) for v in layer.get_weights()]
    if kind == "lstm":
        m = torch.nn.LSTM(I, U, batch_first=True)
        perm = np.arange(4 * U)
    elif kind == "gru":
        m = torch.nn.GRU(I, U, batch_first=True)
        # treino/Keras gates [z r h], torch's [r z n].
        perm = np.concatenate([np.arange(U, 2 * U), np.arange(U), np.arange(2 * U, 3 * U)])
    else:
        m = torch.nn.RNN(I, U, batch_first=True, nonlinearity="tanh")
        perm = np.arange(U)
    m = m.double()
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.tensor(w[0].T[perm]))
        m.weight_hh_l0.copy_(torch.tensor(w[1].T[perm]))
        if kind == "gru":
            m.bias_ih_l0.copy_(torch.tensor(w[2][0][perm]))
            m.bias_hh_l0.copy_(torch.tensor(w[2][1][perm]))
        else:
            m.bias_ih_l0.copy_(torch.tensor(w[2][perm]))
            m.bias_hh_l0.zero_()
    return m, perm


def torch_run(kind, layer, x, states, cots, go_backwards, return_sequences):
    """(outputs as treino orders them, gradients in treino's layout)."""
    m, perm = torch_module(kind, layer, x.shape[2])
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    st = [torch.tensor(s, dtype=torch.float64, requires_grad=True) for s in states]
    inp = torch.flip(xt, [1]) if go_backwards else xt
    if kind == "lstm":
        init = (st[0][None], st[1][None]) if st else None
        seq, (h, c) = m(inp, init)
        finals = [h[0], c[0]]
    else:
        seq, h = m(inp, st[0][None] if st else None)
        finals = [h[0]]
    outs = [seq if return_sequences else finals[0]] + finals
    loss = sum((o * torch.tensor(c, dtype=torch.float64)).sum() for o, c in zip(outs, cots))
    loss.backward()
    inv = np.argsort(perm)
    gw = [m.weight_ih_l0.grad.numpy().T[:, inv], m.weight_hh_l0.grad.numpy().T[:, inv]]
    if kind == "gru":
        gw.append(np.stack([m.bias_ih_l0.grad.numpy()[inv], m.bias_hh_l0.grad.numpy()[inv]]))
    else:
        gw.append(m.bias_ih_l0.grad.numpy()[inv])
    grads = [xt.grad.numpy()] + [s.grad.numpy() for s in st] + gw
    return [o.detach().numpy() for o in outs], grads


def make(kind, **kw):
    if kind == "lstm":
        return L.LSTM(units=kw.pop("units", 6), recurrent_activation="sigmoid", **kw)
    if kind == "gru":
        return L.GRU(units=kw.pop("units", 6), recurrent_activation="sigmoid", reset_after=True,
                     **kw)
    return L.SimpleRNN(units=kw.pop("units", 6), **kw)


def close(got, want, what, tol=2e-5):
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape, f"{what}[{i}]: shape {g.shape} != {w.shape}"
        scale = max(1.0, float(np.abs(w).max(initial=0)))
        err = float(np.abs(g - w).max(initial=0))
        assert err <= tol * scale, f"{what}[{i}]: max error {err} (scale {scale})"


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("with_states", [False, True])
def test_layers_match_torch(kind, go_backwards, with_states):
    B, T, I, U = 5, 7, 4, 6
    layer = make(kind, units=U, return_sequences=True, return_state=True,
                 go_backwards=go_backwards)
    x = f32(B, T, I)
    n_states = 2 if kind == "lstm" else 1
    states = [f32(B, U) for _ in range(n_states)] if with_states else []
    layer(tn.tensor(x))
    randomize(layer)
    cots = [f32(B, T, U)] + [f32(B, U) for _ in range(n_states)]
    outs, grads = run(layer, x, states, cots)
    want_outs, want_grads = torch_run(kind, layer, x, states, cots, go_backwards, True)
    close(outs, want_outs, f"{kind} outputs")
    close(grads, want_grads, f"{kind} gradients")


def test_last_output_only_and_shapes():
    for kind in ("lstm", "gru", "simple_rnn"):
        layer = make(kind, units=3)
        x = f32(2, 5, 4)
        y = layer(tn.tensor(x))
        assert y.shape == (2, 3)
        layer.set_weights([w * 0.5 for w in layer.get_weights()])
        outs, _ = run(layer, x, (), [np.ones((2, 3), np.float32)])
        want, _ = torch_run(kind, layer, x, [], [np.ones((2, 3), np.float32)], False, False)
        close(outs, want[:1], kind)


# -- TF.js's GRU (reset_after=False) and defaults against float64 numpy --------------------
def hard_sigmoid(v):
    return np.clip(0.2 * v + 0.5, 0, 1)


def gru_reference(x, w, r, b, h0=None):
    """TF.js's GRUCell, float64: z, r = hardSigmoid; hh = tanh(x W_h + b_h + (r h) R_h)."""
    B, T, _ = x.shape
    U = r.shape[0]
    h = np.zeros((B, U)) if h0 is None else h0
    outs = []
    for t in range(T):
        xw = x[:, t] @ w + b
        z = hard_sigmoid(xw[:, :U] + h @ r[:, :U])
        rg = hard_sigmoid(xw[:, U:2 * U] + h @ r[:, U:2 * U])
        hh = np.tanh(xw[:, 2 * U:] + (rg * h) @ r[:, 2 * U:])
        h = z * h + (1 - z) * hh
        outs.append(h)
    return np.stack(outs, 1)


def test_tfjs_gru_against_float64_reference_and_finite_differences():
    B, T, I, U = 3, 6, 4, 5
    layer = L.GRU(units=U, return_sequences=True)  # TF.js defaults: hardSigmoid, reset_after=False
    assert layer.recurrent_activation.name == "hardSigmoid" and layer.reset_after is False
    x = f32(B, T, I)
    layer(tn.tensor(x))
    randomize(layer, 0.4)
    w, r, b = [v.numpy().astype(np.float64) for v in layer.get_weights()]
    cot = f32(B, T, U)
    outs, grads = run(layer, x, (), [cot])
    close(outs, [gru_reference(x.astype(np.float64), w, r, b)], "GRU forward", 1e-5)

    def loss(xx=x, ww=w, rr=r, bb=b):
        return float((gru_reference(np.asarray(xx, np.float64), ww, rr, bb) * cot).sum())
    h = 1e-6
    for name, arr, g in (("x", x.astype(np.float64), grads[0]), ("kernel", w, grads[1]),
                         ("recurrent_kernel", r, grads[2]), ("bias", b, grads[3])):
        for idx in list(np.ndindex(arr.shape))[::max(1, arr.size // 12)]:
            p, m = arr.copy(), arr.copy()
            p[idx] += h
            m[idx] -= h
            args = {"x": "xx", "kernel": "ww", "recurrent_kernel": "rr", "bias": "bb"}[name]
            fd = (loss(**{args: p}) - loss(**{args: m})) / (2 * h)
            assert abs(g[idx] - fd) <= 1e-3 * max(1, abs(fd)), f"d{name}{idx}: {g[idx]} vs {fd}"


def test_tfjs_defaults_and_weight_names():
    lstm = L.LSTM(units=3)
    assert lstm.name.startswith("lstm_LSTM")
    assert lstm.activation.name == "tanh" and lstm.recurrent_activation.name == "hardSigmoid"
    assert lstm.kernel_initializer.class_name == "GlorotNormal"
    assert lstm.recurrent_initializer.class_name == "Orthogonal"
    lstm(tn.zeros([1, 2, 4]))
    assert [w.name for w in lstm.weights] == [f"{lstm.name}/kernel",
                                              f"{lstm.name}/recurrent_kernel",
                                              f"{lstm.name}/bias"]
    assert [w.shape for w in lstm.weights] == [(4, 12), (3, 12), (12,)]
    gru = L.GRU(units=2, reset_after=True)
    gru(tn.zeros([1, 2, 4]))
    assert gru.weights[2].shape == (2, 6)
    simple = L.SimpleRNN(units=2)
    assert simple.name.startswith("simple_rnn_SimpleRNN")
    stacked = L.RNN(cell=[L.LSTMCell(units=3), L.GRUCell(units=2)], return_state=True)
    outs = stacked(tn.zeros([2, 5, 4]))
    assert [w.name for w in stacked.weights] == [
        f"{stacked.name}/RNNCell_{i}/{n}" for i in (0, 1)
        for n in ("kernel", "recurrent_kernel", "bias")]
    # States are flat, last cell first: [h_gru, h_lstm, c_lstm].
    assert [tuple(o.shape) for o in outs] == [(2, 2), (2, 2), (2, 3), (2, 3)]
    ufb = L.LSTM(units=2, unit_forget_bias=True, bias_initializer="zeros")
    ufb(tn.zeros([1, 1, 1]))
    np.testing.assert_array_equal(ufb.weights[2].val.numpy(), [0, 0, 1, 1, 0, 0, 0, 0])


# -- masks, stacks, states ---------------------------------------------------------------
def test_mask_skips_steps_like_unpadded_sequences():
    """A sequence padded at the front and masked gives the output of the sequence alone;
    masked steps repeat the previous output (TF.js)."""
    T, I = 6, 3
    for kind, go_backwards in [("lstm", False), ("gru", True), ("simple_rnn", False)]:
        layer = make(kind, units=4, return_sequences=True, go_backwards=go_backwards)
        layer(tn.zeros([1, T, I]))
        randomize(layer)
        x = f32(3, T, I)
        lengths = [6, 4, 1]
        mask = np.array([[t >= T - n for t in range(T)] for n in lengths])
        seq = layer(tn.tensor(x), mask=tn.tensor(mask)).numpy()
        for i, n in enumerate(lengths):
            alone = layer(tn.tensor(x[i:i + 1, T - n:])).numpy()[0]
            if go_backwards:  # real steps come first in processing order, then repeats
                np.testing.assert_allclose(seq[i, :n], alone, atol=1e-6)
                np.testing.assert_allclose(seq[i, n:], np.repeat(alone[-1:], T - n, 0),
                                           atol=1e-6)
            else:
                np.testing.assert_allclose(seq[i, T - n:], alone, atol=1e-6)
                np.testing.assert_array_equal(seq[i, :T - n], 0)


def force_steps(layer):
    """Makes `layer` run TF.js's step loop (cell.call per step) instead of the kernel."""
    for cell in layer._cells():
        cell.fused = lambda: None


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn", "stack"])
def test_step_loop_matches_fused_kernel(kind):
    B, T, I = 4, 5, 3

    def build():
        if kind == "stack":
            layer = L.RNN(cell=[L.LSTMCell(units=3), L.GRUCell(units=4), L.SimpleRNNCell(units=2)],
                          return_sequences=True, return_state=True, go_backwards=True)
        else:
            layer = (L.GRU(units=4, reset_after=True, return_sequences=True, return_state=True)
                     if kind == "gru" else
                     make(kind, units=4, return_sequences=True, return_state=True,
                          go_backwards=True))
        layer(tn.zeros([1, T, I]))
        return layer
    fused, steps = build(), build()
    randomize(fused)
    steps.set_weights(fused.get_weights())
    force_steps(steps)
    x = f32(B, T, I)
    mask = rng.random((B, T)) > 0.3
    n_out = 1 + len(fused.state_sizes)
    shapes = fused.compute_output_shape((B, T, I))
    cots = [f32(*s) for s in shapes][:n_out]
    a = run(fused, x, (), cots, mask=mask)
    b = run(steps, x, (), cots, mask=mask)
    close(a[0], b[0], "outputs", 1e-5)
    close(a[1], b[1], "gradients", 1e-4)


def test_swish_activation_runs_step_by_step():
    layer = L.SimpleRNN(units=3, activation="swish")
    assert layer.cell.fused() is None
    x = f32(2, 4, 3)
    y = layer(tn.tensor(x)).numpy()
    w, r, b = [v.numpy().astype(np.float64) for v in layer.get_weights()]
    h = np.zeros((2, 3))
    for t in range(4):
        z = x[:, t] @ w + b + h @ r
        h = z / (1 + np.exp(-z))
    np.testing.assert_allclose(y, h, atol=1e-5)


def test_initial_state_gradient_and_stateful():
    B, T, I, U = 2, 4, 3, 5
    layer = L.LSTM(units=U, stateful=True, batch_input_shape=[B, T, I], return_state=True)
    x1, x2 = f32(B, T, I), f32(B, T, I)
    layer(tn.tensor(x1))
    h1 = [s.numpy() for s in layer.states]
    assert np.abs(h1[0]).sum() > 0
    out2 = layer(tn.tensor(x2))
    fresh = L.LSTM(units=U, return_state=True)
    fresh(tn.tensor(x1))
    fresh.set_weights(layer.get_weights())
    whole = fresh(tn.tensor(np.concatenate([x1, x2], 1)))
    for a, b in zip(out2, whole):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    layer.reset_states()
    assert all(not s.numpy().any() for s in layer.states)
    layer.reset_states([np.ones((B, U)), np.zeros((B, U))])
    np.testing.assert_array_equal(layer.states[0].numpy(), 1)
    with pytest.raises(ValueError, match=r"state 1 must have shape \[2,5\]"):
        layer.reset_states([np.ones((B, U)), np.zeros((3, U))])
    with pytest.raises(AttributeError, match="not stateful"):
        fresh.reset_states()
    with pytest.raises(ValueError, match="batch size"):
        L.GRU(units=2, stateful=True)(tn.zeros([2, 3, 4]))


def test_encoder_decoder_with_initial_states_trains():
    """translation's pattern: the encoder's final states start the decoder; the graph
    records them as inputs of the decoder's node and the gradient reaches the encoder."""
    tn.set_seed(3)
    enc_in, dec_in = tn.input(shape=[5, 3]), tn.input(shape=[4, 2])
    _, h, c = L.LSTM(units=6, return_state=True).apply(enc_in)
    dec = L.LSTM(units=6, return_sequences=True)
    seq = dec.apply(dec_in, {"initial_state": [h, c]})
    out = L.TimeDistributed(L.Dense(units=3, activation="softmax")).apply(seq)
    model = tn.model(inputs=[enc_in, dec_in], outputs=out)
    assert len(dec.inbound_nodes[0].inputs) == 3
    layers = {layer.name: layer for layer in model.layers}
    config = model.get_config()
    node = [entry for entry in config["layers"] if entry["name"] == dec.name][0]
    assert len(node["inbound_nodes"][0]) == 3
    model.compile(optimizer="adam", loss="categoricalCrossentropy")
    xa, xb = f32(16, 5, 3), f32(16, 4, 2)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, (16, 4))]
    enc_layer = [layer for name, layer in layers.items() if layer is not dec and
                 isinstance(layer, L.LSTM)][0]
    before = enc_layer.get_weights()[0].numpy()
    hist = model.fit([xa, xb], y, epochs=3, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert not np.allclose(enc_layer.get_weights()[0], before)


def test_replay_matches_eager_with_dropout_and_mask():
    def train(run_eagerly):
        tn.set_seed(7)
        model = tn.sequential(layers=[
            L.Embedding(input_dim=12, output_dim=4, input_length=6, mask_zero=True),
            L.LSTM(units=5, dropout=0.3, recurrent_dropout=0.2, return_sequences=True),
            L.GRU(units=3, dropout=0.1, recurrent_dropout=0.3),
            L.Dense(units=1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binaryCrossentropy", run_eagerly=run_eagerly)
        data = np.random.default_rng(1)
        x = data.integers(0, 12, (24, 6)).astype(np.float32)
        x[:, :2] *= data.random((24, 2)) > 0.5
        y = (data.random((24, 1)) > 0.5).astype(np.float32)
        h = model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
        return h.history["loss"], [w.numpy() for w in model.get_weights()]
    a, b = train(True), train(False)
    assert a[0] == b[0]
    for u, v in zip(a[1], b[1]):
        np.testing.assert_array_equal(u, v)


def test_dropout_only_when_training():
    layer = L.LSTM(units=4, dropout=0.5, recurrent_dropout=0.5)
    x = tn.tensor(f32(3, 5, 2))
    a, b = layer(x).numpy(), layer(x).numpy()
    np.testing.assert_array_equal(a, b)
    c, d = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert not np.allclose(a, c) and not np.allclose(c, d)


def test_every_isa_and_thread_count_agree():
    layer = make("lstm", units=7, return_sequences=True)
    x = f32(13, 4, 5)
    layer(tn.tensor(x))
    cots = [f32(13, 4, 7)]
    results = []
    previous = K.cpu_info()["isa"], K.get_num_threads()
    try:
        for isa in K.cpu_info()["supported_isas"]:
            for threads in (1, 2):
                K.set_isa(isa)
                K.set_num_threads(threads)
                results.append(run(layer, x, (), cots))
    finally:
        K.set_isa(previous[0])
        K.set_num_threads(previous[1])
    for outs, grads in results[1:]:
        close(outs, results[0][0], "outputs", 1e-5)
        close(grads, results[0][1], "gradients", 1e-5)


# -- configs and errors ------------------------------------------------------------------
TFJS_LSTM_KEYS = {  # TF.js 4.22's LSTM config (model.json), plus treino's dtype
    "name", "trainable", "units", "activation", "recurrent_activation", "use_bias",
    "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias",
    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
    "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
    "recurrent_dropout", "implementation", "return_sequences", "return_state",
    "go_backwards", "stateful", "unroll", "dtype"}


def test_configs_round_trip():
    lstm = L.LSTM(units=3, return_sequences=True, dropout=0.25, recurrent_activation="sigmoid",
                  kernel_regularizer="l2")
    config = lstm.get_config()
    assert set(config) == TFJS_LSTM_KEYS
    assert config["recurrent_activation"] == "sigmoid" and config["kernel_regularizer"]
    again = L.LSTM.from_config(config)
    assert again.get_config() == config
    gru = L.GRU(units=2, reset_after=True, input_shape=[3, 4])
    assert L.GRU.from_config(gru.get_config()).get_config() == gru.get_config()
    rnn = L.RNN(cell=[L.LSTMCell(units=3), L.SimpleRNNCell(units=2)], return_state=True)
    config = rnn.get_config()
    assert config["cell"]["class_name"] == "StackedRNNCells"
    again = L.RNN.from_config(config)
    again(tn.zeros([1, 2, 3]))
    assert [w.shape for w in again.weights] == [(3, 12), (3, 12), (12,), (3, 2), (2, 2), (2,)]
    for factory, cls in ((tn.layers.lstm, L.LSTM), (tn.layers.gru, L.GRU),
                         (tn.layers.simple_rnn, L.SimpleRNN), (tn.layers.lstm_cell, L.LSTMCell)):
        assert isinstance(factory(units=2), cls)
    assert {"LSTM", "GRU", "SimpleRNN", "RNN", "LSTMCell", "GRUCell", "SimpleRNNCell",
            "StackedRNNCells"} <= set(L.CLASSES)


def test_option_setting_through_the_layer():
    lstm = L.LSTM(units=3)
    lstm.dropout = 0.5
    assert lstm.cell.dropout == 0.5 and lstm.units == 3
    lstm.recurrent_activation = "sigmoid"  # checked and converted when set
    assert lstm.cell.fused() == ("lstm", "tanh", "sigmoid")
    with pytest.raises(ValueError, match="'recurrent_dropout' must be a finite number"):
        lstm.recurrent_dropout = 1.5
    with pytest.raises(ValueError, match="unknown activation 'nope'"):
        lstm.activation = "nope"
    assert lstm.recurrent_dropout == 0 and lstm.activation.name == "tanh"


def test_errors():
    with pytest.raises(ValueError, match="units"):
        L.LSTM(units=0)
    with pytest.raises(TypeError, match="LSTM: unknown argument 'bogus'"):
        L.LSTM(units=2, bogus=1)
    with pytest.raises(ValueError, match="dropout"):
        L.GRU(units=2, dropout=1.0)
    with pytest.raises(ValueError, match="recurrent_activation"):
        L.LSTM(units=2, recurrent_activation="nope")
    with pytest.raises(TypeError, match="cell"):
        L.RNN(cell=3)
    with pytest.raises(ValueError, match="ndim=3"):
        L.LSTM(units=2)(tn.zeros([2, 3]))
    layer = L.LSTM(units=2)
    layer(tn.zeros([1, 3, 4]))
    with pytest.raises(ValueError, match=r"expected shape \[null,null,4\]"):
        layer(tn.zeros([1, 3, 5]))
    with pytest.raises(ValueError, match="initial states must be 2 tensor"):
        layer(tn.zeros([1, 3, 4]), initial_state=[tn.zeros([1, 2])])
    with pytest.raises(ValueError, match="not both"):
        layer([tn.zeros([1, 3, 4])], initial_state=[tn.zeros([1, 2])])


def test_stateful_layer_carries_states_through_fit_and_replays_as_eager():
    def train(run_eagerly):
        tn.set_seed(2)
        lstm = L.LSTM(units=3, stateful=True, batch_input_shape=[4, 5, 2])
        model = tn.sequential(layers=[lstm, L.Dense(units=1)])
        model.compile(optimizer="sgd", loss="meanSquaredError", run_eagerly=run_eagerly)
        data = np.random.default_rng(4)
        x, y = data.standard_normal((12, 5, 2)).astype(np.float32), data.random((12, 1))
        model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
        states = [s.numpy() for s in lstm.states]
        pred = model.predict(x[:4], batch_size=4).numpy()
        return states, pred, model.get_weights(), lstm
    eager, replay = train(True), train(False)
    assert np.abs(eager[0][0]).sum() > 0  # the last batch's final states were kept
    for a, b in zip(eager[0] + [eager[1]] + eager[2], replay[0] + [replay[1]] + replay[2]):
        np.testing.assert_array_equal(a, b)
    # reset_states zeroes what fit and predict left
    lstm = replay[3]
    before = [s.numpy() for s in lstm.states]
    lstm.reset_states()
    assert not any(s.numpy().any() for s in lstm.states) and np.abs(before[0]).sum() > 0


def test_model_reset_states_reaches_every_stateful_layer():
    """TF.js's model.resetStates(): every stateful layer, nested models' and both
    directions of a Bidirectional included; other layers and models are left alone."""
    B, T, I = 2, 3, 4
    inner = tn.sequential(layers=[L.GRU(units=3, stateful=True, return_sequences=True,
                                        batch_input_shape=[B, T, I])])
    bi = L.Bidirectional(layer=L.SimpleRNN(units=2, stateful=True))
    model = tn.sequential(layers=[inner, bi, L.Dense(units=1)])
    plain = tn.sequential(layers=[L.LSTM(units=2, input_shape=[T, I])])
    assert model.stateful and inner.stateful and bi.stateful and not plain.stateful
    x = f32(B, T, I)
    first = model.predict(x, batch_size=B).numpy()
    second = model.predict(x, batch_size=B).numpy()
    assert not np.allclose(first, second)  # the states carried over
    carried = [inner.layers[0], bi.forward_layer, bi.backward_layer]
    assert all(np.abs(l.states[0].numpy()).sum() > 0 for l in carried)
    model.reset_states()
    assert all(not s.numpy().any() for l in carried for s in l.states)
    np.testing.assert_array_equal(model.predict(x, batch_size=B).numpy(), first)
    plain.reset_states()  # nothing to reset: no error, as in TF.js
    with pytest.raises(AttributeError, match="not stateful"):
        plain.layers[0].reset_states()
    with pytest.raises(AttributeError, match="not stateful"):
        L.Dense(units=1).reset_states()


class MinimalCell(L.Layer):
    """A user's cell as TF.js's docs write one: a state_size and call([x, h])."""
    state_size = 3

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1], 3))
        self.u = self.add_weight("u", (3, 3))
        self.built = True

    def call(self, inputs, training=False):
        x, h = inputs
        out = tn.tanh(tn.matmul(x, self.w.val) + tn.matmul(h, self.u.val))
        return [out, out]


def test_a_users_cell_runs_step_by_step_and_trains():
    layer = L.RNN(cell=MinimalCell(), return_sequences=True)
    x = f32(2, 4, 5)
    y = layer(tn.tensor(x)).numpy()
    assert [w.name for w in layer.weights] == [f"{layer.name}/w", f"{layer.name}/u"]
    w, u = layer.get_weights()
    h = np.zeros((2, 3), np.float32)
    for t in range(4):
        h = np.tanh(x[:, t] @ w + h @ u)
        np.testing.assert_allclose(y[:, t], h, atol=1e-5)
    model = tn.sequential(layers=[L.RNN(cell=MinimalCell(), input_shape=[4, 5]),
                                  L.Dense(units=1)])
    model.compile(optimizer="adam", loss="meanSquaredError")
    hist = model.fit(x, np.ones((2, 1), np.float32), epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
