"""Data-parallel training on 2 processes over loopback (mpi_fit.py under mpiexec),
against one process training on the global batch (the same data, seeds and initial
weights, computed here): weights the same on both processes bit for bit and equal to
the one-process run to float32 rounding; logs, history, validation and evaluate the
global values; the replayed step bit-identical to the eager one, to a second run and to
a second job; a stop asked by one process stops both after the same batch;
train_on_batch and a core-API loop with DistributedOptimizer; allreduce and
broadcast_weights; only process 0 prints and writes files."""
import pickle

import numpy as np
import pytest

import mpi_util
from mpi_cases import core_loop, data, fit, model, stop_at

N, BATCH = 2, 8


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    out = tmp_path_factory.mktemp("mpi_fit")
    proc, _ = mpi_util.run(N, "mpi_fit.py", out)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    ranks = []
    for r in range(N):
        with open(out / f"rank{r}.pkl", "rb") as f:
            ranks.append(pickle.load(f))
    return out, proc, ranks


def _close(a, b, atol=2e-6):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(np.asarray(u, np.float64), np.asarray(v, np.float64),
                                   atol=atol, rtol=0)


def _same_bits(a, b):
    assert len(a) == len(b)
    assert all(np.array_equal(u, v) and u.dtype == v.dtype for u, v in zip(a, b))


def test_fit_equals_one_process_with_the_global_batch(job):
    _, _, ranks = job
    x, y = data(53)
    ref = model()
    hist, batches = fit(ref, x, y, N * BATCH, epochs=3, validation_split=0.2, verbose=0)
    for r in ranks:
        _same_bits(r["fit_w"], ranks[0]["fit_w"])
    _close(ranks[0]["fit_w"], ref.get_weights())
    # The logs are the global batch's: sizes, losses and accuracies of every step, the
    # epochs' means and the validation values, on every process.
    want = [[b["size"], b["loss"], b["acc"]] for b in batches]
    assert [b[0] for b in want] == [16, 16, 10] * 3
    for r in ranks:
        assert r["fit_batches"] == ranks[0]["fit_batches"]
        assert r["fit_hist"] == ranks[0]["fit_hist"]
        _close(r["fit_batches"], want, atol=2e-6)
        _close(r["fit_hist"], [hist[k] for k in ("loss", "acc", "val_loss", "val_acc")])
    _close([r["eval"] for r in ranks], [[v.item() for v in ref.evaluate(x, y, 5)]] * N)


def test_replay_equals_eager_and_a_second_run_bit_for_bit(job):
    _, _, ranks = job
    for r in ranks:
        _same_bits(r["eager_w"], r["fit_w"])
        _same_bits(r["again_w"], r["fit_w"])


def test_a_second_job_repeats_the_first_bit_for_bit(job, tmp_path):
    proc, _ = mpi_util.run(N, "mpi_fit.py", tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    with open(tmp_path / "rank1.pkl", "rb") as f:
        again = pickle.load(f)
    first = job[2][1]
    for key in ("fit_w", "stop_w", "tob_w"):
        _same_bits(again[key], first[key])
    assert np.array_equal(again["core_w"], first["core_w"])
    assert again["fit_batches"] == first["fit_batches"]
    assert again["fit_hist"] == first["fit_hist"]


def test_a_stop_asked_by_one_process_stops_every_process_after_that_batch(job):
    _, _, ranks = job
    x, y = data(53)
    ref = model()
    hist, batches = fit(ref, x, y, N * BATCH, epochs=3, shuffle=False, verbose=0,
                        callbacks=[stop_at(1)])
    assert (len(hist["loss"]), len(batches)) == (1, 2)
    for r in ranks:
        assert list(r["stop_counts"]) == [1, 2]
        _same_bits(r["stop_w"], ranks[0]["stop_w"])
    _close(ranks[0]["stop_w"], ref.get_weights())


def test_train_on_batch_and_distributed_optimizer(job):
    _, _, ranks = job
    x, y = data(53)
    ref = model()
    loss = ref.train_on_batch(x[:20], y[:20])
    for r in ranks:
        _same_bits(r["tob_w"], ranks[0]["tob_w"])
        _close([r["tob_loss"]], [loss])
    _close(ranks[0]["tob_w"], ref.get_weights())
    # Each process's half of 52 rows, mean-reduced: the gradient of all 52 rows.
    want = core_loop(x[:52], y[:52])
    for r in ranks:
        assert np.array_equal(r["core_w"], ranks[0]["core_w"])
    _close([ranks[0]["core_w"]], [want], atol=1e-6)


def test_allreduce_and_broadcast_weights(job):
    _, _, ranks = job
    for r in ranks:
        assert r["sum"].tolist() == [3.0, 2.0] and r["sum"].dtype == np.float32
        assert r["mean"].tolist() == [1.5]
        assert r["bcast"].tolist() == [1.0, 1.0, 1.0]


def test_only_process_zero_prints_and_writes(job):
    out, proc, ranks = job
    lines = [l for l in proc.stdout.splitlines() if l.startswith("Epoch ")]
    assert [l.split(" - ")[0] for l in lines] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    files = sorted(p.name for p in out.iterdir() if not p.name.endswith(".pkl"))
    assert files == ["ckpt_r0_1", "ckpt_r0_2", "ckpt_r0_3", "final_r0", "log_r0.csv"]
    rows = (out / "log_r0.csv").read_text().splitlines()
    assert rows[0] == "epoch,acc,loss,val_acc,val_loss" and len(rows) == 4
    assert float(rows[3].split(",")[2]) == ranks[0]["fit_hist"][0][2]
