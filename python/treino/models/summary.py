"""model.summary(): TF.js's table, character for character (tfjs-layers printSummary for
sequential-like models: columns end at 32%, 61%, 89% and 100% of 90 characters)."""
import math

from ..layers.base import shape_str


def _row(fields, positions):
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line = (line + field)[:positions[i]]
        line += " " * (positions[i] - len(line))
    return line


def summary_lines(model, line_length=None, positions=None):
    line_length = line_length or 90
    positions = positions or [0.32, 0.61, 0.89, 1]
    if positions[-1] <= 1:
        positions = [math.floor(line_length * p) for p in positions]
    if len(positions) != 4:
        raise ValueError(f"summary: argument 'positions' must have 4 entries, received {positions}")
    out = ["_" * line_length,
           _row(["Layer (type)", "Input Shape", "Output shape", "Param #"], positions),
           "=" * line_length]
    layers = model.layers
    for i, layer in enumerate(layers):
        inp = "[" + shape_str(layer.input_shape) + "]" if layer.input_shape is not None else "multiple"
        outp = shape_str(layer.output_shape) if layer.output_shape is not None else "multiple"
        out.append(_row([f"{layer.name} ({layer.class_name})", inp, outp,
                         str(layer.count_params())], positions))
        out.append(("=" if i == len(layers) - 1 else "_") * line_length)
    trainable = sum(int(w.val.size) for w in model.trainable_weights)
    non_trainable = sum(int(w.val.size) for w in model.non_trainable_weights)
    out += [f"Total params: {trainable + non_trainable}", f"Trainable params: {trainable}",
            f"Non-trainable params: {non_trainable}", "_" * line_length]
    return out
