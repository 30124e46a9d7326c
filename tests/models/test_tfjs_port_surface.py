"""Small pieces of TF.js's model and layer surface that ported programs call: toJSON's
ignored first argument, a snake_case ModelJSON, getClassName, invokeCallHook, dispose."""
import json

import pytest

import treino as tn


def _model():
    return tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[3], name="d")])


def test_to_json_takes_tfjs_arguments():
    m = _model()
    as_dict = m.to_json(None, False)  # TF.js: model.toJSON(null, false)
    assert isinstance(as_dict, dict) and as_dict == json.loads(m.to_json())
    assert m.to_json(False) == as_dict and m.to_json(return_string=False) == as_dict
    assert isinstance(m.to_json(None), str)
    with pytest.raises(TypeError, match=r"to_json: argument 'return_string' must be True or "
                                        r"False, received 'no'"):
        m.to_json(None, "no")
    back = tn.models.model_from_json({"model_topology": as_dict})  # {modelTopology} in snake
    assert back.get_config() == m.get_config()


def test_class_name_call_hook_and_dispose():
    m = _model()
    layer = m.get_layer("d")
    assert (layer.get_class_name(), m.get_class_name()) == ("Dense", "Sequential")
    assert layer.invoke_call_hook(tn.ones([1, 3]), {}) is None
    r = m.dispose()
    assert r.num_disposed_variables == 2 and r["refCountAfterDispose"] == 0
    assert all(w.val.is_disposed for w in m.weights)


def test_a_nested_model_takes_inputs_of_another_rank_its_layers_accept():
    """ACGAN's generator: a Sequential built for [5] applied to a [null, 1, 5] tensor. Only
    the outer model's inputs are checked (TF.js's checkInputData), not the nested one's."""
    import numpy as np
    inner = tn.sequential(layers=[tn.layers.dense(units=4, input_shape=[5])])
    x = tn.input(shape=[1, 5])
    m = tn.model(inputs=x, outputs=inner.apply(x))
    xs = np.random.default_rng(0).normal(size=(3, 1, 5)).astype(np.float32)
    k, b = inner.get_weights()
    np.testing.assert_allclose(m.predict(xs).numpy(), xs @ k.numpy() + b.numpy(), rtol=1e-6)
    m.compile(optimizer="sgd", loss="meanSquaredError")
    assert np.isfinite(m.fit(xs, np.zeros((3, 1, 4), np.float32), verbose=0).history["loss"][0])
    with pytest.raises(ValueError, match=r"predict: argument 'x' must have shape \[null,1,5\]"):
        m.predict(np.ones((3, 5), np.float32))


@pytest.mark.parametrize("eager", [False, True])
def test_trainable_follows_tfjs_the_gan_recipe(eager):
    """TF.js 4.22's semantics, checked in node: a model's trainable flag freezes its own
    layers' weights (not a nested model's), compile fixes the weights a step may train
    (collectedTrainableWeights) and a step skips those frozen since. ACGAN compiles the
    discriminator, freezes it and builds the combined model: the discriminator's own
    steps still train its nested feature extractor, the combined model only the
    generator."""
    import numpy as np
    tn.set_seed(0)
    cnn = tn.sequential(layers=[tn.layers.dense(units=3, input_shape=[4])])
    inp = tn.input(shape=[4])
    d = tn.model(inputs=inp, outputs=tn.layers.dense(units=1, activation="sigmoid").apply(
        cnn.apply(inp)))
    d.compile(optimizer=tn.train.sgd(0.5), loss="binaryCrossentropy", run_eagerly=eager)
    d.trainable = False
    assert (cnn.trainable, len(d.trainable_weights), len(cnn.trainable_weights)) == (True, 0, 2)
    x, y = tn.ones([2, 4]), tn.ones([2, 1])
    before = [w.numpy().copy() for w in d.get_weights()]
    d.train_on_batch(x, y)
    changed = [not np.array_equal(b, a.numpy()) for b, a in zip(before, d.get_weights())]
    assert changed == [True, True, False, False]  # cnn kernel and bias; the head is frozen
    g_in = tn.input(shape=[4])
    combined = tn.model(inputs=g_in, outputs=d.apply(tn.layers.dense(units=4).apply(g_in)))
    combined.compile(optimizer=tn.train.sgd(0.5), loss="binaryCrossentropy", run_eagerly=eager)
    assert len(combined.trainable_weights) == 2  # the generator's only
    before = [w.numpy().copy() for w in d.get_weights()]
    combined.train_on_batch(x, y)
    assert all(np.array_equal(b, a.numpy()) for b, a in zip(before, d.get_weights()))
    # Unfrozen after compile: trained only after the next compile, as in TF.js.
    m = tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[3])])
    m.trainable = False
    m.compile(optimizer=tn.train.sgd(0.5), loss="meanSquaredError", run_eagerly=eager)
    m.trainable = True
    w0 = m.get_weights()[0].numpy().copy()
    m.train_on_batch(tn.ones([2, 3]), tn.ones([2, 2]))
    assert np.array_equal(w0, m.get_weights()[0].numpy())
    m.compile(optimizer=tn.train.sgd(0.5), loss="meanSquaredError", run_eagerly=eager)
    m.train_on_batch(tn.ones([2, 3]), tn.ones([2, 2]))
    assert not np.array_equal(w0, m.get_weights()[0].numpy())


@pytest.mark.parametrize("call, snake", [
    (lambda: tn.layers.embedding(inputDim=3, outputDim=2), "input_dim= for inputDim="),
    (lambda: tn.layers.lstm(units=3, returnSequences=True), "return_sequences= for returnSequences="),
    (lambda: tn.layers.dense(units=2, inputShape=[3]), "input_shape= for inputShape="),
    (lambda: tn.input(batchShape=[None, 3]), "batch_shape= for batchShape="),
    (lambda: tn.train.adam(learningRate=0.1), "learning_rate= for learningRate="),
    (lambda: _model().compile(optimizer="sgd", loss="meanSquaredError", runEagerly=True),
     "run_eagerly= for runEagerly="),
])
def test_camel_case_keywords_get_the_snake_case_names(call, snake):
    with pytest.raises(TypeError, match=r"treino's keyword arguments are snake_case: " + snake):
        call()


def test_fit_with_camel_case_keywords_says_the_names_and_trains_nothing():
    import numpy as np
    m = _model()
    m.compile(optimizer="sgd", loss="meanSquaredError")
    before = [w.numpy().copy() for w in m.get_weights()]
    with pytest.raises(TypeError, match=r"batch_size= for batchSize=, validation_split= for "
                                        r"validationSplit="):
        m.fit(np.ones((4, 3)), np.ones((4, 2)), batchSize=2, validationSplit=0.5)
    assert all(np.array_equal(b, a.numpy()) for b, a in zip(before, m.get_weights()))
    # the LSTM's accepted-argument list names each argument once
    with pytest.raises(TypeError) as info:
        tn.layers.lstm(units=3, bogus=1)
    listed = str(info.value).split("accepted arguments: ")[1].split(" (")[0].split(", ")
    assert len(listed) == len(set(listed)) and "return_sequences" in listed


def test_unfreezing_a_layer_undoes_a_model_freeze_as_tfjs():
    """TF.js's layer setter sets its weights' flags: fine-tuning unfreezes layers of a
    frozen base (checked in node: b2's kernel and bias train, with the head)."""
    x = tn.input(shape=[4])
    h1, h2 = tn.layers.dense(units=3, name="b1"), tn.layers.dense(units=3, name="b2")
    base = tn.model(inputs=x, outputs=h2.apply(h1.apply(x)))
    base.trainable = False
    full = tn.model(inputs=base.inputs, outputs=tn.layers.dense(units=1, name="head").apply(
        base.outputs[0]))
    h2.trainable = True
    full.compile(optimizer="sgd", loss="meanSquaredError")
    assert [w.name for w in full.trainable_weights] == ["b2/kernel", "b2/bias", "head/kernel",
                                                        "head/bias"]


def test_a_tfjs_style_layer_keeps_its_own_config_keys_and_gets_the_mask():
    import numpy as np
    seen = {}

    class Scale(tn.layers.Layer):
        class_name = "ScaleTfjsStyle"

        def __init__(self, config):
            super().__init__(config)  # TF.js's Layer ignores 'factor'
            self.factor = config["factor"]

        def call(self, inputs, kwargs):
            seen["mask"] = kwargs.get("mask")
            return tn.mul(inputs, self.factor)

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}
    layer = Scale({"factor": 3.0, "name": "sc"})
    back = Scale.from_config(layer.get_config())
    assert (back.name, back.factor) == ("sc", 3.0)
    m = tn.sequential(layers=[
        tn.layers.embedding(input_dim=5, output_dim=2, mask_zero=True, input_length=3),
        Scale({"factor": 2.0})])
    out = m.predict(tn.tensor([[1, 2, 0]], dtype="int32"))
    assert out.shape == (1, 3, 2)
    np.testing.assert_array_equal(seen["mask"].numpy(), [[True, True, False]])


@pytest.mark.parametrize("eager", [False, True])
def test_add_loss_terms_join_the_training_loss(eager):
    """TF.js's Layer.addLoss(fn): fn() is added to the training loss at every step (not in
    evaluate); the replayed step computes it anew from the current weights."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)

    def make(with_loss):
        tn.set_seed(4)
        m = tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[3], name="d")])
        if with_loss:
            k = m.get_layer("d").kernel.val
            m.get_layer("d").add_loss(lambda: tn.mul(tn.sum(tn.square(k)), 0.5))
        m.compile(optimizer="sgd", loss="meanSquaredError", run_eagerly=eager)
        return m
    m, plain = make(True), make(False)
    k0 = m.get_layer("d").kernel.val.numpy().copy()
    data_loss = plain.evaluate(x, y, batch_size=16).item()
    assert m.evaluate(x, y, batch_size=16).item() == pytest.approx(data_loss)  # no term
    hist = m.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert hist.history["loss"][0] == pytest.approx(data_loss + 0.5 * (k0 ** 2).sum(), rel=1e-5)
    plain.fit(x, y, batch_size=16, epochs=3, verbose=0)
    # the term's gradient (the kernel itself) shrinks the kernel more than the data alone
    assert np.abs(m.get_layer("d").kernel.val.numpy()).sum() < \
        np.abs(plain.get_layer("d").kernel.val.numpy()).sum()
    with pytest.raises(TypeError, match=r"add_loss: argument 'losses' must be a function"):
        m.get_layer("d").add_loss(3.0)


def test_add_loss_replays_like_the_tape():
    import numpy as np
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 3)).astype(np.float32)
    y = rng.normal(size=(20, 2)).astype(np.float32)
    runs = []
    for eager in (False, True):
        tn.set_seed(4)
        m = tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[3], name="d")])
        k = m.get_layer("d").kernel.val
        m.get_layer("d").add_loss([lambda: tn.mean(tn.abs(k)), lambda: tn.sum(k)])
        m.compile(optimizer="adam", loss="meanSquaredError", run_eagerly=eager)
        h = m.fit(x, y, batch_size=8, epochs=2, verbose=0)
        runs.append((h.history, [w.numpy() for w in m.get_weights()], m))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)
    assert runs[0][2]._programs and all(runs[0][2]._programs.values())  # replayed
