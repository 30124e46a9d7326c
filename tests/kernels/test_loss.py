"""Softmax, log-softmax, their backward passes and the fused softmax-cross-entropy vs
float64 numpy (written by hand) and torch, under every ISA path."""
import numpy as np
import pytest

from treino import _kernels as K

F32 = np.float32
# Class counts below, at and above the 8- and 16-lane vector edges, and larger rows.
COLS = [1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1000]
ROWS = [0, 1, 3]


def np_log_softmax(x):
    x = np.asarray(x, np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def np_softmax(x):
    return np.exp(np_log_softmax(x))


def np_xent(logits, labels, sample_weight=None, grad_scale=1.0, label_smoothing=0.0):
    """losses, dlogits, correct in float64, formulas of the binding's docstring."""
    n, c = logits.shape
    lsm = np_log_softmax(logits)
    if labels.ndim == 1:
        t = np.zeros((n, c))
        t[np.arange(n), labels] = 1.0
        want = labels
    else:
        t = labels.astype(np.float64)
        want = np.argmax(labels, axis=1)
    t = t * (1 - label_smoothing) + label_smoothing / c
    with np.errstate(invalid="ignore"):  # 0 * -inf, masked out
        losses = -np.where(t != 0, t * lsm, 0.0).sum(axis=1)
    w = np.ones(n) if sample_weight is None else sample_weight.astype(np.float64)
    # The exact derivative of the loss: softmax * sum(t) - t (softmax - t for one-hot).
    grad = (np.exp(lsm) * t.sum(axis=1, keepdims=True) - t) * (grad_scale * w)[:, None]
    correct = int(np.sum(np.argmax(logits, axis=1) == want))
    return losses, grad, correct


def rand(shape, seed=0, scale=3.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(F32)


def one_hot(idx, c):
    out = np.zeros((len(idx), c), F32)
    out[np.arange(len(idx)), idx] = 1
    return out


# --- softmax / log_softmax -------------------------------------------------------

@pytest.mark.parametrize("cols", COLS)
@pytest.mark.parametrize("rows", ROWS + [37])
def test_softmax_and_log_softmax_vs_numpy(isa, rows, cols):
    x = rand((rows, cols), seed=rows * 1000 + cols)
    y = K.softmax(x)
    assert y.shape == x.shape and y.dtype == F32
    np.testing.assert_allclose(y, np_softmax(x), rtol=3e-6, atol=1e-7)
    np.testing.assert_allclose(K.log_softmax(x), np_log_softmax(x), rtol=1e-5, atol=2e-6)


def test_softmax_large_batch_threads(isa, threads):
    x = rand((300, 257), seed=1)  # 77k elements: parallel chunks
    y = K.softmax(x)
    np.testing.assert_allclose(y, np_softmax(x), rtol=3e-6, atol=1e-7)
    np.testing.assert_allclose(K.log_softmax(x), np_log_softmax(x), rtol=1e-5, atol=2e-6)


def test_softmax_out_in_place_and_rank3(isa):
    x = rand((2, 3, 19), seed=2)
    expect = np_softmax(x)
    out = np.full_like(x, np.nan)
    assert K.softmax(x, out=out) is out
    np.testing.assert_allclose(out, expect, rtol=3e-6, atol=1e-7)
    z = x.copy()
    K.log_softmax(z, out=z)
    np.testing.assert_allclose(z, np_log_softmax(x), rtol=1e-5, atol=2e-6)
    K.softmax(x, out=x)
    np.testing.assert_allclose(x, expect, rtol=3e-6, atol=1e-7)


def test_softmax_extreme_logits(isa):
    x = np.array([[1e4, -1e4, 0.0, 1e4 - 1.0] + [-1e4] * 20,
                  [-np.inf, 2.0, 3.0, -np.inf] + [-np.inf] * 20,
                  [-1e4, -1e4 + 2.0, -1e4 + 1.0, -1e4] + [-1e4 - 60.0] * 20], F32)
    y = K.softmax(x)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, np_softmax(x), rtol=3e-6, atol=1e-30)
    assert y[1, 0] == 0.0 and y[1, 3] == 0.0
    ls = K.log_softmax(x)
    assert ls[1, 0] == -np.inf
    finite = np.isfinite(np_log_softmax(x))
    np.testing.assert_allclose(ls[finite], np_log_softmax(x)[finite], rtol=1e-5, atol=2e-6)


def test_softmax_rows_without_finite_max_are_nan(isa):
    # Documented: all -inf, any +inf or any NaN in a row gives a NaN row (numpy's math).
    x = np.array([[-np.inf] * 20, [1.0, np.inf] + [0.0] * 18, [1.0, np.nan] + [0.0] * 18,
                  [0.0] * 20], F32)
    for fn in (K.softmax, K.log_softmax):
        y = fn(x)
        assert np.all(np.isnan(y[:3])) and np.all(np.isfinite(y[3]))


@pytest.mark.parametrize("cols", [1, 7, 16, 17, 100])
def test_backward_vs_numpy(isa, cols):
    x = rand((5, cols), seed=cols)
    dy = rand((5, cols), seed=cols + 1, scale=1.0)
    y = K.softmax(x)
    s = (dy.astype(np.float64) * y).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(K.softmax_backward(dy, y), y * (dy - s), rtol=1e-5, atol=1e-6)
    ly = K.log_softmax(x)
    expect = dy - np.exp(ly.astype(np.float64)) * dy.astype(np.float64).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(K.log_softmax_backward(dy, ly), expect, rtol=1e-5, atol=1e-5)
    out = dy.copy()
    K.log_softmax_backward(out, ly, out=out)  # in place over dy
    np.testing.assert_allclose(out, expect, rtol=1e-5, atol=1e-5)


def test_vector_exp_accuracy(isa):
    # log_softmax_backward with dy = e_last and y_last = 0 returns -exp(y) elsewhere,
    # which exposes the kernels' exp: within 2 ulp down to FLT_MIN, 0 below (and at -inf).
    y = np.concatenate([np.linspace(-90, 0, 200_001, dtype=F32),
                        np.random.default_rng(0).uniform(-88, 0, 100_000).astype(F32),
                        np.array([-np.inf, 0.0], F32)])
    dy = np.zeros_like(y)
    dy[-1] = 1.0
    e = -K.log_softmax_backward(dy[None], y[None])[0, :-1]
    exact = np.exp(y[:-1].astype(np.float64))
    normal = exact >= np.finfo(F32).tiny
    ulp = np.abs(e[normal] - exact[normal]) / np.spacing(exact[normal].astype(F32))
    assert ulp.max() <= 2.0
    assert np.all(np.abs(e[~normal]) <= np.finfo(F32).tiny) and e[-1] == 0.0


def test_softmax_family_vs_torch_autograd(isa):
    torch = pytest.importorskip("torch")
    x = rand((6, 23), seed=4)
    dy = rand((6, 23), seed=5, scale=1.0)
    for fwd, bwd, tfn in ((K.softmax, K.softmax_backward, torch.softmax),
                          (K.log_softmax, K.log_softmax_backward, torch.log_softmax)):
        tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        ty = tfn(tx, dim=1)
        ty.backward(torch.tensor(dy, dtype=torch.float64))
        y = fwd(x)
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-5, atol=2e-6)
        np.testing.assert_allclose(bwd(dy, y), tx.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_softmax_bad_inputs():
    with pytest.raises(TypeError, match=r"softmax: argument 'x' must have dtype float32"):
        K.softmax(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"'x' must have rank >= 1"):
        K.softmax(np.array(1.0, F32))
    with pytest.raises(ValueError, match=r"'out' must have shape \(2, 3\)"):
        K.log_softmax(np.zeros((2, 3), F32), out=np.zeros((3, 2), F32))
    buf = np.zeros(7, F32)
    with pytest.raises(ValueError, match=r"'out' and 'x' must not share memory"):
        K.softmax(buf[:6].reshape(2, 3), out=buf[1:].reshape(2, 3))
    with pytest.raises(ValueError, match=r"log_softmax_backward: argument 'y' must have shape"):
        K.log_softmax_backward(np.zeros((2, 3), F32), np.zeros((2, 4), F32))
    with pytest.raises(ValueError, match=r"C-contiguous"):
        K.softmax_backward(np.zeros((3, 4), F32).T, np.zeros((4, 3), F32))


# --- softmax_cross_entropy -------------------------------------------------------

@pytest.mark.parametrize("cols", COLS)
@pytest.mark.parametrize("rows", ROWS + [37])
@pytest.mark.parametrize("kind", ["index", "onehot", "soft"])
def test_xent_vs_numpy(isa, rows, cols, kind):
    rng = np.random.default_rng(rows * 7919 + cols)
    logits = rand((rows, cols), seed=rows + 31 * cols)
    idx = rng.integers(0, cols, rows).astype(np.int32)
    if kind == "index":
        labels = idx
    elif kind == "onehot":
        labels = one_hot(idx, cols)
    else:
        labels = rng.random((rows, cols)).astype(F32)
        labels /= labels.sum(axis=1, keepdims=True)
    losses, dl, correct = K.softmax_cross_entropy(logits, labels)
    e_losses, e_dl, e_correct = np_xent(logits, labels)
    assert losses.shape == (rows,) and dl.shape == (rows, cols) and isinstance(correct, int)
    np.testing.assert_allclose(losses, e_losses, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(dl, e_dl, rtol=1e-5, atol=1e-7)
    assert correct == e_correct


@pytest.mark.parametrize("kind", ["index", "onehot", "soft"])
@pytest.mark.parametrize("cols", [1, 10, 17, 33])
def test_xent_smoothing_weights_scale(isa, kind, cols):
    rng = np.random.default_rng(cols)
    rows = 9
    logits = rand((rows, cols), seed=cols)
    idx = rng.integers(0, cols, rows).astype(np.int32)
    labels = {"index": idx, "onehot": one_hot(idx, cols),
              "soft": rng.random((rows, cols)).astype(F32)}[kind]
    sw = rng.random(rows).astype(F32) * 2
    kw = dict(sample_weight=sw, grad_scale=1.0 / rows, label_smoothing=0.2)
    losses, dl, correct = K.softmax_cross_entropy(logits, labels, **kw)
    e_losses, e_dl, e_correct = np_xent(logits, labels, **kw)
    np.testing.assert_allclose(losses, e_losses, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(dl, e_dl, rtol=1e-5, atol=1e-7)
    assert correct == e_correct


def test_xent_large_logits(isa):
    logits = np.array([[1e4, -1e4, 0.0, 5.0], [-1e4, 1e4, 1e4 - 3.0, 0.0],
                       [-1e4, -1e4 + 1.0, -1e4, -1e4]], F32)
    for labels in (np.array([0, 2, 1], np.int32), one_hot([1, 2, 0], 4)):
        for ls in (0.0, 0.1):
            losses, dl, _ = K.softmax_cross_entropy(logits, labels, label_smoothing=ls)
            e_losses, e_dl, _ = np_xent(logits, labels, label_smoothing=ls)
            assert np.all(np.isfinite(losses)) and np.all(np.isfinite(dl))
            np.testing.assert_allclose(losses, e_losses, rtol=1e-5, atol=1e-4)
            np.testing.assert_allclose(dl, e_dl, rtol=1e-5, atol=1e-6)


def test_xent_minus_inf_logit_with_zero_label_costs_nothing(isa):
    logits = np.array([[-np.inf, 1.0, 2.0] + [0.0] * 14], F32)
    losses, dl, _ = K.softmax_cross_entropy(logits, one_hot([2], 17))
    e_losses, e_dl, _ = np_xent(logits, one_hot([2], 17))
    np.testing.assert_allclose(losses, e_losses, rtol=1e-5)
    assert dl[0, 0] == 0.0
    np.testing.assert_allclose(dl, e_dl, rtol=1e-5, atol=1e-7)
    losses, _, _ = K.softmax_cross_entropy(logits, one_hot([0], 17))
    assert losses[0] == np.inf


def test_xent_correct_count_ties_and_nan(isa):
    # numpy.argmax: ties go to the first index, the first NaN wins.
    cols = 19
    logits = np.zeros((5, cols), F32)
    logits[0, [3, 7]] = 5.0           # tie -> 3
    logits[1, [3, 7]] = 5.0           # tie -> 3, label 7: wrong
    logits[2, 17] = 2.0               # in the vector tail
    logits[3, [2, 9]] = np.nan        # first NaN -> 2
    logits[4] = 1.0                   # all equal -> 0
    idx = np.array([3, 7, 17, 2, 0], np.int32)
    _, _, correct = K.softmax_cross_entropy(logits, idx)
    assert correct == 4
    labels = one_hot(idx, cols)
    labels[1, 3] = 1.0  # label tie: argmax 3 now, so row 1 is correct
    _, _, correct = K.softmax_cross_entropy(logits, labels)
    assert correct == 5
    assert correct == np.sum(np.argmax(logits, 1) == np.argmax(labels, 1))


def test_xent_edges(isa):
    # C = 1: probability 1, loss 0, zero gradient.
    losses, dl, correct = K.softmax_cross_entropy(rand((4, 1)), np.zeros(4, np.int32))
    np.testing.assert_array_equal(losses, 0.0)
    np.testing.assert_array_equal(dl, 0.0)
    assert correct == 4
    # N = 0.
    losses, dl, correct = K.softmax_cross_entropy(np.zeros((0, 5), F32), np.zeros(0, np.int32))
    assert losses.shape == (0,) and dl.shape == (0, 5) and correct == 0
    # N = 1, no gradient.
    logits = rand((1, 10), seed=3)
    losses, dl, correct = K.softmax_cross_entropy(logits, np.array([4], np.int32),
                                                  compute_grad=False)
    assert dl is None
    np.testing.assert_allclose(losses, np_xent(logits, np.array([4]))[0], rtol=1e-5)


def test_xent_outputs_reused_and_in_place(isa):
    logits = rand((7, 12), seed=6)
    labels = np.arange(7, dtype=np.int32) % 12
    e_losses, e_dl, _ = np_xent(logits, labels)
    losses = np.full(7, np.nan, F32)
    dl = np.full((7, 12), np.nan, F32)
    r = K.softmax_cross_entropy(logits, labels, dlogits=dl, losses=losses)
    assert r[0] is losses and r[1] is dl
    np.testing.assert_allclose(dl, e_dl, rtol=1e-5, atol=1e-7)
    for lab in (labels, one_hot(labels, 12)):
        inplace = logits.copy()
        l2, dl2, _ = K.softmax_cross_entropy(inplace, lab, dlogits=inplace, label_smoothing=0.1)
        e_l2, e_dl2, _ = np_xent(logits, lab, label_smoothing=0.1)
        assert dl2 is inplace
        np.testing.assert_allclose(l2, e_l2, rtol=1e-5, atol=2e-6)
        np.testing.assert_allclose(inplace, e_dl2, rtol=1e-5, atol=1e-7)


def test_xent_large_batch_threads(isa, threads):
    rng = np.random.default_rng(8)
    logits = rand((700, 100), seed=8)  # 70k elements: parallel chunks
    idx = rng.integers(0, 100, 700).astype(np.int32)
    idx[:50] = np.argmax(logits[:50], axis=1)
    losses, dl, correct = K.softmax_cross_entropy(logits, idx, grad_scale=1 / 700)
    e_losses, e_dl, e_correct = np_xent(logits, idx, grad_scale=1 / 700)
    np.testing.assert_allclose(losses, e_losses, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(dl, e_dl, rtol=1e-5, atol=1e-9)
    assert correct == e_correct >= 50


def test_xent_bit_identical_across_thread_counts(isa):
    logits = rand((900, 77), seed=9)
    labels = np.random.default_rng(9).integers(0, 77, 900).astype(np.int32)
    outs = []
    for nt in (1, 2):
        previous = K.get_num_threads()
        K.set_num_threads(nt)
        try:
            outs.append(K.softmax_cross_entropy(logits, labels, label_smoothing=0.1))
        finally:
            K.set_num_threads(previous)
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
    assert outs[0][2] == outs[1][2]


@pytest.mark.parametrize("smoothing", [0.0, 0.15])
def test_xent_vs_torch(isa, smoothing):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(12)
    logits = rand((11, 13), seed=12)
    idx = rng.integers(0, 13, 11).astype(np.int32)
    sw = rng.random(11).astype(F32)
    for labels in (idx, one_hot(idx, 13)):
        tx = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
        target = torch.tensor(idx, dtype=torch.long) if labels.ndim == 1 else \
            torch.tensor(labels, dtype=torch.float64)
        tl = F.cross_entropy(tx, target, reduction="none", label_smoothing=smoothing)
        (tl * torch.tensor(sw, dtype=torch.float64)).sum().backward()
        losses, dl, _ = K.softmax_cross_entropy(logits, labels, sample_weight=sw,
                                                label_smoothing=smoothing)
        np.testing.assert_allclose(losses, tl.detach().numpy(), rtol=1e-5, atol=2e-6)
        np.testing.assert_allclose(dl, tx.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_xent_bad_inputs():
    logits = rand((4, 6))
    idx = np.array([0, 5, 2, 1], np.int32)
    fn = K.softmax_cross_entropy
    with pytest.raises(ValueError, match=r"'labels' must have shape \(4, 6\), received shape \(4, 5\)"):
        fn(logits, np.zeros((4, 5), F32))
    with pytest.raises(ValueError, match=r"'labels' must have shape \(4,\), received shape \(3,\)"):
        fn(logits, idx[:3].copy())
    with pytest.raises(TypeError, match=r"'logits' must have dtype float32"):
        fn(logits.astype(np.float64), idx)
    with pytest.raises(TypeError, match=r"'labels' must have dtype float32 \(N, C\) or int32"):
        fn(logits, idx.astype(np.int64))
    with pytest.raises(TypeError, match=r"'labels' must be a numpy"):
        fn(logits, [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"'logits' must have rank 2"):
        fn(logits.reshape(-1), idx)
    with pytest.raises(ValueError, match=r"at least one class"):
        fn(np.zeros((4, 0), F32), idx)
    with pytest.raises(ValueError, match=r"'sample_weight' must have shape \(4,\), received shape \(5,\)"):
        fn(logits, idx, sample_weight=np.ones(5, F32))
    with pytest.raises(ValueError, match=r"'dlogits' must have shape"):
        fn(logits, idx, dlogits=np.zeros((6, 4), F32))
    with pytest.raises(ValueError, match=r"'dlogits' was given but compute_grad=False"):
        fn(logits, idx, dlogits=np.zeros((4, 6), F32), compute_grad=False)
    with pytest.raises(ValueError, match=r"'label_smoothing' must be finite"):
        fn(logits, idx, label_smoothing=float("nan"))
    buf = np.zeros(30, F32)
    with pytest.raises(ValueError, match=r"'dlogits' and 'logits' must not share memory"):
        fn(buf[:24].reshape(4, 6), idx, dlogits=buf[6:].reshape(4, 6))
    # Out-of-range index: named by row and value, and no output is touched.
    losses = np.full(4, 7.0, F32)
    dl = np.full((4, 6), 7.0, F32)
    for bad, row in (([0, 6, 2, -1], 1), ([0, 1, -3, 9], 2)):
        with pytest.raises(ValueError, match=rf"labels\[{row}\] = {bad[row]} is out of range for 6"):
            fn(logits, np.array(bad, np.int32), dlogits=dl, losses=losses)
    np.testing.assert_array_equal(losses, 7.0)
    np.testing.assert_array_equal(dl, 7.0)


# -- argmax_match_count: categorical accuracy's count ---------------------------------
@pytest.mark.parametrize("rows, cols", [(1, 1), (7, 3), (32, 10), (5, 17), (3000, 40)])
def test_argmax_match_count_vs_numpy(isa, threads, rows, cols):
    rng = np.random.default_rng(rows * cols)
    a = rng.normal(size=(rows, cols)).astype(np.float32)
    b = np.where(rng.random((rows, cols)) < 0.5, a, rng.normal(size=(rows, cols))).astype(np.float32)
    want = int(np.count_nonzero(a.argmax(1) == b.argmax(1)))
    assert K.argmax_match_count(a, b) == want
    assert K.argmax_match_count(a, a) == rows


def test_argmax_match_count_ties_nan_and_infinities(isa):
    """numpy's rules: the first maximum on ties, the first NaN wins, +-inf are values."""
    rows = [([1, 3, 3], [0, 1, 0]), ([1, 3, 3], [0, 0, 1]), ([np.nan, 5, 1], [1, 0, 0]),
            ([1, np.nan, np.nan], [0, 1, 1]), ([2, 9, np.nan], [0, 1, 0]),
            ([-np.inf, -np.inf, -np.inf], [1, 0, 0]), ([0, np.inf, 7], [0, 1, 0]),
            ([-0.0, 0.0, -1], [1, 0, 0])]
    for cols in (3, 21):  # in a vector's tail and past one full vector
        for r, t in rows:
            a = np.full((1, cols), -5.0, np.float32)
            b = np.zeros((1, cols), np.float32)
            a[0, :3], b[0, :3] = r, t
            assert K.argmax_match_count(a, b) == int(a.argmax(1)[0] == b.argmax(1)[0]), (r, t)


def test_argmax_match_count_bad_inputs():
    a = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match=r"argmax_match_count: argument 'b'"):
        K.argmax_match_count(a, np.zeros((4, 2), np.float32))
    with pytest.raises(TypeError, match=r"argmax_match_count: argument 'a'.*float32"):
        K.argmax_match_count(a.astype(np.float64), a)
    assert K.argmax_match_count(np.zeros((4, 0), np.float32), np.zeros((4, 0), np.float32)) == 0
