"""The engine below the Layers API: the tape lives in a ContextVar (an op run in another
thread never lands on this thread's tape), and any function of tensors, a core-API
training loop included, is captured once and replayed bit-identically, with custom
gradients, multi-output nodes and random draws."""
import threading

import numpy as np
import pytest

import treino as tn
from treino.core import autodiff, engine, ops


def test_ops_in_another_thread_never_land_on_this_threads_tape():
    x = tn.tensor([1.0, 2.0])
    started, release = threading.Event(), threading.Event()
    other_ops = []

    def worker():
        started.wait(10)
        y = tn.tensor([3.0, 4.0])
        for _ in range(50):
            y = tn.mul(y, 1.0)
            other_ops.append(y)
        release.set()

    def f(x):
        started.set()
        release.wait(10)  # the other thread runs ops while this tape is active
        return tn.sum(tn.square(x))
    t = threading.Thread(target=worker)
    t.start()
    tape, y = autodiff._run(f, (x,), [x], False)
    t.join()
    assert len(other_ops) == 50
    assert [n.name for n in tape.nodes] == ["square", "sum"]
    assert tn.grad(f)(x).array() == [2.0, 4.0]


def test_custom_grad_does_not_swap_global_state_while_f_runs():
    seen = []

    def f(x, save):
        seen.append(autodiff.recording())  # f's own ops record nowhere
        return {"value": tn.square(x), "grad_func": lambda dy, saved: [dy * 3.0]}
    cg = tn.custom_grad(f)
    g = tn.grad(lambda x: tn.sum(cg(x)))(tn.tensor([1.0, 2.0]))
    assert g.array() == [3.0, 3.0] and seen == [False]
    assert autodiff._active.get() is None


def _core_loop_step(w, b, opt):
    def step(x, y):
        def loss():
            h = tn.dense(x, w, b, "relu")
            drop = tn.mul(h, tn.random_uniform(h.shape, seed=None))  # a random draw
            return tn.losses.mean_squared_error(y, tn.sum(drop, 1, keepdims=True))
        return [opt.minimize(loss, return_cost=True)]
    return step


def test_a_core_api_training_loop_is_captured_and_replayed_identically():
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(8, 5)).astype(np.float32) for _ in range(6)]
    ys = [rng.normal(size=(8, 1)).astype(np.float32) for _ in range(6)]
    runs = []
    for replay in (False, True):
        tn.set_seed(3)
        w = tn.variable(rng.normal(size=(5, 4)).astype(np.float32) if not runs else runs[0][2])
        b = tn.variable(np.zeros(4, np.float32))
        w0 = w.numpy()
        opt = tn.train.adam(0.05)
        step = _core_loop_step(w, b, opt)
        losses, program = [], None
        for x, y in zip(xs, ys):
            xt, yt = tn.tensor(x), tn.tensor(y)
            if not replay:
                losses.append(float(step(xt, yt)[0]))
            elif program is None:
                out, program, reason = engine.capture(step, (xt, yt))
                assert program is not None, reason
                losses.append(float(out[0]))
            else:
                losses.append(float(program.run((x, y))[0]))
        runs.append((losses, [w.numpy(), b.numpy()], w0, opt.iterations))
    (l0, w0s, _, it0), (l1, w1s, _, it1) = runs
    assert l0 == l1 and it0 == it1 == 6
    for a, c in zip(w0s, w1s):
        assert np.array_equal(a, c)
    assert not np.array_equal(w0s[0], runs[0][2])  # training moved the weights


def test_multi_output_nodes_and_custom_grad_replay():
    def f(x, save):
        return {"value": tn.mul(x, 2.0), "grad_func": lambda dy, saved: [dy * 5.0]}
    cg = tn.custom_grad(f)
    v = tn.variable(np.array([[1.0, -2.0], [0.5, 3.0]], np.float32))

    def step(labels):
        res = tn.variable_grads(lambda: tn.sum(
            ops.softmax_cross_entropy_with_logits(labels, cg(v))[0]))
        count = ops.softmax_cross_entropy_with_logits(labels, v)[1]
        return [res["value"], res["grads"][v.name], count]
    first = tn.tensor(np.eye(2, dtype=np.float32))
    out, program, reason = engine.capture(step, (first,))
    assert program is not None, reason
    second = np.eye(2, dtype=np.float32)[::-1].copy()
    got = program.run((second,))
    want = step(tn.tensor(second))
    for g, w in zip(got, want):
        assert np.array_equal(g, w.numpy())
    assert int(got[2]) == 0 and int(out[2].item()) == 2  # correct counts of each batch


def test_a_step_using_values_no_op_computed_is_not_replayed():
    v = tn.variable(np.ones(3, np.float32))
    opt = tn.train.sgd(0.1)

    def step(x):
        res = opt.compute_gradients(lambda: tn.sum(tn.mul(x, v)))
        g = res["grads"][v.name].numpy() * 2  # numpy outside the ops: not replayable
        opt.apply_gradients({v.name: g})
        return [res["value"]]
    out, program, reason = engine.capture(step, (tn.tensor(np.ones(3, np.float32)),))
    assert program is None and "no op computed" in reason


def test_a_program_keeps_no_array_of_the_capturing_run():
    """Programs live as long as the model: the batch they were captured on (and every
    intermediate of that run) must be freed, Python slots included."""
    import gc
    import weakref

    v = tn.variable(np.ones((4, 3), np.float32))
    opt = tn.train.sgd(0.1)

    seen = []

    def user_loss(p):  # runs as a Python slot
        out = tn.mean(tn.square(p))
        seen.append((weakref.ref(p._data), weakref.ref(out._data)))
        return out

    def step(x):
        res = opt.compute_gradients(
            lambda: engine.python_slot("loss", user_loss, (tn.matmul(x, v),)))
        opt.apply_gradients(res["grads"])
        return [res["value"]]
    x = tn.tensor(np.ones((2, 4), np.float32))
    out, program, reason = engine.capture(step, (x,))
    assert program is not None, reason
    refs = [weakref.ref(x._data), weakref.ref(out[0]._data), *seen[0]]
    del x, out, seen[:]
    gc.collect()
    assert all(r() is None for r in refs)
    got = program.run((np.full((2, 4), 2.0, np.float32),))
    assert got[0].shape == ()
