"""What ported TF.js code relies on beyond the common path: get_weights returning Tensor
copies (and trainable_only), set_weights taking Tensors or arrays, the LayerArgs a
user's layer forwards to Layer (weights, input_dtype, ...), and the options of
ModelFitArgs / ModelFitDatasetArgs / ModelEvaluateArgs / ModelPredictArgs that have no
effect in Python (yield_every, verbose of evaluate and predict) or that fit_dataset
lacked (validation_batch_size, weighted validation arrays)."""
import numpy as np
import pytest

import treino as tn
from treino.core.tensor import Tensor

from models_util import classification_data, dense_model, forward64, weights64


def _compiled(seed=0, **kwargs):
    model = dense_model(sizes=(3, 4, 2), seed=seed, **kwargs)
    model.compile(optimizer=tn.train.sgd(0.3), loss="categoricalCrossentropy",
                  metrics=["accuracy"])
    return model


def _ce64(weights, x, y, sample_weight=None):
    """The per-sample categorical cross-entropy's (weighted) mean, in float64."""
    p = forward64(weights, ("relu", "softmax"), x)
    per = -(np.asarray(y, np.float64) * np.log(p)).sum(-1)
    w = np.ones(len(per)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    return float((per * w).mean())


def _ce64_tanh(weights, x, y):
    p = forward64(weights, ("tanh", "softmax"), x)
    return float(-(np.asarray(y, np.float64) * np.log(p)).sum(-1).mean())


# -- get_weights / set_weights -----------------------------------------------------------

def test_get_weights_returns_tensor_copies_of_the_current_values():
    model = _compiled()
    x, y, _ = classification_data(n=12)
    layer = model.layers[0]
    before, layer_before = model.get_weights(), layer.get_weights()
    assert all(type(t) is Tensor for t in before + layer_before)
    assert [t.shape for t in before] == [(3, 4), (4,), (4, 2), (2,)]
    for t, lv in zip(before, model.weights):
        np.testing.assert_array_equal(t.numpy(), lv.val.numpy())
        assert not np.shares_memory(np.asarray(t), lv.val._data)  # a copy, not a view
    saved = [t.numpy() for t in before]
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    # Training updated the weights in place; the Tensors taken before kept their values.
    for t, s, lv in zip(before, saved, model.weights):
        np.testing.assert_array_equal(t.numpy(), s)
        assert not np.array_equal(lv.val.numpy(), s)
    np.testing.assert_array_equal(layer_before[0].numpy(), saved[0])
    model.layers[0].weights[0].val.assign(np.zeros((3, 4), np.float32))
    np.testing.assert_array_equal(before[0].numpy(), saved[0])


def test_get_weights_results_work_with_numpy_and_tensor_arithmetic():
    model = _compiled()
    a = model.get_weights()
    model.set_weights([np.asarray(w) + 1 for w in a])
    b = model.get_weights()
    for wa, wb in zip(a, b):
        diff = wb - wa  # Tensor arithmetic
        assert isinstance(diff, Tensor)
        np.testing.assert_allclose(diff.numpy(), 1.0, rtol=0, atol=1e-6)
        np.testing.assert_allclose(wb, np.asarray(wa) + 1, rtol=0, atol=1e-6)
        assert np.asarray(wa).dtype == np.float32 and wa.dtype == "float32"
    assert sum(int(np.prod(w.shape)) for w in a) == model.count_params()


def test_get_weights_trainable_only_as_tfjs():
    model = tn.sequential(layers=[
        tn.layers.dense(units=4, input_shape=[3]),
        tn.layers.batch_normalization(),
        tn.layers.dense(units=2)])
    names = [w.name for w in model.weights]
    trainable = [w.name for w in model.trainable_weights]
    assert len(model.get_weights()) == len(names) == 8
    only = model.get_weights(trainable_only=True)
    assert len(only) == len(trainable) == 6
    for t, lv in zip(only, model.trainable_weights):
        np.testing.assert_array_equal(t.numpy(), lv.val.numpy())
    model.layers[0].trainable = False
    assert [t.shape for t in model.get_weights(trainable_only=True)] == [(4,), (4,), (4, 2), (2,)]
    bn = model.layers[1]
    assert [t.shape for t in bn.get_weights(trainable_only=True)] == [(4,), (4,)]
    assert len(bn.get_weights()) == 4
    with pytest.raises(TypeError, match="'trainable_only' must be True or False"):
        model.get_weights(trainable_only="yes")
    with pytest.raises(TypeError, match="'trainable_only' must be True or False"):
        bn.get_weights(1)


def test_set_weights_takes_tensors_arrays_and_lists_and_checks_the_whole_list():
    model = _compiled()
    rng = np.random.default_rng(3)
    values = [rng.normal(size=w.shape).astype(np.float32) for w in model.weights]
    mixed = [tn.tensor(values[0]), values[1], values[2].tolist(), tn.tensor(values[3])]
    model.set_weights(mixed)
    for t, v in zip(model.get_weights(), values):
        np.testing.assert_array_equal(t.numpy(), v)
    model.set_weights(model.get_weights())  # the round trip TF.js code does
    for t, v in zip(model.get_weights(), values):
        np.testing.assert_array_equal(t.numpy(), v)
    model.layers[1].set_weights([tn.ones([4, 2], dtype="int32"), np.arange(2)])
    np.testing.assert_array_equal(model.layers[1].get_weights()[1].numpy(), [0.0, 1.0])
    assert model.layers[1].get_weights()[0].dtype == "float32"
    before = weights64(model)
    bad = [
        ([tn.tensor(values[0])] * 4, ValueError, r"has shape \[4\], received \[3, 4\]"),
        (model.get_weights()[:3], ValueError, "4 weights, received 3 arrays"),
        (model.get_weights()[:3] + [tn.complex(tn.ones([2]), tn.ones([2]))], TypeError,
         "needs numbers"),
        (tn.ones([3, 4]), TypeError, "expects a list of Tensors or arrays, received Tensor"),
        (np.ones((4, 3)), TypeError, "expects a list of Tensors or arrays, received ndarray"),
        ({"k": values[0]}, TypeError, "received dict"),
        (7, TypeError, "received int"),
    ]
    for weights, err, match in bad:
        with pytest.raises(err, match=match):
            model.set_weights(weights)
        for a, b in zip(weights64(model), before):  # nothing was assigned
            np.testing.assert_array_equal(a, b)


def test_early_stopping_restores_get_weights_values():
    model = _compiled()
    x, y, _ = classification_data(n=12)
    best = []

    class Spy(tn.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            best.append((logs["loss"], [t.numpy() for t in self.model.get_weights()]))
    stop = tn.callbacks.early_stopping(monitor="loss", patience=1, restore_best_weights=True,
                                       min_delta=10.0)
    model.fit(x, y, batch_size=4, epochs=4, verbose=0, callbacks=[Spy(), stop])
    # min_delta=10: epoch 0 is the best; training stops after epoch 1 and restores it.
    assert len(best) == 2
    for t, w in zip(model.get_weights(), best[0][1]):
        np.testing.assert_array_equal(t.numpy(), w)


# -- LayerArgs forwarded by a user's layer -------------------------------------------------

class Scale(tn.layers.Layer):
    """A user layer as TF.js code writes it: its own option, the rest handed to Layer."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight("w", [input_shape[-1]], "ones")
        self.b = self.add_weight("b", [1], "zeros", trainable=False)

    def call(self, inputs, training=False):
        return inputs * self.w.val * self.factor + self.b.val

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_user_layer_forwards_every_tfjs_layer_arg():
    w0 = np.array([2.0, -1.0, 0.5], np.float32)
    layer = Scale(factor=2.0, name="scale", trainable=False, input_shape=[3], batch_size=4,
                  dtype="float32", weights=[w0, np.array([0.25])])
    assert layer.name == "scale" and layer.trainable is False
    assert layer.batch_input_shape == (4, 3) and layer.dtype == "float32"
    model = tn.sequential(layers=[layer])
    assert model.inputs[0].shape == (4, 3)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x).numpy(), x * w0 * 2.0 + 0.25, rtol=1e-6)
    assert [t.numpy().tolist() for t in layer.get_weights()] == [w0.tolist(), [0.25]]
    config = layer.get_config()
    assert "weights" not in config and "input_dtype" not in config  # not TF.js config keys
    assert Scale.from_config(config).get_config()["batch_input_shape"] == [4, 3]
    with pytest.raises(TypeError, match=r"Scale: unknown argument 'input_dims'; accepted "
                                        r"arguments: factor, name, .*weights, input_dtype"):
        Scale(input_dims=3)
    with pytest.raises(TypeError, match=r"Scale: unknown arguments 'foo', 'bar'"):
        Scale(foo=1, bar=2)


def test_initial_weights_are_set_when_the_layer_is_built_in_every_way():
    k = np.arange(6, dtype=np.float32).reshape(3, 2) / 10
    b = np.array([1.0, -1.0], np.float32)
    x = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    want = x.astype(np.float64) @ k + b

    # In a Sequential (built by add), applied to a symbolic input, and called eagerly.
    seq = tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[3], weights=[k, b])])
    inp = tn.input(shape=[3])
    out = tn.layers.dense(units=2, weights=[tn.tensor(k), b]).apply(inp)
    fun = tn.model(inputs=inp, outputs=out)
    eager = tn.layers.dense(units=2, weights=(k, tn.tensor(b)))
    for out in (seq.predict(x), fun.predict(x), eager(tn.tensor(x))):
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-6, atol=1e-6)
    # A user layer built on its first call, and an unbuilt layer before the call.
    user = Scale(weights=[np.full(3, 3.0, np.float32), np.zeros(1, np.float32)])
    assert not user.built and user.get_weights() == []
    np.testing.assert_allclose(user(tn.tensor(x)).numpy(), 3 * x, rtol=1e-6)


def test_initial_weights_are_copied_and_set_only_once():
    k = np.ones((3, 2), np.float32)
    layer = tn.layers.dense(units=2, use_bias=False, input_shape=[3], weights=[k])
    k[:] = 7.0  # changed after the constructor: not the values given
    model = tn.sequential(layers=[layer])
    np.testing.assert_array_equal(layer.get_weights()[0].numpy(), np.ones((3, 2)))
    model.compile(optimizer=tn.train.sgd(0.5), loss="meanSquaredError")
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    trained = layer.get_weights()[0].numpy()
    assert not np.array_equal(trained, np.ones((3, 2)))
    model.predict(x)  # applying the layer again does not put the initial values back
    np.testing.assert_array_equal(layer.get_weights()[0].numpy(), trained)


def test_initial_weights_train_the_same_replayed_and_eager():
    x, y, _ = classification_data(n=20, features=3, classes=2, seed=4)
    rng = np.random.default_rng(9)
    init = [rng.normal(0, 0.5, s).astype(np.float32) for s in ((3, 5), (5,), (5, 2), (2,))]
    results = []
    for eager in (False, True):
        model = tn.sequential(layers=[
            tn.layers.dense(units=5, activation="tanh", input_shape=[3], weights=init[:2]),
            tn.layers.dense(units=2, activation="softmax", weights=init[2:])])
        model.compile(optimizer=tn.train.adam(0.05), loss="categoricalCrossentropy",
                      run_eagerly=eager)
        batches = []
        h = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                      callbacks={"on_batch_end": lambda b, logs: batches.append(logs["loss"])})
        results.append((h.history["loss"], batches, [t.numpy() for t in model.get_weights()]))
    assert results[0][:2] == results[1][:2]
    for a, b in zip(results[0][2], results[1][2]):
        np.testing.assert_array_equal(a, b)
    # The first step's loss is the initial weights' (a float64 forward pass).
    np.testing.assert_allclose(results[0][1][0], _ce64_tanh(init, x[:8], y[:8]), rtol=1e-5)


def test_initial_weights_errors():
    with pytest.raises(TypeError, match="Dense: argument 'weights' must be a list of Tensors "
                                        "or arrays.*received ndarray"):
        tn.layers.dense(units=2, weights=np.ones((3, 2)))
    with pytest.raises(TypeError, match="received dict"):
        tn.layers.dense(units=2, weights={"kernel": np.ones((3, 2))})
    with pytest.raises(TypeError, match=r"'weights': item 1 must be a Tensor or array of "
                                        r"numbers, received dtype <U1"):
        tn.layers.dense(units=2, weights=[np.ones((3, 2)), "a"])
    with pytest.raises(TypeError, match=r"'weights': item 0 is not an array of numbers"):
        tn.layers.dense(units=2, weights=[[[1, 2], [3]]])
    layer = tn.layers.dense(units=2, weights=[np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"argument 'weights': there are 2 weights, received "
                                         r"1 arrays \(the initial weights given to the "
                                         r"constructor, set when the layer is built\)"):
        layer(tn.ones([1, 3]))
    layer = tn.layers.dense(units=2, weights=[np.ones((4, 2)), np.ones(2)])
    with pytest.raises(ValueError, match=r"kernel has shape \[3, 2\], received \[4, 2\]"):
        tn.sequential(layers=[tn.layers.dense(units=3, input_shape=[5]), layer])
    inp = tn.input(shape=[3])
    with pytest.raises(ValueError, match="argument 'weights'"):
        tn.layers.dense(units=2, weights=[np.ones((4, 2)), np.ones(2)]).apply(inp)


def test_input_dtype_is_the_legacy_name_of_dtype():
    emb = tn.layers.embedding(input_dim=5, output_dim=2, input_shape=[3], input_dtype="int32")
    assert emb.dtype == "int32" and emb.get_config()["dtype"] == "int32"
    model = tn.sequential(layers=[emb])
    assert model.inputs[0].dtype == "int32"
    assert Scale(input_dtype="int32", dtype="int32").dtype == "int32"
    assert Scale(input_dtype=None).dtype == "float32"
    with pytest.raises(ValueError, match=r"Scale: 'dtype' and 'input_dtype' \(its legacy "
                                         r"name\) disagree: received dtype='float32' and "
                                         r"input_dtype='int32'"):
        Scale(dtype="float32", input_dtype="int32")
    with pytest.raises(ValueError, match=r"Scale: argument 'input_dtype' must be one of "
                                         r"'float32'.*received 'float64'"):
        Scale(input_dtype="float64")
    with pytest.raises(TypeError, match=r"Dense: argument 'input_dtype' must be"):
        tn.layers.dense(units=1, input_dtype=3)


def test_a_refused_layer_argument_draws_no_default_name():
    first = tn.layers.dense(units=1).name
    with pytest.raises(ValueError):
        tn.layers.dense(units=1, input_dtype="float32", dtype="int32")
    with pytest.raises(TypeError):
        tn.layers.dense(units=1, weights="kernel")
    number = int(first.rsplit("Dense", 1)[1])
    assert tn.layers.dense(units=1).name == f"dense_Dense{number + 1}"


# -- fit / fit_dataset / evaluate / predict options ----------------------------------------

def _fit_run(**kwargs):
    tn.set_seed(7)
    model = _compiled(seed=2)
    x, y, _ = classification_data(n=14, seed=3)
    h = model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_split=0.25, **kwargs)
    return h.history, [t.numpy() for t in model.get_weights()]


@pytest.mark.parametrize("value", ["auto", "batch", "epoch", "never", 0, 125, 0.5, None,
                                   np.int64(10)])
def test_yield_every_is_accepted_and_changes_nothing(value):
    hist, weights = _fit_run(yield_every=value)
    ref_hist, ref_weights = _fit_run()
    assert hist == ref_hist
    for a, b in zip(weights, ref_weights):
        np.testing.assert_array_equal(a, b)


def test_fit_dataset_takes_yield_every():
    x, y, _ = classification_data(n=12)
    runs = []
    for kwargs in ({}, {"yield_every": "batch"}, {"yield_every": 40}):
        model = _compiled(seed=1)
        ds = tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y)}).batch(5)
        h = model.fit_dataset(ds, epochs=2, verbose=0, **kwargs)
        runs.append((h.history, weights64(model)))
    for hist, weights in runs[1:]:
        assert hist == runs[0][0]
        for a, b in zip(weights, runs[0][1]):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("value, err, match", [
    ("sometimes", ValueError, r"'yield_every' must be one of 'auto', 'batch', 'epoch', "
                              r"'never' or a number of milliseconds >= 0, received 'sometimes'"),
    ("Batch", ValueError, "received 'Batch'"),
    (-1, ValueError, r"milliseconds >= 0 when it is a number, received -1"),
    (float("nan"), ValueError, "received nan"),
    (float("inf"), ValueError, "received inf"),
    (True, TypeError, r"received True \(of type bool\)"),
    ([100], TypeError, r"of type list"),
])
def test_bad_yield_every_raises_before_any_change(value, err, match):
    model = _compiled()
    x, y, _ = classification_data(n=8)
    before = weights64(model)
    with pytest.raises(err, match="fit: argument " + match if match.startswith("'") else match):
        model.fit(x, y, verbose=0, yield_every=value)
    ds = tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y)}).batch(4)
    with pytest.raises(err, match=match):
        model.fit_dataset(ds, verbose=0, yield_every=value)
    assert model.optimizer.iterations == 0 and model.history is None
    for a, b in zip(weights64(model), before):
        np.testing.assert_array_equal(a, b)


def test_every_tfjs_fit_option_together():
    """A TF.js program's fit call, ModelFitArgs in full (snake_case)."""
    x, y, labels = classification_data(n=20, seed=5)
    model = _compiled(seed=4)
    seen = []
    h = model.fit(x, y, batch_size=6, epochs=3, verbose=0,
                  callbacks={"onEpochEnd": lambda epoch, logs: seen.append(epoch)},
                  validation_split=0.25, shuffle=True, class_weight={0: 1.0, 1: 3.0},
                  sample_weight=None, initial_epoch=1, steps_per_epoch=None,
                  validation_steps=None, yield_every="never")
    assert h.epoch == seen == [1, 2]
    assert sorted(h.history) == ["acc", "loss", "val_acc", "val_loss"]
    # val_loss is the unweighted loss of the last quarter (class weights weight training
    # samples only), as evaluate computes it from the final weights.
    np.testing.assert_allclose(h.history["val_loss"][-1],
                               _ce64(weights64(model), x[15:], y[15:]), rtol=1e-5)


def _batch_sizes_recorder():
    sizes = []

    def recorded_ce(y_true, y_pred):  # reads values: runs at every step (docs/engine.md)
        sizes.append(int(y_true.numpy().shape[0]))
        return tn.metrics.categorical_crossentropy(y_true, y_pred)
    return sizes, recorded_ce


def test_fit_dataset_validation_batch_size_and_weighted_validation_arrays():
    x, y, _ = classification_data(n=12, seed=6)
    vx, vy, _ = classification_data(n=10, seed=7)
    vw = np.array([1, 0, 2, 1, 0, 1, 3, 1, 0, 1], np.float32)
    sizes, loss = _batch_sizes_recorder()
    model = dense_model(sizes=(3, 4, 2), seed=8)
    model.compile(optimizer=tn.train.sgd(0.2), loss=loss)
    ds = tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y)}).batch(6)
    h = model.fit_dataset(ds, epochs=1, verbose=0, validation_data=(vx, vy, vw),
                          validation_batch_size=4)
    assert sizes == [6, 6, 4, 4, 2]  # two training batches, then validation in fours
    np.testing.assert_allclose(h.history["val_loss"][0],
                               _ce64(weights64(model), vx, vy, vw), rtol=1e-5)
    del sizes[:]
    h = model.fit_dataset(ds, epochs=1, verbose=0, validation_data=(vx, vy))
    assert sizes == [6, 6, 10]  # TF.js's default validation batch size is 32
    np.testing.assert_allclose(h.history["val_loss"][0], _ce64(weights64(model), vx, vy),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="fit_dataset: argument 'validation_batch_size' must "
                                         "be an int >= 1, received 0"):
        model.fit_dataset(ds, validation_data=(vx, vy), validation_batch_size=0)
    with pytest.raises(ValueError, match=r"must be a Dataset, \(x_val, y_val\) or "
                                         r"\(x_val, y_val, sample_weight_val\)"):
        model.fit_dataset(ds, validation_data=(vx,))
    with pytest.raises(ValueError, match=r"validation_data\[2\]"):
        model.fit_dataset(ds, validation_data=(vx, vy, vw[:4]))


def test_verbose_of_evaluate_predict_and_evaluate_dataset_is_checked(capsys):
    model = _compiled()
    x, y, _ = classification_data(n=8)
    ds = tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y)}).batch(4)
    for v in (0, 1, 2, True, False):
        model.evaluate(x, y, verbose=v)
        model.predict(x, verbose=v)
        model.evaluate_dataset(ds, verbose=v)
    assert capsys.readouterr().out == ""  # no verbose mode, as in TF.js
    for call, fn in ((lambda v: model.evaluate(x, y, verbose=v), "evaluate"),
                     (lambda v: model.predict(x, verbose=v), "predict"),
                     (lambda v: model.evaluate_dataset(ds, verbose=v), "evaluate_dataset"),
                     (lambda v: model.fit_dataset(ds, verbose=v), "fit_dataset"),
                     (lambda v: model.fit(x, y, verbose=v), "fit")):
        for bad in (3, -1, "1", 1.5, None):
            with pytest.raises(ValueError, match=f"{fn}: argument 'verbose' must be 0, 1 or "
                                                 f"2, received {bad!r}"):
                call(bad)
    assert model.optimizer.iterations == 0


def _tiny_model():
    tn.set_seed(0)
    model = tn.sequential(layers=[tn.layers.dense(units=1, input_shape=[2])])
    model.compile(optimizer="sgd", loss="meanSquaredError")
    return model


def test_on_yield_is_paced_by_yield_every(monkeypatch):
    """TF.js's onYield(epoch, batch, logs): after a batch's end, at most once every
    yield_every ms ('auto': 125), never with 'batch' or 'epoch'; with 'never' it is an
    error."""
    import treino.callbacks.base as cb_base

    class Clock:  # 40 ms pass at every reading
        now = 0.0

        def monotonic(self):
            Clock.now += 0.040
            return Clock.now
    monkeypatch.setattr(cb_base, "time", Clock())
    x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    for every, expected in ((0, 8), (100, 2), ("auto", 2), ("batch", 0), ("epoch", 0)):
        calls = []
        _tiny_model().fit(x, y, batch_size=2, epochs=2, verbose=0, yield_every=every,
                          callbacks={"onYield": lambda e, b, logs: calls.append((e, b))})
        if every == 0:
            assert calls == [(e, b) for e in range(2) for b in range(4)]
        elif every in (100, "auto"):
            # The first reading is at construction; 40 ms per batch end: every third
            # (100 ms) or fourth (125 ms) batch end calls it.
            assert 1 <= len(calls) <= 3 and all(isinstance(c[1], int) for c in calls)
        else:
            assert calls == []
    with pytest.raises(ValueError, match="yield_every is 'never' but an on_yield"):
        _tiny_model().fit(x, y, epochs=1, verbose=0, yield_every="never",
                          callbacks={"on_yield": lambda e, b, logs: None})
    with pytest.raises(ValueError, match="given twice"):
        _tiny_model().fit(x, y, epochs=1, verbose=0,
                          callbacks={"on_yield": print, "onYield": print})
    # fit_dataset too, and the other hooks still run alongside
    ends = []
    ds = tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y)}).batch(4)
    _tiny_model().fit_dataset(ds, epochs=1, verbose=0, yield_every=0, callbacks={
        "on_batch_end": lambda b, logs: ends.append(("end", b)),
        "on_yield": lambda e, b, logs: ends.append(("yield", b))})
    assert ends == [("end", 0), ("yield", 0), ("end", 1), ("yield", 1)]
