"""The configuration surface shared by layers, initializers, regularizers, constraints and
optimizers: get_config() -> dict of constructor arguments, from_config(config) builds an
equal object, repr shows the config; and the argument checks every constructor runs
before it has any side effect.

Errors: a value of the wrong type is a TypeError, a value of the right type outside what
is valid a ValueError. Each message reads "{who}: argument '{arg}' must be {expected},
received {value!r}", `who` being the class (Dense, VarianceScaling, AdamOptimizer).

Integers: a bool is refused (True is an int to Python, but never a size or a count), and
so is every float, even a whole one. JavaScript has a single number type, so TF.js cannot
tell 784.0 from 784 and takes both, while it refuses 784.5 (a tensor shape must be
"comprised of positive integers", units "a positive integer"). Python can tell them apart,
and a float where a count belongs is nearly always a slip (n / 2); Keras 3 and treino's
own tensor creation (tn.zeros) refuse it as well. Saved models are unaffected: TF.js
writes whole numbers as JSON integers (JSON.stringify(784.0) is "784"), and so does Keras.
"""
import math
import numbers

import numpy as np


class Configurable:
    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**check_config(cls, config))

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


# -- argument checks -----------------------------------------------------------------------

def type_error(who, arg, expected, value, item=None):
    """The TypeError for `value`; `item` is the element of a list that has the wrong
    type, named in the message (for [784.5], "784.5 is of type float")."""
    what = (f"of type {type(value).__name__}" if item is None else
            f"{item!r} is of type {type(item).__name__}")
    return TypeError(f"{who}: argument '{arg}' must be {expected}, received {value!r} ({what})")


def value_error(who, arg, expected, value):
    return ValueError(f"{who}: argument '{arg}' must be {expected}, received {value!r}")


def is_int(value):
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and \
        not isinstance(value, (bool, np.bool_))


def check_bool(value, who, arg):
    """True or False (numpy's bool too). Nothing else: bool('false') is True."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise type_error(who, arg, "True or False", value)


def _int_expected(minimum, allow_none):
    word = {None: "an int", 0: "an int >= 0", 1: "a positive int"}.get(
        minimum, f"an int >= {minimum}")
    return word + (" or None" if allow_none else "")


def check_int(value, who, arg, minimum=None, allow_none=False):
    """A Python or numpy int (never a bool or a float) >= minimum, as an int."""
    if value is None and allow_none:
        return None
    expected = _int_expected(minimum, allow_none)
    if not is_int(value):
        raise type_error(who, arg, expected, value)
    if minimum is not None and value < minimum:
        raise value_error(who, arg, expected, value)
    return int(value)


def _bounds(low, high, low_open, high_open):
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""


def check_number(value, who, arg, low=None, high=None, low_open=False, high_open=False,
                 allow_none=False):
    """A finite real number (an int or a float, never a bool) within the bounds, as a
    float; NaN and infinities are refused."""
    if value is None and allow_none:
        return None
    expected = "a finite number" + _bounds(low, high, low_open, high_open)
    if allow_none:
        expected += " or None"
    if not is_number(value):
        raise type_error(who, arg, expected, value)
    try:
        v = float(value)
    except OverflowError:  # an int too big for a float
        raise value_error(who, arg, expected, value) from None
    if not math.isfinite(v) or (low is not None and (v < low or (low_open and v == low))) or \
            (high is not None and (v > high or (high_open and v == high))):
        raise value_error(who, arg, expected, value)
    return v


def check_name(value, who, arg="name"):
    if not isinstance(value, str):
        raise type_error(who, arg, "a non-empty string", value)
    if not value:
        raise value_error(who, arg, "a non-empty string", value)
    return value


def check_choice(value, table, who, arg):
    """table[canon(value)]: a string option in either spelling ('fan_in', 'fanIn')."""
    expected = f"one of {list(table.values())} (camelCase or snake_case)"
    if not isinstance(value, str):
        raise type_error(who, arg, expected, value)
    key = canon(value)
    if key not in table:
        raise value_error(who, arg, expected, value)
    return table[key]


def check_dims(value, who, arg, minimum=0, free=True, empty=True):
    """A shape: a list or tuple of ints >= minimum, with None for a free dimension when
    `free`; not empty unless `empty`. Returned as a tuple."""
    expected = (f"a {'' if empty else 'non-empty '}list of ints >= {minimum}"
                f"{' (None for a free dimension)' if free else ''}")
    if not isinstance(value, (list, tuple)):
        raise type_error(who, arg, expected, value)
    for d in value:
        if d is None and free:
            continue
        if not is_int(d):  # floats too, even whole ones: see the module's docstring
            raise type_error(who, arg, expected, value, item=d)
        if d < minimum:
            raise value_error(who, arg, expected, value)
    if not value and not empty:
        raise value_error(who, arg, expected, value)
    return tuple(None if d is None else int(d) for d in value)


def check_axes(value, who, arg="axis"):
    """An int, or a non-empty list of distinct ints (negative ones count from the end).
    Returns an int for an int, else a list."""
    expected = "an int or a non-empty list of distinct ints"
    if is_int(value):
        return int(value)
    if not isinstance(value, (list, tuple)):
        raise type_error(who, arg, expected, value)
    for a in value:
        if not is_int(a):
            raise type_error(who, arg, expected, value, item=a)
    if not value or len(set(int(a) for a in value)) != len(value):
        raise value_error(who, arg, expected, value)
    return [int(a) for a in value]


# -- configs -------------------------------------------------------------------------------

def accepted_arguments(cls):
    """(names, required): the keyword arguments cls(...) accepts, following a catch-all
    (`**kwargs`, or any other name a user's class gives it: `**options`) up the base
    classes (a layer hands it to Layer.__init__); treino's own `**unknown` (Layer's) only
    collects arguments to refuse."""
    import inspect  # costs a few ms: only the error paths and from_config need it
    names, required, first = [], [], True
    for klass in cls.__mro__:
        if klass is object or "__init__" not in vars(klass):
            continue
        more = False
        for p in list(inspect.signature(klass.__init__).parameters.values())[1:]:
            if p.kind is p.VAR_KEYWORD:
                more = p.name != "unknown"
            elif p.kind is not p.VAR_POSITIONAL and p.name not in names:
                names.append(p.name)
                if first and p.default is p.empty:
                    required.append(p.name)
        first = False
        if not more:
            break
    return names, required


def unknown_arguments(cls, unknown):
    names, _ = accepted_arguments(cls)
    listed = ", ".join(repr(k) for k in unknown)
    return TypeError(f"{cls.__name__}: unknown argument{'s' if len(unknown) > 1 else ''} "
                     f"{listed}; accepted arguments: {', '.join(names)}")


def check_config(cls, config, extra=()):
    """config, checked to be a dict of arguments cls accepts (plus `extra` keys that the
    caller handles itself) holding every required one; the errors name the class and
    the key, not Python's generic __init__ ones."""
    if not isinstance(config, dict):
        raise TypeError(f"{cls.__name__}.from_config: the config must be a dict, received "
                        f"{type(config).__name__}")
    bad = [k for k in config if not isinstance(k, str)]
    if bad:
        raise TypeError(f"{cls.__name__}.from_config: config keys must be strings, received "
                        f"{bad[0]!r}")
    names, required = accepted_arguments(cls)
    unknown = [k for k in config if k not in names and k not in extra]
    if unknown:
        raise unknown_arguments(cls, unknown)
    missing = [k for k in required if k not in config]
    if missing:
        raise TypeError(f"{cls.__name__}.from_config: the config lacks the required "
                        f"argument{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(repr(k) for k in missing)}")
    return config


def split_config_dict(identifier, kind):
    """(class name, config with snake_case keys) from {'class_name': ..., 'config': {...}}
    ('className' as TF.js spells it in memory). Both keys are required and nothing else
    may be there, as TF.js's deserializeKerasObject requires ('className' and 'config'
    must be set)."""
    name_keys = [k for k in ("class_name", "className") if k in identifier]
    unknown = [k for k in identifier if k not in ("class_name", "className", "config")]
    if len(name_keys) != 1 or "config" not in identifier or unknown:
        raise ValueError(f"{kind}: a config dict must hold exactly 'class_name' (or "
                         f"'className') and 'config', received {identifier!r}")
    name, config = identifier[name_keys[0]], identifier["config"]
    if not isinstance(name, str):
        raise TypeError(f"{kind}: 'class_name' must be a string, received {name!r}")
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        raise TypeError(f"{kind}: 'config' must be a dict with string keys, received "
                        f"{config!r}")
    return name, {to_snake(k): v for k, v in config.items()}


def from_config_dict(identifier, by_canon, where, valid):
    """An object from a {'class_name': ..., 'config': {...}} dict (camelCase keys
    accepted). by_canon maps canon(class name) -> class; errors start with `where` (the
    kind of object, or the layer argument being read) and list `valid`."""
    name, config = split_config_dict(identifier, where)
    cls = by_canon.get(canon(name))
    if cls is None:
        raise ValueError(f"{where}: unknown class_name {name!r}; valid: {valid}")
    try:
        return cls.from_config(config)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{where}: {e}") from None


def _snake_key(name):
    """inputShape -> input_shape (the rule docs/api_coverage.md states)."""
    import re
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower()


def camel_hint(fn):
    """Wraps a public function so that a TypeError from its arguments, when the call used
    TF.js's camelCase keywords (inputShape=, batchSize=), says the snake_case names to use
    instead. Calls that succeed are unchanged."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            camel = [k for k in kwargs if k[:1].islower() and _snake_key(k) != k]
            if not camel or "snake_case" in str(e):
                raise
            hints = ", ".join(f"{_snake_key(k)}= for {k}=" for k in camel)
            raise TypeError(f"{e} (treino's keyword arguments are snake_case: {hints})") \
                from None
    return wrapper


def user_stacklevel():
    """The stacklevel for warnings.warn, called directly by the function that warns, that
    points at the first frame outside treino (the user's call), however many of treino's
    own frames (wrappers, loops) lie between."""
    import os
    import sys
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(2), 2  # the warning function's caller is level 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level
