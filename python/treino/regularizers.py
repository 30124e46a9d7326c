"""Weight regularizers (TF.js's L1L2): `reg(weight) -> scalar Tensor`, computed with core
ops so that the penalty is differentiable and can be added to the loss."""
import numpy as np

from ._config import Configurable, canon, check_number, from_config_dict
from . import _kernels as K
from .core import autodiff
from .core.tensor import Tensor, bump_state_version


class Regularizer(Configurable):
    class_name = None

    def __setattr__(self, name, value):
        # A factor changed after a step was captured: the engine captures again.
        object.__setattr__(self, name, value)
        bump_state_version()

    def __call__(self, x):
        raise NotImplementedError



class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2) (TF.js defaults: 0.01 each; l1() and l2() set the
    other rate to 0, and a zero rate adds no op)."""
    class_name = "L1L2"

    def __init__(self, l1=0.01, l2=0.01):
        self.l1 = check_number(l1, "L1L2", "l1", low=0.0)
        self.l2 = check_number(l2, "L1L2", "l2", low=0.0)

    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"L1L2: expected a weight Tensor, received {type(x).__name__}")
        l1, l2 = float(np.float32(self.l1)), float(np.float32(self.l2))
        if not (l1 or l2):  # both zero (or below float32's smallest value): no node
            return Tensor(np.zeros((), np.float32))

        def core(xd):
            # One node, one native pass each way (l1 * sum(|x|) + l2 * sum(x^2); its
            # gradient dy * (l1 * sign(x) + 2 * l2 * x)). In a captured step the backward
            # writes, or adds, the gradient straight into the weight's slot of the flat
            # gradient buffer (out / add: see writes_grads and adds_grads in engine.py).
            xd = xd if xd.dtype == np.float32 else xd.astype(np.float32)
            total = np.float32(K.l1l2_penalty(xd, l1, l2))

            def backward(dy, needs, out=(None,), add=(False,)):
                if not needs[0]:  # a frozen weight's penalty: in the loss, no gradient
                    return (None,)
                return (K.l1l2_penalty_backward(xd, l1, l2, float(dy), out[0], add[0]),)
            return np.asarray(total, np.float32), backward
        core.writes_grads = core.adds_grads = True
        return autodiff.apply("l1l2", core, (x,))

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


def get(identifier, where="regularizer"):
    """A Regularizer from None (none), an id ('l1l2' / 'L1L2', 'l1', 'l2', with the TF.js
    default rates), a Regularizer, or a config dict {'class_name': 'L1L2', 'config': ...}
    (TF.js registers no other class). Errors start with `where`."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        f = _IDS.get(canon(identifier))
        if f is None:
            raise ValueError(f"{where}: unknown regularizer {identifier!r}; valid ids: "
                             f"{', '.join(VALID_IDS)}")
        return f()
    if isinstance(identifier, dict):
        return from_config_dict(identifier, {"l1l2": L1L2}, where, "L1L2")
    raise TypeError(f"{where}: expected None, a regularizer id (str), a Regularizer or a "
                    f"config dict, received {identifier!r} (of type "
                    f"{type(identifier).__name__})")


def serialize(regularizer):
    if regularizer is None:
        return None
    return {"class_name": regularizer.class_name, "config": regularizer.get_config()}
