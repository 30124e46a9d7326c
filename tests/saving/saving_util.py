import numpy as np

import treino as tn


def small_model(seed=0, compiled=True, optimizer="adam"):
    """dense, batch norm, dropout, reshape, activation, flatten, dense softmax."""
    tn.set_seed(seed)
    m = tn.sequential(layers=[
        tn.layers.dense(units=8, input_shape=[2, 3], activation="relu"),
        tn.layers.flatten(),
        tn.layers.batch_normalization(momentum=0.5),
        tn.layers.dropout(rate=0.2),
        tn.layers.reshape(target_shape=[4, 4]),
        tn.layers.activation(activation="elu"),
        tn.layers.flatten(),
        tn.layers.dense(units=3, activation="softmax", kernel_regularizer="l2",
                        kernel_constraint="maxNorm"),
    ])
    if compiled:
        m.compile(optimizer=optimizer, loss="categoricalCrossentropy", metrics=["acc"])
    return m


def data(n=40, shape=(2, 3), classes=3, seed=0):
    g = np.random.default_rng(seed)
    x = g.normal(size=(n,) + tuple(shape)).astype(np.float32)
    y = np.eye(classes, dtype=np.float32)[g.integers(0, classes, n)]
    return x, y


def trained_model():
    m = small_model()
    x, y = data()
    m.fit(x, y, epochs=3, batch_size=8, verbose=0)
    return m, x, y
