"""treino: TensorFlow.js's training API for Python, with C++ kernels.

    import treino as tn

`import treino` loads numpy, the native kernels, tensors, autodiff and the ops; the rest
(Layers API, models, training, data, callbacks, saving, ...) loads on first use of one of
its names (PEP 562), so a script that only needs tensors starts fast.
"""
import importlib as _importlib


def _attach(namespace, lazy):
    """PEP 562 lazy loading for the package whose globals() is `namespace`: each name in
    `lazy` (name -> relative module) loads on first access; a name mapped to its own
    module ('.sources' for 'sources') is that submodule. Returns (__getattr__, __dir__)."""
    package = namespace["__name__"]

    def __getattr__(name):
        if name not in lazy:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = _importlib.import_module(lazy[name], package)
        value = module if lazy[name] == "." + name else getattr(module, name)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def __dir__():
        return sorted(set(namespace) | set(lazy))

    return __getattr__, __dir__


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
from .core.ops import (avg_pool, conv1d, conv2d, conv2d_transpose, depthwise_conv2d,
                       max_pool, separable_conv2d)
from .core.ops import (avg_pool3d, conv3d, conv3d_transpose, dilation2d, max_pool3d,
                       max_pool_with_argmax, pool)
from .core.tensor import Tensor, Variable, variable
# The rest of TF.js's core ops and helpers (docs/api_coverage.md maps every TF.js name).
from .core import fused, util
from .core.buffer import TensorBuffer, buffer
from .core.creation import eye, tensor1d, tensor2d, tensor3d, tensor4d, tensor5d, tensor6d
from .core.frames import next_frame
from .core.namespaces import image, linalg, signal, sparse, spectral
from .core.ops import (acos, acosh, add_n, all, any, arg_max, arg_min, asin, asinh, atan,
                       atan2, atanh, band_part, batch_norm, batch_norm2d, batch_norm3d,
                       batch_norm4d, batch_to_space_nd, bincount, bitwise_and, boolean_mask_async,
                       broadcast_args, broadcast_to, clone, complex, concat1d, concat2d,
                       concat3d, concat4d, cosh, cosine_window, enclosing_power_of_two, cumprod, cumsum, dense_bincount, depth_to_space, diag,
                       div_no_nan, einsum, ensure_shape, erf, euclidean_norm, fft, gather_nd,
                       gram_schmidt, ifft, imag, in_top_k_async, irfft, is_finite, is_inf,
                       is_nan, local_response_normalization, log_sum_exp, lower_bound, mat_mul,
                       meshgrid, mirror_pad, moments, moving_average, norm, outer_product,
                       pad1d, pad2d, pad3d, pad4d, qr, real, reverse, reverse1d, reverse2d,
                       reverse3d, reverse4d, rfft, scatter_nd, search_sorted, setdiff1d_async,
                       sinh, slice1d, slice2d, slice3d, slice4d, space_to_batch_nd, sparse_to_dense,
                       step, strided_slice, tan, tensor_scatter_update, top_k, topk, unique,
                       unsorted_segment_sum, upper_bound, where_async)
from .core.ops import basic_lstm_cell, multi_rnn_cell
from .core.ops import print_ as print  # noqa: A004 (tn.print, as TF.js)

__version__ = "0.1.0"

# Loaded on first access (name -> the module defining it). core.random is here because
# numpy.random, with the secrets/hashlib it pulls in, costs ~12 ms.
_LAZY = {
    "random_normal": ".core.random", "random_uniform": ".core.random",
    "set_seed": ".core.random", "truncated_normal": ".core.random",
    **{n: ".core.random" for n in ("rand", "random_gamma", "random_standard_normal",
                                   "random_uniform_int")},
    "multinomial": ".core.ops.random_ops", "dropout": ".core.ops.random_ops",
    "Model": ".models", "Sequential": ".models", "sequential": ".models",
    "LayersModel": ".models", "model": ".models", "input": ".models",
    "SymbolicTensor": ".models",
    "load_layers_model": ".models.saving",
    "distributed": ".distributed",  # mpi4py loads in tn.distributed.init() only
    **{m: "." + m for m in ("activations", "callbacks", "constraints", "data", "datasets",
                            "initializers", "layers", "losses", "metrics", "models",
                            "regularizers", "serialization", "train", "vis", "_config")},
}
__all__ = sorted({n for n in [*globals(), *_LAZY] if not n.startswith("_")})
__getattr__, __dir__ = _attach(globals(), _LAZY)
