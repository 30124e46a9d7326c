"""Atheris fuzz target for both model loaders: a TF.js folder (model.json + a shard) and
a .treino zip. Any exception but the loader's own ValueError (LoadError), or
FileNotFoundError for a missing path, is a finding; so is a failing load that changed
the global random state. See README.md in this folder for how to run it.

An input is one mode byte, then parts separated by SEP:
  mode & 3 == 0: a folder: model.json, the shard 'w.bin' (more parts: w2.bin, w3.bin);
  mode & 3 == 1: a .treino built from parts: treino.json, model.json, the shard
                 'group1-shard1of1.bin', optimizer.json, optimizer.bin (stored, so the
                 mutations reach the contents rather than the CRCs);
  mode & 3 == 2: a .treino file as raw bytes (the zip layer itself);
  mode & 4: strict=False; mode & 8: compile=False; mode & 16: restore_random_state=False.
The folder also holds files for mutated paths to find: a symlink out of the folder, a
FIFO, a subfolder and a copy of the shard.

The custom mutator mixes libFuzzer's byte mutations with JSON-aware ones that replace
a random field of a JSON part with a hostile value, so that the mutations get past the
JSON parser into the loaders' checks.
"""
import json
import os
import pathlib
import random
import shutil
import sys
import tempfile
import warnings
import zipfile

import atheris

with atheris.instrument_imports(include=["treino"]):
    import treino as tn
    from treino.core import random as trandom
    from treino.layers import base as _layers  # noqa: F401  (instrumented eagerly)
    from treino.models import sequential as _sequential  # noqa: F401
    from treino.models.saving import LoadError, limits, load_layers_model
    from treino.models.saving import loading as _loading  # noqa: F401
    from treino.models.saving import native as _native  # noqa: F401

SEP = b"\n--part--\n"
TREINO_PARTS = ["treino.json", "model.json", "group1-shard1of1.bin", "optimizer.json",
                "optimizer.bin"]
# Bounded initialisation per run keeps each run fast; the checks are the same.
limits.MAX_UNBACKED_PARAMS = 1 << 16

# libFuzzer ends the process with exit(), so no Python clean-up runs: each run's work
# folder is named after its process and removed by a later run once that process is gone.
_WORK = os.path.join(tempfile.gettempdir(), f"treino-fuzz-{os.getpid()}")
FOLDER = os.path.join(_WORK, "model")
TREINO = os.path.join(_WORK, "model.treino")


def _remove_stale_work_folders():
    for name in os.listdir(tempfile.gettempdir()):
        pid = name[len("treino-fuzz-"):]
        if name.startswith("treino-fuzz-") and pid.isdigit():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(os.path.join(tempfile.gettempdir(), name), ignore_errors=True)
            except OSError:
                pass


def _setup_folder():
    _remove_stale_work_folders()
    shutil.rmtree(_WORK, ignore_errors=True)
    os.makedirs(os.path.join(FOLDER, "sub"))
    with open(os.path.join(_WORK, "outside.bin"), "wb") as f:
        f.write(b"\0" * 64)
    os.symlink(os.path.join(_WORK, "outside.bin"), os.path.join(FOLDER, "out.bin"))
    os.symlink("/dev/zero", os.path.join(FOLDER, "zero.bin"))
    os.mkfifo(os.path.join(FOLDER, "fifo.bin"))


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _stored_zip(parts):
    with zipfile.ZipFile(TREINO, "w", zipfile.ZIP_STORED) as z:
        for name, data in zip(TREINO_PARTS, parts):
            z.writestr(name, data)


def TestOneInput(data):
    if not data:
        return
    mode, parts = data[0], data[1:].split(SEP)
    kind = mode & 3
    if kind == 0:
        _write(os.path.join(FOLDER, "model.json"), parts[0])
        for name, part in zip(["w.bin", "w2.bin", "w3.bin"], parts[1:] + [b""] * 3):
            _write(os.path.join(FOLDER, name), part)
        path = FOLDER
    elif kind == 1:
        _stored_zip(parts)
        path = TREINO
    else:
        _write(TREINO, data[1:])
        path = TREINO
    before = trandom.generator().bit_generator.state
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_layers_model(path, strict=not mode & 4, compile=not mode & 8,
                              restore_random_state=not mode & 16)
    except (LoadError, FileNotFoundError):
        if trandom.generator().bit_generator.state != before:
            raise AssertionError("a failing load changed the global random state") from None


# -- mutations ------------------------------------------------------------------------------

_HOSTILE = [None, True, False, 0, -1, 1, 3, 2 ** 31, 2 ** 63, 10 ** 30, 0.5, -0.0, 1e308,
            float("nan"), float("inf"), "", "x", "w.bin", "w2.bin", "../w.bin", "/dev/zero",
            "out.bin", "zero.bin", "fifo.bin", "sub", "sub/../w.bin", "\ud800", "a\0b",
            "float32", "int32", "optimizer", "iter", "Dense", "InputLayer", "Dropout",
            "Sequential", "sgd", "adam", [], {}, [None], [1, 2], [None, 3], [2 ** 31 - 1] * 3,
            [1] * 40, {"class_name": "Dense", "config": {"units": 3}}]


def _nodes(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, path + (i,))


def _json_mutation(value, rng):
    nodes = list(_nodes(value))
    path, node = rng.choice(nodes)
    if not path:
        return value
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    r = rng.random()
    if r < 0.5:
        parent[key] = rng.choice(_HOSTILE)
    elif r < 0.6 and isinstance(parent, dict):
        del parent[key]
    elif r < 0.7 and isinstance(parent, list):
        parent.insert(key, parent[key])              # repeat an entry
    elif r < 0.8 and isinstance(node, (int, float)) and not isinstance(node, bool):
        parent[key] = rng.choice([node * 2, -node, node + 1, node * 1000, node / 3])
    elif r < 0.9 and isinstance(node, list) and node:
        parent[key] = node * rng.choice([2, 50])     # amplify a list
    else:
        deep = rng.choice([1, 2])
        for _ in range(rng.choice([50, 150])):
            deep = [deep]
        parent[key] = deep
    return value


def mutate(data, max_size, seed):
    rng = random.Random(seed)
    if not data or rng.random() < 0.4:
        return atheris.Mutate(data, max_size)
    mode, parts = data[:1], data[1:].split(SEP)
    if rng.random() < 0.1:
        mode = bytes([rng.randrange(32)])
    if mode[0] & 3 == 2:
        return atheris.Mutate(data, max_size)
    json_parts = [0] if mode[0] & 3 == 0 else [0, 1, 3]
    i = rng.choice([j for j in json_parts if j < len(parts)] or [0])
    try:
        value = json.loads(parts[i])
        parts[i] = json.dumps(_json_mutation(value, rng)).encode()
    except (ValueError, RecursionError):
        return atheris.Mutate(data, max_size)
    out = mode + SEP.join(parts)
    return out if len(out) <= max_size else atheris.Mutate(data, max_size)


# -- seeds -----------------------------------------------------------------------------------

def _seed_models():
    tn.set_seed(0)
    m = tn.sequential(layers=[
        tn.layers.dense(units=4, input_shape=[3], activation="relu"),
        tn.layers.batch_normalization(),
        tn.layers.dropout(rate=0.3, seed=1),
        tn.layers.reshape(target_shape=[2, 2]),
        tn.layers.layer_normalization(),
        tn.layers.flatten(),
        tn.layers.dense(units=2, activation="softmax")])
    m.compile(optimizer="adam", loss="categoricalCrossentropy", metrics=["acc"])
    x = tn.random_normal([8, 3]).numpy()
    y = tn.one_hot(tn.tensor([0, 1] * 4, dtype="int32"), 2).numpy()
    m.fit(x, y, epochs=1, batch_size=4, verbose=0)
    return m


def write_seeds(corpus):
    """Seeds: the model as a folder (with and without optimizer weights in its manifest),
    as .treino parts and as a raw .treino zip."""
    from treino.models.saving import tfjs_format
    from treino.models.saving.loading import optimizer_state
    m = _seed_models()
    tmp = pathlib.Path(tempfile.mkdtemp())
    m.save(str(tmp / "f"))
    mj = json.loads((tmp / "f" / "model.json").read_text())
    [shard] = mj["weightsManifest"][0]["paths"]
    weights = (tmp / "f" / shard).read_bytes()
    mj["weightsManifest"][0]["paths"] = ["w.bin"]
    seeds = [b"\0" + json.dumps(mj).encode() + SEP + weights]
    specs, blob = tfjs_format.encode_weights(optimizer_state(m), group="optimizer")
    mj["weightsManifest"][0]["weights"] += specs
    seeds.append(b"\0" + json.dumps(mj).encode() + SEP + weights + blob)
    m.save(str(tmp / "m.treino"))
    with zipfile.ZipFile(tmp / "m.treino") as z:
        seeds.append(b"\1" + SEP.join(z.read(n) for n in TREINO_PARTS))
    seeds.append(b"\2" + (tmp / "m.treino").read_bytes())
    shutil.rmtree(tmp)
    os.makedirs(corpus, exist_ok=True)
    for i, s in enumerate(seeds):
        _write(os.path.join(corpus, f"seed{i}"), s)


def main(argv):
    inputs = [a for a in argv[1:] if not a.startswith("-")]
    # A corpus folder that is missing or empty gets the seeds; a file is an input to replay.
    if inputs and not os.path.isfile(inputs[0]) and not (
            os.path.isdir(inputs[0]) and os.listdir(inputs[0])):
        write_seeds(inputs[0])
    _setup_folder()
    atheris.Setup(argv, TestOneInput, custom_mutator=mutate)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
