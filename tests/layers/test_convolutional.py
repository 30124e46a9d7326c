"""Convolution and pooling ops and layers against PyTorch (after the NHWC/NCHW
transposes, in float64) and float64 finite differences, over strides, dilations,
paddings, kernel sizes, odd and even sizes, batch 1 and channel counts that are not
multiples of the SIMD width; TF.js's output shapes, summary and configs; errors."""
import numpy as np
import pytest

import treino as tn
from treino.core import ops
from treino.core.ops.conv import pads

torch = pytest.importorskip("torch")
F = torch.nn.functional
RNG = np.random.default_rng(3)


def _t(a):
    return torch.tensor(np.asarray(a, np.float64))


def _torch_conv(x, w, strides, padding, dilations, depthwise=False):
    """NHWC x, [fh, fw, in, out] w -> NHWC y, in float64, through F.conv2d."""
    pt, pb, pl, pr = padding
    xt = _t(x).permute(0, 3, 1, 2).requires_grad_()
    if depthwise:
        c, m = w.shape[2], w.shape[3]
        wt = _t(w).permute(2, 3, 0, 1).reshape(c * m, 1, w.shape[0], w.shape[1])
    else:
        wt = _t(w).permute(3, 2, 0, 1)
    wt = wt.detach().requires_grad_()
    y = F.conv2d(F.pad(xt, (pl, pr, pt, pb)), wt, stride=strides, dilation=dilations,
                 groups=x.shape[3] if depthwise else 1)
    return xt, wt, y.permute(0, 2, 3, 1)


CONV_CASES = [  # n, h, w, c, out, fh, fw, strides, dilations, pad
    (2, 7, 6, 3, 5, 3, 3, (1, 1), (1, 1), "same"),
    (1, 9, 8, 4, 17, 2, 3, (2, 3), (1, 1), "valid"),
    (3, 8, 8, 2, 3, 3, 2, (1, 1), (2, 2), "same"),
    (2, 5, 5, 3, 4, 3, 3, (2, 2), (1, 1), 1),
    (1, 12, 11, 17, 6, 7, 7, (3, 3), (1, 1), "same"),
    (2, 6, 7, 5, 2, 1, 1, (1, 2), (1, 1), "valid"),
    (1, 10, 9, 3, 33, 5, 4, (1, 1), (2, 1), [[0, 0], [2, 1], [0, 3], [0, 0]]),
    (1, 4, 4, 16, 16, 4, 4, (1, 1), (1, 1), "valid"),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_pytorch_forward_and_gradients(case, isa):
    n, h, w, c, oc, fh, fw, strides, dil, pad = case
    x = RNG.normal(size=(n, h, w, c)).astype(np.float32)
    k = RNG.normal(size=(fh, fw, c, oc)).astype(np.float32)
    y = ops.conv2d(tn.tensor(x), tn.tensor(k), strides, pad, dilations=dil)
    xt, wt, yt = _torch_conv(x, k, strides, pads("t", pad, (h, w), (fh, fw), strides, dil), dil)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = RNG.normal(size=y.shape).astype(np.float32)
    (yt * _t(g)).sum().backward()
    gx, gk = tn.grads(lambda a, b: tn.sum(tn.mul(ops.conv2d(a, b, strides, pad, dilations=dil),
                                                 tn.tensor(g))))([tn.tensor(x), tn.tensor(k)])
    np.testing.assert_allclose(gx.numpy(), xt.grad.permute(0, 2, 3, 1).numpy(), rtol=1e-4,
                               atol=1e-3)
    np.testing.assert_allclose(gk.numpy(), wt.grad.permute(2, 3, 1, 0).numpy(), rtol=1e-4,
                               atol=1e-3)


def test_conv2d_nchw_rank3_and_results_independent_of_threads(threads):
    x = RNG.normal(size=(2, 3, 9, 8)).astype(np.float32)
    k = RNG.normal(size=(3, 3, 3, 4)).astype(np.float32)
    y = ops.conv2d(tn.tensor(x), tn.tensor(k), 2, "same", data_format="NCHW")
    want = ops.conv2d(tn.tensor(x.transpose(0, 2, 3, 1)), tn.tensor(k), 2, "same")
    np.testing.assert_array_equal(y.numpy(), want.numpy().transpose(0, 3, 1, 2))
    single = ops.conv2d(tn.tensor(x[0].transpose(1, 2, 0)), tn.tensor(k), 2, "same")
    np.testing.assert_array_equal(single.numpy(), want.numpy()[0])
    tn.set_num_threads(1)
    one = ops.conv2d(tn.tensor(x.transpose(0, 2, 3, 1)), tn.tensor(k), 2, "same").numpy()
    tn.set_num_threads(2)
    two = ops.conv2d(tn.tensor(x.transpose(0, 2, 3, 1)), tn.tensor(k), 2, "same").numpy()
    np.testing.assert_array_equal(one, two)


def test_dim_rounding_mode_and_numeric_pad_follow_tfjs():
    x = tn.tensor(RNG.normal(size=(1, 6, 6, 1)).astype(np.float32))
    k = tn.tensor(np.ones((3, 3, 1, 1), np.float32))
    # (6 - 3 + 2) / 2 + 1 = 3.5: truncated to 3 by default, 4 with 'ceil'
    assert ops.conv2d(x, k, 2, 1).shape == (1, 3, 3, 1)
    assert ops.conv2d(x, k, 2, 1, dim_rounding_mode="ceil").shape == (1, 4, 4, 1)
    assert ops.conv2d(x, k, 2, 1, dim_rounding_mode="round").shape == (1, 4, 4, 1)
    with pytest.raises(ValueError, match="needs a numeric pad"):
        ops.conv2d(x, k, 2, "same", dim_rounding_mode="ceil")


def test_conv1d_and_causal_conv1d_layer_match_pytorch():
    x = RNG.normal(size=(2, 11, 3)).astype(np.float32)
    k = RNG.normal(size=(4, 3, 5)).astype(np.float32)
    y = ops.conv1d(tn.tensor(x), tn.tensor(k), 2, "same")
    pt = pads("t", "same", (1, 11), (1, 4), (1, 2), (1, 1))
    want = F.conv1d(F.pad(_t(x).permute(0, 2, 1), (pt[2], pt[3])), _t(k).permute(2, 1, 0),
                    stride=2).permute(0, 2, 1)
    np.testing.assert_allclose(y.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    layer = tn.layers.conv1d(filters=5, kernel_size=4, padding="causal", dilation_rate=2)
    out = layer(tn.tensor(x))
    kk, b = layer.get_weights()
    want = F.conv1d(F.pad(_t(x).permute(0, 2, 1), (6, 0)), _t(kk).permute(2, 1, 0), _t(b),
                    dilation=2).permute(0, 2, 1)
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 11, 3)) == (None, 11, 5)


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    for shape, pad, s in [([2, 8, 8, 2], "same", 2), ([2, 9, 9, 2], "valid", 2),
                          ([1, 7, 6, 2], "same", 1)]:
        k = RNG.normal(size=(3, 3, 2, 5)).astype(np.float32)
        z = RNG.normal(size=shape).astype(np.float32)
        cz = ops.conv2d(tn.tensor(z), tn.tensor(k), s, pad)
        x = RNG.normal(size=cz.shape).astype(np.float32)
        t = ops.conv2d_transpose(tn.tensor(x), tn.tensor(k), shape, s, pad)
        assert t.shape == tuple(shape)
        np.testing.assert_allclose(np.sum(cz.numpy().astype(np.float64) * x),
                                   np.sum(z.astype(np.float64) * t.numpy()), rtol=1e-5)
        # Its gradients against float64 finite differences.
        gx, gk = tn.grads(lambda a, b: tn.sum(tn.square(ops.conv2d_transpose(a, b, shape, s, pad)))
                          )([tn.tensor(x), tn.tensor(k)])

        def f(xx, kk):
            return float(np.sum(np.square(ops.conv2d_transpose(
                tn.tensor(xx), tn.tensor(kk), shape, s, pad).numpy().astype(np.float64))))
        i, j, eps = (0, 1, 1, 3), (1, 2, 0, 4), 1e-2
        xp, xm, kp, km = x.copy(), x.copy(), k.copy(), k.copy()
        xp[i] += eps
        xm[i] -= eps
        kp[j] += eps
        km[j] -= eps
        np.testing.assert_allclose(gx.numpy()[i], (f(xp, k) - f(xm, k)) / (2 * eps), rtol=2e-3)
        np.testing.assert_allclose(gk.numpy()[j], (f(x, kp) - f(x, km)) / (2 * eps), rtol=2e-3)


POOL_CASES = [(2, 2, "valid"), (3, 2, "same"), ((3, 2), (1, 2), "same"), (2, 1, "valid"),
              (3, 3, "valid"), ((1, 3), 1, "same")]


@pytest.mark.parametrize("window,strides,pad", POOL_CASES)
def test_pools_match_pytorch(window, strides, pad, isa):
    x = RNG.normal(size=(2, 7, 6, 5)).astype(np.float32)
    fh, fw = (window, window) if isinstance(window, int) else window
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    pt, pb, pl, pr = pads("t", pad, (7, 6), (fh, fw), (sh, sw), (1, 1))
    xt = _t(x).permute(0, 3, 1, 2).requires_grad_()
    ym = F.max_pool2d(F.pad(xt, (pl, pr, pt, pb), value=-1e300), (fh, fw), (sh, sw))
    y = ops.max_pool(tn.tensor(x), window, strides, pad)
    np.testing.assert_allclose(y.numpy(), ym.permute(0, 2, 3, 1).detach().numpy(), rtol=1e-6)
    g = RNG.normal(size=y.shape).astype(np.float32)
    (ym.permute(0, 2, 3, 1) * _t(g)).sum().backward()
    gx = tn.grad(lambda t: tn.sum(tn.mul(ops.max_pool(t, window, strides, pad), tn.tensor(g))))(
        tn.tensor(x))
    np.testing.assert_allclose(gx.numpy(), xt.grad.permute(0, 2, 3, 1).numpy(), rtol=1e-6,
                               atol=1e-6)
    # The average counts only the elements inside the image (TF.js).
    xt2 = _t(x).permute(0, 3, 1, 2).requires_grad_()
    count = F.avg_pool2d(F.pad(torch.ones(1, 1, 7, 6, dtype=torch.float64), (pl, pr, pt, pb)),
                         (fh, fw), (sh, sw))
    ya = F.avg_pool2d(F.pad(xt2, (pl, pr, pt, pb)), (fh, fw), (sh, sw)) / count
    got = ops.avg_pool(tn.tensor(x), window, strides, pad)
    np.testing.assert_allclose(got.numpy(), ya.permute(0, 2, 3, 1).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    (ya.permute(0, 2, 3, 1) * _t(g)).sum().backward()
    ga = tn.grad(lambda t: tn.sum(tn.mul(ops.avg_pool(t, window, strides, pad), tn.tensor(g))))(
        tn.tensor(x))
    np.testing.assert_allclose(ga.numpy(), xt2.grad.permute(0, 2, 3, 1).numpy(), rtol=1e-5,
                               atol=1e-6)


def test_conv_layers_compute_and_train_as_pytorch():
    x = RNG.normal(size=(3, 9, 8, 3)).astype(np.float32)
    layer = tn.layers.conv2d(filters=4, kernel_size=3, strides=2, padding="same",
                             activation="relu", kernel_regularizer=tn.regularizers.l2(0.1))
    y = layer(tn.tensor(x))
    assert [w.name for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert layer.name.startswith("conv2d_Conv2D")
    k, b = layer.get_weights()
    xt, wt, yt = _torch_conv(x, k, (2, 2), (1, 1, 0, 1), (1, 1))
    np.testing.assert_allclose(y.numpy(), torch.relu(yt + _t(b)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    cf = tn.layers.conv2d(filters=4, kernel_size=[3, 2], data_format="channelsFirst")
    out = cf(tn.tensor(x.transpose(0, 3, 1, 2)))
    assert out.shape == cf.compute_output_shape((None, 3, 9, 8))[:1] * 0 + (3, 4, 7, 7)
    kt, bt = cf.get_weights()
    want = F.conv2d(_t(x).permute(0, 3, 1, 2), _t(kt).permute(3, 2, 0, 1), _t(bt))
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


def _w5():
    """tfjs-examples mnist's convnet (the W5 workload)."""
    return tn.sequential([
        tn.layers.conv2d(input_shape=[28, 28, 1], kernel_size=3, filters=16, activation="relu"),
        tn.layers.max_pooling2d(pool_size=2, strides=2),
        tn.layers.conv2d(kernel_size=3, filters=32, activation="relu"),
        tn.layers.max_pooling2d(pool_size=2, strides=2),
        tn.layers.conv2d(kernel_size=3, filters=32, activation="relu"),
        tn.layers.flatten(),
        tn.layers.dense(units=64, activation="relu"),
        tn.layers.dense(units=10, activation="softmax")])


def test_the_mnist_convnet_summary_is_tfjs():
    lines = []
    _w5().summary(print_fn=lines.append)
    shapes = [l.split()[-3:] for l in lines[3:-5:2]]
    # Output shapes and parameter counts as TF.js 4.22 prints them for this model.
    assert [s[-2:] for s in shapes] == [
        ["[null,26,26,16]", "160"], ["[null,13,13,16]", "0"], ["[null,11,11,32]", "4640"],
        ["[null,5,5,32]", "0"], ["[null,3,3,32]", "9248"], ["[null,288]", "0"],
        ["[null,64]", "18496"], ["[null,10]", "650"]]
    assert "Total params: 33194" in lines


def test_a_convnet_replays_identically_to_eager():
    x = RNG.normal(size=(20, 28, 28, 1)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[RNG.integers(0, 10, 20)]
    runs = []
    for eager in (False, True):
        m = _w5()
        m.set_weights([RNG.normal(0, 0.1, w.shape).astype(np.float32) for w in m.weights]
                      if not runs else runs[0][2])
        init = m.get_weights()
        m.compile(optimizer=tn.train.rmsprop(0.001), loss="categoricalCrossentropy",
                  metrics=["acc"], run_eagerly=eager)
        h = m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        runs.append((m.get_weights(), h.history, init))
    assert runs[0][1] == runs[1][1]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][0], runs[1][0]))


def test_spatial_layers_and_global_pools():
    x = RNG.normal(size=(2, 4, 5, 3)).astype(np.float32)
    up = tn.layers.up_sampling2d(size=[2, 3])(tn.tensor(x)).numpy()
    np.testing.assert_array_equal(up, x.repeat(2, 1).repeat(3, 2))
    zp = tn.layers.zero_padding2d(padding=[[1, 2], [0, 1]])(tn.tensor(x)).numpy()
    np.testing.assert_array_equal(zp, np.pad(x, [(0, 0), (1, 2), (0, 1), (0, 0)]))
    cr = tn.layers.cropping2d(cropping=[[1, 0], [2, 1]])(tn.tensor(x)).numpy()
    np.testing.assert_array_equal(cr, x[:, 1:, 2:4])
    np.testing.assert_allclose(tn.layers.global_average_pooling2d()(tn.tensor(x)).numpy(),
                               x.mean((1, 2)), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(tn.layers.global_max_pooling2d()(tn.tensor(x)).numpy(),
                                  x.max((1, 2)))
    seq = x[:, 0]
    np.testing.assert_allclose(tn.layers.global_average_pooling1d()(tn.tensor(seq)).numpy(),
                               seq.mean(1), rtol=1e-6)
    np.testing.assert_allclose(tn.layers.average_pooling1d(pool_size=2)(tn.tensor(seq)).numpy(),
                               (seq[:, 0:4:2] + seq[:, 1:4:2]) / 2, rtol=1e-6)
    # Bilinear upsampling: TF.js's resizeBilinear (corners not aligned): row i reads i / 2.
    one = np.arange(3, dtype=np.float32).reshape(1, 3, 1, 1)
    bl = tn.layers.up_sampling2d(size=[2, 1], interpolation="bilinear")(tn.tensor(one))
    np.testing.assert_allclose(bl.numpy().ravel(), [0, 0.5, 1, 1.5, 2, 2])


def test_bad_convolution_arguments():
    x = tn.tensor(np.zeros((1, 5, 5, 3), np.float32))
    k = tn.tensor(np.zeros((3, 3, 3, 2), np.float32))
    cases = [
        (lambda: ops.conv2d(x, tn.tensor(np.zeros((3, 3, 2), np.float32)), 1, "same"),
         ValueError, "filter' must have rank 4"),
        (lambda: ops.conv2d(x, tn.tensor(np.zeros((3, 3, 4, 2), np.float32)), 1, "same"),
         ValueError, r"depth of input \(3\) must match"),
        (lambda: ops.conv2d(x, k, 2, "same", dilations=2), ValueError, "either strides or"),
        (lambda: ops.conv2d(x, k, -1, "same"), ValueError, "'strides'"),
        (lambda: ops.conv2d(x, k, 1, "full"), ValueError, "'pad'"),
        (lambda: ops.conv2d(x, tn.tensor(np.zeros((7, 7, 3, 2), np.float32)), 1, "valid"),
         ValueError, "larger than the padded input"),
        (lambda: ops.max_pool(x, 6, 1, "valid"), ValueError, "larger than the padded input"),
        (lambda: ops.max_pool(x, 0, 1, "valid"), ValueError, "'filter_size'"),
        (lambda: ops.conv2d_transpose(x, k, [1, 9, 9, 3], 2, "same"), ValueError, "does not fit"),
        (lambda: ops.conv2d_transpose(tn.tensor(np.zeros((1, 5, 5, 2), np.float32)), k, [1, 9, 9, 3], 1,
                                      "same"), ValueError, "gives"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()
    layer = tn.layers.conv2d(filters=2, kernel_size=3)
    layer(x)
    with pytest.raises(ValueError, match="incompatible"):
        layer(tn.tensor(np.zeros((1, 5, 5, 4), np.float32)))
    with pytest.raises(ValueError, match="cannot both be > 1"):
        tn.layers.conv2d(filters=2, kernel_size=3, strides=2, dilation_rate=2)


@pytest.mark.parametrize("strides,dil,pad,mult", [((1, 1), (1, 1), "same", 1),
                                                  ((2, 1), (1, 1), "valid", 2),
                                                  ((1, 1), (2, 2), "same", 3)])
def test_depthwise_and_separable_convolutions_match_pytorch(strides, dil, pad, mult, isa):
    x = RNG.normal(size=(2, 9, 8, 5)).astype(np.float32)
    k = RNG.normal(size=(3, 3, 5, mult)).astype(np.float32)
    y = ops.depthwise_conv2d(tn.tensor(x), tn.tensor(k), strides, pad, dilations=dil)
    xt, wt, yt = _torch_conv(x, k, strides, pads("t", pad, (9, 8), (3, 3), strides, dil), dil,
                             depthwise=True)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = RNG.normal(size=y.shape).astype(np.float32)
    (yt * _t(g)).sum().backward()
    gx, gk = tn.grads(lambda a, b: tn.sum(tn.mul(
        ops.depthwise_conv2d(a, b, strides, pad, dilations=dil), tn.tensor(g))))(
        [tn.tensor(x), tn.tensor(k)])
    np.testing.assert_allclose(gx.numpy(), xt.grad.permute(0, 2, 3, 1).numpy(), rtol=1e-4,
                               atol=1e-3)
    np.testing.assert_allclose(gk.numpy(), wt.grad.reshape(5, mult, 3, 3).permute(2, 3, 0, 1)
                               .numpy(), rtol=1e-4, atol=1e-3)
    pw = RNG.normal(size=(1, 1, 5 * mult, 4)).astype(np.float32)
    sep = ops.separable_conv2d(tn.tensor(x), tn.tensor(k), tn.tensor(pw), strides, pad, dil)
    want = np.einsum("nhwc,cd->nhwd", yt.detach().numpy(), pw[0, 0].astype(np.float64))
    np.testing.assert_allclose(sep.numpy(), want, rtol=1e-4, atol=1e-4)


def test_depthwise_and_separable_layers():
    x = RNG.normal(size=(2, 7, 7, 3)).astype(np.float32)
    dw = tn.layers.depthwise_conv2d(kernel_size=3, depth_multiplier=2, padding="same",
                                    activation="relu")
    y = dw(tn.tensor(x))
    assert y.shape == (2, 7, 7, 6) == (2,) + dw.compute_output_shape((None, 7, 7, 3))[1:]
    assert [w.name.split("/")[1] for w in dw.weights] == ["depthwise_kernel", "bias"]
    k, b = dw.get_weights()
    want = np.maximum(ops.depthwise_conv2d(tn.tensor(x), tn.tensor(k), 1, "same").numpy() + b, 0)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6, atol=1e-6)
    sep = tn.layers.separable_conv2d(filters=4, kernel_size=[3, 2], strides=2)
    out = sep(tn.tensor(x))
    assert out.shape == (2, 3, 3, 4) == (2,) + sep.compute_output_shape((None, 7, 7, 3))[1:]
    assert [w.name.split("/")[1] for w in sep.weights] == ["depthwise_kernel",
                                                            "pointwise_kernel", "bias"]
    assert sep.count_params() == 3 * 2 * 3 + 3 * 4 + 4
    fused = tn.fused.conv2d(x=tn.tensor(x), filter=tn.tensor(RNG.normal(size=(3, 3, 3, 2))
                                                             .astype(np.float32)),
                            bias=tn.tensor(np.ones(2, np.float32)), activation="relu",
                            pad="same")
    assert fused.shape == (2, 7, 7, 2) and fused.numpy().min() >= 0
