"""Data-parallel training on 3 processes (mpi_uneven.py under mpiexec): uneven splits,
against one process on the global batch. A process without a sample in a step still
takes part in its update; shards of different lengths end an epoch together; batch
normalization's moving statistics stay the same on every process."""
import pickle

import numpy as np
import pytest

import mpi_util
import treino as tn
from mpi_cases import data, fit, model, sharded_dataset

N = 3


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("mpi_uneven")
    proc, _ = mpi_util.run(N, "mpi_uneven.py", out)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    got = []
    for r in range(N):
        with open(out / f"rank{r}.pkl", "rb") as f:
            got.append(pickle.load(f))
    return got


def _close(a, b, atol=2e-6):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(np.asarray(u, np.float64), np.asarray(v, np.float64),
                                   atol=atol, rtol=0)


def _same_everywhere(ranks, key):
    for r in ranks[1:]:
        assert all(np.array_equal(u, v) for u, v in zip(r[key], ranks[0][key]))


def test_a_last_global_batch_smaller_than_the_processes(ranks):
    x, y = data(54)
    ref = model()
    hist, batches = fit(ref, x, y, N * 7, epochs=2, validation_split=0.2, verbose=0)
    assert [b["size"] for b in batches] == [21, 21, 1] * 2
    _same_everywhere(ranks, "fit_w")
    _close(ranks[0]["fit_w"], ref.get_weights())
    for r in ranks:
        assert r["fit_sizes"] == [21, 21, 1] * 2
        assert r["fit_hist"] == ranks[0]["fit_hist"]
        for k in ("loss", "acc", "val_loss", "val_acc"):
            _close(r["fit_hist"][k], hist[k])


def test_batch_normalization_statistics_stay_the_same_on_every_process(ranks):
    _same_everywhere(ranks, "bn_w")
    fresh = model(batch_norm=True).get_weights()
    moving = [w for w, f in zip(ranks[0]["bn_w"], fresh) if not np.array_equal(w, f)]
    assert len(moving) == len(fresh)  # trained, statistics included


def test_fit_dataset_on_uneven_shards_equals_one_process(ranks):
    x, y = data(47, seed=1)
    ref = model()
    tn.set_seed(42)
    h = ref.fit_dataset(sharded_dataset(x, y, N * 4), epochs=3, verbose=0,
                        validation_data=(x[:20], y[:20]))
    _same_everywhere(ranks, "ds_w")
    _close(ranks[0]["ds_w"], ref.get_weights())
    want_eval = [v.item() for v in ref.evaluate_dataset(sharded_dataset(x, y, 5))]
    for r in ranks:
        assert r["ds_hist"] == ranks[0]["ds_hist"]
        for k in ("loss", "acc", "val_loss", "val_acc"):
            _close(r["ds_hist"][k], h.history[k])
        _close(r["ds_eval"], want_eval)
