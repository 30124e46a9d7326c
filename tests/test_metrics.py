"""tn.metrics against numpy transcriptions of TF.js's (and, for top-k and r2, Keras's)
formulas; the 'accuracy' resolution rules of TF.js's compile; log-key names."""
import numpy as np
import pytest

import treino as tn
from treino import metrics as M

rng = np.random.default_rng(11)
N, C = 8, 5
LABELS = rng.integers(0, C, N)
ONEHOT = np.eye(C, dtype=np.float32)[LABELS]
PROBS = rng.dirichlet(np.ones(C), N).astype(np.float32)
PROBS[:3] = ONEHOT[:3] * 0.9 + 0.02  # a few certainly right
BIN_T = rng.integers(0, 2, (N, 3)).astype(np.float32)
BIN_P = rng.uniform(size=(N, 3)).astype(np.float32)


def test_binary_accuracy_per_sample():
    out = M.binary_accuracy(tn.tensor(BIN_T), tn.tensor(BIN_P))
    assert out.shape == (N,)
    np.testing.assert_allclose(out.numpy(), (BIN_T == (BIN_P > 0.5)).mean(-1))
    # TF.js's doc example: a prediction of exactly 0.5 is not positive
    np.testing.assert_allclose(M.binary_accuracy([1, 1, 0, 0], [0.5, 0.51, 0.5, 0.49]).numpy(), 0.75)


def test_categorical_and_sparse_accuracy():
    want = (ONEHOT.argmax(-1) == PROBS.argmax(-1)).astype(np.float32)
    np.testing.assert_array_equal(M.categorical_accuracy(ONEHOT, PROBS).numpy(), want)
    for labels in (LABELS, LABELS[:, None], LABELS.astype(np.float32), tn.tensor(LABELS.astype(np.int32))):
        np.testing.assert_array_equal(M.sparse_categorical_accuracy(labels, PROBS).numpy(), want)
    # ties: the first maximum wins, as tf.argMax
    np.testing.assert_array_equal(M.categorical_accuracy([[0, 1, 0]], [[0.4, 0.4, 0.2]]).numpy(), [0])
    # TF.js's doc example for sparseCategoricalAccuracy: 0.6 ... [1, 0, 1, 0, 1]
    p = [[0, 1, 0], [1, 0, 0], [0, 0.4, 0.6], [0, 0.6, 0.4], [0.7, 0.3, 0]]
    np.testing.assert_array_equal(M.sparse_categorical_accuracy([1, 1, 2, 2, 0], p).numpy(), [1, 0, 1, 0, 1])


def np_top_k(labels, p, k):
    order = np.argsort(-p, axis=-1, kind="stable")
    return np.array([lab in order[i, :k] for i, lab in enumerate(labels)], np.float32)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7])
def test_top_k_accuracies(k):
    want = np_top_k(LABELS, PROBS, k)  # PROBS has no ties
    np.testing.assert_array_equal(M.top_k_categorical_accuracy(ONEHOT, PROBS, k=k).numpy(), want)
    np.testing.assert_array_equal(M.sparse_top_k_categorical_accuracy(LABELS, PROBS, k=k).numpy(), want)
    if k == 1:
        np.testing.assert_array_equal(want, M.categorical_accuracy(ONEHOT, PROBS).numpy())


def test_top_k_ties_count_as_in_and_default_k_is_5():
    # class 2 ties with the 2nd best: in the top 2, as tf.math.in_top_k / Keras
    np.testing.assert_array_equal(M.sparse_top_k_categorical_accuracy([2], [[0.5, 0.2, 0.2, 0.1]], k=2).numpy(), [1])
    np.testing.assert_array_equal(M.sparse_top_k_categorical_accuracy([3], [[0.5, 0.2, 0.2, 0.1]], k=2).numpy(), [0])
    p = np.array([[6, 5, 4, 3, 2, 1.0]], np.float32)
    assert M.get("topKCategoricalAccuracy")(np.eye(6)[[4]], p).item() == 1
    assert M.get("topKCategoricalAccuracy")(np.eye(6)[[5]], p).item() == 0
    with pytest.raises(ValueError, match="'k' must be an int >= 1"):
        M.top_k_categorical_accuracy(ONEHOT, PROBS, k=0)


def np_prec_rec(t, p):
    pos = p > 0.5
    tp = np.sum((t == 1) & pos)
    fp = np.sum((t == 0) & pos)
    fn = np.sum((t == 1) & ~pos)
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def test_precision_recall():
    prec, rec = np_prec_rec(BIN_T, BIN_P)
    assert M.precision(BIN_T, BIN_P).shape == ()
    np.testing.assert_allclose(M.precision(BIN_T, BIN_P).item(), prec, rtol=1e-6)
    np.testing.assert_allclose(M.recall(BIN_T, BIN_P).item(), rec, rtol=1e-6)
    # TF.js's doc example (0/1 inputs): precision 0.4, recall 0.4
    x = np.array([[0, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]], np.float32)
    y = np.array([[0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0], [0, 1, 0, 0]], np.float32)
    assert M.precision(x, y).item() == pytest.approx(0.4)
    assert M.recall(x, y).item() == pytest.approx(0.4)


def test_precision_recall_edge_cases_are_zero_not_nan():
    zeros = np.zeros((4, 2), np.float32)
    ones = np.ones((4, 2), np.float32)
    assert M.precision(ones, zeros).item() == 0.0   # nothing predicted positive
    assert M.recall(zeros, ones).item() == 0.0      # no positive labels
    assert M.precision(zeros, zeros).item() == 0.0 and M.recall(zeros, zeros).item() == 0.0
    assert M.precision(ones, ones).item() == 1.0 and M.recall(ones, ones).item() == 1.0


def test_r2_score():
    t = rng.standard_normal((N, 2))
    p = t + 0.3 * rng.standard_normal((N, 2))
    per_col = 1 - ((t - p) ** 2).sum(0) / ((t - t.mean(0)) ** 2).sum(0)
    np.testing.assert_allclose(M.r2_score(t.astype(np.float32), p.astype(np.float32)).item(),
                               per_col.mean(), rtol=1e-5)
    # Keras's doc example: 0.57142854
    assert M.r2_score([[1], [4], [3]], [[2], [4], [4]]).item() == pytest.approx(0.5714285, rel=1e-6)
    # rank 1 is one column; constant targets: 1 when exact, else 0 (no division by zero)
    assert M.r2_score([1, 4, 3], [2, 4, 4]).item() == pytest.approx(0.5714285, rel=1e-6)
    assert M.r2_score([[2], [2]], [[2], [2]]).item() == 1.0
    assert M.r2_score([[2], [2]], [[2], [3]]).item() == 0.0


def test_loss_ids_work_as_metrics():
    t, p = ONEHOT, PROBS
    for ident, want in [("mse", ((p - t) ** 2).mean()), ("meanAbsoluteError", np.abs(p - t).mean()),
                        ("categorical_crossentropy", -np.log((p * t).sum(-1) / p.sum(-1)).mean())]:
        m = M.get(ident)
        assert m.name == ident  # TF.js logs a string metric under the string given
        out = m(t, p)
        assert out.shape == () and out.dtype == "float32"
        np.testing.assert_allclose(out.item(), want, rtol=1e-5)
    assert M.mean_squared_error is tn.losses.mse  # the per-sample Layers-API one


@pytest.mark.parametrize("ident", ["accuracy", "acc"])
def test_accuracy_resolution_follows_tfjs_compile(ident):
    cases = [  # (loss, output shape) -> function
        ("binaryCrossentropy", (None, 3), M.binary_accuracy),
        ("binary_crossentropy", (None, 3), M.binary_accuracy),
        ("meanSquaredError", (None, 1), M.binary_accuracy),
        ("sparseCategoricalCrossentropy", (None, 10), M.sparse_categorical_accuracy),
        ("categoricalCrossentropy", (None, 10), M.categorical_accuracy),
        ("meanSquaredError", (None, 10), M.categorical_accuracy),
        (None, None, M.categorical_accuracy),
    ]
    for loss, shape, fn in cases:
        m = M.get(ident, loss=loss, output_shape=shape)
        assert m.fn is fn and m.name == "acc", (loss, shape)
    # the loss may be given as the resolved function too
    assert M.get(ident, loss=tn.losses.get("sparse_categorical_crossentropy"),
                 output_shape=(None, 4)).fn is M.sparse_categorical_accuracy


def test_accuracy_metric_values_and_crossentropy_alias():
    m = M.get("accuracy", loss="sparseCategoricalCrossentropy", output_shape=(None, C))
    want = (LABELS == PROBS.argmax(-1)).mean()
    assert m(tn.tensor(LABELS.astype(np.int32)), tn.tensor(PROBS)).item() == pytest.approx(want)
    ce = M.get("ce", loss="binaryCrossentropy", output_shape=(None, 3))
    assert ce.name == "ce" and ce.fn is M.binary_crossentropy
    assert M.get("crossentropy", output_shape=(None, 4)).fn is M.categorical_crossentropy


def test_correct_count_flag_only_when_labels_match_the_loss():
    assert M.get("acc", loss="categoricalCrossentropy", output_shape=(None, 3)).from_correct_count
    assert M.get("acc", loss="sparseCategoricalCrossentropy", output_shape=(None, 3)).from_correct_count
    assert not M.get("acc", loss="binaryCrossentropy", output_shape=(None, 3)).from_correct_count
    assert not M.get("acc", loss="mse", output_shape=(None, 3)).from_correct_count
    assert M.get("categoricalAccuracy", loss="categoricalCrossentropy").from_correct_count
    assert not M.get("categoricalAccuracy", loss="sparseCategoricalCrossentropy").from_correct_count
    assert not M.get("precision", loss="categoricalCrossentropy").from_correct_count


def test_get_names_spellings_callables_and_errors():
    for ident, fn in [("categoricalAccuracy", M.categorical_accuracy),
                      ("categorical_accuracy", M.categorical_accuracy),
                      ("binary_accuracy", M.binary_accuracy), ("r2Score", M.r2_score),
                      ("r2_score", M.r2_score), ("sparse_top_k_categorical_accuracy",
                                                 M.sparse_top_k_categorical_accuracy),
                      ("precision", M.precision), ("recall", M.recall), ("MAE", M.mae)]:
        m = M.get(ident)
        assert m.fn is fn and m.name == ident

    def my_metric(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)).max(-1)
    m = M.get(my_metric)
    assert m.name == "my_metric"
    assert m(ONEHOT, PROBS).item() == pytest.approx(np.abs(ONEHOT - PROBS).max(-1).mean(), rel=1e-6)
    assert M.get(M.precision).name == "precision"
    assert M.get(m) is m
    with pytest.raises(ValueError, match=r"unknown metric 'acuracy'.*accuracy.*binaryAccuracy.*r2Score"):
        M.get("acuracy")
    with pytest.raises(TypeError, match="received float"):
        M.get(0.5)
    with pytest.raises(TypeError, match="must return numbers"):
        M.get(lambda t, p: "x")(ONEHOT, PROBS)


def test_bad_shapes_name_the_metric():
    with pytest.raises(ValueError, match=r"categoricalAccuracy: y_true of shape \[8, 5\] and y_pred of shape \[8, 4\]"):
        M.categorical_accuracy(ONEHOT, PROBS[:, :4])
    with pytest.raises(ValueError, match=r"sparseCategoricalAccuracy: y_true must hold class indices of shape \[8\]"):
        M.sparse_categorical_accuracy(ONEHOT, PROBS)
