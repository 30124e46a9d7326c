"""cumsum and cumprod (every axis, exclusive and reverse, dtypes, gradients, zeros in
cumprod), all / any, moments, norm and euclidean_norm against numpy."""
import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads, torch

rng = np.random.default_rng(11)


def _np_scan(ufunc, x, axis, exclusive, reverse):
    x = np.flip(x, axis) if reverse else x
    y = ufunc.accumulate(x, axis=axis)
    if exclusive:
        y = np.moveaxis(y, axis, 0)
        y = np.concatenate([np.full_like(y[:1], ufunc.identity), y[:-1]], 0)
        y = np.moveaxis(y, 0, axis)
    return np.flip(y, axis) if reverse else y


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_values_and_gradients(name, axis, exclusive, reverse):
    ufunc = np.add if name == "cumsum" else np.multiply
    x = rng.uniform(0.5, 1.5, (3, 4)).astype(np.float32)
    op = lambda t: getattr(tn, name)(t, axis, exclusive, reverse)  # noqa: E731
    np.testing.assert_allclose(op(tn.tensor(x)).numpy(),
                               _np_scan(ufunc, x.astype(np.float64), axis % 2, exclusive, reverse),
                               rtol=1e-6)
    check_grads(op, [x])


def test_cumprod_gradient_is_exact_with_zeros():
    x = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 1.5, 2.0, -1.0, 0.5]], np.float32)
    for exclusive in (False, True):
        for reverse in (False, True):
            check_grads(lambda t: tn.cumprod(t, 1, exclusive, reverse), [x])
    if torch is not None:
        t = torch.tensor(x.astype(np.float64), requires_grad=True)
        torch.cumprod(t, 1).sum().backward()
        g = tn.grad(lambda v: tn.sum(tn.cumprod(v, 1)))(tn.tensor(x))
        np.testing.assert_allclose(g.numpy(), t.grad.numpy(), rtol=1e-6)


def test_scan_dtypes_and_edges():
    ints = tn.tensor(np.array([[1, 2], [3, 4]], np.int32))
    assert tn.cumsum(ints).dtype == "int32" and tn.cumsum(ints).array() == [[1, 2], [4, 6]]
    assert tn.cumprod(ints, 1).array() == [[1, 2], [3, 12]]
    assert tn.cumsum(tn.tensor([True, True, False])).array() == [1, 2, 2]
    assert tn.cumsum(tn.zeros([0, 3]), 0).shape == (0, 3)
    assert tn.cumsum(tn.zeros([2, 0]), 1, True).shape == (2, 0)
    assert tn.tensor([1.0, 2.0]).cumsum().array() == [1, 3]
    with pytest.raises(ValueError, match="cumsum: x must have rank >= 1"):
        tn.cumsum(tn.scalar(1.0))
    with pytest.raises(ValueError, match="cumprod: argument 'axis' is out of range"):
        tn.cumprod(tn.zeros([2]), 1)
    with pytest.raises(TypeError, match="cumsum: argument 'exclusive' must be a bool"):
        tn.cumsum(tn.zeros([2]), 0, 1)


def test_all_any():
    x = np.array([[True, False, True], [True, True, True]])
    assert tn.all(tn.tensor(x)).item() is False and tn.any(tn.tensor(x)).item() is True
    assert tn.all(tn.tensor(x), 1).array() == [False, True]
    assert tn.any(tn.tensor(x), 0, keepdims=True).shape == (1, 3)
    assert tn.tensor(x).all(1).array() == [False, True]
    assert tn.all(tn.zeros([0], "bool")).item() is True       # numpy: all([]) is True
    assert tn.any(tn.zeros([0], "bool")).item() is False
    assert tn.any(tn.tensor([0.0, 2.0])).item() is True        # non-zero counts as true


def test_moments():
    x = rng.normal(size=(4, 5)).astype(np.float32)
    m = tn.moments(tn.tensor(x), [0])
    np.testing.assert_allclose(m.mean.numpy(), x.astype(np.float64).mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m["variance"].numpy(), x.astype(np.float64).var(0), rtol=1e-5)
    mean, var = tn.moments(tn.tensor(x), 1, keepdims=True)
    assert mean.shape == var.shape == (4, 1)
    assert dict(m).keys() == {"mean", "variance"}
    check_grads(lambda t: tn.moments(t, 1).variance, [x],
                torch_fn=torch and (lambda t: t.var(1, unbiased=False)))
    ints = tn.moments(tn.tensor(np.array([1, 2, 3, 6], np.int32)))
    assert ints.mean.item() == 3 and ints.variance.item() == pytest.approx(3.5)


NORMS = [("euclidean", None), (2, 1), (1, 0), (np.inf, 1), (-np.inf, 1), (1, [0, 1]),
         (np.inf, [0, 1]), (-np.inf, [1, 0]), ("fro", [0, 1]), ("euclidean", [-1, -2]), (1, None)]


@pytest.mark.parametrize("ord_,axis", NORMS)
def test_norm_against_numpy(ord_, axis):
    x = rng.uniform(-2, 2, (3, 4)).astype(np.float32)
    ref_ord = None if ord_ == "euclidean" else ord_
    np_axis = None if axis is None else tuple(axis) if isinstance(axis, list) else axis
    if axis is None and ord_ != "euclidean":
        want = np.linalg.norm(x.astype(np.float64).ravel(), ref_ord)
    else:
        want = np.linalg.norm(x.astype(np.float64), ref_ord, np_axis)
    got = tn.norm(tn.tensor(x), ord_, axis)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    kept = tn.norm(tn.tensor(x), ord_, axis, keepdims=True)
    ref_kept = np.linalg.norm(x.astype(np.float64), ref_ord, np_axis, keepdims=True) \
        if axis is not None else np.reshape(want, (1, 1))
    assert kept.shape == ref_kept.shape


def test_norm_gradient_and_errors():
    x = rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    check_grads(lambda t: tn.norm(t, "euclidean", 1), [x],
                torch_fn=torch and (lambda t: torch.linalg.vector_norm(t, 2, 1)))
    check_grads(lambda t: tn.euclidean_norm(t), [x])
    assert tn.norm(tn.scalar(-3.0)).item() == 3
    assert tn.euclidean_norm(tn.zeros([0])).item() == 0        # numpy: norm of [] is 0
    assert tn.tensor([3.0, 4.0]).norm().item() == 5
    with pytest.raises(ValueError, match="norm: argument 'ord'"):
        tn.norm(tn.zeros([3]), 3)
    with pytest.raises(ValueError, match="not supported for a matrix norm"):
        tn.norm(tn.zeros([3, 3]), 2, [0, 1])
    with pytest.raises(ValueError, match="norm: argument 'axis' repeats an axis"):
        tn.norm(tn.zeros([3, 3]), 1, [0, -2])

