"""tn.train optimizers: 20 minimize() steps on a small network against (a) a numpy
implementation of each formula driven by float64 torch gradients and (b) torch.optim
itself where the formulas agree; plus the optimizer's bookkeeping and errors."""
import numpy as np
import pytest

import treino as tn

torch = pytest.importorskip("torch")

EPS = 1e-7
rng = np.random.default_rng(7)
X = rng.standard_normal((16, 6)).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
INIT = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in [(6, 5), (5,), (5, 3), (3,)]]


def tn_run(make_opt, steps=20):
    vs = [tn.variable(w) for w in INIT]
    opt = make_opt()
    x, y = tn.tensor(X), tn.tensor(Y)
    for _ in range(steps):
        opt.minimize(lambda: tn.losses.softmax_cross_entropy(
            y, x.matmul(vs[0]).add(vs[1]).tanh().matmul(vs[2]).add(vs[3])))
    return [v.numpy() for v in vs], opt


def torch_loss(ws):
    x, y = torch.tensor(X, dtype=ws[0].dtype), torch.tensor(Y, dtype=ws[0].dtype)
    logits = torch.tanh(x @ ws[0] + ws[1]) @ ws[2] + ws[3]
    return -(y * torch.log_softmax(logits, -1)).sum(-1).mean()


def numpy_run(update, state_init, steps=20):
    """Float64 weights; gradients by torch autograd; `update(p, g, state, t)` is the
    formula under test, written out in numpy."""
    ps = [w.astype(np.float64) for w in INIT]
    states = [state_init(p) for p in ps]
    for t in range(1, steps + 1):
        ws = [torch.tensor(p, requires_grad=True) for p in ps]
        torch_loss(ws).backward()
        for p, w, s in zip(ps, ws, states):
            update(p, w.grad.numpy(), s, t)
    return ps


def torch_run(make, steps=20):
    ws = [torch.tensor(w, requires_grad=True) for w in INIT]
    opt = make(ws)
    for _ in range(steps):
        opt.zero_grad()
        torch_loss(ws).backward()
        opt.step()
    return [w.detach().numpy() for w in ws]


def sgd_np(lr):
    def upd(p, g, s, t):
        p -= lr * g
    return upd, lambda p: {}


def momentum_np(lr, mom, nesterov):
    def upd(p, g, s, t):
        s["a"] = mom * s["a"] + g
        p -= lr * (g + mom * s["a"]) if nesterov else lr * s["a"]
    return upd, lambda p: {"a": np.zeros_like(p)}


def adagrad_np(lr, init):
    def upd(p, g, s, t):
        s["a"] += g * g
        p -= lr * g / np.sqrt(s["a"] + EPS)
    return upd, lambda p: {"a": np.full_like(p, init)}


def adadelta_np(lr, rho, eps):
    def upd(p, g, s, t):
        s["eg"] = rho * s["eg"] + (1 - rho) * g * g
        u = np.sqrt(s["edx"] + eps) / np.sqrt(s["eg"] + eps) * g
        s["edx"] = rho * s["edx"] + (1 - rho) * u * u
        p -= lr * u
    return upd, lambda p: {"eg": np.zeros_like(p), "edx": np.zeros_like(p)}


def adam_np(lr, b1, b2, eps):
    def upd(p, g, s, t):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        p -= lr * (s["m"] / (1 - b1 ** t)) / (np.sqrt(s["v"] / (1 - b2 ** t)) + eps)
    return upd, lambda p: {"m": np.zeros_like(p), "v": np.zeros_like(p)}


def adamax_np(lr, b1, b2, eps, decay):
    def upd(p, g, s, t):
        lr_t = lr / (1 + decay * (t - 1))
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["u"] = np.maximum(b2 * s["u"], np.abs(g))
        p -= lr_t / (1 - b1 ** t) * s["m"] / (s["u"] + eps)
    return upd, lambda p: {"m": np.zeros_like(p), "u": np.zeros_like(p)}


def rmsprop_np(lr, decay, mom, eps, centered):
    def upd(p, g, s, t):
        s["ms"] = decay * s["ms"] + (1 - decay) * g * g
        if centered:
            s["mg"] = decay * s["mg"] + (1 - decay) * g
            s["mom"] = mom * s["mom"] + lr * g / np.sqrt(s["ms"] - s["mg"] ** 2 + eps)
        else:
            s["mom"] = mom * s["mom"] + lr * g / np.sqrt(s["ms"] + eps)
        p -= s["mom"]
    return upd, lambda p: {"ms": np.zeros_like(p), "mg": np.zeros_like(p), "mom": np.zeros_like(p)}


CASES = {
    "sgd": (lambda: tn.train.sgd(0.1), sgd_np(0.1),
            lambda ws: torch.optim.SGD(ws, lr=0.1)),
    "momentum": (lambda: tn.train.momentum(0.05, 0.9), momentum_np(0.05, 0.9, False),
                 lambda ws: torch.optim.SGD(ws, lr=0.05, momentum=0.9)),
    "nesterov": (lambda: tn.train.momentum(0.05, 0.9, use_nesterov=True), momentum_np(0.05, 0.9, True),
                 lambda ws: torch.optim.SGD(ws, lr=0.05, momentum=0.9, nesterov=True)),
    # torch's adagrad adds eps outside the root; with eps=1e-7 vs an accumulator >= 0.1
    # the difference is far below the tolerance.
    "adagrad": (lambda: tn.train.adagrad(0.1), adagrad_np(0.1, 0.1),
                lambda ws: torch.optim.Adagrad(ws, lr=0.1, initial_accumulator_value=0.1, eps=0)),
    "adadelta": (lambda: tn.train.adadelta(1.0, 0.9, 1e-6), adadelta_np(1.0, 0.9, 1e-6),
                 lambda ws: torch.optim.Adadelta(ws, lr=1.0, rho=0.9, eps=1e-6)),
    "adam": (lambda: tn.train.adam(0.01), adam_np(0.01, 0.9, 0.999, 1e-7),
             lambda ws: torch.optim.Adam(ws, lr=0.01, eps=1e-7)),
    "adamax": (lambda: tn.train.adamax(0.01), adamax_np(0.01, 0.9, 0.999, 1e-7, 0.0),
               lambda ws: torch.optim.Adamax(ws, lr=0.01, eps=1e-7)),
    "adamax_decay": (lambda: tn.train.adamax(0.01, decay=0.1), adamax_np(0.01, 0.9, 0.999, 1e-7, 0.1), None),
    # torch's RMSprop puts eps outside the root: compared with the numpy formula only.
    "rmsprop": (lambda: tn.train.rmsprop(0.01), rmsprop_np(0.01, 0.9, 0.0, 1e-7, False), None),
    "rmsprop_centered_momentum": (lambda: tn.train.rmsprop(0.01, 0.9, 0.5, 1e-7, centered=True),
                                  rmsprop_np(0.01, 0.9, 0.5, 1e-7, True), None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_twenty_steps_match_formula_and_torch(name):
    make, (upd, init), make_torch = CASES[name]
    ours, opt = tn_run(make)
    assert opt.iterations == 20
    ref = numpy_run(upd, init)
    moved = max(np.abs(r - w).max() for r, w in zip(ref, INIT))
    assert moved > 1e-3, "the reference did not move: the test would prove nothing"
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5, err_msg=f"{name} vs numpy formula")
    if make_torch is not None:
        for a, b in zip(ours, torch_run(make_torch)):
            np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5, err_msg=f"{name} vs torch.optim")


def test_minimize_returns_cost_and_respects_var_list():
    a, b = tn.variable(tn.tensor([1.0, 2.0])), tn.variable(tn.tensor([3.0]))
    opt = tn.train.sgd(0.5)
    cost = opt.minimize(lambda: tn.sum(tn.square(a)) + tn.sum(b), return_cost=True, var_list=[a])
    assert cost.item() == pytest.approx(8.0)
    assert a.array() == [0.0, 0.0] and b.array() == [3.0]   # b untouched: not in var_list
    assert opt.minimize(lambda: tn.sum(tn.square(a))) is None


def test_learning_rate_settable_and_validated():
    opt = tn.train.sgd(0.1)
    opt.learning_rate = 0.5
    v = tn.variable(tn.tensor([1.0]))
    opt.minimize(lambda: tn.sum(v))
    assert v.array() == [0.5]
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = float("nan")
    with pytest.raises(ValueError, match="beta1"):
        tn.train.adam(0.1, beta1=1.5)


def test_apply_gradients_forms_and_errors_leave_state_unchanged():
    v = tn.variable(tn.tensor([1.0, 1.0]))
    w = tn.variable(tn.tensor([2.0]))
    opt = tn.train.adam(0.1)
    opt.apply_gradients({v.name: tn.tensor([1.0, -1.0])})
    opt.apply_gradients([(tn.tensor([1.0]), w)])
    assert opt.iterations == 2
    before = (v.numpy(), w.numpy(), [x["tensor"].numpy() for x in opt.get_weights()])
    with pytest.raises(ValueError, match="shape"):
        opt.apply_gradients({v.name: tn.tensor([1.0]), w.name: tn.tensor([1.0])})
    with pytest.raises(ValueError, match="no variable named"):
        opt.apply_gradients({"nope/kernel": tn.tensor([1.0])})
    after = (v.numpy(), w.numpy(), [x["tensor"].numpy() for x in opt.get_weights()])
    assert opt.iterations == 2
    for x, y in zip(before[:2], after[:2]):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(before[2], after[2]):
        np.testing.assert_array_equal(x, y)


def test_get_set_weights_resume_exactly():
    opt_a = tn.train.adam(0.05)
    v = tn.variable(tn.tensor([1.0, -2.0]))
    f = lambda: tn.sum(tn.square(v))  # noqa: E731
    for _ in range(3):
        opt_a.minimize(f)
    saved_w, saved_opt = v.numpy(), opt_a.get_weights()
    assert saved_opt[0]["name"] == "iter" and int(saved_opt[0]["tensor"].item()) == 3
    opt_a.minimize(f)
    expected = v.numpy()
    v.assign(saved_w)
    opt_b = tn.train.adam(0.05)
    opt_b.set_weights(saved_opt)
    opt_b.minimize(f)
    np.testing.assert_array_equal(v.numpy(), expected)


def test_variable_grads_errors():
    v = tn.variable(tn.tensor([1.0]), trainable=False)
    with pytest.raises(ValueError, match="to be trainable, but none is"):
        tn.variable_grads(lambda: tn.sum(v), [v])
    with pytest.raises(ValueError, match="scalar"):
        w = tn.variable(tn.tensor([1.0, 2.0]))
        tn.variable_grads(lambda: w * 2)
    with pytest.raises(ValueError, match="no trainable variable"):
        tn.variable_grads(lambda: tn.sum(tn.tensor([1.0])))
