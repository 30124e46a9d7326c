"""fit and fit_dataset on several processes (docs/distributed.md).

fit: every process passes the same full arrays. The epoch plan is fit's own with a
global batch of size() x batch_size, and its shuffles are process 0's (each process
draws its permutation as a single process would, then takes process 0's, so a seeded
job repeats and every process agrees whatever it drew). Process r takes the rows r,
r + size(), r + 2 size()... of each global batch: step k of a job of N processes uses
exactly the samples of step k of one process with batch N x batch_size.

fit_dataset: each process iterates its own dataset (typically
`dataset.shard(size(), rank())`); a process whose dataset ended takes part in the
others' steps without a batch until every dataset has ended.

The epochs run as fit_loop's, with the differences a job of processes needs: the
processes compare their models and data, then copy process 0's weights and optimizer
state; every step is one all-reduce (step.py); the logs hold the global values, so
callbacks decide alike; stopping is agreed (a process that wants to stop makes every
process stop after the same batch); the non-trainable weights (batch-normalization
statistics) are averaged before validation; only process 0 prints and writes files.
"""
import zlib

import numpy as np

from .. import _kernels as K
from ..core.tensor import Tensor
from ..models.fit_loop import EpochPlan, StopOnInterrupt, changed_during_fit, train_loop
from . import weights
from .step import NoData, Stop, current, install

_EMPTY = ()  # fit: this process has no sample in the step's global batch


class SharedPlan(EpochPlan):
    """fit's EpochPlan whose shuffled orders are process 0's (see the module docstring)."""

    def __init__(self, ctx, *args):
        super().__init__(*args)
        self.ctx = ctx

    def _next_pass(self):
        super()._next_pass()
        if self.shuffle:
            order = np.ascontiguousarray(self._order, np.int64)
            self._order = self.ctx.bcast(order, 0, "fit (sharing the epoch's shuffle)")


def fingerprint(arrays):
    """A cheap signature of fit's arrays (shapes, dtypes and a sample of rows), to
    refuse processes given different data."""
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        rows = a[::max(1, a.shape[0] // 64)]
        out.append((a.shape, a.dtype.str, zlib.crc32(np.ascontiguousarray(rows).tobytes())))
    return out


def fit(ctx, model, arrays, val, batch_size, epochs, initial_epoch, callbacks, verbose,
        shuffle, steps_per_epoch, validation_batch_size, validation_steps, validation_freq):
    """Model.fit's data-parallel continuation, after its checks: `arrays` are the flat
    batch's arrays for every sample, `val` the validation arrays or None."""
    size, rank = ctx.size, ctx.rank
    n = arrays[0].shape[0]
    global_batch = batch_size * size
    steps = steps_per_epoch or -(-n // global_batch)
    plan = SharedPlan(ctx, n, global_batch, steps, shuffle)
    runner = DataParallelEpochs(ctx, "fit", {"batch_size": batch_size, "shuffle": bool(shuffle),
                                             "data": fingerprint(arrays)}, False)

    def epoch_batches(epoch):
        gather, first, rest = K.gather_rows, arrays[0], arrays[1:]
        for idx, nxt in plan.epoch():
            runner.n_global = len(idx)
            mine = np.ascontiguousarray(idx[rank::size])
            if not len(mine):
                yield _EMPTY
                continue
            ahead = None if nxt is None or len(nxt) <= rank else \
                np.ascontiguousarray(nxt[rank::size])
            yield (Tensor(gather(first, mine, None, ahead)),) + tuple(
                None if a is None else Tensor(gather(a, mine)) for a in rest)

    def validate():  # each process its share of the validation data (Model._evaluate_arrays)
        return model._evaluate_arrays(val, validation_batch_size, validation_steps)
    params = {"samples": n, "steps": steps, "batch_size": batch_size,
              "global_batch_size": global_batch, "processes": size}
    return train_loop(model, epoch_batches, epochs, initial_epoch, callbacks, verbose, params,
                      validate if val is not None else None, validation_freq, runner=runner)


def start(ctx, model, fn, **checks):
    """The processes compare models, optimizers, log names and `checks` (an agreed
    ValueError when they differ), then take process 0's weights and optimizer state.
    Returns the model's StepSync."""
    variables = weights.variables_of(model, fn)
    weights.check_same(ctx, fn, weights.describe(
        variables, model.optimizer, logs=model._metric_names(), **checks))
    weights.broadcast(ctx, variables, model.optimizer, 0, fn)
    return install(ctx, model)


def prepare_train_on_batch(ctx, model, batch):
    """train_on_batch, data-parallel: each process's batch is its part of the step; the
    first call after init or compile starts as fit does (process 0's weights)."""
    sync = current(ctx, model) or start(ctx, model, "train_on_batch")
    sync.set_batch(batch[0].shape[0])


class DataParallelEpochs:
    """train_loop's runner for a job of processes (see the module docstring): the
    counterpart of fit_loop._run_epochs. `checks`: what else must be the same on every
    process (fit's data); `until_all_done`: a process whose batches ended keeps joining
    the others' steps until every process's batches ended (fit_dataset)."""

    def __init__(self, ctx, fn, checks, until_all_done):
        self.ctx, self.fn, self.checks = ctx, fn, checks
        self.until_all_done = until_all_done
        self.n_global = None  # fit: the coming step's global batch size

    def __call__(self, model, epoch_batches, epochs, initial_epoch, names, callback_list,
                 validate, validation_freq):
        sync = start(self.ctx, model, self.fn, epochs=(initial_epoch, epochs), **self.checks)
        compiled = model._compiled
        with StopOnInterrupt(model):
            callback_list.on_train_begin()
            for epoch in range(initial_epoch, epochs):
                callback_list.on_epoch_begin(epoch)
                sums, seen = self._epoch(model, sync, epoch_batches(epoch), names,
                                         callback_list, compiled)
                if seen == 0:  # no process had data (fit_dataset): nothing to log
                    break
                logs = dict(zip(names, [s / seen for s in sums]))
                weights.average_non_trainable(self.ctx, model, self.fn)
                if validate is not None and (epoch + 1) % validation_freq == 0:
                    if model._compiled is not compiled:
                        raise changed_during_fit(model)
                    logs.update({"val_" + k: float(v) for k, v in zip(names, validate())})
                callback_list.on_epoch_end(epoch, logs)
                if self._agree_to_stop(model):
                    break
            callback_list.on_train_end()

    def _epoch(self, model, sync, batches, names, callback_list, compiled):
        """One epoch's steps, every process in step; returns the global (sums of values
        x samples, samples)."""
        batch_begin = callback_list.listens("on_batch_begin")
        batch_end = callback_list.listens("on_batch_end")
        sums, seen, b = [0.0] * len(names), 0, 0
        it, ended = iter(batches), False
        while True:
            batch = None
            if not ended:
                batch = next(it, None)
                ended = batch is None
                if ended and not self.until_all_done:
                    break
            if model._compiled is not compiled:
                raise changed_during_fit(model)
            try:
                if batch is None or model.stop_training:
                    # No batch left here, or this process stops (Stop for everyone).
                    sync.set_batch(0, self.n_global)
                    vals = sync.empty_step()
                else:
                    size = batch[0].shape[0] if batch else 0
                    if batch_begin:
                        callback_list.on_batch_begin(b, {"batch": b, "size": size})
                    sync.set_batch(size, self.n_global)
                    vals = sync.fit_step(batch) if size else sync.empty_step()
            except Stop:
                model.stop_training = True
                break
            except NoData:
                break
            n = sync.last_n
            sums = [s + v * n for s, v in zip(sums, vals)]
            seen += n
            if batch_end:
                logs = {"batch": b, "size": n}
                logs.update(zip(names, vals))
                callback_list.on_batch_end(b, logs)
            b += 1
        return sums, seen

    def _agree_to_stop(self, model):
        """Whether any process's model.stop_training is set (then every process's is)."""
        flag = np.array([1.0 if model.stop_training else 0.0])
        self.ctx.allreduce(flag, f"{self.fn} (agreeing on stop_training)")
        model.stop_training = bool(flag[0] > 0)
        return model.stop_training
