"""fit's epoch skeleton (shared with fit_dataset): the epoch plan of shuffled batch
indices, the loop of steps with hooks, logs and History, and Ctrl-C handling. A batch is
a flat tuple of Tensors: the inputs, the labels per output, and the sample weights per
output (None where there are none); the model's step takes it as it is."""
import math
import numbers
import signal
import threading

import numpy as np

from .. import callbacks as cbks
from ..core import random as trandom
from ..distributed.state import warn_if_alone


# TF.js's yieldEvery values besides a number of milliseconds.
YIELD_EVERY = ("auto", "batch", "epoch", "never")


def check_yield_every(value, fn):
    """TF.js's yieldEvery, checked: 'auto' (also None, TF.js's default), 'batch',
    'epoch', 'never' or a number of milliseconds >= 0. In TF.js it says how often
    training hands the JavaScript event loop back (so a page stays responsive); Python's
    fit runs on its thread with no event loop to serve, so the value changes nothing."""
    if value is None:
        return "auto"
    if isinstance(value, str):
        if value not in YIELD_EVERY:
            raise ValueError(f"{fn}: argument 'yield_every' must be one of "
                             f"{', '.join(map(repr, YIELD_EVERY))} or a number of "
                             f"milliseconds >= 0, received {value!r}")
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        raise TypeError(f"{fn}: argument 'yield_every' must be one of "
                        f"{', '.join(map(repr, YIELD_EVERY))} or a number of milliseconds, "
                        f"received {value!r} (of type {type(value).__name__})")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{fn}: argument 'yield_every' must be a number of milliseconds "
                         f">= 0 when it is a number, received {value!r}")
    return value


def check_verbose(verbose, fn):
    """0, 1 or 2 (True and False count as 1 and 0, as TF.js's predict takes a bool)."""
    if isinstance(verbose, (bool, np.bool_)) or (
            isinstance(verbose, (numbers.Integral, np.integer)) and 0 <= verbose <= 2):
        return int(verbose)
    raise ValueError(f"{fn}: argument 'verbose' must be 0, 1 or 2, received {verbose!r}")


def train_loop(model, epoch_batches, epochs, initial_epoch, callbacks, verbose, params,
               validate, validation_freq=1, fn="fit", runner=None):
    """The epoch skeleton shared by fit and fit_dataset: epoch_batches(epoch) yields
    batches (flat tuples, see the module docstring); validate() returns the validation
    values (loss, metrics) or is None. Hooks, History and the progress display come
    from the CallbackList. `runner` replaces _run_epochs (data-parallel training,
    distributed/fitting.py)."""
    if runner is None:
        warn_if_alone()
    names = model._metric_names()
    history = cbks.History()
    params = dict(params, epochs=epochs, initial_epoch=initial_epoch, verbose=verbose,
                  do_validation=validate is not None,
                  metrics=names + (["val_" + m for m in names] if validate else []))
    callback_list = cbks.CallbackList(callbacks, model=model, params=params,
                                      history=history, verbose=verbose)
    with model._exclusive(fn):
        model.stop_training = False
        model.history = history
        (runner or _run_epochs)(model, epoch_batches, epochs, initial_epoch, names,
                                callback_list, validate, validation_freq)
    return history


def _run_epochs(model, epoch_batches, epochs, initial_epoch, names, callback_list,
                validate, validation_freq):
    """train_loop's epochs: hooks, steps and the logs of each epoch."""
    compiled = model._compiled
    batch_begin = callback_list.listens("on_batch_begin")
    batch_end = callback_list.listens("on_batch_end")
    with StopOnInterrupt(model):
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            sums, seen = [0.0] * len(names), 0
            for b, batch in enumerate(epoch_batches(epoch)):
                size = batch[0].shape[0]
                if batch_begin:
                    callback_list.on_batch_begin(b, {"batch": b, "size": size})
                if model._compiled is not compiled:
                    raise changed_during_fit(model)
                vals = model._fit_step(batch)
                sums = [s + v * size for s, v in zip(sums, vals)]
                seen += size
                if batch_end:
                    logs = {"batch": b, "size": size}
                    logs.update(zip(names, vals))
                    callback_list.on_batch_end(b, logs)
                if model.stop_training:
                    break
            if seen == 0:  # the data ran out (fit_dataset): no numbers to log
                break
            logs = dict(zip(names, [s / seen for s in sums]))
            # Counted from epoch 0 whatever initial_epoch is, as Keras.
            if validate is not None and (epoch + 1) % validation_freq == 0:
                if model._compiled is not compiled:
                    raise changed_during_fit(model)
                logs.update({"val_" + k: float(v) for k, v in zip(names, validate())})
            callback_list.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        callback_list.on_train_end()


def changed_during_fit(model):
    what = ("its layers changed (a layer was added or removed)" if model._compiled is None
            else "it was compiled again")
    return RuntimeError(f"fit: model {model.name!r} changed during fit: {what}, e.g. in a "
                        f"callback. Change the layers or compile settings before or after "
                        f"fit, not during it")


class EpochPlan:
    """Batch index arrays for each epoch: a fresh permutation per epoch (from the seeded
    global generator) when shuffling; with steps_per_epoch, batches continue across
    passes over the data so every epoch has that many."""

    def __init__(self, n, batch_size, steps, shuffle):
        self.n, self.batch_size, self.steps, self.shuffle = n, batch_size, steps, shuffle
        self._order, self._pos = None, 0

    def _next_pass(self):
        self._order = trandom.generator().permutation(self.n) if self.shuffle else np.arange(self.n)
        self._pos = 0

    def epoch(self):
        """(indices of a batch, indices of the next batch or None) for each batch of an
        epoch (the next ones when they are already known, within this pass)."""
        if self._order is None or self._pos >= self.n or self.steps == -(-self.n // self.batch_size):
            self._next_pass()
        size, n = self.batch_size, self.n
        for _ in range(self.steps):
            if self._pos >= n:
                self._next_pass()
            pos = self._pos
            idx = self._order[pos:pos + size]
            self._pos = pos = pos + len(idx)
            yield idx, self._order[pos:pos + size] if pos < n else None


class StopOnInterrupt:
    """Ctrl-C during fit sets model.stop_training, so training ends after the current
    batch with the weights intact (a native update is never cut in half) and fit returns
    the history so far. Only in the main thread, where Python delivers signals."""

    def __init__(self, model):
        self.model = model
        self.previous = None
        self.interrupted = False

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.getsignal(signal.SIGINT)
            if self.previous is None:  # set outside Python: it could not be restored
                return self

            def handler(signum, frame):
                if self.interrupted:  # a second Ctrl-C interrupts at once
                    raise KeyboardInterrupt
                self.interrupted = True
                self.model.stop_training = True
            signal.signal(signal.SIGINT, handler)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


__all__ = ["train_loop", "EpochPlan", "StopOnInterrupt", "changed_during_fit",
           "check_yield_every", "check_verbose"]
