"""Reductions of zero-size tensors and over no axes (axis=[]): the values and shapes
numpy gives, or numpy's error as a ValueError naming the op; gradients of every result
have the input's shape."""
import itertools
import re
import warnings

import numpy as np
import pytest

import treino as tn

SHAPES = [(0,), (0, 3), (3, 0), (2, 0, 4), (0, 0), (2, 3)]  # (2, 3): axis=[] on values


def _axis_choices(rank):
    out = [None, []]
    for k in range(1, rank + 1):
        out += [list(c) for c in itertools.combinations(range(rank), k)]
    return out + [-1] if rank else out


def _np_logsumexp(a, axis, keepdims):
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(a.astype(np.float64)), axis=axis, keepdims=keepdims))


NUMPY = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod,
         "logsumexp": _np_logsumexp}
CASES = [(name, dtype, shape) for name in NUMPY for dtype in ("float32", "int32")
         for shape in SHAPES if not (name == "logsumexp" and dtype == "int32")]


def _values(shape, dtype):
    v = np.random.default_rng(0).uniform(-2, 2, shape)
    return v.astype(np.float32) if dtype == "float32" else np.round(v).astype(np.int32)


@pytest.mark.parametrize("name,dtype,shape", CASES)
def test_reduction_matches_numpy(name, dtype, shape):
    x = _values(shape, dtype)
    for axis, keepdims in itertools.product(_axis_choices(len(shape)), (False, True)):
        np_axis = tuple(axis) if isinstance(axis, list) else axis
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)  # mean of nothing is NaN
                want = np.asarray(NUMPY[name](x, axis=np_axis, keepdims=keepdims))
        except ValueError:
            shown = re.escape(str(list(shape)))
            with pytest.raises(ValueError, match=rf"^{name}: axis \d of x \(shape {shown}\) "
                                                 r"is empty"):
                getattr(tn, name)(tn.tensor(x), axis, keepdims)
            continue
        got = getattr(tn, name)(tn.tensor(x), axis, keepdims)
        assert got.shape == want.shape, (axis, keepdims)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, err_msg=f"axis={axis}")


@pytest.mark.parametrize("name,shape", [(n, s) for n in NUMPY for s in SHAPES])
def test_gradients_have_the_input_shape(name, shape):
    x = tn.tensor(_values(shape, "float32"))
    for axis in _axis_choices(len(shape)):
        try:
            y = getattr(tn, name)(x, axis)
        except ValueError:
            continue  # numpy's error, checked above
        g = tn.grad(lambda t: tn.sum(getattr(tn, name)(t, axis)))(x)
        assert g.shape == x.shape and g.dtype == "float32", axis
        if axis == [] or y.size == x.size:
            # Reducing one value (or none) is the identity: the gradient is all ones.
            np.testing.assert_allclose(g.numpy(), np.ones(shape), rtol=1e-6)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("shape", SHAPES)
def test_arg_reductions_match_numpy(name, shape):
    for dtype in ("float32", "int32"):
        x = _values(shape, dtype)
        for axis, keepdims in itertools.product(range(-len(shape), len(shape)), (False, True)):
            try:
                want = getattr(np, name)(x, axis=axis, keepdims=keepdims)
            except ValueError:
                with pytest.raises(ValueError, match=rf"^{name}: axis {axis % len(shape)} of x "
                                                     r"\(shape .*\) is empty"):
                    getattr(tn, name)(tn.tensor(x), axis, keepdims)
                continue
            got = getattr(tn, name)(tn.tensor(x), axis, keepdims)
            assert got.shape == want.shape and got.dtype == "int32", (axis, keepdims)
            np.testing.assert_array_equal(got.numpy(), want)
