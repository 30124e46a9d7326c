"""The native single-file format, `model.treino`: a zip holding

- model.json and its shards, exactly the TF.js folder format (unzip to get a folder
  TF.js loads);
- optimizer.json + optimizer.bin: the optimizer's weights ('iter' and every slot, under
  layer-relative names) as a TF.js weights manifest;
- treino.json: the format version and the random state that a seeded run depends on
  (the global generator feeding shuffles, initialisers and unseeded dropout, and each
  seeded Dropout layer's own generator).

Restoring that random state is what makes a resumed fit bit-identical to an
uninterrupted one: the next epoch draws the same shuffle and dropout masks. Loading a
.treino restores it by default (restore_random_state=False leaves the global generator
alone), and only once everything else has loaded: a failing load changes nothing.
The zip is written to a temporary file and renamed over the target.
"""
import io
import json
import zipfile

import numpy as np

from ...core import random as trandom
from . import atomic
from .loading import build_model, optimizer_state
from .safe_io import ZipSource, fail, short
from .tfjs_format import (check_manifest, check_model_json, check_totals, encode_weights,
                          manifest_bytes, model_files, read_weights)

FORMAT_VERSION = 1
# The generator treino's random module uses (numpy's default); a saved state is for it.
_BIT_GENERATOR = "PCG64"


def _seeded_layers(model):
    """The layers (nested models' included) with a generator of their own, by name."""
    return [l for l in model._leaf_layers() if getattr(l, "_rng", None) is not None]


def _random_state(model):
    layers = {}
    for l in _seeded_layers(model):
        if l.name in layers:
            raise ValueError(f"save: two seeded layers of the model (in different nested "
                             f"models) are named {l.name!r}; a .treino file keeps their random "
                             f"state by layer name. Give the layers distinct names")
        layers[l.name] = l._rng.bit_generator.state
    return {"global": trandom.generator().bit_generator.state, "layers": layers}


def save(model, path, include_optimizer=True):
    # The JSON members are deflated; the weights, which barely compress, are stored (a
    # loader refuses members that inflate more than limits.MAX_COMPRESSION_RATIO).
    random_state = _random_state(model)   # checked before anything is written
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        shards, mj = model_files(model, include_optimizer)
        for name, data in shards:
            z.writestr(name, data, zipfile.ZIP_STORED)
        z.writestr("model.json", mj)
        if include_optimizer and model.optimizer is not None and model._compiled is not None:
            specs, data = encode_weights(optimizer_state(model), group="optimizer")
            z.writestr("optimizer.json", json.dumps(
                {"weightsManifest": [{"paths": ["optimizer.bin"], "weights": specs}]}))
            z.writestr("optimizer.bin", data, zipfile.ZIP_STORED)
        z.writestr("treino.json", json.dumps(
            {"format": "treino", "version": FORMAT_VERSION, "random_state": random_state}))
    atomic.write_file(path, buf.getvalue())


def _check_generator_state(s, where, field):
    """A PCG64 state as numpy's bit_generator.state gives it, every field checked (numpy
    itself accepts some malformed ones), then tried on a scratch generator."""
    ok = (isinstance(s, dict) and set(s) == {"bit_generator", "state", "has_uint32", "uinteger"}
          and s["bit_generator"] == _BIT_GENERATOR and isinstance(s["state"], dict)
          and set(s["state"]) == {"state", "inc"}
          and all(type(v) is int and 0 <= v < 2 ** 128 for v in s["state"].values())
          and s["has_uint32"] in (0, 1) and type(s["has_uint32"]) is int
          and type(s["uinteger"]) is int and 0 <= s["uinteger"] < 2 ** 32)
    if ok:
        try:
            np.random.PCG64().state = s
        except Exception:
            ok = False
    if not ok:
        raise fail(where, f"treino.json: {field} is not a saved {_BIT_GENERATOR} generator "
                          f"state: {short(s)}")
    return s


def _check_meta(meta, where):
    """treino.json checked: {'global': state or None, 'layers': {layer name: state}}."""
    if not isinstance(meta, dict) or meta.get("format") != "treino":
        raise fail(where, "treino.json must be an object with \"format\": \"treino\"")
    version = meta.get("version")
    if type(version) is not int or not 1 <= version <= FORMAT_VERSION:
        raise fail(where, f"treino.json: this is a .treino file of version {short(version)}; "
                          f"this treino reads versions 1 to {FORMAT_VERSION}")
    state = meta.get("random_state")
    if state is None:
        return {"global": None, "layers": {}}
    if not isinstance(state, dict) or not isinstance(state.get("layers", {}), dict):
        raise fail(where, f"treino.json: random_state must be an object "
                          f"{{'global': ..., 'layers': {{...}}}}, received {short(state)}")
    g = state.get("global")
    layers = state.get("layers", {})
    return {"global": None if g is None else _check_generator_state(g, where, "random_state.global"),
            "layers": {name: _check_generator_state(s, where, f"random_state.layers[{short(name)}]")
                       for name, s in layers.items()}}


def _optimizer_manifest(src, groups, where):
    """optimizer.json's checked manifest groups, or None."""
    if "optimizer.json" not in src.members:
        return None
    oj = src.read_json("optimizer.json", "optimizer.json")
    field = "optimizer.json weightsManifest"
    if not isinstance(oj, dict):
        raise fail(where, f"optimizer.json must hold an object with a 'weightsManifest', "
                          f"received {short(oj)}")
    opt_groups = check_manifest(oj.get("weightsManifest"), where, field)
    if any(not e[4] for _, entries in opt_groups for e in entries):
        raise fail(where, f"{field} lists weights outside the 'optimizer' group")
    if any(e[4] for _, entries in groups for e in entries):
        raise fail(where, "both model.json and optimizer.json hold optimizer weights")
    return opt_groups


def load(path, strict=True, compile=True, restore_random_state=True):
    where = repr(str(path))
    with ZipSource(path, where) as src:
        state = _check_meta(src.read_json("treino.json", "treino.json"), where)
        mj = check_model_json(src.read_json("model.json", "model.json"), where)
        groups = check_manifest(mj["weightsManifest"], where)
        opt_groups = _optimizer_manifest(src, groups, where)
        model_bytes, opt_bytes = manifest_bytes(groups)
        if opt_groups is not None:
            opt_bytes += manifest_bytes(opt_groups)[1]
        check_totals(model_bytes, opt_bytes, where)
        model_w, opt_w = read_weights(groups, src, where)
        if opt_groups is not None:
            _, opt_w = read_weights(opt_groups, src, where, "optimizer.json weightsManifest")

    def finish(model):
        if restore_random_state:
            _restore(model, state, where)
    return build_model(mj, model_w, opt_w, where, strict=strict, compile=compile, finish=finish)


def _restore(model, state, where):
    """Checks that every saved layer generator belongs to a seeded layer, then sets them
    all and the global one (which, once checked, cannot fail)."""
    by_name = {l.name: l for l in _seeded_layers(model)}
    rngs = []
    for name, s in state["layers"].items():
        rng = getattr(by_name.get(name), "_rng", None)
        if rng is None or type(rng.bit_generator).__name__ != _BIT_GENERATOR:
            raise fail(where, f"treino.json: random_state.layers names {short(name)}, which is "
                              f"not a seeded layer of the model")
        rngs.append((rng, s))
    g = trandom.generator()
    if state["global"] is not None and type(g.bit_generator).__name__ == _BIT_GENERATOR:
        rngs.append((g, state["global"]))
    for rng, s in rngs:
        rng.bit_generator.state = s
