"""Ops whose output shape depends on values (unique, setdiff1d_async, where_async,
boolean_mask_async) against numpy, and a model whose loss uses them: the captured step
must not replay them with the shapes of its first batch."""
import numpy as np
import pytest

import treino as tn

rng = np.random.default_rng(2)


def test_unique_keeps_first_occurrence_order():
    r = tn.unique(tn.tensor([4.0, 1.0, 4.0, 2.0, 1.0, 7.0]))
    assert r.values.array() == [4, 1, 2, 7]
    assert r["indices"].dtype == "int32" and r.indices.array() == [0, 1, 0, 2, 1, 3]
    values, indices = tn.unique(tn.tensor([True, True, False]))
    assert values.array() == [True, False] and indices.array() == [0, 0, 1]
    x = np.array([[1, 0, 1], [2, 5, 2], [1, 0, 1]], np.int32)
    rows = tn.unique(tn.tensor(x), 0)
    assert rows.values.array() == [[1, 0, 1], [2, 5, 2]] and rows.indices.array() == [0, 1, 0]
    cols = tn.unique(tn.tensor(x), 1)
    assert cols.values.array() == [[1, 0], [2, 5], [1, 0]] and cols.indices.array() == [0, 1, 0]
    for _ in range(5):  # against numpy, reordered by first occurrence
        v = rng.integers(0, 6, 20).astype(np.int32)
        u, first, inv = np.unique(v, return_index=True, return_inverse=True)
        order = np.argsort(first)
        got = tn.unique(tn.tensor(v))
        np.testing.assert_array_equal(got.values.numpy(), u[order])
        np.testing.assert_array_equal(got.values.numpy()[got.indices.numpy()], v)
    assert tn.unique(tn.zeros([0])).values.shape == (0,)
    with pytest.raises(ValueError, match="unique: x must have rank >= 1"):
        tn.unique(tn.scalar(1.0))


def test_setdiff1d_async():
    out, idx = tn.setdiff1d_async(tn.tensor([1, 2, 3, 4, 2, 6], dtype="int32"),
                                  tn.tensor([2, 6], dtype="int32"))
    assert out.array() == [1, 3, 4] and idx.array() == [0, 2, 3] and idx.dtype == "int32"
    with pytest.raises(TypeError, match="x and y must have one dtype"):
        tn.setdiff1d_async(tn.tensor([1.0]), tn.tensor([1], dtype="int32"))
    with pytest.raises(ValueError, match="x and y must be 1-D"):
        tn.setdiff1d_async(tn.ones([2, 2]), tn.ones([2]))


def test_where_async():
    c = np.array([[True, False, True], [False, False, True]])
    coords = tn.where_async(tn.tensor(c))
    assert coords.dtype == "int32" and coords.array() == np.argwhere(c).tolist()
    assert tn.where_async(tn.zeros([2, 3], "bool")).shape == (0, 2)
    assert tn.where_async(tn.tensor([0.0, 3.0])).array() == [[1]]


def test_boolean_mask_async():
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    m = np.array([[True, False, True], [False, False, True]])
    got = tn.boolean_mask_async(tn.tensor(x), tn.tensor(m))
    np.testing.assert_array_equal(got.numpy(), x[m])
    cols = np.array([True, False, False, True])
    np.testing.assert_array_equal(tn.boolean_mask_async(tn.tensor(x), tn.tensor(cols), 2).numpy(),
                                  x[:, :, cols])
    # Differentiable through the gather, as TF.js's: masked-out values get zero.
    g = tn.grad(lambda t: tn.sum(tn.boolean_mask_async(t, tn.tensor(m)) * 2.0))(tn.tensor(x))
    np.testing.assert_array_equal(g.numpy(), np.where(m[..., None], 2.0, 0.0) * np.ones(x.shape))
    with pytest.raises(ValueError, match=r"mask's shape \[2\] must match tensor's shape \[2, 3, 4\] from axis 1"):
        tn.boolean_mask_async(tn.tensor(x), tn.tensor([True, False]), 1)
    with pytest.raises(TypeError, match="argument 'mask' must be a bool tensor"):
        tn.boolean_mask_async(tn.tensor(x), tn.ones([2]))


def _masked_mse(y_true, y_pred):
    """The MSE over the samples whose label is positive: how many there are differs
    from batch to batch."""
    keep = tn.greater(tn.reshape(y_true, [-1]), 0.0)
    diff = tn.boolean_mask_async(y_true - y_pred, keep)
    return tn.mean(tn.square(diff))


def test_a_loss_with_a_value_shaped_op_trains_as_eagerly():
    x = rng.normal(size=(24, 3)).astype(np.float32)
    y = rng.normal(size=(24, 1)).astype(np.float32)
    # Batches of 6 with 3, 1, 4 and 2 positive labels: a replay with the first batch's
    # count would average over the wrong number of samples.
    y[:, 0] = np.abs(y[:, 0]) * np.array([1, 1, 1, -1, -1, -1, 1, -1, -1, -1, -1, -1,
                                          1, 1, 1, 1, -1, -1, 1, 1, -1, -1, -1, -1])
    results = []
    for eager in (False, True):
        model = tn.sequential([tn.layers.dense(units=1, input_shape=[3])])
        model.set_weights([np.full((3, 1), 0.1, np.float32), np.zeros(1, np.float32)])
        model.compile(optimizer=tn.train.sgd(0.1), loss=_masked_mse, run_eagerly=eager)
        hist = model.fit(x, y, batch_size=6, epochs=3, shuffle=False, verbose=0)
        results.append(([np.asarray(w) for w in model.get_weights()], hist.history["loss"]))
    (w_replayed, loss_replayed), (w_eager, loss_eager) = results
    for a, b in zip(w_replayed, w_eager):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(loss_replayed, loss_eager, rtol=1e-6)
