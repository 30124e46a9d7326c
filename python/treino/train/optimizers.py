"""The seven optimizers of tn.train. Formulas are TF.js 4.22's (epsilon default 1e-7;
rmsprop puts epsilon inside the square root) except adadelta, which follows the published
algorithm as Keras and PyTorch do; csrc/optim/optim.h states each one. Every `_update` is
one native call over all variables."""
import numpy as np

from .. import _kernels as K
from .._config import check_bool
from .optimizer import Flag, Hyper, Optimizer


class SGDOptimizer(Optimizer):
    class_name = "SGD"

    def _update(self, params, grads, slots, step):
        K.sgd_update(params, grads, self.learning_rate)


class MomentumOptimizer(Optimizer):
    class_name = "Momentum"
    slot_names = ("momentum",)
    momentum = Hyper(low=0.0)
    use_nesterov = Flag()

    def __init__(self, learning_rate, momentum, use_nesterov=False):
        super().__init__(learning_rate)
        self.momentum = momentum
        self.use_nesterov = use_nesterov

    def _update(self, params, grads, slots, step):
        K.momentum_update(params, grads, slots[0], self.learning_rate, self.momentum,
                          self.use_nesterov)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "momentum": self.momentum,
                "use_nesterov": self.use_nesterov}


class AdagradOptimizer(Optimizer):
    class_name = "Adagrad"
    slot_names = ("accumulator",)
    initial_accumulator_value = Hyper(low=0.0)

    def __init__(self, learning_rate, initial_accumulator_value=0.1):
        super().__init__(learning_rate)
        self.initial_accumulator_value = initial_accumulator_value

    def _initial_slot(self, slot, var):
        return np.full(var.shape, self.initial_accumulator_value, np.float32)

    def _update(self, params, grads, slots, step):
        K.adagrad_update(params, grads, slots[0], self.learning_rate, 1e-7)

    def get_config(self):
        return {"learning_rate": self.learning_rate,
                "initial_accumulator_value": self.initial_accumulator_value}


class AdadeltaOptimizer(Optimizer):
    class_name = "Adadelta"
    slot_names = ("accum_grad", "accum_var")
    rho = Hyper(low=0.0, high=1.0)
    epsilon = Hyper(low=0.0)

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho = rho
        self.epsilon = epsilon

    def _update(self, params, grads, slots, step):
        K.adadelta_update(params, grads, slots[0], slots[1], self.learning_rate, self.rho,
                          self.epsilon)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "rho": self.rho, "epsilon": self.epsilon}


class AdamOptimizer(Optimizer):
    class_name = "Adam"
    slot_names = ("m", "v")
    # beta = 1 would divide by 1 - beta ** t = 0 in the bias correction.
    beta1 = Hyper(low=0.0, high=1.0, high_open=True)
    beta2 = Hyper(low=0.0, high=1.0, high_open=True)
    epsilon = Hyper(low=0.0)

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def _update(self, params, grads, slots, step):
        K.adam_update(params, grads, slots[0], slots[1], self.learning_rate, self.beta1,
                      self.beta2, self.epsilon, step)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "beta1": self.beta1, "beta2": self.beta2,
                "epsilon": self.epsilon}


class AdamaxOptimizer(Optimizer):
    class_name = "Adamax"
    slot_names = ("m", "u")
    beta1 = Hyper(low=0.0, high=1.0, high_open=True)
    beta2 = Hyper(low=0.0, high=1.0, high_open=True)
    epsilon = Hyper(low=0.0)
    decay = Hyper(low=0.0)

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, epsilon=1e-7, decay=0.0):
        super().__init__(learning_rate)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.decay = decay

    def _update(self, params, grads, slots, step):
        K.adamax_update(params, grads, slots[0], slots[1], self.learning_rate, self.beta1,
                        self.beta2, self.epsilon, step, self.decay)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "beta1": self.beta1, "beta2": self.beta2,
                "epsilon": self.epsilon, "decay": self.decay}


class RMSPropOptimizer(Optimizer):
    class_name = "RMSProp"
    decay = Hyper(low=0.0, high=1.0)
    momentum = Hyper(low=0.0)
    epsilon = Hyper(low=0.0)

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-7, centered=False):
        super().__init__(learning_rate)
        self.decay = decay
        self.momentum = momentum
        self.epsilon = epsilon
        self._centered = check_bool(centered, "RMSPropOptimizer", "centered")
        self.slot_names = ("rms", "momentum", "mg") if centered else ("rms", "momentum")

    @property
    def centered(self):
        """Fixed at construction: it decides the slots (a centered RMSProp keeps 'mg')."""
        return self._centered

    def _update(self, params, grads, slots, step):
        K.rmsprop_update(params, grads, slots[0], slots[1], self.learning_rate, self.decay,
                         self.momentum, self.epsilon, self.centered,
                         slots[2] if self.centered else None)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "decay": self.decay,
                "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}
