"""Functional models for the saving tests, each with a plain numpy forward pass that
reads the model's weights by name (an oracle independent of treino's graph code)."""
import numpy as np

import treino as tn


def towers(seed=0):
    """Two inputs through one shared dense (tanh), concatenated, then a nested Sequential
    (dense relu + batch norm) and a nested functional model (dense)."""
    tn.set_seed(seed)
    a = tn.input(shape=[4], name="left")
    b = tn.input(shape=[4], name="right")
    shared = tn.layers.dense(units=5, activation="tanh", name="shared")
    inner = tn.sequential(layers=[
        tn.layers.dense(units=6, input_shape=[10], activation="relu", name="inner_dense"),
        tn.layers.batch_normalization(name="inner_bn")], name="inner_seq")
    x = tn.input(shape=[6], name="sub_in")
    sub = tn.model(inputs=x, outputs=tn.layers.dense(units=3, name="sub_dense").apply(x),
                   name="sub")
    merged = tn.layers.concatenate(name="merge").apply([shared.apply(a), shared.apply(b)])
    model = tn.model(inputs=[a, b], outputs=sub.apply(inner.apply(merged)), name="towers")
    # Batch-norm statistics away from their initial 0 and 1, so that loading them matters.
    g = np.random.default_rng(seed)
    model.get_layer("inner_seq").get_layer("inner_bn").set_weights(
        [g.uniform(0.5, 1.5, 6), g.normal(size=6), g.normal(size=6), g.uniform(0.5, 2, 6)])
    return model


# model.weights of towers() in TF.js's order: layer by layer (nested models' layers in
# place), trainable weights first, then the batch-norm statistics.
TOWERS_WEIGHTS = ["shared/kernel", "shared/bias", "inner_dense/kernel", "inner_dense/bias",
                  "inner_bn/gamma", "inner_bn/beta", "sub_dense/kernel", "sub_dense/bias",
                  "inner_bn/moving_mean", "inner_bn/moving_variance"]


def towers_inputs(n=6, seed=1):
    g = np.random.default_rng(seed)
    return [g.normal(size=(n, 4)).astype(np.float32), g.normal(size=(n, 4)).astype(np.float32)]


def _weights(model):
    return {w.name: w.val.numpy().astype(np.float64) for w in model.weights}


def towers_numpy(model, xs):
    w = _weights(model)

    def dense(x, name):
        return x @ w[f"{name}/kernel"] + w[f"{name}/bias"]
    left, right = (np.tanh(dense(x.astype(np.float64), "shared")) for x in xs)
    h = np.maximum(dense(np.concatenate([left, right], axis=-1), "inner_dense"), 0)
    h = (h - w["inner_bn/moving_mean"]) / np.sqrt(w["inner_bn/moving_variance"] + 1e-3) \
        * w["inner_bn/gamma"] + w["inner_bn/beta"]
    return dense(h, "sub_dense")


def twice(seed=0):
    """A(B(A(B(x)))): two dense layers, each applied twice, at different depths (a
    rebuild must wait for B's first call before A's second)."""
    tn.set_seed(seed)
    x = tn.input(shape=[3], name="x")
    a = tn.layers.dense(units=3, activation="tanh", name="A")
    b = tn.layers.dense(units=3, activation="sigmoid", name="B")
    return tn.model(inputs=x, outputs=a.apply(b.apply(a.apply(b.apply(x)))), name="twice")


def twice_numpy(model, x):
    w = _weights(model)
    h = x.astype(np.float64)
    for name, act in (("B", lambda z: 1 / (1 + np.exp(-z))), ("A", np.tanh)) * 2:
        h = act(h @ w[f"{name}/kernel"] + w[f"{name}/bias"])
    return h
