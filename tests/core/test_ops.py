"""Op surface: methods and operators, dtype rules, shape ops' forward values, and the
errors API.md promises (argument named, expected and received shown)."""
import numpy as np
import pytest

import treino as tn


def test_operators_with_numbers_arrays_and_tensors():
    a = tn.tensor([[1.0, 2.0], [3.0, 4.0]])
    n = np.array([1.0, 10.0])
    assert (a + 1).array() == [[2, 3], [4, 5]]
    assert (1 - a).array() == [[0, -1], [-2, -3]]
    assert (a * n).array() == [[1, 20], [3, 40]]
    assert isinstance(n * a, tn.Tensor)  # numpy defers to the tensor
    assert (2 / a).array()[0] == [2, 1]
    assert (a ** 2).array() == [[1, 4], [9, 16]]
    assert (a @ a).array() == [[7, 10], [15, 22]]
    assert (-a).array()[0] == [-1, -2]
    assert (a > 2).array() == [[False, False], [True, True]]
    assert (a == a).dtype == "bool"
    assert (a % 3).array() == [[1, 2], [0, 1]]
    assert (a // 3).array() == [[0, 0], [1, 1]]


def test_methods_match_functions():
    a = tn.tensor([[1.0, -2.0], [3.0, 4.0]])
    for name in ["relu", "abs", "exp", "square", "sigmoid", "tanh", "neg"]:
        np.testing.assert_array_equal(getattr(a, name)().numpy(), getattr(tn, name)(a).numpy())
    assert a.sum().item() == 6 and a.mean(1).array() == [-0.5, 3.5]
    assert a.max().item() == 4 and a.min(0).array() == [1, -2]
    assert a.argmax(1).array() == [0, 1] and a.argmin().array() == [0, 0]
    assert a.reshape([4]).shape == (4,) and a.transpose().array() == [[1, 3], [-2, 4]]
    assert a.T.shape == (2, 2) and a.flatten().shape == (4,)


def test_int32_arithmetic_stays_int32():
    i = tn.tensor(np.array([7, -7], np.int32))
    assert (i + 1).dtype == "int32" and (i + 1).array() == [8, -6]
    assert tn.div(i, tn.tensor(np.array([2, 2], np.int32))).array() == [3, -4]  # floors, as TF.js
    assert (i * 0.5).dtype == "float32"
    assert tn.abs(i).array() == [7, 7] and tn.abs(i).dtype == "int32"
    assert tn.exp(tn.tensor(np.array([0], np.int32))).dtype == "float32"
    assert tn.sum(i).dtype == "int32"


def test_shape_ops_forward():
    x = tn.tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    xn = x.numpy()
    np.testing.assert_array_equal(tn.reshape(x, [6, -1]).numpy(), xn.reshape(6, -1))
    np.testing.assert_array_equal(tn.transpose(x, [1, 0, 2]).numpy(), xn.transpose(1, 0, 2))
    assert tn.expand_dims(x, -1).shape == (2, 3, 4, 1)
    assert tn.squeeze(tn.expand_dims(x, 1), [1]).shape == (2, 3, 4)
    np.testing.assert_array_equal(tn.concat([x, x], 2).numpy(), np.concatenate([xn, xn], 2))
    np.testing.assert_array_equal(tn.stack([x, x], -1).numpy(), np.stack([xn, xn], -1))
    parts = tn.split(x, [1, -1], 2)
    assert [p.shape for p in parts] == [(2, 3, 1), (2, 3, 3)]
    assert [p.shape for p in tn.split(x, 3, 1)] == [(2, 1, 4)] * 3
    np.testing.assert_array_equal(tn.slice(x, [0, 1], [1, 2]).numpy(), xn[0:1, 1:3])
    np.testing.assert_array_equal(tn.gather(x, tn.tensor([2, 0], dtype="int32"), 1).numpy(), xn[:, [2, 0]])
    np.testing.assert_array_equal(tn.tile(x, [1, 2, 1]).numpy(), np.tile(xn, (1, 2, 1)))
    np.testing.assert_array_equal(tn.pad(x, [[0, 0], [1, 1], [0, 2]]).numpy(),
                                  np.pad(xn, [(0, 0), (1, 1), (0, 2)]))
    assert tn.cast(tn.tensor([1.7, -1.7]), "int32").array() == [1, -1]
    assert [u.shape for u in tn.unstack(x, 1)] == [(2, 4)] * 3
    assert tn.where(tn.tensor([True, False]), tn.tensor([1.0, 2.0]), 0).array() == [1, 0]
    assert tn.logical_and(tn.tensor([True, True]), tn.tensor([True, False])).array() == [True, False]
    assert tn.logical_not(tn.tensor([True])).array() == [False]


def test_reductions_forward():
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    t = tn.tensor(x)
    for fn, ref in [(tn.sum, np.sum), (tn.mean, np.mean), (tn.max, np.max), (tn.min, np.min),
                    (tn.prod, np.prod)]:
        for axis in [None, 0, -1, [0, 2]]:
            ax = tuple(axis) if isinstance(axis, list) else axis
            np.testing.assert_allclose(fn(t, axis).numpy(), ref(x.astype(np.float64), axis=ax),
                                       rtol=1e-5, atol=1e-6)
            assert fn(t, axis, keepdims=True).shape == ref(x, axis=ax, keepdims=True).shape
    np.testing.assert_allclose(tn.logsumexp(t, 1).numpy(),
                               np.log(np.exp(x.astype(np.float64)).sum(1)), rtol=1e-5)


@pytest.mark.parametrize("call, match", [
    (lambda: tn.matmul(tn.ones([2, 3]), tn.ones([4, 2])), r"inner dimensions differ.*\[2, 3\].*\[4, 2\]"),
    (lambda: tn.add(tn.ones([2, 3]), tn.ones([4])), r"broadcast.*\[2, 3\].*\[4\]"),
    (lambda: tn.reshape(tn.ones([2, 3]), [4, 2]), r"shape \[2, 3\].*\[4, 2\]"),
    (lambda: tn.variable(tn.ones([2])).assign(tn.ones([3])), r"shape \[2\].*\[3\]"),
    (lambda: tn.sum(tn.ones([2]), 3), "axis"),
    (lambda: tn.transpose(tn.ones([2, 3]), [0, 0]), "permutation"),
    (lambda: tn.concat([tn.ones([2, 3]), tn.ones([3, 3])], 1), r"tensors\[1\]"),
    (lambda: tn.gather(tn.ones([2, 3]), tn.tensor([5], dtype="int32")), "out of range"),
    (lambda: tn.slice(tn.ones([2, 3]), [1, 1], [2, 1]), "out of bounds"),
    (lambda: tn.split(tn.ones([5]), 2), "equal parts"),
    (lambda: tn.logical_and(tn.ones([1]), tn.ones([1])), "bool"),
    (lambda: tn.softmax(tn.ones([2, 3]), 0), "last axis"),
    (lambda: tn.one_hot(tn.tensor([1.5]), 3), "int32"),
])
def test_errors_name_what_was_expected(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
