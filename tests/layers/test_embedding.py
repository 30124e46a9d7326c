"""Embedding: lookups against numpy indexing, the gradient against np.add.at and torch's
nn.Embedding, bit-identical on every thread count, TF.js's id cast, mask_zero masks,
input_length shapes, TF.js's config and defaults, training through fit, and errors."""
import numpy as np
import pytest

import treino as tn
from treino import _kernels as K
from treino import layers as L

rng = np.random.default_rng(3)


def grad_of_table(layer, ids, cot):
    """(output, d sum(output * cot) / d embeddings)."""
    table = layer.embeddings.val
    out = {}

    def f(t):
        out["y"] = layer(tn.tensor(ids))
        return tn.sum(out["y"] * tn.tensor(cot))
    g = tn.grads(f)([table])[0]
    return out["y"].numpy(), g.numpy()


def test_lookup_and_gradient_against_numpy_and_torch():
    torch = pytest.importorskip("torch")
    layer = L.Embedding(input_dim=9, output_dim=4)
    ids = rng.integers(0, 9, (5, 7)).astype(np.int32)
    layer(tn.tensor(ids))
    table = layer.get_weights()[0].numpy()
    cot = rng.standard_normal((5, 7, 4)).astype(np.float32)
    y, g = grad_of_table(layer, ids, cot)
    np.testing.assert_array_equal(y, table[ids])
    want = np.zeros_like(table)
    np.add.at(want, ids.ravel(), cot.reshape(-1, 4))
    np.testing.assert_array_equal(g, want)
    emb = torch.nn.Embedding(9, 4)
    with torch.no_grad():
        emb.weight.copy_(torch.tensor(table))
    (emb(torch.tensor(ids, dtype=torch.long)) * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(g, emb.weight.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_gradient_is_bit_identical_on_every_thread_count():
    layer = L.Embedding(input_dim=50, output_dim=33)
    ids = rng.integers(0, 50, (64, 40)).astype(np.int32)  # many repeats per row
    layer(tn.tensor(ids))
    cot = rng.standard_normal((64, 40, 33)).astype(np.float32)
    previous = K.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            K.set_num_threads(threads)
            results.append(grad_of_table(layer, ids, cot)[1])
    finally:
        K.set_num_threads(previous)
    np.testing.assert_array_equal(results[0], results[1])


def test_float_ids_are_truncated_as_tfjs_casts_them():
    layer = L.Embedding(input_dim=6, output_dim=2)
    layer(tn.tensor([[0]]))
    table = layer.get_weights()[0].numpy()
    got = layer(tn.tensor(np.array([[1.9, 0.2, 5.0, -0.5]], np.float32))).numpy()
    np.testing.assert_array_equal(got[0], table[[1, 0, 5, 0]])
    with pytest.raises(ValueError, match="index 6 .*out of range for 6 rows"):
        layer(tn.tensor(np.array([[6.0]], np.float32)))
    with pytest.raises(ValueError, match="index -1"):
        layer(tn.tensor(np.array([[-1]], np.int32)))
    with pytest.raises(ValueError, match="finite"):
        layer(tn.tensor(np.array([[np.nan]], np.float32)))


def test_mask_zero_and_input_length():
    layer = L.Embedding(input_dim=5, output_dim=3, mask_zero=True, input_length=4)
    assert layer.batch_input_shape == (None, 4)
    ids = tn.tensor(np.array([[0, 2, 0, 4]], np.int32))
    np.testing.assert_array_equal(layer.compute_mask(ids).numpy(), [[False, True, False, True]])
    assert L.Embedding(input_dim=5, output_dim=3).compute_mask(ids) is None
    assert layer.compute_output_shape((None, 4)) == (None, 4, 3)
    assert L.Embedding(input_dim=5, output_dim=3).batch_input_shape == (None, None)
    assert L.Embedding(input_dim=5, output_dim=3, input_length=[2, None],
                       batch_size=8).batch_input_shape == (8, 2, None)
    with pytest.raises(ValueError, match="input_length is 4"):
        layer(tn.tensor(np.zeros((1, 5), np.int32)))
    y = L.Embedding(input_dim=5, output_dim=3, input_length=[2, None])(
        tn.tensor(np.zeros((2, 2, 6), np.int32)))
    assert y.shape == (2, 2, 6, 3)


def test_tfjs_config_and_defaults():
    layer = L.Embedding(input_dim=10, output_dim=4, input_length=5, mask_zero=True)
    assert layer.name.startswith("embedding_Embedding")
    config = layer.get_config()
    # TF.js 4.22's keys (model.json), plus treino's dtype.
    assert set(config) == {"input_dim", "output_dim", "embeddings_initializer",
                           "embeddings_regularizer", "activity_regularizer",
                           "embeddings_constraint", "mask_zero", "input_length", "name",
                           "trainable", "batch_input_shape", "dtype"}
    assert config["embeddings_initializer"] == {
        "class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": None}}
    assert config["batch_input_shape"] == [None, 5]
    assert L.Embedding.from_config(config).get_config() == config
    layer(tn.tensor(np.zeros((1, 5), np.int32)))
    assert [w.name for w in layer.weights] == [f"{layer.name}/embeddings"]
    assert np.abs(layer.get_weights()[0]).max() <= 0.05
    # A TF.js config without maskZero (undefined there) loads as False.
    assert L.Embedding.from_config({"input_dim": 3, "output_dim": 2,
                                    "mask_zero": None}).mask_zero is False


def test_trains_as_first_layer_of_a_sequential_model():
    tn.set_seed(0)
    model = tn.sequential(layers=[L.Embedding(input_dim=20, output_dim=8, input_length=6),
                                  L.Flatten(), L.Dense(units=1, activation="sigmoid")])
    model.compile(optimizer=tn.train.adam(0.05), loss="binaryCrossentropy", metrics=["acc"])
    ids = rng.integers(0, 20, (64, 6))
    y = (ids[:, :1] < 10).astype(np.float32)  # the first id decides the label
    hist = model.fit(ids.astype(np.float32), y, epochs=15, batch_size=16, verbose=0)
    assert hist.history["acc"][-1] > 0.95
