"""l1l2_penalty / l1l2_penalty_backward (csrc/optim/penalty.cpp): the L1L2 regularizer's
value against a float64 numpy sum, and its gradient bit for bit against the float32
numpy formula (written in place or added into a buffer), for any thread count."""
import numpy as np
import pytest

from treino import _kernels as K

RATES = [(0.01, 0.0), (0.0, 0.3), (0.01, 0.02), (2.5, 1e-4)]


def _x(n, seed=0):
    x = np.random.default_rng(seed).normal(size=n).astype(np.float32)
    if n > 3:
        x[[0, n // 2]] = 0.0  # sign(0) = 0
        x[1] = -0.0
    return x


@pytest.mark.parametrize("l1, l2", RATES)
@pytest.mark.parametrize("n", [1, 15, 16, 17, 25088, 16384 * 9 + 5])
def test_value_matches_float64(l1, l2, n, threads):
    x = _x(n)
    x64 = x.astype(np.float64)
    want = l1 * np.abs(x64).sum() + l2 * (x64 * x64).sum()
    got = K.l1l2_penalty(x, l1, l2)
    assert got == pytest.approx(want, rel=2e-6)
    assert K.l1l2_penalty(x.reshape(-1, 1), l1, l2) == got  # any shape: the same sum


def test_value_does_not_depend_on_the_thread_count():
    x = _x(16384 * 20 + 7, seed=1)  # above the parallel threshold
    previous = K.get_num_threads()
    try:
        values = []
        for t in (1, 2):
            K.set_num_threads(t)
            values.append(K.l1l2_penalty(x, 0.01, 0.02))
    finally:
        K.set_num_threads(previous)
    assert values[0] == values[1]


def _numpy_grad(x, l1, l2, dy):
    l1, l2, dy = np.float32(l1), np.float32(l2), np.float32(dy)
    g = x * (np.float32(2) * l2 * dy) if l2 else None
    if l1:
        s = np.sign(x) * (l1 * dy)
        g = s if g is None else g + s
    return g


@pytest.mark.parametrize("l1, l2", RATES)
@pytest.mark.parametrize("n", [7, 25088, 300_001])
@pytest.mark.parametrize("dy", [1.0, -0.37])
def test_gradient_is_the_numpy_formula_bit_for_bit(l1, l2, n, dy, threads):
    x = _x(n).reshape(-1, 1) if n % 2 else _x(n)
    want = _numpy_grad(x, l1, l2, dy)
    bits = lambda a: a.view(np.uint32)  # noqa: E731 (tells -0.0 from +0.0)
    got = K.l1l2_penalty_backward(x, l1, l2, dy)
    assert got.shape == x.shape and got.dtype == np.float32
    np.testing.assert_array_equal(bits(got), bits(want))
    out = np.full_like(x, 5.0)
    assert K.l1l2_penalty_backward(x, l1, l2, dy, out) is out
    np.testing.assert_array_equal(bits(out), bits(want))
    # Added in place: the same float32 sum as adding the gradient afterwards.
    base = np.random.default_rng(2).normal(size=x.shape).astype(np.float32)
    base.reshape(-1)[:3] = [-0.0, 0.0, -0.0]
    acc = base.copy()
    assert K.l1l2_penalty_backward(x, l1, l2, dy, acc, True) is acc
    np.testing.assert_array_equal(bits(acc), bits(base + want))


def test_gradient_matches_finite_differences():
    x = _x(40, seed=3).astype(np.float32) + 0.5  # away from |x|'s kink at 0
    x64 = x.astype(np.float64)
    l1, l2, eps = 0.3, 0.7, 1e-3
    f = lambda v: l1 * np.abs(v).sum() + l2 * (v * v).sum()  # noqa: E731
    fd = np.array([(f(x64 + eps * e) - f(x64 - eps * e)) / (2 * eps) for e in np.eye(40)])
    np.testing.assert_allclose(K.l1l2_penalty_backward(x, l1, l2, 1.0), fd, rtol=1e-4,
                               atol=1e-5)


def test_non_finite_values_propagate():
    x = np.array([1.0, np.nan, -np.inf], np.float32)
    assert np.isnan(K.l1l2_penalty(x, 0.1, 0.1))
    g = K.l1l2_penalty_backward(x, 0.1, 0.1, 1.0)
    assert g[0] == pytest.approx(0.3) and np.isnan(g[1]) and g[2] == -np.inf
    assert np.isnan(K.l1l2_penalty_backward(x[:1], 0.1, 0.0, float("nan"))[0])


@pytest.mark.parametrize("call, exc, match", [
    (lambda x: K.l1l2_penalty(x.astype(np.float64), 0.1, 0.1), TypeError, r"l1l2_penalty: argument 'x'"),
    (lambda x: K.l1l2_penalty(x, -0.1, 0.1), ValueError, r"'l1' must be a number >= 0, received -0.1"),
    (lambda x: K.l1l2_penalty(x, 0.1, float("nan")), ValueError, r"'l2' must be a number >= 0"),
    (lambda x: K.l1l2_penalty(x, "a", 0.1), TypeError, r"'l1' must be a real number"),
    (lambda x: K.l1l2_penalty_backward(x, 0.1, 0.1, 1.0, None, True), ValueError,
     r"accumulate=True needs 'out'"),
    (lambda x: K.l1l2_penalty_backward(x, 0.1, 0.1, 1.0, np.zeros(3, np.float32)), ValueError,
     r"l1l2_penalty_backward: argument 'out'"),
    (lambda x: K.l1l2_penalty_backward(x, 0.1, 0.1, 1.0, x), ValueError, r"share memory|overlap"),
    (lambda x: K.l1l2_penalty_backward(x, 0.1, 0.1, None), TypeError, r"'dy' must be a real"),
])
def test_bad_arguments_raise_and_write_nothing(call, exc, match):
    x = np.arange(4, dtype=np.float32)
    with pytest.raises(exc, match=match):
        call(x)
    np.testing.assert_array_equal(x, np.arange(4))
