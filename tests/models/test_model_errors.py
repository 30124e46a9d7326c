"""Every bad input of the issue raises before any weight changes, with a message that
names the argument, what was expected and what was received; the model stays usable."""
import numpy as np
import pytest

import treino as tn

from models_util import classification_data, dense_model


@pytest.fixture
def trained():
    """A compiled model with optimizer state (adam slots, iterations) to protect."""
    model = dense_model(sizes=(3, 4, 2))
    x, y, _ = classification_data(n=10)
    model.compile(optimizer="adam", loss="categoricalCrossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=4, verbose=0)
    return model, x, y


def _state(model):
    opt = model.optimizer
    return ([w.numpy() for w in model.get_weights()], opt.iterations,
            [(s["name"], s["tensor"].numpy().copy()) for s in opt.get_weights()])


def _raises_unchanged(model, exc, match, call):
    before = _state(model)
    with pytest.raises(exc, match=match):
        call()
    after = _state(model)
    for a, b in zip(before[0], after[0]):
        np.testing.assert_array_equal(a, b)
    assert before[1] == after[1]
    assert [n for n, _ in before[2]] == [n for n, _ in after[2]]
    for (_, a), (_, b) in zip(before[2], after[2]):
        np.testing.assert_array_equal(a, b)


def _still_trains(model, x, y):
    it = model.optimizer.iterations
    model.fit(x, y, batch_size=5, verbose=0)
    assert model.optimizer.iterations == it + 2


BAD_FIT = {
    "feature shape": (lambda x, y: (np.zeros((10, 5), np.float32), y), {},
                      ValueError, r"'x' must have shape \[null,3\].*dense_Dense\d+.*\[10, 5\]"),
    "feature rank": (lambda x, y: (np.zeros((10, 3, 1), np.float32), y), {},
                     ValueError, r"\[null,3\].*\[10, 3, 1\]"),
    "label shape": (lambda x, y: (x, np.zeros((10, 3), np.float32)), {},
                    ValueError, r"'y' must have shape \[null,2\].*dense_Dense\d+.*\[10, 3\]"),
    "class indices for categorical": (lambda x, y: (x, y.argmax(1)), {},
                                      ValueError, r"sparseCategoricalCrossentropy"),
    "count mismatch": (lambda x, y: (x, y[:9]), {}, ValueError, r"10 in x and 9 in y"),
    "nan in x": (lambda x, y: (np.where(np.arange(10)[:, None] == 4, np.nan, x), y), {},
                 ValueError, r"'x'.*non-finite.*row 4"),
    "inf in y": (lambda x, y: (x, np.where(np.arange(10)[:, None] == 2, np.inf, y)), {},
                 ValueError, r"'y'.*non-finite.*row 2"),
    "float32 -inf in x": (lambda x, y: (np.where(np.arange(10)[:, None] == 9, -np.inf,
                                                 x).astype(np.float32), y), {},
                          ValueError, r"'x'.*non-finite value \(NaN or infinity\) in row 9"),
    # Finite in float64, infinity once narrowed to the float32 the model trains in.
    "float64 1e39 in x": (lambda x, y: (np.where(np.arange(10)[:, None] == 7, 1e39,
                                                 x.astype(np.float64)), y), {},
                          ValueError, r"'x'.*beyond float32's range in row 7"),
    "strided nan in x": (lambda x, y: (np.repeat(np.where(np.arange(10)[:, None] == 6, np.nan,
                                                          x), 2, axis=1)[:, ::2], y), {},
                         ValueError, r"'x'.*non-finite.*row 6"),
    "empty x": (lambda x, y: (np.zeros((0, 3), np.float32), np.zeros((0, 2), np.float32)), {},
                ValueError, r"'x' is empty"),
    "strings": (lambda x, y: ([["a", "b", "c"]] * 10, y), {}, TypeError, r"'x' must hold numbers"),
    "ragged": (lambda x, y: ([[1, 2, 3], [1, 2]], y[:2]), {}, ValueError, r"'x'.*ragged"),
    "missing y": (lambda x, y: (x, None), {}, ValueError, r"'y' is required"),
    "batch_size 0": (None, {"batch_size": 0}, ValueError,
                     r"'batch_size' must be an int >= 1, received 0"),
    "batch_size -3": (None, {"batch_size": -3}, ValueError, r"'batch_size'.*-3"),
    "batch_size 2.5": (None, {"batch_size": 2.5}, ValueError, r"'batch_size'.*2.5"),
    "epochs 0": (None, {"epochs": 0}, ValueError, r"'epochs' must be an int >= 1, received 0"),
    "epochs -1": (None, {"epochs": -1}, ValueError, r"'epochs'.*-1"),
    "validation_split 1.5": (None, {"validation_split": 1.5}, ValueError,
                             r"'validation_split' must be a number in \[0, 1\), received 1.5"),
    "validation_split 1": (None, {"validation_split": 1.0}, ValueError, r"'validation_split'"),
    "validation_split -0.1": (None, {"validation_split": -0.1}, ValueError, r"'validation_split'"),
    "validation_split tiny": (None, {"validation_split": 1e-17}, ValueError,
                              r"leaves 10 training and 0 validation"),
    "validation_split large": (None, {"validation_split": 0.95}, ValueError,
                               r"leaves 0 training and 10 validation"),
    "sample_weight length": (None, {"sample_weight": np.ones(9)}, ValueError,
                             r"'sample_weight'.*\(10\), received 9"),
    "negative sample_weight": (None, {"sample_weight": -np.ones(10)}, ValueError, r"negative"),
    "class_weight list": (None, {"class_weight": [1, 2]}, TypeError,
                          r"'class_weight' must be a dict"),
    "validation_data shape": (None, {"validation_data": (np.zeros((4, 2)), np.zeros((4, 2)))},
                              ValueError, r"'validation_data\[0\]' must have shape \[null,3\]"),
    "validation_data nan": (None, {"validation_data": (np.full((4, 3), np.nan), np.zeros((4, 2)))},
                            ValueError, r"validation_data\[0\].*row 0"),
    "validation_data form": (None, {"validation_data": np.zeros((4, 3))}, ValueError,
                             r"'validation_data' must be \(x_val, y_val\)"),
    "initial_epoch": (None, {"initial_epoch": 3, "epochs": 2}, ValueError, r"'initial_epoch'"),
    "verbose": (None, {"verbose": 3}, ValueError, r"'verbose' must be 0, 1 or 2"),
    "steps_per_epoch": (None, {"steps_per_epoch": 0}, ValueError, r"'steps_per_epoch'"),
    "validation_freq": (None, {"validation_freq": 0}, ValueError, r"'validation_freq'"),
    "validation_batch_size": (None, {"validation_batch_size": 0, "validation_split": 0.5},
                              ValueError,
                              r"'validation_batch_size' must be an int >= 1, received 0"),
    "callbacks": (None, {"callbacks": {"on_batch_ned": print}}, ValueError, r"on_batch_ned"),
}


@pytest.mark.parametrize("case", list(BAD_FIT))
def test_bad_fit_input_raises_before_any_change(trained, case):
    model, x, y = trained
    data, kwargs, exc, match = BAD_FIT[case]
    bx, by = data(x, y) if data else (x, y)
    _raises_unchanged(model, exc, match,
                      lambda: model.fit(bx, by, **{"batch_size": 4, "verbose": 0, **kwargs}))
    _still_trains(model, x, y)


def test_bad_input_to_evaluate_predict_and_train_on_batch(trained):
    model, x, y = trained
    bad_x = np.zeros((10, 4), np.float32)
    _raises_unchanged(model, ValueError, r"predict: argument 'x' must have shape \[null,3\]",
                      lambda: model.predict(bad_x))
    _raises_unchanged(model, ValueError, r"'batch_size'", lambda: model.predict(x, batch_size=0))
    _raises_unchanged(model, ValueError, r"evaluate: .*\[null,3\]",
                      lambda: model.evaluate(bad_x, y))
    _raises_unchanged(model, ValueError, r"evaluate: .*row 1",
                      lambda: model.evaluate(x, np.where(np.arange(10)[:, None] == 1, np.nan, y)))
    _raises_unchanged(model, ValueError, r"train_on_batch: .*\[null,3\]",
                      lambda: model.train_on_batch(bad_x, y))
    _raises_unchanged(model, ValueError, r"train_on_batch: .*10 in x and 4 in y",
                      lambda: model.train_on_batch(x, y[:4]))
    _raises_unchanged(model, ValueError, r"predict_on_batch: .*\[null,3\]",
                      lambda: model.predict_on_batch(bad_x))
    _still_trains(model, x, y)


def test_sparse_labels_out_of_range():
    model = dense_model(sizes=(3, 4, 2))
    x, _, labels = classification_data(n=10)
    model.compile(optimizer="sgd", loss="sparseCategoricalCrossentropy")
    bad = labels.copy()
    bad[6] = 2
    _raises_unchanged(model, ValueError, r"label 2 in row 6 of 'y' is outside \[0, 2\)",
                      lambda: model.fit(x, bad, verbose=0))
    _raises_unchanged(model, ValueError, r"sparse categorical labels \('y'\) must have shape \[n\]",
                      lambda: model.fit(x, np.eye(2)[labels], verbose=0))


def test_fit_evaluate_before_compile():
    model = dense_model()
    x, y, _ = classification_data(n=4)
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y),
                 lambda: model.train_on_batch(x, y)):
        with pytest.raises(RuntimeError, match=r"must be compiled first"):
            call()
    assert model.predict(x).shape == (4, 2)  # predict needs no compile


def test_unknown_ids_list_the_valid_ones():
    model = dense_model()
    with pytest.raises(ValueError, match=r"unknown optimizer 'sgdd'.*'sgd'.*'adam'.*'rmsprop'"):
        model.compile(optimizer="sgdd", loss="categoricalCrossentropy")
    with pytest.raises(ValueError, match=r"unknown loss 'categorical'.*meanSquaredError"
                                         r".*categoricalCrossentropy"):
        model.compile(optimizer="sgd", loss="categorical")
    with pytest.raises(ValueError, match=r"unknown metric 'accuracyy'.*accuracy.*precision"):
        model.compile(optimizer="sgd", loss="categoricalCrossentropy", metrics=["accuracyy"])
    with pytest.raises(TypeError, match=r"'optimizer'"):
        model.compile(optimizer=3, loss="categoricalCrossentropy")
    with pytest.raises(TypeError, match=r"loss must be"):
        model.compile(optimizer="sgd", loss=3)


def test_both_spellings_and_instances_compile():
    model = dense_model()
    x, y, _ = classification_data(n=4)
    for opt in ("sgd", "adam", "adagrad", "adadelta", "adamax", "rmsprop", "momentum",
                tn.train.sgd(0.1)):
        for loss in ("categoricalCrossentropy", "categorical_crossentropy",
                     tn.losses.categorical_crossentropy):
            model.compile(optimizer=opt, loss=loss, metrics=["accuracy", "categorical_accuracy",
                                                             "categoricalAccuracy"])
    hist = model.fit(x, y, verbose=0)
    assert sorted(hist.history) == ["acc", "categoricalAccuracy", "categorical_accuracy", "loss"]
    assert hist.history["acc"] == hist.history["categorical_accuracy"]


def test_incompatible_compile_is_rejected_and_keeps_the_previous_compile():
    one_unit = dense_model(sizes=(3, 4, 1), activations=("relu", "sigmoid"))
    opt = tn.train.sgd(0.1)
    one_unit.compile(optimizer=opt, loss="binaryCrossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    y = np.array([[0], [1], [0], [1], [1], [0]], np.float32)
    for loss in ("categoricalCrossentropy", "sparse_categorical_crossentropy"):
        with pytest.raises(ValueError, match=r"more than one unit|one unit per class"):
            one_unit.compile(optimizer="adam", loss=loss)
    with pytest.raises(ValueError, match="unknown metric"):
        one_unit.compile(optimizer="adam", loss="mse", metrics=["nope"])
    assert one_unit.optimizer is opt and one_unit.loss.name == "binaryCrossentropy"
    assert [m.name for m in one_unit.metrics] == ["acc"]
    hist = one_unit.fit(x, y, verbose=0)
    assert sorted(hist.history) == ["acc", "loss"] and opt.iterations == 1


def test_layers_changed_after_compile_need_a_new_compile():
    model = dense_model()
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    model.add(tn.layers.dense(units=3, activation="softmax"))
    x, _, _ = classification_data(n=4)
    with pytest.raises(RuntimeError, match="compiled first"):
        model.fit(x, np.eye(3, dtype=np.float32)[[0, 1, 2, 0]], verbose=0)


def test_large_finite_values_are_accepted(trained):
    """The finiteness check sums first: a sum that overflows must not reject finite data."""
    model, x, y = trained
    big = np.full_like(x, 3e38)
    big[1] = -3e38
    it = model.optimizer.iterations
    model.evaluate(big, y)  # accepted (the loss itself may well be huge)
    with pytest.raises(ValueError, match=r"non-finite.*row 3"):
        model.evaluate(np.where(np.arange(10)[:, None] == 3, np.nan, big), y)
    assert model.optimizer.iterations == it
