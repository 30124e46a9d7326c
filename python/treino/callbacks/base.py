"""The callback contract: Callback (six hooks), callbacks from a dict of functions, and
History."""
import inspect
import numbers
import time

from .._awaitable import resolve

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
         "on_batch_begin", "on_batch_end")
_CAMEL = {"".join(w.capitalize() if i else w for i, w in enumerate(h.split("_"))): h
          for h in HOOKS}  # onTrainBegin -> on_train_begin
_ARITY = {h: (1 if "train" in h else 2) for h in HOOKS}  # (logs) or (epoch|batch, logs)
# TF.js's onYield(epoch, batch, logs): called at a batch's end, at most once every
# yield_every milliseconds (fit's argument; 'auto' is TF.js's 125 ms), never with
# 'batch' or 'epoch'. TF.js runs it when training hands the event loop back.
_YIELD_KEYS = ("on_yield", "onYield")
_AUTO_YIELD_MS = 125


class Callback:
    """Base class: override any of the six hooks. `model` and `params` (epochs, steps,
    samples, batch_size, verbose, do_validation, metrics) are set before training."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass


def _positional_count(fn):
    """How many positional arguments fn takes (None: any number, via *args)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: pass everything
        return None, 0
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None, 0
    pos = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(pos), sum(p.default is p.empty for p in pos)


class FunctionCallback(Callback):
    """Callbacks from a dict of functions, as TF.js's CustomCallback: keys are hook names
    in snake_case or camelCase; a function may take fewer arguments than the hook
    passes ((epoch, logs) -> (epoch) or ()), as JavaScript functions may."""

    def __init__(self, functions, yield_every="auto"):
        super().__init__()
        if not isinstance(functions, dict):
            raise TypeError(f"callbacks: expected a dict of functions, received "
                            f"{type(functions).__name__}")
        hooks, on_yield = {}, None
        for key, fn in functions.items():
            if key in _YIELD_KEYS:
                if on_yield is not None:
                    raise ValueError("callbacks: hook 'on_yield' is given twice (as "
                                     "snake_case and camelCase)")
                if not callable(fn):
                    raise TypeError(f"callbacks: {key!r} must be a function, received "
                                    f"{type(fn).__name__}")
                on_yield = self._adapt(fn, "on_yield", key, 3)
                continue
            hook = key if key in HOOKS else _CAMEL.get(key)
            if hook is None:
                raise ValueError(f"callbacks: unknown hook {key!r}; valid keys: "
                                 f"{', '.join(HOOKS)}, on_yield (or camelCase: "
                                 f"{', '.join(_CAMEL)}, onYield)")
            if hook in hooks:
                raise ValueError(f"callbacks: hook {hook!r} is given twice (as snake_case "
                                 f"and camelCase)")
            if not callable(fn):
                raise TypeError(f"callbacks: {key!r} must be a function, received "
                                f"{type(fn).__name__}")
            hooks[hook] = self._adapt(fn, hook, key)
        if on_yield is not None:
            self._add_yield(on_yield, yield_every, hooks)
        for hook, fn in hooks.items():  # instance attributes shadow the no-op methods
            setattr(self, hook, fn)

    @staticmethod
    def _add_yield(on_yield, yield_every, hooks):
        """Wraps the epoch-begin and batch-end hooks so that on_yield(epoch, batch, logs)
        runs after a batch's end when yield_every milliseconds have passed since the
        last call (or since the callbacks were made), as TF.js's debounced maybeWait."""
        if yield_every == "never":
            raise ValueError("callbacks: yield_every is 'never' but an on_yield callback "
                             "was given; change yield_every or remove the callback")
        if yield_every in (None, "auto"):
            yield_every = _AUTO_YIELD_MS
        if not isinstance(yield_every, numbers.Real):  # 'batch', 'epoch': never called
            return
        state = {"epoch": 0, "last": time.monotonic()}
        epoch_begin, batch_end = hooks.get("on_epoch_begin"), hooks.get("on_batch_end")

        def on_epoch_begin(epoch, logs=None):
            state["epoch"] = epoch
            if epoch_begin is not None:
                epoch_begin(epoch, logs)

        def on_batch_end(batch, logs=None):
            if batch_end is not None:
                batch_end(batch, logs)
            now = time.monotonic()
            if (now - state["last"]) * 1000.0 >= yield_every:
                state["last"] = now
                on_yield(state["epoch"], batch, logs)
        hooks["on_epoch_begin"], hooks["on_batch_end"] = on_epoch_begin, on_batch_end

    @staticmethod
    def _adapt(fn, hook, key, full=None):
        full = _ARITY[hook] if full is None else full
        n, required = _positional_count(fn)
        if n is None or n >= full:
            if required > full:
                raise TypeError(f"callbacks: the function for {key!r} needs {required} "
                                f"arguments, but {hook} passes {full}")
            n = None
        # TF.js awaits what a hook returns (an async function's promise): so does fit,
        # for an async def or a plain function returning a coroutine.
        what = f"the callback {key!r}"
        if n is None:
            return lambda *args: resolve(fn(*args), what)
        if n == 0:
            return lambda *args: resolve(fn(), what)
        return lambda *args: resolve(fn(*args[:n]), what)


def _to_callbacks(callbacks, yield_every="auto"):
    """A list of Callbacks from fit's `callbacks` argument (dicts of functions become
    FunctionCallbacks, with fit's yield_every for their on_yield)."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if isinstance(callbacks, dict):
        return [FunctionCallback(callbacks, yield_every)]
    if isinstance(callbacks, (list, tuple)):
        out = []
        for i, cb in enumerate(callbacks):
            if isinstance(cb, dict):
                out.append(FunctionCallback(cb, yield_every))
            elif isinstance(cb, Callback):
                out.append(cb)
            else:
                raise TypeError(f"callbacks: item {i} must be a tn.callbacks.Callback or a "
                                f"dict of functions, received {type(cb).__name__}")
        return out
    raise TypeError(f"callbacks: expected a tn.callbacks.Callback, a list of them or a dict "
                    f"of functions such as {{'on_batch_end': fn}}, received "
                    f"{type(callbacks).__name__}")


def _hook(cb, hook):
    """cb's bound hook, or None when it is the base no-op (so dispatch skips it). A
    subclass written TF.js-style (onEpochEnd) is honoured too."""
    if hook in vars(cb) or getattr(type(cb), hook) is not getattr(Callback, hook):
        return getattr(cb, hook)
    camel = getattr(cb, next(c for c, h in _CAMEL.items() if h == hook), None)
    return camel if callable(camel) else None


def _floats(logs):
    """logs with Tensor / numpy values as Python floats (TF.js resolves scalars too)."""
    if logs is None:
        return {}
    for k, v in logs.items():
        if type(v) not in (float, int):
            try:
                logs[k] = float(v)
            except (TypeError, ValueError):
                raise TypeError(f"callbacks: log {k!r} must be a number, received "
                                f"{type(v).__name__}") from None
    return logs


class History(Callback):
    """Records the epoch logs: `.history` maps each log key to a list (one value per
    epoch), `.epoch` lists the epoch indices; `history['acc']` is `history.history['acc']`."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def __getitem__(self, key):
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def keys(self):
        return self.history.keys()

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"
