"""Fused recurrent kernels (rnn_forward / rnn_backward) against the cell equations written
step by step in float64 torch (autograd gives the reference gradients), on every ISA
path and thread count; the embedding lookup's scatter-add backward against np.add.at."""
import functools

import numpy as np
import pytest

from treino import _kernels as K

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # tiny ops: torch's own thread pool would only compete with ours

GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3, "gru_reset_after": 3}
ACTS = {
    "linear": lambda v: v,
    "relu": torch.relu,
    "relu6": lambda v: torch.clamp(v, 0, 6),
    "elu": torch.nn.functional.elu,
    "selu": torch.selu,
    "sigmoid": torch.sigmoid,
    "hardSigmoid": lambda v: torch.clamp(0.2 * v + 0.5, 0, 1),
    "tanh": torch.tanh,
    "softplus": torch.nn.functional.softplus,
    "softsign": lambda v: v / (1 + v.abs()),
}


def reference(cell, x, w, r, b, h0, c0, mask, rmask, reverse, act, rec):
    """(hseq, h_last, c_last) of TF.js's cell equations, one step at a time."""
    f, g = ACTS[act], ACTS[rec]
    B, T, _ = x.shape
    U = r.shape[0]
    h = h0 if h0 is not None else torch.zeros(B, U, dtype=x.dtype)
    c = c0 if c0 is not None else torch.zeros(B, U, dtype=x.dtype)
    bias = 0 if b is None else (b[0] if cell == "gru_reset_after" else b)
    outs = []
    for s in range(T):
        t = T - 1 - s if reverse else s
        hm = h * rmask if rmask is not None else h
        xw = x[:, t] @ w + bias
        cn = c
        if cell == "simple_rnn":
            hn = f(xw + hm @ r)
        elif cell == "lstm":
            z = xw + hm @ r
            i, fg, gg, o = g(z[:, :U]), g(z[:, U:2 * U]), f(z[:, 2 * U:3 * U]), g(z[:, 3 * U:])
            cn = fg * c + i * gg
            hn = o * f(cn)
        elif cell == "gru":
            zr = xw[:, :2 * U] + hm @ r[:, :2 * U]
            zg, rg = g(zr[:, :U]), g(zr[:, U:])
            hh = f(xw[:, 2 * U:] + (rg * hm) @ r[:, 2 * U:])
            hn = zg * hm + (1 - zg) * hh
        else:
            rc = hm @ r + (0 if b is None else b[1])
            zg, rg = g(xw[:, :U] + rc[:, :U]), g(xw[:, U:2 * U] + rc[:, U:2 * U])
            hh = f(xw[:, 2 * U:] + rg * rc[:, 2 * U:])
            hn = zg * hm + (1 - zg) * hh
        if mask is not None:
            m = mask[:, t:t + 1]
            hn = m * hn + (1 - m) * h
            cn = m * cn + (1 - m) * c
        h, c = hn, cn
        outs.append(h)
    return torch.stack(outs, 1), h, c


def make_case(cell, B, T, I, U, seed, bias=True, states=True, masked=False, rdrop=False):
    rng = np.random.default_rng(seed)
    G = GATES[cell]

    def f32(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)
    case = {
        "x": f32(B, T, I), "w": f32(I, G * U, scale=1 / np.sqrt(max(I, 1))),
        "r": f32(U, G * U, scale=1 / np.sqrt(U)),
        "b": (f32(2, G * U) if cell == "gru_reset_after" else f32(G * U)) if bias else None,
        "h0": f32(B, U) if states else None,
        "c0": f32(B, U) if states and cell == "lstm" else None,
        "mask": (rng.random((B, T)) > 0.3).astype(np.float32) if masked else None,
        "rmask": (rng.random((B, U)) > 0.4).astype(np.float32) * 1.5 if rdrop else None,
    }
    grads = {"dhseq": f32(B, T, U), "dh_last": f32(B, U),
             "dc_last": f32(B, U) if cell == "lstm" else None}
    return case, grads


def run_reference(cell, case, grads, reverse, act, rec):
    t = {k: None if v is None else torch.tensor(v, dtype=torch.float64, requires_grad=k in
                                               ("x", "w", "r", "b", "h0", "c0"))
         for k, v in case.items()}
    hseq, h, c = reference(cell, t["x"], t["w"], t["r"], t["b"], t["h0"], t["c0"], t["mask"],
                           t["rmask"], reverse, act, rec)
    loss = (hseq * torch.tensor(grads["dhseq"], dtype=torch.float64)).sum() + \
        (h * torch.tensor(grads["dh_last"], dtype=torch.float64)).sum()
    if cell == "lstm":
        loss = loss + (c * torch.tensor(grads["dc_last"], dtype=torch.float64)).sum()
    loss.backward()
    out = {"hseq": hseq, "h_last": h, "c_last": c if cell == "lstm" else None}
    for k in ("x", "w", "r", "b", "h0", "c0"):
        out["d" + k] = None if t[k] is None else t[k].grad
    return {k: None if v is None else v.detach().numpy() for k, v in out.items()}


def run_kernel(cell, case, grads, reverse, act, rec):
    hseq, h_last, c_last, ws = K.rnn_forward(
        cell, case["x"], case["w"], case["r"], case["b"], case["h0"], case["c0"], case["mask"],
        case["rmask"], reverse, act, rec)
    lstm = cell == "lstm"
    dx, dw, dr, db, dh0, dc0 = K.rnn_backward(
        cell, case["x"], case["w"], case["r"], case["mask"], case["rmask"], ws,
        grads["dhseq"], grads["dh_last"], grads["dc_last"], reverse, act, rec,
        need_db=case["b"] is not None, need_dh0=True, need_dc0=lstm)
    return {"hseq": hseq, "h_last": h_last, "c_last": c_last, "dx": dx, "dw": dw, "dr": dr,
            "db": db, "dh0": dh0, "dc0": dc0}


def assert_matches(got, want, what, tol=2e-4):
    for k, w in want.items():
        if w is None or (k in ("dh0", "dc0") and got[k] is None):
            continue
        g = got[k]
        assert g is not None, f"{what}: {k} missing"
        assert g.shape == w.shape, f"{what}: {k} shape {g.shape} != {w.shape}"
        scale = max(1.0, float(np.abs(w).max(initial=0)))
        err = float(np.abs(g - w).max(initial=0))
        assert err <= tol * scale, f"{what}: {k} max error {err} (scale {scale})"


CASES = [  # (B, T, I, U): tile edges of every ISA's micro-kernel (mr 4 / 6 / 12, nr 16 / 32)
    (1, 1, 1, 1), (3, 5, 4, 3), (13, 7, 6, 8), (25, 4, 17, 33),
]


@functools.lru_cache(maxsize=None)
def tile_edge_case(cell, k):
    """The k-th of CASES for `cell` and its reference results (the same for every ISA)."""
    case, grads = make_case(cell, *CASES[k], seed=k)
    return case, grads, run_reference(cell, case, grads, False, "tanh", "hardSigmoid")


@pytest.mark.parametrize("cell", sorted(GATES))
def test_cells_match_reference_every_isa_and_thread_count(isa, threads, cell):
    for k in range(len(CASES)):
        case, grads, want = tile_edge_case(cell, k)
        got = run_kernel(cell, case, grads, False, "tanh", "hardSigmoid")
        assert_matches(got, want, f"{cell} {isa} {threads} threads {CASES[k]}")
        if threads == 2:  # bit-identical to one thread
            K.set_num_threads(1)
            try:
                one = run_kernel(cell, case, grads, False, "tanh", "hardSigmoid")
            finally:
                K.set_num_threads(2)
            for name, v in got.items():
                if v is not None:
                    np.testing.assert_array_equal(v, one[name], err_msg=name)


@pytest.mark.parametrize("cell", sorted(GATES))
@pytest.mark.parametrize("variant", ["reverse", "mask", "rdrop", "no_bias_no_state",
                                     "all"])
def test_cell_options(isa, cell, variant):
    opts = dict(bias=variant != "no_bias_no_state", states=variant != "no_bias_no_state",
                masked=variant in ("mask", "all"), rdrop=variant in ("rdrop", "all"))
    reverse = variant in ("reverse", "all")
    case, grads = make_case(cell, 14, 6, 5, 7, seed=3, **opts)
    want = run_reference(cell, case, grads, reverse, "tanh", "sigmoid")
    assert_matches(run_kernel(cell, case, grads, reverse, "tanh", "sigmoid"), want,
                   f"{cell} {variant}")


@pytest.mark.parametrize("act", sorted(ACTS))
def test_every_activation(act):
    for cell in ("simple_rnn", "lstm", "gru", "gru_reset_after"):
        case, grads = make_case(cell, 5, 4, 3, 6, seed=7)
        want = run_reference(cell, case, grads, False, act, act)
        assert_matches(run_kernel(cell, case, grads, False, act, act), want, f"{cell} {act}")


def test_empty_batch_and_bad_arguments():
    case, grads = make_case("lstm", 0, 3, 2, 4, seed=1)
    hseq, h, c, ws = K.rnn_forward("lstm", case["x"], case["w"], case["r"], case["b"])
    assert hseq.shape == (0, 3, 4) and h.shape == (0, 4) and c.shape == (0, 4)
    dx, dw, dr, db, _, _ = K.rnn_backward("lstm", case["x"], case["w"], case["r"], None, None,
                                          ws, grads["dhseq"])
    assert dx.shape == (0, 3, 2) and not dw.any() and not dr.any() and not db.any()

    x = np.zeros((2, 3, 5), np.float32)
    w, r = np.zeros((5, 8), np.float32), np.zeros((2, 8), np.float32)
    with pytest.raises(ValueError, match="lstm cell has 4 gate.*4 \\* units = 12 .*received 8"):
        K.rnn_forward("lstm", x, w, np.zeros((3, 8), np.float32))
    with pytest.raises(ValueError, match="at least one time step"):
        K.rnn_forward("lstm", np.zeros((2, 0, 5), np.float32), w, r)
    with pytest.raises(ValueError, match="'activation' must be one of.*received 'swish'"):
        K.rnn_forward("lstm", x, w, r, activation="swish")
    with pytest.raises(ValueError, match="'cell' must be one of"):
        K.rnn_forward("lstm2", x, w, r)
    with pytest.raises(ValueError, match="'c0' is only for an lstm"):
        K.rnn_forward("gru", x, np.zeros((5, 6), np.float32), np.zeros((2, 6), np.float32),
                      c0=np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="mask"):
        K.rnn_forward("lstm", x, w, r, mask=np.ones((2, 4), np.float32))
    with pytest.raises(TypeError):
        K.rnn_forward("lstm", x.astype(np.float64), w, r)
    _, _, _, ws = K.rnn_forward("lstm", x, w, r)
    with pytest.raises(ValueError, match="workspace"):
        K.rnn_backward("lstm", x, w, r, None, None, ws[1:])
    with pytest.raises(ValueError, match="'dw' was given but need_dw=False"):
        K.rnn_backward("lstm", x, w, r, None, None, ws, need_dw=False, dw=np.zeros_like(w))


def test_embedding_lookup_and_deterministic_scatter_add(threads):
    rng = np.random.default_rng(0)
    for V, D, shape in [(1, 1, (1,)), (7, 3, (4, 5)), (1000, 33, (64, 50)), (5, 4, (0, 3))]:
        table = rng.standard_normal((V, D)).astype(np.float32)
        idx = rng.integers(0, V, size=shape).astype(np.int32)
        out = K.embedding_forward(table, idx)
        np.testing.assert_array_equal(out, table[idx])
        dy = rng.standard_normal(shape + (D,)).astype(np.float32)
        want = np.zeros((V, D), np.float32)
        np.add.at(want, idx.ravel(), dy.reshape(-1, D))  # the sequential order, float32
        np.testing.assert_array_equal(K.embedding_backward(dy, idx, V), want)
        buf = np.full((V, D), np.nan, np.float32)
        assert K.embedding_backward(dy, idx, V, out=buf) is buf
        np.testing.assert_array_equal(buf, want)
    with pytest.raises(ValueError, match="index 7 .* out of range for 7 rows"):
        K.embedding_forward(np.zeros((7, 2), np.float32), np.array([[1, 7]], np.int32))
    with pytest.raises(ValueError, match="index -1"):
        K.embedding_backward(np.zeros((1, 2), np.float32), np.array([-1], np.int32), 3)
    with pytest.raises(ValueError, match="'dy'"):
        K.embedding_backward(np.zeros((2, 3), np.float32), np.array([0], np.int32), 3)
