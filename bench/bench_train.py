"""Training speed against PyTorch (and Keras/TensorFlow when installed), in one run.

    python bench/bench_train.py [--epochs 3] [--threads 2] [--only W1,W2,W3,W4]

W1: dense 784-32-10 (relu, softmax), sgd 0.01, categorical cross-entropy + accuracy,
    batch 32, 60,000 MNIST-shaped synthetic samples, shuffled; seconds per epoch.
W2: dense 784-512-512-10, adam 0.001, batch 128, same data.
W3: predict on the 60,000 samples with both models.
W4: `import treino` vs `import torch` (fresh interpreters).
Each framework runs one warm-up epoch, then --epochs timed epochs; the table shows the
median and the ratio peer / treino (> 1: treino is faster).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

N, D, C = 60000, 784, 10


def synthetic(seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 1, (C, D)).astype(np.float32)
    labels = rng.integers(0, C, N)
    x = (centers[labels] + rng.normal(0, 2.0, (N, D))).astype(np.float32)
    return x, np.eye(C, dtype=np.float32)[labels], labels


def timed_epochs(run_epoch, epochs):
    run_epoch()  # warm-up
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        run_epoch()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def treino_model(tn, hidden, optimizer):
    layers = [tn.layers.dense(input_shape=[D], units=hidden[0], activation="relu")]
    layers += [tn.layers.dense(units=h, activation="relu") for h in hidden[1:]]
    layers.append(tn.layers.dense(units=C, activation="softmax"))
    model = tn.sequential(layers=layers)
    model.compile(optimizer=optimizer, loss="categoricalCrossentropy", metrics=["accuracy"])
    return model


def torch_parts(torch, hidden, lr, adam):
    dims = [D] + list(hidden) + [C]
    mods = []
    for i in range(len(dims) - 1):
        mods.append(torch.nn.Linear(dims[i], dims[i + 1]))
        if i < len(dims) - 2:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.Adam(model.parameters(), lr=lr) if adam else torch.optim.SGD(model.parameters(), lr=lr)
    return model, opt


def torch_epoch(torch, model, opt, x, y, batch):
    """One epoch as the PyTorch tutorials write it."""
    perm = torch.randperm(x.shape[0])
    correct = 0
    for i in range(0, x.shape[0], batch):
        idx = perm[i:i + batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad()
        out = model(xb)
        loss = torch.nn.functional.cross_entropy(out, yb)
        loss.backward()
        opt.step()
        correct += (out.argmax(1) == yb).sum().item()
    return correct


def keras_parts(hidden, lr, adam):
    import keras
    layers = [keras.Input((D,))] + [keras.layers.Dense(h, activation="relu") for h in hidden]
    model = keras.Sequential(layers + [keras.layers.Dense(C, activation="softmax")])
    opt = keras.optimizers.Adam(lr) if adam else keras.optimizers.SGD(lr)
    model.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def import_time(module):
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    vals = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(5)]
    return statistics.median(vals)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--only", default="W1,W2,W3,W4")
    args = ap.parse_args()
    only = set(args.only.split(","))
    import treino as tn
    try:
        import torch
    except ImportError:
        torch = None
    try:
        import keras  # noqa: F401
        have_keras = True
    except ImportError:
        have_keras = False
    if args.threads:
        tn.set_num_threads(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    x, y1h, labels = synthetic()
    rows = []
    workloads = {"W1": ((32,), 0.01, False, 32, "sgd"), "W2": ((512, 512), 0.001, True, 128, "adam")}
    models = {}
    for w, (hidden, lr, adam, batch, opt_id) in workloads.items():
        if w not in only and not ("W3" in only):
            continue
        tn.set_seed(0)
        model = treino_model(tn, hidden, tn.train.adam(lr) if adam else tn.train.sgd(lr))
        models[w] = model
        if w not in only:
            continue
        t_quiet = timed_epochs(lambda: model.fit(x, y1h, batch_size=batch, epochs=1, verbose=0), args.epochs)
        t_bar = timed_epochs(lambda: model.fit(x, y1h, batch_size=batch, epochs=1, verbose=1), 1) \
            if w == "W1" else None
        peers = {}
        if torch is not None:
            tm, topt = torch_parts(torch, hidden, lr, adam)
            tx, ty = torch.from_numpy(x), torch.from_numpy(labels)
            peers["torch"] = timed_epochs(lambda: torch_epoch(torch, tm, topt, tx, ty, batch), args.epochs)
        if have_keras:
            km = keras_parts(hidden, lr, adam)
            peers["keras"] = timed_epochs(lambda: km.fit(x, y1h, batch_size=batch, epochs=1, verbose=0), 1)
        rows.append((f"{w} fit epoch (verbose=0)", t_quiet, peers))
        # The same epoch through fit_dataset on an in-memory dataset (no shuffle: the
        # dataset is consumed in order), against fit on the same arrays.
        ds = tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y1h)}).batch(batch)
        t_ds = timed_epochs(lambda: model.fit_dataset(ds, epochs=1, verbose=0), args.epochs)
        t_fit_noshuffle = timed_epochs(
            lambda: model.fit(x, y1h, batch_size=batch, epochs=1, verbose=0, shuffle=False), args.epochs)
        rows.append((f"{w} fit_dataset epoch (fit no-shuffle {t_fit_noshuffle:.3f}s)", t_ds, peers))
        if t_bar is not None:
            rows.append((f"{w} fit epoch (verbose=1)", t_bar, peers))
    if "W3" in only and torch is not None:
        for w, model in models.items():
            hidden, lr, adam, batch, _ = workloads[w]
            tm, _ = torch_parts(torch, hidden, lr, adam)
            tx = torch.from_numpy(x)

            def torch_predict():
                with torch.no_grad():
                    return torch.cat([tm(tx[i:i + 32]) for i in range(0, N, 32)])
            t_ours = timed_epochs(lambda: model.predict(x, batch_size=32), args.epochs)
            rows.append((f"W3 predict 60k ({w} model, batch 32)", t_ours,
                         {"torch": timed_epochs(torch_predict, args.epochs)}))
    if "W4" in only:
        rows.append(("W4 import", import_time("treino"),
                     {"torch": import_time("torch")} if torch is not None else {}))
    info = tn.cpu_info()
    print(f"cpu: {info['cpu']} ({os.cpu_count()} cores)  isa: {info['isa']}  "
          f"treino threads: {info['num_threads']}  torch: "
          f"{torch.__version__ + ' threads ' + str(torch.get_num_threads()) if torch else 'no'}"
          f"  keras: {'yes' if have_keras else 'not installed'}")
    print(f"{'workload':<42}{'treino s':>10}{'torch s':>10}{'torch/treino':>14}{'keras s':>10}")
    for name, ours, peers in rows:
        t = peers.get("torch", float("nan"))
        k = peers.get("keras", float("nan"))
        print(f"{name:<42}{ours:>10.3f}{t:>10.3f}{t / ours:>14.2f}{k:>10.3f}")


if __name__ == "__main__":
    main()
