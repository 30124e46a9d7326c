"""Models: tn.sequential (and the Model base with compile / fit / evaluate / predict)."""
from .sequential import Sequential, sequential
from .training import Model

__all__ = ["Model", "Sequential", "sequential"]
