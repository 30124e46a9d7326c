"""Run by test_fit_mpi.py under `mpiexec -n 2`: every process trains, evaluates and
exchanges, then saves what it got to <out>/rank<r>.pkl (test_fit_mpi.py compares the
processes with each other and with one process on the global batch)."""
import pickle
import sys

import numpy as np

import treino as tn
from mpi_cases import core_loop, data, fit, model, stop_at

out = sys.argv[1]
tn.distributed.init(timeout=60)
rank, size = tn.distributed.rank(), tn.distributed.size()
x, y = data(53)
res = {}

# fit, shuffled, with validation, checkpoints and a CSV log: process 0 alone writes.
# Process 1 starts from other weights: fit starts from process 0's.
m = model(seed=3 + rank)
cbs = [tn.callbacks.CSVLogger(f"{out}/log_r{rank}.csv"),
       tn.callbacks.ModelCheckpoint(f"{out}/ckpt_r{rank}_{{epoch}}")]
hist, batches = fit(m, x, y, 8, epochs=3, validation_split=0.2, verbose=2, callbacks=cbs)
res["fit_w"] = m.get_weights()
res["fit_hist"] = [hist[k] for k in ("loss", "acc", "val_loss", "val_acc")]
res["fit_batches"] = [[b["size"], b["loss"], b["acc"]] for b in batches]
res["eval"] = [v.item() for v in m.evaluate(x, y, batch_size=5)]
m.save(f"{out}/final_r{rank}")

# The same fit stepping eagerly (the tape), and replayed again: the same bits.
for name, eager in (("eager", True), ("again", False)):
    m2 = model(run_eagerly=eager)
    fit(m2, x, y, 8, epochs=3, validation_split=0.2, verbose=0)
    res[name + "_w"] = m2.get_weights()

# Process 1 alone asks to stop after batch 1: every process stops there.
m3 = model()
hist, batches = fit(m3, x, y, 8, epochs=3, shuffle=False, verbose=0,
                    callbacks=[stop_at(1, when=rank == 1)])
res["stop_w"] = m3.get_weights()
res["stop_counts"] = [len(hist["loss"]), len(batches)]

# train_on_batch: each process its half of a batch of 20 (from process 0's weights).
m4 = model(seed=3 + rank)
res["tob_loss"] = m4.train_on_batch(x[rank:20:size], y[rank:20:size])
res["tob_w"] = m4.get_weights()

# A core-API loop with DistributedOptimizer: each process its half of the data.
res["core_w"] = core_loop(x[rank:52:size], y[rank:52:size],
                          wrap=tn.distributed.DistributedOptimizer)

# allreduce and broadcast_weights.
res["sum"] = tn.distributed.allreduce(np.array([rank + 1.0, 2.0 * rank]), op="sum").numpy()
res["mean"] = tn.distributed.allreduce(tn.tensor([rank + 1.0]), op="mean").numpy()
v = tn.variable(np.full(3, rank, np.float32))
tn.distributed.broadcast_weights([v], root=1)
res["bcast"] = v.numpy()
tn.distributed.barrier()

with open(f"{out}/rank{rank}.pkl", "wb") as f:
    pickle.dump(res, f)
