"""Building hostile model files in tests: a small saved model to start from, helpers to
edit its model.json and shards, and checks that a load failed cleanly."""
import contextlib
import importlib
import itertools
import json
import os
import signal
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import treino as tn
from treino.core import random as trandom
from treino.layers import base as layers_base
from treino.models.saving import LoadError, load_layers_model

# The modules, not the tn.models.sequential factory that shadows its module's name.
functional = importlib.import_module("treino.models.functional")
sequential = importlib.import_module("treino.models.sequential")


def tiny_model(seed=0, compiled=True):
    tn.set_seed(seed)
    m = tn.sequential(layers=[tn.layers.dense(units=3, input_shape=[4], activation="relu"),
                              tn.layers.dropout(rate=0.5, seed=7),
                              tn.layers.dense(units=2, activation="softmax")])
    if compiled:
        m.compile(optimizer="adam", loss="categoricalCrossentropy")
    return m


def read_json(folder):
    return json.loads((folder / "model.json").read_text())


def write_json(folder, mj):
    (folder / "model.json").write_text(json.dumps(mj))


def shard_path(folder):
    [p] = read_json(folder)["weightsManifest"][0]["paths"]
    return folder / p


def process_state():
    """What a failing load must leave as it was: the global generator's state and the
    next default layer, Sequential and functional model names (consumed by configs
    without a name)."""
    counters = {k: next(c) for k, c in layers_base._counters.items()}
    for k, v in counters.items():   # put back what next() took
        layers_base._counters[k] = itertools.count(v)
    models = []
    for module, attr in ((sequential, "_ids"), (functional, "_model_ids")):
        value = next(getattr(module, attr))
        setattr(module, attr, itertools.count(value))
        models.append(value)
    return trandom.generator().bit_generator.state, counters, models


@contextlib.contextmanager
def no_hang(seconds=5):
    """A FIFO opened without O_NONBLOCK blocks forever: turn that into a failure."""
    def alarm(*_):
        raise TimeoutError("the loader blocked")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def refused(path, match, peak_mb=None, **kwargs):
    """load_layers_model(path) raises the loader's ValueError matching `match`, naming
    the file, issuing no warning and changing no process state; with peak_mb, Python's
    traced allocations (numpy's included) stay under that many MB."""
    before = process_state()
    if peak_mb is not None:
        tracemalloc.start()
    try:
        with warnings.catch_warnings(record=True) as caught, no_hang():
            warnings.simplefilter("always")
            with pytest.raises(LoadError, match=match) as info:
                load_layers_model(str(path), **kwargs)
    finally:
        if peak_mb is not None:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("load_layers_model: '")
    assert os.path.basename(str(path).rstrip("/")) in str(info.value)
    assert [str(w.message) for w in caught] == []
    assert process_state() == before
    if peak_mb is not None:
        assert peak < peak_mb * 2 ** 20, f"peak {peak / 2 ** 20:.1f} MB"
    return str(info.value)


def treino_members(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_treino(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)


def same_predictions(a, b):
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_array_equal(a.predict(x).numpy(), b.predict(x).numpy())
