"""Regularizers and constraints: values against numpy with TF.js's formulas (epsilon
1e-7 beside the norm in the denominator), gradients against finite differences, lookup,
serialisation and bad arguments."""
import numpy as np
import pytest

import treino as tn
from treino import constraints as C
from treino import regularizers as R

rng = np.random.default_rng(3)
EPS = 1e-7


def _fd_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


@pytest.mark.parametrize("reg,l1,l2", [
    (R.l1(), 0.01, 0.0), (R.l2(0.3), 0.0, 0.3), (R.l1l2(), 0.01, 0.01),
    (R.l1l2(l1=0.2, l2=0.05), 0.2, 0.05), (R.get("l1l2"), 0.01, 0.01),
])
def test_regularizer_value_and_gradient(reg, l1, l2):
    x = rng.uniform(0.2, 2, (4, 3)) * rng.choice([-1, 1], (4, 3))
    ref = lambda v: l1 * np.abs(v).sum() + l2 * (v ** 2).sum()  # noqa: E731
    out = reg(tn.tensor(x))
    assert out.shape == ()
    assert out.item() == pytest.approx(ref(x), rel=1e-5)
    g = tn.grad(lambda t: reg(t))(tn.tensor(x)).numpy()
    np.testing.assert_allclose(g, _fd_grad(ref, x), rtol=1e-4, atol=1e-6)


def test_regularizer_gradient_on_a_variable():
    v = tn.variable(rng.normal(size=(3, 2)))
    out = tn.variable_grads(lambda: R.l2(0.5)(v))
    np.testing.assert_allclose(out["grads"][v.name].numpy(), 2 * 0.5 * v.numpy(), rtol=1e-6)


def test_regularizer_lookup_and_config():
    assert R.get(None) is None
    assert (R.get("L1L2").l1, R.get("l1_l2").l2) == (0.01, 0.01)
    assert R.serialize(R.l1(0.1)) == {"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.0}}
    back = R.get(R.serialize(R.l1l2(0.2, 0.3)))
    assert (back.l1, back.l2) == (0.2, 0.3)
    assert R.l1l2(0, 0)(tn.ones([2])).item() == 0
    with pytest.raises(ValueError, match="unknown regularizer 'l3'.*l1l2"):
        R.get("l3")
    with pytest.raises(ValueError, match="'l1' must be a finite number >= 0"):
        R.l1(-1)


def _norms(w, axis):
    return np.sqrt((w ** 2).sum(axis=axis, keepdims=True))


CONSTRAINTS = [  # constraint, numpy reference
    (C.max_norm(), lambda w: w * np.clip(_norms(w, 0), 0, 2) / (EPS + _norms(w, 0))),
    (C.max_norm(1.5, axis=1), lambda w: w * np.clip(_norms(w, 1), 0, 1.5) / (EPS + _norms(w, 1))),
    (C.unit_norm(), lambda w: w / (EPS + _norms(w, 0))),
    (C.unit_norm(axis=[0, 1]), lambda w: w / (EPS + _norms(w, (0, 1)))),
    (C.non_neg(), lambda w: np.maximum(w, 0)),
    (C.min_max_norm(), lambda w: w * np.clip(_norms(w, 0), 0, 1) / (EPS + _norms(w, 0))),
    (C.min_max_norm(0.5, 1.2, axis=0, rate=0.3),
     lambda w: w * (0.3 * np.clip(_norms(w, 0), 0.5, 1.2) + 0.7 * _norms(w, 0))
     / (EPS + _norms(w, 0))),
]


@pytest.mark.parametrize("c,ref", CONSTRAINTS, ids=lambda v: repr(v) if isinstance(v, C.Constraint) else "")
def test_constraint_values_and_gradients(c, ref):
    w = rng.uniform(0.1, 1.5, (5, 3)) * rng.choice([-1, 1], (5, 3))
    np.testing.assert_allclose(c(tn.tensor(w)).numpy(), ref(w), rtol=1e-5, atol=1e-7)
    cot = rng.normal(size=w.shape)
    g = tn.grad(lambda t: tn.sum(c(t) * tn.tensor(cot)))(tn.tensor(w)).numpy()
    np.testing.assert_allclose(g, _fd_grad(lambda v: (ref(v) * cot).sum(), w),
                               rtol=2e-3, atol=1e-4)


def test_max_norm_leaves_small_columns_alone_and_caps_big_ones():
    w = np.array([[3.0, 0.3], [4.0, 0.4]])  # column norms 5 and 0.5
    out = C.max_norm(2)(tn.tensor(w)).numpy()
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [2, 0.5], rtol=1e-5)
    # the TF.js epsilon: 0.5 / (0.5 + 1e-7), not exactly 1
    np.testing.assert_allclose(out[:, 1], w[:, 1] * 0.5 / (0.5 + 1e-7), rtol=1e-7)


def test_constraint_lookup_and_config():
    for ident, cls in (("maxNorm", C.MaxNorm), ("max_norm", C.MaxNorm), ("nonNeg", C.NonNeg),
                       ("unit_norm", C.UnitNorm), ("minMaxNorm", C.MinMaxNorm)):
        assert type(C.get(ident)) is cls
    assert C.get(None) is None
    for c in (C.max_norm(3, 1), C.min_max_norm(0.1, 2, 0, 0.5), C.non_neg(), C.unit_norm([0, 1])):
        back = C.get(C.serialize(c))
        assert type(back) is type(c) and back.get_config() == c.get_config()
    tfjs = C.get({"className": "MaxNorm", "config": {"maxValue": 4, "axis": 1}})
    assert (tfjs.max_value, tfjs.axis) == (4.0, 1)
    with pytest.raises(ValueError, match="unknown constraint 'maxnormal'.*maxNorm.*unitNorm"):
        C.get("maxnormal")
    with pytest.raises(ValueError, match="min_value <= max_value"):
        C.min_max_norm(2, 1)
    with pytest.raises(ValueError, match=r"MinMaxNorm: argument 'rate' must be a finite number in \[0, 1\], received 2"):
        C.min_max_norm(rate=2)
    with pytest.raises(TypeError, match="MaxNorm: argument 'axis' must be an int or a non-empty list"):
        C.max_norm(axis="rows")
