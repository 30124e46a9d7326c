"""Model workloads for bench/bench_train.py beyond the dense W1/W2: each builds the same
model in treino, PyTorch and Keras from one description and trains one epoch per call.

W5: tfjs-examples mnist's convnet (conv2d 16 3x3 relu, max_pool 2, conv2d 32 3x3 relu,
    max_pool 2, conv2d 32 3x3 relu, flatten, dense 64 relu, dense 10 softmax), rmsprop
    0.001, categorical cross-entropy, batch 320 as in the example, 12,000 synthetic
    28x28x1 images; seconds per epoch.
"""
import numpy as np

W5_N, W5_BATCH = 12000, 320


def w5_data(seed=0):
    """Images with a class-dependent blob (learnable), float32 NHWC, one-hot labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, W5_N)
    x = rng.normal(0, 1, (W5_N, 28, 28, 1)).astype(np.float32)
    for c in range(10):
        r, q = divmod(c, 5)
        x[labels == c, 4 + 10 * r:12 + 10 * r, 2 + 5 * q:6 + 5 * q, 0] += 2.0
    return x, np.eye(10, dtype=np.float32)[labels], labels


def w5_model(tn):
    """The W5 model in treino, compiled."""
    model = tn.sequential([
        tn.layers.conv2d(input_shape=[28, 28, 1], kernel_size=3, filters=16, activation="relu"),
        tn.layers.max_pooling2d(pool_size=2, strides=2),
        tn.layers.conv2d(kernel_size=3, filters=32, activation="relu"),
        tn.layers.max_pooling2d(pool_size=2, strides=2),
        tn.layers.conv2d(kernel_size=3, filters=32, activation="relu"),
        tn.layers.flatten(),
        tn.layers.dense(units=64, activation="relu"),
        tn.layers.dense(units=10, activation="softmax")])
    model.compile(optimizer=tn.train.rmsprop(0.001), loss="categoricalCrossentropy",
                  metrics=["accuracy"])
    return model


def w5_treino(tn):
    model = w5_model(tn)
    x, y, _ = w5_data()
    return lambda: model.fit(x, y, batch_size=W5_BATCH, epochs=1, verbose=0)


def w5_torch(torch):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 32, 3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(288, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    x, _, labels = w5_data()
    tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    ty = torch.from_numpy(labels)

    def epoch():
        perm = torch.randperm(W5_N)
        for i in range(0, W5_N, W5_BATCH):
            idx = perm[i:i + W5_BATCH]
            opt.zero_grad()
            out = model(tx[idx])
            loss = torch.nn.functional.cross_entropy(out, ty[idx])
            loss.backward()
            opt.step()
    return epoch


def w5_keras(keras):
    L = keras.layers
    model = keras.Sequential([keras.Input((28, 28, 1)),
                              L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
                              L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                              L.Conv2D(32, 3, activation="relu"), L.Flatten(),
                              L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.RMSprop(0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    x, y, _ = w5_data()
    return lambda: model.fit(x, y, batch_size=W5_BATCH, epochs=1, verbose=0)


# workload -> {framework: build(module) -> run one epoch}
MODEL_WORKLOADS = {"W5": {"treino": w5_treino, "torch": w5_torch, "keras": w5_keras}}
