"""first_nonfinite (csrc/data/finite.cpp): the finiteness scan of fit's inputs, against
numpy's isfinite, for every kind of non-finite float32 and both code paths (the serial
scan of small arrays and the split one of large arrays)."""
import numpy as np
import pytest

from treino import _kernels as K

BAD = {"nan": np.nan, "-nan": -np.nan, "inf": np.inf, "-inf": -np.inf,
       # a NaN with a payload and the smallest-mantissa signalling NaN
       "payload nan": np.array([0x7FC12345], np.uint32).view(np.float32)[0],
       "signalling nan": np.array([0x7F800001], np.uint32).view(np.float32)[0]}


def _first(a):
    bad = np.flatnonzero(~np.isfinite(a))
    return int(bad[0]) if bad.size else -1


@pytest.mark.parametrize("n", [0, 1, 7, 4096, 4097, 300_001, 1 << 20])
def test_finite_arrays_give_minus_one(n, threads):
    rng = np.random.default_rng(n)
    a = (rng.normal(size=n) * 1e30).astype(np.float32)
    if n:
        a[0] = np.finfo(np.float32).max  # the extremes are finite
        a[-1] = -np.finfo(np.float32).max
    assert K.first_nonfinite(a) == -1


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("n", [5, 4099, 1 << 20])
def test_first_bad_index_matches_numpy(kind, n, threads):
    rng = np.random.default_rng(3)
    a = rng.normal(size=n).astype(np.float32)
    for pos in sorted({0, n // 3, n // 2 + 1, n - 1}, reverse=True):
        a[pos] = BAD[kind]
        assert K.first_nonfinite(a) == _first(a) == pos
    # several in different chunks of the split scan: still the first
    b = rng.normal(size=n).astype(np.float32)
    b[[n - 1, n // 2, n // 5 + 3]] = BAD[kind]
    assert K.first_nonfinite(b) == _first(b)


def test_any_shape_is_scanned_in_c_order():
    a = np.zeros((300, 5, 7), np.float32)
    a[123, 4, 2] = np.inf
    assert K.first_nonfinite(a) == np.ravel_multi_index((123, 4, 2), a.shape)


@pytest.mark.parametrize("bad, match", [
    (np.zeros(4), r"first_nonfinite: argument 'x' must .*float32"),
    (np.zeros((4, 4), np.float32)[:, ::2], r"first_nonfinite: argument 'x'.*C-contiguous"),
    ([1.0, 2.0], r"first_nonfinite: argument 'x'"),
])
def test_refuses_other_arrays(bad, match):
    with pytest.raises((TypeError, ValueError), match=match):
        K.first_nonfinite(bad)
