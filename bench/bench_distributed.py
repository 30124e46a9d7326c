"""Data-parallel training speed on this machine: W2 on one process with T threads against
P processes (mpiexec -n P, over loopback / shared memory) with T / P threads each.

    python bench/bench_distributed.py [--processes 2] [--threads 2] [--epochs 1]
                                      [--rounds 8] [--samples 30720] [--wait-idle]
    python bench/bench_distributed.py --cost-model STEP_MS

W2 is bench_train.py's: dense 784-512-512-10 (relu, softmax), adam 0.001, categorical
cross-entropy + accuracy, MNIST-shaped synthetic samples, shuffled. Rows:

  1 x T threads, batch 128                    the single-process baseline
  P x T/P threads, 128/P per process          the same training (global batch 128), split
  P x T/P threads, 128 per process            each process a full batch (global 128 P)

Columns: samples per second, ms per step, ms per step spent in the all-reduce (the time
a process waits in collectives, its own exchange and any wait for a slower process,
over the steps), and the throughput ratio to the baseline. Every measurement runs in
fresh processes (`--worker`: a short warm-up fit captures the step, then timed epochs);
the configurations take turns round after round in short runs, so they share the
machine's noisy periods alike; the table shows medians over the rounds, and the best
epoch's throughput (the machine's quietest moment) with its ratio. On a shared machine,
--wait-idle starts each run only once the CPUs were 90% idle for a second (Linux). Needs
mpi4py and mpiexec (pip install 'treino[mpi]').

--cost-model STEP_MS prints, on paper, the ring all-reduce's cost for W2's gradients
(2 (N - 1) / N x bytes / link bandwidth, plus 2 (N - 1) link latencies) on N = 2..64
processes over 10 and 100 Gbit/s links, against STEP_MS, the measured time of one step
on a process's batch of 128: the weak-scaling efficiency (each process keeps its batch)
and the speedup of a fixed global batch of 128 split N ways (the step time taken as
STEP_MS / N, which small batches only make worse), where scaling stops.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_train import C, synthetic, treino_model  # noqa: E402

HIDDEN, LR = (512, 512), 0.001
W2_PARAMS = 784 * 512 + 512 + 512 * 512 + 512 + 512 * C + C
LINKS = (("10 Gbit/s", 10e9 / 8, 25e-6), ("100 Gbit/s", 100e9 / 8, 3e-6))  # bytes/s, latency


def cost_model(step_ms):
    grad_bytes = 4 * W2_PARAMS
    print(f"W2 gradients: {W2_PARAMS} floats = {grad_bytes / 1e6:.2f} MB; measured step "
          f"{step_ms:.2f} ms per process batch of 128")
    for link, bandwidth, latency in LINKS:
        print(f"\n{link} (latency {latency * 1e6:g} us)")
        print(f"{'N':>3s} {'allreduce ms':>13s} {'weak: efficiency':>17s} "
              f"{'speedup':>8s} {'global 128: step ms':>20s} {'speedup':>8s}")
        for n in (2, 4, 8, 16, 32, 64):
            reduce_ms = (2 * (n - 1) / n * grad_bytes / bandwidth + 2 * (n - 1) * latency) * 1e3
            weak = step_ms / (step_ms + reduce_ms)
            split = step_ms / n + reduce_ms
            print(f"{n:3d} {reduce_ms:13.2f} {weak:17.2f} {n * weak:8.1f} {split:20.2f} "
                  f"{step_ms / split:8.1f}")


def worker(per_process_batch, epochs, samples):
    """Runs in each process: a warm-up fit, then timed epochs; process 0 prints JSON."""
    import treino as tn
    from treino.distributed import state
    tn.distributed.init()
    x, y, _ = synthetic()
    x, y = x[:samples], y[:samples]
    tn.set_seed(0)
    model = treino_model(tn, HIDDEN, tn.train.adam(LR))
    model.fit(x[:2048], y[:2048], batch_size=per_process_batch, verbose=0)  # capture
    ctx = state.active()
    steps = -(-samples // (per_process_batch * tn.distributed.size()))
    epoch_s, reduce_s = [], []
    for _ in range(epochs):
        before = ctx.seconds if ctx else 0.0
        t0 = time.perf_counter()
        model.fit(x, y, batch_size=per_process_batch, epochs=1, verbose=0)
        epoch_s.append(time.perf_counter() - t0)
        reduce_s.append((ctx.seconds - before) if ctx else 0.0)
    if tn.distributed.is_main():
        print(json.dumps({"epoch_s": epoch_s, "reduce_s": reduce_s, "steps": steps,
                          "threads": tn.get_num_threads()}))


def _cpu_times():
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return fields[3] + fields[4], sum(fields)  # idle + iowait, total


def wait_idle():
    """Returns once the CPUs were at least 90% idle over one second."""
    while True:
        idle0, total0 = _cpu_times()
        time.sleep(1)
        idle1, total1 = _cpu_times()
        if (idle1 - idle0) >= 0.9 * max(1, total1 - total0):
            return


def run(processes, threads, batch, args):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(batch),
           "--epochs", str(args.epochs), "--samples", str(args.samples)]
    if processes > 1:
        cmd = [args.mpiexec, "-n", str(processes)] + cmd
    if args.wait_idle:
        wait_idle()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="threads of the baseline")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--samples", type=int, default=30720, help="a multiple of 256 (no "
                    "partial batch)")
    ap.add_argument("--wait-idle", action="store_true")
    ap.add_argument("--cost-model", type=float, metavar="STEP_MS")
    ap.add_argument("--worker", type=int, metavar="BATCH", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cost_model:
        return cost_model(args.cost_model)
    if args.worker:
        return worker(args.worker, args.epochs, args.samples)
    args.mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or \
        shutil.which("mpiexec")
    if args.mpiexec is None:
        sys.exit("bench_distributed: mpiexec not found (pip install 'treino[mpi]')")
    p, t = args.processes, args.threads
    per = max(1, t // p)
    configs = [(f"1 x {t} threads, batch 128", 1, t, 128),
               (f"{p} x {per} thread(s), {128 // p} per process (global 128)", p, per, 128 // p),
               (f"{p} x {per} thread(s), 128 per process (global {128 * p})", p, per, 128)]
    results = {name: [] for name, *_ in configs}
    for r in range(args.rounds):
        for name, procs, threads, batch in configs:
            res = run(procs, threads, batch, args)
            for e, red in zip(res["epoch_s"], res["reduce_s"]):
                results[name].append((args.samples / e, e / res["steps"] * 1e3,
                                      red / res["steps"] * 1e3))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    import treino as tn
    info = tn.cpu_info()
    print(f"W2 (784-512-512-10, adam), {args.samples} samples; {info['cpu']}, "
          f"{info['isa']}, {os.cpu_count()} cores; {args.rounds} rounds x {args.epochs} "
          f"epochs, medians")
    print(f"{'configuration':52s} {'samples/s':>10s} {'ms/step':>8s} {'allreduce':>10s} "
          f"{'ratio':>6s} {'best/s':>8s} {'ratio':>6s}")
    base = best_base = None
    for name, *_ in configs:
        sps = statistics.median(v[0] for v in results[name])
        step = statistics.median(v[1] for v in results[name])
        red = statistics.median(v[2] for v in results[name])
        best = max(v[0] for v in results[name])
        base, best_base = base or sps, best_base or best
        print(f"{name:52s} {sps:10.0f} {step:8.2f} {red:8.2f}ms {sps / base:6.2f} "
              f"{best:8.0f} {best / best_base:6.2f}")


if __name__ == "__main__":
    main()
