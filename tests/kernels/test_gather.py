"""gather_rows (csrc/data/gather.cpp): fit's batch copy x[indices], with the next
batch's rows prefetched, against numpy fancy indexing."""
import numpy as np
import pytest

from treino import _kernels as K


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.float64, np.uint8])
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
@pytest.mark.parametrize("shape", [(7,), (50, 3), (33, 4, 5), (9, 0)])
def test_matches_numpy_indexing(dtype, index_dtype, shape, threads):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=shape) * 100).astype(dtype)
    for n in (0, 1, 5, 17):
        idx = rng.integers(0, shape[0], n).astype(index_dtype)
        got = K.gather_rows(x, idx)
        assert got.dtype == x.dtype and got.shape == (n,) + shape[1:]
        assert np.array_equal(got, x[idx])
        nxt = rng.integers(0, shape[0], 4).astype(index_dtype)
        out = np.full((n,) + shape[1:], 7, dtype)
        assert K.gather_rows(x, idx, out, nxt) is out
        assert np.array_equal(out, x[idx])


def test_large_gather_uses_threads_and_matches(threads):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, 784)).astype(np.float32)
    idx = rng.permutation(3000)[:1024]  # 3.2 MB: above the parallel threshold
    assert np.array_equal(K.gather_rows(x, idx, None, idx[::-1].copy()), x[idx])


def test_bad_arguments_raise_and_name_them():
    x = np.zeros((10, 3), np.float32)
    idx = np.array([0, 9], np.int64)
    with pytest.raises(ValueError, match=r"indices\[1\] = 10 is out of range for 10 rows"):
        K.gather_rows(x, np.array([0, 10]))
    with pytest.raises(ValueError, match=r"indices\[0\] = -1"):
        K.gather_rows(x, np.array([-1]))
    with pytest.raises(ValueError, match=r"prefetch\[0\] = 11"):
        K.gather_rows(x, idx, None, np.array([11]))
    with pytest.raises(TypeError, match="'indices' must have dtype int64 or int32"):
        K.gather_rows(x, idx.astype(np.float64))
    with pytest.raises(TypeError, match="'indices' must have dtype int64 or int32"):
        K.gather_rows(x, idx.astype(">i8"))  # not in native byte order
    with pytest.raises(ValueError, match="'indices' must have rank 1"):
        K.gather_rows(x, idx.reshape(2, 1))
    with pytest.raises(TypeError, match="'x' must hold plain numbers"):
        K.gather_rows(np.array([object(), 1], dtype=object), idx[:1])
    with pytest.raises(ValueError, match="'x' must be C-contiguous"):
        K.gather_rows(np.zeros((10, 6), np.float32)[:, ::2], idx)
    with pytest.raises(TypeError, match="'x' must be a numpy array"):
        K.gather_rows([[1.0]], idx)
    with pytest.raises(ValueError, match="rank >= 1"):
        K.gather_rows(np.array(1.0, np.float32), idx)
    with pytest.raises(ValueError, match="'out' must have shape"):
        K.gather_rows(x, idx, np.zeros((3, 3), np.float32))
    with pytest.raises(TypeError, match="'out' must have x's dtype"):
        K.gather_rows(x, idx, np.zeros((2, 3), np.float64))
    with pytest.raises(ValueError, match="'out' and 'x' must not share memory"):
        K.gather_rows(x, idx, x[:2])
    ro = np.zeros((2, 3), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="'out' is written"):
        K.gather_rows(x, idx, ro)


def test_equivalent_dtypes_and_outputs_that_overlap_the_indices():
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    idx = np.array([3, 1], np.longlong)  # the same as int64 on this platform, another object
    assert np.array_equal(K.gather_rows(x, idx, None, idx.astype(np.int32)), x[idx])
    big = x.astype(">f4")  # non-native byte order: rows are copied as bytes
    out = np.empty((2, 4), ">f4")
    assert np.array_equal(K.gather_rows(big, idx, out), big[idx])
    # The indices are copied before anything is written: out may be the index array.
    ints = np.arange(10, dtype=np.int64)[::-1].copy()
    where = np.array([1, 2, 3], np.int64)
    K.gather_rows(ints, where, where)
    assert where.tolist() == [8, 7, 6]
