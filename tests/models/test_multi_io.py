"""Training models with several inputs and outputs: per-output losses, loss weights,
sample weights and metrics, TF.js's log keys (validation ones aligned with their
outputs), lists and dicts by name, fit_dataset, the engine's replay, and the checks.
Numbers are compared with PyTorch (same weights, same batches) and numpy."""
import numpy as np
import pytest

import treino as tn

RNG = np.random.default_rng(5)
N = 24
A = RNG.normal(size=(N, 4)).astype(np.float32)
B = RNG.normal(size=(N, 3)).astype(np.float32)
Y1 = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, N)]
Y2 = RNG.normal(size=(N, 2)).astype(np.float32)
W1 = np.linspace(0.5, 1.5, N).astype(np.float32)
W2 = np.linspace(2.0, 0.2, N).astype(np.float32)


def _model(seed=0):
    """a [4] -> dense(5, tanh) 'ha'; b [3] -> dense(5, relu) 'hb'; cls = dense(3,
    softmax) of ha; reg = dense(2) of hb + ha (through a dense 'mix' taking ha)."""
    a = tn.input(shape=[4], name="a")
    b = tn.input(shape=[3], name="b")
    ha = tn.layers.dense(units=5, activation="tanh", name="ha").apply(a)
    hb = tn.layers.dense(units=5, activation="relu", name="hb").apply(b)
    cls = tn.layers.dense(units=3, activation="softmax", name="cls").apply(ha)
    reg = tn.layers.dense(units=2, name="reg").apply(hb)
    m = tn.model(inputs=[a, b], outputs=[cls, reg])
    rng = np.random.default_rng(seed)
    m.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in m.weights])
    return m


def _torch_reference(m, epochs, batch, lr, loss_weights, w1, w2):
    torch = pytest.importorskip("torch")
    p = {w.name.split("/")[0] + "/" + w.name.split("/")[1]: torch.tensor(
        w.val.numpy().astype(np.float64), requires_grad=True) for w in m.weights}

    def dense(x, name, act=None):
        y = x @ p[f"{name}/kernel"] + p[f"{name}/bias"]
        return y if act is None else act(y)
    history = {k: [] for k in ("loss", "cls_loss", "reg_loss")}
    for _ in range(epochs):
        sums = np.zeros(3)
        for i in range(0, N, batch):
            a, b = (torch.tensor(v[i:i + batch].astype(np.float64)) for v in (A, B))
            y1, y2 = (torch.tensor(v[i:i + batch].astype(np.float64)) for v in (Y1, Y2))
            s1, s2 = (torch.tensor(v[i:i + batch].astype(np.float64)) for v in (w1, w2))
            logits = dense(dense(a, "ha", torch.tanh), "cls")
            ce = -(y1 * torch.log_softmax(logits, -1)).sum(-1)
            mse = ((dense(dense(b, "hb", torch.relu), "reg") - y2) ** 2).mean(-1)
            l1, l2 = (ce * s1).mean(), (mse * s2).mean()
            total = loss_weights[0] * l1 + loss_weights[1] * l2
            for v in p.values():
                v.grad = None
            total.backward()
            with torch.no_grad():
                for v in p.values():
                    v -= lr * v.grad
            n = a.shape[0]
            sums += np.array([total.item(), l1.item(), l2.item()]) * n
        for k, v in zip(history, sums / N):
            history[k].append(v)
    return {k: v.detach().numpy() for k, v in p.items()}, history


def test_two_inputs_two_outputs_train_as_pytorch():
    m = _model()
    m.compile(optimizer=tn.train.sgd(0.1),
              loss={"cls": "categoricalCrossentropy", "reg": "meanSquaredError"},
              loss_weights={"cls": 1.0, "reg": 0.5})
    want_w, want_h = _torch_reference(m, 3, 8, 0.1, (1.0, 0.5), W1, W2)
    h = m.fit({"a": A, "b": B}, [Y1, Y2], batch_size=8, epochs=3, shuffle=False, verbose=0,
              sample_weight={"cls": W1, "reg": W2})
    assert list(h.history) == ["loss", "cls_loss", "reg_loss"]
    for k in want_h:
        np.testing.assert_allclose(h.history[k], want_h[k], rtol=2e-5)
    for w in m.weights:
        np.testing.assert_allclose(w.val.numpy(), want_w[w.name], rtol=1e-4, atol=1e-5)


def test_one_sample_weight_array_weighs_every_output_and_lists_work():
    m = _model()
    m.compile(optimizer=tn.train.sgd(0.05), loss=["categoricalCrossentropy", "mse"])
    want_w, _ = _torch_reference(m, 1, 6, 0.05, (1.0, 1.0), W1, W1)
    m.fit([A, B], {"reg": Y2, "cls": Y1}, batch_size=6, epochs=1, shuffle=False, verbose=0,
          sample_weight=W1)
    for w in m.weights:
        np.testing.assert_allclose(w.val.numpy(), want_w[w.name], rtol=1e-4, atol=1e-5)


def test_log_keys_and_validation_metrics_stay_with_their_outputs():
    m = _model()
    m.compile(optimizer=tn.train.adam(0.01), loss=["categoricalCrossentropy", "mse"],
              metrics={"cls": ["acc"], "reg": ["mae", "mse"]})
    va, vb, vy1, vy2 = A[:10] + 0.3, B[:10] - 0.2, Y1[::-1][:10].copy(), Y2[:10] * 2
    h = m.fit([A, B], [Y1, Y2], batch_size=8, epochs=1, verbose=0,
              validation_data=([va, vb], [vy1, vy2]))
    keys = ["loss", "cls_loss", "reg_loss", "cls_acc", "reg_mae", "reg_mse"]
    assert list(h.history) == keys + ["val_" + k for k in keys]
    # The validation numbers at the end of the epoch, computed independently.
    p1, p2 = (t.numpy().astype(np.float64) for t in m.predict([va, vb]))
    acc = np.mean(p1.argmax(-1) == vy1.argmax(-1))
    mae = np.mean(np.abs(p2 - vy2))
    mse = np.mean((p2 - vy2) ** 2)
    ce = np.mean(-(vy1 * np.log(np.clip(p1, 1e-7, 1))).sum(-1))
    np.testing.assert_allclose(h.history["val_cls_acc"], [acc], rtol=1e-6)
    np.testing.assert_allclose(h.history["val_reg_mae"], [mae], rtol=1e-5)
    np.testing.assert_allclose(h.history["val_reg_mse"], [mse], rtol=1e-5)
    np.testing.assert_allclose(h.history["val_reg_loss"], [mse], rtol=1e-5)
    np.testing.assert_allclose(h.history["val_cls_loss"], [ce], rtol=1e-4)
    np.testing.assert_allclose(h.history["val_loss"], [ce + mse], rtol=1e-4)
    ev = m.evaluate([va, vb], [vy1, vy2])
    assert len(ev) == 6
    np.testing.assert_allclose([t.numpy() for t in ev],
                               [h.history["val_" + k][0] for k in keys], rtol=1e-5)


def test_a_list_of_metrics_applies_to_every_output():
    m = _model()
    m.compile(optimizer="sgd", loss=["categoricalCrossentropy", "mse"], metrics=["mae"])
    h = m.fit([A, B], [Y1, Y2], epochs=1, verbose=0)
    assert list(h.history) == ["loss", "cls_loss", "reg_loss", "cls_mae", "reg_mae"]


def test_multi_io_steps_replay_identically_to_eager():
    runs = []
    for eager in (False, True):
        m = _model()
        m.compile(optimizer=tn.train.adam(0.02), loss=["categoricalCrossentropy", "mse"],
                  metrics=[["acc"], ["mae"]], loss_weights=[0.7, 1.3], run_eagerly=eager)
        tn.set_seed(3)
        h = m.fit([A, B], [Y1, Y2], batch_size=7, epochs=3, verbose=0, sample_weight=[W1, W2],
                  validation_split=0.25)
        runs.append((m, h.history))
    (f, hf), (e, he) = runs
    assert f._programs and all(f._programs.values()), f._engine_reason
    assert hf == he
    assert all(np.array_equal(a, b) for a, b in zip(f.get_weights(), e.get_weights()))


def test_fit_dataset_and_train_on_batch_with_dicts():
    m = _model()
    m.compile(optimizer=tn.train.sgd(0.1), loss=["categoricalCrossentropy", "mse"])
    ds = tn.data.zip({"xs": {"a": tn.data.array(A), "b": tn.data.array(B)},
                      "ys": {"cls": tn.data.array(Y1), "reg": tn.data.array(Y2)}}).batch(8)
    h = m.fit_dataset(ds, epochs=2, verbose=0)
    assert list(h.history) == ["loss", "cls_loss", "reg_loss"] and len(h.history["loss"]) == 2
    twin = _model()
    twin.compile(optimizer=tn.train.sgd(0.1), loss=["categoricalCrossentropy", "mse"])
    twin.fit([A, B], [Y1, Y2], batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(m.get_weights(), twin.get_weights()))
    vals = m.train_on_batch({"a": A[:4], "b": B[:4]}, [Y1[:4], Y2[:4]])
    assert len(vals) == 3 and abs(vals[0] - (vals[1] + vals[2])) < 1e-5


def test_bad_multi_io_arguments_are_refused_before_training():
    m = _model()
    m.compile(optimizer="sgd", loss=["categoricalCrossentropy", "mse"])
    before = m.get_weights()
    cases = [
        (lambda: m.fit(A, [Y1, Y2], verbose=0), "2 inputs"),
        (lambda: m.fit([A, B, A], [Y1, Y2], verbose=0), "hold 2 arrays, received 3"),
        (lambda: m.fit({"a": A, "c": B}, [Y1, Y2], verbose=0), "unknown input name"),
        (lambda: m.fit({"a": A}, [Y1, Y2], verbose=0), "no array for input"),
        (lambda: m.fit([A, B[:-1]], [Y1, Y2], verbose=0), "same number of samples"),
        (lambda: m.fit([A, B], {"cls": Y1, "nope": Y2}, verbose=0), "unknown output name"),
        (lambda: m.fit([A, B], [Y1, Y2[:, :1]], verbose=0), r"shape \[null,2\]"),
        (lambda: m.fit([A, B], [Y1, Y2], verbose=0, sample_weight=[W1]), "hold 2 arrays"),
        (lambda: m.fit([A, B], [Y1, Y2], verbose=0, class_weight={0: 2.0}), "list of dicts"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match):
            call()
    assert all(np.array_equal(a, b) for a, b in zip(before, m.get_weights()))
    for kw, match in [(dict(loss={"cls": "mse"}), "no loss for output"),
                      (dict(loss=["mse"]), "one entry per output"),
                      (dict(loss="mse", loss_weights=[1.0]), "one entry per output"),
                      (dict(loss="mse", loss_weights=2.0), "a list or a dict"),
                      (dict(loss="mse", loss_weights=[1.0, -1.0]), ">= 0"),
                      (dict(loss="mse", metrics={"zzz": ["mae"]}), "unknown output name")]:
        with pytest.raises(ValueError, match=match):
            m.compile(optimizer="sgd", **kw)


def test_class_weights_per_output():
    m = _model()
    m.compile(optimizer=tn.train.sgd(0.1), loss=["categoricalCrossentropy", "mse"])
    cw = {0: 3.0, 1: 0.5, 2: 1.0}
    twin = _model()
    twin.compile(optimizer=tn.train.sgd(0.1), loss=["categoricalCrossentropy", "mse"])
    m.fit([A, B], [Y1, Y2], epochs=1, shuffle=False, verbose=0, class_weight={"cls": cw})
    w = np.array([cw[c] for c in Y1.argmax(-1)], np.float32)
    twin.fit([A, B], [Y1, Y2], epochs=1, shuffle=False, verbose=0,
             sample_weight={"cls": w, "reg": np.ones(N, np.float32)})
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(m.get_weights(), twin.get_weights()))


def test_predict_is_differentiable_inside_variable_grads():
    m = _model()
    x = [tn.tensor(A[:5]), tn.tensor(B[:5])]

    def via_predict():
        out = m.predict(x, batch_size=2)
        return tn.add(tn.sum(out[0]), tn.sum(tn.square(out[1])))

    def via_call():
        out = m(x)
        return tn.add(tn.sum(out[0]), tn.sum(tn.square(out[1])))
    a, b = tn.variable_grads(via_predict), tn.variable_grads(via_call)
    assert sorted(a["grads"]) == sorted(b["grads"]) and len(a["grads"]) == 8
    for k in a["grads"]:
        np.testing.assert_allclose(a["grads"][k].numpy(), b["grads"][k].numpy(), rtol=1e-5,
                                   atol=1e-6)
    outside = m.predict(x)
    v = m.weights[0].val
    with pytest.raises(ValueError, match="cannot find a connection"):
        tn.variable_grads(lambda: tn.sum(outside[0]), [v])
