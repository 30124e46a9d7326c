"""tn.basic_lstm_cell and tn.multi_rnn_cell (TF.js's BasicLSTMCell ops): values against a
float64 numpy reference written from the equations (gate order [i, j, f, o]), every
gradient against float64 central differences of that reference and torch's autograd,
a two-cell stack against the reference run cell by cell, and the argument errors."""
import numpy as np
import pytest

import treino as tn

rng = np.random.default_rng(3)


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def ref_cell(forget_bias, kernel, bias, data, c, h):
    """BasicLSTMCell in float64: [new_c, new_h]."""
    res = np.concatenate([data, h], 1) @ kernel + bias
    i, j, f, o = np.split(res, 4, axis=1)
    new_c = sig(i) * np.tanh(j) + c * sig(f + forget_bias)
    return new_c, np.tanh(new_c) * sig(o)


def inputs(batch=3, n_in=4, units=2):
    return [np.float32(rng.uniform(0.2, 1.5)),
            rng.uniform(-0.8, 0.8, (n_in + units, 4 * units)).astype(np.float32),
            rng.uniform(-0.5, 0.5, (4 * units,)).astype(np.float32),
            rng.standard_normal((batch, n_in)).astype(np.float32),
            rng.standard_normal((batch, units)).astype(np.float32),
            rng.standard_normal((batch, units)).astype(np.float32)]


def central_differences(fn, xs, eps=1e-6):
    """d sum(fn(xs)) / d xs[k] for every k, in float64."""
    xs = [np.asarray(x, np.float64) for x in xs]
    grads = []
    for k, x in enumerate(xs):
        g = np.zeros(np.shape(x))
        for idx in np.ndindex(np.shape(x)):
            vals = []
            for sign in (1, -1):
                moved = [np.array(v, copy=True) for v in xs]
                moved[k][idx] += sign * eps
                vals.append(fn(*moved))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(g)
    return grads


def test_values_match_the_float64_reference():
    xs = inputs(batch=5, n_in=3, units=4)
    new_c, new_h = tn.basic_lstm_cell(*[tn.tensor(x) for x in xs])
    want_c, want_h = ref_cell(*[np.asarray(x, np.float64) for x in xs])
    assert new_c.shape == (5, 4) and new_h.shape == (5, 4)
    assert new_c.dtype == "float32" and new_h.dtype == "float32"
    np.testing.assert_allclose(new_c.numpy(), want_c, rtol=0, atol=2e-6)
    np.testing.assert_allclose(new_h.numpy(), want_h, rtol=0, atol=2e-6)
    # A Python number for the forget bias, lists for the rest, the method-free call form.
    again = tn.basic_lstm_cell(float(xs[0]), xs[1].tolist(), xs[2], xs[3], xs[4], xs[5])
    np.testing.assert_array_equal(again[1].numpy(), new_h.numpy())


def test_gradients_match_finite_differences_and_torch():
    xs = inputs()
    weights = [rng.uniform(0.5, 1.5, (3, 2)), rng.uniform(0.5, 1.5, (3, 2))]

    def loss64(*args):
        c, h = ref_cell(*args)
        return (c * weights[0]).sum() + (h * weights[1]).sum()

    def loss(*ts):
        c, h = tn.basic_lstm_cell(*ts)
        return tn.sum(c * tn.tensor(weights[0].astype(np.float32))) + \
            tn.sum(h * tn.tensor(weights[1].astype(np.float32)))
    got = [g.numpy() for g in tn.grads(loss)([tn.tensor(x) for x in xs])]
    want = central_differences(loss64, xs)
    for k, (g, w) in enumerate(zip(got, want)):
        assert g.shape == np.shape(xs[k])
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5, err_msg=f"input {k}")
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(np.asarray(x, np.float64), requires_grad=True) for x in xs]
    res = torch.cat([ts[3], ts[5]], 1) @ ts[1] + ts[2]
    i, j, f, o = torch.chunk(res, 4, 1)
    c = torch.sigmoid(i) * torch.tanh(j) + ts[4] * torch.sigmoid(f + ts[0])
    h = torch.tanh(c) * torch.sigmoid(o)
    ((c * torch.tensor(weights[0])).sum() + (h * torch.tensor(weights[1])).sum()).backward()
    for k, (g, t) in enumerate(zip(got, ts)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=f"input {k}")


def test_multi_rnn_cell_stacks_cells():
    batch, n_in, u1, u2 = 2, 3, 4, 2
    fb = 1.0
    k1 = rng.uniform(-0.7, 0.7, (n_in + u1, 4 * u1)).astype(np.float32)
    b1 = rng.uniform(-0.3, 0.3, 4 * u1).astype(np.float32)
    k2 = rng.uniform(-0.7, 0.7, (u1 + u2, 4 * u2)).astype(np.float32)
    b2 = rng.uniform(-0.3, 0.3, 4 * u2).astype(np.float32)
    data = rng.standard_normal((batch, n_in)).astype(np.float32)
    cs = [rng.standard_normal((batch, u)).astype(np.float32) for u in (u1, u2)]
    hs = [rng.standard_normal((batch, u)).astype(np.float32) for u in (u1, u2)]
    cells = [lambda d, c, h: tn.basic_lstm_cell(fb, k1, b1, d, c, h),
             lambda d, c, h: tn.basic_lstm_cell(fb, k2, b2, d, c, h)]
    new_c, new_h = tn.multi_rnn_cell(cells, data, cs, hs)
    c1, h1 = ref_cell(fb, k1.astype(np.float64), b1, data.astype(np.float64), cs[0], hs[0])
    c2, h2 = ref_cell(fb, k2.astype(np.float64), b2, h1, cs[1], hs[1])
    assert len(new_c) == 2 and len(new_h) == 2
    for got, want in zip(new_c + new_h, [c1, c2, h1, h2]):
        np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=3e-6)

    # The gradient reaches the first cell's kernel through the second cell.
    k1t = tn.variable(k1)

    def loss():
        cells[0] = lambda d, c, h: tn.basic_lstm_cell(fb, k1t, b1, d, c, h)
        _, hs_new = tn.multi_rnn_cell(cells, data, cs, hs)
        return tn.sum(hs_new[1])
    g = tn.variable_grads(loss)["grads"]
    eps = 1e-6
    want = np.zeros(k1.shape)
    for idx in [(0, 0), (2, 5), (6, 15)]:
        vals = []
        for sign in (1, -1):
            k = k1.astype(np.float64)
            k[idx] += sign * eps
            _, h1e = ref_cell(fb, k, b1, data.astype(np.float64), cs[0], hs[0])
            vals.append(ref_cell(fb, k2.astype(np.float64), b2, h1e, cs[1], hs[1])[1].sum())
        want[idx] = (vals[0] - vals[1]) / (2 * eps)
        np.testing.assert_allclose(g[k1t.name].numpy()[idx], want[idx], rtol=1e-4, atol=1e-5)


def test_errors():
    fb, k, b, d, c, h = inputs(batch=3, n_in=4, units=2)
    with pytest.raises(ValueError, match=r"'lstm_kernel' must have shape \[6, 8\]"):
        tn.basic_lstm_cell(fb, k[:5], b, d, c, h)
    with pytest.raises(ValueError, match=r"'data' must have rank 2.*received shape \[4\]"):
        tn.basic_lstm_cell(fb, k, b, d[0], c, h)
    with pytest.raises(ValueError, match=r"'c' must have shape \[3, 2\]"):
        tn.basic_lstm_cell(fb, k, b, d, c[:2], h)
    with pytest.raises(ValueError, match=r"'data' must have shape \[3, 4\]"):
        tn.basic_lstm_cell(fb, k, b, d[:2], c, h)
    with pytest.raises(ValueError, match=r"'lstm_bias'.*must broadcast to \[3, 8\]"):
        tn.basic_lstm_cell(fb, k, b[:6], d, c, h)
    with pytest.raises(ValueError, match=r"'forget_bias'.*must broadcast to \[3, 2\]"):
        tn.basic_lstm_cell(np.ones(3), k, b, d, c, h)
    cell = lambda x, cc, hh: tn.basic_lstm_cell(fb, k, b, x, cc, hh)  # noqa: E731
    with pytest.raises(ValueError, match=r"'h' must be a list of 1 tensor\(s\).*received 2"):
        tn.multi_rnn_cell([cell], d, [c], [h, h])
    with pytest.raises(TypeError, match="'lstm_cells' must be a non-empty list of functions"):
        tn.multi_rnn_cell([], d, [], [])
    with pytest.raises(TypeError, match=r"lstm_cells\[0\] must return \[c, h\]"):
        tn.multi_rnn_cell([lambda x, cc, hh: x], d, [c], [h])
