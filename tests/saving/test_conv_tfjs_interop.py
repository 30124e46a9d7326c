"""Convolutional models and the real TensorFlow.js 4.22 (node, tests/tfjs): a convnet
written by TF.js (every convolution-family layer treino has, trained a little) loads in
treino and predicts the same numbers; one saved by treino loads in TF.js and predicts
what treino does."""
import json

import numpy as np
import pytest

import treino as tn

from tfjs_util import find_node, run_node


@pytest.fixture(scope="module")
def node():
    return find_node()


@pytest.mark.parametrize("which", ["image", "sequence"])
def test_tfjs_convnets_load_in_treino(node, tmp_path, which):
    run_node(node, "convnet_train_save.js", tmp_path)
    folder = tmp_path / which
    expected = json.loads((folder / "expected.json").read_text())
    model = tn.load_layers_model(str(folder))
    assert [w.name for w in model.weights] == expected["weights"]
    x = np.array(expected["input"]["values"], np.float32).reshape(expected["input"]["shape"])
    np.testing.assert_allclose(model.predict(x).numpy(), np.array(expected["predictions"]),
                               rtol=1e-4, atol=1e-5)


def _treino_convnet():
    tn.set_seed(3)
    return tn.sequential([
        tn.layers.conv2d(input_shape=[3, 10, 9], filters=4, kernel_size=3, padding="same",
                         data_format="channelsFirst", activation="relu"),
        tn.layers.max_pooling2d(pool_size=2, strides=[2, 1], data_format="channelsFirst"),
        tn.layers.conv2d(filters=6, kernel_size=[2, 3], dilation_rate=[1, 2],
                         data_format="channelsFirst"),
        tn.layers.global_average_pooling2d(data_format="channelsFirst"),
        tn.layers.dense(units=2, activation="softmax")])


def test_treino_convnet_loads_in_tfjs(node, tmp_path):
    model = _treino_convnet()
    x = np.sin(np.arange(2 * 3 * 10 * 9, dtype=np.float32) * 0.21).reshape(2, 3, 10, 9)
    model.compile(optimizer="rmsprop", loss="categoricalCrossentropy")
    model.fit(x, np.eye(2, dtype=np.float32), epochs=2, verbose=0)
    model.save(str(tmp_path / "m"))
    (tmp_path / "in.json").write_text(json.dumps({"shape": list(x.shape),
                                                  "values": x.ravel().tolist()}))
    out = run_node(node, "load_predict.js", tmp_path / "m", tmp_path / "in.json")
    np.testing.assert_allclose(np.array(out["predictions"]), model.predict(x).numpy(),
                               rtol=1e-4, atol=1e-5)
    assert out["weights"] == [w.name for w in model.weights]
