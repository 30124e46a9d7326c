"""fit's recorded native step (models/fast_step.py) against the eager tape step and the
plain core-API loop: the same weights, bit for bit, after several epochs, including
callbacks that read and change the learning rate, stop_training, freezing a layer
mid-training, other optimizers, sparse labels, uneven last batches and fit_dataset."""
import numpy as np
import pytest

import treino as tn
from treino.models.fast_step import StepPlan

from models_util import classification_data, dense_model

OPTIMIZERS = {
    "sgd": lambda: tn.train.sgd(0.1),
    "momentum": lambda: tn.train.momentum(0.05, 0.9, use_nesterov=True),
    "adagrad": lambda: tn.train.adagrad(0.1),
    "adadelta": lambda: tn.train.adadelta(1.0),
    "adam": lambda: tn.train.adam(0.01),
    "adamax": lambda: tn.train.adamax(0.01),
    "rmsprop": lambda: tn.train.rmsprop(0.01, centered=True),
}


def _data(n=53, features=12, classes=5, seed=1):
    x, y, labels = classification_data(n=n, features=features, classes=classes, seed=seed)
    return x * 2, y, labels


def _model(sizes=(12, 16, 9, 5), acts=("relu", "tanh", "softmax"), seed=3, **kw):
    return dense_model(sizes=sizes, activations=acts, seed=seed, **kw)


def _fit(record, make_model, compile_kw, fit_kw, x, y, callbacks=None):
    """Builds a fresh model (compile_kw: a function returning compile's arguments), fits
    it with the recorded step on or off; returns the model and its history. The model
    counts the steps that ran on the tape (model.eager_steps)."""
    model = make_model()
    model._record_step = record
    eager_steps = []
    model._train_batch = lambda *a, _f=model._train_batch: eager_steps.append(1) or _f(*a)
    model.compile(**compile_kw())  # a fresh optimizer for each run
    tn.set_seed(42)  # the same shuffles in both runs
    hist = model.fit(x, y, verbose=0, callbacks=callbacks, **fit_kw)
    model.eager_steps = len(eager_steps)
    return model, hist


def _assert_identical(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for u, v in zip(wa, wb):
        assert u.dtype == v.dtype and np.array_equal(u, v)
    assert a.optimizer.iterations == b.optimizer.iterations
    oa, ob = a.optimizer.get_weights(), b.optimizer.get_weights()
    assert [w["name"].split("/")[-1] for w in oa] == [w["name"].split("/")[-1] for w in ob]
    for u, v in zip(oa, ob):
        assert np.array_equal(u["tensor"].numpy(), v["tensor"].numpy())


def _compare(make_model, compile_kw, fit_kw, x, y, callbacks=lambda: None):
    fast, hf = _fit(True, make_model, compile_kw, fit_kw, x, y, callbacks())
    eager, he = _fit(False, make_model, compile_kw, fit_kw, x, y, callbacks())
    assert isinstance(fast._step_plan, StepPlan)
    assert fast.eager_steps == 0 and eager.eager_steps > 0
    assert eager._step_plan is None
    _assert_identical(fast, eager)
    assert hf.history == he.history  # exact: the logged losses and metrics too
    # Training moved the weights: the comparison is not vacuous.
    start = make_model().get_weights()
    assert max(np.abs(u - v).max() for u, v in zip(fast.get_weights(), start)) > 1e-2
    return fast, eager, hf


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_recorded_step_equals_eager_for_every_optimizer(opt):
    x, y, _ = _data()
    _compare(_model, lambda: dict(optimizer=OPTIMIZERS[opt](), loss="categoricalCrossentropy",
                                  metrics=["accuracy"]),
             dict(batch_size=8, epochs=3, shuffle=True), x, y)


@pytest.mark.parametrize("acts", [("relu", "softmax"), ("elu", "softmax"),
                                  ("sigmoid", "softmax"), ("selu", "softmax"), ("softplus", "softmax"),
                                  ("linear", "softmax")])
def test_recorded_step_equals_eager_for_fused_activations(acts):
    x, y, _ = _data()
    _compare(lambda: _model(sizes=(12, 7, 5), acts=acts),
             lambda: dict(optimizer=tn.train.adam(0.02), loss="categoricalCrossentropy"),
             dict(batch_size=16, epochs=3, shuffle=True), x, y)


def test_sparse_labels_no_bias_and_metrics_from_probabilities():
    x, _, labels = _data()

    def mean_top_prob(y_true, y_pred):  # a metric that needs the probabilities
        return tn.mean(tn.max(y_pred, 1))
    make = lambda: _model(use_bias=False)  # noqa: E731
    fast, _, hist = _compare(
        make, lambda: dict(optimizer="rmsprop", loss="sparseCategoricalCrossentropy",
                           metrics=["accuracy", mean_top_prob]),
        dict(batch_size=10, epochs=3, validation_split=0.2), x, labels.astype(np.int32))
    assert set(hist.history) >= {"loss", "acc", "mean_top_prob", "val_loss", "val_acc"}


def test_callbacks_that_change_the_learning_rate_and_stop_training():
    x, y, _ = _data(n=97)

    def callbacks():
        seen = []

        class Schedule(tn.callbacks.Callback):
            def on_batch_begin(self, batch, logs=None):
                opt = self.model.optimizer
                seen.append(opt.learning_rate)
                opt.learning_rate = opt.learning_rate * 0.93

            def on_batch_end(self, batch, logs=None):
                seen.append(logs["loss"])
                if self.params and len(seen) > 2 * 21:  # mid-epoch 3 of 4 (10 batches each)
                    self.model.stop_training = True
        cb = Schedule()
        cb.seen = seen
        return [cb]
    fast, eager, hist = _compare(
        _model, lambda: dict(optimizer=tn.train.momentum(0.2, 0.5),
                             loss="categoricalCrossentropy", metrics=["accuracy"]),
        dict(batch_size=10, epochs=4, shuffle=True), x, y, callbacks)
    assert len(hist.history["loss"]) == 3  # stopped in the third epoch
    assert fast.optimizer.iterations == 22
    assert fast.optimizer.learning_rate == eager.optimizer.learning_rate < 0.2 * 0.93 ** 21


def test_freezing_a_layer_mid_training_falls_back_for_those_steps():
    x, y, _ = _data()

    class Freeze(tn.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.layers[0].trainable = False

    def callbacks():
        return [Freeze()]
    compile_kw = lambda: dict(optimizer="adam", loss="categoricalCrossentropy")  # noqa: E731
    fit_kw = dict(batch_size=8, epochs=4)
    fast, _ = _fit(True, _model, compile_kw, fit_kw, x, y, callbacks())
    eager, _ = _fit(False, _model, compile_kw, fit_kw, x, y, callbacks())
    assert fast.eager_steps == 2 * 7  # epochs 3 and 4 ran on the tape (frozen layer)
    _assert_identical(fast, eager)


def test_recorded_step_equals_the_plain_core_api_loop():
    """The step fit replays is the one a user writes with the core API: tn.dense,
    softmax cross-entropy, optimizer.minimize."""
    x, y, _ = _data(n=40)
    model = _model(sizes=(12, 16, 5), acts=("relu", "softmax"))
    ws = model.get_weights()
    model.compile(optimizer=tn.train.adam(0.01), loss="categoricalCrossentropy")
    model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert isinstance(model._step_plan, StepPlan)

    k1, b1, k2, b2 = [tn.variable(w) for w in ws]
    opt = tn.train.adam(0.01)
    for _ in range(3):
        for i in range(0, 40, 8):
            xb, yb = tn.tensor(x[i:i + 8]), tn.tensor(y[i:i + 8])
            opt.minimize(lambda: tn.losses.softmax_cross_entropy(
                yb, tn.dense(tn.dense(xb, k1, b1, "relu"), k2, b2)))
    for got, want in zip(model.get_weights(), (k1, b1, k2, b2)):
        assert np.array_equal(got, want.numpy())


def test_fit_dataset_and_train_on_batch_use_the_recorded_step():
    x, y, _ = _data()
    ds = tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y)}).batch(9)
    runs = []
    for record in (True, False):
        model = _model()
        model._record_step = record
        model.compile(optimizer="adagrad", loss="categoricalCrossentropy", metrics=["acc"])
        hist = model.fit_dataset(ds, epochs=3, verbose=0)
        out = model.train_on_batch(x[:5], y[:5])
        runs.append((model, hist.history, out))
    (fast, hf, of), (eager, he, oe) = runs
    assert isinstance(fast._step_plan, StepPlan)
    _assert_identical(fast, eager)
    assert hf == he and of == oe


def _mean_abs(y_true, y_pred):  # a user's loss: per-sample values, trailing axis kept
    return tn.mean(tn.abs(tn.sub(y_true, y_pred)), -1, keepdims=True)


LOSS_CASES = {
    # name: (output activation, loss, labels)
    "mse": ("linear", "meanSquaredError", "real"),
    "bce": ("sigmoid", "binaryCrossentropy", "binary"),
    "huber-tanh": ("tanh", tn.losses.huber_loss, "real"),
    "custom": ("linear", _mean_abs, "real"),
    "ce-on-sigmoid": ("sigmoid", "categoricalCrossentropy", "onehot"),
}


@pytest.mark.parametrize("weighted", [False, True], ids=["", "weighted"])
@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_other_losses_and_sample_weights_replay_identically(case, weighted):
    act, loss, kind = LOSS_CASES[case]
    x, y, labels = _data()
    if kind == "real":
        y = (x[:, :5] * 0.3 + 0.1).astype(np.float32)
    elif kind == "binary":
        y = (labels % 2).astype(np.float32)[:, None] * np.ones((1, 5), np.float32)
    fit_kw = dict(batch_size=8, epochs=3)
    if weighted:
        fit_kw["sample_weight"] = np.linspace(0.5, 1.5, len(x)).astype(np.float32)
    _compare(lambda: _model(acts=("relu", "elu", act)),
             lambda: dict(optimizer=tn.train.adam(0.01), loss=loss, metrics=["mse"]),
             fit_kw, x, y)


def test_weighted_softmax_cross_entropy_replays_identically():
    x, _, labels = _data()
    _compare(_model, lambda: dict(optimizer="rmsprop", loss="sparseCategoricalCrossentropy",
                                  metrics=["acc"]),
             dict(batch_size=8, epochs=3, class_weight={0: 2.0, 1: 0.5, 3: 1.5},
                  sample_weight=np.linspace(0.2, 2, len(x)).astype(np.float32)),
             x, labels.astype(np.int32))


def _dropout_model(seed=None, noise_shape=None, input_rate=0.0):
    def make():
        m = tn.sequential()
        m.add(tn.layers.dropout(rate=input_rate, input_shape=[12]))
        m.add(tn.layers.dense(units=16, activation="relu"))
        m.add(tn.layers.dropout(rate=0.4, seed=seed, noise_shape=noise_shape))
        m.add(tn.layers.dense(units=9, activation="tanh"))
        m.add(tn.layers.dropout(rate=0.25))
        m.add(tn.layers.dense(units=5, activation="softmax"))
        rng = np.random.default_rng(8)
        m.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in m.weights])
        return m
    return make


@pytest.mark.parametrize("kw", [{}, {"seed": 7}, {"noise_shape": [None, 1]},
                                {"input_rate": 0.3}], ids=["global", "seeded", "noise", "input"])
def test_dropout_replays_identically(kw):
    """Masks come from Dropout.mask in the same order on both paths (the global seeded
    generator, or the layer's own), so the runs match bit for bit."""
    x, y, _ = _data()
    _compare(_dropout_model(**kw),
             lambda: dict(optimizer="adam", loss="categoricalCrossentropy", metrics=["acc"]),
             dict(batch_size=8, epochs=3), x, y)


@pytest.mark.parametrize("case", ["regularizer", "batchnorm", "softmax-mse", "frozen"])
def test_models_outside_the_pattern_train_eagerly(case):
    x, y, _ = _data()
    kw, fit_kw, loss = {}, {}, "categoricalCrossentropy"
    make = _model
    if case == "regularizer":
        kw = {"kernel_regularizer": tn.regularizers.l2(0.01)}
        make = lambda: _model(**kw)  # noqa: E731
    elif case == "softmax-mse":  # softmax is not a fused dense activation
        loss = "meanSquaredError"
    elif case == "batchnorm":
        def make():
            m = tn.sequential()
            m.add(tn.layers.dense(units=8, activation="relu", input_shape=[12]))
            m.add(tn.layers.batch_normalization())
            m.add(tn.layers.dense(units=5, activation="softmax"))
            return m
    model = make()
    if case == "frozen":
        model.layers[0].trainable = False
    before = model.get_weights()
    model.compile(optimizer="sgd", loss=loss)
    model.fit(x, y, batch_size=10, epochs=1, verbose=0, **fit_kw)
    plan = model._step_plan
    if case == "frozen":
        assert isinstance(plan, StepPlan)  # recorded, but these batches replay nothing
    else:
        assert plan is False and model._fast_step_reason
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_recompiling_or_adding_a_layer_records_again():
    x, y, _ = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    first = model._step_plan
    assert isinstance(first, StepPlan)
    model.compile(optimizer="adam", loss="categoricalCrossentropy")
    assert model._step_plan is None
    model.fit(x, y, epochs=1, verbose=0)
    assert isinstance(model._step_plan, StepPlan) and model._step_plan is not first
    assert model._step_plan.model.optimizer.class_name == "Adam"


def test_a_failing_metric_leaves_the_model_unchanged():
    x, y, _ = _data()

    def broken(y_true, y_pred):
        raise RuntimeError("metric failed")
    model = _model()
    model.compile(optimizer="sgd", loss="categoricalCrossentropy", metrics=[broken])
    before = model.get_weights()
    with pytest.raises(RuntimeError, match="metric failed"):
        model.fit(x, y, epochs=1, verbose=0)
    assert isinstance(model._step_plan, StepPlan)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.optimizer.iterations == 0


def test_identical_on_every_kernel_path_and_thread_count(isa, threads):
    x, _, labels = _data(n=70)
    _compare(_model, lambda: dict(optimizer=tn.train.adam(0.02),
                                  loss="sparseCategoricalCrossentropy", metrics=["acc"]),
             dict(batch_size=16, epochs=2), x, labels.astype(np.int32))


def test_flatten_dropout_and_constraints_replay_identically():
    x = np.random.default_rng(4).normal(size=(45, 3, 4)).astype(np.float32)
    _, y, _ = _data(n=45)

    def make():
        m = tn.sequential()
        m.add(tn.layers.dropout(rate=0.2, input_shape=[3, 4]))  # masks drawn at (n, 3, 4)
        m.add(tn.layers.flatten())
        m.add(tn.layers.dense(units=10, activation="relu",
                              kernel_constraint=tn.constraints.max_norm(0.4)))
        m.add(tn.layers.dense(units=5, activation="softmax",
                              bias_constraint=tn.constraints.non_neg()))
        rng = np.random.default_rng(5)
        m.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in m.weights])
        return m
    fast, _, _ = _compare(make, lambda: dict(optimizer="adam", loss="categoricalCrossentropy"),
                          dict(batch_size=8, epochs=3), x, y)
    assert (fast.layers[-1].bias.val.numpy() >= 0).all()


def test_noise_shape_before_flatten_trains_eagerly():
    x = np.random.default_rng(4).normal(size=(20, 3, 4)).astype(np.float32)
    _, y, _ = _data(n=20)
    m = tn.sequential()
    m.add(tn.layers.dropout(rate=0.5, noise_shape=[None, 1, 4], input_shape=[3, 4]))
    m.add(tn.layers.flatten())
    m.add(tn.layers.dense(units=5, activation="softmax"))
    m.compile(optimizer="sgd", loss="categoricalCrossentropy")
    m.fit(x, y, batch_size=8, verbose=0)
    assert m._step_plan is False and "noise shape" in m._fast_step_reason


class _ClipSGD(tn.train.SGDOptimizer):
    def apply_gradients(self, grads):  # a user's override must run
        super().apply_gradients({k: tn.clip_by_value(g, -1e-3, 1e-3) for k, g in grads.items()})


class _Shifted(tn.Sequential):
    def call(self, x, training=False, skip_last_activation=False):
        return super().call(tn.add(x, 0.5), training, skip_last_activation)


def test_subclasses_that_override_a_piece_of_the_step_train_eagerly():
    x, y, _ = _data()
    # An optimizer subclass (checked at every step: the optimizer may be swapped).
    fast, _ = _fit(True, _model, lambda: dict(optimizer=_ClipSGD(0.5),
                                              loss="categoricalCrossentropy"),
                   dict(batch_size=10, epochs=2), x, y)
    eager, _ = _fit(False, _model, lambda: dict(optimizer=_ClipSGD(0.5),
                                                loss="categoricalCrossentropy"),
                    dict(batch_size=10, epochs=2), x, y)
    assert fast.eager_steps == 12
    _assert_identical(fast, eager)
    # A model subclass overriding call.
    model = _Shifted(layers=[tn.layers.dense(units=5, activation="softmax", input_shape=[12])])
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    model.fit(x, y, verbose=0)
    assert model._step_plan is False and "overrides call" in model._fast_step_reason


def test_a_regularizer_added_after_recording_is_honoured():
    x, y, _ = _data()
    runs = []
    for record in (True, False):
        model = _model()
        model._record_step = record
        model.compile(optimizer="sgd", loss="categoricalCrossentropy")
        tn.set_seed(1)
        model.fit(x, y, batch_size=10, epochs=1, verbose=0)
        model.layers[0].kernel.regularizer = tn.regularizers.l2(1.0)
        hist = model.fit(x, y, batch_size=10, epochs=1, verbose=0)
        runs.append((model, hist.history))
    _assert_identical(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1] and runs[0][1]["loss"][0] > 10  # the penalty counted


def test_a_loss_keeping_its_input_and_a_loss_ignoring_the_output():
    """The loss gets its own copy of the output (the buffer is reused by the next step);
    a loss that does not depend on the output is refused on both paths, before any
    update."""
    x, y, _ = _data(n=30)
    kept = {True: [], False: []}

    def make_loss(record):
        def loss(y_true, y_pred):
            kept[record].append(y_pred)
            return tn.mean(tn.square(tn.sub(y_true, y_pred)), -1)
        return loss
    runs = []
    for record in (True, False):
        model, hist = _fit(record, lambda: _model(acts=("relu", "tanh", "linear")),
                           lambda: dict(optimizer="adam", loss=make_loss(record)),
                           dict(batch_size=10, epochs=2), x, y)
        runs.append((model, hist))
    _assert_identical(runs[0][0], runs[1][0])
    assert runs[0][1].history == runs[1][1].history and runs[0][0].eager_steps == 0
    assert len(kept[True]) == 6
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(kept[True], kept[False]))
    for record in (True, False):
        with pytest.raises(ValueError, match="does not depend on the model's output"):
            _fit(record, lambda: _model(acts=("relu", "tanh", "linear")),
                 lambda: dict(optimizer="adam", loss=lambda y_true, y_pred: tn.mean(y_true, -1)),
                 dict(batch_size=10, epochs=2), x, y)


def test_batch_buffers_are_freed_when_fit_ends():
    x, y, _ = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    model.fit(x, y, batch_size=10, verbose=0)
    assert isinstance(model._step_plan, StepPlan) and not model._step_plan._buffers
