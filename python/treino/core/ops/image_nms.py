"""Non-maximum suppression, TF.js's tf.image.nonMaxSuppression family: greedy selection
of boxes by descending score, dropping (or, with soft_nms_sigma > 0, down-weighting)
boxes that overlap an already selected one.

The selection is TF.js's nonMaxSuppressionImpl_ (tfjs-core/src/backends/
non_max_suppression_impl.ts), in double precision as JavaScript computes it: candidates
are the boxes scoring above score_threshold, popped by score (equal scores: the lower
index first); a candidate is dropped when its IoU with a selected box is >= iou_threshold;
with soft-NMS, each selected box it has not met yet multiplies its score by
exp(-0.5 * iou^2 / sigma), and a candidate whose score dropped goes back into the queue
(when still above score_threshold) instead of being selected. The loop over candidates
is inherently sequential; each candidate's IoUs with the selected boxes are one vector.

The async names return their results directly, as every TF.js promise in treino does.
The number of boxes selected depends on the scores, so these ops count as reading values
(see ops/dynamic.py); they have no gradient, as in TF.js.
"""
import heapq
import math

import numpy as np

from .. import autodiff
from .. import tensor as _tensor
from .._args import is_int
from ..dtypes import to_array
from ..tensor import Tensor
from ._result import result_type

NonMaxSuppressionWithScore = result_type("NonMaxSuppressionWithScore",
                                         ["selected_indices", "selected_scores"])
NonMaxSuppressionPadded = result_type("NonMaxSuppressionPadded",
                                      ["selected_indices", "valid_outputs"])


def _float_arg(x, fn, arg):
    if not isinstance(x, Tensor):
        return Tensor(to_array(x, "float32", fn, arg))
    if x.dtype not in ("float32", "int32"):
        raise TypeError(f"{fn}: argument '{arg}' must be a float32 or int32 tensor, "
                        f"received dtype {x.dtype}")
    return x


def _number(v, fn, arg, low=None, high=None):
    ok = not isinstance(v, (bool, np.bool_)) and isinstance(
        v, (int, float, np.integer, np.floating)) and not math.isnan(v)
    if not ok or (low is not None and not low <= v <= high):
        where = f" in [{low:g}, {high:g}]" if low is not None else ""
        raise ValueError(f"{fn}: argument '{arg}' must be a number{where}, received {v!r}")
    return float(v)


def _check(fn, boxes, scores, max_output_size, iou_threshold, score_threshold,
           soft_nms_sigma=0.0):
    """TF.js's nonMaxSuppSanityCheck: the tensors, and max_output_size capped at the
    number of boxes. None for a threshold or sigma means its default, as in TF.js."""
    b = _float_arg(boxes, fn, "boxes")
    s = _float_arg(scores, fn, "scores")
    if b.rank != 2 or b.shape[1] != 4:
        raise ValueError(f"{fn}: argument 'boxes' must have shape [num_boxes, 4], received "
                         f"{list(b.shape)}")
    if s.rank != 1 or s.shape[0] != b.shape[0]:
        raise ValueError(f"{fn}: argument 'scores' must have shape [{b.shape[0]}] (one score "
                         f"per box), received {list(s.shape)}")
    if not is_int(max_output_size) or max_output_size < 0:
        raise ValueError(f"{fn}: argument 'max_output_size' must be an int >= 0, received "
                         f"{max_output_size!r}")
    iou = _number(0.5 if iou_threshold is None else iou_threshold, fn, "iou_threshold", 0, 1)
    st = -math.inf if score_threshold is None else score_threshold
    if isinstance(st, (bool, np.bool_)) or not isinstance(
            st, (int, float, np.integer, np.floating)) or math.isnan(st):
        raise ValueError(f"{fn}: argument 'score_threshold' must be a number, received "
                         f"{score_threshold!r}")
    sigma = _number(0.0 if soft_nms_sigma is None else soft_nms_sigma, fn,
                    "soft_nms_sigma", 0, 1)
    return b, s, min(int(max_output_size), b.shape[0]), iou, float(st), sigma


class _Corners:
    """Every box's sorted corners and area, once: [y1, x1, y2, x2] may name its corners
    in either order."""

    def __init__(self, boxes):
        b = boxes.astype(np.float64).reshape(-1, 4)
        self.ymin, self.ymax = np.minimum(b[:, 0], b[:, 2]), np.maximum(b[:, 0], b[:, 2])
        self.xmin, self.xmax = np.minimum(b[:, 1], b[:, 3]), np.maximum(b[:, 1], b[:, 3])
        self.area = (self.ymax - self.ymin) * (self.xmax - self.xmin)

    def iou(self, i, js):
        """IoU of box i with boxes js, 0 where either has no area (TF.js's rule)."""
        inter = np.maximum(np.minimum(self.ymax[i], self.ymax[js]) -
                           np.maximum(self.ymin[i], self.ymin[js]), 0.0) * \
            np.maximum(np.minimum(self.xmax[i], self.xmax[js]) -
                       np.maximum(self.xmin[i], self.xmin[js]), 0.0)
        area_j = self.area[js]
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = inter / (self.area[i] + area_j - inter)
        return np.where((self.area[i] <= 0) | (area_j <= 0), 0.0, iou)


def _select(boxes, scores, max_out, iou_threshold, score_threshold, sigma):
    """(selected indices, their scores), TF.js's greedy loop."""
    corners = _Corners(boxes)
    sc = scores.astype(np.float64)
    queue = [(-sc[i], int(i), 0) for i in np.flatnonzero(sc > score_threshold)]
    heapq.heapify(queue)
    scale = -0.5 / sigma if sigma > 0 else 0.0
    chosen = np.zeros(max_out, np.int64)    # the selected indices, in order
    selected, selected_scores = [], []
    while len(selected) < max_out and queue:
        neg, i, begin = heapq.heappop(queue)
        original = score = -neg
        n = len(selected)
        ignore = False
        if begin < n:
            # the selected boxes this candidate has not met, the latest first
            iou = corners.iou(i, chosen[n - 1:begin - 1 if begin else None:-1])
            hits = np.flatnonzero(iou >= iou_threshold)
            stop = hits[0] if hits.size else len(iou)
            if scale:
                weights = np.exp(scale * iou[:stop] * iou[:stop])
                run = np.multiply.accumulate(np.r_[score, weights])[1:]
                low = np.flatnonzero(run <= score_threshold)
                if low.size:                     # dropped below the threshold first
                    score, stop = run[low[0]], None
                elif run.size:
                    score = run[-1]
            ignore = stop is not None and stop < len(iou)
        if ignore:
            continue
        if score == original:
            chosen[n] = i
            selected.append(i)
            selected_scores.append(score)
        elif score > score_threshold:
            heapq.heappush(queue, (-score, i, n))
    return selected, selected_scores


def _run(fn, boxes, scores, max_output_size, iou_threshold, score_threshold, sigma,
         outputs):
    b, s, max_out, iou, st, sigma = _check(fn, boxes, scores, max_output_size,
                                           iou_threshold, score_threshold, sigma)
    if outputs != "padded_fixed":
        _tensor.value_reads[0] += 1  # the output's length depends on the scores

    def core(bd, sd):
        idx, vals = _select(bd, sd, max_out, iou, st, sigma)
        valid = len(idx)
        if outputs == "padded_fixed":
            idx = idx + [0] * (max_out - valid)
        ids = np.array(idx, np.int32)
        if outputs == "scores":
            return (ids, np.array(vals, np.float32)), None
        if outputs in ("padded", "padded_fixed"):
            return (ids, np.array(valid, np.int32)), None
        return ids, None
    return autodiff.apply(fn, core, (b, s))


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5,
                        score_threshold=-math.inf):
    """The int32 indices of at most max_output_size boxes [num_boxes, 4] ([y1, x1, y2,
    x2], corners in either order) selected by descending score, each overlapping
    every higher-scored selected box with IoU < iou_threshold; boxes scoring
    <= score_threshold are never selected."""
    return _run("non_max_suppression", boxes, scores, max_output_size, iou_threshold,
                score_threshold, 0.0, "indices")


def non_max_suppression_async(boxes, scores, max_output_size, iou_threshold=0.5,
                              score_threshold=-math.inf):
    """non_max_suppression (TF.js's promise is its plain result here)."""
    return _run("non_max_suppression_async", boxes, scores, max_output_size, iou_threshold,
                score_threshold, 0.0, "indices")


def non_max_suppression_with_score(boxes, scores, max_output_size, iou_threshold=0.5,
                                   score_threshold=-math.inf, soft_nms_sigma=0.0):
    """non_max_suppression with soft-NMS (soft_nms_sigma in [0, 1]; 0 is plain NMS): a
    result with .selected_indices (int32) and .selected_scores (float32, the scores as
    decayed by soft-NMS), also by key or unpacked."""
    return NonMaxSuppressionWithScore(*_run(
        "non_max_suppression_with_score", boxes, scores, max_output_size, iou_threshold,
        score_threshold, soft_nms_sigma, "scores"))


def non_max_suppression_with_score_async(boxes, scores, max_output_size, iou_threshold=0.5,
                                         score_threshold=-math.inf, soft_nms_sigma=0.0):
    """non_max_suppression_with_score (TF.js's promise is its plain result here)."""
    return NonMaxSuppressionWithScore(*_run(
        "non_max_suppression_with_score_async", boxes, scores, max_output_size,
        iou_threshold, score_threshold, soft_nms_sigma, "scores"))


def _padded(fn, boxes, scores, max_output_size, iou_threshold, score_threshold,
            pad_to_max_output_size):
    if not isinstance(pad_to_max_output_size, (bool, np.bool_)):
        raise TypeError(f"{fn}: argument 'pad_to_max_output_size' must be True or False, "
                        f"received {pad_to_max_output_size!r}")
    return NonMaxSuppressionPadded(*_run(
        fn, boxes, scores, max_output_size, iou_threshold, score_threshold, 0.0,
        "padded_fixed" if pad_to_max_output_size else "padded"))


def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5,
                               score_threshold=-math.inf, pad_to_max_output_size=False):
    """non_max_suppression returning .selected_indices and .valid_outputs (an int32
    scalar, how many were selected); with pad_to_max_output_size the indices are padded
    with zeros to min(max_output_size, num_boxes)."""
    return _padded("non_max_suppression_padded", boxes, scores, max_output_size,
                   iou_threshold, score_threshold, pad_to_max_output_size)


def non_max_suppression_padded_async(boxes, scores, max_output_size, iou_threshold=0.5,
                                     score_threshold=-math.inf,
                                     pad_to_max_output_size=False):
    """non_max_suppression_padded (TF.js's promise is its plain result here)."""
    return _padded("non_max_suppression_padded_async", boxes, scores, max_output_size,
                   iou_threshold, score_threshold, pad_to_max_output_size)
