"""Kernel-layer regressions found in review: thread-count independence of the block-wise
sin/cos, refused thread counts and huge ints, misaligned arrays, sgemm_ref with K=0."""
import numpy as np
import pytest

from treino import _kernels as K


@pytest.mark.parametrize("op", ["sin", "cos"])
def test_blockwise_math_is_thread_count_independent(isa, op):
    # Large |x| switch a 512-element block to libm; the split between threads must not
    # move block boundaries (n = 100,000 splits at 50,000, not a multiple of 512).
    x = np.random.default_rng(0).uniform(-1e4, 1e4, 100_000).astype(np.float32)
    before = K.get_num_threads()
    try:
        K.set_num_threads(1)
        one = getattr(K, op)(x)
        K.set_num_threads(2)
        two = getattr(K, op)(x)
    finally:
        K.set_num_threads(before)
    assert one.tobytes() == two.tobytes()


def test_thread_count_limits_and_huge_ints():
    before = K.get_num_threads()
    with pytest.raises(ValueError, match=r"must be in \[1, \d+\], received 1000000"):
        K.set_num_threads(1_000_000)
    with pytest.raises(ValueError, match="out of range"):
        K.set_num_threads(2**70)
    with pytest.raises(ValueError, match="axis.*out of range"):
        K.reduce_sum(np.ones(3, np.float32), 2**70)
    assert K.get_num_threads() == before


def test_misaligned_arrays_are_refused():
    buf = np.frombuffer(bytearray(17), np.float32, 4, offset=1)
    assert not buf.flags.aligned
    with pytest.raises(ValueError, match="aligned"):
        K.relu(buf)


def test_sgemm_ref_with_k0_gives_beta_c():
    a, b = np.zeros((2, 0), np.float32), np.zeros((0, 3), np.float32)
    c = np.full((2, 3), 2.0, np.float32)
    for fn in (K.sgemm, K.sgemm_ref):
        out = fn(a, b, c.copy(), alpha=float("inf"), beta=0.5)
        np.testing.assert_array_equal(out, np.full((2, 3), 1.0, np.float32))
