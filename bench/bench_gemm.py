"""sgemm GFLOP/s: treino vs numpy (OpenBLAS), side by side, measured in the same run.

    PYTHONPATH=build/dev-gemm/site python bench/bench_gemm.py [--isa avx2] [--threads 2]
        [--only square|train] [--ops NN,TN] [--haswell] [--stat median]

The two libraries are timed in alternating blocks (3 rounds, a short pause before each
block so the other library's idle threads have stopped spinning); each number is the
fastest (--stat min, the default, least disturbed by other load) or median of the
3 x --reps samples of at least --min-time seconds each.
With --isa avx2 (or --haswell) a separate numpy process started with
OPENBLAS_CORETYPE=Haswell adds OpenBLAS's AVX2 kernel as a second baseline (the target
for treino's AVX2 path).

OpenBLAS picks its kernel when it is loaded, from the CPU or from OPENBLAS_CORETYPE (a
machine may set it to Haswell, which gives the AVX2 kernel on an AVX-512 CPU), and sizes
its blocks from OPENBLAS_L2_SIZE. The main numpy baseline is OpenBLAS's own choice for
this CPU: if either variable is set, the script restarts itself without them. The kernel
OpenBLAS uses is printed from threadpoolctl (pip install threadpoolctl).
"""
import argparse
import json
import os
import subprocess
import sys
import time

OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Before numpy loads OpenBLAS. The --numpy-only child (the Haswell baseline) keeps the
# override it was started with on purpose.
if "--numpy-only" not in sys.argv and any(v in os.environ for v in OPENBLAS_OVERRIDES):
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_OVERRIDES}
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import numpy as np  # noqa: E402

SQUARE = [64, 128, 256, 512, 1024, 1536, 2048]
TRANS = [(False, False), (True, False), (False, True), (True, True)]
# (label, M, K, N, trans_a, trans_b): forward x @ W of a dense layer at a batch size,
# then dW = x^T dz and dX = dz W^T.
TRAIN_BASE = [("784-32 @32", 32, 784, 32), ("32-10 @32", 32, 32, 10),
              ("784-512 @128", 128, 784, 512), ("512-512 @128", 128, 512, 512)]


def shapes(only, ops=None):
    out = []
    if only in (None, "square"):
        for n in SQUARE:
            for ta, tb in TRANS:
                if ops is None or ("T" if ta else "N") + ("T" if tb else "N") in ops:
                    out.append((f"square {n}", n, n, n, ta, tb))
    if only in (None, "train"):
        for name, m, k, n in TRAIN_BASE:
            for ta, tb in TRANS:
                out.append((f"fwd {name} {m}x{k}x{n}", m, k, n, ta, tb))
            out.append((f"dW  {name} {k}x{m}x{n}", k, m, n, True, False))
            out.append((f"dX  {name} {m}x{n}x{k}", m, n, k, False, True))
    return out


def operands(m, k, n, ta, tb):
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
    return a, b, np.zeros((m, n), np.float32)


def calls_per_sample(fn, min_time):
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t0 >= min_time or n >= 1 << 20:
            return n
        n *= 2


def sample(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def measure(fns, reps, min_time, stat="min", rounds=3, gap=0.12):
    """Seconds per call of each fn (min or median of rounds x reps samples).

    Each fn runs a block of samples in turn, after a pause: OpenBLAS's idle worker
    threads busy-wait for a while after a call (as OpenMP's do), so alternating call by
    call would time each library against the other's spinning threads on 2 cores.
    """
    counts = [calls_per_sample(f, min_time) for f in fns]
    times = [[] for _ in fns]
    for _ in range(rounds):
        for i, f in enumerate(fns):
            time.sleep(gap)
            f()
            for _ in range(reps):
                times[i].append(sample(f, counts[i]))
    return [min(t) if stat == "min" else sorted(t)[len(t) // 2] for t in times]


def blas_report():
    """OpenBLAS's version, kernel (architecture) and threads, as threadpoolctl sees them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    rows = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
            f"threads={i.get('num_threads')}" for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(rows) or "no BLAS found"


def numpy_fn(a, b, c, ta, tb):
    A = a.T if ta else a  # transposed views: numpy hands BLAS the trans flag, no copy
    B = b.T if tb else b
    return lambda: np.matmul(A, B, out=c)


def numpy_only(args):
    res = {}
    for label, m, k, n, ta, tb in shapes(args.only, args.ops):
        a, b, c = operands(m, k, n, ta, tb)
        (t,) = measure([numpy_fn(a, b, c, ta, tb)], args.reps, args.min_time, args.stat)
        res[f"{label} {ta} {tb}"] = 2.0 * m * n * k / t * 1e-9
    print(json.dumps(res))


def haswell_baseline(args):
    env = dict(os.environ, OPENBLAS_CORETYPE="Haswell")
    cmd = [sys.executable, __file__, "--numpy-only", "--reps", str(args.reps),
           "--min-time", str(args.min_time), "--stat", args.stat] + (["--only", args.only] if args.only else [])
    cmd += ["--ops", ",".join(sorted(args.ops))] if args.ops else []
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--isa", help="treino kernel path: ref, avx2 or avx512 (default: best)")
    p.add_argument("--threads", type=int, help="treino thread count (default: all)")
    p.add_argument("--only", choices=["square", "train"])
    p.add_argument("--ops", help="comma-separated square variants to run (NN,TN,NT,TT; default all)")
    p.add_argument("--haswell", action="store_true", help="add the OPENBLAS_CORETYPE=Haswell baseline")
    p.add_argument("--reps", type=int, default=5, help="samples per round (3 rounds)")
    p.add_argument("--min-time", type=float, default=0.02)
    p.add_argument("--stat", choices=["min", "median"], default="min",
                   help="min (default: robust to other load on the machine) or median time")
    p.add_argument("--numpy-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    args.ops = set(args.ops.split(",")) if args.ops else None
    if args.ops and not args.ops <= {"NN", "TN", "NT", "TT"}:
        p.error(f"--ops: expected a comma-separated subset of NN,TN,NT,TT, got {','.join(sorted(args.ops))}")
    if args.numpy_only:
        return numpy_only(args)

    from treino import _kernels as K
    if args.isa:
        K.set_isa(args.isa)
    if args.threads:
        K.set_num_threads(args.threads)
    info = K.cpu_info()
    # Looked up once and called positionally, as numpy is: what is timed is the binding
    # and the kernel, not module attribute lookup or keyword parsing.
    sgemm = K.sgemm
    hsw = haswell_baseline(args) if (args.haswell or info["isa"] == "avx2") else None
    print(f"cpu: {info['cpu']}  treino isa: {info['isa']}  threads: {info['num_threads']}  "
          f"numpy {np.__version__}")
    print(f"numpy's BLAS (threadpoolctl): {blas_report()}")
    head = f"{'shape (MxKxN)':34s} {'op':3s} {'treino':>8s} {'numpy':>8s} {'ratio':>6s}"
    if hsw:
        head += f" {'np-hsw':>8s} {'ratio':>6s}"
    print(head + "   (GFLOP/s)")
    ratios, ratios_hsw = {}, {}
    for label, m, k, n, ta, tb in shapes(args.only, args.ops):
        a, b, c = operands(m, k, n, ta, tb)
        c2 = c.copy()
        t_tr, t_np = measure([lambda: sgemm(a, b, c, ta, tb),
                              numpy_fn(a, b, c2, ta, tb)], args.reps, args.min_time, args.stat)
        fl = 2.0 * m * n * k * 1e-9
        g_tr, g_np = fl / t_tr, fl / t_np
        op = ("T" if ta else "N") + ("T" if tb else "N")
        line = f"{label:34s} {op:3s} {g_tr:8.1f} {g_np:8.1f} {g_tr / g_np:6.2f}"
        group = label.split()[0] + (" " + label.split()[1] if label.startswith("square") else "")
        ratios.setdefault(group, []).append(g_tr / g_np)
        if hsw:
            g_h = hsw[f"{label} {ta} {tb}"]
            line += f" {g_h:8.1f} {g_tr / g_h:6.2f}"
            ratios_hsw.setdefault(group, []).append(g_tr / g_h)
        print(line, flush=True)
    print("\nworst ratio per group (treino / numpy" + (", treino / numpy-Haswell" if hsw else "") + "):")
    for g, r in ratios.items():
        extra = f"  {min(ratios_hsw[g]):5.2f}" if hsw else ""
        print(f"  {g:14s} {min(r):5.2f}{extra}")


if __name__ == "__main__":
    main()
