"""Training speed against PyTorch (and Keras/TensorFlow when installed), in one run.

    python bench/bench_train.py [--epochs 3] [--rounds 2] [--threads 2] [--only W1,W2,W3,W4]
                                [--keras-python PATH]

W1: dense 784-32-10 (relu, softmax), sgd 0.01, categorical cross-entropy + accuracy,
    batch 32, 60,000 MNIST-shaped synthetic samples, shuffled; seconds per epoch.
W2: dense 784-512-512-10, adam 0.001, batch 128, same data.
W3: predict on the 60,000 samples with both models.
W4: `import treino` vs `import torch` (fresh interpreters).
W5 (and later model workloads): see bench/workloads.py; --only W5 runs it.
W6, W7 (sequences: an embedding + LSTM classifier, addition-rnn): bench/workloads_seq.py.
W1 variants (treino only, against plain W1 in the same worker): an L2 kernel regularizer
    on the hidden layer, batch normalization after it, a user's loss function written
    with tn ops (categorical cross-entropy on the softmax output), and the same layers
    as a functional model (tn.input / layer.apply / tn.model).

Keras runs where `import keras` works: in this interpreter, or in the one --keras-python
names (a virtual environment with TensorFlow, which need not have treino or torch).
Every measurement runs in a fresh worker process (`--worker`), and the frameworks take
turns round after round, so they share the machine's noisy periods alike and never run
in one process (two OpenMP runtimes spinning side by side slow each other down). Each
worker runs one warm-up epoch, then --epochs timed epochs; the table shows the median
over all rounds and the ratio peer / treino (> 1: treino is faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import MODEL_WORKLOADS  # noqa: E402
from workloads_seq import SEQUENCE_WORKLOADS  # noqa: E402

MODEL_WORKLOADS.update(SEQUENCE_WORKLOADS)

N, D, C = 60000, 784, 10
WORKLOADS = {"W1": ((32,), 0.01, False, 32), "W2": ((512, 512), 0.001, True, 128)}


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
    return times


def treino_model(tn, hidden, optimizer, variant=None):
    """The workload's model; variant 'l2', 'bn', 'custom-loss' or 'functional' for the
    W1 variants."""
    if variant == "functional":
        x = tn.input(shape=[D])
        h = x
        for units in hidden:
            h = tn.layers.dense(units=units, activation="relu").apply(h)
        out = tn.layers.dense(units=C, activation="softmax").apply(h)
        model = tn.model(inputs=x, outputs=out)
        model.compile(optimizer=optimizer, loss="categoricalCrossentropy", metrics=["accuracy"])
        return model
    first = dict(input_shape=[D], units=hidden[0], activation="relu")
    if variant == "l2":
        first["kernel_regularizer"] = tn.regularizers.l2(1e-4)
    layers = [tn.layers.dense(**first)]
    if variant == "bn":
        layers.append(tn.layers.batch_normalization())
    layers += [tn.layers.dense(units=h, activation="relu") for h in hidden[1:]]
    layers.append(tn.layers.dense(units=C, activation="softmax"))
    model = tn.sequential(layers=layers)
    loss = "categoricalCrossentropy"
    if variant == "custom-loss":
        def loss(y_true, y_pred):  # a user's function: traced into the program
            return tn.neg(tn.sum(tn.mul(y_true, tn.log(tn.add(y_pred, 1e-7))), -1))
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


W1_VARIANTS = ("l2", "bn", "custom-loss", "functional")


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


# -- workers: one framework, one workload, in a process of its own --------------------------

def work_treino(workload, epochs, threads):
    import treino as tn
    if threads:
        tn.set_num_threads(threads)
    x, y1h, _ = synthetic()
    hidden, lr, adam, batch = WORKLOADS[workload]
    tn.set_seed(0)
    model = treino_model(tn, hidden, tn.train.adam(lr) if adam else tn.train.sgd(lr))
    fit = lambda **kw: model.fit(x, y1h, batch_size=batch, epochs=1, **kw)  # noqa: E731
    res = {"fit": timed_epochs(lambda: fit(verbose=0), epochs)}
    model.run_eagerly = True  # every step on the tape, for comparison
    res["fit eager"] = timed_epochs(lambda: fit(verbose=0), epochs)
    model.run_eagerly = False
    if workload == "W1":
        for variant in W1_VARIANTS:
            tn.set_seed(0)
            m = treino_model(tn, hidden, tn.train.sgd(lr), variant)
            res[f"fit {variant}"] = timed_epochs(
                lambda: m.fit(x, y1h, batch_size=batch, epochs=1, verbose=0), epochs)
        sink = open(os.devnull, "w")
        stdout, sys.stdout = sys.stdout, sink
        try:
            res["fit verbose=1"] = timed_epochs(lambda: fit(verbose=1), epochs)
        finally:
            sys.stdout = stdout
    # fit_dataset over an in-memory dataset (consumed in order), against fit without
    # shuffling on the same arrays (the target: within 1.5x of fit).
    ds = tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y1h)}).batch(batch)
    res["fit_dataset"] = timed_epochs(lambda: model.fit_dataset(ds, epochs=1, verbose=0), epochs)
    res["fit no-shuffle"] = timed_epochs(lambda: fit(verbose=0, shuffle=False), epochs)
    res["predict"] = timed_epochs(lambda: model.predict(x, batch_size=32), epochs)
    info = tn.cpu_info()
    res["_info"] = f"{info['cpu']}, isa {info['isa']}, {info['num_threads']} threads"
    return res


def work_torch(workload, epochs, threads):
    import torch
    if threads:
        torch.set_num_threads(threads)
    x, _, labels = synthetic()
    hidden, lr, adam, batch = WORKLOADS[workload]
    torch.manual_seed(0)
    model, opt = torch_parts(torch, hidden, lr, adam)
    tx, ty = torch.from_numpy(x), torch.from_numpy(labels)
    res = {"fit": timed_epochs(lambda: torch_epoch(torch, model, opt, tx, ty, batch), epochs)}

    def predict():
        with torch.no_grad():
            return torch.cat([model(tx[i:i + 32]) for i in range(0, N, 32)])
    res["predict"] = timed_epochs(predict, epochs)
    res["_info"] = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    return res


def work_keras(workload, epochs, threads):
    import keras
    if threads and keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    x, y1h, _ = synthetic()
    hidden, lr, adam, batch = WORKLOADS[workload]
    layers = [keras.Input((D,))] + [keras.layers.Dense(h, activation="relu") for h in hidden]
    model = keras.Sequential(layers + [keras.layers.Dense(C, activation="softmax")])
    opt = keras.optimizers.Adam(lr) if adam else keras.optimizers.SGD(lr)
    model.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])
    res = {"fit": timed_epochs(lambda: model.fit(x, y1h, batch_size=batch, epochs=1, verbose=0),
                               epochs)}
    res["predict"] = timed_epochs(lambda: model.predict(x, batch_size=32, verbose=0), epochs)
    res["_info"] = f"keras {keras.__version__} ({keras.backend.backend()})"
    return res


def work_model(framework, workload, epochs, threads):
    """A workload of bench/workloads.py, in this framework."""
    import importlib
    module = importlib.import_module({"treino": "treino", "torch": "torch",
                                      "keras": "keras"}[framework])
    if threads:
        if framework == "treino":
            module.set_num_threads(threads)
        elif framework == "torch":
            module.set_num_threads(threads)
    if framework == "treino":
        module.set_seed(0)
    elif framework == "torch":
        module.manual_seed(0)
    run = MODEL_WORKLOADS[workload][framework](module)
    return {"fit": timed_epochs(run, epochs), "_info": framework}


WORKERS = {"treino": work_treino, "torch": work_torch, "keras": work_keras}


def import_times(statement, n=5):
    """Seconds `statement` takes in fresh interpreters, with bytecode caching on (as for an
    installed package; this machine sets PYTHONDONTWRITEBYTECODE, which would make every
    run recompile treino's sources), after one warm-up run."""
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    env = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(tempfile.gettempdir(), "bench-pyc"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    run = lambda: float(subprocess.run([sys.executable, "-c", code], capture_output=True,  # noqa: E731
                                       text=True, check=True, env=env).stdout)
    run()
    return [run() for _ in range(n)]


def available(module, python):
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([python, "-c", code]).returncode == 0


def run_worker(python, framework, workload, epochs, threads):
    cmd = [python, __file__, "--worker", framework, workload, "--epochs", str(epochs)]
    if threads:
        cmd += ["--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} {workload} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--only", default="W1,W2,W3,W4")
    ap.add_argument("--keras-python", default=sys.executable,
                    help="the interpreter that runs the Keras workers")
    ap.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "WORKLOAD"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        fw, w = args.worker
        res = work_model(fw, w, args.epochs, args.threads) if w in MODEL_WORKLOADS else \
            WORKERS[fw](w, args.epochs, args.threads)
        print(json.dumps(res))
        return
    only = set(args.only.split(","))
    python = {"treino": sys.executable, "torch": sys.executable, "keras": args.keras_python}
    peers = [f for f in ("torch", "keras") if available(f, python[f])]
    workloads = [w for w in WORKLOADS if w in only or "W3" in only] + [
        w for w in MODEL_WORKLOADS if w in only]
    times, info = {}, {}
    for _ in range(args.rounds):
        for w in workloads:
            for fw in ["treino"] + peers:
                res = run_worker(python[fw], fw, w, args.epochs, args.threads)
                name = res.pop("_info")
                info.setdefault(fw, name)
                for k, v in res.items():
                    times.setdefault((fw, w, k), []).extend(v)
    med = {k: statistics.median(v) for k, v in times.items()}
    nan = float("nan")
    rows = []
    for w in WORKLOADS:
        if w in only:
            peer = {p: med.get((p, w, "fit"), nan) for p in peers}
            rows.append((f"{w} fit epoch (verbose=0)", med[("treino", w, "fit")], peer))
            rows.append((f"{w} fit epoch, eager step", med[("treino", w, "fit eager")], peer))
            for variant in W1_VARIANTS if w == "W1" else ():
                rows.append((f"W1 + {variant} ({med[('treino', w, 'fit ' + variant)] / med[('treino', w, 'fit')]:.2f}x W1)",
                             med[("treino", w, "fit " + variant)], peer))
            if ("treino", w, "fit verbose=1") in med:
                rows.append((f"{w} fit epoch (verbose=1)", med[("treino", w, "fit verbose=1")], peer))
            rows.append((f"{w} fit_dataset epoch (fit no-shuffle "
                         f"{med[('treino', w, 'fit no-shuffle')]:.3f}s)",
                         med[("treino", w, "fit_dataset")], peer))
    for w in MODEL_WORKLOADS:
        if w in only:
            rows.append((f"{w} fit epoch", med[("treino", w, "fit")],
                         {p: med.get((p, w, "fit"), nan) for p in peers}))
    if "W3" in only:
        for w in WORKLOADS:
            rows.append((f"W3 predict 60k ({w} model, batch 32)", med[("treino", w, "predict")],
                         {p: med.get((p, w, "predict"), nan) for p in peers}))
    if "W4" in only:
        ours, first_model, numpy_only, theirs = [], [], [], []
        for _ in range(args.rounds):  # alternate, as above
            ours += import_times("import treino")
            first_model += import_times("import treino; treino.sequential")
            numpy_only += import_times("import numpy")
            theirs += import_times("import torch") if "torch" in peers else []
        torch_import = {"torch": statistics.median(theirs) if theirs else nan}
        rows.append(("W4 import", statistics.median(ours), torch_import))
        rows.append(("W4 import + tn.sequential (Layers API)", statistics.median(first_model),
                     torch_import))
        rows.append(("W4 import numpy alone (treino's floor)", statistics.median(numpy_only),
                     torch_import))
    print("; ".join([f"treino: {info['treino']}" if "treino" in info else "treino"]
                    + [info.get(p, p) for p in peers])
          + f"; {os.cpu_count()} cores; {args.rounds} rounds x {args.epochs} epochs")
    print(f"{'workload':<46}{'treino s':>10}{'torch s':>10}{'torch/treino':>14}"
          f"{'keras s':>10}{'keras/treino':>14}")
    for name, ours, p in rows:
        t, k = p.get("torch", nan), p.get("keras", nan)
        print(f"{name:<46}{ours:>10.3f}{t:>10.3f}{t / ours:>14.2f}{k:>10.3f}{k / ours:>14.2f}")


if __name__ == "__main__":
    main()
