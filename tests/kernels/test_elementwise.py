"""Elementwise kernels: unary ops and their backward, broadcasting binary ops, reductions.

References are numpy in float64 (or numpy float32 where the op is exact), with tolerances of
a few float32 ulps that a wrong polynomial, a wrong branch or a wrong kink convention fails.
"""
import numpy as np
import pytest

from treino import _kernels as K

SIZES = [0, 1, 15, 16, 17, 63, 64, 65, 1000, 1029]
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
F32_TINY = np.finfo(np.float32).tiny


def _sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


_erfc = np.vectorize(__import__("math").erfc, otypes=[np.float64])


def _gelu(x):
    return x * 0.5 * _erfc(-x / np.sqrt(2.0))


def _gelu_new(x):
    # 0.5 x (1 + tanh(u)) written as x sigmoid(2u): the same function without the float64
    # cancellation for x << 0.
    return x * _sigmoid(2 * np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))


def _gelu_new_grad(x):
    u = np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)
    s = _sigmoid(2 * u)
    return s + x * 2 * s * (1 - s) * np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * x ** 2)


# name: (float64 forward, input range, rtol, atol)
UNARY = {
    "relu": (lambda x: np.maximum(x, 0), (-5, 5), 0, 0),
    "relu6": (lambda x: np.clip(x, 0, 6), (-3, 9), 0, 0),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(x)), (-20, 5), 3e-7, 0),
    "selu": (lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), (-20, 5), 3e-7, 0),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.2 * x), (-5, 5), 1e-7, 0),
    "sigmoid": (_sigmoid, (-90, 30), 4e-7, 3e-45),
    "log_sigmoid": (lambda x: -_softplus(-x), (-30, 80), 4e-7, 3e-45),
    "tanh": (np.tanh, (-12, 12), 3e-7, 0),
    "softplus": (_softplus, (-80, 30), 4e-7, 3e-45),
    "softsign": (lambda x: x / (1 + np.abs(x)), (-50, 50), 2e-7, 0),
    "exp": (np.exp, (-87, 88), 3e-7, 0),
    "expm1": (np.expm1, (-20, 20), 3e-7, 0),
    "log": (np.log, (1e-30, 1e30), 3e-7, 0),
    "log1p": (np.log1p, (-0.999, 1e6), 3e-7, 0),
    "sqrt": (np.sqrt, (0, 1e6), 1e-7, 0),
    "rsqrt": (lambda x: 1 / np.sqrt(x), (1e-6, 1e6), 2.5e-7, 0),
    "square": (np.square, (-1e3, 1e3), 1e-7, 0),
    "abs": (np.abs, (-5, 5), 0, 0),
    "neg": (np.negative, (-5, 5), 0, 0),
    "sign": (np.sign, (-2, 2), 0, 0),
    "reciprocal": (lambda x: 1 / x, (0.01, 100), 1e-7, 0),
    "sin": (np.sin, (-100, 100), 0, 2e-7),
    "cos": (np.cos, (-100, 100), 0, 2e-7),
    "floor": (np.floor, (-1e3, 1e3), 0, 0),
    "ceil": (np.ceil, (-1e3, 1e3), 0, 0),
    "round": (np.rint, (-1e3, 1e3), 0, 0),
    "swish": (lambda x: x * _sigmoid(x), (-30, 30), 5e-7, 1e-30),
    "silu": (lambda x: x * _sigmoid(x), (-30, 30), 5e-7, 1e-30),
    "gelu": (_gelu, (-12, 8), 3e-7, 1e-35),
    "gelu_new": (_gelu_new, (-8, 8), 1e-5, 1e-30),  # rounding of u = O(x^3) limits it
    "mish": (lambda x: x * np.tanh(_softplus(x)), (-30, 20), 1e-6, 1e-30),
    "hard_sigmoid": (lambda x: np.clip(0.2 * x + 0.5, 0, 1), (-4, 4), 1e-7, 1e-7),
}

# name: (saved tensor 'x' / 'y' / None, float64 derivative as a function of the saved
# tensor). Backward ops that read y are checked against the exact formula in y, since
# e.g. sigmoid' = y (1 - y) cannot recover what rounding y to float32 lost.
GRAD = {
    "relu": ("x", lambda x: (x > 0) * 1.0),
    "relu6": ("x", lambda x: ((x > 0) & (x < 6)) * 1.0),
    "elu": ("x", lambda x: np.where(x >= 0, 1.0, np.exp(x))),
    "selu": ("x", lambda x: np.where(x > 0, SELU_SCALE, SELU_SCALE * SELU_ALPHA * np.exp(x))),
    "leaky_relu": ("x", lambda x: np.where(x > 0, 1.0, 0.2)),
    "sigmoid": ("y", lambda y: y * (1 - y)),
    "log_sigmoid": ("x", lambda x: _sigmoid(-x)),
    "tanh": ("y", lambda y: 1 - y ** 2),
    "softplus": ("x", _sigmoid),
    "softsign": ("x", lambda x: 1 / (1 + np.abs(x)) ** 2),
    "exp": ("y", lambda y: y),
    "expm1": ("x", np.exp),
    "log": ("x", lambda x: 1 / x),
    "log1p": ("x", lambda x: 1 / (1 + x)),
    "sqrt": ("y", lambda y: 0.5 / y),
    "rsqrt": ("y", lambda y: -0.5 * y ** 3),
    "square": ("x", lambda x: 2 * x),
    "abs": ("x", np.sign),
    "neg": (None, lambda x: -np.ones_like(x)),
    "sign": (None, np.zeros_like),
    "reciprocal": ("y", lambda y: -(y ** 2)),
    "sin": ("x", np.cos),
    "cos": ("x", lambda x: -np.sin(x)),
    "floor": (None, np.zeros_like),
    "ceil": (None, np.zeros_like),
    "round": (None, np.zeros_like),
    "swish": ("x", lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    "silu": ("x", lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    "mish": ("x", lambda x: np.tanh(_softplus(x)) + x * _sigmoid(x) * (1 - np.tanh(_softplus(x)) ** 2)),
    "hard_sigmoid": ("x", lambda x: np.where(np.abs(x) <= 2.5, 0.2, 0.0)),
    "gelu": ("x", lambda x: 0.5 * _erfc(-x / np.sqrt(2)) + x * np.exp(-0.5 * x ** 2) / np.sqrt(2 * np.pi)),
    "gelu_new": ("x", _gelu_new_grad),
}


def _inputs(name, n, seed=0):
    lo, hi = UNARY[name][1]
    rng = np.random.default_rng(seed)
    if lo > 0 and hi / lo > 1e3:  # log-uniform over wide positive ranges
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n)).astype(np.float32)
    x = rng.uniform(lo, hi, n).astype(np.float32)
    if name in ("round", "floor", "ceil") and n > 8:
        x[: n // 2] = np.round(x[: n // 2] * 2) / 2  # exact halves: ties to even
    return x


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_forward_matches_float64(isa, name):
    ref, _, rtol, atol = UNARY[name]
    fn = getattr(K, name)
    for n in SIZES:
        x = _inputs(name, n, seed=n)
        y = fn(x)
        assert y.dtype == np.float32 and y.shape == x.shape
        want = ref(x.astype(np.float64))
        np.testing.assert_allclose(y, want, rtol=rtol, atol=atol, err_msg=f"{name} n={n}")


def test_unary_forward_multidim_and_in_place(isa):
    x = np.random.default_rng(1).uniform(-3, 3, (4, 5, 6)).astype(np.float32)
    want = np.tanh(x.astype(np.float64))
    y = K.tanh(x)
    assert y.shape == (4, 5, 6)
    np.testing.assert_allclose(y, want, rtol=3e-7)
    out = np.empty_like(x)
    assert K.tanh(x, out=out) is out
    xi = x.copy()
    K.tanh(xi, out=xi)
    np.testing.assert_array_equal(xi, y)
    s = np.array(2.0, np.float32)
    assert K.exp(np.array(s)).shape == ()


SPECIAL = [
    ("exp", [89.0, -104.0, np.inf, -np.inf, 88.72, -87.5, -100.0, 0.0],
     [np.inf, 0.0, np.inf, 0.0, np.exp, np.exp, np.exp, 1.0]),
    ("log", [0.0, -0.0, -1.0, np.inf, -np.inf, 1.0, 1e-40, F32_TINY],
     [-np.inf, -np.inf, np.nan, np.inf, np.nan, 0.0, np.log, np.log]),
    ("log1p", [-1.0, -2.0, np.inf, 1e-10, -1e-10, 0.0],
     [-np.inf, np.nan, np.inf, 1e-10, -1e-10, 0.0]),
    ("expm1", [np.inf, -np.inf, 1e-10, -1e-10, 100.0], [np.inf, -1.0, 1e-10, -1e-10, np.inf]),
    ("sqrt", [-1.0, 0.0, np.inf, 4.0], [np.nan, 0.0, np.inf, 2.0]),
    ("sigmoid", [100.0, -100.0, np.inf, -np.inf, 0.0], [1.0, np.exp, 1.0, 0.0, 0.5]),
    ("softplus", [100.0, -100.0, np.inf, -np.inf, 0.0], [100.0, np.exp, np.inf, 0.0, np.log(2)]),
    ("log_sigmoid", [-100.0, 100.0, -np.inf, np.inf], [-100.0, lambda v: -np.exp(-v), -np.inf, 0.0]),
    ("tanh", [np.inf, -np.inf, 50.0, -50.0, 1e-30], [1.0, -1.0, 1.0, -1.0, 1e-30]),
    ("softsign", [np.inf, -np.inf], [1.0, -1.0]),
    ("sin", [np.inf, 1e6, -3e5, 1e30], [np.nan, np.sin, np.sin, np.sin]),
    ("cos", [-np.inf, 1e6, 2e4], [np.nan, np.cos, np.cos]),
    ("round", [0.5, 1.5, 2.5, -0.5, -2.5, 8388609.0, 1e30, -0.0], [0, 2, 2, -0.0, -2, 8388609.0, 1e30, -0.0]),
    ("floor", [-0.5, -0.0, 8388609.0, -1e30, 2.0], [-1.0, -0.0, 8388609.0, -1e30, 2.0]),
    ("ceil", [-0.5, 0.5, 8388609.0, 1e30, -2.0], [-0.0, 1.0, 8388609.0, 1e30, -2.0]),
]


@pytest.mark.parametrize("name,xs,want", SPECIAL, ids=[s[0] for s in SPECIAL])
def test_unary_special_values(isa, name, xs, want):
    x = np.array(xs, np.float32)
    y = getattr(K, name)(x)
    want = np.array([w(x64) if callable(w) else w for w, x64 in zip(want, x.astype(np.float64))])
    np.testing.assert_allclose(y, want, rtol=3e-7, atol=2e-45)
    zero = np.array(want) == 0
    np.testing.assert_array_equal(np.signbit(y[zero]), np.signbit(np.array(want)[zero]))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_nan_propagates(isa, name):
    x = np.full(37, np.nan, np.float32)
    assert np.isnan(getattr(K, name)(x)).all()


@pytest.mark.parametrize("name", sorted(GRAD))
def test_unary_backward_matches_float64(isa, name):
    saved, dref = GRAD[name]
    fwd, bwd = getattr(K, name), getattr(K, name + "_backward")
    for n in (0, 1, 17, 64, 1000):
        x = _inputs(name, n, seed=100 + n)
        dy = np.random.default_rng(n).uniform(-2, 2, n).astype(np.float32)
        s = x if saved != "y" else fwd(x)
        dx = bwd(dy) if saved is None else bwd(dy, s)
        want = dy * dref(s.astype(np.float64))
        # The composite derivatives cross zero (cancellation): absolute slack there.
        atol = 2e-7 if name in ("swish", "silu", "mish", "gelu", "gelu_new") else 1e-30
        np.testing.assert_allclose(dx, want, rtol=2e-6, atol=atol, err_msg=f"{name} n={n}")


def test_gelu_backward_and_alpha_variants(isa):
    x = np.linspace(-6, 6, 97).astype(np.float32)
    dy = np.ones_like(x)
    x64 = x.astype(np.float64)
    cdf = 0.5 * _erfc(-x64 / np.sqrt(2))
    pdf = np.exp(-0.5 * x64 ** 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(K.gelu_backward(dy, x), cdf + x64 * pdf, rtol=3e-7, atol=1e-12)
    u = np.sqrt(2 / np.pi) * (x64 + 0.044715 * x64 ** 3)
    t = np.tanh(u)
    g = 0.5 * (1 + t) + 0.5 * x64 * (1 - t ** 2) * np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * x64 ** 2)
    np.testing.assert_allclose(K.gelu_new_backward(dy, x), g, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(K.elu(x, alpha=0.5), np.where(x64 > 0, x64, 0.5 * np.expm1(x64)), rtol=3e-7)
    np.testing.assert_allclose(K.elu_backward(dy, x, alpha=0.5), np.where(x64 >= 0, 1, 0.5 * np.exp(x64)), rtol=3e-7)
    np.testing.assert_array_equal(K.leaky_relu(x, alpha=0.1), np.where(x > 0, x, np.float32(0.1) * x))
    np.testing.assert_array_equal(K.leaky_relu_backward(dy, x, alpha=0.1), np.where(x > 0, 1, np.float32(0.1)))


def test_backward_kink_conventions(isa):
    x = np.array([0.0, 6.0, -0.0, 2.5, -2.5], np.float32)
    dy = np.ones_like(x)
    np.testing.assert_array_equal(K.relu_backward(dy, x), [0, 1, 0, 1, 0])
    np.testing.assert_array_equal(K.relu6_backward(dy, x), [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(K.abs_backward(dy, x), [0, 1, 0, 1, -1])
    np.testing.assert_array_equal(K.leaky_relu_backward(dy, x), np.float32([0.2, 1, 0.2, 1, 0.2]))
    np.testing.assert_array_equal(K.elu_backward(dy, x)[:3], [1, 1, 1])  # TF.js: y >= 0 -> 1
    np.testing.assert_allclose(K.selu_backward(dy, x)[0], SELU_SCALE * SELU_ALPHA, rtol=1e-7)
    np.testing.assert_allclose(K.hard_sigmoid_backward(dy, x), [0.2, 0, 0.2, 0.2, 0.2], rtol=1e-7)


def test_unary_backward_vs_torch(isa):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    x = rng.uniform(-4, 4, 301).astype(np.float32)
    dy = rng.uniform(-1, 1, 301).astype(np.float32)
    cases = {"relu": F.relu, "relu6": F.relu6, "elu": F.elu, "selu": F.selu,
             "leaky_relu": lambda t: F.leaky_relu(t, 0.2), "sigmoid": torch.sigmoid,
             "log_sigmoid": F.logsigmoid, "tanh": torch.tanh, "softplus": F.softplus,
             "softsign": F.softsign, "swish": F.silu, "mish": F.mish,
             "gelu": F.gelu, "gelu_new": lambda t: F.gelu(t, approximate="tanh"),
             "sin": torch.sin, "cos": torch.cos, "square": torch.square, "abs": torch.abs}
    for name, tf in cases.items():
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        yt = tf(t)
        yt.backward(torch.tensor(dy, dtype=torch.float64))
        y = getattr(K, name)(x)
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-6, atol=1e-7, err_msg=name)
        saved = GRAD[name][0]
        dx = getattr(K, name + "_backward")(dy, x if saved == "x" else y)
        np.testing.assert_allclose(dx, t.grad.numpy(), rtol=2e-6, atol=1e-7, err_msg=name)


def test_unary_threads_bit_identical(threads):
    x = np.random.default_rng(2).uniform(-10, 10, 300_001).astype(np.float32)
    for name in ("exp", "tanh", "sigmoid", "relu", "gelu_new"):
        y = getattr(K, name)(x)
        y1 = np.empty_like(y)
        K.set_num_threads(1)
        getattr(K, name)(x, out=y1)
        np.testing.assert_array_equal(y, y1)


def test_unary_bad_inputs():
    x = np.ones(4, np.float32)
    with pytest.raises(TypeError, match="'x'.*float32"):
        K.relu(np.ones(4))
    with pytest.raises(TypeError, match="'x'"):
        K.relu([1.0, 2.0])
    with pytest.raises(ValueError, match="'x'.*C-contiguous"):
        K.relu(np.ones((4, 4), np.float32)[:, ::2])
    with pytest.raises(ValueError, match="'out'.*shape"):
        K.relu(x, out=np.ones(5, np.float32))
    with pytest.raises(ValueError, match="'out'.*writeable"):
        ro = np.ones(4, np.float32)
        ro.flags.writeable = False
        K.relu(x, out=ro)
    big = np.ones(8, np.float32)
    with pytest.raises(ValueError, match="share memory"):
        K.relu(big[:4], out=big[2:6])
    with pytest.raises(ValueError, match="sigmoid_backward: argument 'y'"):
        K.sigmoid_backward(x, np.ones(3, np.float32))
    with pytest.raises(ValueError, match="relu_backward: argument 'out'"):
        K.relu_backward(x, x, out=np.ones(3, np.float32))


# ---- binary ops -------------------------------------------------------------------------

BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "maximum": np.maximum, "minimum": np.minimum,
    "squared_difference": lambda a, b: np.square(a - b),
    "floor_div": np.floor_divide, "mod": np.remainder,
}
SHAPES = [((3, 4), (4,)), ((3, 4), ()), ((), (3, 4)), ((2, 1, 4), (3, 1)), ((5, 1), (1, 6)),
          ((0, 3), (3,)), ((1,), (7,)), ((2, 3, 4), (2, 3, 4)), ((4, 1, 3, 1), (1, 5, 1, 2)),
          ((17,), (17,)), ((65, 33), (65, 1)), ((1, 1), (1, 1)), ((2, 0), (1, 1))]


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcast_matches_numpy(isa, name):
    rng = np.random.default_rng(3)
    for sa, sb in SHAPES:
        a = rng.uniform(-10, 10, sa).astype(np.float32)
        b = rng.uniform(-10, 10, sb).astype(np.float32)
        if name in ("div", "floor_div", "mod"):
            b = np.where(np.abs(b) < 0.5, np.float32(3.0), b).astype(np.float32)
        out = getattr(K, name)(a, b)
        want = BINARY[name](a, b)
        assert out.shape == want.shape, (sa, sb)
        np.testing.assert_array_equal(out, want, err_msg=f"{name} {sa} {sb}")


def test_pow_and_special_binary(isa):
    rng = np.random.default_rng(4)
    a = rng.uniform(0.1, 10, (7, 9)).astype(np.float32)
    b = rng.uniform(-3, 3, (9,)).astype(np.float32)
    np.testing.assert_allclose(K.pow(a, b), a.astype(np.float64) ** b, rtol=3e-7)
    np.testing.assert_array_equal(K.pow(np.float32([-2, 0, 0, 4]), np.float32([3, 0, -1, 0.5])),
                                  np.float32([-8, 1, np.inf, 2]))
    nan = np.float32(np.nan)
    a = np.float32([1, nan, 3, nan, -0.0])
    b = np.float32([nan, 2, 1, nan, 0.0])
    assert np.isnan(K.maximum(a, b)[:2]).all() and np.isnan(K.minimum(a, b)[:2]).all()
    assert np.isnan(K.maximum(a, b)[3])
    with np.errstate(all="ignore"):
        a = np.float32([7, -7, 7, -7, 1, -1, 0, 5, -5, 7.5, 1, -1])
        b = np.float32([2, 2, -2, -2, np.inf, np.inf, 3, 0, 0, 2.5, -np.inf, -np.inf])
        np.testing.assert_array_equal(K.floor_div(a, b), np.floor_divide(a, b))
        np.testing.assert_array_equal(K.mod(a, b), np.remainder(a, b))
        np.testing.assert_array_equal(np.signbit(K.mod(a, b)), np.signbit(np.remainder(a, b)))


def test_binary_in_place_and_threads(threads):
    rng = np.random.default_rng(6)
    a = rng.standard_normal((300, 400)).astype(np.float32)
    b = rng.standard_normal(400).astype(np.float32)
    want = a + b
    np.testing.assert_array_equal(K.add(a, b), want)
    c = rng.standard_normal((300, 1)).astype(np.float32)
    np.testing.assert_array_equal(K.mul(a, c), a * c)
    np.testing.assert_array_equal(K.sub(c, b), c - b)
    big = rng.standard_normal(200_000).astype(np.float32)
    np.testing.assert_array_equal(K.mul(big, big), big * big)
    np.testing.assert_array_equal(K.add(big, np.array(2.0, np.float32)), big + np.float32(2))
    a2 = a.copy()
    assert K.add(a2, b, out=a2) is a2
    np.testing.assert_array_equal(a2, want)


def test_binary_bad_inputs():
    a = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match=r"add: operands could not be broadcast together: "
                                         r"a has shape \(3, 4\), b has shape \(5,\)"):
        K.add(a, np.ones(5, np.float32))
    with pytest.raises(TypeError, match="sub: argument 'b'.*float32"):
        K.sub(a, np.ones(4, np.int32))
    with pytest.raises(ValueError, match="mul: argument 'out' must have shape \\(3, 4\\)"):
        K.mul(a, a, out=np.ones((4, 3), np.float32))
    b = np.ones(4, np.float32)
    with pytest.raises(ValueError, match="share memory"):
        K.add(a, a[0], out=a)  # b is a row of out: would be read after being overwritten
    big = np.ones(8, np.float32)
    with pytest.raises(ValueError, match="share memory"):
        K.add(big[:4], b, out=big[1:5])


# ---- reductions -------------------------------------------------------------------------

REDUCE = {"reduce_sum": np.sum, "reduce_mean": np.mean, "reduce_max": np.max,
          "reduce_min": np.min, "reduce_prod": np.prod}
RSHAPES = [(1,), (7,), (64,), (1025,), (3, 5), (4, 1, 3), (2, 3, 300), (3, 70000), (300, 2, 3),
           (1, 1)]


@pytest.mark.parametrize("name", sorted(REDUCE))
def test_reductions_match_numpy(isa, name):
    rng = np.random.default_rng(7)
    for shape in RSHAPES:
        lo = 0.5 if name == "reduce_prod" else -1
        x = rng.uniform(lo, 1.5, shape).astype(np.float32)
        x64 = x.astype(np.float64)
        for axis in [None] + list(range(-len(shape), len(shape))):
            for keepdims in (False, True):
                got = getattr(K, name)(x, axis=axis, keepdims=keepdims)
                want = REDUCE[name](x64, axis=axis, keepdims=keepdims)
                assert got.shape == np.shape(want), (shape, axis, keepdims)
                if name in ("reduce_max", "reduce_min"):
                    np.testing.assert_array_equal(got, want)
                else:
                    scale = np.abs(x64).sum(axis=axis, keepdims=keepdims) if name != "reduce_prod" else np.abs(want)
                    n = x.size if axis is None else shape[axis]
                    if name == "reduce_mean":
                        scale = scale / max(n, 1)
                    assert np.all(np.abs(got - want) <= 3e-7 * scale + 1e-30), (name, shape, axis)


def test_reductions_nan_empty_and_out(isa):
    x = np.array([[1, np.nan, 3], [4, 5, 6]], np.float32)
    np.testing.assert_array_equal(K.reduce_max(x, axis=1), [np.nan, 6])
    np.testing.assert_array_equal(K.reduce_min(x, axis=0), [1, np.nan, 3])
    assert np.isnan(K.reduce_max(x)) and np.isnan(K.reduce_sum(x))
    long = np.zeros(1000, np.float32)
    long[999] = np.nan
    assert np.isnan(K.reduce_max(long)) and np.isnan(K.reduce_min(long))
    e = np.zeros((3, 0), np.float32)
    np.testing.assert_array_equal(K.reduce_sum(e, axis=1), [0, 0, 0])
    np.testing.assert_array_equal(K.reduce_prod(e, axis=1), [1, 1, 1])
    assert np.isnan(K.reduce_mean(e, axis=1)).all()
    assert K.reduce_sum(e, axis=0).shape == (0,)
    assert K.reduce_max(e, axis=0).shape == (0,)
    with pytest.raises(ValueError, match="reduce_max: cannot reduce over an empty axis"):
        K.reduce_max(e, axis=1)
    out = np.empty((3, 1), np.float32)
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert K.reduce_sum(x, axis=1, keepdims=True, out=out) is out
    np.testing.assert_array_equal(out, x.sum(1, keepdims=True))


def test_sum_long_axis_is_accurate(isa):
    x = np.full(3_000_001, 0.1, np.float32)
    want = 3_000_001 * np.float64(np.float32(0.1))
    # A plain float loop is off by ~1e-2 here; blocked float + double stays at float rounding.
    assert abs(float(K.reduce_sum(x)) - want) <= 1e-7 * want
    assert abs(float(K.reduce_mean(x)) - np.float32(0.1)) <= 1e-8


def test_reductions_threads_bit_identical(threads):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 200_003)).astype(np.float32)
    cases = [(x, None), (x, 1), (x, 0), (x.reshape(-1), 0), (x.reshape(600_009, 1), 0),
             (x.reshape(3, 1, 200_003), 0)]
    got = [K.reduce_sum(a, axis=ax) for a, ax in cases] + [K.column_sum(x.reshape(-1)[:599_998].reshape(-1, 7))]
    K.set_num_threads(1)
    want = [K.reduce_sum(a, axis=ax) for a, ax in cases] + [K.column_sum(x.reshape(-1)[:599_998].reshape(-1, 7))]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_argmax_argmin(isa):
    rng = np.random.default_rng(9)
    for shape in [(1,), (17,), (1000,), (5, 33), (4, 3, 70), (2, 300, 3)]:
        x = rng.integers(-5, 5, shape).astype(np.float32)  # many ties: first index wins
        for axis in [None] + list(range(len(shape))):
            for keepdims in (False, True):
                for name, ref in (("argmax", np.argmax), ("argmin", np.argmin)):
                    got = getattr(K, name)(x, axis=axis, keepdims=keepdims)
                    want = ref(x, axis=axis, keepdims=keepdims)
                    assert got.dtype == np.int32
                    np.testing.assert_array_equal(got, want, err_msg=f"{name} {shape} {axis}")
    x = np.float32([1, 5, np.nan, 5, np.nan, -np.inf])
    assert K.argmax(x) == 2 and K.argmin(x) == 2
    x = np.full(100, -np.inf, np.float32)
    assert K.argmax(x) == 0
    x[77] = np.nan
    assert K.argmax(x) == 77 and K.argmin(x) == 77
    m = np.float32([[1, np.nan], [np.nan, 2], [3, 4]])
    np.testing.assert_array_equal(K.argmax(m, axis=0), np.argmax(m, axis=0))
    np.testing.assert_array_equal(K.argmin(m, axis=1), np.argmin(m, axis=1))
    with pytest.raises(ValueError, match="argmax: attempt to get the index over an empty axis"):
        K.argmax(np.zeros((2, 0), np.float32), axis=1)


def test_column_sum(isa):
    rng = np.random.default_rng(10)
    for rows, cols in [(0, 3), (1, 1), (32, 32), (7, 5), (130, 257), (1000, 3)]:
        x = rng.standard_normal((rows, cols)).astype(np.float32)
        got = K.column_sum(x)
        want = x.astype(np.float64).sum(0)
        assert np.all(np.abs(got - want) <= 3e-7 * np.abs(x).sum(0) + 1e-30)
    out = np.empty(5, np.float32)
    x = np.ones((3, 5), np.float32)
    assert K.column_sum(x, out=out) is out
    np.testing.assert_array_equal(out, 3)


def test_reduction_bad_inputs():
    x = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="reduce_sum: argument 'axis' is out of range: axis=2"):
        K.reduce_sum(x, axis=2)
    with pytest.raises(ValueError, match="axis=-3"):
        K.reduce_mean(x, axis=-3)
    with pytest.raises(TypeError, match="'axis' must be an int or None"):
        K.reduce_sum(x, axis=(0, 1))
    with pytest.raises(TypeError, match="'axis'"):
        K.reduce_sum(x, axis=True)
    np.testing.assert_array_equal(K.reduce_sum(x, axis=np.int64(1)), [4, 4, 4])
    with pytest.raises(ValueError, match="reduce_sum: argument 'out' must have shape \\(3,\\)"):
        K.reduce_sum(x, axis=1, out=np.ones(4, np.float32))
    with pytest.raises(TypeError, match="argmax: argument 'out'.*int32"):
        K.argmax(x, axis=1, out=np.ones(3, np.float32))
    with pytest.raises(ValueError, match="column_sum: argument 'x' must have rank 2"):
        K.column_sum(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="share memory"):
        K.reduce_sum(x, axis=1, out=x.reshape(-1)[:3])


def _sum_to_shape_ref(x, to):
    y = x.astype(np.float64)
    y = y.sum(axis=tuple(range(x.ndim - len(to))))
    axes = tuple(i for i, t in enumerate(to) if t == 1 and y.shape[i] != 1)
    return y.sum(axis=axes, keepdims=True).reshape(to)


def test_sum_to_shape(isa):
    rng = np.random.default_rng(11)
    cases = [((3, 4), (4,)), ((3, 4), (3, 1)), ((3, 4), ()), ((2, 3, 4, 5), (3, 1, 5)),
             ((2, 3, 4, 5), (1, 3, 1, 1)), ((2, 3, 4, 5), (2, 1, 4, 1)), ((2, 3, 4), (2, 3, 4)),
             ((0, 3), (3,)), ((3, 0), (3, 1)), ((5, 1, 4), (1, 4)), ((300, 700), (700,))]
    for xs, to in cases:
        x = rng.standard_normal(xs).astype(np.float32)
        got = K.sum_to_shape(x, to)
        want = _sum_to_shape_ref(x, to)
        assert got.shape == tuple(to)
        scale = _sum_to_shape_ref(np.abs(x), to)
        assert np.all(np.abs(got - want) <= 3e-7 * scale + 1e-30), (xs, to)
    out = np.empty((3, 1), np.float32)
    assert K.sum_to_shape(np.ones((3, 4), np.float32), [3, 1], out=out) is out
    np.testing.assert_array_equal(out, 4)
    with pytest.raises(ValueError, match=r"sum_to_shape: shape \(5,\) does not broadcast to x's shape \(3, 4\)"):
        K.sum_to_shape(np.ones((3, 4), np.float32), (5,))
    with pytest.raises(TypeError, match="'shape' must be a tuple or list"):
        K.sum_to_shape(np.ones((3, 4), np.float32), 4)
