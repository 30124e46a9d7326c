"""tn.serialization: making a user's layer classes loadable (TF.js's tf.serialization).

A saved model names each layer's class (`class_name` in model.json) and a loader makes
the layer with `cls.from_config(config)`. treino's own layers are found by name in
tn.layers.CLASSES; a user's layer class is found once registered:

    class Scale(tn.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs, training=False):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    tn.serialization.register_class(Scale)      # or as a decorator: @register_class

The class is registered under its `class_name` class attribute when that is a string
(TF.js's static className), else under its __name__; the layer's saved config carries the
same name. get_config must return the constructor's arguments (Layer.from_config calls
cls(**config)), with snake_case keys, as TF.js writes them.

Loading a model runs the registered class's own code (constructor, build, call) on the
file's config: the loader's guarantees (docs/loading.md) hold for what that code
receives, so a registered class should check its arguments as treino's layers do, and
create its weights in build with add_weight (where the loader checks their sizes).
"""
_registry = {}

# Names a loader reads as models, not as layer classes.
_MODEL_NAMES = ("Sequential", "Model", "Functional")


def class_name_of(cls):
    """The name a class is saved and registered under: its `class_name` class attribute
    when that is a string, else its __name__ (a Layer's class_name property gives the
    same for its instances)."""
    name = getattr(cls, "class_name", None)
    return name if isinstance(name, str) else cls.__name__


def _qualified(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def register_class(cls):
    """Registers a Layer subclass so that saved models using it load (tn.load_layers_model,
    tn.models.model_from_json). Returns cls, so it also works as a decorator. Registering
    the same class again is a no-op, and so is registering a new definition of a class
    with the same module and qualified name (a re-run notebook cell)."""
    from .layers import CLASSES
    from .layers.base import Layer
    from .models.training import Model
    if not isinstance(cls, type) or not issubclass(cls, Layer):
        raise TypeError(f"register_class: argument 'cls' must be a subclass of "
                        f"tn.layers.Layer, received {cls!r}")
    if issubclass(cls, Model):
        raise TypeError(f"register_class: {_qualified(cls)} is a model; models are saved and "
                        f"loaded from their own config (Sequential or Model). Register the "
                        f"custom layers they contain")
    name = class_name_of(cls)
    if not name:
        raise ValueError(f"register_class: {_qualified(cls)}.class_name is an empty string; "
                         f"a registered class needs a non-empty name")
    if name in CLASSES:
        raise ValueError(f"register_class: {name!r} is the name of treino's built-in layer "
                         f"class {_qualified(CLASSES[name])}; give {_qualified(cls)} another "
                         f"name (a class attribute class_name = '...')")
    if name in _MODEL_NAMES:
        raise ValueError(f"register_class: {name!r} names a model in saved configs; give "
                         f"{_qualified(cls)} another name (a class attribute class_name = '...')")
    old = _registry.get(name)
    if old is not None and old is not cls and _qualified(old) != _qualified(cls):
        raise ValueError(f"register_class: the name {name!r} is already registered for "
                         f"{_qualified(old)}; give {_qualified(cls)} another name (a class "
                         f"attribute class_name = '...'; a subclass inherits its parent's)")
    _registry[name] = cls
    return cls


def registered_class(name):
    """The class registered under `name`, or None."""
    return _registry.get(name)


def registered_classes():
    """{name: class} of every registered class (a copy)."""
    return dict(_registry)


__all__ = ["register_class", "registered_class", "registered_classes", "class_name_of"]
