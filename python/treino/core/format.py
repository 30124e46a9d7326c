"""Tensor.print() and str(): the layout of TF.js's tensor_format (values with up to 7
decimals, columns right-padded to a common width, at most 20 entries per axis shown as
the first three, '...' and the last three)."""
import numpy as np

_LIMIT = 20      # more entries than this along an axis are elided
_EDGE = 3        # entries kept at each end of an elided axis
_DECIMALS = 7


def _value_str(v, dtype):
    if dtype == "bool":
        return "true" if v else "false"
    if dtype == "int32":
        return str(int(v))
    if dtype == "complex64":  # TF.js: '1 + -2j', each part to 7 decimals
        return f"{_value_str(v.real, 'float32')} + {_value_str(v.imag, 'float32')}j"
    # JavaScript's parseFloat(v.toFixed(7)).toString().
    return js_number(round(float(v), _DECIMALS))


def js_number(x):
    """JavaScript's Number.prototype.toString() of a double."""
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if 1e-6 <= abs(x) < 1e21:
        return np.format_float_positional(x, unique=True, trim="-")
    mantissa, exp = np.format_float_scientific(x, unique=True, trim="-").split("e")
    return f"{mantissa}e{'+' if int(exp) > 0 else '-'}{abs(int(exp))}"


def _shown(n):
    return list(range(n)) if n <= _LIMIT else list(range(_EDGE)) + [None] + list(range(n - _EDGE, n))


def _lines(arr, dtype, pads, is_last=True):
    rank = arr.ndim
    if rank == 0:  # TF.js prints a scalar at full precision
        v = arr.item()
        return [_value_str(v, dtype) if dtype != "float32" else js_number(float(v))]
    n = arr.shape[0]
    if rank == 1:
        parts = []
        for i in _shown(n):
            parts.append("..." if i is None else _value_str(arr[i], dtype).ljust(pads[i]))
        return ["[" + ", ".join(parts) + "]"]
    lines = []
    for i in _shown(n):
        if i is None:
            lines.append("...")
        else:
            lines.extend(_lines(arr[i], dtype, pads, is_last=(i == n - 1)))
    sep = "," if rank == 2 else ""
    lines[0] = "[" + lines[0] + sep
    for k in range(1, len(lines) - 1):
        lines[k] = " " + lines[k] + sep
    lines[-1] = " " + lines[-1] + "]" + ("" if is_last else ",\n" + "\n" * (rank - 2))
    return lines


def tensor_to_string(arr, dtype, verbose=False):
    """The text TF.js's `tensor.print(verbose)` writes."""
    pads = [0] * (arr.shape[-1] if arr.ndim else 1)
    if arr.ndim > 1:
        flat = arr.reshape(-1, arr.shape[-1])
        for j in range(arr.shape[-1]):
            pads[j] = max((len(_value_str(v, dtype)) for v in flat[:, j]), default=0)
    out = ["Tensor"]
    if verbose:
        out += [f"  dtype: {dtype}", f"  rank: {arr.ndim}",
                f"  shape: [{','.join(str(d) for d in arr.shape)}]", "  values:"]
    out.append("\n".join("    " + line for line in _lines(arr, dtype, pads)))
    return "\n".join(out)
