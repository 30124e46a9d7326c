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
alone). The zip is written to a temporary file and renamed over the target.
"""
import io
import json
import zipfile
import zlib

from ...core import random as trandom
from . import atomic
from .loading import build_model, optimizer_state
from .tfjs_format import decode_weights, encode_weights, model_files, parse_model_json

FORMAT_VERSION = 1


def _random_state(model):
    layers = {l.name: l._rng.bit_generator.state for l in model._layers
              if getattr(l, "_rng", None) is not None}
    return {"global": trandom.generator().bit_generator.state, "layers": layers}


def save(model, path, include_optimizer=True):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in model_files(model, include_optimizer):
            z.writestr(name, data)
        if include_optimizer and model.optimizer is not None and model._compiled is not None:
            specs, data = encode_weights(optimizer_state(model), group="optimizer")
            z.writestr("optimizer.json", json.dumps(
                {"weightsManifest": [{"paths": ["optimizer.bin"], "weights": specs}]}))
            z.writestr("optimizer.bin", data)
        z.writestr("treino.json", json.dumps(
            {"format": "treino", "version": FORMAT_VERSION, "random_state": _random_state(model)}))
    atomic.write_file(path, buf.getvalue())


def load(path, strict=True, compile=True, restore_random_state=True):
    where = repr(str(path))
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise ValueError(f"load_layers_model: {where} is not a readable .treino file (a zip): "
                         f"{e}; it may be truncated or corrupted") from None
    with z:
        names = set(z.namelist())

        def read(name):
            if name not in names:
                raise ValueError(f"load_layers_model: {where} lacks {name!r}; it is not a "
                                 f"complete .treino file")
            try:
                return z.read(name)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:  # CRC mismatch, truncation
                raise ValueError(f"load_layers_model: {where}: {name!r} is corrupted ({e})") from None

        try:
            meta = json.loads(read("treino.json"))
        except json.JSONDecodeError as e:
            raise ValueError(f"load_layers_model: {where}: treino.json is not valid JSON ({e})") from None
        if meta.get("format") != "treino" or meta.get("version", 0) > FORMAT_VERSION:
            raise ValueError(f"load_layers_model: {where} is a .treino file of version "
                             f"{meta.get('version')!r}; this treino reads up to {FORMAT_VERSION}")
        mj = parse_model_json(read("model.json"), f"{where} (model.json)")
        model_w, opt_w = decode_weights(mj, read, where)
        if "optimizer.json" in names:
            oj = json.loads(read("optimizer.json"))
            _, opt_w = decode_weights(oj, read, f"{where} (optimizer.json)")
        state = meta.get("random_state") or {}
    model = build_model(mj, model_w, opt_w, where, strict=strict, compile=compile)
    if restore_random_state:
        _restore(model, state)
    return model


def _restore(model, state):
    g = trandom.generator()
    saved = state.get("global")
    if saved and saved.get("bit_generator") == type(g.bit_generator).__name__:
        g.bit_generator.state = saved
    for layer in model._layers:
        s = state.get("layers", {}).get(layer.name)
        rng = getattr(layer, "_rng", None)
        if s and rng is not None and s.get("bit_generator") == type(rng.bit_generator).__name__:
            rng.bit_generator.state = s
