"""tn.layers: layer classes (tn.layers.Dense) and TF.js-style factories
(tn.layers.dense(units=32, activation='relu'))."""
from .base import Layer, LayerVariable
from .core import Activation, Dense, Dropout, Flatten, InputLayer, Reshape, input  # noqa: A004
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                    average, concatenate, dot, maximum, minimum, multiply, subtract)
from .normalization import BatchNormalization, LayerNormalization


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


# Class lookup for deserialising model configs ({'class_name': 'Dense', ...}).
CLASSES = {c.__name__: c for c in (InputLayer, Dense, Activation, Dropout, Flatten, Reshape,
                                   BatchNormalization, LayerNormalization, Add, Subtract,
                                   Multiply, Average, Maximum, Minimum, Concatenate, Dot)}

__all__ = ["input", "Layer", "LayerVariable", "CLASSES", *CLASSES, "input_layer", "dense", "activation",
           "dropout", "flatten", "reshape", "batch_normalization", "layer_normalization",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]
