"""TF.js's second-level namespaces of ops defined elsewhere: tn.linalg (band_part,
gram_schmidt, qr: ops/linalg_extra.py), tn.sparse (ops/sparse.py), tn.spectral (the FFTs,
also tn.fft etc.: ops/spectral.py), tn.signal (ops/signal.py) and tn.image (ops/image.py,
ops/image_nms.py). tn.fused and tn.util are modules of their own (fused.py, util.py)."""
import types

from .tensor import Tensor
from .ops import image as _image, image_nms as _image_nms
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

_IMAGE_OPS = ["crop_and_resize", "flip_left_right", "grayscale_to_rgb", "resize_bilinear",
              "resize_nearest_neighbor", "rgb_to_grayscale", "rotate_with_offset", "threshold",
              "transform"]
_IMAGE_NMS = ["non_max_suppression", "non_max_suppression_async",
              "non_max_suppression_padded", "non_max_suppression_padded_async",
              "non_max_suppression_with_score", "non_max_suppression_with_score_async"]
image = _namespace("image", "TF.js's tf.image: " + ", ".join(_IMAGE_OPS + _IMAGE_NMS) + ".",
                   _image, _IMAGE_OPS)
for _n in _IMAGE_NMS:
    setattr(image, _n, getattr(_image_nms, _n))
image.__all__ += _IMAGE_NMS
# TF.js's chained forms: images.resize_bilinear(size), images.resize_nearest_neighbor(size).
Tensor.resize_bilinear = _image.resize_bilinear
Tensor.resize_nearest_neighbor = _image.resize_nearest_neighbor
