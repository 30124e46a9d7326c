"""The seed's Layers-API example (names, summary, fit with a batch hook, history,
predict) and Sequential's weights, summary and predict."""
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import treino as tn
from treino.core import autodiff

from models_util import dense_model, forward64

ROOT = pathlib.Path(__file__).resolve().parents[2]

SEED_SUMMARY = """\
__________________________________________________________________________________________
Layer (type)                Input Shape               Output shape              Param #
==========================================================================================
dense_Dense1 (Dense)        [[null,784]]              [null,32]                 25120
__________________________________________________________________________________________
dense_Dense2 (Dense)        [[null,32]]               [null,10]                 330
==========================================================================================
Total params: 25450
Trainable params: 25450
Non-trainable params: 0
__________________________________________________________________________________________"""


def _run(code_or_path):
    """Runs Python in a fresh process, so TF.js's per-process layer counter starts at 1."""
    args = [sys.executable, str(code_or_path)] if isinstance(code_or_path, pathlib.Path) \
        else [sys.executable, "-c", code_or_path]
    res = subprocess.run(args, capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert res.returncode == 0, res.stderr
    return res.stdout


def _check_summary(lines):
    assert [l.rstrip() for l in lines] == SEED_SUMMARY.splitlines()
    # TF.js pads every table row and rule to the full 90 characters (not the totals).
    for line in lines:
        if not line.startswith(("Total", "Trainable", "Non-trainable")):
            assert len(line) == 90, repr(line)


def test_seed_example_script_runs_as_the_issue_describes():
    out = _run(ROOT / "examples" / "layers_api.py").splitlines()
    assert out[:4] == ["dense_Dense1/kernel [784, 32]", "dense_Dense1/bias [32]",
                       "dense_Dense2/kernel [32, 10]", "dense_Dense2/bias [10]"]
    _check_summary(out[4:15])
    assert sum(l.startswith("Accuracy ") for l in out) == 20  # 4 batches x 5 epochs
    final = [l for l in out if l.startswith("Final accuracy")]
    values = re.findall(r"[-+0-9.e]+", final[0].split("[", 1)[1])
    assert len(values) == 5 and all(0 <= float(v) <= 1 for v in values)


SEED = """
import json, numpy as np, treino as tn
model = tn.sequential(layers=[
    tn.layers.dense(input_shape=[784], units=32, activation='relu'),
    tn.layers.dense(units=10, activation='softmax'),
])
names = [[w.name, list(w.shape)] for w in model.weights]
lines = []
model.summary(print_fn=lines.append)
for w in model.weights:
    w.val.assign(tn.random_normal(w.shape))
model.compile(optimizer='sgd', loss='categoricalCrossentropy', metrics=['accuracy'])
data = tn.random_normal([100, 784])
labels = tn.random_uniform([100, 10])
calls = {'snake': [], 'camel': []}
info = model.fit(data, labels, epochs=5, batch_size=32, verbose=0, callbacks=[
    {'on_batch_end': lambda batch, logs: calls['snake'].append([batch, logs['acc'], logs['size']])},
    {'onBatchEnd': lambda batch, logs: calls['camel'].append(batch)}])
pred = model.predict(tn.random_normal([3, 784]))
print(json.dumps({'names': names, 'summary': lines, 'calls': calls,
                  'acc': info.history['acc'],
                  'acc_types': [type(a).__name__ for a in info.history['acc']],
                  'pred_shape': list(pred.shape), 'row_sums': pred.numpy().sum(1).tolist()}))
"""


def test_seed_example_in_a_fresh_process():
    import json

    r = json.loads(_run(SEED))
    assert r["names"] == [["dense_Dense1/kernel", [784, 32]], ["dense_Dense1/bias", [32]],
                          ["dense_Dense2/kernel", [32, 10]], ["dense_Dense2/bias", [10]]]
    _check_summary(r["summary"])
    snake = r["calls"]["snake"]
    assert len(snake) == 20 and r["calls"]["camel"] == [b for b, _, _ in snake]
    assert [b for b, _, _ in snake] == [0, 1, 2, 3] * 5
    assert [s for _, _, s in snake] == [32, 32, 32, 4] * 5  # the smaller last batch
    assert all(abs(a * s - round(a * s)) < 1e-9 for _, a, s in snake)  # correct / size
    assert len(r["acc"]) == 5 and r["acc_types"] == ["float"] * 5
    assert r["pred_shape"] == [3, 10]
    np.testing.assert_allclose(r["row_sums"], 1.0, atol=1e-5)


def test_weight_names_follow_the_per_process_counter():
    first = tn.layers.dense(units=2, input_shape=[3])
    number = int(re.fullmatch(r"dense_Dense(\d+)", first.name).group(1))
    model = tn.sequential(layers=[first, tn.layers.dense(units=4)])
    assert [w.name for w in model.weights] == [
        f"dense_Dense{number}/kernel", f"dense_Dense{number}/bias",
        f"dense_Dense{number + 1}/kernel", f"dense_Dense{number + 1}/bias"]
    assert [w.shape for w in model.weights] == [(3, 2), (2,), (2, 4), (4,)]
    assert model.count_params() == 3 * 2 + 2 + 2 * 4 + 4


def test_summary_counts_non_trainable_and_honours_line_length():
    model = tn.sequential(layers=[tn.layers.dense(units=5, input_shape=[4], name="a"),
                                  tn.layers.batch_normalization(name="bn"),
                                  tn.layers.dense(units=2, name="b")])
    model.layers[0].trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    bn_params = 4 * 5  # gamma, beta trainable; moving mean and variance not
    total = 4 * 5 + 5 + bn_params + 5 * 2 + 2
    assert lines[-4:-1] == [f"Total params: {total}", f"Trainable params: {10 + 2 + 10}",
                            f"Non-trainable params: {25 + 10}"]
    assert lines[3].startswith("a (Dense)") and "[[null,4]]" in lines[3]
    assert "bn (BatchNormalization)" in lines[5]
    short = []
    model.summary(line_length=60, print_fn=short.append)
    assert short[0] == "_" * 60 and len(short[1]) == 60


def test_set_get_weights_round_trip_and_checks():
    model = dense_model()
    ws = [w.numpy() for w in model.get_weights()]
    ws[0][0, 0] = 123.0
    assert model.get_weights()[0].numpy()[0, 0] != 123.0
    model.set_weights(ws)
    assert model.get_weights()[0].numpy()[0, 0] == 123.0
    before = model.get_weights()
    bad = list(before)
    bad[3] = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match=r"\[2\].*\[5\]"):
        model.set_weights(bad)
    with pytest.raises(ValueError, match="4 weights, received 3 arrays"):
        model.set_weights(before[:3])
    for a, b in zip(before, model.get_weights()):  # checked whole before assigning any
        np.testing.assert_array_equal(a, b)


def test_predict_matches_numpy_in_batches_and_records_nothing(monkeypatch):
    model = dense_model(sizes=(3, 6, 4), activations=("tanh", "softmax"))
    x = np.random.default_rng(5).normal(size=(10, 3)).astype(np.float32)
    tapes = []

    class CountingTape(autodiff.Tape):
        def __init__(self, *a, **k):
            tapes.append(self)
            super().__init__(*a, **k)
    monkeypatch.setattr(autodiff, "Tape", CountingTape)
    batched = model.predict(x, batch_size=3)  # 3 + 3 + 3 + 1
    whole = model.predict_on_batch(x)
    called = model(tn.tensor(x))
    assert tapes == [] and autodiff._active.get() is None  # no gradient tape, none left
    assert isinstance(batched, tn.Tensor) and batched.shape == (10, 4)
    np.testing.assert_array_equal(batched.numpy(), whole.numpy())
    np.testing.assert_array_equal(called.numpy(), whole.numpy())
    ref = forward64([w.numpy().astype(np.float64) for w in model.get_weights()], ("tanh", "softmax"), x)
    np.testing.assert_allclose(batched.numpy(), ref, atol=1e-6)


def test_predict_runs_in_inference_mode():
    model = tn.sequential(layers=[tn.layers.dense(units=8, input_shape=[3]),
                                  tn.layers.dropout(rate=0.5),
                                  tn.layers.dense(units=2)])
    x = np.ones((4, 3), np.float32)
    ws = [w.numpy().astype(np.float64) for w in model.get_weights()]
    ref = (x @ ws[0] + ws[1]) @ ws[2] + ws[3]
    np.testing.assert_allclose(model.predict(x).numpy(), ref, atol=1e-5)
    np.testing.assert_array_equal(model.predict(x).numpy(), model.predict(x).numpy())


def test_predict_accepts_tensor_list_and_numpy_inputs():
    model = dense_model()
    x = [[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]]
    a = model.predict(x).numpy()
    np.testing.assert_array_equal(a, model.predict(np.array(x)).numpy())
    np.testing.assert_array_equal(a, model.predict(tn.tensor(x)).numpy())
    np.testing.assert_allclose(a.sum(1), 1.0, atol=1e-6)


INPUT_LAYER = """
import json, treino as tn
m = tn.sequential()
m.add(tn.layers.input_layer(input_shape=[4]))
m.add(tn.layers.dense(units=3))
m.add(tn.layers.batch_normalization())
m.add(tn.layers.dense(units=2, activation='softmax'))
lines = []
m.summary(print_fn=lines.append)
print(json.dumps({'summary': lines, 'layers': [l.name for l in m.layers],
                  'weights': [w.name for w in m.weights]}))
"""


def test_input_layer_row_and_weight_order_as_tfjs():
    """Printed by TF.js 4.22 (node) for the same model."""
    import json

    r = json.loads(_run(INPUT_LAYER))
    assert r["summary"][3:10] == [
        "input1 (InputLayer)         [[null,4]]                [null,4]                  0         ",
        "_" * 90,
        "dense_Dense1 (Dense)        [[null,4]]                [null,3]                  15        ",
        "_" * 90,
        "batch_normalization_BatchNo [[null,3]]                [null,3]                  12        ",
        "_" * 90,
        "dense_Dense2 (Dense)        [[null,3]]                [null,2]                  8         "]
    assert r["summary"][11:14] == ["Total params: 35", "Trainable params: 29",
                                   "Non-trainable params: 6"]
    assert r["layers"] == ["input1", "dense_Dense1", "batch_normalization_BatchNormalization1",
                           "dense_Dense2"]
    bn = "batch_normalization_BatchNormalization1"
    assert r["weights"] == ["dense_Dense1/kernel", "dense_Dense1/bias", f"{bn}/gamma",
                            f"{bn}/beta", "dense_Dense2/kernel", "dense_Dense2/bias",
                            f"{bn}/moving_mean", f"{bn}/moving_variance"]


def test_weights_list_trainable_first_as_tfjs():
    a = tn.layers.dense(units=3, input_shape=[4])
    b = tn.layers.dense(units=2)
    model = tn.sequential(layers=[a, b])
    a.trainable = False  # TF.js then lists b's weights first (and get_weights follows)
    assert [w.name for w in model.weights] == [w.name for w in b.weights + a.weights]
    assert [w.shape for w in model.get_weights()] == [(3, 2), (2,), (4, 3), (3,)]
    model.set_weights([np.full(w.shape, i, np.float32) for i, w in enumerate(model.weights)])
    assert a.get_weights()[0].numpy()[0, 0] == 2 and b.get_weights()[0].numpy()[0, 0] == 0


def test_input_errors_name_the_input_layer():
    model = tn.sequential(layers=[tn.layers.input_layer(input_shape=[4], name="pixels"),
                                  tn.layers.dense(units=1)])
    with pytest.raises(ValueError, match=r"'x' must have shape \[null,4\] \(the input of "
                                         r"layer pixels\), received shape \[2, 5\]"):
        model.predict(np.zeros((2, 5), np.float32))


MIXED = """
import json, treino as tn
m = tn.sequential(layers=[
    tn.layers.flatten(input_shape=[2, 3]), tn.layers.dense(units=4, activation='relu'),
    tn.layers.dropout(rate=0.5), tn.layers.reshape(target_shape=[2, 2]),
    tn.layers.layer_normalization(), tn.layers.flatten(),
    tn.layers.activation(activation='tanh'), tn.layers.dense(units=3, use_bias=False)])
lines = []
m.summary(print_fn=lines.append)
print(json.dumps(lines))
"""

# Printed by TF.js 4.22 (node) for the same model.
MIXED_ROWS = [
    "flatten_Flatten1 (Flatten)  [[null,2,3]]              [null,6]                  0",
    "dense_Dense1 (Dense)        [[null,6]]                [null,4]                  28",
    "dropout_Dropout1 (Dropout)  [[null,4]]                [null,4]                  0",
    "reshape_Reshape1 (Reshape)  [[null,4]]                [null,2,2]                0",
    "layer_normalization_LayerNo [[null,2,2]]              [null,2,2]                4",
    "flatten_Flatten2 (Flatten)  [[null,2,2]]              [null,4]                  0",
    "activation_Activation1 (Act [[null,4]]                [null,4]                  0",
    "dense_Dense2 (Dense)        [[null,4]]                [null,3]                  12",
]


def test_summary_of_every_core_layer_as_tfjs():
    import json

    lines = json.loads(_run(MIXED))
    assert [l.rstrip() for l in lines[3:18:2]] == MIXED_ROWS
    assert all(l == "_" * 90 for l in lines[4:17:2]) and lines[18] == "=" * 90
    assert all(len(l) == 90 for l in lines[:19])
    assert lines[19:22] == ["Total params: 44", "Trainable params: 44", "Non-trainable params: 0"]
