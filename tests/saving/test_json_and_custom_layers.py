"""model.to_json and tn.models.model_from_json (TF.js's toJSON / modelFromJSON), custom
layer classes (tn.serialization.register_class, custom_objects), and TF.js's file://
paths for save and load."""
import json
import os

import numpy as np
import pytest

import treino as tn
from treino import serialization
from treino.models import LayersModel, Sequential
from treino.models.saving import LoadError, load_layers_model

from functional_util import towers, towers_inputs, towers_numpy
from hostile_util import process_state, read_json, refused, write_json


@pytest.fixture(autouse=True)
def registry():
    """Each test registers into a registry that is put back afterwards."""
    saved = dict(serialization._registry)
    yield
    serialization._registry.clear()
    serialization._registry.update(saved)


class Scale(tn.layers.Layer):
    """x * factor * w, with w a learned per-feature weight: a config option and a weight."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)
        self.w = None

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), "ones")

    def call(self, inputs, training=False):
        return inputs * self.factor * self.w.val

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _scaled(seed=0):
    tn.set_seed(seed)
    x = tn.input(shape=[3], name="x")
    scale = Scale(factor=2.5, name="scale")
    y = tn.layers.dense(units=2, name="d").apply(scale.apply(x))
    scale.w.val.assign(np.array([1.0, -2.0, 0.5], np.float32))
    return tn.model(inputs=x, outputs=y, name="scaled")


def _scaled_numpy(model, x):
    k, b = model.get_layer("d").get_weights()
    return (x * 2.5 * model.get_layer("scale").get_weights()[0]) @ k + b


# -- to_json and model_from_json ----------------------------------------------------------

def test_to_json_is_the_saved_topology(tmp_path):
    m = towers()
    m.save(str(tmp_path))
    assert json.loads(m.to_json()) == read_json(tmp_path)["modelTopology"]
    assert m.to_json(return_string=False) == json.loads(m.to_json())
    s = tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[3], name="only")])
    topo = json.loads(s.to_json())
    assert topo["class_name"] == "Sequential" and topo["backend"] == "tensor_flow.js"
    assert [l["config"]["name"] for l in topo["config"]["layers"]] == ["only"]


@pytest.mark.parametrize("form", ["string", "bytes", "dict", "wrapped"])
def test_model_from_json_builds_fresh_weights(form):
    m = towers(seed=0)
    text = m.to_json()
    arg = {"string": text, "bytes": text.encode(), "dict": json.loads(text),
           "wrapped": {"modelTopology": json.loads(text), "format": "layers-model"}}[form]
    tn.set_seed(9)
    fresh = tn.models.model_from_json(arg)
    assert type(fresh) is LayersModel and fresh.get_config() == m.get_config()
    assert fresh.optimizer is None
    assert [w.name for w in fresh.weights] == [w.name for w in m.weights]
    assert not np.allclose(fresh.get_layer("shared").get_weights()[0],
                           m.get_layer("shared").get_weights()[0])
    xs = towers_inputs()
    np.testing.assert_allclose(fresh.predict(xs).numpy(), towers_numpy(fresh, xs), rtol=1e-5,
                               atol=1e-5)


def test_model_from_json_sequential_and_seeded_init():
    s = tn.sequential(layers=[tn.layers.dense(units=4, input_shape=[3], name="a"),
                              tn.layers.dense(units=1, name="b")])
    tn.set_seed(5)
    one = tn.models.model_from_json(s.to_json())
    tn.set_seed(5)
    two = tn.models.model_from_json(json.loads(s.to_json()))
    assert isinstance(one, Sequential) and [l.name for l in one.layers] == ["a", "b"]
    for w1, w2 in zip(one.get_weights(), two.get_weights()):
        np.testing.assert_array_equal(np.asarray(w1), np.asarray(w2))


@pytest.mark.parametrize("arg, error, match", [
    (42, TypeError, r"model_from_json: argument 'json_or_dict' must be a JSON string or a dict, "
                    r"received int"),
    ("{oops", ValueError, r"model_from_json: argument 'json_or_dict': the JSON is not valid"),
    ({"a": {1, 2}}, ValueError, r"must hold JSON values only"),
    ({"modelTopology": {}, "weightsManifest": []}, ValueError,
     r"has a weightsManifest; model_from_json builds the topology with fresh weights"),
    ({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Dense", "config": {"units": -1, "input_shape": [2]}}]}}, ValueError,
     r"^model_from_json: argument 'json_or_dict': layer 0 \(Dense None\) has an invalid "
     r"config: .*units"),
    ({"class_name": "Model", "config": {"layers": [], "input_layers": []}}, ValueError,
     r"'topology\.config\.layers' must be a non-empty list"),
    ('{"modelTopology": {"class_name": "Graph"}}', ValueError, r"'modelTopology' holds a 'Graph'"),
])
def test_model_from_json_errors(arg, error, match):
    before = process_state()
    with pytest.raises(error, match=match):
        tn.models.model_from_json(arg)
    assert process_state() == before


def test_model_from_json_refuses_a_cyclic_dict():
    d = {"class_name": "Sequential"}
    d["config"] = d
    with pytest.raises(ValueError, match="must hold JSON values only.*Circular reference"):
        tn.models.model_from_json(d)


# -- custom layers --------------------------------------------------------------------------

def test_register_class_names_and_returns_the_class():
    assert serialization.register_class(Scale) is Scale
    assert serialization.registered_class("Scale") is Scale
    assert serialization.register_class(Scale) is Scale   # again: nothing changes

    @serialization.register_class
    class Renamed(tn.layers.Layer):
        class_name = "MyRenamed"

        def call(self, inputs, training=False):
            return inputs
    assert serialization.registered_class("MyRenamed") is Renamed
    assert Renamed().class_name == "MyRenamed" and "Renamed" not in serialization.registered_classes()


@pytest.mark.parametrize("folder", [True, False])
def test_registered_layer_round_trips(tmp_path, folder):
    serialization.register_class(Scale)
    m = _scaled()
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    path = tmp_path / ("folder" if folder else "m.treino")
    m.save(str(path))
    loaded = load_layers_model(str(path))
    layer = loaded.get_layer("scale")
    assert type(layer) is Scale and layer.factor == 2.5
    assert [w.name for w in loaded.weights] == ["scale/w", "d/kernel", "d/bias"]
    np.testing.assert_array_equal(layer.get_weights()[0], [1.0, -2.0, 0.5])
    np.testing.assert_allclose(loaded.predict(x).numpy(), _scaled_numpy(m, x), rtol=1e-5,
                               atol=1e-6)


def test_registered_layer_in_a_sequential_and_model_from_json(tmp_path):
    serialization.register_class(Scale)
    s = tn.sequential(layers=[Scale(factor=3, input_shape=[2], name="s"),
                              tn.layers.dense(units=1, name="o")])
    s.save(str(tmp_path))
    assert [type(l) for l in load_layers_model(str(tmp_path)).layers] == [Scale, tn.layers.Dense]
    fresh = tn.models.model_from_json(s.to_json())
    assert type(fresh.layers[0]) is Scale and fresh.layers[0].factor == 3.0


def test_unregistered_class_is_refused_clearly(tmp_path):
    m = _scaled()
    m.save(str(tmp_path))
    refused(tmp_path, r"layer 1 has unknown class 'Scale'; known layer classes: .*Dense.* \(a "
                      r"custom layer class loads once registered with "
                      r"tn.serialization.register_class\)")
    with pytest.raises(LoadError, match=r"^model_from_json: .*unknown class 'Scale'"):
        tn.models.model_from_json(m.to_json())
    # custom_objects instead of registering (and no registration happens).
    fresh = tn.models.model_from_json(m.to_json(), custom_objects={"Scale": Scale})
    assert type(fresh.get_layer("scale")) is Scale and serialization.registered_class("Scale") is None


def test_registered_layer_weights_are_guarded(tmp_path):
    """A custom layer's weights go through the loader's size check like any other."""
    serialization.register_class(Scale)
    _scaled().save(str(tmp_path))
    mj = read_json(tmp_path)
    layers = mj["modelTopology"]["config"]["layers"]
    layers[0]["config"]["batch_input_shape"] = [None, 10 ** 9]
    write_json(tmp_path, mj)
    refused(tmp_path, r"layer 1 \(Scale 'scale'\) creates weight 'scale/w' of shape "
                      r"\[1000000000\].*more values than", peak_mb=20)


class _NotALayer:
    pass


class _ModelSubclass(LayersModel):
    pass


@pytest.mark.parametrize("cls, error, match", [
    (_NotALayer, TypeError, r"register_class: argument 'cls' must be a subclass of "
                            r"tn.layers.Layer, received <class"),
    (Scale(), TypeError, r"must be a subclass of tn.layers.Layer, received <Scale"),
    (_ModelSubclass, TypeError, r"is a model; models are saved and loaded from their own config"),
    (type("Dense", (tn.layers.Layer,), {}), ValueError,
     r"'Dense' is the name of treino's built-in layer class treino.layers.core.Dense"),
    (type("X", (tn.layers.Layer,), {"class_name": "Functional"}), ValueError,
     r"'Functional' names a model in saved configs"),
    (type("X", (tn.layers.Layer,), {"class_name": ""}), ValueError, r"class_name is an empty string"),
])
def test_register_class_refuses(cls, error, match):
    with pytest.raises(error, match=match):
        serialization.register_class(cls)
    assert serialization.registered_classes() == {}


def test_register_class_refuses_a_name_taken_by_another_class():
    serialization.register_class(Scale)

    class Sub(Scale):
        class_name = "Scale"
    with pytest.raises(ValueError, match=r"the name 'Scale' is already registered for "
                                         r"test_json_and_custom_layers.Scale; give "
                                         r".*Sub another name"):
        serialization.register_class(Sub)
    assert serialization.registered_class("Scale") is Scale
    # A new definition of the same class (a re-run notebook cell) replaces it.
    again = type("Scale", (tn.layers.Layer,), {"__module__": Scale.__module__})
    serialization.register_class(again)
    assert serialization.registered_class("Scale") is again


@pytest.mark.parametrize("custom, error, match", [
    ([Scale], TypeError, r"argument 'custom_objects' must be a dict"),
    ({"Scale": 3}, TypeError, r"custom_objects\['Scale'\] must be a subclass of tn.layers.Layer"),
    ({1: Scale}, TypeError, r"keys of 'custom_objects' must be class names"),
    ({"Dense": Scale}, ValueError, r"names 'Dense', which is treino's own class"),
])
def test_custom_objects_checked(custom, error, match):
    with pytest.raises(error, match=match):
        tn.models.model_from_json(_scaled().to_json(), custom_objects=custom)


# -- file:// paths -------------------------------------------------------------------------

def test_file_scheme_is_a_local_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    m = _scaled()
    serialization.register_class(Scale)
    x = np.ones((1, 3), np.float32)
    m.save(f"file://{tmp_path}/abs")           # file:///abs/path
    m.save("file://rel")                        # file://relative/path
    m.save("FILE://one.treino")
    assert sorted(os.listdir(tmp_path)) == ["abs", "one.treino", "rel"]   # no 'file:' folder
    for path in (f"file://{tmp_path}/abs/model.json", "file://rel", "file://one.treino",
                 str(tmp_path / "abs")):
        np.testing.assert_array_equal(load_layers_model(path).predict(x).numpy(),
                                      m.predict(x).numpy())


@pytest.mark.parametrize("url", ["http://example.com/model.json", "https://x/m.json",
                                 "indexeddb://my-model", "localstorage://my-model",
                                 "downloads://my-model"])
def test_other_schemes_are_refused(tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    m = _scaled()
    scheme = url.split(":")[0]
    message = rf"argument 'path' is '{url}', a {scheme}:// URL; treino reads and writes local " \
              r"files only"
    with pytest.raises(ValueError, match=r"^save: " + message):
        m.save(url)
    with pytest.raises(ValueError, match=r"^load_layers_model: " + message):
        load_layers_model(url)
    assert os.listdir(tmp_path) == []


def test_a_custom_layer_may_name_its_catch_all_anything(tmp_path):
    """`def __init__(self, factor, **options)` forwards Layer's arguments as **kwargs
    does: from_config and loading a saved model work; unknown names are still refused."""
    class Scaled(tn.layers.Layer):
        class_name = "ScaledByOptions"

        def __init__(self, factor=2.0, **options):
            super().__init__(**options)
            self.factor = float(factor)

        def call(self, inputs):
            return tn.mul(inputs, self.factor)

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}
    saved = dict(serialization._registry)
    try:
        serialization.register_class(Scaled)
        layer = Scaled.from_config(Scaled(factor=3.0, name="sc").get_config())
        assert (layer.name, layer.factor) == ("sc", 3.0)
        m = tn.sequential(layers=[Scaled(factor=4.0, input_shape=[2], name="sc2")])
        m.save(str(tmp_path))
        back = load_layers_model(str(tmp_path))
        np.testing.assert_array_equal(back.predict(tn.ones([1, 2])).numpy(), [[4.0, 4.0]])
        with pytest.raises(TypeError, match=r"Scaled: unknown argument 'bogus'; accepted "
                                            r"arguments: factor, name"):
            Scaled(bogus=1)
    finally:
        serialization._registry.clear()
        serialization._registry.update(saved)


def test_a_custom_layer_written_as_tfjs_takes_its_config_dict(tmp_path):
    """A literal port of `constructor(config) { super(config); }`: Layer takes the config
    dict as its first argument, and from_config / loading pass the dict (TF.js's
    `new cls(config)`)."""
    class Doubling(tn.layers.Layer):
        class_name = "DoublingFromConfig"

        def __init__(self, config=None):
            super().__init__(config or {})

        def call(self, inputs):
            return tn.mul(inputs, 2.0)
    saved = dict(serialization._registry)
    try:
        serialization.register_class(Doubling)
        layer = Doubling({"name": "dbl", "trainable": False})
        assert (layer.name, layer.trainable) == ("dbl", False)
        back = Doubling.from_config(layer.get_config())
        assert (back.name, back.trainable) == ("dbl", False)
        m = tn.sequential(layers=[Doubling({"name": "d2", "input_shape": [2]})])
        m.save(str(tmp_path))
        np.testing.assert_array_equal(load_layers_model(str(tmp_path)).predict(
            tn.ones([1, 2])).numpy(), [[2.0, 2.0]])
        with pytest.raises(TypeError, match=r"a config dict as the first argument"):
            tn.layers.Layer({"name": "x"}, trainable=False)
    finally:
        serialization._registry.clear()
        serialization._registry.update(saved)
