"""A user's Layer subclass may write `call` three ways, and each works directly, in a
Sequential, in a functional model, in fit (captured and eager: bit-identical), inside
TimeDistributed, and as an RNN cell:
- call(inputs, training=False)  (treino's and Keras's form; **kwargs too);
- call(inputs)                   (Keras allows leaving the flag out: it is not passed);
- call(inputs, kwargs)           (TF.js's form: a dict {'training': ..., 'mask': ...})."""
import numpy as np
import pytest

import treino as tn
from treino.layers.base import call_style


class Keyword(tn.layers.Layer):
    def call(self, inputs, training=False):
        self.training_seen = training
        return tn.mul(inputs, 2.0)


class Bare(tn.layers.Layer):
    def call(self, inputs):
        return tn.mul(inputs, 2.0)


class TfjsStyle(tn.layers.Layer):
    def call(self, inputs, kwargs):
        self.training_seen = kwargs["training"]
        return tn.mul(inputs, 2.0)


class MaskOnly(tn.layers.Layer):  # a Keras-style optional mask is not TF.js's kwargs
    def call(self, inputs, mask=None):
        return tn.mul(inputs, 2.0)


FORMS = [Keyword, Bare, TfjsStyle, MaskOnly]


def test_the_forms_are_told_apart():
    assert [call_style(c) for c in FORMS] == ["keyword", "none", "dict", "none"]
    assert call_style(tn.layers.Dense) == "keyword"


@pytest.mark.parametrize("cls", FORMS)
def test_called_directly(cls):
    layer = cls()
    x = tn.tensor([[1.0, -2.0]])
    np.testing.assert_array_equal(layer(x).numpy(), [[2.0, -4.0]])
    layer(x, training=True)
    if hasattr(layer, "training_seen"):
        assert layer.training_seen is True


@pytest.mark.parametrize("cls", FORMS)
def test_trains_in_models_replayed_like_the_tape(cls):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 3)).astype(np.float32)
    y = rng.normal(size=(24, 2)).astype(np.float32)

    def fit(eager, functional):
        tn.set_seed(1)
        if functional:
            inp = tn.input(shape=[3])
            out = tn.layers.dense(units=2).apply(cls().apply(inp))
            model = tn.model(inputs=inp, outputs=out)
        else:
            model = tn.sequential(layers=[cls(input_shape=[3]), tn.layers.dense(units=2)])
        model.compile(optimizer="sgd", loss="meanSquaredError", run_eagerly=eager)
        hist = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return model, hist
    for functional in (False, True):
        (a, ha), (b, hb) = fit(False, functional), fit(True, functional)
        assert ha.history == hb.history
        for u, v in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_array_equal(u.numpy(), v.numpy())
        if hasattr(a.layers[-2], "training_seen"):
            assert a.layers[-2].training_seen is True  # fit's steps train


@pytest.mark.parametrize("cls", FORMS)
def test_inside_time_distributed(cls):
    td = tn.layers.time_distributed(layer=cls())
    x = tn.ones([2, 3, 4])
    np.testing.assert_array_equal(td(x).numpy(), np.full((2, 3, 4), 2.0, np.float32))
