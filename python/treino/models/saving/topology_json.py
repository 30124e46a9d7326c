"""A model's topology as JSON, without weights: `model.to_json()` (TF.js's toJSON,
Keras's to_json) and `tn.models.model_from_json(...)` (TF.js's tf.models.modelFromJSON),
which builds the model it describes with freshly initialised weights, uncompiled.

The JSON is read as strictly as a model.json (model_config.py: bounded, every field
checked) and built by the loader's code (rebuild.py), so a bad topology raises the same
clear errors and leaves the process as it was. What it builds is what it declares, like
code constructing the layers would: sizes are not bounded by any weights file here.
"""
import json

from ...layers.base import Layer
from . import limits
from .loading import all_or_nothing
from .model_config import MODEL_CLASSES, read_topology
from .rebuild import Builder
from .safe_io import PREFIX, LoadError, parse_json
from .tfjs_format import model_topology

_WHERE = "argument 'json_or_dict'"


def to_json(model, return_string=True):
    """The model's topology {class_name, config, keras_version, backend} as a JSON
    string, or as a dict with return_string=False (TF.js's toJSON(unused, returnString))."""
    model._check_layers("to_json")
    topology = model_topology(model)
    return json.dumps(topology) if return_string else topology


def _custom_objects(custom_objects):
    if custom_objects is None:
        return {}
    if not isinstance(custom_objects, dict):
        raise TypeError(f"model_from_json: argument 'custom_objects' must be a dict "
                        f"{{class name: Layer subclass}}, received {type(custom_objects).__name__}")
    from ... import layers as layers_mod
    from ..training import Model
    for name, cls in custom_objects.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"model_from_json: the keys of 'custom_objects' must be class "
                            f"names (non-empty strings), received {name!r}")
        if not isinstance(cls, type) or not issubclass(cls, Layer) or issubclass(cls, Model):
            raise TypeError(f"model_from_json: custom_objects[{name!r}] must be a subclass of "
                            f"tn.layers.Layer (not a model), received {cls!r}")
        if name in layers_mod.CLASSES or name in MODEL_CLASSES:
            raise ValueError(f"model_from_json: custom_objects names {name!r}, which is "
                             f"treino's own class of that name; a custom class needs a name "
                             f"of its own")
    return dict(custom_objects)


def _topology(json_or_dict):
    """(topology, its field name) from a JSON string or a dict, as JSON values."""
    if isinstance(json_or_dict, (bytes, bytearray)):
        data = bytes(json_or_dict)
    elif isinstance(json_or_dict, str):
        data = json_or_dict.encode("utf-8", "surrogatepass")
    elif isinstance(json_or_dict, dict):
        # Through JSON text: a dict's tuples become lists and its other values are
        # refused here, as a file's would be.
        try:
            data = json.dumps(json_or_dict, allow_nan=False).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError, RecursionError) as e:
            raise ValueError(f"model_from_json: argument 'json_or_dict' must hold JSON values "
                             f"only (dicts, lists, strings, numbers, booleans, None): "
                             f"{e}") from None
    else:
        raise TypeError(f"model_from_json: argument 'json_or_dict' must be a JSON string or a "
                        f"dict, received {type(json_or_dict).__name__}")
    if len(data) > limits.MAX_JSON_BYTES:
        raise ValueError(f"model_from_json: argument 'json_or_dict' holds {len(data)} bytes of "
                         f"JSON; at most {limits.MAX_JSON_BYTES} are read "
                         f"(treino.models.saving.limits.MAX_JSON_BYTES)")
    value = parse_json(data, _WHERE, "the JSON")
    if isinstance(value, dict) and "model_topology" in value and "modelTopology" not in value:
        # TF.js's ModelJSON field, spelled snake_case (a ported {modelTopology: ...}).
        value = dict(value, modelTopology=value["model_topology"])
        value.pop("model_topology")
        if "weights_manifest" in value:
            value["weightsManifest"] = value.pop("weights_manifest")
    if isinstance(value, dict) and "modelTopology" in value:
        if value.get("weightsManifest") is not None:
            raise ValueError("model_from_json: argument 'json_or_dict' has a weightsManifest; "
                             "model_from_json builds the topology with fresh weights. Load the "
                             "model and its weights with tn.load_layers_model(path), or pass "
                             "only its 'modelTopology'")
        return value["modelTopology"], "modelTopology"
    return value, "topology"


def model_from_json(json_or_dict, custom_objects=None):
    """A model (Sequential or functional, uncompiled, freshly initialised weights) from
    its topology: a JSON string or dict as model.to_json() gives, a model.json's
    'modelTopology', or {'modelTopology': ...}. custom_objects: {class name: Layer
    subclass} for layer classes not registered with tn.serialization.register_class."""
    custom = _custom_objects(custom_objects)
    try:
        topology, field = _topology(json_or_dict)
        spec = read_topology(topology, _WHERE, field)
        with all_or_nothing(_WHERE):
            return Builder(_WHERE, None, custom).build(spec)
    except LoadError as e:
        # The checks are the loader's, and so is the start of their messages.
        message = str(e)
        if message.startswith(PREFIX):
            message = "model_from_json" + message[len(PREFIX):]
        raise LoadError(message) from e.__cause__


__all__ = ["model_from_json", "to_json"]
