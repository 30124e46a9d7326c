"""Inverse trigonometric and hyperbolic functions, tan and atan2, with their gradients.

These are not on a training step's hot path, so each is numpy over float32 (one ufunc
forward, one expression backward) rather than a native kernel. Integer and bool inputs
compute in float32, as the float ops of unary.py do. Outside an op's domain (acos(2),
acosh(0.5)) the result is NaN, as in TF.js.
"""
import numpy as np

from .. import autodiff
from ._util import contiguous, f32, pair, tensor_arg, unbroadcast


def _make(name, forward, derivative):
    """The op `name`: y = forward(x) in float32; dx = dy * derivative(x, y)."""
    def op(x):
        x = tensor_arg(x, name)

        def core(xd):
            xd = f32(xd)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                y = contiguous(forward(xd), np.float32)

            def backward(dy, needs):
                with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                    return (contiguous(dy * derivative(xd, y), np.float32),)
            return y, backward
        return autodiff.apply(name, core, (x,))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"tn.{name}(x): elementwise {name}, as TF.js's {name}."
    return op


# Derivatives as TF.js's gradients write them (Acos_grad.ts, ...), in terms of x or y.
acos = _make("acos", np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x))
asin = _make("asin", np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x))
atan = _make("atan", np.arctan, lambda x, y: 1 / (1 + x * x))
acosh = _make("acosh", np.arccosh, lambda x, y: 1 / np.sqrt(x * x - 1))
asinh = _make("asinh", np.arcsinh, lambda x, y: 1 / np.sqrt(1 + x * x))
atanh = _make("atanh", np.arctanh, lambda x, y: 1 / (1 - x * x))
cosh = _make("cosh", np.cosh, lambda x, y: np.sinh(x))
sinh = _make("sinh", np.sinh, lambda x, y: np.cosh(x))
tan = _make("tan", np.tan, lambda x, y: 1 / np.square(np.cos(x)))


def atan2(a, b):
    """Elementwise angle of the point (b, a) in (-pi, pi], with numpy broadcasting."""
    a, b = pair(a, b, "atan2")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"atan2: operands could not be broadcast together: a has shape "
                         f"{list(a.shape)}, b has shape {list(b.shape)}") from None

    def core(ad, bd):
        ad, bd = f32(ad), f32(bd)
        y = contiguous(np.arctan2(ad, bd), np.float32)

        def backward(dy, needs):
            with np.errstate(invalid="ignore", divide="ignore"):
                d = dy / (ad * ad + bd * bd)
                ga = unbroadcast(contiguous(d * bd, np.float32), ad.shape) if needs[0] else None
                gb = unbroadcast(contiguous(-d * ad, np.float32), bd.shape) if needs[1] else None
                return ga, gb
        return y, backward
    return autodiff.apply("atan2", core, (a, b))
