"""Probes of the captured/replayed training step (core/engine.py) against the eager tape
step (compile(run_eagerly=True)): the same model, seed and data must give bit-identical
weights, logs and outputs. Known gaps are strict xfails (they pass once fixed)."""
import numpy as np
import pytest

import treino as tn

from models_util import between_dense, classification_data, dense_model

X, Y, _ = classification_data(n=53, features=12, classes=5, seed=1)
X = X * 2


def _model(**kw):
    return dense_model(sizes=(12, 16, 9, 5), activations=("relu", "tanh", "softmax"),
                       seed=3, **kw)


def _both(make, compile_kw, run):
    """[(model, run(model)) replayed, (model, run(model)) eager]: a fresh model and
    optimizer each, the same seed."""
    out = []
    for eager in (False, True):
        m = make()
        m.compile(**compile_kw(), run_eagerly=eager)
        tn.set_seed(42)
        out.append((m, run(m)))
    return out


def _same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(u.dtype == v.dtype and np.array_equal(u, v)
                                      for u, v in zip(wa, wb))


def _fit(m, **kw):
    return m.fit(X, Y, **{"batch_size": 10, "epochs": 1, "verbose": 0, "shuffle": False,
                          **kw}).history


SGD_CCE = lambda: dict(optimizer="sgd", loss="categoricalCrossentropy")  # noqa: E731


def test_changing_a_regularizer_factor_between_fits():
    def run(m):
        h1 = _fit(m)
        m.layers[0].kernel_regularizer.l2 = 0.5
        return h1, _fit(m)
    (f, hf), (e, he) = _both(lambda: _model(kernel_regularizer=tn.regularizers.l2(l2=0.01)),
                             SGD_CCE, run)
    assert hf == he and _same_weights(f, e)


def test_changing_a_constraint_attribute_between_fits():
    def run(m):
        h1 = _fit(m)
        m.layers[0].kernel_constraint.max_value = 0.05
        return h1, _fit(m)
    (f, hf), (e, he) = _both(
        lambda: _model(kernel_constraint=tn.constraints.max_norm(max_value=2.0)), SGD_CCE, run)
    # Eagerly the new bound holds: every kernel column's norm is at most 0.05.
    assert np.linalg.norm(e.get_weights()[0], axis=0).max() <= 0.05 + 1e-6
    assert hf == he and _same_weights(f, e)


@pytest.mark.parametrize("opt, attr", [(lambda: tn.train.momentum(0.05, 0.9), "momentum"),
                                       (lambda: tn.train.adam(0.01), "beta1")])
def test_changing_an_optimizer_hyperparameter_between_fits(opt, attr):
    def run(m):
        h1 = _fit(m)
        setattr(m.optimizer, attr, 0.1)
        return h1, _fit(m)
    (f, hf), (e, he) = _both(_model, lambda: dict(optimizer=opt(),
                                                  loss="categoricalCrossentropy"), run)
    assert hf == he and _same_weights(f, e)
    # The change mattered: the replayed model differs from one trained without it.
    g = _model()
    g.compile(optimizer=opt(), loss="categoricalCrossentropy")
    _fit(g), _fit(g)
    assert not _same_weights(f, g)


def test_predict_results_kept_by_the_caller_are_not_overwritten_by_a_replay():
    m = _model()
    m.compile(optimizer="sgd", loss="categoricalCrossentropy")
    first = m.predict(X[:10], batch_size=10)
    kept = first.numpy().copy()
    m.predict(X[:10], batch_size=10)   # captured on the first call: this one replays
    m.predict(X[10:20], batch_size=10)
    assert np.array_equal(first.numpy(), kept)


def test_evaluate_after_set_weights_replays_the_new_weights():
    def make(eager):
        m = _model()
        m.compile(optimizer="sgd", loss="categoricalCrossentropy", metrics=["accuracy"],
                  run_eagerly=eager)
        return m
    fast, eager = make(False), make(True)
    before = [t.numpy() for t in fast.evaluate(X, Y, batch_size=10)]  # captures
    halved = [w * 0.5 for w in fast.get_weights()]
    fast.set_weights(halved)
    eager.set_weights(halved)
    after = [t.numpy() for t in fast.evaluate(X, Y, batch_size=10)]
    assert after == [t.numpy() for t in eager.evaluate(X, Y, batch_size=10)]
    assert after != before


def test_a_metric_raising_in_a_replayed_step_leaves_that_step_undone():
    results = []
    for eager in (False, True):
        calls = [0]

        def flaky(y_true, y_pred):
            calls[0] += 1
            if calls[0] == 3:  # the first step of the second fit: a replay
                raise RuntimeError("metric failed")
            # numpy: it reads values, so it runs at every step (not traced)
            return np.mean(np.abs(y_true.numpy() - y_pred.numpy()))
        m = _model()
        m.compile(optimizer="adam", loss="categoricalCrossentropy", metrics=[flaky],
                  run_eagerly=eager)
        m.fit(X[:20], Y[:20], batch_size=10, epochs=1, verbose=0, shuffle=False)
        before = m.get_weights()
        with pytest.raises(RuntimeError, match="metric failed"):
            m.fit(X[:20], Y[:20], batch_size=10, epochs=1, verbose=0, shuffle=False)
        assert all(np.array_equal(a, b) for a, b in zip(before, m.get_weights()))
        assert m.optimizer.iterations == 2
        results.append((m.get_weights(), [w["tensor"].numpy() for w in m.optimizer.get_weights()]))
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1]):
        assert np.array_equal(a, b)


class _Gate(tn.layers.Layer):
    """A user's layer whose gradient depends on data: on its first call (only if
    `cut_first`), or on every later call (otherwise), its output is cut from the
    tape with stop_gradient."""
    calls = 0
    cut_first = True

    def build(self, input_shape):
        self.k = self.add_weight("k", (input_shape[-1],), tn.initializers.constant(value=1.5))

    def call(self, x, training=False):
        _Gate.calls += 1
        y = tn.mul(x, self.k.val)
        return tn.stop_gradient(y) if (_Gate.calls == 1) == _Gate.cut_first else y


def _gated_model():
    return between_dense(_Gate())


def _fit_gated(cut_first):
    _Gate.cut_first = cut_first

    def run(m):
        _Gate.calls = 0
        return _fit(m, epochs=2)
    return _both(_gated_model, SGD_CCE, run)


def test_a_user_layer_cut_from_the_tape_only_when_captured():
    (f, hf), (e, he) = _fit_gated(cut_first=True)
    assert hf == he and _same_weights(f, e)


def test_a_user_layer_cut_from_the_tape_after_capture():
    (f, hf), (e, he) = _fit_gated(cut_first=False)
    assert hf == he and _same_weights(f, e)


def _count_above(y_true, y_pred):  # an int32 metric
    return tn.sum(tn.cast(tn.greater(y_pred, 0.3), "int32"))


_MODEL_HOLDER = []


def _loss_reading_kernel_views(y_true, y_pred):
    """A user loss reading a reshape, transpose and slice of a weight the optimizer
    updates in place."""
    k = _MODEL_HOLDER[-1].layers[2].kernel.val
    part = tn.slice(tn.transpose(tn.reshape(k, [-1, 5])), [0, 0], [2, 3])
    return tn.add(tn.mean(tn.square(tn.sub(y_true, y_pred)), -1),
                  tn.mul(tn.sum(tn.square(part)), 0.1))


def _holding_model():
    _MODEL_HOLDER.append(_model())
    return _MODEL_HOLDER[-1]


def _replace_optimizer(m):
    h1 = _fit(m)
    m.optimizer = tn.train.adam(0.02)
    h2 = _fit(m)
    m.optimizer = tn.train.sgd(0.3)
    return h1, h2, _fit(m)


_CW = {0: 2.0, 1: 0.5, 2: 1.0, 3: 1.0, 4: 3.0}
_SW = np.linspace(0.2, 2, len(X)).astype(np.float32)
_ADAM_ACC = lambda: dict(optimizer="adam", loss="categoricalCrossentropy",  # noqa: E731
                         metrics=["accuracy"])
CASES = {
    "int_metric": (_model, lambda: dict(optimizer="sgd", loss="categoricalCrossentropy",
                                         metrics=[_count_above]), lambda m: _fit(m, epochs=2)),
    "variable_views_in_loss": (_holding_model,
                               lambda: dict(optimizer="adam", loss=_loss_reading_kernel_views),
                               lambda m: _fit(m, epochs=2)),
    "class_and_sample_weight": (_model, _ADAM_ACC, lambda m: _fit(
        m, epochs=2, sample_weight=_SW, class_weight=_CW)),
    "validation_data_metrics": (_model, lambda: dict(
        optimizer="adam", loss="categoricalCrossentropy", metrics=["accuracy", "mse"]),
        lambda m: _fit(m, epochs=2, validation_data=(X[:20] + 0.1, Y[:20]))),
    "validation_split": (_model, _ADAM_ACC, lambda m: _fit(m, epochs=2, validation_split=0.3)),
    "batch_size_changes": (_model, _ADAM_ACC,
                           lambda m: [_fit(m, batch_size=b) for b in (10, 7, 10, 53, 7)]),
    "optimizer_replaced": (_model, lambda: dict(optimizer="adam",
                                                loss="categoricalCrossentropy"),
                           _replace_optimizer),
}


_EXTRA = []


class _Switch(tn.layers.Layer):
    """A user's layer that starts reading another Variable on its third call: the replay
    raises NotReplayable there and the step is captured again."""
    calls = 0

    def build(self, input_shape):
        self.k = self.add_weight("k", (input_shape[-1],), tn.initializers.constant(value=1.5))

    def call(self, x, training=False):
        _Switch.calls += 1
        y = tn.mul(x, self.k.val)
        return tn.add(y, _EXTRA[0]) if _Switch.calls >= 3 else y


def _fit_switch(dropout):
    _EXTRA[:] = [tn.variable(tn.tensor(np.full((8,), 0.7, np.float32)), True)]

    def make():
        return between_dense(*([tn.layers.dropout(rate=0.3)] if dropout else []), _Switch())

    def run(m):
        _Switch.calls = 0
        return _fit(m), _Switch.calls
    return _both(make, SGD_CCE, run)


def test_a_step_captured_again_midway_draws_its_dropout_mask_once():
    (f, (hf, _)), (e, (he, _)) = _fit_switch(dropout=True)
    assert hf == he and _same_weights(f, e)


@pytest.mark.xfail(strict=True, reason="a replay that raises NotReplayable midway calls "
                   "the user's layer again when it captures the step again: its Python "
                   "side effects run twice for one step")
def test_a_step_captured_again_midway_calls_the_user_layer_once():
    (f, (hf, calls_f)), (e, (he, calls_e)) = _fit_switch(dropout=False)
    assert hf == he and _same_weights(f, e)  # without random draws the values agree
    assert calls_f == calls_e == 6


@tn.custom_grad
def _tanh_clipped_grad(a, save=None):
    def grad(dy, saved=None):
        return [tn.clip_by_value(dy, -0.01, 0.01)]
    return {"value": tn.tanh(a), "grad_func": grad}


class _CustomGrad(tn.layers.Layer):
    """A user's layer whose call goes through tn.custom_grad."""

    def build(self, input_shape):
        self.k = self.add_weight("k", (input_shape[-1],), tn.initializers.constant(value=1.5))

    def call(self, x, training=False):
        return _tanh_clipped_grad(tn.mul(x, self.k.val))


class _TwoOutputs(tn.layers.Layer):
    def build(self, input_shape):
        self.k = self.add_weight("k", (input_shape[-1],), tn.initializers.constant(value=1.5))

    def call(self, x, training=False):
        return [tn.mul(x, self.k.val), tn.tanh(x)]

    def compute_output_shape(self, input_shape):
        return [input_shape, input_shape]


class _Join(tn.layers.Layer):
    def call(self, xs, training=False):
        return tn.add(xs[0], xs[1])

    def compute_output_shape(self, input_shape):
        return input_shape[0] if isinstance(input_shape, list) else input_shape


def _with_middle(*middle):
    def make():
        m = tn.sequential()
        m.add(tn.layers.dense(units=8, activation="relu", input_shape=[12]))
        for layer in middle:
            m.add(layer())
        m.add(tn.layers.dense(units=5, activation="softmax"))
        rng = np.random.default_rng(2)
        m.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in m.weights])
        return m
    return make


def _change_dropout_and_activation(m):
    h1 = _fit(m)
    m.layers[1].rate = 0.6
    h2 = _fit(m)
    m.layers[0].activation = tn.activations.get("tanh")
    return h1, h2, _fit(m)


def _freeze_user_weight(m):
    h1 = _fit(m)
    m.layers[1].k.trainable = False
    h2 = _fit(m)
    m.layers[1].k.trainable = True
    return h1, h2, _fit(m)


CASES.update({
    "custom_grad_in_user_layer": (_with_middle(_CustomGrad), _ADAM_ACC,
                                  lambda m: _fit(m, epochs=2)),
    "dropout_rate_and_activation_changed": (_with_middle(lambda: tn.layers.dropout(rate=0.2)),
                                            _ADAM_ACC, _change_dropout_and_activation),
    "user_weight_frozen_and_unfrozen": (_with_middle(_CustomGrad), _ADAM_ACC,
                                        _freeze_user_weight),
})


def _two_outputs_joined():
    """dense -> a user's layer with two outputs -> a user's layer joining them -> dense,
    as a functional model (a Sequential refuses a layer with several outputs)."""
    x = tn.input(shape=[12])
    h = tn.layers.dense(units=8, activation="relu").apply(x)
    y = tn.layers.dense(units=5, activation="softmax").apply(_Join().apply(_TwoOutputs().apply(h)))
    m = tn.model(inputs=x, outputs=y)
    rng = np.random.default_rng(2)
    m.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in m.weights])
    return m


def test_a_user_layer_with_a_list_output_feeding_another_user_layer():
    make = _two_outputs_joined
    (f, hf), (e, he) = _both(make, _ADAM_ACC, lambda m: (_fit(m), m.predict(X[:4]).numpy()))
    assert hf[0] == he[0] and np.array_equal(hf[1], he[1]) and _same_weights(f, e)


# Last: every CASES entry above is defined by now.
@pytest.mark.parametrize("case", sorted(CASES))
def test_replays_identically(case):
    make, compile_kw, run = CASES[case]
    (f, hf), (e, he) = _both(make, compile_kw, run)
    assert f._programs and all(f._programs.values()), f._engine_reason
    assert hf == he and _same_weights(f, e)
    assert not _same_weights(f, make())  # training moved the weights



class _Counting(tn.layers.Layer):
    """A user's layer that keeps a public counter of its calls."""

    def build(self, input_shape):
        self.k = self.add_weight("k", (input_shape[-1],), tn.initializers.constant(value=1.5))
        self.seen = 0

    def call(self, x, training=False):
        self.seen += 1
        return tn.mul(x, self.k.val)


def test_a_user_layer_setting_an_attribute_in_call_still_replays():
    m = _with_middle(_Counting)()
    m.compile(optimizer="adam", loss="categoricalCrossentropy")
    python_steps = []
    step = m._train_step
    m._train_step = lambda *a: python_steps.append(1) or step(*a)
    _fit(m, epochs=3)  # 18 steps: 5 full batches and a partial one per epoch
    assert m.layers[1].seen == 18
    assert len(python_steps) <= 2  # one capture per batch shape


def test_an_activation_set_after_construction_is_checked_and_replayed():
    x, y = np.random.default_rng(3).normal(size=(20, 12)).astype(np.float32), None
    m = tn.sequential(layers=[tn.layers.dense(units=4, input_shape=[12])])
    m.compile(optimizer="sgd", loss="meanSquaredError")
    with pytest.raises(ValueError, match="activation"):
        m.layers[0].activation = "nope"
    before = m.predict(x).numpy()
    m.layers[0].activation = "relu"  # a string id, as in the constructor
    assert m.layers[0].activation.name == "relu"
    np.testing.assert_array_equal(m.predict(x).numpy(), np.maximum(before, 0))
