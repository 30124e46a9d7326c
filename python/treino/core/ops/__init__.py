"""Every op, as functions (tn.add(a, b)) and, registered below, as Tensor methods
(a.add(b)) and Python operators (a + b)."""
from ..tensor import Tensor
from .binary import (add, clip_by_value, div, equal, floor_div, greater, greater_equal, less,
                     less_equal, logical_and, logical_not, logical_or, logical_xor, maximum,
                     minimum, mod, mul, not_equal, pow, squared_difference, sub, where)
from .conv import (conv1d, conv2d, conv2d_transpose, depthwise_conv2d, fused_conv2d,
                   separable_conv2d)
from .linalg import dense, dot, matmul
from .pool import avg_pool, max_pool
from .nn import (log_softmax, prelu, softmax, softmax_cross_entropy_mean,
                 softmax_cross_entropy_with_logits)
from .reduce import argmax, argmin, logsumexp, max, mean, min, prod, sum
from .shape import (cast, concat, expand_dims, gather, pad, reshape, slice, split, squeeze,
                    stack, tile, transpose, unstack)
from .unary import (abs, ceil, cos, elu, exp, expm1, floor, gelu, gelu_new, hard_sigmoid,
                    leaky_relu, log, log1p, log_sigmoid, mish, neg, reciprocal, relu, relu6,
                    round, rsqrt, selu, sigmoid, sign, sin, softplus, softsign, sqrt, square,
                    swish, tanh)

# Methods: tensor.op(*args) is tn.op(tensor, *args). Listed, not discovered.
_METHODS = [
    add, sub, mul, div, floor_div, mod, pow, maximum, minimum, squared_difference,
    equal, not_equal, greater, greater_equal, less, less_equal,
    logical_and, logical_or, logical_xor, logical_not, clip_by_value,
    abs, ceil, cos, elu, exp, expm1, floor, gelu, hard_sigmoid, leaky_relu, log, log1p,
    log_sigmoid, mish, neg, reciprocal, relu, relu6, round, rsqrt, selu, sigmoid, sign, sin,
    softplus, softsign, sqrt, square, swish, tanh, prelu,
    softmax, log_softmax, matmul, dot,
    sum, mean, max, min, prod, argmax, argmin, logsumexp,
    reshape, transpose, expand_dims, squeeze, split, slice, gather, tile, pad, cast, unstack,
]
for _fn in _METHODS:
    setattr(Tensor, _fn.__name__, _fn)

# TF.js's chained forms: a.concat(b), a.stack(b), a.where(condition, b).
Tensor.concat = lambda self, x, axis=0: concat([self] + (list(x) if isinstance(x, (list, tuple)) else [x]), axis)
Tensor.stack = lambda self, x, axis=0: stack([self] + (list(x) if isinstance(x, (list, tuple)) else [x]), axis)
Tensor.where = lambda self, condition, x: where(condition, self, x)
Tensor.as_type = cast
Tensor.flatten = lambda self: reshape(self, [-1])
Tensor.T = property(lambda self: transpose(self))

Tensor.__add__ = add
Tensor.__radd__ = lambda self, other: add(other, self)
Tensor.__sub__ = sub
Tensor.__rsub__ = lambda self, other: sub(other, self)
Tensor.__mul__ = mul
Tensor.__rmul__ = lambda self, other: mul(other, self)
Tensor.__truediv__ = div
Tensor.__rtruediv__ = lambda self, other: div(other, self)
Tensor.__floordiv__ = floor_div
Tensor.__rfloordiv__ = lambda self, other: floor_div(other, self)
Tensor.__mod__ = mod
Tensor.__rmod__ = lambda self, other: mod(other, self)
Tensor.__pow__ = pow
Tensor.__rpow__ = lambda self, other: pow(other, self)
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
Tensor.__neg__ = neg
Tensor.__abs__ = abs
Tensor.__eq__ = equal
Tensor.__ne__ = not_equal
Tensor.__gt__ = greater
Tensor.__ge__ = greater_equal
Tensor.__lt__ = less
Tensor.__le__ = less_equal
Tensor.__hash__ = object.__hash__
# numpy must defer to these operators when a numpy array is on the left.
Tensor.__array_priority__ = 1000

# -- The rest of TF.js's core ops (numpy inside their cores), their Tensor methods
# (TF.js's chained ops) and the snake_case spellings of TF.js's names for the ops above.
import builtins

from .complex import complex, imag, real  # noqa: A004 (tn.complex, as TF.js)
from .conv3d import conv3d, conv3d_transpose
from .dilation import dilation2d
from .dynamic import boolean_mask_async, setdiff1d_async, unique, where_async
from .elementwise_extra import (add_n, bitwise_and, div_no_nan, erf, is_finite, is_inf, is_nan,
                                step)
from .indexing import (bincount, dense_bincount, gather_nd, scatter_nd, sparse_to_dense,
                       tensor_scatter_update, unsorted_segment_sum)
from .linalg_extra import band_part, diag, einsum, gram_schmidt, outer_product, qr
from .normalization import (batch_norm, batch_norm2d, batch_norm3d, batch_norm4d,
                            local_response_normalization, moving_average)
from .pool3d import avg_pool3d, max_pool3d
from .pool_extra import max_pool_with_argmax, pool
from .reduce_extra import all, any, euclidean_norm, moments, norm
from .rnn_cell import basic_lstm_cell, multi_rnn_cell
from .scan import cumprod, cumsum
from .search import in_top_k_async, lower_bound, search_sorted, top_k, topk, upper_bound
from .shape_extra import (broadcast_args, broadcast_to, clone, concat1d, concat2d, concat3d,
                          concat4d, ensure_shape, meshgrid, mirror_pad, pad1d, pad2d, pad3d,
                          pad4d, reverse, reverse1d, reverse2d, reverse3d, reverse4d, slice1d,
                          slice2d, slice3d, slice4d)
from .space import batch_to_space_nd, depth_to_space, space_to_batch_nd
from .spectral import fft, ifft, irfft, rfft
from .strided_slice import strided_slice
from .trig import acos, acosh, asin, asinh, atan, atan2, atanh, cosh, sinh, tan
from .window import cosine_window, enclosing_power_of_two

arg_max, arg_min, log_sum_exp, mat_mul = argmax, argmin, logsumexp, matmul


def print_(*values, verbose=False, **kwargs):  # exported as tn.print
    """tn.print(x, verbose=False): prints the tensor x as TF.js does (x.print()). Any
    other arguments go to Python's print unchanged, so `from treino import *` leaves
    print working."""
    if values and isinstance(values[0], Tensor) and not kwargs and (
            len(values) == 1 or (len(values) == 2 and isinstance(values[1], bool))):
        values[0].print(values[1] if len(values) == 2 else verbose)
    else:
        builtins.print(*values, **kwargs)


for _fn in [acos, acosh, asin, asinh, atan, atan2, atanh, cosh, sinh, tan, erf, step,
            is_finite, is_inf, is_nan, div_no_nan, all, any, cumsum, cumprod, norm,
            euclidean_norm, broadcast_to, reverse, mirror_pad, strided_slice,
            unsorted_segment_sum, batch_to_space_nd, space_to_batch_nd, depth_to_space,
            local_response_normalization, unique, top_k, clone, fft, ifft, rfft, irfft]:
    setattr(Tensor, _fn.__name__, _fn)
Tensor.arg_max, Tensor.arg_min, Tensor.log_sum_exp, Tensor.mat_mul = argmax, argmin, logsumexp, matmul
Tensor.batch_norm, Tensor.topk = batch_norm, top_k
# The chained forms of the convolutions, the pools and three creation ops.
from ..creation import one_hot, ones_like, zeros_like  # noqa: E402

for _fn in [conv1d, conv2d, conv2d_transpose, depthwise_conv2d, separable_conv2d, max_pool,
            avg_pool, one_hot, ones_like, zeros_like]:
    setattr(Tensor, _fn.__name__, _fn)
Tensor.dilation2d, Tensor.pool = dilation2d, pool
Tensor.reshape_as = lambda self, x: reshape(self, list(x.shape))
