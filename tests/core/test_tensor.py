"""Tensor, Variable and the creation functions."""
import numpy as np
import pytest

from treino.core.creation import (fill, linspace, one_hot, ones, ones_like, range_, scalar,
                                  tensor, zeros, zeros_like)
from treino.core.tensor import Tensor, Variable, variable


def test_dtype_inference_follows_tfjs():
    assert tensor([1, 2, 3]).dtype == "float32"          # JS numbers -> float32
    assert tensor([True, False]).dtype == "bool"
    assert tensor(np.array([1, 2], np.int64)).dtype == "int32"
    assert tensor(np.array([1.5], np.float64)).dtype == "float32"
    assert tensor([1.7, -1.7], dtype="int32").array() == [1, -1]  # truncation
    assert tensor(np.array([1, 0]), dtype="bool").array() == [True, False]


def test_shape_argument_and_errors():
    t = tensor([1, 2, 3, 4], shape=[2, 2])
    assert t.shape == (2, 2) and t.rank == 2 and t.size == 4
    assert tensor(7, shape=[2, 3]).array() == [[7, 7, 7], [7, 7, 7]]
    with pytest.raises(ValueError, match=r"shape \[2, 2\].*4 values but has 3"):
        tensor([1, 2, 3], shape=[2, 2])
    with pytest.raises(ValueError, match="ragged"):
        tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="numbers or booleans"):
        tensor(["a", "b"])
    with pytest.raises(TypeError, match="'float32', 'int32', 'bool'"):
        tensor([1], dtype="float64")
    with pytest.raises(ValueError, match="int32 range"):
        tensor(np.array([2**40]))
    with pytest.raises(ValueError, match="non-negative ints"):
        zeros([2, -1])


def test_tensor_copies_and_is_immutable():
    a = np.ones(3, np.float32)
    t = tensor(a)
    a[0] = 5
    assert t.array() == [1, 1, 1]
    view = np.asarray(t)
    assert not view.flags.writeable
    n = t.numpy()
    n[1] = 9
    assert t.array() == [1, 1, 1]
    assert t.data().shape == (3,)


def test_reading_values():
    t = tensor([[1.5, 2], [3, 4]])
    assert t.array() == [[1.5, 2.0], [3.0, 4.0]]
    assert scalar(3).item() == 3.0 and float(scalar(2.5)) == 2.5
    with pytest.raises(ValueError, match="exactly one element"):
        t.item()
    assert "shape=[2, 2]" in repr(t) and "float32" in repr(t) and "1.5" in repr(t)
    assert str(t) == "Tensor\n    [[1.5, 2],\n     [3  , 4]]"


def test_print(capsys):
    tensor([1, 2]).print()
    tensor([1, 2]).print(verbose=True)
    out = capsys.readouterr().out
    assert out == ("Tensor\n    [1, 2]\nTensor\n  dtype: float32\n  rank: 1\n  shape: [2]\n"
                   "  values:\n    [1, 2]\n")


def test_creation_functions():
    assert zeros([2, 3]).numpy().tolist() == [[0] * 3] * 2
    assert ones([2], "int32").dtype == "int32"
    assert fill([2], 3.5).array() == [3.5, 3.5]
    assert zeros_like(tensor([[1, 2]])).shape == (1, 2)
    assert ones_like(tensor([1, 2], dtype="int32")).dtype == "int32"
    oh = one_hot(tensor([0, 2, 5, -1], dtype="int32"), 3)
    assert oh.dtype == "int32"
    assert oh.array() == [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]
    np.testing.assert_allclose(linspace(0, 1, 5).numpy(), [0, .25, .5, .75, 1])
    assert range_(0, 5, 2).array() == [0, 2, 4]
    assert range_(3, dtype="int32").array() == [0, 1, 2]
    with pytest.raises(ValueError, match="step"):
        range_(0, 5, 0)


def test_variable_assign_checks_shape_and_dtype():
    v = variable(np.zeros((2, 2), np.float32))
    buf = v._data
    v.assign(tensor([[1, 2], [3, 4]]))
    assert v.array() == [[1, 2], [3, 4]]
    assert v._data is buf  # in place: optimizers and references keep seeing it
    with pytest.raises(ValueError, match=r"shape \[2, 2\].*\[3\]"):
        v.assign(tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="dtype float32.*int32"):
        v.assign(tensor(np.array([[1, 2], [3, 4]], np.int32)))
    assert v.array() == [[1, 2], [3, 4]]


def test_variable_names_unique_and_no_alias():
    a = np.ones(2, np.float32)
    v = variable(a, name="treino_test_unique_name")
    a[0] = 7
    assert v.array() == [1, 1]
    assert v.trainable and isinstance(v, Tensor) and isinstance(v, Variable)
    with pytest.raises(ValueError, match="already exists"):
        variable([1.0], name="treino_test_unique_name")
    w1, w2 = variable([1.0]), variable([1.0])
    assert w1.name != w2.name
    assert not variable([1.0], trainable=False).trainable
