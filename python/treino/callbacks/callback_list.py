"""CallbackList: dispatches each hook of a fit to the user's callbacks, then History,
then the progress display."""
import inspect

from .._awaitable import resolve
from ..distributed.state import is_main
from .base import HOOKS, Callback, _floats, _hook, _to_callbacks
from .progress import ProgressBar


def _awaited(f, hook):
    """f, or for an `async def` hook of a Callback subclass a function that awaits it (as
    TF.js awaits its callbacks)."""
    if not inspect.iscoroutinefunction(f):
        return f
    return lambda *args: resolve(f(*args), f"the callback's {hook}")


class CallbackList:
    """Calls each hook on every callback in order: the user's, then `history`, then the
    progress display for verbose 1 or 2. Every callback sees the same logs dict, so a
    callback may add keys (e.g. 'learning_rate') that later ones record."""

    def __init__(self, callbacks=None, model=None, params=None, history=None, verbose=0):
        self.callbacks = _to_callbacks(callbacks)
        if history is not None:
            self.callbacks.append(history)
        if verbose in (1, 2) and is_main():  # data-parallel: process 0 shows progress
            self.callbacks.append(ProgressBar(verbose))
        self.model, self.params = model, dict(params or {})
        for cb in self.callbacks:
            cb.set_params(self.params)
            if model is not None:
                cb.set_model(model)
        self._index()

    def _index(self):
        self._hooks = {h: [_awaited(f, h) for f in (_hook(cb, h) for cb in self.callbacks)
                           if f] for h in HOOKS}

    def append(self, callback):
        if not isinstance(callback, Callback):
            raise TypeError(f"CallbackList.append: expected a Callback, received "
                            f"{type(callback).__name__}")
        callback.set_params(self.params)
        if self.model is not None:
            callback.set_model(self.model)
        self.callbacks.append(callback)
        self._index()

    def set_model(self, model):
        self.model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        self.params = dict(params)
        for cb in self.callbacks:
            cb.set_params(self.params)

    def listens(self, hook):
        """Whether any callback implements `hook` (fit skips building per-batch logs
        nobody reads)."""
        return bool(self._hooks[hook])

    def on_train_begin(self, logs=None):
        logs = _floats(logs)
        for f in self._hooks["on_train_begin"]:
            f(logs)

    def on_train_end(self, logs=None):
        logs = _floats(logs)
        for f in self._hooks["on_train_end"]:
            f(logs)

    def on_epoch_begin(self, epoch, logs=None):
        logs = _floats(logs)
        for f in self._hooks["on_epoch_begin"]:
            f(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = _floats(logs)
        for f in self._hooks["on_epoch_end"]:
            f(epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        fs = self._hooks["on_batch_begin"]
        if fs:  # per-batch hooks cost nothing when no callback listens
            logs = _floats(logs)
            for f in fs:
                f(batch, logs)

    def on_batch_end(self, batch, logs=None):
        fs = self._hooks["on_batch_end"]
        if fs:
            logs = _floats(logs)
            for f in fs:
                f(batch, logs)
