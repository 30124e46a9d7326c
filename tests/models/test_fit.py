"""fit's arithmetic: one SGD step by hand, the same loop written with the core API,
PyTorch on the same data and initial weights, the fused softmax-cross-entropy path
against the unfused one, other losses, evaluate and train_on_batch."""
import numpy as np
import pytest

import treino as tn

from models_util import (assert_weights_close, classification_data, dense_model, forward64,
                         torch_fit, weights64)


def _hand_sgd_step(ws, x, y, lr, sample_weight=None):
    """One SGD step of a relu -> softmax dense pair with loss mean(w_i * CE_i), in
    float64, gradients written out by hand. Returns (loss, new weights)."""
    k1, b1, k2, b2 = [np.asarray(w, np.float64) for w in ws]
    x = np.asarray(x, np.float64)
    n = x.shape[0]
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    a = x @ k1 + b1
    h = np.maximum(a, 0)
    z = h @ k2 + b2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    loss = np.mean(sw * -(y * np.log(p)).sum(1))
    dz = (p * y.sum(1, keepdims=True) - y) * sw[:, None] / n
    dk2, db2 = h.T @ dz, dz.sum(0)
    da = (dz @ k2.T) * (a > 0)
    dk1, db1 = x.T @ da, da.sum(0)
    return loss, [k1 - lr * dk1, b1 - lr * db1, k2 - lr * dk2, b2 - lr * db2]


def test_one_sgd_step_by_hand():
    model = dense_model(sizes=(3, 4, 2))
    x, y, _ = classification_data(n=5)
    ws = weights64(model)
    model.compile(optimizer=tn.train.sgd(0.5), loss="categoricalCrossentropy")
    hist = model.fit(x, y, batch_size=5, epochs=1, shuffle=False, verbose=0)
    loss, expected = _hand_sgd_step(ws, x, y, 0.5)
    assert hist.history["loss"] == [pytest.approx(loss, abs=1e-6)]
    assert_weights_close(model.get_weights(), expected, atol=2e-6)
    assert model.optimizer.iterations == 1
    # The step moved every weight noticeably: the comparison is not vacuous.
    assert min(np.abs(a - b).max() for a, b in zip(ws, expected)) > 1e-3


def test_sgd_id_uses_tfjs_learning_rate():
    model = dense_model(sizes=(3, 4, 2))
    x, y, _ = classification_data(n=5)
    ws = weights64(model)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(x, y, batch_size=5, shuffle=False, verbose=0)
    assert_weights_close(model.get_weights(), _hand_sgd_step(ws, x, y, 0.01)[1], atol=1e-6)


def _core_api_loop(ws, x, y, opt, batch_size, epochs):
    """fit's loop written with the core API: variables, ops and optimizer.minimize."""
    k1, b1, k2, b2 = [tn.variable(w) for w in ws]
    for _ in range(epochs):
        for i in range(0, x.shape[0], batch_size):
            xb, yb = tn.tensor(x[i:i + batch_size]), tn.tensor(y[i:i + batch_size])

            def loss():
                h = tn.relu(tn.add(tn.matmul(xb, k1), b1))
                return tn.losses.softmax_cross_entropy(yb, tn.add(tn.matmul(h, k2), b2))
            opt.minimize(loss)
    return [v.numpy() for v in (k1, b1, k2, b2)]


@pytest.mark.parametrize("make_opt", [lambda: tn.train.sgd(0.3),
                                      lambda: tn.train.adam(0.05)], ids=["sgd", "adam"])
def test_fit_equals_the_core_api_loop(make_opt):
    model = dense_model(sizes=(3, 5, 3), seed=3)
    x, y, _ = classification_data(n=11, classes=3)
    ws = model.get_weights()
    model.compile(optimizer=make_opt(), loss="categoricalCrossentropy")
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    expected = _core_api_loop(ws, x, y, make_opt(), 4, 3)
    assert model.optimizer.iterations == 9
    assert_weights_close(model.get_weights(), expected, atol=1e-6, rtol=1e-6)


CASES = {
    # name: (sizes, activations, loss, labels kind)
    "softmax-ce": ((4, 6, 3), ("relu", "softmax"), "categoricalCrossentropy", "onehot"),
    "sigmoid-bce": ((4, 5, 1), ("tanh", "sigmoid"), "binaryCrossentropy", "binary"),
    "mse": ((4, 5, 2), ("relu", "linear"), "meanSquaredError", "real"),
}


def _labels(kind, n, seed=7):
    rng = np.random.default_rng(seed)
    if kind == "onehot":
        return np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)]
    if kind == "binary":
        return rng.integers(0, 2, (n, 1)).astype(np.float32)
    return rng.normal(size=(n, 2)).astype(np.float32)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_losses_and_weights_match_pytorch(case, opt):
    pytest.importorskip("torch")
    sizes, acts, loss, kind = CASES[case]
    model = dense_model(sizes=sizes, activations=acts, seed=11)
    x = np.random.default_rng(2).normal(size=(13, sizes[0])).astype(np.float32)
    y = _labels(kind, 13)
    ws = weights64(model)
    optimizer = tn.train.sgd(0.2) if opt == "sgd" else tn.train.adam(0.02)
    kwargs = {"lr": 0.2} if opt == "sgd" else {"lr": 0.02, "eps": 1e-7}
    model.compile(optimizer=optimizer, loss=loss)
    hist = model.fit(x, y, batch_size=5, epochs=4, shuffle=False, verbose=0)  # 5 + 5 + 3
    losses, expected = torch_fit(ws, acts, loss, opt, x, y, 5, 4, **kwargs)
    np.testing.assert_allclose(hist.history["loss"], losses, atol=1e-4, rtol=1e-4)
    assert_weights_close(model.get_weights(), expected, atol=1e-4, rtol=1e-4)
    assert abs(losses[-1] - losses[0]) > 1e-2  # training moved


def test_weighted_fit_matches_pytorch():
    pytest.importorskip("torch")
    acts = ("relu", "softmax")
    model = dense_model(sizes=(4, 6, 3), activations=acts, seed=4)
    x = np.random.default_rng(3).normal(size=(9, 4)).astype(np.float32)
    labels = np.array([0, 1, 2, 0, 1, 2, 2, 1, 0])
    y = np.eye(3, dtype=np.float32)[labels]
    sw = np.linspace(0.5, 2.0, 9).astype(np.float32)
    cw = {0: 1.0, 1: 3.0, 2: 0.25}
    ws = weights64(model)
    model.compile(optimizer=tn.train.sgd(0.1), loss="categoricalCrossentropy")
    hist = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                     sample_weight=sw, class_weight=cw)
    combined = sw * np.array([cw[c] for c in labels])
    losses, expected = torch_fit(ws, acts, "categoricalCrossentropy", "sgd", x, y, 4, 2,
                                 sample_weight=combined, lr=0.1)
    np.testing.assert_allclose(hist.history["loss"], losses, atol=1e-5)
    assert_weights_close(model.get_weights(), expected, atol=1e-5)


def test_sample_weight_and_class_weight_scale_the_loss_as_keras():
    model = dense_model(sizes=(3, 4, 2))
    x, y, labels = classification_data(n=6)
    ws = weights64(model)
    sw = np.array([1, 2, 0, 1, 0.5, 3], np.float32)
    model.compile(optimizer=tn.train.sgd(0.5), loss="categoricalCrossentropy")
    h = model.fit(x, y, batch_size=6, shuffle=False, verbose=0, sample_weight=sw,
                  class_weight={1: 4.0})
    combined = sw * np.where(labels == 1, 4.0, 1.0)
    loss, expected = _hand_sgd_step(ws, x, y, 0.5, combined)
    assert h.history["loss"][0] == pytest.approx(loss, abs=1e-6)
    assert_weights_close(model.get_weights(), expected, atol=2e-6)
    unweighted = _hand_sgd_step(ws, x, y, 0.5)[0]
    assert abs(loss - unweighted) > 1e-3


def _pair(last):
    """The same function two ways: dense softmax (fused path) and dense linear followed
    by an activation layer (the probabilities, then the loss on them)."""
    fused = dense_model(sizes=(4, 5, 3), activations=("relu", "softmax"), seed=8)
    unfused = tn.sequential(layers=[
        tn.layers.dense(units=5, activation="relu", input_shape=[4]),
        tn.layers.dense(units=3), last])
    unfused.set_weights(fused.get_weights())
    return fused, unfused


@pytest.mark.parametrize("labels_kind", ["onehot", "soft-unnormalised"])
def test_fused_softmax_ce_equals_the_unfused_path(labels_kind):
    fused, unfused = _pair(tn.layers.activation(activation="softmax"))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 4)).astype(np.float32)
    y = (np.eye(3, dtype=np.float32)[rng.integers(0, 3, 12)] if labels_kind == "onehot"
         else rng.uniform(size=(12, 3)).astype(np.float32))  # as the seed's random labels

    def my_ce(y_true, y_pred):  # a user's callable: never fused
        return tn.losses.categorical_crossentropy(y_true, y_pred)
    callable_model = dense_model(sizes=(4, 5, 3), activations=("relu", "softmax"), seed=8)
    runs = []
    for model, loss in ((fused, "categoricalCrossentropy"),
                        (unfused, "categoricalCrossentropy"), (callable_model, my_ce)):
        model.compile(optimizer=tn.train.sgd(0.2), loss=loss, metrics=["accuracy"])
        runs.append((model, model.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0)))
    assert [m._compiled.fused for m, _ in runs] == [True, False, False]
    (m0, h0), others = runs[0], runs[1:]
    for m, h in others:
        np.testing.assert_allclose(h.history["loss"], h0.history["loss"], atol=1e-5)
        np.testing.assert_allclose(h.history["acc"], h0.history["acc"], atol=1e-7)
        assert_weights_close(m.get_weights()[-2:], m0.get_weights()[-2:], atol=1e-5)
        assert_weights_close(m.get_weights()[:2], m0.get_weights()[:2], atol=1e-5)


def test_sparse_categorical_with_int_labels_equals_one_hot():
    x, y, labels = classification_data(n=10, features=4, classes=3)
    models = {}
    for key, loss, labs in (("onehot", "categoricalCrossentropy", y),
                            ("sparse", "sparseCategoricalCrossentropy", labels.astype(np.int32)),
                            ("sparse-col", "sparse_categorical_crossentropy", labels[:, None]),
                            ("sparse-float", "sparseCategoricalCrossentropy",
                             labels.astype(np.float32))):
        m = dense_model(sizes=(4, 5, 3), seed=9)
        m.compile(optimizer=tn.train.sgd(0.2), loss=loss, metrics=["acc"])
        models[key] = (m, m.fit(x, labs, batch_size=4, epochs=2, shuffle=False, verbose=0))
    m0, h0 = models["onehot"]
    for key in ("sparse", "sparse-col", "sparse-float"):
        m, h = models[key]
        np.testing.assert_allclose(h.history["loss"], h0.history["loss"], atol=1e-6)
        np.testing.assert_allclose(h.history["acc"], h0.history["acc"], atol=1e-7)
        assert_weights_close(m.get_weights(), m0.get_weights(), atol=1e-6)
    # The unfused sparse path (probabilities from an activation layer) agrees too.
    _, unfused = _pair(tn.layers.activation(activation="softmax"))
    unfused.set_weights(dense_model(sizes=(4, 5, 3), seed=9).get_weights())
    unfused.compile(optimizer=tn.train.sgd(0.2), loss="sparseCategoricalCrossentropy")
    h = unfused.fit(x, labels, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"], h0.history["loss"], atol=1e-5)
    assert_weights_close(unfused.get_weights(), m0.get_weights(), atol=1e-5)


def _ce64(model, x, y):
    p = forward64(weights64(model), ("relu", "softmax"), x)
    per = -(y * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(1)
    return per, (p.argmax(1) == y.argmax(1)).astype(np.float64)


def test_evaluate_matches_numpy_with_a_smaller_last_batch():
    model = dense_model(sizes=(3, 4, 2), seed=2)
    x, y, _ = classification_data(n=10)
    model.compile(optimizer="sgd", loss="categoricalCrossentropy", metrics=["accuracy"])
    loss, acc = model.evaluate(x, y, batch_size=3)
    per, correct = _ce64(model, x, y)
    assert isinstance(loss, tn.Tensor) and loss.shape == ()
    assert loss.item() == pytest.approx(per.mean(), abs=1e-6)
    assert acc.item() == pytest.approx(correct.mean(), abs=1e-7)
    sw = np.arange(1, 11, dtype=np.float32)
    wl, _ = model.evaluate(x, y, batch_size=4, sample_weight=sw)
    assert wl.item() == pytest.approx((per * sw).mean(), abs=1e-5)
    first, _ = model.evaluate(x, y, batch_size=4, steps=1)
    assert first.item() == pytest.approx(per[:4].mean(), abs=1e-6)
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    only = model.evaluate(x, y)
    assert isinstance(only, tn.Tensor) and only.item() == pytest.approx(per.mean(), abs=1e-6)
    assert model.optimizer.iterations == 0  # evaluate never trains


def test_train_on_batch_returns_loss_and_metrics_before_the_update():
    model = dense_model(sizes=(3, 4, 2))
    x, y, _ = classification_data(n=5)
    ws = weights64(model)
    model.compile(optimizer=tn.train.sgd(0.5), loss="categoricalCrossentropy",
                  metrics=["accuracy"])
    per, correct = _ce64(model, x, y)
    loss, acc = model.train_on_batch(x, y)
    assert isinstance(loss, float) and loss == pytest.approx(per.mean(), abs=1e-6)
    assert acc == pytest.approx(correct.mean())
    assert_weights_close(model.get_weights(), _hand_sgd_step(ws, x, y, 0.5)[1], atol=2e-6)


def test_binary_accuracy_and_mse_metric_values():
    model = dense_model(sizes=(4, 5, 1), activations=("tanh", "sigmoid"), seed=1)
    x = np.random.default_rng(6).normal(size=(8, 4)).astype(np.float32)
    y = np.array([[0], [1], [1], [0], [1], [0], [0], [1]], np.float32)
    model.compile(optimizer="sgd", loss="binaryCrossentropy", metrics=["accuracy", "mse"])
    p = forward64(weights64(model), ("tanh", "sigmoid"), x)
    loss, acc, mse = [v.item() for v in model.evaluate(x, y, batch_size=8)]
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    assert loss == pytest.approx(np.mean(-(y * np.log(pc) + (1 - y) * np.log(1 - pc))), abs=1e-6)
    assert acc == pytest.approx(np.mean((p > 0.5) == (y == 1)))
    assert mse == pytest.approx(np.mean((p - y) ** 2), abs=1e-6)
    hist = model.fit(x, y, batch_size=8, verbose=0, shuffle=False)
    assert sorted(hist.history) == ["acc", "loss", "mse"]


def test_sparse_class_weight_equals_one_hot_class_weight():
    x, y, labels = classification_data(n=9, features=4, classes=3)
    cw = {0: 2.0, 2: 0.5}
    out = []
    for loss, labs in (("categoricalCrossentropy", y), ("sparseCategoricalCrossentropy", labels)):
        m = dense_model(sizes=(4, 5, 3), seed=2)
        m.compile(optimizer=tn.train.sgd(0.3), loss=loss)
        out.append((m, m.fit(x, labs, batch_size=4, shuffle=False, verbose=0, class_weight=cw)))
    np.testing.assert_allclose(out[0][1].history["loss"], out[1][1].history["loss"], rtol=1e-6)
    assert_weights_close(out[0][0].get_weights(), out[1][0].get_weights(), atol=1e-6)


def test_fit_in_a_worker_thread():
    import threading

    model = dense_model()
    x, y, _ = classification_data(n=6)
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    errors = []

    def run():
        try:
            model.fit(x, y, epochs=2, verbose=0)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert errors == [] and model.optimizer.iterations == 2


def test_sample_weights_with_a_loss_that_keeps_trailing_axes():
    # A user's loss returning [n, 1] (or [n, k]) is reduced to one value per sample before
    # the [n] weights apply, as Keras does, instead of broadcasting to [n, n].
    model = tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[1])])
    model.set_weights([np.array([[1.0, 2.0]], np.float32), np.zeros(2, np.float32)])

    def squared(y_true, y_pred):
        return tn.square(tn.sub(y_true, y_pred))
    model.compile(optimizer=tn.train.sgd(0.0), loss=squared)
    x = np.array([[1.0], [2.0], [3.0]], np.float32)
    y = np.zeros((3, 2), np.float32)
    w = np.array([1.0, 0.0, 2.0], np.float32)
    per = ((x * [1.0, 2.0]) ** 2).mean(1)
    assert model.evaluate(x, y, sample_weight=w).item() == pytest.approx((per * w).mean())
    hist = model.fit(x, y, sample_weight=w, batch_size=3, verbose=0)
    assert hist.history["loss"][0] == pytest.approx((per * w).mean())
    assert model.evaluate(x, y).item() == pytest.approx(per.mean())
