"""Training calls that cannot do what was asked say so: a rank-3 softmax output with
categorical cross-entropy trains on the loss itself (the fused kernel only takes 2-D
logits), a loss that ignores the model's output is refused, the layers changing during
fit and two training calls at once on one model are clear errors, and none of them
changes the weights."""
import threading

import numpy as np
import pytest

import treino as tn

from models_util import dense_model


def _seq_model(units=4, activation="softmax"):
    model = tn.sequential(layers=[tn.layers.dense(units=units, activation=activation,
                                                  input_shape=[3, 5])])
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.weights])
    return model


def test_rank3_softmax_categorical_crossentropy_trains_on_the_per_position_loss():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 3, 5)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (6, 3))]
    model = _seq_model()
    model.compile(optimizer=tn.train.sgd(0.5), loss="categoricalCrossentropy")
    k, b = [w.numpy().astype(np.float64) for w in model.get_weights()]
    # float64 reference: softmax over the last axis, CE per position, mean over all.
    z = x.astype(np.float64) @ k + b
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    loss = -(y * np.log(p)).sum(-1).mean()
    dz = (p - y) / (6 * 3)
    k_new = k - 0.5 * np.einsum("nti,ntu->iu", x, dz)
    b_new = b - 0.5 * dz.sum((0, 1))
    got = model.train_on_batch(x, y)
    assert got == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], k_new, atol=1e-5)
    np.testing.assert_allclose(model.get_weights()[1], b_new, atol=1e-5)
    ev = model.evaluate(x, y)
    assert float(ev.item()) < loss  # one step downhill
    hist = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert len(hist.history["loss"]) == 2


@pytest.mark.parametrize("record", [True, False])
def test_loss_that_ignores_the_output_is_refused_and_changes_nothing(record):
    model = dense_model((3, 2), ("linear",))
    model.run_eagerly = not record
    model.compile(optimizer="sgd", loss=lambda y_true, y_pred: tn.mean(tn.square(y_true)))
    before = model.get_weights()
    x, y = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    with pytest.raises(ValueError, match="does not depend on the model's output"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="does not depend on the model's output"):
        model.train_on_batch(x, y)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 0
    # Evaluating such a loss is fine: nothing is trained.
    assert float(model.evaluate(x, y).item()) == pytest.approx(1.0)


@pytest.mark.parametrize("change", ["add", "pop", "compile"])
def test_changing_the_model_in_a_callback_is_a_clear_error(change):
    model = dense_model((3, 4, 2), ("relu", "linear"))
    model.compile(optimizer="sgd", loss="meanSquaredError")

    def on_batch_end(batch, logs):
        if change == "add":
            model.add(tn.layers.dense(units=2))
        elif change == "pop":
            model.pop()
        else:
            model.compile(optimizer="adam", loss="meanSquaredError")
    x, y = np.ones((64, 3), np.float32), np.ones((64, 2), np.float32)
    with pytest.raises(RuntimeError, match="changed during fit"):
        model.fit(x, y, batch_size=8, verbose=0, callbacks={"on_batch_end": on_batch_end})


def test_a_second_training_call_while_fit_runs_is_refused():
    model = dense_model((3, 4, 2), ("relu", "linear"))
    model.compile(optimizer="sgd", loss="meanSquaredError")
    x, y = np.ones((64, 3), np.float32), np.ones((64, 2), np.float32)
    inside, release, errors = threading.Event(), threading.Event(), []

    def on_batch_end(batch, logs):
        if batch == 0:
            inside.set()
            release.wait(10)

    def first():
        model.fit(x, y, batch_size=8, verbose=0, callbacks={"on_batch_end": on_batch_end})

    t = threading.Thread(target=first)
    t.start()
    try:
        assert inside.wait(10)
        for fn, call in (("fit", lambda: model.fit(x, y, verbose=0)),
                         ("train_on_batch", lambda: model.train_on_batch(x, y)),
                         ("fit_dataset", lambda: model.fit_dataset(
                             tn.data.array([(x[:8], y[:8])]), verbose=0))):
            with pytest.raises(RuntimeError, match=f"^{fn}: .* already training"):
                call()
    finally:
        release.set()
        t.join()
    # The first fit finished all its epochs' batches; the model trains again afterwards.
    assert len(model.history.history["loss"]) == 1
    model.train_on_batch(x, y)


def test_fit_inside_a_callback_is_refused():
    model = dense_model((3, 2), ("linear",))
    model.compile(optimizer="sgd", loss="meanSquaredError")
    x, y = np.ones((16, 3), np.float32), np.ones((16, 2), np.float32)
    with pytest.raises(RuntimeError, match="already training"):
        model.fit(x, y, verbose=0,
                  callbacks={"on_epoch_end": lambda e, l: model.fit(x, y, verbose=0)})


def test_model_trainable_false_freezes_every_layer_as_tfjs():
    model = dense_model((3, 4, 2), ("relu", "linear"))
    model.compile(optimizer="sgd", loss="meanSquaredError")
    x, y = np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32)
    model.fit(x, y, verbose=0)  # captured with every weight trainable
    with pytest.raises(TypeError, match="trainable"):
        model.trainable = "false"
    assert model.trainable is True
    model.trainable = False
    assert model.trainable is False and not model.trainable_weights
    # TF.js: the layers' weights freeze; the layers' own flags stay
    assert all(not layer.trainable_weights and layer.trainable for layer in model.layers)
    before = model.get_weights()
    hist = model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert hist.history["loss"][0] == hist.history["loss"][1] > 0
    model.trainable = True
    model.fit(x, y, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
