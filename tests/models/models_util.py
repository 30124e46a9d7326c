"""Shared helpers for the model tests: small dense models with known weights, and plain
float64 references (numpy forward, torch training loops) to check them against."""
import numpy as np

import treino as tn


def dense_model(sizes=(3, 4, 2), activations=("relu", "softmax"), seed=0, scale=0.5,
                **dense_kwargs):
    """A Sequential of dense layers sizes[0] -> sizes[1] -> ... with weights drawn from a
    fixed numpy generator (not the library's), so references can start from the same
    values."""
    layers = [tn.layers.dense(units=sizes[1], activation=activations[0],
                              input_shape=[sizes[0]], **dense_kwargs)]
    for units, act in zip(sizes[2:], activations[1:]):
        layers.append(tn.layers.dense(units=units, activation=act, **dense_kwargs))
    model = tn.sequential(layers=layers)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, scale, w.shape).astype(np.float32)
                       for w in model.weights])
    return model


def between_dense(*middle, seed=2):
    """dense(8, relu, input [12]) -> the `middle` layers -> dense(5, softmax), with
    weights drawn from a fixed numpy generator."""
    model = tn.sequential()
    model.add(tn.layers.dense(units=8, activation="relu", input_shape=[12]))
    for layer in middle:
        model.add(layer)
    model.add(tn.layers.dense(units=5, activation="softmax"))
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.weights])
    return model


def classification_data(n=10, features=3, classes=2, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    labels = rng.integers(0, classes, n)
    labels[:classes] = np.arange(classes)  # every class present
    return x, np.eye(classes, dtype=np.float32)[labels], labels


def weights64(model):
    return [w.numpy().astype(np.float64) for w in model.get_weights()]


def assert_weights_close(a, b, atol, rtol=0.0):
    assert len(a) == len(b)
    for wa, wb in zip(a, b):
        np.testing.assert_allclose(np.asarray(wa, np.float64), np.asarray(wb, np.float64),
                                   atol=atol, rtol=rtol)


_ACT = {
    "relu": lambda z: np.maximum(z, 0),
    "linear": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "softmax": lambda z: np.exp(z - z.max(-1, keepdims=True))
    / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True),
}


def forward64(weights, activations, x):
    """The dense stack's output in float64 numpy (weights as [k1, b1, k2, b2, ...])."""
    h = np.asarray(x, np.float64)
    for (k, b), act in zip(zip(weights[::2], weights[1::2]), activations):
        h = _ACT[act](h @ k + b)
    return h


def torch_fit(weights, activations, loss, optimizer, x, y, batch_size, epochs,
              sample_weight=None, **opt_kwargs):
    """The same training loop in PyTorch (float64): batches in order (no shuffling), the
    last one smaller, loss = mean over the batch of per-sample loss * weight. Returns
    (per-epoch sample-weighted mean batch losses, final weights as numpy arrays in
    treino's layout)."""
    import torch

    params = [torch.tensor(np.asarray(w, np.float64), requires_grad=True) for w in weights]
    acts = {"relu": torch.relu, "linear": lambda z: z, "sigmoid": torch.sigmoid,
            "tanh": torch.tanh, "softmax": lambda z: torch.softmax(z, -1)}
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, **opt_kwargs)
    elif optimizer == "adam":
        opt = torch.optim.Adam(params, **opt_kwargs)
    else:
        raise ValueError(optimizer)
    xt = torch.tensor(np.asarray(x, np.float64))
    yt = torch.tensor(np.asarray(y, np.float64))
    wt = None if sample_weight is None else torch.tensor(np.asarray(sample_weight, np.float64))
    eps = 1e-7
    history = []
    n = xt.shape[0]
    for _ in range(epochs):
        total = 0.0
        for i in range(0, n, batch_size):
            xb, yb = xt[i:i + batch_size], yt[i:i + batch_size]
            h = xb
            for j, act in enumerate(activations):
                h = h @ params[2 * j] + params[2 * j + 1]
                if not (act == "softmax" and loss == "categoricalCrossentropy"):
                    h = acts[act](h)
            if loss == "categoricalCrossentropy":  # from the logits, as the fused path
                per = -(yb * torch.log_softmax(h, -1)).sum(-1)
            elif loss == "binaryCrossentropy":
                p = h.clamp(eps, 1 - eps)
                per = -(yb * torch.log(p) + (1 - yb) * torch.log(1 - p)).mean(-1)
            elif loss == "meanSquaredError":
                per = ((h - yb) ** 2).mean(-1)
            else:
                raise ValueError(loss)
            if wt is not None:
                per = per * wt[i:i + batch_size]
            value = per.mean()
            opt.zero_grad()
            value.backward()
            opt.step()
            total += float(value.detach()) * xb.shape[0]
        history.append(total / n)
    return history, [p.detach().numpy() for p in params]
