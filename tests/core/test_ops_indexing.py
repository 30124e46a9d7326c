"""gather_nd, scatter_nd, tensor_scatter_update, sparse_to_dense, unsorted_segment_sum,
bincount, dense_bincount, top_k, search_sorted / lower_bound / upper_bound and
in_top_k_async against numpy loops, with gradients and bad indices."""
import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads, torch

rng = np.random.default_rng(9)


def I(values):  # noqa: E743
    return tn.tensor(np.asarray(values, np.int32))


def test_gather_nd():
    x = rng.normal(size=(3, 4, 2)).astype(np.float32)
    idx = np.array([[[0, 1], [2, 3]], [[1, 0], [0, 1]]], np.int32)  # [2, 2, 2]: slices of [2]
    y = tn.gather_nd(tn.tensor(x), tn.tensor(idx))
    assert y.shape == (2, 2, 2)
    np.testing.assert_array_equal(y.numpy(), x[idx[..., 0], idx[..., 1]])
    full = tn.gather_nd(tn.tensor(x), I([[2, 3, 1], [0, 0, 0]]))
    np.testing.assert_array_equal(full.numpy(), [x[2, 3, 1], x[0, 0, 0]])
    # The gradient scatters back; a repeated index ([0, 1] twice) adds up.
    check_grads(lambda t: tn.gather_nd(t, tn.tensor(idx)), [x],
                torch_fn=torch and (lambda t: t[idx[..., 0], idx[..., 1]]))
    assert tn.gather_nd(tn.tensor(x), I(np.zeros((0, 2)))).shape == (0, 2)
    with pytest.raises(ValueError, match=r"gather_nd: indices holds the coordinate \[3, 0\], out of range for shape \[3, 4\]"):
        tn.gather_nd(tn.tensor(x), I([[3, 0]]))
    with pytest.raises(TypeError, match="gather_nd: argument 'indices' must be int32"):
        tn.gather_nd(tn.tensor(x), tn.tensor([[0.0, 1.0]]))


def test_scatter_nd_sums_repeated_indices():
    idx = I([[0, 1], [2, 0], [0, 1]])
    upd = np.array([1.0, 2.0, 3.0], np.float32)
    y = tn.scatter_nd(idx, tn.tensor(upd), [3, 2])
    want = np.zeros((3, 2), np.float32)
    want[0, 1], want[2, 0] = 4.0, 2.0
    np.testing.assert_array_equal(y.numpy(), want)
    rows = tn.scatter_nd(I([1, 3]), tn.tensor([[1.0, 2.0], [3.0, 4.0]]), [4, 2])  # 1-D indices: rows
    np.testing.assert_array_equal(rows.numpy(), [[0, 0], [1, 2], [0, 0], [3, 4]])
    check_grads(lambda u: tn.scatter_nd(idx, u, [3, 2]), [upd])
    assert tn.scatter_nd(idx, I([1, 2, 3]), [3, 2]).dtype == "int32"
    with pytest.raises(ValueError, match=r"scatter_nd: updates must have shape .* = \[3\], received \[2\]"):
        tn.scatter_nd(idx, tn.tensor([1.0, 2.0]), [3, 2])


def test_tensor_scatter_update_last_write_stays():
    t = np.arange(12, dtype=np.float32).reshape(4, 3)
    idx = I([[1], [3], [1]])
    upd = np.array([[10, 11, 12], [20, 21, 22], [30, 31, 32]], np.float32)
    y = tn.tensor_scatter_update(tn.tensor(t), idx, tn.tensor(upd))
    want = t.copy()
    want[3], want[1] = upd[1], upd[2]
    np.testing.assert_array_equal(y.numpy(), want)
    gt, gu = tn.grads(lambda a, b: tn.sum(tn.tensor_scatter_update(a, idx, b) * 2.0))(
        [tn.tensor(t), tn.tensor(upd)])
    np.testing.assert_array_equal(gt.numpy(), [[2] * 3, [0] * 3, [2] * 3, [0] * 3])
    np.testing.assert_array_equal(gu.numpy(), [[0] * 3, [2] * 3, [2] * 3])  # row 0 overwritten
    check_grads(lambda a, b: tn.tensor_scatter_update(a, I([[0, 2], [3, 1]]), b),
                [t, np.array([5.0, 6.0], np.float32)])
    with pytest.raises(TypeError, match="tensor and updates must have one dtype"):
        tn.tensor_scatter_update(tn.tensor(t), idx, I(upd))


def test_sparse_to_dense():
    y = tn.sparse_to_dense(I([[0, 1], [2, 0]]), tn.tensor([5.0, 6.0]), [3, 2], -1.0)
    np.testing.assert_array_equal(y.numpy(), [[-1, 5], [-1, -1], [6, -1]])
    one = tn.sparse_to_dense(I([4, 1]), tn.scalar(7, "int32"), [5])
    assert one.dtype == "int32" and one.array() == [0, 7, 0, 0, 7]
    assert tn.sparse_to_dense(I(2), tn.scalar(1.0), [4]).array() == [0, 0, 1, 0]
    gv, gd = tn.grads(lambda v, d: tn.sum(tn.sparse_to_dense(I([1, 3]), v, [5], d)))(
        [tn.tensor([1.0, 2.0]), tn.scalar(0.5)])
    assert gv.array() == [1, 1] and gd.item() == 3  # the default fills 3 of the 5 slots
    with pytest.raises(ValueError, match=r"sparse_to_dense: sparse_indices holds the coordinate \[5\]"):
        tn.sparse_to_dense(I([5]), tn.scalar(1.0), [5])
    with pytest.raises(ValueError, match="sparse_values must be a scalar or a vector of 2"):
        tn.sparse_to_dense(I([0, 1]), tn.tensor([1.0, 2.0, 3.0]), [5])


def test_unsorted_segment_sum():
    x = rng.normal(size=(5, 3)).astype(np.float32)
    ids = np.array([2, 0, 2, -1, 7], np.int32)  # -1 and 7 (>= num_segments) are dropped
    y = tn.unsorted_segment_sum(tn.tensor(x), tn.tensor(ids), 3)
    want = np.zeros((3, 3))
    for row, s in zip(x, ids):
        if 0 <= s < 3:
            want[s] += row
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6)
    check_grads(lambda t: tn.unsorted_segment_sum(t, tn.tensor(ids), 3), [x])
    if torch is not None:  # index_add is the same sum over valid ids
        ok = (ids >= 0) & (ids < 3)
        t = torch.zeros(3, 3, dtype=torch.float64).index_add(0, torch.tensor(ids[ok]).long(),
                                                               torch.tensor(x[ok].astype(np.float64)))
        np.testing.assert_allclose(y.numpy(), t.numpy(), rtol=1e-6)
    assert tn.tensor(x).unsorted_segment_sum(tn.tensor(ids), 3).shape == (3, 3)
    with pytest.raises(ValueError, match="segment_ids must have a shape that starts x's shape"):
        tn.unsorted_segment_sum(tn.tensor(x), I([0, 1]), 2)


def test_bincount_and_dense_bincount():
    x = np.array([1, 1, 4, 0, 9], np.int32)  # 9 >= size: ignored
    counts = tn.bincount(tn.tensor(x), None, 5)
    assert counts.dtype == "float32" and counts.array() == [1, 2, 0, 0, 1]  # TF.js: [] is float32
    w = np.array([0.5, 1.0, 2.0, 3.0, 4.0], np.float32)
    np.testing.assert_array_equal(tn.bincount(tn.tensor(x), tn.tensor(w), 5).numpy(),
                                  np.bincount(x, w, 10)[:5])
    assert tn.bincount(tn.tensor(x), I([1, 1, 1, 1, 1]), 3).dtype == "int32"
    m = np.array([[0, 2, 2], [1, 1, 3]], np.int32)
    assert tn.dense_bincount(tn.tensor(m), [], 4).array() == [[1, 0, 2, 0], [0, 2, 0, 1]]
    assert tn.dense_bincount(tn.tensor(m), [], 4, True).array() == [[1, 0, 1, 0], [0, 1, 0, 1]]
    with pytest.raises(ValueError, match="bincount: x must hold non-negative values, received -2"):
        tn.bincount(I([1, -2]), None, 3)
    with pytest.raises(ValueError, match="weights must have x's shape"):
        tn.bincount(I([1, 2]), tn.tensor([1.0]), 3)
    with pytest.raises(TypeError, match="bincount: argument 'x' must be int32"):
        tn.bincount(tn.tensor([1.0]), None, 3)


def test_top_k():
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, -1.0, 5.0, 5.0]], np.float32)
    r = tn.top_k(tn.tensor(x), 3)
    np.testing.assert_array_equal(r.values.numpy(), [[3, 3, 2], [5, 5, 0]])
    assert r["indices"].array() == [[0, 2, 3], [2, 3, 0]]  # ties: the lower index first
    values, indices = tn.topk(tn.tensor(x))
    assert indices.dtype == "int32" and values.shape == (2, 1)
    if torch is not None:
        z = rng.normal(size=(4, 6)).astype(np.float32)
        tv, ti = torch.topk(torch.tensor(z), 4)
        ours = tn.tensor(z).topk(4)
        np.testing.assert_array_equal(ours.values.numpy(), tv.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), ti.numpy())
    z = rng.normal(size=(3, 5)).astype(np.float32)
    check_grads(lambda t: tn.top_k(t, 2).values, [z],
                torch_fn=torch and (lambda t: torch.topk(t, 2).values))
    assert tn.top_k(tn.tensor(x), 0).values.shape == (2, 0)
    assert tn.top_k(I([[3, 9, 1]]), 2).values.array() == [[9, 3]]
    with pytest.raises(ValueError, match=r"top_k: argument 'k' must be an int in \[0, 4\]"):
        tn.top_k(tn.tensor(x), 5)


def test_search_sorted():
    seq = np.array([[1.0, 3.0, 3.0, 7.0], [0.0, 2.0, 4.0, 6.0]], np.float32)
    vals = np.array([[3.0, 0.0, 8.0], [4.0, 5.0, -1.0]], np.float32)
    left = tn.search_sorted(tn.tensor(seq), tn.tensor(vals))
    right = tn.upper_bound(tn.tensor(seq), tn.tensor(vals))
    assert left.dtype == "int32"
    for r in range(2):
        assert left.array()[r] == np.searchsorted(seq[r], vals[r], "left").tolist()
        assert right.array()[r] == np.searchsorted(seq[r], vals[r], "right").tolist()
    assert tn.lower_bound(tn.tensor([1.0, 2.0, 2.0]), tn.tensor([2.0])).array() == [1]
    with pytest.raises(ValueError, match="leading axes of sorted_sequence"):
        tn.search_sorted(tn.tensor(seq), tn.tensor([[1.0]] * 3))
    with pytest.raises(ValueError, match="argument 'side'"):
        tn.search_sorted(tn.tensor(seq), tn.tensor(vals), "middle")


def test_in_top_k_async():
    p = np.array([[0.1, 0.5, 0.5, 0.2], [0.9, 0.0, 0.3, 0.4]], np.float32)
    assert tn.in_top_k_async(tn.tensor(p), I([2, 3]), 1).array() == [False, False]  # tie: 1 first
    assert tn.in_top_k_async(tn.tensor(p), I([2, 3]), 2).array() == [True, True]
    assert tn.in_top_k_async(tn.tensor(p), I([0, 0])).array() == [False, True]
    with pytest.raises(ValueError, match=r"in_top_k_async: argument 'k' must be an int in \[1, 4\]"):
        tn.in_top_k_async(tn.tensor(p), I([0, 0]), 0)
    with pytest.raises(ValueError, match="targets its shape without the last axis"):
        tn.in_top_k_async(tn.tensor(p), I([0]))
