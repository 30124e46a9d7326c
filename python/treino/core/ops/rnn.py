"""Sequence ops: the embedding lookup and the fused recurrent layers, each one tape node.

`embedding_lookup` gathers rows of a table (native row copy) and its backward adds the
gradient rows back with a deterministic native scatter-add, written straight into the
engine's gradient buffer.

`recurrent` runs a whole sequence through one SimpleRNN, LSTM or GRU cell: one native
call forward (input projection, recurrence, gates) and one backward through time
(csrc/rnn/rnn.h has the equations, TF.js's). The node's outputs are the output sequence
(in processing order, as TF.js returns it with go_backwards), the last output and, for an
LSTM, the last cell state; initial states and the sequence mask are inputs, so a
gradient reaches the states (an encoder feeding a decoder) and a replayed step reads
each batch's mask. Dropout masks are drawn inside the core, at every run.
"""
import numpy as np

from ... import _kernels as K
from .. import autodiff
from ..random import generator

CELLS = ("simple_rnn", "lstm", "gru", "gru_reset_after")
# Activations the fused kernels compute (TF.js ids); others run step by step.
FUSED_ACTIVATIONS = ("linear", "relu", "relu6", "elu", "selu", "sigmoid", "hardSigmoid",
                     "tanh", "softplus", "softsign")


def _f32(a):
    return np.asarray(a, np.float32, order="C")


def _indices(ind):
    """Indices as int32, cast as TF.js's Embedding does (truncation toward zero)."""
    if ind.dtype == np.int32:
        return np.asarray(ind, order="C")
    if ind.dtype.kind == "f" and not np.isfinite(ind).all():
        raise ValueError("embedding: the indices must be finite numbers, received NaN or "
                         "infinity")
    if ind.dtype.kind in "fc" and ind.size and (ind.max() >= 2**31 or ind.min() <= -2**31):
        raise ValueError(f"embedding: index {ind.max() if ind.max() >= 2**31 else ind.min()} "
                         f"is out of the int32 range")
    return np.asarray(ind, np.int32, order="C")


def embedding_lookup(table, indices):
    """table[indices]: table a float32 (V, D) Tensor, indices an int32 or float32 Tensor of
    any shape (floats are truncated, as TF.js casts them); each index in [0, V). The
    result has shape indices.shape + (D,); only the table gets a gradient."""
    def core(td, xd):
        ids = _indices(xd)
        y = K.embedding_forward(td, ids)

        def backward(dy, needs, out=(None, None)):
            if not needs[0]:
                return None, None
            return K.embedding_backward(_f32(dy), ids, td.shape[0], out[0]), None
        return y, backward
    core.writes_grads = True
    return autodiff.apply("embedding", core, (table, indices))


def dropout_mask(shape, rate):
    """An inverted-dropout mask (0 or 1 / (1 - rate)) from the global generator."""
    keep = generator().random(shape) >= rate
    return np.where(keep, np.float32(1.0 / (1.0 - rate)), np.float32(0.0)).astype(np.float32)


def recurrent(cell, x, kernel, recurrent_kernel, bias=None, initial_state=None, mask=None,
              go_backwards=False, activation="tanh", recurrent_activation="hardSigmoid",
              dropout=0.0, recurrent_dropout=0.0):
    """One fused recurrent layer over x (B, T, I): `cell` one of CELLS; kernel (I, G*U),
    recurrent_kernel (U, G*U), bias (G*U,) ((2, G*U) for gru_reset_after) or None;
    initial_state: None (zeros) or the list of state Tensors (h, and c for an LSTM),
    each (B, U); mask: None or a (B, T) Tensor (bool or numbers, 0 = skip the step);
    dropout / recurrent_dropout: rates of TF.js's masks on the inputs and on the state
    entering the recurrent product, one mask per call (0 for inference).
    Returns (sequence (B, T, U), last output (B, U)) and, for an LSTM, the last cell state
    as a third Tensor."""
    lstm = cell == "lstm"
    inputs = [x, kernel, recurrent_kernel]
    i_b = i_h = i_c = i_m = None
    if bias is not None:
        i_b = len(inputs)
        inputs.append(bias)
    if initial_state is not None:
        i_h = len(inputs)
        inputs.append(initial_state[0])
        if lstm:
            i_c = len(inputs)
            inputs.append(initial_state[1])
    if mask is not None:
        i_m = len(inputs)
        inputs.append(mask)
    n_in = len(inputs)
    # Workspaces a backward has finished with, by input shape: a replayed step reuses the
    # previous step's (tens of MB for a long sequence; a fresh one costs a page fault per
    # 4 KiB every step).
    spare = {}

    def core(*arrays):
        # An input that arrives as a strided view (a permuted tensor) is copied once.
        xd, wd, rd = _f32(arrays[0]), _f32(arrays[1]), _f32(arrays[2])
        bd = _f32(arrays[i_b]) if i_b is not None else None
        h0 = _f32(arrays[i_h]) if i_h is not None else None
        c0 = _f32(arrays[i_c]) if i_c is not None else None
        md = _f32(arrays[i_m]) if i_m is not None else None
        B, _, I = xd.shape
        U = rd.shape[0]
        dmask = dropout_mask((B, I), dropout) if dropout else None
        rmask = dropout_mask((B, U), recurrent_dropout) if recurrent_dropout else None
        xin = xd * dmask[:, None, :] if dmask is not None else xd
        pool = spare.setdefault((xd.shape, U), [])

        def forward(buffer=None):
            return K.rnn_forward(cell, xin, wd, rd, bd, h0, c0, md, rmask, go_backwards,
                                 activation, recurrent_activation, buffer)
        hseq, h_last, c_last, ws = forward(pool.pop() if pool else None)
        saved = [ws]

        def backward(dys, needs, out=None):
            out = out or (None,) * n_in
            # The workspace is consumed by a backward; a second one recomputes it.
            work = saved[0] if saved[0] is not None else forward()[3]
            saved[0] = None
            g = [None if d is None else _f32(d) for d in dys] + [None]
            need_db = i_b is not None and needs[i_b]
            dx, dw, dr, db, dh0, dc0 = K.rnn_backward(
                cell, xin, wd, rd, md, rmask, work, g[0], g[1], g[2] if lstm else None,
                go_backwards, activation, recurrent_activation, need_dx=needs[0],
                need_dw=needs[1], need_dr=needs[2], need_db=need_db,
                need_dh0=i_h is not None and needs[i_h],
                need_dc0=i_c is not None and needs[i_c], dw=out[1] if needs[1] else None,
                dr=out[2] if needs[2] else None, db=out[i_b] if need_db else None)
            if len(pool) < 2:
                pool.append(work)
            if dx is not None and dmask is not None:
                dx *= dmask[:, None, :]
            grads = [dx, dw, dr] + [None] * (n_in - 3)
            if i_b is not None:
                grads[i_b] = db
            if i_h is not None:
                grads[i_h] = dh0
            if i_c is not None:
                grads[i_c] = dc0
            return tuple(grads)
        return ((hseq, h_last, c_last) if lstm else (hseq, h_last)), backward
    core.writes_grads = True
    return autodiff.apply(cell, core, tuple(inputs))


def reverse_time(x):
    """x[:, ::-1]: a (batch, time, ...) sequence (or mask) in reverse time order, as a
    node (a captured step reverses each batch); the gradient is reversed back."""
    def core(xd):
        def backward(dy, needs):
            return (np.ascontiguousarray(dy[:, ::-1]),)
        return np.ascontiguousarray(xd[:, ::-1]), backward
    return autodiff.apply("reverse_time", core, (x,))
