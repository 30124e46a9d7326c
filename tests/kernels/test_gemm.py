"""sgemm (every ISA path) and sgemm_ref against numpy float64.

Tile and block edges the sizes cross: register tiles MR x NR = 12x32 (avx512), 6x16
(avx2), 4x16 (ref); the per-ISA kc and mc of csrc/gemm/packing.cpp (256 for ref); nc = 4096; direct (unpacked)
operands when M <= 48 (128 for avx512) or K*N <= 16384 (B), N <= 128 or M*K <= 16384
(A); threads from 4 MFLOP.
"""
import itertools

import numpy as np
import pytest

from treino import _kernels as K

TRANS = list(itertools.product([False, True], [False, True]))


def make(rng, m, n, k, ta, tb, scale=1.0):
    a = rng.uniform(-scale, scale, (k, m) if ta else (m, k)).astype(np.float32)
    b = rng.uniform(-scale, scale, (n, k) if tb else (k, n)).astype(np.float32)
    return a, b


def expected(a, b, ta, tb, alpha=1.0, beta=0.0, c=None):
    A = a.astype(np.float64)
    B = b.astype(np.float64)
    r = alpha * ((A.T if ta else A) @ (B.T if tb else B))
    if beta != 0.0:
        r = r + beta * c.astype(np.float64)
    return r


def assert_close(got, a, b, ta, tb, alpha=1.0, beta=0.0, c=None):
    want = expected(a, b, ta, tb, alpha, beta, c)
    k = a.shape[0] if ta else a.shape[1]
    amax = float(np.abs(a).max()) if a.size else 0.0
    bmax = float(np.abs(b).max()) if b.size else 0.0
    cmax = float(np.abs(c).max()) if (c is not None and c.size and beta != 0.0) else 0.0
    atol = 1e-5 * max(k, 1) * abs(alpha) * amax * bmax + 1e-6 * abs(beta) * cmax + 1e-7
    assert got.shape == want.shape
    err = float(np.abs(got - want).max()) if got.size else 0.0
    assert err <= atol, f"max abs error {err:.3g} > {atol:.3g}"


# Sizes below, at and above MR (4, 6, 12), NR (16, 32) and its 8-wide vectors, the
# direct/packed limits (48 rows, 128 columns) and kc (256): a fixed random subset of
# the grid plus the corners.
M_SIZES = [1, 3, 4, 5, 6, 7, 11, 12, 13, 24, 25, 47, 48, 49, 97]
N_SIZES = [1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 127, 128, 129]
K_SIZES = [1, 2, 9, 31, 255, 256, 257]


def shape_grid(seed, count):
    rng = np.random.default_rng(seed)
    shapes = {(1, 1, 1), (97, 129, 257), (12, 32, 256), (13, 33, 257), (49, 65, 9)}
    while len(shapes) < count:
        shapes.add((int(rng.choice(M_SIZES)), int(rng.choice(N_SIZES)), int(rng.choice(K_SIZES))))
    return sorted(shapes)


@pytest.mark.parametrize("ta,tb", TRANS)
def test_sgemm_tile_edges(isa, ta, tb):
    rng = np.random.default_rng(1)
    for m, n, k in shape_grid(seed=int(ta) * 2 + int(tb), count=45):
        a, b = make(rng, m, n, k, ta, tb)
        got = K.sgemm(a, b, trans_a=ta, trans_b=tb)
        assert_close(got, a, b, ta, tb)


@pytest.mark.parametrize("ta,tb", TRANS)
def test_sgemm_cache_block_edges(isa, ta, tb):
    # mc (504 / 256) and kc crossings on the packed path, nc (4096) on a thin one.
    rng = np.random.default_rng(2)
    for m, n, k in [(509, 140, 300), (257, 131, 513), (3, 4100, 5), (60, 4100, 70)]:
        a, b = make(rng, m, n, k, ta, tb)
        assert_close(K.sgemm(a, b, trans_a=ta, trans_b=tb), a, b, ta, tb)


def test_sgemm_direct_b_row_range(isa):
    # 49-128 rows of C with a big B: B read in place on avx512, packed on avx2 / ref;
    # full and partial register tiles, both sides of kc.
    rng = np.random.default_rng(9)
    for m, n, k in [(49, 129, 257), (60, 300, 200), (97, 65, 300), (127, 200, 130),
                    (128, 129, 513), (129, 96, 257)]:
        for ta in (False, True):
            a, b = make(rng, m, n, k, ta, False)
            assert_close(K.sgemm(a, b, trans_a=ta), a, b, ta, False)


TRAINING = [  # (M, K, N, trans_a, trans_b): forward x @ W and its two backward products
    (32, 784, 32, False, False), (784, 32, 32, True, False), (32, 32, 784, False, True),
    (32, 32, 10, False, False), (32, 32, 10, True, False), (32, 10, 32, False, True),
    (128, 784, 512, False, False), (784, 128, 512, True, False), (128, 512, 784, False, True),
    (128, 512, 512, True, True), (128, 512, 512, False, False), (128, 512, 10, False, False),
    (512, 128, 10, True, False), (128, 10, 512, False, True),
]


@pytest.mark.parametrize("m,k,n,ta,tb", TRAINING)
def test_sgemm_training_shapes(isa, m, k, n, ta, tb):
    rng = np.random.default_rng(3)
    a, b = make(rng, m, n, k, ta, tb)
    assert_close(K.sgemm(a, b, trans_a=ta, trans_b=tb), a, b, ta, tb)


@pytest.mark.parametrize("ta,tb", TRANS)
@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.5, -2.0), (-1.5, 0.25), (2.0, 0.0)])
def test_sgemm_alpha_beta(isa, ta, tb, alpha, beta):
    rng = np.random.default_rng(4)
    for m, n, k in [(1, 1, 1), (13, 33, 7), (50, 130, 260), (32, 10, 32)]:
        a, b = make(rng, m, n, k, ta, tb)
        c = rng.uniform(-1, 1, (m, n)).astype(np.float32)
        c0 = c.copy()
        out = K.sgemm(a, b, c, trans_a=ta, trans_b=tb, alpha=alpha, beta=beta)
        assert out is c
        assert_close(c, a, b, ta, tb, alpha, beta, c0)


@pytest.mark.parametrize("ta,tb", TRANS)
def test_sgemm_beta_zero_ignores_nan_in_c(isa, ta, tb):
    rng = np.random.default_rng(5)
    for m, n, k in [(1, 1, 1), (13, 33, 7), (50, 130, 260), (40, 40, 0)]:
        a, b = make(rng, m, n, k, ta, tb)
        c = np.full((m, n), np.nan, np.float32)
        K.sgemm(a, b, c, trans_a=ta, trans_b=tb, alpha=0.5, beta=0.0)
        assert np.isfinite(c).all()
        assert_close(c, a, b, ta, tb, alpha=0.5)


@pytest.mark.parametrize("ta,tb", TRANS)
def test_sgemm_empty_and_k0(isa, ta, tb):
    rng = np.random.default_rng(6)
    for m, n in [(0, 5), (5, 0), (0, 0)]:
        a, b = make(rng, m, n, 3, ta, tb)
        assert K.sgemm(a, b, trans_a=ta, trans_b=tb).shape == (m, n)
    a, b = make(rng, 4, 6, 0, ta, tb)
    c = rng.uniform(-1, 1, (4, 6)).astype(np.float32)
    want = 0.5 * c
    K.sgemm(a, b, c, trans_a=ta, trans_b=tb, beta=0.5)
    np.testing.assert_array_equal(c, want)
    np.testing.assert_array_equal(K.sgemm(a, b, trans_a=ta, trans_b=tb), np.zeros((4, 6)))


def test_sgemm_alpha_zero_does_not_read_ab(isa):
    # BLAS semantics: with alpha == 0 op(a) @ op(b) is not evaluated.
    a = np.full((5, 7), np.nan, np.float32)
    b = np.full((7, 3), np.inf, np.float32)
    c = np.ones((5, 3), np.float32)
    K.sgemm(a, b, c, alpha=0.0, beta=2.0)
    np.testing.assert_array_equal(c, np.full((5, 3), 2.0, np.float32))
    np.testing.assert_array_equal(K.sgemm_ref(a, b, alpha=0.0), np.zeros((5, 3)))


@pytest.mark.parametrize("ta,tb", TRANS)
def test_sgemm_ref_matches_numpy(ta, tb):
    rng = np.random.default_rng(7)
    for m, n, k in [(1, 1, 1), (7, 9, 13), (33, 17, 40)]:
        a, b = make(rng, m, n, k, ta, tb)
        c = rng.uniform(-1, 1, (m, n)).astype(np.float32)
        c0 = c.copy()
        K.sgemm_ref(a, b, c, trans_a=ta, trans_b=tb, alpha=0.7, beta=0.3)
        assert_close(c, a, b, ta, tb, 0.7, 0.3, c0)


@pytest.mark.parametrize("ta,tb", TRANS)
def test_sgemm_bit_identical_across_thread_counts(isa, ta, tb):
    # Threads from 4 MFLOP: row and column splits, the shared operand packed together
    # or by each thread, few-tile shapes split into uneven halves; 1 and 2 threads must
    # agree bit for bit.
    rng = np.random.default_rng(8)
    previous = K.get_num_threads()
    try:
        for m, n, k in [(530, 270, 300), (70, 900, 260), (128, 600, 520), (32, 32, 4000),
                        (30, 100, 700), (32, 32, 3200), (2400, 32, 32), (32, 2400, 32),
                        (128, 512, 512), (100, 300, 200)]:
            a, b = make(rng, m, n, k, ta, tb)
            c0 = rng.uniform(-1, 1, (m, n)).astype(np.float32)
            outs = []
            for t in (1, 2):
                K.set_num_threads(t)
                c = c0.copy()
                outs.append(K.sgemm(a, b, c, trans_a=ta, trans_b=tb, alpha=0.9, beta=0.5))
            np.testing.assert_array_equal(outs[0], outs[1])
            assert_close(outs[1], a, b, ta, tb, 0.9, 0.5, c0)
    finally:
        K.set_num_threads(previous)


@pytest.mark.parametrize("ta,tb", [(False, False), (True, True)])
def test_sgemm_big_b_shared_panel_by_panel(ta, tb):
    # op(B) above 8 MiB packed: row ranges share B one kc x nc panel at a time, with
    # barriers between panels (best ISA only; the shape costs 3.7 GFLOP).
    rng = np.random.default_rng(9)
    m, n, k = 800, 2100, 1100
    a, b = make(rng, m, n, k, ta, tb)
    previous = K.get_num_threads()
    try:
        outs = []
        for t in (1, 2):
            K.set_num_threads(t)
            outs.append(K.sgemm(a, b, trans_a=ta, trans_b=tb))
    finally:
        K.set_num_threads(previous)
    np.testing.assert_array_equal(outs[0], outs[1])
    assert_close(outs[1], a, b, ta, tb)


def test_sgemm_bad_inputs():
    a = np.zeros((32, 784), np.float32)
    b = np.zeros((784, 32), np.float32)
    with pytest.raises(TypeError, match="argument 'a' must have dtype float32"):
        K.sgemm(a.astype(np.float64), b)
    with pytest.raises(TypeError, match="argument 'b'"):
        K.sgemm(a, [[1.0]])
    with pytest.raises(ValueError, match="argument 'a' must have rank 2"):
        K.sgemm(np.zeros(5, np.float32), b)
    with pytest.raises(ValueError, match="argument 'b' must be C-contiguous"):
        K.sgemm(a, np.zeros((32, 784), np.float32).T)
    with pytest.raises(ValueError, match=r"sgemm: inner dimensions differ: op\(a\) is \(32, 784\), "
                                         r"op\(b\) is \(785, 32\)"):
        K.sgemm(a, np.zeros((785, 32), np.float32))
    with pytest.raises(ValueError, match=r"op\(a\) is \(784, 32\)"):
        K.sgemm(a, b, trans_a=True)
    with pytest.raises(ValueError, match=r"argument 'c' must have shape \(32, 32\), received shape \(32, 33\)"):
        K.sgemm(a, b, np.zeros((32, 33), np.float32))
    with pytest.raises(TypeError, match="argument 'c' must have dtype float32"):
        K.sgemm(a, b, np.zeros((32, 32), np.float64))
    ro = np.zeros((32, 32), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="argument 'c' is written in place"):
        K.sgemm(a, b, ro)
    with pytest.raises(ValueError, match="argument 'c' must be C-contiguous"):
        K.sgemm(a, b, np.zeros((32, 64), np.float32)[:, ::2])
    with pytest.raises(ValueError, match="argument 'c' must have rank 2"):
        K.sgemm(a, b, np.zeros(32 * 32, np.float32))
    with pytest.raises(ValueError, match="argument 'c', which must then be given"):
        K.sgemm(a, b, beta=1.0)
    sq = np.zeros((8, 8), np.float32)
    with pytest.raises(ValueError, match="'c' and 'a' must not share memory"):
        K.sgemm(sq, np.zeros((8, 8), np.float32), sq)
    with pytest.raises(ValueError, match="sgemm_ref: inner dimensions differ"):
        K.sgemm_ref(a, a)
