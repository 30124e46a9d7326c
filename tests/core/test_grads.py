"""Every differentiable op: forward against numpy (float64), gradient against float64
central finite differences and against torch.autograd (float64) when torch is there.

Each case reduces the op's output with fixed random weights, so the check covers the
full vector-Jacobian product, broadcasting included."""
import numpy as np
import pytest

import treino as tn

try:
    import torch
except ImportError:  # the torch comparison is skipped, the finite differences are not
    torch = None

rng = np.random.default_rng(1234)


def U(*shape, lo=-2.0, hi=2.0):
    return lambda: rng.uniform(lo, hi, shape)


def P(*shape):  # positive inputs
    return U(*shape, lo=0.3, hi=2.0)


def AWAY(*shape):  # |x| >= 0.25: away from the kinks of relu, abs, ...
    def gen():
        v = rng.uniform(0.25, 2.0, shape)
        return v * rng.choice([-1, 1], shape)
    return gen


# name: (treino fn, numpy fn, torch fn or None, input generators)
CASES = {
    "add_broadcast": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: a + b, [U(3, 4), U(4)]),
    "sub_broadcast": (lambda a, b: tn.sub(a, b), lambda a, b: a - b, lambda a, b: a - b, [U(3, 1), U(1, 4)]),
    "mul_broadcast": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: a * b, [U(2, 3, 4), U(3, 1)]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: a / b, [U(3, 4), P(4)]),
    "pow": (lambda a, b: tn.pow(a, b), np.power, torch and torch.pow, [P(3, 4), U(3, 4)]),
    "maximum": (tn.maximum, np.maximum, torch and torch.maximum, [U(3, 4), U(3, 4)]),
    "minimum": (tn.minimum, np.minimum, torch and torch.minimum, [U(3, 4), U(4)]),
    "squared_difference": (tn.squared_difference, lambda a, b: (a - b) ** 2, lambda a, b: (a - b) ** 2, [U(3, 4), U(3, 4)]),
    "mod": (tn.mod, np.remainder, torch and torch.remainder, [U(3, 4, lo=0.1, hi=3), P(4)]),
    "neg": (lambda a: -a, np.negative, torch and torch.neg, [U(3, 4)]),
    "abs": (tn.abs, np.abs, torch and torch.abs, [AWAY(3, 4)]),
    "square": (tn.square, np.square, torch and torch.square, [U(3, 4)]),
    "sqrt": (tn.sqrt, np.sqrt, torch and torch.sqrt, [P(3, 4)]),
    "rsqrt": (tn.rsqrt, lambda a: 1 / np.sqrt(a), torch and torch.rsqrt, [P(3, 4)]),
    "reciprocal": (tn.reciprocal, lambda a: 1 / a, torch and torch.reciprocal, [AWAY(3, 4)]),
    "exp": (tn.exp, np.exp, torch and torch.exp, [U(3, 4)]),
    "expm1": (tn.expm1, np.expm1, torch and torch.expm1, [U(3, 4)]),
    "log": (tn.log, np.log, torch and torch.log, [P(3, 4)]),
    "log1p": (tn.log1p, np.log1p, torch and torch.log1p, [P(3, 4)]),
    "sin": (tn.sin, np.sin, torch and torch.sin, [U(3, 4)]),
    "cos": (tn.cos, np.cos, torch and torch.cos, [U(3, 4)]),
    "relu": (tn.relu, lambda a: np.maximum(a, 0), torch and torch.relu, [AWAY(3, 4)]),
    "relu6": (tn.relu6, lambda a: np.clip(a, 0, 6), torch and (lambda a: torch.nn.functional.relu6(a)), [AWAY(3, 4)]),
    "elu": (tn.elu, lambda a: np.where(a > 0, a, np.expm1(a)), torch and (lambda a: torch.nn.functional.elu(a)), [AWAY(3, 4)]),
    "selu": (tn.selu, lambda a: 1.0507009873554805 * np.where(a > 0, a, 1.6732632423543772 * np.expm1(a)),
             torch and (lambda a: torch.nn.functional.selu(a)), [AWAY(3, 4)]),
    "leaky_relu": (tn.leaky_relu, lambda a: np.where(a > 0, a, 0.2 * a),
                   torch and (lambda a: torch.nn.functional.leaky_relu(a, 0.2)), [AWAY(3, 4)]),
    "sigmoid": (tn.sigmoid, lambda a: 1 / (1 + np.exp(-a)), torch and torch.sigmoid, [U(3, 4)]),
    "log_sigmoid": (tn.log_sigmoid, lambda a: -np.log1p(np.exp(-a)), torch and (lambda a: torch.nn.functional.logsigmoid(a)), [U(3, 4)]),
    "tanh": (tn.tanh, np.tanh, torch and torch.tanh, [U(3, 4)]),
    "softplus": (tn.softplus, lambda a: np.log1p(np.exp(a)), torch and (lambda a: torch.nn.functional.softplus(a)), [U(3, 4)]),
    "softsign": (tn.softsign, lambda a: a / (1 + np.abs(a)), torch and (lambda a: torch.nn.functional.softsign(a)), [AWAY(3, 4)]),
    "swish": (tn.swish, lambda a: a / (1 + np.exp(-a)), torch and (lambda a: torch.nn.functional.silu(a)), [U(3, 4)]),
    "mish": (tn.mish, lambda a: a * np.tanh(np.log1p(np.exp(a))), torch and (lambda a: torch.nn.functional.mish(a)), [U(3, 4)]),
    "gelu": (tn.gelu, None, torch and (lambda a: torch.nn.functional.gelu(a)), [U(3, 4)]),
    "prelu": (tn.prelu, lambda a, al: np.where(a > 0, a, al * a), None, [AWAY(3, 4), U(4)]),
    "clip_by_value": (lambda a: tn.clip_by_value(a, -1, 1), lambda a: np.clip(a, -1, 1),
                      torch and (lambda a: torch.clamp(a, -1, 1)), [lambda: rng.choice([-1.5, -1.2, -0.5, 0.3, 0.8, 1.3], (3, 4)) + rng.uniform(-0.05, 0.05, (3, 4))]),
    "matmul": (tn.matmul, np.matmul, torch and torch.matmul, [U(3, 5), U(5, 4)]),
    "matmul_tt": (lambda a, b: tn.matmul(a, b, True, True), lambda a, b: a.T @ b.T,
                  torch and (lambda a, b: a.T @ b.T), [U(5, 3), U(4, 5)]),
    "matmul_ta": (lambda a, b: tn.matmul(a, b, transpose_a=True), lambda a, b: a.T @ b,
                  torch and (lambda a, b: a.T @ b), [U(5, 3), U(5, 4)]),
    "matmul_tb": (lambda a, b: tn.matmul(a, b, transpose_b=True), lambda a, b: a @ b.T,
                  torch and (lambda a, b: a @ b.T), [U(3, 5), U(4, 5)]),
    "matmul_batched": (tn.matmul, np.matmul, torch and torch.matmul, [U(2, 3, 5), U(5, 4)]),
    "dot_mv": (tn.dot, np.dot, torch and torch.mv, [U(3, 5), U(5)]),
    "sum_axis": (lambda a: tn.sum(a, 1), lambda a: a.sum(1), torch and (lambda a: a.sum(1)), [U(3, 4, 2)]),
    "sum_axes_keep": (lambda a: tn.sum(a, [0, 2], keepdims=True), lambda a: a.sum((0, 2), keepdims=True),
                      torch and (lambda a: a.sum((0, 2), keepdim=True)), [U(3, 4, 2)]),
    "mean_all": (tn.mean, np.mean, torch and torch.mean, [U(3, 4)]),
    "max_axis": (lambda a: tn.max(a, 0), lambda a: a.max(0), torch and (lambda a: a.amax(0)), [U(3, 4)]),
    "min_all": (tn.min, np.min, torch and torch.amin, [U(3, 4)]),
    "prod_axis": (lambda a: tn.prod(a, 1), lambda a: a.prod(1), torch and (lambda a: a.prod(1)), [U(3, 4)]),
    "logsumexp": (lambda a: tn.logsumexp(a, 1), lambda a: np.log(np.exp(a).sum(1)),
                  torch and (lambda a: torch.logsumexp(a, 1)), [U(3, 4)]),
    "softmax": (tn.softmax, lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True),
                torch and (lambda a: torch.softmax(a, -1)), [U(3, 4)]),
    "log_softmax": (tn.log_softmax, lambda a: a - np.log(np.exp(a).sum(-1, keepdims=True)),
                    torch and (lambda a: torch.log_softmax(a, -1)), [U(3, 4)]),
    "reshape": (lambda a: tn.reshape(a, [4, -1]), lambda a: a.reshape(4, -1), torch and (lambda a: a.reshape(4, -1)), [U(3, 4)]),
    "transpose": (lambda a: tn.transpose(a, [2, 0, 1]), lambda a: a.transpose(2, 0, 1),
                  torch and (lambda a: a.permute(2, 0, 1)), [U(2, 3, 4)]),
    "expand_squeeze": (lambda a: tn.squeeze(tn.expand_dims(a, 1)) * 2, lambda a: a * 2, torch and (lambda a: a * 2), [U(3, 4)]),
    "concat": (lambda a, b: tn.concat([a, b], 1), lambda a, b: np.concatenate([a, b], 1),
               torch and (lambda a, b: torch.cat([a, b], 1)), [U(3, 2), U(3, 4)]),
    "stack": (lambda a, b: tn.stack([a, b], 1), lambda a, b: np.stack([a, b], 1),
              torch and (lambda a, b: torch.stack([a, b], 1)), [U(3, 4), U(3, 4)]),
    "split": (lambda a: tn.split(a, [1, 3], 1)[1] * 3, lambda a: a[:, 1:] * 3, torch and (lambda a: a[:, 1:] * 3), [U(3, 4)]),
    "slice": (lambda a: tn.slice(a, [1, 1], [2, -1]), lambda a: a[1:3, 1:], torch and (lambda a: a[1:3, 1:]), [U(3, 4)]),
    "gather": (lambda a: tn.gather(a, tn.tensor(np.array([2, 0, 2], np.int32)), 0), lambda a: a[[2, 0, 2]],
               torch and (lambda a: a[[2, 0, 2]]), [U(3, 4)]),
    "tile": (lambda a: tn.tile(a, [2, 3]), lambda a: np.tile(a, (2, 3)), torch and (lambda a: a.repeat(2, 3)), [U(3, 4)]),
    "pad": (lambda a: tn.pad(a, [[1, 0], [2, 1]], 5.0), lambda a: np.pad(a, [(1, 0), (2, 1)], constant_values=5.0),
            torch and (lambda a: torch.nn.functional.pad(a, (2, 1, 1, 0), value=5.0)), [U(3, 4)]),
    "where": (lambda a, b: tn.where(tn.greater(a, 0), a, b), lambda a, b: np.where(a > 0, a, b),
              torch and (lambda a, b: torch.where(a > 0, a, b)), [AWAY(3, 4), U(4)]),
    "dense_relu": (lambda x, w, b: tn.dense(x, w, b, "relu"), lambda x, w, b: np.maximum(x @ w + b, 0),
                   torch and (lambda x, w, b: torch.relu(x @ w + b)), [U(5, 3), U(3, 4), U(4)]),
    "dense_sigmoid": (lambda x, w: tn.dense(x, w, None, "sigmoid"), lambda x, w: 1 / (1 + np.exp(-(x @ w))),
                      torch and (lambda x, w: torch.sigmoid(x @ w)), [U(5, 3), U(3, 4)]),
}


def _f32(xs):
    return [x.astype(np.float32) for x in xs]


def _weighted(out, w):
    return tn.sum(tn.mul(out, w))


def _fd_grads(fn, xs, w, eps=1e-3):
    """Central differences of sum(fn(xs) * w) in float64 over float32 ops."""
    grads = []
    for i, x in enumerate(xs):
        g = np.zeros(x.shape)
        for idx in np.ndindex(x.shape):
            vals = []
            for sgn in (1, -1):
                xp = [v.copy() for v in xs]
                xp[i] = xp[i].astype(np.float64)
                xp[i][idx] += sgn * eps
                out = fn(*[tn.tensor(v.astype(np.float32)) for v in xp]).numpy().astype(np.float64)
                vals.append((out * w).sum())
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_gradient(name):
    fn, np_fn, torch_fn, gens = CASES[name]
    xs = _f32([g() for g in gens])
    out = fn(*[tn.tensor(x) for x in xs])
    x64 = [x.astype(np.float64) for x in xs]
    if np_fn is not None:
        np.testing.assert_allclose(out.numpy(), np_fn(*x64), rtol=2e-5, atol=2e-6)
    w = rng.uniform(0.5, 1.5, out.shape)
    ours = tn.grads(lambda *ts: _weighted(fn(*ts), tn.tensor(w)))([tn.tensor(x) for x in xs])
    for g, x in zip(ours, xs):
        assert g.shape == x.shape and g.dtype == "float32"
    for g, fd in zip(ours, _fd_grads(fn, xs, w)):
        np.testing.assert_allclose(g.numpy(), fd, rtol=1e-2, atol=2e-3, err_msg=f"{name} vs finite differences")
    if torch is not None and torch_fn is not None:
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in x64]
        (torch_fn(*ts) * torch.tensor(w)).sum().backward()
        for g, t in zip(ours, ts):
            np.testing.assert_allclose(g.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=f"{name} vs torch")


def _random_broadcast_pair(r):
    rank = int(r.integers(1, 4))
    shape = [int(d) for d in r.integers(1, 5, rank)]
    other = [d if r.random() < 0.6 else 1 for d in shape]
    other = other[int(r.integers(0, rank)):]  # drop leading axes sometimes
    return (shape, other) if r.random() < 0.5 else (other, shape)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "squared_difference"])
def test_binary_gradients_random_broadcast_shapes(op, seed):
    """Random broadcastable shape pairs: values and both gradients (summed back to each
    operand's shape) against torch, or float64 finite differences without torch."""
    r = np.random.default_rng(seed)
    sa, sb = _random_broadcast_pair(r)
    a = r.uniform(0.5, 2, sa).astype(np.float32)
    b = r.uniform(0.5, 2, sb).astype(np.float32) * r.choice([-1, 1], sb)
    fn = getattr(tn, op)
    w = r.uniform(0.5, 1.5, np.broadcast_shapes(a.shape, b.shape))
    ga, gb = tn.grads(lambda x, y: _weighted(fn(x, y), tn.tensor(w)))([tn.tensor(a), tn.tensor(b)])
    assert ga.shape == a.shape and gb.shape == b.shape
    if torch is None:
        fa, fb = _fd_grads(fn, [a, b], w)
    else:
        ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        tfn = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
               "maximum": torch.maximum, "squared_difference": lambda x, y: (x - y) ** 2}[op]
        (tfn(ta, tb) * torch.tensor(w)).sum().backward()
        fa, fb = ta.grad.numpy(), tb.grad.numpy()
    # Finite differences over float32 ops carry ~1e-4 of rounding noise; torch's float64
    # autograd none.
    tol = dict(rtol=1e-4, atol=1e-5) if torch is not None else dict(rtol=1e-2, atol=2e-3)
    np.testing.assert_allclose(ga.numpy(), fa, **tol)
    np.testing.assert_allclose(gb.numpy(), fb, **tol)
