"""outer_product, einsum, diag and tn.linalg (band_part, gram_schmidt, qr) against numpy,
with gradients against finite differences and torch."""
import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads, torch

rng = np.random.default_rng(5)


def test_outer_product():
    a, b = rng.normal(size=3).astype(np.float32), rng.normal(size=4).astype(np.float32)
    np.testing.assert_allclose(tn.outer_product(tn.tensor(a), tn.tensor(b)).numpy(),
                               np.outer(a, b), rtol=1e-6)
    check_grads(tn.outer_product, [a, b], torch_fn=torch and torch.outer)
    with pytest.raises(ValueError, match="outer_product: v1 and v2 must be vectors"):
        tn.outer_product(tn.zeros([2, 2]), tn.zeros([2]))


EINSUMS = [("ij,jk->ik", [(3, 4), (4, 2)]), ("ij->ji", [(3, 4)]), ("ij->", [(3, 4)]),
           ("i,i->", [(5,), (5,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
           ("ij,k->ijk", [(2, 3), (4,)]), ("ijk->j", [(2, 3, 4)]), ("ab,cd->", [(2, 3), (3, 2)]),
           ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)])]


@pytest.mark.parametrize("eq,shapes", EINSUMS)
def test_einsum_values_and_gradients(eq, shapes):
    xs = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    got = tn.einsum(eq, *[tn.tensor(x) for x in xs])
    np.testing.assert_allclose(got.numpy(), np.einsum(eq, *[x.astype(np.float64) for x in xs]),
                               rtol=1e-5, atol=1e-6)
    check_grads(lambda *ts: tn.einsum(eq, *ts), xs,
                torch_fn=torch and (lambda *ts: torch.einsum(eq, *ts)))


def test_einsum_dtypes_and_errors():
    ints = tn.einsum("ij,jk->ik", tn.tensor(np.eye(2, dtype=np.int32)),
                     tn.tensor(np.array([[1, 2], [3, 4]], np.int32)))
    assert ints.dtype == "int32" and ints.array() == [[1, 2], [3, 4]]
    a = tn.zeros([2, 3])
    for eq, msg in [("ij,jk", "exactly one '->'"), ("...ij->ij", "ellipsis"),
                    ("ii->i", "repeat a letter"), ("ij->k", "appear in no input"),
                    ("ij,jk->ik", "names 2 operands, received 1"), ("ijk->i", "has rank 2")]:
        with pytest.raises(ValueError, match="einsum: .*" + msg.replace("(", "\\(")):
            tn.einsum(eq, a)
    with pytest.raises(ValueError, match="subscript 'j' has extent 3 in one operand and 2"):
        tn.einsum("ij,jk->ik", a, tn.zeros([2, 2]))


def test_diag():
    x = rng.normal(size=(2, 3)).astype(np.float32)
    y = tn.diag(tn.tensor(x))
    assert y.shape == (2, 3, 2, 3)  # TF.js: rank 2k
    np.testing.assert_array_equal(y.numpy().reshape(6, 6), np.diag(x.ravel()))
    np.testing.assert_array_equal(tn.diag(tn.tensor([1, 2], dtype="int32")).array(), [[1, 0], [0, 2]])
    check_grads(tn.diag, [x[0]], torch_fn=torch and torch.diag)
    with pytest.raises(ValueError, match="diag: x must have rank >= 1"):
        tn.diag(tn.scalar(1.0))


@pytest.mark.parametrize("lower,upper", [(0, 0), (1, 0), (0, -1), (-1, 1), (2, 2), (-1, -1)])
def test_band_part(lower, upper):
    a = rng.normal(size=(2, 4, 5)).astype(np.float32)
    m, n = a.shape[-2:]
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
    got = tn.linalg.band_part(tn.tensor(a), lower, upper)
    np.testing.assert_array_equal(got.numpy(), np.where(keep, a, 0))
    check_grads(lambda t: tn.band_part(t, lower, upper), [a[0]])


def test_band_part_arguments():
    a = tn.ones([3, 3])
    assert tn.band_part(a, tn.scalar(0, "int32"), tn.scalar(0, "int32")).numpy().trace() == 3
    with pytest.raises(ValueError, match="band_part: argument 'num_lower' \\(4\\) must not exceed"):
        tn.band_part(a, 4, 0)
    with pytest.raises(TypeError, match="band_part: argument 'num_upper' must be an int"):
        tn.band_part(a, 0, 1.5)
    with pytest.raises(ValueError, match="band_part: a must have rank >= 2"):
        tn.band_part(tn.ones([3]), 0, 0)


def test_gram_schmidt():
    x = rng.normal(size=(3, 5)).astype(np.float32)
    y = tn.linalg.gram_schmidt(tn.tensor(x)).numpy()
    np.testing.assert_allclose(y @ y.T, np.eye(3), atol=1e-5)
    q, _ = np.linalg.qr(x.T.astype(np.float64))
    np.testing.assert_allclose(np.abs(y), np.abs(q.T), atol=1e-5)  # same span, in order
    listed = tn.linalg.gram_schmidt([tn.tensor(v) for v in x])
    assert isinstance(listed, list) and len(listed) == 3
    np.testing.assert_allclose(listed[1].numpy(), y[1], atol=1e-6)
    check_grads(lambda t: tn.gram_schmidt(t), [x[:2]], rtol=2e-2, atol=5e-3)
    with pytest.raises(ValueError, match="gram_schmidt: 4 vectors cannot be orthonormal in 3"):
        tn.gram_schmidt(tn.ones([4, 3]))


@pytest.mark.parametrize("shape,full", [((4, 3), False), ((4, 3), True), ((3, 3), False),
                                        ((3, 5), False), ((2, 4, 3), False)])
def test_qr_against_numpy(shape, full):
    x = rng.normal(size=shape).astype(np.float32)
    q, r = tn.linalg.qr(tn.tensor(x), full)
    mode = "complete" if full else "reduced"
    nq, nr = np.linalg.qr(x.astype(np.float64), mode=mode)
    assert q.shape == nq.shape and r.shape == nr.shape
    # The factors are numpy's (LAPACK's) up to the sign of each of R's rows; TF.js's
    # Householder steps give LAPACK's signs except for a last, 1-row step (square or wide
    # matrices), which TF.js reflects too.
    qn, rn = q.numpy().reshape((-1,) + q.shape[-2:]), r.numpy().reshape((-1,) + r.shape[-2:])
    for qi, ri, nqi, nri in zip(qn, rn, nq.reshape(qn.shape), nr.reshape(rn.shape)):
        k = min(ri.shape)
        signs = np.sign(np.diagonal(ri)[:k] * np.diagonal(nri)[:k])
        assert np.all(signs[:k if shape[-2] > shape[-1] else k - 1] == 1)
        np.testing.assert_allclose(qi[:, :k] * signs, nqi[:, :k], atol=2e-5)
        np.testing.assert_allclose(ri[:k] * signs[:, None], nri[:k], atol=2e-5)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), x, atol=2e-5)


def test_qr_gradient_and_errors():
    x = rng.normal(size=(4, 3)).astype(np.float32)
    check_grads(lambda t: tn.linalg.qr(t)[1], [x], rtol=2e-2, atol=5e-3)
    check_grads(lambda t: tn.linalg.qr(t)[0], [x], rtol=2e-2, atol=5e-3)
    with pytest.raises(ValueError, match="qr: x must have rank >= 2"):
        tn.linalg.qr(tn.ones([3]))
