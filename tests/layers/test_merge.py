"""Merge layers: values against numpy float64, gradients against PyTorch's autograd and
float64 finite differences, outputs against the real TF.js (when node and tests/tfjs are
installed), TF.js's shape rules (broadcasting, rank mismatch, free dimensions), every
error path, configs, default names, the factories, and training through fit."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import treino as tn
from treino import layers as L

try:
    import torch
except ImportError:  # only the torch comparisons skip; numpy checks still run
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
rng = np.random.default_rng(5)
EPS = 1e-7  # TF.js's epsilon(), the floor of the squared norm in Dot's normalize


def f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


def _grads(layer, inputs, cot):
    """treino's value and gradients of sum(layer(inputs) * cot) w.r.t. each input."""
    out = {}

    def f(*xs):
        out["y"] = layer(list(xs))
        return tn.sum(out["y"] * tn.tensor(cot))
    grads = tn.grads(f)([tn.tensor(x) for x in inputs])
    return out["y"].numpy(), [g.numpy() for g in grads]


def _fd(f, x, h=1e-6):
    """Central finite differences of the float64 scalar function f at x."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


def _lift(xs):
    """TF.js's rank rule: size-1 axes inserted after the batch axis up to the top rank."""
    top = max(x.ndim for x in xs)
    return [x.reshape(x.shape[:1] + (1,) * (top - x.ndim) + x.shape[1:]) for x in xs]


ELEMENTWISE = {  # layer class -> float64 numpy reference over the (lifted) inputs
    L.Add: lambda xs: sum(_lift(xs)),
    L.Subtract: lambda xs: _lift(xs)[0] - _lift(xs)[1],
    L.Multiply: lambda xs: np.prod(np.broadcast_arrays(*_lift(xs)), axis=0),
    L.Average: lambda xs: sum(_lift(xs)) / len(xs),
    L.Maximum: lambda xs: np.maximum.reduce(np.broadcast_arrays(*_lift(xs))),
    L.Minimum: lambda xs: np.minimum.reduce(np.broadcast_arrays(*_lift(xs))),
}
# Same shapes; ranks 2, 3 and 2 mixed (TF.js lifts the rank-2 inputs to [b, 1, 3]);
# free-size-1 axes broadcasting both ways.
SHAPE_SETS = [[(4, 3)] * 3, [(4, 3), (4, 5, 3), (4, 3)], [(4, 1, 3), (4, 2, 1)]]


def _np_dot(x, y, ax, ay, normalize=False):
    """TF.js's batchDot (and Keras's, beyond rank 3) in float64 numpy."""
    if normalize:
        x = x / np.sqrt(np.maximum((x * x).sum(ax, keepdims=True), EPS))
        y = y / np.sqrt(np.maximum((y * y).sum(ay, keepdims=True), EPS))
    xm, ym = np.moveaxis(x, ax, -1), np.moveaxis(y, ay, -1)
    b, k = x.shape[0], x.shape[ax]
    out = np.einsum("bik,bjk->bij", xm.reshape(b, -1, k), ym.reshape(b, -1, k))
    out = out.reshape((b,) + xm.shape[1:-1] + ym.shape[1:-1])
    return out.reshape(b, 1) if out.ndim == 1 else out


def _torch_dot(x, y, ax, ay, normalize):
    if normalize:  # x / max(||x||, sqrt(eps)) is TF.js's x / sqrt(max(||x||^2, eps))
        x = torch.nn.functional.normalize(x, dim=ax, eps=EPS ** 0.5)
        y = torch.nn.functional.normalize(y, dim=ay, eps=EPS ** 0.5)
    xm, ym = x.movedim(ax, -1), y.movedim(ay, -1)
    b, k = x.shape[0], x.shape[ax]
    out = torch.einsum("bik,bjk->bij", xm.reshape(b, -1, k), ym.reshape(b, -1, k))
    out = out.reshape((b,) + tuple(xm.shape[1:-1]) + tuple(ym.shape[1:-1]))
    return out.reshape(b, 1) if out.dim() == 1 else out


# (x shape, y shape, axes): every batchDot branch of TF.js (2-D pair, matmul with and
# without each transpose, mixed ranks both ways), negative axes, and rank 4.
DOT_CASES = [((4, 3), (4, 3), 1), ((4, 3), (4, 3), -1), ((4, 5, 3), (4, 3, 2), [2, 1]),
             ((4, 5, 3), (4, 2, 3), [-1, -1]), ((4, 3, 5), (4, 3, 2), [1, 1]),
             ((4, 3, 5), (4, 2, 3), [1, 2]), ((4, 5, 3), (4, 3), [2, 1]),
             ((4, 3), (4, 2, 3), [1, -1]), ((4, 2, 3, 5), (4, 3, 6), [2, 1]),
             ((4, 2, 5, 3), (4, 6, 3, 2), [-1, 2])]


def _axes(axes, rx, ry):
    a = axes if isinstance(axes, list) else [axes, axes]
    return a[0] % rx, a[1] % ry


# --- elementwise merges ----------------------------------------------------------------
@pytest.mark.parametrize("shapes", SHAPE_SETS)
@pytest.mark.parametrize("cls", list(ELEMENTWISE))
def test_elementwise_values_vs_numpy(cls, shapes):
    shapes = shapes[:2] if cls is L.Subtract else shapes
    xs = [f32(*s) for s in shapes]
    layer = cls()
    y = layer([tn.tensor(x) for x in xs])
    want = ELEMENTWISE[cls]([x.astype(np.float64) for x in xs])
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6, atol=1e-6)
    assert layer.compute_output_shape([(None,) + s[1:] for s in shapes]) == \
        (None,) + want.shape[1:]


TORCH_MERGE = {L.Add: lambda a, b: a + b, L.Subtract: lambda a, b: a - b,
               L.Multiply: lambda a, b: a * b, L.Average: lambda a, b: (a + b) / 2,
               L.Maximum: torch.maximum if torch else None,
               L.Minimum: torch.minimum if torch else None}


@needs_torch
@pytest.mark.parametrize("shapes", SHAPE_SETS[1:])
@pytest.mark.parametrize("cls", list(ELEMENTWISE))
def test_elementwise_gradients_vs_torch(cls, shapes):
    # Gradients of inputs that were broadcast (rank-lifted or size-1 axes) sum back.
    xs = [f32(*s) for s in shapes[:2]]
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    lifted = [t.reshape(t.shape[:1] + (1,) * (3 - t.dim()) + t.shape[1:]) for t in ts]
    yt = TORCH_MERGE[cls](*lifted)
    cot = f32(*yt.shape)
    (yt * torch.tensor(cot)).sum().backward()
    y, grads = _grads(cls(), xs, cot)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    for g, t in zip(grads, ts):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_average_and_maximum_gradients_vs_finite_differences():
    xs = [f32(3, 4), f32(3, 2, 4), f32(3, 4)]
    cot = f32(3, 2, 4).astype(np.float64)
    for cls in (L.Average, L.Maximum):
        _, grads = _grads(cls(), xs, cot)
        x64 = [x.astype(np.float64) for x in xs]
        for i, g in enumerate(grads):
            def f(v, i=i):
                return (ELEMENTWISE[cls](x64[:i] + [v] + x64[i + 1:]) * cot).sum()
            np.testing.assert_allclose(g, _fd(f, x64[i]), rtol=1e-4, atol=1e-5)


def test_maximum_and_minimum_ties_send_the_gradient_to_the_first_input():
    # TF.js's maximum gives a tie's gradient to its first operand (torch splits it).
    a = np.array([[1.0, 2.0, 3.0]], np.float32)
    b = np.array([[1.0, 5.0, 0.0]], np.float32)
    cot = np.ones((1, 3), np.float32)
    _, (ga, gb, gc) = _grads(L.Maximum(), [a, b, a], cot)
    np.testing.assert_array_equal(ga, [[1, 0, 1]])
    np.testing.assert_array_equal(gb, [[0, 1, 0]])
    np.testing.assert_array_equal(gc, [[0, 0, 0]])
    _, (ga, gb) = _grads(L.Minimum(), [a, b], cot)
    np.testing.assert_array_equal(ga, [[1, 1, 0]])
    np.testing.assert_array_equal(gb, [[0, 0, 1]])


def test_tfjs_examples_and_int32_inputs():
    # The values of TF.js's documentation examples.
    a = tn.tensor([[1, 2], [3, 4]], dtype="float32")
    b = tn.tensor([[10, 20], [30, 40]], dtype="float32")
    assert L.add([a, b]).array() == [[11, 22], [33, 44]]
    assert L.multiply([a, b]).array() == [[10, 40], [90, 160]]
    assert L.average([a, b]).array() == [[5.5, 11], [16.5, 22]]
    c, d = tn.tensor([[1, 20], [3, 40]]), tn.tensor([[10, 2], [30, 4]])
    assert L.maximum([c, d]).array() == [[10, 20], [30, 40]]
    assert L.minimum([c, d]).array() == [[1, 2], [3, 4]]
    assert L.subtract([b, a]).array() == [[9, 18], [27, 36]]
    assert L.dot([a, b], axes=1).array() == [[50], [250]]  # 1*10+2*20, 3*30+4*40
    ints = [tn.tensor([[1, 2]], dtype="int32"), tn.tensor([[3, 5]], dtype="int32")]
    s = L.add(ints)
    assert s.dtype == "int32" and s.array() == [[4, 7]]
    assert L.concatenate(ints).array() == [[1, 2, 3, 5]]


# --- concatenate -----------------------------------------------------------------------
@pytest.mark.parametrize("axis,shapes", [
    (-1, [(2, 3, 4), (2, 3, 1), (2, 3, 2)]), (1, [(2, 1, 4), (2, 3, 4)]),
    (-2, [(2, 1, 4), (2, 3, 4)]), (2, [(2, 3, 4), (2, 3, 2)]), (0, [(2, 3), (1, 3)])])
def test_concatenate_values_and_gradients_vs_numpy_and_finite_differences(axis, shapes):
    xs = [f32(*s) for s in shapes]
    cot = f32(*np.concatenate(xs, axis).shape).astype(np.float64)
    y, grads = _grads(L.Concatenate(axis=axis), xs, cot)
    np.testing.assert_array_equal(y, np.concatenate(xs, axis))
    x64 = [x.astype(np.float64) for x in xs]
    for i, g in enumerate(grads):
        def f(v, i=i):
            return (np.concatenate(x64[:i] + [v] + x64[i + 1:], axis) * cot).sum()
        np.testing.assert_allclose(g, _fd(f, x64[i]), rtol=1e-5, atol=1e-6)


def test_concatenate_output_shapes():
    c = L.Concatenate(axis=1)
    assert c.compute_output_shape([(None, 2, 5), (None, 3, 5)]) == (None, 5, 5)
    assert c.compute_output_shape([(None, None, 5), (None, 3, 5)]) == (None, None, 5)
    # a free dimension matches any size; the known one is the output's
    assert c.compute_output_shape([(None, 2, None), (None, 3, 5)]) == (None, 5, 5)
    assert L.Concatenate().compute_output_shape([(8, 2), (8, 3), (8, 1)]) == (8, 6)


# --- dot -------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("sx,sy,axes", DOT_CASES)
def test_dot_values_and_gradients_vs_torch(sx, sy, axes, normalize):
    x, y = f32(*sx), f32(*sy)
    ax, ay = _axes(axes, len(sx), len(sy))
    xt, yt = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    out_t = _torch_dot(xt, yt, ax, ay, normalize)
    cot = f32(*out_t.shape)
    (out_t * torch.tensor(cot)).sum().backward()
    layer = L.Dot(axes=axes, normalize=normalize)
    out, (gx, gy) = _grads(layer, [x, y], cot)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out, _np_dot(x.astype(np.float64), y.astype(np.float64), ax,
                                            ay, normalize), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gy, yt.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert layer.compute_output_shape([(None,) + sx[1:], (None,) + sy[1:]]) == \
        (None,) + out.shape[1:]


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("sx,sy,axes", [DOT_CASES[0], DOT_CASES[5], DOT_CASES[6]])
def test_dot_gradients_vs_finite_differences(sx, sy, axes, normalize):
    x, y = f32(*sx), f32(*sy)
    ax, ay = _axes(axes, len(sx), len(sy))
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    cot = f32(*_np_dot(x64, y64, ax, ay).shape).astype(np.float64)
    _, (gx, gy) = _grads(L.Dot(axes=axes, normalize=normalize), [x, y], cot)
    np.testing.assert_allclose(
        gx, _fd(lambda v: (_np_dot(v, y64, ax, ay, normalize) * cot).sum(), x64),
        rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(
        gy, _fd(lambda v: (_np_dot(x64, v, ax, ay, normalize) * cot).sum(), y64),
        rtol=1e-3, atol=1e-5)


def test_dot_normalize_is_cosine_similarity_and_floors_tiny_norms():
    x = tn.tensor([[3.0, 4.0], [0.0, 0.0], [1e-4, 0.0]])
    y = tn.tensor([[4.0, 3.0], [1.0, 0.0], [1.0, 0.0]])
    # 24/25 for the first sample; a norm below sqrt(eps) counts as sqrt(eps), so the zero
    # vector gives 0, not NaN, and a tiny vector less than 1
    np.testing.assert_allclose(L.dot([x, y], axes=-1, normalize=True).numpy(),
                               [[0.96], [0.0], [1e-4 / EPS ** 0.5]], rtol=1e-5)


# --- the real TF.js ----------------------------------------------------------------------
TFJS_DIR = Path(__file__).resolve().parents[1] / "tfjs"


def _node_with_tfjs():
    exe = shutil.which("node")
    reason = None
    if exe is None:
        reason = "node is not installed, so the TF.js comparison cannot run"
    elif not (TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        reason = f"TF.js is not installed: run `npm ci` in {TFJS_DIR}"
    if reason is None:
        return exe
    if os.environ.get("TREINO_REQUIRE_TFJS") == "1":
        pytest.fail(f"TREINO_REQUIRE_TFJS=1 but {reason}")
    pytest.skip(reason)


def test_outputs_match_tfjs():
    node = _node_with_tfjs()
    cases, layers = [], []
    # TF.js's Dot stops at rank 3 and checks a pair of axes without resolving negative
    # ones (shape[-1] is undefined in JavaScript), and its Concatenate joins along the
    # last axis for any negative axis: those cases are left out or given positive axes.
    for sx, sy, axes in DOT_CASES[:8]:
        if isinstance(axes, list):
            axes = list(_axes(axes, len(sx), len(sy)))
        for normalize in (False, True):
            cases.append(("dot", {"axes": axes, "normalize": normalize}, [sx, sy]))
    for name in ("add", "multiply", "average", "maximum", "minimum"):
        cases.append((name, {}, [(2, 3), (2, 4, 3), (2, 1, 3)]))
        cases.append((name, {}, [(2, 3), (2, 3, 1)]))
    cases.append(("concatenate", {"axis": 1}, [(2, 2, 3), (2, 5, 3)]))
    cases.append(("concatenate", {}, [(2, 2, 3), (2, 2, 1)]))
    payload = []
    for name, config, shapes in cases:
        xs = [f32(*s) for s in shapes]
        layers.append((getattr(L, name)(**config), xs))
        payload.append({"layer": name, "config": config,
                        "inputs": [{"shape": list(x.shape), "values": x.ravel().tolist()}
                                   for x in xs]})
    r = subprocess.run([node, str(TFJS_DIR / "merge_layers.js")], input=json.dumps(payload),
                       capture_output=True, text=True, timeout=60, cwd=TFJS_DIR)
    assert r.returncode == 0, r.stderr[-3000:]
    for (layer, xs), want, (name, config, _) in zip(layers, json.loads(r.stdout), cases):
        y = layer([tn.tensor(x) for x in xs])
        assert list(y.shape) == want["shape"], (name, config)
        np.testing.assert_allclose(y.numpy().ravel(), want["values"], rtol=1e-5, atol=1e-5,
                                   err_msg=f"{name} {config}")


# --- shape rules and errors ------------------------------------------------------------
def test_elementwise_output_shapes_follow_tfjs():
    add = L.Add()
    assert add.compute_output_shape([(None, 3), (None, 4, 3)]) == (None, 4, 3)
    assert add.compute_output_shape([(None, 1, 3), (None, 2, 1)]) == (None, 2, 3)
    assert add.compute_output_shape([(None, None), (None, 3)]) == (None, None)
    assert add.compute_output_shape([(8, 3), (None, 3)]) == (8, 3)  # the known batch size
    assert add.compute_output_shape([(None,), (None, 5)]) == (None, 5)


def _error(fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn()


T = {s: tn.zeros(s) for s in [(2, 3), (3, 3), (2, 4), (2, 4, 3), (2, 3, 4), (2,)]}
ERRORS = [
    # the number of inputs
    (lambda: L.add([T[(2, 3)]]), ValueError,
     r"Add layer 'add_Add\d+': must be called on a list of at least 2 inputs, received "
     r"1 input \(shapes \[\[null,3\]\]\)"),
    (lambda: L.Multiply()(T[(2, 3)]), ValueError,
     r"list of at least 2 inputs, received a single input of shape \[null,3\]"),
    (lambda: L.Concatenate().build([]), ValueError, r"received 0 inputs"),
    (lambda: L.subtract([T[(2, 3)]] * 3), ValueError,
     r"Subtract layer .*exactly 2 inputs, received 3 inputs"),
    (lambda: L.dot([T[(2, 3)]] * 3, axes=1), ValueError,
     r"Dot layer .*exactly 2 inputs, received 3 inputs"),
    (lambda: L.Add().build([(None, 3), ()]), ValueError, r"needs a batch axis"),
    # mismatched shapes
    (lambda: L.add([T[(2, 3)], T[(2, 4)]]), ValueError,
     r"could not be broadcast together: \[3\] and \[4\].*received shapes "
     r"\[\[null,3\],\[null,4\]\]"),
    (lambda: L.maximum([T[(2, 3)], T[(3, 3)]]), ValueError,
     r"different batch sizes, received shapes \[\[2,3\],\[3,3\]\]"),
    (lambda: L.concatenate([T[(2, 3)], T[(2, 4, 3)]]), ValueError,
     r"Concatenate layer .*matching shapes except for the concat axis -1, received shapes "
     r"\[\[null,3\],\[null,4,3\]\]"),
    (lambda: L.concatenate([T[(2, 4, 3)], T[(2, 3, 4)]]), ValueError, r"matching shapes"),
    (lambda: L.concatenate([T[(2, 3)], T[(3, 3)]]), ValueError, r"matching shapes"),
    (lambda: L.dot([T[(2, 3)], T[(2, 4)]], axes=1), ValueError,
     r"Dot layer .*dimension incompatibility: axis 1 of input 0 has size 3 but axis 1 of "
     r"input 1 has size 4"),
    (lambda: L.dot([T[(2, 3)], T[(3, 3)]], axes=1), ValueError, r"different batch sizes"),
    # bad axis / axes
    (lambda: L.concatenate([T[(2, 3)], T[(2, 3)]], axis=2), ValueError,
     r"axis 2 is out of range for inputs of rank 2 \(expected an axis in \[-2, 1\]\)"),
    (lambda: L.Concatenate(axis=-3).build([(None, 3), (None, 3)]), ValueError,
     r"out of range"),
    (lambda: L.Concatenate(axis=1.0), TypeError,
     r"Concatenate: argument 'axis' must be an int, received 1.0"),
    (lambda: L.Concatenate(axis=True), TypeError, r"argument 'axis' must be an int"),
    (lambda: L.dot([T[(2, 3)], T[(2, 3)]], axes=0), ValueError,
     r"over the batch axis of input 0"),
    (lambda: L.dot([T[(2, 3)], T[(2, 3)]], axes=[1, -2]), ValueError,
     r"over the batch axis of input 1"),
    (lambda: L.dot([T[(2, 3)], T[(2, 3)]], axes=2), ValueError,
     r"axes 2 is out of range for input 0 of shape \[null,3\] \(expected an axis in "
     r"\[-2, 1\]\)"),
    (lambda: L.dot([T[(2,)], T[(2,)]], axes=-1), ValueError, r"batch axis"),
    (lambda: L.Dot(axes=None), TypeError, r"Dot: argument 'axes' must be an int or a list "
                                          r"of 2 ints, received None"),
    (lambda: L.Dot(axes=[1, 2.0]), TypeError, r"2.0 is of type float"),
    (lambda: L.Dot(axes="1"), TypeError, r"argument 'axes'"),
    (lambda: L.Dot(axes=[1, 2, 1]), ValueError, r"a list of 2 ints, received \[1, 2, 1\]"),
    (lambda: L.Dot(), TypeError, r"axes"),
    (lambda: L.Dot(axes=1, normalize=1), TypeError, r"'normalize' must be True or False"),
    # the factories and the constructor's other arguments
    (lambda: L.dot(1), TypeError, r"dot: argument 'inputs' must be None .* or a list of "
                                  r"tensors to merge, received 1"),
    (lambda: L.add(T[(2, 3)]), TypeError, r"add: argument 'inputs'"),
    (lambda: L.add([T[(2, 3)], np.zeros((2, 3))]), TypeError, r"Tensor"),
    (lambda: L.Add(units=3), TypeError, r"Add: unknown argument 'units'"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    _error(*ERRORS[i])


def test_a_refused_build_leaves_the_layer_unbuilt_and_reusable():
    layer = L.Add()
    with pytest.raises(ValueError):
        layer([T[(2, 3)], T[(2, 4)]])
    assert not layer.built
    assert layer([T[(2, 3)], T[(2, 3)]]).shape == (2, 3)
    # once built, other shapes are checked on every call, with the layer's message
    with pytest.raises(ValueError, match=r"Add layer .*broadcast"):
        layer([T[(2, 3)], T[(2, 4)]])
    assert layer([T[(2, 4, 3)], T[(2, 3)]]).shape == (2, 4, 3)


def test_a_sequential_model_cannot_take_a_merge_layer():
    with pytest.raises(ValueError, match=r"list of at least 2 inputs, received a single "
                                         r"input of shape \[null,3\]"):
        tn.sequential(layers=[L.dense(units=3, input_shape=[4]), L.add()])
    model = tn.sequential(layers=[L.dense(units=3, input_shape=[4])])
    with pytest.raises(ValueError, match="Concatenate"):
        model.add(L.concatenate())
    assert len(model.layers) == 1 and model.output_shape == (None, 3)


# --- names, configs, factories ---------------------------------------------------------
def _counter(name):
    return int(re.search(r"(\d+)$", name).group(1))


@pytest.mark.parametrize("cls,prefix", [
    (L.Add, "add_Add"), (L.Subtract, "subtract_Subtract"), (L.Multiply, "multiply_Multiply"),
    (L.Average, "average_Average"), (L.Maximum, "maximum_Maximum"),
    (L.Minimum, "minimum_Minimum"), (L.Concatenate, "concatenate_Concatenate"),
    (L.Dot, "dot_Dot")])
def test_default_names_count_per_class(cls, prefix):
    args = {"axes": 1} if cls is L.Dot else {}
    first = cls(**args)
    assert re.fullmatch(prefix + r"\d+", first.name)
    with pytest.raises(TypeError):  # a refused layer takes no number
        cls(**args, name=3)
    assert _counter(cls(**args).name) == _counter(first.name) + 1


@pytest.mark.parametrize("layer", [
    L.Add(name="a"), L.Subtract(), L.Multiply(trainable=False), L.Average(), L.Maximum(),
    L.Minimum(), L.Concatenate(axis=1), L.Concatenate(), L.Dot(axes=[1, -1], normalize=True),
    L.Dot(axes=-1)])
def test_config_round_trip_through_json(layer):
    config = layer.get_config()
    if isinstance(layer, L.Concatenate):
        assert config["axis"] == layer.axis
    if isinstance(layer, L.Dot):
        assert (config["axes"], config["normalize"]) == (layer.axes, layer.normalize)
    cls = L.CLASSES[layer.class_name]  # the lookup a saved model is loaded with
    assert cls is type(layer)
    again = cls.from_config(json.loads(json.dumps(config)))
    assert again.get_config() == config
    xs = [tn.tensor(f32(2, 3, 3)), tn.tensor(f32(2, 3, 3))]
    np.testing.assert_array_equal(again(xs).numpy(), layer(xs).numpy())


def test_factories_give_the_layer_or_apply_a_new_one():
    a, b = tn.tensor(f32(2, 3)), tn.tensor(f32(2, 3))
    for name in ("add", "subtract", "multiply", "average", "maximum", "minimum",
                 "concatenate"):
        layer = getattr(L, name)(name=f"my_{name}")
        assert isinstance(layer, L.CLASSES[layer.class_name]) and layer.name == f"my_{name}"
        out = getattr(L, name)((a, b))
        np.testing.assert_array_equal(out.numpy(), layer([a, b]).numpy())
    assert isinstance(L.dot(axes=1), L.Dot)
    np.testing.assert_allclose(L.dot([a, b], axes=1).numpy(),
                               (a.numpy() * b.numpy()).sum(1, keepdims=True), rtol=1e-6)
    assert L.concatenate([a, b], axis=0).shape == (4, 3)


def test_symbolic_inputs_give_symbolic_outputs():
    x, y = tn.input(shape=[3]), tn.input(shape=[4, 3])
    assert L.add([x, y]).shape == (None, 4, 3)
    assert L.concatenate([tn.input(shape=[3]), tn.input(shape=[5])]).shape == (None, 8)
    assert L.dot([y, tn.input(shape=[3, 2])], axes=[2, 1]).shape == (None, 4, 2)


@needs_torch
def test_fit_through_merge_layers_matches_torch_sgd():
    # Shared dense layers feed maximum, dot (normalized) and concatenate; fit's captured
    # and replayed steps must give torch's SGD weights.
    tn.set_seed(3)
    inp = tn.input(shape=[3])
    d1, d2 = L.dense(units=4), L.dense(units=4)
    h1, h2 = d1.apply(inp), d2.apply(inp)
    out = L.concatenate([L.maximum([h1, h2]), L.dot([h1, h2], axes=1, normalize=True),
                         L.average([h1, h2])])
    model = tn.model(inputs=inp, outputs=out)
    model.compile(optimizer=tn.train.sgd(0.1), loss="meanSquaredError")
    x, y = f32(16, 3), f32(16, 9)
    lin = [torch.nn.Linear(3, 4) for _ in range(2)]
    with torch.no_grad():
        for m, d in zip(lin, (d1, d2)):
            m.weight.copy_(torch.tensor(d.kernel.val.numpy().T))
            m.bias.copy_(torch.tensor(d.bias.val.numpy()))
    params = [p for m in lin for p in m.parameters()]  # torch.optim's import costs 1 s
    for _ in range(2):
        for i in range(0, 16, 4):
            xb = torch.tensor(x[i:i + 4])
            a, b = lin[0](xb), lin[1](xb)
            cos = torch.nn.functional.cosine_similarity(a, b, eps=EPS ** 0.5).unsqueeze(1)
            pred = torch.cat([torch.maximum(a, b), cos, (a + b) / 2], 1)
            grads = torch.autograd.grad(
                torch.nn.functional.mse_loss(pred, torch.tensor(y[i:i + 4])), params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p -= 0.1 * g
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for m, d in zip(lin, (d1, d2)):
        np.testing.assert_allclose(d.kernel.val.numpy(), m.weight.detach().numpy().T,
                                   rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(d.bias.val.numpy(), m.bias.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)
