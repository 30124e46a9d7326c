"""Functional models cross between treino and the real TensorFlow.js 4.22 (run by node
from tests/tfjs, see tests/tfjs_util.py): two inputs, a shared layer, a concatenation, a nested
Sequential and a nested functional model. treino saves, TF.js loads and predicts; TF.js
trains and saves, treino loads, predicts, trains on and saves again for TF.js.
Predictions agree to 1e-5, weights are named and ordered alike, and the graphs have the
same layers and nodes."""
import json

import numpy as np
import pytest

import treino as tn
from treino.models.saving import load_layers_model

from functional_util import TOWERS_WEIGHTS, towers, towers_inputs
from tfjs_util import find_node, run_node, write_inputs


@pytest.fixture(scope="module")
def node():
    return find_node()


def _layers(model):
    """[name, class name, number of inbound nodes] as load_predict_multi.js reports."""
    return [[l.name, l.class_name, len(l.inbound_nodes)] for l in model.layers]


def test_treino_functional_model_loads_in_tfjs(node, tmp_path):
    m = towers(seed=4)
    m.compile(optimizer="adam", loss="meanSquaredError")
    xs = towers_inputs(24, seed=2)
    y = np.random.default_rng(3).normal(size=(24, 3)).astype(np.float32)
    m.fit(xs, y, epochs=2, batch_size=8, verbose=0)
    m.save(str(tmp_path / "model"))
    tests = [x[:7] for x in xs]
    write_inputs(tmp_path / "inputs.json", tests)
    out = run_node(node, "load_predict_multi.js", tmp_path / "model", tmp_path / "inputs.json")
    [predictions] = out["predictions"]
    np.testing.assert_allclose(np.array(predictions), m.predict(tests).numpy(), rtol=0, atol=1e-5)
    assert out["weights"] == TOWERS_WEIGHTS == [w.name for w in m.weights]
    assert out["layers"] == _layers(m)
    assert ["shared", "Dense", 2] in out["layers"]


def test_tfjs_functional_model_loads_in_treino(node, tmp_path):
    run_node(node, "functional_train_save.js", tmp_path / "tfjs")
    expected = json.loads((tmp_path / "tfjs" / "expected.json").read_text())
    xs = [np.array(x["values"], np.float32).reshape(x["shape"]) for x in expected["inputs"]]
    m = load_layers_model(str(tmp_path / "tfjs"))
    np.testing.assert_allclose(m.predict(xs).numpy(), np.array(expected["predictions"]),
                               rtol=0, atol=1e-5)
    assert [w.name for w in m.weights] == expected["weights"]
    topology = json.loads((tmp_path / "tfjs" / "model.json").read_text())["modelTopology"]
    assert [l.name for l in m.layers] == [l["name"] for l in topology["config"]["layers"]]
    assert m.input_names == ["left", "right"] and len(m.get_layer("shared").inbound_nodes) == 2
    bn = m.get_layer("inner_seq").get_layer("inner_bn")
    assert np.abs(bn.moving_mean.val.numpy()).max() > 0.01   # TF.js's trained statistics
    # Adam's step count (3 epochs x 4 batches) and moments came along: training goes on.
    assert m.optimizer.class_name == "Adam" and m.optimizer.iterations == 12
    assert len(m.optimizer.get_weights()) == 1 + 2 * len(m.trainable_weights)
    y = np.zeros((xs[0].shape[0], 2), np.float32)
    m.fit(xs, y, epochs=1, batch_size=5, verbose=0)
    assert m.optimizer.iterations == 14
    # Saved again by treino, TF.js loads it and agrees.
    m.save(str(tmp_path / "again"))
    write_inputs(tmp_path / "inputs.json", xs)
    out = run_node(node, "load_predict_multi.js", tmp_path / "again", tmp_path / "inputs.json")
    np.testing.assert_allclose(np.array(out["predictions"][0]), m.predict(xs).numpy(), rtol=0,
                               atol=1e-5)
    assert out["layers"] == _layers(m)
