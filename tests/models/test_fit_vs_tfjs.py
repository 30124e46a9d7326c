"""fit against the real TensorFlow.js 4.22 (pure-JS CPU backend, run by node): the same
model, initial weights, data and options give the same per-epoch logs and final weights.

Needs node and `npm ci` in tests/tfjs; skipped with the reason otherwise, unless
TREINO_REQUIRE_TFJS=1 (CI sets it), which turns the skip into a failure."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import treino as tn

from models_util import assert_weights_close, dense_model

TFJS_DIR = Path(__file__).resolve().parents[1] / "tfjs"

# Reads a JSON job from argv[2], trains with model.fit and prints the history and weights.
SCRIPT = r"""
const tf = require('@tensorflow/tfjs');
const fs = require('fs');
(async () => {
  const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const out = [];
  for (const c of job) {
    const layers = c.sizes.slice(1).map((units, i) => tf.layers.dense(
        Object.assign({units, activation: c.activations[i]}, i === 0 ? {inputShape: [c.sizes[0]]} : {})));
    const model = tf.sequential({layers});
    model.setWeights(c.weights.map(w => tf.tensor(w.values, w.shape)));
    const opt = c.optimizer === 'sgd' ? tf.train.sgd(c.lr) : tf.train.adam(c.lr);
    model.compile({optimizer: opt, loss: c.loss, metrics: ['accuracy']});
    const args = {epochs: c.epochs, batchSize: c.batch_size, shuffle: false, verbose: 0};
    if (c.class_weight) args.classWeight = c.class_weight;
    if (c.validation_split) args.validationSplit = c.validation_split;
    const h = await model.fit(tf.tensor(c.x), tf.tensor(c.y), args);
    const ev = model.evaluate(tf.tensor(c.x), tf.tensor(c.y), {batchSize: 4});
    out.push({history: h.history, weights: model.getWeights().map(w => Array.from(w.dataSync())),
              evaluate: ev.map(t => t.dataSync()[0]),
              predict: Array.from(model.predict(tf.tensor(c.x), {batchSize: 3}).dataSync())});
  }
  console.log(JSON.stringify(out));
})();
"""

CASES = [
    dict(name="sgd-ce", sizes=[4, 6, 3], activations=["relu", "softmax"], optimizer="sgd",
         lr=0.2, loss="categoricalCrossentropy", epochs=3, batch_size=5),
    dict(name="adam-ce-class-weight", sizes=[4, 6, 3], activations=["tanh", "softmax"],
         optimizer="adam", lr=0.02, loss="categoricalCrossentropy", epochs=3, batch_size=4,
         class_weight={"0": 1.0, "1": 3.0, "2": 0.25}),
    dict(name="sgd-bce-1d-labels-val-split", sizes=[4, 5, 1], activations=["relu", "sigmoid"],
         optimizer="sgd", lr=0.3, loss="binaryCrossentropy", epochs=2, batch_size=4,
         validation_split=0.25),
    dict(name="sgd-sparse-ce", sizes=[4, 6, 3], activations=["relu", "softmax"],
         optimizer="sgd", lr=0.2, loss="sparseCategoricalCrossentropy", epochs=2, batch_size=5),
    dict(name="adam-mse", sizes=[4, 5, 2], activations=["relu", "linear"], optimizer="adam",
         lr=0.05, loss="meanSquaredError", epochs=2, batch_size=6),
]


def _data(case, n=13):
    rng = np.random.default_rng(len(case["name"]))
    x = rng.normal(size=(n, case["sizes"][0])).astype(np.float32)
    units = case["sizes"][-1]
    if case["loss"] == "categoricalCrossentropy":
        y = np.eye(units, dtype=np.float32)[rng.integers(0, units, n)]
    elif case["loss"] == "sparseCategoricalCrossentropy":
        y = rng.integers(0, units, n).astype(np.float32)  # class indices
    elif case["loss"] == "binaryCrossentropy":
        y = rng.integers(0, 2, n).astype(np.float32)  # 1-D: TF.js takes it as [n, 1]
    else:
        y = rng.normal(size=(n, units)).astype(np.float32)
    return x, y


@pytest.fixture(scope="module")
def tfjs_results(tmp_path_factory):
    exe = shutil.which("node")
    pkg = TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs" / "package.json"
    reason = None
    if exe is None:
        reason = "node is not installed, so fit cannot be compared with TF.js"
    elif not pkg.exists():
        reason = f"TF.js is not installed: run `npm ci` in {TFJS_DIR}"
    elif json.loads(pkg.read_text())["version"] != "4.22.0":
        reason = f"tests/tfjs has the wrong TF.js version installed: run `npm ci` in {TFJS_DIR}"
    if reason:
        if os.environ.get("TREINO_REQUIRE_TFJS") == "1":
            pytest.fail(f"TREINO_REQUIRE_TFJS=1 but {reason}")
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("fit_tfjs")
    job, inputs = [], {}
    for case in CASES:
        model = dense_model(sizes=case["sizes"], activations=case["activations"], seed=3)
        x, y = _data(case)
        ws = [w.numpy() for w in model.get_weights()]
        inputs[case["name"]] = (ws, x, y)
        job.append(dict(case, x=x.tolist(), y=y.tolist(),
                        weights=[{"values": w.ravel().tolist(), "shape": list(w.shape)}
                                 for w in ws]))
    (tmp / "job.json").write_text(json.dumps(job))
    (tmp / "fit.js").write_text(SCRIPT)
    r = subprocess.run([exe, str(tmp / "fit.js"), str(tmp / "job.json")], capture_output=True,
                       text=True, timeout=120, cwd=TFJS_DIR,
                       env=dict(os.environ, NODE_PATH=str(TFJS_DIR / "node_modules")))
    assert r.returncode == 0, r.stderr[-3000:]
    return {c["name"]: (inputs[c["name"]], res) for c, res in zip(CASES, json.loads(r.stdout))}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_fit_matches_tfjs(tfjs_results, case):
    (ws, x, y), ref = tfjs_results[case["name"]]
    model = dense_model(sizes=case["sizes"], activations=case["activations"], seed=3)
    model.set_weights(ws)
    opt = tn.train.sgd(case["lr"]) if case["optimizer"] == "sgd" else tn.train.adam(case["lr"])
    model.compile(optimizer=opt, loss=case["loss"], metrics=["accuracy"])
    cw = case.get("class_weight")
    hist = model.fit(x, y, batch_size=case["batch_size"], epochs=case["epochs"], shuffle=False,
                     verbose=0, validation_split=case.get("validation_split", 0.0),
                     class_weight=None if cw is None else {int(k): v for k, v in cw.items()})
    assert sorted(hist.history) == sorted(ref["history"])
    for key, values in ref["history"].items():
        np.testing.assert_allclose(hist.history[key], values, atol=2e-5, rtol=1e-5,
                                   err_msg=key)
    assert_weights_close([w.data() for w in model.get_weights()], ref["weights"], atol=2e-5)
    np.testing.assert_allclose([v.item() for v in model.evaluate(x, y, batch_size=4)],
                               ref["evaluate"], atol=2e-5, rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, batch_size=3).numpy().ravel(), ref["predict"],
                               atol=1e-4)  # weights agree to 2e-5; outputs add them up
