"""float32 -> int32: tn.cast follows TF.js's CPU backend (an Int32Array filled from the
values, i.e. JavaScript's ToInt32), while creating an int32 tensor from values int32
cannot hold is a clear error."""
import math

import numpy as np
import pytest

import treino as tn

# tf.cast(tf.tensor(VALUES), 'int32').dataSync() printed by TensorFlow.js 4.22.0 on its
# 'cpu' backend (node, @tensorflow/tfjs).
VALUES = [3e9, -3e9, math.nan, math.inf, -math.inf, 2.7, -2.7, 1e20, 2.0**31, -(2.0**31),
          4294967296.0 * 5 + 7, -0.0, 123456789.0, -4e9, 1.5e38]
TFJS = [-1294967296, 1294967296, 0, 0, 0, 2, -2, 0, -2147483648, -2147483648, 0, 0,
        123456792, 294967296, 0]


def to_int32_js(v):
    """ECMAScript ToInt32 on Python's exact integers (independent of the op's float64
    arithmetic)."""
    if not math.isfinite(v):
        return 0
    n = int(v) % 2**32  # int() truncates toward zero
    return n - 2**32 if n >= 2**31 else n


def test_cast_matches_tfjs_cpu_values():
    assert tn.cast(tn.tensor(VALUES), "int32").array() == TFJS
    assert [to_int32_js(float(np.float32(v))) for v in VALUES] == TFJS


def test_cast_of_a_python_number_wraps():
    y = tn.cast(3e9, "int32")
    assert y.dtype == "int32" and y.shape == () and y.item() == -1294967296
    assert tn.cast(tn.scalar(float("nan")), "int32").item() == 0


def test_cast_wraps_like_to_int32_over_every_magnitude():
    rng = np.random.default_rng(0)
    # float32 values from tiny to the largest, both signs, plus the int32 edges.
    v = (rng.uniform(-1, 1, 3996) * 10.0 ** rng.uniform(-3, 38.5, 3996)).astype(np.float32)
    v = np.concatenate([v, np.float32([2**31 - 128, 2**31, -2**31, -2**31 - 256, 2**32,
                                       2**32 + 512, -2**32, 0.5, -0.5])])
    got = tn.cast(tn.tensor(v.reshape(-1, 9)), "int32")
    assert got.shape == (v.size // 9, 9) and got.dtype == "int32"
    assert got.numpy().reshape(-1).tolist() == [to_int32_js(float(x)) for x in v]


def test_cast_to_bool_and_back():
    assert tn.cast(tn.tensor([math.nan, 0.0, -0.0, 2.0]), "bool").array() == [True, False, False, True]
    assert tn.cast(tn.tensor(np.array([-2**31, 2**31 - 1])), "float32").array() == \
        [-2147483648.0, 2147483648.0]  # float32 rounds 2**31 - 1 up, as Float32Array does


def test_creation_refuses_what_int32_cannot_hold():
    for bad, shown in [([3e9], "3000000000.0"), ([1.0, -3e9], "-3000000000.0"),
                       (np.array([5, 2**40]), "1099511627776"),
                       (np.array([2**63], np.uint64), "9223372036854775808")]:
        with pytest.raises(ValueError, match=rf"tensor: argument 'values' holds {shown}, "
                                             r"outside the int32 range.*tn.cast wraps"):
            tn.tensor(bad, dtype="int32")
    with pytest.raises(ValueError, match=r"NaN or infinity"):
        tn.tensor([1.0, math.nan], dtype="int32")
    with pytest.raises(ValueError, match=r"NaN or infinity"):
        tn.tensor([math.inf], dtype="int32")
    # What int32 holds is kept; floats truncate toward zero as TF.js does.
    assert tn.tensor([-2**31, 2**31 - 1], dtype="int32").array() == [-2147483648, 2147483647]
    assert tn.tensor([2.7, -2.7], dtype="int32").array() == [2, -2]
