"""Models: tn.sequential and tn.model (functional graphs over tn.input), and the Model
base with compile / fit / evaluate / predict."""
from ..layers.topology import SymbolicTensor
from .functional import LayersModel, input, model
from .sequential import Sequential, sequential
from .training import Model

__all__ = ["Model", "LayersModel", "Sequential", "SymbolicTensor", "sequential", "model",
           "input"]
