"""Batch normalization's training kernels (batchnorm_forward / batchnorm_backward) against
float64 numpy, their argument checks, and their independence from ISA and thread count."""
import itertools

import numpy as np
import pytest

import treino as tn
from treino import _kernels as K

SIZES = [1, 2, 3, 7, 32, 33, 100]
EPS, DECAY = 1e-3, 0.1


def _data(M, C, seed):
    rng = np.random.default_rng(seed)
    # A mean far from 0 and a scale per column: the variance must come from deviations.
    x = (rng.standard_normal((M, C)) * rng.uniform(0.5, 3, C) + rng.uniform(-5, 5, C))
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    mm, mv = f(C), np.abs(f(C)) + 0.5
    return x.astype(np.float32), f(C) + 1, f(C), mm, mv, f(M, C)


def _reference(x, gamma, beta, mm, mv, dy):
    """float64: y, new_mean, new_var, mean, inv_std, dx, dgamma, dbeta."""
    x64, M = x.astype(np.float64), x.shape[0]
    g = 1.0 if gamma is None else gamma.astype(np.float64)
    b = 0.0 if beta is None else beta.astype(np.float64)
    mean, var = x64.mean(0), x64.var(0)
    inv = 1 / np.sqrt(var + EPS)
    xhat = (x64 - mean) * inv
    dbeta = dy.sum(0, dtype=np.float64)
    dgamma = (dy * xhat).sum(0)
    dx = inv * g * (dy - dbeta / M - xhat * dgamma / M)
    return (xhat * g + b, mm - (mm - mean) * DECAY, mv - (mv - var) * DECAY, mean, inv,
            dx, dgamma, dbeta)


def _close(got, want, scale, what):
    # float32 storage of float64-accumulated sums: errors of a few ulp of the terms'
    # scale; 1e-5 of it separates that from any wrong index or formula.
    assert got.dtype == np.float32 and got.shape == np.shape(want), what
    err = np.max(np.abs(got - want), initial=0)
    assert err <= 1e-5 * scale + 1e-7, f"{what}: max abs error {err}, scale {scale}"


@pytest.mark.parametrize("affine", [True, False])
def test_forward_and_backward_match_float64(isa, affine):
    for M, C in itertools.product(SIZES, SIZES):
        x, gamma, beta, mm, mv, dy = _data(M, C, seed=M * 1000 + C)
        if not affine:
            gamma = beta = None
        want = _reference(x, gamma, beta, mm, mv, dy)
        got = K.batchnorm_forward(x, gamma, beta, mm, mv, EPS, DECAY)
        tag = f"M={M} C={C} affine={affine}"
        g = np.ones(C) if gamma is None else np.abs(gamma).astype(np.float64)
        y_scale = np.max(np.abs(want[0])) + 1
        for name, a, w, s in zip(["y", "new_mean", "new_var", "mean", "inv_std"], got, want,
                                 [y_scale, 10, 10, 10, np.max(want[4])]):
            _close(a, w, s, f"{name} {tag}")
        dx, dgamma, dbeta = K.batchnorm_backward(dy, x, got[3], got[4], gamma)
        terms = np.abs(dy) * (1 + np.abs((x - want[3]) * want[4]))
        _close(dbeta, want[7], np.abs(dy).sum(0).max(), f"dbeta {tag}")
        _close(dgamma, want[6], terms.sum(0).max(), f"dgamma {tag}")
        _close(dx, want[5], np.max(want[4] * g) * (terms.max() + terms.sum(0).max() / M),
               f"dx {tag}")


def test_single_row_has_zero_variance(isa):
    x, gamma, beta, mm, mv, dy = _data(1, 5, seed=1)
    y, new_mean, new_var, mean, inv = K.batchnorm_forward(x, gamma, beta, mm, mv, EPS, DECAY)
    np.testing.assert_array_equal(y[0], beta)  # x - mean is exactly 0
    np.testing.assert_array_equal(mean, x[0])
    np.testing.assert_allclose(inv, 1 / np.sqrt(EPS), rtol=1e-7)
    np.testing.assert_allclose(new_var, mv * (1 - DECAY), rtol=1e-6)
    np.testing.assert_allclose(new_mean, mm - (mm - x[0].astype(np.float64)) * DECAY,
                               rtol=1e-6, atol=1e-7)
    dx, dgamma, dbeta = K.batchnorm_backward(dy, x, mean, inv, gamma)
    np.testing.assert_array_equal(dx, 0)  # one row: the output does not depend on x
    np.testing.assert_array_equal(dgamma, 0)
    np.testing.assert_array_equal(dbeta, dy[0])


def test_empty_batch_and_no_columns(isa):
    _, gamma, beta, mm, mv, _ = _data(1, 4, seed=2)
    x = np.zeros((0, 4), np.float32)
    y, new_mean, new_var, mean, inv = K.batchnorm_forward(x, gamma, beta, mm, mv, EPS, DECAY)
    assert y.shape == (0, 4)
    np.testing.assert_array_equal(mean, 0)  # sums over no rows, divided by max(M, 1)
    np.testing.assert_allclose(new_mean, mm * (1 - DECAY), rtol=1e-6)
    dx, dgamma, dbeta = K.batchnorm_backward(x, x, mean, inv, gamma)
    assert dx.shape == (0, 4)
    np.testing.assert_array_equal(dgamma, 0)
    np.testing.assert_array_equal(dbeta, 0)
    e = np.zeros(0, np.float32)
    out = K.batchnorm_forward(np.zeros((3, 0), np.float32), None, None, e, e, EPS, DECAY)
    assert [a.shape for a in out] == [(3, 0), (0,), (0,), (0,), (0,)]


def test_need_flags_and_out_buffers(isa):
    x, gamma, beta, mm, mv, dy = _data(32, 33, seed=3)
    y0, _, _, mean, inv = K.batchnorm_forward(x, gamma, beta, mm, mv, EPS, DECAY)
    y = np.full((32, 33), np.nan, np.float32)  # overwritten: old contents ignored
    assert K.batchnorm_forward(x, gamma, beta, mm, mv, EPS, DECAY, out=y)[0] is y
    np.testing.assert_array_equal(y, y0)
    full = K.batchnorm_backward(dy, x, mean, inv, gamma)
    for flags in itertools.product([False, True], repeat=3):
        got = K.batchnorm_backward(dy, x, mean, inv, gamma, *flags)
        for flag, g, f in zip(flags, got, full):
            assert (g is None) != flag
            if flag:
                np.testing.assert_array_equal(g, f)
    bufs = [np.full(s, np.nan, np.float32) for s in ((32, 33), (33,), (33,))]
    got = K.batchnorm_backward(dy, x, mean, inv, gamma, dx=bufs[0], dgamma=bufs[1],
                               dbeta=bufs[2])
    assert all(g is b for g, b in zip(got, bufs))
    for b, f in zip(bufs, full):
        np.testing.assert_array_equal(b, f)
    # Without gamma the scale is 1 (dgamma still is the sum of dy * xhat).
    no_g = K.batchnorm_backward(dy, x, mean, inv, None)
    np.testing.assert_allclose(no_g[0] * gamma, full[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(no_g[1], full[1])


def test_isa_paths_and_thread_counts_agree_bit_for_bit():
    x, gamma, beta, mm, mv, dy = _data(1000, 100, seed=4)
    isa0, n0 = K.cpu_info()["isa"], K.get_num_threads()
    results = []
    try:
        for isa in K.cpu_info()["supported_isas"]:
            K.set_isa(isa)
            for n in (1, 2):
                K.set_num_threads(n)
                fwd = K.batchnorm_forward(x, gamma, beta, mm, mv, EPS, DECAY)
                results.append(fwd + K.batchnorm_backward(dy, x, fwd[3], fwd[4], gamma))
    finally:
        K.set_isa(isa0)
        K.set_num_threads(n0)
    for r in results[1:]:
        for a, b in zip(r, results[0]):
            np.testing.assert_array_equal(a, b)


def test_layer_with_a_channels_first_axis_moves_it_last_and_back():
    """BatchNormalization(axis=1) on (N, C, H, W) runs the kernels on the input with C
    moved last; y and every gradient come back in the input's layout."""
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((4, 3, 2, 5)) * 2 + 1).astype(np.float32)
    cot = rng.standard_normal(x.shape).astype(np.float32)
    bn = tn.layers.batch_normalization(axis=1)
    bn.build_for((None, 3, 2, 5))
    gamma, beta = (rng.standard_normal(3) + 1).astype(np.float32), rng.standard_normal(3)
    bn.set_weights([gamma, beta.astype(np.float32)] + bn.get_weights()[2:])
    xt = tn.tensor(x)
    out = tn.variable_grads(lambda: tn.sum(bn(xt, training=True) * tn.tensor(cot)))
    gx = tn.grad(lambda t: tn.sum(bn(t, training=True) * tn.tensor(cot)))(xt).numpy()
    rows = lambda a: np.moveaxis(a, 1, -1).reshape(-1, 3)  # noqa: E731
    mm = np.zeros(3, np.float32)
    want = _reference(rows(x), gamma, beta.astype(np.float32), mm, mm + 1, rows(cot))
    y = bn(xt, training=True).numpy()
    np.testing.assert_allclose(rows(y), want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rows(gx), want[5], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out["grads"][bn.gamma.val.name].numpy(), want[6], rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(out["grads"][bn.beta.val.name].numpy(), want[7], rtol=1e-5,
                               atol=1e-5)


# --- argument checks: a clear TypeError / ValueError naming the argument, nothing written -
def _fwd_args(M=4, C=3):
    x, gamma, beta, mm, mv, _ = _data(M, C, seed=5)
    return dict(x=x, gamma=gamma, beta=beta, moving_mean=mm, moving_var=mv, epsilon=EPS,
                decay=DECAY)


def _bwd_args(M=4, C=3):
    x, gamma, beta, mm, mv, dy = _data(M, C, seed=6)
    _, _, _, mean, inv = K.batchnorm_forward(x, gamma, beta, mm, mv, EPS, DECAY)
    return dict(dy=dy, x=x, mean=mean, inv_std=inv, gamma=gamma)


def _misaligned(shape):
    n = int(np.prod(shape))
    a = np.frombuffer(bytearray(4 * n + 1), np.float32, n, offset=1).reshape(shape)
    assert not a.flags.aligned
    return a


BAD_FORWARD = [
    ("x", np.zeros((4, 3)), TypeError, "'x' must have dtype float32"),
    ("x", [[1.0, 2.0, 3.0]], TypeError, "'x' must be a numpy float32 array"),
    ("x", np.zeros(12, np.float32), ValueError, "'x' must have rank 2"),
    ("x", np.zeros((4, 6), np.float32)[:, ::2], ValueError, "'x' must be C-contiguous"),
    ("x", _misaligned((4, 3)), ValueError, "'x' must be aligned"),
    ("gamma", np.ones(4, np.float32), ValueError, r"'gamma' must have shape \(3,\)"),
    ("beta", np.ones((1, 3), np.float32), ValueError, "'beta' must have rank 1"),
    ("moving_mean", None, TypeError, "'moving_mean' must be a numpy float32 array"),
    ("moving_var", np.ones(3, np.int32), TypeError, "'moving_var' must have dtype float32"),
    ("epsilon", 0.0, ValueError, "'epsilon' must be > 0"),
    ("epsilon", float("nan"), ValueError, "'epsilon' must be finite"),
    ("epsilon", "1e-3", TypeError, "'epsilon' must be a real number"),
    ("decay", 1.5, ValueError, r"'decay' must be in \[0, 1\]"),
    ("decay", -0.1, ValueError, r"'decay' must be in \[0, 1\]"),
    ("out", np.zeros((3, 4), np.float32), ValueError, r"'out' must have shape \(4, 3\)"),
    ("out", np.zeros((4, 3), np.float64), TypeError, "'out' must have dtype float32"),
]


@pytest.mark.parametrize("arg,value,exc,msg", BAD_FORWARD, ids=lambda v: None)
def test_forward_refuses_bad_arguments(arg, value, exc, msg):
    kw = _fwd_args()
    before = {k: v.copy() for k, v in kw.items() if isinstance(v, np.ndarray)}
    out = np.full((4, 3), 7, np.float32)
    kw["out"] = out
    kw[arg] = value
    with pytest.raises(exc, match=msg):
        K.batchnorm_forward(**kw)
    np.testing.assert_array_equal(out, 7)  # checked before anything is written
    for k, v in before.items():
        if kw[k] is not value:
            np.testing.assert_array_equal(kw[k], v)


def test_forward_refuses_read_only_and_overlapping_out():
    kw = _fwd_args()
    ro = np.zeros((4, 3), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="'out' is written in place and must be writeable"):
        K.batchnorm_forward(**kw, out=ro)
    x = kw["x"].copy()
    with pytest.raises(ValueError, match="'x' and 'out' must not share memory"):
        K.batchnorm_forward(**kw | {"x": x}, out=x)
    np.testing.assert_array_equal(x, kw["x"])
    # A (C,) parameter inside the output's memory.
    buf = np.zeros(15, np.float32)
    with pytest.raises(ValueError, match="'gamma' and 'out' must not share memory"):
        K.batchnorm_forward(**kw | {"gamma": buf[3:6]}, out=buf[3:].reshape(4, 3))


BAD_BACKWARD = [
    ("dy", np.zeros((4, 3)), TypeError, "'dy' must have dtype float32"),
    ("dy", np.zeros((3, 4), np.float32), ValueError, r"'dy' must have shape \(4, 3\)"),
    ("x", np.zeros((4, 3, 1), np.float32), ValueError, "'x' must have rank 2"),
    ("x", np.zeros((4, 6), np.float32)[:, 1::2], ValueError, "'x' must be C-contiguous"),
    ("mean", np.zeros(4, np.float32), ValueError, r"'mean' must have shape \(3,\)"),
    ("inv_std", None, TypeError, "'inv_std' must be a numpy float32 array"),
    ("inv_std", _misaligned((3,)), ValueError, "'inv_std' must be aligned"),
    ("gamma", np.ones(3, np.float16), TypeError, "'gamma' must have dtype float32"),
    ("dx", np.zeros((4, 4), np.float32), ValueError, r"'dx' must have shape \(4, 3\)"),
    ("dgamma", np.zeros((3, 1), np.float32), ValueError, "'dgamma' must have rank 1"),
    ("dbeta", np.zeros(6, np.float32)[::2], ValueError, "'dbeta' must be C-contiguous"),
    ("need_dx", "yes", TypeError, "incompatible function arguments"),
]


@pytest.mark.parametrize("arg,value,exc,msg", BAD_BACKWARD, ids=lambda v: None)
def test_backward_refuses_bad_arguments(arg, value, exc, msg):
    kw = _bwd_args()
    kw[arg] = value
    with pytest.raises(exc, match=msg):
        K.batchnorm_backward(**kw)


def test_backward_refuses_overlaps_and_unwanted_buffers():
    kw = _bwd_args()
    dy = kw["dy"].copy()
    with pytest.raises(ValueError, match="'dy' and 'dx' must not share memory"):
        K.batchnorm_backward(**kw | {"dy": dy}, dx=dy)
    np.testing.assert_array_equal(dy, kw["dy"])
    with pytest.raises(ValueError, match="'mean' and 'dgamma' must not share memory"):
        K.batchnorm_backward(**kw, dgamma=kw["mean"])
    buf = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="'dgamma' and 'dbeta' must not share memory"):
        K.batchnorm_backward(**kw, dgamma=buf[:3], dbeta=buf[1:])
    np.testing.assert_array_equal(buf, 0)
    for name, shape in (("dx", (4, 3)), ("dgamma", (3,)), ("dbeta", (3,))):
        with pytest.raises(ValueError, match=f"'{name}' was given but need_{name}=False"):
            K.batchnorm_backward(**kw, **{"need_" + name: False, name: np.zeros(shape, np.float32)})
