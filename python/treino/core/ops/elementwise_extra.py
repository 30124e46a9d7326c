"""More elementwise ops: erf, step, is_finite / is_inf / is_nan, div_no_nan, add_n,
bitwise_and. numpy over float32 (they are not on a training step's hot path)."""
import numpy as np

from .. import autodiff
from ._util import contiguous, f32, pair, tensor_arg, unbroadcast

# Abramowitz & Stegun 7.1.26, the approximation TF.js's CPU kernel uses; below 0.5 the
# Taylor series instead, whose relative error stays below float32's (7.1.26's absolute
# error of 1.5e-7 would swamp erf(x) ~ 1.13 x for tiny x).
_ERF_P, _ERF_A = 0.3275911, (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_TWO_OVER_SQRT_PI = 2 / np.sqrt(np.pi)


def _erf64(x):
    v = np.abs(x)
    t = 1 / (1 + _ERF_P * v)
    poly = t * (_ERF_A[0] + t * (_ERF_A[1] + t * (_ERF_A[2] + t * (_ERF_A[3] + t * _ERF_A[4]))))
    far = np.sign(x) * (1 - poly * np.exp(-v * v))
    x2 = x * x  # sum of (-1)^n x^(2n+1) / (n! (2n+1)), n < 9: exact to 1e-12 below 0.5
    term, series = x, x.copy()
    for n in range(1, 9):
        term = -term * x2 / n
        series += term / (2 * n + 1)
    return np.where(v < 0.5, _TWO_OVER_SQRT_PI * series, far)


def erf(x):
    """Gauss error function, elementwise (float32, within 2e-7 of the exact value)."""
    x = tensor_arg(x, "erf")

    def core(xd):
        xd = f32(xd)
        y = contiguous(_erf64(xd.astype(np.float64)), np.float32)
        return y, lambda dy, needs: (
            contiguous(dy * (_TWO_OVER_SQRT_PI * np.exp(-np.square(xd.astype(np.float64)))),
                       np.float32),)
    return autodiff.apply("erf", core, (x,))


def step(x, alpha=0.0):
    """1 where x > 0, `alpha` elsewhere, NaN stays NaN (TF.js's step); its gradient is
    zero everywhere, as in TF.js."""
    x = tensor_arg(x, "step")
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise TypeError(f"step: argument 'alpha' must be a number, received {alpha!r}") from None

    def core(xd):
        xd = f32(xd)
        y = contiguous(np.where(np.isnan(xd), np.float32(np.nan),
                                np.where(xd > 0, np.float32(1), np.float32(alpha))), np.float32)
        return y, lambda dy, needs: (np.zeros(xd.shape, np.float32),)
    return autodiff.apply("step", core, (x,))


def _predicate(name, ufunc):
    def op(x):
        x = tensor_arg(x, name)
        # int32 and bool values are always finite numbers
        return autodiff.apply(name, lambda xd: (contiguous(ufunc(f32(xd))), None), (x,))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"tn.{name}(x): a bool tensor, True where {ufunc.__name__}(x)."
    return op


is_finite = _predicate("is_finite", np.isfinite)
is_inf = _predicate("is_inf", np.isinf)
is_nan = _predicate("is_nan", np.isnan)


def div_no_nan(a, b):
    """a / b, and 0 wherever b is 0 (even 0 / 0). int32 operands floor-divide, as div
    does. The gradient is 0 where b is 0."""
    a, b = pair(a, b, "div_no_nan")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"div_no_nan: operands could not be broadcast together: a has shape "
                         f"{list(a.shape)}, b has shape {list(b.shape)}") from None
    if a.dtype != "float32":
        def int_core(ad, bd):
            ad, bd = ad.astype(np.int32), bd.astype(np.int32)
            safe = np.where(bd == 0, 1, bd)
            return contiguous(np.where(bd == 0, 0, np.floor_divide(ad, safe)), np.int32), None
        return autodiff.apply("div_no_nan", int_core, (a, b))

    def core(ad, bd):
        zero = bd == 0
        safe = np.where(zero, np.float32(1), bd)
        y = contiguous(np.where(zero, np.float32(0), ad / safe), np.float32)

        def backward(dy, needs):
            ga = gb = None
            if needs[0]:
                ga = unbroadcast(contiguous(np.where(zero, 0, dy / safe), np.float32), ad.shape)
            if needs[1]:
                gb = unbroadcast(contiguous(np.where(zero, 0, -dy * y / safe), np.float32),
                                 bd.shape)
            return ga, gb
        return y, backward
    return autodiff.apply("div_no_nan", core, (a, b))


def add_n(tensors):
    """The elementwise sum of a list of tensors of one shape and dtype (TF.js's addN)."""
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"add_n: argument 'tensors' must be a non-empty list of tensors, "
                        f"received {type(tensors).__name__}")
    ts = [tensor_arg(t, "add_n", f"tensors[{i}]") for i, t in enumerate(tensors)]
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape or t.dtype != ts[0].dtype:
            raise ValueError(f"add_n: every tensor must have the shape and dtype of "
                             f"tensors[0] ({list(ts[0].shape)}, {ts[0].dtype}); tensors[{i}] "
                             f"has {list(t.shape)}, {t.dtype}")
    out_dtype = np.int32 if ts[0].dtype == "bool" else None

    def core(*arrays):
        total = arrays[0].astype(out_dtype or arrays[0].dtype, copy=True)
        for arr in arrays[1:]:
            total += arr  # in order, as TF.js: the float32 sum rounds the same way
        y = contiguous(total)
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: tuple(dy if n else None for n in needs)
    return autodiff.apply("add_n", core, tuple(ts))


def bitwise_and(x, y):
    """Bitwise AND of two int32 tensors of the same shape (TF.js's bitwiseAnd)."""
    x = tensor_arg(x, "bitwise_and", "x")
    y = tensor_arg(y, "bitwise_and", "y")
    if x.dtype != "int32" or y.dtype != "int32":
        raise TypeError(f"bitwise_and: x and y must be int32, received {x.dtype} and {y.dtype}")
    if x.shape != y.shape:
        raise ValueError(f"bitwise_and: x and y must have the same shape, received "
                         f"{list(x.shape)} and {list(y.shape)}")
    return autodiff.apply("bitwise_and",
                          lambda xd, yd: (contiguous(np.bitwise_and(xd, yd)), None), (x, y))
