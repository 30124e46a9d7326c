"""tn.layers: layer classes (tn.layers.Dense) and TF.js-style factories
(tn.layers.dense(units=32, activation='relu'))."""
from .base import Layer, LayerVariable
from .core import Activation, Dense, Dropout, Flatten, InputLayer, Reshape, input  # noqa: A004
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                    average, concatenate, dot, maximum, minimum, multiply, subtract)
from .normalization import BatchNormalization, LayerNormalization
from .convolutional import Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
from .pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                      MaxPooling1D, MaxPooling2D)
from .convolutional3d import Conv3D, Conv3DTranspose
from .pooling3d import AveragePooling3D, MaxPooling3D
from .spatial import Cropping2D, UpSampling2D, ZeroPadding2D
from .embedding import Embedding, Masking
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .recurrent_cells import GRUCell, LSTMCell, RNNCell, SimpleRNNCell, StackedRNNCells
from .reshaping import Permute, RepeatVector
from .wrappers import Bidirectional, TimeDistributed
from .convolutional_recurrent import ConvLSTM2D, ConvLSTM2DCell
from .advanced_activations import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from .noise import AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D
from .preprocessing import CategoryEncoding, CenterCrop, Rescaling
from .image_resizing import Resizing


def input_layer(**kwargs):
    """tn.layers.input_layer(input_shape=[784]) or batch_input_shape=[None, 784]."""
    return InputLayer(**kwargs)


def dense(units, **kwargs):
    return Dense(units, **kwargs)


def activation(activation, **kwargs):
    return Activation(activation, **kwargs)


def dropout(rate, **kwargs):
    return Dropout(rate, **kwargs)


def flatten(**kwargs):
    return Flatten(**kwargs)


def reshape(target_shape, **kwargs):
    return Reshape(target_shape, **kwargs)


def batch_normalization(**kwargs):
    return BatchNormalization(**kwargs)


def layer_normalization(**kwargs):
    return LayerNormalization(**kwargs)


def _factory(cls, doc):
    def make(**kwargs):
        return cls(**kwargs)
    make.__doc__ = doc
    return make


# Convolution, pooling and spatial layers: tn.layers.conv2d(filters=..., kernel_size=...).
conv1d = _factory(Conv1D, "tn.layers.conv1d(filters, kernel_size, ...) -> Conv1D")
conv2d = _factory(Conv2D, "tn.layers.conv2d(filters, kernel_size, ...) -> Conv2D")
conv2d_transpose = _factory(Conv2DTranspose, "tn.layers.conv2d_transpose(...) -> Conv2DTranspose")
depthwise_conv2d = _factory(DepthwiseConv2D, "tn.layers.depthwise_conv2d(kernel_size, ...)")
separable_conv2d = _factory(SeparableConv2D, "tn.layers.separable_conv2d(filters, kernel_size, ...)")
max_pooling1d = max_pool1d = _factory(MaxPooling1D, "-> MaxPooling1D")
max_pooling2d = max_pool2d = _factory(MaxPooling2D, "-> MaxPooling2D")
average_pooling1d = avg_pool1d = avg_pooling1d = _factory(AveragePooling1D,
                                                          "-> AveragePooling1D")
average_pooling2d = avg_pool2d = avg_pooling2d = _factory(AveragePooling2D,
                                                          "-> AveragePooling2D")
global_average_pooling1d = _factory(GlobalAveragePooling1D, "-> GlobalAveragePooling1D")
global_average_pooling2d = _factory(GlobalAveragePooling2D, "-> GlobalAveragePooling2D")
global_max_pooling1d = global_max_pool1d = _factory(GlobalMaxPooling1D, "-> GlobalMaxPooling1D")
global_max_pooling2d = global_max_pool2d = _factory(GlobalMaxPooling2D, "-> GlobalMaxPooling2D")
up_sampling2d = _factory(UpSampling2D, "-> UpSampling2D")
zero_padding2d = _factory(ZeroPadding2D, "-> ZeroPadding2D")
cropping2d = _factory(Cropping2D, "-> Cropping2D")
_SPATIAL = ["conv1d", "conv2d", "conv2d_transpose", "depthwise_conv2d", "separable_conv2d",
            "max_pooling1d", "max_pool1d",
            "max_pooling2d", "max_pool2d", "average_pooling1d", "avg_pool1d", "avg_pooling1d",
            "average_pooling2d", "avg_pool2d", "avg_pooling2d", "global_average_pooling1d",
            "global_average_pooling2d", "global_max_pooling1d", "global_max_pooling2d",
            "global_max_pool1d", "global_max_pool2d",
            "up_sampling2d", "zero_padding2d", "cropping2d"]
conv3d = _factory(Conv3D, "tn.layers.conv3d(filters, kernel_size, ...) -> Conv3D")
conv3d_transpose = _factory(Conv3DTranspose, "tn.layers.conv3d_transpose(...) -> Conv3DTranspose")
max_pooling3d = _factory(MaxPooling3D, "-> MaxPooling3D")
average_pooling3d = avg_pool3d = avg_pooling3d = _factory(AveragePooling3D,
                                                          "-> AveragePooling3D")
_SPATIAL += ["conv3d", "conv3d_transpose", "max_pooling3d", "average_pooling3d", "avg_pool3d",
             "avg_pooling3d"]


def _sequence_factory(cls, name):
    def make(*args, **kwargs):
        return cls(*args, **kwargs)
    make.__name__ = name
    make.__doc__ = f"tn.layers.{name}(...) -> {cls.__name__} (the class's arguments)"
    return make


# Sequence layers: tn.layers.lstm(units=64, return_sequences=True).
embedding = _sequence_factory(Embedding, "embedding")
masking = _sequence_factory(Masking, "masking")
simple_rnn = _sequence_factory(SimpleRNN, "simple_rnn")
lstm = _sequence_factory(LSTM, "lstm")
gru = _sequence_factory(GRU, "gru")
rnn = _sequence_factory(RNN, "rnn")
simple_rnn_cell = _sequence_factory(SimpleRNNCell, "simple_rnn_cell")
lstm_cell = _sequence_factory(LSTMCell, "lstm_cell")
gru_cell = _sequence_factory(GRUCell, "gru_cell")
stacked_rnn_cells = _sequence_factory(StackedRNNCells, "stacked_rnn_cells")
bidirectional = _sequence_factory(Bidirectional, "bidirectional")
time_distributed = _sequence_factory(TimeDistributed, "time_distributed")
repeat_vector = _sequence_factory(RepeatVector, "repeat_vector")
permute = _sequence_factory(Permute, "permute")
_SEQUENCE = {"embedding": Embedding, "masking": Masking, "simple_rnn": SimpleRNN, "lstm": LSTM,
             "gru": GRU, "rnn": RNN, "simple_rnn_cell": SimpleRNNCell, "lstm_cell": LSTMCell,
             "gru_cell": GRUCell, "stacked_rnn_cells": StackedRNNCells,
             "bidirectional": Bidirectional, "time_distributed": TimeDistributed,
             "repeat_vector": RepeatVector, "permute": Permute}

# Convolutional recurrent layers: tn.layers.conv_lstm2d(filters=8, kernel_size=3).
conv_lstm2d = _sequence_factory(ConvLSTM2D, "conv_lstm2d")
conv_lstm2d_cell = _sequence_factory(ConvLSTM2DCell, "conv_lstm2d_cell")
_SEQUENCE.update(conv_lstm2d=ConvLSTM2D, conv_lstm2d_cell=ConvLSTM2DCell)

# Activation, noise and preprocessing layers: tn.layers.leaky_relu(alpha=0.1).
elu = _sequence_factory(ELU, "elu")
re_lu = _sequence_factory(ReLU, "re_lu")
leaky_relu = _sequence_factory(LeakyReLU, "leaky_relu")
prelu = _sequence_factory(PReLU, "prelu")
softmax = _sequence_factory(Softmax, "softmax")
thresholded_relu = _sequence_factory(ThresholdedReLU, "thresholded_relu")
gaussian_noise = _sequence_factory(GaussianNoise, "gaussian_noise")
gaussian_dropout = _sequence_factory(GaussianDropout, "gaussian_dropout")
alpha_dropout = _sequence_factory(AlphaDropout, "alpha_dropout")
spatial_dropout1d = _sequence_factory(SpatialDropout1D, "spatial_dropout1d")
rescaling = _sequence_factory(Rescaling, "rescaling")
center_crop = _sequence_factory(CenterCrop, "center_crop")
category_encoding = _sequence_factory(CategoryEncoding, "category_encoding")
_MORE = {"elu": ELU, "re_lu": ReLU, "leaky_relu": LeakyReLU, "prelu": PReLU,
         "softmax": Softmax, "thresholded_relu": ThresholdedReLU,
         "gaussian_noise": GaussianNoise, "gaussian_dropout": GaussianDropout,
         "alpha_dropout": AlphaDropout, "spatial_dropout1d": SpatialDropout1D,
         "rescaling": Rescaling, "center_crop": CenterCrop,
         "category_encoding": CategoryEncoding}
resizing = _sequence_factory(Resizing, "resizing")
_MORE["resizing"] = Resizing

# Class lookup for deserialising model configs ({'class_name': 'Dense', ...}).
CLASSES = {c.__name__: c for c in (InputLayer, Dense, Activation, Dropout, Flatten, Reshape,
                                   BatchNormalization, LayerNormalization, Add, Subtract,
                                   Multiply, Average, Maximum, Minimum, Concatenate, Dot,
                                   Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D,
                                   SeparableConv2D, MaxPooling1D, MaxPooling2D,
                                   AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                                   GlobalAveragePooling2D, GlobalMaxPooling1D,
                                   GlobalMaxPooling2D, UpSampling2D, ZeroPadding2D, Cropping2D,
                                   *_SEQUENCE.values(), *_MORE.values())}
CLASSES.update({c.__name__: c for c in (Conv3D, Conv3DTranspose, MaxPooling3D,
                                        AveragePooling3D)})

__all__ = ["input", "Layer", "LayerVariable", "RNNCell", "CLASSES", *CLASSES, "input_layer", "dense", "activation",
           "dropout", "flatten", "reshape", "batch_normalization", "layer_normalization",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
           *_SPATIAL, *_SEQUENCE, *_MORE]


def _with_camel_hints():
    """Every factory above says the snake_case names when called with TF.js's camelCase
    keywords (tn.layers.dense(units=2, inputShape=[3]))."""
    from .._config import camel_hint
    g = globals()
    for name in __all__:
        fn = g.get(name)
        if callable(fn) and not isinstance(fn, type) and name[:1].islower():
            g[name] = camel_hint(fn)


_with_camel_hints()
