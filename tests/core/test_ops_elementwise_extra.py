"""Trigonometric and hyperbolic ops, atan2, erf, step, is_finite/is_inf/is_nan,
div_no_nan, add_n, bitwise_and: values against numpy float64 (math.erf for erf),
dtypes, broadcasting, empty tensors, gradients against finite differences and torch,
and argument errors."""
import math

import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads, torch

rng = np.random.default_rng(7)

# name: (numpy float64 reference, input range inside the domain, torch twin name)
UNARY = {
    "acos": (np.arccos, (-0.9, 0.9), "acos"),
    "asin": (np.arcsin, (-0.9, 0.9), "asin"),
    "atan": (np.arctan, (-3, 3), "atan"),
    "acosh": (np.arccosh, (1.2, 4), "acosh"),
    "asinh": (np.arcsinh, (-3, 3), "asinh"),
    "atanh": (np.arctanh, (-0.9, 0.9), "atanh"),
    "cosh": (np.cosh, (-3, 3), "cosh"),
    "sinh": (np.sinh, (-3, 3), "sinh"),
    "tan": (np.tan, (-1.2, 1.2), "tan"),
    "erf": (np.vectorize(math.erf), (-3, 3), "erf"),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_and_gradients(name):
    ref, (lo, hi), tname = UNARY[name]
    x = rng.uniform(lo, hi, (3, 4)).astype(np.float32)
    op = getattr(tn, name)
    y = op(tn.tensor(x))
    assert y.dtype == "float32" and y.shape == (3, 4)
    np.testing.assert_allclose(y.numpy(), ref(x.astype(np.float64)), rtol=3e-6, atol=3e-7)
    assert np.allclose(getattr(tn.tensor(x), name)().numpy(), y.numpy())  # as a method
    check_grads(op, [x], torch_fn=torch and getattr(torch, tname))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_dtypes_and_empty(name):
    ints = tn.tensor(np.array([[0, 1]], np.int32))
    assert getattr(tn, name)(ints).dtype == "float32"  # int32 computes in float32
    empty = getattr(tn, name)(tn.zeros([0, 3]))
    assert empty.shape == (0, 3) and empty.dtype == "float32"
    assert getattr(tn, name)(tn.scalar(0.5)).shape == ()


def test_outside_the_domain_is_nan_as_in_tfjs():
    assert np.isnan(tn.acos(2.0).item()) and np.isnan(tn.acosh(0.5).item())
    assert tn.atanh(1.0).item() == np.inf


def test_erf_is_accurate_near_zero_and_in_the_tails():
    x = np.array([0.0, 1e-8, -1e-5, 0.3, 0.49, 0.5, 0.51, 1.0, 2.5, -4.0, 10.0], np.float32)
    exact = np.array([math.erf(float(v)) for v in x])
    got = tn.erf(tn.tensor(x)).numpy()
    np.testing.assert_allclose(got, exact, rtol=5e-7, atol=2e-7)
    assert got[0] == 0 and got[1] != 0  # relative accuracy for tiny x (the series)


def test_atan2_broadcasts_and_matches_numpy_and_torch():
    a = rng.uniform(-2, 2, (3, 1)).astype(np.float32)
    b = rng.uniform(-2, 2, (4,)).astype(np.float32)
    y = tn.atan2(tn.tensor(a), tn.tensor(b))
    assert y.shape == (3, 4)
    np.testing.assert_allclose(y.numpy(), np.arctan2(a.astype(np.float64), b), rtol=1e-6)
    check_grads(tn.atan2, [a, b], torch_fn=torch and torch.atan2)
    assert tn.atan2(tn.tensor([1], dtype="int32"), 1).dtype == "float32"
    with pytest.raises(ValueError, match="atan2: operands could not be broadcast.*\\[3\\].*\\[2\\]"):
        tn.atan2(tn.zeros([3]), tn.zeros([2]))


def test_step():
    x = np.array([-2.0, 0.0, 0.5, np.nan, 3.0], np.float32)
    np.testing.assert_array_equal(tn.step(tn.tensor(x)).numpy(), [0, 0, 1, np.nan, 1])
    np.testing.assert_array_equal(tn.step(tn.tensor(x), 0.25).numpy(), [0.25, 0.25, 1, np.nan, 1])
    g = tn.grad(lambda t: tn.sum(tn.step(t)))(tn.tensor([1.0, -1.0]))
    np.testing.assert_array_equal(g.numpy(), [0, 0])  # TF.js: zero gradient
    with pytest.raises(TypeError, match="step: argument 'alpha'"):
        tn.step(tn.tensor([1.0]), "a")


def test_is_finite_is_inf_is_nan():
    x = tn.tensor(np.array([1.0, np.inf, -np.inf, np.nan], np.float32))
    assert tn.is_finite(x).array() == [True, False, False, False]
    assert tn.is_inf(x).array() == [False, True, True, False]
    assert tn.is_nan(x).array() == [False, False, False, True]
    assert x.is_nan().dtype == "bool"
    assert tn.is_finite(tn.tensor([1, 2], dtype="int32")).array() == [True, True]
    assert tn.is_nan(tn.zeros([0])).shape == (0,)


def test_div_no_nan():
    a = np.array([[1.0, -2.0, 0.0], [3.0, 4.0, 5.0]], np.float32)
    b = np.array([2.0, 0.0, 0.0], np.float32)
    y = tn.div_no_nan(tn.tensor(a), tn.tensor(b))
    np.testing.assert_array_equal(y.numpy(), [[0.5, 0, 0], [1.5, 0, 0]])
    ga, gb = tn.grads(lambda p, q: tn.sum(tn.div_no_nan(p, q)))([tn.tensor(a), tn.tensor(b)])
    np.testing.assert_allclose(ga.numpy(), [[0.5, 0, 0], [0.5, 0, 0]])
    np.testing.assert_allclose(gb.numpy(), [-(1 + 3) / 4.0, 0, 0])  # 0 where b == 0
    safe = rng.uniform(0.5, 2, (3,)).astype(np.float32)
    check_grads(tn.div_no_nan, [a, safe], torch_fn=torch and torch.div)
    ints = tn.div_no_nan(tn.tensor([7, -7, 3], dtype="int32"), tn.tensor([2, 2, 0], dtype="int32"))
    assert ints.dtype == "int32" and ints.array() == [3, -4, 0]  # floor division, as div


def test_add_n():
    xs = [rng.uniform(-1, 1, (2, 3)).astype(np.float32) for _ in range(3)]
    y = tn.add_n([tn.tensor(x) for x in xs])
    np.testing.assert_allclose(y.numpy(), xs[0] + xs[1] + xs[2], rtol=1e-6)
    check_grads(lambda a, b, c: tn.add_n([a, b, c]), xs)
    assert tn.add_n([tn.tensor([1], dtype="int32")] * 2).array() == [2]
    with pytest.raises(ValueError, match=r"add_n: .*tensors\[1\] has \[3\]"):
        tn.add_n([tn.zeros([2]), tn.zeros([3])])
    with pytest.raises(TypeError, match="add_n: argument 'tensors'"):
        tn.add_n([])


def test_bitwise_and():
    x = tn.tensor(np.array([0b1100, 7, -1], np.int32))
    y = tn.tensor(np.array([0b1010, 2, 5], np.int32))
    assert tn.bitwise_and(x, y).array() == [0b1000, 2, 5]
    with pytest.raises(TypeError, match="bitwise_and: x and y must be int32"):
        tn.bitwise_and(tn.zeros([3]), y)
    with pytest.raises(ValueError, match="same shape"):
        tn.bitwise_and(x, tn.tensor(np.array([1], np.int32)))
