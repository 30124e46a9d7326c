"""rand, random_standard_normal, random_uniform_int, random_gamma, multinomial and
dropout: reproducible under tn.set_seed (and an explicit seed), drawing anew otherwise,
with the moments of their distributions over many samples."""
import numpy as np
import pytest

import treino as tn

N = 40_000


def _twice(draw):
    tn.set_seed(123)
    a = draw().numpy()
    b = draw().numpy()
    tn.set_seed(123)
    return a, b, draw().numpy()


@pytest.mark.parametrize("draw", [
    lambda: tn.random_standard_normal([50]),
    lambda: tn.random_uniform_int([50], 0, 10),
    lambda: tn.random_gamma([50], 2.0),
    lambda: tn.multinomial(tn.tensor([0.0, 1.0, 2.0]), 50),
    lambda: tn.dropout(tn.ones([50]), 0.5),
    lambda: tn.rand([50], np.random.default_rng(tn.random_uniform_int([], 0, 1000).item()).random),
], ids=["standard_normal", "uniform_int", "gamma", "multinomial", "dropout", "rand"])
def test_reproducible_under_set_seed(draw):
    first, second, again = _twice(draw)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)  # the stream moves on


def test_explicit_seed_repeats_and_leaves_the_global_stream():
    tn.set_seed(5)
    a = tn.random_gamma([20], 3.0, seed=7).numpy()
    after = tn.random_standard_normal([3]).numpy()
    tn.set_seed(5)
    b = tn.random_gamma([20], 3.0, seed=7).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(tn.random_standard_normal([3]).numpy(), after)
    np.testing.assert_array_equal(tn.multinomial(tn.tensor([1.0, 1.0]), 30, seed=3).numpy(),
                                  tn.multinomial(tn.tensor([1.0, 1.0]), 30, seed=3).numpy())


def test_standard_normal_and_uniform_int_moments():
    tn.set_seed(1)
    z = tn.random_standard_normal([N]).numpy().astype(np.float64)
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    u = tn.random_uniform_int([N], -3, 5)
    assert u.dtype == "int32"
    v = u.numpy()
    assert v.min() == -3 and v.max() == 4  # [minval, maxval)
    assert abs(v.mean() - 0.5) < 0.05 and abs(v.var() - (8 ** 2 - 1) / 12) < 0.15
    rounded = tn.random_standard_normal([N], "int32").numpy()
    assert set(np.unique(rounded)) <= set(range(-6, 7)) and abs(rounded.mean()) < 0.05
    with pytest.raises(ValueError, match="random_uniform_int: maxval \\(2\\) must be > minval \\(2\\)"):
        tn.random_uniform_int([3], 2, 2)
    with pytest.raises(ValueError, match="random_uniform_int: argument 'minval' must be an int, received 0.5"):
        tn.random_uniform_int([3], 0.5, 2)


@pytest.mark.parametrize("alpha,beta", [(0.5, 1.0), (2.0, 1.0), (3.0, 4.0)])
def test_gamma_moments(alpha, beta):
    tn.set_seed(2)
    g = tn.random_gamma([N], alpha, beta).numpy().astype(np.float64)
    assert g.min() > 0
    mean, var = alpha / beta, alpha / beta ** 2  # beta is the rate, as TF.js documents
    assert abs(g.mean() - mean) < 4 * np.sqrt(var / N)
    assert abs(g.var() - var) / var < 0.06
    with pytest.raises(ValueError, match="random_gamma: argument 'alpha' must be a number > 0"):
        tn.random_gamma([2], 0.0)


def test_multinomial_frequencies():
    tn.set_seed(3)
    logits = np.array([[0.0, np.log(2.0), np.log(5.0)], [2.0, 0.0, -1.0]], np.float32)
    s = tn.multinomial(tn.tensor(logits), N)
    assert s.dtype == "int32" and s.shape == (2, N)
    for row, lg in zip(s.numpy(), logits):
        p = np.exp(lg) / np.exp(lg).sum()
        freq = np.bincount(row, minlength=3) / N
        np.testing.assert_allclose(freq, p, atol=4 * np.sqrt(p * (1 - p) / N).max())
    probs = tn.multinomial(tn.tensor([0.25, 0.0, 0.75]), N, normalized=True).numpy()
    assert probs.shape == (N,) and not (probs == 1).any()
    assert abs((probs == 2).mean() - 0.75) < 0.02
    with pytest.raises(ValueError, match="multinomial: logits must have at least 2 outcomes"):
        tn.multinomial(tn.tensor([1.0]), 3)
    with pytest.raises(ValueError, match="multinomial: logits must have rank 1 or 2"):
        tn.multinomial(tn.ones([2, 2, 2]), 3)


def test_dropout():
    tn.set_seed(4)
    y = tn.dropout(tn.ones([N]), 0.3).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(y.mean() - 1) < 0.02  # the expectation is unchanged
    shared = tn.dropout(tn.ones([200, 4]), 0.5, [200, 1]).numpy()
    assert (shared == shared[:, :1]).all()  # one draw per row
    assert tn.dropout(tn.ones([3, 4]), 0.5, [None, 4]).shape == (3, 4)  # None: x's extent
    x = tn.tensor([1.0, 2.0, 3.0])
    assert tn.dropout(x, 0).array() == [1, 2, 3]
    tn.set_seed(9)
    g = tn.grad(lambda t: tn.sum(tn.dropout(t, 0.5)))(tn.ones([1000])).numpy()
    tn.set_seed(9)
    mask = tn.dropout(tn.ones([1000]), 0.5).numpy()
    np.testing.assert_array_equal(g, mask)  # the gradient goes through the same mask
    with pytest.raises(ValueError, match=r"dropout: argument 'rate' must be a number in \[0, 1\)"):
        tn.dropout(x, 1.0)
    with pytest.raises(TypeError, match="dropout: x must be float32"):
        tn.dropout(tn.tensor([1], dtype="int32"), 0.5)
    with pytest.raises(ValueError, match="noise_shape \\[2\\] must broadcast"):
        tn.dropout(x, 0.5, [2])


def test_rand_calls_the_function_in_order():
    counter = iter(range(100))
    t = tn.rand([2, 3], lambda: next(counter) * 0.5)
    assert t.dtype == "float32" and t.array() == [[0, 0.5, 1], [1.5, 2, 2.5]]
    assert tn.rand([3], lambda: 2.7, "int32").array() == [2, 2, 2]  # truncated, as Int32Array
    with pytest.raises(TypeError, match="rand: argument 'rand_function' must be callable"):
        tn.rand([2], 3)


def test_a_captured_step_draws_a_new_dropout_mask_each_batch():
    """dropout inside a user layer's call: the replayed program must draw afresh."""
    class Drop(tn.layers.Layer):
        def call(self, inputs, **kwargs):
            x = inputs[0] if isinstance(inputs, list) else inputs
            return tn.dropout(x, 0.5)

    tn.set_seed(0)
    model = tn.sequential([Drop(input_shape=[8]), tn.layers.dense(units=1)])
    model.compile(optimizer=tn.train.sgd(0.0), loss="meanSquaredError")  # fixed weights
    x = np.ones((4, 8), np.float32)
    y = np.zeros((4, 1), np.float32)
    losses = [model.train_on_batch(x, y) for _ in range(4)]
    values = [float(np.asarray(v)) for v in losses]
    assert len(set(values)) == len(values)  # a new mask (and so a new loss) every step
