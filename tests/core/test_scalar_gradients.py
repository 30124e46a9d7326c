"""Gradients through rank-0 products: numpy turns a product of rank-0 arrays into a
numpy scalar, which the next op's native backward refuses unless it is made an array
again."""
import numpy as np

import treino as tn


def test_gradient_through_a_scaled_scalar():
    g = tn.grad(lambda t: tn.sqrt(tn.sum(t)) * 0.5)(tn.tensor([1.0, 3.0]))
    np.testing.assert_allclose(g.numpy(), [0.125, 0.125])


def test_gradient_of_rank0_products_and_quotients():
    x = tn.scalar(4.0)
    np.testing.assert_allclose(tn.grad(lambda t: tn.exp(t * tn.scalar(0.5)) / 2.0)(x).numpy(),
                               0.25 * np.exp(2.0), rtol=1e-6)
    np.testing.assert_allclose(tn.grad(lambda t: tn.sigmoid(t - 4.0) * 3.0)(x).numpy(), 0.75)


def _log_twice(m):
    # log's output is used twice: its two 0-d gradient contributions are summed before
    # log's native backward reads them
    lg = tn.log(m)
    return lg + lg * lg


def test_summed_rank0_gradients_reach_a_native_backward():
    x = np.array([1.0, 2.0, 4.0], np.float32)
    g = tn.grad(lambda t: _log_twice(tn.sum(t)))(tn.tensor(x))
    s = x.sum()
    np.testing.assert_allclose(g.numpy(), np.full(3, (1 + 2 * np.log(s)) / s), rtol=1e-6)


def test_replayed_step_sums_rank0_gradients_as_the_tape():
    """A loss reusing a scalar through a native op, fitted replayed (captured program) and
    eagerly: the same weights."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)
    weights = []
    for eager in (False, True):
        model = tn.sequential([tn.layers.dense(units=1, input_shape=[3])])
        model.set_weights([np.full((3, 1), 0.5, np.float32), np.zeros(1, np.float32)])
        model.compile(optimizer=tn.train.sgd(0.01), run_eagerly=eager,
                      loss=lambda yt, yp: _log_twice(tn.mean(tn.square(yt - yp)) + 1.0))
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        weights.append([np.asarray(w) for w in model.get_weights()])
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
