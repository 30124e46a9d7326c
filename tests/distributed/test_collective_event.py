"""The engine's collective event (core/engine.py: engine.collective), in one process with
a stand-in exchange: a captured step calls it again at every replay, between the
backward and the update, with the gradients as consecutive views of the program's flat
buffer followed by the spare elements it asked for; its outputs feed the update and the
step's result; replay and eager steps give the same bits; raising in it stops the step
before its update. (The real exchange over MPI: test_fit_mpi.py.)"""
import numpy as np
import pytest

import treino as tn
from treino.core import engine
from treino.core.tensor import Tensor
from treino.distributed.step import flat_base


class Doubling:
    """Stands in for an all-reduce over two processes holding the same gradients: every
    gradient doubled (in place when given the flat buffer), and the loss doubled."""
    reserve = 3

    def __init__(self):
        self.calls, self.flat, self.raise_next = 0, [], False

    def __call__(self, *arrays):
        self.calls += 1
        grads, loss = arrays[:-1], arrays[-1]
        base = flat_base(grads, self.reserve)
        self.flat.append(base is not None)
        if self.raise_next:
            raise RuntimeError("stop before the update")
        if base is not None:
            base[len(base) - self.reserve:] = np.nan  # the spare elements are its own
            np.multiply(base, 2, out=base)
            out = list(grads)
        else:
            out = [g * 2 for g in grads]
        return out + [np.asarray(loss * 2, np.float32)]


def _setup(seed=0):
    rng = np.random.default_rng(seed)
    w1 = tn.variable(rng.normal(size=(4, 3)).astype(np.float32))
    b1 = tn.variable(np.zeros(3, np.float32))
    w2 = tn.variable(rng.normal(size=(3, 2)).astype(np.float32))
    return [w1, b1, w2], tn.train.adam(0.05)


def _step(variables, optimizer, fn):
    w1, b1, w2 = variables

    def step(x, y):
        def loss():
            h = tn.dense(x, w1, b1, activation="tanh")
            return tn.mean(tn.square(tn.sub(tn.matmul(h, w2), y)))
        res = optimizer.compute_gradients(loss, variables)
        grads = [res["grads"][v.name]._data for v in variables]
        out = engine.collective(fn, grads + [res["value"]._data])
        optimizer.apply_gradients([(Tensor(g), v) for g, v in zip(out[:-1], variables)])
        return [Tensor(out[-1])]
    return step


def _batches(n=5):
    rng = np.random.default_rng(7)
    return [(Tensor(rng.normal(size=(6, 4)).astype(np.float32)),
             Tensor(rng.normal(size=(6, 2)).astype(np.float32))) for _ in range(n)]


def test_replayed_collective_matches_the_eager_step_bit_for_bit():
    batches = _batches()
    eager_vars, eager_opt = _setup()
    eager_fn = Doubling()
    eager_losses = [_step(eager_vars, eager_opt, eager_fn)(*b)[0].item() for b in batches]

    vars_, opt = _setup()  # the same initial values, other variables
    fn = Doubling()
    step = _step(vars_, opt, fn)
    result, program, reason = engine.capture(step, list(batches[0]))
    assert program is not None, reason
    losses = [result[0].item()] + [program.run([b[0]._data, b[1]._data])[0].item()
                                   for b in batches[1:]]
    assert fn.calls == eager_fn.calls == len(batches)
    # Eager: separate gradient arrays; replayed: views of the flat buffer, which holds
    # the three spare elements after the 12 + 3 + 6 gradients.
    assert fn.flat == [False] + [True] * (len(batches) - 1) and not any(eager_fn.flat)
    assert program.flat_grads.shape == (12 + 3 + 6 + 3,)
    assert "coll" in program.source and program.source.index("coll") < \
        program.source.index("_apply_arrays")
    assert losses == eager_losses
    for v, e in zip(vars_, eager_vars):
        assert np.array_equal(v.numpy(), e.numpy())
    for a, b in zip(opt.get_weights(), eager_opt.get_weights()):
        assert np.array_equal(a["tensor"].numpy(), b["tensor"].numpy())


def test_a_doubled_gradient_is_what_the_update_reads():
    # sgd: w - lr * 2g, against the gradient computed by hand (the loss is linear in w).
    w = tn.variable(np.ones((2,), np.float32), name="cw_linear")
    opt = tn.train.sgd(0.5)
    fn = Doubling()
    x = Tensor(np.array([1.0, 3.0], np.float32))

    def step(x):
        res = opt.compute_gradients(lambda: tn.sum(tn.mul(w, x)), [w])
        out = engine.collective(fn, [res["grads"]["cw_linear"]._data, res["value"]._data])
        opt.apply_gradients([(Tensor(out[0]), w)])
        return [Tensor(out[1])]
    _, program, reason = engine.capture(step, [x])
    assert program is not None, reason
    np.testing.assert_array_equal(w.numpy(), [1 - 0.5 * 2 * 1, 1 - 0.5 * 2 * 3])
    (loss,) = program.run([x._data])
    assert loss.item() == 2 * (0.0 * 1 + -2.0 * 3)
    np.testing.assert_array_equal(w.numpy(), [0.0 - 1.0, -2.0 - 3.0])


def test_raising_in_the_collective_stops_the_step_before_its_update():
    batches = _batches(2)
    vars_, opt = _setup(2)
    fn = Doubling()
    _, program, reason = engine.capture(_step(vars_, opt, fn), list(batches[0]))
    assert program is not None, reason
    before = [v.numpy() for v in vars_]
    iterations = opt.iterations
    fn.raise_next = True
    with pytest.raises(RuntimeError, match="before the update"):
        program.run([batches[1][0]._data, batches[1][1]._data])
    assert opt.iterations == iterations
    for v, b in zip(vars_, before):
        assert np.array_equal(v.numpy(), b)


def test_flat_base_needs_consecutive_views_and_the_exact_spare_room():
    buf = np.zeros(10, np.float32)
    a, b = buf[:4].reshape(2, 2), buf[4:7]
    assert flat_base([a, b], 3) is buf
    assert flat_base([a, b], 2) is None            # other spare room
    assert flat_base([b, a], 3) is None            # out of order
    assert flat_base([a, buf[5:8]], 2) is None     # a gap
    assert flat_base([a.copy(), b], 3) is None     # not a view
    assert flat_base([], 0) is None
