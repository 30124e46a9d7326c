"""Hostile configs of the activation, noise, preprocessing, image-resizing, 3-D
convolution and pooling and ConvLSTM2D layers in a model.json: each is refused as the
older layers' are (the loader's ValueError naming the layer and the argument, before any
weight exists, the process state unchanged), and sizes that only shape the output load
without allocating and fail at call time with a Python error, never a hang or a crash."""
import math
import re

import numpy as np
import pytest

import treino as tn
from treino.layers.preprocessing import MAX_IMAGE_SIZE

from hostile_util import read_json, refused, write_json

L = tn.layers
M = 2 ** 31 - 1
# The layer after the input of each saved model, and the input's shape.
BASES = {
    "Resizing": ([4, 5, 3], lambda: L.Resizing(height=3, width=2)),
    "CenterCrop": ([4, 5, 3], lambda: L.CenterCrop(height=2, width=2)),
    "CategoryEncoding": ([3], lambda: L.CategoryEncoding(num_tokens=5)),
    "Rescaling": ([3], lambda: L.Rescaling(scale=0.5)),
    "ReLU": ([3], lambda: L.ReLU(max_value=2.0)),
    "PReLU": ([3, 2], lambda: L.PReLU()),
    "Softmax": ([3], lambda: L.Softmax()),
    "GaussianNoise": ([3], lambda: L.GaussianNoise(stddev=0.1)),
    "AlphaDropout": ([3], lambda: L.AlphaDropout(rate=0.1)),
    "SpatialDropout1D": ([4, 3], lambda: L.SpatialDropout1D(rate=0.1)),
    "Conv3D": ([4, 4, 4, 2], lambda: L.Conv3D(filters=2, kernel_size=2)),
    "Conv3DTranspose": ([4, 4, 4, 2], lambda: L.Conv3DTranspose(filters=2, kernel_size=2)),
    "MaxPooling3D": ([4, 4, 4, 2], lambda: L.MaxPooling3D()),
    "AveragePooling3D": ([4, 4, 4, 2], lambda: L.AveragePooling3D()),
    "ConvLSTM2D": ([3, 4, 4, 2], lambda: L.ConvLSTM2D(filters=2, kernel_size=2)),
}
_MISSING = object()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """{class name: model.json of its saved model}; the folders are copied per test."""
    root = tmp_path_factory.mktemp("bases")
    out = {}
    for name, (shape, make) in BASES.items():
        tn.set_seed(0)
        m = tn.sequential(layers=[L.input_layer(input_shape=shape), make()])
        m.save(str(root / name))
        out[name] = root / name
    return out


def _edited(saved, tmp_path, name, edits):
    folder = tmp_path / name
    folder.mkdir()
    for f in saved[name].iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    mj = read_json(folder)
    config = mj["modelTopology"]["config"]["layers"][1]["config"]
    for key, value in edits.items():
        if value is _MISSING:
            del config[key]
        else:
            config[key] = value
    write_json(folder, mj)
    return folder


def _layer(name):
    """The layer named in a message: by its label, or by its place in the file for a
    config field the loader bounds before any constructor runs."""
    return rf"layer 1 \({name} '[a-z0-9_]+{name}\d+'\)|config\.layers\[1\]\.config\."


# -- refused at load, naming the layer and the argument ----------------------------------

@pytest.mark.parametrize("name, edits, match", [
    ("Resizing", {"height": math.nan}, r"invalid config: .*'height' must be a positive int"),
    ("Resizing", {"height": True}, r"'height' must be a positive int, received True"),
    ("Resizing", {"width": "3"}, r"'width' must be a positive int, received '3'"),
    ("Resizing", {"width": [[3]]}, r"'width' must be a positive int"),
    ("Resizing", {"height": 0}, r"'height' must be a positive int, received 0"),
    ("Resizing", {"interpolation": "bicubic"}, r"'interpolation' must be one of"),
    ("Resizing", {"crop_to_aspect_ratio": "true"}, r"'crop_to_aspect_ratio' must be True"),
    ("Resizing", {"height": _MISSING}, r"lacks the required argument 'height'"),
    ("Resizing", {"bogus": 1}, r"unknown argument 'bogus'"),
    ("CenterCrop", {"width": math.inf}, r"'width' must be a positive int, received inf"),
    ("CategoryEncoding", {"num_tokens": 1e12}, r"'num_tokens' must be a positive int"),
    ("CategoryEncoding", {"num_tokens": False}, r"'num_tokens' must be a positive int"),
    ("CategoryEncoding", {"output_mode": "tf_idf"}, r"'output_mode' must be one of"),
    ("Rescaling", {"scale": 10 ** 400}, r"'scale' must be a finite number"),
    ("Rescaling", {"offset": math.nan}, r"'offset' must be a finite number"),
    ("ReLU", {"max_value": -1}, r"'max_value' must be a finite number >= 0"),
    ("PReLU", {"shared_axes": [True]}, r"'shared_axes' must be"),
    ("PReLU", {"shared_axes": [10 ** 12]}, r"shared_axes \[1000000000000\] name axis"),
    ("Softmax", {"axis": math.nan}, r"'axis' must be an int"),
    ("Softmax", {"axis": -10 ** 12}, r"axis -1000000000000"),
    ("GaussianNoise", {"stddev": math.inf}, r"'stddev' must be a finite number >= 0"),
    ("AlphaDropout", {"noise_shape": [10 ** 12, 1]}, r"config.noise_shape is \[1000000000000, "
                                                     r"1\]; a shape has at most 32 sizes"),
    ("AlphaDropout", {"noise_shape": [0, 1]}, r"'noise_shape' must be a non-empty list"),
    ("SpatialDropout1D", {"seed": 1.5}, r"'seed' must be an int or None"),
    ("Conv3D", {"filters": "3"}, r"'filters' must be a positive int, received '3'"),
    ("Conv3D", {"kernel_size": [2.0, 2, 2]}, r"'kernel_size' must be an int >= 1 or a list "
                                             r"of 3"),
    ("Conv3D", {"kernel_size": [1, 1]}, r"'kernel_size' must be an int >= 1 or a list of 3"),
    ("Conv3D", {"strides": [0, 1, 1]}, r"'strides' must be an int >= 1"),
    ("Conv3D", {"dilation_rate": [True, 1, 1]}, r"'dilation_rate' must be an int >= 1"),
    ("Conv3D", {"padding": "causal"}, r"'padding' must be 'valid' or 'same'"),
    ("Conv3D", {"data_format": "NDHWC"}, r"'data_format' must be 'channelsLast'"),
    ("Conv3D", {"kernel_size": _MISSING}, r"lacks the required argument 'kernel_size'"),
    ("Conv3DTranspose", {"dilation_rate": [2, 2, 2]}, r"dilation_rate must be 1"),
    ("Conv3DTranspose", {"bogus": None}, r"unknown argument 'bogus'"),
    ("MaxPooling3D", {"pool_size": 0}, r"'pool_size' must be an int >= 1 or a list of 3"),
    ("MaxPooling3D", {"pool_size": [-1, 2, 2]}, r"'pool_size' must be an int >= 1"),
    ("MaxPooling3D", {"pool_size": [2, 2]}, r"'pool_size' must be an int >= 1"),
    ("MaxPooling3D", {"pool_size": math.nan}, r"'pool_size' must be an int >= 1"),
    ("AveragePooling3D", {"strides": [2.0, 2, 2]}, r"'strides' must be an int >= 1"),
    ("AveragePooling3D", {"strides": [[2], 2, 2]}, r"'strides' must be an int >= 1"),
    ("AveragePooling3D", {"padding": 3}, r"'padding' must be 'valid' or 'same'"),
    ("ConvLSTM2D", {"filters": True}, r"'filters' must be a positive int, received True"),
    ("ConvLSTM2D", {"kernel_size": [0, 1]}, r"'kernel_size' must be an int >= 1"),
    ("ConvLSTM2D", {"dropout": math.nan}, r"'dropout' must be a finite number in \[0, 1\)"),
    ("ConvLSTM2D", {"unroll": True}, r"unrolling is not possible"),
    ("ConvLSTM2D", {"units": 10 ** 12}, r"unknown argument 'units'"),
    ("ConvLSTM2D", {"cell": {"class_name": "LSTMCell", "config": {"units": 10 ** 12}}},
     r"unknown argument 'cell'"),
    ("ConvLSTM2D", {"filters": _MISSING}, r"lacks the required argument 'filters'"),
])
def test_invalid_configs_are_the_loaders_errors(saved, tmp_path, name, edits, match):
    message = refused(_edited(saved, tmp_path, name, edits), match)
    assert re.search(_layer(name), message), message


@pytest.mark.parametrize("name, edits", [
    ("Conv3D", {"filters": 10 ** 12}),
    ("Conv3D", {"kernel_size": [10 ** 12, 1, 1]}),
    ("Conv3D", {"kernel_size": M}),
    ("Conv3DTranspose", {"filters": 2 ** 63}),
    ("Conv3DTranspose", {"kernel_size": [1, 1, 10 ** 9]}),
    ("ConvLSTM2D", {"filters": 10 ** 9}),
    ("PReLU", {}),   # its input made huge below
])
def test_huge_weights_are_refused_before_they_exist(saved, tmp_path, name, edits):
    """As Dense's, Conv2D's and LSTM's: a 1 KB model.json declaring terabytes of kernel is
    refused by the weight guard, allocating nothing."""
    folder = _edited(saved, tmp_path, name, edits)
    if name == "PReLU":   # a weight of another shape than the file's
        mj = read_json(folder)
        mj["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"] = \
            [None, 10 ** 6, 10 ** 3]
        write_json(folder, mj)
    message = refused(folder, r"creates weight .* more values than the \d+ its weights "
                              r"manifest holds", peak_mb=16)
    assert re.search(_layer(name), message), message


# -- sizes that shape only the output: they load, and a call fails cleanly ----------------

@pytest.mark.parametrize("name, key, value", [
    ("Resizing", "height", 10 ** 12), ("Resizing", "width", 2 ** 63 - 1),
    ("CenterCrop", "height", 2 ** 63 - 1), ("CenterCrop", "width", 10 ** 30),
    ("CenterCrop", "height", MAX_IMAGE_SIZE + 1),
])
def test_huge_image_sizes_load_and_refuse_to_compute(saved, tmp_path, name, key, value):
    """TF.js's constructors take any positive size (so does the loader, as for
    UpSampling2D's size); computing an output past int32 is refused naming the argument.
    CenterCrop once looped in Python over the output rows (hanging on 10**9) and gave an
    empty output for 2**63 - 1."""
    model = tn.load_layers_model(str(_edited(saved, tmp_path, name, {key: value})))
    assert model.layers[-1].output_shape[1 if key == "height" else 2] == value
    x = np.ones([1, 4, 5, 3], np.float32)
    with pytest.raises(ValueError, match=rf"argument '{key}' must be at most {MAX_IMAGE_SIZE} "
                                         rf"to compute an output .*received {value}"):
        model.predict(x)


def test_center_crop_positions_are_computed_without_a_python_loop():
    """A window of 3 million rows over a 4-row image (the resize branch) is a few numpy
    operations, with TF.js's values: the first and last rows, and the fractions of a
    bilinear resize at ratio 4 / 3e6."""
    x = np.arange(4 * 5 * 1, dtype=np.float32).reshape(1, 4, 5, 1)
    y = L.CenterCrop(height=3_000_000, width=5)(tn.tensor(x)).numpy()
    assert y.shape == (1, 3_000_000, 5, 1)
    np.testing.assert_array_equal(y[0, 0], x[0, 0])
    # row i reads source position 4 / 3e6 * i (no aligned corners): row 750000 is row 1
    np.testing.assert_array_equal(y[0, 750_000], x[0, 1])
    np.testing.assert_array_equal(y[0, -1], x[0, 3])


# -- 3-D pools whose window is far larger than the volume ---------------------------------

@pytest.mark.parametrize("name", ["MaxPooling3D", "AveragePooling3D"])
def test_pool3d_with_a_huge_same_window_loads_and_runs(saved, tmp_path, name):
    """A pool_size of 2**31 - 1 with 'same' padding is valid (each window covers the whole
    depth): the depth taps are those that read the volume, so the call neither loops over
    the window's depth nor allocates by it (it used to hang)."""
    folder = _edited(saved, tmp_path, name, {"pool_size": [M, 1, 1], "strides": [2, 2, 2],
                                             "padding": "same"})
    model = tn.load_layers_model(str(folder))
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 4, 2)).astype(np.float32)
    y = model.predict(x).numpy()
    reduce = np.max if name == "MaxPooling3D" else np.mean
    want = reduce(x[:, :, ::2, ::2], axis=1, keepdims=True).repeat(2, axis=1)
    np.testing.assert_allclose(y, want, rtol=1e-6)


@pytest.mark.parametrize("op", ["max", "avg"])
def test_pool3d_huge_window_gradient(op):
    """The gradient of a window that covers the depth: the first maximum of each column
    gets 1 per output depth (max), every depth 1 / depth per output depth (avg)."""
    fn = tn.max_pool3d if op == "max" else tn.avg_pool3d
    x = np.random.default_rng(1).normal(size=(1, 5, 2, 3, 2)).astype(np.float32)
    g = tn.grad(lambda t: tn.sum(fn(t, [M, 1, 1], [2, 1, 1], "same")))(tn.tensor(x)).numpy()
    out_depths = 3   # ceil(5 / 2)
    if op == "max":
        want = np.zeros_like(x)
        first = np.argmax(x, axis=1)
        np.put_along_axis(want, first[:, None], out_depths, axis=1)
    else:
        want = np.full_like(x, out_depths / 5)
    np.testing.assert_allclose(g, want, rtol=1e-6)


def test_pool3d_huge_windows_match_small_ones():
    """Windows past the volume read what a window the volume's size reads ('valid' needs
    the window inside; 'same' here): a depth window of 2**31 - 1 with stride 3 equals one of
    9 on a depth of 4 (both cover every depth), for max and average."""
    x = np.random.default_rng(2).normal(size=(1, 4, 3, 3, 1)).astype(np.float32)
    for fn in (tn.max_pool3d, tn.avg_pool3d):
        big = fn(tn.tensor(x), [M, 2, 2], [3, 1, 1], "same").numpy()
        small = fn(tn.tensor(x), [9, 2, 2], [3, 1, 1], "same").numpy()
        np.testing.assert_array_equal(big, small)

