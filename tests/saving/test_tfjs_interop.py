"""Models cross between treino and the real TensorFlow.js 4.22 (pure-JS CPU backend,
run by node from tests/tfjs): treino saves, TF.js loads and predicts; TF.js trains and
saves, treino loads and predicts. Predictions agree to 1e-5.

Needs node and `npm ci` run in tests/tfjs; skipped with the reason otherwise, unless
TREINO_REQUIRE_TFJS=1 (CI sets it), which turns the skip into a failure."""
import json
import zipfile

import numpy as np
import pytest

import treino as tn
from treino.models.saving import load_layers_model

from saving_util import data, small_model
from tfjs_util import find_node, run_node


@pytest.fixture(scope="module")
def node():
    return find_node()


def mlp():
    tn.set_seed(2)
    m = tn.sequential(layers=[
        tn.layers.input_layer(input_shape=[6]),
        tn.layers.dense(units=12, activation="relu"),
        tn.layers.batch_normalization(momentum=0.7),
        tn.layers.dropout(rate=0.25),
        tn.layers.dense(units=3, activation="softmax"),
    ])
    m.compile(optimizer="adam", loss="categoricalCrossentropy", metrics=["accuracy"])
    return m, data(n=48, shape=(6,), seed=1)


def shapes():
    m = small_model(seed=3, compiled=False)
    m.compile(optimizer=tn.train.rmsprop(0.01), loss="categorical_crossentropy", metrics=["acc"])
    return m, data(seed=2)


def sharded():
    tn.set_seed(4)
    m = tn.sequential(layers=[tn.layers.dense(units=1030, input_shape=[1100], activation="tanh"),
                              tn.layers.dense(units=2, activation="sigmoid")])
    m.compile(optimizer=tn.train.sgd(0.05), loss="binaryCrossentropy")
    x = np.random.default_rng(5).normal(size=(16, 1100)).astype(np.float32)
    y = (x[:, :2] > 0).astype(np.float32)
    return m, (x, y)


@pytest.mark.parametrize("build", [mlp, shapes, sharded])
def test_treino_model_loads_in_tfjs(node, tmp_path, build):
    m, (x, y) = build()
    m.fit(x, y, epochs=3, batch_size=8, verbose=0)
    for layer in m.layers:
        if layer.class_name == "BatchNormalization":   # the moving statistics moved
            assert np.abs(layer.moving_mean.val.numpy()).max() > 0.01
            assert np.abs(layer.moving_variance.val.numpy() - 1).max() > 0.01
    m.save(str(tmp_path / "model"))
    xs = x[:8]
    (tmp_path / "inputs.json").write_text(json.dumps({"shape": list(xs.shape),
                                                      "values": xs.ravel().tolist()}))
    out = run_node(node, "load_predict.js", tmp_path / "model", tmp_path / "inputs.json")
    np.testing.assert_allclose(np.array(out["predictions"]), m.predict(xs).numpy(),
                               rtol=0, atol=1e-5)
    # TF.js compiled it from our training config, with the same optimizer settings.
    assert out["compiled"] and out["optimizer"] == m.optimizer.class_name
    assert out["optimizerConfig"]["learningRate"] == pytest.approx(m.optimizer.learning_rate)
    assert out["weights"] == [w.name for w in m.trainable_weights + m.non_trainable_weights]


def test_treino_file_unzips_to_a_tfjs_folder(node, tmp_path):
    """A .treino checkpoint is the TF.js folder plus extra files: unzipped, TF.js loads it."""
    m, (x, y) = mlp()
    m.fit(x, y, epochs=2, verbose=0)
    m.save(str(tmp_path / "m.treino"))
    with zipfile.ZipFile(tmp_path / "m.treino") as z:
        z.extractall(tmp_path / "unzipped")
    (tmp_path / "inputs.json").write_text(json.dumps({"shape": [4, 6],
                                                      "values": x[:4].ravel().tolist()}))
    out = run_node(node, "load_predict.js", tmp_path / "unzipped" / "model.json",
                   tmp_path / "inputs.json")
    np.testing.assert_allclose(np.array(out["predictions"]), m.predict(x[:4]).numpy(),
                               rtol=0, atol=1e-5)


@pytest.mark.parametrize("recipe", ["mlp", "reshape"])
def test_tfjs_model_loads_in_treino(node, tmp_path, recipe):
    run_node(node, "train_save.js", tmp_path, recipe)
    expected = json.loads((tmp_path / "expected.json").read_text())
    x = np.array(expected["inputs"]["values"], np.float32).reshape(expected["inputs"]["shape"])
    m = load_layers_model(str(tmp_path))
    np.testing.assert_allclose(m.predict(x).numpy(), np.array(expected["predictions"]),
                               rtol=0, atol=1e-5)
    bn = [l for l in m.layers if l.class_name == "BatchNormalization"][0]
    assert np.abs(bn.moving_mean.val.numpy()).max() > 0.01   # TF.js's trained statistics
    if recipe == "mlp":
        # Saved with includeOptimizer: Adam, its step count (3 epochs x 6 batches) and
        # moments come along, and training continues.
        assert m.optimizer.class_name == "Adam" and m.optimizer.learning_rate == 0.01
        assert m.optimizer.iterations == 18
        slots = {d["name"] for d in m.optimizer.get_weights()}
        assert len(slots) == 1 + 2 * len(m.trainable_weights)
        y = np.eye(3, dtype=np.float32)[np.arange(x.shape[0]) % 3]
        m.fit(x, y, epochs=1, verbose=0)
        assert m.optimizer.iterations == 19
    else:
        assert m.optimizer is None   # saved without its training config
        assert [l.class_name for l in m.layers] == ["Flatten", "Dense", "Activation", "Reshape",
                                                    "BatchNormalization", "Flatten", "Dense"]
        assert m.layers[1].kernel_constraint.class_name == "MaxNorm"
