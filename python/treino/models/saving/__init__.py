"""Saving and loading models.

- `model.save('dir')` / `save_model(model, 'dir')`: TF.js's layers-model folder
  (model.json + group1-<token>-shard{i}of{n}.bin), readable by TF.js's
  tf.loadLayersModel. The training config (loss, metrics, optimizer config) is written
  when the model is compiled; the optimizer's state is not (TF.js's own default).
- `model.save('x.treino')` (the suffix in any case): one zip file with the same folder
  plus the optimizer's state and the random state, for checkpoints that resume training
  exactly.
- `load_layers_model(path)`: a folder, its model.json, or a .treino file; Sequential and
  functional models, nested models, and the layer classes registered with
  tn.serialization.register_class.
- `model_from_json(json_or_dict)` / `model.to_json()`: the topology alone (topology_json.py).

Paths are local: TF.js's `file://` prefix is accepted and dropped; TF.js's other URL
schemes (http://, indexeddb://, localstorage://, downloads://) are refused.

Writes are atomic (atomic.py). Loading treats every file as untrusted (safe_io.py,
limits.py, docs/loading.md): it reads only regular files inside the model's folder,
checks every declared size before reading or allocating, and a failing load raises
ValueError naming the file and field and changes nothing.
"""
import os
import re
import stat

from . import atomic, limits, native
from .loading import build_model
from .safe_io import FolderSource, LoadError, fail, open_regular, read_limited
from .tfjs_format import (LEGACY_SHARD, OWN_SHARD, check_manifest, check_totals,
                          manifest_bytes, model_files, parse_model_json, read_weights)
from .topology_json import model_from_json, to_json

__all__ = ["save_model", "load_layers_model", "model_from_json", "to_json", "LoadError"]

# A URL scheme as TF.js's model IO routes on ('indexeddb://', 'file://'...); two letters
# at least, so that a Windows drive ('C:/models') is a path.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+)://")


def _path(path, fn):
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"{fn}: argument 'path' must be a path (str or os.PathLike), "
                        f"received {type(path).__name__}") from None
    if isinstance(path, bytes):
        raise TypeError(f"{fn}: argument 'path' must be a str path, received bytes")
    scheme = _SCHEME.match(path)
    if scheme and scheme.group(1).lower() == "file":
        path = path[scheme.end():]   # TF.js's file://path (file:///abs/path: /abs/path)
    elif scheme:
        raise ValueError(f"{fn}: argument 'path' is {path!r}, a {scheme.group(1)}:// URL; "
                         f"treino reads and writes local files only: give a path (TF.js's "
                         f"'file://' prefix is accepted)")
    if not path:
        raise ValueError(f"{fn}: argument 'path' must not be empty; give a folder, a "
                         f"model.json path or a file name ending in '.treino'")
    return path


def _is_treino_name(path):
    return path.lower().endswith(".treino")


def save_model(model, path, include_optimizer=True):
    """Writes `model` to `path`: a .treino file when the path ends in '.treino' (in any
    letter case: 'model.TREINO' too), else a TF.js layers-model folder (created if
    needed; 'dir/model.json' means 'dir'). Returns the path."""
    path = _path(path, "save")
    model._check_layers("save")
    if _is_treino_name(path):
        if os.path.isdir(path):
            raise ValueError(f"save: {path!r} is a folder; a path ending in '.treino' names the "
                             f"single file to write")
        native.save(model, path, include_optimizer)
        return path
    if os.path.isfile(path) and os.path.basename(path) != "model.json":
        raise ValueError(f"save: {path!r} is a file; a TF.js layers model is saved to a "
                         f"folder (or give a path ending in '.treino' for one file)")
    folder = os.path.dirname(path) if os.path.basename(path) == "model.json" else path
    folder = folder or "."
    previous = _previous_shards(folder)
    # A first save into a folder uses the converter's names (group1-shard1of1.bin); a
    # save over an existing model writes under fresh names, so that the model.json in
    # place keeps naming intact shards until the new one replaces it (atomic.py).
    prefix = "group1" if _fresh_folder(folder) else f"group1-{atomic.new_token()}"
    shards, mj = model_files(model, include_optimizer, prefix=prefix)
    atomic.write_folder(folder, shards, "model.json", mj, OWN_SHARD, previous)
    return path


def _fresh_folder(folder):
    """No model.json and no file under the converter's shard names: nothing a save could
    overwrite."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return "model.json" not in names and not any(LEGACY_SHARD.fullmatch(n) for n in names)


def _previous_shards(folder):
    """Shards under an older naming (TF.js's converter's, earlier treino's) that the
    folder's current model.json names: the save replaces them. Anything else it names is
    left alone, whatever the model.json says."""
    try:
        fd, _ = open_regular(os.path.join(folder, "model.json"), "model.json", "model.json",
                             nofollow=True)
        with os.fdopen(fd, "rb") as f:
            mj = parse_model_json(read_limited(f.fileno(), limits.MAX_JSON_BYTES, "", ""), "")
        groups = check_manifest(mj["weightsManifest"], "")
    except (OSError, ValueError):
        return set()
    return {p for paths, _ in groups for p in paths if LEGACY_SHARD.fullmatch(p)}


def _looks_like_zip(path, where):
    fd, _ = open_regular(path, where, "the model file")
    with os.fdopen(fd, "rb") as f:
        return f.read(4) in (b"PK\x03\x04", b"PK\x05\x06")


def load_layers_model(path, strict=True, compile=True, restore_random_state=True):
    """A model (Sequential or functional) from a TF.js layers-model folder ('dir',
    'dir/model.json', or either with TF.js's 'file://' prefix) or a .treino file:
    architecture, weights, and, when saved and compile=True, the training config
    (compiled, so fit can continue) and optimizer state. A layer of a class of the user's
    loads once the class is registered (tn.serialization.register_class).

    strict=False loads the weights whose names and shapes match and reports the rest
    (a warning and `model.load_report`). For a .treino file, restore_random_state=True
    (default) also restores the global random generator and seeded Dropout generators
    as they were at saving, so a resumed fit repeats the uninterrupted one exactly.

    The files are not trusted (docs/loading.md): anything wrong with them raises
    ValueError (LoadError) naming the file and the field, and changes nothing."""
    path = _path(path, "load_layers_model")
    missing = FileNotFoundError(f"load_layers_model: no model at {path!r} (expected a folder "
                                f"with a model.json, a model.json file, or a .treino file)")
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise missing from None
    except (OSError, ValueError) as e:
        raise fail(repr(path), f"cannot read it: {getattr(e, 'strerror', None) or e}") from None
    if stat.S_ISDIR(st.st_mode):
        folder, json_path = path, os.path.join(path, "model.json")
        if not os.path.lexists(json_path):
            raise missing
    elif not stat.S_ISREG(st.st_mode):
        raise fail(repr(path), "is not a regular file or a folder")
    elif _is_treino_name(path) or _looks_like_zip(path, repr(path)):
        return native.load(path, strict=strict, compile=compile,
                           restore_random_state=restore_random_state)
    else:
        folder, json_path = os.path.dirname(os.path.abspath(path)), path
    where = repr(json_path)
    source = FolderSource(folder, where)
    fd, _ = source.open_inside(os.path.basename(json_path), "model.json", "model.json")
    with os.fdopen(fd, "rb") as f:
        mj = parse_model_json(read_limited(f.fileno(), limits.MAX_JSON_BYTES, where,
                                           "model.json"), where)
    groups = check_manifest(mj["weightsManifest"], where)
    check_totals(*manifest_bytes(groups), where)
    model_w, opt_w = read_weights(groups, source, where)
    return build_model(mj, model_w, opt_w, where, strict=strict, compile=compile)
