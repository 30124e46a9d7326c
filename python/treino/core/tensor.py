"""Tensor and Variable: immutable numpy-backed arrays with TF.js's surface.

A Tensor owns a C-contiguous numpy array (`_data`) of dtype float32, int32, bool or
complex64 (TF.js's complex tensors, made by the complex ops: ops/complex.py) that nothing
else writes to. Ops (ops.py) read `_data` and wrap new arrays; the autodiff tape
(autodiff.py) keeps references to the tensors it records, so a Tensor needs no graph
fields of its own. A Variable is the one mutable kind: `assign` replaces its values and
optimizers update its buffer in place.
"""
import contextvars
import itertools
import weakref

import numpy as np

from .dtypes import NP, check_dtype, to_array
from .format import tensor_to_string


class Tensor:
    __slots__ = ("_data", "_disposed", "__weakref__")

    def __init__(self, data):
        # Internal: `data` is already a C-contiguous array of a treino dtype.
        self._data = data

    # -- facts -------------------------------------------------------------------------
    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        d = self._data.dtype
        return ("float32" if d == np.float32 else "int32" if d == np.int32 else
                "bool" if d == np.bool_ else "complex64")

    @property
    def rank(self):
        return self._data.ndim

    ndim = rank

    @property
    def size(self):
        return self._data.size

    def __len__(self):
        if not self._data.ndim:
            raise TypeError("len() of a rank-0 tensor")
        return self._data.shape[0]

    # -- reading values ----------------------------------------------------------------
    # Every method handing values to Python counts in value_reads: the engine traces a
    # user's loss op by op only if it read no values (its Python could branch on them).
    def numpy(self):
        """A copy of the values as a numpy array (np.complex64 for a complex64 tensor)."""
        value_reads[0] += 1
        return self._data.copy()

    def data(self):
        """The values as a flat numpy array (a copy), like TF.js's dataSync(): for a
        complex64 tensor, float32 real and imaginary parts interleaved (2 * size values)."""
        value_reads[0] += 1
        flat = self._data.ravel()
        return (flat.view(np.float32) if flat.dtype == np.complex64 else flat).copy()

    data_sync = data

    def array(self):
        """The values as nested Python lists (a scalar for rank 0), like TF.js's arraySync().
        As TF.js, a complex64 tensor's innermost lists interleave real and imaginary parts
        ([[re, im, re, im], ...]) and a complex64 scalar gives its real part; numpy() and
        item() give Python's complex numbers."""
        value_reads[0] += 1
        d = self._data
        if d.dtype == np.complex64:
            return float(d.real) if d.ndim == 0 else d.view(np.float32).tolist()
        return d.tolist()

    array_sync = array

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with exactly one element, received shape "
                             f"{list(self.shape)}")
        value_reads[0] += 1
        return self._data.item()

    def __array__(self, dtype=None, copy=None):
        # A read-only view (the tensor stays immutable and np.asarray(t) costs nothing),
        # or a writeable copy when numpy asks for one (np.array(t), copy=True).
        value_reads[0] += 1
        if copy:
            return self._data.copy() if dtype is None else self._data.astype(dtype)
        view = self._data.view()
        view.flags.writeable = False
        return view if dtype is None else view.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise ValueError("the truth value of a tensor with more than one element is "
                             "ambiguous; use .any() / .all() or compare with tn.equal")
        value_reads[0] += 1
        return bool(self._data.item())

    def __index__(self):
        if self.dtype in ("float32", "complex64"):
            raise TypeError("only int32 and bool scalar tensors can be used as an index")
        return int(self.item())

    # -- printing ----------------------------------------------------------------------
    def to_string(self, verbose=False):
        value_reads[0] += 1
        return tensor_to_string(self._data, self.dtype, verbose)

    def print(self, verbose=False):
        """Prints like TF.js: 'Tensor' then the values (dtype, rank and shape too when
        verbose)."""
        print(self.to_string(verbose))

    def __str__(self):
        return self.to_string()

    def __repr__(self):
        value_reads[0] += 1
        body = np.array2string(self._data, separator=", ", threshold=40, edgeitems=3,
                               prefix="       ")
        return f"<Tensor shape={list(self.shape)} dtype={self.dtype}\n       {body}>"

    # TF.js memory management is Python's job here: these exist so ported code runs.
    def dispose(self):
        """Marks the tensor disposed (is_disposed), as TF.js; its memory is Python's to
        free when the last reference goes, and it stays readable."""
        self._disposed = True

    @property
    def is_disposed(self):
        """True once dispose() was called (TF.js's isDisposed)."""
        return getattr(self, "_disposed", False)

    def variable(self, trainable=True, name=None, dtype=None):
        """A Variable holding a copy of this tensor (TF.js's tensor.variable())."""
        return Variable(self, trainable=trainable, name=name, dtype=dtype)

    def bytes(self):
        """The values' bytes, as a uint8 array (a copy; TF.js's bytes())."""
        value_reads[0] += 1
        return np.frombuffer(self._data.tobytes(), np.uint8).copy()

    # clone() is TF.js's differentiable identity op, attached with the other ops
    # (ops/shape_extra.py).

    # -- TF.js's conversion helpers (ops, so they are differentiable where a cast is) ---
    def to_float(self):
        from .ops import cast
        return cast(self, "float32")

    def to_int(self):
        from .ops import cast
        return cast(self, "int32")

    def to_bool(self):
        from .ops import cast
        return cast(self, "bool")

    def as_scalar(self):
        """The single value as a rank-0 tensor."""
        if self._data.size != 1:
            raise ValueError(f"as_scalar: the tensor must have exactly one value, received "
                             f"shape {list(self.shape)}")
        from .ops import reshape
        return reshape(self, [])

    def as1d(self):
        from .ops import reshape
        return reshape(self, [-1])

    def as2d(self, rows, columns):
        from .ops import reshape
        return reshape(self, [rows, columns])

    def as3d(self, rows, columns, depth):
        from .ops import reshape
        return reshape(self, [rows, columns, depth])

    def as4d(self, rows, columns, depth, depth2):
        from .ops import reshape
        return reshape(self, [rows, columns, depth, depth2])

    def as5d(self, rows, columns, depth, depth2, depth3):
        from .ops import reshape
        return reshape(self, [rows, columns, depth, depth2, depth3])

    def buffer_sync(self):
        """A TensorBuffer holding a copy of the values (TF.js's bufferSync())."""
        from .buffer import TensorBuffer
        value_reads[0] += 1
        return TensorBuffer(self.shape, self.dtype, self._data)

    buffer = buffer_sync  # TF.js's buffer() is its async twin

    __hash__ = object.__hash__


# Bumped whenever something a captured training step depends on changes outside the
# step: a Variable's or a layer weight's trainable flag, regularizer or constraint, a
# layer's public attribute (engine.py's programs are keyed by it).
# How many times a tensor's values were handed to Python (numpy(), item(), print, ...).
value_reads = [0]

_state_version = [0]


def state_version():
    return _state_version[0]


# True while a model's step runs (captured, replayed or eager): attributes a step sets
# itself (a user layer's counter, a layer built on its first call) are not a change of
# configuration, and bumping there would make every step a new capture.
in_step = contextvars.ContextVar("treino_in_step", default=False)


def bump_state_version(always=False):
    """A change of configuration: captured steps record again. Ignored while a step runs
    unless `always` (a weight created mid-step: the next step must record it)."""
    if always or not in_step.get():
        _state_version[0] += 1


_variable_ids = itertools.count(1)
# Live variables by name (names are unique per process while the variable lives).
variables_by_name = weakref.WeakValueDictionary()


class Variable(Tensor):
    """A mutable tensor: `assign(value)` replaces the values (same shape and dtype);
    optimizers update it in place. Names are unique per process."""
    __slots__ = ("name", "trainable")

    def __init__(self, initial_value, trainable=True, name=None, dtype=None):
        src = initial_value._data if isinstance(initial_value, Tensor) else initial_value
        if getattr(src, "dtype", None) == np.complex64:
            raise TypeError("variable: argument 'initial_value' is a complex64 tensor; "
                            "variables hold float32, int32 or bool values (keep the real "
                            "and imaginary parts in two variables and join them with "
                            "tn.complex)")
        data = to_array(src, dtype, "variable", "initial_value")
        if isinstance(src, np.ndarray) and np.may_share_memory(data, src):
            data = data.copy()  # the variable owns its buffer: never alias the caller's
        super().__init__(data)
        if name is None:
            name = str(next(_variable_ids))
            while name in variables_by_name:
                name = str(next(_variable_ids))
        elif not isinstance(name, str) or not name:
            raise TypeError(f"variable: argument 'name' must be a non-empty string, received {name!r}")
        elif name in variables_by_name:
            raise ValueError(f"variable: a variable named {name!r} already exists; variable "
                             f"names are unique per process")
        self.name = name
        variables_by_name[name] = self
        self.trainable = bool(trainable)

    def assign(self, value):
        """Replaces the values with `value` (same shape and dtype). Returns self."""
        if isinstance(value, Tensor):
            new = value._data
        else:
            new = to_array(value, self.dtype, "assign", "value")
        if new.shape != self._data.shape:
            raise ValueError(f"assign: variable {self.name!r} has shape {list(self.shape)}, "
                             f"received a value of shape {list(new.shape)}")
        if new.dtype != self._data.dtype:
            raise ValueError(f"assign: variable {self.name!r} has dtype {self.dtype}, received "
                             f"a value of dtype {Tensor(new).dtype}")
        # Copy into the existing buffer: optimizers and saved references keep seeing it.
        np.copyto(self._data, new)
        self._on_assign(self, new)
        return self

    @staticmethod
    def _on_assign(variable, value):
        """Set by autodiff: tells the engine's recorder (when one runs) of the write."""

    def __array__(self, dtype=None, copy=None):
        value_reads[0] += 1
        return self._data.copy() if dtype is None else self._data.astype(dtype)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if name == "trainable":
            bump_state_version()

    def __repr__(self):
        return super().__repr__().replace("<Tensor", f"<Variable name={self.name!r}", 1)

    def dispose(self):
        self._disposed = True
        if variables_by_name.get(self.name) is self:
            del variables_by_name[self.name]

    __hash__ = object.__hash__


def variable(initial_value, trainable=True, name=None, dtype=None):
    """tn.variable(...): a Variable holding a copy of `initial_value`."""
    return Variable(initial_value, trainable=trainable, name=name, dtype=dtype)


def wrap(arr):
    """Internal: a Tensor over `arr` (must be C-contiguous, of a treino dtype)."""
    return Tensor(arr)


def as_tensor(x, fn, arg, dtype=None):
    """Tensors pass through; numbers, lists and numpy arrays become tensors."""
    if isinstance(x, Tensor):
        return x
    return Tensor(to_array(x, dtype, fn, arg))


def data_of(x, fn, arg):
    return x._data if isinstance(x, Tensor) else to_array(x, None, fn, arg)


NP_DTYPES = NP
__all__ = ["Tensor", "Variable", "variable", "check_dtype"]
