"""tn.cosine_window and tn.enclosing_power_of_two (TF.js's top-level signal helpers)
against numpy's Hann and Hamming windows and hand-computed values."""
import numpy as np
import pytest

import treino as tn


@pytest.mark.parametrize("n", [2, 5, 8, 11])
def test_cosine_window_is_tfjs_periodic_or_symmetric_window(n):
    hann = tn.cosine_window(n, 0.5, 0.5)
    assert hann.dtype == "float32" and hann.shape == (n,)
    # TF.js: odd lengths give the symmetric window, even lengths the periodic one
    want = np.hanning(n) if n % 2 else np.hanning(n + 1)[:-1]
    np.testing.assert_allclose(hann.numpy(), want, atol=1e-7)
    hamming = tn.cosine_window(n, 0.54, 0.46)
    want = np.hamming(n) if n % 2 else np.hamming(n + 1)[:-1]
    np.testing.assert_allclose(hamming.numpy(), want, atol=1e-6)


def test_cosine_window_edges_and_errors():
    assert tn.cosine_window(1, 0.5, 0.5).array() == [0]
    with pytest.raises(ValueError, match="cosine_window: argument 'window_length' must be an int >= 1"):
        tn.cosine_window(0, 0.5, 0.5)


def test_enclosing_power_of_two():
    assert [tn.enclosing_power_of_two(v) for v in (1, 2, 3, 5, 8, 9, 1000)] == \
        [1, 2, 4, 8, 8, 16, 1024]
    assert tn.enclosing_power_of_two(0.3) == 0  # TF.js floors 2 ** -1
    with pytest.raises(ValueError, match="enclosing_power_of_two: argument 'value' must be a number > 0"):
        tn.enclosing_power_of_two(0)
