"""tn.sequential: a linear stack of layers (TF.js's Sequential), kept as a functional
graph: `add` applies each layer to the previous layer's symbolic output, so running,
training, summarising and nesting go through the one graph code path of functional.py.
"""
import itertools

from .._config import camel_hint
from ..layers.base import Layer, shape_str
from ..layers.core import InputLayer
from .functional import LayersModel, input_tensor
from .training import Model

_ids = itertools.count(1)


class Sequential(LayersModel):
    def __init__(self, layers=None, name=None):
        Model.__init__(self, name or f"sequential_{next(_ids)}")
        self._added = []          # the layers as added (an input_layer added by the user too)
        self._graph = None
        self.inputs, self.outputs = [], []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        # The layers as added: an InputLayer made for the first layer's input shape is not
        # listed; one the user added is (and is summarised), as in TF.js.
        return list(self._added)

    @property
    def _layers(self):
        return list(self._added)

    def add(self, layer):
        """Appends a layer; the first needs an input shape (input_shape=, input_dim=,
        batch_input_shape= or an input_layer) and later ones are built on the spot."""
        if not isinstance(layer, Layer):
            raise TypeError(f"add: expected a layer (e.g. tn.layers.dense(...)), received "
                            f"{type(layer).__name__}")
        if any(l is layer for l in self._added):
            raise ValueError(f"add: layer {layer.name!r} is already in model {self.name!r}")
        if any(l.name == layer.name for l in self._added):
            raise ValueError(f"add: model {self.name!r} already has a layer named "
                             f"{layer.name!r}; layer names must be unique in a model")
        if not self._added:
            if isinstance(layer, InputLayer):
                if layer.inbound_nodes and layer.inbound_nodes[0].outputs[0] is not None \
                        and len(layer.inbound_nodes) > 1:
                    raise ValueError(f"add: input layer {layer.name!r} is already in use")
                x = input_tensor(layer)
                self._added.append(layer)
                self._set_graph(x, x)
                return
            if isinstance(layer, LayersModel) and layer.outputs:
                shape = layer.inputs[0].shape if len(layer.inputs) == 1 else None
            else:
                shape = layer.batch_input_shape
            if shape is None:
                raise ValueError("add: the first layer in a Sequential model must get an "
                                 "input_shape, input_dim or batch_input_shape argument, e.g. "
                                 f"tn.layers.dense(units=32, input_shape=[784]); {layer.name!r} "
                                 "has none")
            # The declared batch size stays in the symbolic shapes, as in TF.js (a
            # stateful RNN further down needs it).
            x = input_tensor(InputLayer(batch_input_shape=list(shape),
                                        dtype=layer.dtype, name=layer.name + "_input"))
        else:
            x = self.outputs[0]
            if layer.batch_input_shape is not None and layer.class_name != "InputLayer" and \
                    tuple(layer.batch_input_shape[1:]) != tuple(x.shape[1:]):
                raise ValueError(f"add: layer {layer.name!r} declares input shape "
                                 f"{list(layer.batch_input_shape[1:])} but the previous layer "
                                 f"outputs {list(x.shape[1:])}")
        try:
            y = layer(x)
        except (ValueError, TypeError) as e:
            raise type(e)(f"add: cannot add layer {layer.name!r} after an output of shape "
                          f"{shape_str(x.shape)}: {e}") from None
        if isinstance(y, list):
            raise ValueError(f"add: all layers in a Sequential model should have a single "
                             f"output tensor; {layer.name!r} has {len(y)}. For multi-output "
                             f"layers, use the functional API (tn.model)")
        self._added.append(layer)
        inputs = self.inputs if self.inputs else [x]
        self._set_graph(inputs[0], y)

    def pop(self):
        if not self._added:
            raise ValueError("pop: the model has no layers")
        self._added.pop()
        if not self._added:
            self._graph, self.inputs, self.outputs = None, [], []
            self._invalidate()
            return
        last = self._added[-1]
        out = self.outputs[0]
        # The previous layer's output in this model's graph: walk back one node.
        prev = out.node.inputs[0] if out.node.inputs else out
        if prev.source_layer is not last and not isinstance(last, InputLayer):
            prev = last.inbound_nodes[-1].outputs[0]
        self._set_graph(self.inputs[0], prev)

    @property
    def input_shape(self):
        return self.inputs[0].shape if self.inputs else None

    @property
    def output_shape(self):
        return self.outputs[0].shape if self.outputs else None

    def get_config(self):
        return {"name": self.name, "layers": [{"class_name": l.class_name, "config": l.get_config()}
                                              for l in self._added]}

    @property
    def class_name(self):
        return "Sequential"

    def _check_layers(self, fn):
        if not self._added:
            raise ValueError(f"{fn}: the model has no layers yet; add some with model.add")


@camel_hint
def sequential(layers=None, name=None):
    """tn.sequential(layers=None, name=None) -> Sequential."""
    return Sequential(layers=layers, name=name)


__all__ = ["Sequential", "sequential"]
