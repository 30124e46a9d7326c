"""Elementwise unary ops and activations: forward and backward side by side.

Each float op is one native call forward (treino._kernels.<name>) and one backward
(<name>_backward), which reads the forward input x or output y as the kernel documents.
int32 tensors keep their dtype for the ops that are closed over integers (abs, neg,
square, sign, relu, relu6, floor, ceil, round); every other op computes in float32, as
TF.js does.
"""
import numpy as np

from ... import _kernels as K
from .. import autodiff
from ..tensor import Tensor
from . import complex as _complex
from ._util import f32, tensor_arg

# Integer versions (numpy) of the ops closed over the integers.
_INT = {
    "abs": np.abs, "neg": np.negative, "square": np.square, "sign": np.sign,
    "relu": lambda x: np.maximum(x, 0), "relu6": lambda x: np.clip(x, 0, 6),
    "floor": lambda x: x, "ceil": lambda x: x, "round": lambda x: x,
}


def _make(name, saves):
    """Builds the op `name` over K.<name> / K.<name>_backward. saves: 'x', 'y' or None:
    what the backward kernel reads besides dy."""
    fwd = getattr(K, name)
    bwd = getattr(K, name + "_backward")
    int_fn = _INT.get(name)

    if saves == "x":
        def core(xd):
            xd = f32(xd)
            return fwd(xd), lambda dy, needs: (bwd(dy, xd),)
    elif saves == "y":
        def core(xd):
            y = fwd(f32(xd))
            return y, lambda dy, needs: (bwd(dy, y),)
    else:
        def core(xd):
            return fwd(f32(xd)), lambda dy, needs: (bwd(dy),)

    def int_core(xd):
        return int_fn(xd).astype(np.int32), None

    def op(x):
        x = tensor_arg(x, name)
        if int_fn is not None and x._data.dtype != np.float32:
            if x._data.dtype == np.int32:
                return autodiff.apply(name, int_core, (x,))
            if x._data.dtype == np.complex64 and name in ("abs", "neg"):
                return _complex.unary(name, x)  # abs: TF.js's ComplexAbs (float32 out)
        return autodiff.apply(name, core, (x,))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"tn.{name}(x): elementwise {name} ({(fwd.__doc__ or '').splitlines()[2:3]})."
    return op


def _make_alpha(name, saves, default):
    fwd = getattr(K, name)
    bwd = getattr(K, name + "_backward")

    def op(x, alpha=default):
        x = tensor_arg(x, name)
        alpha = float(alpha)

        def core(xd):
            xd = f32(xd)
            y = fwd(xd, alpha)
            saved = xd if saves == "x" else y
            return y, lambda dy, needs: (bwd(dy, saved, alpha),)
        return autodiff.apply(name, core, (x,))
    op.__name__ = op.__qualname__ = name
    return op


# The table: op, what its backward reads. Explicit, one line per op.
relu = _make("relu", "x")
relu6 = _make("relu6", "x")
selu = _make("selu", "x")
sigmoid = _make("sigmoid", "y")
log_sigmoid = _make("log_sigmoid", "x")
tanh = _make("tanh", "y")
softplus = _make("softplus", "x")
softsign = _make("softsign", "x")
exp = _make("exp", "y")
expm1 = _make("expm1", "x")
log = _make("log", "x")
log1p = _make("log1p", "x")
sqrt = _make("sqrt", "y")
rsqrt = _make("rsqrt", "y")
square = _make("square", "x")
abs = _make("abs", "x")  # noqa: A001 (tn.abs, as TF.js)
neg = _make("neg", None)
sign = _make("sign", None)
reciprocal = _make("reciprocal", "y")
sin = _make("sin", "x")
cos = _make("cos", "x")
floor = _make("floor", None)
ceil = _make("ceil", None)
round = _make("round", None)  # noqa: A001
swish = _make("swish", "x")
gelu = _make("gelu", "x")
gelu_new = _make("gelu_new", "x")
mish = _make("mish", "x")
hard_sigmoid = _make("hard_sigmoid", "x")
elu = _make_alpha("elu", "x", 1.0)
leaky_relu = _make_alpha("leaky_relu", "x", 0.2)
