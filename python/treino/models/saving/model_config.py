"""A model's topology (model.json's modelTopology, or a to_json string) read into plain,
checked specs before any layer exists.

A Sequential topology is a list of layer configs. A functional one (class 'Model', as
TF.js writes it, or 'Functional', as Keras 2 does) also gives each layer a name and its
inbound nodes: one per application of the layer, listing each input as
[layer name, node index, tensor index, kwargs]; `input_layers` and `output_layers`
point at tensors the same way. A layer's config may itself be a model (a nested
Sequential or functional model), at most limits.MAX_MODEL_DEPTH levels deep.

Everything a topology declares about itself is checked here: field types, unique layer
names, each reference naming a layer of the same model and a node that layer's config
declares. What needs built layers (the number of a node's outputs, the keywords a
layer's call accepts, nodes that wait on each other) is rebuild.py's to check.
"""
from . import limits
from .safe_io import clip, fail, short
from .tfjs_format import snake_config

MODEL_CLASSES = ("Sequential", "Model", "Functional")
_REF = "[layer name, node index, tensor index, kwargs]"


class LayerSpec:
    """One layer of a topology: `class_name`; `config` (snake_case keys) for a layer or
    `model` (a ModelSpec) for a nested model; in a functional topology its `name` and
    `nodes`, [(refs, kwargs)] with refs [(layer name, node index, tensor index)];
    `field`: where it is in the file."""
    __slots__ = ("class_name", "config", "model", "name", "nodes", "field")

    def __init__(self, class_name, config, model, field):
        self.class_name, self.config, self.model, self.field = class_name, config, model, field
        self.name, self.nodes = None, []


class ModelSpec:
    """A model: `kind` ('Sequential' or 'Model'), `name` (None for a default one),
    `layers` [LayerSpec], `inputs` and `outputs` [(layer name, node index, tensor
    index)] (functional only), `field`."""
    __slots__ = ("kind", "name", "layers", "inputs", "outputs", "field")

    def __init__(self, kind, name, layers, field, inputs=None, outputs=None):
        self.kind, self.name, self.layers, self.field = kind, name, layers, field
        self.inputs, self.outputs = inputs, outputs


class _Budget:
    """Counts layers and nodes over a whole topology, nested models included."""

    def __init__(self, where):
        self.where = where
        self.layers = self.nodes = self.refs = 0

    def add_layers(self, n):
        self.layers += n
        if n > limits.MAX_LAYERS:
            raise fail(self.where, f"the model has {n} layers; a loader builds at most "
                                   f"{limits.MAX_LAYERS}")
        if self.layers > limits.MAX_LAYERS:
            raise fail(self.where, f"the model and the models nested in it have more than "
                                   f"{limits.MAX_LAYERS} layers; a loader builds at most "
                                   f"{limits.MAX_LAYERS}")

    def add_node(self, n_refs):
        self.nodes += 1
        self.refs += n_refs
        if self.nodes > limits.MAX_NODES or self.refs > limits.MAX_NODES:
            raise fail(self.where, f"the topology has more than {limits.MAX_NODES} inbound "
                                   f"nodes or node inputs; a loader rebuilds at most "
                                   f"{limits.MAX_NODES} of each")


def read_topology(topo, where, field="modelTopology"):
    """The ModelSpec of a topology {'class_name': ..., 'config': ...} (or of a Keras
    model_config wrapper around one)."""
    if isinstance(topo, dict) and "model_config" in topo:
        topo, field = topo["model_config"], f"{field}.model_config"
    cls = topo.get("class_name") if isinstance(topo, dict) else None
    if cls not in MODEL_CLASSES:
        raise fail(where, f"'{field}' holds a {short(cls)} model; treino loads Sequential "
                          f"and functional ('Model', 'Functional') models")
    return _model(cls, topo.get("config"), where, f"{field}.config", 0, _Budget(where))


def _model(cls, config, where, field, depth, budget):
    if depth > limits.MAX_MODEL_DEPTH:
        raise fail(where, f"{field} is a model nested {depth} models deep; a loader reads "
                          f"at most {limits.MAX_MODEL_DEPTH} levels of models in models")
    if cls != "Sequential" and not isinstance(config, dict):
        raise fail(where, f"'{field}' must be an object {{'name', 'layers', 'input_layers', "
                          f"'output_layers'}}, received {short(config)}")
    # A Sequential's config may also be its list of layers (older TF.js and Keras).
    layers = config.get("layers") if isinstance(config, dict) else config
    if not isinstance(layers, list) or not layers:
        raise fail(where, f"'{field}.layers' must be a non-empty list of layers")
    budget.add_layers(len(layers))
    name = config.get("name") if isinstance(config, dict) else None
    if name is not None and (not isinstance(name, str) or not name):
        raise fail(where, f"{field}.name must be a non-empty string, received {short(name)}")
    if cls == "Sequential":
        specs = []
        for i, entry in enumerate(layers):
            f = f"{field}.layers[{i}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) or \
                    not isinstance(entry.get("config"), dict):
                raise fail(where, f"{f} must be {{'class_name': '...', 'config': {{...}}}}, "
                                  f"received {short(entry)}")
            specs.append(_layer(entry, where, f, depth, budget))
        return ModelSpec("Sequential", name, specs, field)
    return _functional(config, layers, name, where, field, depth, budget)


def _layer(entry, where, field, depth, budget):
    cls = entry["class_name"]
    if cls in MODEL_CLASSES:
        return LayerSpec(cls, None, _model(cls, entry["config"], where, f"{field}.config",
                                           depth + 1, budget), field)
    return LayerSpec(cls, snake_config(entry["config"], where, f"{field}.config"), None, field)


def _functional(config, layers, name, where, field, depth, budget):
    specs, index = [], {}
    for i, entry in enumerate(layers):
        f = f"{field}.layers[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) or \
                not isinstance(entry.get("config"), dict) or \
                not isinstance(entry.get("name"), str) or not entry["name"] or \
                not isinstance(entry.get("inbound_nodes"), list):
            raise fail(where, f"{f} must be {{'name': '...', 'class_name': '...', 'config': "
                              f"{{...}}, 'inbound_nodes': [...]}}, received {short(entry)}")
        layer_name = entry["name"]
        if layer_name in index:
            raise fail(where, f"{f}.name {short(layer_name)} is also the name of "
                              f"{field}.layers[{index[layer_name]}]; layer names must be "
                              f"unique in a model")
        index[layer_name] = i
        given = entry["config"].get("name")
        if given is not None and given != layer_name:
            raise fail(where, f"{f}.config.name is {short(given)} but the layer is named "
                              f"{short(layer_name)}")
        spec = _layer(entry, where, f, depth, budget)
        spec.name = layer_name
        # A config without a name gets the layer's, which the references use.
        if spec.model is not None:
            spec.model.name = layer_name
        else:
            spec.config["name"] = layer_name
        spec.nodes = [_node(n, where, f"{f}.inbound_nodes[{k}]", budget)
                      for k, n in enumerate(entry["inbound_nodes"])]
        if spec.class_name == "InputLayer" and spec.nodes:
            raise fail(where, f"{f}.inbound_nodes must be empty: an input layer takes no "
                              f"inputs from other layers (received {len(spec.nodes)} nodes)")
        specs.append(spec)
    for spec in specs:
        for k, (refs, _) in enumerate(spec.nodes):
            for j, ref in enumerate(refs):
                _check_target(ref, specs, index, where, f"{spec.field}.inbound_nodes[{k}][{j}]")
    ends = []
    for key in ("input_layers", "output_layers"):
        refs = config.get(key)
        f = f"{field}.{key}"
        if not isinstance(refs, list) or not refs:
            raise fail(where, f"'{f}' must be a non-empty list of [layer name, node index, "
                              f"tensor index], received {short(refs)}")
        budget.add_node(len(refs))
        checked = []
        for i, ref in enumerate(refs):
            if not isinstance(ref, list) or len(ref) != 3:
                raise fail(where, f"{f}[{i}] must be [layer name, node index, tensor index], "
                                  f"received {short(ref)}")
            checked.append(_check_target(_ref_fields(ref, where, f"{f}[{i}]"), specs, index,
                                         where, f"{f}[{i}]"))
        ends.append(checked)
    for i, (layer_name, _, _) in enumerate(ends[0]):
        if specs[index[layer_name]].class_name != "InputLayer":
            raise fail(where, f"{field}.input_layers[{i}] names layer {short(layer_name)}, a "
                              f"{specs[index[layer_name]].class_name}; a model's inputs are "
                              f"input layers")
    return ModelSpec("Model", name, specs, field, ends[0], ends[1])


def _node(node, where, field, budget):
    """(refs, kwargs) of one inbound node."""
    if isinstance(node, dict):
        raise fail(where, f"{field} is an object (Keras 3's {{'args', 'kwargs'}} form); "
                          f"treino reads TF.js's and Keras 2's form, a list of {_REF} inputs")
    if not isinstance(node, list) or not node:
        raise fail(where, f"{field} must be a non-empty list of {_REF} inputs, received "
                          f"{short(node)}")
    budget.add_node(len(node))
    refs, kwargs = [], None
    for j, ref in enumerate(node):
        f = f"{field}[{j}]"
        if not isinstance(ref, list) or len(ref) not in (3, 4):
            raise fail(where, f"{f} must be {_REF}, received {short(ref)}")
        kw = ref[3] if len(ref) == 4 and ref[3] is not None else {}
        if not isinstance(kw, dict):
            raise fail(where, f"{f}[3] (the call's keyword arguments) must be an object or "
                              f"null, received {short(kw)}")
        if j and kw != kwargs:
            raise fail(where, f"{f}[3] gives the keyword arguments {short(kw)} but "
                              f"{field}[0] gives {short(kwargs)}; the inputs of one call share "
                              f"its keyword arguments")
        kwargs = kw
        refs.append(_ref_fields(ref, where, f))
    return refs, kwargs


def _ref_fields(ref, where, field):
    name, node, tensor = ref[:3]
    if not isinstance(name, str) or not name:
        raise fail(where, f"{field}[0] (a layer name) must be a non-empty string, received "
                          f"{short(name)}")
    for k, what, value in ((1, "node index", node), (2, "tensor index", tensor)):
        if type(value) is not int or value < 0:
            raise fail(where, f"{field}[{k}] (a {what}) must be an int >= 0, received "
                              f"{short(value)}")
    return name, node, tensor


def _check_target(ref, specs, index, where, field):
    """ref, checked to name a layer of the model and a node its config declares."""
    name, node, _ = ref
    i = index.get(name)
    if i is None:
        raise fail(where, f"{field} names layer {short(name)}, which the model does not have "
                          f"(its layers: {clip(', '.join(s.name for s in specs), 300)})")
    target = specs[i]
    if target.class_name == "InputLayer":
        first, count, note = 0, 1, "an input layer has node 0 only"
    elif target.model is not None:
        first, count = 1, len(target.nodes)
        note = ("it is not called in this model" if count == 0 else
                "its call in this model is node 1" if count == 1 else
                f"its calls in this model are nodes 1 to {count}")
        note += "; node 0 of a nested model links its own inputs to its outputs"
    else:
        first, count = 0, len(target.nodes)
        note = f"its config declares {count} node{'s' if count != 1 else ''}"
    if not first <= node < first + count:
        raise fail(where, f"{field} refers to node {short(node)} of layer {short(name)}; "
                          f"{note}")
    return ref
