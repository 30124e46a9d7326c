"""model.summary(): TF.js's table, character for character (tfjs-layers printSummary).

A sequential-like model (one node per depth, one input per node, no layer used twice)
gets four columns ending at 32%, 61%, 89% and 100% of 90 characters; any other graph
gets a fifth, 'Receives inputs' (the calling layer, node and output index of each
input: `dense_Dense1[0][0]`), at 24%, 48%, 70%, 80% and 100% of 115 characters.
"""
import json
import math


def _row(fields, positions):
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line = (line + field)[:positions[i]]
        line += " " * (positions[i] - len(line))
    return line


def _json(shape):
    return json.dumps(shape, separators=(",", ":")).replace("None", "null")


def _shapes(shapes):
    return "[" + ",".join(_json(list(s)) for s in shapes) + "]"


def _sequential_like(model):
    graph = getattr(model, "_graph", None)
    if graph is None:
        return True
    by_depth = {}
    for node in graph.nodes + [t.node for t in model.inputs]:
        by_depth.setdefault(graph.depth.get(id(node), 0), []).append(node)
    for nodes in by_depth.values():
        if len(nodes) > 1 or len(nodes[0].inputs) > 1:
            return False
    for layer in model.layers:
        if sum(1 for n in layer.inbound_nodes if id(n) in graph.node_set) > 1:
            return False
    return True


def _fields(layer):
    nodes = layer.inbound_nodes
    try:
        inp = ",".join(_shapes(n.input_shapes) for n in nodes) if nodes else \
            _shapes([layer.input_shape]) if layer.input_shape is not None else "multiple"
    except AttributeError:
        inp = "multiple"
    try:
        out = layer.output_shape
        outp = "multiple" if out is None else _json(
            [list(s) for s in out] if out and isinstance(out[0], (list, tuple)) else list(out))
    except AttributeError:
        outp = "multiple"
    return [f"{layer.name} ({layer.class_name})", inp, outp, str(layer.count_params())]


def summary_lines(model, line_length=None, positions=None):
    sequential_like = _sequential_like(model)
    if sequential_like:
        line_length = line_length or 90
        positions = positions or [0.32, 0.61, 0.89, 1]
    else:
        line_length = line_length or 115
        positions = positions or [0.24, 0.48, 0.70, 0.80, 1]
    if positions[-1] <= 1:
        positions = [math.floor(line_length * p) for p in positions]
    want = 4 if sequential_like else 5
    if len(positions) != want:
        raise ValueError(f"summary: argument 'positions' must have {want} entries, received "
                         f"{positions}")
    header = ["Layer (type)", "Input Shape", "Output shape", "Param #"]
    if not sequential_like:
        header.append("Receives inputs")
    out = ["_" * line_length, _row(header, positions), "=" * line_length]
    layers = model.layers
    graph = getattr(model, "_graph", None)
    for i, layer in enumerate(layers):
        fields = _fields(layer)
        if sequential_like:
            out.append(_row(fields, positions))
        else:
            links = []
            for node in layer.inbound_nodes:
                if id(node) not in graph.node_set:
                    continue
                links += [f"{x.source_layer.name}[{x.node_index}][{x.tensor_index}]"
                          for x in node.inputs]
            out.append(_row(fields + [links[0] if links else ""], positions))
            out += [_row(["", "", "", "", link], positions) for link in links[1:]]
        out.append(("=" if i == len(layers) - 1 else "_") * line_length)
    trainable = sum(int(w.val.size) for w in model.trainable_weights)
    non_trainable = sum(int(w.val.size) for w in model.non_trainable_weights)
    out += [f"Total params: {trainable + non_trainable}", f"Trainable params: {trainable}",
            f"Non-trainable params: {non_trainable}", "_" * line_length]
    return out
