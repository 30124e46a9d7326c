"""tn.losses against numpy references of TF.js's formulas, with weights and every
reduction, and their gradients against torch where torch has the same loss."""
import numpy as np
import pytest

import treino as tn
from treino.losses import Reduction

rng = np.random.default_rng(3)
N, C = 6, 4
LOGITS = rng.standard_normal((N, C)).astype(np.float32) * 3
ONEHOT = np.eye(C, dtype=np.float32)[rng.integers(0, C, N)]
PROBS = rng.uniform(0.05, 0.95, (N, C)).astype(np.float32)
BIN = rng.integers(0, 2, (N, C)).astype(np.float32)
W_ROW = np.array([1, 0, 2, 0.5, 0, 1], np.float32)


def reduce_np(losses, weights, reduction):
    w = np.ones_like(losses) if weights is None else np.broadcast_to(weights, losses.shape)
    wl = losses * w
    if reduction == Reduction.NONE:
        return wl
    if reduction == Reduction.SUM:
        return wl.sum()
    if reduction == Reduction.MEAN:
        return wl.sum() / w.sum()
    return wl.sum() / (np.count_nonzero(w) if weights is not None else losses.size)


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def xent_np(y, z, ls=0.0):
    y = y * (1 - ls) + ls / y.shape[-1]
    return -(y * log_softmax(z.astype(np.float64))).sum(-1)


def sigmoid_xent_np(y, x, ls=0.0):
    y = y * (1 - ls) + 0.5 * ls
    x = x.astype(np.float64)
    return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))


def huber_np(y, p, d=1.0):
    e = np.abs(p - y)
    q = np.minimum(e, d)
    return 0.5 * q * q + d * (e - q)


CASES = [
    ("softmax_cross_entropy", lambda w, r: tn.losses.softmax_cross_entropy(ONEHOT, LOGITS, w, 0.0, r),
     lambda: xent_np(ONEHOT, LOGITS), W_ROW),
    ("softmax_cross_entropy_smoothing", lambda w, r: tn.losses.softmax_cross_entropy(ONEHOT, LOGITS, w, 0.2, r),
     lambda: xent_np(ONEHOT, LOGITS, 0.2), W_ROW),
    ("sigmoid_cross_entropy", lambda w, r: tn.losses.sigmoid_cross_entropy(BIN, LOGITS, w, 0.1, r),
     lambda: sigmoid_xent_np(BIN, LOGITS, 0.1), W_ROW[:, None]),
    ("log_loss", lambda w, r: tn.losses.log_loss(BIN, PROBS, w, 1e-7, r),
     lambda: -(BIN * np.log(PROBS + 1e-7) + (1 - BIN) * np.log(1 - PROBS + 1e-7)), W_ROW[:, None]),
    ("mean_squared_error", lambda w, r: tn.losses.mean_squared_error(PROBS, LOGITS, w, r),
     lambda: (PROBS.astype(np.float64) - LOGITS) ** 2, W_ROW[:, None]),
    ("absolute_difference", lambda w, r: tn.losses.absolute_difference(PROBS, LOGITS, w, r),
     lambda: np.abs(PROBS.astype(np.float64) - LOGITS), W_ROW[:, None]),
    ("hinge_loss", lambda w, r: tn.losses.hinge_loss(BIN, LOGITS, w, r),
     lambda: np.maximum(0, 1 - (2 * BIN - 1) * LOGITS.astype(np.float64)), W_ROW[:, None]),
    ("huber_loss", lambda w, r: tn.losses.huber_loss(PROBS, LOGITS, w, 1.0, r),
     lambda: huber_np(PROBS.astype(np.float64), LOGITS), W_ROW[:, None]),
    ("cosine_distance", lambda w, r: tn.losses.cosine_distance(PROBS, LOGITS, -1, w, r),
     lambda: 1 - (PROBS.astype(np.float64) * LOGITS).sum(-1, keepdims=True), W_ROW[:, None]),
]


@pytest.mark.parametrize("reduction", [Reduction.NONE, Reduction.SUM, Reduction.MEAN,
                                       Reduction.SUM_BY_NONZERO_WEIGHTS])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_loss_values(case, weighted, reduction):
    name, fn, ref, w = case
    out = fn(tn.tensor(w) if weighted else None, reduction)
    want = reduce_np(ref(), w if weighted else None, reduction)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-5)


def test_default_reduction_is_sum_by_nonzero_weights():
    a = tn.losses.mean_squared_error(PROBS, LOGITS)
    np.testing.assert_allclose(a.item(), ((PROBS.astype(np.float64) - LOGITS) ** 2).mean(), rtol=1e-6)


def test_softmax_cross_entropy_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    z = tn.tensor(LOGITS)
    g = tn.grad(lambda z: tn.losses.softmax_cross_entropy(ONEHOT, z, tn.tensor(W_ROW)))(z)
    tz = torch.tensor(LOGITS, dtype=torch.float64, requires_grad=True)
    per = torch.nn.functional.cross_entropy(tz, torch.tensor(ONEHOT.argmax(1)), reduction="none")
    ((per * torch.tensor(W_ROW, dtype=torch.float64)).sum() / np.count_nonzero(W_ROW)).backward()
    np.testing.assert_allclose(g.numpy(), tz.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_sigmoid_cross_entropy_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    z = tn.tensor(LOGITS)
    g = tn.grad(lambda z: tn.losses.sigmoid_cross_entropy(BIN, z))(z)
    tz = torch.tensor(LOGITS, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(tz, torch.tensor(BIN, dtype=torch.float64)).backward()
    np.testing.assert_allclose(g.numpy(), tz.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_loss_errors():
    with pytest.raises(ValueError, match=r"shape \[6, 4\].*\[6, 3\]"):
        tn.losses.mean_squared_error(PROBS, LOGITS[:, :3])
    with pytest.raises(ValueError, match="reduction"):
        tn.losses.compute_weighted_loss(tn.tensor([1.0]), None, 7)
    with pytest.raises(ValueError, match="label_smoothing"):
        tn.losses.softmax_cross_entropy(ONEHOT, LOGITS, label_smoothing=2)


def test_softmax_cross_entropy_gradient_exact_for_unnormalised_labels():
    """Labels that do not sum to 1 (the seed's random-uniform labels): the gradient is the
    derivative of the loss, softmax * sum(labels) - labels, as torch computes it."""
    torch = pytest.importorskip("torch")
    y = rng.uniform(0, 1, (N, C)).astype(np.float32)
    z = tn.tensor(LOGITS)
    g = tn.grad(lambda z: tn.losses.softmax_cross_entropy(y, z))(z)
    tz = torch.tensor(LOGITS, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.cross_entropy(tz, torch.tensor(y, dtype=torch.float64)).backward()
    np.testing.assert_allclose(g.numpy(), tz.grad.numpy(), rtol=1e-5, atol=1e-6)
