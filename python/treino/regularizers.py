"""Weight regularizers (TF.js's L1L2): `reg(weight) -> scalar Tensor`, computed with core
ops so that the penalty is differentiable and can be added to the loss."""
import math
import numbers

import numpy as np

from ._config import Configurable, canon
from .core import ops
from .core.tensor import Tensor


def _rate(v, who, arg):
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.number)) or \
            not math.isfinite(v) or v < 0:
        raise ValueError(f"{who}: argument '{arg}' must be a finite number >= 0, received {v!r}")
    return float(v)


class Regularizer(Configurable):
    class_name = None

    def __call__(self, x):
        raise NotImplementedError



class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2) (TF.js defaults: 0.01 each; l1() and l2() set the
    other rate to 0, and a zero rate adds no op)."""
    class_name = "L1L2"

    def __init__(self, l1=0.01, l2=0.01):
        self.l1 = _rate(l1, "l1l2", "l1")
        self.l2 = _rate(l2, "l1l2", "l2")

    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"L1L2: expected a weight Tensor, received {type(x).__name__}")
        total = None
        if self.l1:
            total = ops.mul(self.l1, ops.sum(ops.abs(x)))
        if self.l2:
            term = ops.mul(self.l2, ops.sum(ops.square(x)))
            total = term if total is None else ops.add(total, term)
        return total if total is not None else Tensor(np.zeros((), np.float32))

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self):
        return f"L1L2(l1={self.l1}, l2={self.l2})"


def l1(l1=0.01):  # noqa: E741 (TF.js's name)
    return L1L2(l1=l1, l2=0.0)


def l2(l2=0.01):
    return L1L2(l1=0.0, l2=l2)


def l1l2(l1=0.01, l2=0.01):
    return L1L2(l1=l1, l2=l2)


_IDS = {"l1l2": l1l2, "l1": l1, "l2": l2}
VALID_IDS = ["l1l2", "l1", "l2"]


def get(identifier):
    """A Regularizer from None (none), an id ('l1l2' / 'L1L2', 'l1', 'l2', with the TF.js
    default rates), a Regularizer, or a config dict {'class_name': 'L1L2', 'config': ...}."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        f = _IDS.get(canon(identifier))
        if f is None:
            raise ValueError(f"regularizer: unknown regularizer {identifier!r}; valid ids: "
                             f"{', '.join(VALID_IDS)}")
        return f()
    if isinstance(identifier, dict):
        name = identifier.get("class_name", identifier.get("className"))
        if not isinstance(name, str) or canon(name) != "l1l2":
            raise ValueError(f"regularizer: unknown class_name {name!r}; valid: L1L2")
        config = identifier.get("config") or {}
        return L1L2(l1=config.get("l1", 0.01), l2=config.get("l2", 0.01))
    raise TypeError(f"regularizer: expected None, a regularizer id (str), a Regularizer or a "
                    f"config dict, received {type(identifier).__name__}")


def serialize(regularizer):
    if regularizer is None:
        return None
    return {"class_name": regularizer.class_name, "config": regularizer.get_config()}
