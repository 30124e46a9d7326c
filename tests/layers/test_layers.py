"""Layers: forward against numpy, gradients against torch (nn.Linear, BatchNorm, LayerNorm)
or finite differences, names and weights as TF.js makes them, config round trips, output
shapes and error messages."""
import re

import numpy as np
import pytest

import treino as tn
from treino import layers as L
from treino.core import ops as core_ops

try:
    import torch
except ImportError:  # only the torch comparisons skip; numpy checks still run
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
rng = np.random.default_rng(11)


def f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


def _vjp(fn, inputs, cot):
    """Gradients of sum(fn(*inputs) * cot) w.r.t. each input (treino)."""
    return [g.numpy() for g in tn.grads(lambda *xs: tn.sum(fn(*xs) * tn.tensor(cot)))(
        [tn.tensor(x) for x in inputs])]


def _counter(name):
    return int(re.search(r"(\d+)$", name).group(1))


# --- Dense ---------------------------------------------------------------------------
TORCH_ACT = {"relu": lambda t: torch.relu(t), "tanh": lambda t: torch.tanh(t),
             "sigmoid": lambda t: torch.sigmoid(t), "softmax": lambda t: torch.softmax(t, -1),
             None: lambda t: t, "hard_sigmoid": lambda t: torch.clamp(0.2 * t + 0.5, 0, 1),
             "elu": lambda t: torch.nn.functional.elu(t),
             "softplus": lambda t: torch.nn.functional.softplus(t)}


@needs_torch
@pytest.mark.parametrize("act", list(TORCH_ACT))
def test_dense_forward_and_gradients_vs_torch(act):
    layer = L.dense(4, activation=act, input_shape=[3])
    layer.build_for((None, 3))
    x = f32(5, 3)
    k, b = layer.kernel.val.numpy(), f32(4)  # a non-zero bias, so its effect shows
    layer.set_weights([k, b])
    lin = torch.nn.Linear(3, 4)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(k.T))
        lin.bias.copy_(torch.tensor(b))
    xt = torch.tensor(x, requires_grad=True)
    yt = TORCH_ACT[act](lin(xt))
    y = layer(tn.tensor(x))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    cot = f32(5, 4)
    (yt * torch.tensor(cot)).sum().backward()
    out = tn.variable_grads(lambda: tn.sum(layer(tn.tensor(x)) * tn.tensor(cot)))
    np.testing.assert_allclose(out["grads"][layer.kernel.val.name].numpy(),
                               lin.weight.grad.numpy().T, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out["grads"][layer.bias.val.name].numpy(), lin.bias.grad.numpy(),
                               rtol=1e-4, atol=1e-5)
    gx = tn.grad(lambda t: tn.sum(layer(t) * tn.tensor(cot)))(tn.tensor(x)).numpy()
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_dense_is_one_fused_op_when_the_activation_fuses(monkeypatch):
    calls = []
    real = core_ops.dense
    monkeypatch.setattr(core_ops, "dense", lambda *a: calls.append(a[3]) or real(*a))
    relu = L.dense(3, activation="relu")
    soft = L.dense(3, activation="softmax")
    x = tn.tensor(f32(2, 4))
    relu(x)
    y = soft(x)
    # softmax: one node too (the linear kernel, then the softmax kernel), bit for bit the
    # two ops it replaces
    assert calls == ["relu", "softmax"]
    two = tn.softmax(real(x, soft.kernel.val, soft.bias.val, "linear"))
    np.testing.assert_array_equal(y.numpy(), two.numpy())
    np.testing.assert_allclose(soft.call_logits(x).numpy(),
                               x.numpy() @ soft.kernel.val.numpy() + soft.bias.val.numpy(),
                               rtol=1e-5)


def test_dense_rank3_input_applies_to_last_axis():
    layer = L.dense(2, use_bias=False)
    x = f32(2, 5, 3)
    y = layer(tn.tensor(x))
    assert y.shape == (2, 5, 2) and len(layer.weights) == 1
    np.testing.assert_allclose(y.numpy(), x @ layer.kernel.val.numpy(), rtol=1e-5)
    assert layer.compute_output_shape((None, 5, 3)) == (None, 5, 2)
    cot = f32(2, 5, 2)
    gx, = _vjp(layer, [x], cot)
    np.testing.assert_allclose(gx, cot @ layer.kernel.val.numpy().T, rtol=1e-5)


def test_input_dim_and_batch_input_shape():
    assert L.dense(2, input_dim=5).batch_input_shape == (None, 5)
    assert L.dense(2, input_shape=[5], batch_size=8).batch_input_shape == (8, 5)
    assert L.dense(2, batch_input_shape=[None, 4]).get_config()["batch_input_shape"] == [None, 4]


def test_default_names_weights_and_trainable_flags():
    a, b = L.dense(2), L.Dense(3)
    assert re.fullmatch(r"dense_Dense\d+", a.name) and _counter(b.name) == _counter(a.name) + 1
    d1, d2 = L.dropout(0.1), L.dropout(0.2)
    assert re.fullmatch(r"dropout_Dropout\d+", d1.name) and _counter(d2.name) == _counter(d1.name) + 1
    i1, i2 = L.input_layer(input_shape=[3]), L.input_layer(batch_input_shape=[None, 3])
    assert re.fullmatch(r"input\d+", i1.name) and _counter(i2.name) == _counter(i1.name) + 1
    assert re.fullmatch(r"layer_normalization_LayerNormalization\d+", L.layer_normalization().name)
    a.build_for((None, 4))
    assert [(w.name, w.shape, w.trainable) for w in a.weights] == [
        (f"{a.name}/kernel", (4, 2), True), (f"{a.name}/bias", (2,), True)]
    bn = L.batch_normalization()
    assert re.fullmatch(r"batch_normalization_BatchNormalization\d+", bn.name)
    bn.build_for((None, 3))
    assert [(w.name.split("/")[1], w.trainable) for w in bn.weights] == [
        ("gamma", True), ("beta", True), ("moving_mean", False), ("moving_variance", False)]
    assert [w.name for w in bn.trainable_weights] == [f"{bn.name}/gamma", f"{bn.name}/beta"]
    assert a.count_params() == 10 and bn.count_params() == 12
    a.trainable = False
    assert a.trainable_weights == [] and not a.kernel.val.trainable
    named = L.dense(1, name="out")
    named.build_for((None, 2))
    assert named.weights[0].name == "out/kernel"


def test_regularizers_and_constraints_attach_to_weights():
    layer = L.dense(2, kernel_regularizer="l1l2", bias_regularizer=tn.regularizers.l2(0.5),
                    kernel_constraint="nonNeg", bias_constraint=tn.constraints.max_norm(1))
    layer.build_for((None, 3))
    k = f32(3, 2)
    layer.set_weights([k, np.array([3.0, 4.0], np.float32)])
    losses = [t.item() for t in layer.regularization_losses()]
    assert losses == pytest.approx([0.01 * np.abs(k).sum() + 0.01 * (k ** 2).sum(), 0.5 * 25],
                                   rel=1e-5)
    layer.apply_constraints()
    np.testing.assert_allclose(layer.kernel.val.numpy(), np.maximum(k, 0))
    np.testing.assert_allclose(layer.bias.val.numpy(), [0.6, 0.8], rtol=1e-5)


# --- config round trips and shapes ---------------------------------------------------
def _layers():
    return [
        L.dense(3, activation="hardSigmoid", input_shape=[4], kernel_initializer="heUniform",
                kernel_regularizer="l1l2", bias_constraint="maxNorm"),
        L.activation("gelu_new"), L.dropout(0.3, noise_shape=[None, 1], seed=5),
        L.flatten(data_format="channels_first"), L.reshape([-1, 2]),
        L.batch_normalization(momentum=0.9, epsilon=1e-4, center=False,
                              gamma_initializer=tn.initializers.constant(2.0)),
        L.layer_normalization(axis=[-2, -1], scale=False), L.input_layer(input_shape=[2, 3]),
    ]


@pytest.mark.parametrize("layer", _layers(), ids=lambda l: type(l).__name__)
def test_config_round_trip(layer):
    config = layer.get_config()
    assert config["name"] == layer.name
    renamed = dict(config, name=layer.name + "_copy")
    back = type(layer).from_config(renamed)
    assert back.get_config() == renamed


def test_dense_config_is_tfjs_form():
    c = L.dense(32, activation="relu", input_shape=[784]).get_config()
    assert {k: c[k] for k in ("units", "activation", "use_bias", "batch_input_shape")} == {
        "units": 32, "activation": "relu", "use_bias": True, "batch_input_shape": [None, 784]}
    assert c["kernel_initializer"]["class_name"] == "VarianceScaling"
    assert c["kernel_initializer"]["config"]["mode"] == "fan_avg"
    assert c["bias_initializer"] == {"class_name": "Zeros", "config": {}}
    assert c["activity_regularizer"] is None and c["kernel_constraint"] is None


def test_compute_output_shapes():
    assert L.flatten().build_for((None, 2, 3, 4)) == (None, 24)
    assert L.reshape([-1, 3]).build_for((None, 2, 6)) == (None, 4, 3)
    assert L.reshape([4, None]).build_for((None, 8)) == (None, 4, 2)
    assert L.batch_normalization().build_for((None, 5)) == (None, 5)
    assert L.activation("relu").build_for((None, 7)) == (None, 7)


# --- Dropout ---------------------------------------------------------------------------
def test_dropout_statistics_and_gradient():
    layer = L.dropout(0.25)
    x = np.ones((400, 50), np.float32)
    np.testing.assert_array_equal(layer(tn.tensor(x), training=False).numpy(), x)
    y = layer(tn.tensor(x), training=True).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert (y == 0).mean() == pytest.approx(0.25, abs=0.01)
    assert y.mean() == pytest.approx(1.0, abs=0.02)  # inverted dropout keeps the mean
    tn.set_seed(1)
    g = tn.grad(lambda t: tn.sum(layer(t, training=True)))(tn.tensor(x)).numpy()
    tn.set_seed(1)
    np.testing.assert_array_equal(g, layer(tn.tensor(x), training=True).numpy())


def test_dropout_noise_shape_and_seed():
    y = L.dropout(0.5, noise_shape=[None, 1, 4])(tn.ones([6, 5, 4]), training=True).numpy()
    assert (y == y[:, :1, :]).all()  # one mask per sample, shared along axis 1
    assert not (y == y[:1]).all()
    a = L.dropout(0.5, seed=3)
    b = L.dropout(0.5, seed=3)
    x = tn.ones([8, 8])
    first = a(x, training=True).numpy()
    np.testing.assert_array_equal(first, b(x, training=True).numpy())
    assert not np.array_equal(first, a(x, training=True).numpy())  # the masks move on
    with pytest.raises(ValueError, match="noise_shape"):
        L.dropout(0.5, noise_shape=[None, 3])(tn.ones([2, 4]), training=True)


@needs_torch
def test_dropout_statistics_match_torch():
    ours = L.dropout(0.4)(tn.ones([200, 100]), training=True).numpy()
    theirs = torch.nn.functional.dropout(torch.ones(200, 100), 0.4, training=True).numpy()
    assert (ours == 0).mean() == pytest.approx((theirs == 0).mean(), abs=0.015)
    assert ours.max() == pytest.approx(theirs.max())


# --- normalization ---------------------------------------------------------------------
@needs_torch
def test_batch_normalization_vs_torch():
    x = f32(16, 5) * 3 + 1
    bn = L.batch_normalization(momentum=0.9)
    bn.build_for((None, 5))
    gamma, beta = f32(5) + 1, f32(5)
    mm, mv = bn.moving_mean.val.numpy(), bn.moving_variance.val.numpy()
    bn.set_weights([gamma, beta, mm, mv])
    tb = torch.nn.BatchNorm1d(5, eps=1e-3, momentum=1 - 0.9)
    with torch.no_grad():
        tb.weight.copy_(torch.tensor(gamma))
        tb.bias.copy_(torch.tensor(beta))
    xt = torch.tensor(x, requires_grad=True)
    yt = tb(xt)
    cot = f32(16, 5)
    (yt * torch.tensor(cot)).sum().backward()
    out = tn.variable_grads(lambda: tn.sum(bn(tn.tensor(x), training=True) * tn.tensor(cot)))
    bn.set_weights([gamma, beta, mm, mv])
    y = bn(tn.tensor(x), training=True)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out["grads"][bn.gamma.val.name].numpy(), tb.weight.grad.numpy(),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["grads"][bn.beta.val.name].numpy(), tb.bias.grad.numpy(),
                               rtol=1e-4, atol=1e-4)
    gx = tn.grad(lambda t: tn.sum(bn(t, training=True) * tn.tensor(cot)))(tn.tensor(x)).numpy()
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-3, atol=1e-4)
    # Moving statistics: one update per training call; torch keeps the unbiased
    # variance, TF.js the biased one.
    bn.set_weights([gamma, beta, mm, mv])
    bn(tn.tensor(x), training=True)
    np.testing.assert_allclose(bn.moving_mean.val.numpy(), tb.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.val.numpy(), 0.9 * mv + 0.1 * x.var(0),
                               rtol=1e-5)
    assert not np.allclose(x.var(0), x.var(0, ddof=1))
    # Inference uses the moving statistics.
    m, v = bn.moving_mean.val.numpy(), bn.moving_variance.val.numpy()
    y = bn(tn.tensor(x)).numpy()
    np.testing.assert_allclose(y, (x - m) / np.sqrt(v + 1e-3) * gamma + beta, rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.val.numpy(), m)  # untouched by inference


def _fd(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


def test_batch_normalization_gradients_vs_finite_differences():
    x, cot = f32(6, 3).astype(np.float64), f32(6, 3).astype(np.float64)
    gamma, beta = f32(3).astype(np.float64) + 1.5, f32(3).astype(np.float64)

    def ref(x, gamma, beta):
        return (((x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) * gamma + beta) * cot).sum()
    bn = L.batch_normalization()
    bn.build_for((None, 3))
    bn.set_weights([gamma.astype(np.float32), beta.astype(np.float32)] + bn.get_weights()[2:])
    out = tn.variable_grads(lambda: tn.sum(bn(tn.tensor(x), training=True) * tn.tensor(cot)))
    np.testing.assert_allclose(out["value"].item(), ref(x, gamma, beta), rtol=1e-5)
    np.testing.assert_allclose(out["grads"][bn.gamma.val.name].numpy(),
                               _fd(lambda g: ref(x, g, beta), gamma), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out["grads"][bn.beta.val.name].numpy(),
                               _fd(lambda b: ref(x, gamma, b), beta), rtol=1e-4, atol=1e-5)
    gx = tn.grad(lambda t: tn.sum(bn(t, training=True) * tn.tensor(cot)))(tn.tensor(x)).numpy()
    np.testing.assert_allclose(gx, _fd(lambda v: ref(v, gamma, beta), x), rtol=1e-3, atol=1e-4)


@needs_torch
def test_batch_normalization_channels_first_vs_torch():
    x = f32(4, 3, 2, 2)
    bn = L.batch_normalization(axis=1)
    y = bn(tn.tensor(x), training=True).numpy()
    tb = torch.nn.BatchNorm2d(3, eps=1e-3, momentum=0.01)
    np.testing.assert_allclose(y, tb(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.val.numpy(), tb.running_mean.numpy(), rtol=1e-5)
    assert bn.gamma.shape == (3,)


@needs_torch
@pytest.mark.parametrize("axis,shape", [(-1, (6, 5)), ([-2, -1], (3, 4, 5))])
def test_layer_normalization_vs_torch(axis, shape):
    x = f32(*shape) * 2 + 0.5
    ln = L.layer_normalization(axis=axis)
    ln.build_for((None,) + shape[1:])
    norm_shape = ln.gamma.shape
    gamma, beta = f32(*norm_shape) + 1, f32(*norm_shape)
    ln.set_weights([gamma, beta])
    tl = torch.nn.LayerNorm(norm_shape, eps=1e-3)
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(gamma))
        tl.bias.copy_(torch.tensor(beta))
    xt = torch.tensor(x, requires_grad=True)
    yt = tl(xt)
    cot = f32(*shape)
    (yt * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(ln(tn.tensor(x)).numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    out = tn.variable_grads(lambda: tn.sum(ln(tn.tensor(x)) * tn.tensor(cot)))
    np.testing.assert_allclose(out["grads"][ln.gamma.val.name].numpy(), tl.weight.grad.numpy(),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["grads"][ln.beta.val.name].numpy(), tl.bias.grad.numpy(),
                               rtol=1e-4, atol=1e-4)
    gx, = _vjp(ln, [x], cot)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-3, atol=1e-4)


def test_layer_normalization_middle_axis_vs_numpy():
    x = f32(2, 4, 3)
    ln = L.layer_normalization(axis=1, center=False)
    y = ln(tn.tensor(x)).numpy()
    m, v = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(y, (x - m) / np.sqrt(v + 1e-3), rtol=1e-4, atol=1e-5)


# --- the rest ------------------------------------------------------------------------
def test_flatten_reshape_activation_input_forward():
    x = f32(2, 3, 4)
    np.testing.assert_array_equal(L.flatten()(tn.tensor(x)).numpy(), x.reshape(2, 12))
    np.testing.assert_array_equal(L.flatten(data_format="channelsFirst")(tn.tensor(x)).numpy(),
                                  x.transpose(0, 2, 1).reshape(2, 12))
    np.testing.assert_array_equal(L.reshape([4, -1])(tn.tensor(x)).numpy(), x.reshape(2, 4, 3))
    np.testing.assert_allclose(L.activation("relu6")(tn.tensor(x * 5)).numpy(),
                               np.clip(x * 5, 0, 6))
    inp = L.input_layer(input_shape=[3, 4])
    assert inp(tn.tensor(x)) is not None and inp.weights == [] and not inp.trainable
    assert inp.get_config()["batch_input_shape"] == [None, 3, 4]
    with pytest.raises(ValueError, match=rf"{inp.name}: expected shape \[null,3,4\], but got shape \[2,4,3\]"):
        inp(tn.ones([2, 4, 3]))
    assert L.input_layer(batch_input_shape=[8, 3, 4])(tn.tensor(x)).shape == (2, 3, 4)
    gx, = _vjp(L.reshape([12]), [x], f32(2, 12))
    assert gx.shape == (2, 3, 4)


def test_bad_arguments_raise_clear_errors():
    for units, error in ((0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError),
                         ("8", TypeError)):
        with pytest.raises(error, match=r"Dense: argument 'units' must be a positive int"):
            L.dense(units)
    for rate, error in ((1, ValueError), (1.5, ValueError), (-0.1, ValueError),
                        ("0.5", TypeError)):
        with pytest.raises(error, match=r"Dropout: argument 'rate' must be a finite number in \[0, 1\)"):
            L.dropout(rate)
    with pytest.raises(ValueError, match="Dense: argument 'activation': unknown activation 'rellu'.*relu6.*softmax"):
        L.dense(2, activation="rellu")
    with pytest.raises(ValueError, match="unknown initializer 'glorot'.*glorotNormal"):
        L.dense(2, kernel_initializer="glorot")
    with pytest.raises(ValueError, match="give one of 'input_shape', 'input_dim' and 'batch_input_shape'"):
        L.input_layer(input_shape=[2], batch_input_shape=[None, 2])
    with pytest.raises(ValueError, match="target_shape"):
        L.reshape([-1, -1])
    with pytest.raises(ValueError, match="momentum"):
        L.batch_normalization(momentum=1.5)


def test_wrong_input_shapes_name_the_layer():
    d = L.dense(2, input_shape=[3])
    d(tn.ones([4, 3]))
    msg = rf"incompatible with layer {d.name}: expected axis -1 of input shape to have value 3, but got shape \[4,5\]"
    with pytest.raises(ValueError, match=msg):
        d(tn.ones([4, 5]))
    d1 = L.dense(2)
    with pytest.raises(ValueError, match=rf"{d1.name}: expected min_ndim=2, found ndim=1"):
        d1(tn.ones([3]))
    r = L.reshape([4, 4])
    with pytest.raises(ValueError, match=rf"{r.name}.*shape \[3,5\] \(15 values\).*\[4,4\]"):
        r(tn.ones([2, 3, 5]))
    bn = L.batch_normalization()
    bn(tn.ones([2, 3]))
    with pytest.raises(ValueError, match=rf"{bn.name}: expected an input of rank 2 with shape \[null,3\], but got shape \[2,3,1\]"):
        bn(tn.ones([2, 3, 1]))
    with pytest.raises(ValueError, match=rf"{bn.name}.*shape \[2,4\]"):
        bn(tn.ones([2, 4]))
    f = L.flatten()
    with pytest.raises(ValueError, match=rf"{f.name}.*min_ndim=3, found ndim=2"):
        f(tn.ones([2, 3]))
    with pytest.raises(ValueError, match="not fully defined"):
        L.flatten().build_for((None, None, 3))
