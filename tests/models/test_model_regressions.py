"""Model regressions found in review: gradients through model(x), class weights kept off
validation, frozen layers never train, and a training step that raises changes nothing."""
import numpy as np
import pytest

import treino as tn


def _model(bn=False):
    layers = [tn.layers.dense(input_shape=[3], units=4, activation="tanh")]
    if bn:
        layers.append(tn.layers.batch_normalization())
    layers.append(tn.layers.dense(units=2, activation="softmax"))
    return tn.sequential(layers=layers)


def _data(n=12):
    r = np.random.default_rng(0)
    return r.standard_normal((n, 3)).astype(np.float32), np.eye(2, dtype=np.float32)[r.integers(0, 2, n)]


def test_gradient_flows_through_model_call():
    m = _model()
    x = tn.tensor(_data()[0])
    g = tn.grad(lambda t: tn.sum(tn.slice(m(t), [0, 0], [-1, 1])))(x)
    eps = 1e-3
    xp = x.numpy().astype(np.float64)
    xp[0, 0] += eps
    up = m.predict(xp.astype(np.float32)).numpy()[:, 0].sum()
    xp[0, 0] -= 2 * eps
    down = m.predict(xp.astype(np.float32)).numpy()[:, 0].sum()
    assert g.numpy()[0, 0] == pytest.approx((up - down) / (2 * eps), rel=1e-2, abs=1e-4)


def test_class_weight_scales_the_training_loss():
    x, y = _data(20)
    ws = _model().get_weights()
    logs = []
    for cw in (None, {0: 100.0, 1: 100.0}):
        m = _model()
        m.set_weights(ws)
        m.compile("sgd", "categoricalCrossentropy")
        tn.set_seed(1)
        logs.append(m.fit(x, y, epochs=1, batch_size=20, validation_split=0.25, verbose=0,
                          class_weight=cw, shuffle=False).history)
    assert logs[1]["loss"][0] == pytest.approx(100 * logs[0]["loss"][0], rel=1e-5)


def test_class_weighted_val_loss_equals_unweighted_evaluate():
    x, y = _data(20)
    m = _model()
    m.compile("sgd", "categoricalCrossentropy")
    h = m.fit(x, y, epochs=1, batch_size=20, validation_split=0.25, verbose=0,
              class_weight={0: 100.0, 1: 100.0}, shuffle=False)
    assert h.history["val_loss"][0] == pytest.approx(m.evaluate(x[15:], y[15:]).item(), rel=1e-5)


def test_frozen_layer_weight_never_trains():
    m = _model()
    m.layers[0].trainable = False
    m.layers[0].weights[0].trainable = True   # the weight alone cannot unfreeze its layer
    frozen = m.layers[0].weights[0].val.numpy()
    m.compile("sgd", "categoricalCrossentropy")
    m.fit(*_data(), epochs=2, verbose=0)
    np.testing.assert_array_equal(m.layers[0].weights[0].val.numpy(), frozen)
    assert not m.layers[0].weights[0].val.trainable


def test_layer_set_weights_checks_everything_first():
    layer = _model().layers[0]
    before = layer.get_weights()
    with pytest.raises(ValueError, match="bias.*\\[4\\].*\\[5\\]"):
        layer.set_weights([np.ones((3, 4)), np.ones(5)])
    for a, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_a_step_that_raises_changes_nothing():
    x, y = _data()
    m = _model(bn=True)

    def bad_metric(yt, yp):
        raise RuntimeError("metric failed")
    m.compile("adam", "categoricalCrossentropy", metrics=[bad_metric])
    before = m.get_weights()
    with pytest.raises(RuntimeError, match="metric failed"):
        m.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(m.get_weights(), before):   # weights AND batch-norm statistics
        np.testing.assert_array_equal(a, b)
    assert m.optimizer.iterations == 0
    m.compile("adam", "categoricalCrossentropy")
    m.fit(x, y, epochs=1, verbose=0)            # still usable, and now everything moves
    assert all(not np.array_equal(a, b) for a, b in zip(m.get_weights(), before))
