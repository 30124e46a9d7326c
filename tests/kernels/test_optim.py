"""Optimizer update kernels vs hand-written float64 numpy formulas (TF.js's, and the
published Adadelta), vs torch.optim where the formulas agree, and bad calls that must
change nothing."""
import numpy as np
import pytest

from treino import _kernels as K

F32 = np.float32
SHAPES = [(1,), (17,), (1000,), (3, 5)]  # several variables updated in one call
STEPS = 20


# --- float64 references: state lists are updated in place, like the kernels ---------

def np_sgd(p, g, s, t, lr):
    p -= lr * g


def np_momentum(p, g, s, t, lr, momentum, use_nesterov=False):
    (a,) = s
    a[...] = momentum * a + g
    p -= lr * (g + momentum * a) if use_nesterov else lr * a


def np_adagrad(p, g, s, t, lr, epsilon=1e-7):
    (a,) = s
    a += g * g
    p -= lr * g / np.sqrt(a + epsilon)


def np_adadelta(p, g, s, t, lr, rho, epsilon=1e-7):
    eg, edx = s
    eg[...] = rho * eg + (1 - rho) * g * g
    u = np.sqrt(edx + epsilon) / np.sqrt(eg + epsilon) * g
    edx[...] = rho * edx + (1 - rho) * u * u
    p -= lr * u


def np_adam(p, g, s, t, lr, beta1, beta2, epsilon):
    m, v = s
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    p -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + epsilon)


def np_adamax(p, g, s, t, lr, beta1, beta2, epsilon, decay=0.0):
    m, u = s
    lr_t = lr / (1 + decay * (t - 1))
    m[...] = beta1 * m + (1 - beta1) * g
    u[...] = np.maximum(beta2 * u, np.abs(g))
    p -= lr_t / (1 - beta1**t) * m / (u + epsilon)


def np_rmsprop(p, g, s, t, lr, decay, momentum, epsilon, centered=False):
    ms, mom = s[0], s[1]
    ms[...] = decay * ms + (1 - decay) * g * g
    if centered:
        mg = s[2]
        mg[...] = decay * mg + (1 - decay) * g
        mom[...] = momentum * mom + lr * g / np.sqrt(ms - mg * mg + epsilon)
    else:
        mom[...] = momentum * mom + lr * g / np.sqrt(ms + epsilon)
    p -= mom


# name -> (kernel, numpy reference, number of state lists, initial state value,
#          hyper-parameters, whether the kernel takes the step)
CASES = {
    "sgd": (K.sgd_update, np_sgd, 0, 0.0, dict(lr=0.05), False),
    "momentum": (K.momentum_update, np_momentum, 1, 0.0, dict(lr=0.05, momentum=0.9), False),
    "nesterov": (K.momentum_update, np_momentum, 1, 0.0,
                 dict(lr=0.05, momentum=0.9, use_nesterov=True), False),
    "adagrad": (K.adagrad_update, np_adagrad, 1, 0.1, dict(lr=0.05), False),
    "adadelta": (K.adadelta_update, np_adadelta, 2, 0.0,
                 dict(lr=1.0, rho=0.95, epsilon=1e-6), False),
    "adam": (K.adam_update, np_adam, 2, 0.0,
             dict(lr=0.01, beta1=0.9, beta2=0.999, epsilon=1e-7), True),
    "adamax": (K.adamax_update, np_adamax, 2, 0.0,
               dict(lr=0.02, beta1=0.9, beta2=0.999, epsilon=1e-7, decay=0.01), True),
    "rmsprop": (K.rmsprop_update, np_rmsprop, 2, 0.0,
                dict(lr=0.01, decay=0.9, momentum=0.5, epsilon=1e-7), False),
    "rmsprop_centered": (K.rmsprop_update, np_rmsprop, 3, 0.0,
                         dict(lr=0.01, decay=0.9, momentum=0.5, epsilon=1e-7, centered=True),
                         False),
}


def call_kernel(name, params, grads, states, t, hp=None):
    kernel, _, _, _, default_hp, takes_step = CASES[name]
    hp = dict(default_hp if hp is None else hp)
    if takes_step:
        hp["step"] = t
    if name == "rmsprop_centered":
        return kernel(params, grads, states[0], states[1], mgs=states[2], **hp)
    return kernel(params, grads, *states, **hp)


def make_problem(name, shapes, seed):
    _, _, n_states, init, _, _ = CASES[name]
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(F32) for s in shapes]
    states = [[np.full(s, init, F32) for s in shapes] for _ in range(n_states)]
    return rng, params, states


def run_both(name, shapes, seed=0, steps=STEPS, hp=None, init=None):
    """Runs the kernel and the float64 reference side by side; returns both states."""
    _, ref, _, _, default_hp, _ = CASES[name]
    hp = default_hp if hp is None else hp
    rng, params, states = make_problem(name, shapes, seed)
    if init is not None:
        for lst in states:
            for a in lst:
                a.fill(init)
    p64 = [p.astype(np.float64) for p in params]
    s64 = [[a.astype(np.float64) for a in lst] for lst in states]
    for t in range(1, steps + 1):
        grads = [rng.standard_normal(s).astype(F32) for s in shapes]
        assert call_kernel(name, params, grads, states, t, hp) is None
        for i in range(len(shapes)):
            ref(p64[i], grads[i].astype(np.float64), [lst[i] for lst in s64], t, **hp)
    return (params, states), (p64, s64)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_numpy_formula(isa, name):
    (params, states), (p64, s64) = run_both(name, SHAPES)
    for i in range(len(SHAPES)):
        assert params[i].dtype == F32 and params[i].shape == SHAPES[i]
        np.testing.assert_allclose(params[i], p64[i], rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name} params[{i}]")
        for k, lst in enumerate(states):
            np.testing.assert_allclose(lst[i], s64[k][i], rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name} state {k} [{i}]")


@pytest.mark.parametrize("name", sorted(n for n in CASES if "epsilon" in CASES[n][4]
                                         or n == "adagrad"))
def test_epsilon_placement(isa, name):
    # A large epsilon and zero accumulators make inside/outside the root distinguishable.
    hp = dict(CASES[name][4], epsilon=0.25)
    (params, states), (p64, s64) = run_both(name, [(33,)], seed=9, steps=3, hp=hp, init=0.0)
    np.testing.assert_allclose(params[0], p64[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_large_variable_same_on_any_thread_count(isa, name):
    # 70k elements (threads from 65536): split into parallel chunks, bit-identical.
    shapes = [(70_001,), (7,)]
    results = []
    for nt in (1, 2):
        previous = K.get_num_threads()
        K.set_num_threads(nt)
        try:
            (params, states), (p64, _) = run_both(name, shapes, seed=3, steps=3)
        finally:
            K.set_num_threads(previous)
        np.testing.assert_allclose(params[0], p64[0], rtol=1e-5, atol=1e-6)
        results.append([params] + states)
    for a, b in zip(results[0], results[1]):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_isas_agree_closely():
    paths = K.cpu_info()["supported_isas"]
    previous = K.cpu_info()["isa"]
    outs = []
    try:
        for path in paths:
            K.set_isa(path)
            (params, _), _ = run_both("adam", [(1000,)], seed=5, steps=5)
            outs.append(params[0])
    finally:
        K.set_isa(previous)
    for o in outs[1:]:
        np.testing.assert_allclose(o, outs[0], rtol=1e-6, atol=1e-7)


def test_adamax_decay_counts_from_first_step(isa):
    # TF.js: lr / (1 + decay * iteration) with iteration 0 on the first call.
    p, g, m, u = [np.ones(4, F32)], [np.full(4, 2.0, F32)], [np.zeros(4, F32)], [np.zeros(4, F32)]
    K.adamax_update(p, g, m, u, lr=0.1, beta1=0.9, beta2=0.999, epsilon=0.0, step=1, decay=5.0)
    # m = 0.2, u = 2, m / (1 - 0.9) / u = 1  ->  p = 1 - 0.1
    np.testing.assert_allclose(p[0], 0.9, rtol=1e-6)
    K.adamax_update(p, g, m, u, lr=0.1, beta1=0.9, beta2=0.999, epsilon=0.0, step=2, decay=5.0)
    # lr_t = 0.1 / 6; m = 0.38; bias 1 - 0.81 = 0.19; u = 2  ->  step of lr_t * 1
    np.testing.assert_allclose(p[0], 0.9 - 0.1 / 6, rtol=1e-6)


def test_empty_lists_zero_size_and_scalar_params(isa):
    K.adam_update([], [], [], [], 0.1, 0.9, 0.999, 1e-7, 1)
    z = np.zeros((0, 3), F32)
    K.sgd_update([z], [z.copy()], 0.1)
    p, g, a = np.array(2.0, F32), np.array(1.0, F32), np.array(0.0, F32)
    K.momentum_update((p,), (g,), (a,), lr=0.5, momentum=0.9)
    assert p == F32(1.5) and a == F32(1.0)


def test_lr_zero_and_negative_allowed(isa):
    p = [np.ones(5, F32)]
    K.sgd_update(p, [np.ones(5, F32)], 0)
    np.testing.assert_array_equal(p[0], 1.0)
    K.sgd_update(p, [np.ones(5, F32)], -1.0)
    np.testing.assert_array_equal(p[0], 2.0)


def test_gradients_may_be_shared():
    g = np.ones(3, F32)
    p = [np.zeros(3, F32), np.zeros(3, F32)]
    K.sgd_update(p, [g, g], 1.0)
    np.testing.assert_array_equal(p[1], -1.0)


# --- torch.optim as a second reference -------------------------------------------

def torch_case(torch, name):
    o = torch.optim
    # Settings under which torch's formula equals TF.js's: torch puts epsilon outside
    # the square root (adagrad, rmsprop) and inside the max (adamax), so those run with
    # epsilon = 0 in both; adagrad's initial accumulator is TF.js's 0.1 in both.
    return {
        "sgd": (lambda ps: o.SGD(ps, lr=0.05), K.sgd_update, 0, 0.0, dict(lr=0.05)),
        "momentum": (lambda ps: o.SGD(ps, lr=0.05, momentum=0.9), K.momentum_update, 1, 0.0,
                     dict(lr=0.05, momentum=0.9)),
        "nesterov": (lambda ps: o.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
                     K.momentum_update, 1, 0.0, dict(lr=0.05, momentum=0.9, use_nesterov=True)),
        "adagrad": (lambda ps: o.Adagrad(ps, lr=0.05, initial_accumulator_value=0.1, eps=0.0),
                    K.adagrad_update, 1, 0.1, dict(lr=0.05, epsilon=0.0)),
        "adadelta": (lambda ps: o.Adadelta(ps, lr=1.0, rho=0.95, eps=1e-6), K.adadelta_update,
                     2, 0.0, dict(lr=1.0, rho=0.95, epsilon=1e-6)),
        "adam": (lambda ps: o.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-7), K.adam_update,
                 2, 0.0, dict(lr=0.01, beta1=0.9, beta2=0.999, epsilon=1e-7)),
        "adamax": (lambda ps: o.Adamax(ps, lr=0.02, betas=(0.9, 0.999), eps=0.0),
                   K.adamax_update, 2, 0.0, dict(lr=0.02, beta1=0.9, beta2=0.999, epsilon=0.0)),
        "rmsprop": (lambda ps: o.RMSprop(ps, lr=0.01, alpha=0.9, eps=0.0, momentum=0.5),
                    K.rmsprop_update, 2, 0.0,
                    dict(lr=0.01, decay=0.9, momentum=0.5, epsilon=0.0)),
        "rmsprop_centered": (lambda ps: o.RMSprop(ps, lr=0.01, alpha=0.9, eps=0.0,
                                                  momentum=0.5, centered=True),
                             K.rmsprop_update, 3, 0.0,
                             dict(lr=0.01, decay=0.9, momentum=0.5, epsilon=0.0)),
    }[name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_optim(isa, name):
    torch = pytest.importorskip("torch")
    make_opt, kernel, n_states, init, hp = torch_case(torch, name)
    rng = np.random.default_rng(11)
    shapes = [(1,), (17,), (257,)]
    params = [rng.standard_normal(s).astype(F32) for s in shapes]
    states = [[np.full(s, init, F32) for s in shapes] for _ in range(n_states)]
    tparams = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    opt = make_opt(tparams)
    for t in range(1, STEPS + 1):
        grads = [rng.standard_normal(s).astype(F32) for s in shapes]
        for tp, g in zip(tparams, grads):
            tp.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        kw = dict(hp)
        if kernel in (K.adam_update, K.adamax_update):
            kw["step"] = t
        if n_states == 3:
            kernel(params, grads, states[0], states[1], centered=True, mgs=states[2], **kw)
        else:
            kernel(params, grads, *states, **kw)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-5, atol=1e-6)


# --- bad calls raise before anything changes ----------------------------------------

def snapshot(*lists):
    return [[a.copy() for a in lst] for lst in lists]


def assert_unchanged(before, *lists):
    for b_lst, lst in zip(before, lists):
        for b, a in zip(b_lst, lst):
            np.testing.assert_array_equal(a, b)


def adam_lists(n=3):
    rng = np.random.default_rng(0)
    shapes = [(4,), (2, 3), (5,)][:n]
    P = [rng.standard_normal(s).astype(F32) for s in shapes]
    G = [rng.standard_normal(s).astype(F32) for s in shapes]
    M = [rng.standard_normal(s).astype(F32) for s in shapes]
    V = [rng.random(s).astype(F32) for s in shapes]
    return P, G, M, V


def expect_adam_error(exc, match, mutate=None, **over):
    P, G, M, V = adam_lists()
    if mutate:
        mutate(P, G, M, V)
    before = snapshot(P, G, M, V)
    kw = dict(lr=0.1, beta1=0.9, beta2=0.999, epsilon=1e-7, step=1)
    kw.update(over)
    with pytest.raises(exc, match=match):
        K.adam_update(P, G, M, V, **kw)
    assert_unchanged(before, P, G, M, V)


def test_bad_lists_change_nothing(isa):
    def shorter(P, G, M, V):
        V.pop()
    expect_adam_error(ValueError, r"'vs'.*'params' has 3.*'vs' has 2", shorter)

    def wrong_shape(P, G, M, V):
        M[2] = np.zeros((6,), F32)
    expect_adam_error(ValueError, r"'ms\[2\]' must have the shape of 'params\[2\]' \(5,\).*\(6,\)",
                      wrong_shape)

    def wrong_dtype(P, G, M, V):
        G[1] = G[1].astype(np.float64)
    expect_adam_error(TypeError, r"grads\[1\].*float32", wrong_dtype)

    def strided(P, G, M, V):
        P[2] = np.zeros(10, F32)[::2]
    expect_adam_error(ValueError, r"params\[2\].*C-contiguous", strided)

    def readonly(P, G, M, V):
        V[2].setflags(write=False)
    expect_adam_error(ValueError, r"vs\[2\].*writeable", readonly)

    def not_array(P, G, M, V):
        M[1] = [[0.0] * 3] * 2
    expect_adam_error(TypeError, r"ms\[1\]", not_array)


def test_aliasing_is_refused(isa):
    def grad_is_param(P, G, M, V):
        G[2] = P[2]
    expect_adam_error(ValueError, r"'params\[2\]' and 'grads\[2\]'|'grads\[2\]' and 'params\[2\]'",
                      grad_is_param)

    def state_is_state(P, G, M, V):
        V[1] = M[1]
    expect_adam_error(ValueError, r"must not share memory", state_is_state)

    def views_of_one_buffer(P, G, M, V):
        buf = np.zeros(9, F32)
        P[2] = buf[:5]
        M[0] = buf[5:]  # disjoint from P[2]: fine
        V[0] = buf[4:8]  # overlaps both
    expect_adam_error(ValueError, r"must not share memory", views_of_one_buffer)

    def same_param_twice(P, G, M, V):
        P[1] = P[0]
        G[1], M[1], V[1] = G[0].copy(), M[0].copy(), V[0].copy()
    expect_adam_error(ValueError, r"'params\[0\]' and 'params\[1\]'", same_param_twice)


def test_bad_hyper_parameters_change_nothing(isa):
    expect_adam_error(ValueError, r"'lr' must be finite", lr=float("nan"))
    expect_adam_error(ValueError, r"'beta2' must be finite", beta2=float("inf"))
    expect_adam_error(TypeError, r"'epsilon' must be a real number", epsilon="tiny")
    expect_adam_error(ValueError, r"'step'.*received 0", step=0)
    expect_adam_error(TypeError, r"'step' must be an int", step=1.5)
    expect_adam_error(TypeError, r"'step' must be an int", step=True)
    expect_adam_error(ValueError, r"'beta1'.*bias correction", beta1=1.0)


def test_bad_calls_other_optimizers():
    p, g, a = [np.ones(3, F32)], [np.ones(3, F32)], [np.zeros(3, F32)]
    with pytest.raises(TypeError, match=r"'params' must be a list"):
        K.sgd_update(p[0], g[0], 0.1)
    with pytest.raises(ValueError, match=r"'momentum' must be finite"):
        K.momentum_update(p, g, a, 0.1, float("nan"))
    with pytest.raises(ValueError, match=r"centered=True needs 'mgs'"):
        K.rmsprop_update(p, g, a, [np.zeros(3, F32)], 0.1, 0.9, 0.0, 1e-7, centered=True)
    with pytest.raises(ValueError, match=r"'mgs' is only used with centered=True"):
        K.rmsprop_update(p, g, a, [np.zeros(3, F32)], 0.1, 0.9, 0.0, 1e-7, mgs=[np.zeros(3, F32)])
    with pytest.raises(ValueError, match=r"'decay'"):
        K.adamax_update(p, g, a, [np.zeros(3, F32)], 0.1, 0.9, 0.999, 1e-7, step=2, decay=-1.0)
    with pytest.raises(ValueError, match=r"'accum_updates'"):
        K.adadelta_update(p, g, a, [], 1.0, 0.95)
    np.testing.assert_array_equal(p[0], 1.0)
    np.testing.assert_array_equal(a[0], 0.0)
