"""Linear algebra beyond matmul: outer_product, einsum, diag, and TF.js's tn.linalg
namespace (band_part, gram_schmidt, qr).

outer_product, gram_schmidt and qr are compositions of differentiable ops, as in TF.js
(qr is TF.js's Householder algorithm, so Q and R have TF.js's signs: LAPACK's, except that
TF.js also reflects the last column of a square or wide matrix).
einsum and diag are one node each; TF.js gives them no gradient, treino does.
"""
import string

import numpy as np

from .. import autodiff
from .._args import is_int
from ..tensor import Tensor
from ._util import contiguous, tensor_arg
from .binary import div, greater, mul, sub, where
from .linalg import matmul
from .reduce import sum  # noqa: A004
from .shape import concat, reshape, slice, stack, transpose, unstack  # noqa: A004
from .unary import neg


def outer_product(v1, v2):
    """The outer product of two vectors: shape [len(v1), len(v2)]."""
    v1, v2 = tensor_arg(v1, "outer_product", "v1"), tensor_arg(v2, "outer_product", "v2")
    if v1.rank != 1 or v2.rank != 1:
        raise ValueError(f"outer_product: v1 and v2 must be vectors (rank 1), received shapes "
                         f"{list(v1.shape)} and {list(v2.shape)}")
    return matmul(reshape(v1, [-1, 1]), reshape(v2, [1, -1]))


def _parse_einsum(equation, n):
    if not isinstance(equation, str):
        raise TypeError(f"einsum: argument 'equation' must be a string, received {equation!r}")
    eq = "".join(equation.split())
    if eq.count("->") != 1:
        raise ValueError(f"einsum: the equation must hold exactly one '->' (an explicit "
                         f"output, as TF.js requires), received {equation!r}")
    lhs, out = eq.split("->")
    terms = lhs.split(",")
    if "." in eq:
        raise ValueError(f"einsum: the ellipsis '...' is not supported (as in TF.js), "
                         f"received {equation!r}")
    letters = set(string.ascii_letters)
    for t in terms + [out]:
        if not set(t) <= letters:
            raise ValueError(f"einsum: subscripts must be letters, received {equation!r}")
        if len(set(t)) != len(t):
            raise ValueError(f"einsum: the subscripts {t!r} repeat a letter (diagonals are not "
                             f"supported, as in TF.js), in {equation!r}")
    if len(terms) != n:
        raise ValueError(f"einsum: the equation {equation!r} names {len(terms)} operands, "
                         f"received {n} tensors")
    missing = set(out) - set("".join(terms))
    if missing:
        raise ValueError(f"einsum: the output subscripts {sorted(missing)} appear in no "
                         f"input, in {equation!r}")
    return terms, out


def einsum(equation, *tensors):
    """TF.js's einsum: an explicit equation ('ij,jk->ik'), no ellipsis, no repeated
    subscript within one operand. Any number of operands (TF.js takes at most two)."""
    ts = [tensor_arg(t, "einsum", f"tensors[{i}]") for i, t in enumerate(tensors)]
    terms, out = _parse_einsum(equation, len(ts))
    sizes = {}
    for i, (t, term) in enumerate(zip(ts, terms)):
        if t.rank != len(term):
            raise ValueError(f"einsum: tensors[{i}] has rank {t.rank} but its subscripts "
                             f"{term!r} name {len(term)} axes")
        for c, d in zip(term, t.shape):
            if sizes.setdefault(c, d) != d:
                raise ValueError(f"einsum: subscript {c!r} has extent {sizes[c]} in one "
                                 f"operand and {d} in tensors[{i}] (shape {list(t.shape)})")
    dtypes = {t.dtype for t in ts}
    float_out = "float32" in dtypes
    spec = ",".join(terms) + "->" + out

    def core(*arrays):
        arrays = [a.astype(np.float32) if float_out else a.astype(np.int32) for a in arrays]
        y = contiguous(np.einsum(spec, *arrays), np.float32 if float_out else np.int32)
        if not float_out:
            return y, None

        def backward(dy, needs):
            return tuple(_einsum_grad(dy, arrays, terms, out, i, sizes) if need else None
                         for i, need in enumerate(needs))
        return y, backward
    return autodiff.apply("einsum", core, tuple(ts))


def _einsum_grad(dy, arrays, terms, out, i, sizes):
    """d/d operand i: dy contracted with the other operands onto operand i's subscripts;
    subscripts only operand i has (summed away in the forward) get dy broadcast."""
    others = [t for k, t in enumerate(terms) if k != i]
    reached = set(out).union(*others) if others else set(out)
    present = "".join(c for c in terms[i] if c in reached)
    g = np.einsum(",".join([out] + others) + "->" + present, dy,
                  *[a for k, a in enumerate(arrays) if k != i])
    shape = [sizes[c] if c in reached else 1 for c in terms[i]]
    g = np.broadcast_to(g.reshape(shape), [sizes[c] for c in terms[i]])
    return contiguous(g, np.float32)


def diag(x):
    """A tensor of shape x.shape + x.shape with x's values on its diagonal (TF.js's
    diag: for x of rank k, the output has rank 2k)."""
    x = tensor_arg(x, "diag")
    if x.rank == 0:
        raise ValueError("diag: x must have rank >= 1, received a scalar")
    shape = x.shape

    def core(xd):
        n = xd.size
        y = np.zeros((n, n), xd.dtype)
        y[np.arange(n), np.arange(n)] = xd.ravel()
        y = y.reshape(shape + shape)
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: (contiguous(np.diagonal(dy.reshape(n, n)).reshape(shape)),)
    return autodiff.apply("diag", core, (x,))


def _band_arg(v, extent, fn, arg):
    if isinstance(v, Tensor):
        if v.dtype != "int32" or v.rank != 0:
            raise TypeError(f"{fn}: argument '{arg}' must be an int or an int32 scalar "
                            f"tensor, received a {v.dtype} tensor of shape {list(v.shape)}")
        v = int(v.item())
    elif not is_int(v):
        raise TypeError(f"{fn}: argument '{arg}' must be an int, received {v!r}")
    if v > extent:
        raise ValueError(f"{fn}: argument '{arg}' ({v}) must not exceed the matrix's "
                         f"extent {extent}")
    return extent if v < 0 else int(v)


def band_part(a, num_lower, num_upper):
    """Keeps, in each innermost matrix of a, the num_lower diagonals below the main one
    and num_upper above it (a negative number keeps them all), zeroes the rest."""
    a = tensor_arg(a, "band_part", "a")
    if a.rank < 2:
        raise ValueError(f"band_part: a must have rank >= 2, received shape {list(a.shape)}")
    m, n = a.shape[-2:]
    lower = _band_arg(num_lower, m, "band_part", "num_lower")
    upper = _band_arg(num_upper, n, "band_part", "num_upper")
    ij = np.arange(m)[:, None] - np.arange(n)[None, :]
    keep = (ij <= lower) & (ij >= -upper)

    def core(ad):
        y = contiguous(np.where(keep, ad, np.zeros((), ad.dtype)), ad.dtype)
        if y.dtype != np.float32:
            return y, None
        return y, lambda dy, needs: (contiguous(np.where(keep, dy, np.float32(0))),)
    return autodiff.apply("band_part", core, (a,))


def gram_schmidt(xs):
    """Orthonormalises vectors in order (classical Gram-Schmidt, as TF.js): a list of
    1-D tensors gives a list, a 2-D tensor (one vector per row) gives a 2-D tensor."""
    from .reduce_extra import norm
    as_matrix = not isinstance(xs, (list, tuple))
    if as_matrix:
        xs = tensor_arg(xs, "gram_schmidt", "xs")
        if xs.rank != 2:
            raise ValueError(f"gram_schmidt: xs must be a 2-D tensor or a list of 1-D "
                             f"tensors, received shape {list(xs.shape)}")
        vectors = unstack(xs, 0) if xs.shape[0] else []
    else:
        vectors = [tensor_arg(v, "gram_schmidt", f"xs[{i}]") for i, v in enumerate(xs)]
        if not vectors:
            raise ValueError("gram_schmidt: xs must not be empty")
        for i, v in enumerate(vectors):
            if v.rank != 1 or v.shape != vectors[0].shape:
                raise ValueError(f"gram_schmidt: every vector must be 1-D of the length of "
                                 f"xs[0] ({vectors[0].shape[0] if vectors[0].rank else '?'}), "
                                 f"xs[{i}] has shape {list(v.shape)}")
    if vectors and len(vectors) > vectors[0].shape[0]:
        raise ValueError(f"gram_schmidt: {len(vectors)} vectors cannot be orthonormal in "
                         f"{vectors[0].shape[0]} dimensions")
    ys = []
    for x in vectors:
        for y in ys:
            x = sub(x, mul(sum(mul(y, x)), y))
        ys.append(div(x, norm(x, "euclidean")))
    if as_matrix:
        return stack(ys, 0) if ys else xs
    return ys


def qr(x, full_matrices=False):
    """QR decomposition of the innermost matrices of x (rank >= 2): (q, r) with
    q @ r == x. For an m x n matrix with m > n, q is m x n and r n x n unless
    full_matrices (m x m and m x n)."""
    x = tensor_arg(x, "qr")
    if x.rank < 2:
        raise ValueError(f"qr: x must have rank >= 2, received shape {list(x.shape)}")
    if x.dtype != "float32":
        autodiff.refuse_complex("qr", (x,))  # a cast would keep only the real parts
        x = x.cast("float32")
    if x.rank == 2:
        return _qr2d(x, bool(full_matrices))
    m, n = x.shape[-2:]
    mats = unstack(reshape(x, [-1, m, n]), 0)
    if not mats:
        raise ValueError(f"qr: x has no matrices (shape {list(x.shape)})")
    qs, rs = zip(*[_qr2d(mat, bool(full_matrices)) for mat in mats])
    lead = list(x.shape[:-2])
    return (reshape(stack(list(qs), 0), lead + list(qs[0].shape)),
            reshape(stack(list(rs), 0), lead + list(rs[0].shape)))


def _qr2d(x, full_matrices):
    """TF.js's qr2d: Householder reflections, one column at a time, as tensor ops."""
    from ..creation import eye
    from .reduce_extra import norm
    m, n = x.shape
    q, r = eye(m), x
    one = Tensor(np.ones((1, 1), np.float32))
    for j in range(min(m, n)):
        col = slice(r, [j, j], [m - j, 1])
        norm_x = norm(col)
        rjj = slice(r, [j, j], [1, 1])
        s = where(greater(rjj, 0), Tensor(np.full((1, 1), -1, np.float32)), one)
        u1 = sub(rjj, mul(s, norm_x))
        w_pre = div(col, u1)
        w = one if m - j == 1 else concat([one, slice(w_pre, [1, 0], [m - j - 1, 1])], 0)
        tau = neg(div(mul(s, u1), norm_x))
        tau_w = mul(tau, w)
        rows = slice(r, [j, 0], [m - j, n])
        reflected = sub(rows, matmul(tau_w, matmul(transpose(w), rows)))
        r = reflected if j == 0 else concat([slice(r, [0, 0], [j, n]), reflected], 0)
        cols = slice(q, [0, j], [m, m - j])
        updated = sub(cols, matmul(matmul(cols, w), transpose(tau_w)))
        q = updated if j == 0 else concat([slice(q, [0, 0], [m, j]), updated], 1)
    if not full_matrices and m > n:
        q = slice(q, [0, 0], [m, n])
        r = slice(r, [0, 0], [n, n])
    return q, r

