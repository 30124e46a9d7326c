"""Data-parallel training over MPI: the same script on every process.

Run (after pip install 'treino[mpi]'):

    mpiexec -n 2 python examples/distributed_fit.py

Every process loads the same data and builds the same model. fit gives each process its
part of every global batch (16 samples per process here: 32 per step with 2 processes)
and sums the gradients of each step over the processes, so all of them hold the same
weights throughout; the progress, the logs and the saved model come from process 0.
fit_dataset trains each process on its own shard of a dataset. Run with `python` alone,
it is the same training on one process.
"""
import os
import sys
import tempfile

import numpy as np

import treino as tn

rank, size, _ = tn.distributed.init()
tn.set_seed(0)  # the same initial weights and shuffles everywhere (process 0's are used)

images, labels = tn.datasets.digits()
x, y = images / 16.0, np.eye(10, dtype=np.float32)[labels]
order = np.random.default_rng(0).permutation(len(x))
test, train = order[:360], order[360:]

model = tn.sequential(layers=[
    tn.layers.dense(input_shape=[64], units=32, activation="relu"),
    tn.layers.dense(units=10, activation="softmax"),
])
# The learning rate is the one for the global batch (size x 16 samples): treino does not
# rescale it.
model.compile(optimizer=tn.train.adam(0.01), loss="categoricalCrossentropy",
              metrics=["accuracy"])
history = model.fit(x[train], y[train], batch_size=16, epochs=10, validation_split=0.1,
                    verbose=2)

# A dataset: each process trains on every size-th element (shard before batching).
ds = tn.data.zip({"xs": tn.data.array(x[train]), "ys": tn.data.array(y[train])})
model.fit_dataset(ds.shuffle(2000, seed=1).shard(size, rank).batch(16), epochs=2, verbose=0)

# Every process takes part in evaluate (each its share of the test set; the result is
# global); only process 0 prints, and model.save writes on process 0 only.
loss, acc = (v.item() for v in model.evaluate(x[test], y[test]))
path = model.save(os.path.join(tempfile.gettempdir(), "treino-distributed-digits"))
if tn.distributed.is_main():
    print(f"{size} process(es); final training loss {history.history['loss'][-1]:.4f}")
    print(f"test accuracy: {acc:.2f}")
    print(f"saved to {path}")
sys.stdout.flush()
