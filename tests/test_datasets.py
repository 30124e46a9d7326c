"""tn.datasets: the bundled digits set and the MNIST IDX reader (on small files written
here; the download path is only exercised offline, where it must fail clearly)."""
import gzip
import struct

import numpy as np
import pytest

import treino as tn


def test_digits_is_the_uci_set():
    x, y = tn.datasets.digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int32
    assert x.min() == 0 and x.max() == 16
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def _write_idx(path, arr, gz):
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files(tmp_path, gz):
    rng = np.random.default_rng(0)
    parts = {"train-images-idx3-ubyte": rng.integers(0, 256, (5, 28, 28)),
             "train-labels-idx1-ubyte": rng.integers(0, 10, 5),
             "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28)),
             "t10k-labels-idx1-ubyte": rng.integers(0, 10, 3)}
    for name, arr in parts.items():
        _write_idx(tmp_path / name, arr, gz)
    (xtr, ytr), (xte, yte) = tn.datasets.mnist(path=tmp_path)
    np.testing.assert_array_equal(xtr, parts["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(yte, parts["t10k-labels-idx1-ubyte"])
    assert xte.shape == (3, 28, 28) and ytr.dtype == np.uint8


def test_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images"):
        tn.datasets.mnist(path=tmp_path)
    bad = tmp_path / "x"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="magic"):
        tn.datasets.read_idx(bad)
    trunc = tmp_path / "t"
    trunc.write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, 10) + b"\x00" * 3)
    with pytest.raises(ValueError, match="holds 3 values"):
        tn.datasets.read_idx(trunc)
    with pytest.raises(ValueError, match="folder"):
        tn.datasets.mnist(path=tmp_path / "missing")


def test_mnist_download_offline_is_a_clear_error(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    def refuse(*a, **k):
        raise urllib.error.URLError("network is unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(ConnectionError, match="offline.*mnist\\(path=folder\\)"):
        tn.datasets.mnist(cache_dir=tmp_path / "cache")
    assert not any((tmp_path / "cache").glob("*.part"))  # no half-written file left


def test_mnist_uses_the_cache_folder(tmp_path):
    rng = np.random.default_rng(1)
    for name, shape in [("train-images-idx3-ubyte", (2, 28, 28)), ("train-labels-idx1-ubyte", (2,)),
                        ("t10k-images-idx3-ubyte", (1, 28, 28)), ("t10k-labels-idx1-ubyte", (1,))]:
        _write_idx(tmp_path / name, rng.integers(0, 256, shape), gz=True)
    (xtr, ytr), (xte, yte) = tn.datasets.mnist(cache_dir=tmp_path)  # no download needed
    assert xtr.shape == (2, 28, 28) and yte.shape == (1,)
