"""Functional models saved and loaded (TF.js's layers-model folder and .treino): the
topology TF.js writes, weights named and ordered as TF.js names them, the graph rebuilt
(several inputs and outputs, shared layers at several depths, nested Sequential and
functional models, call keyword arguments), checked against numpy forward passes."""
import json
import random
import zipfile

import numpy as np
import pytest

import treino as tn
from treino.models import LayersModel, Sequential
from treino.models.saving import load_layers_model

from functional_util import (TOWERS_WEIGHTS, towers, towers_inputs, towers_numpy, twice,
                             twice_numpy)
from hostile_util import read_json, write_json


def test_folder_holds_tfjs_functional_topology_and_weights(tmp_path):
    m = towers()
    m.save(str(tmp_path))
    mj = read_json(tmp_path)
    topo = mj["modelTopology"]
    assert topo["class_name"] == "Model" and topo["keras_version"] == "tfjs-layers 4.22.0"
    assert topo["config"] == json.loads(json.dumps(m.get_config()))
    config = topo["config"]
    assert config["input_layers"] == [["left", 0, 0], ["right", 0, 0]]
    # The nested model's node 0 is its own; its call in this model is node 1.
    assert config["output_layers"] == [["sub", 1, 0]]
    by_name = {entry["name"]: entry for entry in config["layers"]}
    assert by_name["shared"]["inbound_nodes"] == [[["left", 0, 0, {}]], [["right", 0, 0, {}]]]
    assert by_name["merge"]["inbound_nodes"] == [[["shared", 0, 0, {}], ["shared", 1, 0, {}]]]
    assert by_name["inner_seq"]["class_name"] == "Sequential"
    assert [l["config"]["name"] for l in by_name["inner_seq"]["config"]["layers"]] == \
        ["inner_dense", "inner_bn"]
    assert by_name["sub"]["class_name"] == "Model"
    assert by_name["sub"]["inbound_nodes"] == [[["inner_seq", 1, 0, {}]]]
    assert [w["name"] for w in mj["weightsManifest"][0]["weights"]] == TOWERS_WEIGHTS


@pytest.mark.parametrize("name", ["folder", "m.treino"])
def test_round_trip_rebuilds_the_graph(tmp_path, name):
    m = towers()
    xs = towers_inputs()
    m.save(str(tmp_path / name))
    loaded = load_layers_model(str(tmp_path / name))
    assert type(loaded) is LayersModel and loaded.name == "towers"
    assert [l.name for l in loaded.layers] == [l.name for l in m.layers]
    assert isinstance(loaded.get_layer("inner_seq"), Sequential)
    assert isinstance(loaded.get_layer("sub"), LayersModel)
    assert len(loaded.get_layer("shared").inbound_nodes) == 2
    assert loaded.input_names == ["left", "right"]
    assert [w.name for w in loaded.weights] == TOWERS_WEIGHTS
    assert loaded.get_config() == m.get_config()
    expected = towers_numpy(m, xs)
    np.testing.assert_allclose(towers_numpy(loaded, xs), expected, rtol=0, atol=0)
    np.testing.assert_allclose(loaded.predict(xs).numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(loaded.predict(xs).numpy(), m.predict(xs).numpy())


def test_treino_checkpoint_resumes_a_multi_input_fit_exactly(tmp_path):
    """Optimizer slots under nested layers' names and a nested seeded Dropout's
    generator come back: the resumed fit repeats the uninterrupted one."""
    tn.set_seed(3)
    a, b = tn.input(shape=[4], name="a"), tn.input(shape=[4], name="b")
    shared = tn.layers.dense(units=5, activation="relu", name="shared")
    inner = tn.sequential(layers=[tn.layers.dense(units=4, input_shape=[5], name="inner_d"),
                                  tn.layers.dropout(rate=0.3, seed=5, name="inner_drop")])
    out = tn.layers.dense(units=2, name="out").apply(
        tn.layers.concatenate().apply([inner.apply(shared.apply(a)), shared.apply(b)]))
    m = tn.model(inputs=[a, b], outputs=out)
    m.compile(optimizer="adam", loss="meanSquaredError")
    xs, y = towers_inputs(16), np.random.default_rng(2).normal(size=(16, 2)).astype(np.float32)
    m.fit(xs, y, epochs=2, batch_size=4, verbose=0)
    m.save(str(tmp_path / "m.treino"))
    with zipfile.ZipFile(tmp_path / "m.treino") as z:
        assert list(json.loads(z.read("treino.json"))["random_state"]["layers"]) == ["inner_drop"]
    uninterrupted = m.fit(xs, y, epochs=2, batch_size=4, verbose=0).history["loss"]
    resumed = load_layers_model(str(tmp_path / "m.treino"))
    assert resumed.optimizer.iterations == 8
    assert resumed.fit(xs, y, epochs=2, batch_size=4, verbose=0).history["loss"] == uninterrupted
    np.testing.assert_array_equal(resumed.predict(xs).numpy(), m.predict(xs).numpy())


def test_layers_listed_in_any_order_rebuild_the_same_graph(tmp_path):
    """A shared layer at two depths needs inputs made later in the list; shuffled or
    reversed, the config rebuilds the same model (nodes wait for their inputs)."""
    m = twice()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    m.save(str(tmp_path))
    mj = read_json(tmp_path)
    layers = mj["modelTopology"]["config"]["layers"]
    assert [l["name"] for l in layers] == ["x", "B", "A"]
    for order in (layers[::-1], random.Random(1).sample(layers, 3)):
        mj["modelTopology"]["config"]["layers"] = order
        write_json(tmp_path, mj)
        loaded = load_layers_model(str(tmp_path))
        assert [len(loaded.get_layer(n).inbound_nodes) for n in "AB"] == [2, 2]
        np.testing.assert_allclose(loaded.predict(x).numpy(), twice_numpy(m, x), rtol=1e-5,
                                   atol=1e-6)


def test_long_chain_listed_backwards(tmp_path):
    """Each layer's input comes later in the list: TF.js's passes would apply one node
    per pass; the rebuild follows the inputs instead of rescanning."""
    tn.set_seed(0)
    x = tn.input(shape=[2], name="x")
    h = x
    for i in range(150):
        h = tn.layers.dense(units=2, name=f"d{i}", kernel_initializer="identity").apply(h)
    m = tn.model(inputs=x, outputs=h)
    m.save(str(tmp_path))
    mj = read_json(tmp_path)
    mj["modelTopology"]["config"]["layers"].reverse()
    write_json(tmp_path, mj)
    v = np.array([[1.5, -2.0]], np.float32)
    np.testing.assert_array_equal(load_layers_model(str(tmp_path)).predict(v).numpy(), v)


def test_several_outputs_and_call_keywords(tmp_path):
    tn.set_seed(1)
    x = tn.input(shape=[3], name="x")
    h = tn.layers.dense(units=4, name="h").apply(x)
    drop = tn.layers.dropout(rate=0.5, name="drop", seed=1).apply(h, {"training": True})
    m = tn.model(inputs=x, outputs=[tn.layers.dense(units=2, name="o1").apply(h),
                                    tn.layers.activation(activation="linear", name="o2").apply(drop)])
    m.save(str(tmp_path))
    mj = read_json(tmp_path)
    by_name = {l["name"]: l for l in mj["modelTopology"]["config"]["layers"]}
    assert by_name["drop"]["inbound_nodes"] == [[["h", 0, 0, {"training": True}]]]
    loaded = load_layers_model(str(tmp_path))
    assert loaded.output_names == ["o1", "o2"]
    assert loaded.get_layer("drop").inbound_nodes[0].kwargs == {"training": True}
    v = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    o1, o2 = (t.numpy() for t in loaded.predict(v))
    np.testing.assert_array_equal(o1, m.predict(v)[0].numpy())
    # The dropout runs in training mode in predict too: each value is dropped, or kept
    # and scaled by 1 / (1 - rate).
    kernel, bias = (w.numpy() for w in loaded.get_layer("h").get_weights())
    h = v @ kernel + bias
    dropped = o2 == 0
    assert 8 <= dropped.sum() <= 24
    np.testing.assert_allclose(o2[~dropped], 2 * h[~dropped], rtol=1e-5)
    # Keras writes null for keywords not given; they are dropped.
    by_name["o1"]["inbound_nodes"] = [[["h", 0, 0, {"training": None}]]]
    write_json(tmp_path, mj)
    assert load_layers_model(str(tmp_path)).get_layer("o1").inbound_nodes[0].kwargs == {}


def test_keras_functional_class_name_and_keys(tmp_path):
    """Keras 2 writes 'Functional' (and InputLayer's 'ragged': false)."""
    m = twice()
    m.save(str(tmp_path))
    mj = read_json(tmp_path)
    mj["modelTopology"]["class_name"] = "Functional"
    mj["modelTopology"]["config"]["layers"][0]["config"]["ragged"] = False
    write_json(tmp_path, mj)
    x = np.ones((2, 3), np.float32)
    loaded = load_layers_model(str(tmp_path))
    assert loaded.class_name == "Model"
    np.testing.assert_array_equal(loaded.predict(x).numpy(), m.predict(x).numpy())


def test_sequential_nested_in_sequential(tmp_path):
    tn.set_seed(2)
    inner = tn.sequential(layers=[tn.layers.dense(units=3, input_shape=[2], name="i1")],
                          name="inner")
    m = tn.sequential(layers=[inner, tn.layers.dense(units=1, name="o")], name="outer")
    m.save(str(tmp_path))
    loaded = load_layers_model(str(tmp_path))
    assert isinstance(loaded.layers[0], Sequential) and loaded.layers[0].name == "inner"
    assert [w.name for w in loaded.weights] == ["i1/kernel", "i1/bias", "o/kernel", "o/bias"]
    x = np.ones((2, 2), np.float32)
    np.testing.assert_array_equal(loaded.predict(x).numpy(), m.predict(x).numpy())


def test_same_layer_name_in_two_nested_models_is_refused_at_save(tmp_path):
    """TF.js names weights by layer: two 'd' layers would write 'd/kernel' twice."""
    x = tn.input(shape=[2])
    inner = tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[2], name="d")])
    m = tn.model(inputs=x, outputs=tn.layers.dense(units=1, name="d").apply(inner.apply(x)))
    for path in (tmp_path / "folder", tmp_path / "m.treino"):
        with pytest.raises(ValueError, match="have a weight named 'd/kernel'.*distinct names"):
            m.save(str(path))
        assert not path.exists()


class _Probe(tn.layers.Layer):
    """Passes its (first) input through and logs each application: (layer, node index)."""
    log = []

    def compute_output_shape(self, input_shape):
        _Probe.log.append((self.name, len(self.inbound_nodes)))
        return input_shape[0] if isinstance(input_shape, list) else input_shape

    def call(self, inputs, training=False):
        return inputs[0] if isinstance(inputs, list) else inputs


def _tfjs_pass_order(layers):
    """TF.js's (Keras 2's) rebuild, done the plain way: passes over the layers in list
    order, each applying a layer's next nodes while their inputs exist."""
    made = {"x": 1}
    pending = {name: list(nodes) for name, nodes in layers if nodes}
    order = []
    while pending:
        before = len(order)
        for name, _ in layers:
            queue = pending.get(name, [])
            while queue and all(made.get(ref[0], 0) > ref[1] for ref in queue[0]):
                queue.pop(0)
                order.append((name, made.get(name, 0)))
                made[name] = made.get(name, 0) + 1
            if name in pending and not queue:
                del pending[name]
        assert len(order) > before
    return order


@pytest.mark.parametrize("seed", range(12))
def test_nodes_are_applied_in_tfjs_pass_order(seed):
    """Random graphs of shared layers, listed in random order: the rebuild applies the
    nodes in the order of TF.js's passes (which decides, e.g., which layer draws its
    initial weights first), without rescanning the list."""
    g = random.Random(seed)
    names = [f"p{i}" for i in range(8)]
    made, nodes = [("x", 0)], {n: [] for n in names}
    for _ in range(14):   # applications in an order that can be run
        name = g.choice(names)
        refs = [[*g.choice(made), 0, {}] for _ in range(g.choice([1, 1, 2]))]
        nodes[name].append(refs)
        made.append((name, len(nodes[name]) - 1))
    entries = [{"name": n, "class_name": "_Probe", "config": {"name": n}, "inbound_nodes": nodes[n]}
               for n in names]
    g.shuffle(entries)
    entries.insert(g.randrange(len(entries) + 1), {
        "name": "x", "class_name": "InputLayer", "inbound_nodes": [],
        "config": {"batch_input_shape": [None, 2], "name": "x"}})
    topology = {"class_name": "Model", "config": {
        "name": "probes", "layers": entries, "input_layers": [["x", 0, 0]],
        "output_layers": [[*made[-1], 0]]}}
    _Probe.log = []
    tn.models.model_from_json(topology, custom_objects={"_Probe": _Probe})
    applied = list(dict.fromkeys(_Probe.log))   # a first application logs twice (build)
    assert applied == _tfjs_pass_order([(e["name"], e["inbound_nodes"]) for e in entries])
