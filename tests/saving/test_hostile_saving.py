"""Saving over what is already there: only treino's own shards are ever deleted, a save
killed at any point leaves a loadable model and its leftovers are cleaned by the next
save, files get the process umask's mode, and odd paths are clear errors."""
import os
import re
import stat
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from treino.models.saving import load_layers_model

from hostile_util import read_json, same_predictions, tiny_model, write_json

OWN = re.compile(r"group1-(?:[0-9a-f]{12}-)?shard1of1\.bin")  # a first save's, or a later one's


def test_save_deletes_only_its_own_shards(tmp_path):
    """A model.json edited (or written by someone hostile) to name other files: the next
    save over the folder must not delete them."""
    folder = tmp_path / "m"
    tiny_model().save(str(folder))
    victims = {"train.csv": folder / "train.csv", "notes.bin": folder / "notes.bin",
               "../outside.txt": tmp_path / "outside.txt",
               str(tmp_path / "abs.bin"): tmp_path / "abs.bin",
               "sub/group1-shard1of1.bin": folder / "sub" / "group1-shard1of1.bin"}
    (folder / "sub").mkdir()
    for path in victims.values():
        path.write_text("precious")
    mj = read_json(folder)
    mj["weightsManifest"][0]["paths"] += list(victims)
    write_json(folder, mj)
    m = tiny_model(seed=1)
    m.save(str(folder))
    for path in victims.values():
        assert path.read_text() == "precious"
    [shard] = [n for n in os.listdir(folder) if OWN.fullmatch(n)]
    assert sorted(os.listdir(folder)) == sorted([shard, "model.json", "notes.bin", "sub",
                                                 "train.csv"])
    same_predictions(load_layers_model(str(folder)), m)


def test_legacy_shards_are_replaced_only_when_named(tmp_path):
    """Shards under TF.js's converter names (and earlier treino's) belong to the model
    whose model.json names them: a save over it removes them; one it does not name stays."""
    m = tiny_model()
    m.save(str(tmp_path))
    [shard] = read_json(tmp_path)["weightsManifest"][0]["paths"]
    os.rename(tmp_path / shard, tmp_path / "group1-shard1of1.bin")
    (tmp_path / "group2-shard1of1.bin").write_text("someone else's")
    mj = read_json(tmp_path)
    mj["weightsManifest"][0]["paths"] = ["group1-shard1of1.bin"]
    write_json(tmp_path, mj)
    same_predictions(load_layers_model(str(tmp_path)), m)
    tiny_model(seed=2).save(str(tmp_path))
    names = sorted(os.listdir(tmp_path))
    assert "group1-shard1of1.bin" not in names and "group2-shard1of1.bin" in names


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_files_get_the_umask_mode(tmp_path, umask):
    old = os.umask(umask)
    try:
        tiny_model().save(str(tmp_path / "m"))
        tiny_model().save(str(tmp_path / "m.treino"))
    finally:
        os.umask(old)
    files = [tmp_path / "m" / n for n in os.listdir(tmp_path / "m")] + [tmp_path / "m.treino"]
    assert len(files) == 3
    for f in files:
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o666 & ~umask, f


def test_odd_paths(tmp_path):
    m = tiny_model()
    with pytest.raises(ValueError, match="save: argument 'path' must not be empty"):
        m.save("")
    with pytest.raises(ValueError, match="load_layers_model: argument 'path' must not be empty"):
        load_layers_model("")
    with pytest.raises(TypeError, match="must be a str path, received bytes"):
        m.save(b"x.treino")
    # The suffix in any letter case is the single-file format, and loads back.
    upper = tmp_path / "model.TREINO"
    assert m.save(str(upper)) == str(upper)
    assert zipfile.is_zipfile(upper) and os.listdir(tmp_path) == ["model.TREINO"]
    same_predictions(load_layers_model(str(upper)), m)
    (tmp_path / "dir.treino").mkdir()
    with pytest.raises(ValueError, match="'.*dir.treino' is a folder; a path ending in "
                                         "'.treino' names the single file"):
        m.save(str(tmp_path / "dir.treino"))
    # 'dir/model.json' saves into dir, over an existing model.json too.
    (tmp_path / "d").mkdir()
    m.save(str(tmp_path / "d" / "model.json"))
    m.save(str(tmp_path / "d" / "model.json"))
    assert len(os.listdir(tmp_path / "d")) == 2
    same_predictions(load_layers_model(str(tmp_path / "d")), m)


_KILLED_SAVE = """
import os, sys
sys.path[:0] = {paths!r}
import treino as tn
from treino.models.saving import atomic
real = os.replace
def replace(src, dst):
    if os.path.basename(dst) == {target!r}:
        os._exit(9)          # killed: no clean-up handler runs
    real(src, dst)
atomic.os.replace = replace
tn.set_seed(5)
m = tn.sequential(layers=[tn.layers.dense(units=3, input_shape=[4]),
                          tn.layers.dense(units=2)])
m.save({path!r})
"""


def _killed_save(path, target):
    code = textwrap.dedent(_KILLED_SAVE.format(paths=sys.path, path=str(path), target=target))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert r.returncode == 9, r.stderr.decode()[-2000:]


def test_killed_folder_save_keeps_the_old_model_and_is_cleaned_next_time(tmp_path):
    m = tiny_model()
    m.save(str(tmp_path))
    before = set(os.listdir(tmp_path))
    _killed_save(tmp_path, "model.json")            # dies at the commit
    left = set(os.listdir(tmp_path)) - before
    assert len(left) == 2                           # its new shard and model.json temporary
    assert any(OWN.fullmatch(n) for n in left)
    assert any(re.fullmatch(r"\.model\.json\.[0-9a-f]{12}\.tmp", n) for n in left)
    same_predictions(load_layers_model(str(tmp_path)), m)   # the old model, untouched
    m2 = tiny_model(seed=9)
    m2.save(str(tmp_path))
    [shard] = [n for n in os.listdir(tmp_path) if n != "model.json"]
    assert OWN.fullmatch(shard) and shard not in before | left
    same_predictions(load_layers_model(str(tmp_path)), m2)


def test_killed_treino_save_is_cleaned_next_time(tmp_path):
    path = tmp_path / "ck.treino"
    m = tiny_model()
    m.save(str(path))
    (tmp_path / ".other.treino.0123456789ab.tmp").write_text("not ours")
    _killed_save(path, "ck.treino")
    [tmp] = [n for n in os.listdir(tmp_path) if n.startswith(".ck.treino.")]
    assert re.fullmatch(r"\.ck\.treino\.[0-9a-f]{12}\.tmp", tmp)
    same_predictions(load_layers_model(str(path)), m)
    tiny_model(seed=3).save(str(path))
    assert sorted(os.listdir(tmp_path)) == [".other.treino.0123456789ab.tmp", "ck.treino"]


def test_saved_model_loads_after_many_saves(tmp_path):
    """ModelCheckpoint's pattern: the same folder saved again and again holds one model."""
    for seed in range(4):
        m = tiny_model(seed=seed)
        m.save(str(tmp_path))
        assert len(os.listdir(tmp_path)) == 2
    got = load_layers_model(str(tmp_path))
    for a, b in zip(m.get_weights(), got.get_weights()):
        np.testing.assert_array_equal(a, b)
