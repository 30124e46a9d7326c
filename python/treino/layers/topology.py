"""The functional API's graph: symbolic tensors and the nodes that connect layers.

`tn.input(shape=[784])` gives a SymbolicTensor: a placeholder with a shape (None for
the batch axis) and a dtype but no values. Calling a layer on symbolic tensors
(`layer.apply(x)`, `layer(x)`) computes no numbers: it builds the layer from the input
shapes, infers the output shape, and records a LayerNode, one application of the layer,
linking its input tensors to new output tensors. `tn.model(inputs=..., outputs=...)`
(models/functional.py) walks these nodes back from the outputs to the inputs.

A layer applied twice has two nodes and one set of weights (a shared layer). A symbolic
tensor knows the node that made it: (source_layer, node_index, tensor_index), the
coordinates TF.js's model.json uses in `inbound_nodes`.
"""
import itertools

from ..core.dtypes import DTYPES

_ids = itertools.count(1)


class SymbolicTensor:
    """A placeholder in a functional graph. `shape` has None for the batch axis (and any
    unknown size); `source_layer`, `node_index` and `tensor_index` locate the node that
    produces it."""

    __slots__ = ("shape", "dtype", "name", "source_layer", "node_index", "tensor_index",
                 "id", "__weakref__")

    def __init__(self, shape, dtype, name, source_layer, node_index, tensor_index):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        self.source_layer = source_layer
        self.node_index = node_index
        self.tensor_index = tensor_index
        self.id = next(_ids)

    @property
    def rank(self):
        return len(self.shape)

    ndim = rank

    @property
    def node(self):
        return self.source_layer.inbound_nodes[self.node_index]

    def __repr__(self):
        shape = "[" + ",".join("null" if d is None else str(d) for d in self.shape) + "]"
        return (f"<SymbolicTensor name={self.name} shape={shape} dtype={self.dtype} "
                f"from layer {self.source_layer.name}>")

    # A symbolic tensor has no values: refuse what would need them, with a hint.
    def _no_values(self, *args, **kwargs):
        raise TypeError(f"{self.name} is a symbolic tensor (from tn.input or a layer applied "
                        f"to one): it has no values. Build a model with tn.model(inputs=..., "
                        f"outputs=...) and call predict, or apply layers to real tensors")

    numpy = data = array = item = __array__ = __float__ = __int__ = __bool__ = _no_values


class LayerNode:
    """One application of `layer`: `inputs` (SymbolicTensors, in call order), whether the
    call got a list (`as_list`) or a single tensor, the `outputs` it made, their shapes,
    and the call's keyword arguments (`kwargs`, e.g. training=True)."""

    __slots__ = ("layer", "inputs", "as_list", "outputs", "input_shapes", "output_shapes",
                 "kwargs", "__weakref__")

    def __init__(self, layer, inputs, as_list, outputs, kwargs):
        self.layer = layer
        self.inputs = list(inputs)
        self.as_list = as_list
        self.outputs = list(outputs)
        # An input layer's node has no inputs; its input shape is its output's (TF.js).
        self.input_shapes = [t.shape for t in (self.inputs or outputs)]
        self.output_shapes = [t.shape for t in self.outputs]
        self.kwargs = dict(kwargs)

    @property
    def inbound(self):
        """[(layer, node_index, tensor_index)] of each input."""
        return [(t.source_layer, t.node_index, t.tensor_index) for t in self.inputs]


def is_symbolic(x):
    return isinstance(x, SymbolicTensor)


def apply_symbolic(layer, inputs, kwargs):
    """Records layer applied to symbolic `inputs` (one SymbolicTensor or a list): builds
    the layer from the input shapes if needed, infers the output shape(s) and returns
    new SymbolicTensor(s) made by a new node of the layer."""
    as_list = isinstance(inputs, (list, tuple))
    items = list(inputs) if as_list else [inputs]
    shapes = [t.shape for t in items]
    shape_arg = shapes if as_list else shapes[0]
    if not layer.built:
        layer.build_for(shape_arg)
    else:
        layer.assert_input_compatibility(shape_arg)
    out_shape = layer.compute_output_shape(shape_arg)
    several = bool(out_shape) and isinstance(out_shape[0], (list, tuple))
    out_shapes = [tuple(s) for s in out_shape] if several else [tuple(out_shape)]
    node_index = len(layer.inbound_nodes)
    dtype = _output_dtype(layer, items)
    outputs = []
    for i, s in enumerate(out_shapes):
        name = layer.name if node_index == 0 and len(out_shapes) == 1 else \
            f"{layer.name}_{node_index}" + (f":{i}" if len(out_shapes) > 1 else "")
        outputs.append(SymbolicTensor(s, dtype, name, layer, node_index, i))
    layer.inbound_nodes.append(LayerNode(layer, items, as_list, outputs, kwargs))
    layer.note_shapes(shape_arg, out_shapes if several else out_shapes[0])
    return outputs if several else outputs[0]


def _output_dtype(layer, items):
    # TF.js guesses the first input's dtype; a layer may say otherwise (an Embedding
    # takes int32 and gives float32).
    dtype = getattr(layer, "output_dtype", None)
    return dtype if dtype in DTYPES else items[0].dtype


def check_all_or_none_symbolic(inputs, who):
    """True when every input is symbolic, False when none is; ValueError for a mix."""
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    flags = [is_symbolic(t) for t in items]
    if any(flags) and not all(flags):
        raise ValueError(f"{who}: the inputs must be all symbolic tensors (from tn.input) "
                         f"or all Tensors, received "
                         f"{[type(t).__name__ for t in items]}")
    return bool(flags) and flags[0]
