"""max_pool / avg_pool forward and backward (every ISA path, 1 and 2 threads) and their
_ref twins against plain numpy float64 pooling and torch: windows 1-4, strides 1-3,
asymmetric padding, overlapping windows, odd/even sizes, batch 1, channel counts that
are no multiple of a vector; argmax ties and NaN; empty sizes and refused arguments."""
import itertools

import numpy as np
import pytest

from treino import _kernels as K


def pool64(x, window, strides, pad):
    """(max, argmax offset, mean) per output element, float64, looping over windows."""
    n, h, w, c = x.shape
    fh, fw = window
    pt, pb, pl, pr = pad
    oh, ow = (h + pt + pb - fh) // strides[0] + 1, (w + pl + pr - fw) // strides[1] + 1
    mx, mean = np.zeros((n, oh, ow, c)), np.zeros((n, oh, ow, c))
    arg = np.zeros((n, oh, ow, c), np.int64)
    for i, j in itertools.product(range(oh), range(ow)):
        r0, c0 = i * strides[0] - pt, j * strides[1] - pl
        rows = range(max(r0, 0), min(r0 + fh, h))
        cols = range(max(c0, 0), min(c0 + fw, w))
        win = x[:, rows.start:rows.stop, cols.start:cols.stop].astype(np.float64)
        flat = win.reshape(n, -1, c)
        mean[:, i, j] = flat.mean(1)
        mx[:, i, j] = flat.max(1)  # NaN propagates, as in the kernels
        k = np.argmax(flat, axis=1)  # first max; first NaN wins
        ih, iw = rows.start + k // len(cols), cols.start + k % len(cols)
        arg[:, i, j] = (ih * w + iw) * c + np.arange(c)
    return mx, arg, mean


def max64_backward(dy, arg, x_shape):
    """dy added at each argmax offset of its image, float64."""
    n = x_shape[0]
    dx = np.zeros((n, int(np.prod(x_shape[1:]))))
    for b in range(n):
        np.add.at(dx[b], arg[b].ravel(), dy[b].ravel().astype(np.float64))
    return dx.reshape(x_shape)


def avg64_backward(dy, x_shape, window, strides, pad):
    """dy / count spread over the elements of each window inside x, float64."""
    n, h, w, c = x_shape
    fh, fw = window
    pt, pl = pad[0], pad[2]
    dx = np.zeros(x_shape)
    for i, j in itertools.product(range(dy.shape[1]), range(dy.shape[2])):
        r0, c0 = i * strides[0] - pt, j * strides[1] - pl
        rs, re = max(r0, 0), min(r0 + fh, h)
        cs, ce = max(c0, 0), min(c0 + fw, w)
        dx[:, rs:re, cs:ce] += dy[:, i:i + 1, j:j + 1].astype(np.float64) / ((re - rs) * (ce - cs))
    return dx


# (n, h, w, c, window, strides, padding (t, b, l, r))
CASES = [
    (2, 26, 26, 16, (2, 2), (2, 2), (0, 0, 0, 0)),  # MNIST maxpool1
    (3, 11, 11, 32, (2, 2), (2, 2), (0, 0, 0, 0)),  # maxpool2: the last row and column dropped
    (1, 7, 9, 5, (3, 2), (2, 1), (1, 1, 1, 0)),     # overlapping windows, asymmetric padding
    (2, 5, 6, 3, (3, 3), (1, 1), (1, 1, 1, 1)),     # 'same' 3x3
    (1, 9, 8, 17, (4, 3), (3, 3), (3, 2, 0, 2)),
    (2, 4, 4, 1, (1, 1), (1, 2), (0, 0, 0, 0)),
    (1, 1, 13, 7, (1, 4), (1, 3), (0, 0, 3, 1)),    # 1-D
    # Windows that do not overlap (dx written once per element): gaps between windows
    # (stride > window), padding, 16-channel blocks plus a tail.
    (2, 10, 11, 21, (2, 3), (3, 4), (1, 0, 2, 1)),
    (1, 7, 7, 35, (2, 2), (2, 2), (1, 0, 1, 0)),
]


def data(case, seed):
    n, h, w, c = case[:4]
    return np.random.default_rng(seed).standard_normal((n, h, w, c)).astype(np.float32)


@pytest.mark.parametrize("fn", ["fast", "ref"])
def test_pool_matches_float64(isa, threads, fn):
    sfx = "" if fn == "fast" else "_ref"
    for i, case in enumerate(CASES):
        win, st, pad = case[4:]
        x = data(case, i)
        mx, arg, mean = pool64(x, win, st, pad)
        y, a = getattr(K, "max_pool_forward" + sfx)(x, win, st, pad)
        np.testing.assert_array_equal(y, mx.astype(np.float32), err_msg=str(case))
        np.testing.assert_array_equal(a, arg, err_msg=str(case))
        ya = getattr(K, "avg_pool_forward" + sfx)(x, win, st, pad)
        np.testing.assert_allclose(ya, mean, rtol=1e-6, atol=1e-6, err_msg=str(case))
        dy = np.random.default_rng(100 + i).standard_normal(y.shape).astype(np.float32)
        dx = getattr(K, "max_pool_backward" + sfx)(dy, a, x.shape, win, st, pad)
        np.testing.assert_allclose(dx, max64_backward(dy, arg, x.shape), rtol=1e-6,
                                   atol=1e-6, err_msg=str(case))
        dxa = getattr(K, "avg_pool_backward" + sfx)(dy, x.shape, win, st, pad)
        np.testing.assert_allclose(dxa, avg64_backward(dy, x.shape, win, st, pad), rtol=1e-5,
                                   atol=1e-6, err_msg=str(case))


def test_fast_equals_ref_and_threads_agree(isa):
    # Big enough for threads: the chunks of images must not change a bit.
    x = np.random.default_rng(7).standard_normal((64, 14, 13, 24)).astype(np.float32)
    win, st, pad = (3, 3), (2, 2), (1, 1, 1, 0)
    before = K.get_num_threads()
    outs = []
    try:
        for t in (1, 2):
            K.set_num_threads(t)
            y, a = K.max_pool_forward(x, win, st, pad)
            dy = np.cos(y)
            outs.append((y, a, K.max_pool_backward(dy, a, x.shape, win, st, pad),
                         K.avg_pool_forward(x, win, st, pad),
                         K.avg_pool_backward(dy, x.shape, win, st, pad)))
    finally:
        K.set_num_threads(before)
    ref_y, ref_a = K.max_pool_forward_ref(x, win, st, pad)
    ref = (ref_y, ref_a, K.max_pool_backward_ref(np.cos(ref_y), ref_a, x.shape, win, st, pad),
           K.avg_pool_forward_ref(x, win, st, pad),
           K.avg_pool_backward_ref(np.cos(ref_y), x.shape, win, st, pad))
    for one, two, r in zip(*outs, ref):
        assert one.tobytes() == two.tobytes()
        # Same operations in the same order as the reference loops.
        assert one.tobytes() == r.tobytes()


def test_max_ties_nan_and_padding_semantics(isa):
    x = np.zeros((1, 3, 3, 2), np.float32)
    x[0, 1, 1, 0] = x[0, 2, 2, 0] = 5.0             # tie: the first in window order wins
    x[0, :, :, 1] = -3.0
    x[0, 2, 0, 1] = np.nan                           # a NaN wins over any number
    y, a = K.max_pool_forward(x, (3, 3), (1, 1), (1, 1, 1, 1))
    assert y[0, 1, 1, 0] == 5.0 and a[0, 1, 1, 0] == (1 * 3 + 1) * 2
    assert np.isnan(y[0, 1, 0, 1]) and a[0, 1, 0, 1] == (2 * 3 + 0) * 2 + 1
    # The padding is no candidate: an all-negative window's max stays negative.
    assert y[0, 0, 2, 1] == -3.0
    # ... and is not counted in the mean: a corner window holds 4 of x's elements.
    ya = K.avg_pool_forward(np.ones((1, 3, 3, 1), np.float32), (3, 3), (1, 1), (1, 1, 1, 1))
    np.testing.assert_array_equal(ya, 1.0)


def test_matches_torch():
    # The semantics against an independent framework (symmetric padding, which torch has).
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = np.random.default_rng(3).standard_normal((2, 9, 10, 6)).astype(np.float32)
    for win, st, p in [((2, 2), (2, 2), 0), ((3, 3), (2, 2), 1), ((3, 2), (1, 2), 1)]:
        tx = torch.tensor(x, dtype=torch.float64).permute(0, 3, 1, 2).requires_grad_(True)
        pad = (p, p, p, p)
        y, a = K.max_pool_forward(x, win, st, pad)
        ty = F.max_pool2d(tx, win, st, padding=p)
        np.testing.assert_allclose(y, ty.permute(0, 2, 3, 1).detach().numpy(), rtol=1e-6)
        dy = np.random.default_rng(4).standard_normal(y.shape).astype(np.float32)
        ty.backward(torch.tensor(dy, dtype=torch.float64).permute(0, 3, 1, 2))
        np.testing.assert_allclose(K.max_pool_backward(dy, a, x.shape, win, st, pad),
                                   tx.grad.permute(0, 2, 3, 1).numpy(), rtol=1e-5, atol=1e-6)
        tx.grad = None
        ta = F.avg_pool2d(tx, win, st, padding=p, count_include_pad=False)
        np.testing.assert_allclose(K.avg_pool_forward(x, win, st, pad),
                                   ta.permute(0, 2, 3, 1).detach().numpy(), rtol=1e-5, atol=1e-6)
        ta.backward(torch.tensor(dy, dtype=torch.float64).permute(0, 3, 1, 2))
        np.testing.assert_allclose(K.avg_pool_backward(dy, x.shape, win, st, pad),
                                   tx.grad.permute(0, 2, 3, 1).numpy(), rtol=1e-5, atol=1e-6)


def test_empty_sizes(isa):
    for shape in [(0, 4, 4, 3), (2, 4, 4, 0)]:
        x = np.zeros(shape, np.float32)
        y, a = K.max_pool_forward(x, (2, 2), (2, 2))
        assert y.shape == a.shape == shape[:1] + (2, 2) + shape[3:]
        assert K.max_pool_backward(y, a, shape, (2, 2), (2, 2)).shape == shape
        assert K.avg_pool_backward(y, shape, (2, 2), (2, 2)).shape == shape
    y, a = K.max_pool_forward(np.ones((1, 2, 2, 1), np.float32), (2, 2), (1, 1), need_argmax=False)
    assert a is None and y[0, 0, 0, 0] == 1.0


def test_refused_arguments_change_nothing():
    x = np.ones((1, 4, 4, 2), np.float32)
    out = np.full((1, 2, 2, 2), 7.0, np.float32)
    for kw, exc, msg in [
        (dict(window=(2, 2), padding=(2, 0, 0, 0)), ValueError, "each pad must be smaller than the window"),
        (dict(window=(5, 2)), ValueError, r"does not fit the input of shape \(1, 4, 4, 2\)"),
        (dict(window=(0, 2)), ValueError, "'window'"),
        (dict(strides=(1,)), ValueError, "'strides'"),
        (dict(strides="2"), TypeError, "'strides'"),
        (dict(x=np.ones((1, 0, 4, 2), np.float32)), ValueError, "the image must be non-empty"),
        (dict(x=x[:, ::2]), ValueError, "C-contiguous"),
        (dict(out=np.ones((1, 2, 2, 3), np.float32)), ValueError, r"'out' must have shape \(1, 2, 2, 2\)"),
    ]:
        args = dict(x=x, window=(2, 2), strides=(2, 2), padding=(0, 0, 0, 0), out=out)
        args.update(kw)
        with pytest.raises(exc, match=msg):
            K.avg_pool_forward(**args)
        with pytest.raises(exc, match=msg):
            K.max_pool_forward(**args)
        np.testing.assert_array_equal(out, 7.0)
    # Backward: argmax offsets outside the image, the wrong dy shape, a huge x_shape.
    dy = np.ones((1, 2, 2, 2), np.float32)
    arg = np.zeros((1, 2, 2, 2), np.int32)
    dx = np.full(x.shape, 7.0, np.float32)
    arg[0, 1, 1, 1] = 32
    with pytest.raises(ValueError, match=r"argmax\[7\] \(flat\) = 32 is not an offset in an image of 32"):
        K.max_pool_backward(dy, arg, x.shape, (2, 2), (2, 2), dx=dx)
    arg[0, 1, 1, 1] = -1
    with pytest.raises(ValueError, match="= -1 is not an offset"):
        K.max_pool_backward(dy, arg, x.shape, (2, 2), (2, 2), dx=dx)
    with pytest.raises(ValueError, match=r"'dy' must have shape \(1, 2, 2, 2\)"):
        K.avg_pool_backward(np.ones((1, 2, 3, 2), np.float32), x.shape, (2, 2), (2, 2), dx=dx)
    np.testing.assert_array_equal(dx, 7.0)
    with pytest.raises(ValueError, match="more than this machine's memory"):
        K.avg_pool_backward(np.ones((1, 1, 1, 1), np.float32), (1, 2**31 - 1, 2**31 - 1, 1),
                            (2**31 - 1, 2**31 - 1), (1, 1))
    with pytest.raises(ValueError, match="too large for int32 argmax offsets"):
        K.max_pool_backward(dy, arg, (1, 2**20, 2**20, 2), (2, 2), (2, 2))
