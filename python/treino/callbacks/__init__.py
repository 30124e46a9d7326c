"""tn.callbacks: hooks into fit (TF.js's callbacks, Keras 3's built-ins) and the progress
display.

A CallbackList owns every hook call of a fit: the user's callbacks (Callback objects or
a dict of functions keyed 'on_batch_end' or TF.js's 'onBatchEnd'), then History, then the
progress display. Built-in callbacks touch the model only through `model.stop_training`,
`model.optimizer.learning_rate`, `model.get_weights()` / `set_weights()` and
`model.save(path)`.

Names load on first access: fit needs base, callback_list and progress; the built-ins
(and the csv module) load when one is used.
"""
from .. import _attach

_LAZY = {
    **{n: ".base" for n in ("HOOKS", "Callback", "FunctionCallback", "History")},
    **{n: ".builtin" for n in ("CSVLogger", "EarlyStopping", "LearningRateScheduler",
                               "ModelCheckpoint", "ReduceLROnPlateau", "TerminateOnNaN",
                               "early_stopping")},
    "CallbackList": ".callback_list", "ProgressBar": ".progress",
    **{m: "." + m for m in ("base", "builtin", "callback_list", "progress")},
}
__getattr__, __dir__ = _attach(globals(), _LAZY)

__all__ = ["Callback", "CallbackList", "FunctionCallback", "History", "ProgressBar",
           "EarlyStopping", "early_stopping", "ModelCheckpoint", "CSVLogger", "TerminateOnNaN",
           "ReduceLROnPlateau", "LearningRateScheduler"]
