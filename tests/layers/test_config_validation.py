"""Layer configs are checked at creation: every bad value of every layer class is refused
by the constructor and by from_config alike, with a TypeError (wrong type) or ValueError
(bad value) naming the class and the argument, and a refused layer leaves the default-name
counter where it was. Valid configs round-trip through get_config / from_config (and
JSON), for every class in tn.layers.CLASSES."""
import copy
import json
import math
import re

import pytest

import treino as tn
from treino import layers as L
from treino.layers import base

NAN, INF = math.nan, math.inf
LAYERS = [L.InputLayer, L.Dense, L.Activation, L.Dropout, L.Flatten, L.Reshape,
          L.BatchNormalization, L.LayerNormalization, L.Add, L.Subtract, L.Multiply,
          L.Average, L.Maximum, L.Minimum, L.Concatenate, L.Dot, L.Conv1D, L.Conv2D,
          L.Conv2DTranspose, L.DepthwiseConv2D, L.SeparableConv2D, L.MaxPooling1D, L.MaxPooling2D, L.AveragePooling1D,
          L.AveragePooling2D, L.GlobalAveragePooling1D, L.GlobalAveragePooling2D,
          L.GlobalMaxPooling1D, L.GlobalMaxPooling2D, L.UpSampling2D, L.ZeroPadding2D,
          L.Cropping2D, L.Embedding, L.Masking, L.SimpleRNN, L.LSTM, L.GRU, L.RNN,
          L.SimpleRNNCell, L.LSTMCell, L.GRUCell, L.StackedRNNCells, L.Bidirectional,
          L.TimeDistributed, L.RepeatVector, L.Permute, L.ELU, L.ReLU, L.LeakyReLU, L.PReLU,
          L.Softmax, L.ThresholdedReLU, L.GaussianNoise, L.GaussianDropout, L.AlphaDropout,
          L.SpatialDropout1D, L.Rescaling, L.CenterCrop, L.CategoryEncoding, L.Resizing]
LAYERS += [L.Conv3D, L.Conv3DTranspose, L.MaxPooling3D, L.AveragePooling3D]
LAYERS += [L.ConvLSTM2D, L.ConvLSTM2DCell]
_RNN_CELLS = (L.SimpleRNNCell, L.LSTMCell, L.GRUCell)
_RNN_LAYERS = (L.SimpleRNN, L.LSTM, L.GRU)
_POOLS = (L.MaxPooling1D, L.MaxPooling2D, L.AveragePooling1D, L.AveragePooling2D)
_GLOBAL_POOLS = (L.GlobalAveragePooling1D, L.GlobalAveragePooling2D, L.GlobalMaxPooling1D,
                 L.GlobalMaxPooling2D)
# The smallest valid arguments of each class; a case's arguments are added to them.
MINIMAL = {L.InputLayer: {"input_shape": [3]}, L.Dense: {"units": 2},
           L.Activation: {"activation": "relu"}, L.Dropout: {"rate": 0.5}, L.Flatten: {},
           L.Reshape: {"target_shape": [-1]}, L.BatchNormalization: {},
           L.LayerNormalization: {}, L.Add: {}, L.Subtract: {}, L.Multiply: {},
           L.Average: {}, L.Maximum: {}, L.Minimum: {}, L.Concatenate: {}, L.Dot: {"axes": 1},
           L.Conv1D: {"filters": 2, "kernel_size": 3}, L.Conv2D: {"filters": 2, "kernel_size": 3},
           L.Conv2DTranspose: {"filters": 2, "kernel_size": 3},
           L.DepthwiseConv2D: {"kernel_size": 3},
           L.SeparableConv2D: {"filters": 2, "kernel_size": 3},
           L.Conv3D: {"filters": 2, "kernel_size": 3},
           L.Conv3DTranspose: {"filters": 2, "kernel_size": 3},
           L.MaxPooling3D: {}, L.AveragePooling3D: {},
           **{c: {} for c in _POOLS + _GLOBAL_POOLS}, L.UpSampling2D: {},
           L.ZeroPadding2D: {}, L.Cropping2D: {"cropping": 1},
           L.Embedding: {"input_dim": 5, "output_dim": 2}, L.Masking: {},
           **{c: {"units": 2} for c in _RNN_LAYERS + _RNN_CELLS},
           L.RNN: {"cell": L.LSTMCell(units=2)},
           L.StackedRNNCells: {"cells": [L.LSTMCell(units=2)]},
           L.Bidirectional: {"layer": L.LSTM(units=2)},
           L.TimeDistributed: {"layer": L.Dense(2)}, L.RepeatVector: {"n": 2},
           L.Permute: {"dims": [1]},
           **{c: {} for c in (L.ELU, L.ReLU, L.LeakyReLU, L.PReLU, L.Softmax,
                              L.ThresholdedReLU)},
           L.GaussianNoise: {"stddev": 0.1}, L.GaussianDropout: {"rate": 0.1},
           L.AlphaDropout: {"rate": 0.1}, L.SpatialDropout1D: {"rate": 0.1},
           L.Rescaling: {"scale": 0.5}, L.CenterCrop: {"height": 2, "width": 2},
           L.CategoryEncoding: {"num_tokens": 3}, L.Resizing: {"height": 2, "width": 3}}
MINIMAL.update({c: {"filters": 2, "kernel_size": 3} for c in (L.ConvLSTM2D, L.ConvLSTM2DCell)})


def test_every_layer_class_is_covered():
    assert set(LAYERS) == set(L.CLASSES.values()) == set(MINIMAL)


def _peek(cls):
    """The number the next default name of cls would take, read without taking it (from
    the counter's repr, 'count(5)': copying itertools objects is deprecated)."""
    counter = base._counters["input" if cls is L.InputLayer else cls.__name__]
    return int(re.fullmatch(r"count\((\d+)\)", repr(counter)).group(1))


def _args(cls, bad):
    args = {**MINIMAL[cls], **bad}
    if cls is L.InputLayer and "batch_input_shape" in bad and "input_shape" not in bad:
        del args["input_shape"]
    return args


def _refused(cls, bad, error, pattern):
    """cls(**args) and cls.from_config(args) both raise `error` matching `pattern`, and
    the default-name counter of cls does not move."""
    before = _peek(cls)
    pattern = pattern.format(cls=cls.__name__)
    with pytest.raises(error, match=pattern):
        cls(**_args(cls, bad))
    with pytest.raises(error, match=pattern):
        cls.from_config(copy.deepcopy(_args(cls, bad)))
    assert _peek(cls) == before
    cls(**MINIMAL[cls])  # the counter still works and moves on success
    assert _peek(cls) == before + 1


SHAPE = r"must be a list of ints >= 0 \(None for a free dimension\)"
BATCH_SHAPE = r"must be a non-empty list of ints >= 0 \(None for a free dimension\)"
# Arguments every layer takes (Layer.__init__'s, or InputLayer's own).
COMMON = [
    ("float_dim", {"input_shape": [784.5]}, TypeError,
     rf"^{{cls}}: argument 'input_shape' {SHAPE}, received \[784.5\] \(784.5 is of type float\)"),
    # A whole float too: Python tells 784.0 from 784 (see _config's docstring).
    ("whole_float_dim", {"input_shape": [784.0]}, TypeError,
     rf"argument 'input_shape' {SHAPE}, received \[784.0\] \(784.0 is of type float\)"),
    ("bool_dim", {"input_shape": [True]}, TypeError, r"'input_shape'.*True is of type bool"),
    ("str_shape", {"input_shape": "784"}, TypeError, r"'input_shape'.*\(of type str\)"),
    ("float_shape", {"input_shape": 784.0}, TypeError, r"'input_shape'.*\(of type float\)"),
    ("negative_dim", {"input_shape": [-1]}, ValueError, rf"'input_shape' {SHAPE}, received \[-1\]"),
    ("batch_shape_int", {"batch_input_shape": 5}, TypeError, r"'batch_input_shape'.*of type int"),
    ("batch_shape_str_dim", {"batch_input_shape": [None, "3"]}, TypeError,
     r"'batch_input_shape'.*'3' is of type str"),
    ("batch_shape_empty", {"batch_input_shape": []}, ValueError,
     rf"'batch_input_shape' {BATCH_SHAPE}, received \[\]"),
    ("batch_size_zero", {"input_shape": [3], "batch_size": 0}, ValueError,
     r"^{cls}: argument 'batch_size' must be a positive int or None, received 0"),
    ("batch_size_float", {"input_shape": [3], "batch_size": 8.0}, TypeError, r"'batch_size'"),
    ("batch_size_and_batch_shape", {"batch_input_shape": [None, 3], "batch_size": 4},
     ValueError, r"^{cls}: 'batch_size' cannot be combined with 'batch_input_shape'"),
    ("both_shapes", {"input_shape": [3], "batch_input_shape": [None, 3]}, ValueError,
     r"^{cls}: give one of 'input_shape', 'input_dim' and 'batch_input_shape'"),
    ("dtype_unknown", {"dtype": "float64"}, ValueError,
     r"^{cls}: argument 'dtype' must be one of 'float32', 'int32', 'bool' or None, "
     r"received 'float64'"),
    ("dtype_not_str", {"dtype": 32}, TypeError, r"^{cls}: argument 'dtype'.*of type int"),
    ("name_int", {"name": 5}, TypeError,
     r"^{cls}: argument 'name' must be a non-empty string, received 5"),
    ("name_empty", {"name": ""}, ValueError, r"^{cls}: argument 'name' must be a non-empty"),
    ("unknown_argument", {"unit": 3}, TypeError,
     r"^{cls}: unknown argument 'unit'; accepted arguments: .*name"),
]
# Layer.__init__'s arguments that InputLayer does not take.
LAYER_ONLY = [
    ("trainable_str", {"trainable": "false"}, TypeError,
     r"^{cls}: argument 'trainable' must be True or False, received 'false' \(of type str\)"),
    ("trainable_int", {"trainable": 0}, TypeError, r"'trainable' must be True or False"),
    ("input_dim_float", {"input_dim": 3.0}, TypeError, r"'input_dim' must be an int >= 0"),
    ("input_dim_negative", {"input_dim": -3}, ValueError, r"'input_dim' must be an int >= 0"),
    ("input_dim_and_shape", {"input_dim": 3, "input_shape": [3]}, ValueError, r"give one of"),
    ("batch_size_alone", {"batch_size": 4}, ValueError,
     r"'batch_size' needs 'input_shape' or 'input_dim'"),
]


def _common_cases():
    for cls in LAYERS:
        for case in COMMON:
            yield cls, case
        for name, bad, error, pattern in LAYER_ONLY:
            if cls is L.Embedding and ("input_dim" in bad or "batch_size" in bad):
                continue  # its input_dim is the vocabulary size; batch_size alone is TF.js's
            if cls is not L.InputLayer:
                yield cls, (name, bad, error, pattern)
            elif name != "batch_size_alone":  # InputLayer does take batch_size
                # InputLayer, as TF.js's, takes neither trainable nor input_dim.
                yield cls, (name, bad, TypeError, r"^{cls}: unknown argument")


@pytest.mark.parametrize("cls,case", list(_common_cases()),
                         ids=lambda x: x[0] if isinstance(x, tuple) else x.__name__)
def test_common_arguments_are_refused(cls, case):
    _, bad, error, pattern = case
    _refused(cls, bad, error, pattern)


OWN = {
    L.InputLayer: [
        ("no_shape", {"input_shape": None}, ValueError, r"^InputLayer: needs 'input_shape'"),
        ("sparse_str", {"sparse": "false"}, TypeError, r"'sparse' must be True or False"),
    ],
    L.Dense: [
        ("units_zero", {"units": 0}, ValueError,
         r"^Dense: argument 'units' must be a positive int, received 0$"),
        ("units_negative", {"units": -1}, ValueError, r"'units' must be a positive int"),
        ("units_bool", {"units": True}, TypeError, r"'units'.*received True \(of type bool\)"),
        ("units_float", {"units": 2.0}, TypeError, r"'units'.*received 2.0 \(of type float\)"),
        ("units_str", {"units": "8"}, TypeError, r"'units'.*of type str"),
        ("use_bias_str", {"use_bias": "no"}, TypeError, r"'use_bias' must be True or False"),
        ("activation_unknown", {"activation": "rellu"}, ValueError,
         r"^Dense: argument 'activation': unknown activation 'rellu'; valid ids: .*relu6"),
        ("activation_int", {"activation": 5}, TypeError, r"^Dense: argument 'activation'"),
        ("initializer_unknown", {"kernel_initializer": "glorot"}, ValueError,
         r"^Dense: argument 'kernel_initializer': unknown initializer 'glorot'"),
        ("initializer_none", {"bias_initializer": None}, TypeError,
         r"^Dense: argument 'bias_initializer': expected an initializer id"),
        ("initializer_no_config", {"kernel_initializer": {"class_name": "Zeros"}}, ValueError,
         r"'kernel_initializer': a config dict must hold exactly 'class_name'"),
        ("initializer_extra_key", {"kernel_initializer": {
            "class_name": "Zeros", "config": {}, "module": "x"}}, ValueError, r"exactly"),
        ("initializer_two_names", {"kernel_initializer": {
            "class_name": "Zeros", "className": "Zeros", "config": {}}}, ValueError, r"exactly"),
        ("initializer_name_int", {"kernel_initializer": {"class_name": 3, "config": {}}},
         TypeError, r"'class_name' must be a string"),
        ("initializer_config_list", {"kernel_initializer": {"class_name": "Zeros",
                                                            "config": []}},
         TypeError, r"'config' must be a dict"),
        ("initializer_unknown_class", {"kernel_initializer": {"class_name": "Glorot",
                                                              "config": {}}},
         ValueError, r"unknown class_name 'Glorot'"),
        ("initializer_unknown_key", {"kernel_initializer": {
            "className": "VarianceScaling", "config": {"scale": 1, "fanMode": "fanIn"}}},
         TypeError, r"^Dense: argument 'kernel_initializer': VarianceScaling: unknown "
                    r"argument 'fan_mode'; accepted arguments: scale, mode, distribution, seed"),
        ("initializer_nan", {"kernel_initializer": {
            "className": "VarianceScaling", "config": {"scale": NAN}}}, ValueError,
         r"VarianceScaling: argument 'scale' must be a finite number > 0, received nan"),
        ("initializer_bool", {"kernel_initializer": {
            "class_name": "RandomNormal", "config": {"stddev": True}}}, TypeError,
         r"RandomNormal: argument 'stddev'.*of type bool"),
        ("preset_other_scale", {"kernel_initializer": {
            "class_name": "GlorotNormal", "config": {"scale": 2.0}}}, ValueError,
         r"GlorotNormal: argument 'scale' must be 1.0"),
        ("regularizer_unknown", {"kernel_regularizer": "l3"}, ValueError,
         r"^Dense: argument 'kernel_regularizer': unknown regularizer 'l3'"),
        ("regularizer_negative", {"bias_regularizer": {"class_name": "L1L2",
                                                       "config": {"l1": -1}}},
         ValueError, r"'bias_regularizer': L1L2: argument 'l1' must be a finite number >= 0"),
        ("regularizer_unknown_key", {"kernel_regularizer": {
            "class_name": "L1L2", "config": {"l3": 1}}}, TypeError, r"unknown argument 'l3'"),
        ("constraint_unknown", {"kernel_constraint": "maxnormal"}, ValueError,
         r"^Dense: argument 'kernel_constraint': unknown constraint 'maxnormal'"),
        ("constraint_inf", {"kernel_constraint": {"className": "MaxNorm",
                                                  "config": {"maxValue": INF}}},
         ValueError, r"MaxNorm: argument 'max_value' must be a finite number >= 0"),
        ("constraint_rate", {"bias_constraint": {"className": "MinMaxNorm",
                                                 "config": {"rate": 2}}},
         ValueError, r"'bias_constraint': MinMaxNorm: argument 'rate'"),
    ],
    L.Activation: [
        ("unknown", {"activation": "bogus"}, ValueError,
         r"^Activation: argument 'activation': unknown activation 'bogus'"),
        ("config", {"activation": {"class_name": "relu", "config": {"alpha": 1}}}, ValueError,
         r"the activation 'relu' takes no config"),
        ("no_config", {"activation": {"class_name": "relu"}}, ValueError, r"exactly"),
    ],
    L.Dropout: [
        ("rate_one", {"rate": 1}, ValueError,
         r"^Dropout: argument 'rate' must be a finite number in \[0, 1\), received 1$"),
        ("rate_negative", {"rate": -0.1}, ValueError, r"'rate'"),
        ("rate_nan", {"rate": NAN}, ValueError, r"'rate'.*received nan"),
        ("rate_bool", {"rate": True}, TypeError, r"'rate'.*of type bool"),
        ("rate_str", {"rate": "0.5"}, TypeError, r"'rate'.*of type str"),
        ("noise_empty", {"noise_shape": []}, ValueError,
         r"^Dropout: argument 'noise_shape' must be a non-empty list of ints >= 1"),
        ("noise_zero", {"noise_shape": [None, 0]}, ValueError, r"'noise_shape'"),
        ("noise_float", {"noise_shape": [None, 1.0]}, TypeError, r"1.0 is of type float"),
        ("noise_str", {"noise_shape": "1"}, TypeError, r"'noise_shape'.*of type str"),
        ("seed_float", {"seed": 1.5}, TypeError, r"'seed' must be an int or None"),
        ("seed_bool", {"seed": True}, TypeError, r"'seed'"),
    ],
    L.Flatten: [
        ("format_unknown", {"data_format": "channels_middle"}, ValueError,
         r"^Flatten: argument 'data_format' must be one of \['channelsLast', 'channelsFirst'\]"),
        ("format_int", {"data_format": 1}, TypeError, r"'data_format'"),
    ],
    L.Reshape: [
        ("float", {"target_shape": [2.0, 3]}, TypeError,
         r"^Reshape: argument 'target_shape' .*2.0 is of type float"),
        ("two_unknown", {"target_shape": [-1, -1]}, ValueError, r"at most one -1"),
        ("minus_two", {"target_shape": [-2]}, ValueError, r"'target_shape'"),
        ("str", {"target_shape": "12"}, TypeError, r"'target_shape'.*of type str"),
        ("int", {"target_shape": 12}, TypeError, r"'target_shape'.*of type int"),
        ("bool", {"target_shape": [True]}, TypeError, r"True is of type bool"),
    ],
    L.BatchNormalization: [
        ("axis_float", {"axis": 1.0}, TypeError, r"^BatchNormalization: argument 'axis'"),
        ("axis_bool", {"axis": True}, TypeError, r"'axis' must be an int"),
        ("momentum_big", {"momentum": 1.5}, ValueError,
         r"'momentum' must be a finite number in \[0, 1\], received 1.5"),
        ("momentum_nan", {"momentum": NAN}, ValueError, r"'momentum'"),
        ("momentum_bool", {"momentum": True}, TypeError, r"'momentum'"),
        ("epsilon_zero", {"epsilon": 0}, ValueError, r"'epsilon' must be a finite number > 0"),
        ("epsilon_inf", {"epsilon": INF}, ValueError, r"'epsilon'.*received inf"),
        ("epsilon_str", {"epsilon": "1e-3"}, TypeError, r"'epsilon'"),
        ("center_str", {"center": "yes"}, TypeError, r"'center' must be True or False"),
        ("scale_int", {"scale": 1}, TypeError, r"'scale' must be True or False"),
        ("initializer", {"moving_variance_initializer": "bogus"}, ValueError,
         r"^BatchNormalization: argument 'moving_variance_initializer': unknown"),
        ("regularizer_class", {"beta_regularizer": {"class_name": "L2", "config": {}}},
         ValueError, r"'beta_regularizer': unknown class_name 'L2'; valid: L1L2"),
        ("constraint", {"gamma_constraint": 3}, TypeError, r"'gamma_constraint'"),
    ],
    L.LayerNormalization: [
        ("axis_empty", {"axis": []}, ValueError,
         r"^LayerNormalization: argument 'axis' must be an int or a non-empty list of "
         r"distinct ints, received \[\]"),
        ("axis_repeated", {"axis": [1, 1]}, ValueError, r"'axis'"),
        ("axis_float", {"axis": [1.0]}, TypeError, r"1.0 is of type float"),
        ("axis_str", {"axis": "x"}, TypeError, r"'axis'"),
        ("epsilon_nan", {"epsilon": NAN}, ValueError, r"'epsilon'"),
        ("center_str", {"center": "no"}, TypeError, r"'center'"),
        ("regularizer", {"gamma_regularizer": "bogus"}, ValueError,
         r"'gamma_regularizer': unknown regularizer"),
    ],
    **{cls: [] for cls in (L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum)},
    L.Concatenate: [
        ("axis_float", {"axis": 1.0}, TypeError,
         r"^Concatenate: argument 'axis' must be an int, received 1.0"),
        ("axis_none", {"axis": None}, TypeError, r"'axis' must be an int"),
    ],
    L.Dot: [
        ("axes_none", {"axes": None}, TypeError,
         r"^Dot: argument 'axes' must be an int or a list of 2 ints, received None"),
        ("axes_three", {"axes": [1, 1, 1]}, ValueError, r"'axes'.*received \[1, 1, 1\]"),
        ("axes_bool", {"axes": [1, True]}, TypeError, r"True is of type bool"),
        ("normalize_str", {"normalize": "yes"}, TypeError, r"'normalize' must be True or False"),
    ],
    **{cls: [
        ("filters_zero", {"filters": 0}, ValueError, r"^{cls}: argument 'filters' must be"),
        ("filters_float", {"filters": 2.0}, TypeError, r"'filters'.*2.0"),
        ("kernel_size_list_len", {"kernel_size": [3, 3, 3]}, ValueError, r"'kernel_size'"),
        ("kernel_size_zero", {"kernel_size": 0}, ValueError, r"'kernel_size'"),
        ("kernel_size_str", {"kernel_size": "3"}, TypeError, r"'kernel_size'"),
        ("strides_bool", {"strides": True}, TypeError, r"'strides'"),
        ("padding_bad", {"padding": "full"}, ValueError, r"'padding'"),
        ("activation_bad", {"activation": "nope"}, ValueError, r"'activation'"),
        ("use_bias_str", {"use_bias": "yes"}, TypeError, r"'use_bias'"),
        ("initializer_bad", {"kernel_initializer": "nope"}, ValueError, r"'kernel_initializer'"),
        ("activity", {"activity_regularizer": "l2"}, ValueError, r"activity regularizers"),
    ] for cls in (L.Conv1D, L.Conv2D, L.Conv2DTranspose)},
    L.DepthwiseConv2D: [
        ("multiplier_zero", {"depth_multiplier": 0}, ValueError,
         r"^DepthwiseConv2D: argument 'depth_multiplier'"),
        ("kernel_size_str", {"kernel_size": "3"}, TypeError, r"'kernel_size'"),
        ("initializer_bad", {"depthwise_initializer": "nope"}, ValueError,
         r"'depthwise_initializer'"),
    ],
    L.SeparableConv2D: [
        ("filters_zero", {"filters": 0}, ValueError, r"^SeparableConv2D: argument 'filters'"),
        ("multiplier_float", {"depth_multiplier": 1.5}, TypeError, r"'depth_multiplier'"),
        ("regularizer_bad", {"pointwise_regularizer": "nope"}, ValueError,
         r"'pointwise_regularizer'"),
    ],
    **{cls: [
        ("pool_zero", {"pool_size": 0}, ValueError, r"^{cls}: argument 'pool_size'"),
        ("pool_float", {"pool_size": 2.5}, TypeError, r"'pool_size'"),
        ("strides_list", {"strides": [1, 2, 3]}, ValueError, r"'strides'"),
        ("padding_bad", {"padding": "causal"}, ValueError, r"'padding'"),
    ] for cls in _POOLS},
    **{cls: [
        ("filters_zero", {"filters": 0}, ValueError, r"^{cls}: argument 'filters' must be"),
        ("kernel_size_list_len", {"kernel_size": [3, 3]}, ValueError, r"'kernel_size'"),
        ("strides_list_len", {"strides": [1, 2, 1, 1]}, ValueError, r"'strides'"),
        ("dilation_float", {"dilation_rate": 1.5}, TypeError, r"'dilation_rate'"),
        ("padding_causal", {"padding": "causal"}, ValueError, r"'padding'"),
        ("format_bad", {"data_format": "NDHWC"}, ValueError, r"'data_format'"),
    ] for cls in (L.Conv3D, L.Conv3DTranspose)},
    **{cls: [
        ("pool_zero", {"pool_size": [2, 0, 2]}, ValueError, r"^{cls}: argument 'pool_size'"),
        ("strides_list", {"strides": [1, 2]}, ValueError, r"'strides'"),
        ("padding_bad", {"padding": "causal"}, ValueError, r"'padding'"),
    ] for cls in (L.MaxPooling3D, L.AveragePooling3D)},
    **{cls: [("format_bad", {"data_format": "NHWC"}, ValueError, r"'data_format'")]
       for cls in _GLOBAL_POOLS},
    L.UpSampling2D: [
        ("size_zero", {"size": 0}, ValueError, r"^UpSampling2D: argument 'size'"),
        ("size_str", {"size": "2"}, TypeError, r"'size'"),
        ("interpolation_bad", {"interpolation": "cubic"}, ValueError, r"'interpolation'"),
    ],
    L.ZeroPadding2D: [
        ("padding_negative", {"padding": -1}, ValueError, r"^ZeroPadding2D: argument 'padding'"),
        ("padding_three", {"padding": [1, 2, 3]}, ValueError, r"'padding'"),
    ],
    L.Cropping2D: [
        ("cropping_negative", {"cropping": [[1, -1], [0, 0]]}, ValueError,
         r"^Cropping2D: argument 'cropping'"),
        ("cropping_float", {"cropping": 1.5}, TypeError, r"'cropping'"),
    ],
    L.Embedding: [
        ("input_dim_zero", {"input_dim": 0}, ValueError,
         r"^Embedding: argument 'input_dim' must be a positive int, received 0"),
        ("output_dim_float", {"output_dim": 2.0}, TypeError, r"'output_dim'.*of type float"),
        ("mask_zero_str", {"mask_zero": "yes"}, TypeError, r"'mask_zero' must be True or False"),
        ("input_length_zero", {"input_length": 0}, ValueError, r"'input_length' must be"),
        ("input_length_str", {"input_length": ["5"]}, TypeError, r"'input_length'.*str"),
        ("initializer_bad", {"embeddings_initializer": "nope"}, ValueError,
         r"^Embedding: argument 'embeddings_initializer': unknown initializer"),
    ],
    L.Masking: [("mask_value_nan", {"mask_value": NAN}, ValueError, r"'mask_value'"),
                ("mask_value_str", {"mask_value": "0"}, TypeError, r"'mask_value'")],
    **{cls: [
        ("units_zero", {"units": 0}, ValueError,
         rf"^{cls.__name__}: argument 'units' must be a positive int, received 0"),
        ("dropout_one", {"dropout": 1}, ValueError,
         rf"^{cls.__name__}: argument 'dropout' must be a finite number in \[0, 1\)"),
        ("recurrent_dropout_nan", {"recurrent_dropout": NAN}, ValueError,
         r"'recurrent_dropout'"),
        ("activation_bad", {"activation": "nope"}, ValueError, r"'activation': unknown"),
        ("use_bias_str", {"use_bias": "no"}, TypeError, r"'use_bias' must be True or False"),
        ("initializer_bad", {"recurrent_initializer": 3}, TypeError,
         r"'recurrent_initializer'"),
    ] for cls in _RNN_LAYERS + _RNN_CELLS},
    # A config's nested layer is a {'class_name', 'config'} dict: the errors differ, both
    # name the argument.
    L.RNN: [("cell_int", {"cell": 3}, TypeError, r"^RNN(.from_config)?: (argument )?'cell'"),
            ("return_state_str", {"return_state": "no"}, TypeError, r"'return_state'")],
    L.StackedRNNCells: [("cells_empty", {"cells": []}, TypeError, r"'cells'"),
                        ("cells_int", {"cells": [3]}, TypeError, r"'cells'")],
    L.Bidirectional: [
        ("layer_dense", {"layer": L.Dense(2)}, TypeError,
         r"^Bidirectional: argument 'layer' must be a recurrent layer"),
        ("merge_mode_bad", {"merge_mode": "max"}, ValueError, r"'merge_mode'")],
    L.TimeDistributed: [("layer_int", {"layer": 3}, TypeError,
                         r"^TimeDistributed(.from_config)?: (argument )?'layer'")],
    L.RepeatVector: [("n_zero", {"n": 0}, ValueError, r"^RepeatVector: argument 'n'")],
    L.Permute: [("dims_not_permutation", {"dims": [1, 3]}, ValueError, r"'dims'"),
                ("dims_zero", {"dims": [0]}, ValueError, r"'dims'"),
                ("dims_float", {"dims": [1.0]}, TypeError, r"'dims'")],
    L.ELU: [("alpha_str", {"alpha": "1"}, TypeError, r"^ELU: argument 'alpha'")],
    L.ReLU: [("max_value_negative", {"max_value": -1}, ValueError,
              r"^ReLU: argument 'max_value' must be a finite number >= 0 or None"),
             ("max_value_bool", {"max_value": True}, TypeError, r"'max_value'")],
    L.LeakyReLU: [("alpha_inf", {"alpha": INF}, ValueError, r"^LeakyReLU: argument 'alpha'")],
    L.PReLU: [("shared_axes_zero", {"shared_axes": [0]}, ValueError,
               r"^PReLU: argument 'shared_axes'"),
              ("shared_axes_str", {"shared_axes": "1"}, TypeError, r"'shared_axes'"),
              ("initializer_bad", {"alpha_initializer": "nope"}, ValueError,
               r"^PReLU: argument 'alpha_initializer': unknown initializer"),
              ("constraint_bad", {"alpha_constraint": 3}, TypeError, r"'alpha_constraint'")],
    L.Softmax: [("axis_empty", {"axis": []}, ValueError, r"^Softmax: argument 'axis'"),
                ("axis_float", {"axis": [1.0]}, TypeError, r"1.0 is of type float")],
    L.ThresholdedReLU: [("theta_nan", {"theta": NAN}, ValueError, r"'theta'")],
    L.GaussianNoise: [("stddev_negative", {"stddev": -1}, ValueError,
                       r"^GaussianNoise: argument 'stddev' must be a finite number >= 0"),
                      ("stddev_none", {"stddev": None}, TypeError, r"'stddev'")],
    **{cls: [("rate_one", {"rate": 1}, ValueError,
              r"^{cls}: argument 'rate' must be a finite number in \[0, 1\)"),
             ("rate_str", {"rate": "0.5"}, TypeError, r"'rate'")]
       for cls in (L.GaussianDropout, L.AlphaDropout, L.SpatialDropout1D)},
    L.Rescaling: [("scale_nan", {"scale": NAN}, ValueError, r"^Rescaling: argument 'scale'"),
                  ("offset_str", {"offset": "1"}, TypeError, r"'offset'")],
    L.CenterCrop: [("height_zero", {"height": 0}, ValueError, r"^CenterCrop: argument 'height'"),
                   ("width_float", {"width": 2.0}, TypeError, r"'width'")],
    L.CategoryEncoding: [("num_tokens_zero", {"num_tokens": 0}, ValueError,
                          r"^CategoryEncoding: argument 'num_tokens'"),
                         ("output_mode_bad", {"output_mode": "tfIdf"}, ValueError,
                          r"'output_mode'")],
    L.Resizing: [("height_zero", {"height": 0}, ValueError, r"^Resizing: argument 'height'"),
                 ("width_float", {"width": 2.0}, TypeError, r"'width'"),
                 ("interpolation_bad", {"interpolation": "area"}, ValueError,
                  r"^Resizing: argument 'interpolation' must be one of"),
                 ("interpolation_int", {"interpolation": 1}, TypeError, r"'interpolation'"),
                 ("crop_str", {"crop_to_aspect_ratio": "true"}, TypeError,
                  r"^Resizing: argument 'crop_to_aspect_ratio' must be True or False")],
}
OWN.update({cls: [
    ("filters_zero", {"filters": 0}, ValueError,
     r"^{cls}: argument 'filters' must be a positive int"),
    ("kernel_size_list_len", {"kernel_size": [3]}, ValueError, r"^{cls}: argument 'kernel_size'"),
    ("strides_and_dilation", {"strides": 2, "dilation_rate": 2}, ValueError,
     r"^{cls}: strides and dilation_rate cannot both be > 1"),
    ("padding_causal", {"padding": "causal"}, ValueError, r"^{cls}: argument 'padding'"),
    ("format_bad", {"data_format": "NHWC"}, ValueError, r"^{cls}: argument 'data_format'"),
    ("units", {"units": 2}, TypeError, r"^{cls}: unknown argument 'units'"),
    ("dropout_one", {"dropout": 1.0}, ValueError, r"^{cls}: argument 'dropout'"),
] for cls in (L.ConvLSTM2D, L.ConvLSTM2DCell)})
OWN[L.ConvLSTM2D].append(("unroll", {"unroll": True}, ValueError,
                          r"^ConvLSTM2D: unrolling is not possible"))


@pytest.mark.parametrize("cls,case", [(c, case) for c in LAYERS for case in OWN[c]],
                         ids=lambda x: x[0] if isinstance(x, tuple) else x.__name__)
def test_layer_arguments_are_refused(cls, case):
    _, bad, error, pattern = case
    _refused(cls, bad, error, pattern)


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_from_config_checks_the_form_of_the_config(cls):
    before = _peek(cls)
    with pytest.raises(TypeError, match=rf"^{cls.__name__}.from_config: the config must be "
                                        rf"a dict, received list"):
        cls.from_config([("name", "x")])
    with pytest.raises(TypeError, match="config keys must be strings, received 1"):
        cls.from_config({**MINIMAL[cls], 1: 2})
    with pytest.raises(TypeError, match=rf"^{cls.__name__}: unknown arguments 'a', 'b'"):
        cls.from_config({**MINIMAL[cls], "a": 1, "b": 2})
    if MINIMAL[cls] and cls is not L.InputLayer:
        required = ", ".join(f"'{k}'" for k in MINIMAL[cls])
        plural = "s" if len(MINIMAL[cls]) > 1 else ""
        with pytest.raises(TypeError, match=rf"^{cls.__name__}.from_config: the config lacks "
                                            rf"the required argument{plural} {required}"):
            cls.from_config({})
    assert _peek(cls) == before


def test_trainable_setters_refuse_non_bools_and_change_nothing():
    layer = L.dense(2, input_shape=[3])
    layer.build_for((None, 3))
    for bad in ("false", 0, None, 1.0):
        with pytest.raises(TypeError, match=rf"^Dense '{layer.name}': argument 'trainable' "
                                            r"must be True or False"):
            layer.trainable = bad
        with pytest.raises(TypeError, match=rf"^weight '{layer.name}/kernel': argument "
                                            r"'trainable'"):
            layer.kernel.trainable = bad
    assert layer.trainable and layer.kernel.trainable and layer.kernel.val.trainable
    assert len(layer.trainable_weights) == 2
    layer.trainable = False  # a real bool still works
    assert layer.trainable_weights == [] and not layer.kernel.val.trainable


# Valid configs, defaults and others, for the round trips.
def _valid_layers():
    I, R, C = tn.initializers, tn.regularizers, tn.constraints
    return [
        L.InputLayer(input_shape=[2, 3]), L.InputLayer(batch_input_shape=[8, 0], dtype="int32"),
        L.InputLayer(input_shape=[4], batch_size=16, sparse=False, name="in"),
        L.Dense(3), L.Dense(
            3, activation="hardSigmoid", use_bias=False, input_dim=4, trainable=False,
            kernel_initializer=I.variance_scaling(2.0, "fan_out", "uniform", 7),
            bias_initializer=I.constant(0.5), kernel_regularizer=R.l1(0.1),
            bias_regularizer="l1l2", kernel_constraint=C.min_max_norm(0.1, 2, [0, 1], 0.5),
            bias_constraint="nonNeg", dtype="float32"),
        L.Dense(1, kernel_initializer="heNormal", bias_initializer=I.random_uniform(-1, 1, 3),
                kernel_constraint=C.unit_norm(1), batch_input_shape=[None, 2]),
        L.Activation("gelu_new"), L.Activation(None, input_shape=[None, 3]),
        L.Dropout(0), L.Dropout(0.3, noise_shape=[None, 1, 4], seed=5, input_shape=[2, 4]),
        L.Flatten(), L.Flatten(data_format="channels_first", input_shape=[2, 3, 4]),
        L.Reshape([-1, 2]), L.Reshape((3, None), input_shape=[6]), L.Reshape([0]),
        L.BatchNormalization(), L.BatchNormalization(
            axis=1, momentum=0.9, epsilon=1e-4, center=False, scale=True,
            gamma_initializer=I.constant(2.0), moving_mean_initializer=I.truncated_normal(),
            beta_regularizer=R.l2(0.3), gamma_constraint=C.max_norm(3, 0)),
        L.LayerNormalization(), L.LayerNormalization(
            axis=[-2, -1], epsilon=1e-5, scale=False, beta_initializer="ones",
            gamma_regularizer=R.l1l2(0.0, 0.2)),
        L.LayerNormalization(axis=1, center=False, name="ln"),
        L.Add(), L.Subtract(name="sub"), L.Multiply(trainable=False), L.Average(),
        L.Maximum(), L.Minimum(dtype="int32"), L.Concatenate(axis=1), L.Dot(axes=[1, -1]),
        L.Dot(axes=2, normalize=True, input_shape=[3, 4]),
        L.Conv1D(2, 3), L.Conv1D(4, [5], strides=2, padding="causal", dilation_rate=1,
                                 activation="relu", use_bias=False, input_shape=[10, 3]),
        L.Conv2D(2, 3), L.Conv2D(8, [3, 2], strides=[2, 1], padding="same",
                                 data_format="channelsFirst", activation="tanh",
                                 kernel_regularizer=R.l2(0.01), bias_constraint="nonNeg",
                                 input_shape=[3, 9, 9]),
        L.Conv2D(4, 3, dilation_rate=2, kernel_initializer="heNormal"),
        L.Conv2DTranspose(2, 3), L.Conv2DTranspose(3, [2, 3], strides=2, padding="same"),
        L.DepthwiseConv2D(3), L.DepthwiseConv2D([3, 2], depth_multiplier=2, strides=2,
                                                padding="same", activation="relu",
                                                depthwise_regularizer=R.l2(0.1)),
        L.SeparableConv2D(2, 3), L.SeparableConv2D(4, 3, depth_multiplier=2,
                                                   pointwise_initializer="heNormal",
                                                   dilation_rate=2),
        L.MaxPooling2D(), L.MaxPooling2D(pool_size=[3, 2], strides=1, padding="same",
                                         data_format="channelsFirst"),
        L.AveragePooling2D(pool_size=3), L.MaxPooling1D(), L.AveragePooling1D(pool_size=4,
                                                                              strides=2),
        L.Conv3D(2, 3), L.Conv3D(3, [3, 2, 1], strides=[2, 1, 1], padding="same",
                                 data_format="channelsFirst", dilation_rate=1,
                                 activation="relu", input_shape=[2, 5, 5, 5]),
        L.Conv3DTranspose(2, 3), L.Conv3DTranspose(4, [2, 2, 3], strides=2, padding="same",
                                                   use_bias=False),
        L.MaxPooling3D(), L.MaxPooling3D(pool_size=[3, 2, 1], strides=1, padding="same"),
        L.AveragePooling3D(pool_size=3, data_format="channelsFirst"),
        L.GlobalAveragePooling2D(), L.GlobalMaxPooling2D(data_format="channelsFirst"),
        L.GlobalAveragePooling1D(), L.GlobalMaxPooling1D(),
        L.UpSampling2D(), L.UpSampling2D(size=[2, 3], interpolation="bilinear"),
        L.ZeroPadding2D(), L.ZeroPadding2D(padding=[[1, 2], [3, 0]]), L.Cropping2D(2),
        L.Cropping2D(cropping=[1, 2], data_format="channelsFirst"),
        L.Embedding(10, 3), L.Embedding(7, 2, mask_zero=True, input_length=5,
                                        embeddings_regularizer="l2"),
        L.Masking(), L.Masking(mask_value=-1, input_shape=[3, 2]),
        L.LSTM(3), L.LSTM(4, return_sequences=True, go_backwards=True, dropout=0.2,
                          recurrent_activation="sigmoid", unit_forget_bias=True,
                          input_shape=[5, 2]),
        L.GRU(2, reset_after=True, implementation=2), L.SimpleRNN(2, activation="relu"),
        L.RNN(L.GRUCell(3)), L.RNN([L.LSTMCell(2), L.SimpleRNNCell(3)], return_state=True),
        L.LSTMCell(2), L.GRUCell(3, recurrent_dropout=0.5), L.SimpleRNNCell(1),
        L.StackedRNNCells([L.GRUCell(2), L.LSTMCell(3)]),
        L.Bidirectional(L.LSTM(2)), L.Bidirectional(L.GRU(3, return_sequences=True),
                                                    merge_mode=None),
        L.TimeDistributed(L.Dense(3)), L.RepeatVector(3), L.Permute([2, 1]),
        L.ELU(), L.ELU(alpha=0.5), L.ReLU(), L.ReLU(max_value=6, input_shape=[3]),
        L.LeakyReLU(alpha=0.1), L.ThresholdedReLU(theta=0), L.Softmax(),
        L.Softmax(axis=[1, 2]), L.PReLU(), L.PReLU(
            alpha_initializer=I.constant(0.25), alpha_regularizer=R.l2(0.1),
            alpha_constraint="nonNeg", shared_axes=[1, 2]),
        L.GaussianNoise(0.1), L.GaussianDropout(0.2), L.AlphaDropout(0.1),
        L.AlphaDropout(0.3, noise_shape=[None, 1, 4]), L.SpatialDropout1D(0.2),
        L.SpatialDropout1D(0.1, seed=3, input_shape=[5, 2]), L.Rescaling(1 / 255),
        L.Rescaling(0.5, offset=-1), L.CenterCrop(3, 4),
        L.CategoryEncoding(5), L.CategoryEncoding(3, output_mode="one_hot"),
        L.CategoryEncoding(4, output_mode="count", input_shape=[2]),
        L.Resizing(2, 3), L.Resizing(4, 5, interpolation="nearest", crop_to_aspect_ratio=True,
                                     input_shape=[8, 8, 3]),
        L.ConvLSTM2D(2, 3), L.ConvLSTM2D(3, [3, 2], strides=2, padding="same",
                                         data_format="channelsFirst", return_sequences=True,
                                         dropout=0.1, unit_forget_bias=True,
                                         recurrent_activation="sigmoid",
                                         input_shape=[4, 2, 6, 6]),
        L.ConvLSTM2DCell(2, 3), L.ConvLSTM2DCell(4, 2, dilation_rate=2, padding="same",
                                                 use_bias=False),
    ]


@pytest.mark.parametrize("layer", _valid_layers(), ids=lambda l: type(l).__name__)
def test_from_config_of_get_config_round_trips(layer):
    config = layer.get_config()
    back = type(layer).from_config(config)
    assert type(back) is type(layer) and back.get_config() == config
    via_json = type(layer).from_config(json.loads(json.dumps(config)))
    assert via_json.get_config() == config
    for attr in ("batch_input_shape", "dtype", "trainable"):
        assert getattr(back, attr) == getattr(layer, attr)


def test_round_trip_keeps_behaviour():
    """A rebuilt Dense computes what the original does, from the same weights."""
    layer = L.Dense(3, activation="tanh", input_shape=[2],
                    kernel_constraint=tn.constraints.max_norm(1.5))
    layer.build_for((None, 2))
    back = L.Dense.from_config(layer.get_config())
    back.build_for((None, 2))
    back.set_weights(layer.get_weights())
    x = tn.tensor([[0.5, -1.0], [2.0, 3.0]])
    assert back(x).array() == layer(x).array()
    assert back.kernel_constraint.get_config() == {"max_value": 1.5, "axis": 0}


def test_every_class_has_a_round_trip_case():
    assert {type(l) for l in _valid_layers()} == set(LAYERS)


def test_an_int_input_shape_is_a_one_axis_shape():
    """TF.js builds the batch shape as [batchSize].concat(inputShape), so a number is a
    one-axis shape (translation's tf.input({shape: latentDim}))."""
    assert tn.input(shape=32).shape == (None, 32)
    m = tn.sequential(layers=[tn.layers.dense(units=2, input_shape=3, batch_size=4)])
    assert m.inputs[0].shape == (4, 3)
    with pytest.raises(ValueError, match=r"'input_shape'.*received \[-3\]"):
        tn.input(shape=-3)
