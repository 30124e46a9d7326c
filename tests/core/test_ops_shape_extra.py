"""broadcast_to, broadcast_args, ensure_shape, clone, reverse, the rank-checked
slice/pad/concat/reverse forms, mirror_pad, meshgrid, strided_slice and the space/batch/
depth rearrangements against numpy (and torch where it has the op), with gradients."""
import numpy as np
import pytest

import treino as tn
from opcheck_util import check_grads, torch

rng = np.random.default_rng(3)


def U(*shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


def test_broadcast_to():
    x = U(3, 1)
    y = tn.broadcast_to(tn.tensor(x), [2, 3, 4])
    np.testing.assert_array_equal(y.numpy(), np.broadcast_to(x, (2, 3, 4)))
    check_grads(lambda t: tn.broadcast_to(t, [2, 3, 4]), [x],
                torch_fn=torch and (lambda t: t.expand(2, 3, 4)))
    assert tn.broadcast_to(tn.tensor([1, 2], dtype="int32"), [2, 2]).dtype == "int32"
    assert tn.broadcast_to(tn.zeros([1, 3]), [0, 3]).shape == (0, 3)
    with pytest.raises(ValueError, match=r"broadcast_to: x of shape \[3, 1\] cannot be broadcast to \[2, 4\]"):
        tn.broadcast_to(tn.zeros([3, 1]), [2, 4])
    with pytest.raises(ValueError, match="more than the rank"):
        tn.broadcast_to(tn.zeros([1, 1, 1]), [1, 1])


def test_broadcast_args_and_ensure_shape():
    out = tn.broadcast_args(tn.tensor([2, 1, 4], dtype="int32"), [3, 1])
    assert out.dtype == "int32" and out.array() == [2, 3, 4]
    with pytest.raises(ValueError, match="do not broadcast"):
        tn.broadcast_args([2, 3], [4])
    with pytest.raises(ValueError, match="argument 's0' must be a vector"):
        tn.broadcast_args([[2]], [4])
    x = tn.zeros([2, 3])
    assert tn.ensure_shape(x, [2, None]) is x
    with pytest.raises(ValueError, match=r"ensure_shape: x has shape \[2, 3\].*\[2, 4\]"):
        tn.ensure_shape(x, [2, 4])


def test_clone_is_a_differentiable_copy():
    v = tn.variable(tn.tensor([1.0, 2.0]))
    c = tn.clone(v)
    v.assign(tn.tensor([5.0, 5.0]))
    assert c.array() == [1, 2]  # a copy, not a view of the variable
    g = tn.grad(lambda t: tn.sum(t.clone() * 3.0))(tn.tensor([1.0, 1.0]))
    assert g.array() == [3, 3]


@pytest.mark.parametrize("axis", [None, 0, 1, [0, 2], -1])
def test_reverse(axis):
    x = U(2, 3, 4)
    np_axis = tuple(range(3)) if axis is None else tuple(axis) if isinstance(axis, list) else axis
    np.testing.assert_array_equal(tn.reverse(tn.tensor(x), axis).numpy(), np.flip(x, np_axis))
    check_grads(lambda t: tn.reverse(t, axis), [x],
                torch_fn=torch and (lambda t: torch.flip(t, np_axis if isinstance(np_axis, tuple) else (np_axis,))))


def test_rank_checked_forms():
    x1, x2, x3, x4 = U(5), U(3, 4), U(2, 3, 4), U(2, 2, 3, 3)
    np.testing.assert_array_equal(tn.reverse1d(tn.tensor(x1)).numpy(), x1[::-1])
    np.testing.assert_array_equal(tn.reverse2d(tn.tensor(x2), 1).numpy(), x2[:, ::-1])
    np.testing.assert_array_equal(tn.reverse3d(tn.tensor(x3), [0]).numpy(), x3[::-1])
    np.testing.assert_array_equal(tn.reverse4d(tn.tensor(x4)).numpy(), x4[::-1, ::-1, ::-1, ::-1])
    np.testing.assert_array_equal(tn.slice1d(tn.tensor(x1), 1, 3).numpy(), x1[1:4])
    np.testing.assert_array_equal(tn.slice2d(tn.tensor(x2), [1, 0], [2, -1]).numpy(), x2[1:3])
    np.testing.assert_array_equal(tn.slice3d(tn.tensor(x3), [0, 1, 1], [1, 2, 2]).numpy(), x3[:1, 1:3, 1:3])
    np.testing.assert_array_equal(tn.slice4d(tn.tensor(x4), [1, 0, 0, 0], [1, 1, 1, 1]).numpy(), x4[1:2, :1, :1, :1])
    np.testing.assert_array_equal(tn.pad1d(tn.tensor(x1), [1, 2], 7).numpy(), np.pad(x1, (1, 2), constant_values=7))
    np.testing.assert_array_equal(tn.pad2d(tn.tensor(x2), [[1, 0], [0, 1]]).numpy(), np.pad(x2, [(1, 0), (0, 1)]))
    assert tn.pad3d(tn.tensor(x3), [[0, 0], [1, 1], [0, 0]]).shape == (2, 5, 4)
    assert tn.pad4d(tn.tensor(x4), [[0, 0], [0, 0], [1, 1], [2, 2]]).shape == (2, 2, 5, 7)
    np.testing.assert_array_equal(tn.concat1d([tn.tensor(x1), tn.tensor(x1)]).numpy(), np.concatenate([x1, x1]))
    assert tn.concat2d([tn.tensor(x2), tn.tensor(x2)], 1).shape == (3, 8)
    assert tn.concat3d([tn.tensor(x3)] * 3, 2).shape == (2, 3, 12)
    assert tn.concat4d([tn.tensor(x4)] * 2).shape == (4, 2, 3, 3)
    for fn, args in [(tn.reverse2d, (tn.tensor(x1),)), (tn.slice3d, (tn.tensor(x2), [0, 0], [1, 1])),
                     (tn.pad1d, (tn.tensor(x2), [1, 1])), (tn.concat2d, ([tn.tensor(x1)],))]:
        with pytest.raises(ValueError, match=fn.__name__ + ": "):
            fn(*args)


@pytest.mark.parametrize("mode", ["reflect", "symmetric"])
def test_mirror_pad(mode):
    x = U(3, 4)
    pads = [[2, 1], [1, 3]] if mode == "symmetric" else [[2, 1], [1, 3]]
    y = tn.mirror_pad(tn.tensor(x), pads, mode)
    np.testing.assert_array_equal(y.numpy(), np.pad(x, pads, mode=mode))
    # The gradient adds every mirrored copy back (TF.js's keeps only the centre).
    check_grads(lambda t: tn.mirror_pad(t, pads, mode), [x])
    if torch is not None and mode == "reflect":
        t = torch.tensor(x.astype(np.float64)[None], requires_grad=True)
        w = rng.uniform(size=y.shape)
        (torch.nn.functional.pad(t, (1, 3), mode="reflect")[0] * torch.tensor(w[2:-1])).sum().backward()
        g = tn.grad(lambda v: tn.sum(tn.mirror_pad(v, [[0, 0], [1, 3]], mode) * tn.tensor(w[2:-1].astype(np.float32))))(tn.tensor(x))
        np.testing.assert_allclose(g.numpy(), t.grad.numpy()[0], rtol=1e-5)


def test_mirror_pad_errors():
    x = tn.zeros([3, 4])
    with pytest.raises(ValueError, match=r"mirror_pad: paddings \[3, 0\] of axis 0 must be in \[0, 2\]"):
        tn.mirror_pad(x, [[3, 0], [0, 0]], "reflect")
    assert tn.mirror_pad(x, [[3, 0], [0, 0]], "symmetric").shape == (6, 4)
    with pytest.raises(ValueError, match="argument 'mode'"):
        tn.mirror_pad(x, [[0, 0], [0, 0]], "wrap")
    with pytest.raises(ValueError, match="one \\[before, after\\] pair per axis"):
        tn.mirror_pad(x, [[0, 0]], "reflect")


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid(indexing):
    a, b = np.arange(3, dtype=np.float32), np.arange(4, dtype=np.float32) * 10
    got = tn.meshgrid(tn.tensor(a), tn.tensor(b), indexing=indexing)
    for g, want in zip(got, np.meshgrid(a, b, indexing=indexing)):
        np.testing.assert_array_equal(g.numpy(), want)
    assert tn.meshgrid() == [] and len(tn.meshgrid(tn.tensor(a))) == 1
    ga = tn.grad(lambda t: tn.sum(tn.meshgrid(t, tn.tensor(b), indexing=indexing)[0]))(tn.tensor(a))
    assert ga.array() == [4, 4, 4]
    with pytest.raises(ValueError, match="meshgrid: argument 'indexing'"):
        tn.meshgrid(tn.tensor(a), tn.tensor(b), indexing="yx")


# (begin, end, strides, masks as kwargs) and the numpy index they mean
STRIDED = [
    (([1], [3], None, {}), np.s_[1:3]),
    (([0, 1], [3, 4], [2, 2], {}), np.s_[0:3:2, 1:4:2]),
    (([-1, 0], [-4, 5], [-1, 1], {}), np.s_[-1:-4:-1, 0:5]),
    (([1, 2], [0, 0], [1, 1], {"end_mask": 3}), np.s_[1:, 2:]),
    (([1, 2], [3, 4], [1, 1], {"begin_mask": 1}), np.s_[:3, 2:4]),
    (([1, 0], [2, 3], [1, 1], {"shrink_axis_mask": 1}), np.s_[1, 0:3]),
    (([0, 1], [0, 3], [1, 1], {"ellipsis_mask": 1}), np.s_[..., 1:3]),
    (([1, 0, 1], [2, 0, 3], [1, 1, 1], {"ellipsis_mask": 2}), np.s_[1:2, ..., 1:3]),
    (([0, 1], [0, 2], [1, 1], {"new_axis_mask": 1}), np.s_[np.newaxis, 1:2]),
    (([0, 0], [9, 9], [1, 1], {}), np.s_[0:9, 0:9]),  # clamped, as numpy and TensorFlow
    (([0, -1], [2, 0], [1, 1], {"shrink_axis_mask": 2}), np.s_[0:2, -1]),
]


@pytest.mark.parametrize("spec,index", STRIDED)
def test_strided_slice(spec, index):
    begin, end, strides, masks = spec
    x = U(3, 5, 4)
    y = tn.strided_slice(tn.tensor(x), begin, end, strides, **masks)
    np.testing.assert_array_equal(y.numpy(), x[index])
    check_grads(lambda t: tn.strided_slice(t, begin, end, strides, **masks), [x])


def test_strided_slice_errors():
    x = tn.zeros([3, 4])
    with pytest.raises(ValueError, match=r"strided_slice: strides\[0\] must not be 0"):
        tn.strided_slice(x, [0], [1], [0])
    with pytest.raises(ValueError, match="begin, end and strides must have one length"):
        tn.strided_slice(x, [0, 0], [1], [1])
    with pytest.raises(ValueError, match=r"shrink index begin\[0\]=5 is out of range"):
        tn.strided_slice(x, [5], [6], [1], shrink_axis_mask=1)
    with pytest.raises(ValueError, match="at most one bit"):
        tn.strided_slice(x, [0, 0], [1, 1], [1, 1], ellipsis_mask=3)
    with pytest.raises(TypeError, match="'begin_mask' must be a non-negative int"):
        tn.strided_slice(x, [0], [1], [1], begin_mask=-1)


def _np_space_to_batch(x, block, pads):
    m = len(block)
    p = np.pad(x, [(0, 0)] + pads + [(0, 0)] * (x.ndim - 1 - m))
    out = []
    for offs in np.ndindex(*block):  # batch index = offset (row-major over the block) * b + n
        idx = (slice(None),) + tuple(slice(o, None, bs) for o, bs in zip(offs, block))
        out.append(p[idx])
    return np.concatenate(out, 0)


@pytest.mark.parametrize("shape,block,pads", [((2, 4, 6, 3), [2, 3], [[0, 0], [0, 0]]),
                                              ((1, 3, 5, 2), [2, 2], [[1, 0], [2, 1]]),
                                              ((2, 6), [3], [[0, 0]])])
def test_space_to_batch_and_back(shape, block, pads):
    x = U(*shape)
    y = tn.space_to_batch_nd(tn.tensor(x), block, pads)
    np.testing.assert_array_equal(y.numpy(), _np_space_to_batch(x, block, pads))
    back = tn.batch_to_space_nd(y, block, pads)
    np.testing.assert_array_equal(back.numpy(), x)
    check_grads(lambda t: tn.space_to_batch_nd(t, block, pads), [x])
    check_grads(lambda t: tn.batch_to_space_nd(t, block, pads), [y.numpy()])


def test_space_to_batch_errors():
    with pytest.raises(ValueError, match="space_to_batch_nd: axis 1 of extent 5 padded by \\[0, 0\\] is not divisible"):
        tn.space_to_batch_nd(tn.zeros([1, 5, 4, 1]), [2, 2], [[0, 0], [0, 0]])
    with pytest.raises(ValueError, match="batch_to_space_nd: the batch extent 3 must be divisible"):
        tn.batch_to_space_nd(tn.zeros([3, 2, 2, 1]), [2, 2], [[0, 0], [0, 0]])
    with pytest.raises(ValueError, match="argument 'crops' must hold 2"):
        tn.batch_to_space_nd(tn.zeros([4, 2, 2, 1]), [2, 2], [[0, 0]])


def _np_depth_to_space_nhwc(x, s):
    b, h, w, c = x.shape
    out = np.empty((b, h * s, w * s, c // (s * s)), x.dtype)
    for i in range(h * s):
        for j in range(w * s):
            block = ((i % s) * s + j % s) * (c // (s * s))
            out[:, i, j] = x[:, i // s, j // s, block:block + c // (s * s)]
    return out


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_depth_to_space(fmt):
    x = U(2, 2, 3, 8)
    if fmt == "NHWC":
        y, want = tn.depth_to_space(tn.tensor(x), 2), _np_depth_to_space_nhwc(x, 2)
    else:  # NCHW is the same rearrangement with the channels first
        x = x.transpose(0, 3, 1, 2).copy()
        y = tn.depth_to_space(tn.tensor(x), 2, "NCHW")
        want = _np_depth_to_space_nhwc(x.transpose(0, 2, 3, 1), 2).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(y.numpy(), want)
    check_grads(lambda t: tn.depth_to_space(t, 2, fmt), [x])
    with pytest.raises(ValueError, match="depth_to_space: the channel extent"):
        tn.depth_to_space(tn.zeros([1, 2, 2, 6]), 2)
    with pytest.raises(ValueError, match="argument 'block_size' must be an int >= 2"):
        tn.depth_to_space(tn.zeros([1, 2, 2, 4]), 1)


def test_zero_size_inputs_give_numpys_shapes():
    e = np.zeros((0, 3), np.float32)
    cases = [
        (tn.reverse(tn.tensor(e), 0), np.flip(e, 0)),
        (tn.strided_slice(tn.tensor(e), [0, 1], [1, 3]), e[0:1, 1:3]),
        (tn.broadcast_to(tn.zeros([1, 3]), [0, 3]), np.broadcast_to(np.zeros((1, 3)), (0, 3))),
        (tn.mirror_pad(tn.zeros([2, 0]), [[1, 1], [0, 0]], "symmetric"),
         np.pad(np.zeros((2, 0)), [(1, 1), (0, 0)], mode="symmetric")),
        (tn.einsum("ij,jk->ik", tn.tensor(e), tn.ones([3, 2])), np.zeros((0, 2))),
        (tn.cumsum(tn.tensor(e), 1), np.cumsum(e, 1)),
        (tn.euclidean_norm(tn.tensor(e), 1), np.linalg.norm(e, axis=1)),
        (tn.euclidean_norm(tn.tensor(e), 0), np.linalg.norm(e, axis=0)),
        (tn.any(tn.tensor(e), 0), np.any(e, 0)),
        (tn.space_to_batch_nd(tn.zeros([0, 2, 2, 1]), [2, 2], [[0, 0], [0, 0]]), np.zeros((0, 1, 1, 1))),
    ]
    for got, want in cases:
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want)
