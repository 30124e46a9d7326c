"""TF.js's second-level namespaces of ops defined elsewhere: tn.linalg (band_part,
gram_schmidt, qr: ops/linalg_extra.py), tn.sparse (ops/sparse.py), tn.spectral (the FFTs,
also tn.fft etc.: ops/spectral.py) and tn.signal (ops/signal.py). tn.fused and tn.util are
modules of their own (fused.py, util.py)."""
import types

from .ops import linalg_extra, signal as _signal, sparse as _sparse, spectral as _spectral


def _namespace(name, doc, module, names):
    ns = types.ModuleType(f"treino.{name}", doc)
    for n in names:
        setattr(ns, n, getattr(module, n))
    ns.__all__ = list(names)
    return ns


linalg = _namespace("linalg", "TF.js's tf.linalg: band_part, gram_schmidt, qr.", linalg_extra,
                    ["band_part", "gram_schmidt", "qr"])
sparse = _namespace("sparse", "TF.js's tf.sparse: sparse_fill_empty_rows, sparse_reshape, "
                    "sparse_segment_mean, sparse_segment_sum.", _sparse,
                    ["sparse_fill_empty_rows", "sparse_reshape", "sparse_segment_mean",
                     "sparse_segment_sum"])
spectral = _namespace("spectral", "TF.js's tf.spectral: fft, ifft, rfft, irfft.", _spectral,
                      ["fft", "ifft", "rfft", "irfft"])
signal = _namespace("signal", "TF.js's tf.signal: hamming_window, hann_window, frame, stft.",
                    _signal, ["hamming_window", "hann_window", "frame", "stft"])
