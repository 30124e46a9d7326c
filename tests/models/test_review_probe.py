"""Regression tests from a review of the functional API and multi-output training: the
engine's tracing of user code, masks, shared layers, dict inputs and outputs, dtypes and
error messages. Each test states the behaviour expected (TF.js 4.22 first, Keras where
TF.js is silent, or treino's own run_eagerly=True step, which the captured replay must
match bit for bit)."""
import functools

import numpy as np
import pytest

import treino as tn

RNG = np.random.default_rng(11)


def _set_weights(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.weights])


def _fit_both(build, loss, x, y, metrics=None):
    """Fits two identical models, replayed and run_eagerly=True: [(history dict,
    weights, model)] for each."""
    out = []
    for eager in (False, True):
        m = build()
        _set_weights(m)
        m.compile(optimizer=tn.train.sgd(0.3), loss=loss, metrics=metrics, run_eagerly=eager)
        h = m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        out.append((h.history, m.get_weights(), m))
    return out


def _dense_model(units, activation=None, inputs=3):
    return lambda: tn.sequential([tn.layers.dense(units=units, activation=activation,
                                                  input_shape=[inputs])])


# -- the engine: traced user code must see every batch ----------------------------------

X16 = RNG.normal(size=(16, 3)).astype(np.float32)
Y16_CLASSES = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, 16)]
Y16_BINARY = (RNG.random((16, 1)) > 0.5).astype(np.float32)
Y16_REG = RNG.normal(size=(16, 2)).astype(np.float32)


def test_user_metric_built_on_a_builtin_metric_follows_every_batch():
    """A metric written as `100 * tn.metrics.categorical_accuracy(y_true, y_pred)` must
    report each batch's accuracy, as run_eagerly=True (and TF.js) do. The built-in
    function computes in numpy and returns a plain Tensor, which the tracer takes for
    a constant of the program, so every replayed batch repeats the first one's value."""
    def acc_pct(y_true, y_pred):
        return tn.mul(tn.metrics.categorical_accuracy(y_true, y_pred), 100.0)
    (fast, _, mf), (eager, _, me) = _fit_both(
        _dense_model(3, "softmax"), "categoricalCrossentropy", X16, Y16_CLASSES,
        metrics=[acc_pct, "acc"])
    # The same metric as 'acc', in percent, batch by batch.
    np.testing.assert_allclose(eager["acc_pct"], np.array(eager["acc"]) * 100, rtol=1e-6)
    assert fast["acc_pct"] == eager["acc_pct"]
    assert float(mf.evaluate(X16, Y16_CLASSES, batch_size=4)[1]) == \
        float(me.evaluate(X16, Y16_CLASSES, batch_size=4)[1])


def test_user_loss_weighted_by_a_builtin_metric_follows_every_batch():
    """A loss that counts misclassified samples twice, weighting its squared error by
    `2 - tn.metrics.binary_accuracy(y_true, y_pred)`, must train as run_eagerly=True
    does: the weights belong to each batch. The tracer bakes the first batch's weights
    into the program (no value read is counted, the result is an op's output), so the
    replayed training differs from the first epoch on."""
    def hard_weighted(y_true, y_pred):
        miss = tn.sub(2.0, tn.metrics.binary_accuracy(y_true, y_pred))
        return tn.mul(tn.mean(tn.square(tn.sub(y_true, y_pred)), -1), miss)
    (fast, wf, _), (eager, we, _) = _fit_both(
        _dense_model(1, "sigmoid"), hard_weighted, X16, Y16_BINARY)
    assert fast["loss"] == eager["loss"]
    assert all(np.array_equal(a, b) for a, b in zip(wf, we))


class _NumpyZeroMask(tn.layers.Layer):
    """Passes its input on; masks the all-zero time steps, computed in numpy."""

    def call(self, x, training=False):
        return x

    def compute_mask(self, inputs, mask=None):
        return tn.tensor(np.abs(inputs.numpy()).sum(-1) > 0)


class _MaskedMean(tn.layers.Layer):
    """The mean over the unmasked time steps."""

    def call(self, x, training=False, mask=None):
        m = tn.expand_dims(tn.cast(mask, "float32"), -1)
        return tn.div(tn.sum(tn.mul(x, m), 1), tn.sum(m, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def compute_mask(self, inputs, mask=None):
        return None


def _padded_sequences():
    x = RNG.normal(size=(8, 5, 3)).astype(np.float32)
    steps = [1, 2, 3, 4, 5, 2, 3, 1]
    for i, s in enumerate(steps):
        x[i, s:] = 0
    return x, np.stack([x[i, :s].mean(0) for i, s in enumerate(steps)])


def test_user_compute_mask_in_numpy_is_recomputed_for_every_batch():
    """A user layer's call runs again at every replay (a Python slot), so numpy inside
    it is fine; its compute_mask is user code too and must see each batch. predict in
    batches of 2 must give the numpy mean over each sample's own unmasked steps, as
    predict in one batch does; the replayed program reuses the first batch's mask."""
    x, want = _padded_sequences()
    inp = tn.input(shape=[5, 3])
    m = tn.model(inputs=inp, outputs=_MaskedMean().apply(_NumpyZeroMask().apply(inp)))
    np.testing.assert_allclose(m.predict(x, batch_size=8).numpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.predict(x, batch_size=2).numpy(), want, rtol=1e-5, atol=1e-6)


# -- the engine: Python values a traced loss reads ---------------------------------------

def _annealed_fit(make_loss):
    """Fits replayed and eagerly with a loss whose extra term's weight a callback raises
    after each epoch; returns the two loss histories."""
    out = []
    for eager in (False, True):
        loss, bump = make_loss()
        m = _dense_model(2)()
        _set_weights(m)
        m.compile(optimizer=tn.train.sgd(0.1), loss=loss, run_eagerly=eager)
        h = m.fit(X16, Y16_REG, batch_size=4, epochs=3, shuffle=False, verbose=0,
                  callbacks={"on_epoch_end": lambda epoch, logs: bump()})
        out.append(h.history["loss"])
    return out


def test_tensor_weight_rebound_in_the_loss_closure_is_seen():
    """KL-annealing style, written as in TF.js: the weight is a `tn.scalar` in the
    loss's closure, rebound by a callback. run_eagerly=True sees the new weight (the
    loss grows with it); the replay must too. The guard watches the closure cell but
    only when it holds a Python number, so the program keeps weight 0."""
    def make():
        weight = tn.scalar(0.0)

        def loss(y_true, y_pred):
            return tn.add(tn.mean(tn.square(tn.sub(y_true, y_pred)), -1),
                          tn.mul(tn.mean(tn.abs(y_pred), -1), weight))

        def bump():
            nonlocal weight
            weight = tn.scalar(float(weight.item()) + 5.0)
        return loss, bump
    fast, eager = _annealed_fit(make)
    assert eager[2] > eager[0]  # the weight reached the eager loss
    assert fast == eager


BETA = 0.0  # a module global the partial loss below reads


def _beta_loss(y_true, y_pred, axis=-1):
    return tn.add(tn.mean(tn.square(tn.sub(y_true, y_pred)), axis),
                  tn.mul(tn.mean(tn.abs(y_pred), axis), BETA))


def test_global_read_by_a_partial_loss_is_watched():
    """The guard follows plain functions and the functions they call, so the same loss
    without the partial is captured again when BETA changes. Wrapped in
    functools.partial (a common way to fix a loss argument) it is not: the replay keeps
    BETA = 0 while the eager step uses the new value."""
    def make():
        global BETA
        BETA = 0.0

        def bump():
            global BETA
            BETA += 5.0
        return functools.partial(_beta_loss, axis=-1), bump
    fast, eager = _annealed_fit(make)
    assert eager[2] > eager[0]
    assert fast == eager


# -- running a graph ----------------------------------------------------------------------

def test_model_called_with_training_true_runs_in_training_mode():
    """TF.js's Container.call passes its kwargs (training) to every layer, and Keras's
    model(x, training=True) likewise: a custom training loop relies on it for dropout
    and batch-norm statistics. A dropout model called with training=True must drop
    about half of 400 ones; today it drops none."""
    x = tn.input(shape=[100])
    m = tn.model(inputs=x, outputs=tn.layers.dropout(rate=0.5).apply(x))
    ones = tn.ones([4, 100])
    layer_zeros = int((tn.layers.dropout(rate=0.5)(ones, training=True).numpy() == 0).sum())
    assert 100 < layer_zeros < 300  # the layer alone drops
    zeros = int((m(ones, training=True).numpy() == 0).sum())
    assert 100 < zeros < 300
    zeros = int((m.apply(ones, {"training": True}).numpy() == 0).sum())
    assert 100 < zeros < 300


def test_shared_batch_norm_applies_the_moving_average_once_per_application():
    """A batch-norm layer shared by two branches (a siamese network) is called twice per
    step. TF.js (normalization.ts, doMovingAverage) and Keras update the moving mean at
    each call, the second from the first's result: m = mom*(mom*m0 + (1-mom)*mean_a)
    + (1-mom)*mean_b. Each call here computes from m0, so the result is
    mom*m0 + (1-mom)*mean_b: branch a's batch never reaches the statistics."""
    a_data = RNG.normal(1.0, 1.0, size=(8, 3)).astype(np.float32)
    b_data = RNG.normal(-2.0, 1.0, size=(8, 3)).astype(np.float32)
    a, b = tn.input(shape=[3]), tn.input(shape=[3])
    bn = tn.layers.batch_normalization(momentum=0.5)
    m = tn.model(inputs=[a, b], outputs=tn.layers.add().apply([bn.apply(a), bn.apply(b)]))
    m.compile(optimizer=tn.train.sgd(0.0), loss="meanSquaredError")
    m.fit([a_data, b_data], np.zeros((8, 3), np.float32), batch_size=8, epochs=1, verbose=0)
    want = 0.5 * (0.5 * 0.0 + 0.5 * a_data.mean(0)) + 0.5 * b_data.mean(0)
    np.testing.assert_allclose(bn.moving_mean.val.numpy(), want, rtol=1e-5, atol=1e-6)


class _OneHot(tn.layers.Layer):
    """int32 class indices [n, 1] -> one-hot float32 [n, depth]."""

    def call(self, x, training=False):
        return tn.cast(tn.one_hot(tn.reshape(x, [-1]), 4), "float32")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 4)


def test_int32_input_reaches_the_layers_as_int32():
    """tn.input(dtype='int32') (TF.js: the input of an embedding or any index lookup)
    must feed its layers int32 values; predict, fit and model(x) turn them into float32,
    so one_hot refuses them. The result must be the dense layer applied to the one-hot
    rows."""
    x = tn.input(shape=[1], dtype="int32")
    dense = tn.layers.dense(units=2)
    m = tn.model(inputs=x, outputs=dense.apply(_OneHot().apply(x)))
    idx = np.array([[0], [3], [1]], np.int32)
    kernel, bias = dense.get_weights()
    want = np.eye(4, dtype=np.float32)[idx[:, 0]] @ kernel + bias
    np.testing.assert_allclose(m.predict(idx).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(m(tn.tensor(idx, dtype="int32")).numpy(), want, rtol=1e-6)
    m.compile(optimizer="sgd", loss="meanSquaredError")
    m.fit(idx, np.zeros((3, 2), np.float32), verbose=0)


# -- outputs and inputs given as dicts ----------------------------------------------------

def _dict_output_model():
    x = tn.input(shape=[3], name="dict_x")
    first = tn.layers.dense(units=2, name="dict_d1").apply(x)
    second = tn.layers.dense(units=1, name="dict_d2").apply(x)
    return tn.model(inputs=x, outputs={"a": first, "b": second})


def test_outputs_given_as_a_dict_are_trained_by_their_keys():
    """tn.model(outputs={'a': ..., 'b': ...}) predicts {'a': ..., 'b': ...}; the same keys
    must name the outputs in compile (loss, metrics) and in fit's labels, as in Keras 3,
    where a dict of outputs is matched by its keys. Today compile refuses 'a' and 'b'
    ('unknown output names') and wants the layer names 'dict_d1' and 'dict_d2'."""
    m = _dict_output_model()
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    assert sorted(m.predict(x)) == ["a", "b"]
    m.compile(optimizer="sgd", loss={"a": "meanSquaredError", "b": "meanAbsoluteError"})
    m.fit(x, {"a": np.zeros((4, 2), np.float32), "b": np.zeros((4, 1), np.float32)},
          verbose=0)


def test_nested_model_with_dict_outputs_runs():
    """A model with dict outputs applied inside another model gives two symbolic
    outputs; running the outer model must give the inner model's two outputs (here
    compared with the inner model's own predict). Today: 'returned 1 tensors, but its
    compute_output_shape gave 2 shapes'."""
    inner = _dict_output_model()
    y = tn.input(shape=[3])
    outer = tn.model(inputs=y, outputs=inner.apply(y))
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    got = outer.predict(x)
    want = inner.predict(x)
    np.testing.assert_array_equal(got[0].numpy(), want["a"].numpy())
    np.testing.assert_array_equal(got[1].numpy(), want["b"].numpy())


def test_inputs_given_as_a_dict_take_their_keys_in_predict():
    """tn.model(inputs={'A': ..., 'B': ...}) is applied to symbolic tensors as
    model({'A': s, 'B': t}), and its call() reads a dict by those keys; predict and
    model(x) on arrays must take the same dict (Keras 3 matches a dict of inputs by
    its keys). Today both refuse 'A' and 'B' and want the input layers' names."""
    a, b = tn.input(shape=[2], name="in_a"), tn.input(shape=[3], name="in_b")
    dense = tn.layers.dense(units=1)
    m = tn.model(inputs={"A": a, "B": b},
                 outputs=dense.apply(tn.layers.concatenate().apply([a, b])))
    xa, xb = RNG.normal(size=(3, 2)).astype(np.float32), RNG.normal(size=(3, 3)).astype(np.float32)
    kernel, bias = dense.get_weights()
    want = np.concatenate([xa, xb], 1) @ kernel + bias
    np.testing.assert_allclose(m.predict({"A": xa, "B": xb}).numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(m({"A": tn.tensor(xa), "B": tn.tensor(xb)}).numpy(), want,
                               rtol=1e-5)


def test_two_outputs_of_one_layer_keep_separate_history_keys():
    """Wrapping a two-output model as the outputs of another gives two outputs whose
    layer is the inner model: output_names ['inner', 'inner'], and the per-output
    losses 'inner_loss' overwrite each other in the logs, while evaluate returns 3
    values. Keras 2 makes output names unique for this case ('inner', 'inner_1',
    Network._set_output_names); the history must keep one entry per value."""
    x = tn.input(shape=[3])
    inner = tn.model(inputs=x, outputs=[tn.layers.dense(units=2).apply(x),
                                        tn.layers.dense(units=1).apply(x)], name="inner")
    y = tn.input(shape=[3])
    outer = tn.model(inputs=y, outputs=inner.apply(y))
    outer.compile(optimizer="sgd", loss=["meanSquaredError", "meanAbsoluteError"])
    data = RNG.normal(size=(4, 3)).astype(np.float32)
    labels = [np.zeros((4, 2), np.float32), np.ones((4, 1), np.float32)]
    history = outer.fit(data, labels, verbose=0).history
    assert len(outer.evaluate(data, labels)) == 3
    assert len(history) == 3
    assert len(set(outer.output_names)) == 2


# -- masks through the graph ---------------------------------------------------------------

class _ZeroMask(tn.layers.Layer):
    def call(self, x, training=False):
        return x

    def compute_mask(self, inputs, mask=None):
        return tn.greater(tn.sum(tn.abs(inputs), -1), 0)


def test_mask_passes_through_a_nested_model():
    """TF.js's Container.computeMask runs the inner graph's masks (a Dense passes its
    input's on), as Keras does. A masked sequence through a nested model of one dense
    layer, then a masked mean, must equal the same dense layer placed in the outer
    graph; today the nested model refuses the mask."""
    x_data, _ = _padded_sequences()
    ii = tn.input(shape=[5, 3])
    dense = tn.layers.dense(units=3)
    inner = tn.model(inputs=ii, outputs=dense.apply(ii))
    x = tn.input(shape=[5, 3])
    nested = tn.model(inputs=x, outputs=_MaskedMean().apply(inner.apply(_ZeroMask().apply(x))))
    x2 = tn.input(shape=[5, 3])
    flat = tn.model(inputs=x2, outputs=_MaskedMean().apply(dense.apply(_ZeroMask().apply(x2))))
    np.testing.assert_array_equal(nested.predict(x_data).numpy(), flat.predict(x_data).numpy())


def test_concatenate_passes_masks_on():
    """TF.js's Merge layers set supportsMasking and combine their inputs' masks (a
    logical and; Concatenate along the last axis keeps the time steps' mask). Two
    masked sequences concatenated then averaged over the unmasked steps must equal
    the numpy mean; today Concatenate refuses the masks."""
    x_data, want = _padded_sequences()
    x, y = tn.input(shape=[5, 3]), tn.input(shape=[5, 3])
    cat = tn.layers.concatenate().apply([_ZeroMask().apply(x), _ZeroMask().apply(y)])
    m = tn.model(inputs=[x, y], outputs=_MaskedMean().apply(cat))
    got = m.predict([x_data, x_data]).numpy()
    np.testing.assert_allclose(got, np.concatenate([want, want], 1), rtol=1e-5, atol=1e-6)


# -- errors and state ---------------------------------------------------------------------

def test_built_layer_refuses_an_incompatible_symbolic_input_at_apply():
    """TF.js's Layer.apply checks the input against the layer's input spec
    (assertInputCompatibility) before recording anything: a dense layer built for 3
    features applied to a [null,4] tensor raises a ValueError at once and records no
    node. Today the node is recorded and the model builds; only predict fails."""
    dense = tn.layers.dense(units=2)
    dense.apply(tn.input(shape=[3]))
    with pytest.raises(ValueError, match="incompatible"):
        dense.apply(tn.input(shape=[4]))
    assert len(dense.inbound_nodes) == 1


def test_dense_applied_to_a_one_item_list_works_as_on_the_tensor():
    """TF.js's Dense reads its input with getExactlyOneTensor / getExactlyOneShape, so
    dense.apply([x]) is dense.apply(x), symbolic or real. Today the list of one shape
    is taken for a rank-1 shape: 'expected min_ndim=2, found ndim=1', for an input of
    rank 2."""
    dense = tn.layers.dense(units=2)
    data = tn.tensor(RNG.normal(size=(4, 3)).astype(np.float32))
    x = tn.input(shape=[3])
    m = tn.model(inputs=x, outputs=dense.apply([x]))
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(m.predict(data).numpy(), data.numpy() @ kernel + bias,
                               rtol=1e-5)
    np.testing.assert_allclose(dense([data]).numpy(), data.numpy() @ kernel + bias, rtol=1e-5)


def test_one_item_list_input_is_differentiable_inside_grad():
    """A one-input model takes x, [x] or {name: x} alike; inside tn.grad its output must
    be differentiable with respect to x in all three forms (TF.js's predict and apply
    are). With [x] the tensor is rebuilt from its array and tn.grad finds no path."""
    x = tn.input(shape=[3], name="grad_x")
    dense = tn.layers.dense(units=1)
    m = tn.model(inputs=x, outputs=dense.apply(x))
    data = tn.tensor(RNG.normal(size=(4, 3)).astype(np.float32))
    want = np.tile(dense.get_weights()[0].numpy()[:, 0], (4, 1))
    for form in (lambda t: t, lambda t: {"grad_x": t}, lambda t: [t]):
        g = tn.grad(lambda t: tn.sum(m.predict(form(t))))(data)
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-6)


def test_two_input_model_applied_to_one_tensor_gives_a_clear_error():
    """Applying a two-input model to a single [null,3] tensor must raise a ValueError
    saying it expects 2 inputs and received 1; today the tensor's shape (None, 3) is
    read as two shapes and the error is "TypeError: 'NoneType' object is not
    iterable". The model must record no node."""
    a, b = tn.input(shape=[3]), tn.input(shape=[3])
    m = tn.model(inputs=[a, b], outputs=tn.layers.add().apply([a, b]))
    nodes = len(m.inbound_nodes)
    with pytest.raises(ValueError, match="2 inputs"):
        m.apply(tn.input(shape=[3]))
    assert len(m.inbound_nodes) == nodes


def test_metrics_dict_with_a_bad_entry_names_the_argument():
    """A metrics dict whose entry is neither a metric nor a list of them must get
    compile's own error naming 'metrics' and the output, as every other bad compile
    argument does, and leave the model uncompiled."""
    x = tn.input(shape=[3])
    m = tn.model(inputs=x, outputs=[tn.layers.dense(units=2, name="m_o1").apply(x),
                                    tn.layers.dense(units=1, name="m_o2").apply(x)])
    with pytest.raises(TypeError, match="metrics"):
        m.compile(optimizer="sgd", loss="meanSquaredError", metrics={"m_o1": 3})
    assert m.optimizer is None


def test_summary_print_fn_is_checked():
    """summary's print_fn must be callable; a TypeError must name 'print_fn' and what
    was received, as the other arguments' errors do."""
    x = tn.input(shape=[3])
    m = tn.model(inputs=x, outputs=tn.layers.dense(units=1).apply(x))
    with pytest.raises(TypeError, match="print_fn"):
        m.summary(print_fn=3)
