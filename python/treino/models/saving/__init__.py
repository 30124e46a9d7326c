"""Saving and loading models.

- `model.save('dir')` / `save_model(model, 'dir')`: TF.js's layers-model folder
  (model.json + group1-shard{i}of{n}.bin), readable by TF.js's tf.loadLayersModel. The
  training config (loss, metrics, optimizer config) is written when the model is
  compiled; the optimizer's state is not (TF.js's own default).
- `model.save('x.treino')`: one zip file with the same folder plus the optimizer's
  state and the random state, for checkpoints that resume training exactly.
- `load_layers_model(path)`: a folder, its model.json, or a .treino file.

Writes are atomic (see atomic.py); loading checks everything before returning.
"""
import os
import zipfile

from . import atomic, native
from .loading import build_model
from .tfjs_format import decode_weights, model_files, parse_model_json

__all__ = ["save_model", "load_layers_model"]


def _path(path, fn):
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(f"{fn}: argument 'path' must be a path (str or os.PathLike), "
                        f"received {type(path).__name__}") from None


def save_model(model, path, include_optimizer=True):
    """Writes `model` to `path`: a .treino file when the path ends in '.treino', else a
    TF.js layers-model folder (created if needed). Returns the path."""
    path = _path(path, "save")
    model._check_layers("save")
    if path.endswith(".treino"):
        native.save(model, path, include_optimizer)
        return path
    if os.path.isfile(path):
        raise ValueError(f"save: {path!r} is a file; a TF.js layers model is saved to a "
                         f"folder (or give a path ending in '.treino' for one file)")
    folder = path[:-len("model.json")] if os.path.basename(path) == "model.json" else path
    folder = folder or "."
    old = _old_shards(folder)
    files = model_files(model, include_optimizer)
    atomic.write_files(folder, files)
    # Shards of an earlier, larger save that the new model.json no longer names.
    for name in old - {n for n, _ in files}:
        try:
            os.remove(os.path.join(folder, name))
        except OSError:
            pass
    return path


def _old_shards(folder):
    try:
        with open(os.path.join(folder, "model.json"), "rb") as f:
            mj = parse_model_json(f.read(), "model.json")
    except (OSError, ValueError):
        return set()
    return {p for g in mj["weightsManifest"] for p in g["paths"]
            if isinstance(p, str) and os.path.basename(p) == p}


def load_layers_model(path, strict=True, compile=True, restore_random_state=True):
    """A Sequential model from a TF.js layers-model folder ('dir' or 'dir/model.json')
    or a .treino file: architecture, weights, and, when saved and compile=True, the
    training config (compiled, so fit can continue) and optimizer state.

    strict=False loads the weights whose names and shapes match and reports the rest
    (a warning and `model.load_report`). For a .treino file, restore_random_state=True
    (default) also restores the global random generator and seeded Dropout generators
    as they were at saving, so a resumed fit repeats the uninterrupted one exactly."""
    path = _path(path, "load_layers_model")
    if os.path.isdir(path):
        json_path = os.path.join(path, "model.json")
    elif os.path.isfile(path) and (path.endswith(".treino") or zipfile.is_zipfile(path)):
        return native.load(path, strict=strict, compile=compile,
                           restore_random_state=restore_random_state)
    else:
        json_path = path
    if not os.path.isfile(json_path):
        raise FileNotFoundError(f"load_layers_model: no model at {path!r} (expected a folder "
                                f"with a model.json, a model.json file, or a .treino file)")
    folder = os.path.dirname(os.path.abspath(json_path))
    where = repr(json_path)
    with open(json_path, "rb") as f:
        mj = parse_model_json(f.read(), where)

    def read(p):
        full = os.path.join(folder, p)
        try:
            with open(full, "rb") as f:
                return f.read()
        except OSError as e:
            raise ValueError(f"load_layers_model: cannot read weight shard {p!r} named in "
                             f"{where}: {e.strerror}") from None
    model_w, opt_w = decode_weights(mj, read, where)
    return build_model(mj, model_w, opt_w, where, strict=strict, compile=compile)
