"""Malformed fields in model.json, treino.json and optimizer.json, and invalid layer and
optimizer configs: each becomes the loader's ValueError naming the file and the field
(never a raw TypeError, KeyError, RecursionError, OverflowError or UnicodeDecodeError),
and the process is left as it was."""
import json

import numpy as np
import pytest

from treino.models.saving import tfjs_format

from hostile_util import (read_json, refused, shard_path, tiny_model, treino_members,
                          write_json, write_treino)


@pytest.fixture
def folder(tmp_path):
    m = tiny_model()
    m.save(str(tmp_path))
    return tmp_path


def _layer0(mj):
    return mj["modelTopology"]["config"]["layers"][0]["config"]


def _spec0(mj):
    return mj["weightsManifest"][0]["weights"][0]


def _set(getter, key, value):
    def edit(mj):
        getter(mj)[key] = value
    return edit


MANIFEST = lambda mj: mj["weightsManifest"][0]   # noqa: E731
TOPOLOGY = lambda mj: mj["modelTopology"]        # noqa: E731
TRAINING = lambda mj: mj["trainingConfig"]       # noqa: E731
OPTIMIZER = lambda mj: mj["trainingConfig"]["optimizer_config"]   # noqa: E731
ROOT = lambda mj: mj                             # noqa: E731


@pytest.mark.parametrize("edit, match", [
    (_set(ROOT, "weightsManifest", {}), r"'weightsManifest' must be a list"),
    (_set(ROOT, "weightsManifest", [7]), r"weightsManifest\[0\] must be an object"),
    (_set(MANIFEST, "paths", [3]), r"weightsManifest\[0\]\.paths\[0\] must be a non-empty string"),
    (_set(MANIFEST, "paths", "x.bin"), r"weightsManifest\[0\] must be an object"),
    (_set(MANIFEST, "weights", [None]), r"weightsManifest\[0\]\.weights\[0\] must be an object"),
    (_set(_spec0, "name", 5), r"weights\[0\]\.name must be a non-empty string"),
    (_set(_spec0, "dtype", ["float32"]), r"weights\[0\]\.dtype .* is \['float32'\]"),
    (_set(_spec0, "dtype", "float64"), r"weights\[0\]\.dtype .* is 'float64'"),
    (_set(_spec0, "shape", [10 ** 30, 1]), r"weights\[0\]\.shape .*expected a list of at most 32"),
    (_set(_spec0, "shape", [True, 3]), r"weights\[0\]\.shape"),
    (_set(_spec0, "shape", [4.0, 3]), r"weights\[0\]\.shape"),
    (_set(_spec0, "shape", None), r"weights\[0\]\.shape"),
    (_set(_spec0, "shape", [1] * 33), r"weights\[0\]\.shape"),
    (_set(_spec0, "group", 7), r"weights\[0\]\.group .* is 7"),
    (_set(_spec0, "quantization", {"dtype": "uint8"}), r"weights\[0\] .* is quantized"),
    (_set(MANIFEST, "paths", ["a\0b.bin"]), r"paths\[0\] is 'a\\x00b.bin'"),
    (_set(MANIFEST, "paths", ["\ud800.bin"]), r"paths\[0\] is '\\ud800.bin', which is not a "
                                               r"valid file name"),
    (_set(MANIFEST, "paths", [""]), r"paths\[0\] must be a non-empty string"),
    (_set(ROOT, "format", 5), r"'format' is 5"),
    (_set(ROOT, "modelTopology", []), r"no 'modelTopology' object"),
    (_set(TOPOLOGY, "config", {"layers": {}}), r"'modelTopology.config.layers' must be a non-empty"),
    (_set(TOPOLOGY, "config", {"layers": [3]}), r"layers\[0\] must be \{'class_name'"),
    (_set(TOPOLOGY, "model_config", 5), r"holds a None model"),
    (lambda mj: mj["modelTopology"]["config"]["layers"][0].update(class_name=["Dense"]),
     r"layers\[0\] must be \{'class_name'"),
    (lambda mj: mj["modelTopology"]["config"].update(name=12), r"config.name must be a non-empty"),
    (_set(_layer0, "units", "3"), r"layer 0 \(Dense 'dense_Dense\d+'\) has an invalid config: "
                                  r".*units"),
    (_set(_layer0, "units", 10 ** 300), r"layer 0 .*creates weight .* more values than"),
    (_set(_layer0, "activation", {"class_name": 3}), r"layer 0 \(Dense .*invalid config"),
    (_set(_layer0, "kernel_initializer", [1, 2]), r"layer 0 \(Dense .*invalid config"),
    (_set(_layer0, "unknown_option", 1), r"layer 0 \(Dense .*invalid config.*unknown_option"),
    (_set(_layer0, "units", 3.5), r"layer 0 \(Dense .*invalid config"),
    (lambda mj: _layer0(mj).update(useBias=True), r"layers\[0\]\.config gives 'use_bias' twice"),
    (_set(ROOT, "trainingConfig", []), r"'trainingConfig' must be an object"),
    (_set(TRAINING, "optimizer_config", []), r"trainingConfig.optimizer_config names unknown "
                                             r"optimizer \[\]"),
    (_set(OPTIMIZER, "class_name", {"a": 1}), r"optimizer_config names unknown optimizer"),
    (_set(OPTIMIZER, "config", [1]), r"optimizer_config.config must be an object"),
    (_set(OPTIMIZER, "config", {"learningRate": "fast"}), r"bad Adam optimizer config"),
    (_set(OPTIMIZER, "config", {"learningRate": 1e400}), r"bad Adam optimizer config"),
    (_set(OPTIMIZER, "config", {"noSuchKey": 1}), r"bad Adam optimizer config"),
    (_set(TRAINING, "loss", {"a": 1}), r"trainingConfig's loss must be an id, or a list or"),
    (_set(TRAINING, "metrics", [{"a": [{}]}]), r"trainingConfig's metrics must be an id"),
    (_set(TRAINING, "loss", "noSuchLoss"), r"cannot compile with the saved training config"),
])
def test_malformed_model_json_fields(folder, edit, match):
    mj = read_json(folder)
    edit(mj)
    write_json(folder, mj)
    refused(folder, match)


@pytest.mark.parametrize("text, match", [
    (b"\xff\xfe{}", r"model.json is not UTF-8 text \(invalid byte at offset 0\)"),
    (b'{"a": "\xc3\x28"}', r"model.json is not UTF-8 text"),
    (b"[" * 100_000 + b"]" * 100_000, r"model.json nests deeper than 100 levels"),
    (b"[" * 150 + b"]" * 150, r"model.json nests deeper than 100 levels"),
    (b'{"weightsManifest": ' + b"1" * 5000 + b"}", r"model.json is not valid JSON"),
    (b"", r"model.json is not valid JSON"),
    (b"null", r"model.json must hold a JSON object, received NoneType"),
])
def test_undecodable_model_json(folder, text, match):
    (folder / "model.json").write_bytes(text)
    refused(folder, match)


def test_huge_numbers_in_places_that_convert(folder):
    mj = read_json(folder)
    _layer0(mj)["batch_input_shape"] = [None, 1e308 * 10]   # Infinity after parsing
    write_json(folder, mj)
    refused(folder, r"layer 0 \(Dense .*invalid config")


# -- what only the loader can check -----------------------------------------------------

def test_input_layer_in_the_middle(folder):
    mj = read_json(folder)
    layers = mj["modelTopology"]["config"]["layers"]
    layers.insert(1, {"class_name": "InputLayer",
                      "config": {"batch_input_shape": [None, 3], "name": "late_input"}})
    write_json(folder, mj)
    refused(folder, r"layer 1 \(InputLayer 'late_input'\) is an input layer after other layers")


def _add_optimizer_weights(folder, entries):
    """Appends (name, array) optimizer entries to the folder's single group and shard."""
    mj = read_json(folder)
    specs, blob = tfjs_format.encode_weights(entries, group="optimizer")
    mj["weightsManifest"][0]["weights"] += specs
    write_json(folder, mj)
    shard = shard_path(folder)
    shard.write_bytes(shard.read_bytes() + blob)


def _kernel(folder):
    return read_json(folder)["weightsManifest"][0]["weights"][0]


@pytest.mark.parametrize("entries, match", [
    ([("iter", np.int32(-3))], r"'iter' \(the step count\) must be one integer in "
                               r"\[0, 2\*\*31 - 1\], received shape \[\] -3"),
    ([("iter", np.float32(2.5))], r"'iter' .* received shape \[\] 2.5"),
    ([("iter", np.float32(np.inf))], r"'iter' .* received shape \[\] inf"),
    ([("iter", np.float32(3e9))], r"'iter'"),
    ([("iter", np.array([1, 2], np.int32))], r"'iter' .* received shape \[2\]"),
    ([("iter", np.int32(1)), ("iter", np.int32(2))], r"optimizer weight 'iter' appears twice"),
    ("duplicate slot", r"optimizer weight '.*/kernel/m' appears twice"),
])
def test_bad_optimizer_weights(folder, entries, match):
    if entries == "duplicate slot":
        k = _kernel(folder)
        slot = np.zeros(k["shape"], np.float32)
        entries = [("iter", np.int32(1)), (f"{k['name']}/m", slot), (f"{k['name']}/m", slot)]
    _add_optimizer_weights(folder, entries)
    refused(folder, match)
    refused(folder, match, strict=False)   # a malformed file, not a state that does not fit


def test_good_optimizer_weights_still_load(folder):
    k = _kernel(folder)
    _add_optimizer_weights(folder, [("iter", np.int32(5)),
                                    (f"{k['name']}/m", np.ones(k["shape"], np.float32))])
    from treino.models.saving import load_layers_model
    m = load_layers_model(str(folder))
    assert m.optimizer.iterations == 5
    assert any(np.array_equal(w["tensor"].numpy(), np.ones(k["shape"], np.float32))
               for w in m.optimizer.get_weights() if w["name"].endswith("/m"))


# -- .treino's own members ------------------------------------------------------------

@pytest.fixture
def treino(tmp_path):
    path = tmp_path / "m.treino"
    tiny_model().save(str(path))
    return path


def _edit_member(path, name, edit):
    members = treino_members(path)
    value = json.loads(members[name])
    new = edit(value)
    value = value if new is None else new
    members[name] = json.dumps(value).encode()
    write_treino(path, members)


@pytest.mark.parametrize("edit, match", [
    (lambda m: m.update(version="1"), r"treino.json: this is a .treino file of version '1'"),
    (lambda m: m.update(version=2), r"version 2; this treino reads versions 1 to 1"),
    (lambda m: m.update(format=None), r"treino.json must be an object with \"format\""),
    (lambda m: [], r"treino.json must be an object"),
    (lambda m: m.update(random_state=[]), r"random_state must be an object"),
    (lambda m: m["random_state"].update(layers=[]), r"random_state must be an object"),
    (lambda m: m["random_state"].update(**{"global": {"bit_generator": "MT19937"}}),
     r"random_state.global is not a saved PCG64 generator state"),
    (lambda m: m["random_state"]["global"]["state"].update(state=-1),
     r"random_state.global is not a saved PCG64"),
    (lambda m: m["random_state"]["global"]["state"].update(inc=2 ** 200),
     r"random_state.global is not a saved PCG64"),
    (lambda m: m["random_state"]["global"].update(has_uint32=5),
     r"random_state.global is not a saved PCG64"),
    (lambda m: m["random_state"]["layers"].update(d={"x": 1}),
     r"random_state.layers\['d'\] is not a saved PCG64"),
])
def test_malformed_treino_json(treino, edit, match):
    _edit_member(treino, "treino.json", edit)
    refused(treino, match)


def test_malformed_optimizer_json(treino):
    _edit_member(treino, "optimizer.json", lambda o: [1])
    refused(treino, r"optimizer.json must hold an object with a 'weightsManifest'")
    _edit_member(treino, "optimizer.json", lambda o: {"weightsManifest": [{"paths": [],
                                                                           "weights": [3]}]})
    refused(treino, r"optimizer.json weightsManifest\[0\]\.weights\[0\] must be an object")


def test_undecodable_treino_json(treino):
    members = treino_members(treino)
    members["treino.json"] = b"\x80{}"
    write_treino(treino, members)
    refused(treino, r"treino.json is not UTF-8 text")



# -- found by tests/fuzz: constructors failing with Python's own errors ---------------------

@pytest.mark.parametrize("layer, key, value", [
    (0, "kernel_initializer", {"class_name": "VarianceScaling", "config": "fan_avg"}),
    (0, "kernel_regularizer", {"class_name": "L1L2", "config": [1]}),
    (0, "bias_initializer", {"class_name": "VarianceScaling",
                             "config": {"distributeon": "normal"}}),
    (0, "batch_input_shape", [None, 1e400]),
    (0, "kernel_regulari_regularizer", None),
])
def test_constructor_errors_of_any_type_name_the_layer(folder, layer, key, value):
    """Whatever a constructor raises (AttributeError, OverflowError, TypeError...), the
    load fails with the loader's ValueError naming the layer."""
    mj = read_json(folder)
    mj["modelTopology"]["config"]["layers"][layer]["config"][key] = value
    write_json(folder, mj)
    refused(folder, rf"layer {layer} \(Dense 'dense_Dense\d+'\) has an invalid config: ")


# -- layer configs the constructors refuse, named by the loader ---------------------------

@pytest.mark.parametrize("layer, key, value, match", [
    (0, "batch_input_shape", [None, 2.5], r"layer 0 \(Dense 'dense_Dense\d+'\) has an invalid "
                                          r"config: .*batch_input_shape"),
    (0, "trainable", "false", r"layer 0 \(Dense .*invalid config: .*trainable"),
    (0, "dtype", "float64", r"layer 0 \(Dense .*invalid config: .*dtype"),
    (0, "dtype", "complex64", r"layer 0 \(Dense .*invalid config: .*dtype"),
    (1, "noise_shape", [], r"layer 1 \(Dropout 'dropout_Dropout\d+'\) has an invalid config: "
                           r".*noise_shape"),
    (1, "rate", 1.5, r"layer 1 \(Dropout .*invalid config: .*rate"),
])
def test_invalid_layer_configs(folder, layer, key, value, match):
    mj = read_json(folder)
    mj["modelTopology"]["config"]["layers"][layer]["config"][key] = value
    write_json(folder, mj)
    refused(folder, match)


def test_keras_only_keys_with_neutral_values_load_as_tfjs_ignores_them(tmp_path):
    """A model.json converted from Keras carries keys TF.js's layers ignore (InputLayer's
    ragged: false); they load, while a non-neutral value is still refused."""
    import treino as tn
    model = tn.sequential(layers=[tn.layers.input_layer(input_shape=[3]),
                                  tn.layers.dense(units=2)])
    model.save(str(tmp_path / "m"))
    path = tmp_path / "m" / "model.json"
    mj = json.loads(path.read_text())
    layers = mj["modelTopology"]["config"]["layers"]
    layers[0]["config"]["ragged"] = False
    path.write_text(json.dumps(mj))
    loaded = tn.load_layers_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 3), np.float32)).numpy(),
                                  model.predict(np.ones((1, 3), np.float32)).numpy())
    layers[0]["config"]["ragged"] = True
    path.write_text(json.dumps(mj))
    with pytest.raises(ValueError, match="ragged"):
        tn.load_layers_model(str(tmp_path / "m"))
