"""The functional API: tn.input, layer.apply on symbolic tensors, tn.model, nested models,
shared layers, the graph's order and errors, and the model/layer surface TF.js has
(layers, get_layer, inputs, outputs, names, input/output shapes). Values are checked
against plain numpy forward passes."""
import numpy as np
import pytest

import treino as tn
from treino.layers.topology import SymbolicTensor

RNG = np.random.default_rng(11)


def _np_dense(x, layer, act=lambda z: z):
    k, b = (w.numpy() for w in layer.get_weights())
    return act(x.astype(np.float64) @ k.astype(np.float64) + b)


def test_input_gives_a_symbolic_tensor():
    x = tn.input(shape=[4, 3], name="pixels")
    assert isinstance(x, SymbolicTensor)
    assert x.shape == (None, 4, 3) and x.dtype == "float32" and x.rank == 3
    assert x.name == "pixels" and x.source_layer.class_name == "InputLayer"
    y = tn.input(batch_shape=[None, 2], dtype="int32")
    assert y.shape == (None, 2) and y.dtype == "int32"
    for bad in (lambda: x.numpy(), lambda: float(x), lambda: np.asarray(x)):
        with pytest.raises(TypeError, match="symbolic tensor"):
            bad()
    with pytest.raises(ValueError, match="shape"):
        tn.input()
    with pytest.raises(ValueError, match="not both"):
        tn.input(shape=[2], batch_shape=[None, 2])


def test_apply_builds_the_graph_on_symbolic_and_computes_on_real_tensors():
    d = tn.layers.dense(units=3, activation="relu")
    x = tn.input(shape=[4])
    y = d.apply(x)
    assert isinstance(y, SymbolicTensor) and y.shape == (None, 3)
    assert y.source_layer is d and y.node_index == 0 and y.tensor_index == 0
    assert d.input is x and d.output is y
    assert d.input_shape == (None, 4) and d.output_shape == (None, 3)
    real = tn.tensor(RNG.normal(size=(2, 4)).astype(np.float32))
    out = d.apply(real)  # a Tensor: computed at once, no node added
    assert isinstance(out, tn.Tensor) and len(d.inbound_nodes) == 1
    np.testing.assert_allclose(out.numpy(), _np_dense(real.numpy(), d, lambda z: np.maximum(z, 0)),
                               rtol=1e-5, atol=1e-6)
    assert d(x).shape == (None, 3) and len(d.inbound_nodes) == 2  # __call__ is apply
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        d.input
    with pytest.raises(ValueError, match="all symbolic tensors .* or all Tensors"):
        tn.layers.dense(units=2).apply([x, real])


def _two_branch():
    """a [4] -> pa(3) -> shared(5 relu); b [3] -> shared; out1 = dense(2, softmax) of
    pa's branch, out2 = dense(1) of b's branch."""
    a = tn.input(shape=[4], name="a")
    b = tn.input(shape=[3], name="b")
    shared = tn.layers.dense(units=5, activation="relu", name="shared")
    pa = tn.layers.dense(units=3, name="pa")
    ha = shared.apply(pa.apply(a))
    hb = shared.apply(b)
    out1 = tn.layers.dense(units=2, activation="softmax", name="out1").apply(ha)
    out2 = tn.layers.dense(units=1, name="out2").apply(hb)
    return tn.model(inputs=[a, b], outputs=[out1, out2], name="two")


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_a_two_input_two_output_model_computes_its_graph():
    m = _two_branch()
    A = RNG.normal(size=(6, 4)).astype(np.float32)
    B = RNG.normal(size=(6, 3)).astype(np.float32)
    relu = lambda z: np.maximum(z, 0)  # noqa: E731
    g = m.get_layer
    want1 = _softmax(_np_dense(_np_dense(_np_dense(A, g("pa")), g("shared"), relu), g("out1")))
    want2 = _np_dense(_np_dense(B, g("shared"), relu), g("out2"))
    for got in (m.predict([A, B]), m.predict({"a": A, "b": B}),
                m([tn.tensor(A), tn.tensor(B)])):
        np.testing.assert_allclose(got[0].numpy(), want1, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[1].numpy(), want2, rtol=1e-5, atol=1e-5)
    # TF.js's order (tfjs 4.22 prints a, pa, b, shared, out1, out2 for this graph).
    assert [l.name for l in m.layers] == ["a", "pa", "b", "shared", "out1", "out2"]
    assert m.input_names == ["a", "b"] and m.output_names == ["out1", "out2"]
    assert [l.name for l in m.input_layers] == ["a", "b"]
    assert [l.name for l in m.output_layers] == ["out1", "out2"]
    assert m.get_layer(index=1).name == "pa"
    # The shared layer's weights exist once.
    names = [w.name for w in m.weights]
    assert len(names) == len(set(names)) == 8
    assert m.count_params() == 15 + 20 + 12 + 6


def test_get_layer_and_shape_errors():
    m = _two_branch()
    with pytest.raises(ValueError, match="no such layer"):
        m.get_layer("nope")
    with pytest.raises(ValueError, match="only has 6 layers"):
        m.get_layer(index=6)
    with pytest.raises(TypeError, match="index"):
        m.get_layer(index="1")
    shared = m.get_layer("shared")
    assert shared.input_shape == (None, 3)  # both calls got [null,3]: well defined
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        shared.output
    act = tn.layers.activation(activation="relu")
    act.apply(tn.input(shape=[4]))
    act.apply(tn.input(shape=[3]))
    with pytest.raises(AttributeError, match="different input shapes"):
        act.input_shape
    with pytest.raises(AttributeError, match="different output shapes"):
        act.output_shape
    assert act.get_output_at(1).shape == (None, 3)
    with pytest.raises(ValueError, match="only 2 inbound nodes"):
        act.get_input_at(2)


def test_graph_errors():
    a = tn.input(shape=[3])
    b = tn.input(shape=[3])
    y = tn.layers.dense(units=2).apply(b)
    with pytest.raises(ValueError, match="Graph disconnected"):
        tn.model(inputs=a, outputs=y)
    h = tn.layers.dense(units=2).apply(a)
    with pytest.raises(TypeError, match="must come from tn.input"):
        tn.model(inputs=h, outputs=tn.layers.dense(units=1).apply(h))
    with pytest.raises(ValueError, match="redundant"):
        tn.model(inputs=[a, a], outputs=h)
    same1 = tn.layers.dense(units=2, name="dup").apply(a)
    same2 = tn.layers.dense(units=2, name="dup").apply(same1)
    with pytest.raises(ValueError, match="used 2 times"):
        tn.model(inputs=a, outputs=same2)
    with pytest.raises(TypeError, match="symbolic"):
        tn.model(inputs=a, outputs=tn.tensor([1.0]))
    with pytest.raises(ValueError, match="needs both"):
        tn.model(inputs=a)


def test_nested_models_and_sequential_inside_functional():
    inner = tn.sequential([tn.layers.dense(units=4, input_shape=[3], activation="tanh",
                                           name="d1"),
                           tn.layers.dense(units=2, name="d2")])
    x = tn.input(shape=[3], name="x")
    y = inner.apply(x)
    z = tn.layers.dense(units=1, name="z").apply(y)
    outer = tn.model(inputs=x, outputs=z, name="outer")
    assert [l.name for l in outer.layers] == ["x", inner.name, "z"]
    X = RNG.normal(size=(5, 3)).astype(np.float32)
    want = _np_dense(_np_dense(_np_dense(X, inner.get_layer("d1"), np.tanh),
                               inner.get_layer("d2")), outer.get_layer("z"))
    np.testing.assert_allclose(outer.predict(X).numpy(), want, rtol=1e-5, atol=1e-5)
    assert outer.count_params() == 16 + 10 + 3
    assert y.node_index == 1  # a model's own node 0 links its inputs to its outputs
    # Training the outer model trains the nested one's weights (one set of weights).
    outer.compile(optimizer=tn.train.sgd(0.1), loss="meanSquaredError")
    before = inner.get_weights()
    outer.fit(X, np.ones((5, 1), np.float32), epochs=2, verbose=0)
    assert not np.allclose(before[0], inner.get_weights()[0])
    # Freezing the nested model freezes its layers in the outer one.
    inner.trainable = False
    assert len(outer.trainable_weights) == 2
    frozen = inner.get_weights()
    outer.compile(optimizer=tn.train.sgd(0.1), loss="meanSquaredError")
    outer.fit(X, np.ones((5, 1), np.float32), epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, inner.get_weights()))


def test_sequential_is_a_functional_graph():
    m = tn.sequential([tn.layers.dense(units=3, input_shape=[2], name="s1"),
                       tn.layers.dense(units=1, name="s2")])
    assert isinstance(m, tn.LayersModel)
    assert m.inputs[0].shape == (None, 2) and m.outputs[0].shape == (None, 1)
    assert m.input_names == ["s1_input"] and m.output_names == ["s2"]
    assert [l.name for l in m.layers] == ["s1", "s2"]  # the made input layer is not listed
    m.pop()
    assert m.output_names == ["s1"] and m.outputs[0].shape == (None, 3)
    with pytest.raises(ValueError, match="single output tensor"):
        class Two(tn.layers.Layer):
            def call(self, x, training=False):
                return [x, x]

            def compute_output_shape(self, s):
                return [s, s]
        m.add(Two())


def test_the_same_functional_and_sequential_stack_train_identically():
    X = RNG.normal(size=(30, 5)).astype(np.float32)
    Y = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, 30)]

    def seq():
        return tn.sequential([tn.layers.dense(units=6, activation="relu", input_shape=[5]),
                              tn.layers.dense(units=3, activation="softmax")])

    def fun():
        x = tn.input(shape=[5])
        h = tn.layers.dense(units=6, activation="relu").apply(x)
        return tn.model(inputs=x, outputs=tn.layers.dense(units=3, activation="softmax").apply(h))
    runs = []
    for make in (seq, fun):
        m = make()
        m.set_weights([np.full(w.shape, 0.1, np.float32) * (i + 1)
                       for i, w in enumerate(m.weights)])
        m.compile(optimizer=tn.train.adam(0.01), loss="categoricalCrossentropy",
                  metrics=["acc"])
        assert m._compiled.fused  # softmax cross-entropy from the logits in both
        h = m.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
        runs.append((m.get_weights(), h.history))
    assert runs[0][1] == runs[1][1]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][0], runs[1][0]))


def test_layer_called_with_training_kwarg_keeps_it():
    x = tn.input(shape=[50])
    y = tn.layers.dropout(rate=0.5).apply(x, {"training": True})
    assert y.node.kwargs == {"training": True}
    m = tn.model(inputs=x, outputs=y)
    out = m.predict(np.ones((4, 50), np.float32)).numpy()
    assert (out == 0).any()  # dropout active even when predicting


def test_model_trainable_false_freezes_every_layer():
    """As TF.js 4.22 (checked in node): the layers' weights freeze, the layers' own flags
    stay, and the frozen model's weights are listed as non-trainable, in layer order."""
    m = _two_branch()
    order = [w.name for w in m.weights]
    m.trainable = False
    assert m.trainable_weights == [] and all(not l.trainable_weights for l in m.layers)
    assert all(l.trainable for l in m.layers if l.weights) and [w.name for w in m.weights] == order
    m.trainable = True
    assert len(m.trainable_weights) == 8


# TF.js 4.22's model.summary() for the same graph (node, tests/tfjs; kept verbatim).
TFJS_SUMMARY = """\
___________________________________________________________________________________________________________________
Layer (type)               Input Shape                 Output shape             Param #     Receives inputs        
===================================================================================================================
a (InputLayer)             [[null,4]]                  [null,4]                 0                                  
___________________________________________________________________________________________________________________
pa (Dense)                 [[null,4]]                  [null,3]                 15          a[0][0]                
___________________________________________________________________________________________________________________
b (InputLayer)             [[null,3]]                  [null,3]                 0                                  
___________________________________________________________________________________________________________________
shared (Dense)             [[null,3]],[[null,3]]       [null,5]                 20          pa[0][0]               
                                                                                            b[0][0]                
___________________________________________________________________________________________________________________
cat (Concatenate)          [[null,5],[null,5]]         [null,10]                0           shared[0][0]           
                                                                                            shared[1][0]           
___________________________________________________________________________________________________________________
out1 (Dense)               [[null,10]]                 [null,2]                 22          cat[0][0]              
___________________________________________________________________________________________________________________
out2 (Dense)               [[null,5]]                  [null,1]                 6           shared[1][0]           
===================================================================================================================
Total params: 63
Trainable params: 63
Non-trainable params: 0
___________________________________________________________________________________________________________________"""

TFJS_NESTED_SUMMARY = """\
__________________________________________________________________________________________
Layer (type)                Input Shape               Output shape              Param #   
==========================================================================================
x (InputLayer)              [[null,3]]                [null,3]                  0         
__________________________________________________________________________________________
{seq} (Sequential)   [[null,3]],[[null,3]]     [null,2]                  26        
__________________________________________________________________________________________
z (Dense)                   [[null,2]]                [null,1]                  3         
==========================================================================================
Total params: 29
Trainable params: 29
Non-trainable params: 0
__________________________________________________________________________________________"""


def test_summary_is_tfjs_character_for_character():
    a = tn.input(shape=[4], name="a")
    b = tn.input(shape=[3], name="b")
    shared = tn.layers.dense(units=5, activation="relu", name="shared")
    ha = shared.apply(tn.layers.dense(units=3, name="pa").apply(a))
    hb = shared.apply(b)
    cat = tn.layers.concatenate(name="cat").apply([ha, hb])
    out1 = tn.layers.dense(units=2, activation="softmax", name="out1").apply(cat)
    out2 = tn.layers.dense(units=1, name="out2").apply(hb)
    lines = []
    tn.model(inputs=[a, b], outputs=[out1, out2]).summary(print_fn=lines.append)
    assert "\n".join(lines) == TFJS_SUMMARY
    # A nested sequential model: a sequential-like graph, printed without connections.
    seq = tn.sequential([tn.layers.dense(units=4, input_shape=[3], name="d1"),
                         tn.layers.dense(units=2, name="d2")], name="sequential_1")
    x = tn.input(shape=[3], name="x")
    z = tn.layers.dense(units=1, name="z").apply(seq.apply(x))
    lines = []
    tn.model(inputs=x, outputs=z, name="outer").summary(print_fn=lines.append)
    assert "\n".join(lines) == TFJS_NESTED_SUMMARY.format(seq="sequential_1")


class _Sampling(tn.layers.Layer):
    """A VAE's sampling layer: mean + exp(log_var / 2) * N(0, 1) noise."""

    def call(self, inputs, training=False):
        mean, log_var = inputs
        eps = tn.random_normal(list(mean.shape))
        return tn.add(mean, tn.mul(tn.exp(tn.mul(log_var, 0.5)), eps))

    def compute_output_shape(self, input_shape):
        return input_shape[0]


class _Scale(tn.layers.Layer):
    """A user's layer with a weight and a constructor option kept in its config."""

    def __init__(self, init=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.k = self.add_weight(name="k", shape=[input_shape[-1]],
                                 initializer=tn.initializers.constant(value=self.init))

    def call(self, x, training=False):
        return tn.mul(x, self.k.val)

    def get_config(self):
        return {**super().get_config(), "init": self.init}


def test_custom_layers_in_a_functional_model():
    x = tn.input(shape=[6])
    h = tn.layers.dense(units=8, activation="relu").apply(x)
    mean = tn.layers.dense(units=2, name="mean").apply(h)
    log_var = tn.layers.dense(units=2, name="log_var").apply(h)
    z = _Sampling(name="z").apply([mean, log_var])
    out = tn.layers.dense(units=6).apply(_Scale(init=0.5, name="scale").apply(z))
    vae = tn.model(inputs=x, outputs=out)
    assert z.shape == (None, 2)
    scale = vae.get_layer("scale")
    assert scale.k.name == "scale/k" and scale.get_config()["init"] == 0.5
    clone = _Scale.from_config(scale.get_config())
    assert clone.init == 0.5 and clone.name == "scale"
    with pytest.raises(TypeError, match="unknown"):
        _Scale(init=1.0, units=3)  # an option the layer does not take is refused
    X = RNG.normal(size=(32, 6)).astype(np.float32)
    vae.compile(optimizer=tn.train.adam(0.01), loss="meanSquaredError")
    tn.set_seed(1)
    h1 = vae.fit(X, X, epochs=3, batch_size=16, verbose=0).history["loss"]
    assert h1[-1] < h1[0]
    assert not np.allclose(scale.k.val.numpy(), 0.5)  # the user's weight trained


def test_add_weight_checks():
    layer = _Scale(name="s2")
    layer.build((None, 3))
    with pytest.raises(ValueError, match="duplicate weight name"):
        layer.add_weight("k", [3])
    # TF.js's positional order: addWeight(name, shape, dtype, initializer, regularizer,
    # trainable, constraint), told apart by the dtype (or None) before an initializer.
    t = layer.add_weight("t", [3], "float32")
    assert t.val.dtype == "float32" and t.trainable
    u = layer.add_weight("u", [2], None, "ones", "l2", False, "nonNeg")
    assert u.val.numpy().tolist() == [1, 1] and not u.trainable
    assert u.regularizer.l2 == 0.01 and type(u.constraint).__name__ == "NonNeg"
    i = layer.add_weight("i", [2], "int32", "zeros")
    assert i.val.dtype == "int32"
    w = layer.add_weight("w", [2, 2], "zeros")  # the Keras order
    assert w.val.numpy().tolist() == [[0, 0], [0, 0]]
    v = layer.add_weight("v2", [2], None, "l2")  # None initializer, then a regularizer
    assert v.regularizer.l2 == 0.01
    with pytest.raises(ValueError, match="unknown initializer"):
        layer.add_weight("v", [2], "nope")


class _ZeroMask(tn.layers.Layer):
    """Passes its input on and masks the time steps that are all zero (as a Masking
    layer would)."""

    def call(self, x, training=False):
        return x

    def compute_mask(self, inputs, mask=None):
        return tn.greater(tn.sum(tn.abs(inputs), -1), 0)


class _MaskedMean(tn.layers.Layer):
    """The mean over the unmasked time steps."""

    def call(self, x, training=False, mask=None):
        m = tn.expand_dims(tn.cast(mask, "float32"), -1)
        return tn.div(tn.sum(tn.mul(x, m), 1), tn.sum(m, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def compute_mask(self, inputs, mask=None):
        return None  # the mask is used up here


def _masked_model():
    x = tn.input(shape=[5, 3])
    h = _MaskedMean().apply(_ZeroMask().apply(x))
    m = tn.model(inputs=x, outputs=tn.layers.dense(units=2).apply(h))
    m.set_weights([np.full((3, 2), 0.3, np.float32), np.zeros(2, np.float32)])
    return m


def test_masks_flow_through_the_graph_and_replay_per_batch():
    X = RNG.normal(size=(12, 5, 3)).astype(np.float32)
    steps = RNG.integers(1, 6, 12)
    for i, s in enumerate(steps):
        X[i, s:] = 0  # padded sequences
    want = np.stack([X[i, :s].mean(0) for i, s in enumerate(steps)]) @ np.full((3, 2), 0.3)
    m = _masked_model()
    np.testing.assert_allclose(m.predict(X, batch_size=4).numpy(), want, rtol=1e-5, atol=1e-6)
    runs = []
    for eager in (False, True):
        m = _masked_model()
        m.compile(optimizer=tn.train.sgd(0.1), loss="meanSquaredError", run_eagerly=eager)
        h = m.fit(X, np.ones((12, 2), np.float32), batch_size=4, epochs=2, shuffle=False,
                  verbose=0)
        runs.append((m.get_weights(), h.history))
    assert runs[0][1] == runs[1][1]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][0], runs[1][0]))
    # A layer that does not support masking drops the mask it is given, as TF.js's model
    # execution does (executor.ts computes masks only for layers that support them).
    x = tn.input(shape=[5, 3])
    flat = tn.model(inputs=x, outputs=tn.layers.flatten().apply(_ZeroMask().apply(x)))
    np.testing.assert_array_equal(flat.predict(X).numpy(), X.reshape(12, 15))
    # Called directly with a mask, it still refuses it (TF.js's Layer.computeMask).
    with pytest.raises(TypeError, match="does not support masking"):
        tn.layers.flatten().compute_mask(tn.tensor(X), tn.ones([12, 5]))


def test_masks_stop_at_layers_without_masking_and_at_dot():
    """An embedding's mask meets a flatten (dropped: the dense after it sees no mask), and
    a dot of two masked sequences of different lengths (no mask out, as TF.js's Dot)."""
    m = tn.sequential(layers=[
        tn.layers.embedding(input_dim=10, output_dim=4, mask_zero=True, input_length=5),
        tn.layers.flatten(), tn.layers.dense(units=1)])
    assert m.predict(tn.tensor([[1, 2, 0, 0, 0]], dtype="int32")).shape == (1, 1)
    a, b = tn.input(shape=[6]), tn.input(shape=[5])
    ea = tn.layers.embedding(input_dim=10, output_dim=4, mask_zero=True).apply(a)
    eb = tn.layers.embedding(input_dim=10, output_dim=4, mask_zero=True).apply(b)
    dot = tn.model(inputs=[a, b], outputs=tn.layers.dot(axes=[2, 2]).apply([eb, ea]))
    out = dot.predict([tn.tensor([[1, 2, 0, 0, 0, 0]], dtype="int32"),
                       tn.tensor([[1, 2, 3, 0, 0]], dtype="int32")])
    assert out.shape == (1, 5, 6)
    assert tn.layers.dot(axes=1).compute_mask(None, [tn.ones([2, 3]), None]) is None
