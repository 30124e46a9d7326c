"""The training config of models with several outputs in TF.js's format: losses and
metrics by output (objects or lists, as TF.js writes them) saved and compiled again at
load; loss weights, which TF.js cannot load, leave the config out (with a warning) and
are read from Keras files; malformed entries are LoadErrors. The real TF.js loads the
config treino writes."""
import json

import numpy as np
import pytest

import treino as tn
from treino.models.saving import LoadError

from tfjs_util import find_node, run_node, write_inputs

X = np.sin(np.arange(24, dtype=np.float32)).reshape(8, 3)
Y = [np.eye(3, dtype=np.float32)[np.arange(8) % 3], np.cos(np.arange(8, dtype=np.float32))[:, None]]


def _model():
    a = tn.input(shape=[3], name="a")
    h = tn.layers.dense(units=4, activation="tanh", name="h").apply(a)
    return tn.model(inputs=a, outputs=[
        tn.layers.dense(units=3, activation="softmax", name="cls").apply(h),
        tn.layers.dense(units=1, name="reg").apply(h)])


@pytest.mark.parametrize("loss,metrics", [
    ({"cls": "categoricalCrossentropy", "reg": "meanSquaredError"},
     {"cls": ["accuracy"], "reg": ["mae", "mse"]}),
    (["categoricalCrossentropy", "mse"], [["acc"], ["meanAbsoluteError"]]),
    ("meanSquaredError", ["mae"]),
])
def test_losses_and_metrics_by_output_survive_a_save(tmp_path, loss, metrics):
    m = _model()
    m.compile(optimizer=tn.train.adam(0.01), loss=loss, metrics=metrics)
    m.fit(X, Y, epochs=2, verbose=0)
    m.save(str(tmp_path / "m"))
    back = tn.load_layers_model(str(tmp_path / "m"))
    assert back._compiled.value_names() == m._compiled.value_names()
    assert [t.numpy().item() for t in back.evaluate(X, Y)] == \
        [t.numpy().item() for t in m.evaluate(X, Y)]


def test_loss_weights_leave_the_config_out_and_keras_files_give_them(tmp_path):
    m = _model()
    m.compile(optimizer="sgd", loss=["categoricalCrossentropy", "mse"], loss_weights=[1.0, 0.25])
    with pytest.warns(UserWarning, match="loss_weights is not saved"):
        m.save(str(tmp_path / "m"))
    mj = json.loads((tmp_path / "m" / "model.json").read_text())
    assert "trainingConfig" not in mj
    assert tn.load_layers_model(str(tmp_path / "m"))._compiled is None
    # A Keras-style config with loss_weights compiles with them.
    mj["trainingConfig"] = {"loss": ["categorical_crossentropy", "mean_squared_error"],
                            "metrics": [], "loss_weights": [1.0, 0.25],
                            "optimizer_config": {"class_name": "SGD",
                                                 "config": {"learningRate": 0.1}}}
    (tmp_path / "m" / "model.json").write_text(json.dumps(mj))
    back = tn.load_layers_model(str(tmp_path / "m"))
    assert [h.weight for h in back._compiled.heads] == [1.0, 0.25]


@pytest.mark.parametrize("field,value,match", [
    ("loss", 3, "loss must be an id"),
    ("loss", {"cls": ["mse"]}, "loss must be an id"),
    ("metrics", {"cls": [["acc"]]}, "metrics must be an id"),
    ("loss_weights", [1, "x"], "loss_weights must be"),
    ("loss", {"nope": "mse", "cls": "mse"}, "unknown output name"),
])
def test_malformed_training_configs_are_load_errors(tmp_path, field, value, match):
    m = _model()
    m.compile(optimizer="sgd", loss="mse")
    m.save(str(tmp_path / "m"))
    mj = json.loads((tmp_path / "m" / "model.json").read_text())
    mj["trainingConfig"][field] = value
    (tmp_path / "m" / "model.json").write_text(json.dumps(mj))
    with pytest.raises(LoadError, match=match):
        tn.load_layers_model(str(tmp_path / "m"))
    assert tn.load_layers_model(str(tmp_path / "m"), compile=False)._compiled is None


def test_tfjs_loads_the_multi_output_training_config(tmp_path):
    node = find_node()
    m = _model()
    m.compile(optimizer="adam", loss={"cls": "categoricalCrossentropy", "reg": "mse"},
              metrics={"cls": ["accuracy"], "reg": ["mae"]})
    m.save(str(tmp_path / "m"))
    write_inputs(tmp_path / "in.json", [X])
    out = run_node(node, "load_predict_multi.js", tmp_path / "m", tmp_path / "in.json")
    for got, want in zip(out["predictions"], m.predict(X)):
        np.testing.assert_allclose(np.array(got), want.numpy(), rtol=1e-5, atol=1e-6)
