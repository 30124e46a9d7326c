"""The bindings' large output buffers are recycled (csrc/bindings/array_pool.h): a freed
array's memory serves the next request of the same size, live arrays never share memory,
and the cache stays bounded."""
import gc

import numpy as np

from treino import _core as K

N = 1024  # a 1024 x 1024 float32 result: 4 MiB, above the pool's 1 MiB threshold


def product(seed):
    a = np.random.default_rng(seed).standard_normal((N, 8)).astype(np.float32)
    b = np.random.default_rng(seed + 1).standard_normal((8, N)).astype(np.float32)
    return K.sgemm(a, b), a.astype(np.float64) @ b.astype(np.float64)


def test_freed_buffer_is_reused_and_live_ones_are_not_shared():
    c1, ref1 = product(0)
    addr = c1.__array_interface__["data"][0]
    assert addr % 64 == 0 and c1.flags.c_contiguous and c1.flags.writeable and c1.flags.owndata is False
    c2, ref2 = product(2)  # c1 is alive: c2 must get its own memory
    assert c2.__array_interface__["data"][0] != addr
    np.testing.assert_allclose(c1, ref1, rtol=1e-4, atol=1e-4)  # not overwritten by c2
    np.testing.assert_allclose(c2, ref2, rtol=1e-4, atol=1e-4)
    del c1
    gc.collect()
    c3, ref3 = product(4)
    assert c3.__array_interface__["data"][0] == addr  # the freed buffer came back
    np.testing.assert_allclose(c3, ref3, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(c2, ref2, rtol=1e-4, atol=1e-4)


def test_views_keep_the_buffer_alive():
    c, ref = product(6)
    view = c[10:20]
    addr = c.__array_interface__["data"][0]
    del c
    gc.collect()
    other, _ = product(8)  # must not land on the viewed buffer
    assert other.__array_interface__["data"][0] != addr
    np.testing.assert_allclose(view, ref[10:20], rtol=1e-4, atol=1e-4)


def test_small_results_bypass_the_pool_and_the_cache_is_bounded():
    before = K.array_pool_stats()
    small = K.sgemm(np.ones((4, 4), np.float32), np.ones((4, 4), np.float32))
    del small
    assert K.array_pool_stats() == before
    # Many distinct sizes: the cache keeps at most 64 buffers and 512 MiB.
    for i in range(80):
        K.sgemm(np.ones((N + i, 1), np.float32), np.ones((1, 300), np.float32))
    buffers, nbytes = K.array_pool_stats()
    assert 0 < buffers <= 64 and nbytes <= 512 << 20
