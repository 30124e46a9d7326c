"""Building a model from checked topology specs (model_config.py): each layer from its
config, a Sequential by adding its layers, a functional model by applying each layer to
its inbound nodes as TF.js's Container.fromConfig does, nested models in their place.

A functional model is rebuilt in two steps. First every layer is created (an input
layer with its input tensor, a nested model whole). Then each layer's nodes are applied
in their config order, each once every node it takes inputs from exists. TF.js and
Keras 2 do this in passes over the layers, re-queueing the nodes whose inputs do not
exist yet, until a pass has nothing left; a layer shared at several depths
(A(B(A(B(x))))) needs several passes. The same order is kept here without rescanning: a
layer whose next node cannot be applied yet is parked on the one node it waits for and
woken when that node is made, at the place in the passes where the scan would have found
it (a min-heap of (pass, layer index)). The work is then bounded by the number of nodes
and inputs (limits.MAX_NODES), whatever their order in the file. When nothing is left
to wake and nodes remain, those nodes wait on each other (a cycle, or a layer fed its own
output), and the load fails naming them.

A layer's nodes are applied in their config order (Keras 2 does; TF.js may apply a later
node of a layer first, which renumbers them), so node k of the config is node k of the
layer, or k + 1 of a nested model, whose node 0 links its own inputs to its outputs.

Layer classes come from treino's table (layers.CLASSES), then from the caller's
custom_objects, then from the classes registered with tn.serialization.register_class:
nothing is imported or evaluated.
"""
import heapq
import inspect

from ... import layers as layers_mod
from ... import serialization
from ...layers.base import Layer
from ...layers.core import InputLayer
from .safe_io import LoadError, clip, fail, short


class Refused(Exception):
    """Raised inside a layer's build by the loader's weight guard; not a ValueError, so
    that Sequential.add does not rewrap it and the loader reports it as it is."""


# Keys Keras writes into configs that TF.js's layers ignore, dropped at load when they
# hold the value that changes nothing (a model.json converted from Keras carries them);
# any other unknown key is still refused by from_config.
_KERAS_ONLY = {"InputLayer": {"ragged": False},
               "LayerNormalization": {"beta_constraint": None, "gamma_constraint": None}}


def _cause(e):
    """The exception to chain: none for the errors a constructor or a layer raises on
    bad input (their message says it all), the error itself for anything else."""
    return None if isinstance(e, (TypeError, ValueError)) else e


class Builder:
    """Builds models from specs. `values`: loading._InitialValues, whose guard decides
    each weight's initial value before it is allocated; None for fresh weights
    (model_from_json). `custom_objects`: {class name: Layer subclass}."""

    def __init__(self, where, values=None, custom_objects=None):
        self.where = where
        self.values = values
        self.custom = custom_objects or {}
        self._guarded = []

    def build(self, spec):
        try:
            return self._model(spec, "")
        finally:
            for layer in self._guarded:
                vars(layer).pop("add_weight", None)

    def _model(self, spec, prefix):
        if spec.kind == "Sequential":
            return self._sequential(spec, prefix)
        return self._functional(spec, prefix)

    # -- layers --------------------------------------------------------------------------
    def _class(self, name):
        return (layers_mod.CLASSES.get(name) or self.custom.get(name)
                or serialization.registered_class(name))

    def _layer(self, spec, i, prefix):
        """(layer or nested model, its label for messages)."""
        if spec.model is not None:
            label = f"{prefix}layer {i} ({spec.class_name} {short(spec.model.name)})"
            return self._model(spec.model, label + " > "), label
        neutral = _KERAS_ONLY.get(spec.class_name, {})
        config = {k: v for k, v in spec.config.items()
                  if not (k in neutral and v == neutral[k] and type(v) is type(neutral[k]))}
        label = f"{prefix}layer {i} ({spec.class_name} {short(config.get('name'))})"
        cls = self._class(spec.class_name)
        if cls is None:
            known = [*layers_mod.CLASSES, *self.custom, *serialization.registered_classes()]
            raise fail(self.where, f"{prefix}layer {i} has unknown class "
                                   f"{short(spec.class_name)}; known layer classes: "
                                   f"{clip(', '.join(known), 1000)} (a custom layer class "
                                   f"loads once registered with "
                                   f"tn.serialization.register_class)")
        try:
            layer = cls.from_config(config)
        except Exception as e:   # the constructor's own checks, whatever their type
            raise fail(self.where, f"{label} has an invalid config: {e}") from _cause(e)
        if not isinstance(layer, Layer):
            raise fail(self.where, f"{label}: {cls.__name__}.from_config returned a "
                                   f"{type(layer).__name__}, not a layer")
        label = f"{prefix}layer {i} ({spec.class_name} {layer.name!r})"
        if self.values is not None:
            # Shadows the method on this instance only, until the build ends;
            # object.__setattr__ as this is no configuration of the layer's.
            object.__setattr__(layer, "add_weight", self.values.guard(layer, label))
            self._guarded.append(layer)
        return layer, label

    def _sequential(self, spec, prefix):
        from ..sequential import Sequential
        made = []
        for i, ls in enumerate(spec.layers):
            if ls.class_name == "InputLayer" and i > 0:
                raise fail(self.where, f"{prefix}layer {i} (InputLayer "
                                       f"{short(ls.config.get('name'))}) is an input layer "
                                       f"after other layers; only the first layer may be one")
            made.append(self._layer(ls, i, prefix))
        model = Sequential(name=spec.name)
        for layer, label in made:
            try:
                model.add(layer)
            except Refused as e:
                raise fail(self.where, str(e)) from None
            except LoadError:
                raise
            except Exception as e:
                raise fail(self.where, f"{label} does not fit the model: {e}") from _cause(e)
        return model

    # -- functional models ---------------------------------------------------------------
    def _functional(self, spec, prefix):
        from ..functional import LayersModel, input_tensor
        layers, labels, created = [], [], {}
        for i, ls in enumerate(spec.layers):
            layer, label = self._layer(ls, i, prefix)
            if layer.name != ls.name:
                raise fail(self.where, f"{label}: {ls.field} names the layer {ls.name!r}, but "
                                       f"its class made a layer named {layer.name!r}")
            if isinstance(layer, InputLayer):
                input_tensor(layer)
            layers.append(layer)
            labels.append(label)
            created[ls.name] = layer
        self._apply_nodes(spec, layers, labels, created)
        inputs = [self._tensor(created, ref, f"{spec.field}.input_layers[{i}]")
                  for i, ref in enumerate(spec.inputs)]
        outputs = [self._tensor(created, ref, f"{spec.field}.output_layers[{i}]")
                   for i, ref in enumerate(spec.outputs)]
        try:
            return LayersModel(inputs=inputs, outputs=outputs, name=spec.name)
        except Exception as e:
            raise fail(self.where, f"{spec.field}: the layers do not make a model: "
                                   f"{e}") from _cause(e)

    def _apply_nodes(self, spec, layers, labels, created):
        """Applies every layer to its inbound nodes, in the order of TF.js's passes (see
        the module's docstring), each node once."""
        n = len(layers)
        done = [0] * n          # nodes applied, per layer
        ready = [0] * n         # inputs of the next node known to exist
        waits = {}              # (layer name, node index) -> [layer index] parked on it
        parked = {}             # layer index -> (layer name, node index) it waits for
        heap = [(0, i) for i in range(n) if spec.layers[i].nodes]
        while heap:
            pass_no, i = heapq.heappop(heap)
            ls = spec.layers[i]
            offset = 1 if ls.model is not None else 0
            while done[i] < len(ls.nodes):
                refs, kwargs = ls.nodes[done[i]]
                while ready[i] < len(refs):
                    name, node, _ = refs[ready[i]]
                    if len(created[name].inbound_nodes) <= node:
                        break
                    ready[i] += 1
                if ready[i] < len(refs):
                    name, node, _ = refs[ready[i]]
                    waits.setdefault((name, node), []).append(i)
                    parked[i] = (name, node)
                    break
                self._apply(layers[i], ls, done[i], offset, refs, kwargs, created, labels[i])
                made = (ls.name, done[i] + offset)
                done[i] += 1
                ready[i] = 0
                parked.pop(i, None)
                for j in waits.pop(made, ()):
                    # A scan at layer i of this pass reaches layer j in this pass if j
                    # comes after i, else in the next one.
                    heapq.heappush(heap, (pass_no if j > i else pass_no + 1, j))
        if parked:
            i = min(parked)
            ls = spec.layers[i]
            chain, seen, j = [], set(), i
            while j in parked and j not in seen and len(chain) < 6:
                seen.add(j)
                name, node = parked[j]
                chain.append(f"{spec.layers[j].name!r} waits for node {node} of {name!r}")
                j = next(k for k, s in enumerate(spec.layers) if s.name == name)
            raise fail(self.where, f"{ls.field}.inbound_nodes[{done[i]}]: {labels[i]} never "
                                   f"gets its inputs ({clip('; '.join(chain), 600)}): the "
                                   f"inbound nodes form a cycle or a layer takes its own output")

    def _tensor(self, created, ref, field):
        name, node, index = ref
        outputs = created[name].inbound_nodes[node].outputs
        if index >= len(outputs):
            raise fail(self.where, f"{field} asks for output {index} of node {node} of layer "
                                   f"{name!r}, which has {len(outputs)} output"
                                   f"{'s' if len(outputs) != 1 else ''}")
        return outputs[index]

    def _apply(self, layer, ls, k, offset, refs, kwargs, created, label):
        field = f"{ls.field}.inbound_nodes[{k}]"
        inputs = [self._tensor(created, ref, f"{field}[{j}]") for j, ref in enumerate(refs)]
        kwargs = self._call_kwargs(layer, kwargs, field, label)
        try:
            layer.apply(inputs[0] if len(inputs) == 1 else inputs, kwargs)
        except Refused as e:
            raise fail(self.where, str(e)) from None
        except LoadError:
            raise
        except Exception as e:
            shapes = ", ".join("[" + ",".join("null" if d is None else str(d) for d in t.shape)
                               + "]" for t in inputs)
            raise fail(self.where, f"{label} cannot be applied to its inbound node {k} (input "
                                   f"shapes {clip(shapes, 300)}): {e}") from _cause(e)
        if len(layer.inbound_nodes) != k + offset + 1:
            raise fail(self.where, f"{label}: applying it to {field} made node "
                                   f"{len(layer.inbound_nodes) - 1}, not node {k + offset}")

    def _call_kwargs(self, layer, kwargs, field, label):
        """The node's keyword arguments for the call: those set to null mean "not
        given"; the others must be keywords the layer's call accepts, other than `mask`
        (the graph computes masks; a file can only hold a constant)."""
        from ..training import Model
        given = {k: v for k, v in kwargs.items() if v is not None}
        if not given:
            return {}
        if "mask" in given:
            raise fail(self.where, f"{field}[0][3] gives {label} a mask "
                                   f"({short(given['mask'], 60)}); masks come from the layers "
                                   f"that make them, not from the file")
        accepts_any = False
        if isinstance(layer, Model):
            accepted = ["training"]
        else:
            try:
                params = list(inspect.signature(layer.call).parameters.values())[1:]
            except (TypeError, ValueError):
                params = []
            accepts_any = any(p.kind is p.VAR_KEYWORD for p in params)
            accepted = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                             p.KEYWORD_ONLY)]
        bad = [k for k in given if k not in accepted]
        if bad and not accepts_any:
            raise fail(self.where, f"{field}[0][3] calls {label} with the keyword argument"
                                   f"{'s' if len(bad) > 1 else ''} {short(bad, 200)}; its call "
                                   f"accepts {accepted}")
        return given
