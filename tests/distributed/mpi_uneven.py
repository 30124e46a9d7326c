"""Run by test_uneven_mpi.py under `mpiexec -n 3`: splits that do not divide evenly
(a last global batch smaller than the number of processes, dataset shards of different
lengths), batch normalization, fit_dataset and evaluate_dataset; every process saves
what it got to <out>/rank<r>.pkl."""
import pickle
import sys

import treino as tn
from mpi_cases import data, fit, model, sharded_dataset

out = sys.argv[1]
tn.distributed.init(timeout=60)
rank, size = tn.distributed.rank(), tn.distributed.size()
res = {}

# 54 samples, 43 after the validation split: global batches of 21, 21 and 1 (processes
# 1 and 2 have no sample in the last one).
x, y = data(54)
m = model()
hist, batches = fit(m, x, y, 7, epochs=2, validation_split=0.2, verbose=0)
res["fit_w"], res["fit_hist"] = m.get_weights(), hist
res["fit_sizes"] = [b["size"] for b in batches]

# Batch normalization: each process normalizes its own samples; the moving statistics
# are averaged over the processes at every epoch's end, so they stay the same too.
bn = model(batch_norm=True)
fit(bn, x, y, 5, epochs=2, verbose=0)
res["bn_w"] = bn.get_weights()

# fit_dataset on shards of 16, 16 and 15 elements (batches of 4: the last global batch
# has 11), with array validation data; then evaluate_dataset over the shards.
x2, y2 = data(47, seed=1)
dm = model(seed=3 + rank)  # fit_dataset starts from process 0's weights too
tn.set_seed(42)
h = dm.fit_dataset(sharded_dataset(x2, y2, 4, size, rank), epochs=3, verbose=0,
                   validation_data=(x2[:20], y2[:20]))
res["ds_w"], res["ds_hist"] = dm.get_weights(), h.history
res["ds_eval"] = [v.item() for v in dm.evaluate_dataset(sharded_dataset(x2, y2, 5, size, rank))]

with open(f"{out}/rank{rank}.pkl", "wb") as f:
    pickle.dump(res, f)
