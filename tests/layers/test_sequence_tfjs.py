"""Sequence models against the real TensorFlow.js 4.22 (pure-JS CPU backend, run by node
from tests/tfjs): the same layers and weights predict the same numbers (TF.js's
hardSigmoid defaults, GRU reset_after=False, masks, go_backwards, bidirectional merges,
stacked cells, wrappers); a TF.js-trained sentiment model and encoder-decoder load in
treino and predict TF.js's numbers, and a treino-saved LSTM model loads in TF.js.

Needs node and `npm ci` run in tests/tfjs; skipped with the reason otherwise, unless
TREINO_REQUIRE_TFJS=1 (CI sets it), which turns the skip into a failure."""
import json
import subprocess

import numpy as np
import pytest

import treino as tn
from treino import layers as L
from treino.models.saving import load_layers_model
from tfjs_util import TFJS_DIR, find_node

rng = np.random.default_rng(21)


@pytest.fixture(scope="module")
def node():
    return find_node()


def run_node(node, *args, payload=None):
    r = subprocess.run([node, str(TFJS_DIR / "sequence_models.js"), *map(str, args)],
                       input=None if payload is None else json.dumps(payload),
                       capture_output=True, text=True, timeout=120, cwd=TFJS_DIR)
    assert r.returncode == 0, f"node sequence_models.js failed:\n{r.stderr[-3000:]}"
    return json.loads(r.stdout)


def camel(k):
    head, *rest = k.split("_")
    return head + "".join(w.capitalize() for w in rest)


# (spec list, input): a spec is (factory name, config[, inner spec(s)]); the same
# specs build the treino model (snake_case) and the TF.js one (camelCase).
def ids(batch, length, vocab, pad):
    x = rng.integers(1, vocab, (batch, length)).astype(np.float32)
    for i in range(batch):
        x[i, :i % (pad + 1)] = 0
    return x


CASES = {
    "lstm_defaults": ([("lstm", {"units": 4, "return_sequences": True, "input_shape": [5, 3]})],
                      rng.standard_normal((3, 5, 3))),
    "gru_defaults_backwards": ([("gru", {"units": 3, "go_backwards": True,
                                         "input_shape": [6, 2]})], rng.standard_normal((4, 6, 2))),
    "simple_rnn_relu": ([("simple_rnn", {"units": 3, "activation": "relu",
                                         "return_sequences": True, "input_shape": [4, 2]})],
                        rng.standard_normal((2, 4, 2))),
    "masked_lstm": ([("embedding", {"input_dim": 9, "output_dim": 3, "input_length": 6,
                                    "mask_zero": True}),
                     ("lstm", {"units": 4, "return_sequences": True}),
                     ("lstm", {"units": 2, "go_backwards": True})], ids(5, 6, 9, 4)),
    "bidirectional_sum_masked": ([("embedding", {"input_dim": 7, "output_dim": 2,
                                                 "input_length": 5, "mask_zero": True}),
                                  ("bidirectional", {"merge_mode": "sum"},
                                   ("gru", {"units": 3, "return_sequences": True}))],
                                 ids(4, 5, 7, 3)),
    "bidirectional_concat": ([("bidirectional", {"input_shape": [4, 3]},
                               ("lstm", {"units": 2}))], rng.standard_normal((3, 4, 3))),
    "stacked_cells": ([("rnn", {"input_shape": [5, 2], "return_sequences": True},
                        [("lstm_cell", {"units": 3}), ("gru_cell", {"units": 2}),
                         ("simple_rnn_cell", {"units": 2, "activation": "tanh"})])],
                      rng.standard_normal((2, 5, 2))),
    "addition_rnn": ([("lstm", {"units": 4, "input_shape": [3, 5]}), ("repeat_vector", {"n": 2}),
                      ("lstm", {"units": 4, "return_sequences": True}),
                      ("time_distributed", {}, ("dense", {"units": 5,
                                                          "activation": "softmax"}))],
                     rng.standard_normal((3, 3, 5))),
    "masking_permute": ([("permute", {"dims": [2, 1], "input_shape": [3, 4]}),
                         ("masking", {"mask_value": 0}), ("gru", {"units": 2})],
                        np.where(rng.random((3, 3, 4)) > 0.3, rng.standard_normal((3, 3, 4)),
                                 0) * (np.arange(4) != 2)[None, None, :]),
}


def treino_layer(spec):
    name, config, inner = (*spec, None)[:3]
    config = dict(config)
    if name in ("bidirectional", "time_distributed"):
        config["layer"] = treino_layer(inner)
    elif name == "rnn":
        config["cell"] = [treino_layer(c) for c in inner]
    return getattr(tn.layers, name)(**config)


def js_spec(spec):
    name, config, inner = (*spec, None)[:3]
    out = {"type": {"simple_rnn": "simpleRNN", "simple_rnn_cell": "simpleRNNCell"}.get(
        name, camel(name)), "config": {camel(k): v for k, v in config.items()}}
    if name in ("bidirectional", "time_distributed"):
        out["layer"] = js_spec(inner)
    elif name == "rnn":
        out["cells"] = [js_spec(c) for c in inner]
    return out


def test_layers_predict_tfjs_numbers(node):
    payload, models = [], {}
    for key, (specs, x) in CASES.items():
        model = tn.sequential(layers=[treino_layer(s) for s in specs])
        x = np.asarray(x, np.float32)
        weights = [rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in model.weights]
        model.set_weights(weights)
        models[key] = (model, x)
        payload.append({"layers": [js_spec(s) for s in specs],
                        "weights": [{"shape": list(w.shape), "values": w.ravel().tolist()}
                                    for w in weights],
                        "input": {"shape": list(x.shape), "values": x.ravel().tolist()}})
    results = run_node(node, "predict", payload=payload)
    for (key, (model, x)), res in zip(models.items(), results):
        assert [tuple(s) for _, s in res["weights"]] == [w.shape for w in model.weights], key
        # TF.js's names, up to the per-process counters in the default layer names.
        strip = [n.rstrip("0123456789").split("/")[-1] for n, _ in res["weights"]]
        assert strip == [w.name.split("/")[-1] for w in model.weights], key
        want = np.array(res["values"], np.float32).reshape(res["shape"])
        np.testing.assert_allclose(model.predict(x).numpy(), want, rtol=0, atol=2e-5,
                                   err_msg=key)


@pytest.mark.parametrize("recipe", ["sentiment", "encdec"])
def test_tfjs_trained_model_loads_in_treino(node, tmp_path, recipe):
    saved = run_node(node, "save", tmp_path, recipe)
    expected = json.loads((tmp_path / "expected.json").read_text())
    xs = [np.array(i["values"], np.float32).reshape(i["shape"]) for i in expected["inputs"]]
    model = load_layers_model(str(tmp_path))
    assert sorted(w.name for w in model.weights) == sorted(saved["weights"])
    got = model.predict(xs if len(xs) > 1 else xs[0]).numpy()
    np.testing.assert_allclose(got, np.array(expected["predictions"]), rtol=0, atol=1e-5)


def test_treino_model_loads_in_tfjs(node, tmp_path):
    tn.set_seed(5)
    model = tn.sequential(layers=[
        L.Embedding(input_dim=15, output_dim=4, input_length=6, mask_zero=True),
        L.Bidirectional(L.LSTM(units=3, return_sequences=True)),
        L.GRU(units=3), L.Dense(units=2, activation="softmax")])
    model.compile(optimizer="adam", loss="categoricalCrossentropy")
    x = ids(12, 6, 15, 3)
    model.fit(x, np.eye(2, dtype=np.float32)[np.arange(12) % 2], epochs=2, verbose=0)
    model.save(str(tmp_path / "m"))
    (tmp_path / "inputs.json").write_text(json.dumps({"shape": list(x.shape),
                                                      "values": x.ravel().tolist()}))
    r = subprocess.run([node, str(TFJS_DIR / "load_predict.js"), str(tmp_path / "m"),
                        str(tmp_path / "inputs.json")], capture_output=True, text=True,
                       timeout=120, cwd=TFJS_DIR)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout)
    assert res["weights"] == [w.name for w in model.weights]
    np.testing.assert_allclose(model.predict(x).numpy(), np.array(res["predictions"]),
                               rtol=0, atol=1e-5)
