"""complex64 tensors (TF.js's): tn.complex, tn.real, tn.imag, and the complex cores of
the ops that take them (add, sub, mul, neg, abs, cast; the structural ops are
dtype-agnostic numpy and keep their own cores).

A complex64 tensor stores numpy complex64 values: TF.js's interleaved real/imaginary
float32 pairs. autodiff.COMPLEX_OPS lists the ops that accept one; every other op
refuses it with a TypeError rather than dropping the imaginary parts.

Gradients (TF.js defines none for these ops, treino does): a real loss L's gradient
with respect to a complex64 tensor z is the complex64 array dL/dRe(z) + i dL/dIm(z),
PyTorch's convention. So tn.complex hands the real and imaginary parts of that array to
its two float32 inputs, and a product's gradient is dy times the conjugate of the other
factor.
"""
import numpy as np

from .. import autodiff
from ._util import contiguous, tensor_arg
from .shape import _to_int32_wrapping

C64 = np.dtype(np.complex64)
_F32 = np.dtype(np.float32)


def _part(a):
    """A float32 part (.real / .imag view) of a complex array as its own C-contiguous
    array."""
    return np.array(a, np.float32, order="C")


def _real_arg(x, fn, arg):
    x = tensor_arg(x, fn, arg)
    if x.dtype == "complex64":
        raise TypeError(f"{fn}: argument '{arg}' must be a real tensor (float32, int32 or "
                        f"bool), received dtype complex64")
    return x


def complex(real, imag):  # noqa: A001 (tn.complex, as TF.js)
    """tn.complex(real, imag): the complex64 tensor real + i * imag. The two parts must
    have one shape; int32 and bool parts are read as float32, as TF.js does."""
    re, im = _real_arg(real, "complex", "real"), _real_arg(imag, "complex", "imag")
    if re.shape != im.shape:
        raise ValueError(f"complex: real and imag must have one shape, received shapes "
                         f"{list(re.shape)} and {list(im.shape)}")

    def core(rd, idata):
        y = np.empty(rd.shape, C64)
        y.real, y.imag = rd, idata

        def backward(dy, needs):
            return (_part(dy.real) if needs[0] else None,
                    _part(dy.imag) if needs[1] else None)
        return y, backward if rd.dtype == _F32 or idata.dtype == _F32 else None
    return autodiff.apply("complex", core, (re, im))


def real(input):  # noqa: A002 (TF.js's argument name)
    """tn.real(input): the real parts of a complex64 tensor, as float32; a real tensor's
    own values (as float32), as TF.js documents."""
    x = tensor_arg(input, "real", "input")
    if x.dtype == "complex64":
        def core(xd):
            return _part(xd.real), lambda dy, needs: (dy.astype(C64),)
    else:
        def core(xd):
            y = xd.astype(np.float32)  # always a copy: the result is a new tensor
            return y, (lambda dy, needs: (dy,)) if xd.dtype == _F32 else None
    return autodiff.apply("real", core, (x,))


def imag(input):  # noqa: A002
    """tn.imag(input): the imaginary parts of a complex64 tensor, as float32; zeros for a
    real tensor, as TF.js documents."""
    x = tensor_arg(input, "imag", "input")
    if x.dtype == "complex64":
        def core(xd):
            def backward(dy, needs):
                g = np.zeros(dy.shape, C64)
                g.imag = dy
                return (g,)
            return _part(xd.imag), backward
    else:
        def core(xd):
            y = np.zeros(xd.shape, np.float32)
            return y, (lambda dy, needs: (np.zeros_like(dy),)) if xd.dtype == _F32 else None
    return autodiff.apply("imag", core, (x,))


# -- the complex cores of other ops ----------------------------------------------------
def sum_to_shape(g, shape):
    """A complex gradient of the broadcast shape summed back to an operand's shape."""
    if g.shape == shape:  # (numpy makes arithmetic on rank-0 arrays a scalar)
        return g if type(g) is np.ndarray else np.asarray(g, C64)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape)
                                      if d == 1 and g.shape[lead + i] != 1)
    return contiguous(g.sum(axis=axes).reshape(shape), C64)


def _add_grad(dy, a, b, n):
    return dy, dy


def _sub_grad(dy, a, b, n):
    return dy, (-dy if n[1] else None)


def _mul_grad(dy, a, b, n):
    return (dy * np.conj(b) if n[0] else None), (dy * np.conj(a) if n[1] else None)


_BINARY = {"add": (np.add, _add_grad), "sub": (np.subtract, _sub_grad),
           "mul": (np.multiply, _mul_grad)}


def binary(name, a, b):
    """add, sub or mul of two complex64 tensors (ops/binary.py upcasts the other operand,
    as TF.js does); any other binary op refuses complex64."""
    if name not in _BINARY:
        autodiff.refuse_complex(name, (a, b))
    ufunc, grad_of = _BINARY[name]
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{name}: operands could not be broadcast together: a has shape "
                         f"{list(a.shape)}, b has shape {list(b.shape)}") from None

    def core(ad, bd):
        y = contiguous(ufunc(ad, bd), C64)

        def backward(dy, needs):
            ga, gb = grad_of(dy, ad, bd, needs)
            return (sum_to_shape(ga, ad.shape) if needs[0] else None,
                    sum_to_shape(gb, bd.shape) if needs[1] else None)
        return y, backward
    return autodiff.apply(name, core, (a, b))


def unary(name, x):
    """neg (complex64 out) or abs (float32 magnitudes out, TF.js's ComplexAbs) of a
    complex64 tensor."""
    if name == "neg":
        def core(xd):
            return contiguous(np.negative(xd)), lambda dy, needs: (contiguous(np.negative(dy)),)
    elif name == "abs":
        def core(xd):
            y = contiguous(np.abs(xd), np.float32)

            def backward(dy, needs):
                # d|z| / d(re, im) = (re, im) / |z|; 0 at z = 0 (where |z| has no slope).
                with np.errstate(divide="ignore", invalid="ignore"):
                    unit = np.where(y > 0, xd / np.where(y > 0, y, 1), 0)
                return (contiguous(dy * unit, C64),)
            return y, backward
    else:
        autodiff.refuse_complex(name, (x,))
    return autodiff.apply(name, core, (x,))


def cast(x, dtype):
    """A cast to or from complex64, as TF.js's: a real tensor becomes complex with zero
    imaginary parts; a complex one keeps its real parts (then cast to int32 or bool as a
    float32 tensor would be). float32 <-> complex64 keeps the gradient."""
    if dtype == "complex64":
        def core(xd):
            y = xd.astype(C64)
            return y, (lambda dy, needs: (_part(dy.real),)) if xd.dtype == _F32 else None
    elif dtype == "float32":
        def core(xd):
            return _part(xd.real), lambda dy, needs: (dy.astype(C64),)
    elif dtype == "int32":
        def core(xd):
            return contiguous(_to_int32_wrapping(_part(xd.real))), None
    else:
        def core(xd):
            return contiguous(xd.real != 0), None
    return autodiff.apply("cast", core, (x,))
