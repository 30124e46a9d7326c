"""Hostile training inputs: labels that a narrowing cast would wrap or truncate into a
valid class, weights hidden in dataset elements, and malformed class weights. Each is
refused (or applied) before any weight or optimizer state changes."""
import numpy as np
import pytest

import treino as tn

from models_util import assert_weights_close, classification_data, dense_model


def _state(model):
    return ([w.numpy() for w in model.get_weights()], model.optimizer.iterations,
            [s["tensor"].numpy().copy() for s in model.optimizer.get_weights()])


def _raises_unchanged(model, exc, match, call):
    before = _state(model)
    with pytest.raises(exc, match=match):
        call()
    after = _state(model)
    assert_weights_close(after[0], before[0], atol=0)
    assert after[1] == before[1]
    assert_weights_close(after[2], before[2], atol=0)


def _sparse_model(opt="adam"):
    model = dense_model(sizes=(3, 4, 3), seed=2)
    model.compile(optimizer=opt, loss="sparseCategoricalCrossentropy", metrics=["accuracy"])
    return model


# --- labels that int32 cannot hold exactly -------------------------------------------

X4 = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)

# Each of these would become the valid labels [0, 1, 2, 1] (or close) after a cast to
# int32: 2**32 + 1 wraps to 1, 1.5 truncates to 1, 3e9 is undefined in C.
HOSTILE_LABELS = {
    "int64 2**32+1": (np.array([0, 1, 2, 2**32 + 1], np.int64), r"holds 4294967297 in row 3, outside the int32 range"),
    "uint64 2**32+1": (np.array([0, 1, 2, 2**32 + 1], np.uint64), r"holds 4294967297 in row 3, outside"),
    "uint32 2**31": (np.array([0, 1, 2, 2**31], np.uint32), r"holds 2147483648 in row 3, outside"),
    "python ints": ([0, 2**32 + 1, 2, 1], r"holds 4294967297 in row 1, outside"),
    "negative int64": (np.array([[0], [1], [-2**40], [1]]), r"holds -1099511627776 in row 2, outside"),
    "beyond int64": ([0, 1, 2, 2**70], r"integers too large for int64, e.g. 1180591620717411303424"),
    "float 1.5": (np.array([0, 1.5, 2, 1]), r"holds 1.5 in row 1, not a whole number"),
    "float32 2.25": (np.array([0, 1, 2.25, 1], np.float32), r"holds 2.25 in row 2, not a whole number"),
    "float 3e9": (np.array([0.0, 1, 3e9, 1]), r"holds 3000000000.0 in row 2, outside the int32 range"),
    "nan": (np.array([0.0, np.nan, 2, 1]), r"non-finite value .* in row 1"),
}


@pytest.mark.parametrize("case", list(HOSTILE_LABELS))
def test_hostile_sparse_labels_are_refused_everywhere(case):
    labels, match = HOSTILE_LABELS[case]
    model = _sparse_model()
    model.fit(X4, np.array([0, 1, 2, 1]), verbose=0)  # optimizer state to protect
    _raises_unchanged(model, ValueError, rf"fit: argument 'y' {match}" if "holds" in match
                      else match, lambda: model.fit(X4, labels, verbose=0))
    _raises_unchanged(model, ValueError, match, lambda: model.evaluate(X4, labels))
    _raises_unchanged(model, ValueError, match, lambda: model.train_on_batch(X4, labels))
    _raises_unchanged(model, ValueError, "validation_data",
                      lambda: model.fit(X4, [0, 1, 2, 1], verbose=0,
                                        validation_data=(X4, labels)))
    # A generator hands the raw array to fit_dataset (tn.data.array would refuse it first).
    ds = tn.data.generator(lambda: iter([{"xs": X4, "ys": labels}]))
    _raises_unchanged(model, ValueError, rf"'ys of batch 0'.*{match}" if "holds" in match
                      else match, lambda: model.fit_dataset(ds, verbose=0))


def test_exact_labels_of_any_dtype_train_like_int32():
    """Whole float labels and wide integer dtypes holding small values are the same
    labels: the training matches int32 labels bit for bit."""
    x, _, labels = classification_data(n=12, classes=3)
    ref = _sparse_model("sgd")
    ref.fit(x, labels.astype(np.int32), batch_size=4, shuffle=False, verbose=0)
    for y in (labels.astype(np.int64), labels.astype(np.uint64), labels.astype(np.float64),
              labels.astype(np.float32), labels.tolist(), labels.astype(np.uint8)[:, None]):
        m = _sparse_model("sgd")
        m.fit(x, y, batch_size=4, shuffle=False, verbose=0)
        assert_weights_close(m.get_weights(), ref.get_weights(), atol=0)


# --- sample weights inside dataset elements ------------------------------------------

def _weighted_pair(loss="categoricalCrossentropy"):
    a, b = dense_model(sizes=(3, 5, 2), seed=5), dense_model(sizes=(3, 5, 2), seed=5)
    for m in (a, b):
        m.compile(optimizer=tn.train.adam(0.05), loss=loss, metrics=["accuracy"])
    return a, b


def _weighted_data(n=20):
    x, y, labels = classification_data(n=n)
    w = np.random.default_rng(3).uniform(0.0, 3.0, n).astype(np.float32)
    w[1] = 0.0
    return x, y, labels, w


def _triples(x, y, w, batch):
    return tn.data.zip((tn.data.array(x), tn.data.array(y), tn.data.array(w))).batch(batch)


def test_dataset_sample_weights_train_as_fit_sample_weight():
    x, y, _, w = _weighted_data()
    a, b = _weighted_pair()
    ha = a.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, sample_weight=w)
    hb = b.fit_dataset(_triples(x, y, w, 8), epochs=2, verbose=0)
    assert_weights_close(b.get_weights(), a.get_weights(), atol=0)
    assert hb.history == ha.history
    # Not a no-op: unweighted training ends elsewhere.
    c = _weighted_pair()[0]
    c.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert not np.allclose(c.get_weights()[0], a.get_weights()[0], atol=1e-4)


def test_dataset_sample_weights_combine_with_class_weight():
    x, y, labels, w = _weighted_data()
    cw = {0: 0.25, 1: 2.0}
    a, b = _weighted_pair()
    a.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
          sample_weight=w * np.where(labels == 0, 0.25, 2.0).astype(np.float32))
    b.fit_dataset(_triples(x, y, w, 8), epochs=2, verbose=0, class_weight=cw)
    assert_weights_close(b.get_weights(), a.get_weights(), atol=0)
    # Sparse labels, weights as [n, 1] columns, elements from a generator of tuples.
    s = dense_model(sizes=(3, 5, 2), seed=5)
    s.compile(optimizer=tn.train.adam(0.05), loss="sparseCategoricalCrossentropy")
    batches = [(x[i:i + 8], labels[i:i + 8], w[i:i + 8, None]) for i in range(0, 20, 8)]
    s.fit_dataset(tn.data.generator(lambda: iter(batches)), epochs=2, verbose=0,
                  class_weight=cw)
    assert_weights_close(s.get_weights(), a.get_weights(), atol=1e-5)


def test_dataset_sample_weights_in_evaluation():
    x, y, _, w = _weighted_data()
    a, _ = _weighted_pair()
    want = a.evaluate(x, y, batch_size=8, sample_weight=w)
    got = a.evaluate_dataset(_triples(x, y, w, 8))
    np.testing.assert_allclose([v.item() for v in got], [v.item() for v in want], rtol=1e-6)
    h = a.fit_dataset(_triples(x, y, w, 8), verbose=0, validation_data=_triples(x, y, w, 8))
    assert np.isfinite(h.history["val_loss"][0])


HOSTILE_WEIGHTS = {
    "short": (lambda w: w[:-1], r"'sample_weight of batch 0' must have one weight per sample \(8\), received 7"),
    "negative": (lambda w: -w, r"'sample_weight of batch 0' must not hold negative weights"),
    "nan": (lambda w: np.where(np.arange(8) == 5, np.nan, w), r"'sample_weight of batch 0'.*non-finite.*row 5"),
    "strings": (lambda w: np.array(["a"] * 8), r"'sample_weight of batch 0' must hold numbers"),
}


@pytest.mark.parametrize("case", list(HOSTILE_WEIGHTS))
def test_hostile_dataset_weights_are_refused(case):
    x, y, _, w = _weighted_data(8)
    bad, match = HOSTILE_WEIGHTS[case]
    model = _weighted_pair()[0]
    model.fit(x, y, verbose=0)
    ds = tn.data.generator(lambda: iter([(x, y, bad(w))]))
    exc = TypeError if case == "strings" else ValueError
    _raises_unchanged(model, exc, rf"fit_dataset: .*{match}", lambda: model.fit_dataset(ds, verbose=0))


def test_dict_elements_with_other_keys_are_refused_not_dropped():
    x, y, _, w = _weighted_data(8)
    model = _weighted_pair()[0]
    model.fit(x, y, verbose=0)
    for key in ("weights", "sample_weight"):
        ds = tn.data.generator(lambda: iter([{"xs": x, "ys": y, key: w}]))
        _raises_unchanged(model, ValueError,
                          rf"element 0 has keys \['{key}'\] besides 'xs' and 'ys'.*\(x, y, sample_weight\)",
                          lambda: model.fit_dataset(ds, verbose=0))


# --- class_weight checked as sample_weight is ----------------------------------------

HOSTILE_CLASS_WEIGHTS = {
    "nan weight": ({0: 1.0, 1: float("nan")}, ValueError, r"weight nan for class 1; weights must be finite"),
    "inf weight": ({0: float("inf")}, ValueError, r"weight inf for class 0"),
    "huge int weight": ({0: 10**400}, ValueError, r"for class 0; weights must be finite"),
    "negative weight": ({1: -0.5}, ValueError, r"weight -0.5 for class 1.*non-negative"),
    "string weight": ({0: "2"}, TypeError, r"numbers, received '2' \(str\) for class 0"),
    "None weight": ({0: None}, TypeError, r"received None \(NoneType\) for class 0"),
    "bool weight": ({0: True}, TypeError, r"received True \(bool\) for class 0"),
    "float key": ({1.5: 2.0}, ValueError, r"key 1.5, which is not a class index"),
    "nan key": ({float("nan"): 2.0}, ValueError, r"key nan, which is not a class index"),
    "negative key": ({-1: 2.0}, ValueError, r"key -1, which is not a class index"),
    "string key": ({"1": 2.0}, TypeError, r"class indices \(ints\).*key '1' \(str\)"),
    "None key": ({None: 2.0}, TypeError, r"key None \(NoneType\)"),
    "bool key": ({True: 2.0}, TypeError, r"key True \(bool\)"),
}


@pytest.mark.parametrize("case", list(HOSTILE_CLASS_WEIGHTS))
def test_hostile_class_weights_are_refused(case):
    cw, exc, match = HOSTILE_CLASS_WEIGHTS[case]
    x, y, labels = classification_data(n=8)
    model = _weighted_pair()[0]
    model.fit(x, y, verbose=0)
    _raises_unchanged(model, exc, rf"fit: argument 'class_weight'.*{match}",
                      lambda: model.fit(x, y, verbose=0, class_weight=cw))
    _raises_unchanged(model, exc, rf"train_on_batch: argument 'class_weight'.*{match}",
                      lambda: model.train_on_batch(x, y, class_weight=cw))
    ds = tn.data.generator(lambda: iter([(x, y)]))
    _raises_unchanged(model, exc, rf"fit_dataset: argument 'class_weight'.*{match}",
                      lambda: model.fit_dataset(ds, verbose=0, class_weight=cw))


def test_class_weight_keys_of_other_numeric_types_and_beyond_the_classes():
    """numpy ints and whole floats are class indices; a key beyond the classes matches no
    label and changes nothing (Keras 3 builds its table the same way)."""
    x, y, _ = classification_data(n=12)
    ref = _weighted_pair()[0]
    ref.fit(x, y, batch_size=4, shuffle=False, verbose=0, class_weight={0: 0.5, 1: 2.0})
    for cw in ({np.int64(0): np.float32(0.5), 1.0: 2}, {0: 0.5, 1: 2.0, 7: 9.0}):
        m = _weighted_pair()[0]
        m.fit(x, y, batch_size=4, shuffle=False, verbose=0, class_weight=cw)
        assert_weights_close(m.get_weights(), ref.get_weights(), atol=0)
