"""The int-argument check the op and creation modules share: one message format,
naming the function, the argument, the accepted range and what was received."""
import numbers

import numpy as np


def is_int(v):
    """An int (numpy's too), and not a bool."""
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def int_arg(v, fn, arg, low=None, high=None):
    """v as a Python int within [low, high] (a None bound is open), else ValueError."""
    if not is_int(v) or (low is not None and v < low) or (high is not None and v > high):
        where = (f" in [{low}, {high}]" if low is not None and high is not None else
                 f" >= {low}" if low is not None else f" <= {high}" if high is not None else "")
        raise ValueError(f"{fn}: argument '{arg}' must be an int{where}, received {v!r}")
    return int(v)
