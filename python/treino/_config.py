"""The serialisation surface shared by initializers, regularizers, constraints and
optimizers: get_config() -> dict of constructor arguments, from_config(config) builds an
equal object, and repr shows the config."""


class Configurable:
    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def canon(identifier):
    """The spelling-free form of an id: 'hardSigmoid', 'hard_sigmoid' and 'HardSigmoid'
    all become 'hardsigmoid', so both TF.js and Python spellings resolve alike."""
    return identifier.replace("_", "").lower()


def to_snake(name):
    """'fanAvg' -> 'fan_avg' (TF.js's toSnakeCase for model.json keys and values)."""
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name)


def from_config_dict(identifier, by_canon, kind, valid):
    """An object from a {'class_name': ..., 'config': {...}} dict (camelCase keys
    accepted). by_canon maps canon(class name) -> class; errors name `kind` and list
    `valid`."""
    name = identifier.get("class_name", identifier.get("className"))
    if not isinstance(name, str):
        raise ValueError(f"{kind}: a config dict needs a 'class_name' key, received {identifier!r}")
    cls = by_canon.get(canon(name))
    if cls is None:
        raise ValueError(f"{kind}: unknown class_name {name!r}; valid: {valid}")
    config = {to_snake(k): v for k, v in (identifier.get("config") or {}).items()}
    try:
        return cls.from_config(config)
    except TypeError as e:
        raise ValueError(f"{kind}: bad config for {name}: {config!r} ({e})") from None
