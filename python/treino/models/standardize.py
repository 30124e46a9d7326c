"""The data of fit / evaluate / predict / train_on_batch as one checked array per model
input, per output (labels) and per output (sample weights).

A model with one input takes an array (a Tensor, numpy array or nested lists), a
one-item list, or a dict {input name: array}; with several inputs, a list in input
order or a dict by input name. Labels, sample weights and class weights go by output
the same way; one sample-weight array weighs every output. Every check runs before any
weight changes, and errors name the argument, the expected and the received shape.
"""
import numpy as np

from ..core.tensor import Tensor
from ..layers.base import shape_str
from .compile_plan import CATEGORICAL
from .data_checks import as_array, sample_weights


def _is_array_like(v):
    return isinstance(v, (Tensor, np.ndarray))


def _by_name(value, names, fn, arg, kind):
    """value as a list with one entry per name (see the module docstring)."""
    n = len(names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"{fn}: argument '{arg}' has unknown {kind} name(s) {unknown}; "
                             f"the model's {kind}s are {names}")
        missing = [k for k in names if k not in value]
        if missing:
            raise ValueError(f"{fn}: argument '{arg}' has no array for {kind}(s) {missing}")
        return [value[k] for k in names]
    if n == 1:
        if isinstance(value, (list, tuple)) and len(value) == 1 and _is_array_like(value[0]):
            return [value[0]]
        return [value]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{fn}: the model has {n} {kind}s {names}: argument '{arg}' must be "
                         f"a list of {n} arrays or a dict by {kind} name, received "
                         f"{type(value).__name__}")
    if len(value) != n:
        raise ValueError(f"{fn}: the model has {n} {kind}s {names}: argument '{arg}' must "
                         f"hold {n} arrays, received {len(value)}")
    return list(value)


def _item(arg, names, i):
    return arg if len(names) == 1 else f"{arg}[{names[i]!r}]"


def check_input_shape(x, want, layer, fn, arg):
    """x checked against an input shape; a 1-D array is one value per sample for a
    [null,1] input (as TF.js's fit/predict take it)."""
    if x.ndim == 1 and tuple(want[1:]) == (1,):
        x = x.reshape(-1, 1)
    if x.ndim != len(want) or any(w is not None and w != g for w, g in zip(want[1:], x.shape[1:])):
        raise ValueError(f"{fn}: argument '{arg}' must have shape {shape_str(want)} (the input "
                         f"of layer {layer}), received shape {list(x.shape)}")
    return x


def input_arrays(model, x, fn, arg="x"):
    """One checked array per model input: float32, or int32 for an int32 input (the
    class indices of an embedding)."""
    names = model._input_keys()
    items = _by_name(x, names, fn, arg, "input")
    out = []
    for i, (v, sym) in enumerate(zip(items, model.inputs)):
        a = as_array(v, fn, _item(arg, names, i), allow_int=sym.dtype == "int32")
        first = model.layers[0].name if model.layers else names[i]
        out.append(check_input_shape(a, sym.shape, first if len(names) == 1 else names[i],
                                     fn, _item(arg, names, i)))
    return out


def target_arrays(model, plan, y, fn, arg="y"):
    """One checked label array per output (int32 class indices for a sparse loss)."""
    names = [h.name for h in plan.heads]
    items = _by_name(y, names, fn, arg, "output")
    return [head_labels(h, v, fn, _item(arg, names, i)) for i, (h, v) in
            enumerate(zip(plan.heads, items))]


def head_labels(head, y, fn, arg):
    ya = as_array(y, fn, arg, allow_int=head.sparse)
    out = head.shape
    if head.sparse:
        if not (ya.ndim == 1 or (ya.ndim == 2 and ya.shape[1] == 1)):
            raise ValueError(f"{fn}: sparse categorical labels ('{arg}') must have shape "
                             f"[n] or [n,1] (class indices), received {list(ya.shape)}; "
                             f"use 'categoricalCrossentropy' for one-hot labels")
        ya = ya.reshape(-1).astype(np.int32)
        if ya.min() < 0 or ya.max() >= out[-1]:
            bad = int(np.argmax((ya < 0) | (ya >= out[-1])))
            raise ValueError(f"{fn}: label {ya[bad]} in row {bad} of '{arg}' is outside "
                             f"[0, {out[-1]}) for an output of {out[-1]} classes")
        return ya
    if ya.ndim == 1 and tuple(out[1:]) == (1,):
        ya = ya.reshape(-1, 1)  # one value per sample for a 1-unit output, as TF.js
    if ya.ndim != len(out) or any(o is not None and o != g for o, g in zip(out[1:], ya.shape[1:])):
        hint = ""
        if ya.ndim == 1 and getattr(head.loss, "name", None) in CATEGORICAL:
            hint = " (class indices need loss 'sparseCategoricalCrossentropy', or one-hot encode them)"
        raise ValueError(f"{fn}: argument '{arg}' must have shape {shape_str(out)} "
                         f"(the output of layer {head.name}), received "
                         f"{list(ya.shape)}{hint}")
    return ya


def weight_arrays(plan, sample_weight, class_weight, ys, n, fn, arg="sample_weight"):
    """Per output: float32 weights of length n, or None."""
    names = [h.name for h in plan.heads]
    if sample_weight is None or _is_array_like(sample_weight) or (
            len(names) == 1 and not isinstance(sample_weight, dict)):
        sws = [sample_weight] * len(names)  # one array weighs every output
    else:
        sws = _by_name(sample_weight, names, fn, arg, "output")
    if class_weight is None:
        cws = [None] * len(names)
    elif isinstance(class_weight, dict) and class_weight and all(k in names for k in class_weight):
        cws = [class_weight.get(k) for k in names]  # by output name; others unweighted
    elif len(names) == 1 and not isinstance(class_weight, (list, tuple)):
        cws = [class_weight]  # {class index: weight}, checked by sample_weights
    elif isinstance(class_weight, (list, tuple)):
        cws = _by_name(class_weight, names, fn, "class_weight", "output")
    else:
        raise ValueError(f"{fn}: argument 'class_weight' for a model with {len(names)} "
                         f"outputs must be a list of dicts or a dict by output name "
                         f"({names}), one {{class index: weight}} dict per output")
    return [sample_weights(sw, cw, y, n, fn, h.sparse, _item(arg, names, i))
            for i, (h, sw, cw, y) in enumerate(zip(plan.heads, sws, cws, ys))]


def check_counts(xs, ys, fn):
    """The number of samples, the same in every array."""
    n = xs[0].shape[0]
    if len(xs) == 1 and len(ys) == 1:
        if ys[0].shape[0] != n:
            raise ValueError(f"{fn}: x and y must have the same number of samples, received "
                             f"{n} in x and {ys[0].shape[0]} in y")
        return n
    for kind, arrays in (("input", xs), ("label array", ys)):
        for i, a in enumerate(arrays):
            if a.shape[0] != n:
                raise ValueError(f"{fn}: every input and label array must have the same "
                                 f"number of samples: the first input has {n}, {kind} {i} "
                                 f"has {a.shape[0]}")
    return n
