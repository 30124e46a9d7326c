"""A user's loss function traced op by op into the captured program (core/engine.py's
python_slot with trace=True): bit-identical to the eager tape, its Python run once per
capture, captured again when a Python number it reads changes, and run as a Python
slot at every step when it reads tensor values."""
import numpy as np

import treino as tn
from treino.core.engine import Program, PythonGuard

from models_util import classification_data, dense_model

X, Y, _ = classification_data(n=40, features=6, classes=3, seed=4)
SW = np.linspace(0.5, 1.5, len(X)).astype(np.float32)


def _model():
    return dense_model(sizes=(6, 7, 3), activations=("tanh", "linear"), seed=5)


def _fit(loss, eager, epochs=3, callbacks=None, **kw):
    """Fits a fresh model with `loss`; returns the model, its history and its programs."""
    m = _model()
    m.compile(optimizer=tn.train.adam(0.02), loss=loss, run_eagerly=eager)
    tn.set_seed(7)
    hist = m.fit(X, Y, batch_size=8, epochs=epochs, verbose=0, callbacks=callbacks, **kw)
    return m, hist.history


def _same(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


def _both(make_loss, **kw):
    """(fast, eager): each (model, history, calls of the loss's Python)."""
    out = []
    for eager in (False, True):
        calls = [0]
        loss = make_loss(calls)
        m, h = _fit(loss, eager, **kw)
        out.append((m, h, calls[0]))
    return out


def _programs(m):
    return [p for p in m._programs.values() if isinstance(p, Program)]


def test_a_pure_loss_is_traced_into_the_program():
    def make(calls):
        def loss(y_true, y_pred):
            calls[0] += 1
            d = tn.sub(y_true, tn.sigmoid(y_pred))
            return tn.mean(tn.add(tn.square(d), tn.mul(tn.abs(d), 0.1)), -1)
        return loss
    (f, hf, cf), (e, he, ce) = _both(make, sample_weight=SW)
    assert _same(f, e) and hf == he
    assert ce == 15 and cf == 1  # 3 epochs x 5 batches eagerly; one capture
    (program,) = _programs(f)
    assert not program.has_slots  # the loss's ops are nodes of the program itself


def test_a_loss_drawing_random_numbers_is_identical_to_eager():
    def make(calls):
        def loss(y_true, y_pred):
            calls[0] += 1
            noise = tn.random_normal([y_pred.shape[0], 3], 0, 0.1)
            return tn.mean(tn.square(tn.sub(tn.add(y_true, noise), y_pred)), -1)
        return loss
    (f, hf, cf), (e, he, ce) = _both(make)
    assert _same(f, e) and hf == he and cf == 1


BETA = 0.0


def test_python_numbers_the_loss_reads_are_watched():
    """A loss weight in a closure, a module global, or a helper function's global,
    changed by a callback between epochs (KL annealing style): the step is captured
    again and the replayed run stays identical to the eager one."""
    global BETA

    def helper(y_pred):  # reads BETA: reached through the loss's globals
        return tn.mul(tn.mean(tn.square(y_pred), -1), BETA)

    def make(calls):
        weight = [None]
        scale = 1.0

        def loss(y_true, y_pred):
            calls[0] += 1
            base = tn.mul(tn.mean(tn.square(tn.sub(y_true, y_pred)), -1), scale)
            return tn.add(base, helper(y_pred))

        def on_epoch_end(epoch, logs):
            nonlocal scale
            global BETA
            if epoch == 0:
                scale = 0.5   # a closure cell
            else:
                BETA = 0.25   # a global read by a helper
        weight[0] = on_epoch_end
        loss.callback = weight
        return loss

    results = []
    for eager in (False, True):
        BETA = 0.0
        calls = [0]
        loss = make(calls)
        m, h = _fit(loss, eager, callbacks={"on_epoch_end": loss.callback[0]})
        results.append((m, h, calls[0]))
    BETA = 0.0
    (f, hf, cf), (e, he, ce) = results
    assert _same(f, e) and hf == he
    assert cf == 3  # captured again after each change
    assert hf["loss"][1] != hf["loss"][0]


class _WeightedMSE:
    """A loss as a callable object: its attributes are watched."""

    def __init__(self, calls):
        self.calls, self.weight = calls, 1.0

    def __call__(self, y_true, y_pred):
        self.calls[0] += 1
        return tn.mul(tn.mean(tn.square(tn.sub(y_true, y_pred)), -1), self.weight)


def test_a_callable_object_loss_is_captured_again_when_an_attribute_changes():
    runs = []
    for eager in (False, True):
        calls = [0]
        loss = _WeightedMSE(calls)

        def halve(epoch, logs, loss=loss):
            loss.weight = loss.weight / 2
        m, h = _fit(loss, eager, callbacks={"on_epoch_end": halve})
        runs.append((m, h, calls[0]))
    (f, hf, cf), (e, he, ce) = runs
    assert _same(f, e) and hf == he and cf == 3


def test_a_loss_reading_values_runs_at_every_step():
    """Python that branches on a tensor's values cannot be traced: the loss runs as a
    Python slot of the program, at every step, and still replays identically."""
    def make(calls):
        def loss(y_true, y_pred):
            calls[0] += 1
            per = tn.mean(tn.square(tn.sub(y_true, y_pred)), -1)
            if float(tn.max(per)) > 1.0:  # a data-dependent branch
                per = tn.mul(per, 0.5)
            return per
        return loss
    (f, hf, cf), (e, he, ce) = _both(make)
    assert _same(f, e) and hf == he
    assert cf == ce == 15  # every step (the capture's run is the first step's)
    assert all(p.has_slots for p in _programs(f))


def test_a_loss_writing_a_variable_runs_at_every_step():
    def make(calls):
        seen = tn.variable(tn.scalar(0.0), trainable=False)

        def loss(y_true, y_pred):
            calls[0] += 1
            seen.assign(tn.add(seen, 1.0))
            return tn.mean(tn.square(tn.sub(y_true, y_pred)), -1)
        return loss
    (f, hf, cf), (e, he, ce) = _both(make)
    assert _same(f, e) and hf == he and cf == ce == 15


def test_the_guard_finds_the_values_a_function_reads():
    k = 3

    def inner(x):
        return x * BETA

    def fn(x):
        return inner(x) + k
    guard = PythonGuard.of(fn)
    assert guard.check()
    names = {p[2] for p in guard.places if p[0] == 1}
    assert "BETA" in names and any(p[0] == 0 for p in guard.places)
    k = 4  # noqa: F841 (the closure cell changes)
    assert not guard.check()
    assert PythonGuard.of(lambda x: x) is None


def test_run_eagerly_still_calls_the_loss_at_every_step():
    calls = [0]

    def loss(y_true, y_pred):
        calls[0] += 1
        return tn.mean(tn.square(tn.sub(y_true, y_pred)), -1)
    _fit(loss, eager=True, epochs=1)
    assert calls[0] == 5


def test_traced_loss_identical_on_every_kernel_path_and_thread_count(isa, threads):
    def make(calls):
        def loss(y_true, y_pred):
            calls[0] += 1
            return tn.mean(tn.square(tn.sub(y_true, tn.softmax(y_pred))), -1)
        return loss
    (f, hf, cf), (e, he, _) = _both(make, epochs=2)
    assert _same(f, e) and hf == he and cf == 1
