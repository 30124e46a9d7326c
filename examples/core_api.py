"""The seed's core-API example: a 784-32-10 network written with variables and ops,
trained with optimizer.minimize on softmax cross-entropy, fed by a tn.data pipeline.

Run: python examples/core_api.py   (synthetic MNIST-shaped data: 10 noisy class centroids)
"""
import numpy as np

import treino as tn

tn.set_seed(0)
rng = np.random.default_rng(0)
centroids = rng.random((10, 784)).astype(np.float32)
labels = rng.integers(0, 10, 256)
xs = (centroids[labels] + 0.3 * rng.standard_normal((256, 784))).astype(np.float32)
ys = np.eye(10, dtype=np.float32)[labels]
ds = tn.data.zip({'xs': tn.data.array(xs), 'ys': tn.data.array(ys)}).shuffle(100).batch(32)

# --- the seed's code, as written ---------------------------------------------------------
w1 = tn.variable(tn.random_normal([784, 32]))
b1 = tn.variable(tn.random_normal([32]))
w2 = tn.variable(tn.random_normal([32, 10]))
b2 = tn.variable(tn.random_normal([10]))


def model(x):
    return x.matmul(w1).add(b1).relu().matmul(w2).add(b2)


optimizer = tn.train.sgd(0.1)
for epoch in range(5):
    def step(batch):
        def loss_fn():
            pred = model(batch['xs'])
            loss = tn.losses.softmax_cross_entropy(batch['ys'], pred)
            print('Loss', loss.item())
            return loss
        optimizer.minimize(loss_fn)
    ds.for_each(step)
    print('Epoch', epoch)
