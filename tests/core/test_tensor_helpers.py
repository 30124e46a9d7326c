"""Tensor creation and helpers TF.js programs lean on: tensor1d..6d, eye, tn.buffer /
TensorBuffer, the conversion methods (to_float, as2d, buffer_sync, ...), tn.util,
tn.next_frame, tn.print, tn.fused.mat_mul and the snake_case spellings of TF.js names."""
import asyncio

import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads


def test_tensor_nd():
    assert tn.tensor1d([1, 2, 3]).shape == (3,)
    assert tn.tensor1d([1, 2], "int32").dtype == "int32"
    assert tn.tensor2d([[1, 2], [3, 4]]).shape == (2, 2)
    assert tn.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]).array() == [[1, 2, 3], [4, 5, 6]]
    assert tn.tensor3d([[[1]], [[2]]]).shape == (2, 1, 1)
    assert tn.tensor4d(list(range(16)), [2, 2, 2, 2]).shape == (2, 2, 2, 2)
    assert tn.tensor5d(np.zeros((1, 2, 1, 2, 1))).shape == (1, 2, 1, 2, 1)
    assert tn.tensor6d([0] * 6, [1, 1, 1, 1, 2, 3]).shape == (1, 1, 1, 1, 2, 3)
    with pytest.raises(ValueError, match="tensor1d: values must be a flat list"):
        tn.tensor1d([[1, 2]])
    with pytest.raises(ValueError, match="tensor2d: argument 'shape' is required"):
        tn.tensor2d([1, 2, 3, 4])
    with pytest.raises(ValueError, match="tensor3d: argument 'shape' must have 3 entries"):
        tn.tensor3d([1, 2], [2])
    with pytest.raises(ValueError, match="tensor2d: values must be nested to depth 2"):
        tn.tensor2d([[[1]]])


def test_eye():
    np.testing.assert_array_equal(tn.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(tn.eye(2, 4).numpy(), np.eye(2, 4))
    batched = tn.eye(2, batch_shape=[3, 1], dtype="int32")
    assert batched.shape == (3, 1, 2, 2) and batched.dtype == "int32"
    np.testing.assert_array_equal(batched.numpy()[2, 0], np.eye(2))
    with pytest.raises(ValueError, match="eye: argument 'num_rows' must be an int >= 0"):
        tn.eye(-1)
    with pytest.raises(ValueError, match="eye: argument 'batch_shape' must have 1 to 3 entries"):
        tn.eye(2, batch_shape=[1, 1, 1, 1])


def test_buffer():
    b = tn.buffer([2, 3], "int32")
    b.set(5, 1, 2)
    b.set(-1, 0, 0)
    assert b.get(1, 2) == 5 and b.values.tolist() == [-1, 0, 0, 0, 0, 5]
    t = b.to_tensor()
    b.set(7, 0, 1)  # later writes do not reach the tensor
    assert t.dtype == "int32" and t.array() == [[-1, 0, 0], [0, 0, 5]]
    assert b.loc_to_index([1, 1]) == 4 and b.index_to_loc(4) == [1, 1]
    assert b.strides == [3] and b.rank == 2 and b.size == 6
    f = tn.buffer([2], values=[1.5, 2.5])
    assert f.dtype == "float32" and f.get(1) == 2.5
    s = tn.buffer([])
    s.set(3.0)
    assert s.to_tensor().shape == () and s.get() == 3.0
    assert isinstance(b, tn.TensorBuffer)
    with pytest.raises(ValueError, match=r"TensorBuffer.get: index 3 is out of range for axis 1"):
        b.get(0, 3)
    with pytest.raises(ValueError, match="TensorBuffer.set: expected 2 indices"):
        b.set(1, 0)
    with pytest.raises(ValueError, match="buffer: values has 3 elements but shape \\[2\\] needs 2"):
        tn.buffer([2], values=[1, 2, 3])
    # One value held in an array (a scalar's data_sync()), as TF.js accepts; not two.
    f.set(tn.scalar(0.25).data_sync(), 0)
    f.set(tn.tensor([[4.0]]), 1)
    assert f.values.tolist() == [0.25, 4.0]
    with pytest.raises(ValueError, match=r"TensorBuffer.set: argument 'value' must be a single "
                                         r"value, received shape \[2\]"):
        f.set([1.0, 2.0], 0)
    assert f.values.tolist() == [0.25, 4.0]


def test_memory_reads_as_tfjs():
    a, b = tn.ones([3]), tn.zeros([2, 2])
    m = tn.memory()
    assert m.num_tensors >= 2 and m["numTensors"] == m.num_tensors == m["num_tensors"]
    assert m.num_data_buffers <= m.num_tensors and m.num_bytes >= a.size * 4 + b.size * 4
    assert m.unreliable is False and list(m) == ["num_tensors", "num_data_buffers",
                                                 "num_bytes", "unreliable"]
    assert "num_tensors" in m and isinstance(m, dict)  # still the dict it was


def test_tensor_conversion_methods():
    x = tn.tensor([[1.7, -2.2], [0.0, 3.0]])
    assert x.to_int().array() == [[1, -2], [0, 3]] and x.to_int().dtype == "int32"
    assert x.to_bool().array() == [[True, True], [False, True]]
    assert tn.tensor([1, 2], dtype="int32").to_float().dtype == "float32"
    assert x.as1d().shape == (4,) and x.as2d(1, 4).shape == (1, 4)
    assert x.as3d(1, 2, 2).shape == (1, 2, 2) and x.as4d(1, 1, 2, 2).shape == (1, 1, 2, 2)
    assert x.as5d(1, 1, 1, 2, 2).shape == (1, 1, 1, 2, 2)
    assert tn.tensor([[4.0]]).as_scalar().shape == ()
    assert x.reshape_as(tn.zeros([4, 1])).shape == (4, 1)
    with pytest.raises(ValueError, match="as_scalar: the tensor must have exactly one value"):
        x.as_scalar()
    buf = x.buffer_sync()
    buf.set(9.0, 0, 0)
    assert buf.get(1, 1) == 3.0 and x.array()[0][0] == pytest.approx(1.7)  # a copy
    assert x.buffer().shape == (2, 2)
    g = tn.grad(lambda t: tn.sum(t.as1d() * tn.tensor([1.0, 2.0, 3.0, 4.0])))(x)
    assert g.array() == [[1, 2], [3, 4]]


def test_util():
    tn.set_seed(1)
    items = list(range(10))
    tn.util.shuffle(items)
    assert sorted(items) == list(range(10)) and items != list(range(10))
    tn.set_seed(1)
    again = list(range(10))
    tn.util.shuffle(again)
    assert again == items  # tn.set_seed makes shuffles reproducible
    arr = np.arange(6).reshape(3, 2)
    tn.util.shuffle(arr)
    assert sorted(arr[:, 0].tolist()) == [0, 2, 4] and (arr[:, 1] == arr[:, 0] + 1).all()
    a, b = list(range(8)), [10 * i for i in range(8)]
    tn.util.shuffle_combo(a, b)
    assert [10 * i for i in a] == b
    idx = tn.util.create_shuffled_indices(7)
    assert idx.dtype == np.uint32 and sorted(idx.tolist()) == list(range(7))
    assert tn.util.size_from_shape([2, 3, 4]) == 24 and tn.util.size_from_shape([]) == 1
    assert tn.util.flatten([[1, [2, 3]], (4,), np.array([5, 6])]) == [1, 2, 3, 4, 5, 6]
    t0 = tn.util.now()
    assert tn.util.now() >= t0
    tn.util.assert_(True, "never")
    with pytest.raises(AssertionError, match="lazy message"):
        tn.util.assert_(1 > 2, lambda: "lazy message")
    with pytest.raises(TypeError, match="shuffle: argument 'array' must be a list"):
        tn.util.shuffle((1, 2))


def test_next_frame_is_an_awaitable_no_op():
    async def loop():
        for _ in range(3):
            await tn.next_frame()
        return "done"
    assert asyncio.run(loop()) == "done"
    assert tn.next_frame() is not None  # calling it without await is harmless


def test_print(capsys):
    tn.print(tn.tensor([1.0, 2.0]))
    tn.print(tn.tensor([1.0]), True)
    tn.print("plain", 3, sep="-")  # anything else is Python's print
    out = capsys.readouterr().out
    assert out.startswith("Tensor\n    [1, 2]\n") and "dtype: float32" in out
    assert out.endswith("plain-3\n")


@pytest.mark.parametrize("activation", ["linear", "relu", "elu", "relu6", "sigmoid", "leakyrelu", "prelu"])
def test_fused_mat_mul(activation):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(4, 5)).astype(np.float32)
    bias = rng.normal(size=5).astype(np.float32)
    alpha = np.full(5, 0.3, np.float32)
    z = a.astype(np.float64) @ b + bias
    want = {"linear": z, "relu": np.maximum(z, 0), "elu": np.where(z > 0, z, np.expm1(z)),
            "relu6": np.clip(z, 0, 6), "sigmoid": 1 / (1 + np.exp(-z)),
            "leakyrelu": np.where(z > 0, z, 0.1 * z), "prelu": np.where(z > 0, z, 0.3 * z)}[activation]
    kw = dict(bias=tn.tensor(bias), activation=activation, leakyrelu_alpha=0.1,
              prelu_activation_weights=tn.tensor(alpha))
    np.testing.assert_allclose(tn.fused.mat_mul(tn.tensor(a), tn.tensor(b), **kw).numpy(), want,
                               rtol=1e-5, atol=1e-5)
    # the transposed (composed) path gives the same values
    np.testing.assert_allclose(tn.fused.mat_mul(tn.tensor(a.T.copy()), tn.tensor(b.T.copy()), True,
                                                True, **kw).numpy(), want, rtol=1e-5, atol=1e-5)
    check_grads(lambda p, q, r: tn.fused.mat_mul(p, q, bias=r, activation=activation,
                                                 leakyrelu_alpha=0.1,
                                                 prelu_activation_weights=tn.tensor(alpha)),
                [a, b, bias], atol=5e-3)


def test_fused_mat_mul_errors():
    with pytest.raises(ValueError, match="fused.mat_mul: argument 'activation' must be one of"):
        tn.fused.mat_mul(tn.ones([2, 2]), tn.ones([2, 2]), activation="gelu")
    with pytest.raises(ValueError, match="activation 'prelu' needs prelu_activation_weights"):
        tn.fused.mat_mul(tn.ones([2, 2]), tn.ones([2, 2]), activation="prelu")


def test_snake_case_spellings_of_tfjs_names():
    x = tn.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert tn.mat_mul is tn.matmul and tn.arg_max is tn.argmax and tn.arg_min is tn.argmin
    assert tn.log_sum_exp is tn.logsumexp and tn.topk is tn.top_k
    assert x.arg_max(1).array() == [1, 0] and x.mat_mul(x).shape == (2, 2)
    for name in ["acos", "all", "any", "cumsum", "cumprod", "erf", "is_nan", "norm", "reverse",
                 "step", "tan", "topk", "unique", "strided_slice", "mirror_pad", "broadcast_to"]:
        assert callable(getattr(x, name)), name
