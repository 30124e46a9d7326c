"""The two signal helpers TF.js exports at the top level (tf.enclosingPowerOfTwo,
tf.cosineWindow), the building blocks of its window functions."""
import math
import numbers

import numpy as np

from .._args import int_arg
from ..tensor import Tensor


def enclosing_power_of_two(value):
    """The smallest power of two >= value (an FFT length that holds `value` samples),
    floored to an int as TF.js does (so 0 for value <= 0.5)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"enclosing_power_of_two: argument 'value' must be a number > 0, "
                         f"received {value!r}")
    return int(2 ** math.ceil(math.log2(value)))


def cosine_window(window_length, a, b):
    """a - b * cos(2 pi i / N) for i < window_length, N = window_length - 1 rounded up
    to even: the generalised cosine window (a = b = 0.5 is Hann's, a = 0.54, b = 0.46
    Hamming's), as float32."""
    n = int_arg(window_length, "cosine_window", "window_length", 1)
    even = 1 - n % 2
    denom = n + even - 1
    i = np.arange(n, dtype=np.float64)
    if denom == 0:  # one value: TF.js's 0/0 would make it NaN
        return Tensor(np.full(1, float(a) - float(b), np.float32))
    values = float(a) - float(b) * np.cos(2 * np.pi * i / denom)
    return Tensor(np.asarray(values, np.float32))
