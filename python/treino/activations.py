"""Activation functions of the Layers API, by TF.js id.

Each Activation has `apply(x)` (core ops, so it is differentiable), `name` (TF.js's
class name, e.g. 'hardSigmoid'), `config_name` (the id as a saved model.json holds it,
snake_case as TF.js writes it: 'hard_sigmoid') and `fused`: the id the native fused dense
kernel accepts, so a Dense layer runs matmul + bias + activation as one op, or None when
the activation has to run as its own op after the matmul.
"""
import re

from ._config import canon, split_config_dict
from .core import ops
from .core.tensor import Tensor


def _snake(name):
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Activation:
    """Base class. Subclasses set name/fused and implement apply."""
    name = None
    fused = None

    def apply(self, x):
        raise NotImplementedError

    def __call__(self, x):
        return self.apply(x)

    @property
    def config_name(self):
        return _snake(self.name)

    def get_config(self):
        return {}

    def __eq__(self, other):
        return type(other) is type(self) and other.name == self.name

    __hash__ = object.__hash__

    def __repr__(self):
        return f"<Activation {self.name}>"


class _Op(Activation):
    """An activation that is one core op."""

    def __init__(self, name, op, fused=None):
        self.name = name
        self._op = op
        self.fused = fused

    def apply(self, x):
        return self._op(x)


class Linear(Activation):
    name = "linear"
    fused = "linear"

    def apply(self, x):
        return x


class CallableActivation(Activation):
    """A user function x -> Tensor used as an activation (never fused)."""

    def __init__(self, fn):
        self._fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)

    @property
    def config_name(self):
        return self.name

    def apply(self, x):
        y = self._fn(x)
        if not isinstance(y, Tensor):
            raise TypeError(f"activation {self.name!r} must return a Tensor, returned "
                            f"{type(y).__name__}")
        return y

    def __eq__(self, other):
        return isinstance(other, CallableActivation) and other._fn is self._fn

    __hash__ = object.__hash__


# TF.js class name -> (core op, fused dense kernel id or None). The fused kernel computes
# exactly these functions (checked in tests against the unfused ops).
_TABLE = {
    "elu": (ops.elu, "elu"),
    "selu": (ops.selu, "selu"),
    "relu": (ops.relu, "relu"),
    "relu6": (ops.relu6, "relu6"),
    "sigmoid": (ops.sigmoid, "sigmoid"),
    "hardSigmoid": (ops.hard_sigmoid, None),
    "softplus": (ops.softplus, "softplus"),
    "softsign": (ops.softsign, "softsign"),
    "tanh": (ops.tanh, "tanh"),
    "softmax": (ops.softmax, None),
    "logSoftmax": (ops.log_softmax, None),
    "swish": (ops.swish, None),
    "mish": (ops.mish, None),
    "gelu": (ops.gelu, None),
    "gelu_new": (ops.gelu_new, None),
}

VALID_IDS = ["linear"] + list(_TABLE)
_BY_CANON = {canon(n): n for n in VALID_IDS}
# ('gelu_new' -> 'gelunew' also matches 'geluNew', the spelling a camelCase round trip of a
# TF.js model.json gives.)


def _make(name):
    if name == "linear":
        return Linear()
    op, fused = _TABLE[name]
    return _Op(name, op, fused)


def _valid_list():
    return ", ".join(VALID_IDS)


def get(identifier, where="activation"):
    """An Activation from a TF.js id (either spelling), None (linear), an Activation, a
    {'class_name': id, 'config': {}} dict (TF.js's own activations take no config) or a
    callable x -> Tensor. Errors start with `where`."""
    if identifier is None:
        return Linear()
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, dict):
        name, config = split_config_dict(identifier, where)
        if config:
            raise ValueError(f"{where}: the activation {name!r} takes no config, received "
                             f"{identifier['config']!r}")
        return get(name, where)
    if isinstance(identifier, str):
        name = _BY_CANON.get(canon(identifier))
        if name is None:
            raise ValueError(f"{where}: unknown activation {identifier!r}; valid ids: "
                             f"{_valid_list()} (camelCase or snake_case)")
        return _make(name)
    if callable(identifier):
        name = getattr(identifier, "_activation_id", None)
        return _make(name) if name else CallableActivation(identifier)
    raise TypeError(f"{where}: expected an activation id (str), None, an Activation or a "
                    f"callable, received {identifier!r} (of type {type(identifier).__name__})")


def serialize(activation):
    """The id a model config stores (TF.js writes it snake_case in model.json)."""
    return activation.config_name


def _factory(name):
    def f(x):
        return _make(name).apply(x)
    f.__name__ = _snake(name)
    f.__doc__ = f"The {name!r} activation applied to x."
    f._activation_id = name  # get(tn.activations.relu) is the fusable 'relu'
    return f


# Module-level functions, as keras.activations.relu(x): handy and picklable by name.
linear = _factory("linear")
relu = _factory("relu")
relu6 = _factory("relu6")
elu = _factory("elu")
selu = _factory("selu")
sigmoid = _factory("sigmoid")
hard_sigmoid = _factory("hardSigmoid")
softplus = _factory("softplus")
softsign = _factory("softsign")
tanh = _factory("tanh")
softmax = _factory("softmax")
log_softmax = _factory("logSoftmax")
swish = _factory("swish")
mish = _factory("mish")
gelu = _factory("gelu")
gelu_new = _factory("gelu_new")
