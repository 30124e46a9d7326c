"""Every activation id, in both spellings: forward against numpy (float64), gradient via
tn.grad against float64 central finite differences of the numpy reference."""
import math

import numpy as np
import pytest

import treino as tn
from treino import activations

rng = np.random.default_rng(7)
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _softplus(x):
    return np.log1p(np.exp(x))


SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805

# TF.js class name, snake_case id, numpy reference
CASES = [
    ("linear", "linear", lambda x: x),
    ("relu", "relu", lambda x: np.maximum(x, 0)),
    ("relu6", "relu6", lambda x: np.clip(x, 0, 6)),
    ("elu", "elu", lambda x: np.where(x > 0, x, np.expm1(x))),
    ("selu", "selu", lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x))),
    ("sigmoid", "sigmoid", _sigmoid),
    ("hardSigmoid", "hard_sigmoid", lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    ("softmax", "softmax", _softmax),
    ("logSoftmax", "log_softmax", lambda x: np.log(_softmax(x))),
    ("softplus", "softplus", _softplus),
    ("softsign", "softsign", lambda x: x / (1 + np.abs(x))),
    ("tanh", "tanh", np.tanh),
    ("swish", "swish", lambda x: x * _sigmoid(x)),
    ("mish", "mish", lambda x: x * np.tanh(_softplus(x))),
    ("gelu", "gelu", lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    ("gelu_new", "gelu_new",
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
]


def _inputs():
    # |x| in [0.3, 3.5] (below relu6's 6 too): away from every kink, so the finite
    # differences are exact to O(h^2); hard_sigmoid's kinks are at +-2.5, avoided below.
    x = rng.uniform(0.3, 3.5, (4, 5)) * rng.choice([-1, 1], (4, 5))
    x[np.abs(np.abs(x) - 2.5) < 0.2] = 1.0
    return x


@pytest.mark.parametrize("name,snake,ref", CASES, ids=[c[0] for c in CASES])
def test_forward_both_spellings(name, snake, ref):
    x = _inputs()
    for ident in {name, snake}:
        act = activations.get(ident)
        assert act.name == name
        np.testing.assert_allclose(act.apply(tn.tensor(x)).numpy(), ref(x), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name,snake,ref", CASES, ids=[c[0] for c in CASES])
def test_gradient_vs_finite_differences(name, snake, ref):
    x = _inputs()
    w = rng.normal(size=x.shape)  # a random cotangent: checks the full VJP
    act = activations.get(name)
    g = tn.grad(lambda t: tn.sum(act.apply(t) * tn.tensor(w)))(tn.tensor(x)).numpy()
    h = 1e-6
    fd = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        fd[i] = ((ref(xp) - ref(xm)) * w).sum() / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-5)


def test_fused_ids_compute_the_same_function():
    # The fused dense kernel must compute exactly what apply() does for each fused id.
    x = tn.tensor(rng.normal(size=(6, 4)))
    w = tn.tensor(rng.normal(size=(4, 3)))
    b = tn.tensor(rng.normal(size=(3,)))
    fused = [c[0] for c in CASES if activations.get(c[0]).fused is not None]
    assert set(fused) == {"linear", "relu", "relu6", "elu", "selu", "sigmoid", "softplus",
                          "softsign", "tanh"}
    for name in fused:
        act = activations.get(name)
        want = act.apply(tn.dense(x, w, b, "linear")).numpy()
        np.testing.assert_allclose(tn.dense(x, w, b, act.fused).numpy(), want,
                                   rtol=1e-5, atol=1e-6, err_msg=name)


def test_get_accepts_none_instances_callables_and_configs():
    assert activations.get(None).name == "linear"
    relu = activations.get("relu")
    assert activations.get(relu) is relu
    assert activations.get({"class_name": "hardSigmoid", "config": {}}).name == "hardSigmoid"
    assert activations.get("geluNew").name == "gelu_new"  # a camelCase round trip's spelling
    assert activations.get(activations.relu).fused == "relu"  # the module function, fusable
    custom = activations.get(lambda t: t * 2)
    assert custom.fused is None
    np.testing.assert_allclose(custom.apply(tn.tensor([1.0, 2.0])).numpy(), [2, 4])


def test_serialized_names_are_tfjs_model_json_spelling():
    assert activations.serialize(activations.get("hard_sigmoid")) == "hard_sigmoid"
    assert activations.serialize(activations.get("logSoftmax")) == "log_softmax"
    assert activations.serialize(activations.get("relu")) == "relu"


def test_unknown_id_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown activation 'relu7'.*hardSigmoid.*gelu_new"):
        activations.get("relu7")
    with pytest.raises(TypeError, match="activation"):
        activations.get(3)


def test_module_functions():
    x = tn.tensor([[-1.0, 0.5, 2.0]])
    np.testing.assert_allclose(activations.hard_sigmoid(x).numpy(), [[0.3, 0.6, 0.9]], rtol=1e-6)
    np.testing.assert_allclose(activations.softmax(x).numpy().sum(), 1.0, rtol=1e-6)
