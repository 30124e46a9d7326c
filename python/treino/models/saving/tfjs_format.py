"""TF.js's layers-model format: model.json + little-endian weight shards.

Writing follows what TF.js 4.22 and its converter produce: `format: "layers-model"`,
`modelTopology` in the Keras-2 style TF.js reads (class_name / config, snake_case keys,
`keras_version: "tfjs-layers 4.22.0"`), `weightsManifest` with layer-relative weight
names (trainable weights first, then the others, as TF.js's getNamedWeights orders
them), shards of at most 4 MiB named `group1-shard{i}of{n}.bin`, and `trainingConfig`
(loss, metrics, optimizer_config) when the model is compiled with ids TF.js can read.

Reading checks everything (JSON shape, layer classes, byte counts, names, shapes)
before a model exists, so an error never leaves a half-loaded model behind.
"""
import json
import math
import re
import warnings

import numpy as np

from ... import train
from ...losses import name_of

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
    """[(layer-relative name, float32/int32 array)] in TF.js's order."""
    return [(w.name, w.val.numpy()) for w in model.trainable_weights + model.non_trainable_weights]


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


def shard(data, prefix="group1"):
    """[(file name, bytes)]: data cut into shards of at most SHARD_BYTES (at least one,
    possibly empty, so that the manifest always names a file)."""
    n = max(1, math.ceil(len(data) / SHARD_BYTES))
    return [(f"{prefix}-shard{i + 1}of{n}.bin", data[i * SHARD_BYTES:(i + 1) * SHARD_BYTES])
            for i in range(n)]


def training_config(model):
    """TF.js's trainingConfig for a compiled model, or None (with a warning saying why)
    when the model is not compiled or its loss/metrics are functions TF.js cannot name."""
    if model._compiled is None:
        return None
    _, loss, metrics, opt, loss_fn, _, _ = model._compiled
    if not isinstance(loss, str) or any(not isinstance(m, str) for m in metrics):
        warnings.warn("save: the model's loss or metrics include functions, which a saved "
                      "model cannot hold; the training config (loss, metrics, optimizer) is "
                      "not saved, so the loaded model must be compiled again", stacklevel=4)
        return None
    if opt.class_name not in OPTIMIZER_CLASSES:
        warnings.warn(f"save: optimizer {type(opt).__name__} has no TF.js class; the training "
                      f"config is not saved", stacklevel=4)
        return None
    return {
        "loss": to_snake(name_of(loss_fn)),
        "metrics": [to_snake(m) for m in metrics],
        # TF.js writes the optimizer's own getConfig: camelCase keys.
        "optimizer_config": {"class_name": opt.class_name,
                             "config": {to_camel(k): v for k, v in opt.get_config().items()}},
    }


def model_json(model, weight_specs, paths, include_optimizer=True):
    from ... import __version__
    out = {
        "modelTopology": {"class_name": "Sequential", "config": model.get_config(),
                          "keras_version": KERAS_VERSION, "backend": BACKEND},
        "format": FORMAT,
        "generatedBy": f"treino {__version__}",
        "convertedBy": None,
        "weightsManifest": [{"paths": paths, "weights": weight_specs}],
    }
    tc = training_config(model) if include_optimizer else None
    if tc is not None:
        out["trainingConfig"] = tc
    return out


def model_files(model, include_optimizer=True):
    """[(file name, bytes)]: the shards, then model.json (renamed last when written)."""
    specs, data = encode_weights(named_weights(model))
    shards = shard(data)
    mj = model_json(model, specs, [name for name, _ in shards], include_optimizer)
    return shards + [("model.json", json.dumps(mj).encode("utf-8"))]


# -- reading -------------------------------------------------------------------------------

def parse_model_json(data, where):
    """The model.json dict, checked to be a layers model with a manifest."""
    try:
        mj = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"load_layers_model: {where} is not valid JSON ({e})") from None
    if not isinstance(mj, dict):
        raise ValueError(f"load_layers_model: {where} must hold a JSON object, received "
                         f"{type(mj).__name__}")
    fmt = mj.get("format")
    if fmt is not None and fmt != FORMAT:
        raise ValueError(f"load_layers_model: {where} has format {fmt!r}; only TF.js "
                         f"'layers-model' files can be loaded (a 'graph-model' is not a "
                         f"Layers model)")
    topo = mj.get("modelTopology")
    if not isinstance(topo, dict):
        raise ValueError(f"load_layers_model: {where} is not a TF.js layers model: it has no "
                         f"'modelTopology' object (keys: {sorted(mj)})")
    manifest = mj.get("weightsManifest")
    if not isinstance(manifest, list) or not all(
            isinstance(g, dict) and isinstance(g.get("paths"), list) and
            isinstance(g.get("weights"), list) for g in manifest):
        raise ValueError(f"load_layers_model: {where} needs a 'weightsManifest' list of "
                         f"{{'paths': [...], 'weights': [...]}} groups")
    return mj


def _spec_size(spec, where):
    name = spec.get("name") if isinstance(spec, dict) else None
    if not isinstance(name, str):
        raise ValueError(f"load_layers_model: {where}: every weight entry needs a 'name', "
                         f"received {spec!r}")
    if "quantization" in spec:
        raise ValueError(f"load_layers_model: weight {name!r} is quantized; treino loads "
                         f"float32 and int32 weights only")
    dtype, shape = spec.get("dtype", "float32"), spec.get("shape")
    if dtype not in _DTYPES:
        raise ValueError(f"load_layers_model: weight {name!r} has dtype {dtype!r}; treino "
                         f"loads {' and '.join(_DTYPES)} weights")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ValueError(f"load_layers_model: weight {name!r} has shape {shape!r}; expected "
                         f"a list of non-negative ints")
    return name, dtype, shape, math.prod(shape) * 4


def decode_weights(mj, read, where):
    """(model weights {name: array}, optimizer weights [(name, array)]) from the
    manifest; read(path) returns a shard's bytes. The byte count of every group must be
    exactly what its entries need."""
    model_w, opt_w = {}, []
    for gi, group in enumerate(mj["weightsManifest"]):
        data = b"".join(read(p) for p in group["paths"])
        entries = [_spec_size(s, where) + (s.get("group"),) for s in group["weights"]]
        need = sum(e[3] for e in entries)
        if need != len(data):
            raise ValueError(f"load_layers_model: weight group {gi + 1} ({', '.join(group['paths'])}) "
                             f"holds {len(data)} bytes but its {len(entries)} weights need "
                             f"{need}; the shards are truncated, corrupted or do not belong to "
                             f"this model.json")
        offset = 0
        for name, dtype, shape, size, kind in entries:
            arr = np.frombuffer(data, dtype=_DTYPES[dtype], count=size // 4,
                                offset=offset).reshape(shape).astype(dtype)
            offset += size
            if kind == "optimizer":
                opt_w.append((name, arr))
            elif name in model_w:
                raise ValueError(f"load_layers_model: weight {name!r} appears twice in {where}")
            else:
                model_w[name] = arr
    return model_w, opt_w


def layer_configs(mj, where):
    """[(class_name, config)] of a Sequential topology (TF.js's, or a Keras model_config
    wrapper around one)."""
    topo = mj["modelTopology"]
    topo = topo.get("model_config", topo)
    cls = topo.get("class_name") if isinstance(topo, dict) else None
    if cls != "Sequential":
        raise ValueError(f"load_layers_model: {where} holds a {cls!r} model; treino loads "
                         f"Sequential models (functional models come later)")
    config = topo.get("config")
    layers = config.get("layers") if isinstance(config, dict) else config
    if not isinstance(layers, list) or not layers:
        raise ValueError(f"load_layers_model: {where}: the Sequential config has no 'layers' list")
    out = []
    for i, entry in enumerate(layers):
        if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
            raise ValueError(f"load_layers_model: {where}: layer {i} must be "
                             f"{{'class_name': ..., 'config': {{...}}}}, received {entry!r}")
        out.append((entry.get("class_name"), entry["config"]))
    name = config.get("name") if isinstance(config, dict) else None
    return name, out


def optimizer_from_config(oc):
    if not isinstance(oc, dict) or oc.get("class_name") not in OPTIMIZER_CLASSES:
        name = oc.get("class_name") if isinstance(oc, dict) else oc
        raise ValueError(f"load_layers_model: unknown optimizer {name!r} in the training "
                         f"config; known: {', '.join(OPTIMIZER_CLASSES)} (pass compile=False "
                         f"to load without the training config)")
    cls = OPTIMIZER_CLASSES[oc["class_name"]]
    config = {to_snake(k): v for k, v in (oc.get("config") or {}).items()}
    try:
        return cls.from_config(config)
    except (TypeError, ValueError) as e:
        raise ValueError(f"load_layers_model: bad {oc['class_name']} optimizer config "
                         f"{oc.get('config')!r} ({e})") from None
