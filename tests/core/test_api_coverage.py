"""Every name TensorFlow.js 4.22 exports as a core op (tfjs-core/src/ops/ops.ts) or a layer
factory (tfjs-layers/src/exports_layers.ts), both checked in under tests/data, has a
treino counterpart under its snake_case name, or a row in docs/api_coverage.md saying
why not (excluded for good, or pending other work); every Tensor method of TF.js (its
chained ops and the Tensor class's own methods) is a Tensor method here too."""
import pathlib
import re

import numpy as np
import pytest

import treino as tn

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "api_coverage.md"


def snake(name):
    """The rule docs/api_coverage.md states: split before a capital that follows a
    lower-case letter, and before the last capital of a run followed by a lower-case
    letter; class names (capitalised) keep their spelling."""
    if name[0].isupper():
        return name
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower()


def _names(filename):
    lines = (ROOT / "tests" / "data" / filename).read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _doc_tables():
    text = DOC.read_text()
    status = {m[0]: m[1] for m in re.findall(r"^\| `([^`]+)` \| (excluded|pending) \|", text, re.M)}
    spelled = dict(re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|$", text, re.M))
    return status, spelled


OPS, LAYERS = _names("tfjs_4.22_ops.txt"), _names("tfjs_4.22_layers.txt")
STATUS, SPELLED = _doc_tables()


def _counterpart(root, dotted, spelled_key):
    """The treino object for a TF.js name (namespace.name too), or None."""
    obj = root
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        name = SPELLED.get(spelled_key) if last and spelled_key in SPELLED else snake(part)
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def test_the_lists_are_tfjs_4_22s():
    assert len(OPS) == len(set(OPS)) == 256 and len(LAYERS) == len(set(LAYERS)) == 79
    assert {"matMul", "linalg.qr", "fused.matMul", "booleanMaskAsync", "image.transform"} <= set(OPS)
    assert {"dense", "lstm", "categoryEncoding", "maxPool2d", "Layer", "input"} <= set(LAYERS)


def test_every_documented_name_is_a_tfjs_name():
    listed = set(OPS) | {"layers." + n for n in LAYERS}
    assert set(STATUS) - listed == set(), "rows in docs/api_coverage.md name no TF.js export"
    assert set(SPELLED) - listed == set()
    assert STATUS, "docs/api_coverage.md's table was not found"


@pytest.mark.parametrize("kind", ["ops", "layers"])
def test_every_tfjs_name_has_a_counterpart_or_a_reason(kind):
    names, root, prefix = (OPS, tn, "") if kind == "ops" else (LAYERS, tn.layers, "layers.")
    missing = []
    for name in names:
        key = prefix + name
        if _counterpart(root, name, key) is None and key not in STATUS:
            missing.append(f"{key} (tn.{prefix}{snake(name.split('.')[-1])})")
    assert missing == [], (f"TF.js names with neither a treino counterpart nor a row in "
                           f"docs/api_coverage.md: {missing}")


def test_excluded_names_are_absent_and_counterparts_are_callable():
    for key, status in STATUS.items():
        if status == "excluded":
            root, name = (tn.layers, key[7:]) if key.startswith("layers.") else (tn, key)
            assert _counterpart(root, name, key) is None, f"{key} is excluded but exists"
    for name in OPS:
        obj = _counterpart(tn, name, name)
        assert obj is None or callable(obj), name
    # the numpy-style names stay as aliases of the TF.js spellings
    assert tn.matmul is tn.mat_mul and tn.argmax is tn.arg_max and tn.logsumexp is tn.log_sum_exp


def test_snake_case_rule():
    cases = {"matMul": "mat_mul", "argMax": "arg_max", "batchToSpaceND": "batch_to_space_nd",
             "conv2dTranspose": "conv2d_transpose", "cropping2D": "cropping2d", "reLU": "re_lu",
             "simpleRNNCell": "simple_rnn_cell", "inTopKAsync": "in_top_k_async",
             "grayscaleToRGB": "grayscale_to_rgb", "forEachAsync": "for_each_async", "RNN": "RNN"}
    assert {k: snake(k) for k in cases} == cases


METHODS = _names("tfjs_4.22_tensor_methods.txt")


def test_every_tfjs_tensor_method_is_a_tensor_method():
    assert len(METHODS) == 150 and {"conv2d", "maxPool", "oneHot", "dataSync"} <= set(METHODS)
    t = tn.ones([2, 2])
    # isNaN is tn.is_nan (a spelling docs/api_coverage.md lists)
    missing = [m for m in METHODS
               if not callable(getattr(tn.Tensor, SPELLED.get(m, snake(m)), None))
               and not hasattr(t, SPELLED.get(m, snake(m)))]
    assert missing == []


def test_the_chained_conv_pool_and_creation_methods_are_the_ops():
    rng = np.random.default_rng(0)
    x = tn.tensor(rng.normal(size=(2, 6, 6, 3)).astype(np.float32))
    w = tn.tensor(rng.normal(size=(3, 3, 3, 4)).astype(np.float32))
    same = lambda a, b: np.testing.assert_array_equal(a.numpy(), b.numpy())  # noqa: E731
    same(x.conv2d(w, 1, "same"), tn.conv2d(x, w, 1, "same"))
    same(x.max_pool(2, 2, "valid"), tn.max_pool(x, 2, 2, "valid"))
    same(x.avg_pool([3, 3], 1, "same"), tn.avg_pool(x, [3, 3], 1, "same"))
    dw = tn.tensor(rng.normal(size=(3, 3, 3, 1)).astype(np.float32))
    same(x.depthwise_conv2d(dw, 1, "valid"), tn.depthwise_conv2d(x, dw, 1, "valid"))
    same(x.zeros_like(), tn.zeros([2, 6, 6, 3]))
    same(x.ones_like(), tn.ones([2, 6, 6, 3]))
    same(tn.tensor([2, 0], dtype="int32").one_hot(3), tn.one_hot(tn.tensor([2, 0], dtype="int32"), 3))


def test_dispose_variable_and_bytes_as_tfjs():
    t = tn.tensor([1.0, 2.0])
    assert t.is_disposed is False
    t.dispose()
    assert t.is_disposed is True and t.data_sync().tolist() == [1.0, 2.0]  # memory is Python's
    v = t.variable(False, "from_tensor")
    assert isinstance(v, tn.Variable) and v.name == "from_tensor" and v.trainable is False
    assert t.bytes().tolist() == list(np.array([1.0, 2.0], np.float32).tobytes())
