"""tn.train: optimizer factories with TF.js's names and defaults."""
from .._config import camel_hint
from .optimizer import Optimizer
from .optimizers import (AdadeltaOptimizer, AdagradOptimizer, AdamaxOptimizer, AdamOptimizer,
                         MomentumOptimizer, RMSPropOptimizer, SGDOptimizer)


@camel_hint
def sgd(learning_rate):
    return SGDOptimizer(learning_rate)


@camel_hint
def momentum(learning_rate, momentum, use_nesterov=False):
    return MomentumOptimizer(learning_rate, momentum, use_nesterov)


@camel_hint
def adagrad(learning_rate, initial_accumulator_value=0.1):
    return AdagradOptimizer(learning_rate, initial_accumulator_value)


@camel_hint
def adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7):
    return AdadeltaOptimizer(learning_rate, rho, epsilon)


@camel_hint
def adam(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-7):
    return AdamOptimizer(learning_rate, beta1, beta2, epsilon)


@camel_hint
def adamax(learning_rate=0.002, beta1=0.9, beta2=0.999, epsilon=1e-7, decay=0.0):
    return AdamaxOptimizer(learning_rate, beta1, beta2, epsilon, decay)


@camel_hint
def rmsprop(learning_rate, decay=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    return RMSPropOptimizer(learning_rate, decay, momentum, epsilon, centered)


__all__ = ["Optimizer", "sgd", "momentum", "adagrad", "adadelta", "adam", "adamax", "rmsprop",
           "SGDOptimizer", "MomentumOptimizer", "AdagradOptimizer", "AdadeltaOptimizer",
           "AdamOptimizer", "AdamaxOptimizer", "RMSPropOptimizer"]
