"""TF.js's second-level namespace of ops defined elsewhere: tn.linalg (band_part,
gram_schmidt, qr; the ops themselves live in ops/linalg_extra.py). tn.fused and tn.util
are modules of their own (fused.py, util.py)."""
import types

from .ops.linalg_extra import band_part, gram_schmidt, qr

linalg = types.ModuleType("treino.linalg", "TF.js's tf.linalg: band_part, gram_schmidt, qr.")
linalg.band_part, linalg.gram_schmidt, linalg.qr = band_part, gram_schmidt, qr
linalg.__all__ = ["band_part", "gram_schmidt", "qr"]
