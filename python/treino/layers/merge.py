"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot
(TF.js's tfjs-layers/src/layers/merge.ts; Subtract, which TF.js lacks, as Keras 3).

A merge layer takes a list of inputs: `layer([a, b])`. `build` and
`compute_output_shape` receive the list of their shapes (None for a free dimension) and
return one shape. Every call checks the real shapes again, so a built layer applied to
tensors of other sizes fails with the layer's own message, not an op's. The math is core
ops only, so the tape and the captured step differentiate it with no code here.

The factories (tn.layers.add, ...) follow TF.js: without inputs they return the layer,
with a list of tensors they apply a new layer to it and return its output.
"""
import math

import numpy as np

from .._config import check_bool, check_int, is_int, type_error, value_error
from ..core import ops
from ..core.tensor import Tensor
from ..losses import EPSILON
from .base import Layer, shape_str


def _shapes_str(shapes):
    """Shapes as TF.js's messages print them (JSON): [[null,3],[null,4]]."""
    return "[" + ",".join(shape_str(s) for s in shapes) + "]"


def _is_shape_list(input_shape):
    """True for a list of shapes ([(None, 3), (None, 4)]), False for one shape
    ((None, 3), which build_for gives for a single input)."""
    return isinstance(input_shape, (list, tuple)) and (
        (isinstance(input_shape, list) and not input_shape)
        or (bool(input_shape) and all(isinstance(s, (list, tuple)) for s in input_shape)))


def _broadcast(s1, s2):
    """The broadcast of two shapes without their batch axis, aligned on the right as
    numpy does, or None when they do not broadcast; a free dimension (None) stays free
    (TF.js's rule)."""
    if len(s1) < len(s2):
        s1, s2 = s2, s1
    out = list(s1[:len(s1) - len(s2)])
    for i, j in zip(s1[len(s1) - len(s2):], s2):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1 or i == j:
            out.append(j if i == 1 else i)
        else:
            return None
    return tuple(out)


class _Merge(Layer):
    """Elementwise merge of two or more inputs. Their non-batch axes broadcast as numpy's
    do (aligned on the right); an input of lower rank first gets size-1 axes inserted
    after its batch axis, as TF.js does. Batch sizes must agree. Subclasses write
    `_merge(list of Tensors of one rank)`."""
    _exactly = None  # the number of inputs when only one number works (Subtract, Dot)
    supports_masking = True
    takes_list = True

    def compute_mask(self, inputs, mask=None):
        """The inputs' masks combined with a logical and (TF.js's and Keras's Merge);
        None when no input has one."""
        masks = [m for m in (mask or []) if m is not None] if isinstance(mask, list) else (
            [] if mask is None else [mask])
        if not masks:
            return None
        out = masks[0]
        for m in masks[1:]:
            out = ops.logical_and(out, m)
        return out

    def _error(self, message):
        return ValueError(f"{type(self).__name__} layer '{self.name}': {message}")

    def _shapes(self, input_shape):
        """The list of input shapes, after checking their number and that each has a
        batch axis."""
        wanted = (f"exactly {self._exactly} inputs" if self._exactly else
                  "at least 2 inputs")
        if not _is_shape_list(input_shape):
            raise self._error(f"must be called on a list of {wanted}, received a single input "
                              f"of shape {shape_str(input_shape)}")
        shapes = [tuple(s) for s in input_shape]
        n = len(shapes)
        if n < 2 or (self._exactly is not None and n != self._exactly):
            raise self._error(f"must be called on a list of {wanted}, received {n} input"
                              f"{'' if n == 1 else 's'} (shapes {_shapes_str(shapes)})")
        if any(len(s) == 0 for s in shapes):
            raise self._error(f"every input needs a batch axis (rank >= 1), received shapes "
                              f"{_shapes_str(shapes)}")
        return shapes

    def _batch_size(self, shapes):
        """The batch size the inputs share (None when all are free)."""
        sizes = {s[0] for s in shapes if s[0] is not None}
        if len(sizes) > 1:
            raise self._error(f"can not merge tensors with different batch sizes, received "
                              f"shapes {_shapes_str(shapes)}")
        return sizes.pop() if sizes else None

    def _tensors(self, inputs):
        """inputs as a list, after checking their shapes (the real sizes this time)."""
        if not isinstance(inputs, (list, tuple)):
            self._shapes(tuple(getattr(inputs, "shape", ())))  # raises: one input, no list
        inputs = list(inputs)
        self.compute_output_shape([tuple(t.shape) for t in inputs])
        return inputs

    def build(self, input_shape):
        # Nothing to create: building only checks the shapes, so a refused list leaves
        # the layer unbuilt.
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = self._shapes(input_shape)
        batch = self._batch_size(shapes)
        out = shapes[0][1:]
        for s in shapes[1:]:
            merged = _broadcast(out, s[1:])
            if merged is None:
                raise self._error(f"operands could not be broadcast together: {shape_str(out)} "
                                  f"and {shape_str(s[1:])} (batch axis left out; the inputs "
                                  f"broadcast aligned on the right), received shapes "
                                  f"{_shapes_str(shapes)}")
            out = merged
        return (batch,) + out

    def call(self, inputs, training=False):
        inputs = self._tensors(inputs)
        top = max(t.rank for t in inputs)
        return self._merge([t if t.rank == top else ops.reshape(
            t, [t.shape[0]] + [1] * (top - t.rank) + list(t.shape[1:])) for t in inputs])

    def _merge(self, inputs):
        raise NotImplementedError


class Add(_Merge):
    """The elementwise sum of the inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return out


class Subtract(_Merge):
    """inputs[0] - inputs[1] (exactly two inputs)."""
    _exactly = 2

    def _merge(self, inputs):
        return ops.sub(inputs[0], inputs[1])


class Multiply(_Merge):
    """The elementwise product of the inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.mul(out, x)
        return out


class Average(_Merge):
    """The elementwise mean of the inputs: their sum times 1 / count, as TF.js."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return ops.mul(out, 1.0 / len(inputs))


class Maximum(_Merge):
    """The elementwise maximum; where inputs tie, the gradient goes to the earliest."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.maximum(out, x)
        return out


class Minimum(_Merge):
    """The elementwise minimum; where inputs tie, the gradient goes to the earliest."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.minimum(out, x)
        return out


class Concatenate(_Merge):
    """Joins the inputs along `axis` (negative counts from the end). Every other axis
    must have one size in all inputs; a free dimension (None) matches any size."""

    def __init__(self, axis=-1, **kwargs):
        axis = check_int(axis, "Concatenate", "axis")
        super().__init__(**kwargs)
        self.axis = axis

    def compute_output_shape(self, input_shape):
        shapes = self._shapes(input_shape)
        rank = len(shapes[0])

        def mismatch():
            return self._error(f"requires inputs with matching shapes except for the concat "
                               f"axis {self.axis}, received shapes {_shapes_str(shapes)}")
        if any(len(s) != rank for s in shapes):
            raise mismatch()
        if not -rank <= self.axis < rank:
            raise self._error(f"axis {self.axis} is out of range for inputs of rank {rank} "
                              f"(expected an axis in [{-rank}, {rank - 1}]), received shapes "
                              f"{_shapes_str(shapes)}")
        axis = self.axis % rank
        out = []
        for d in range(rank):
            sizes = [s[d] for s in shapes]
            if d == axis:
                out.append(None if None in sizes else sum(sizes))
                continue
            known = set(sizes) - {None}
            if len(known) > 1:
                raise mismatch()
            out.append(known.pop() if known else None)
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: each input's mask (all true where it has none) repeated over the
        input's last axis, concatenated along `axis`, then reduced over that last axis
        with a logical or: a step stays when any input keeps it."""
        if mask is None or all(m is None for m in mask):
            return None
        parts = []
        for x, m in zip(self._tensors(inputs), mask):
            if m is None:
                m = Tensor(np.ones(x.shape, np.float32))
            else:
                m = ops.cast(m, "float32")
                if m.rank < x.rank:
                    m = ops.tile(ops.expand_dims(m, -1), [1] * m.rank + [x.shape[-1]])
            parts.append(m)
        return ops.greater(ops.sum(ops.concat(parts, self.axis), -1), 0.0)

    def call(self, inputs, training=False):
        # TF.js's backend concatenates along the last axis for any negative axis (its
        # shapes use the axis given); the axis given is the one used here.
        return ops.concat(self._tensors(inputs), self.axis)

    def get_config(self):
        config = {"axis": self.axis}
        config.update(super().get_config())
        return config


def _check_axes(axes):
    """Dot's axes: one int for both inputs, or a pair of ints (returned as a list)."""
    expected = "an int or a list of 2 ints"
    if is_int(axes):
        return int(axes)
    if not isinstance(axes, (list, tuple)):
        raise type_error("Dot", "axes", expected, axes)
    for a in axes:
        if not is_int(a):
            raise type_error("Dot", "axes", expected, axes, item=a)
    if len(axes) != 2:
        raise value_error("Dot", "axes", expected, axes)
    return [int(a) for a in axes]


def _l2_normalize(x, axis):
    """x / max(||x||, sqrt(eps)) along axis, as TF.js's l2Normalize."""
    if x.dtype != "float32":
        x = ops.cast(x, "float32")
    squares = ops.sum(ops.square(x), axis, keepdims=True)
    return ops.div(x, ops.sqrt(ops.maximum(squares, EPSILON)))


def _matrices(x, axis, k_first):
    """x of shape (batch, ...) as a batch of matrices for matmul: (batch, K, rest) when
    k_first else (batch, rest, K), K being `axis`'s size and rest the product of the
    other non-batch axes. Returns (matrices, transposed) where transposed says that the
    matrices come the other way round (to be read through matmul's transpose flag): a
    reshape alone suffices when `axis` is the first or last non-batch axis."""
    b, k = x.shape[0], x.shape[axis]
    rest = math.prod(d for i, d in enumerate(x.shape) if i not in (0, axis))
    if axis == 1:
        return ops.reshape(x, [b, k, rest]), not k_first
    if axis == x.rank - 1:
        return ops.reshape(x, [b, rest, k]), k_first
    others = [i for i in range(1, x.rank) if i != axis]
    perm = [0, axis] + others if k_first else [0] + others + [axis]
    shape = [b, k, rest] if k_first else [b, rest, k]
    return ops.reshape(ops.transpose(x, perm), shape), False


def _batch_dot(x, y, ax, ay):
    """Per sample, the dot product of x and y over ax and ay (TF.js's batchDot): the
    shape is x's without ax, then y's without its batch axis and ay, with a trailing 1
    when only the batch axis is left."""
    if x.rank == 2 and y.rank == 2:
        return ops.sum(ops.mul(x, y), 1, keepdims=True)
    xm, ta = _matrices(x, ax, k_first=False)
    ym, tb = _matrices(y, ay, k_first=True)
    out = ops.matmul(xm, ym, transpose_a=ta, transpose_b=tb)
    shape = [x.shape[0]] + [d for i, d in enumerate(x.shape) if i not in (0, ax)] + \
        [d for i, d in enumerate(y.shape) if i not in (0, ay)]
    return ops.reshape(out, shape)


class Dot(_Merge):
    """The dot product of two inputs, sample by sample, over `axes` (an int for both
    inputs or a pair, negative ones counting from the end; never the batch axis 0).
    normalize=True l2-normalises both inputs along those axes first, so the result is
    their cosine similarity. TF.js stops at rank 3; higher ranks follow the same rule
    (Keras's batch_dot)."""
    _exactly = 2

    def __init__(self, axes, normalize=False, **kwargs):
        axes = _check_axes(axes)
        normalize = check_bool(normalize, "Dot", "normalize")
        super().__init__(**kwargs)
        self.axes, self.normalize = axes, normalize

    def compute_mask(self, inputs, mask=None):
        """None: a dot product has no step axis left to mask (TF.js's and Keras's Dot)."""
        return None

    def _resolve_axes(self, shapes):
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        resolved = []
        for i, (axis, shape) in enumerate(zip(pair, shapes)):
            rank = len(shape)
            if not -rank <= axis < rank:
                raise self._error(f"axes {self.axes} is out of range for input {i} of shape "
                                  f"{shape_str(shape)} (expected an axis in [{-rank}, "
                                  f"{rank - 1}])")
            if axis % rank == 0:
                raise self._error(f"axes {self.axes} would take the dot product over the batch "
                                  f"axis of input {i} (shape {shape_str(shape)}); the axes "
                                  f"must leave axis 0 alone")
            resolved.append(axis % rank)
        return resolved

    def compute_output_shape(self, input_shape):
        shapes = self._shapes(input_shape)
        batch = self._batch_size(shapes)
        (s1, s2), (a1, a2) = shapes, self._resolve_axes(shapes)
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise self._error(f"dimension incompatibility: axis {a1} of input 0 has size "
                              f"{s1[a1]} but axis {a2} of input 1 has size {s2[a2]} (shapes "
                              f"{_shapes_str(shapes)})")
        out = [batch] + [d for i, d in enumerate(s1) if i not in (0, a1)] + \
            [d for i, d in enumerate(s2) if i not in (0, a2)]
        return tuple(out) if len(out) > 1 else (batch, 1)

    def call(self, inputs, training=False):
        x, y = self._tensors(inputs)
        ax, ay = self._resolve_axes([x.shape, y.shape])
        if self.normalize:
            x, y = _l2_normalize(x, ax), _l2_normalize(y, ay)
        return _batch_dot(x, y, ax, ay)

    def get_config(self):
        config = {"axes": self.axes, "normalize": self.normalize}
        config.update(super().get_config())
        return config


# -- factories: tn.layers.add() gives the layer, tn.layers.add([a, b]) its output ----------
def _layer_or_output(cls, fn, inputs, config):
    if inputs is None:
        return cls(**config)
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"{fn}: argument 'inputs' must be None (to get the layer) or a list "
                        f"of tensors to merge, received {inputs!r} (of type "
                        f"{type(inputs).__name__}); give other arguments by name")
    return cls(**config)(list(inputs))


def add(inputs=None, **config):
    """tn.layers.add(): an Add layer; tn.layers.add([a, b]): a + b (by a new Add)."""
    return _layer_or_output(Add, "add", inputs, config)


def subtract(inputs=None, **config):
    """tn.layers.subtract(): a Subtract layer; tn.layers.subtract([a, b]): a - b."""
    return _layer_or_output(Subtract, "subtract", inputs, config)


def multiply(inputs=None, **config):
    """tn.layers.multiply(): a Multiply layer; tn.layers.multiply([a, b]): a * b."""
    return _layer_or_output(Multiply, "multiply", inputs, config)


def average(inputs=None, **config):
    """tn.layers.average(): an Average layer; tn.layers.average([a, b]): (a + b) / 2."""
    return _layer_or_output(Average, "average", inputs, config)


def maximum(inputs=None, **config):
    """tn.layers.maximum(): a Maximum layer; tn.layers.maximum([a, b]): the elementwise max."""
    return _layer_or_output(Maximum, "maximum", inputs, config)


def minimum(inputs=None, **config):
    """tn.layers.minimum(): a Minimum layer; tn.layers.minimum([a, b]): the elementwise min."""
    return _layer_or_output(Minimum, "minimum", inputs, config)


def concatenate(inputs=None, **config):
    """tn.layers.concatenate(axis=-1): a Concatenate layer; tn.layers.concatenate([a, b],
    axis=1): the inputs joined along axis 1."""
    return _layer_or_output(Concatenate, "concatenate", inputs, config)


def dot(inputs=None, **config):
    """tn.layers.dot(axes=1): a Dot layer; tn.layers.dot([a, b], axes=1): the per-sample
    dot products."""
    return _layer_or_output(Dot, "dot", inputs, config)
