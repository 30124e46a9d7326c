"""The callback contract: Callback (six hooks), callbacks from a dict of functions, and
History."""
import inspect

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
         "on_batch_begin", "on_batch_end")
_CAMEL = {"".join(w.capitalize() if i else w for i, w in enumerate(h.split("_"))): h
          for h in HOOKS}  # onTrainBegin -> on_train_begin
_ARITY = {h: (1 if "train" in h else 2) for h in HOOKS}  # (logs) or (epoch|batch, logs)


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

    def __init__(self, functions):
        super().__init__()
        if not isinstance(functions, dict):
            raise TypeError(f"callbacks: expected a dict of functions, received "
                            f"{type(functions).__name__}")
        hooks = {}
        for key, fn in functions.items():
            hook = key if key in HOOKS else _CAMEL.get(key)
            if hook is None:
                raise ValueError(f"callbacks: unknown hook {key!r}; valid keys: "
                                 f"{', '.join(HOOKS)} (or camelCase: {', '.join(_CAMEL)})")
            if hook in hooks:
                raise ValueError(f"callbacks: hook {hook!r} is given twice (as snake_case "
                                 f"and camelCase)")
            if not callable(fn):
                raise TypeError(f"callbacks: {key!r} must be a function, received "
                                f"{type(fn).__name__}")
            hooks[hook] = self._adapt(fn, hook, key)
        for hook, fn in hooks.items():  # instance attributes shadow the no-op methods
            setattr(self, hook, fn)

    @staticmethod
    def _adapt(fn, hook, key):
        full = _ARITY[hook]
        n, required = _positional_count(fn)
        if n is None or n >= full:
            if required > full:
                raise TypeError(f"callbacks: the function for {key!r} needs {required} "
                                f"arguments, but {hook} passes {full}")
            return fn
        if n == 0:
            return lambda *args: fn()
        return lambda *args: fn(*args[:n])


def _to_callbacks(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if isinstance(callbacks, dict):
        return [FunctionCallback(callbacks)]
    if isinstance(callbacks, (list, tuple)):
        out = []
        for i, cb in enumerate(callbacks):
            if isinstance(cb, dict):
                out.append(FunctionCallback(cb))
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
