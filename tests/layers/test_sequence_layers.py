"""Bidirectional, TimeDistributed, RepeatVector, Permute and Masking: values against the
layers they are made of (and numpy), gradients against torch where it has the pieces,
TF.js's weight names, shapes, masks and configs, and the addition-rnn / sentiment model
shapes training through fit."""
import numpy as np
import pytest

import treino as tn
from treino import layers as L

rng = np.random.default_rng(8)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def value_and_grads(fn, inputs):
    out = {}

    def f(*xs):
        y = fn(*xs)
        out["y"] = y
        ys = y if isinstance(y, list) else [y]
        loss = tn.sum(ys[0] * ys[0])
        for o in ys[1:]:
            loss = loss + tn.sum(o)
        return loss
    grads = tn.grads(f)([tn.tensor(x) for x in inputs])
    y = out["y"]
    return [t.numpy() for t in (y if isinstance(y, list) else [y])], [g.numpy() for g in grads]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_is_forward_and_reversed_backward(merge_mode, return_sequences):
    x = f32(3, 5, 4)
    bi = L.Bidirectional(L.LSTM(units=3, return_sequences=return_sequences),
                         merge_mode=merge_mode)
    bi(tn.tensor(x))
    fwd = L.LSTM(units=3, return_sequences=return_sequences)
    bwd = L.LSTM(units=3, return_sequences=return_sequences, go_backwards=True)
    fwd(tn.tensor(x))
    bwd(tn.tensor(x))
    weights = bi.get_weights()
    fwd.set_weights(weights[:3])
    bwd.set_weights(weights[3:])

    def manual(t):
        y, y_rev = fwd(t), bwd(t)
        if return_sequences:
            y_rev = tn.gather(y_rev, tn.tensor(np.arange(4, -1, -1, dtype=np.int32)), 1)
        if merge_mode == "concat":
            return tn.concat([y, y_rev], -1)
        if merge_mode == "sum":
            return y + y_rev
        if merge_mode == "mul":
            return y * y_rev
        if merge_mode == "ave":
            return (y + y_rev) * 0.5
        return [y, y_rev]
    got = value_and_grads(bi, [x])
    want = value_and_grads(manual, [x])
    for a, b in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert [tuple(s) for s in (bi.compute_output_shape((None, 5, 4)) if merge_mode is None
                               else [bi.compute_output_shape((None, 5, 4))])] == \
        [(None,) + o.shape[1:] for o in got[0]]


def test_bidirectional_names_states_masks_and_config():
    lstm = L.LSTM(units=2, return_state=True, return_sequences=True)
    bi = L.Bidirectional(lstm)
    outs = bi(tn.tensor(f32(2, 3, 4)))
    assert [tuple(o.shape) for o in outs] == [(2, 3, 4)] + [(2, 2)] * 4
    assert [w.name for w in bi.weights] == [
        f"{bi.name}/{d}_{lstm.name}/{n}" for d in ("forward", "backward")
        for n in ("kernel", "recurrent_kernel", "bias")]
    config = bi.get_config()
    assert config["layer"]["config"]["name"] == lstm.name and config["merge_mode"] == "concat"
    again = L.Bidirectional.from_config(config)
    assert again.get_config() == config
    # The mask passes both directions (and on, with return_sequences).
    emb_layer = L.Embedding(input_dim=10, output_dim=3, mask_zero=True)
    bi_gru = L.Bidirectional(L.GRU(units=2, return_sequences=True))
    last = L.LSTM(units=2)

    def model_for(length):  # the same layers (weights) on another sequence length
        ids = tn.input(shape=[length])
        return tn.model(inputs=ids, outputs=last.apply(bi_gru.apply(emb_layer.apply(ids))))
    padded = model_for(6).predict(np.array([[0, 0, 3, 4, 5, 6]], np.float32)).numpy()
    alone = model_for(4).predict(np.array([[3, 4, 5, 6]], np.float32)).numpy()
    np.testing.assert_allclose(padded, alone, atol=1e-6)
    # Initial states: the forward layer's, then the backward layer's.
    bi2 = L.Bidirectional(L.GRU(units=2))
    h = [tn.tensor(f32(2, 2)), tn.tensor(f32(2, 2))]
    with_states = bi2(tn.tensor(f32(2, 3, 4)), initial_state=h)
    assert with_states.shape == (2, 4)
    with pytest.raises(ValueError, match="even number"):
        bi2(tn.tensor(f32(2, 3, 4)), initial_state=h[:1])


def test_time_distributed_dense_is_dense_on_every_step():
    td = L.TimeDistributed(L.Dense(units=3, activation="tanh"))
    x = f32(4, 6, 5)
    y = td(tn.tensor(x)).numpy()
    k, b = td.get_weights()
    np.testing.assert_allclose(y, np.tanh(x @ k + b), rtol=1e-5, atol=1e-6)
    assert [w.name for w in td.weights] == [f"{td.name}/kernel", f"{td.name}/bias"]
    assert td.compute_output_shape((None, 6, 5)) == (None, 6, 3)
    _, grads = value_and_grads(td, [x])
    z = np.tanh(x @ k + b)
    np.testing.assert_allclose(grads[0], (2 * z * (1 - z * z)) @ k.T, rtol=1e-4, atol=1e-5)
    assert L.TimeDistributed.from_config(td.get_config()).get_config() == td.get_config()
    with pytest.raises(ValueError, match="rank >= 3"):
        L.TimeDistributed(L.Dense(units=2))(tn.tensor(f32(2, 3)))


def test_repeat_vector_and_permute():
    x = f32(2, 3)
    y, g = value_and_grads(L.RepeatVector(n=4), [x])
    np.testing.assert_array_equal(y[0], np.repeat(x[:, None], 4, 1))
    np.testing.assert_allclose(g[0], 2 * 4 * x, rtol=1e-6)
    z = f32(2, 3, 4, 5)
    p = L.Permute(dims=[3, 1, 2])
    np.testing.assert_array_equal(p(tn.tensor(z)).numpy(), z.transpose(0, 3, 1, 2))
    assert p.compute_output_shape((None, 3, 4, 5)) == (None, 5, 3, 4)
    with pytest.raises(ValueError, match="ndim=2"):
        L.RepeatVector(n=2)(tn.tensor(z))
    with pytest.raises(ValueError, match="permute 3 axes"):
        p(tn.tensor(x))


def test_masking_zeroes_and_masks_steps():
    x = f32(2, 4, 3)
    x[0, 1] = 0.0
    x[1, 3] = 0.0
    m = L.Masking()
    y = m(tn.tensor(x)).numpy()
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(m.compute_mask(tn.tensor(x)).numpy(),
                                  [[True, False, True, True], [True, True, True, False]])
    x2 = x.copy()
    x2[0, 2] = [-1, -1, -1]
    y2 = L.Masking(mask_value=-1)(tn.tensor(x2)).numpy()
    np.testing.assert_array_equal(y2[0, 2], 0)
    # An LSTM after masking skips the masked steps: the same as the sequence without them.
    inp = tn.input(shape=[4, 3])
    lstm = L.LSTM(units=2)
    model = tn.model(inputs=inp, outputs=lstm.apply(L.Masking().apply(inp)))
    got = model.predict(x).numpy()
    np.testing.assert_allclose(got[0], lstm(tn.tensor(x[:1, [0, 2, 3]])).numpy()[0], atol=1e-6)
    np.testing.assert_allclose(got[1], lstm(tn.tensor(x[1:, :3])).numpy()[0], atol=1e-6)


def test_addition_rnn_model_trains():
    """tfjs-examples addition-rnn's shape: LSTM encoder, RepeatVector, LSTM decoder with
    return_sequences, TimeDistributed dense softmax."""
    tn.set_seed(1)
    model = tn.sequential(layers=[
        L.LSTM(units=16, input_shape=[5, 12]), L.RepeatVector(n=3),
        L.LSTM(units=16, return_sequences=True),
        L.TimeDistributed(L.Dense(units=12, activation="softmax"))])
    model.compile(optimizer="adam", loss="categoricalCrossentropy", metrics=["accuracy"])
    x = np.eye(12, dtype=np.float32)[rng.integers(0, 12, (64, 5))]
    y = x[:, :3]  # echo the first three symbols
    hist = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
