"""tn.callbacks with a fake model exposing only what callbacks may touch:
stop_training, optimizer.learning_rate, get_weights/set_weights and save."""
import csv
import io
import math

import numpy as np
import pytest

import treino as tn
from treino import callbacks as cb


class FakeOptimizer:
    def __init__(self, lr):
        self.learning_rate = lr


class FakeModel:
    def __init__(self, lr=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(lr)
        self.weights = [np.zeros(3, np.float32), np.zeros((2, 2), np.float32)]
        self.saved = []

    def get_weights(self):
        return self.weights  # live arrays, so callbacks must copy what they keep

    def set_weights(self, ws):
        self.weights = [np.array(w) for w in ws]

    def save(self, path):
        self.saved.append(path)


def train(callbacks, values, monitor="val_loss", model=None, extra=None):
    """Simulates fit: epoch e sets every weight to e, then reports values[e]."""
    model = model or FakeModel()
    history = cb.History()
    cl = cb.CallbackList(callbacks, model=model, params={"epochs": len(values), "steps": 2},
                         history=history)
    cl.on_train_begin()
    for epoch, v in enumerate(values):
        cl.on_epoch_begin(epoch)
        for w in model.weights:
            w[...] = epoch
        for b in range(2):
            cl.on_batch_begin(b, {"batch": b, "size": 4})
            cl.on_batch_end(b, {"batch": b, "size": 4, "loss": v})
        logs = {"loss": v, monitor: v}
        logs.update(extra or {})
        cl.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cl.on_train_end()
    return model, history


# -- hooks from dicts of functions -----------------------------------------------------
def test_dict_hooks_both_spellings_and_arities():
    calls = []
    hooks = {
        "onTrainBegin": lambda logs: calls.append(("train_begin", logs)),
        "on_train_end": lambda: calls.append(("train_end",)),
        "on_epoch_begin": lambda epoch: calls.append(("epoch_begin", epoch)),
        "onEpochEnd": lambda epoch, logs: calls.append(("epoch_end", epoch, logs["loss"])),
        "onBatchBegin": lambda *args: calls.append(("batch_begin",) + args),
        "on_batch_end": lambda batch, logs=None, extra=7: calls.append(("batch_end", batch, extra)),
    }
    train(hooks, [0.5])
    assert calls == [("train_begin", {}), ("epoch_begin", 0),
                     ("batch_begin", 0, {"batch": 0, "size": 4}),
                     ("batch_end", 0, 7),  # a defaulted third parameter keeps its default
                     ("batch_begin", 1, {"batch": 1, "size": 4}), ("batch_end", 1, 7),
                     ("epoch_end", 0, 0.5), ("train_end",)]


def test_dict_hook_errors():
    with pytest.raises(ValueError, match=r"unknown hook 'onYeld'.*on_train_begin.*onBatchEnd"):
        cb.CallbackList({"onYeld": lambda: None})
    with pytest.raises(ValueError, match="given twice"):
        cb.CallbackList({"onBatchEnd": print, "on_batch_end": print})
    with pytest.raises(TypeError, match="'on_epoch_end' must be a function, received int"):
        cb.CallbackList({"on_epoch_end": 3})
    with pytest.raises(TypeError, match="needs 3 arguments"):
        cb.CallbackList({"on_epoch_end": lambda a, b, c: None})
    with pytest.raises(TypeError, match="received str"):
        cb.CallbackList("on_epoch_end")
    with pytest.raises(TypeError, match="item 1 must be"):
        cb.CallbackList([cb.History(), 5])


def test_callback_list_order_models_params_and_float_logs():
    order = []

    class Rec(cb.Callback):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def on_epoch_end(self, epoch, logs=None):
            order.append((self.tag, epoch, type(logs["loss"]), type(logs["acc"])))

    class CamelStyle(cb.Callback):  # a TF.js-style subclass
        def onEpochEnd(self, epoch, logs):
            order.append(("camel", epoch))

    a, b, c = Rec("a"), Rec("b"), CamelStyle()
    model = FakeModel()
    history = cb.History()
    cl = cb.CallbackList([a, {"on_epoch_end": lambda e, logs: order.append(("dict", e))}, b, c],
                         model=model, params={"epochs": 1}, history=history)
    assert cl.callbacks[-1] is history and a.model is model and b.params == {"epochs": 1}
    cl.on_train_begin()
    cl.on_epoch_end(0, {"loss": tn.scalar(0.25), "acc": np.float32(0.5)})
    assert order == [("a", 0, float, float), ("dict", 0), ("b", 0, float, float), ("camel", 0)]
    assert history["loss"] == [0.25] and type(history["acc"][0]) is float
    with pytest.raises(TypeError, match="log 'loss' must be a number"):
        cl.on_epoch_end(1, {"loss": "x"})
    # batch hooks with no listener cost nothing (and convert nothing)
    logs = {"loss": np.float32(1.0)}
    cl.on_batch_end(0, logs)
    assert type(logs["loss"]) is np.float32


def test_history():
    model, history = train(None, [0.9, 0.7, 0.8], extra={"acc": 0.5})
    assert history.epoch == [0, 1, 2]
    assert history.history == {"loss": [0.9, 0.7, 0.8], "val_loss": [0.9, 0.7, 0.8],
                               "acc": [0.5, 0.5, 0.5]}
    assert history["loss"] is history.history["loss"] and "acc" in history
    assert history.params["epochs"] == 3
    history.on_train_begin()  # a new fit starts a fresh record
    assert history.history == {} and history.epoch == []


# -- EarlyStopping ---------------------------------------------------------------------
def stopped_after(values, **kw):
    model, history = train(cb.early_stopping(**kw), values, monitor=kw.get("monitor", "val_loss"))
    return len(history.epoch), model


def test_early_stopping_patience():
    assert stopped_after([1.0, 0.9, 0.95, 0.8])[0] == 3  # patience 0: first miss stops
    assert stopped_after([1.0, 0.9, 0.95, 0.92, 0.5, 0.4], patience=2)[0] == 4
    assert stopped_after([1.0, 0.9, 0.95, 0.85, 0.8, 0.7], patience=2)[0] == 6  # never 2 misses


def test_early_stopping_min_delta():
    assert stopped_after([1.0, 0.95, 0.9, 0.85], patience=1)[0] == 4
    # improvements of 0.05 do not count with min_delta 0.1 (sign ignored, as TF.js)
    assert stopped_after([1.0, 0.95, 0.9, 0.85], patience=1, min_delta=-0.1)[0] == 2
    assert stopped_after([1.0, 0.95, 0.8, 0.75, 0.7], patience=2, min_delta=0.1)[0] == 5


def test_early_stopping_mode():
    up = [0.5, 0.6, 0.55, 0.7]
    assert stopped_after(up, monitor="val_acc")[0] == 3          # auto: 'acc' -> max
    assert stopped_after(up, monitor="val_precision")[0] == 3
    assert stopped_after(up, monitor="val_loss")[0] == 2         # auto: min
    assert stopped_after(up, monitor="val_loss", mode="max")[0] == 3
    assert stopped_after([0.5, 0.4, 0.45], monitor="val_acc", mode="min")[0] == 3
    with pytest.raises(ValueError, match="'mode' must be 'auto', 'min' or 'max', received 'up'"):
        cb.early_stopping(mode="up")
    with pytest.raises(ValueError, match="'patience' must be an int >= 0"):
        cb.early_stopping(patience=-1)


def test_early_stopping_baseline():
    # improving but never under the baseline: stops after `patience` epochs, as TF.js
    assert stopped_after([0.9, 0.8, 0.7, 0.6, 0.4], baseline=0.5, patience=2)[0] == 2
    assert stopped_after([0.9, 0.45, 0.47, 0.46, 0.3], baseline=0.5, patience=2)[0] == 4


def test_early_stopping_restore_best_weights():
    n, model = stopped_after([1.0, 0.5, 0.7, 0.9], patience=2, restore_best_weights=True)
    assert n == 4
    assert all((w == 1).all() for w in model.weights)  # epoch 1's weights, not the live ones
    n, model = stopped_after([1.0, 0.5, 0.7, 0.9], patience=2)
    assert all((w == 3).all() for w in model.weights)
    # nothing beat the baseline: nothing to restore
    n, model = stopped_after([1.0, 0.9], baseline=0.1, patience=1, restore_best_weights=True)
    assert n == 1 and all((w == 0).all() for w in model.weights)


def test_early_stopping_missing_monitor_warns_and_continues():
    with pytest.warns(RuntimeWarning, match=r"'val_acc' is not in the logs \(available: loss, val_loss\)"):
        model, history = train(cb.early_stopping(monitor="val_acc"), [1.0, 2.0, 3.0])
    assert len(history.epoch) == 3


# -- learning-rate callbacks -----------------------------------------------------------
def lr_trace(callback, values, lr=1.0, monitor="val_loss"):
    model = FakeModel(lr)
    seen = []
    model, history = train([callback, {"on_epoch_end": lambda e, logs: seen.append(
        model.optimizer.learning_rate)}], values, model=model, monitor=monitor)
    return seen, history


def test_reduce_lr_on_plateau_patience_cooldown_min_lr():
    values = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    seen, history = lr_trace(cb.ReduceLROnPlateau(factor=0.5, patience=2), values)
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    # learning_rate is logged (before the reduction of that epoch, as Keras)
    assert history["learning_rate"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    # Keras counts the epoch where the cooldown runs out as a waiting epoch already
    seen, _ = lr_trace(cb.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2), values)
    assert seen == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]
    seen, _ = lr_trace(cb.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=3), values)
    assert seen == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    seen, _ = lr_trace(cb.ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05), values)
    assert seen == [1.0, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05]
    # improvements larger than min_delta reset the wait
    seen, _ = lr_trace(cb.ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.01),
                       [1.0, 0.9, 0.8, 0.795, 0.7])
    assert seen == [1.0, 1.0, 1.0, 0.5, 0.5]
    seen, _ = lr_trace(cb.ReduceLROnPlateau(monitor="val_acc", factor=0.5, patience=1),
                       [0.1, 0.2, 0.2], monitor="val_acc")
    assert seen == [1.0, 1.0, 0.5]
    with pytest.raises(ValueError, match=r"'factor' must be in \(0, 1\), received 1.5"):
        cb.ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler():
    seen, history = lr_trace(cb.LearningRateScheduler(lambda epoch, lr: lr * 0.5), [1, 1, 1])
    assert seen == [0.5, 0.25, 0.125] and history["learning_rate"] == [0.5, 0.25, 0.125]
    seen, _ = lr_trace(cb.LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1)), [1, 1])
    assert seen == pytest.approx([0.1, 0.2])
    with pytest.raises(ValueError, match="must return a finite number >= 0, returned 'x'"):
        lr_trace(cb.LearningRateScheduler(lambda e: "x"), [1])
    with pytest.raises(TypeError, match="must be a function"):
        cb.LearningRateScheduler(0.1)
    with pytest.raises(TypeError, match=r"take \(epoch, lr\) or \(epoch\)"):
        cb.LearningRateScheduler(lambda: 0.1)


def test_terminate_on_nan():
    model = FakeModel()
    cl = cb.CallbackList(cb.TerminateOnNaN(), model=model)
    cl.on_batch_end(0, {"loss": 0.5})
    assert not model.stop_training
    cl.on_batch_end(1, {"loss": math.inf})
    assert model.stop_training
    model.stop_training = False
    cl.on_batch_end(2, {"loss": np.float32("nan")})
    assert model.stop_training


# -- files -----------------------------------------------------------------------------
def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    train(cb.CSVLogger(path), [0.5, 0.25], extra={"acc": 0.75})
    rows = list(csv.reader(open(path)))
    assert rows == [["epoch", "acc", "loss", "val_loss"], ["0", "0.75", "0.5", "0.5"],
                    ["1", "0.75", "0.25", "0.25"]]
    train(cb.CSVLogger(str(path), separator=";", append=True), [0.125], extra={"acc": 1.0})
    lines = open(path).read().splitlines()
    assert len(lines) == 4 and lines[-1] == "0;1.0;0.125;0.125"  # no second header
    # without validation logs, val_ columns are added and filled with NA
    path2 = tmp_path / "nova.csv"
    logger = cb.CSVLogger(path2)
    cl = cb.CallbackList(logger, model=FakeModel())
    cl.on_train_begin()
    cl.on_epoch_end(0, {"loss": 1.5})
    cl.on_train_end()
    assert open(path2).read().splitlines() == ["epoch,loss,val_loss", "0,1.5,NA"]
    with pytest.raises(ValueError, match="'separator' must be one character"):
        cb.CSVLogger(path, separator=";;")


def test_model_checkpoint_paths_and_save_best_only():
    model, _ = train(cb.ModelCheckpoint("ckpt-{epoch:02d}-{val_loss:.2f}"), [0.5, 0.25])
    assert model.saved == ["ckpt-01-0.50", "ckpt-02-0.25"]
    model, _ = train(cb.ModelCheckpoint("best", save_best_only=True), [0.5, 0.7, 0.4, 0.45])
    assert model.saved == ["best", "best"]  # epochs 1 and 3 improved
    model, _ = train(cb.ModelCheckpoint("m{epoch}", monitor="val_acc", save_best_only=True),
                     [0.5, 0.7, 0.4, 0.8], monitor="val_acc")
    assert model.saved == ["m1", "m2", "m4"]  # auto mode: acc is maximised
    model, _ = train(cb.ModelCheckpoint("t{epoch}", save_best_only=True,
                                        initial_value_threshold=0.3), [0.5, 0.2])
    assert model.saved == ["t2"]
    model, _ = train(cb.ModelCheckpoint("b-{epoch}-{batch}", save_freq=3), [1, 1, 1])
    assert model.saved == ["b-2-1", "b-3-2"]  # every 3 batches (2 per epoch)
    with pytest.raises(ValueError, match=r"names 'val_acc', which is neither 'epoch' nor a log key"):
        train(cb.ModelCheckpoint("m-{val_acc}"), [1.0])
    with pytest.raises(ValueError, match="'save_freq' must be 'epoch' or an int >= 1"):
        cb.ModelCheckpoint("m", save_freq=0)


# -- progress display ------------------------------------------------------------------
class FakeClock:
    def __init__(self, step):
        self.t, self.step = 0.0, step

    def __call__(self):
        self.t += self.step
        return self.t


class Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def show(verbose, tty, epochs=2, steps=5, clock=None, params=None):
    out = Stream(tty)
    bar = cb.ProgressBar(verbose, stream=out, clock=clock or FakeClock(0.01))
    cl = cb.CallbackList(bar, model=FakeModel(), params=params or {"epochs": epochs, "steps": steps})
    cl.on_train_begin()
    for e in range(epochs):
        cl.on_epoch_begin(e)
        for b in range(steps):
            cl.on_batch_begin(b, {"batch": b, "size": 32})
            cl.on_batch_end(b, {"batch": b, "size": 32, "loss": 1.0 / (b + 1), "acc": 0.5})
        cl.on_epoch_end(e, {"loss": 0.1234, "acc": 0.97, "val_loss": 0.00012, "val_acc": 0.95})
    cl.on_train_end()
    return out.getvalue()


def test_progress_verbose_2_one_line_per_epoch():
    text = show(2, tty=True)
    lines = text.splitlines()
    assert len(lines) == 2 and "\r" not in text
    assert lines[1].startswith("Epoch 2/2 - ") and lines[1].split(" - ")[1].endswith("s")
    assert lines[1].endswith(" - loss: 0.1234 - acc: 0.9700 - val_loss: 1.2000e-04 - val_acc: 0.9500")


def test_progress_verbose_1_non_tty_prints_only_final_lines():
    text = show(1, tty=False, steps=50)
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("50/50 [" + "=" * 30 + "] - ")
    assert "us/step - " in lines[1] and lines[1].endswith("loss: 0.1234 - acc: 0.9700 - "
                                                      "val_loss: 1.2000e-04 - val_acc: 0.9500")


def test_progress_verbose_1_tty_bar_eta_and_running_means():
    text = show(1, tty=True, epochs=1, steps=4, clock=FakeClock(1.0))  # every batch redraws
    frames = text.split("\r")
    assert frames[0] == "Epoch 1/1\n"
    assert frames[1].startswith("1/4 [=======>......................] - ETA: 3.0s - ")
    # running means of the batch logs: loss (1 + 1/2) / 2
    assert "loss: 0.7500 - acc: 0.5000" in frames[2]
    assert frames[-1].startswith("4/4 [==============================] - ") and frames[-1].endswith("\n")
    assert "ETA" not in frames[-1] and "val_acc: 0.9500" in frames[-1]
    assert "batch" not in text and "size" not in text


def test_progress_unknown_steps_and_silent_verbose_0():
    assert show(0, tty=True) == ""
    text = show(1, tty=False, params={"epochs": 1})
    assert text.splitlines()[1].startswith("5/? - ")


def test_progress_throttle():
    # 10,000 batches in 0.1 s of fake time (10 us each): at most a couple of redraws
    out = Stream(True)
    clock = FakeClock(1e-5)
    bar = cb.ProgressBar(1, stream=out, clock=clock)
    cl = cb.CallbackList(bar, params={"epochs": 1, "steps": 10_000})
    cl.on_train_begin()
    cl.on_epoch_begin(0)
    for b in range(10_000):
        cl.on_batch_end(b, {"batch": b, "size": 32, "loss": 0.5})
    assert out.getvalue().count("\r") <= 2
    # 10,000 batches over 10 s (1 ms each): about 10 redraws per second
    out = Stream(True)
    bar = cb.ProgressBar(1, stream=out, clock=FakeClock(1e-3))
    cl = cb.CallbackList(bar, params={"epochs": 1, "steps": 10_000})
    cl.on_train_begin()
    cl.on_epoch_begin(0)
    for b in range(10_000):
        cl.on_batch_end(b, {"batch": b, "size": 32, "loss": 0.5})
    assert 90 <= out.getvalue().count("\r") <= 101


def test_progress_bar_is_added_by_verbose():
    assert isinstance(cb.CallbackList(None, verbose=1).callbacks[-1], cb.ProgressBar)
    assert cb.CallbackList(None, verbose=2).callbacks[-1].verbose == 2
    assert cb.CallbackList(None, verbose=0).callbacks == []
    with pytest.raises(ValueError, match="'verbose' must be 0, 1 or 2"):
        cb.ProgressBar(3)


def test_verbose_messages(capsys):
    train(cb.early_stopping(patience=1, verbose=1, restore_best_weights=True), [1.0, 0.5, 0.7])
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out
    train(cb.early_stopping(patience=1), [1.0, 0.5, 0.7])
    assert capsys.readouterr().out == ""
    model = FakeModel()
    cb.CallbackList(cb.TerminateOnNaN(), model=model).on_batch_end(4, {"loss": math.nan})
    assert capsys.readouterr().out == "\nBatch 4: Invalid loss, terminating training\n"


def test_async_callbacks_are_awaited_in_order():
    """TF.js awaits its callbacks (examples write `async onEpochEnd`): an `async def` in a
    dict of functions or on a Callback subclass runs to completion at its hook."""
    model = tn.sequential([tn.layers.dense(units=1, input_shape=[2])])
    model.compile(optimizer="sgd", loss="meanSquaredError")
    seen = []

    async def on_epoch_end(epoch, logs):
        seen.append(("dict", epoch, round(logs["loss"], 6)))

    async def on_batch_end():  # fewer arguments than the hook passes, as in JavaScript
        seen.append("batch")

    class Async(tn.callbacks.Callback):
        async def on_train_end(self, logs=None):
            seen.append("end")
    hist = model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), epochs=2,
                     batch_size=4, verbose=0,
                     callbacks=[{"onEpochEnd": on_epoch_end, "on_batch_end": on_batch_end},
                                Async()])
    losses = [round(v, 6) for v in hist.history["loss"]]
    assert seen == ["batch", ("dict", 0, losses[0]), "batch", ("dict", 1, losses[1]), "end"]


def test_a_hook_returning_a_coroutine_is_awaited():
    model = tn.sequential([tn.layers.dense(units=1, input_shape=[2])])
    model.compile(optimizer="sgd", loss="meanSquaredError")
    seen = []

    async def record(epoch):
        seen.append(epoch)
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), epochs=2, verbose=0,
              callbacks={"onEpochEnd": lambda epoch, logs: record(epoch)})
    assert seen == [0, 1]
