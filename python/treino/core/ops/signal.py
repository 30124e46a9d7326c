"""TF.js's tf.signal: hann_window, hamming_window, frame and stft (the tn.signal
namespace, core/namespaces.py).

frame is one node (a gather of overlapping windows; its gradient adds each frame's
gradient back where its values came from); stft is TF.js's composition: frame, times
the window, rfft. TF.js frames a 1-D signal; treino frames the innermost axis, so leading
axes are a batch (a 1-D signal gives TF.js's result).
"""
import numbers

import numpy as np

from .. import autodiff
from .._args import int_arg
from ..dtypes import to_array
from ..tensor import Tensor
from ._util import contiguous, tensor_arg
from .binary import mul
from .spectral import rfft
from .window import cosine_window, enclosing_power_of_two


def hann_window(window_length):
    """tn.signal.hann_window(window_length): 0.5 - 0.5 cos(2 pi i / N) (float32), with
    N = window_length for an even length (periodic) and window_length - 1 for an odd one
    (symmetric), as TF.js."""
    return cosine_window(int_arg(window_length, "hann_window", "window_length", 1), 0.5, 0.5)


def hamming_window(window_length):
    """tn.signal.hamming_window(window_length): 0.54 - 0.46 cos(2 pi i / N), N as in
    hann_window."""
    return cosine_window(int_arg(window_length, "hamming_window", "window_length", 1),
                         0.54, 0.46)


def _frame_count(n, frame_length, frame_step, pad_end):
    """TF.js's loop: frames start every frame_step samples while they fit; with pad_end,
    also while they start inside the signal."""
    if pad_end:
        return -(-n // frame_step)
    return (n - frame_length) // frame_step + 1 if n >= frame_length else 0


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0):
    """tn.signal.frame(signal, frame_length, frame_step, pad_end=False, pad_value=0):
    windows of frame_length samples taken every frame_step samples along the innermost
    axis: shape [..., frames, frame_length]. Frames stop at the last one that fits, or,
    with pad_end, at the last one that starts inside the signal, its missing samples set
    to pad_value. No frame at all gives shape [..., 0, frame_length]."""
    x = tensor_arg(signal, "frame", "signal")
    if x.rank == 0:
        raise ValueError("frame: argument 'signal' must have rank >= 1 (frames are taken "
                         "along the innermost axis), received a scalar")
    length = int_arg(frame_length, "frame", "frame_length", 1)
    step = int_arg(frame_step, "frame", "frame_step", 1)
    if not isinstance(pad_end, (bool, np.bool_)):
        raise TypeError(f"frame: argument 'pad_end' must be a bool, received {pad_end!r}")
    if isinstance(pad_value, bool) or not isinstance(pad_value, numbers.Real):
        raise TypeError(f"frame: argument 'pad_value' must be a number, received "
                        f"{pad_value!r}")
    n = x.shape[-1]
    count = _frame_count(n, length, step, bool(pad_end))
    pad = max(0, (count - 1) * step + length - n) if count else 0
    # [count, length] positions in the signal extended by `pad` values.
    index = np.arange(count)[:, None] * step + np.arange(length)[None, :]
    fill = to_array(pad_value, x.dtype, "frame", "pad_value") if pad else None
    float_in = x.dtype == "float32"

    def core(xd):
        if pad:
            xd_ext = np.concatenate([xd, np.broadcast_to(fill, xd.shape[:-1] + (pad,))], -1)
        else:
            xd_ext = xd
        y = contiguous(xd_ext[..., index])
        if not float_in:
            return y, None

        def backward(dy, needs):
            g = np.zeros((int(np.prod(xd.shape[:-1], dtype=np.int64)), n + pad), np.float32)
            np.add.at(g, (slice(None), index.ravel()), dy.reshape(g.shape[0], count * length))
            return (contiguous(g[:, :n].reshape(xd.shape)),)
        return y, backward
    return autodiff.apply("frame", core, (x,))


def stft(signal, frame_length, frame_step, fft_length=None, window_fn=None):
    """tn.signal.stft(signal, frame_length, frame_step, fft_length=None,
    window_fn=hann_window): the short-time Fourier transform, as TF.js: frames (no end
    padding) times window_fn(frame_length), then rfft over fft_length (default: the
    smallest power of two >= frame_length; frames are cut or zero-padded to it). Shape
    [..., frames, fft_length // 2 + 1], complex64."""
    x = tensor_arg(signal, "stft", "signal")
    length = int_arg(frame_length, "stft", "frame_length", 1)
    step = int_arg(frame_step, "stft", "frame_step", 1)
    if fft_length is None:
        fft_length = enclosing_power_of_two(length)
    fft_length = int_arg(fft_length, "stft", "fft_length", 1)
    if window_fn is None:
        window_fn = hann_window
    if not callable(window_fn):
        raise TypeError(f"stft: argument 'window_fn' must be a function of the window "
                        f"length returning a 1-D tensor, received {window_fn!r}")
    framed = frame(x, length, step)
    window = window_fn(length)
    if not isinstance(window, Tensor):
        window = tensor_arg(window, "stft", "window_fn(frame_length)")
    if window.shape != (length,):
        raise ValueError(f"stft: window_fn({length}) must return a 1-D tensor of "
                         f"{length} values, received shape {list(window.shape)}")
    return rfft(mul(framed, window), fft_length)
