"""Built-in callbacks: early stopping as TF.js's earlyStopping, the others (which TF.js
lacks) with Keras 3's semantics. Each touches the model only through stop_training,
optimizer.learning_rate, get_weights()/set_weights() and save(path). Messages printed
in the middle of an epoch start with a newline, as Keras's, so they do not run into the
progress bar's line.

In data-parallel training (tn.distributed) every process runs the callbacks on the same
global logs, so they decide alike; only process 0 prints (_say), writes the CSV log and
saves (model.save writes on process 0 only)."""
import csv
import math
import numbers
import os
import warnings

import numpy as np

from .._config import user_stacklevel
from ..distributed.state import is_main
from .base import Callback, _positional_count


def _say(message):
    """print, on process 0 only when data-parallel."""
    if is_main():
        print(message)


_MAXIMIZED = ("acc", "precision", "recall", "r2", "auc")  # name parts meaning "higher is better"


def _mode(monitor, mode, fn):
    """'min' or 'max'. 'auto' reads the monitor's name: TF.js maximises names holding
    'acc'; precision, recall, r2 and auc are maximised too, everything else minimised."""
    if not isinstance(monitor, str) or not monitor:
        raise TypeError(f"{fn}: argument 'monitor' must be a log key such as 'val_loss', "
                        f"received {monitor!r}")
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{fn}: argument 'mode' must be 'auto', 'min' or 'max', received "
                         f"{mode!r}")
    if mode == "auto":
        return "max" if any(s in monitor.lower() for s in _MAXIMIZED) else "min"
    return mode


def _count(v, fn, arg):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
        raise ValueError(f"{fn}: argument '{arg}' must be an int >= 0, received {v!r}")
    return int(v)


def _number(v, fn, arg, minimum=None, allow_none=False):
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) \
            or (minimum is not None and v < minimum):
        need = f"a finite number >= {minimum}" if minimum is not None else "a finite number"
        raise ValueError(f"{fn}: argument '{arg}' must be {need}, received {v!r}")
    return float(v)


def _monitored(logs, monitor, fn):
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(f"{fn}: the monitored quantity {monitor!r} is not in the logs "
                      f"(available: {', '.join(logs or {}) or 'none'}); skipping this epoch",
                      RuntimeWarning, stacklevel=user_stacklevel())
    return value


class EarlyStopping(Callback):
    """Stops training once `monitor` has gone `patience` epochs without improving on its
    best value (initially `baseline`, when given) by more than `min_delta`, as TF.js's
    earlyStopping; epochs before `start_from_epoch` (Keras) are not watched. With
    restore_best_weights, the weights of the best epoch are put back when training ends
    (none are when no epoch beat the baseline)."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        fn = "early_stopping"
        self.mode = _mode(monitor, mode, fn)
        self.monitor = monitor
        self.min_delta = abs(_number(min_delta, fn, "min_delta"))
        self.patience = _count(patience, fn, "patience")
        self.baseline = _number(baseline, fn, "baseline", allow_none=True)
        self.start_from_epoch = _count(start_from_epoch, fn, "start_from_epoch")
        self.verbose, self.restore_best_weights = verbose, bool(restore_best_weights)
        self.on_train_begin()

    def _better(self, current, reference):
        if self.mode == "max":
            return current - self.min_delta > reference
        return current + self.min_delta < reference

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch, self._stopped = 0, 0, 0, False
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = -math.inf if self.mode == "max" else math.inf
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = _monitored(logs, self.monitor, "EarlyStopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self._better(current, self.best):  # NaN is never better
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:  # copies: the model's arrays may be live
                self.best_weights = [np.array(w) for w in self.model.get_weights()]
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch, self._stopped = epoch, True
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self._stopped and self.verbose:
            _say(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                _say(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


def early_stopping(monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                   baseline=None, restore_best_weights=False, start_from_epoch=0):
    """TF.js's tf.callbacks.earlyStopping: an EarlyStopping callback."""
    return EarlyStopping(monitor, min_delta, patience, verbose, mode, baseline,
                         restore_best_weights, start_from_epoch)


class ModelCheckpoint(Callback):
    """Calls model.save(filepath.format(epoch=epoch + 1, **logs)) after every epoch (or
    every `save_freq` batches), or only when `monitor` improves with save_best_only."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        fn = "ModelCheckpoint"
        try:
            self.filepath = os.fspath(filepath)
        except TypeError:
            raise TypeError(f"{fn}: argument 'filepath' must be a path, received "
                            f"{type(filepath).__name__}") from None
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(
                save_freq, numbers.Integral) or save_freq < 1):
            raise ValueError(f"{fn}: argument 'save_freq' must be 'epoch' or an int >= 1 "
                             f"(batches), received {save_freq!r}")
        self.mode = _mode(monitor, mode, fn)
        self.monitor, self.verbose, self.save_freq = monitor, verbose, save_freq
        self.save_best_only = bool(save_best_only)
        self.best = _number(initial_value_threshold, fn, "initial_value_threshold",
                            allow_none=True)
        if self.best is None:
            self.best = -math.inf if self.mode == "max" else math.inf
        self._epoch, self._batches = 0, 0

    def _path(self, epoch, batch, logs):
        fields = dict(logs)
        fields.pop("batch", None)
        fields.pop("epoch", None)
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(epoch=epoch + 1, **fields)
        except (KeyError, IndexError) as e:
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} names {e}, which "
                             f"is neither 'epoch' nor a log key ({', '.join(fields)})") from None

    def _save(self, epoch, batch, logs):
        logs = logs or {}
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = _monitored(logs, self.monitor, "ModelCheckpoint")
            if current is None:
                return
            better = current > self.best if self.mode == "max" else current < self.best
            if not better:
                if self.verbose:
                    _say(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best}")
                return
            if self.verbose:
                _say(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best} to "
                      f"{current}, saving model to {path}")
            self.best = current
        elif self.verbose:
            _say(f"\nEpoch {epoch + 1}: saving model to {path}")
        self.model.save(path)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches += 1
            if self._batches >= self.save_freq:
                self._batches = 0
                self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)


class CSVLogger(Callback):
    """Writes one row per epoch to a CSV file: 'epoch' then the log keys, sorted (the
    header comes from the first epoch, with val_ columns added if missing then)."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: argument 'separator' must be one character, "
                             f"received {separator!r}")
        self.filename = os.fspath(filename)
        self.separator, self.append = separator, bool(append)
        self._file, self._writer, self._keys = None, None, None

    def on_train_begin(self, logs=None):
        if not is_main():
            return
        header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                header = not f.readline()
        self._header = header
        self.close()
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer, self._keys = None, None

    def on_epoch_end(self, epoch, logs=None):
        if not is_main():
            return
        logs = logs or {}
        if self._file is None:
            self.on_train_begin()
        if self._keys is None:
            self._keys = sorted(logs)
            if self._keys and not any(k.startswith("val_") for k in self._keys):
                self._keys += ["val_" + k for k in self._keys]
        if self._writer is None:
            self._writer = csv.writer(self._file, delimiter=self.separator)
            if self._header:
                self._writer.writerow(["epoch"] + self._keys)
        self._writer.writerow([epoch] + [logs.get(k, "NA") for k in self._keys])
        self._file.flush()

    def close(self):
        if self._file is not None and not self._file.closed:
            self._file.close()

    def on_train_end(self, logs=None):
        self.close()
        self._writer = None


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            _say(f"\nBatch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


def _lr(model):
    return float(model.optimizer.learning_rate)


class ReduceLROnPlateau(Callback):
    """Multiplies the optimizer's learning rate by `factor` (not below `min_lr`) when
    `monitor` has not improved by more than `min_delta` for `patience` epochs, then waits
    `cooldown` epochs before counting again. Adds 'learning_rate' to the epoch logs."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        fn = "ReduceLROnPlateau"
        self.factor = _number(factor, fn, "factor")
        if not 0 < self.factor < 1:
            raise ValueError(f"{fn}: argument 'factor' must be in (0, 1), received {factor!r}")
        self.mode = _mode(monitor, mode, fn)
        self.monitor, self.verbose = monitor, verbose
        self.patience = _count(patience, fn, "patience")
        self.cooldown = _count(cooldown, fn, "cooldown")
        self.min_delta = abs(_number(min_delta, fn, "min_delta"))
        self.min_lr = _number(min_lr, fn, "min_lr", minimum=0.0)
        self.on_train_begin()

    def _better(self, current):
        if self.mode == "max":
            return current > self.best + self.min_delta
        return current < self.best - self.min_delta

    def on_train_begin(self, logs=None):
        self.best = -math.inf if self.mode == "max" else math.inf
        self.wait, self.cooldown_counter = 0, 0

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _lr(self.model)
        current = _monitored(logs, self.monitor, "ReduceLROnPlateau")
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(current):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = _lr(self.model)
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose:
                        _say(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch to schedule(epoch, lr) (or
    schedule(epoch) for a one-argument function); epochs count from 0. Adds
    'learning_rate' to the epoch logs."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: argument 'schedule' must be a function "
                            f"(epoch, lr) -> lr, received {type(schedule).__name__}")
        n, required = _positional_count(schedule)
        if n is not None and (n == 0 or required > 2):
            raise TypeError("LearningRateScheduler: 'schedule' must take (epoch, lr) or "
                            "(epoch)")
        self.schedule, self._with_lr, self.verbose = schedule, n is None or n >= 2, verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.schedule(epoch, _lr(self.model)) if self._with_lr else self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) \
                or lr < 0:
            raise ValueError(f"LearningRateScheduler: the schedule must return a finite "
                             f"number >= 0, returned {lr!r} for epoch {epoch}")
        self.model.optimizer.learning_rate = float(lr)
        if self.verbose:
            _say(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _lr(self.model)
