"""Fused dense layer: y = act(x @ w + b) and its backward, against numpy float64 and torch."""
import numpy as np
import pytest

from treino import _kernels as K

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# TF.js id: (forward, derivative as a function of the pre-activation z), float64.
ACTS = {
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
    "relu6": (lambda z: np.clip(z, 0, 6), lambda z: ((z > 0) & (z < 6)) * 1.0),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(z)), lambda z: np.where(z >= 0, 1, np.exp(z))),
    "selu": (lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(z)),
             lambda z: np.where(z > 0, SELU_SCALE, SELU_SCALE * SELU_ALPHA * np.exp(z))),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "softplus": (lambda z: np.logaddexp(0, z), _sigmoid),
    "softsign": (lambda z: z / (1 + np.abs(z)), lambda z: 1 / (1 + np.abs(z)) ** 2),
    "leakyRelu": (lambda z: np.where(z > 0, z, 0.2 * z), lambda z: np.where(z > 0, 1, 0.2)),
}
SHAPES = [(1, 1, 1), (7, 13, 5), (32, 784, 32), (3, 17, 65)]


def _data(n, k, u, seed):
    rng = np.random.default_rng(seed)
    # Scale so z = x @ w stays O(1) and exercises both sides of every kink.
    x = rng.standard_normal((n, k)).astype(np.float32)
    w = (rng.standard_normal((k, u)) * 2 / np.sqrt(k)).astype(np.float32)
    b = rng.standard_normal(u).astype(np.float32)
    dy = rng.standard_normal((n, u)).astype(np.float32)
    return x, w, b, dy


def _reference(x, w, b, dy, act):
    f, df = ACTS[act]
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    z = x64 @ w64 + (0 if b is None else b)
    dz = dy * df(z)
    return f(z), x64.T @ dz, dz.sum(0), dz @ w64.T


def _close(got, want, scale, what):
    # float32 accumulation over K terms: error ~ sqrt(K) eps |terms|; 1e-5 of the scale of
    # the terms separates that from any wrong index or formula.
    err = np.max(np.abs(got - want), initial=0)
    assert err <= 1e-5 * max(scale, 1e-30) + 1e-6, f"{what}: max abs error {err}, scale {scale}"


@pytest.mark.parametrize("act", sorted(ACTS))
@pytest.mark.parametrize("bias", [True, False])
def test_dense_matches_float64(isa, act, bias):
    for n, k, u in SHAPES:
        x, w, b, dy = _data(n, k, u, seed=n * 1000 + k + u)
        bb = b if bias else None
        y = K.dense_forward(x, w, bb, act)
        yr, dwr, dbr, dxr = _reference(x, w, bb, dy, act)
        assert y.shape == (n, u) and y.dtype == np.float32
        terms = np.abs(x).astype(np.float64) @ np.abs(w) + (0 if bb is None else np.abs(bb))
        _close(y, yr, terms.max(), f"{act} y {n}x{k}x{u}")
        dx, dw, db = K.dense_backward(dy, x, w, y, act)
        dz_scale = np.abs(dy).max() * max(1.0, SELU_SCALE * SELU_ALPHA)
        _close(dw, dwr, np.abs(x).sum(0).max() * dz_scale, f"{act} dw")
        _close(db, dbr, n * dz_scale, f"{act} db")
        _close(dx, dxr, np.abs(w).sum(1).max() * dz_scale, f"{act} dx")
        assert dx.shape == (n, k) and dw.shape == (k, u) and db.shape == (u,)


def test_dense_need_dx_db_false_and_out_buffers(isa):
    x, w, b, dy = _data(32, 784, 32, seed=1)
    y = np.full((32, 32), np.nan, np.float32)  # beta = 0 semantics: old contents ignored
    assert K.dense_forward(x, w, b, "relu", out=y) is y
    dx0, dw0, db0 = K.dense_backward(dy, x, w, y, "relu")
    dx, dw, db = K.dense_backward(dy, x, w, y, "relu", need_dx=False)
    assert dx is None
    np.testing.assert_array_equal(dw, dw0)
    np.testing.assert_array_equal(db, db0)
    bufs = [np.full(s, np.nan, np.float32) for s in ((32, 784), (784, 32), (32,))]
    out = K.dense_backward(dy, x, w, y, "relu", dx=bufs[0], dw=bufs[1], db=bufs[2])
    assert all(o is bb for o, bb in zip(out, bufs))
    np.testing.assert_array_equal(bufs[0], dx0)
    _, dw2, db2 = K.dense_backward(dy, x, w, y, "relu", need_db=False)
    assert db2 is None
    np.testing.assert_array_equal(dw2, dw0)


def test_dense_alpha_and_spellings(isa):
    x, w, b, dy = _data(7, 13, 5, seed=2)
    z = x.astype(np.float64) @ w + b
    for name in ("leakyRelu", "leaky_relu"):
        y = K.dense_forward(x, w, b, name, alpha=0.1)
        _close(y, np.where(z > 0, z, 0.1 * z), np.abs(z).max() + 10, name)
        _, _, db = K.dense_backward(dy, x, w, y, name, alpha=0.1)
        _close(db, (dy * np.where(z > 0, 1, 0.1)).sum(0), 10, name + " db")
    y = K.dense_forward(x, w, b, "elu", alpha=0.5)
    _close(y, np.where(z > 0, z, 0.5 * np.expm1(z)), np.abs(z).max() + 10, "elu 0.5")
    _, _, db = K.dense_backward(dy, x, w, y, "elu", alpha=0.5)
    _close(db, (dy * np.where(z >= 0, 1, 0.5 * np.exp(z))).sum(0), 10, "elu 0.5 db")
    np.testing.assert_array_equal(K.dense_forward(x, w, b, None), K.dense_forward(x, w, b, "linear"))


def test_dense_zero_sizes(isa):
    for n, k, u in [(0, 3, 4), (3, 0, 4), (3, 4, 0)]:
        x, w, b, dy = _data(n, k, u, seed=3)
        y = K.dense_forward(x, w, b, "tanh")
        np.testing.assert_allclose(y, np.tanh(x.astype(np.float64) @ w + b), rtol=1e-6, atol=1e-7)
        dx, dw, db = K.dense_backward(dy, x, w, y, "tanh")
        dz = dy * (1 - y.astype(np.float64) ** 2)
        np.testing.assert_allclose(dw, x.T.astype(np.float64) @ dz, atol=1e-6)
        np.testing.assert_allclose(db, dz.sum(0), atol=1e-6)
        np.testing.assert_allclose(dx, dz @ w.T, atol=1e-6)


def test_dense_vs_torch(isa):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    tacts = {"linear": lambda t: t, "relu": F.relu, "relu6": F.relu6, "elu": F.elu,
             "selu": F.selu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
             "softplus": F.softplus, "softsign": F.softsign,
             "leakyRelu": lambda t: F.leaky_relu(t, 0.2)}
    x, w, b, dy = _data(32, 784, 32, seed=4)
    for act, tf in tacts.items():
        xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
        yt = tf(xt @ wt + bt)
        yt.backward(torch.tensor(dy, dtype=torch.float64))
        y = K.dense_forward(x, w, b, act)
        dx, dw, db = K.dense_backward(dy, x, w, y, act)
        np.testing.assert_allclose(y, yt.detach().numpy(), atol=2e-5, err_msg=act)
        np.testing.assert_allclose(dw, wt.grad.numpy(), atol=2e-4, err_msg=act)
        np.testing.assert_allclose(db, bt.grad.numpy(), atol=2e-5, err_msg=act)
        np.testing.assert_allclose(dx, xt.grad.numpy(), atol=2e-5, err_msg=act)


@pytest.mark.parametrize("n,k,u,act", [(128, 784, 512, "relu"), (128, 512, 512, "relu"),
                                       (128, 512, 10, "linear"), (100, 300, 200, "relu")])
def test_dense_training_shapes(isa, n, k, u, act):
    # The layers of a 784-512-512-10 MLP at batch 128 (and an off-tile size), whose
    # products take the packed, threaded and (avx512) direct-B paths of sgemm.
    x, w, b, dy = _data(n, k, u, seed=n + k + u)
    y = K.dense_forward(x, w, b, act)
    yr, dwr, dbr, dxr = _reference(x, w, b, dy, act)
    terms = np.abs(x).astype(np.float64) @ np.abs(w) + np.abs(b)
    _close(y, yr, terms.max(), f"{act} y {n}x{k}x{u}")
    dx, dw, db = K.dense_backward(dy, x, w, y, act)
    dz_scale = np.abs(dy).max()
    _close(dw, dwr, np.abs(x).sum(0).max() * dz_scale, f"{act} dw")
    _close(db, dbr, n * dz_scale, f"{act} db")
    _close(dx, dxr, np.abs(w).sum(1).max() * dz_scale, f"{act} dx")


def test_dense_threads_bit_identical(threads):
    x, w, b, dy = _data(128, 784, 512, seed=5)
    y = K.dense_forward(x, w, b, "sigmoid")
    got = K.dense_backward(dy, x, w, y, "sigmoid")
    K.set_num_threads(1)
    np.testing.assert_array_equal(K.dense_forward(x, w, b, "sigmoid"), y)
    for g, r in zip(got, K.dense_backward(dy, x, w, y, "sigmoid")):
        np.testing.assert_array_equal(g, r)


def test_dense_bad_inputs():
    x, w, b, dy = _data(4, 3, 2, seed=6)
    y = K.dense_forward(x, w, b, "relu")
    with pytest.raises(ValueError, match=r"dense_forward: argument 'w' must have shape \(3, units\)"):
        K.dense_forward(x, np.ones((4, 2), np.float32))
    with pytest.raises(ValueError, match=r"dense_forward: argument 'b' must have shape \(2,\)"):
        K.dense_forward(x, w, np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"'x' must have rank 2"):
        K.dense_forward(np.ones(3, np.float32), w)
    with pytest.raises(TypeError, match=r"'w' must have dtype float32"):
        K.dense_forward(x, w.astype(np.float64))
    with pytest.raises(ValueError, match=r"unknown activation 'gelu'.*'linear', 'relu', .*'leakyRelu'"):
        K.dense_forward(x, w, b, "gelu")
    with pytest.raises(TypeError, match="'activation' must be a str"):
        K.dense_forward(x, w, b, 3)
    with pytest.raises(ValueError, match="elu needs alpha > 0"):
        K.dense_forward(x, w, b, "elu", alpha=0.0)
    with pytest.raises(ValueError, match="leakyRelu needs alpha >= 0"):
        K.dense_backward(dy, x, w, y, "leakyRelu", alpha=-0.1)
    with pytest.raises(ValueError, match=r"'out' must have shape \(4, 2\)"):
        K.dense_forward(x, w, b, out=np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"dense_backward: argument 'dy' must have shape \(4, 2\)"):
        K.dense_backward(dy.T.copy(), x, w, y)
    with pytest.raises(ValueError, match=r"dense_backward: argument 'y' must have shape \(4, 2\)"):
        K.dense_backward(dy, x, w, y[:3])
    with pytest.raises(ValueError, match=r"argument 'dw' must have shape \(3, 2\)"):
        K.dense_backward(dy, x, w, y, dw=np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="'dx' was given but need_dx=False"):
        K.dense_backward(dy, x, w, y, need_dx=False, dx=np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match="'dy' and 'dx' must not share memory|'x' and 'dx' must not share memory"):
        K.dense_backward(dy, x, w, y, dx=x)
    buf = np.zeros(16, np.float32)
    buf[:6] = w.reshape(-1)
    with pytest.raises(ValueError, match="'w' and 'out' must not share memory"):
        K.dense_forward(x, buf[:6].reshape(3, 2), b, out=buf[4:12].reshape(4, 2))
