"""Regressions found in review: rank-0 results, views of Variables, numpy copies, the
chained concat/stack/where methods."""
import numpy as np
import pytest

import treino as tn


def test_scalar_results_keep_rank_0_through_gradients():
    x = tn.tensor([1.0, 2.0])
    g = tn.grad(lambda t: tn.sum(tn.exp(tn.sum(t))))(x)
    np.testing.assert_allclose(g.numpy(), [np.exp(3.0)] * 2, rtol=1e-6)
    g = tn.grad(lambda t: tn.mean(tn.tanh(tn.sum(t))))(x)
    np.testing.assert_allclose(g.numpy(), [1 - np.tanh(3.0) ** 2] * 2, rtol=1e-5)
    assert tn.equal(tn.scalar(1.0), tn.scalar(2.0)).shape == ()
    assert (tn.scalar(1, dtype="int32") + tn.scalar(2, dtype="int32")).shape == ()
    assert tn.where(tn.scalar(True), tn.scalar(1.0), tn.scalar(2.0)).shape == ()
    assert tn.prelu(tn.scalar(-1.0), tn.scalar(0.5)).item() == -0.5


def test_views_of_a_variable_do_not_change_when_it_does():
    v = tn.variable(tn.tensor([[1.0, 2.0]]))
    snapshots = [tn.reshape(v, [2]), tn.expand_dims(v, 0), tn.squeeze(v), tn.slice(v, [0, 0], [1, 1]),
                 v.T, v.flatten(), tn.cast(v, "float32"), tn.stop_gradient(v), tn.reshape(v, [1, 2])]
    before = [s.numpy() for s in snapshots]
    v.assign(tn.tensor([[5.0, 6.0]]))
    for s, b in zip(snapshots, before):
        np.testing.assert_array_equal(s.numpy(), b)


def test_numpy_array_of_a_tensor_is_a_writeable_copy():
    t = tn.tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 9
    assert t.array() == [1.0, 2.0]
    assert not np.asarray(t).flags.writeable  # the cheap read-only view


def test_chained_concat_stack_where():
    a, b = tn.tensor([1.0, 2.0]), tn.tensor([3.0, 4.0])
    assert a.concat(b).array() == [1, 2, 3, 4]
    assert a.concat([b, b]).shape == (6,)
    assert a.stack(b).array() == [[1, 2], [3, 4]]
    assert a.where(tn.tensor([True, False]), b).array() == [1, 4]
    with pytest.raises(ValueError):
        a.concat(tn.tensor([[1.0]]))
