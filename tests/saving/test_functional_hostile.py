"""Malformed functional topologies: inbound nodes of the wrong shape or type, references
to layers or nodes that do not exist, huge indices, self-references and cycles,
duplicated names, bad input_layers / output_layers, call keywords, nesting too deep.
Each becomes the loader's ValueError naming the file, the field and the layer, in
bounded time, with no warning and the process state (random generator, default-name
counters) as it was."""
import copy
import json
import random

import pytest

import treino as tn
from treino.models.saving import LoadError, limits

from functional_util import towers
from hostile_util import read_json, refused, write_json

# towers()'s layers, in model.json's order.
LEFT, RIGHT, SHARED, MERGE, INNER, SUB = range(6)
CONFIG = "modelTopology.config"


@pytest.fixture(scope="module")
def saved_mj(tmp_path_factory):
    folder = tmp_path_factory.mktemp("towers")
    towers().save(str(folder))
    return folder, read_json(folder)


@pytest.fixture
def folder(saved_mj, tmp_path):
    source, mj = saved_mj
    (tmp_path / "model.json").write_text(json.dumps(mj))
    for shard in source.glob("*.bin"):
        (tmp_path / shard.name).write_bytes(shard.read_bytes())
    return tmp_path


def _config(mj):
    return mj["modelTopology"]["config"]


def _entry(i):
    return lambda mj: _config(mj)["layers"][i]


def _set(getter, key, value):
    def edit(mj):
        getter(mj)[key] = value
    return edit


def _nodes(i, value):
    return _set(_entry(i), "inbound_nodes", value)


def _ref(i, value, node=0, j=0):
    def edit(mj):
        _config(mj)["layers"][i]["inbound_nodes"][node][j] = value
    return edit


L = rf"{CONFIG}\.layers"


@pytest.mark.parametrize("edit, match", [
    # shapes and types of the config, the entries and their inbound nodes
    (lambda mj: mj["modelTopology"].update(config=_config(mj)["layers"]),
     rf"'{CONFIG}' must be an object \{{'name', 'layers', 'input_layers', 'output_layers'\}}, "
     r"received \[\{"),
    (lambda mj: _entry(SUB)(mj).update(config=[]), rf"{L}\[5\] must be \{{'name'"),
    (lambda mj: _entry(SHARED)(mj).pop("inbound_nodes"),
     rf"{L}\[2\] must be \{{'name': '...', 'class_name'"),
    (_nodes(SHARED, {"0": []}), rf"{L}\[2\] must be \{{'name'"),
    (_set(_entry(SHARED), "name", 7), rf"{L}\[2\] must be \{{'name'"),
    (_set(_entry(SHARED), "name", ""), rf"{L}\[2\] must be \{{'name'"),
    (_nodes(SHARED, [{"args": [], "kwargs": {}}]), r"inbound_nodes\[0\] is an object \(Keras 3's"),
    (_nodes(SHARED, [[]]), rf"{L}\[2\]\.inbound_nodes\[0\] must be a non-empty list of "
                           r"\[layer name, node index, tensor index, kwargs\] inputs"),
    (_nodes(SHARED, ["left"]), r"inbound_nodes\[0\] must be a non-empty list"),
    (_ref(SHARED, ["left", 0]), r"inbound_nodes\[0\]\[0\] must be \[layer name, node index"),
    (_ref(SHARED, ["left", 0, 0, {}, 1]), r"inbound_nodes\[0\]\[0\] must be \[layer name"),
    (_ref(SHARED, "left"), r"inbound_nodes\[0\]\[0\] must be \[layer name"),
    (_ref(SHARED, [5, 0, 0, {}]), r"\[0\]\[0\]\[0\] \(a layer name\) must be a non-empty string"),
    (_ref(SHARED, ["left", True, 0, {}]), r"\[0\]\[0\]\[1\] \(a node index\) must be an int >= 0, "
                                          r"received True"),
    (_ref(SHARED, ["left", -1, 0, {}]), r"\(a node index\) must be an int >= 0, received -1"),
    (_ref(SHARED, ["left", 0.0, 0, {}]), r"\(a node index\) must be an int >= 0, received 0.0"),
    (_ref(SHARED, ["left", None, 0, {}]), r"\(a node index\) must be an int >= 0, received None"),
    (_ref(SHARED, ["left", 0, "0", {}]), r"\(a tensor index\) must be an int >= 0, received '0'"),
    (_ref(SHARED, ["left", 10 ** 30, 0, {}]),
     rf"{L}\[2\]\.inbound_nodes\[0\]\[0\] refers to node 10{{30}} of layer 'left'; an input "
     r"layer has node 0 only"),
    (_ref(MERGE, ["shared", 2, 0, {}], j=1), r"refers to node 2 of layer 'shared'; its config "
                                            r"declares 2 nodes"),
    (_ref(SHARED, ["left", 0, 10 ** 30, {}]),
     r"inbound_nodes\[0\]\[0\] asks for output 10{30} of node 0 of layer 'left', which has 1 "
     r"output$"),
    (_ref(SHARED, ["ghost", 0, 0, {}]), r"names layer 'ghost', which the model does not have "
                                        r"\(its layers: left, right, shared, merge, inner_seq, sub\)"),
    # nodes that wait on each other
    (_ref(SHARED, ["shared", 1, 0, {}]),
     r"layers\[2\]\.inbound_nodes\[0\]: layer 2 \(Dense 'shared'\) never gets its inputs "
     r"\('shared' waits for node 1 of 'shared'\): the inbound nodes form a cycle"),
    (_ref(SHARED, ["merge", 0, 0, {}]), r"never gets its inputs \('shared' waits for node 0 of "
                                        r"'merge'; 'merge' waits for node 0 of 'shared'\)"),
    (_ref(SHARED, ["sub", 1, 0, {}]), r"waits for node 0 of 'merge'; 'merge' waits for node 0 "
                                      r"of 'shared'.*form a cycle"),
    # names
    (_set(_entry(MERGE), "name", "shared"), rf"{L}\[3\]\.name 'shared' is also the name of "
                                            rf"{L}\[2\]; layer names must be unique"),
    (lambda mj: _entry(SHARED)(mj)["config"].update(name="other"),
     rf"{L}\[2\]\.config\.name is 'other' but the layer is named 'shared'"),
    # keyword arguments of a call
    (_ref(SHARED, ["left", 0, 0, 5]), r"\[0\]\[0\]\[3\] \(the call's keyword arguments\) must be "
                                      r"an object or null, received 5"),
    (_ref(MERGE, ["shared", 1, 0, {"training": True}], j=1),
     r"inbound_nodes\[0\]\[1\]\[3\] gives the keyword arguments \{'training': True\} but "
     r"[^ ]+inbound_nodes\[0\]\[0\] gives \{\}; the inputs of one call share"),
    (_ref(SHARED, ["left", 0, 0, {"seed": 1}]),
     r"calls layer 2 \(Dense 'shared'\) with the keyword argument \['seed'\]; its call accepts "
     r"\['training'\]"),
    (_ref(SHARED, ["left", 0, 0, {"mask": [True]}]),
     r"inbound_nodes\[0\]\[0\]\[3\] gives layer 2 \(Dense 'shared'\) a mask \(\[True\]\); "
     r"masks come from the layers that make them"),
    (_ref(SUB, ["inner_seq", 1, 0, {"skip_last_activation": True}]),
     r"calls layer 5 \(Model 'sub'\) with the keyword argument \['skip_last_activation'\]"),
    (_ref(SHARED, ["left", 0, 0, {"training": "yes"}]),
     r"layer 2 \(Dense 'shared'\) cannot be applied to its inbound node 0 \(input shapes "
     r"\[null,4\]\): .*training"),
    (_nodes(LEFT, [[["right", 0, 0, {}]]]), rf"{L}\[0\]\.inbound_nodes must be empty: an input "
                                            r"layer takes no inputs"),
    # the model's inputs and outputs
    (_set(_config, "input_layers", []), rf"'{CONFIG}\.input_layers' must be a non-empty list"),
    (_set(_config, "input_layers", "left"), rf"'{CONFIG}\.input_layers' must be a non-empty"),
    (_set(_config, "input_layers", [["left", 0]]), r"input_layers\[0\] must be \[layer name, "
                                                   r"node index, tensor index\]"),
    (_set(_config, "input_layers", [["left", 0, 0], ["shared", 0, 0]]),
     r"input_layers\[1\] names layer 'shared', a Dense; a model's inputs are input layers"),
    (_set(_config, "input_layers", [["left", 0, 0], ["ghost", 0, 0]]),
     r"input_layers\[1\] names layer 'ghost', which the model does not have"),
    (_set(_config, "input_layers", [["left", 0, 0]]),
     r"the layers do not make a model: Graph disconnected: cannot obtain value for tensor right"),
    (_set(_config, "output_layers", [["sub", 0, 0]]),
     r"output_layers\[0\] refers to node 0 of layer 'sub'; its call in this model is node 1; "
     r"node 0 of a nested model links its own inputs to its outputs"),
    (_set(_config, "output_layers", [["sub", 2, 0]]), r"refers to node 2 of layer 'sub'"),
    (_set(_config, "output_layers", [["sub", 1, 1]]), r"output_layers\[0\] asks for output 1 of "
                                                      r"node 1 of layer 'sub', which has 1 output"),
    (_set(_config, "output_layers", None), rf"'{CONFIG}\.output_layers' must be a non-empty list"),
    # inside nested models: the field says where
    (lambda mj: _entry(SUB)(mj)["config"].update(input_layers=[["sub_dense", 0, 0]]),
     rf"{L}\[5\]\.config\.input_layers\[0\] names layer 'sub_dense', a Dense"),
    (lambda mj: _entry(INNER)(mj)["config"]["layers"][0].update(class_name="Mystery"),
     r"layer 4 \(Sequential 'inner_seq'\) > layer 0 has unknown class 'Mystery'"),
    (lambda mj: _entry(INNER)(mj)["config"]["layers"][1]["config"].update(momentum="high"),
     r"layer 4 \(Sequential 'inner_seq'\) > layer 1 \(BatchNormalization 'inner_bn'\) has an "
     r"invalid config"),
    (lambda mj: _entry(SUB)(mj)["config"]["layers"][1].update(inbound_nodes=[[["sub", 0, 0]]]),
     rf"{L}\[5\]\.config\.layers\[1\]\.inbound_nodes\[0\]\[0\] names layer 'sub', which the "
     r"model does not have"),
])
def test_malformed_functional_topology(folder, edit, match):
    mj = read_json(folder)
    edit(mj)
    write_json(folder, mj)
    refused(folder, match)


def _nested(tmp_path, levels):
    """A folder whose model is a Sequential holding a dense layer, wrapped in `levels`
    more Sequential models, each holding the previous."""
    tn.set_seed(0)
    tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[3], name="d")],
                  name="core").save(str(tmp_path))
    mj = read_json(tmp_path)
    for i in range(levels):
        mj["modelTopology"] = {"class_name": "Sequential", "config": {
            "name": f"wrap{i}", "layers": [copy.deepcopy(mj["modelTopology"])]}}
    write_json(tmp_path, mj)
    return tmp_path


def test_nesting_deeper_than_the_limit(tmp_path, monkeypatch):
    m = tn.load_layers_model(str(_nested(tmp_path / "ok", 16)))
    for _ in range(16):
        m = m.layers[0]
    assert m.name == "core" and m.layers[0].name == "d"
    refused(_nested(tmp_path / "deep", 17),
            r"modelTopology(\.config\.layers\[0\]){17}\.config is a model nested 17 models "
            r"deep; a loader reads at most 16 levels")
    monkeypatch.setattr(limits, "MAX_MODEL_DEPTH", 2)
    refused(_nested(tmp_path / "three", 3), r"nested 3 models deep; a loader reads at most 2")


def test_layer_and_node_counts_include_nested_models(folder, monkeypatch):
    monkeypatch.setattr(limits, "MAX_LAYERS", 8)   # 6 here, 2 in each nested model
    refused(folder, r"the model and the models nested in it have more than 8 layers")
    monkeypatch.setattr(limits, "MAX_LAYERS", 10)
    monkeypatch.setattr(limits, "MAX_NODES", 5)
    refused(folder, r"the topology has more than 5 inbound nodes or node inputs")


def test_one_node_with_a_huge_input_list_is_refused_before_it_is_read(folder, monkeypatch):
    monkeypatch.setattr(limits, "MAX_NODES", 1000)
    mj = read_json(folder)
    _entry(MERGE)(mj)["inbound_nodes"] = [[["shared", 0, 0, {}]] * 5000]
    write_json(folder, mj)
    refused(folder, r"more than 1000 inbound nodes or node inputs")


def test_nested_layer_too_big_for_the_file_is_refused_before_allocation(folder):
    """A 1 KB edit declaring a 30000 x 30000 kernel (3.6 GB) inside a nested model."""
    mj = read_json(folder)
    _entry(INNER)(mj)["config"]["layers"][0]["config"]["units"] = 30000
    _entry(SUB)(mj)["config"]["layers"][0]["config"]["batch_input_shape"] = [None, 30000]
    write_json(folder, mj)
    refused(folder, r"layer 4 \(Sequential 'inner_seq'\) > layer 0 \(Dense 'inner_dense'\) "
                    r"creates weight 'inner_dense/kernel' of shape \[10, 30000\].*more values "
                    r"than the \d+ its weights manifest holds", peak_mb=20)


def test_failures_restore_default_name_counters(folder):
    """Configs without names take default ones (functional and Sequential models, layers);
    a load failing after that gives them back."""
    mj = read_json(folder)
    del _config(mj)["name"]
    del _entry(INNER)(mj)["config"]["layers"][0]["config"]["name"]
    mj["weightsManifest"][0]["weights"][0]["name"] = "renamed/kernel"
    write_json(folder, mj)
    refused(folder, r"the weights do not match the model \(missing from the file: "
                    r"shared/kernel")
    wrapped = read_json(folder)
    wrapped["modelTopology"] = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Sequential", "config": {"layers": [
            {"class_name": "Dense", "config": {"units": 2, "batch_input_shape": [None, 8]}}]}},
        {"class_name": "Dense", "config": {"units": "many"}}]}}
    write_json(folder, wrapped)
    refused(folder, r"layer 1 \(Dense None\) has an invalid config")


def test_cycle_through_many_layers_fails_fast(folder):
    """A cycle of 2000 layers: found when nothing is left to apply (one pass of work),
    not by rescanning; the message shows its first steps."""
    mj = read_json(folder)
    n = 2000
    mj["modelTopology"]["config"]["layers"] += [
        {"name": f"c{i}", "class_name": "Activation",
         "config": {"activation": "linear", "name": f"c{i}"},
         "inbound_nodes": [[[f"c{(i + 1) % n}", 0, 0, {}]]]} for i in range(n)]
    write_json(folder, mj)
    refused(folder, r"layer 6 \(Activation 'c0'\) never gets its inputs \('c0' waits for node 0 "
                    r"of 'c1'; 'c1' waits for node 0 of 'c2'; .*cycle")


def test_builtin_class_names_win_over_nothing_else(folder):
    """A functional topology naming an unknown class lists the known ones and says how
    to register a custom class."""
    mj = read_json(folder)
    _entry(SHARED)(mj)["class_name"] = "MyDense"
    write_json(folder, mj)
    refused(folder, r"layer 2 has unknown class 'MyDense'; known layer classes: .*Dense.*"
                    r"registered with tn.serialization.register_class")


def test_edited_copy_still_loads(folder):
    """The fixture itself is valid (every refusal above comes from its edit)."""
    m = tn.load_layers_model(str(folder))
    assert [l.name for l in m.layers] == ["left", "right", "shared", "merge", "inner_seq", "sub"]


def _paths(value, path=()):
    """Every (container, key) in a JSON value, depth first."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for k, v in items:
        yield value, k
        yield from _paths(v, path + (k,))


_JUNK = [None, True, -1, 0, 1, 2, 10 ** 30, 1.5, "", "shared", "sub", "left", [], {}, [[]],
         ["left", 0, 0], ["shared", 1, 0, {}], [["left", 0, 0, {}]], {"training": True},
         {"class_name": "Dense", "config": {}}]


def test_random_edits_give_the_loaders_errors_only(saved_mj, tmp_path):
    """Random fields of the topology replaced by junk: each load succeeds or raises the
    loader's ValueError, never another exception."""
    source, mj = saved_mj
    for shard in source.glob("*.bin"):
        (tmp_path / shard.name).write_bytes(shard.read_bytes())
    g = random.Random(0)
    outcomes = set()
    for _ in range(250):
        edited = copy.deepcopy(mj)
        spots = list(_paths(edited["modelTopology"]))
        for container, key in g.sample(spots, g.choice([1, 1, 2, 3])):
            container[key] = copy.deepcopy(g.choice(_JUNK))
        write_json(tmp_path, edited)
        try:
            tn.load_layers_model(str(tmp_path))
            outcomes.add("loaded")
        except LoadError as e:
            assert str(e).startswith("load_layers_model: '")
            outcomes.add("refused")
    assert outcomes == {"loaded", "refused"}
