"""fit's options: shuffling, batching, validation, History and logs, initial_epoch,
steps_per_epoch, stopping from a callback and on Ctrl-C."""
import os
import signal

import numpy as np
import pytest

import treino as tn

from models_util import assert_weights_close, classification_data, dense_model


class Recorder:
    """A callable loss that records the labels of every batch it sees: with y = the
    sample index, the record is the batch composition."""

    def __init__(self):
        self.batches = []
        self.__name__ = "recorded_mse"

    def __call__(self, y_true, y_pred):
        self.batches.append(y_true.numpy().ravel().astype(int).tolist())
        return tn.losses.mse(y_true, y_pred)


def _index_model(n, loss):
    model = tn.sequential(layers=[tn.layers.dense(units=1, input_shape=[1])])
    model.compile(optimizer=tn.train.sgd(1e-4), loss=loss)
    idx = np.arange(n, dtype=np.float32)[:, None]
    return model, idx, idx.copy()


def _train_batches(n, epochs, batch_size, seed=None, **fit_kwargs):
    rec = Recorder()
    model, x, y = _index_model(n, rec)
    if seed is not None:
        tn.set_seed(seed)
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, **fit_kwargs)
    return rec.batches


def test_shuffle_every_sample_once_per_epoch_with_a_smaller_last_batch():
    batches = _train_batches(10, 3, 4, seed=1)
    assert [len(b) for b in batches] == [4, 4, 2] * 3
    epochs = [sum(batches[i:i + 3], []) for i in (0, 3, 6)]
    for order in epochs:
        assert sorted(order) == list(range(10))
    assert len({tuple(o) for o in epochs}) == 3  # a fresh permutation each epoch
    assert epochs[0] != list(range(10))


def test_shuffle_is_seeded_by_set_seed():
    assert _train_batches(12, 2, 5, seed=42) == _train_batches(12, 2, 5, seed=42)
    assert _train_batches(12, 2, 5, seed=42) != _train_batches(12, 2, 5, seed=43)


def test_no_shuffle_keeps_the_order():
    assert _train_batches(7, 2, 3, shuffle=False) == [[0, 1, 2], [3, 4, 5], [6]] * 2


def test_validation_split_takes_the_last_fraction_before_shuffling():
    rec = Recorder()
    model, x, y = _index_model(10, rec)
    tn.set_seed(0)
    hist = model.fit(x, y, batch_size=3, epochs=2, validation_split=0.3, verbose=0)
    # Per epoch: 3 training batches over samples 0..6, then validation on 7, 8, 9.
    assert [len(b) for b in rec.batches] == [3, 3, 1, 3] * 2
    for e in range(2):
        train = sum(rec.batches[4 * e:4 * e + 3], [])
        assert sorted(train) == list(range(7))
        assert rec.batches[4 * e + 3] == [7, 8, 9]
    assert hist.params["samples"] == 7
    # The last epoch's validation ran on the final weights: it equals evaluate.
    final = model.evaluate(x[7:], y[7:], batch_size=3).item()
    assert hist.history["val_loss"][-1] == pytest.approx(final, rel=1e-6)


def test_validation_data_freq_logs_and_history():
    model = dense_model(sizes=(3, 4, 2))
    x, y, _ = classification_data(n=12)
    vx, vy, _ = classification_data(n=5, seed=9)
    model.compile(optimizer=tn.train.sgd(0.1), loss="categoricalCrossentropy",
                  metrics=["accuracy"])
    seen = []
    hist = model.fit(x, y, batch_size=5, epochs=4, verbose=0, validation_data=(vx, vy),
                     validation_freq=2, callbacks={
                         "on_epoch_end": lambda epoch, logs: seen.append((epoch, dict(logs))),
                         "onBatchEnd": lambda batch, logs: seen.append((batch, dict(logs)))})
    epoch_logs = [logs for e, logs in seen if "batch" not in logs]
    batch_logs = [logs for e, logs in seen if "batch" in logs]
    validated = ["acc", "loss", "val_acc", "val_loss"]
    assert [sorted(l) for l in epoch_logs] == [["acc", "loss"], validated] * 2
    assert sorted(batch_logs[0]) == ["acc", "batch", "loss", "size"]
    assert [l["size"] for l in batch_logs] == [5, 5, 2] * 4
    for logs in epoch_logs + batch_logs:
        assert all(type(v) in (float, int) for v in logs.values())
        assert all(type(logs[k]) is float for k in ("loss", "acc"))
    assert hist.epoch == [0, 1, 2, 3]
    assert len(hist.history["loss"]) == 4 and len(hist.history["val_loss"]) == 2
    assert hist.history["val_loss"][-1] == pytest.approx(model.evaluate(vx, vy)[0].item(), rel=1e-6)
    # The epoch loss is the size-weighted mean of the batch losses.
    first = batch_logs[:3]
    assert hist.history["loss"][0] == pytest.approx(
        sum(l["loss"] * l["size"] for l in first) / 12, rel=1e-6)
    assert hist.params["epochs"] == 4 and hist.params["steps"] == 3
    assert hist.params["batch_size"] == 5 and hist.params["samples"] == 12
    assert "val_loss" in hist.params["metrics"]


def test_validation_with_sample_weights():
    model = dense_model(sizes=(3, 4, 2))
    x, y, _ = classification_data(n=8)
    vx, vy, _ = classification_data(n=6, seed=4)
    vw = np.array([1, 0, 2, 1, 0, 3], np.float32)
    model.compile(optimizer=tn.train.sgd(0.1), loss="categoricalCrossentropy")
    hist = model.fit(x, y, epochs=1, verbose=0, validation_data=(vx, vy, vw))
    expected = model.evaluate(vx, vy, sample_weight=vw).item()
    assert hist.history["val_loss"] == [pytest.approx(expected, rel=1e-6)]


def test_initial_epoch():
    model = dense_model()
    x, y, _ = classification_data(n=6)
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    begun = []
    hist = model.fit(x, y, epochs=4, initial_epoch=2, verbose=0,
                     callbacks={"on_epoch_begin": lambda e, logs: begun.append(e)})
    assert begun == [2, 3] and hist.epoch == [2, 3] and len(hist.history["loss"]) == 2
    assert model.optimizer.iterations == 2


def test_steps_per_epoch_continues_through_the_data():
    batches = _train_batches(10, 3, 4, shuffle=False, steps_per_epoch=2)
    assert len(batches) == 6
    flat = sum(batches, [])
    # Every sample once before any repeats; 2 batches per epoch regardless of passes.
    assert sorted(flat[:10]) == list(range(10))
    assert batches[:3] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert _train_batches(5, 2, 2, shuffle=False, steps_per_epoch=4)[:4] == \
        [[0, 1], [2, 3], [4], [0, 1]]


def _reference(batch_ids, ws, x, y, lr=0.3, batch_size=3):
    """The weights after train_on_batch over the given (unshuffled) batches."""
    ref = dense_model()
    ref.set_weights(ws)
    ref.compile(optimizer=tn.train.sgd(lr), loss="categoricalCrossentropy")
    for i in batch_ids:
        ref.train_on_batch(x[i * batch_size:(i + 1) * batch_size],
                           y[i * batch_size:(i + 1) * batch_size])
    return ref.get_weights()


def test_stop_training_from_a_callback_ends_after_the_current_batch():
    model = dense_model()
    x, y, _ = classification_data(n=12)
    ws = model.get_weights()
    model.compile(optimizer=tn.train.sgd(0.3), loss="categoricalCrossentropy")
    ends = []

    class Stopper(tn.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            ends.append(batch)
            if batch == 1:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            ends.append(("epoch", epoch))
    hist = model.fit(x, y, batch_size=3, epochs=5, shuffle=False, verbose=0,
                     callbacks=[Stopper()])
    assert ends == [0, 1, ("epoch", 0)]
    assert hist.epoch == [0] and model.optimizer.iterations == 2
    assert_weights_close(model.get_weights(), _reference([0, 1], ws, x, y), atol=0)
    # stop_training is reset by the next fit
    model.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 6


def test_ctrl_c_stops_after_the_batch_and_restores_the_handler():
    model = dense_model()
    x, y, _ = classification_data(n=12)
    ws = model.get_weights()
    model.compile(optimizer=tn.train.sgd(0.3), loss="categoricalCrossentropy",
                  metrics=["accuracy"])
    outer_calls = []

    def outer(signum, frame):
        outer_calls.append(signum)
    previous = signal.signal(signal.SIGINT, outer)
    try:
        batches = []

        def interrupt(batch, logs):
            batches.append(batch)
            if len(batches) == 6:  # epoch 1, batch 1
                os.kill(os.getpid(), signal.SIGINT)
        hist = model.fit(x, y, batch_size=3, epochs=5, shuffle=False, verbose=0,
                         callbacks={"on_batch_end": interrupt})
        assert signal.getsignal(signal.SIGINT) is outer
        os.kill(os.getpid(), signal.SIGINT)  # delivered to the restored handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert outer_calls == [signal.SIGINT]  # fit's own SIGINT never reached it
    assert batches == [0, 1, 2, 3, 0, 1]
    assert hist.epoch == [0, 1] and len(hist.history["loss"]) == 2
    assert all(np.isfinite(v) for v in hist.history["loss"])
    assert model.optimizer.iterations == 6
    after = model.get_weights()
    assert all(np.isfinite(w).all() for w in after)
    assert_weights_close(after, _reference([0, 1, 2, 3, 0, 1], ws, x, y), atol=0)
    # The model stays usable and a later fit runs to the end.
    model.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 10


def test_history_is_also_model_history():
    model = dense_model()
    x, y, _ = classification_data(n=4)
    model.compile(optimizer="adam", loss="categoricalCrossentropy", metrics=["acc"])
    hist = model.fit(x, y, epochs=2, verbose=0)
    assert model.history is hist and hist["acc"] is hist.history["acc"]
    assert all(type(v) is float for v in hist.history["loss"] + hist.history["acc"])


def test_validation_freq_counts_from_epoch_zero_as_keras():
    model = dense_model()
    x, y, _ = classification_data(n=6)
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    validated = []

    def on_epoch_end(epoch, logs):
        if "val_loss" in logs:
            validated.append(epoch)
    model.fit(x, y, epochs=6, initial_epoch=1, verbose=0, validation_data=(x, y),
              validation_freq=2, callbacks={"on_epoch_end": on_epoch_end})
    assert validated == [1, 3, 5]


def test_an_exception_in_a_callback_restores_the_sigint_handler():
    model = dense_model()
    x, y, _ = classification_data(n=6)
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    before = signal.getsignal(signal.SIGINT)

    def boom(batch, logs):
        assert signal.getsignal(signal.SIGINT) is not before  # fit's handler is active
        raise RuntimeError("user callback failed")
    with pytest.raises(RuntimeError, match="user callback failed"):
        model.fit(x, y, verbose=0, callbacks={"on_batch_end": boom})
    assert signal.getsignal(signal.SIGINT) is before


def test_a_sigint_handler_installed_outside_python_is_left_alone(monkeypatch):
    # signal.getsignal gives None for a handler set from C: it could never be put back,
    # so fit must not replace it.
    model = dense_model()
    x, y, _ = classification_data(n=6)
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    installed = []
    monkeypatch.setattr(signal, "getsignal", lambda signum: None)
    monkeypatch.setattr(signal, "signal", lambda *a: installed.append(a))
    model.fit(x, y, verbose=0)
    assert installed == [] and model.optimizer.iterations == 1


def test_one_value_per_sample_arrays_for_one_unit_input_and_output():
    # TF.js's fit/predict/evaluate take 1-D arrays as [n, 1] (ensureTensorsRank2OrHigher).
    model = tn.sequential(layers=[tn.layers.dense(units=1, input_shape=[1])])
    model.set_weights([np.array([[2.0]], np.float32), np.array([0.5], np.float32)])
    model.compile(optimizer=tn.train.sgd(0.1), loss="meanSquaredError")
    x = np.array([1.0, 2.0, 3.0], np.float32)
    np.testing.assert_allclose(model.predict(x).numpy(), [[2.5], [4.5], [6.5]])
    assert model.evaluate(x, [2.5, 4.5, 7.5]).item() == pytest.approx(1 / 3)
    model.fit(x, np.array([2.5, 4.5, 7.5]), batch_size=3, shuffle=False, verbose=0)
    # d/dk mean((kx + b - y)^2) = 2 * mean((kx + b - y) * x) = 2 * (-1 * 3) / 3
    np.testing.assert_allclose(model.get_weights()[0], [[2.0 + 0.1 * 2.0]], rtol=1e-6)
    clf = dense_model(sizes=(3, 4, 1), activations=("relu", "sigmoid"))
    clf.compile(optimizer="sgd", loss="binaryCrossentropy", metrics=["accuracy"])
    xs, _, labels = classification_data(n=6)
    one_d = clf.evaluate(xs, labels.astype(np.float32))
    two_d = clf.evaluate(xs, labels[:, None].astype(np.float32))
    assert [v.item() for v in one_d] == [v.item() for v in two_d]
    with pytest.raises(ValueError, match=r"\[null,3\].*received shape \[3\]"):
        clf.predict(np.zeros(3, np.float32))  # one sample without its batch axis



def test_regularizer_penalty_is_part_of_the_loss_and_constraints_apply_after_updates():
    model = dense_model(kernel_regularizer=tn.regularizers.l2(l2=0.05),
                        kernel_constraint=tn.constraints.non_neg())
    x, y, _ = classification_data(n=5)
    ws = model.get_weights()
    model.compile(optimizer=tn.train.sgd(0.5), loss="categoricalCrossentropy")
    # As TF.js: the training loss includes the penalties, evaluate (and val_loss) do not.
    data_loss = model.evaluate(x, y).item()
    penalty = 0.05 * sum(float((w.numpy().astype(np.float64) ** 2).sum()) for w in (ws[0], ws[2]))
    hist = model.fit(x, y, batch_size=5, shuffle=False, verbose=0)
    assert hist.history["loss"][0] == pytest.approx(data_loss + penalty, rel=1e-5)
    plain = dense_model()
    plain.compile(optimizer="sgd", loss="categoricalCrossentropy")
    assert data_loss == pytest.approx(plain.evaluate(x, y).item(), rel=1e-6)
    kernels = model.get_weights()[0::2]
    assert all((k >= 0).all() for k in kernels) and any((k == 0).any() for k in kernels)


def test_frozen_layers_keep_their_weights_and_dropout_is_on_in_fit():
    model = tn.sequential(layers=[tn.layers.dense(units=6, input_shape=[3]),
                                  tn.layers.dropout(rate=0.9, seed=1),
                                  tn.layers.dense(units=2, activation="softmax")])
    model.layers[0].trainable = False
    frozen = model.get_weights()[:2]
    x, y, _ = classification_data(n=8)
    model.compile(optimizer=tn.train.sgd(0.0), loss="categoricalCrossentropy")
    hist = model.fit(x, y, batch_size=8, verbose=0)
    assert_weights_close(model.get_weights()[:2], frozen, atol=0)
    # learning rate 0: the weights did not move, so only dropout can make these differ
    assert hist.history["loss"][0] != pytest.approx(model.evaluate(x, y).item(), rel=1e-3)
