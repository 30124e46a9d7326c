"""matmul, dot and the fused dense op act(x @ w + b).

2-D matmul is one native sgemm call each way (the backward's transposes are sgemm flags,
never copies); batched (rank > 2) matmul uses numpy's. dense is one native call forward
and one backward (dX is skipped when x needs no gradient, e.g. the first layer).
"""
import numpy as np

from ... import _kernels as K
from .. import autodiff
from ..tensor import Tensor
from ._util import contiguous, pair, unbroadcast


def _mm(a, b, ta, tb):
    """op(a) @ op(b) for 2-D float32 arrays, one sgemm call."""
    return K.sgemm(a, b, trans_a=ta, trans_b=tb)


def matmul(a, b, transpose_a=False, transpose_b=False):
    """op(a) @ op(b); rank-2, or batched over leading axes (which broadcast)."""
    a, b = pair(a, b, "matmul")
    if a.rank < 2 or b.rank < 2:
        raise ValueError(f"matmul: both operands must have rank >= 2, received a of shape "
                         f"{list(a.shape)} and b of shape {list(b.shape)} (use tn.dot for vectors)")
    sa, sb = a.shape, b.shape
    ka = sa[-2] if transpose_a else sa[-1]
    kb = sb[-1] if transpose_b else sb[-2]
    if ka != kb:
        raise ValueError(f"matmul: inner dimensions differ: a is {list(sa)}"
                         f"{' transposed' if transpose_a else ''}, b is {list(sb)}"
                         f"{' transposed' if transpose_b else ''} ({ka} != {kb})")
    if a.dtype != "float32":
        def int_core(ad, bd):
            am = np.swapaxes(ad, -1, -2) if transpose_a else ad
            bm = np.swapaxes(bd, -1, -2) if transpose_b else bd
            return contiguous(np.matmul(am, bm)).astype(ad.dtype), None
        return autodiff.apply("matmul", int_core, (a, b))
    if a.rank == 2 and b.rank == 2:
        def core(ad, bd):
            def backward(dy, needs):
                ga = gb = None
                if needs[0]:  # dA = dy @ op(B)^T, laid out as A
                    ga = _mm(bd, dy, transpose_b, True) if transpose_a else _mm(dy, bd, False, not transpose_b)
                if needs[1]:  # dB = op(A)^T @ dy, laid out as B
                    gb = _mm(dy, ad, True, transpose_a) if transpose_b else _mm(ad, dy, not transpose_a, False)
                return ga, gb
            return _mm(ad, bd, transpose_a, transpose_b), backward
        return autodiff.apply("matmul", core, (a, b))
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of a {list(sa)} and b "
                         f"{list(sb)} do not broadcast") from None

    def batched_core(ad, bd):
        am = np.swapaxes(ad, -1, -2) if transpose_a else ad
        bm = np.swapaxes(bd, -1, -2) if transpose_b else bd

        def backward(dy, needs):
            ga = gb = None
            if needs[0]:
                g = np.matmul(dy, np.swapaxes(bm, -1, -2))
                g = np.swapaxes(g, -1, -2) if transpose_a else g
                ga = unbroadcast(contiguous(g), ad.shape)
            if needs[1]:
                g = np.matmul(np.swapaxes(am, -1, -2), dy)
                g = np.swapaxes(g, -1, -2) if transpose_b else g
                gb = unbroadcast(contiguous(g), bd.shape)
            return ga, gb
        return contiguous(np.matmul(am, bm)), backward
    return autodiff.apply("matmul", batched_core, (a, b))


def dot(a, b):
    """TF.js dot: vector.vector (a scalar), matrix.vector, vector.matrix, matrix.matrix."""
    from .shape import reshape
    a, b = pair(a, b, "dot")
    if a.rank not in (1, 2) or b.rank not in (1, 2):
        raise ValueError(f"dot: operands must have rank 1 or 2, received {list(a.shape)} and "
                         f"{list(b.shape)}")
    a2 = reshape(a, [1, -1]) if a.rank == 1 else a
    b2 = reshape(b, [-1, 1]) if b.rank == 1 else b
    if a2.shape[1] != b2.shape[0]:
        raise ValueError(f"dot: inner dimensions differ: a has shape {list(a.shape)}, b has "
                         f"shape {list(b.shape)}")
    y = matmul(a2, b2)
    out_shape = [d for d, keep in ((a2.shape[0], a.rank == 2), (b2.shape[1], b.rank == 2)) if keep]
    return reshape(y, out_shape)


def _dense_softmax(x, w, b):
    """softmax(x @ w + b) over the units as one node: the native linear dense, then the
    softmax kernel; backward the softmax's, then the dense's. The same kernels, in the
    same order, as the dense op followed by tn.softmax (bit for bit), with one node's
    overhead instead of two (a softmax output trained with a loss other than the fused
    cross-entropy, and predict)."""
    def core(xd, wd, bd=None):
        z = K.dense_forward(xd, wd, bd, "linear", None)
        y = K.softmax(z)

        def backward(dy, needs, out=(None, None, None)):
            dz = K.softmax_backward(dy, y)
            if bd is None:
                dx, dw, _ = K.dense_backward(dz, xd, wd, z, "linear", None, needs[0], False,
                                             None, out[1])
                return dx, dw
            return K.dense_backward(dz, xd, wd, z, "linear", None, needs[0], needs[2], None,
                                    out[1], out[2] if needs[2] else None)
        return y, backward
    core.writes_grads = True
    return autodiff.apply("dense", core, (x, w) if b is None else (x, w, b))


def dense(x, w, b=None, activation="linear", alpha=None):
    """act(x @ w + b) as one fused op: x (N, K), w (K, U), b (U,) or None; activation a
    TF.js id the fused kernel supports (linear, relu, relu6, elu, selu, sigmoid, tanh,
    softplus, softsign, leakyRelu)."""
    x, w = pair(x, w, "dense")
    if b is not None and not isinstance(b, Tensor):
        b = pair(b, w, "dense")[0]
    if x.dtype != "float32":
        raise TypeError(f"dense: x and w must be float32, received {x.dtype}")
    if activation == "softmax":
        return _dense_softmax(x, w, b)
    # The backward takes `out`, buffers to write dw (and db) into: the engine passes views
    # of its flat gradient buffer (see engine.py), so the weights' gradients need no copy.
    if b is None:
        def core(xd, wd):
            y = K.dense_forward(xd, wd, None, activation, alpha)

            def backward(dy, needs, out=(None, None)):
                dx, dw, _ = K.dense_backward(dy, xd, wd, y, activation, alpha, needs[0],
                                             False, None, out[1])
                return dx, dw
            return y, backward
        core.writes_grads = True
        return autodiff.apply("dense", core, (x, w))

    def core_bias(xd, wd, bd):
        y = K.dense_forward(xd, wd, bd, activation, alpha)

        def backward(dy, needs, out=(None, None, None)):
            return K.dense_backward(dy, xd, wd, y, activation, alpha, needs[0], needs[2],
                                    None, out[1], out[2] if needs[2] else None)
        return y, backward
    core_bias.writes_grads = True
    return autodiff.apply("dense", core_bias, (x, w, b))
