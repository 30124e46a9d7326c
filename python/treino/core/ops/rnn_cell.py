"""TF.js's two recurrent-cell ops: basic_lstm_cell (one step of tf.contrib.rnn's
BasicLSTMCell) and multi_rnn_cell (a stack of such steps, each cell's output feeding
the next).

Both are compositions of differentiable ops, as in TF.js, so every input (the kernel,
the bias, the forget bias when it is a tensor, the data and both states) gets its
gradient from the tape. The gate order is BasicLSTMCell's [i, j, f, o] (input gate, new
input, forget gate, output gate), not the Layers API's [i, f, c, o].
"""
import numpy as np

from ..tensor import Tensor
from ._util import tensor_arg
from .binary import add, mul
from .linalg import matmul
from .shape import cast, concat, split
from .unary import sigmoid, tanh


def _float(x, fn, arg):
    x = tensor_arg(x, fn, arg)
    if x.dtype == "complex64":
        raise TypeError(f"{fn}: argument '{arg}' must be a real tensor, received complex64")
    return x if x.dtype == "float32" else cast(x, "float32")


def _shape(x, want, fn, arg, what):
    if tuple(x.shape) != tuple(want):
        raise ValueError(f"{fn}: argument '{arg}' must have shape {list(want)} ({what}), "
                         f"received {list(x.shape)}")


def _broadcasts(x, target, fn, arg, what):
    try:
        ok = np.broadcast_shapes(x.shape, target) == tuple(target)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{fn}: argument '{arg}' ({what}) must broadcast to "
                         f"{list(target)}, received shape {list(x.shape)}")


def basic_lstm_cell(forget_bias, lstm_kernel, lstm_bias, data, c, h):
    """[new_c, new_h] of one BasicLSTMCell step: with [i, j, f, o] the four column blocks
    of concat([data, h], 1) @ lstm_kernel + lstm_bias, new_c = c * sigmoid(f + forget_bias)
    + sigmoid(i) * tanh(j) and new_h = tanh(new_c) * sigmoid(o).

    data (batch, input), c and h (batch, units), lstm_kernel (input + units, 4 units),
    lstm_bias broadcasting to (batch, 4 units) (usually (4 units,)), forget_bias a number
    or a tensor broadcasting to (batch, units). Integer inputs are cast to float32."""
    fn = "basic_lstm_cell"
    forget_bias = _float(forget_bias, fn, "forget_bias")
    kernel = _float(lstm_kernel, fn, "lstm_kernel")
    bias = _float(lstm_bias, fn, "lstm_bias")
    data, c, h = (_float(v, fn, a) for v, a in ((data, "data"), (c, "c"), (h, "h")))
    if data.rank != 2:
        raise ValueError(f"{fn}: argument 'data' must have rank 2 (batch, input), received "
                         f"shape {list(data.shape)}")
    if h.rank != 2:
        raise ValueError(f"{fn}: argument 'h' must have rank 2 (batch, units), received "
                         f"shape {list(h.shape)}")
    batch, units = h.shape
    _shape(data, (batch, data.shape[1]), fn, "data", "the batch size of h")
    _shape(c, (batch, units), fn, "c", "the shape of h")
    _shape(kernel, (data.shape[1] + units, 4 * units), fn, "lstm_kernel",
           "(input + units, 4 units) for data of shape "
           f"{list(data.shape)} and h of shape {list(h.shape)}")
    _broadcasts(bias, (batch, 4 * units), fn, "lstm_bias", "the 4 gates' biases")
    _broadcasts(forget_bias, (batch, units), fn, "forget_bias", "added to the forget gate")
    res = add(matmul(concat([data, h], 1), kernel), bias)
    i, j, f, o = split(res, 4, 1)
    new_c = add(mul(sigmoid(i), tanh(j)), mul(c, sigmoid(add(forget_bias, f))))
    new_h = mul(tanh(new_c), sigmoid(o))
    return [new_c, new_h]


def multi_rnn_cell(lstm_cells, data, c, h):
    """[new_cs, new_hs] of a stack of cells at one step: cell k is called as
    lstm_cells[k](input, c[k], h[k]) and returns [c_k, h_k]; its h_k is the next cell's
    input (the first cell's is `data`). c and h hold one state per cell."""
    fn = "multi_rnn_cell"
    if not isinstance(lstm_cells, (list, tuple)) or not lstm_cells or not all(
            callable(cell) for cell in lstm_cells):
        raise TypeError(f"{fn}: argument 'lstm_cells' must be a non-empty list of functions "
                        f"(data, c, h) -> [c, h], received {lstm_cells!r}")
    n = len(lstm_cells)
    for arg, states in (("c", c), ("h", h)):
        if not isinstance(states, (list, tuple)) or len(states) != n:
            got = f"{len(states)} item(s)" if isinstance(states, (list, tuple)) else \
                type(states).__name__
            raise ValueError(f"{fn}: argument '{arg}' must be a list of {n} tensor(s), one per "
                             f"cell, received {got}")
    x = _float(data, fn, "data")
    cs = [_float(v, fn, f"c[{k}]") for k, v in enumerate(c)]
    hs = [_float(v, fn, f"h[{k}]") for k, v in enumerate(h)]
    new_c, new_h = [], []
    for k, cell in enumerate(lstm_cells):
        out = cell(x, cs[k], hs[k])
        if not isinstance(out, (list, tuple)) or len(out) != 2 or not all(
                isinstance(t, Tensor) for t in out):
            raise TypeError(f"{fn}: lstm_cells[{k}] must return [c, h] (two Tensors), "
                            f"returned {out!r}")
        new_c.append(out[0])
        new_h.append(out[1])
        x = out[1]
    return [new_c, new_h]
