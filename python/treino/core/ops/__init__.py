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
