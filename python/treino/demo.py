"""`python -m treino.demo`: the README's main job.

Until the Layers API lands this is a kernel smoke run: it reports the CPU path in use,
trains a 784-32-10 MLP for a few steps with nothing but the fused native kernels
(dense forward/backward, softmax-cross-entropy, one adam update for all weights) on
synthetic data, and checks each kernel against numpy on the way.
"""
import time

import numpy as np

from . import _kernels as K


def _check(name, got, want, rtol=1e-4, atol=1e-5):
    ok = np.allclose(got, want, rtol=rtol, atol=atol)
    print(f"  {name:<28} {'ok' if ok else 'MISMATCH'}")
    if not ok:
        raise SystemExit(f"{name}: treino disagrees with numpy (max abs diff "
                         f"{np.max(np.abs(np.asarray(got, np.float64) - want)):.3g})")


def main():
    info = K.cpu_info()
    print(f"treino kernels: cpu {info['cpu']}, isa {info['isa']} "
          f"(supported {', '.join(info['supported_isas'])}), {info['num_threads']} threads")
    rng = np.random.default_rng(0)
    n, d, h, c = 256, 784, 32, 10
    # Two well-separated synthetic classes per digit-like centroid.
    centers = rng.normal(0, 1, (c, d)).astype(np.float32)
    labels = rng.integers(0, c, n).astype(np.int32)
    x = (centers[labels] + rng.normal(0, 1.5, (n, d))).astype(np.float32)
    w1 = (rng.normal(0, 1, (d, h)) * np.sqrt(2 / (d + h))).astype(np.float32)
    b1 = np.zeros(h, np.float32)
    w2 = (rng.normal(0, 1, (h, c)) * np.sqrt(2 / (h + c))).astype(np.float32)
    b2 = np.zeros(c, np.float32)

    print("checks against numpy:")
    _check("sgemm 256x784x32", K.sgemm(x, w1), x.astype(np.float64) @ w1)
    h1 = K.dense_forward(x, w1, b1, activation="relu")
    _check("dense_forward relu", h1, np.maximum(x.astype(np.float64) @ w1 + b1, 0))
    logits = K.dense_forward(h1, w2, b2)
    losses, dlogits, correct = K.softmax_cross_entropy(logits, labels, grad_scale=1.0 / n)
    z = logits.astype(np.float64)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    _check("softmax_cross_entropy", losses, -logp[np.arange(n), labels])
    assert correct == int((z.argmax(1) == labels).sum())

    params = [w1, b1, w2, b2]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    print("training 784-32-10 on synthetic data with adam, full batch:")
    t0 = time.perf_counter()
    for step in range(1, 31):
        h1 = K.dense_forward(x, w1, b1, activation="relu")
        logits = K.dense_forward(h1, w2, b2)
        losses, dlogits, correct = K.softmax_cross_entropy(logits, labels, grad_scale=1.0 / n)
        dh1, dw2, db2 = K.dense_backward(dlogits, h1, w2, logits)
        _, dw1, db1 = K.dense_backward(dh1, x, w1, h1, activation="relu", need_dx=False)
        K.adam_update(params, [dw1, db1, dw2, db2], ms, vs, 0.01, 0.9, 0.999, 1e-7, step)
        if step % 10 == 0 or step == 1:
            print(f"  step {step:>2}  loss {losses.mean():.4f}  acc {correct / n:.3f}")
    dt = time.perf_counter() - t0
    print(f"30 steps in {dt * 1000:.1f} ms; final training accuracy {correct / n:.3f}")
    if correct / n < 0.9:
        raise SystemExit("the smoke run did not learn: accuracy below 0.9")


if __name__ == "__main__":
    main()
