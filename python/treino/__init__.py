"""treino: TensorFlow.js's training API for Python, with C++ kernels.

    import treino as tn
"""
from ._kernels import cpu_info, get_num_threads, set_num_threads
from .core.autodiff import (custom_grad, grad, grads, stop_gradient, value_and_grad,
                            value_and_grads, variable_grads)
from .core.creation import (fill, linspace, one_hot, ones, ones_like, scalar, tensor, zeros,
                            zeros_like)
from .core.creation import range_ as range  # noqa: A001 (tn.range, as TF.js)
from .core.memory import dispose, keep, memory, tidy
from .core.ops import (abs, add, argmax, argmin, cast, ceil, clip_by_value, concat, cos, dense,
                       div, dot, elu, equal, exp, expand_dims, expm1, floor, floor_div, gather,
                       gelu, greater, greater_equal, hard_sigmoid, leaky_relu, less,
                       less_equal, log, log1p, log_sigmoid, log_softmax, logical_and,
                       logical_not, logical_or, logical_xor, logsumexp, matmul, max, maximum,
                       mean, min, minimum, mish, mod, mul, neg, not_equal, pad, pow, prelu,
                       prod, reciprocal, relu, relu6, reshape, round, rsqrt, selu, sigmoid,
                       sign, sin, slice, softmax, softplus, softsign, split, sqrt, square,
                       squared_difference, squeeze, stack, sub, sum, swish, tanh, tile,
                       transpose, unstack, where)
from .core.random import random_normal, random_uniform, set_seed, truncated_normal
from .core.tensor import Tensor, Variable, variable
from . import (activations, callbacks, constraints, data, datasets, initializers, layers,
               losses, metrics, regularizers, train, vis)
from .models import Model, Sequential, sequential
from .models.saving import load_layers_model

__version__ = "0.1.0"
