"""tn.sequential: a linear stack of layers (TF.js's Sequential)."""
import itertools

from ..core import engine
from ..core.tensor import Tensor
from ..layers.base import Layer, shape_str
from .summary import summary_lines
from .training import Model

_ids = itertools.count(1)


class Sequential(Model):
    def __init__(self, layers=None, name=None):
        super().__init__(name=name or f"sequential_{next(_ids)}")
        self._layers = []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        # An input_layer the user added is listed (and summarised), as in TF.js.
        return list(self._layers)

    def add(self, layer):
        """Appends a layer; the first needs an input shape (input_shape=, input_dim=,
        batch_input_shape= or an input_layer) and later ones are built on the spot."""
        if not isinstance(layer, Layer):
            raise TypeError(f"add: expected a layer (e.g. tn.layers.dense(...)), received "
                            f"{type(layer).__name__}")
        if any(l is layer for l in self._layers):
            raise ValueError(f"add: layer {layer.name!r} is already in model {self.name!r}")
        if any(l.name == layer.name for l in self._layers):
            raise ValueError(f"add: model {self.name!r} already has a layer named "
                             f"{layer.name!r}; layer names must be unique in a model")
        if not self._layers:
            if layer.batch_input_shape is None:
                raise ValueError("add: the first layer in a Sequential model must get an "
                                 "input_shape, input_dim or batch_input_shape argument, e.g. "
                                 f"tn.layers.dense(units=32, input_shape=[784]); {layer.name!r} "
                                 "has none")
            shape = layer.batch_input_shape
        else:
            shape = self._layers[-1].output_shape
            if layer.batch_input_shape is not None and layer.class_name != "InputLayer" and \
                    tuple(layer.batch_input_shape[1:]) != tuple(shape[1:]):
                raise ValueError(f"add: layer {layer.name!r} declares input shape "
                                 f"{list(layer.batch_input_shape[1:])} but the previous layer "
                                 f"outputs {list(shape[1:])}")
        try:
            layer.build_for((None,) + tuple(shape[1:]))
        except (ValueError, TypeError) as e:
            raise type(e)(f"add: cannot add layer {layer.name!r} after an output of shape "
                          f"{shape_str(shape)}: {e}") from None
        self._layers.append(layer)
        self._invalidate()

    def pop(self):
        if not self._layers:
            raise ValueError("pop: the model has no layers")
        self._layers.pop()
        self._invalidate()

    @property
    def input_shape(self):
        return self._layers[0].input_shape if self._layers else None

    @property
    def output_shape(self):
        return self._layers[-1].output_shape if self._layers else None

    def call(self, x, training=False, skip_last_activation=False):
        """The forward pass (core ops: differentiable when a gradient is being taken)."""
        layers = self._layers
        last = len(layers) - 1
        for i, layer in enumerate(layers):
            if i == last and skip_last_activation:
                x = layer.call_logits(x)
            elif _builtin_call(type(layer)):
                x = layer.call(x, training=training)
            elif isinstance(x, (list, tuple)):  # a user's layer after one with several outputs
                x = engine.python_slot(layer.name, lambda *ts, l=layer, seq=type(x): l.call(
                    seq(ts), training=training), tuple(x))
            else:  # a user's layer: one Python slot of the engine (see core/engine.py)
                x = engine.python_slot(layer.name, lambda t, l=layer: l.call(
                    t, training=training), (x,))
        return x

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Prints TF.js's summary table (print_fn receives each line)."""
        self._check_layers("summary")
        for line in summary_lines(self, line_length, positions):
            (print_fn or print)(line)

    def get_config(self):
        return {"name": self.name, "layers": [{"class_name": l.class_name, "config": l.get_config()}
                                              for l in self._layers]}

    def _check_layers(self, fn):
        if not self._layers:
            raise ValueError(f"{fn}: the model has no layers yet; add some with model.add")



_BUILTIN = {}


def _builtin_call(cls):
    """True when cls.call is treino's own (captured op by op), not a user's."""
    known = _BUILTIN.get(cls)
    if known is None:
        known = _BUILTIN[cls] = (cls.call.__module__ or "").startswith("treino.")
    return known


def sequential(layers=None, name=None):
    """tn.sequential(layers=None, name=None) -> Sequential."""
    return Sequential(layers=layers, name=name)


__all__ = ["Sequential", "sequential", "Tensor"]
