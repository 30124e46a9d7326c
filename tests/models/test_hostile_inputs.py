"""Hostile training inputs: labels that a narrowing cast would wrap or truncate into a
valid class, weights hidden in dataset elements, and malformed class weights. Each is
refused (or applied) before any weight or optimizer state changes."""
import numpy as np
import pytest

import treino as tn

from models_util import assert_weights_close, classification_data, dense_model


def _state(model):
    return ([w.copy() for w in model.get_weights()], model.optimizer.iterations,
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
