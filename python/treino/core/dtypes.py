"""treino's dtypes and the conversion of user values to numpy storage.

The three dtypes of user values are float32, int32 and bool. complex64 (TF.js's, stored
as numpy complex64: the interleaved real/imaginary float32 pairs of TF.js's dataSync)
only comes from the complex ops (tn.complex, the FFTs, casts): like TF.js, treino does
not build a complex64 tensor from values directly."""
import numpy as np

DTYPES = ("float32", "int32", "bool")
NP = {"float32": np.dtype(np.float32), "int32": np.dtype(np.int32), "bool": np.dtype(np.bool_),
      "complex64": np.dtype(np.complex64)}
_INT32 = np.iinfo(np.int32)


def check_dtype(dtype, fn, arg="dtype", allow_complex=False):
    """The canonical name ('float32', 'int32' or 'bool'; 'complex64' too when
    `allow_complex`) of a dtype given as a string or a numpy dtype; None stays None."""
    if dtype is None:
        return None
    name = dtype
    if not isinstance(dtype, str):
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = None
    name = "bool" if name == "bool_" else name
    if name == "complex64":
        if allow_complex:
            return name
        raise TypeError(f"{fn}: argument '{arg}' cannot be 'complex64': complex64 tensors "
                        f"are made by tn.complex(real, imag) (or tn.cast), as in TF.js")
    if name not in DTYPES:
        raise TypeError(f"{fn}: argument '{arg}' must be one of 'float32', 'int32', 'bool', "
                        f"received {dtype!r}")
    return name


def to_array(values, dtype=None, fn="tensor", arg="values"):
    """User values -> a C-contiguous numpy array of a treino dtype.

    Inference follows TF.js: booleans stay bool, numpy integer arrays become int32, and
    Python numbers (whole or not) and float arrays become float32.

    For an int32 result, floats are truncated toward zero as TF.js does, but values
    outside int32's range and NaN or infinity raise ValueError: TF.js would wrap them
    modulo 2**32 (3e9 -> -1294967296) or make them 0, which at creation is almost always
    a mistake. tn.cast(x, 'int32') applies TF.js's wrapping rule on purpose."""
    dtype = check_dtype(dtype, fn)
    if isinstance(values, np.ndarray):
        arr = values
        inferred = {"b": "bool", "i": "int32", "u": "int32"}.get(arr.dtype.kind, "float32")
    else:
        try:
            arr = np.asarray(values)
        except ValueError:
            raise ValueError(f"{fn}: argument '{arg}' must be a number, a boolean or a "
                             f"rectangular nested list of them, received ragged input") from None
        inferred = "bool" if arr.dtype.kind == "b" else "float32"
    if arr.dtype.kind == "c":
        raise TypeError(f"{fn}: argument '{arg}' holds complex values; a complex64 tensor "
                        f"is made by tn.complex(real, imag), as in TF.js")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: argument '{arg}' must hold numbers or booleans, received "
                        f"{type(values).__name__} of dtype {arr.dtype}")
    target = dtype or inferred
    if target == "int32" and arr.size:
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{fn}: argument '{arg}' holds NaN or infinity, which int32 "
                                 f"cannot represent")
            arr = np.trunc(arr)  # as TF.js: float -> int32 truncates toward zero
        if arr.dtype.kind in "iuf" and (arr.min() < _INT32.min or arr.max() > _INT32.max):
            bad = arr.flat[np.argmax((arr < _INT32.min) | (arr > _INT32.max))].item()
            raise ValueError(f"{fn}: argument '{arg}' holds {bad!r}, outside the int32 range "
                             f"[-2147483648, 2147483647] (tn.cast wraps such values modulo "
                             f"2**32, as TF.js does)")
    return np.asarray(arr, dtype=NP[target], order="C")  # (ascontiguousarray makes 0-d 1-d)
