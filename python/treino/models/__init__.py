"""Models: tn.sequential and tn.model (functional graphs over tn.input), and the Model
base with compile / fit / evaluate / predict."""
from ..layers.topology import SymbolicTensor
from .functional import LayersModel, input, model
from .sequential import Sequential, sequential
from .training import Model

__all__ = ["Model", "LayersModel", "Sequential", "SymbolicTensor", "sequential", "model",
           "input", "model_from_json"]


def __getattr__(name):
    # Saving loads on first use (it is not needed to build or train a model).
    if name == "model_from_json":
        from .saving import model_from_json
        return model_from_json
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
