"""model.save('dir') / tn.load_layers_model: TF.js's layers-model folder, checked
against the format's definition (independently decoded with numpy), plus every way a
load can fail."""
import json
import os
import re
import warnings

import numpy as np
import pytest

import treino as tn
from treino.models.saving import load_layers_model, tfjs_format
from treino.models.saving.loading import optimizer_state

from saving_util import small_model, trained_model


@pytest.fixture
def trained():
    return trained_model()


def read_json(folder):
    with open(os.path.join(folder, "model.json")) as f:
        return json.load(f)


def write_json(folder, mj):
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(mj, f)


def shard_names(folder):
    return sorted(n for n in os.listdir(folder) if n != "model.json")


def test_model_json_layout_and_shard_bytes(trained, tmp_path):
    m, _, _ = trained
    m.save(str(tmp_path))
    # A first save uses TF.js's converter's name; a save over it a fresh per-save token
    # (the save never overwrites a file model.json names), and removes the old shard.
    assert sorted(os.listdir(tmp_path)) == ["group1-shard1of1.bin", "model.json"]
    m.save(str(tmp_path))
    [shard] = shard_names(tmp_path)
    assert re.fullmatch(r"group1-[0-9a-f]{12}-shard1of1\.bin", shard)
    assert sorted(os.listdir(tmp_path)) == [shard, "model.json"]
    mj = read_json(tmp_path)
    assert mj["format"] == "layers-model" and mj["convertedBy"] is None
    assert mj["generatedBy"].startswith("treino ")
    topo = mj["modelTopology"]
    assert topo["class_name"] == "Sequential" and topo["keras_version"] == "tfjs-layers 4.22.0"
    assert topo["backend"] == "tensor_flow.js"
    layers = topo["config"]["layers"]
    assert [l["class_name"] for l in layers] == ["Dense", "Flatten", "BatchNormalization",
                                                "Dropout", "Reshape", "Activation", "Flatten",
                                                "Dense"]
    assert layers[0]["config"]["batch_input_shape"] == [None, 2, 3]
    assert layers[7]["config"]["kernel_regularizer"]["class_name"] == "L1L2"
    assert layers[7]["config"]["kernel_constraint"]["class_name"] == "MaxNorm"
    # TF.js's order: trainable weights, then the moving statistics.
    specs = mj["weightsManifest"][0]["weights"]
    bn = m.layers[2].name  # batch_normalization_BatchNormalizationN: N counts per process
    assert bn.startswith("batch_normalization_BatchNormalization")
    names = [s["name"] for s in specs]
    assert names[-2:] == [f"{bn}/moving_mean", f"{bn}/moving_variance"]
    assert names[0].endswith("/kernel") and names[0].startswith("dense_Dense")
    assert mj["weightsManifest"][0]["paths"] == [shard]
    # The shard is the little-endian float32 values concatenated in manifest order.
    by_name = {w.name: w.val.numpy() for w in m.weights}
    expect = b"".join(by_name[s["name"]].astype("<f4").tobytes() for s in specs)
    assert (tmp_path / shard).read_bytes() == expect
    assert [list(by_name[s["name"]].shape) for s in specs] == [s["shape"] for s in specs]
    tc = mj["trainingConfig"]
    assert tc["loss"] == "categorical_crossentropy" and tc["metrics"] == ["acc"]
    assert tc["optimizer_config"] == {"class_name": "Adam", "config": {
        "learningRate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}}


def test_round_trip_restores_everything(trained, tmp_path):
    m, x, y = trained
    bn = m.layers[2]
    assert np.abs(bn.moving_mean.val.numpy()).max() > 0.01  # the statistics moved
    m.save(str(tmp_path / "m"))
    for target in (tmp_path / "m", tmp_path / "m" / "model.json"):
        m2 = load_layers_model(str(target))
        assert isinstance(m2, tn.Sequential) and m2.name == m.name
        assert [w.name for w in m2.weights] == [w.name for w in m.weights]
        for a, b in zip(m.get_weights(), m2.get_weights()):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(m.predict(x).numpy(), m2.predict(x).numpy())
        assert type(m2.optimizer) is type(m.optimizer)
        assert m2.optimizer.get_config() == m.optimizer.get_config()
        assert m2.get_config()["layers"] == m.get_config()["layers"]
        # Compiled from the training config: fit continues.
        h = m2.fit(x, y, epochs=1, verbose=0)
        assert set(h.history) == {"loss", "acc"}


def test_compile_false_and_uncompiled_models(trained, tmp_path):
    m, x, _ = trained
    m.save(str(tmp_path / "a"))
    assert load_layers_model(str(tmp_path / "a"), compile=False).optimizer is None
    u = small_model(compiled=False)
    u.save(str(tmp_path / "b"))
    assert "trainingConfig" not in read_json(tmp_path / "b")
    m2 = load_layers_model(str(tmp_path / "b"))
    assert m2.optimizer is None
    np.testing.assert_array_equal(u.predict(x).numpy(), m2.predict(x).numpy())
    m.save(str(tmp_path / "c"), include_optimizer=False)
    assert "trainingConfig" not in read_json(tmp_path / "c")


def test_callable_loss_saves_without_training_config(tmp_path):
    m = small_model(compiled=False)
    m.compile(optimizer="sgd", loss=lambda t, p: tn.mean(tn.square(tn.sub(t, p))))
    with pytest.warns(UserWarning, match="training config"):
        m.save(str(tmp_path))
    assert "trainingConfig" not in read_json(tmp_path)


def test_large_weights_split_into_4mb_shards(tmp_path):
    tn.set_seed(0)
    m = tn.sequential(layers=[tn.layers.dense(units=1030, input_shape=[1100]),
                              tn.layers.dense(units=2)])
    m.save(str(tmp_path))
    first, second = shard_names(tmp_path)
    assert (first, second) == ("group1-shard1of2.bin", "group1-shard2of2.bin")
    assert read_json(tmp_path)["weightsManifest"][0]["paths"] == [first, second]
    total = (1100 * 1030 + 1030 + 1030 * 2 + 2) * 4
    assert os.path.getsize(tmp_path / first) == 4 * 1024 * 1024
    assert os.path.getsize(tmp_path / second) == total - 4 * 1024 * 1024
    m2 = load_layers_model(str(tmp_path))
    for a, b in zip(m.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    # A smaller model saved over it removes the shards nothing names any more.
    small_model().save(str(tmp_path))
    [shard] = shard_names(tmp_path)
    assert re.fullmatch(r"group1-[0-9a-f]{12}-shard1of1\.bin", shard)
    assert sorted(os.listdir(tmp_path)) == [shard, "model.json"]


def test_reads_any_shard_names_and_groups(trained, tmp_path):
    """TF.js's tfjs-node writes 'weights.bin'; the converter may write several groups."""
    m, x, _ = trained
    m.save(str(tmp_path))
    mj = read_json(tmp_path)
    specs = mj["weightsManifest"][0]["weights"]
    data_ = _shard(tmp_path).read_bytes()
    os.remove(_shard(tmp_path))
    cut = sum(int(np.prod(s["shape"])) * 4 for s in specs[:3])
    (tmp_path / "a.bin").write_bytes(data_[:cut])
    (tmp_path / "b.bin").write_bytes(data_[cut:])
    mj["weightsManifest"] = [{"paths": ["a.bin"], "weights": specs[:3]},
                             {"paths": ["b.bin"], "weights": specs[3:]}]
    write_json(tmp_path, mj)
    np.testing.assert_array_equal(load_layers_model(str(tmp_path)).predict(x).numpy(),
                                  m.predict(x).numpy())


@pytest.fixture
def saved(trained, tmp_path):
    m, _, _ = trained
    m.save(str(tmp_path))
    return tmp_path


def _shard(folder):
    [path] = read_json(folder)["weightsManifest"][0]["paths"]
    return folder / path


@pytest.mark.parametrize("edit, match", [
    (lambda b: b[:-4], r"holds \d+ bytes but its \d+ weights need"),
    (lambda b: b[:10], r"truncated, corrupted"),
    (lambda b: b + b"\0\0\0\0", r"holds \d+ bytes"),
])
def test_wrong_byte_counts(saved, edit, match):
    _shard(saved).write_bytes(edit(_shard(saved).read_bytes()))
    with pytest.raises(ValueError, match=match):
        load_layers_model(str(saved))


def test_missing_shard_file(saved):
    os.remove(_shard(saved))
    with pytest.raises(ValueError, match=r"cannot open weight shard 'group1-"
                                         r"shard1of1.bin'.*No such file"):
        load_layers_model(str(saved))


def _drop_weight(folder, name_end):
    mj = read_json(folder)
    specs = mj["weightsManifest"][0]["weights"]
    data_, out, offset = _shard(folder).read_bytes(), b"", 0
    kept = []
    for s in specs:
        n = int(np.prod(s["shape"])) * 4
        if not s["name"].endswith(name_end):
            kept.append(s)
            out += data_[offset:offset + n]
        offset += n
    mj["weightsManifest"][0]["weights"] = kept
    write_json(folder, mj)
    _shard(folder).write_bytes(out)


def test_missing_weight(saved):
    _drop_weight(saved, "/moving_variance")
    with pytest.raises(ValueError, match=r"missing from the file: batch_normalization_"
                                         r"BatchNormalization\d+/moving_variance"):
        load_layers_model(str(saved))


def test_extra_weight(saved):
    mj = read_json(saved)
    mj["weightsManifest"][0]["weights"].append({"name": "ghost/kernel", "shape": [2],
                                                "dtype": "float32"})
    write_json(saved, mj)
    _shard(saved).write_bytes(_shard(saved).read_bytes() + b"\0" * 8)
    with pytest.raises(ValueError, match="in the file but not in the model: ghost/kernel"):
        load_layers_model(str(saved))


def test_wrong_shape(saved):
    mj = read_json(saved)
    first = mj["weightsManifest"][0]["weights"][0]
    first["shape"] = first["shape"][::-1]  # same byte count, transposed shape
    write_json(saved, mj)
    with pytest.raises(ValueError, match=r"wrong shapes: dense_Dense\d+/kernel: model \[3, 8\], "
                                         r"file \[8, 3\]"):
        load_layers_model(str(saved))


def test_wrong_shape_non_strict_keeps_the_initial_value(saved, trained):
    m, _, _ = trained
    mj = read_json(saved)
    first = mj["weightsManifest"][0]["weights"][0]
    first["shape"] = first["shape"][::-1]
    write_json(saved, mj)
    with pytest.warns(UserWarning, match="mismatched"):
        m2 = load_layers_model(str(saved), strict=False)
    assert len(m2.load_report["mismatched"]) == 1
    assert not np.array_equal(m2.layers[0].kernel.val.numpy(), m.layers[0].kernel.val.numpy())
    np.testing.assert_array_equal(m2.layers[0].bias.val.numpy(), m.layers[0].bias.val.numpy())


def test_keras_converter_topology_wrappers(saved, trained):
    """The TF.js converter may wrap the topology in 'model_config'; old Keras configs
    are a bare list of layers."""
    m, x, _ = trained
    mj = read_json(saved)
    topo = mj["modelTopology"]
    mj["modelTopology"] = {"model_config": dict(topo, config=topo["config"]["layers"]),
                           "keras_version": "2.2.4", "backend": "tensorflow"}
    write_json(saved, mj)
    np.testing.assert_array_equal(load_layers_model(str(saved)).predict(x).numpy(),
                                  m.predict(x).numpy())


def test_strict_false_loads_what_matches_and_reports(saved, trained):
    m, x, _ = trained
    _drop_weight(saved, "/moving_variance")
    with pytest.warns(UserWarning, match="moving_variance"):
        m2 = load_layers_model(str(saved), strict=False)
    assert [s.split("/")[-1] for s in m2.load_report["missing"]] == ["moving_variance"]
    assert m2.load_report["unused"] == [] and m2.load_report["mismatched"] == []
    np.testing.assert_array_equal(m2.layers[0].kernel.val.numpy(), m.layers[0].kernel.val.numpy())
    np.testing.assert_array_equal(m2.layers[2].moving_variance.val.numpy(), np.ones(16, np.float32))
    # Nothing to report: no warning, an empty report.
    m.save(str(saved))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_layers_model(str(saved), strict=False).load_report == {
            "missing": [], "unused": [], "mismatched": []}


def test_unknown_layer_class_lists_known(saved):
    mj = read_json(saved)
    mj["modelTopology"]["config"]["layers"][1]["class_name"] = "Conv4D"
    write_json(saved, mj)
    with pytest.raises(ValueError, match=r"unknown class 'Conv4D'; known layer classes: .*Dense.*"
                                         r"BatchNormalization"):
        load_layers_model(str(saved))


@pytest.mark.parametrize("content, match", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must hold a JSON object"),
    ('{"format": "graph-model", "modelTopology": {}, "weightsManifest": []}', "graph-model"),
    ('{"weightsManifest": []}', "no 'modelTopology'"),
    ('{"modelTopology": {"class_name": "Sequential", "config": {"layers": []}}}',
     "weightsManifest"),
    ('{"modelTopology": {"class_name": "Model", "config": {}}, "weightsManifest": []}',
     r"'modelTopology.config.layers' must be a non-empty list"),
    ('{"modelTopology": {"class_name": "Graph", "config": {}}, "weightsManifest": []}',
     r"holds a 'Graph' model; treino loads Sequential and functional"),
])
def test_not_a_layers_model(tmp_path, content, match):
    (tmp_path / "model.json").write_text(content)
    with pytest.raises(ValueError, match=match):
        load_layers_model(str(tmp_path))


def test_bad_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model at"):
        load_layers_model(str(tmp_path / "nothing"))
    with pytest.raises(TypeError, match="argument 'path'"):
        load_layers_model(3)
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        small_model().save(str(tmp_path / "f"))


def test_training_config_errors(saved):
    mj = read_json(saved)
    mj["trainingConfig"]["optimizer_config"]["class_name"] = "Lamb"
    write_json(saved, mj)
    with pytest.raises(ValueError, match="unknown optimizer 'Lamb'.*Adam"):
        load_layers_model(str(saved))
    assert load_layers_model(str(saved), compile=False).optimizer is None


def test_tfjs_optimizer_weights_are_mapped(trained, tmp_path):
    """A TF.js save with includeOptimizer puts 'iter' and '<weight>/<slot>' entries in
    an 'optimizer' group; they land in the loaded model's optimizer."""
    m, x, y = trained
    m.save(str(tmp_path))
    mj = read_json(tmp_path)
    state = optimizer_state(m)
    specs, blob = tfjs_format.encode_weights(state, group="optimizer")
    mj["weightsManifest"][0]["weights"] += specs
    write_json(tmp_path, mj)
    _shard(tmp_path).write_bytes(_shard(tmp_path).read_bytes() + blob)
    m2 = load_layers_model(str(tmp_path))
    assert m2.optimizer.iterations == m.optimizer.iterations == 15
    got = dict(optimizer_state(m2))
    for name, arr in state:
        np.testing.assert_array_equal(got[name], arr)
    # A state naming a weight the model lacks: strict raises, non-strict starts afresh.
    specs[1]["name"] = "nope/kernel/m"
    write_json(tmp_path, mj)
    with pytest.raises(ValueError, match="optimizer state does not fit"):
        load_layers_model(str(tmp_path))
    with pytest.warns(UserWarning, match="starts afresh"):
        assert load_layers_model(str(tmp_path), strict=False).optimizer.iterations == 0


def test_a_plain_named_file_no_model_json_names_is_left_alone(tmp_path):
    """A group1-shard1of1.bin without a model.json naming it may not be treino's: a save
    into that folder uses fresh names and leaves the file as it was."""
    (tmp_path / "group1-shard1of1.bin").write_bytes(b"not ours")
    small_model().save(str(tmp_path))
    assert (tmp_path / "group1-shard1of1.bin").read_bytes() == b"not ours"
    small_model().save(str(tmp_path))
    assert (tmp_path / "group1-shard1of1.bin").read_bytes() == b"not ours"
    assert len(os.listdir(tmp_path)) == 3
