"""tn.fused: TF.js's fused ops namespace. fused.mat_mul is act(op(a) @ op(b) + bias) in
one call; for a plain 2-D product with a vector bias and an activation the native dense
kernel supports, it is that kernel (one call forward, one backward), otherwise the
composition of matmul, add and the activation. fused.conv2d and fused.depthwise_conv2d
are the convolution with its bias and activation in one native node (ops/conv.py)."""
from .ops import add, elu, leaky_relu, matmul, prelu, relu, relu6, sigmoid
from .ops.linalg import dense
from .ops._util import tensor_arg

# TF.js's fused activations -> the id the native dense kernel takes (None: composed).
_ACTIVATIONS = {"linear": "linear", "relu": "relu", "relu6": "relu6", "elu": "elu",
                "sigmoid": "sigmoid", "leakyrelu": "leakyRelu", "prelu": None}
_COMPOSED = {"relu": relu, "relu6": relu6, "elu": elu, "sigmoid": sigmoid}


def mat_mul(a, b, transpose_a=False, transpose_b=False, bias=None, activation="linear",
            prelu_activation_weights=None, leakyrelu_alpha=0.2):
    """act(op(a) @ op(b) + bias): TF.js's fused.matMul with its arguments as keywords.
    activation: 'linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu' (slope
    leakyrelu_alpha) or 'prelu' (slopes prelu_activation_weights)."""
    key = activation.lower().replace("_", "") if isinstance(activation, str) else activation
    if key not in _ACTIVATIONS:
        raise ValueError(f"fused.mat_mul: argument 'activation' must be one of "
                         f"{sorted(_ACTIVATIONS)}, received {activation!r}")
    if key == "prelu" and prelu_activation_weights is None:
        raise ValueError("fused.mat_mul: activation 'prelu' needs prelu_activation_weights")
    a = tensor_arg(a, "fused.mat_mul", "a")
    b = tensor_arg(b, "fused.mat_mul", "b")
    bias_t = None if bias is None else tensor_arg(bias, "fused.mat_mul", "bias")
    native = _ACTIVATIONS[key]
    if (native is not None and not transpose_a and not transpose_b and a.rank == 2 and
            b.rank == 2 and a.dtype == b.dtype == "float32" and a.shape[1] == b.shape[0] and
            (bias_t is None or (bias_t.dtype == "float32" and bias_t.shape == (b.shape[1],)))):
        return dense(a, b, bias_t, native, float(leakyrelu_alpha) if key == "leakyrelu" else None)
    y = matmul(a, b, transpose_a, transpose_b)
    if bias_t is not None:
        y = add(y, bias_t)
    if key == "prelu":
        return prelu(y, prelu_activation_weights)
    if key == "leakyrelu":
        return leaky_relu(y, leakyrelu_alpha)
    return _COMPOSED[key](y) if key in _COMPOSED else y




def _conv(fn, depthwise, x, filter, strides, pad, data_format, dilations,  # noqa: A002
          dim_rounding_mode, bias, activation, prelu_activation_weights, leakyrelu_alpha):
    from .ops import conv as conv_ops
    key = activation.lower().replace("_", "") if isinstance(activation, str) else activation
    if key not in _ACTIVATIONS:
        raise ValueError(f"{fn}: argument 'activation' must be one of {sorted(_ACTIVATIONS)}, "
                         f"received {activation!r}")
    if key == "prelu" and prelu_activation_weights is None:
        raise ValueError(f"{fn}: activation 'prelu' needs prelu_activation_weights")
    native = _ACTIVATIONS[key]
    y = conv_ops._conv(fn, x, filter, bias, strides, pad, data_format, dilations,
                       dim_rounding_mode, native or "linear",
                       float(leakyrelu_alpha) if key == "leakyrelu" else None, depthwise)
    return y if native is not None else prelu(y, prelu_activation_weights)


def conv2d(x, filter, strides=1, pad="valid", data_format="NHWC", dilations=1,  # noqa: A002
           dim_rounding_mode=None, bias=None, activation="linear",
           prelu_activation_weights=None, leakyrelu_alpha=0.2):
    """act(conv2d(x, filter) + bias): TF.js's fused.conv2d, its arguments as keywords."""
    return _conv("fused.conv2d", False, x, filter, strides, pad, data_format, dilations,
                 dim_rounding_mode, bias, activation, prelu_activation_weights,
                 leakyrelu_alpha)


def depthwise_conv2d(x, filter, strides=1, pad="valid", data_format="NHWC",  # noqa: A002
                     dilations=1, dim_rounding_mode=None, bias=None, activation="linear",
                     prelu_activation_weights=None, leakyrelu_alpha=0.2):
    """act(depthwise_conv2d(x, filter) + bias): TF.js's fused.depthwiseConv2d."""
    return _conv("fused.depthwise_conv2d", True, x, filter, strides, pad, data_format,
                 dilations, dim_rounding_mode, bias, activation, prelu_activation_weights,
                 leakyrelu_alpha)
