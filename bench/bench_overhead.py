"""Per-op overhead of the core API against PyTorch (eager, CPU), measured in one run.

    python bench/bench_overhead.py [--threads N]

Prints microseconds per call (median of repeats) and the ratio torch / treino (> 1 means
treino is faster). Tiny shapes measure the fixed cost of an op; the MLP step measures a
whole core-API training step (forward, softmax cross-entropy, backward, sgd update).
"""
import argparse
import statistics
import timeit

import numpy as np

import treino as tn


def per_call_us(fn, min_time=0.2, repeats=7):
    fn()
    n = 1
    while timeit.timeit(fn, number=n) < min_time / 10:
        n *= 2
    return statistics.median(timeit.repeat(fn, number=n, repeat=repeats)) / n * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    if args.threads:
        tn.set_num_threads(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    rows = []

    def case(name, ours, theirs):
        t_ours = per_call_us(ours)
        t_theirs = per_call_us(theirs) if theirs is not None else float("nan")
        rows.append((name, t_ours, t_theirs))

    a2, b2 = rng.random((2, 2), np.float32), rng.random((2, 2), np.float32)
    a32, b32 = rng.random((32, 32), np.float32), rng.random((32, 32), np.float32)
    ta2, tb2, ta32, tb32 = (tn.tensor(x) for x in (a2, b2, a32, b32))
    T = (lambda x: torch.from_numpy(x)) if torch is not None else None
    case("a + b (2x2)", lambda: ta2 + tb2, torch and (lambda x=T(a2), y=T(b2): x + y))
    case("relu (32x32)", lambda: ta32.relu(), torch and (lambda x=T(a32): torch.relu(x)))
    case("matmul 32x32x32", lambda: ta32.matmul(tb32), torch and (lambda x=T(a32), y=T(b32): x @ y))
    case("sum (32x32)", lambda: ta32.sum(), torch and (lambda x=T(a32): x.sum()))

    # One training step of the seed's 784-32-10 MLP at batch 32, plain core-API ops.
    x = rng.random((32, 784), np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 32)]
    init = [rng.standard_normal(s).astype(np.float32) * 0.05 for s in [(784, 32), (32,), (32, 10), (10,)]]
    w1, b1, w2, b2 = (tn.variable(v) for v in init)
    tx, ty = tn.tensor(x), tn.tensor(y)
    opt = tn.train.sgd(0.01)

    def tn_step():
        opt.minimize(lambda: tn.losses.softmax_cross_entropy(
            ty, tx.matmul(w1).add(b1).relu().matmul(w2).add(b2)))

    def tn_step_fused():
        opt.minimize(lambda: tn.losses.softmax_cross_entropy(
            ty, tn.dense(tn.dense(tx, w1, b1, "relu"), w2, b2)))

    torch_step = None
    if torch is not None:
        tw = [torch.tensor(v, requires_grad=True) for v in init]
        topt = torch.optim.SGD(tw, lr=0.01)
        txx, tyy = torch.from_numpy(x), torch.from_numpy(y.argmax(1))

        def torch_step():
            topt.zero_grad()
            out = torch.relu(txx @ tw[0] + tw[1]) @ tw[2] + tw[3]
            torch.nn.functional.cross_entropy(out, tyy).backward()
            topt.step()
    case("MLP step 784-32-10, b32 (ops)", tn_step, torch_step)
    case("MLP step 784-32-10, b32 (fused dense)", tn_step_fused, torch_step)

    info = tn.cpu_info()
    print(f"cpu: {info['cpu']}  isa: {info['isa']}  threads: {info['num_threads']}"
          f"  torch: {torch.__version__ if torch else 'not installed'}")
    print(f"{'case':<40}{'treino us':>12}{'torch us':>12}{'torch/treino':>14}")
    for name, ours, theirs in rows:
        print(f"{name:<40}{ours:>12.2f}{theirs:>12.2f}{theirs / ours:>14.2f}")


if __name__ == "__main__":
    main()
