"""TF.js's layers-model format: model.json + little-endian weight shards.

Writing follows what TF.js 4.22 and its converter produce: `format: "layers-model"`,
`modelTopology` in the Keras-2 style TF.js reads (class_name / config, snake_case keys,
`keras_version: "tfjs-layers 4.22.0"`), `weightsManifest` with layer-relative weight
names (trainable weights first, then the others, as TF.js's getNamedWeights orders
them), shards of at most 4 MiB (`group1-<token>-shard{i}of{n}.bin` in a folder,
`group1-shard{i}of{n}.bin` inside a .treino), and `trainingConfig` (loss, metrics,
optimizer_config) when the model is compiled with ids TF.js can read.

Reading checks every field of model.json and of the weights manifest (types, shapes,
sizes against limits.py) before any shard is read; model_config.py reads the topology,
and rebuild.py and loading.py build the model.
"""
import json
import math
import re
import warnings

import numpy as np

from ... import train
from ... import losses
from ...losses import name_of
from . import limits
from .safe_io import fail, parse_json, short

FORMAT = "layers-model"
KERAS_VERSION = "tfjs-layers 4.22.0"
BACKEND = "tensor_flow.js"
SHARD_BYTES = 4 * 1024 * 1024      # TF.js's converter default shard size
_DTYPES = {"float32": "<f4", "int32": "<i4"}
OPTIMIZER_CLASSES = {c.class_name: c for c in (
    train.SGDOptimizer, train.MomentumOptimizer, train.AdagradOptimizer,
    train.AdadeltaOptimizer, train.AdamOptimizer, train.AdamaxOptimizer,
    train.RMSPropOptimizer)}


def to_camel(key):
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def to_snake(key):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", key)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


# -- writing -------------------------------------------------------------------------------

def named_weights(model):
    """[(layer-relative name, float32/int32 array)] in TF.js's order (layer by layer,
    a nested model's layers in its place: trainable weights first, then the others)."""
    weights = model.trainable_weights + model.non_trainable_weights
    seen = set()
    for w in weights:
        if w.name in seen:
            raise ValueError(f"save: two layers of the model (in different nested models) "
                             f"have a weight named {w.name!r}; TF.js's format names weights "
                             f"by layer name, so a loader could not tell them apart. Give the "
                             f"layers distinct names")
        seen.add(w.name)
    return [(w.name, w.val.numpy()) for w in weights]


def encode_weights(named, group=None):
    """(specs, bytes): the manifest entries and the concatenated little-endian values."""
    specs, chunks = [], []
    for name, arr in named:
        dtype = str(arr.dtype)
        if dtype not in _DTYPES:
            raise TypeError(f"save: weight {name!r} has dtype {dtype}; TF.js's format holds "
                            f"{' and '.join(_DTYPES)} weights")
        spec = {"name": name, "shape": [int(d) for d in arr.shape], "dtype": dtype}
        if group is not None:
            spec["group"] = group
        specs.append(spec)
        chunks.append(np.ascontiguousarray(arr, dtype=_DTYPES[dtype]).tobytes())
    return specs, b"".join(chunks)


# A first save into a folder names its shards group1-shard{i}of{n}.bin, as TF.js's
# converter; a save over an existing model names them group1-<token>-shard{i}of{n}.bin,
# with a fresh random token per save (atomic.py: new shards never overwrite the ones
# model.json names).
# Saving over a folder deletes only files matching OWN_SHARD once the new model.json is
# in place, plus those matching LEGACY_SHARD (TF.js's converter's names, a first save's,
# other groups) that the previous model.json named: a plain-named file no model.json
# names is never touched (it may not be treino's).
OWN_SHARD = re.compile(r"group1-[0-9a-f]{12}-shard[1-9][0-9]*of[1-9][0-9]*\.bin")
LEGACY_SHARD = re.compile(r"group[1-9][0-9]*-shard[1-9][0-9]*of[1-9][0-9]*\.bin")


def shard(data, prefix="group1"):
    """[(file name, bytes)]: data cut into shards of at most SHARD_BYTES (at least one,
    possibly empty, so that the manifest always names a file)."""
    n = max(1, math.ceil(len(data) / SHARD_BYTES))
    return [(f"{prefix}-shard{i + 1}of{n}.bin", data[i * SHARD_BYTES:(i + 1) * SHARD_BYTES])
            for i in range(n)]


def training_config(model):
    """TF.js's trainingConfig for a compiled model, or None (with a warning saying why)
    when the model is not compiled or its loss/metrics are functions TF.js cannot name."""
    plan = model._compiled
    if plan is None:
        return None
    opt = plan.optimizer
    metrics = [] if plan.metrics_arg is None else plan.metrics_arg
    loss_ids, metric_ids = _ids_of(plan.loss_arg, 1), _ids_of(metrics, 2)
    if loss_ids is None or metric_ids is None:
        warnings.warn("save: the model's loss or metrics include functions, which a saved "
                      "model cannot hold; the training config (loss, metrics, optimizer) is "
                      "not saved, so the loaded model must be compiled again", stacklevel=4)
        return None
    if opt.class_name not in OPTIMIZER_CLASSES:
        warnings.warn(f"save: optimizer {type(opt).__name__} has no TF.js class; the training "
                      f"config is not saved", stacklevel=4)
        return None
    if plan.loss_weights is not None:
        # Keras writes them, but TF.js refuses to load a model whose training config has
        # them: the whole config is left out rather than saved without the weights.
        warnings.warn("save: the training config of a model compiled with loss_weights is not "
                      "saved (TF.js cannot load loss weights); compile the loaded model again",
                      stacklevel=4)
        return None
    config = {
        # A loss (or one per output, as TF.js writes them), as TF.js names it.
        "loss": _map_ids(loss_ids, lambda i: to_snake(name_of(losses.get(i)))),
        "metrics": _map_ids(metric_ids, to_snake),
        # TF.js writes the optimizer's own getConfig: camelCase keys.
        "optimizer_config": {"class_name": opt.class_name,
                             "config": {to_camel(k): v for k, v in opt.get_config().items()}},
    }
    return config


def _ids_of(v, depth):
    """v when it is an id, or lists / dicts of ids nested at most `depth` deep; None when
    it holds anything else (a function, which a file cannot hold)."""
    if isinstance(v, str):
        return v
    if depth and isinstance(v, (list, tuple)):
        items = [_ids_of(u, depth - 1) for u in v]
        return None if any(i is None for i in items) else items
    if depth and isinstance(v, dict):
        items = {k: _ids_of(u, depth - 1) for k, u in v.items()}
        return None if any(i is None for i in items.values()) else items
    return None


def _map_ids(v, fn):
    if isinstance(v, str):
        return fn(v)
    if isinstance(v, list):
        return [_map_ids(u, fn) for u in v]
    return {k: _map_ids(u, fn) for k, u in v.items()}


def model_topology(model):
    """model.json's modelTopology (and to_json's value): TF.js's toJSON of the model."""
    return {"class_name": model.class_name, "config": model.get_config(),
            "keras_version": KERAS_VERSION, "backend": BACKEND}


def _snake_metrics(v):
    if isinstance(v, str):
        return to_snake(v)
    if isinstance(v, list):
        return [_snake_metrics(u) for u in v]
    return {k: _snake_metrics(u) for k, u in v.items()}


def model_json(model, weight_specs, paths, include_optimizer=True):
    from ... import __version__
    out = {
        "modelTopology": model_topology(model),
        "format": FORMAT,
        "generatedBy": f"treino {__version__}",
        "convertedBy": None,
        "weightsManifest": [{"paths": paths, "weights": weight_specs}],
    }
    tc = training_config(model) if include_optimizer else None
    if tc is not None:
        out["trainingConfig"] = tc
    return out


def model_files(model, include_optimizer=True, prefix="group1"):
    """([(shard file name, bytes)], model.json's bytes); shards named prefix-shard{i}of{n}.bin."""
    specs, data = encode_weights(named_weights(model))
    shards = shard(data, prefix)
    mj = model_json(model, specs, [name for name, _ in shards], include_optimizer)
    return shards, json.dumps(mj).encode("utf-8")


# -- reading -------------------------------------------------------------------------------
# Everything below checks a file's declared contents against the format and against
# limits.py before any bytes are read or any memory sized by them is allocated.

def parse_model_json(data, where):
    """The model.json dict from its bytes, checked (check_model_json)."""
    return check_model_json(parse_json(data, where, "model.json"), where)


def check_model_json(mj, where):
    """mj, checked to be a layers model with a weights manifest."""
    if not isinstance(mj, dict):
        raise fail(where, f"model.json must hold a JSON object, received {type(mj).__name__}")
    fmt = mj.get("format")
    if fmt is not None and fmt != FORMAT:
        raise fail(where, f"'format' is {short(fmt)}; only TF.js 'layers-model' files can be "
                          f"loaded (a 'graph-model' is not a Layers model)")
    if not isinstance(mj.get("modelTopology"), dict):
        raise fail(where, f"this is not a TF.js layers model: it has no 'modelTopology' "
                          f"object (keys: {short(sorted(mj))})")
    if "weightsManifest" not in mj:
        raise fail(where, "'weightsManifest' is missing; a layers model lists its weights in "
                          "a 'weightsManifest' list of {'paths': [...], 'weights': [...]} groups")
    return mj


def _shape(shape, where, field):
    if not isinstance(shape, list) or len(shape) > limits.MAX_RANK or not all(
            type(d) is int and 0 <= d <= limits.MAX_DIM for d in shape):
        raise fail(where, f"{field} is {short(shape)}; expected a list of at most "
                          f"{limits.MAX_RANK} ints in [0, {limits.MAX_DIM}]")
    return tuple(shape)


def _spec(spec, where, field):
    """(name, dtype, shape, byte count, is_optimizer) of one manifest entry."""
    if not isinstance(spec, dict):
        raise fail(where, f"{field} must be an object {{'name', 'shape', 'dtype'}}, received "
                          f"{short(spec)}")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise fail(where, f"{field}.name must be a non-empty string, received {short(name)}")
    if spec.get("quantization") is not None:
        raise fail(where, f"{field} (weight {short(name)}) is quantized; treino loads float32 "
                          f"and int32 weights only")
    dtype = spec.get("dtype", "float32")
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise fail(where, f"{field}.dtype (weight {short(name)}) is {short(dtype)}; treino "
                          f"loads {' and '.join(_DTYPES)} weights")
    shape = _shape(spec.get("shape"), where, f"{field}.shape (weight {short(name)})")
    group = spec.get("group")
    if group not in (None, "model", "optimizer"):
        raise fail(where, f"{field}.group (weight {short(name)}) is {short(group)}; expected "
                          f"'model', 'optimizer' or none")
    return name, dtype, shape, math.prod(shape) * 4, group == "optimizer"


def check_manifest(manifest, where, field="weightsManifest"):
    """[(paths, entries)] of a weights manifest, every field checked; shard paths are
    listed once over the whole manifest (a shard repeated would be read repeatedly)."""
    if not isinstance(manifest, list):
        raise fail(where, f"'{field}' must be a list of {{'paths': [...], 'weights': [...]}} "
                          f"groups, received {type(manifest).__name__}")
    groups, seen, n_paths, n_entries = [], {}, 0, 0
    for gi, group in enumerate(manifest):
        f = f"{field}[{gi}]"
        if not isinstance(group, dict) or not isinstance(group.get("paths"), list) or \
                not isinstance(group.get("weights"), list):
            raise fail(where, f"{f} must be an object {{'paths': [...], 'weights': [...]}}, "
                              f"received {short(group)}")
        paths, specs = group["paths"], group["weights"]
        n_paths += len(paths)
        n_entries += len(specs)
        if n_paths > limits.MAX_SHARDS or n_entries > limits.MAX_WEIGHT_ENTRIES:
            raise fail(where, f"'{field}' lists more than {limits.MAX_SHARDS} shard paths or "
                              f"{limits.MAX_WEIGHT_ENTRIES} weights")
        for pi, p in enumerate(paths):
            pf = f"{f}.paths[{pi}]"
            if not isinstance(p, str) or not p:
                raise fail(where, f"{pf} must be a non-empty string, received {short(p)}")
            if p in seen:
                raise fail(where, f"{pf} ({short(p)}) repeats {seen[p]}; every shard may be "
                                  f"listed once")
            seen[p] = pf
        groups.append((paths, [_spec(s, where, f"{f}.weights[{si}]")
                               for si, s in enumerate(specs)]))
    return groups


def manifest_bytes(groups):
    """(model weight bytes, optimizer weight bytes) a checked manifest declares."""
    model = sum(e[3] for _, entries in groups for e in entries if not e[4])
    return model, sum(e[3] for _, entries in groups for e in entries if e[4])


def check_totals(model_bytes, optimizer_bytes, where):
    if model_bytes > limits.MAX_WEIGHT_BYTES:
        raise fail(where, f"the weights manifest declares {model_bytes} bytes of weights; a "
                          f"loader reads at most {limits.MAX_WEIGHT_BYTES} "
                          f"(treino.models.saving.limits.MAX_WEIGHT_BYTES)")
    # iter: a scalar, 4 bytes; every slot has the shape of a weight.
    most = limits.MAX_OPTIMIZER_SLOTS * model_bytes + 4
    if optimizer_bytes > most:
        raise fail(where, f"the optimizer weights declare {optimizer_bytes} bytes, more than "
                          f"{limits.MAX_OPTIMIZER_SLOTS} slots per model weight would need "
                          f"({most})")


def read_weights(groups, source, where, field="weightsManifest"):
    """(model weights {name: array}, optimizer weights [(name, array)]) of a checked
    manifest, read through `source` (safe_io.FolderSource or ZipSource). Every shard's
    size is known and every group's total matched to its entries before anything is read;
    then each group is read into one buffer of exactly that size, and the arrays are
    views of it."""
    sizes = []
    for gi, (paths, entries) in enumerate(groups):
        got = [source.size(p, f"{field}[{gi}].paths[{pi}]") for pi, p in enumerate(paths)]
        need = sum(e[3] for e in entries)
        if sum(got) != need:
            raise fail(where, f"weight group {gi + 1} ({short(', '.join(paths), 200)}) holds "
                              f"{sum(got)} bytes but its {len(entries)} weights need {need}; the "
                              f"shards are truncated, corrupted or do not belong to this model.json")
        sizes.append(got)
    model_w, opt_w = {}, []
    for gi, (paths, entries) in enumerate(groups):
        buf = np.empty(sum(sizes[gi]), np.uint8)
        view, offset = memoryview(buf), 0
        for pi, (p, n) in enumerate(zip(paths, sizes[gi])):
            source.read_into(p, view[offset:offset + n], f"{field}[{gi}].paths[{pi}]")
            offset += n
        offset = 0
        for name, dtype, shape, n, is_opt in entries:
            arr = buf[offset:offset + n].view(_DTYPES[dtype]).reshape(shape)
            arr = arr.astype(dtype, copy=False)   # a copy only on a big-endian machine
            offset += n
            if is_opt:
                opt_w.append((name, arr))
            elif name in model_w:
                raise fail(where, f"weight {short(name)} appears twice in the manifest")
            else:
                model_w[name] = arr
    return model_w, opt_w


_SHAPE_KEYS = ("batch_input_shape", "input_shape", "target_shape", "noise_shape")


def snake_config(config, where, field):
    """A layer's config with snake_case keys (TF.js writes them; camelCase keys of
    hand-written configs are accepted too), its shapes bounded before any arithmetic."""
    out = {}
    for key, value in config.items():
        snake = to_snake(key)
        if snake in out:
            raise fail(where, f"{field} gives {short(snake)} twice (as {short(key)} and in "
                              f"another spelling)")
        if snake in _SHAPE_KEYS and isinstance(value, list) and (
                len(value) > limits.MAX_RANK or any(
                    type(d) is int and not -1 <= d <= limits.MAX_DIM for d in value)):
            raise fail(where, f"{field}.{key} is {short(value)}; a shape has at most "
                              f"{limits.MAX_RANK} sizes, each at most {limits.MAX_DIM}")
        out[snake] = value
    return out


def optimizer_from_config(oc, where):
    field = "trainingConfig.optimizer_config"
    name = oc.get("class_name") if isinstance(oc, dict) else None
    if not isinstance(name, str) or name not in OPTIMIZER_CLASSES:
        raise fail(where, f"{field} names unknown optimizer {short(name if name else oc)}; known: "
                          f"{', '.join(OPTIMIZER_CLASSES)} (pass compile=False to load without "
                          f"the training config)")
    config = oc.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise fail(where, f"{field}.config must be an object, received {short(config)}")
    config = snake_config(config, where, f"{field}.config")
    try:
        return OPTIMIZER_CLASSES[name].from_config(config)
    except Exception as e:   # the constructor's own check, whatever its type
        raise fail(where, f"{field}: bad {name} optimizer config {short(config, 300)} "
                          f"({e})") from None
