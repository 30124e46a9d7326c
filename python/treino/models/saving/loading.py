"""Builds a model from checked model.json contents: layers from their configs, weights
matched by name, the training config compiled, optimizer state mapped onto the new
model's variables. Every check runs before the function returns, so a failure never
hands back a half-loaded model (the half-built one is simply dropped)."""
import warnings

import numpy as np

from ... import layers as layers_mod
from .tfjs_format import layer_configs, optimizer_from_config, to_snake


def _layer(cls_name, config, index, where):
    cls = layers_mod.CLASSES.get(cls_name)
    if cls is None:
        raise ValueError(f"load_layers_model: {where}: layer {index} has unknown class "
                         f"{cls_name!r}; known layer classes: {', '.join(layers_mod.CLASSES)}")
    # TF.js writes snake_case; camelCase keys (hand-written configs) are accepted too.
    config = {to_snake(k): v for k, v in config.items()}
    try:
        return cls.from_config(config)
    except (TypeError, ValueError) as e:
        raise ValueError(f"load_layers_model: {where}: cannot build layer {index} "
                         f"({cls_name} {config.get('name')!r}) from its config: {e}") from None


def build_model(mj, model_w, opt_w, where, strict=True, compile=True):
    """A Sequential from a parsed model.json and decoded weights. With strict=False the
    weights that match (name and shape) are loaded and the rest reported: a warning and
    `model.load_report` = {'missing': [...], 'unused': [...], 'mismatched': [...]}."""
    from ..sequential import Sequential
    name, configs = layer_configs(mj, where)
    layers = [_layer(c, cfg, i, where) for i, (c, cfg) in enumerate(configs)]
    try:
        model = Sequential(layers=layers, name=name)
    except (TypeError, ValueError) as e:
        raise ValueError(f"load_layers_model: {where}: the layers do not fit together: {e}") from None

    ws = {w.name: w for w in model.weights}
    missing = [n for n in ws if n not in model_w]
    unused = [n for n in model_w if n not in ws]
    mismatched = [f"{n}: model {list(ws[n].shape)}, file {list(model_w[n].shape)}"
                  for n in ws if n in model_w and tuple(model_w[n].shape) != ws[n].shape]
    if strict and (missing or unused or mismatched):
        parts = []
        if missing:
            parts.append(f"missing from the file: {', '.join(missing)}")
        if unused:
            parts.append(f"in the file but not in the model: {', '.join(unused)}")
        if mismatched:
            parts.append(f"wrong shapes: {'; '.join(mismatched)}")
        raise ValueError(f"load_layers_model: the weights in {where} do not match the model "
                         f"({'; '.join(parts)}); pass strict=False to load the weights that "
                         f"match")
    for n, w in ws.items():
        if n in model_w and tuple(model_w[n].shape) == w.shape:
            w.val.assign(np.ascontiguousarray(model_w[n], dtype=w.val.numpy().dtype))
    if not strict:
        model.load_report = {"missing": missing, "unused": unused, "mismatched": mismatched}
        if missing or unused or mismatched:
            warnings.warn(f"load_layers_model: loaded the matching weights only; not loaded: "
                          f"{model.load_report}", stacklevel=3)

    tc = mj.get("trainingConfig")
    if compile and tc is not None:
        _compile(model, tc, where)
        if opt_w:
            set_optimizer_state(model, opt_w, strict, where)
    return model


def _compile(model, tc, where):
    if not isinstance(tc, dict):
        raise ValueError(f"load_layers_model: {where}: 'trainingConfig' must be an object")
    for key in ("weighted_metrics", "loss_weights", "sample_weight_mode"):
        if tc.get(key) is not None:
            raise ValueError(f"load_layers_model: {where}: the training config uses "
                             f"{key!r}, which treino does not support (pass compile=False)")
    opt = optimizer_from_config(tc.get("optimizer_config"))
    metrics = tc.get("metrics") or []
    if isinstance(metrics, dict):
        metrics = list(metrics.values())
    loss = tc.get("loss")
    if isinstance(loss, list) and len(loss) == 1:
        loss = loss[0]
    try:
        model.compile(optimizer=opt, loss=loss, metrics=list(metrics))
    except (TypeError, ValueError) as e:
        raise ValueError(f"load_layers_model: {where}: cannot compile with the saved training "
                         f"config (loss {loss!r}, metrics {metrics!r}): {e} (pass "
                         f"compile=False to load without it)") from None


def optimizer_state(model):
    """The optimizer's weights with layer-relative variable names (stable across
    processes, unlike the variables' registered names): [(name, array)], 'iter' first,
    then slot by slot in trainable-weight order (TF.js's order)."""
    opt = model.optimizer
    by_var = {w.val.name: w.name for w in model.weights}
    entries = {}
    iterations = None
    for item in opt.get_weights():
        arr = item["tensor"].numpy()
        if item["name"] == "iter":
            iterations = arr
            continue
        var, _, slot = item["name"].rpartition("/")
        if var in by_var:
            entries[(by_var[var], slot)] = arr
    out = [("iter", np.asarray(iterations if iterations is not None else opt.iterations, np.int32))]
    for slot in opt.slot_names:
        out += [(f"{w.name}/{slot}", entries[(w.name, slot)])
                for w in model.weights if (w.name, slot) in entries]
    return out


def set_optimizer_state(model, opt_w, strict, where):
    """Maps saved optimizer weights onto the model's variables. All or nothing: a
    state that does not fit raises (strict) or is dropped with a warning (the optimizer
    starts fresh), never applied in part."""
    by_name = {w.name: w for w in model.weights}
    opt = model.optimizer
    staged, problems = [], []
    for name, arr in opt_w:
        if name == "iter":
            staged.append({"name": "iter", "tensor": arr})
            continue
        var, _, slot = name.rpartition("/")
        w = by_name.get(var)
        if w is None or slot not in opt.slot_names:
            problems.append(f"{name!r} (no weight {var!r} with a {type(opt).__name__} slot "
                            f"{slot!r}; slots: {list(opt.slot_names)})")
        elif tuple(arr.shape) != w.shape:
            problems.append(f"{name!r} has shape {list(arr.shape)}, the weight {list(w.shape)}")
        else:
            staged.append({"name": f"{w.val.name}/{slot}", "tensor": arr})
    if problems:
        msg = (f"load_layers_model: {where}: the optimizer state does not fit the model: "
               f"{'; '.join(problems)}")
        if strict:
            raise ValueError(msg + " (pass strict=False to start the optimizer afresh)")
        warnings.warn(msg + "; the optimizer starts afresh", stacklevel=4)
        return
    opt.set_weights(staged)
