"""Weight constraints with TF.js's formulas: `c(weight) -> Tensor`, the weight projected
back onto the constraint (applied after each optimizer update). Norms are L2 norms over
`axis` (for a Dense kernel [in, out], axis 0 constrains each unit's incoming weights);
TF.js's epsilon (1e-7) goes in the denominator beside the norm: w * desired / (eps + norm)."""
from ._config import Configurable, canon, check_axes, check_number, from_config_dict
from .core import ops
from .core.tensor import Tensor, bump_state_version

EPSILON = 1e-7


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


class Constraint(Configurable):
    class_name = None

    def __setattr__(self, name, value):
        # A bound changed after a step was captured: the engine captures again.
        object.__setattr__(self, name, value)
        bump_state_version()

    def __call__(self, w):
        if not isinstance(w, Tensor):
            raise TypeError(f"{self.class_name}: expected a weight Tensor, received "
                            f"{type(w).__name__}")
        return self._apply(w)



class MaxNorm(Constraint):
    """Rescales slices whose norm exceeds max_value down to it."""
    class_name = "MaxNorm"

    def __init__(self, max_value=2.0, axis=0):
        self.max_value = check_number(max_value, "MaxNorm", "max_value", low=0.0)
        self.axis = check_axes(axis, "MaxNorm")

    def _apply(self, w):
        norms = _norms(w, self.axis)
        desired = ops.clip_by_value(norms, 0.0, self.max_value)
        return ops.mul(w, ops.div(desired, ops.add(EPSILON, norms)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's norm towards [min_value, max_value] by `rate` (1: all the way)."""
    class_name = "MinMaxNorm"

    def __init__(self, min_value=0.0, max_value=1.0, axis=0, rate=1.0):
        self.min_value = check_number(min_value, "MinMaxNorm", "min_value", low=0.0)
        self.max_value = check_number(max_value, "MinMaxNorm", "max_value")
        if self.max_value < self.min_value:
            raise ValueError(f"MinMaxNorm: need 0 <= min_value <= max_value, received "
                             f"min_value={min_value!r}, max_value={max_value!r}")
        self.rate = check_number(rate, "MinMaxNorm", "rate", low=0.0, high=1.0)
        self.axis = check_axes(axis, "MinMaxNorm")

    def _apply(self, w):
        norms = _norms(w, self.axis)
        clipped = ops.clip_by_value(norms, self.min_value, self.max_value)
        desired = ops.add(ops.mul(self.rate, clipped), ops.mul(1.0 - self.rate, norms))
        return ops.mul(w, ops.div(desired, ops.add(EPSILON, norms)))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class NonNeg(Constraint):
    class_name = "NonNeg"

    def _apply(self, w):
        return ops.relu(w)


class UnitNorm(Constraint):
    class_name = "UnitNorm"

    def __init__(self, axis=0):
        self.axis = check_axes(axis, "UnitNorm")

    def _apply(self, w):
        return ops.div(w, ops.add(EPSILON, _norms(w, self.axis)))

    def get_config(self):
        return {"axis": self.axis}


def max_norm(max_value=2.0, axis=0):
    return MaxNorm(max_value, axis)


def min_max_norm(min_value=0.0, max_value=1.0, axis=0, rate=1.0):
    return MinMaxNorm(min_value, max_value, axis, rate)


def non_neg():
    return NonNeg()


def unit_norm(axis=0):
    return UnitNorm(axis)


_CLASSES = {"maxnorm": MaxNorm, "minmaxnorm": MinMaxNorm, "nonneg": NonNeg,
            "unitnorm": UnitNorm}
VALID_IDS = ["maxNorm", "minMaxNorm", "nonNeg", "unitNorm"]


def get(identifier, where="constraint"):
    """A Constraint from None (none), an id (either spelling, default arguments), a
    Constraint, or a config dict {'class_name': 'MaxNorm', 'config': {...}}. Errors start
    with `where`."""
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str):
        cls = _CLASSES.get(canon(identifier))
        if cls is None:
            raise ValueError(f"{where}: unknown constraint {identifier!r}; valid ids: "
                             f"{', '.join(VALID_IDS)} (camelCase or snake_case)")
        return cls()
    if isinstance(identifier, dict):
        return from_config_dict(identifier, _CLASSES, where,
                                "MaxNorm, MinMaxNorm, NonNeg, UnitNorm")
    raise TypeError(f"{where}: expected None, a constraint id (str), a Constraint or a "
                    f"config dict, received {identifier!r} (of type "
                    f"{type(identifier).__name__})")


def serialize(constraint):
    if constraint is None:
        return None
    return {"class_name": constraint.class_name, "config": constraint.get_config()}
