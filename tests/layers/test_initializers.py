"""Initializers: TF.js 4.22's formulas (fans, limits, the truncation without variance
correction), statistics, exact values for seeded draws, reproducibility under
tn.set_seed, orthogonality, identity, lookup and serialisation."""
import math

import numpy as np
import pytest

import treino as tn
from treino import initializers as I

TRUNC_STD = 0.8796256610342398  # std of a standard normal truncated to [-2, 2]


def test_constant_initializers():
    assert (I.zeros()((2, 3)) == 0).all() and I.zeros()((2, 3)).dtype == np.float32
    assert (I.ones()((4,)) == 1).all()
    assert (I.constant(2.5)((2, 2)) == 2.5).all()
    assert I.get("ones")((3,), "int32").dtype == np.int32


@pytest.mark.parametrize("shape,fans", [
    ((7, 5), (7, 5)),
    ((3, 16, 32), (48, 96)),                 # conv1d kernel: receptive field 3
    ((3, 3, 16, 32), (144, 288)),            # conv2d kernel, channels last
    ((2, 3, 3, 4, 8), (72, 144)),
    ((10,), (math.sqrt(10), math.sqrt(10))),  # TF.js: sqrt of the size otherwise
    ((2, 2, 2, 2, 2, 2), (8, 8)),
])
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == pytest.approx(fans)


UNIFORM_PRESETS = [  # factory, scale, fan (from fan_in, fan_out)
    (I.glorot_uniform, 1.0, lambda i, o: (i + o) / 2),
    (I.he_uniform, 2.0, lambda i, o: i),
    (I.lecun_uniform, 1.0, lambda i, o: i),
]
NORMAL_PRESETS = [
    (I.glorot_normal, 1.0, lambda i, o: (i + o) / 2),
    (I.he_normal, 2.0, lambda i, o: i),
    (I.lecun_normal, 1.0, lambda i, o: i),
]


@pytest.mark.parametrize("factory,scale,fan", UNIFORM_PRESETS)
@pytest.mark.parametrize("shape", [(40, 60), (3, 3, 8, 16)])
def test_uniform_presets_exact_values(factory, scale, fan, shape):
    fan_in, fan_out = I.compute_fans(shape)
    limit = math.sqrt(3 * scale / max(1, fan(fan_in, fan_out)))
    got = factory(seed=11)(shape)
    want = np.random.default_rng(11).uniform(-limit, limit, shape).astype(np.float32)
    np.testing.assert_array_equal(got, want)
    assert np.abs(got).max() <= limit and np.abs(got).max() > 0.95 * limit


@pytest.mark.parametrize("factory,scale,fan", NORMAL_PRESETS)
def test_normal_presets_are_truncated_without_correction(factory, scale, fan):
    shape = (300, 200)
    stddev = math.sqrt(scale / fan(300.0, 200.0))
    got = factory(seed=5)(shape).astype(np.float64)
    assert np.abs(got).max() <= 2 * stddev * (1 + 1e-6)
    assert abs(got.mean()) < 0.01 * stddev
    # TF.js draws truncatedNormal(0, stddev): the sample std is 0.88 * stddev
    assert got.std() == pytest.approx(TRUNC_STD * stddev, rel=0.01)
    # Same draws as the core tn.truncated_normal with the same seed.
    want = tn.truncated_normal(shape, 0, stddev, seed=5).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_variance_scaling_modes_and_distributions():
    shape = (50, 200)
    for mode, fan in (("fanIn", 50), ("fan_out", 200), ("fanAvg", 125)):
        v = I.variance_scaling(scale=3.0, mode=mode, distribution="uniform", seed=2)(shape)
        limit = math.sqrt(3 * 3.0 / fan)
        np.testing.assert_array_equal(
            v, np.random.default_rng(2).uniform(-limit, limit, shape).astype(np.float32))
    trunc = I.variance_scaling(distribution="truncated_normal", seed=1)((400, 400))
    assert np.abs(trunc).max() <= 2 * math.sqrt(1 / 400) + 1e-6
    with pytest.raises(ValueError, match="'mode' must be one of.*fanIn"):
        I.variance_scaling(mode="fan_sideways")
    with pytest.raises(ValueError, match="'distribution'"):
        I.variance_scaling(distribution="cauchy")
    with pytest.raises(ValueError, match=r"VarianceScaling: argument 'scale' must be a finite number > 0, received -1"):
        I.variance_scaling(scale=-1)


def test_random_initializers_defaults_and_exact_values():
    u = I.random_uniform(seed=3)((1000,))
    np.testing.assert_array_equal(
        u, np.random.default_rng(3).uniform(-0.05, 0.05, (1000,)).astype(np.float32))
    n = I.random_normal(mean=1.0, stddev=2.0, seed=4)((5, 5))
    np.testing.assert_allclose(n, 1 + 2 * np.random.default_rng(4).standard_normal((5, 5)),
                               rtol=1e-6)
    t = I.truncated_normal(seed=9)((20000,)).astype(np.float64)
    assert np.abs(t).max() <= 0.1 + 1e-7
    assert t.std() == pytest.approx(0.05 * TRUNC_STD, rel=0.03)


def test_seeds_reproducible_and_global_stream():
    tn.set_seed(42)
    a = I.glorot_normal()((30, 20))
    b = I.glorot_normal()((30, 20))
    tn.set_seed(42)
    np.testing.assert_array_equal(I.glorot_normal()((30, 20)), a)
    np.testing.assert_array_equal(I.glorot_normal()((30, 20)), b)
    assert not np.array_equal(a, b)  # the stream moves on between calls
    seeded = I.he_uniform(seed=1)
    np.testing.assert_array_equal(seeded((4, 4)), seeded((4, 4)))  # a seed: same each call


@pytest.mark.parametrize("shape", [(8, 8), (12, 5), (5, 12), (3, 3, 4, 6)])
def test_orthogonal(shape):
    q = I.orthogonal(gain=1.5, seed=0)(shape).astype(np.float64)
    assert q.shape == shape
    m = q.reshape(-1, shape[-1]) / 1.5
    small = min(m.shape)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        I.orthogonal()((5,))


def test_identity():
    np.testing.assert_array_equal(I.identity(gain=3)((3, 3)), 3 * np.eye(3, dtype=np.float32))
    with pytest.raises(ValueError, match=r"square 2-D.*\[2, 3\]"):
        I.identity()((2, 3))


def test_get_both_spellings_and_classes():
    for ident, cls in (("glorotNormal", I.GlorotNormal), ("glorot_normal", I.GlorotNormal),
                       ("heUniform", I.HeUniform), ("lecun_normal", I.LeCunNormal),
                       ("leCunUniform", I.LeCunUniform), ("truncated_normal", I.TruncatedNormal),
                       ("randomUniform", I.RandomUniform), ("zeros", I.Zeros)):
        assert type(I.get(ident)) is cls
    assert I.get("glorotNormal").class_name == "GlorotNormal"
    init = I.random_normal()
    assert I.get(init) is init
    with pytest.raises(ValueError, match="unknown initializer 'glorot'.*glorotNormal.*heNormal"):
        I.get("glorot")
    with pytest.raises(ValueError, match="needs a value"):
        I.get("constant")


@pytest.mark.parametrize("init", [
    I.zeros(), I.ones(), I.constant(0.3), I.random_normal(0.1, 0.2, 3), I.random_uniform(-1, 2),
    I.truncated_normal(stddev=0.3), I.variance_scaling(2.0, "fanOut", "uniform", 7),
    I.glorot_normal(seed=1), I.he_uniform(), I.orthogonal(2.0), I.identity(0.5),
])
def test_serialize_round_trip(init):
    config = I.serialize(init)
    back = I.get(config)
    assert I.serialize(back) == config
    assert back.get_config() == init.get_config()
    if getattr(init, "seed", 0) is not None:  # deterministic: the same values too
        np.testing.assert_array_equal(back((4, 4)), init((4, 4)))


def test_serialize_is_tfjs_model_json_form():
    assert I.serialize(I.glorot_normal()) == {
        "class_name": "VarianceScaling",
        "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "normal", "seed": None}}
    assert I.serialize(I.zeros()) == {"class_name": "Zeros", "config": {}}
    # TF.js (camelCase) configs are read too
    v = I.get({"className": "VarianceScaling",
               "config": {"scale": 2, "mode": "fanIn", "distribution": "truncatedNormal"}})
    assert (v.scale, v.mode, v.distribution) == (2.0, "fanIn", "truncatedNormal")


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"RandomUniform: argument 'maxval' must be >= 'minval' \(1\), received 0"):
        I.random_uniform(1, 0)
    with pytest.raises(TypeError, match=r"GlorotUniform: argument 'seed' must be an int or None, received 1.5 \(of type float\)"):
        I.glorot_uniform(seed=1.5)
    with pytest.raises(ValueError, match="Zeros: argument 'dtype' must be 'float32' or 'int32', received 'bool'"):
        I.zeros()((2,), "bool")
    with pytest.raises(TypeError, match="initializer"):
        I.get(3)
