"""Elementwise binary ops with numpy broadcasting, comparisons, logic, where, clip.

float32 ops are one native call (treino._kernels.<name>); int32 ops use numpy and keep
int32 (division of two int32 tensors floors, as in TF.js). Gradients are summed back to
each operand's shape.
"""
import numpy as np

from ... import _kernels as K
from .. import autodiff
from ..tensor import Tensor
from . import complex as _complex
from ._util import contiguous, pair, tensor_arg, unbroadcast

_INT = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.floor_divide,
    "floor_div": np.floor_divide, "mod": np.remainder, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum,
    "squared_difference": lambda a, b: np.square(a - b),
}


def _check_broadcast(a, b, fn):
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{fn}: operands could not be broadcast together: a has shape "
                         f"{list(a.shape)}, b has shape {list(b.shape)}") from None


_F32 = np.dtype(np.float32)


def _make(name, kernel, backward_of):
    """The op `name`: kernel(a, b) for float32 (native, one call), numpy for int32/bool.
    backward_of(dy, a, b, y, needs) -> (da, db) before the sum over broadcast axes; None
    for ops without a gradient."""
    def core(ad, bd):
        try:
            y = kernel(ad, bd)
        except ValueError:
            _check_broadcast(ad, bd, name)  # the same error, with TF.js-style shapes
            raise
        if backward_of is None:
            return y, None

        def backward(dy, needs):
            ga, gb = backward_of(dy, ad, bd, y, needs)
            return (unbroadcast(ga, ad.shape) if needs[0] and ga is not None else None,
                    unbroadcast(gb, bd.shape) if needs[1] and gb is not None else None)
        return y, backward

    def int_core(ad, bd):
        return _int_binary(name, ad, bd), None

    def op(a, b):
        # Fast path (two float32 tensors) first: this is the per-op overhead users feel.
        if not (isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype is _F32
                and b._data.dtype is _F32):
            a, b = pair(a, b, name)
            if a._data.dtype != np.float32:
                if a._data.dtype == np.complex64:
                    return _complex.binary(name, a, b)
                _int_checks(name, a._data, b._data)
                return autodiff.apply(name, int_core, (a, b))
        return autodiff.apply(name, core, (a, b))
    op.__name__ = op.__qualname__ = name
    return op


def _int_checks(name, ad, bd):
    _check_broadcast(ad, bd, name)
    if name == "pow" and ad.dtype == np.int32 and np.any(bd < 0):
        raise ValueError("pow: an int32 base cannot take negative int32 exponents; cast "
                         "to float32")


def _int_binary(name, ad, bd):
    if ad.dtype == np.bool_:
        ad, bd = ad.astype(np.int32), bd.astype(np.int32)
    return contiguous(_INT[name](ad, bd), np.int32)


# Gradients: (dy, a, b, y, needs) -> (da, db) before summing back over broadcast axes.
def _add_grad(dy, a, b, y, n):
    return dy, dy


def _sub_grad(dy, a, b, y, n):
    return dy, (-dy if n[1] else None)


def _mul_grad(dy, a, b, y, n):
    return (dy * b if n[0] else None), (dy * a if n[1] else None)


def _div_grad(dy, a, b, y, n):
    return (dy / b if n[0] else None), (-dy * y / b if n[1] else None)


def _mod_grad(dy, a, b, y, n):  # TF.js: d/da = dy, d/db = -dy * floor(a / b)
    return dy, (-dy * np.floor(a / b) if n[1] else None)


def _pow_grad(dy, a, b, y, n):
    ga = gb = None
    with np.errstate(divide="ignore", invalid="ignore"):
        if n[0]:
            ga = dy * b * np.power(a, b - 1)
        if n[1]:
            gb = np.where(a > 0, dy * y * np.log(np.where(a > 0, a, 1)), 0).astype(np.float32)
    return ga, gb


def _maximum_grad(dy, a, b, y, n):  # TF.js: a gets the gradient where a >= b
    return (dy * (a >= b) if n[0] else None), (dy * (a < b) if n[1] else None)


def _minimum_grad(dy, a, b, y, n):
    return (dy * (a <= b) if n[0] else None), (dy * (a > b) if n[1] else None)


def _squared_difference_grad(dy, a, b, y, n):
    d = 2 * dy * (a - b)
    return (d if n[0] else None), (-d if n[1] else None)


add = _make("add", K.add, _add_grad)
sub = _make("sub", K.sub, _sub_grad)
mul = _make("mul", K.mul, _mul_grad)
div = _make("div", K.div, _div_grad)
floor_div = _make("floor_div", K.floor_div, None)
mod = _make("mod", K.mod, _mod_grad)
pow = _make("pow", K.pow, _pow_grad)  # noqa: A001 (tn.pow, as TF.js)
maximum = _make("maximum", K.maximum, _maximum_grad)
minimum = _make("minimum", K.minimum, _minimum_grad)
squared_difference = _make("squared_difference", K.squared_difference, _squared_difference_grad)


# -- comparisons and logic: bool results, no gradient ----------------------------------
def _compare(name, ufunc, a, b):
    a, b = pair(a, b, name)
    _check_broadcast(a._data, b._data, name)
    return autodiff.apply(name, lambda ad, bd: (contiguous(ufunc(ad, bd)), None), (a, b))


def equal(a, b):
    return _compare("equal", np.equal, a, b)


def not_equal(a, b):
    return _compare("not_equal", np.not_equal, a, b)


def greater(a, b):
    return _compare("greater", np.greater, a, b)


def greater_equal(a, b):
    return _compare("greater_equal", np.greater_equal, a, b)


def less(a, b):
    return _compare("less", np.less, a, b)


def less_equal(a, b):
    return _compare("less_equal", np.less_equal, a, b)


def _bool_arg(x, fn, arg):
    x = tensor_arg(x, fn, arg)
    if x.dtype != "bool":
        raise TypeError(f"{fn}: argument '{arg}' must be a bool tensor, received dtype {x.dtype}")
    return x


def logical_and(a, b):
    return _compare("logical_and", np.logical_and, _bool_arg(a, "logical_and", "a"),
                    _bool_arg(b, "logical_and", "b"))


def logical_or(a, b):
    return _compare("logical_or", np.logical_or, _bool_arg(a, "logical_or", "a"),
                    _bool_arg(b, "logical_or", "b"))


def logical_xor(a, b):
    return _compare("logical_xor", np.logical_xor, _bool_arg(a, "logical_xor", "a"),
                    _bool_arg(b, "logical_xor", "b"))


def logical_not(x):
    x = _bool_arg(x, "logical_not", "x")
    return autodiff.apply("logical_not", lambda xd: (np.logical_not(xd), None), (x,))


def where(condition, a, b):
    """Elements of a where condition is true, of b elsewhere (all three broadcast)."""
    cond = _bool_arg(condition, "where", "condition")
    a, b = pair(a, b, "where")
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: condition {list(cond.shape)}, a {list(a.shape)} and b "
                         f"{list(b.shape)} could not be broadcast together") from None
    float_out = a.dtype == "float32"

    def core(c, ad, bd):
        y = contiguous(np.where(c, ad, bd))
        if not float_out:
            return y, None

        def backward(dy, needs):
            return (None,
                    unbroadcast(np.where(c, dy, 0).astype(np.float32), ad.shape) if needs[1] else None,
                    unbroadcast(np.where(c, 0, dy).astype(np.float32), bd.shape) if needs[2] else None)
        return y, backward
    return autodiff.apply("where", core, (cond, a, b))


def clip_by_value(x, clip_value_min, clip_value_max):
    """min(max(x, lo), hi); the gradient passes where lo <= x <= hi (as TF.js)."""
    x = tensor_arg(x, "clip_by_value")
    lo, hi = float(clip_value_min), float(clip_value_max)
    if lo > hi:
        raise ValueError(f"clip_by_value: clip_value_min ({lo}) must be <= clip_value_max ({hi})")
    float_in = x.dtype == "float32"

    def core(xd):
        y = np.clip(xd, lo, hi).astype(xd.dtype)
        if not float_in:
            return y, None
        return y, lambda dy, needs: (dy * ((xd >= lo) & (xd <= hi)),)
    return autodiff.apply("clip_by_value", core, (x,))
