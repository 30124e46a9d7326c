"""TF.js's spectral ops over the innermost axis: fft, ifft (complex64 -> complex64), rfft
(float32 -> complex64, with fft_length) and irfft (complex64 -> float32); also the
tn.spectral namespace (core/namespaces.py).

Each is one node computing with numpy.fft in float64, rounded to complex64 / float32
once (TF.js's CPU kernels compute in float32: a radix-2 FFT for power-of-two lengths, a
direct DFT otherwise; treino's values are the more accurate ones). The inverse
transforms divide by the length, as TF.js's do.

Gradients (TF.js defines none): with the convention of ops/complex.py, the adjoint of
each transform, e.g. fft's is n * ifft(dy), and rfft's is the real part of the unscaled
inverse transform of dy zero-extended to the fft length.
"""
import numpy as np

from .. import autodiff
from .._args import int_arg
from ._util import contiguous, tensor_arg

_C64 = np.dtype(np.complex64)


def _spectral_arg(x, fn, dtype):
    x = tensor_arg(x, fn, "input")
    if x.dtype != dtype:
        hint = " (make one with tn.complex(real, imag))" if dtype == "complex64" else ""
        raise TypeError(f"{fn}: argument 'input' must be a {dtype} tensor{hint}, received "
                        f"dtype {x.dtype}")
    if x.rank == 0:
        raise ValueError(f"{fn}: argument 'input' must have rank >= 1 (the transform runs "
                         f"over the innermost axis), received a scalar")
    return x


def _c64(a):
    return contiguous(a, _C64)


def _transform(fn, inverse):
    """fft or ifft as one node: numpy.fft's transform forward, its adjoint (the other
    transform with the 1/n moved) backward, both in float64."""
    forward, adjoint = (np.fft.ifft, np.fft.fft) if inverse else (np.fft.fft, np.fft.ifft)

    def op(input):  # noqa: A002 (TF.js's argument name)
        x = _spectral_arg(input, fn, "complex64")

        def core(xd):
            if xd.size == 0:
                return np.zeros(xd.shape, _C64), lambda dy, needs: (np.zeros(xd.shape, _C64),)
            y = _c64(forward(xd.astype(np.complex128), axis=-1))
            # The adjoint of fft is n * ifft, of ifft fft / n: numpy's other norm
            # ("forward" moves the 1/n onto the forward transform).
            return y, lambda dy, needs: (
                _c64(adjoint(dy.astype(np.complex128), axis=-1, norm="forward")),)
        return autodiff.apply(fn, core, (x,))
    op.__name__ = op.__qualname__ = fn
    return op


fft = _transform("fft", inverse=False)
fft.__doc__ = """tn.fft(input): the discrete Fourier transform of a complex64 tensor over its
innermost axis (TF.js's tf.spectral.fft): y[k] = sum_n x[n] exp(-2 pi i k n / N)."""
ifft = _transform("ifft", inverse=True)
ifft.__doc__ = """tn.ifft(input): the inverse discrete Fourier transform of a complex64
tensor over its innermost axis: y[n] = (1/N) sum_k x[k] exp(2 pi i k n / N)."""


def rfft(input, fft_length=None):  # noqa: A002
    """tn.rfft(input, fft_length=None): the Fourier transform of a real (float32) signal
    over its innermost axis, keeping the fft_length // 2 + 1 non-negative frequencies
    (complex64). With fft_length the signal is first cut to that length or padded with
    zeros to it, as TF.js does."""
    x = _spectral_arg(input, "rfft", "float32")
    length = x.shape[-1]
    n = length if fft_length is None else int_arg(fft_length, "rfft", "fft_length", 1)
    if n == 0:
        raise ValueError(f"rfft: the innermost axis of 'input' is empty (shape "
                         f"{list(x.shape)}); pass fft_length >= 1 to transform zeros")
    out_shape = x.shape[:-1] + (n // 2 + 1,)

    def core(xd):
        if xd.size == 0:
            return np.zeros(out_shape, _C64), lambda dy, needs: (np.zeros(xd.shape, np.float32),)
        y = _c64(np.fft.rfft(xd.astype(np.float64), n=n, axis=-1))

        def backward(dy, needs):
            # dL/dx[j] = Re(sum_k dy[k] exp(2 pi i k j / n)) over the kept frequencies;
            # a cropped signal's dropped values get 0, a padded one's pad is dropped.
            g = np.fft.ifft(dy.astype(np.complex128), n=n, axis=-1, norm="forward").real
            if n >= length:
                g = g[..., :length]
            else:
                g = np.concatenate([g, np.zeros(g.shape[:-1] + (length - n,))], axis=-1)
            return (contiguous(g, np.float32),)
        return y, backward
    return autodiff.apply("rfft", core, (x,))


def irfft(input):  # noqa: A002
    """tn.irfft(input): the real signal whose rfft is `input` (complex64, m values on the
    innermost axis), of length 2 * (m - 1), as TF.js computes it: the spectrum is
    completed by conjugate symmetry, inverse-transformed, and its real part kept (the
    imaginary parts of the first and, for m > 2, last values do not matter). For m <= 2,
    as TF.js, the output has m values: the real part of ifft(input)."""
    x = _spectral_arg(input, "irfft", "complex64")
    m = x.shape[-1]
    n = 2 * (m - 1) if m > 2 else m
    out_shape = x.shape[:-1] + (n,)
    # The gradient of a value that appears twice in the completed spectrum (itself and
    # its conjugate mirror) is doubled.
    weight = np.ones(m)
    if m > 2:
        weight[1:m - 1] = 2.0

    def core(xd):
        if xd.size == 0:
            return np.zeros(out_shape, np.float32), lambda dy, needs: (np.zeros(xd.shape, _C64),)
        z = xd.astype(np.complex128)
        y = np.fft.irfft(z, n=n, axis=-1) if m > 2 else np.fft.ifft(z, axis=-1).real

        def backward(dy, needs):
            d = dy.astype(np.float64)
            g = np.fft.rfft(d, axis=-1) if m > 2 else np.fft.fft(d, axis=-1)
            return (_c64(g * (weight / n)),)
        return contiguous(y, np.float32), backward
    return autodiff.apply("irfft", core, (x,))
