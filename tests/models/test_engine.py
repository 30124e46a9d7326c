"""The engine's captured and replayed steps (core/engine.py) against the eager tape step
(compile(run_eagerly=True)) and the plain core-API loop: the same weights, optimizer
state and logs, bit for bit, after several epochs, including callbacks that read and
change the learning rate, stop_training, freezing a layer mid-training, every
optimizer, sparse labels, uneven last batches, regularizers, batch and layer
normalization, dropout, constraints, user layers, losses, metrics and optimizer
subclasses, fit_dataset and train_on_batch."""
import threading

import numpy as np
import pytest

import treino as tn
from treino.core.engine import Program

from models_util import between_dense, classification_data, dense_model

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


def _count_eager_steps(model):
    """model.eager_steps() counts the steps that ran in Python (captures, and every step
    with run_eagerly): replayed steps never call _train_step."""
    calls = []
    model._train_step = lambda *a, _f=model._train_step: calls.append(1) or _f(*a)
    model.eager_steps = lambda: len(calls)


def _fit(record, make_model, compile_kw, fit_kw, x, y, callbacks=None):
    """Builds a fresh model (compile_kw: a function returning compile's arguments), fits
    it replayed (record=True) or eagerly; returns the model and its history. The model
    counts the steps that ran in Python (model.eager_steps)."""
    model = make_model()
    _count_eager_steps(model)
    model.compile(**compile_kw(), run_eagerly=not record)  # a fresh optimizer each run
    tn.set_seed(42)  # the same shuffles in both runs
    hist = model.fit(x, y, verbose=0, callbacks=callbacks, **fit_kw)
    model.eager_steps = model.eager_steps()
    return model, hist


def _replayed(model):
    """Every step signature of the model was captured into a replayable program."""
    programs = model._programs
    return bool(programs) and all(isinstance(p, Program) for p in programs.values())


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
    assert _replayed(fast), fast._engine_reason
    # One capture per signature (a full batch, a last partial batch, ...), never more.
    assert fast.eager_steps <= sum(k[0] == "train" for k in fast._programs)
    assert eager._programs == {} and eager.eager_steps > fast.eager_steps
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


def test_freezing_a_layer_mid_training_captures_again():
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
    # 53 samples in batches of 8: a full and a partial batch signature, each captured
    # before and after the freeze; every other step replayed.
    assert fast.eager_steps == 4 and eager.eager_steps == 4 * 7
    _assert_identical(fast, eager)


def test_recorded_step_equals_the_plain_core_api_loop():
    """The step fit replays is the one a user writes with the core API: tn.dense,
    softmax cross-entropy, optimizer.minimize."""
    x, y, _ = _data(n=40)
    model = _model(sizes=(12, 16, 5), acts=("relu", "softmax"))
    ws = model.get_weights()
    model.compile(optimizer=tn.train.adam(0.01), loss="categoricalCrossentropy")
    model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert _replayed(model)

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
        model.compile(optimizer="adagrad", loss="categoricalCrossentropy", metrics=["acc"],
                      run_eagerly=not record)
        hist = model.fit_dataset(ds, epochs=3, verbose=0)
        out = [model.train_on_batch(x[:5], y[:5]) for _ in range(3)]
        runs.append((model, hist.history, out))
    (fast, hf, of), (eager, he, oe) = runs
    assert _replayed(fast)
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


def _norm_model(layer):
    """dense(8, relu) -> layer() -> dense(5, softmax) with fixed initial weights."""
    return lambda: between_dense(layer(), seed=6)


def _adding_steps(model):
    """The backward steps of a model's captured programs that add a gradient in place into
    the flat buffer (a weight penalty after its layer's backward: engine.py's adds_grads)."""
    return [step for p in model._programs.values() if p for ins in p.instructions
            if ins[0] == "backprop" for step in ins[1] if step[5] is not None]


@pytest.mark.parametrize("case", ["regularizer", "l2 and bias l1", "batchnorm", "layernorm",
                                  "softmax-mse", "frozen", "frozen regularized"])
def test_models_beyond_dense_stacks_replay_identically(case):
    x, y, _ = _data()
    loss, make = "categoricalCrossentropy", _model
    if case == "regularizer":
        make = lambda: _model(kernel_regularizer=tn.regularizers.l1l2(0.01, 0.02))  # noqa: E731
    elif case == "l2 and bias l1":
        make = lambda: _model(kernel_regularizer=tn.regularizers.l2(0.05),  # noqa: E731
                              bias_regularizer="l1")
    elif case == "softmax-mse":  # softmax is not a fused dense activation
        loss = "meanSquaredError"
    elif case == "batchnorm":
        make = _norm_model(lambda: tn.layers.batch_normalization(momentum=0.9))
    elif case == "layernorm":
        make = _norm_model(tn.layers.layer_normalization)
    elif case in ("frozen", "frozen regularized"):
        def make():
            # A frozen layer's penalty stays in the loss, without a gradient.
            m = _model(kernel_regularizer="l2") if "regularized" in case else _model()
            m.layers[1].trainable = False
            return m
    fast, eager, _ = _compare(make, lambda: dict(optimizer="adam", loss=loss, metrics=["acc"]),
                              dict(batch_size=10, epochs=3), x, y)
    if case in ("regularizer", "l2 and bias l1"):
        # Every penalty's gradient was added into its weight's slot in place: 3 kernels
        # (and 3 biases).
        assert len(_adding_steps(fast)) == (6 if "bias" in case else 3) * len(fast._programs)
    if case == "batchnorm":  # the moving statistics were updated, identically
        stats = fast.layers[1].non_trainable_weights
        assert len(stats) == 2 and np.abs(stats[0].val.numpy()).max() > 0.05


def test_recompiling_or_adding_a_layer_records_again():
    x, y, _ = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    first = dict(model._programs)
    assert _replayed(model)
    model.compile(optimizer="adam", loss="categoricalCrossentropy")
    assert model._programs == {}
    model.fit(x, y, epochs=1, verbose=0)
    assert _replayed(model) and not set(model._programs.values()) & set(first.values())
    updates = [i for p in model._programs.values() for i in p.instructions if i[0] == "update"]
    assert updates and all(i[1] is model.optimizer for i in updates)
    assert model.optimizer.class_name == "Adam"
    model.add(tn.layers.dense(units=5, activation="softmax"))
    assert model._programs == {}


def test_a_failing_metric_leaves_the_model_unchanged():
    x, y, _ = _data()

    def broken(y_true, y_pred):
        raise RuntimeError("metric failed")
    model = _model()
    model.compile(optimizer="sgd", loss="categoricalCrossentropy", metrics=[broken])
    before = model.get_weights()
    with pytest.raises(RuntimeError, match="metric failed"):
        model.fit(x, y, epochs=1, verbose=0)
    assert model._programs == {}  # the capture raised: nothing kept
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


def test_noise_shape_before_flatten_replays_identically():
    x = np.random.default_rng(4).normal(size=(20, 3, 4)).astype(np.float32)
    _, y, _ = _data(n=20)

    def make():
        tn.set_seed(5)  # the same initial weights
        m = tn.sequential()
        m.add(tn.layers.dropout(rate=0.5, noise_shape=[None, 1, 4], input_shape=[3, 4]))
        m.add(tn.layers.flatten())
        m.add(tn.layers.dense(units=5, activation="softmax"))
        return m
    _compare(make, lambda: dict(optimizer="sgd", loss="categoricalCrossentropy"),
             dict(batch_size=8, epochs=3), x, y)


class _ClipSGD(tn.train.SGDOptimizer):
    def apply_gradients(self, grads):  # a user's override must run
        super().apply_gradients({k: tn.clip_by_value(g, -1e-2, 1e-2) for k, g in grads.items()})


class _Shifted(tn.Sequential):
    def call(self, x, training=False, skip_last_activation=False):
        return super().call(tn.add(x, 0.5), training, skip_last_activation)


class _Scale(tn.layers.Layer):
    """A user's layer: a weight of its own and Python in call (counted)."""
    calls = 0

    def build(self, input_shape):
        self.k = self.add_weight("k", (input_shape[-1],), tn.initializers.constant(value=1.5))

    def call(self, x, training=False):
        _Scale.calls += 1
        return tn.mul(tn.tanh(x), self.k.val)


def test_user_code_runs_at_every_step_and_replays_identically():
    """A user's layer and metric run as Python slots: called at every replayed step
    (their Python runs), with the same results as on the tape. The user's loss reads no
    values, so it is traced: called once per captured signature."""
    x, y, _ = _data()
    seen = []

    def loss(y_true, y_pred):
        seen.append(1)
        return tn.mean(tn.square(tn.sub(y_true, y_pred)), -1)

    def metric(y_true, y_pred):
        return tn.mean(tn.abs(tn.sub(y_true, y_pred)))

    make = _norm_model(_Scale)  # dense, the user's layer, dense
    _Scale.calls = 0
    fast, eager, hist = _compare(make, lambda: dict(optimizer="adam", loss=loss,
                                                    metrics=[metric]),
                                 dict(batch_size=10, epochs=3), x, y)
    steps = 3 * 6
    # The loss: every eager step, and the two captures (full and partial batch).
    assert _Scale.calls == 2 * steps and len(seen) == steps + 2
    assert "metric" in hist.history
    # The user layer's own weight trained (its gradient flowed through the slot).
    assert not np.allclose(fast.layers[1].k.val.numpy(), 1.5)


def test_optimizer_and_model_subclasses_replay_identically():
    x, y, _ = _data()
    # An optimizer subclass clipping with ops in apply_gradients: captured too.
    _compare(_model, lambda: dict(optimizer=_ClipSGD(0.5), loss="categoricalCrossentropy"),
             dict(batch_size=10, epochs=2), x, y)
    # A model subclass overriding call: its call runs as one Python slot.
    def make():
        tn.set_seed(9)  # the same initial weights
        return _Shifted(layers=[tn.layers.dense(units=5, activation="softmax",
                                                input_shape=[12])])
    _compare(make, lambda: dict(optimizer="sgd", loss="categoricalCrossentropy"),
             dict(batch_size=10, epochs=2), x, y)


def test_a_regularizer_added_after_recording_is_honoured():
    x, y, _ = _data()
    runs = []
    for record in (True, False):
        model = _model()
        model.compile(optimizer="sgd", loss="categoricalCrossentropy", run_eagerly=not record)
        tn.set_seed(1)
        model.fit(x, y, batch_size=10, epochs=1, verbose=0)
        model.layers[0].kernel.regularizer = tn.regularizers.l2(1.0)
        hist = model.fit(x, y, batch_size=10, epochs=1, verbose=0)
        runs.append((model, hist.history))
    _assert_identical(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1] and runs[0][1]["loss"][0] > 10  # the penalty counted


def test_a_loss_keeping_its_input_and_a_loss_ignoring_the_output():
    """A loss that reads values (so it runs at every step, as a Python slot) gets its
    own copy of the output (the buffer is reused by the next step); a loss that does not
    depend on the output is refused on both paths, before any update."""
    x, y, _ = _data(n=30)
    kept = {True: [], False: []}

    def make_loss(record):
        def loss(y_true, y_pred):
            kept[record].append(y_pred)
            assert np.isfinite(y_pred.numpy()).all()
            return tn.mean(tn.square(tn.sub(y_true, y_pred)), -1)
        return loss
    runs = []
    for record in (True, False):
        model, hist = _fit(record, lambda: _model(acts=("relu", "tanh", "linear")),
                           lambda: dict(optimizer="adam", loss=make_loss(record)),
                           dict(batch_size=10, epochs=2), x, y)
        runs.append((model, hist))
    _assert_identical(runs[0][0], runs[1][0])
    assert runs[0][1].history == runs[1][1].history and runs[0][0].eager_steps == 1
    assert len(kept[True]) == 6
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(kept[True], kept[False]))
    for record in (True, False):
        with pytest.raises(ValueError, match="does not depend on the model's output"):
            _fit(record, lambda: _model(acts=("relu", "tanh", "linear")),
                 lambda: dict(optimizer="adam", loss=lambda y_true, y_pred: tn.mean(y_true, -1)),
                 dict(batch_size=10, epochs=2), x, y)


def test_batch_arrays_are_released_when_fit_ends():
    x, y, _ = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    model.fit(x, y, batch_size=10, verbose=0)
    assert _replayed(model)
    # A replay's arrays are locals of the generated function: nothing outlives it.
    program = next(iter(model._programs.values()))
    assert "def replay(arrays):" in program.source and not hasattr(program, "_vals")


def test_gradients_live_in_one_flat_buffer():
    """The update reads every variable's gradient from views of one contiguous buffer,
    in model.trainable_weights order."""
    x, y, _ = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    model.fit(x, y, batch_size=10, verbose=0)
    program = next(iter(model._programs.values()))
    (update,) = [i for i in program.instructions if i[0] == "update"]
    assert update[2] == [w.val for w in model.trainable_weights]
    views = [program.grad_views[s] for s in update[3]]
    assert program.flat_grads.size == sum(w.val.size for w in model.trainable_weights)
    assert all(v.base is program.flat_grads for v in views)
    offsets = [v.__array_interface__["data"][0] for v in views]
    assert offsets == sorted(offsets)


def test_two_models_fit_in_two_threads_as_they_would_alone():
    x, y, _ = classification_data(n=96, features=6, classes=3)

    def run(seed, results, key, barrier=None):
        model = dense_model(sizes=(6, 12, 3), seed=seed)
        model.compile(optimizer=tn.train.adam(0.01), loss="categoricalCrossentropy",
                      metrics=["acc"])
        if barrier is not None:
            barrier.wait(10)
        hist = model.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0)
        results[key] = (model.get_weights(), hist.history)
    alone = {}
    run(1, alone, "a")
    run(2, alone, "b")
    together = {}
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=run, args=(s, together, k, barrier))
               for s, k in ((1, "a"), (2, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in ("a", "b"):
        assert together[k][1] == alone[k][1]
        for u, v in zip(together[k][0], alone[k][0]):
            assert np.array_equal(u, v)


@pytest.mark.parametrize("hidden,opt,batch", [((32,), 0.5, 32), ((512, 512), None, 128)],
                         ids=["W1", "W2"])
def test_the_benchmark_models_replay_identically(hidden, opt, batch):
    """The 784-32-10 and 784-512-512-10 models of bench/bench_train.py, over a few steps
    with a last partial batch."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2 * batch + 7, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, len(x))]

    def make():
        tn.set_seed(4)
        m = tn.sequential()
        m.add(tn.layers.dense(units=hidden[0], activation="relu", input_shape=[784]))
        for h in hidden[1:]:
            m.add(tn.layers.dense(units=h, activation="relu"))
        m.add(tn.layers.dense(units=10, activation="softmax"))
        return m
    _compare(make, lambda: dict(optimizer=tn.train.sgd(opt) if opt else tn.train.adam(0.01),
                                loss="categoricalCrossentropy", metrics=["accuracy"]),
             dict(batch_size=batch, epochs=2), x, y)


def test_evaluate_and_predict_replay_their_forward_programs():
    x, y, _ = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="categoricalCrossentropy", metrics=["acc"])
    eager = _model()
    eager.compile(optimizer="sgd", loss="categoricalCrossentropy", metrics=["acc"],
                  run_eagerly=True)
    for _ in range(2):  # captured, then replayed
        assert [t.item() for t in model.evaluate(x, y, batch_size=8)] == \
            [t.item() for t in eager.evaluate(x, y, batch_size=8)]
        np.testing.assert_array_equal(model.predict(x, batch_size=8).numpy(),
                                      eager.predict(x, batch_size=8).numpy())
    kinds = {k[0] for k, p in model._programs.items() if isinstance(p, Program)}
    assert kinds == {"eval", "predict"} and eager._programs == {}
    # predict's replay reads the current weights.
    model.set_weights([w * 2 for w in model.get_weights()])
    eager.set_weights([w * 2 for w in eager.get_weights()])
    np.testing.assert_array_equal(model.predict(x, batch_size=8).numpy(),
                                  eager.predict(x, batch_size=8).numpy())


def test_run_eagerly_is_checked_and_a_layer_attribute_change_captures_again():
    x, y, _ = _data()
    model = _dropout_model()()
    with pytest.raises(TypeError, match="run_eagerly"):
        model.compile(optimizer="sgd", loss="categoricalCrossentropy", run_eagerly="yes")
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    first = set(map(id, model._programs.values()))
    model.layers[2].rate = 0.0  # a captured program must not keep the old rate
    model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    assert set(map(id, model._programs.values())) - first
    out = model.layers[2].call(tn.ones([4, 16]), training=True)
    assert np.array_equal(out.numpy(), np.ones((4, 16), np.float32))


class _MatMul(tn.layers.Layer):
    """x @ w with an L1L2-regularized w, through tn.mat_mul (whose backward allocates its
    gradient: it does not write into the flat buffer)."""

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1], 6), "glorotUniform",
                                 regularizer=tn.regularizers.l1l2(0.01, 0.05))

    def call(self, inputs, training=False):
        return tn.relu(tn.mat_mul(inputs, self.w.val))

    def compute_output_shape(self, input_shape):
        return list(input_shape[:-1]) + [6]


def test_a_penalty_on_a_weight_no_node_writes_replays_identically():
    """The matmul's gradient of w comes first; the penalty (not the first to reach w)
    writes its own gradient into w's slot of the flat buffer and the matmul's is added to
    it, in place of an in-place add: the sums still match the tape's."""
    x, y, _ = _data()

    def make():
        tn.set_seed(7)
        return tn.sequential(layers=[
            _MatMul(input_shape=[12]),
            tn.layers.dense(units=5, activation="softmax", kernel_regularizer="l2")])
    fast, _, _ = _compare(make, lambda: dict(optimizer="sgd", loss="categoricalCrossentropy"),
                          dict(batch_size=8, epochs=3), x, y)
    # The dense kernel's penalty adds in place, in each program (full and last batch).
    assert len(_adding_steps(fast)) == len(fast._programs)


class _BuiltOnFirstCall(tn.layers.Layer):
    """x * w with a regularized w created in the layer's first call (not in build)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = None

    def call(self, inputs, training=False):
        if self.w is None:
            self.w = self.add_weight("w", (inputs.shape[-1],), "ones",
                                     regularizer=tn.regularizers.l2(0.5))
        return tn.mul(inputs, self.w.val)


def test_a_weight_created_during_the_first_step_is_penalized_and_trained():
    """The first step creates the weight mid-step: its penalty is in that step's loss
    (taken after the forward pass when the pass created regularized weights), and the
    next step is captured again, with the weight's update, exactly as the tape runs."""
    x, y, _ = _data()

    def make():
        tn.set_seed(3)
        return tn.sequential(layers=[_BuiltOnFirstCall(input_shape=[12]),
                                     tn.layers.dense(units=5, activation="softmax")])
    runs = []
    for eager in (False, True):
        model = make()
        model.compile(optimizer="sgd", loss="categoricalCrossentropy", run_eagerly=eager)
        runs.append((model, model.fit(x, y, batch_size=53, epochs=3, verbose=0)))
    (fast, hist), (slow, slow_hist) = runs
    assert _replayed(fast) and hist.history == slow_hist.history
    for a, b in zip(fast.get_weights(), slow.get_weights()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    w = fast.layers[0].w.val.numpy()
    assert not np.allclose(w, 1.0)  # trained from its initial ones
    first = make()
    first.compile(optimizer="sgd", loss="categoricalCrossentropy")
    data_loss = first.evaluate(x, y, batch_size=53)  # no penalty in evaluate
    assert hist.history["loss"][0] == pytest.approx(data_loss.item() + 0.5 * 12, rel=1e-5)


def test_a_penalty_after_a_node_that_declines_its_buffer_replays_identically():
    """conv3d's backward may leave the bias buffer it is given unused (a writer may: its
    gradient is then summed outside); the bias penalty added in place afterwards still
    replays, every step, with the tape's sums and the tape's dropout draws."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(24, 4, 4, 4, 1)).astype(np.float32)
    y = rng.normal(size=(24, 1)).astype(np.float32)

    def make():
        tn.set_seed(11)
        return tn.sequential(layers=[
            tn.layers.conv3d(filters=2, kernel_size=2, input_shape=[4, 4, 4, 1],
                             bias_regularizer=tn.regularizers.l2(0.1),
                             kernel_regularizer="l1l2"),
            tn.layers.dropout(rate=0.5), tn.layers.flatten(), tn.layers.dense(units=1)])
    fast, _, _ = _compare(make, lambda: dict(optimizer="sgd", loss="meanSquaredError"),
                          dict(batch_size=8, epochs=3), x, y)
    assert _adding_steps(fast)
