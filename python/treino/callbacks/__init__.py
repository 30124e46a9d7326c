"""tn.callbacks: hooks into fit (TF.js's callbacks, Keras 3's built-ins) and the progress
display.

A CallbackList owns every hook call of a fit: the user's callbacks (Callback objects or
a dict of functions keyed 'on_batch_end' or TF.js's 'onBatchEnd'), then History, then the
progress display. Built-in callbacks touch the model only through `model.stop_training`,
`model.optimizer.learning_rate`, `model.get_weights()` / `set_weights()` and
`model.save(path)`.
"""
from .base import HOOKS, Callback, FunctionCallback, History
from .builtin import (CSVLogger, EarlyStopping, LearningRateScheduler, ModelCheckpoint,
                      ReduceLROnPlateau, TerminateOnNaN, early_stopping)
from .callback_list import CallbackList
from .progress import ProgressBar

__all__ = ["Callback", "CallbackList", "FunctionCallback", "History", "ProgressBar",
           "EarlyStopping", "early_stopping", "ModelCheckpoint", "CSVLogger", "TerminateOnNaN",
           "ReduceLROnPlateau", "LearningRateScheduler"]
