"""Gradient checks shared by the op tests: treino's gradient of sum(op(xs) * w), for fixed
random weights w, against float64 central differences of the same op (and against
torch.autograd in float64 when a torch twin is given)."""
import numpy as np

import treino as tn

try:
    import torch
except ImportError:  # the torch comparison is skipped, the finite differences are not
    torch = None


def fd_grads(fn, xs, w, eps=1e-3):
    """Central differences of sum(fn(*xs) * w), in float64, over float32 evaluations."""
    grads = []
    for i, x in enumerate(xs):
        g = np.zeros(x.shape)
        for idx in np.ndindex(x.shape):
            vals = []
            for sgn in (1, -1):
                xp = [v.astype(np.float64) for v in xs]
                xp[i][idx] += sgn * eps
                out = fn(*[tn.tensor(v.astype(np.float32)) for v in xp])
                vals.append((np.asarray(out, np.float64) * w).sum())
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(g)
    return grads


def check_grads(fn, xs, torch_fn=None, seed=0, rtol=1e-2, atol=2e-3, eps=1e-3):
    """Asserts treino's gradients of fn at the float32 arrays xs match finite differences
    (and torch's autograd, when torch_fn is given and torch is installed). Returns
    treino's gradients as numpy arrays."""
    xs = [np.asarray(x, np.float32) for x in xs]
    out = fn(*[tn.tensor(x) for x in xs])
    w = np.random.default_rng(seed).uniform(0.5, 1.5, out.shape)
    ours = tn.grads(lambda *ts: tn.sum(tn.mul(fn(*ts), tn.tensor(w.astype(np.float32)))))(
        [tn.tensor(x) for x in xs])
    ours = [g.numpy() for g in ours]
    for g, x in zip(ours, xs):
        assert g.shape == x.shape
    for k, (g, fd) in enumerate(zip(ours, fd_grads(fn, xs, w, eps))):
        np.testing.assert_allclose(g, fd, rtol=rtol, atol=atol,
                                   err_msg=f"input {k} vs finite differences")
    if torch is not None and torch_fn is not None:
        ts = [torch.tensor(x.astype(np.float64), requires_grad=True) for x in xs]
        (torch_fn(*ts) * torch.tensor(w)).sum().backward()
        for k, (g, t) in enumerate(zip(ours, ts)):
            np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-4, atol=1e-5,
                                       err_msg=f"input {k} vs torch")
    return ours
