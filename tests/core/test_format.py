"""Tensor.print() / str() against the strings TF.js 4.x produces (its own unit tests)."""
import numpy as np

from treino.core.format import js_number, tensor_to_string


def s(values, dtype="float32", verbose=False):
    return tensor_to_string(np.asarray(values, {"float32": np.float32, "int32": np.int32,
                                                "bool": np.bool_}[dtype]), dtype, verbose)


def test_scalar():
    assert s(5.0) == "Tensor\n    5"
    assert s(5.0, verbose=True) == ("Tensor\n  dtype: float32\n  rank: 0\n  shape: []\n"
                                    "  values:\n    5")
    # A scalar is printed at full precision, as JavaScript prints the float32 value.
    assert s(0.1) == "Tensor\n    0.10000000149011612"


def test_vectors_and_elision():
    assert s(np.zeros(4)) == "Tensor\n    [0, 0, 0, 0]"
    assert s(np.zeros(100)) == "Tensor\n    [0, 0, 0, ..., 0, 0, 0]"
    assert s(np.arange(21), "int32") == "Tensor\n    [0, 1, 2, ..., 18, 19, 20]"
    assert s(np.arange(20), "int32").count(",") == 19  # 20 values are all shown
    assert s([True, False], "bool") == "Tensor\n    [true, false]"


def test_matrices():
    assert s(np.zeros((3, 3))) == "Tensor\n    [[0, 0, 0],\n     [0, 0, 0],\n     [0, 0, 0]]"
    row = "[0, 0, 0, ..., 0, 0, 0]"
    assert s(np.zeros((100, 100))) == ("Tensor\n    [" + row + ",\n" + "".join(
        f"     {r},\n" for r in [row, row, "...", row, row]) + "     " + row + "]")


def test_column_padding():
    vals = [[0.8597712, 3, 0.2740789], [0.6696132, 0.4825962, 2.75], [1.991, 0.0640865, 0.2983858]]
    assert s(vals) == ("Tensor\n"
                       "    [[0.8597712, 3        , 0.2740789],\n"
                       "     [0.6696132, 0.4825962, 2.75     ],\n"
                       "     [1.9910001, 0.0640865, 0.2983858]]")


def test_rank3():
    assert s(np.zeros((3, 3, 2))) == (
        "Tensor\n"
        "    [[[0, 0],\n      [0, 0],\n      [0, 0]],\n\n"
        "     [[0, 0],\n      [0, 0],\n      [0, 0]],\n\n"
        "     [[0, 0],\n      [0, 0],\n      [0, 0]]]")


def test_js_number():
    assert js_number(1.0) == "1"
    assert js_number(-2.5) == "-2.5"
    assert js_number(1e-7) == "1e-7"
    assert js_number(1e-6) == "0.000001"
    assert js_number(1e21) == "1e+21"
    assert js_number(123456789012345680000.0) == "123456789012345680000"
    assert js_number(float("nan")) == "NaN"
    assert js_number(float("-inf")) == "-Infinity"
    assert js_number(-0.0) == "0"
