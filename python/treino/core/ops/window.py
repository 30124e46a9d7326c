"""The two signal helpers TF.js exports at the top level (tf.enclosingPowerOfTwo,
tf.cosineWindow), the building blocks of its window functions."""
import math
import numbers

import numpy as np

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
    if isinstance(window_length, bool) or not isinstance(window_length, (numbers.Integral, np.integer)) \
            or window_length < 1:
        raise ValueError(f"cosine_window: argument 'window_length' must be an int >= 1, "
                         f"received {window_length!r}")
    n = int(window_length)
    even = 1 - n % 2
    denom = n + even - 1
    i = np.arange(n, dtype=np.float64)
    values = float(a) - float(b) * np.cos(2 * np.pi * i / denom) if denom else np.full(n, float(a) - float(b))
    return Tensor(np.asarray(values, np.float32))
