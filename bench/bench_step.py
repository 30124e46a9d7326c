"""Where the time of one training step goes (bench_train.py's W1 and W2 models, and W5,
the mnist convnet of bench/workloads.py, fit).

    python bench/bench_step.py [--workload W1|W2|W5] [--epochs 3] [--threads 1,2]

Runs fit epochs with every native call of the step timed (a wrapper around the kernel
module; it adds about 0.2 us per call) and prints, per step, the median over epochs of
each kernel's time, the rest (Python: the loop, callbacks, the replayed program's
bookkeeping), and the whole step, for the replayed (captured) step and the eager tape
step (compile(run_eagerly=True)).
"""
import argparse
import collections
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_train import WORKLOADS, synthetic, treino_model  # noqa: E402
from workloads import W5_BATCH, w5_data, w5_model  # noqa: E402

import treino as tn  # noqa: E402
from treino import _kernels  # noqa: E402

TIMED = {"gather_rows", "dense_forward", "dense_backward", "softmax_cross_entropy",
         "reduce_mean", "sgd_update", "adam_update", "rmsprop_update", "conv2d_forward",
         "conv2d_backward", "max_pool_forward", "max_pool_backward"}
# Kernels labelled by their weight's shape and activation: name -> (weight arg, act arg).
_WEIGHTED = {"dense_forward": (1, 3), "dense_backward": (2, 4), "conv2d_forward": (1, 6),
             "conv2d_backward": (2, 7)}


class Timed:
    """Stands in for the kernel module: times the kernels named in TIMED (dense ones
    labelled by activation and weight shape)."""

    def __init__(self):
        self.acc = collections.defaultdict(float)
        self.count = collections.Counter()
        self._labels = {}

    def _label(self, name, a):
        if name not in _WEIGHTED:
            return name
        wi, ai = _WEIGHTED[name]
        w = a[wi]
        key = (name, id(w))
        label = self._labels.get(key)
        if label is None:
            act = a[ai] if len(a) > ai else "linear"
            label = self._labels[key] = f"{name} {act} w{w.shape}"
        return label

    def wrap(self, name, f):
        def timed(*a, **kw):
            t = time.perf_counter_ns()
            r = f(*a, **kw)
            dt = time.perf_counter_ns() - t
            self.count[name] += 1
            self.acc[self._label(name, a)] += dt
            return r
        return timed

    def __getattr__(self, name):
        f = getattr(_kernels, name)
        return self.wrap(name, f) if name in TIMED else f


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workload", default="W1", choices=sorted(WORKLOADS) + ["W5"])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    tn.set_seed(0)
    if args.workload == "W5":
        x, y, _ = w5_data()
        batch, model = W5_BATCH, w5_model(tn)
    else:
        hidden, lr, adam, batch = WORKLOADS[args.workload]
        x, y, _ = synthetic()
        model = treino_model(tn, hidden, tn.train.adam(lr) if adam else tn.train.sgd(lr))
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # warm-up
    steps = -(-x.shape[0] // batch)
    timed = Timed()
    # Every treino module that calls the kernels (ops, layers, optimizers, fit) gets the
    # timing stand-in (or the kernels back); the captured step's cores read it when they run.
    modules = [mod for name, mod in list(sys.modules.items())
               if name.startswith("treino.") and getattr(mod, "K", None) is _kernels]

    def use(kernels):
        for mod in modules:
            mod.K = kernels
    info = tn.cpu_info()
    print(f"{args.workload}, batch {batch}: {info['cpu']}, isa {info['isa']}; microseconds "
          f"per step, median of {args.epochs} epochs of {steps} steps. Each epoch runs "
          f"twice: with every kernel timed (the kernel rows), and plain (the whole step); "
          f"'rest' is the plain step minus the kernels: Python, and memory effects")
    for threads in [int(t) for t in args.threads.split(",")]:
        tn.set_num_threads(threads)
        for record in (True, False):
            model.run_eagerly = not record
            rows = collections.defaultdict(list)
            for _ in range(args.epochs):
                timed.acc.clear()
                use(timed)
                model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
                use(_kernels)
                t0 = time.perf_counter()
                model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
                total = (time.perf_counter() - t0) * 1e6 / steps
                for k, v in timed.acc.items():
                    rows[k].append(v / 1e3 / steps)
                rows["rest (Python)"].append(total - sum(timed.acc.values()) / 1e3 / steps)
                rows["whole step (kernels not timed)"].append(total)
            print(f"\n{threads} thread(s), {'replayed' if record else 'eager tape'} step")
            for k, v in rows.items():
                print(f"  {k:<44}{statistics.median(v):>9.1f}")


if __name__ == "__main__":
    main()
