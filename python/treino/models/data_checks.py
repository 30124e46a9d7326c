"""Input checks for fit / evaluate / predict: everything is validated before any weight
changes, and errors name the argument, the expected and the received shape."""
import math
import numbers

import numpy as np

from .. import _kernels as K
from ..core.tensor import Tensor
from ..layers.base import shape_str

_INT32 = np.iinfo(np.int32)


def as_array(v, fn, arg, allow_int=False):
    """Tensor / numpy / nested lists -> a numpy array, checked: numeric, non-empty,
    finite (naming the first bad row). float32, or with allow_int (class-index labels)
    int32: integer values and whole float values within int32's range, checked before
    narrowing, which would wrap 2**32 + 1 to 1 or truncate 1.5 to 1 silently."""
    if v is None:
        raise ValueError(f"{fn}: argument '{arg}' is required")
    a = v._data if isinstance(v, Tensor) else v
    try:
        a = np.asarray(a)
    except ValueError:
        raise ValueError(f"{fn}: argument '{arg}' must be a rectangular array of numbers, "
                         f"received ragged input") from None
    if a.dtype == object and a.size and all(isinstance(i, numbers.Integral) for i in a.flat):
        raise ValueError(f"{fn}: argument '{arg}' holds integers too large for int64, e.g. "
                         f"{max(a.flat, key=abs)}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: argument '{arg}' must hold numbers, received an array of "
                        f"dtype {a.dtype}")
    if a.ndim == 0:
        raise ValueError(f"{fn}: argument '{arg}' must have a batch axis, received a scalar")
    if a.shape[0] == 0:
        raise ValueError(f"{fn}: argument '{arg}' is empty (shape {list(a.shape)})")
    if allow_int:
        if a.dtype.kind == "f":
            _check_finite(a, fn, arg)
        if a.dtype.kind == "f" or not np.can_cast(a.dtype, np.int32):
            _check_int32_labels(a, fn, arg)
        return np.require(a, np.int32, ["C_CONTIGUOUS", "ALIGNED"])
    # Native kernels need C order and aligned elements (a slice of a byte buffer may not be).
    # Converted first, then checked: a float64 value beyond float32's range (1e39) becomes
    # infinity in the conversion, which the check then names.
    with np.errstate(over="ignore"):
        out = np.require(a, np.float32, ["C_CONTIGUOUS", "ALIGNED"])
    if a.dtype.kind == "f":
        _check_finite(out, fn, arg, narrowed=a.dtype.itemsize > 4)
    return out


def _check_finite(a, fn, arg, narrowed=False):
    """Raises naming the first row of `a` holding a NaN or an infinity. A float32 array is
    scanned natively (one read of each element's bits, on every thread: for a dataset of
    hundreds of MB this memory-bound scan is most of fit's start-up)."""
    if a.dtype == np.float32 and a.flags.c_contiguous and a.flags.aligned:
        bad = K.first_nonfinite(a)
        if bad < 0:
            return
        row = bad // max(1, a.size // a.shape[0])
    else:
        finite = np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
        if finite.all():
            return
        row = int(np.argmin(finite))
    beyond = " or a value beyond float32's range" if narrowed else ""
    raise ValueError(f"{fn}: argument '{arg}' holds a non-finite value (NaN or "
                     f"infinity){beyond} in row {row}")


def _check_int32_labels(a, fn, arg):
    """Raises for a value of `a` that int32 does not hold exactly, naming the first one."""
    bad = (a < _INT32.min) | (a > _INT32.max)
    if a.dtype.kind == "f":
        bad |= a != np.trunc(a)
    if bad.any():
        first = np.argwhere(bad)[0]
        value = a[tuple(first)].item()
        what = ("outside the int32 range" if not _INT32.min <= value <= _INT32.max
                else "not a whole number")
        raise ValueError(f"{fn}: argument '{arg}' holds {value!r} in row {first[0]}, "
                         f"{what}; class-index labels must be whole numbers in "
                         f"[0, number of classes)")


def check_input(x, model, fn, arg="x"):
    """x checked against the model's input shape; returns it, with a 1-D array taken as
    one value per sample for a [null,1] input (as TF.js's fit/predict do)."""
    want = model.input_shape
    if x.ndim == 1 and tuple(want[1:]) == (1,):
        x = x.reshape(-1, 1)
    if x.ndim != len(want) or any(w is not None and w != g for w, g in zip(want[1:], x.shape[1:])):
        first = model.layers[0].name if model.layers else "?"
        raise ValueError(f"{fn}: argument '{arg}' must have shape {shape_str(want)} (the input of "
                         f"layer {first}), received shape {list(x.shape)}")
    return x


def check_count(x, y, fn):
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{fn}: x and y must have the same number of samples, received "
                         f"{x.shape[0]} in x and {y.shape[0]} in y")


def positive_int(v, fn, arg, allow_none=False):
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)) or v < 1:
        raise ValueError(f"{fn}: argument '{arg}' must be an int >= 1, received {v!r}")
    return int(v)


def check_initial_epoch(v, epochs, fn):
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)) \
            or not 0 <= v < epochs:
        raise ValueError(f"{fn}: argument 'initial_epoch' must be an int in [0, epochs), "
                         f"received {v!r}")
    return int(v)


def sample_weights(sample_weight, class_weight, y, n, fn, sparse, arg="sample_weight"):
    """Per-sample weights (float32, length n) from sample_weight and class_weight, or None."""
    w = None
    if sample_weight is not None:
        w = as_array(sample_weight, fn, arg).reshape(-1)
        if w.shape[0] != n:
            raise ValueError(f"{fn}: argument '{arg}' must have one weight per sample "
                             f"({n}), received {w.shape[0]}")
        if (w < 0).any():
            raise ValueError(f"{fn}: argument '{arg}' must not hold negative weights")
    if class_weight is not None:
        class_weight = check_class_weight(class_weight, fn)
        labels = y.reshape(-1).astype(np.int64) if sparse else (
            y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else (y.reshape(-1) > 0.5).astype(np.int64))
        cw = np.ones(n, np.float32)
        for cls, weight in class_weight.items():
            cw[labels == cls] = weight
        w = cw if w is None else w * cw
    return w


def check_class_weight(class_weight, fn):
    """class_weight as {int class index: float weight}, checked as sample_weight is:
    keys are whole non-negative numbers (not bools, strings or None), weights finite and
    non-negative numbers. As in Keras, a class without a key weighs 1 and a key beyond
    the model's classes is accepted but weighs nothing (no label ever matches it)."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"{fn}: argument 'class_weight' must be a dict {{class index: "
                        f"weight}}, received {type(class_weight).__name__}")
    out = {}
    for key, weight in class_weight.items():
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, numbers.Real):
            raise TypeError(f"{fn}: argument 'class_weight' must map class indices (ints) to "
                            f"weights, received key {key!r} ({type(key).__name__})")
        if not (isinstance(key, numbers.Integral) or float(key).is_integer()) or key < 0:
            raise ValueError(f"{fn}: argument 'class_weight' has key {key!r}, which is not a "
                             f"class index (a whole number >= 0)")
        if isinstance(weight, (bool, np.bool_)) or not isinstance(weight, numbers.Real):
            raise TypeError(f"{fn}: argument 'class_weight' must map class indices to numbers, "
                            f"received {weight!r} ({type(weight).__name__}) for class {key!r}")
        try:
            value = float(weight)
        except OverflowError:  # an int beyond float's range
            value = math.inf
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{fn}: argument 'class_weight' holds weight {weight!r} for class "
                             f"{key!r}; weights must be finite and non-negative")
        out[int(key)] = value
    return out
