"""fit_dataset / evaluate_dataset: the same training as fit on the same batches, element
forms, endless datasets with batches_per_epoch, validation, and clear errors."""
import warnings

import numpy as np
import pytest

import treino as tn

from models_util import assert_weights_close, classification_data, dense_model


def _pair_of_models(opt=lambda: tn.train.sgd(0.2), metrics=("accuracy",)):
    a, b = dense_model(sizes=(3, 5, 2), seed=5), dense_model(sizes=(3, 5, 2), seed=5)
    for m in (a, b):
        m.compile(optimizer=opt(), loss="categoricalCrossentropy", metrics=list(metrics))
    return a, b


def _xs_ys(x, y, batch_size):
    return tn.data.zip({"xs": tn.data.array(x), "ys": tn.data.array(y)}).batch(batch_size)


@pytest.mark.parametrize("opt", [lambda: tn.train.sgd(0.2), lambda: tn.train.adam(0.01)],
                         ids=["sgd", "adam"])
def test_fit_dataset_equals_fit_without_shuffle(opt):
    x, y, _ = classification_data(n=70)  # batches of 32, 32, 6
    a, b = _pair_of_models(opt)
    ha = a.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    hb = b.fit_dataset(_xs_ys(x, y, 32), epochs=3, verbose=0)
    assert_weights_close(b.get_weights(), a.get_weights(), atol=0)
    assert hb.history == ha.history and hb.epoch == [0, 1, 2]
    assert b.optimizer.iterations == 9


def test_tuple_elements_and_tensor_batches():
    x, y, _ = classification_data(n=20)
    a, b = _pair_of_models()
    a.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    b.fit_dataset(tn.data.zip((tn.data.array(x), tn.data.array(y))).batch(8), epochs=2,
                  verbose=0)
    assert_weights_close(b.get_weights(), a.get_weights(), atol=0)
    c = _pair_of_models()[0]

    def gen():
        for i in range(0, 20, 8):
            yield tn.tensor(x[i:i + 8]), tn.tensor(y[i:i + 8])
    c.fit_dataset(tn.data.generator(gen), epochs=2, verbose=0)
    assert_weights_close(c.get_weights(), a.get_weights(), atol=0)


def test_batches_per_epoch_on_an_endless_dataset():
    x, y, _ = classification_data(n=10)
    a, b = _pair_of_models()
    counts = []
    hist = b.fit_dataset(_xs_ys(x, y, 4).repeat(), epochs=3, batches_per_epoch=2, verbose=0,
                         callbacks={"on_epoch_end": lambda e, logs: counts.append(e)})
    assert counts == [0, 1, 2] and b.optimizer.iterations == 6
    assert hist.params["steps"] == 2
    # The same stream of batches, epoch after epoch: 4, 4, 2, 4, 4, 2.
    for i in [0, 1, 2, 0, 1, 2]:
        a.train_on_batch(x[4 * i:4 * i + 4], y[4 * i:4 * i + 4])
    assert_weights_close(b.get_weights(), a.get_weights(), atol=0)
    with pytest.raises(ValueError, match="endless.*batches_per_epoch"):
        b.fit_dataset(_xs_ys(x, y, 4).repeat(), epochs=1, verbose=0)


def test_a_dataset_that_runs_out_warns_and_stops():
    x, y, _ = classification_data(n=8)
    model = _pair_of_models()[0]
    with pytest.warns(UserWarning, match="ran out of data after 2 batches"):
        hist = model.fit_dataset(_xs_ys(x, y, 4), epochs=3, batches_per_epoch=3, verbose=0)
    assert model.optimizer.iterations == 2 and hist.epoch == [0]


def test_validation_as_dataset_and_as_arrays():
    x, y, _ = classification_data(n=20)
    vx, vy, _ = classification_data(n=7, seed=3)
    a, b = _pair_of_models()
    ha = a.fit_dataset(_xs_ys(x, y, 8), epochs=2, verbose=0, validation_data=_xs_ys(vx, vy, 3))
    hb = b.fit_dataset(_xs_ys(x, y, 8), epochs=2, verbose=0, validation_data=(vx, vy))
    assert sorted(ha.history) == ["acc", "loss", "val_acc", "val_loss"]
    np.testing.assert_allclose(ha.history["val_loss"], hb.history["val_loss"], rtol=1e-6)
    final = a.evaluate(vx, vy)
    assert ha.history["val_loss"][-1] == pytest.approx(final[0].item(), rel=1e-6)
    assert ha.history["val_acc"][-1] == pytest.approx(final[1].item())
    # validation_batches evaluates only the first batches
    c = _pair_of_models()[0]
    hc = c.fit_dataset(_xs_ys(x, y, 8), epochs=1, verbose=0,
                       validation_data=_xs_ys(vx, vy, 3), validation_batches=1)
    assert hc.history["val_loss"][0] == pytest.approx(c.evaluate(vx[:3], vy[:3])[0].item(),
                                                      rel=1e-6)


def test_evaluate_dataset_equals_evaluate():
    x, y, _ = classification_data(n=70)
    model = _pair_of_models()[0]
    loss, acc = model.evaluate_dataset(_xs_ys(x, y, 32))
    ref_loss, ref_acc = model.evaluate(x, y, batch_size=32)
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-6)
    assert acc.item() == pytest.approx(ref_acc.item())
    first = model.evaluate_dataset(_xs_ys(x, y, 32), batches=1)[0]
    assert first.item() == pytest.approx(model.evaluate(x[:32], y[:32])[0].item(), rel=1e-6)
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    assert isinstance(model.evaluate_dataset(_xs_ys(x, y, 32)), tn.Tensor)
    assert model.optimizer.iterations == 0


def test_sparse_labels_from_a_dataset():
    x, y, labels = classification_data(n=12)
    a, b = dense_model(sizes=(3, 5, 2), seed=5), dense_model(sizes=(3, 5, 2), seed=5)
    a.compile(optimizer=tn.train.sgd(0.2), loss="categoricalCrossentropy")
    b.compile(optimizer=tn.train.sgd(0.2), loss="sparseCategoricalCrossentropy")
    a.fit(x, y, batch_size=5, shuffle=False, verbose=0)
    b.fit_dataset(_xs_ys(x, labels.astype(np.int32), 5), verbose=0)
    assert_weights_close(b.get_weights(), a.get_weights(), atol=1e-6)


def _unchanged(model, call, exc, match):
    before = model.get_weights()
    it = model.optimizer.iterations
    with pytest.raises(exc, match=match):
        call()
    assert model.optimizer.iterations == it
    assert_weights_close(model.get_weights(), before, atol=0)


def test_dataset_errors():
    x, y, _ = classification_data(n=8)
    model = _pair_of_models()[0]
    no_keys = tn.data.zip({"features": tn.data.array(x), "labels": tn.data.array(y)}).batch(4)
    _unchanged(model, lambda: model.fit_dataset(no_keys, verbose=0), ValueError,
               r"'xs'.*'ys'.*element 0.*\['features', 'labels'\]")
    _unchanged(model, lambda: model.evaluate_dataset(no_keys), ValueError, r"'xs'")
    _unchanged(model, lambda: model.fit_dataset((x, y), verbose=0), TypeError,
               r"must be a tn.data Dataset.*model.fit")
    _unchanged(model, lambda: model.fit_dataset(_xs_ys(x[:, :2], y, 4), verbose=0), ValueError,
               r"\[null,3\].*\[4, 2\]")
    _unchanged(model, lambda: model.fit_dataset(_xs_ys(x, y, 4), epochs=0, verbose=0),
               ValueError, r"'epochs'")
    _unchanged(model, lambda: model.fit_dataset(_xs_ys(x, y, 4), batches_per_epoch=0, verbose=0),
               ValueError, r"'batches_per_epoch'")
    _unchanged(model, lambda: model.fit_dataset(_xs_ys(x, y, 4), verbose=0,
                                                validation_data=(x[:, :2], y)),
               ValueError, r"validation_data\[0\]")
    _unchanged(model, lambda: model.fit_dataset(_xs_ys(x, y, 4), verbose=0,
                                                validation_data=x), ValueError,
               r"'validation_data' must be a Dataset")
    bad = y.copy()
    bad[5, 0] = np.nan  # in the second batch: the first has trained by then
    before = model.optimizer.iterations
    with pytest.raises(ValueError, match=r"non-finite.*row 1"):
        model.fit_dataset(_xs_ys(x, bad, 4), verbose=0)
    assert model.optimizer.iterations == before + 1
    assert all(np.isfinite(w).all() for w in model.get_weights())
    model.compile(optimizer="sgd", loss="categoricalCrossentropy")
    with pytest.raises(ValueError, match="dataset yielded no batches"):
        model.evaluate_dataset(_xs_ys(x, y, 4).take(0))


def test_fit_dataset_before_compile():
    x, y, _ = classification_data(n=8)
    model = dense_model()
    with pytest.raises(RuntimeError, match="compiled first"):
        model.fit_dataset(_xs_ys(x, y, 4), verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.compile(optimizer="sgd", loss="categoricalCrossentropy")
        model.fit_dataset(_xs_ys(x, y, 4), verbose=0)


def test_empty_datasets_raise_and_a_spent_generator_stops_without_fake_numbers():
    x, y, _ = classification_data(n=8)
    model = _pair_of_models()[0]
    with pytest.raises(ValueError, match="yielded no batches"):
        model.fit_dataset(_xs_ys(x, y, 4).take(0), epochs=2, verbose=0)
    assert model.optimizer.iterations == 0
    shared = iter(list(_xs_ys(x, y, 4)))  # one iterator for every pass: spent after one
    with pytest.warns(UserWarning, match="no batches in epoch 2.*fresh iterator"):
        hist = model.fit_dataset(tn.data.generator(lambda: shared), epochs=3, verbose=0)
    assert hist.epoch == [0] and len(hist.history["loss"]) == 1
    assert hist.history["loss"][0] > 0 and model.optimizer.iterations == 2


def test_label_errors_name_their_source():
    x, y, _ = classification_data(n=8)
    model = _pair_of_models()[0]
    _unchanged(model, lambda: model.fit(x, y, verbose=0, validation_data=(x, y[:, :1])),
               ValueError, r"'validation_data\[1\]' must have shape \[null,2\]")
    _unchanged(model, lambda: model.fit_dataset(_xs_ys(x, y, 4), verbose=0,
                                                validation_data=(x, y[:, :1])),
               ValueError, r"'validation_data\[1\]'")
    _unchanged(model, lambda: model.fit_dataset(_xs_ys(x, y[:, :1], 4), verbose=0),
               ValueError, r"'ys of batch 0' must have shape \[null,2\].*\[4, 1\]")


def test_class_weight_equals_fit():
    x, y, labels = classification_data(n=20)
    cw = {0: 0.5, 1: 3.0}
    a, b = _pair_of_models()
    ha = a.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, class_weight=cw)
    hb = b.fit_dataset(_xs_ys(x, y, 8), epochs=2, verbose=0, class_weight=cw)
    assert hb.history == ha.history
    assert_weights_close(b.get_weights(), a.get_weights(), atol=0)
    c = dense_model(sizes=(3, 5, 2), seed=5)
    c.compile(optimizer=tn.train.sgd(0.2), loss="sparseCategoricalCrossentropy")
    c.fit_dataset(_xs_ys(x, labels.astype(np.int32), 8), epochs=2, verbose=0, class_weight=cw)
    assert_weights_close(c.get_weights(), a.get_weights(), atol=1e-6)
    _unchanged(c, lambda: c.fit_dataset(_xs_ys(x, labels, 8), verbose=0, class_weight=[1, 2]),
               TypeError, r"'class_weight' must be a dict")
