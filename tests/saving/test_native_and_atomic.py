"""model.save('x.treino'): one file that resumes training bit for bit; atomic writes
for both formats; ModelCheckpoint with both formats."""
import os
import zipfile

import numpy as np
import pytest

import treino as tn
from treino.models.saving import atomic, load_layers_model
from treino.models.saving.loading import optimizer_state

from saving_util import data, small_model, trained_model


def resumable_model():
    tn.set_seed(5)
    m = tn.sequential(layers=[
        tn.layers.dense(units=16, input_shape=[6], activation="relu"),
        tn.layers.dropout(rate=0.3),              # draws from the global generator
        tn.layers.batch_normalization(),
        tn.layers.dropout(rate=0.2, seed=11),     # its own seeded generator
        tn.layers.dense(units=3, activation="softmax"),
    ])
    m.compile(optimizer="adam", loss="categoricalCrossentropy", metrics=["acc"])
    return m


def test_treino_file_round_trip(tmp_path):
    m, x, _ = trained_model()
    path = str(tmp_path / "m.treino")
    assert m.save(path) == path
    assert os.listdir(tmp_path) == ["m.treino"]
    with zipfile.ZipFile(path) as z:
        assert {"model.json", "group1-shard1of1.bin", "optimizer.json", "optimizer.bin",
                "treino.json"} <= set(z.namelist())
    m2 = load_layers_model(path)
    np.testing.assert_array_equal(m.predict(x).numpy(), m2.predict(x).numpy())
    assert m2.optimizer.iterations == m.optimizer.iterations == 15
    # Compared under layer-relative names: the live variables of the two models are
    # registered as 'dense_Dense1/kernel' and 'dense_Dense1/kernel_1'.
    got, want = dict(optimizer_state(m2)), dict(optimizer_state(m))
    assert got.keys() == want.keys() and len(got) == 1 + 2 * len(m.trainable_weights)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k])


def test_resumed_fit_is_bit_identical(tmp_path):
    """Uninterrupted: 3 epochs with a checkpoint after each. Resumed: load the epoch-2
    checkpoint (after the global generator has moved on) and fit the third epoch.
    Shuffling, both dropouts and Adam's state must all continue exactly."""
    x, y = data(n=45, shape=(6,), seed=3)
    m = resumable_model()
    ck = str(tmp_path / "ck{epoch}.treino")
    m.fit(x, y, epochs=3, batch_size=7, verbose=0, callbacks=[tn.callbacks.ModelCheckpoint(ck)])
    final = m.get_weights()
    assert sorted(os.listdir(tmp_path)) == ["ck1.treino", "ck2.treino", "ck3.treino"]

    tn.set_seed(999)
    tn.random_normal([50])
    r = load_layers_model(ck.format(epoch=2))
    assert r.optimizer.iterations == 14
    r.fit(x, y, epochs=3, initial_epoch=2, batch_size=7, verbose=0)
    for a, b in zip(final, r.get_weights()):
        np.testing.assert_array_equal(a, b)

    # The test can tell: without the random state the third epoch differs.
    tn.set_seed(999)
    r2 = load_layers_model(ck.format(epoch=2), restore_random_state=False)
    r2.fit(x, y, epochs=3, initial_epoch=2, batch_size=7, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(final, r2.get_weights()))


def test_corrupted_and_truncated_treino_files(tmp_path):
    m, _, _ = trained_model()
    path = tmp_path / "m.treino"
    m.save(str(path))
    blob = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("group1-shard1of1.bin")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    bad = bytearray(blob)
    bad[start + info.compress_size // 2] ^= 0xFF
    (tmp_path / "bad.treino").write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="'group1-shard1of1.bin' is corrupted"):
        load_layers_model(str(tmp_path / "bad.treino"))
    (tmp_path / "short.treino").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="not a readable .treino file.*truncated"):
        load_layers_model(str(tmp_path / "short.treino"))
    with zipfile.ZipFile(tmp_path / "partial.treino", "w") as z:
        z.writestr("model.json", "{}")
    with pytest.raises(ValueError, match="lacks 'treino.json'"):
        load_layers_model(str(tmp_path / "partial.treino"))


def _snapshot(folder):
    return {n: (folder / n).read_bytes() for n in sorted(os.listdir(folder))}


def two_shard_model(seed):
    tn.set_seed(seed)
    return tn.sequential(layers=[tn.layers.dense(units=1030, input_shape=[1100]),
                                 tn.layers.dense(units=2)])


@pytest.mark.parametrize("fail_at", ["second shard", "model.json temporary", "commit rename"])
def test_crash_before_the_commit_leaves_the_folder_intact(tmp_path, monkeypatch, fail_at):
    """A failure anywhere before model.json is renamed leaves exactly the old files (the
    new shards have fresh names and are removed), and the old model loads."""
    big = two_shard_model(0)
    big.save(str(tmp_path))                     # 2 shards + model.json
    before = _snapshot(tmp_path)
    calls = []
    if fail_at == "commit rename":
        def no_rename(src, dst):
            calls.append(dst)
            raise OSError("power cut (simulated)")
        monkeypatch.setattr(atomic.os, "replace", no_rename)
    else:
        real = atomic.create
        fail_on = 2 if fail_at == "second shard" else 3

        def flaky(path, data_):
            calls.append(path)
            if len(calls) == fail_on:
                raise OSError("disk full (simulated)")
            return real(path, data_)
        monkeypatch.setattr(atomic, "create", flaky)
    with pytest.raises(OSError, match="simulated"):
        two_shard_model(1).save(str(tmp_path))
    monkeypatch.undo()
    assert len(calls) == (1 if fail_at == "commit rename" else 2 if fail_at == "second shard" else 3)
    assert _snapshot(tmp_path) == before        # no new shard or temporary left either
    m2 = load_layers_model(str(tmp_path))
    for a, b in zip(big.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_crash_after_the_commit_leaves_the_new_model(tmp_path, monkeypatch):
    """Once model.json is renamed the new model is the saved one, even if deleting the
    old shards then fails; the next save deletes them. (The folder already holds a
    save: a first save's plain-named shards, left by such a crash, would stay, since a
    plain name no model.json names may not be treino's.)"""
    two_shard_model(0).save(str(tmp_path))
    two_shard_model(0).save(str(tmp_path))
    old = set(os.listdir(tmp_path)) - {"model.json"}
    new = two_shard_model(1)

    def no_remove(path):
        raise OSError("crash while cleaning up (simulated)")
    monkeypatch.setattr(atomic.os, "remove", no_remove)
    new.save(str(tmp_path))                     # clean-up failures are not the save's
    monkeypatch.undo()
    assert old < set(os.listdir(tmp_path))      # the old shards are still there
    for a, b in zip(new.get_weights(), load_layers_model(str(tmp_path)).get_weights()):
        np.testing.assert_array_equal(a, b)
    small_model().save(str(tmp_path))
    assert len(os.listdir(tmp_path)) == 2       # model.json and the one new shard


def test_crash_mid_save_leaves_the_treino_file_intact(tmp_path, monkeypatch):
    m, x, _ = trained_model()
    path = tmp_path / "m.treino"
    m.save(str(path))
    before = _snapshot(tmp_path)

    def crash(fd):
        raise OSError("crash during fsync (simulated)")
    monkeypatch.setattr(atomic.os, "fsync", crash)
    with pytest.raises(OSError, match="simulated"):
        small_model(seed=4).save(str(path))
    monkeypatch.undo()
    assert _snapshot(tmp_path) == before
    np.testing.assert_array_equal(load_layers_model(str(path)).predict(x).numpy(),
                                  m.predict(x).numpy())


def test_model_checkpoint_writes_loadable_folders(tmp_path):
    m = small_model()
    x, y = data()
    pattern = str(tmp_path / "ck-{epoch:02d}")
    best = str(tmp_path / "best")
    m.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25,
          callbacks=[tn.callbacks.ModelCheckpoint(pattern),
                     tn.callbacks.ModelCheckpoint(best, save_best_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["best", "ck-01", "ck-02"]
    m2 = load_layers_model(str(tmp_path / "ck-02"))
    np.testing.assert_array_equal(m2.predict(x).numpy(), m.predict(x).numpy())
    assert load_layers_model(best).optimizer is not None
