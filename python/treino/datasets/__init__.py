"""tn.datasets: small real data sets for examples and tests.

digits() is bundled (no network); mnist() reads the standard IDX files from a folder, or
downloads them once into a cache folder when online.
"""
import gzip
import os
import pathlib
import struct

import numpy as np

_HERE = pathlib.Path(__file__).resolve().parent


def digits():
    """The UCI "Optical Recognition of Handwritten Digits" set (CC BY 4.0, see
    DIGITS_LICENSE.txt): returns (images, labels) as numpy arrays, images float32 of
    shape (1797, 64) with pixel counts 0..16, labels int32 of shape (1797,)."""
    with gzip.open(_HERE / "digits.csv.gz", "rt") as f:
        data = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return data[:, :-1].copy(), data[:, -1].astype(np.int32)


_MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
}
_MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"


def read_idx(path):
    """Reads one IDX file (gzipped or not) into a numpy array (uint8 data as uint8)."""
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: {path} is not an IDX file (bad magic number)")
    types = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    dtype = types.get(raw[2])
    if dtype is None:
        raise ValueError(f"read_idx: {path} has an unknown IDX data type 0x{raw[2]:02x}")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"read_idx: {path} is truncated (header)")
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim)
    expected = int(np.prod(dims)) if dims else 1
    if data.size != expected:
        raise ValueError(f"read_idx: {path} holds {data.size} values, its header says "
                         f"{expected} ({list(dims)})")
    return data.reshape(dims)


def _find(folder, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        p = folder / name
        if p.exists():
            return p
    return None


def mnist(path=None, cache_dir=None):
    """MNIST as ((x_train, y_train), (x_test, y_test)): images uint8 (n, 28, 28), labels
    uint8. Reads the four standard IDX files (gzipped or not) from `path`; without a
    path, from the cache folder (~/.cache/treino/mnist or cache_dir), downloading them
    there once when they are missing."""
    if path is not None:
        folder = pathlib.Path(path)
        if not folder.is_dir():
            raise ValueError(f"mnist: argument 'path' must be a folder holding the MNIST IDX "
                             f"files, received {str(path)!r}")
    else:
        folder = pathlib.Path(cache_dir or os.path.join(
            os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache"), "treino", "mnist"))
    files = {}
    for key, stem in _MNIST_FILES.items():
        p = _find(folder, stem)
        if p is None and path is None:
            p = _download(folder, stem + ".gz")
        if p is None:
            raise FileNotFoundError(f"mnist: {stem}[.gz] not found in {folder}")
        files[key] = p
    arrays = {k: read_idx(p) for k, p in files.items()}
    for split in ("train", "test"):
        if arrays[f"x_{split}"].shape[0] != arrays[f"y_{split}"].shape[0]:
            raise ValueError(f"mnist: {split} images and labels differ in count")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _download(folder, name):
    import urllib.error  # here, not at import: urllib costs ~20 ms of `import treino`
    import urllib.request
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    tmp = folder / (name + ".part")
    try:
        with urllib.request.urlopen(_MNIST_URL + name, timeout=30) as r, open(tmp, "wb") as f:
            while chunk := r.read(1 << 20):
                f.write(chunk)
    except (urllib.error.URLError, OSError) as e:
        tmp.unlink(missing_ok=True)
        raise ConnectionError(
            f"mnist: cannot download {name} ({e}). This machine seems offline: put the four "
            f"MNIST IDX files in a folder and call tn.datasets.mnist(path=folder)") from None
    os.replace(tmp, target)
    return target
