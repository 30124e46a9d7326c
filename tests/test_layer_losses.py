"""The Layers-API losses (tn.losses.get ids) against float64 numpy transcriptions of
tfjs-layers/src/losses.ts, and their gradients against torch autograd."""
import numpy as np
import pytest

import treino as tn
from treino import losses as L
from treino import metrics

rng = np.random.default_rng(7)
N, C = 5, 4
EPS = 1e-7
POS_T = rng.uniform(0.1, 2.0, (N, C)).astype(np.float32)
POS_P = rng.uniform(0.1, 2.0, (N, C)).astype(np.float32)
SIGNS = rng.choice([-1.0, 1.0], (N, C)).astype(np.float32)
NORMAL = rng.standard_normal((N, C)).astype(np.float32)
LABELS = rng.integers(0, C, N)
ONEHOT = np.eye(C, dtype=np.float32)[LABELS]
RAW = rng.uniform(0.05, 1.0, (N, C)).astype(np.float32)  # unnormalised "probabilities"
PROBS = (RAW / RAW.sum(-1, keepdims=True)).astype(np.float32)
BIN = rng.integers(0, 2, (N, C)).astype(np.float32)
UNIT = rng.uniform(0.02, 0.98, (N, C)).astype(np.float32)
W = rng.uniform(0.5, 2.0, N).astype(np.float32)  # weights so each sample's gradient differs


def f64(*a):
    return [np.asarray(x, np.float64) for x in a]


def np_sigmoid_xent(t, z):
    return np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))


def np_cce(t, p):
    p = p / p.sum(-1, keepdims=True)
    return -(t * np.log(np.clip(p, EPS, 1 - EPS))).sum(-1)


def np_l2n(x):
    return x / np.sqrt(np.maximum((x * x).sum(-1, keepdims=True), EPS))


# (TF.js id, y_true, y_pred, numpy reference)
CASES = [
    ("meanSquaredError", POS_T, NORMAL, lambda t, p: ((p - t) ** 2).mean(-1)),
    ("meanAbsoluteError", POS_T, NORMAL, lambda t, p: np.abs(p - t).mean(-1)),
    ("meanAbsolutePercentageError", NORMAL, POS_P,
     lambda t, p: 100 * np.abs((t - p) / np.clip(np.abs(t), EPS, None)).mean(-1)),
    ("meanSquaredLogarithmicError", POS_T, NORMAL,
     lambda t, p: ((np.log(1 + np.clip(p, EPS, None)) - np.log(1 + np.clip(t, EPS, None))) ** 2).mean(-1)),
    ("squaredHinge", SIGNS, NORMAL, lambda t, p: (np.maximum(0, 1 - t * p) ** 2).mean(-1)),
    ("hinge", SIGNS, NORMAL, lambda t, p: np.maximum(0, 1 - t * p).mean(-1)),
    ("categoricalHinge", ONEHOT, NORMAL,
     lambda t, p: np.maximum(0, 1 + ((1 - t) * p).max(-1) - (t * p).sum(-1))),
    ("logcosh", POS_T, NORMAL * 3, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    ("categoricalCrossentropy", ONEHOT, RAW, np_cce),
    ("binaryCrossentropy", BIN, UNIT,
     lambda t, p: np_sigmoid_xent(t, np.log(np.clip(p, EPS, 1 - EPS) / (1 - np.clip(p, EPS, 1 - EPS)))).mean(-1)),
    ("kullbackLeiblerDivergence", PROBS, np.roll(PROBS, 1, 0),
     lambda t, p: (t * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1)),
    ("poisson", POS_T, POS_P, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    ("cosineProximity", NORMAL, np.roll(NORMAL, 1, 1), lambda t, p: -(np_l2n(t) * np_l2n(p)).sum(-1)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_layers_loss_values_both_spellings(case):
    name, t, p, ref = case
    want = ref(*f64(t, p))
    snake = L.snake_case(name)
    for ident in (name, snake):
        fn = L.get(ident)
        assert fn.name == name
        out = fn(tn.tensor(t), tn.tensor(p))
        assert out.shape == (N,) and out.dtype == "float32"
        np.testing.assert_allclose(out.numpy(), want, rtol=2e-5, atol=1e-6)
    # also importable under the Keras-style name (mse for the clashing one)
    attr = "mse" if name == "meanSquaredError" else snake
    assert getattr(tn.losses, attr) is L.get(name)
    # numpy inputs work too
    np.testing.assert_allclose(L.get(name)(t, p).numpy(), want, rtol=2e-5, atol=1e-6)


def test_sparse_categorical_crossentropy_label_shapes_and_dtypes():
    want = np_cce(*f64(ONEHOT, RAW))
    fn = L.get("sparse_categorical_crossentropy")
    assert fn.name == "sparseCategoricalCrossentropy"
    for labels in (tn.tensor(LABELS.astype(np.int32)), tn.tensor(LABELS[:, None].astype(np.int32)),
                   tn.tensor(LABELS.astype(np.float32)), LABELS):
        np.testing.assert_allclose(fn(labels, RAW).numpy(), want, rtol=2e-5)
    # TF.js clips before its categoricalCrossentropy renormalises: a zero probability
    # costs -log(eps), not infinity
    p = np.array([[0.0, 1.0]], np.float32)
    np.testing.assert_allclose(fn([0], p).numpy(), [-np.log(EPS)], rtol=1e-3)


def test_rank3_outputs_reduce_only_the_last_axis():
    t = rng.uniform(size=(2, 3, 4)).astype(np.float32)
    p = rng.uniform(size=(2, 3, 4)).astype(np.float32)
    assert L.get("mse")(t, p).shape == (2, 3)
    np.testing.assert_allclose(L.get("mae")(t, p).numpy(), np.abs(p - t).mean(-1), rtol=1e-6)
    labels = rng.integers(0, 4, (2, 3))
    np.testing.assert_allclose(L.get("sparseCategoricalCrossentropy")(labels, p).numpy(),
                               np_cce(np.eye(4)[labels], p.astype(np.float64)), rtol=2e-5)


def test_clipping_keeps_probability_losses_finite():
    t = np.array([[1, 0, 0], [0, 1, 0]], np.float32)
    p = np.array([[0, 0.5, 0.5], [0, 1, 0]], np.float32)
    cce = L.categorical_crossentropy(t, p).numpy()
    np.testing.assert_allclose(cce, [-np.log(EPS), -np.log(np.float32(1 - EPS))], rtol=1e-3)
    bce = L.binary_crossentropy(np.array([[1, 0]], np.float32), np.array([[0, 1]], np.float32)).numpy()
    assert np.isfinite(bce).all() and bce[0] == pytest.approx(-np.log(EPS), rel=1e-2)
    assert np.isfinite(L.kullback_leibler_divergence(t, p).numpy()).all()
    assert np.isfinite(L.poisson(t, p).numpy()).all()


def test_categorical_crossentropy_from_logits_matches_the_fused_core_loss():
    z = NORMAL * 2
    per = L.categorical_crossentropy(ONEHOT, z, from_logits=True).numpy()
    core = tn.losses.softmax_cross_entropy(ONEHOT, z, reduction=tn.losses.Reduction.NONE).numpy()
    np.testing.assert_allclose(per, core, rtol=1e-5)


def test_short_ids_and_core_name_kept():
    for short, name in [("mse", "meanSquaredError"), ("MSE", "meanSquaredError"),
                        ("mae", "meanAbsoluteError"), ("mape", "meanAbsolutePercentageError"),
                        ("msle", "meanSquaredLogarithmicError"), ("kld", "kullbackLeiblerDivergence"),
                        ("cosine", "cosineProximity"), ("mean_squared_error", "meanSquaredError")]:
        assert L.get(short).name == name
    # tn.losses.mean_squared_error stays the core loss (weights, reduction -> a scalar)
    core = tn.losses.mean_squared_error(POS_T, NORMAL)
    assert core.shape == ()
    np.testing.assert_allclose(core.item(), ((POS_T.astype(np.float64) - NORMAL) ** 2).mean(), rtol=1e-5)


def test_get_passes_callables_and_rejects_bad_ids():
    def custom(y_true, y_pred):
        return tn.mean(tn.abs(tn.sub(y_true, y_pred)), -1)
    assert L.get(custom) is custom
    # the core loss of the clashing name stands for the per-sample one in the Layers API
    assert L.get(tn.losses.mean_squared_error) is L.mse
    assert metrics.get(tn.losses.mean_squared_error).name == "meanSquaredError"
    assert L.name_of(custom) == "custom" and L.name_of(L.hinge) == "hinge"
    with pytest.raises(ValueError, match=r"unknown loss 'crossEntropy'.*categoricalCrossentropy.*mse"):
        L.get("crossEntropy")
    with pytest.raises(ValueError, match="use 'categoricalCrossentropy'"):
        L.get("softmaxCrossEntropy")
    with pytest.raises(TypeError, match="received int"):
        L.get(3)


def test_bad_inputs_name_the_loss_and_shapes():
    with pytest.raises(ValueError, match=r"meanSquaredError: y_true of shape \[5\] and y_pred of shape \[5, 1\]"):
        L.get("mse")(np.zeros(5, np.float32), np.zeros((5, 1), np.float32))
    fn = L.get("sparseCategoricalCrossentropy")
    with pytest.raises(ValueError, match=r"class index 4 .* outside \[0, 4\)"):
        fn(np.array([0, 1, 4, 2, 3]), RAW)
    with pytest.raises(ValueError, match=r"class index -1"):
        fn(np.array([0, -1, 1, 2, 3]), RAW)
    with pytest.raises(ValueError, match=r"shape \[5\] or \[5, 1\].*received \[5, 4\]"):
        fn(ONEHOT, RAW)
    with pytest.raises(ValueError, match="NaN"):
        fn(np.array([0, np.nan, 1, 2, 3], np.float32), RAW)


# -- gradients against torch autograd ---------------------------------------------------
def _torch_refs(torch):
    F = torch.nn.functional
    return {
        "meanSquaredError": lambda t, p: F.mse_loss(p, t, reduction="none").mean(-1),
        "meanAbsoluteError": lambda t, p: F.l1_loss(p, t, reduction="none").mean(-1),
        "meanAbsolutePercentageError": lambda t, p: 100 * ((t - p) / t.abs()).abs().mean(-1),
        "meanSquaredLogarithmicError": lambda t, p: ((torch.log1p(p.clamp(min=EPS)) - torch.log1p(t)) ** 2).mean(-1),
        "squaredHinge": lambda t, p: (F.relu(1 - t * p) ** 2).mean(-1),
        "hinge": lambda t, p: F.relu(1 - t * p).mean(-1),
        "categoricalHinge": lambda t, p: F.relu(1 + ((1 - t) * p).amax(-1) - (t * p).sum(-1)),
        "logcosh": lambda t, p: torch.log(torch.cosh(p - t)).mean(-1),
        "categoricalCrossentropy": lambda t, p: F.nll_loss(
            torch.log(p / p.sum(-1, keepdim=True)), t.argmax(-1), reduction="none"),
        "binaryCrossentropy": lambda t, p: F.binary_cross_entropy(p, t, reduction="none").mean(-1),
        "kullbackLeiblerDivergence": lambda t, p: F.kl_div(torch.log(p), t, reduction="none").sum(-1),
        "poisson": lambda t, p: F.poisson_nll_loss(p, t, log_input=False, full=False, eps=EPS,
                                                   reduction="none").mean(-1),
        "cosineProximity": lambda t, p: -F.cosine_similarity(t, p, dim=-1),
    }


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_layers_loss_gradients_match_torch(case):
    torch = pytest.importorskip("torch")
    name, t, p, _ = case
    fn = L.get(name)
    g = tn.grad(lambda x: tn.sum(tn.mul(fn(tn.tensor(t), x), tn.tensor(W))))(tn.tensor(p))
    tp = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    per = _torch_refs(torch)[name](torch.tensor(t, dtype=torch.float64), tp)
    (per * torch.tensor(W, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(g.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_sparse_categorical_crossentropy_gradient_matches_torch_nll():
    torch = pytest.importorskip("torch")
    fn = L.get("sparseCategoricalCrossentropy")
    g = tn.grad(lambda x: tn.sum(tn.mul(fn(LABELS, x), tn.tensor(W))))(tn.tensor(RAW))
    tp = torch.tensor(RAW, dtype=torch.float64, requires_grad=True)
    per = torch.nn.functional.nll_loss(torch.log(tp / tp.sum(-1, keepdim=True)),
                                       torch.tensor(LABELS), reduction="none")
    (per * torch.tensor(W, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(g.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_clipped_probabilities_get_no_gradient():
    # TF.js's clip passes no gradient outside [eps, 1 - eps]
    t = np.array([[1, 0]], np.float32)
    g = tn.grad(lambda x: tn.sum(L.binary_crossentropy(t, x)))(tn.tensor([[1.0, 0.0]]))
    np.testing.assert_array_equal(g.numpy(), [[0.0, 0.0]])
