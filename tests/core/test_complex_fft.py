"""complex64 tensors (tn.complex, tn.real, tn.imag and the ops taking them), the FFTs
(tn.fft, ifft, rfft, irfft, tn.spectral) and tn.signal (hann_window, hamming_window,
frame, stft): values against numpy.fft in float64 and torch, TF.js's own test values,
dtype and shape rules, round trips, clear errors, empty inputs, and gradients against
float64 finite differences and torch.autograd."""
import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads, torch

rng = np.random.default_rng(11)


def _c(shape, scale=1.0):
    """Random complex64 values and the tensor holding them."""
    v = (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(np.complex64) * scale
    return v, tn.complex(v.real.copy(), v.imag.copy())


# -- complex64 tensors ---------------------------------------------------------------
def test_complex_real_imag():
    z = tn.complex([2.25, 3.25], [4.75, 5.75])
    assert z.dtype == "complex64" and z.shape == (2,)
    np.testing.assert_array_equal(z.numpy(), np.array([2.25 + 4.75j, 3.25 + 5.75j], np.complex64))
    assert z.numpy().dtype == np.complex64
    re, im = tn.real(z), tn.imag(z)
    assert re.dtype == im.dtype == "float32"
    assert re.array() == [2.25, 3.25] and im.array() == [4.75, 5.75]
    # int32 and bool parts are read as float32; scalars work
    zi = tn.complex(tn.tensor(np.array([1, -2], np.int32)), tn.tensor([True, False]))
    np.testing.assert_array_equal(zi.numpy(), [1 + 1j, -2 + 0j])
    assert tn.complex(1.5, -2).item() == 1.5 - 2j
    # TF.js documents real() of a real tensor as its values, imag() as zeros
    x = tn.tensor([[1.0, -2.0]])
    assert tn.real(x).array() == [[1.0, -2.0]] and tn.real(x) is not x
    assert tn.imag(x).array() == [[0.0, 0.0]] and tn.imag(x).dtype == "float32"
    assert tn.real(tn.tensor(np.array([3], np.int32))).dtype == "float32"


def test_complex_argument_errors():
    with pytest.raises(ValueError, match=r"complex: real and imag must have one shape, "
                                         r"received shapes \[2\] and \[3\]"):
        tn.complex([1.0, 2.0], [1.0, 2.0, 3.0])
    z = tn.complex([1.0], [2.0])
    with pytest.raises(TypeError, match="complex: argument 'imag' must be a real tensor .* "
                                        "received dtype complex64"):
        tn.complex([1.0], z)
    with pytest.raises(TypeError, match="tensor: argument 'values' holds complex values; .*"
                                        r"tn.complex\(real, imag\)"):
        tn.tensor([1 + 2j])
    with pytest.raises(TypeError, match="tensor: argument 'dtype' cannot be 'complex64'"):
        tn.tensor([1.0], dtype="complex64")
    with pytest.raises(TypeError, match="fill: argument 'dtype' cannot be 'complex64'"):
        tn.fill([2], 1.0, "complex64")
    with pytest.raises(TypeError, match="variable: argument 'initial_value' is a complex64"):
        tn.variable(z)


def test_reading_values_as_tfjs():
    z = tn.complex([[1, 3], [0, 2]], [[2, -1], [0.5, 0]])
    # dataSync interleaves real and imaginary float32 parts
    d = z.data_sync()
    assert d.dtype == np.float32 and d.tolist() == [1, 2, 3, -1, 0, 0.5, 2, 0]
    assert z.data().tolist() == d.tolist()
    # arraySync: the innermost lists interleave too; a scalar gives its real part
    assert z.array_sync() == [[1, 2, 3, -1], [0, 0.5, 2, 0]]
    assert tn.complex(1.5, -2).array() == 1.5
    assert np.asarray(z).dtype == np.complex64
    assert tn.complex([], []).data().shape == (0,)
    assert z.to_string() == ("Tensor\n    [[1 + 2j  , 3 + -1j],\n     [0 + 0.5j, 2 + 0j ]]")
    assert tn.complex(1.5, -2).to_string() == "Tensor\n    1.5 + -2j"
    assert tn.complex([1 / 3], [0]).to_string(verbose=True) == (
        "Tensor\n  dtype: complex64\n  rank: 1\n  shape: [1]\n  values:\n    [0.3333333 + 0j]")
    assert "dtype=complex64" in repr(z)
    with pytest.raises(TypeError, match="only int32 and bool scalar tensors"):
        [1, 2][tn.complex(1, 0)]


def test_creation_and_casts():
    z0, o = tn.zeros([2, 1], "complex64"), tn.ones([3], "complex64")
    assert z0.dtype == o.dtype == "complex64" and z0.shape == (2, 1)
    np.testing.assert_array_equal(o.numpy(), [1, 1, 1])
    zv, z = _c((2, 3))
    assert tn.zeros_like(z).dtype == "complex64" and not tn.ones_like(z).numpy().imag.any()
    # from complex64: TF.js keeps the real part, then casts it
    zz = tn.complex([1.7, -2.5, 0.0, 0.0], [1.0, 0.0, 3.0, 0.0])
    assert tn.cast(zz, "float32").array() == pytest.approx([1.7, -2.5, 0, 0])
    assert zz.to_float().dtype == "float32"
    assert tn.cast(zz, "int32").array() == [1, -2, 0, 0]
    assert tn.cast(zz, "bool").array() == [True, True, False, False]  # imaginary parts ignored
    # to complex64: zero imaginary parts
    for x in (tn.tensor([1.5, -2.0]), tn.tensor(np.array([1, -2], np.int32)), tn.tensor([True, False])):
        c = tn.cast(x, "complex64")
        assert c.dtype == "complex64"
        np.testing.assert_array_equal(c.numpy(), x.numpy().astype(np.complex64))
    assert tn.cast(z, "complex64") is z


def test_arithmetic_and_shape_ops_on_complex():
    av, a = _c((2, 3))
    bv, b = _c((3,))
    np.testing.assert_allclose(tn.add(a, b).numpy(), av + bv, rtol=1e-6)
    np.testing.assert_allclose((a - b).numpy(), av - bv, rtol=1e-6)
    np.testing.assert_allclose((a * b).numpy(), av * bv, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose((-a).numpy(), -av)
    # a real operand is upcast to complex64 (TF.js's upcast rule), so are Python numbers
    x = rng.normal(size=(2, 3)).astype(np.float32)
    assert (a * tn.tensor(x)).dtype == "complex64"
    np.testing.assert_allclose((a * tn.tensor(x)).numpy(), av * x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose((tn.tensor(x) - a).numpy(), x - av, rtol=1e-6)
    np.testing.assert_allclose((a + tn.tensor(np.array([1, 2, 3], np.int32))).numpy(),
                               av + [1, 2, 3], rtol=1e-6)
    np.testing.assert_allclose((2 * a).numpy(), 2 * av, rtol=1e-6)
    np.testing.assert_allclose((a * 1j).numpy(), av * 1j, rtol=1e-6)
    np.testing.assert_allclose((tn.tensor(x) * (2 - 1j)).numpy(), x * (2 - 1j), rtol=1e-6)
    # abs: float32 magnitudes (TF.js's ComplexAbs)
    m = tn.abs(a)
    assert m.dtype == "float32"
    np.testing.assert_allclose(m.numpy(), np.abs(av.astype(np.complex128)), rtol=1e-6)
    assert tn.abs(tn.complex(3, -4)).item() == 5
    # structural ops keep complex64
    np.testing.assert_array_equal(tn.reshape(a, [3, 2]).numpy(), av.reshape(3, 2))
    np.testing.assert_array_equal(tn.transpose(a).numpy(), av.T)
    np.testing.assert_array_equal(tn.slice(a, [0, 1], [2, 2]).numpy(), av[:, 1:3])
    np.testing.assert_array_equal(tn.concat([a, a], 1).numpy(), np.concatenate([av, av], 1))
    np.testing.assert_array_equal(tn.stack([a, a], 0).numpy(), np.stack([av, av]))
    np.testing.assert_array_equal(tn.expand_dims(a, 1).numpy(), av[:, None])
    np.testing.assert_array_equal(tn.squeeze(tn.expand_dims(a, 0)).numpy(), av)
    np.testing.assert_array_equal(tn.split(a, 3, 1)[2].numpy(), av[:, 2:])
    np.testing.assert_array_equal(tn.unstack(a)[1].numpy(), av[1])
    c = tn.clone(a)
    assert c is not a and c.dtype == "complex64"
    for t in (tn.reshape(a, [6]), tn.transpose(a), tn.concat([a, a]), a.clone()):
        assert t.dtype == "complex64"


REFUSED = {
    "sum": lambda z: tn.sum(z), "mean": lambda z: tn.mean(z), "max": lambda z: tn.max(z),
    "exp": lambda z: tn.exp(z), "square": lambda z: tn.square(z), "relu": lambda z: tn.relu(z),
    "sign": lambda z: tn.sign(z), "div": lambda z: z / z, "pow": lambda z: z ** 2,
    "maximum": lambda z: tn.maximum(z, 1.0), "matmul": lambda z: tn.matmul(z, z),
    "equal": lambda z: tn.equal(z, z), "where": lambda z: tn.where(tn.tensor([[True, False]] * 2), z, z),
    "gather": lambda z: tn.gather(z, [0]), "tile": lambda z: tn.tile(z, [1, 2]),
    "pad": lambda z: tn.pad(z, [[0, 1], [0, 0]]), "cumsum": lambda z: tn.cumsum(z),
    "reverse": lambda z: tn.reverse(z), "clip_by_value": lambda z: tn.clip_by_value(z, 0, 1),
    "softmax": lambda z: tn.softmax(z), "argmax": lambda z: tn.argmax(z),
    "einsum": lambda z: tn.einsum("ij->i", z), "frame": lambda z: tn.signal.frame(z, 1, 1),
    # ops that cast other dtypes to float32 themselves must not keep only the real parts
    "conv2d": lambda z: tn.conv2d(tn.reshape(z, [1, 2, 2, 1]), tn.ones([1, 1, 1, 1]), 1, "same"),
    "avg_pool": lambda z: tn.avg_pool(tn.reshape(z, [1, 2, 2, 1]), 1, 1, "same"),
    "qr": lambda z: tn.linalg.qr(z),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_ops_without_complex_support_refuse_it(name):
    z = tn.complex(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32))
    with pytest.raises(TypeError, match=rf"^{name}: complex64 tensors are not supported by this op "
                                        r"\(received one of shape \[[\d, ]+\]\); take tn.real"):
        REFUSED[name](z)


# -- the FFTs --------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1,), (2,), (3,), (5,), (8,), (17,), (4, 6), (2, 3, 16)])
def test_fft_and_ifft_match_numpy_and_torch(shape):
    v, z = _c(shape)
    want = np.fft.fft(v.astype(np.complex128), axis=-1)
    y = tn.fft(z)
    assert y.dtype == "complex64" and y.shape == shape
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-5)
    yi = tn.ifft(z)
    np.testing.assert_allclose(yi.numpy(), np.fft.ifft(v.astype(np.complex128), axis=-1),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tn.ifft(y).numpy(), v, rtol=1e-5, atol=1e-5)  # round trip
    np.testing.assert_allclose(tn.fft(tn.ifft(z)).numpy(), v, rtol=1e-5, atol=1e-5)
    if torch is not None:
        np.testing.assert_allclose(y.numpy(), torch.fft.fft(torch.from_numpy(v)).numpy(),
                                   rtol=1e-4, atol=1e-4)


def test_fft_tfjs_values():
    # TF.js's fft_test and ifft_test
    z = tn.complex([1.0, 2, 3], [1.0, 2, 3])
    np.testing.assert_allclose(z.fft().data(), [6, 6, -2.3660252, -0.63397473, -0.6339747,
                                                -2.3660254], atol=1e-6)
    np.testing.assert_allclose(tn.spectral.ifft(z).data(),
                               [2, 2, -0.21132492, -0.78867507, -0.7886752, -0.2113249], atol=1e-6)
    z = tn.complex([1.0, 2], [1.0, 1])
    np.testing.assert_allclose(tn.spectral.fft(z).data(), [3, 2, -1, 0])
    np.testing.assert_allclose(z.ifft().data(), [1.5, 1, -0.5, 0])
    np.testing.assert_allclose(tn.fft(tn.complex([1.0, 2, 3, 4], [1.0, 2, 3, 4])).data(),
                               [10, 10, -4, 0, -2, -2, 0, -4])


@pytest.mark.parametrize("length,fft_length", [(1, None), (2, None), (5, None), (8, None),
                                               (8, 5), (8, 3), (5, 8), (6, 1), (3, 16)])
def test_rfft_matches_numpy_with_fft_length(length, fft_length):
    x = rng.normal(size=(3, length)).astype(np.float32)
    y = tn.rfft(tn.tensor(x), fft_length)
    n = length if fft_length is None else fft_length
    assert y.dtype == "complex64" and y.shape == (3, n // 2 + 1)
    np.testing.assert_allclose(y.numpy(), np.fft.rfft(x.astype(np.float64), n=n, axis=-1),
                               rtol=1e-5, atol=1e-5)
    if torch is not None:
        np.testing.assert_allclose(y.numpy(), torch.fft.rfft(torch.from_numpy(x), n=n).numpy(),
                                   rtol=1e-4, atol=1e-4)


def test_rfft_tfjs_values_and_rank():
    # TF.js's rfft_test: [1, 2, 3] -> [6 + 0j, -1.5 + 0.8660254j]
    np.testing.assert_allclose(tn.tensor([1.0, 2, 3]).rfft().data(),
                               [6, 0, -1.5, 0.8660254], atol=1e-6)
    x = rng.normal(size=(2, 3, 4, 6)).astype(np.float32)
    assert tn.spectral.rfft(tn.tensor(x)).shape == (2, 3, 4, 4)


@pytest.mark.parametrize("m", [3, 4, 5, 9])
def test_irfft_is_numpys_inverse_of_length_2m_minus_2(m):
    v, z = _c((2, 3, m))
    y = tn.irfft(z)
    n = 2 * (m - 1)
    assert y.dtype == "float32" and y.shape == (2, 3, n)  # leading axes kept
    np.testing.assert_allclose(y.numpy(), np.fft.irfft(v.astype(np.complex128), n=n, axis=-1),
                               rtol=1e-5, atol=1e-6)
    if torch is not None:
        np.testing.assert_allclose(y.numpy(), torch.fft.irfft(torch.from_numpy(v), n=n).numpy(),
                                   rtol=1e-4, atol=1e-5)
    # round trip of an even-length real signal
    x = rng.normal(size=(4, n)).astype(np.float32)
    np.testing.assert_allclose(tn.irfft(tn.rfft(tn.tensor(x))).numpy(), x, rtol=1e-5, atol=1e-5)


def test_irfft_tfjs_values():
    # TF.js's irfft_test, including m <= 2 (output of m values: the real part of ifft)
    np.testing.assert_allclose(tn.complex([1.0, 2], [0.0, 0]).irfft().data(), [1.5, -0.5])
    np.testing.assert_allclose(
        tn.spectral.irfft(tn.complex([1.0, 2, 3, 4, 5], [1.0, 2, 3, 4, 5])).data(),
        [3, -2.6642137, 0.5, -0.45710677, 0, 0.16421354, -0.5, 0.95710677], atol=1e-6)
    z = tn.complex(tn.tensor([1.0, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6], [2, 2, 3]),
                   tn.tensor([1.0, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6], [2, 2, 3]))
    r = tn.irfft(z)
    assert r.shape == (2, 2, 4)
    np.testing.assert_allclose(r.data(), [2, -1.5, 0, 0.5, 5, -3, 0, 2] * 2, atol=1e-6)
    one = tn.irfft(tn.complex([[3.0], [-1.0]], [[7.0], [2.0]]))
    assert one.shape == (2, 1) and one.array() == [[3.0], [-1.0]]


def test_spectral_namespace_and_methods():
    assert tn.spectral.fft is tn.fft and tn.spectral.ifft is tn.ifft
    assert tn.spectral.rfft is tn.rfft and tn.spectral.irfft is tn.irfft
    assert sorted(tn.spectral.__all__) == ["fft", "ifft", "irfft", "rfft"]
    assert sorted(tn.signal.__all__) == ["frame", "hamming_window", "hann_window", "stft"]
    _, z = _c((4,))
    np.testing.assert_array_equal(z.fft().numpy(), tn.fft(z).numpy())
    assert tn.tensor([1.0, 2.0]).rfft(4).shape == (3,)


def test_spectral_argument_errors():
    with pytest.raises(TypeError, match=r"fft: argument 'input' must be a complex64 tensor "
                                        r"\(make one with tn.complex\(real, imag\)\), received "
                                        r"dtype float32"):
        tn.fft(tn.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="ifft: argument 'input' must be a complex64"):
        tn.ifft([1.0, 2.0])
    with pytest.raises(TypeError, match="irfft: argument 'input' must be a complex64"):
        tn.irfft(tn.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="rfft: argument 'input' must be a float32 tensor, "
                                        "received dtype int32"):
        tn.rfft(tn.tensor(np.array([1, 2], np.int32)))
    with pytest.raises(TypeError, match="rfft: argument 'input' must be a float32 tensor, "
                                        "received dtype complex64"):
        tn.rfft(tn.complex([1.0], [1.0]))
    with pytest.raises(ValueError, match="fft: argument 'input' must have rank >= 1"):
        tn.fft(tn.complex(1.0, 2.0))
    with pytest.raises(ValueError, match="rfft: argument 'input' must have rank >= 1"):
        tn.rfft(tn.scalar(1.0))
    for bad in (0, -2, 2.5, True, "4"):
        with pytest.raises(ValueError, match="rfft: argument 'fft_length' must be an int >= 1"):
            tn.rfft(tn.tensor([1.0, 2.0]), bad)


def test_empty_inputs():
    for shape in [(0,), (3, 0), (0, 4)]:
        z = tn.complex(np.zeros(shape, np.float32), np.zeros(shape, np.float32))
        for op in (tn.fft, tn.ifft):
            y = op(z)
            assert y.shape == shape and y.dtype == "complex64"
    assert tn.rfft(tn.zeros([0, 8])).shape == (0, 5)
    padded = tn.rfft(tn.zeros([3, 0]), 4)  # a padded empty signal: zeros
    assert padded.shape == (3, 3) and not padded.numpy().any()
    with pytest.raises(ValueError, match=r"rfft: the innermost axis of 'input' is empty \(shape "
                                         r"\[3, 0\]\); pass fft_length >= 1"):
        tn.rfft(tn.zeros([3, 0]))
    assert tn.irfft(tn.zeros([0, 5], "complex64")).shape == (0, 8)
    assert tn.irfft(tn.zeros([2, 0], "complex64")).shape == (2, 0)
    assert tn.signal.frame(tn.zeros([0]), 3, 1).shape == (0, 3)
    assert tn.signal.frame(tn.zeros([0]), 3, 1, pad_end=True).shape == (0, 3)
    s = tn.signal.stft(tn.ones([3]), 4, 1)  # no frame fits
    assert s.shape == (0, 3) and s.dtype == "complex64"


# -- tn.signal -------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 7, 8])
def test_windows(n):
    hann, hamming = tn.signal.hann_window(n), tn.signal.hamming_window(n)
    assert hann.dtype == "float32" and hann.shape == (n,)
    # TF.js: odd lengths give the symmetric window, even lengths the periodic one
    np.testing.assert_allclose(hann.numpy(), tn.cosine_window(n, 0.5, 0.5).numpy())
    if n > 1:
        want = np.hanning(n) if n % 2 else np.hanning(n + 1)[:-1]
        np.testing.assert_allclose(hann.numpy(), want, atol=1e-7)
        want = np.hamming(n) if n % 2 else np.hamming(n + 1)[:-1]
        np.testing.assert_allclose(hamming.numpy(), want, atol=1e-6)
    if torch is not None and n % 2 == 0:
        np.testing.assert_allclose(hann.numpy(), torch.hann_window(n).numpy(), atol=3e-7)
        np.testing.assert_allclose(hamming.numpy(), torch.hamming_window(n).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="hann_window: argument 'window_length' must be an int >= 1"):
        tn.signal.hann_window(0)
    with pytest.raises(ValueError, match="hamming_window: argument 'window_length' must be an int"):
        tn.signal.hamming_window(2.5)


def test_frame_tfjs_values():
    x = tn.tensor([1.0, 2, 3, 4, 5])
    f = tn.signal.frame(x, 3, 1)
    assert f.shape == (3, 3) and f.data().tolist() == [1, 2, 3, 2, 3, 4, 3, 4, 5]
    assert tn.signal.frame(x, 3, 2).data().tolist() == [1, 2, 3, 3, 4, 5]
    assert tn.signal.frame(x, 6, 1).shape == (0, 6)
    assert tn.signal.frame(x, 3, 3, True, 100).array() == [[1, 2, 3], [4, 5, 100]]
    f = tn.signal.frame(x, 4, 1, pad_end=True, pad_value=42)
    assert f.data().tolist() == [1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 42, 4, 5, 42, 42, 5, 42, 42, 42]
    assert tn.signal.frame(x, 4, 2, True).array() == [[1, 2, 3, 4], [3, 4, 5, 0], [5, 0, 0, 0]]
    ints = tn.signal.frame(tn.tensor(np.arange(6, dtype=np.int32)), 2, 2, pad_end=True)
    assert ints.dtype == "int32" and ints.array() == [[0, 1], [2, 3], [4, 5]]


def test_frame_batches_the_leading_axes():
    x = rng.normal(size=(2, 3, 10)).astype(np.float32)
    f = tn.signal.frame(tn.tensor(x), 4, 3, pad_end=True, pad_value=-1.0)
    assert f.shape == (2, 3, 4, 4)
    xp = np.concatenate([x, np.full((2, 3, 3), -1.0, np.float32)], -1)
    for k in range(4):
        np.testing.assert_array_equal(f.numpy()[:, :, k], xp[..., 3 * k:3 * k + 4])


def test_frame_argument_errors():
    x = tn.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="frame: argument 'frame_step' must be an int >= 1, "
                                         "received 0"):
        tn.signal.frame(x, 2, 0)
    with pytest.raises(ValueError, match="frame: argument 'frame_length' must be an int >= 1"):
        tn.signal.frame(x, 0, 1)
    with pytest.raises(TypeError, match="frame: argument 'pad_end' must be a bool, received 1"):
        tn.signal.frame(x, 2, 1, 1)
    with pytest.raises(TypeError, match="frame: argument 'pad_value' must be a number"):
        tn.signal.frame(x, 2, 1, True, "0")
    with pytest.raises(ValueError, match="frame: argument 'signal' must have rank >= 1"):
        tn.signal.frame(tn.scalar(1.0), 1, 1)


STFT_TFJS = [  # TF.js's stft_test: (signal, frame_length, frame_step, fft_length, window, data)
    ([1, 1, 1, 1, 1], 3, 1, None, None, [1, 0, 0, -1, -1, 0] * 3),
    ([1, 2, 3, 4, 5], 3, 1, None, None,
     [2, 0, 0, -2, -2, 0, 3, 0, 0, -3, -3, 0, 4, 0, 0, -4, -4, 0]),
    ([1, 1, 1, 1, 1, 1], 5, 1, 3, None, [1.5, 0, -0.749999, 0.433] * 2),
    ([1, 2, 3, 4, 5], 5, 1, None, None,
     [6, 0, -0.70710677, -5.1213202, -3, 1, 0.70710677, 0.87867975, 0, 0]),
    ([1, 1, 1, 1, 1], 3, 2, 3, "hamming", [1.16, 0, -0.46, -0.79674333] * 2),
    ([1, 2, 3, 4, 5], 5, 1, 5, "hamming", [6.72, 0, -3.6371822, -1.1404576, 0.4771822, 0.3991935]),
    ([1, 1, 1, 1, 1], 3, 1, 3, "ones", [3, 0, 0, 0] * 3),
]


@pytest.mark.parametrize("signal,length,step,fft_length,window,data", STFT_TFJS)
def test_stft_tfjs_values(signal, length, step, fft_length, window, data):
    fn = {None: None, "hamming": tn.signal.hamming_window,
          "ones": lambda n: tn.ones([n])}[window]
    out = tn.signal.stft(tn.tensor(np.array(signal, np.float32)), length, step, fft_length, fn)
    assert out.dtype == "complex64"
    np.testing.assert_allclose(out.data(), data, atol=2e-5)


def _stft64(x, length, step, fft_length, window):
    """float64 reference: frames without end padding, windowed, rfft over fft_length."""
    count = (x.shape[-1] - length) // step + 1
    frames = np.stack([x[..., k * step:k * step + length] for k in range(count)], -2)
    return np.fft.rfft(frames * window, n=fft_length, axis=-1)


@pytest.mark.parametrize("length,step,fft_length", [(8, 2, None), (8, 3, 8), (6, 2, None),
                                                    (7, 3, 16), (9, 4, 5)])
def test_stft_matches_a_float64_reference_and_torch(length, step, fft_length):
    x = rng.normal(size=(2, 40)).astype(np.float32)  # leading axes are a batch
    out = tn.signal.stft(tn.tensor(x), length, step, fft_length)
    n = fft_length or tn.enclosing_power_of_two(length)
    window = tn.signal.hann_window(length).numpy().astype(np.float64)
    want = _stft64(x.astype(np.float64), length, step, n, window)
    assert out.shape == want.shape
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-5)
    if torch is not None and n == length and length % 2 == 0:
        # torch's periodic Hann window is TF.js's for an even length; torch's layout is
        # [batch, frequencies, frames]
        t = torch.stft(torch.from_numpy(x), n_fft=n, hop_length=step,
                       window=torch.hann_window(n), center=False, return_complex=True)
        np.testing.assert_allclose(out.numpy(), t.transpose(-1, -2).numpy(), rtol=1e-4, atol=1e-4)


def test_stft_argument_errors():
    x = tn.ones([16])
    with pytest.raises(ValueError, match=r"stft: window_fn\(4\) must return a 1-D tensor of 4 "
                                         r"values, received shape \[3\]"):
        tn.signal.stft(x, 4, 2, None, lambda n: tn.ones([n - 1]))
    with pytest.raises(TypeError, match="stft: argument 'window_fn' must be a function"):
        tn.signal.stft(x, 4, 2, None, "hann")
    with pytest.raises(ValueError, match="stft: argument 'frame_length' must be an int >= 1"):
        tn.signal.stft(x, 0, 2)
    with pytest.raises(ValueError, match="stft: argument 'frame_step' must be an int >= 1"):
        tn.signal.stft(x, 4, 0)
    with pytest.raises(ValueError, match="stft: argument 'fft_length' must be an int >= 1"):
        tn.signal.stft(x, 4, 2, 0)
    ints = tn.signal.stft(tn.tensor(np.arange(16, dtype=np.int32)), 4, 4)  # mul upcasts, as TF.js
    assert ints.shape == (4, 3)


# -- gradients (TF.js defines none for these ops; treino's are checked here) ------------
def _parts(y):
    return tn.concat([tn.real(y), tn.imag(y)], -1)


def _tparts(y):
    return torch.cat([y.real, y.imag], -1)


@pytest.mark.parametrize("n", [1, 5, 8])
def test_fft_and_ifft_gradients(n):
    re, im = rng.normal(size=(2, n)), rng.normal(size=(2, n))
    for op, top in ((tn.fft, "fft"), (tn.ifft, "ifft")):
        check_grads(lambda r, i: _parts(op(tn.complex(r, i))), [re, im],
                    torch_fn=torch and (lambda r, i: _tparts(getattr(torch.fft, top)(
                        torch.complex(r, i)))))


@pytest.mark.parametrize("length,fft_length", [(6, None), (5, None), (6, 4), (5, 9)])
def test_rfft_gradient(length, fft_length):
    x = rng.normal(size=(2, length))
    check_grads(lambda t: _parts(tn.rfft(t, fft_length)), [x],
                torch_fn=torch and (lambda t: _tparts(torch.fft.rfft(t, n=fft_length))))


@pytest.mark.parametrize("m", [1, 2, 3, 6])
def test_irfft_gradient(m):
    re, im = rng.normal(size=(2, m)), rng.normal(size=(2, m))
    if m > 2:
        twin = torch and (lambda r, i: torch.fft.irfft(torch.complex(r, i), n=2 * (m - 1)))
    else:
        twin = torch and (lambda r, i: torch.fft.ifft(torch.complex(r, i)).real)
    grads = check_grads(lambda r, i: tn.irfft(tn.complex(r, i)), [re, im], torch_fn=twin)
    if m > 2:  # the imaginary parts of the first and last values do not matter
        assert not grads[1][:, [0, m - 1]].any()


def test_complex_arithmetic_gradients():
    a = [rng.normal(size=(2, 3)) for _ in range(2)]
    b = [rng.normal(size=(3,)) for _ in range(2)]
    x = rng.normal(size=(2, 3))

    def f(ar, ai, br, bi, xr):
        za, zb = tn.complex(ar, ai), tn.complex(br, bi)
        y = tn.sub(tn.mul(za, zb), tn.add(zb, xr)) * tn.neg(za)   # broadcasting, upcast
        y = tn.concat([tn.reshape(tn.transpose(y), [2, 3]), tn.slice(y, [0, 1], [2, 2])], 1)
        y = tn.stack([y, tn.clone(y)], 0) * (0.5 - 2j)
        return tn.concat([tn.abs(y), tn.cast(y, "float32"), tn.imag(y)], -1)

    def g(ar, ai, br, bi, xr):
        za, zb = torch.complex(ar, ai), torch.complex(br, bi)
        y = (za * zb - (zb + xr)) * (-za)
        y = torch.cat([y.T.reshape(2, 3), y[:, 1:3]], 1)
        y = torch.stack([y, y.clone()], 0) * (0.5 - 2j)
        return torch.cat([y.abs(), y.real, y.imag], -1)
    check_grads(f, [*a, *b, x], torch_fn=torch and g)


def test_cast_and_real_gradients():
    x = rng.normal(size=(3, 4))
    check_grads(lambda t: tn.real(tn.cast(t, "complex64") * (1 + 2j)), [x],
                torch_fn=torch and (lambda t: (t * (1 + 2j)).real))
    check_grads(lambda t: tn.real(t) + tn.imag(t), [x])  # of a real tensor: x and zeros


def test_abs_gradient_is_zero_at_zero():
    g = tn.grads(lambda r, i: tn.sum(tn.abs(tn.complex(r, i))))(
        [tn.tensor([0.0, 3.0]), tn.tensor([0.0, -4.0])])
    np.testing.assert_allclose(g[0].numpy(), [0, 0.6])
    np.testing.assert_allclose(g[1].numpy(), [0, -0.8])


def test_frame_and_stft_gradients():
    x = rng.normal(size=(2, 11))
    check_grads(lambda t: tn.signal.frame(t, 4, 3, pad_end=True, pad_value=0.5), [x],
                torch_fn=torch and (lambda t: torch.nn.functional.pad(t, (0, 3), value=0.5)
                                    .unfold(-1, 4, 3)))
    w = tn.signal.hann_window(6).numpy().astype(np.float64)
    check_grads(lambda t: tn.abs(tn.signal.stft(t, 6, 2, 8)), [x[0]],
                torch_fn=torch and (lambda t: torch.fft.rfft(
                    t.unfold(-1, 6, 2) * torch.from_numpy(w), n=8).abs()))


def test_a_spectral_loss_trains_identically_captured_and_eager():
    # complex nodes join the captured program (engine.md) and replay bit for bit
    data = np.random.default_rng(3)
    x = data.normal(size=(24, 6)).astype(np.float32)
    y = data.normal(size=(24, 8)).astype(np.float32)

    def spectral_loss(y_true, y_pred):
        d = tn.sub(tn.rfft(y_true), tn.rfft(y_pred))
        return tn.mean(tn.abs(tn.mul(d, tn.complex(tn.ones([5]), tn.zeros([5])))), -1)

    models = []
    for eager in (False, True):
        m = tn.sequential([tn.layers.dense(units=7, activation="tanh", input_shape=[6]),
                           tn.layers.dense(units=8)])
        init = np.random.default_rng(5)
        m.set_weights([init.normal(0, 0.5, w.shape).astype(np.float32) for w in m.weights])
        m.compile(optimizer=tn.train.adam(0.02), loss=spectral_loss, run_eagerly=eager)
        hist = m.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        models.append((m, hist.history))
    (fast, hf), (eager, he) = models
    assert hf == he and hf["loss"][1] < hf["loss"][0]
    for a, b in zip(fast.get_weights(), eager.get_weights()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    programs = [p for p in fast._programs.values() if hasattr(p, "has_slots")]
    assert programs and not any(p.has_slots for p in programs)
