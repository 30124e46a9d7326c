"""conv2d and depthwise_conv2d forward / backward (every ISA path, 1 and 2 threads) and their
_ref twins
against a plain numpy float64 convolution and against torch; geometry edges (strides 1-3,
dilations 1-2, filters 1-7, asymmetric padding, odd/even sizes, batch 1, channel counts
that are no multiple of a vector), fused activations, empty sizes and refused arguments.

Tile edges the fast path crosses: register tiles 12x32 (avx512), 6x16 (avx2), 4x16 (ref);
column blocks of X of at most 256 (a tap can be split between two); more output channels
than one register tile; pixel blocks and the fixed dw chunks (from 8 MFLOP); threads from
4 MFLOP."""
import numpy as np
import pytest

from treino import _kernels as K


def out_size(h, f, s, d, p0, p1):
    return (h + p0 + p1 - (f - 1) * d - 1) // s + 1


def windows(x, fh, fw, strides, pad, dil):
    """Yields (p, q, view): the float64 input under tap (p, q) of every output pixel."""
    sh, sw = strides
    dh, dw = dil
    pt, pb, pl, pr = pad
    n, h, w, c = x.shape
    oh, ow = out_size(h, fh, sh, dh, pt, pb), out_size(w, fw, sw, dw, pl, pr)
    xp = np.pad(x.astype(np.float64), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    for p in range(fh):
        for q in range(fw):
            yield p, q, xp[:, p * dh:p * dh + (oh - 1) * sh + 1:sh, q * dw:q * dw + (ow - 1) * sw + 1:sw]


def conv64(x, w, b, strides, pad, dil):
    """Forward in float64: the sum over taps of (input under the tap) @ w[p, q]."""
    fh, fw, _, oc = w.shape
    y = 0
    for p, q, v in windows(x, fh, fw, strides, pad, dil):
        y = y + v @ w[p, q].astype(np.float64)
    return y + (0 if b is None else b.astype(np.float64))


def conv64_backward(x, w, dz, strides, pad, dil):
    """(dx, dw, db) in float64 for dz = the gradient of the pre-activation output."""
    sh, sw = strides
    dh, dwl = dil
    pt, pb, pl, pr = pad
    n, h, wd, c = x.shape
    fh, fw, _, oc = w.shape
    oh, ow = dz.shape[1:3]
    dxp = np.zeros((n, h + pt + pb, wd + pl + pr, c))
    dw = np.zeros(w.shape)
    for p, q, v in windows(x, fh, fw, strides, pad, dil):
        dw[p, q] = np.einsum("nijc,nijo->co", v, dz)
        dxp[:, p * dh:p * dh + (oh - 1) * sh + 1:sh, q * dwl:q * dwl + (ow - 1) * sw + 1:sw] += \
            dz @ w[p, q].astype(np.float64).T
    return dxp[:, pt:pt + h, pl:pl + wd], dw, dz.sum((0, 1, 2))


def assert_close(got, want, scale, what):
    # float32 sums of K terms: errors of a few eps times the sum of |terms| (scale, per
    # element); 1e-5 of it separates rounding from any wrong index or tap.
    assert got.shape == want.shape, what
    err = np.abs(got - want) - 1e-5 * scale - 1e-6
    assert err.max(initial=-1) <= 0, f"{what}: max excess {err.max()}"


# (n, h, w, c, fh, fw, oc, strides, padding (t, b, l, r), dilations)
GEOMETRIES = [
    (2, 7, 6, 3, 3, 3, 5, (1, 1), (0, 0, 0, 0), (1, 1)),
    (1, 9, 8, 5, 3, 2, 17, (2, 1), (1, 2, 0, 1), (1, 2)),
    (2, 28, 28, 1, 3, 3, 16, (1, 1), (0, 0, 0, 0), (1, 1)),   # MNIST conv1
    (3, 13, 13, 16, 3, 3, 32, (1, 1), (0, 0, 0, 0), (1, 1)),  # MNIST conv2
    (2, 5, 5, 40, 1, 1, 33, (1, 1), (0, 0, 0, 0), (1, 1)),    # 1x1: x read in place
    (2, 11, 10, 300, 1, 1, 7, (3, 2), (2, 2, 1, 1), (1, 1)),  # K = 300: a tap split in two
    (2, 9, 9, 40, 3, 3, 20, (1, 1), (1, 1, 1, 1), (1, 1)),    # K = 360, 'same'
    (1, 12, 11, 6, 7, 7, 9, (3, 3), (3, 3, 3, 3), (1, 1)),    # 7x7, stride 3
    (2, 8, 10, 7, 5, 4, 11, (2, 3), (0, 1, 3, 0), (2, 1)),
    (1, 1, 17, 8, 1, 5, 12, (1, 2), (0, 0, 2, 2), (1, 2)),    # conv1d: h = fh = 1
    (3, 6, 6, 2, 2, 2, 3, (2, 2), (1, 0, 1, 0), (2, 2)),
    (1, 3, 3, 4, 5, 5, 6, (1, 1), (2, 2, 2, 2), (1, 1)),      # windows mostly in padding
    # The direct path (K = fh*fw*c <= 32, oc a multiple of 16): RGB-like input, two
    # blocks of 16 outputs, strides and padding, and a pixel count not a multiple of 4.
    (2, 9, 8, 3, 3, 3, 32, (2, 1), (1, 1, 1, 1), (1, 1)),
    (1, 7, 9, 2, 2, 3, 16, (1, 1), (0, 1, 2, 0), (2, 1)),
]


def data(g, seed):
    n, h, w, c, fh, fw, oc, st, pad, dil = g
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    wt = (rng.standard_normal((fh, fw, c, oc)) / np.sqrt(fh * fw * c)).astype(np.float32)
    b = rng.standard_normal(oc).astype(np.float32)
    oh, ow = out_size(h, fh, st[0], dil[0], *pad[:2]), out_size(w, fw, st[1], dil[1], *pad[2:])
    dy = rng.standard_normal((n, oh, ow, oc)).astype(np.float32)
    return x, wt, b, dy


@pytest.mark.parametrize("fn", ["fast", "ref"])
def test_conv_matches_float64(isa, threads, fn):
    fwd = K.conv2d_forward if fn == "fast" else K.conv2d_forward_ref
    bwd = K.conv2d_backward if fn == "fast" else K.conv2d_backward_ref
    for i, g in enumerate(GEOMETRIES):
        _, _, _, _, fh, fw, oc, st, pad, dil = g
        x, w, b, dy = data(g, i)
        tag = f"{fn} {g}"
        y = fwd(x, w, b, st, pad, dil)
        assert_close(y, conv64(x, w, b, st, pad, dil), conv64(np.abs(x), np.abs(w), None, st, pad, dil), tag)
        dx, dw, db = bwd(dy, x, w, None, st, pad, dil)
        wdx, wdw, wdb = conv64_backward(x, w, dy.astype(np.float64), st, pad, dil)
        sdx, sdw, sdb = conv64_backward(np.abs(x), np.abs(w), np.abs(dy.astype(np.float64)), st, pad, dil)
        assert_close(dx, wdx, sdx, tag + " dx")
        assert_close(dw, wdw, sdw, tag + " dw")
        assert_close(db, wdb, sdb, tag + " db")


# Big enough for threads (>= 4 MFLOP), several dw chunks and forward / dx chunks.
THREADED = [(16, 13, 13, 16, 3, 3, 32, (1, 1), (0, 0, 0, 0), (1, 1)),
            (40, 28, 28, 1, 3, 3, 16, (1, 1), (1, 1, 1, 1), (1, 1)),
            (6, 15, 14, 20, 5, 3, 40, (2, 1), (2, 2, 1, 1), (1, 2))]


@pytest.mark.parametrize("g", THREADED, ids=["mnist-conv2", "mnist-conv1-same", "strided"])
def test_bit_identical_for_1_and_2_threads(isa, g):
    x, w, b, dy = data(g, 3)
    st, pad, dil = g[7:]
    before = K.get_num_threads()
    outs = []
    try:
        for t in (1, 2):
            K.set_num_threads(t)
            y = K.conv2d_forward(x, w, b, st, pad, dil, "relu")
            outs.append((y,) + K.conv2d_backward(dy, x, w, y, st, pad, dil, "relu"))
    finally:
        K.set_num_threads(before)
    for a, b_ in zip(*outs):
        assert a.tobytes() == b_.tobytes()
    # And right: several dw chunks, pixel blocks and forward chunks were summed.
    z = conv64(x, w, b, st, pad, dil)
    dz = dy * (z > 0)
    y, dx, dw, db = outs[1]
    assert_close(y, np.maximum(z, 0), conv64(np.abs(x), np.abs(w), np.abs(b), st, pad, dil), "y")
    scale = conv64_backward(np.abs(x), np.abs(w), np.abs(dz), st, pad, dil)
    for got, want, sc, name in zip((dx, dw, db), conv64_backward(x, w, dz, st, pad, dil), scale,
                                   ("dx", "dw", "db")):
        assert_close(got, want, sc, name)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# TF.js id: (forward, derivative as a function of the pre-activation z), float64.
ACTS = {
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
    "relu6": (lambda z: np.clip(z, 0, 6), lambda z: ((z > 0) & (z < 6)) * 1.0),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(z)), lambda z: np.where(z >= 0, 1, np.exp(z))),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "softplus": (lambda z: np.logaddexp(0, z), _sigmoid),
    "softsign": (lambda z: z / (1 + np.abs(z)), lambda z: 1 / (1 + np.abs(z)) ** 2),
    "leakyRelu": (lambda z: np.where(z > 0, z, 0.2 * z), lambda z: np.where(z > 0, 1, 0.2)),
}


@pytest.mark.parametrize("act", sorted(ACTS))
def test_fused_activation(isa, act):
    g = GEOMETRIES[1]
    x, w, b, dy = data(g, 5)
    st, pad, dil = g[7:]
    f, df = ACTS[act]
    z = conv64(x, w, b, st, pad, dil)
    y = K.conv2d_forward(x, w, b, st, pad, dil, act)
    np.testing.assert_allclose(y, f(z), rtol=2e-5, atol=2e-5)
    # The backward takes act' from y; the reference from z.
    dz = dy * df(z)
    dx, dw, db = K.conv2d_backward(dy, x, w, y, st, pad, dil, act)
    for got, ref, name in zip((dx, dw, db), conv64_backward(x, w, dz, st, pad, dil),
                              ("dx", "dw", "db")):
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4, err_msg=name)


def test_matches_torch():
    # The semantics against an independent framework (the active ISA; the others are held
    # to the float64 reference above).
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for i, g in enumerate(GEOMETRIES[:9]):
        st, pad, dil = g[7:]
        x, w, b, dy = data(g, 20 + i)
        tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        xp = F.pad(tx.permute(0, 3, 1, 2), (pad[2], pad[3], pad[0], pad[1]))
        ty = F.relu(F.conv2d(xp, tw.permute(3, 2, 0, 1), tb, stride=st, dilation=dil))
        ty.permute(0, 2, 3, 1).backward(torch.tensor(dy, dtype=torch.float64))
        y = K.conv2d_forward(x, w, b, st, pad, dil, "relu")
        np.testing.assert_allclose(y, ty.permute(0, 2, 3, 1).detach().numpy(), rtol=1e-4, atol=1e-5)
        dx, dw, db = K.conv2d_backward(dy, x, w, y, st, pad, dil, "relu")
        for got, t in ((dx, tx), (dw, tw), (db, tb)):
            np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_empty_sizes(isa):
    w = np.ones((2, 2, 3, 4), np.float32)
    b = np.arange(4, dtype=np.float32)
    # No batch: empty outputs, zero filter gradients.
    x = np.zeros((0, 5, 5, 3), np.float32)
    y = K.conv2d_forward(x, w, b)
    assert y.shape == (0, 4, 4, 4)
    dx, dw, db = K.conv2d_backward(y, x, w)
    assert dx.shape == x.shape and not dw.any() and not db.any()
    # No input channels: y is the bias, dw is empty, db still sums dy.
    x, w0 = np.zeros((2, 3, 3, 0), np.float32), np.zeros((2, 2, 0, 4), np.float32)
    y = K.conv2d_forward(x, w0, b)
    np.testing.assert_array_equal(y, np.broadcast_to(b, (2, 2, 2, 4)))
    dx, dw, db = K.conv2d_backward(np.ones_like(y), x, w0)
    assert dx.shape == x.shape and dw.shape == w0.shape
    np.testing.assert_array_equal(db, np.full(4, 8, np.float32))
    # No output channels.
    y = K.conv2d_forward(np.ones((1, 3, 3, 2), np.float32), np.ones((1, 1, 2, 0), np.float32))
    assert y.shape == (1, 3, 3, 0)
    # An empty image still has outputs when the padding holds a window: zeros (the bias).
    y = K.conv2d_forward(np.ones((1, 0, 2, 2), np.float32), np.ones((2, 2, 2, 4), np.float32), b,
                         padding=(1, 1, 0, 0))
    np.testing.assert_array_equal(y, np.broadcast_to(b, (1, 1, 1, 4)))


def test_refused_arguments_change_nothing():
    x, w = np.ones((1, 5, 5, 3), np.float32), np.ones((3, 3, 3, 4), np.float32)
    out = np.full((1, 3, 3, 4), 7.0, np.float32)
    cases = [
        (dict(w=np.ones((3, 3, 2, 4), np.float32)), ValueError, r"'w' must have shape \(3, 3, 3, oc\)"),
        (dict(strides=(0, 1)), ValueError, r"'strides' must be a tuple of 2 ints in \[1, "),
        (dict(strides=(1, 2**40)), ValueError, "'strides'"),
        (dict(strides=3), TypeError, "'strides'"),
        (dict(padding=(0, 0, -1, 0)), ValueError, "'padding'"),
        (dict(padding=(0, 0, 0)), ValueError, "'padding'"),
        (dict(dilations=(1, 1.5)), TypeError, "'dilations'"),
        (dict(dilations=(3, 1)), ValueError, r"does not fit in the padded input: x has shape \(1, 5, 5, 3\)"),
        (dict(w=np.ones((0, 3, 3, 4), np.float32)), ValueError, "at least one tap"),
        (dict(x=np.ones((5, 5, 3), np.float32)), ValueError, "'x' must have rank 4"),
        (dict(x=x.astype(np.float64)), TypeError, "'x' must have dtype float32"),
        (dict(b=np.ones(3, np.float32)), ValueError, r"'b' must have shape \(4,\)"),
        (dict(activation="gelu"), ValueError, "unknown activation 'gelu'"),
        (dict(out=np.ones((1, 3, 3, 5), np.float32)), ValueError, r"'out' must have shape \(1, 3, 3, 4\)"),
        (dict(out=x), ValueError, "'out'"),
        # An output of 2^31 x 2^31 pixels: refused before any allocation.
        (dict(padding=(2**31 - 1,) * 4, out=None), ValueError, "more than this machine's memory"),
    ]
    for kw, exc, msg in cases:
        args = dict(x=x, w=w, b=None, strides=(1, 1), padding=(0, 0, 0, 0), dilations=(1, 1),
                    activation="linear", out=out)
        args.update(kw)
        with pytest.raises(exc, match=msg):
            K.conv2d_forward(**args)
        np.testing.assert_array_equal(out, 7.0)
    buf = np.zeros(1 * 5 * 5 * 3 + 9, np.float32)
    with pytest.raises(ValueError, match="'x' and 'out' must not share memory"):
        K.conv2d_forward(buf[:75].reshape(1, 5, 5, 3), w, out=buf[2:38].reshape(1, 3, 3, 4))


def test_backward_refused_arguments():
    x, w = np.ones((2, 5, 5, 3), np.float32), np.ones((3, 3, 3, 4), np.float32)
    dy = np.ones((2, 3, 3, 4), np.float32)
    dw = np.full(w.shape, 7.0, np.float32)
    with pytest.raises(ValueError, match=r"'dy' must have shape \(2, 3, 3, 4\), received shape \(2, 3, 4, 4\)"):
        K.conv2d_backward(np.ones((2, 3, 4, 4), np.float32), x, w, dw=dw)
    with pytest.raises(ValueError, match="'y' .*is needed for activation 'relu'"):
        K.conv2d_backward(dy, x, w, None, activation="relu", dw=dw)
    with pytest.raises(ValueError, match="'dx' was given but need_dx=False"):
        K.conv2d_backward(dy, x, w, need_dx=False, dx=np.zeros_like(x), dw=dw)
    buf = np.ones(200, np.float32)
    with pytest.raises(ValueError, match="'dy' and 'dw' must not share memory"):
        K.conv2d_backward(buf[:72].reshape(dy.shape), x, w, dw=buf[50:158].reshape(w.shape))
    np.testing.assert_array_equal(dw, 7.0)
    dx, dw2, db = K.conv2d_backward(dy, x, w, need_dx=False, need_db=False)
    assert dx is None and db is None and dw2.shape == w.shape


# --- depthwise: each channel with its own mult filters, output channel ci * mult + m ------

def depthwise64(x, w, b, strides, pad, dil):
    fh, fw, c, mult = w.shape
    y = 0
    for p, q, v in windows(x, fh, fw, strides, pad, dil):
        y = y + (v[..., None] * w[p, q].astype(np.float64)).reshape(v.shape[:3] + (c * mult,))
    return y + (0 if b is None else b.astype(np.float64))


def depthwise64_backward(x, w, dz, strides, pad, dil):
    sh, sw = strides
    dh, dwl = dil
    pt, pb, pl, pr = pad
    n, h, wd, c = x.shape
    fh, fw, _, mult = w.shape
    oh, ow = dz.shape[1:3]
    dz4 = dz.reshape(n, oh, ow, c, mult)
    dxp = np.zeros((n, h + pt + pb, wd + pl + pr, c))
    dw = np.zeros(w.shape)
    for p, q, v in windows(x, fh, fw, strides, pad, dil):
        dw[p, q] = np.einsum("nijc,nijcm->cm", v, dz4)
        dxp[:, p * dh:p * dh + (oh - 1) * sh + 1:sh, q * dwl:q * dwl + (ow - 1) * sw + 1:sw] += \
            (dz4 * w[p, q].astype(np.float64)).sum(-1)
    return dxp[:, pt:pt + h, pl:pl + wd], dw, dz.sum((0, 1, 2))


# (n, h, w, c, fh, fw, mult, strides, padding, dilations)
DEPTHWISE = [
    (2, 7, 6, 3, 3, 3, 1, (1, 1), (1, 1, 1, 1), (1, 1)),
    (1, 9, 8, 5, 3, 2, 3, (2, 1), (1, 2, 0, 1), (1, 2)),
    (3, 13, 13, 32, 3, 3, 1, (1, 1), (0, 0, 0, 0), (1, 1)),
    (2, 10, 11, 17, 5, 5, 2, (2, 2), (2, 2, 2, 2), (1, 1)),
    (1, 1, 15, 4, 1, 7, 1, (1, 1), (0, 0, 3, 3), (1, 1)),   # conv1d
]


def depthwise_data(g, seed):
    n, h, w, c, fh, fw, mult, st, pad, dil = g
    x, _, b, dy = data((n, h, w, c, fh, fw, c * mult, st, pad, dil), seed)
    wt = np.random.default_rng(seed).standard_normal((fh, fw, c, mult)) / np.sqrt(fh * fw)
    return x, wt.astype(np.float32), b, dy


@pytest.mark.parametrize("fn", ["fast", "ref"])
def test_depthwise_matches_float64(isa, threads, fn):
    sfx = "" if fn == "fast" else "_ref"
    for i, g in enumerate(DEPTHWISE):
        x, w, b, dy = depthwise_data(g, i)
        st, pad, dil = g[7:]
        tag = f"{fn} {g}"
        y = getattr(K, "depthwise_conv2d_forward" + sfx)(x, w, b, st, pad, dil, "relu")
        z = depthwise64(x, w, b, st, pad, dil)
        assert_close(y, np.maximum(z, 0), depthwise64(np.abs(x), np.abs(w), np.abs(b), st, pad, dil), tag)
        dz = dy * (z > 0)
        got = getattr(K, "depthwise_conv2d_backward" + sfx)(dy, x, w, y, st, pad, dil, "relu")
        scale = depthwise64_backward(np.abs(x), np.abs(w), np.abs(dz), st, pad, dil)
        for a, want, sc, name in zip(got, depthwise64_backward(x, w, dz, st, pad, dil), scale,
                                     ("dx", "dw", "db")):
            assert_close(a, want, sc, f"{tag} {name}")


def test_depthwise_threads_and_torch(isa):
    g = (24, 14, 14, 24, 3, 3, 2, (1, 1), (1, 1, 1, 1), (1, 1))
    x, w, b, dy = depthwise_data(g, 9)
    st, pad, dil = g[7:]
    before = K.get_num_threads()
    outs = []
    try:
        for t in (1, 2):
            K.set_num_threads(t)
            y = K.depthwise_conv2d_forward(x, w, b, st, pad, dil, "relu")
            outs.append((y,) + K.depthwise_conv2d_backward(dy, x, w, y, st, pad, dil, "relu"))
    finally:
        K.set_num_threads(before)
    for a, b_ in zip(*outs):
        assert a.tobytes() == b_.tobytes()
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    xp = F.pad(tx.permute(0, 3, 1, 2), (pad[2], pad[3], pad[0], pad[1]))
    ty = F.relu(F.conv2d(xp, tw.permute(2, 3, 0, 1).reshape(48, 1, 3, 3), tb, groups=24))
    ty.permute(0, 2, 3, 1).backward(torch.tensor(dy, dtype=torch.float64))
    np.testing.assert_allclose(outs[0][0], ty.permute(0, 2, 3, 1).detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    for got, t in zip(outs[0][1:], (tx, tw, tb)):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_depthwise_refused_and_empty():
    x = np.ones((1, 4, 4, 3), np.float32)
    with pytest.raises(ValueError, match=r"'w' must have shape \(2, 2, 3, mult\)"):
        K.depthwise_conv2d_forward(x, np.ones((2, 2, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"'b' must have shape \(6,\)"):
        K.depthwise_conv2d_forward(x, np.ones((2, 2, 3, 2), np.float32), np.ones(3, np.float32))
    y = K.depthwise_conv2d_forward(x, np.ones((2, 2, 3, 0), np.float32))
    assert y.shape == (1, 3, 3, 0)
    dx, dw, db = K.depthwise_conv2d_backward(y, x, np.ones((2, 2, 3, 0), np.float32))
    assert not dx.any() and dw.shape == (2, 2, 3, 0) and db.shape == (0,)
