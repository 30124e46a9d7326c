"""Layer: the contract every layer follows (Keras 3 style, TF.js names).

`__init__` stores the config, `build(input_shape)` creates the weights with
`add_weight`, `call(inputs, training=False)` is the math in core ops (so it is
differentiable), `compute_output_shape` gives the output shape for the summary, and
`get_config` serialises. Default names follow TF.js: `dense_Dense1`, `dropout_Dropout1`,
with a counter per layer class and per process; weights are `dense_Dense1/kernel`.
"""
import itertools
import re
import weakref
from collections import defaultdict

import numpy as np

from .._config import (check_bool, check_config, check_dims, check_int, check_name,
                       is_int, type_error, unknown_arguments, value_error)
from ..core.dtypes import DTYPES, NP
from ..core.ops._result import result_type
from ..core.tensor import Tensor, Variable, bump_state_version, variables_by_name
from .topology import apply_symbolic, check_all_or_none_symbolic

_counters = defaultdict(lambda: itertools.count(1))


def _snake(name):
    """TF.js's toSnakeCase (generic_utils.ts): 'Conv2D' -> 'conv2d', 'MaxPooling2D' ->
    'max_pooling2d'; a name starting with '_' gets the prefix 'private'."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s if not s.startswith("_") else "private" + s


def shape_str(shape):
    """A shape as TF.js prints it (JSON): [null,32]."""
    return "[" + ",".join("null" if d is None else str(int(d)) for d in shape) + "]"


def default_name(class_name):
    """TF.js's generated layer name: 'dense_Dense1' for the first Dense of the process."""
    return f"{_snake(class_name)}_{class_name}{next(_counters[class_name])}"


def unique_variable_name(name):
    """name, or name_1, name_2... when a live variable already has it (TF.js does the
    same when two models share explicit layer names)."""
    if name not in variables_by_name:
        return name
    for i in itertools.count(1):
        if f"{name}_{i}" not in variables_by_name:
            return f"{name}_{i}"


def check_dtype(dtype, who, arg="dtype"):
    """A layer's dtype: one of treino's dtype names ('float32' when None). TF.js takes
    the name of any of its dtypes; complex64 and string do not exist in treino."""
    if dtype is None:
        return "float32"
    expected = f"one of {', '.join(map(repr, DTYPES))} or None"
    if not isinstance(dtype, str):
        raise type_error(who, arg, expected, dtype)
    if dtype not in DTYPES:
        raise value_error(who, arg, expected, dtype)
    return dtype


def layer_dtype(who, dtype, input_dtype):
    """The dtype that `dtype` and TF.js's legacy `input_dtype` give: input_dtype stands in
    for a missing dtype, as in TF.js; two different ones are refused (TF.js quietly
    takes dtype, which hides a mistake)."""
    if input_dtype is None:
        return check_dtype(dtype, who)
    input_dtype = check_dtype(input_dtype, who, "input_dtype")
    if dtype is not None and check_dtype(dtype, who) != input_dtype:
        raise ValueError(f"{who}: 'dtype' and 'input_dtype' (its legacy name) disagree: "
                         f"received dtype={dtype!r} and input_dtype={input_dtype!r}; give "
                         f"one of them")
    return input_dtype


def initial_weights(who, weights):
    """A layer's `weights` argument (TF.js's initial weight values, set when the layer
    is built): None, or a list of Tensors or arrays of numbers, copied now (a numpy
    array changed afterwards does not change them). Their count and shapes are checked
    against the layer's weights at build time, when these are known."""
    if weights is None:
        return None
    if isinstance(weights, (Tensor, np.ndarray)) or not isinstance(weights, (list, tuple)):
        raise TypeError(f"{who}: argument 'weights' must be a list of Tensors or arrays "
                        f"(the initial values of the layer's weights, in get_weights() "
                        f"order) or None, received {type(weights).__name__}")
    out = []
    for i, w in enumerate(weights):
        try:
            a = np.array(w._data if isinstance(w, Tensor) else w)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{who}: argument 'weights': item {i} is not an array of "
                            f"numbers ({e})") from None
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{who}: argument 'weights': item {i} must be a Tensor or array "
                            f"of numbers, received dtype {a.dtype}")
        out.append(a)
    return out


def batch_input_shape_of(who, input_shape=None, batch_input_shape=None, batch_size=None,
                         input_dim=None):
    """The batch input shape (None for a free dimension) that the shape arguments give,
    or None when none is given. One of input_shape, input_dim and batch_input_shape at
    most, and batch_size only beside input_shape or input_dim: TF.js and Keras quietly
    let batch_input_shape win, which hides a mistake. Dimensions may be 0 (TF.js and
    Keras accept empty tensors), never negative."""
    given = [a for a, v in (("input_shape", input_shape), ("input_dim", input_dim),
                            ("batch_input_shape", batch_input_shape)) if v is not None]
    if len(given) > 1:
        raise ValueError(f"{who}: give one of 'input_shape', 'input_dim' and "
                         f"'batch_input_shape', not several (received {' and '.join(given)})")
    batch_size = check_int(batch_size, who, "batch_size", minimum=1, allow_none=True)
    if batch_input_shape is not None:
        if batch_size is not None:
            raise ValueError(f"{who}: 'batch_size' cannot be combined with "
                             f"'batch_input_shape' (it already holds the batch size)")
        return check_dims(batch_input_shape, who, "batch_input_shape", empty=False)
    if batch_size is not None and not given:
        raise ValueError(f"{who}: 'batch_size' needs 'input_shape' or 'input_dim' (the "
                         f"shape it is the batch size of), received batch_size={batch_size}")
    if input_dim is not None:
        return (batch_size, check_int(input_dim, who, "input_dim", minimum=0))
    if input_shape is not None:
        if is_int(input_shape):  # one int is a one-axis shape, as TF.js's concat makes it
            input_shape = [input_shape]
        return (batch_size,) + check_dims(input_shape, who, "input_shape")
    return None


def weight_values(layer_variables):
    """get_weights' result: a Tensor copy of each weight's values."""
    return [Tensor(w.val._data.copy()) for w in layer_variables]


def assign_all(layer_variables, weights, fn):
    """Assigns arrays to LayerVariables after checking all of them (count, shape,
    numeric type), so a bad list changes nothing."""
    try:
        if isinstance(weights, (Tensor, np.ndarray, str, dict)):
            raise TypeError  # iterable, but one value (a dict's order is not the weights')
        weights = list(weights)
    except TypeError:
        raise TypeError(f"{fn} expects a list of Tensors or arrays, received "
                        f"{type(weights).__name__}") from None
    if len(weights) != len(layer_variables):
        raise ValueError(f"{fn}: there are {len(layer_variables)} weights, received "
                         f"{len(weights)} arrays")
    arrays = []
    for w, v in zip(layer_variables, weights):
        a = np.asarray(v._data if isinstance(v, Tensor) else v)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{fn}: weight {w.name} needs numbers, received dtype {a.dtype}")
        if a.shape != w.shape:
            raise ValueError(f"{fn}: weight {w.name} has shape {list(w.shape)}, received "
                             f"{list(a.shape)}")
        arrays.append(a.astype(NP[w.dtype]))
    for w, a in zip(layer_variables, arrays):
        w.val.assign(a)


class LayerVariable:
    """A layer's weight as model.weights lists it: `.name` ('dense_Dense1/kernel'),
    `.shape`, `.dtype`, `.trainable` and `.val` (the Variable holding the values), plus
    the regularizer and constraint that apply to it."""
    __slots__ = ("name", "val", "regularizer", "constraint", "_trainable", "_layer",
                 "created_trainable", "__weakref__")

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        bump_state_version()  # trainable, regularizer, constraint: see Layer.__setattr__

    def __init__(self, name, val, trainable, regularizer=None, constraint=None, layer=None):
        self.name = name
        self.val = val
        self._trainable = trainable
        self.created_trainable = trainable  # a model's trainable flag reaches it (TF.js)
        self.regularizer = regularizer
        self.constraint = constraint
        self._layer = None if layer is None else weakref.ref(layer)

    @property
    def shape(self):
        return self.val.shape

    @property
    def dtype(self):
        return self.val.dtype

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = check_bool(value, f"weight {self.name!r}", "trainable")
        self.sync_trainable()

    def sync_trainable(self):
        """The Variable trains only when the weight AND its layer are trainable, so that
        optimizer.minimize without a var_list leaves a frozen layer alone."""
        layer = None if self._layer is None else self._layer()
        self.val.trainable = self._trainable and (layer is None or layer.trainable)

    def read(self):
        return self.val

    def write(self, value):
        self.val.assign(value)

    def __repr__(self):
        return f"<LayerVariable {self.name} shape={list(self.shape)} dtype={self.dtype}>"


class Layer:
    """Base class. Subclasses implement build (if they have weights), call,
    compute_output_shape (if the shape changes) and get_config."""

    def __init__(self, name=None, trainable=True, input_shape=None, batch_input_shape=None,
                 batch_size=None, dtype=None, input_dim=None, weights=None, input_dtype=None,
                 **unknown):
        """TF.js's LayerArgs, snake_case: `weights` are initial values for the layer's
        weights (Tensors or arrays, in get_weights() order), set when the layer is built;
        `input_dtype` is TF.js's legacy name for `dtype`."""
        if isinstance(name, dict):  # TF.js's `constructor(config) { super(config); }`
            given = (trainable, input_shape, batch_input_shape, batch_size, dtype, input_dim,
                     weights, input_dtype)
            if unknown or given != (True,) + (None,) * 7:
                raise TypeError(f"{type(self).__name__}: a config dict as the first argument "
                                f"(TF.js's super(config)) takes no other arguments")
            # The layer's own keys (config.factor) are the subclass's: TF.js's Layer
            # ignores what it does not know.
            return Layer.__init__(self, **{k: v for k, v in name.items() if k in _LAYER_ARGS})
        # Every argument is checked before a default name is drawn: a refused layer
        # leaves the per-class counter (dense_Dense1, dense_Dense2...) where it was.
        cls = type(self).__name__
        if unknown:
            raise unknown_arguments(type(self), list(unknown))
        if name is not None:
            check_name(name, cls)
        trainable = check_bool(trainable, cls, "trainable")
        batch_input_shape = batch_input_shape_of(cls, input_shape, batch_input_shape,
                                                 batch_size, input_dim)
        dtype = layer_dtype(cls, dtype, input_dtype)
        weights = initial_weights(cls, weights)
        self.name = name if name is not None else self._default_name()
        self._trainable = trainable
        self.batch_input_shape = batch_input_shape
        self.dtype = dtype
        self._initial_weights = weights  # set at build, then dropped
        self._weights = []          # LayerVariables in creation order
        self._pending = None        # state writes queued during a training step
        self.built = False
        self._inbound_nodes = []    # topology.LayerNode: each application to symbolic inputs
        self._input_shape = None    # batch shape seen at build (None for the batch axis)
        self._output_shape = None

    def __setattr__(self, name, value):
        # A public attribute (rate, activation, ...) is configuration a captured step
        # depends on: the engine captures again.
        object.__setattr__(self, name, value)
        if name[0] != "_":
            bump_state_version()

    # -- weights -----------------------------------------------------------------------
    def add_weight(self, name=None, shape=None, initializer=None, regularizer=None,
                   constraint=None, trainable=True, dtype="float32"):
        """Creates the weight `{layer name}/{name}` of `shape`, initialised by
        `initializer`: an Initializer, an id ('zeros', 'glorotUniform'...), a config dict,
        or None for glorot_uniform (Keras's default); regularizer and constraint likewise
        (or None). Returns the LayerVariable; its `.val` is the Variable to compute with.
        A user's build() calls it as Keras's and TF.js's do (name and shape by keyword
        work too; pass dtype by keyword). TF.js's positional order, addWeight(name,
        shape, dtype, initializer, regularizer, trainable, constraint), is recognised
        when the third argument is a dtype, or None followed by an initializer."""
        from .. import constraints, initializers, regularizers
        who = f"{type(self).__name__}.add_weight"
        if (isinstance(initializer, str) and initializer in DTYPES) or (
                initializer is None and _is_initializer(regularizer)):
            # TF.js's order: our slots hold dtype, initializer, regularizer, trainable and
            # constraint (the last in `dtype`'s slot, "float32" when not given).
            initializer, regularizer, constraint, dtype = (
                regularizer, constraint, None if dtype == "float32" else dtype,
                initializer or "float32")
        if name is None:
            name = f"weight{len(self._weights)}"
        if not isinstance(name, str) or not name:
            raise TypeError(f"{who}: argument 'name' must be a non-empty string, received "
                            f"{name!r}")
        if any(w.name == f"{self.name}/{name}" for w in self._weights):
            raise ValueError(f"{who}: duplicate weight name {name!r} for layer {self.name!r}")
        shape = check_dims(shape, who, "shape", free=False)
        initializer = initializers.get(
            "glorotUniform" if initializer is None else initializer, f"{who}: argument 'initializer'")
        if regularizer is not None:
            regularizer = regularizers.get(regularizer)
        if constraint is not None:
            constraint = constraints.get(constraint)
        trainable = check_bool(trainable, who, "trainable")
        dtype = check_dtype(dtype, who)
        full = f"{self.name}/{name}"
        values = initializer(tuple(shape), dtype)
        var = Variable(values, name=unique_variable_name(full), dtype=dtype)
        lv = LayerVariable(full, var, trainable, regularizer, constraint, layer=self)
        lv.sync_trainable()
        self._weights.append(lv)
        # Even inside a training step (a layer built on its first call): the step was
        # captured without this weight, so the next one must be captured again.
        bump_state_version(always=True)
        return lv

    @property
    def weights(self):
        return list(self._weights)

    @property
    def trainable_weights(self):
        return [w for w in self._weights if w.trainable and self._trainable]

    @property
    def non_trainable_weights(self):
        return [w for w in self._weights if not (w.trainable and self._trainable)]

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """As TF.js: the layer's flag and those of its weights created trainable (so that
        unfreezing a layer undoes a model's freeze, which sets the weights' flags)."""
        self._trainable = check_bool(value, f"{type(self).__name__} {self.name!r}",
                                     "trainable")
        self._weights_follow(self._trainable)

    def _weights_follow(self, value):
        """Sets the flag of the weights created trainable (TF.js's _trainableWeights) to
        `value` and syncs every weight's Variable: what the layer's and a model's
        trainable setters do to a layer's weights."""
        for w in self._weights:
            if w.created_trainable:
                w._trainable = value
            w.sync_trainable()

    def count_params(self):
        return sum(int(w.val.size) for w in self._weights)

    def get_weights(self, trainable_only=False):
        """The weights' current values as Tensors (TF.js's getWeights), in creation
        order; only the trainable ones with trainable_only=True. Each is a copy: a later
        update of the weight does not change it (np.asarray(t) or t.numpy() give
        arrays)."""
        trainable_only = check_bool(trainable_only, f"{self.name}: get_weights",
                                    "trainable_only")
        return weight_values(self.trainable_weights if trainable_only else self._weights)

    def set_weights(self, weights):
        """Assigns a list of Tensors or arrays, in get_weights() order; checked whole
        first (count, shapes, numbers), so a bad list changes nothing."""
        assign_all(self._weights, weights, f"{self.name}: set_weights")

    def regularization_losses(self):
        """The regularizer penalties of this layer's weights, as scalar Tensors (computed
        now, from the current values, differentiably)."""
        return [w.regularizer(w.val) for w in self._weights if w.regularizer is not None]

    def add_loss(self, losses):
        """TF.js's addLoss: a function () -> scalar Tensor (or a list of them) whose value
        is added to the training loss at every training step, after the forward pass
        (fit, train_on_batch, fit_dataset; not evaluate, as TF.js)."""
        if losses is None:
            return
        fns = list(losses) if isinstance(losses, (list, tuple)) else [losses]
        for i, fn in enumerate(fns):
            if not callable(fn):
                raise TypeError(f"{self.name}: add_loss: argument 'losses' must be a function "
                                f"returning a scalar Tensor (or a list of them), received "
                                f"{type(fn).__name__}" + (f" at index {i}" if len(fns) > 1
                                                          else ""))
        added = self.__dict__.setdefault("_added_losses", [])
        added.extend(fns)
        bump_state_version()  # a captured step records again, with the new terms

    def added_losses(self):
        """The add_loss functions' values now, as scalar Tensors (TF.js's layer losses
        besides the weight penalties)."""
        out = []
        for fn in self.__dict__.get("_added_losses", ()):
            v = fn()
            if not isinstance(v, Tensor) or v.size != 1 or v.dtype != "float32":
                raise ValueError(f"{self.name}: a function given to add_loss must return a "
                                 f"float32 scalar Tensor, received "
                                 f"{getattr(v, 'shape', type(v).__name__)!r}")
            out.append(v if not v.shape else v.reshape([]))
        return out

    # -- state written outside the gradient (batch-norm statistics) -----------------------
    def update_state(self, variable, value):
        """Writes a non-trainable weight. During a model's training step the write waits
        until the step has succeeded (commit_step), so a step that raises changes nothing."""
        if self._pending is None:
            variable.assign(value)
        else:
            self._pending.append((variable, value))

    def state_value(self, variable):
        """What a step reads for a non-trainable weight: the last write of it queued in
        this step (a layer applied twice in one step, such as a batch normalization
        shared by two branches, sees its first application's update, as in TF.js), else
        the variable itself."""
        for v, value in reversed(self._pending or ()):
            if v is variable:
                return value
        return variable

    def begin_step(self):
        self._pending = []

    def commit_step(self):
        for variable, value in self._pending:
            variable.assign(value)
        self._pending = []

    def end_step(self):
        self._pending = None

    # A stateful layer (an RNN built with stateful=True) carries states from one batch
    # to the next; the model's reset_states() zeroes them.
    stateful = False

    def reset_states(self, states=None):
        raise AttributeError(f"{self.name}: cannot call reset_states() on a layer that is "
                             f"not stateful")

    def apply_constraints(self):
        """Projects each constrained weight back onto its constraint (after an update)."""
        for w in self._weights:
            if w.constraint is not None:
                w.val.assign(w.constraint(w.val))

    # -- the contract ------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, inputs, training=False):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape

    # Whether the layer takes a list of inputs (merge layers): treino's other layers take
    # a one-item list as its item.
    takes_list = False

    def assert_input_compatibility(self, input_shape):
        """Raises a ValueError when a built layer cannot take inputs of this shape (TF.js's
        input spec check at apply time); layers with weights sized by their input
        override it."""

    # Whether the layer carries the mask of its input over to its output (an
    # Embedding with mask_zero makes one; recurrent layers read it as call(mask=...)).
    supports_masking = False

    def compute_mask(self, inputs, mask=None):
        """The mask of the output(s) given the input's (TF.js's rule): a layer that does
        not support masking refuses one; one that does passes it on."""
        if not self.supports_masking:
            if mask is not None and (not isinstance(mask, list) or any(
                    m is not None for m in mask)):
                raise TypeError(f"Layer {self.name} does not support masking, but was passed "
                                f"an input mask")
            return None
        return mask

    def get_config(self):
        config = {"name": self.name, "trainable": self._trainable, "dtype": self.dtype}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        """cls(**config), after checking the config's form: a dict holding only
        arguments cls accepts (a TypeError names the unknown ones) and every
        required one. The values are checked by the constructor, as for any call. A
        class written as TF.js's (one `config` parameter: `def __init__(self, config)`)
        gets the dict itself, as TF.js's `new cls(config)`."""
        if _takes_config_dict(cls) and isinstance(config, dict):
            return cls(dict(config))
        return cls(**check_config(cls, config))

    def _default_name(self):
        return default_name(type(self).__name__)

    # -- applying the layer --------------------------------------------------------------
    def __call__(self, inputs, training=None, **kwargs):
        """Computes the layer on a Tensor (or a list of Tensors, for layers taking several
        inputs), building it first from the input shapes (None for the batch axis). On
        symbolic tensors (from tn.input) it computes nothing: it adds a node to the
        functional graph and returns the symbolic output(s) (see topology.py)."""
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and not self.takes_list \
                and (type(self).__module__ or "").startswith("treino."):
            inputs = inputs[0]  # TF.js's getExactlyOneTensor: [x] is x for such a layer
        if check_all_or_none_symbolic(inputs, self.name):
            if training is not None:
                kwargs["training"] = check_bool(training, self.name, "training")
            return apply_symbolic(self, inputs, kwargs)
        if kwargs:
            raise unknown_arguments(type(self), list(kwargs))
        training = False if training is None else training
        if isinstance(inputs, (list, tuple)):
            if not inputs or not all(isinstance(t, Tensor) for t in inputs):
                raise TypeError(f"{self.name}: inputs must be a Tensor or a non-empty list of "
                                f"Tensors, received "
                                f"{[type(t).__name__ for t in inputs] or 'an empty list'}")
            if not self.built:
                self.build_for([(None,) + tuple(t.shape[1:]) for t in inputs])
            return invoke_call(self, list(inputs), training)
        if not isinstance(inputs, Tensor):
            raise TypeError(f"{self.name}: input must be a Tensor, received {type(inputs).__name__}")
        if not self.built:
            self.build_for((None,) + tuple(inputs.shape[1:]))
        return invoke_call(self, inputs, training)

    def build_for(self, input_shape):
        """Builds for a batch input shape (None for the batch axis), or a list of them
        for a layer taking several inputs, and records the input and output shapes (the
        summary shows them)."""
        if input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = [tuple(s) for s in input_shape]
        else:
            input_shape = tuple(input_shape)
        if not self.built:
            self.build(input_shape)
            self.built = True
            if getattr(self, "_initial_weights", None) is not None:
                self._set_initial_weights()
        out = self.compute_output_shape(input_shape)
        out = [tuple(s) for s in out] if out and isinstance(out[0], (list, tuple)) else tuple(out)
        self.note_shapes(input_shape, out)
        return out

    def _set_initial_weights(self):
        """The constructor's `weights` become the values of the weights build() made (as
        TF.js's apply does after the first build). Wrong ones raise; the layer then
        keeps its initializers' values, as in TF.js."""
        weights, self._initial_weights = self._initial_weights, None
        try:
            assign_all(self._weights, weights, f"{self.name}: argument 'weights'")
        except (TypeError, ValueError) as e:
            raise type(e)(f"{e} (the initial weights given to the constructor, set when "
                          f"the layer is built)") from None

    def apply(self, inputs, kwargs=None, **kw):
        """TF.js's apply: layer.apply(x) or layer.apply(x, {'training': True}); the same
        as calling the layer."""
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError(f"{self.name}.apply: argument 'kwargs' must be a dict, received "
                            f"{type(kwargs).__name__}")
        return self(inputs, **{**(kwargs or {}), **kw})

    def note_shapes(self, input_shape, output_shape):
        object.__setattr__(self, "_input_shape", input_shape)
        object.__setattr__(self, "_output_shape", output_shape)

    # -- where the layer sits in graphs (TF.js's Layer properties) ------------------------
    @property
    def inbound_nodes(self):
        return self._inbound_nodes

    def _node_attribute(self, what):
        nodes = self._inbound_nodes
        if not nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no {what} to return")
        if len(nodes) > 1:
            raise AttributeError(f"Layer {self.name} has multiple inbound nodes, hence the "
                                 f"notion of \"layer {what}\" is ill-defined. Use "
                                 f"get_{what}_at(node_index) instead")
        return nodes[0]

    @property
    def input(self):
        node = self._node_attribute("input")
        return list(node.inputs) if node.as_list else node.inputs[0]

    @property
    def output(self):
        node = self._node_attribute("output")
        return list(node.outputs) if len(node.outputs) > 1 else node.outputs[0]

    def get_input_at(self, node_index):
        node = self._node_at(node_index, "input")
        return list(node.inputs) if node.as_list else node.inputs[0]

    def get_output_at(self, node_index):
        node = self._node_at(node_index, "output")
        return list(node.outputs) if len(node.outputs) > 1 else node.outputs[0]

    def _node_at(self, node_index, what):
        if not self._inbound_nodes:
            raise RuntimeError(f"The layer {self.name} has never been called and thus has no "
                               f"defined {what}")
        if not isinstance(node_index, int) or not 0 <= node_index < len(self._inbound_nodes):
            raise ValueError(f"Asked to get {what} at node {node_index!r}, but the layer has "
                             f"only {len(self._inbound_nodes)} inbound nodes")
        return self._inbound_nodes[node_index]

    def _shape_of_nodes(self, attr, what):
        """The input or output shape the layer's nodes agree on (a list of shapes for
        several tensors); without nodes, the shape it was last built or called with."""
        nodes = self._inbound_nodes
        if not nodes:
            return getattr(self, "_" + what + "_shape")
        shapes = []
        for node in nodes:
            ss = getattr(node, attr)
            several = node.as_list if what == "input" else len(ss) > 1
            shape = [tuple(x) for x in ss] if several else tuple(ss[0])
            if shape not in shapes:
                shapes.append(shape)
        if len(shapes) > 1:
            raise AttributeError(f"The layer {self.name} has multiple inbound nodes with "
                                 f"different {what} shapes. Hence the notion of \"{what} "
                                 f"shape\" is ill-defined for the layer")
        return shapes[0]

    @property
    def input_shape(self):
        return self._shape_of_nodes("input_shapes", "input")

    @input_shape.setter
    def input_shape(self, value):
        object.__setattr__(self, "_input_shape", value)

    @property
    def output_shape(self):
        return self._shape_of_nodes("output_shapes", "output")

    @output_shape.setter
    def output_shape(self, value):
        object.__setattr__(self, "_output_shape", value)

    @property
    def class_name(self):
        return type(self).__name__

    def get_class_name(self):
        """The class name saved in a model's config (TF.js's getClassName())."""
        return self.class_name

    def invoke_call_hook(self, inputs, kwargs=None):
        """TF.js's debugging hook, called by layers at the start of call(): treino
        registers none, so it does nothing (ported layers may keep calling it)."""

    def dispose(self):
        """Disposes the layer's weights (TF.js's dispose(): the layer is not to be used
        afterwards; Python frees the memory). Returns {ref_count_after_dispose,
        num_disposed_variables}, readable by key (camelCase too) or attribute."""
        weights = self.weights
        for w in weights:
            w.val.dispose()
        return DisposeResult(0, len(weights))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


DisposeResult = result_type("DisposeResult", ["ref_count_after_dispose",
                                              "num_disposed_variables"])


_LAYER_ARGS = ("name", "trainable", "input_shape", "batch_input_shape", "batch_size", "dtype",
               "input_dim", "weights", "input_dtype")


def _takes_config_dict(cls):
    """cls.__init__ takes one argument, named config (TF.js's constructor(config))."""
    import inspect
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return False
    return len(params) == 1 and params[0].name in ("config", "args") and params[0].kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _is_initializer(v):
    """v names an initializer (an instance, an id, a config dict), not a regularizer."""
    from .. import initializers, regularizers
    if v is None or isinstance(v, regularizers.Regularizer):
        return False
    if isinstance(v, initializers.Initializer):
        return True
    try:
        regularizers.get(v)
        return False
    except (TypeError, ValueError):
        pass
    try:
        initializers.get(v)
        return True
    except (TypeError, ValueError):
        return False


_CALL_STYLES = {}


def call_style(cls):
    """How cls.call takes the training flag: 'keyword' (a `training` parameter, or
    **kwargs: treino's layers and Keras-style ones), 'dict' (TF.js's call(inputs, kwargs):
    a second positional parameter, given {'training': ..., other keyword arguments}), or
    'none' (call(inputs) alone, as Keras allows: the flag is not passed)."""
    style = _CALL_STYLES.get(cls)
    if style is None:
        import inspect
        try:
            params = list(inspect.signature(cls.call).parameters.values())[1:]  # after self
        except (TypeError, ValueError):  # no signature to read: the usual form
            params = None
        if params is None or any(p.name == "training" or p.kind is p.VAR_KEYWORD
                                 for p in params):
            style = "keyword"
        elif len(params) >= 2 and params[1].kind in (
                inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD) \
                and params[1].name != "mask" and (params[1].name in ("kwargs", "kwds")
                                                  or params[1].default is inspect.Parameter.empty):
            style = "dict"
        else:
            style = "none"
        _CALL_STYLES[cls] = style
    return style


def invoke_call(layer, inputs, training, **kwargs):
    """layer.call(inputs, training=training, **kwargs) in the form the layer's call takes
    (see call_style): a user's layer may leave the flag out, as in Keras, or take TF.js's
    kwargs object."""
    style = call_style(type(layer))
    if style == "keyword":
        return layer.call(inputs, training=training, **kwargs)
    if style == "dict":
        return layer.call(inputs, {"training": training, **kwargs})
    return layer.call(inputs, **kwargs)
