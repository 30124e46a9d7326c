"""tn.model(inputs=..., outputs=...): a model over a graph of layers (TF.js's LayersModel,
class name 'Model'); Sequential is one too (sequential.py).

The graph is the LayerNodes of layers/topology.py. Building a model walks them back
from the outputs (as TF.js's Container does): every node the outputs depend on gets a
depth (its distance from the outputs), `layers` lists the layers deepest first (input
layers first, ties in traversal order), and `_nodes` is the order to run them. Running
the model (`call`) walks `_nodes` once, mapping each symbolic tensor to the Tensor
computed for it; the engine captures that walk once per signature, so a training step
replays the flat program and never walks the graph again.

A model is a layer: applied to symbolic tensors it becomes one node of another graph
(nested models); the same layer object in several places shares its weights.
"""
import itertools

from .._config import camel_hint, check_bool
from ..core import autodiff, engine
from ..core.tensor import Tensor
from ..layers.base import Layer, call_style, invoke_call
from ..layers.core import InputLayer, input, input_tensor  # noqa: A004 (tn.input)
from ..layers.topology import LayerNode, SymbolicTensor, is_symbolic
from .summary import summary_lines
from .training import Model

_model_ids = itertools.count(1)


def _structure(value, what):
    """(flat list of SymbolicTensors, keys or None): a tensor, a list or a dict of them."""
    if isinstance(value, dict):
        keys = list(value)
        items = [value[k] for k in keys]
    elif isinstance(value, (list, tuple)):
        keys, items = None, list(value)
    else:
        keys, items = None, [value]
        if not isinstance(value, SymbolicTensor):
            raise TypeError(f"model: argument '{what}' must be a symbolic tensor (from "
                            f"tn.input or a layer applied to one), a list or a dict of them, "
                            f"received {type(value).__name__}")
        return items, "single"
    if not items:
        raise ValueError(f"model: argument '{what}' is empty")
    for i, t in enumerate(items):
        if not isinstance(t, SymbolicTensor):
            raise TypeError(f"model: argument '{what}' must hold symbolic tensors (from "
                            f"tn.input or a layer applied to one); item {keys[i] if keys else i!r} "
                            f"is {type(t).__name__}")
    return items, keys


class _Graph:
    """The nodes a model's outputs depend on: `nodes` in run order (input layers' nodes
    excluded), `layers` in TF.js's order, `depth` of each node (by id)."""

    def __init__(self, inputs, outputs):
        order, layer_index = [], {}   # nodes, deepest (closest to the inputs) first
        finished, active = set(), set()
        # TF.js's recursive depth-first walk, with an explicit stack (a chain of
        # thousands of layers would exceed Python's recursion limit): a node is entered
        # (its layer numbered, its inputs pushed in reverse so the first is visited first)
        # and left once its inputs are done (appended to `order`).
        for out in outputs:
            stack = [(out, False)]
            while stack:
                t, leaving = stack.pop()
                node = t.node
                if leaving:
                    active.discard(id(node))
                    finished.add(id(node))
                    order.append(node)
                    continue
                if id(node) in active:
                    raise RuntimeError(f"The tensor {t.name} at layer {t.source_layer.name!r} "
                                       f"is part of a cycle")
                if id(node) in finished:
                    continue
                layer_index.setdefault(id(node.layer), len(layer_index))
                active.add(id(node))
                stack.append((t, True))
                stack.extend((x, False) for x in reversed(node.inputs))
        depth, layer_depth, layer_of = {}, {}, {}
        for node in reversed(order):  # from the outputs back
            d = max(depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
            layer_depth[id(node.layer)] = depth[id(node)] = d
            layer_of[id(node.layer)] = node.layer
            for x in node.inputs:
                depth[id(x.node)] = max(d + 1, depth.get(id(x.node), 0))
        self.depth = depth
        self.node_set = {id(n) for n in order}
        self.layers = sorted(layer_of.values(),
                             key=lambda l: (-layer_depth[id(l)], layer_index[id(l)]))
        nodes = sorted(order, key=lambda n: -depth[id(n)])  # stable: traversal order in ties
        # Every input a node needs must come from the model's inputs.
        known = {t.id for t in inputs}
        done = []
        for node in nodes:
            if not node.inputs and isinstance(node.layer, InputLayer):
                if node.outputs[0].id not in known:
                    raise ValueError(f"Graph disconnected: cannot obtain value for tensor "
                                     f"{node.outputs[0].name} at layer {node.layer.name!r}: it "
                                     f"is not among the model's inputs. The following previous "
                                     f"layers were accessed without issue: {done}")
                continue
            for x in node.inputs:
                if x.id not in known:
                    raise ValueError(f"Graph disconnected: cannot obtain value for tensor "
                                     f"{x.name} at layer {node.layer.name!r}. The following "
                                     f"previous layers were accessed without issue: {done}")
            known.update(o.id for o in node.outputs)
            done.append(node.layer.name)
        self.nodes = [n for n in nodes if n.inputs]
        names = [l.name for l in self.layers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"The name {name!r} is used {names.count(name)} times in the "
                                 f"model. All layer names should be unique. Layer names: {names}")


class LayersModel(Model):
    """A model over a graph of layers: tn.model(inputs=..., outputs=..., name=None)."""

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name if name is not None else f"model{next(_model_ids)}")
        self._set_graph(inputs, outputs)

    # -- the graph -----------------------------------------------------------------------
    def _set_graph(self, inputs, outputs):
        ins, in_keys = _structure(inputs, "inputs")
        outs, out_keys = _structure(outputs, "outputs")
        if len({t.id for t in ins}) != len(ins):
            raise ValueError(f"model: the list of inputs is redundant; all inputs should appear "
                             f"only once. Found: {[t.name for t in ins]}")
        for i, t in enumerate(ins):
            if not isinstance(t.source_layer, InputLayer) or t.node.inputs:
                raise TypeError(f"model: inputs must come from tn.input (InputLayer objects); "
                                f"input {i} ({t.name}) comes from layer {t.source_layer.name!r} "
                                f"of type {t.source_layer.class_name}")
        graph = _Graph(ins, outs)
        self.inputs, self.outputs = ins, outs
        self._in_keys, self._out_keys = in_keys, out_keys
        self._graph = graph
        own = LayerNode(self, ins, len(ins) > 1, outs, {})  # links the inputs to the outputs
        if self._inbound_nodes:
            self._inbound_nodes[0] = own
        else:
            self._inbound_nodes.append(own)
        self.built = True
        self._invalidate()

    @property
    def layers(self):
        return list(self._graph.layers) if self._graph is not None else []

    @property
    def _layers(self):
        return self.layers

    @property
    def input_layers(self):
        return [t.source_layer for t in self.inputs]

    @property
    def output_layers(self):
        return [t.source_layer for t in self.outputs]

    @property
    def input_names(self):
        return [l.name for l in self.input_layers]

    @property
    def output_names(self):
        """The output layers' names (TF.js's), made unique as Keras 2 does when one layer
        gives several outputs: 'inner', 'inner_1', ..."""
        names, seen = [], {}
        for l in self.output_layers:
            k = seen.get(l.name, 0)
            seen[l.name] = k + 1
            names.append(l.name if k == 0 else f"{l.name}_{k}")
        return names

    def _input_keys(self):
        """How data name the inputs: the keys of the inputs dict the model was built
        from (Keras 3), else the input names."""
        return list(self._in_keys) if isinstance(self._in_keys, list) else self.input_names

    def _output_keys(self):
        return list(self._out_keys) if isinstance(self._out_keys, list) else self.output_names

    def _fusable_outputs(self):
        """Per output, its layer when a fused loss may ask it for logits (call_logits):
        the output is that node's only output, is used once among the model's outputs
        and feeds no other layer of the graph; else None."""
        fed = {x.id for n in self._graph.nodes for x in n.inputs}
        ids = [t.id for t in self.outputs]
        return [t.source_layer if t.id not in fed and ids.count(t.id) == 1 and
                len(t.node.outputs) == 1 and t.node.inputs else None for t in self.outputs]

    def _output_layer(self):
        return self._fusable_outputs()[0] if len(self.outputs) == 1 else None

    def get_layer(self, name=None, index=None):
        """The layer named `name`, or at position `index` of model.layers."""
        layers = self.layers
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"get_layer: argument 'index' must be an int, received {index!r}")
            if not 0 <= index < len(layers):
                raise ValueError(f"get_layer: was asked to retrieve layer at index {index} but "
                                 f"the model only has {len(layers)} layers")
            return layers[index]
        if name is None:
            raise ValueError("get_layer: give a layer name or index")
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"get_layer: no such layer: {name!r}; the model's layers are "
                         f"{[l.name for l in layers]}")

    # -- as a layer ----------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def compute_output_shape(self, input_shape):
        """The output shape(s) for input shape(s): each node's layer infers its own."""
        several = len(self.inputs) > 1
        shapes = list(input_shape) if several else [input_shape]
        if len(shapes) != len(self.inputs):
            raise ValueError(f"model {self.name!r} expects {len(self.inputs)} inputs, received "
                             f"{len(shapes)} shapes")
        known = {t.id: tuple(s) for t, s in zip(self.inputs, shapes)}
        for node in self._graph.nodes:
            arg = [known[x.id] for x in node.inputs]
            out = node.layer.compute_output_shape(arg if node.as_list else arg[0])
            outs = list(out) if out and isinstance(out[0], (list, tuple)) else [out]
            for sym, s in zip(node.outputs, outs):
                known[sym.id] = tuple(s)
        res = [known[t.id] for t in self.outputs]
        return res if len(res) > 1 else res[0]

    # -- running the graph ---------------------------------------------------------------
    def call(self, inputs, training=False, skip_last_activation=False, mask=None):
        """The forward pass over the graph (core ops: differentiable when a gradient is
        taken). `inputs`: a Tensor, or a list (or dict by input name) of them; `mask`:
        the inputs' masks (as inputs). skip_last_activation: True, or one flag per
        output: that output's layer gives its logits (call_logits), for the fused
        softmax cross-entropy."""
        res, _ = self._run_graph(inputs, training, skip_last_activation, mask)
        if self._out_keys == "single" or (self._out_keys is None and len(res) == 1):
            return res[0]
        if self._out_keys is None:
            return res
        return dict(zip(self._out_keys, res))

    def compute_mask(self, inputs, mask=None):
        """The output masks of the graph for these inputs and masks (TF.js's
        Container.computeMask): runs the graph again when a mask is given, so a caller
        that also needs the outputs should use _run_graph, which gives both."""
        if mask is None or (isinstance(mask, list) and all(m is None for m in mask)):
            return None
        _, masks = self._run_graph(inputs, False, False, mask)
        return masks if len(masks) > 1 else masks[0]

    supports_masking = True

    def _run_graph(self, inputs, training, skip_last_activation, mask, nested=False):
        """(output Tensors, their masks): one walk of the nodes (see the module
        docstring), masks carried as TF.js's runInternalGraph carries them. A model run
        nested in another (nested=True) does not check its inputs' shapes against its
        input layers: as in TF.js, only the outermost model's inputs are checked, and a
        nested model may be applied to inputs of another rank its layers accept (a
        Sequential built for [5] applied to [null, 1, 5])."""
        values, masks = {}, {}
        in_masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(self.inputs) \
            if mask is not None and len(self.inputs) == 1 else [None] * len(self.inputs)
        for sym, x, layer, m in zip(self.inputs, self._input_list(inputs), self.input_layers,
                                    in_masks):
            values[sym.id] = x if nested else layer.call(x)  # call checks the shape
            if m is not None:
                masks[sym.id] = m
        flags = skip_last_activation if isinstance(skip_last_activation, (list, tuple)) \
            else [bool(skip_last_activation)] + [False] * (len(self.outputs) - 1)
        logits = {id(t.node) for t, f in zip(self.outputs, flags) if f}
        for node in self._graph.nodes:
            args = [values[x.id] for x in node.inputs]
            x = args if node.as_list else args[0]
            layer = node.layer
            kwargs = _extra(node.kwargs)
            tr = node.kwargs.get("training", training)
            node_masks = [masks.get(x_.id) for x_ in node.inputs] if masks else None
            mask_in = None
            if node_masks is not None and any(m is not None for m in node_masks):
                mask_in = node_masks if node.as_list else node_masks[0]
                if "mask" not in kwargs and takes_mask(type(layer)):
                    kwargs["mask"] = mask_in
            out_mask = None
            if isinstance(layer, LayersModel) and builtin_call(type(layer)):
                outs, out_masks = layer._run_graph(x, tr, False, mask_in, nested=True)
                out_mask = out_masks if any(m is not None for m in out_masks) else None
            else:
                if logits and id(node) in logits:
                    out = layer.call_logits(x)
                elif builtin_call(type(layer)):
                    out = layer.call(x, training=tr, **kwargs)
                else:  # a user's layer: one Python slot of the engine (see core/engine.py)
                    out = _user_call(layer, node, args, tr, kwargs)
                if isinstance(out, dict):  # a model with dict outputs, run as a layer
                    out = list(out.values())
                outs = list(out) if isinstance(out, (list, tuple)) else [out]
                # As TF.js's execution of a model (executor.ts): only a layer that
                # supports masking computes an output mask; any other drops its input's.
                # (A user's layer that defines compute_mask makes masks, as in Keras.)
                if layer.supports_masking or type(layer).compute_mask is not Layer.compute_mask:
                    out_mask = _mask_of(layer, node, args, mask_in)
            if len(outs) != len(node.outputs):  # compute_output_shape disagrees with call
                raise ValueError(f"layer {layer.name!r} returned {len(outs)} tensors, but its "
                                 f"compute_output_shape gave {len(node.outputs)} shapes")
            for sym, t in zip(node.outputs, outs):
                values[sym.id] = t
            if out_mask is not None:
                out_masks = out_mask if isinstance(out_mask, (list, tuple)) else [out_mask]
                for sym, m in zip(node.outputs, out_masks):
                    if m is not None:
                        masks[sym.id] = m
        return [values[t.id] for t in self.outputs], [masks.get(t.id) for t in self.outputs]

    def _input_list(self, inputs):
        n = len(self.inputs)
        if isinstance(inputs, dict):
            names = self._input_keys()
            missing = [k for k in names if k not in inputs]
            if missing:
                raise ValueError(f"model {self.name!r}: no value for input(s) {missing}; "
                                 f"received keys {list(inputs)}")
            return [inputs[k] for k in names]
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(items) != n:
            raise ValueError(f"model {self.name!r} expects {n} input(s), received {len(items)}")
        return items

    def __call__(self, inputs, training=None, **kwargs):
        """On symbolic tensors: a node of another graph (a nested model). On real ones:
        the outputs (predict_on_batch), in training mode with training=True."""
        items = list(inputs.values()) if isinstance(inputs, dict) else \
            list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if items and all(is_symbolic(t) for t in items):
            if isinstance(inputs, dict):
                inputs = self._input_list(inputs)
            if len(items) != len(self.inputs):
                raise ValueError(f"model {self.name!r} expects {len(self.inputs)} inputs, "
                                 f"received {len(items)}")
            return Layer.__call__(self, inputs, training=training, **kwargs)
        if kwargs:
            raise TypeError(f"model {self.name!r}: unknown arguments {sorted(kwargs)} for a "
                            f"call on tensors (training= is the one there is)")
        return self.predict_on_batch(inputs, training=bool(training))

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Prints TF.js's summary table (print_fn receives each line)."""
        self._check_layers("summary")
        if print_fn is not None and not callable(print_fn):
            raise TypeError(f"summary: argument 'print_fn' must be a function taking a line, "
                            f"received {type(print_fn).__name__}")
        for line in summary_lines(self, line_length, positions):
            (print_fn or print)(line)

    # -- serialization -------------------------------------------------------------------
    def get_config(self):
        """TF.js's (Keras 2's) functional config: each layer with its `inbound_nodes`
        ([[layer name, node index, tensor index, kwargs], ...] per call), and the model's
        `input_layers` and `output_layers` ([layer name, node index, tensor index])."""
        kept = {}  # id(node) -> its index among the nodes this model saves
        for layer in self.layers:
            count = 1 if isinstance(layer, LayersModel) else 0  # its own node 0
            for node in layer.inbound_nodes:
                if id(node) in self._graph.node_set or (not node.inputs and
                                                        isinstance(layer, InputLayer)):
                    kept[id(node)] = count
                    count += 1

        def ref(t):
            return [t.source_layer.name, kept.get(id(t.node), 0), t.tensor_index]

        layers = []
        for layer in self.layers:
            inbound = []
            for node in layer.inbound_nodes:
                if id(node) in self._graph.node_set and node.inputs:
                    inbound.append([ref(x) + [dict(node.kwargs)] for x in node.inputs])
            layers.append({"name": layer.name, "class_name": layer.class_name,
                           "config": layer.get_config(), "inbound_nodes": inbound})
        return {"name": self.name, "layers": layers,
                "input_layers": [ref(t) for t in self.inputs],
                "output_layers": [ref(t) for t in self.outputs]}

    def to_json(self, unused=None, return_string=True):
        """The topology {class_name, config, keras_version, backend} as a JSON string (a
        dict with return_string=False), as TF.js's toJSON(unused, returnString), whose
        first argument is ignored; to_json(False) is to_json(return_string=False).
        tn.models.model_from_json builds a model from it."""
        from .saving.topology_json import to_json
        if isinstance(unused, bool) and return_string is True:
            return_string = unused  # the one argument given is the flag
        return to_json(self, check_bool(return_string, "to_json", "return_string"))

    @property
    def class_name(self):
        return "Model"  # TF.js's class name for a functional model

    def _check_layers(self, fn):
        if not self.outputs:
            raise ValueError(f"{fn}: the model has no layers yet")


def _extra(kwargs):
    return {k: v for k, v in kwargs.items() if k != "training"}


def _user_call(layer, node, args, training, kwargs):
    """A user's layer as one Python slot of the engine. Its mask (a Tensor computed in
    the step) is passed as a slot input, so a replay gives it the new batch's mask."""
    mask = kwargs.pop("mask", None)
    masks = [] if mask is None else list(mask) if isinstance(mask, list) else [mask]
    present = [m is not None for m in masks]
    n = len(args)

    def call(*ts):
        x = list(ts[:n]) if node.as_list else ts[0]
        kw = dict(kwargs)
        if masks:
            it = iter(ts[n:])
            got = [next(it) if p else None for p in present]
            kw["mask"] = got if isinstance(mask, list) else got[0]
        return invoke_call(layer, x, training, **kw)
    return engine.python_slot(layer.name, call,
                              tuple(args) + tuple(m for m in masks if m is not None))


def _mask_of(layer, node, args, mask):
    """layer.compute_mask for this node. treino's own layers compute masks with ops
    (recorded as usual); a user's compute_mask is user code: traced when it reads no
    tensor values, else one node of its own that runs it again at every replay (a mask
    made in numpy follows each batch)."""
    cls = type(layer)
    x = args if node.as_list else args[0]
    if cls.compute_mask is Layer.compute_mask or builtin_call_of(cls, "compute_mask"):
        return layer.compute_mask(x, mask)
    masks = [] if mask is None else list(mask) if isinstance(mask, list) else [mask]
    present = [m is not None for m in masks]
    n = len(args)

    def run(*ts):
        xx = list(ts[:n]) if node.as_list else ts[0]
        if not masks:
            return layer.compute_mask(xx, None)
        it = iter(ts[n:])
        got = [next(it) if p else None for p in present]
        return layer.compute_mask(xx, got if isinstance(mask, list) else got[0])
    inputs = tuple(args) + tuple(m for m in masks if m is not None)
    out, traced = engine.trace(run, inputs)
    if traced or not isinstance(out, Tensor):
        return out  # None, or masks the program computes itself
    first = out._data

    def core(*arrays):  # a mask made outside ops: compute it again for each batch
        token = autodiff._push(isolate=True)
        try:
            v = run(*[Tensor(a) for a in arrays])
        finally:
            autodiff._active.reset(token)
        return v._data, None
    return autodiff.apply(f"{layer.name}.compute_mask",
                          engine.first_result(core, first, None), inputs)


def builtin_call_of(cls, method):
    """True when cls's `method` is treino's own."""
    return (getattr(cls, method).__module__ or "").startswith("treino.")


_TAKES_MASK = {}


def takes_mask(cls):
    """Whether cls.call accepts a `mask` argument (as a name or through **kwargs)."""
    known = _TAKES_MASK.get(cls)
    if known is None:
        import inspect
        params = inspect.signature(cls.call).parameters
        known = _TAKES_MASK[cls] = "mask" in params or any(
            p.kind is p.VAR_KEYWORD for p in params.values()) or call_style(cls) == "dict"
    return known


_BUILTIN = {}


def builtin_call(cls):
    """True when cls.call is treino's own (captured op by op), not a user's."""
    known = _BUILTIN.get(cls)
    if known is None:
        known = _BUILTIN[cls] = (cls.call.__module__ or "").startswith("treino.")
    return known


@camel_hint
def model(inputs=None, outputs=None, name=None):
    """tn.model(inputs=..., outputs=..., name=None) -> LayersModel."""
    if inputs is None or outputs is None:
        raise ValueError("model: needs both 'inputs' and 'outputs' (symbolic tensors from "
                         "tn.input and layers applied to them)")
    return LayersModel(inputs=inputs, outputs=outputs, name=name)


__all__ = ["LayersModel", "model", "input", "input_tensor", "builtin_call", "Tensor"]
