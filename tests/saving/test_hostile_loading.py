"""Loading hostile model files: paths that leave the folder or name what is not a
regular file, sizes that would amplify a small file into a large allocation, and the
process state a failing load must leave alone. Each fixture is built here."""
import json
import os
import re
import time
import zipfile

import numpy as np
import pytest

import treino as tn
from treino.core import random as trandom
from treino.models.saving import limits, load_layers_model, safe_io

from hostile_util import (process_state, read_json, refused, same_predictions, shard_path,
                          tiny_model, treino_members, write_json, write_treino)


@pytest.fixture
def saved(tmp_path):
    """(folder, model): a saved tiny model in tmp_path/m, and a 'secret' file beside it."""
    folder = tmp_path / "m"
    m = tiny_model()
    m.save(str(folder))
    (tmp_path / "secret.bin").write_bytes(shard_path(folder).read_bytes())
    return folder, m


def point_shard_at(folder, path):
    mj = read_json(folder)
    mj["weightsManifest"][0]["paths"] = [path]
    write_json(folder, mj)


# -- paths -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["../secret.bin", "sub/../../secret.bin", "ABS"])
def test_manifest_path_outside_the_folder(saved, path):
    folder, _ = saved
    secret = str(folder.parent / "secret.bin")
    point_shard_at(folder, secret if path == "ABS" else path)
    msg = refused(folder, r"weightsManifest\[0\]\.paths\[0\] is .*must be relative to the "
                          r"model's folder and stay inside it")
    # Not a hint about the outside file: neither its size nor its contents' fate. (The
    # paths in the message are removed first: pytest's folder names hold numbers too.)
    rest = msg.replace(str(folder.parent), "").replace(path, "")
    assert not re.search(rf"\b{os.path.getsize(secret)}\b", rest)


def test_symlink_out_of_the_folder(saved):
    folder, _ = saved
    os.symlink(folder.parent / "secret.bin", folder / "link.bin")
    point_shard_at(folder, "link.bin")
    refused(folder, r"paths\[0\] \('link.bin'\) leads outside the model's folder")
    os.symlink(folder.parent, folder / "up")        # a folder symlink too
    point_shard_at(folder, "up/secret.bin")
    refused(folder, r"paths\[0\] \('up/secret.bin'\) leads outside")


def test_symlink_inside_the_folder_loads(saved):
    folder, m = saved
    os.makedirs(folder / "sub")
    os.rename(shard_path(folder), folder / "sub" / "real.bin")
    os.symlink("sub/real.bin", folder / "alias.bin")
    point_shard_at(folder, "alias.bin")
    same_predictions(load_layers_model(str(folder)), m)


def test_model_json_symlinked_out_of_the_folder(saved, tmp_path):
    folder, _ = saved
    os.rename(folder / "model.json", tmp_path / "elsewhere.json")
    os.symlink(tmp_path / "elsewhere.json", folder / "model.json")
    refused(folder, "model.json.*leads outside the model's folder")


def test_folder_swapped_for_a_symlink_after_the_check(saved, monkeypatch):
    """A folder replaced by a symlink out between the path check and the open: the
    opened descriptor itself is checked (on Linux, through /proc/self/fd). Simulated by
    a path check that does not resolve symlinks."""
    folder, _ = saved
    if not os.path.exists("/proc/self/fd"):
        pytest.skip("no /proc/self/fd on this platform: the descriptor check is Linux's")
    os.symlink(folder.parent, folder / "up")
    point_shard_at(folder, "up/secret.bin")
    monkeypatch.setattr(safe_io.os.path, "realpath", os.path.abspath)
    refused(folder, r"paths\[0\] \('up/secret.bin'\) moved outside the model's folder while "
                    r"it was being opened")


def test_shard_replaced_between_check_and_read(saved, monkeypatch):
    folder, _ = saved
    shard = shard_path(folder)
    real_size = safe_io.FolderSource.size

    def size_then_swap(self, rel, field):
        n = real_size(self, rel, field)
        (folder / "other.bin").write_bytes(shard.read_bytes())   # same size, another file
        os.replace(folder / "other.bin", shard)
        return n
    monkeypatch.setattr(safe_io.FolderSource, "size", size_then_swap)
    refused(folder, r"paths\[0\] \('group1-.*'\) changed while the model was being loaded")


@pytest.mark.parametrize("kind", ["fifo", "folder", "dev-zero"])
def test_shard_that_is_not_a_regular_file(saved, kind):
    """A FIFO would block the reader forever and /dev/zero read until memory runs out."""
    folder, _ = saved
    target = folder / "odd.bin"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        os.mkdir(target)
    else:
        # Inside the folder by name, so only the regular-file check stands in the way.
        os.symlink("/dev/zero", target)
        folder_real = os.path.realpath(folder)
        assert not os.path.realpath(target).startswith(folder_real)
    point_shard_at(folder, "odd.bin")
    match = "leads outside" if kind == "dev-zero" else r"odd.bin.* is not a regular file"
    refused(folder, match, peak_mb=8)


def test_model_json_that_is_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "model.json")
    refused(tmp_path, "model.json is not a regular file")
    refused(tmp_path / "model.json", "is not a regular file or a folder")


# -- amplification -------------------------------------------------------------------------

def test_repeated_shard_is_refused_before_reading(saved):
    """One 6-KB-like shard listed 300 times would allocate 300 times its size."""
    folder, _ = saved
    mj = read_json(folder)
    group = mj["weightsManifest"][0]
    group["paths"] = group["paths"] * 300
    group["weights"] = group["weights"] * 300
    write_json(folder, mj)
    refused(folder, r"paths\[1\] \('group1-.*'\) repeats .*paths\[0\]; every shard may be "
                    r"listed once", peak_mb=2)


def test_same_file_under_two_names_is_refused(saved):
    folder, _ = saved
    shard = shard_path(folder)
    os.link(shard, folder / "hard.bin")
    mj = read_json(folder)
    group = mj["weightsManifest"][0]
    group["paths"] = [shard.name, "hard.bin"]
    group["weights"] = group["weights"] * 2
    write_json(folder, mj)
    refused(folder, r"paths\[1\] \('hard.bin'\) is the same file as .*paths\[0\]")


def test_huge_dense_layer_is_refused_before_it_is_built(saved):
    """A 1 KB model.json declaring a 20000 x 20000 kernel: refused before the 1.6 GB
    kernel exists (strict: more than the manifest holds; not strict: beyond the limit)."""
    folder, _ = saved
    mj = read_json(folder)
    mj["modelTopology"]["config"]["layers"][0]["config"]["units"] = 20000
    mj["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"] = [None, 20000]
    write_json(folder, mj)
    assert os.path.getsize(folder / "model.json") < 4096
    start = time.perf_counter()
    refused(folder, r"layer 0 \(Dense 'dense_Dense\d+'\) creates weight 'dense_Dense\d+/kernel' "
                    r"of shape \[20000, 20000\] \(400000000 values\): the model would need more "
                    r"values than the \d+ its weights manifest holds", peak_mb=8)
    refused(folder, r"which the file does not hold: with strict=False a loader initialises at "
                    r"most 16777216 values", peak_mb=8, strict=False)
    assert time.perf_counter() - start < 2


def test_declared_weight_bytes_are_bounded(saved, monkeypatch):
    folder, _ = saved
    mj = read_json(folder)
    spec = mj["weightsManifest"][0]["weights"][0]
    spec["shape"] = [2 ** 31 - 1, 2 ** 31 - 1]     # 18 EB, in a valid shape
    write_json(folder, mj)
    refused(folder, r"declares \d{20} bytes of weights; a loader reads at most 4294967296",
            peak_mb=2)
    # The limit is read at call time: a smaller one refuses the real model too.
    point_shard_at(folder, shard_path(folder).name)
    folder_mj = read_json(folder)
    folder_mj["weightsManifest"][0]["weights"][0]["shape"] = [4, 3]
    write_json(folder, folder_mj)
    monkeypatch.setattr(limits, "MAX_WEIGHT_BYTES", 40)
    refused(folder, r"declares \d+ bytes of weights; a loader reads at most 40")


def test_optimizer_weights_are_bounded_by_the_model_weights(saved):
    folder, _ = saved
    mj = read_json(folder)
    mj["weightsManifest"][0]["weights"].append(
        {"name": "dense/kernel/m", "shape": [1000, 1000], "dtype": "float32", "group": "optimizer"})
    write_json(folder, mj)
    refused(folder, r"the optimizer weights declare 4000000 bytes, more than 3 slots per model "
                    r"weight would need", peak_mb=2)


def test_too_many_layers_and_entries(saved, monkeypatch):
    folder, _ = saved
    monkeypatch.setattr(limits, "MAX_LAYERS", 2)
    refused(folder, "the model has 3 layers; a loader builds at most 2")
    monkeypatch.undo()
    monkeypatch.setattr(limits, "MAX_WEIGHT_ENTRIES", 3)
    refused(folder, "lists more than .* shard paths or 3 weights")


def test_config_shapes_are_bounded_before_arithmetic(saved):
    """Multiplying 10**5 sizes of 2**31 each would take minutes of big-integer math."""
    folder, _ = saved
    mj = read_json(folder)
    mj["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"] = \
        [None] + [2 ** 31 - 1] * 100_000
    write_json(folder, mj)
    refused(folder, r"layers\[0\]\.config\.batch_input_shape is .*a shape has at most 32 sizes")


# -- .treino zips --------------------------------------------------------------------------

@pytest.fixture
def treino(tmp_path):
    path = tmp_path / "m.treino"
    m = tiny_model()
    m.fit(np.ones((4, 4), np.float32), np.eye(2, dtype=np.float32)[[0, 1, 0, 1]], verbose=0)
    m.save(str(path))
    return path, m


def test_json_member_bomb(treino, monkeypatch):
    """A JSON member that inflates far beyond its compressed size, or beyond the JSON
    limit, is refused from the sizes its zip entry declares; one whose header lies about
    its size is read no further than that size."""
    path, _ = treino
    members = treino_members(path)
    members["model.json"] = members["model.json"] + b" " * (8 << 20)   # 8 MB of spaces
    write_treino(path, members)
    assert os.path.getsize(path) < 64 << 10
    refused(path, r"member 'model.json' declares 8\d{6} bytes from \d+ compressed, more "
                  r"than 100 to 1: a decompression bomb", peak_mb=3)

    monkeypatch.setattr(limits, "MAX_JSON_BYTES", 1 << 20)
    write_treino(path, members, zipfile.ZIP_STORED)
    refused(path, r"model.json declares 8\d{6} bytes; a loader reads at most 1048576",
            peak_mb=3)

    # Deflated, with the declared size rewritten to 100 bytes (in both headers).
    write_treino(path, members)
    blob, info, central = zip_headers(path, "model.json")
    blob[info.header_offset + 22:info.header_offset + 26] = (100).to_bytes(4, "little")
    blob[central + 24:central + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(blob))
    refused(path, r"member 'model.json' is corrupted \(Bad CRC-32", peak_mb=3)


def zip_headers(path, name):
    """(the zip's bytes, the member's ZipInfo, the offset of its central directory entry)."""
    blob = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    at = blob.find(b"PK\x01\x02")
    while blob[at + 46:at + 46 + len(name)] != name.encode():
        at = blob.find(b"PK\x01\x02", at + 1)
    return blob, info, at


def test_zip_directory_is_bounded(treino, monkeypatch):
    path, _ = treino
    monkeypatch.setattr(limits, "MAX_ZIP_DIRECTORY_BYTES", 100)
    refused(path, r"the zip declares a \d+-byte list of members")


@pytest.mark.parametrize("edit, match", [
    ("duplicate", "the zip holds two members named 'model.json'"),
    ("bzip2", "uses compression method 12"),
    ("encrypted", "member 'group1-shard1of1.bin' is encrypted"),
    ("missing shard", r"lacks 'group1-shard1of1.bin' \(named by weightsManifest\[0\]\.paths\[0\]\)"),
    ("repeated shard", r"paths\[1\] \('group1-shard1of1.bin'\) repeats"),
    ("bad utf-8 name", r"is not a readable .treino file \(a zip\): 'utf-8' codec can't decode"),
])
def test_malformed_zips(treino, edit, match):
    path, _ = treino
    members = treino_members(path)
    if edit == "duplicate":
        with pytest.warns(UserWarning, match="Duplicate name"):
            with zipfile.ZipFile(path, "a") as z:
                z.writestr("model.json", members["model.json"])
    elif edit == "bzip2":
        write_treino(path, members, zipfile.ZIP_BZIP2)
    elif edit == "encrypted":
        blob, info, central = zip_headers(path, "group1-shard1of1.bin")
        blob[info.header_offset + 6] |= 1
        blob[central + 8] |= 1
        path.write_bytes(bytes(blob))
    elif edit == "bad utf-8 name":
        blob, info, central = zip_headers(path, "model.json")
        blob[central + 9] |= 0x08                    # flag bit 11: the name is UTF-8
        blob[central + 46] = 0xFF                    # ...and it is not
        path.write_bytes(bytes(blob))
    elif edit == "missing shard":
        del members["group1-shard1of1.bin"]
        write_treino(path, members)
    else:
        mj = json.loads(members["model.json"])
        g = mj["weightsManifest"][0]
        g["paths"] *= 2
        g["weights"] *= 2
        members["model.json"] = json.dumps(mj).encode()
        write_treino(path, members)
    refused(path, match)


def test_not_a_zip_and_not_regular(tmp_path):
    (tmp_path / "x.treino").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    refused(tmp_path / "x.treino", "not a readable .treino file")
    os.mkfifo(tmp_path / "f.treino")
    refused(tmp_path / "f.treino", "is not a regular file or a folder")


# -- no side effects -----------------------------------------------------------------------

def test_failing_treino_load_changes_nothing(treino):
    """Fails at the very end (a random state for a layer the model lacks), after layers
    were built, compiled and given the optimizer state: nothing outside stays changed."""
    path, _ = treino
    members = treino_members(path)
    meta = json.loads(members["treino.json"])
    meta["random_state"]["layers"]["ghost"] = meta["random_state"]["global"]
    members["treino.json"] = json.dumps(meta).encode()
    # Dense layers without names take default names from the per-class counters, and
    # their weights, no longer matching the file's names, are initialised (strict=False).
    mj = json.loads(members["model.json"])
    for layer in mj["modelTopology"]["config"]["layers"]:
        if layer["class_name"] == "Dense":
            del layer["config"]["name"]
    members["model.json"] = json.dumps(mj).encode()
    write_treino(path, members)
    tn.set_seed(3)
    refused(path, r"random_state.layers names 'ghost', which is not a seeded layer",
            strict=False)


def test_failing_folder_load_after_initialising_changes_nothing(saved):
    """strict=False initialises the weights the file lacks (drawing from the global
    generator), then compiling fails: the generator is as it was, and no warning about
    the missing weights was issued."""
    folder, _ = saved
    mj = read_json(folder)
    mj["modelTopology"]["config"]["layers"][0]["config"]["name"] = "renamed"
    mj["trainingConfig"]["loss"] = "noSuchLoss"
    write_json(folder, mj)
    refused(folder, "cannot compile with the saved training config", strict=False)


def test_successful_load_draws_nothing(saved):
    """Weights taken from the file are never initialised, so loading a model leaves the
    global random stream where it was."""
    folder, m = saved
    tn.set_seed(11)
    before = process_state()
    same_predictions(load_layers_model(str(folder)), m)
    assert process_state()[0] == before[0]
    assert trandom.generator().bit_generator.state == before[0]


def test_weight_member_bomb(tmp_path):
    """A small .treino whose shards inflate from a few KB to megabytes (a model
    consistent in every declaration) is refused from the sizes in its zip directory."""
    tn.set_seed(0)
    m = tn.sequential(layers=[tn.layers.dense(units=1100, input_shape=[1100],
                                              kernel_initializer="zeros")])
    path = tmp_path / "zeros.treino"
    m.save(str(path))
    members = treino_members(path)
    write_treino(path, members)          # every member deflated: 4.8 MB of zeros -> 5 KB
    assert os.path.getsize(path) < 1 << 20
    refused(path, r"member 'group1-shard1of2.bin' declares 4194304 bytes from \d+ "
                  r"compressed, more than 100 to 1", peak_mb=4)
    # As treino writes it (the shard stored), the same model loads.
    m.save(str(path))
    assert not load_layers_model(str(path)).layers[0].kernel.val.numpy().any()
