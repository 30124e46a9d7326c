"""The data, models and training runs the MPI scripts and the single-process references
share: a process of an N-process job and one process with the global batch build the
same things from the same seeds."""
import numpy as np

import treino as tn


def data(n, features=12, classes=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    labels = rng.integers(0, classes, n)
    labels[:classes] = np.arange(classes)
    return x, np.eye(classes, dtype=np.float32)[labels]


def model(batch_norm=False, seed=3, optimizer=None, run_eagerly=False):
    """dense(16, relu) [-> batch normalization] -> dense(5, softmax), weights drawn from
    numpy (not treino's generator), compiled with accuracy."""
    layers = [tn.layers.dense(units=16, activation="relu", input_shape=[12])]
    if batch_norm:
        layers.append(tn.layers.batch_normalization())
    layers.append(tn.layers.dense(units=5, activation="softmax"))
    m = tn.sequential(layers=layers)
    rng = np.random.default_rng(seed)
    m.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) if w.trainable
                   else np.asarray(w.val.numpy()) for w in m.weights])
    m.compile(optimizer=optimizer or tn.train.adam(0.01), loss="categoricalCrossentropy",
              metrics=["accuracy"], run_eagerly=run_eagerly)
    return m


def fit(m, x, y, batch_size, seed=42, **kw):
    """fit from a seeded generator (the shuffles); returns (history, batch logs)."""
    batches = []
    callbacks = kw.pop("callbacks", [])
    callbacks = callbacks + [{"on_batch_end": lambda b, logs: batches.append(dict(logs))}]
    tn.set_seed(seed)
    h = m.fit(x, y, batch_size=batch_size, callbacks=callbacks, **kw)
    return h.history, batches


def stop_at(batch, when=True):
    """A callback setting model.stop_training after batch `batch` of epoch 0 (when
    `when`)."""
    class Stop(tn.callbacks.Callback):
        def on_batch_end(self, b, logs=None):
            if when and b == batch and not self.model.history.epoch:
                self.model.stop_training = True
    return Stop()


def core_loop(x, y, steps=4, wrap=lambda opt: opt):
    """A core-API loop: a linear map fitted to (x, y) with adam, `steps` minimize calls
    through wrap(optimizer); returns the weight's values."""
    w = tn.variable(np.linspace(-1, 1, x.shape[1] * y.shape[1], dtype=np.float32)
                    .reshape(x.shape[1], y.shape[1]))
    opt = wrap(tn.train.adam(0.05))
    xt = tn.tensor(x)
    for _ in range(steps):
        opt.minimize(lambda: tn.mean(tn.square(tn.sub(tn.matmul(xt, w), y))))
    return w.numpy()


def sharded_dataset(x, y, batch_size, shards=1, index=0):
    ds = tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y)}).shuffle(64, seed=5)
    return (ds.shard(shards, index) if shards > 1 else ds).batch(batch_size)
