"""batch_norm (and its 2d-4d forms), local_response_normalization and moving_average
against numpy float64 (and torch's local_response_norm), with gradients."""
import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads, torch

rng = np.random.default_rng(4)


def test_batch_norm_values_and_gradients():
    x = rng.normal(size=(4, 3)).astype(np.float32)
    mean, var = rng.normal(size=3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    offset, scale = rng.normal(size=3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    y = tn.batch_norm(tn.tensor(x), tn.tensor(mean), tn.tensor(var), tn.tensor(offset), tn.tensor(scale))
    want = (x - mean) / np.sqrt(var.astype(np.float64) + 0.001) * scale + offset
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-6)
    plain = tn.batch_norm(tn.tensor(x), tn.tensor(mean), tn.tensor(var), variance_epsilon=0.1)
    np.testing.assert_allclose(plain.numpy(), (x - mean) / np.sqrt(var + 0.1), rtol=1e-5)
    check_grads(lambda *ts: tn.batch_norm(*ts), [x, mean, var, offset, scale],
                torch_fn=torch and (lambda a, m, v, o, s: (a - m) / torch.sqrt(v + 0.001) * s + o))


def test_batch_norm_ranked_forms_and_errors():
    x4 = tn.ones([2, 2, 2, 3])
    assert tn.batch_norm4d(x4, tn.zeros([3]), tn.ones([3])).shape == (2, 2, 2, 3)
    assert tn.batch_norm3d(tn.ones([2, 2, 3]), tn.zeros([3]), tn.ones([3])).shape == (2, 2, 3)
    assert tn.batch_norm2d(tn.ones([2, 3]), tn.zeros([2, 3]), tn.ones([2, 3])).shape == (2, 3)
    with pytest.raises(ValueError, match="batch_norm4d: x must have rank 4"):
        tn.batch_norm4d(tn.ones([2, 3]), tn.zeros([3]), tn.ones([3]))
    with pytest.raises(ValueError, match="batch_norm: mean, variance, offset and scale must have one rank"):
        tn.batch_norm(tn.ones([2, 3]), tn.zeros([3]), tn.ones([1, 3]))
    with pytest.raises(ValueError, match=r"batch_norm: mean of shape \[4\] does not broadcast"):
        tn.batch_norm(tn.ones([2, 3]), tn.zeros([4]), tn.ones([4]))


def _np_lrn(x, r, bias, alpha, beta):
    x = x.astype(np.float64)
    c = x.shape[-1]
    out = np.empty_like(x)
    for d in range(c):
        lo, hi = max(0, d - r), min(c, d + r + 1)
        out[..., d] = x[..., d] / (bias + alpha * (x[..., lo:hi] ** 2).sum(-1)) ** beta
    return out


@pytest.mark.parametrize("r,bias,alpha,beta", [(5, 1.0, 1.0, 0.5), (1, 2.0, 0.3, 0.75), (0, 1.0, 1.0, 1.0)])
def test_local_response_normalization(r, bias, alpha, beta):
    x = rng.normal(size=(2, 2, 3, 6)).astype(np.float32)
    y = tn.local_response_normalization(tn.tensor(x), r, bias, alpha, beta)
    np.testing.assert_allclose(y.numpy(), _np_lrn(x, r, bias, alpha, beta), rtol=1e-5, atol=1e-6)
    three = tn.local_response_normalization(tn.tensor(x[0]), r, bias, alpha, beta)
    np.testing.assert_allclose(three.numpy(), y.numpy()[0], rtol=1e-6)
    # torch's local_response_norm: size = 2r + 1 over channels (NCHW) with alpha / size
    torch_fn = torch and (lambda t: torch.nn.functional.local_response_norm(
        t.permute(0, 3, 1, 2), 2 * r + 1, alpha * (2 * r + 1), beta, bias).permute(0, 2, 3, 1))
    check_grads(lambda t: tn.local_response_normalization(t, r, bias, alpha, beta), [x[:1, :1]],
                torch_fn=torch_fn)


def test_local_response_normalization_errors():
    with pytest.raises(ValueError, match="local_response_normalization: x must have rank 3 or 4"):
        tn.local_response_normalization(tn.ones([2, 3]))
    with pytest.raises(ValueError, match="argument 'depth_radius' must be an int >= 0"):
        tn.local_response_normalization(tn.ones([1, 2, 3]), 1.5)


def test_moving_average():
    v, x = np.array([1.0, 2.0], np.float32), np.array([3.0, -2.0], np.float32)
    plain = tn.moving_average(tn.tensor(v), tn.tensor(x), 0.9, zero_debias=False)
    np.testing.assert_allclose(plain.numpy(), v + (x - v) * 0.1, rtol=1e-6)
    debiased = tn.moving_average(tn.tensor(v), tn.tensor(x), 0.9, 2)
    np.testing.assert_allclose(debiased.numpy(), v + (x - v) * 0.1 / (1 - 0.81), rtol=1e-5)
    check_grads(lambda a, b: tn.moving_average(a, b, 0.8, 3), [v, x])
    with pytest.raises(ValueError, match="moving_average: argument 'step' is required"):
        tn.moving_average(tn.tensor(v), tn.tensor(x), 0.9)
    with pytest.raises(ValueError, match="v and x must have one shape and dtype"):
        tn.moving_average(tn.tensor(v), tn.tensor([1.0]), 0.9, 1)
