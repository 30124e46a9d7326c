"""Run by test_faults_mpi.py under `mpiexec -n 2`: `mismatch` builds a different model on
process 1 (every process gets the same clear error and can go on), then process 1's
data raises in the middle of fit_dataset; `stuck` has process 1 never join (the other
ends the job after the timeout); `alone` forgets tn.distributed.init()."""
import sys
import time

import treino as tn
from mpi_cases import data, model

case = sys.argv[1]
x, y = data(40)
if case == "alone":  # init() forgotten: each process warns that it trains alone
    model().fit(x, y, verbose=0)
    sys.exit(0)
tn.distributed.init(timeout=1 if case == "stuck" else 60)
rank, size = tn.distributed.rank(), tn.distributed.size()


def say(line):  # one write per line: the processes share the output pipe
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if case == "stuck":
    if rank == 1:
        time.sleep(60)
    tn.distributed.barrier()
    sys.exit(0)

# A model of other shapes on process 1: the same ValueError on both, nothing hangs.
odd = tn.sequential(layers=[tn.layers.dense(units=16 if rank == 0 else 15,
                                            activation="relu", input_shape=[12]),
                            tn.layers.dense(units=5, activation="softmax")])
odd.compile(optimizer="sgd", loss="categoricalCrossentropy")
try:
    odd.fit(x, y, verbose=0)
except ValueError as e:
    say(f"rank {rank} refused: {e}")
m = model()
try:  # other data on process 1
    m.fit(x if rank == 0 else x[:39], y if rank == 0 else y[:39], verbose=0)
except ValueError as e:
    say(f"rank {rank} refused: {e}")
m.fit(x, y, epochs=1, verbose=0)  # the processes still work together afterwards
say(f"rank {rank} trained")


def check(element):
    if rank == 1 and float(element["xs"].numpy()[0]) > 1.0:
        raise ValueError("bad sample in process 1's shard")
    return element


ds = tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y)}).shard(size, rank)
start = time.monotonic()
try:
    m.fit_dataset(ds.map(check).batch(4), epochs=50, verbose=0)
except Exception as e:
    say(f"rank {rank} stopped after {time.monotonic() - start:.2f} s: "
        f"{type(e).__name__}: {e}")
    raise
say(f"rank {rank} was not stopped")
