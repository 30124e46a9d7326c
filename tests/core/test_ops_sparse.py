"""tn.sparse: the segment reductions against numpy loops (with data's gradient),
sparse_reshape and sparse_fill_empty_rows on TF.js's documented examples and on random
sparse tensors checked through their dense form."""
import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads

rng = np.random.default_rng(8)


def I(values):  # noqa: E743
    return tn.tensor(np.asarray(values, np.int32))


@pytest.mark.parametrize("mean", [False, True])
def test_segment_reductions(mean):
    data = rng.normal(size=(4, 3)).astype(np.float32)
    indices, ids = np.array([0, 2, 2, 3, 1], np.int32), np.array([0, 0, 2, 2, 2], np.int32)
    op = tn.sparse.sparse_segment_mean if mean else tn.sparse.sparse_segment_sum
    y = op(tn.tensor(data), tn.tensor(indices), tn.tensor(ids))
    want = np.zeros((3, 3))
    for i, s in zip(indices, ids):
        want[s] += data[i]
    if mean:
        want /= np.maximum(np.bincount(ids, minlength=3), 1)[:, None]
    assert y.shape == (3, 3)  # segment_ids[-1] + 1 rows; row 1 is empty
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6, atol=1e-7)
    check_grads(lambda d: op(d, tn.tensor(indices), tn.tensor(ids)), [data])
    ints = op(I([[5, 6], [7, 9]]), I([0, 1]), I([0, 0]))
    assert ints.dtype == "int32" and ints.array() == ([[6, 7]] if mean else [[12, 15]])


def test_segment_reduction_errors():
    d = tn.ones([3, 2])
    with pytest.raises(ValueError, match="sparse_segment_sum: segment_ids must be non-negative and sorted"):
        tn.sparse.sparse_segment_sum(d, I([0, 1]), I([1, 0]))
    with pytest.raises(ValueError, match=r"sparse_segment_mean: indices\[1\] = 3 is out of range \[0, 3\)"):
        tn.sparse.sparse_segment_mean(d, I([0, 3]), I([0, 0]))
    with pytest.raises(ValueError, match="indices and segment_ids must have one length"):
        tn.sparse.sparse_segment_sum(d, I([0, 1]), I([0]))
    assert tn.sparse.sparse_segment_sum(d, I([]), I([])).shape == (0, 2)


def _dense(indices, values, shape):
    out = np.zeros(shape)
    for idx, v in zip(indices, values):
        out[tuple(idx)] = v
    return out


def test_sparse_reshape():
    r = tn.sparse.sparse_reshape(I([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 2, 3]]),
                                 I([2, 3, 6]), I([9, -1]))  # TF.js's documented example
    assert r.output_indices.array() == [[0, 0], [0, 1], [1, 2], [4, 2], [8, 1]]
    assert r["outputShape"].array() == [9, 4]
    shape = (3, 4, 5)
    coords = np.array(sorted({tuple(rng.integers(0, d) for d in shape) for _ in range(12)}), np.int32)
    vals = rng.normal(size=len(coords))
    out_idx, out_shape = tn.sparse.sparse_reshape(tn.tensor(coords), I(shape), I([-1, 10]))
    assert out_shape.array() == [6, 10]
    np.testing.assert_array_equal(_dense(out_idx.numpy(), vals, (6, 10)),
                                  _dense(coords, vals, shape).reshape(6, 10))
    with pytest.raises(ValueError, match="sparse_reshape: input_shape \\[2, 3\\] has 6 elements, new_shape \\[4\\] has 4"):
        tn.sparse.sparse_reshape(I([[0, 0]]), I([2, 3]), I([4]))
    with pytest.raises(ValueError, match="cannot infer the -1"):
        tn.sparse.sparse_reshape(I([[0, 0]]), I([2, 3]), I([4, -1]))


def test_sparse_fill_empty_rows():
    r = tn.sparse.sparse_fill_empty_rows(  # TF.js's documented example
        I([[0, 0], [1, 0], [1, 3], [1, 4], [3, 2], [3, 3]]),
        tn.tensor([0.0, 10.0, 13.0, 14.0, 32.0, 33.0]), I([5, 6]), -1)
    assert r.output_indices.array() == [[0, 0], [1, 0], [1, 3], [1, 4], [2, 0], [3, 2], [3, 3], [4, 0]]
    assert r.output_values.array() == [0, 10, 13, 14, -1, 32, 33, -1]
    assert r.empty_row_indicator.array() == [False, False, True, False, True]
    assert r["reverseIndexMap"].array() == [0, 1, 2, 3, 5, 6]
    # unordered rows: the output is ordered by row, each input entry where the map says
    idx, vals = I([[2, 1], [0, 3], [2, 0]]), tn.tensor([5, 6, 7], dtype="int32")
    out = tn.sparse.sparse_fill_empty_rows(idx, vals, I([4, 4]), 0)
    assert out.output_indices.numpy()[:, 0].tolist() == [0, 1, 2, 2, 3]
    np.testing.assert_array_equal(out.output_values.numpy()[out.reverse_index_map.numpy()], [5, 6, 7])
    np.testing.assert_array_equal(out.output_indices.numpy()[out.reverse_index_map.numpy()], idx.numpy())
    assert out.output_values.dtype == "int32"
    with pytest.raises(ValueError, match=r"sparse_fill_empty_rows: indices\[0\] has row 4, outside \[0, 4\)"):
        tn.sparse.sparse_fill_empty_rows(I([[4, 0]]), tn.tensor([1.0]), I([4, 4]), 0.0)
    with pytest.raises(ValueError, match="values must be a vector of one value per index"):
        tn.sparse.sparse_fill_empty_rows(I([[0, 0]]), tn.tensor([1.0, 2.0]), I([4, 4]), 0.0)
