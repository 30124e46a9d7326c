"""The recorded training step: for a Sequential stack of dense layers (fused
activations), optionally with dropout between them, the step fit would run through the
tape is known in advance: one fused dense forward per layer (a mask multiply per
dropout), the loss, one fused dense backward per layer, one optimizer update. This
module records that sequence of native calls once (per batch size) with every output
buffer preallocated, and replays it for each batch: no tape over the layers, no Tensor
per op, no allocation in steady state (issue 6).

The loss: a dense softmax with (sparse) categorical cross-entropy is one fused native
call whose gradient is scaled by the mean's 1/n. Any other loss, and sample weights, run
through the tape on the model's output only, with the very functions the eager step
uses (Model._reduce_loss and the compiled loss), so they cost a few ops, not a step.
Dropout masks come from Dropout.dropout_mask, the eager layer's own draw, in the same
order.

The replay makes the very same kernel calls with the very same arguments as the eager
path (Model._train_batch), so weights, losses and metrics are bit-identical to it
(tests/models/test_fast_step.py checks it over epochs, with callbacks changing the
learning rate, stop_training and freezing layers). Anything outside the pattern
(regularizers, batch normalization, other layers, a frozen weight, a subclass that
overrides a piece of the eager step...) makes `replay` return None and the step runs on
the eager path.
"""
import numpy as np

from .. import _kernels as K
from ..core import autodiff
from ..core.tensor import Tensor
from ..layers.core import Dense, Dropout, Flatten, InputLayer
from ..train.optimizer import Optimizer

_F32 = np.dtype(np.float32)
# The pieces of the eager step the replay stands in for: a subclass overriding one of
# them trains eagerly (its override must run).
_MODEL_STEP = ("call", "_step_loss", "_train_batch", "_reduce_loss", "_metric_values")
_OPTIMIZER_STEP = ("compute_gradients", "apply_gradients", "_apply_arrays")


class _Dense:
    """One dense layer of the plan, as the eager path calls it."""
    __slots__ = ("layer", "activation", "kernel", "bias", "act", "units", "fan_in",
                 "need_dx", "dw", "db")

    def __init__(self, layer, act, need_dx):
        self.layer = layer
        self.activation = layer.activation  # identity checked at each step
        self.kernel, self.bias = layer.kernel, layer.bias
        self.act = act  # the fused kernel id: what Dense.call / call_logits pass
        self.units, self.fan_in = layer.units, layer.kernel.shape[0]
        self.need_dx = need_dx  # a dense layer comes before: its input needs a gradient
        self.dw = np.empty(self.kernel.shape, np.float32)  # gradients, overwritten per step
        self.db = None if self.bias is None else np.empty(self.bias.shape, np.float32)


class _Dropout:
    """One dropout layer of the plan: x * mask forward, dy * mask backward (ops.mul's)."""
    __slots__ = ("layer", "units", "fan_in", "need_dx")

    def __init__(self, layer, width, need_dx):
        self.layer, self.units, self.fan_in, self.need_dx = layer, width, width, need_dx


def plan_for(model):
    """A StepPlan for `model` as compiled now, or None when its step is not the pattern
    above (the reason is kept in model._fast_step_reason for tests and debugging)."""
    reason = _ineligible(model)
    model._fast_step_reason = reason
    return None if reason else StepPlan(model)


def _ineligible(model):
    from .sequential import Sequential
    compiled = model._compiled
    if compiled is None:
        return "the model is not compiled"
    for name in _MODEL_STEP:
        if getattr(type(model), name) is not getattr(Sequential, name):
            return f"{type(model).__name__} overrides {name}"
    fused = compiled[6]
    layers = model._layers
    rank = len(model.input_shape)
    if len({id(layer) for layer in layers}) != len(layers):
        return "a layer appears twice (its weights get two gradients to sum)"
    seen_dense = False
    for i, layer in enumerate(layers):
        kind = type(layer)
        if kind is Dropout and layer.noise_shape is not None and rank > 2 and not seen_dense:
            return f"layer {layer.name}'s noise shape applies before the input is flattened"
        if kind is InputLayer or kind is Dropout:
            continue
        if kind is Flatten and not seen_dense and layer.data_format != "channelsFirst":
            continue
        if kind is not Dense:
            return f"layer {layer.name} ({kind.__name__}) has no recorded step"
        if not layer.built or len(layer.input_shape or ()) != 2:
            return f"layer {layer.name} does not take a 2-D input"
        if (i != len(layers) - 1 or not fused) and layer.activation.fused is None:
            return f"layer {layer.name}'s activation is not fused into the dense kernel"
        for w in layer._weights:
            if w.regularizer is not None:
                return f"weight {w.name} has a regularizer"
        seen_dense = True
    if type(layers[-1]) is not Dense:
        return "the last layer is not dense"
    return None


class _Buffers:
    """Everything a step of `n` rows writes, allocated once per batch size: per op of
    the plan its output and, where a gradient flows into its input, that gradient."""

    def __init__(self, ops, n, classes):
        self.outs = [np.empty((n, op.units), np.float32) for op in ops]
        self.grads_in = [np.empty((n, op.fan_in), np.float32) if op.need_dx else None
                         for op in ops]
        self.losses = np.empty(n, np.float32)
        self.dlogits = np.empty((n, classes), np.float32)
        # 1/n as the eager path's mean backward computes it (float32).
        self.grad_scale = float(np.float32(1) / np.float32(n))


class StepPlan:
    """The recorded step of one compiled model (see the module docstring): `ops`, a
    _Dense or _Dropout per layer that computes something."""

    def __init__(self, model):
        self.model = model
        self.compiled = model._compiled
        layers = model._layers
        last = len(layers) - 1
        # With the fused softmax-cross-entropy the last layer stops at the logits.
        self.fused = self.compiled[6]
        self.ops, self.dense = [], []
        width = int(np.prod(model.input_shape[1:]))
        for i, layer in enumerate(layers):
            if type(layer) is Dense:
                act = "linear" if i == last and self.fused else layer.activation.fused
                d = _Dense(layer, act, need_dx=bool(self.dense))
                self.ops.append(d)
                self.dense.append(d)
                width = d.units
            elif type(layer) is Dropout:
                self.ops.append(_Dropout(layer, width, need_dx=bool(self.dense)))
        self.flatten = any(type(l) is Flatten for l in layers)
        # Weights in model.trainable_weights order (the eager path's var_list).
        lvs = [lv for d in self.dense for lv in (d.kernel, d.bias) if lv is not None]
        self.variables = [lv.val for lv in lvs]
        self.flat_grads = [g for d in self.dense for g in (d.dw, d.db) if g is not None]
        self.classes = self.dense[-1].units
        self._buffers = {}
        self._plain_optimizer = None  # last optimizer class seen to override nothing

    def _valid(self):
        """The model still is what was recorded (cheap identity checks, every step)."""
        model = self.model
        if model._compiled is not self.compiled:
            return False
        for d in self.dense:
            layer = d.layer
            if layer.activation is not d.activation or layer.kernel is not d.kernel \
                    or layer.bias is not d.bias:
                return False
            for lv in (d.kernel, d.bias):
                if lv is not None and lv.regularizer is not None:
                    return False
        for v in self.variables:
            if not v.trainable:
                return False
        opt = type(model.optimizer)
        if opt is not self._plain_optimizer:  # checked once per optimizer class
            if any(getattr(opt, n) is not getattr(Optimizer, n) for n in _OPTIMIZER_STEP):
                return False
            self._plain_optimizer = opt
        return True

    def release(self):
        """Frees the per-batch buffers (fit calls it when it ends)."""
        self._buffers.clear()

    def buffers(self, n):
        b = self._buffers.get(n)
        if b is None:
            if len(self._buffers) >= 4:  # a stream of varied batch sizes: keep few
                self._buffers.clear()
            b = self._buffers[n] = _Buffers(self.ops, n, self.classes)
        return b

    def replay(self, x, y, w):
        """One training step on numpy batch arrays x, y (w: sample weights or None);
        returns [loss, metric...] as the eager step does, or None (nothing done) when
        this batch must take the eager path."""
        if not self._valid():
            return None
        n = x.shape[0]
        if n == 0 or x.dtype != _F32 or not x.flags.c_contiguous:
            return None
        if x.ndim != 2:
            if not self.flatten:
                return None
            x = x.reshape(n, -1)
        model = self.model
        b = self.buffers(n)
        ops, outs = self.ops, b.outs
        # Forward; ins[i] is op i's input, masks[i] a dropout's mask (None: identity).
        ins, masks = [], []
        h = x
        for op, out in zip(ops, outs):
            ins.append(h)
            if type(op) is _Dense:
                bias = op.bias.val._data if op.bias is not None else None
                K.dense_forward(h, op.kernel.val._data, bias, op.act, None, out)
                masks.append(None)
                h = out
            else:  # dropout, as Dropout.call with training=True
                mask = op.layer.dropout_mask(h.shape)
                masks.append(mask)
                if mask is not None:
                    h = K.mul(h, mask, out)
        loss, dy, correct = self._loss(h, y, w, b)
        # dy is None when weighted losses do not depend on the output: as eager, no update.
        update = dy is not None
        # Backward, last op first, until no earlier op needs a gradient.
        for i in range(len(ops) - 1, -1, -1) if update else ():
            op, g_in = ops[i], b.grads_in[i]
            if type(op) is _Dropout and not op.need_dx:
                break
            if type(op) is _Dense:
                K.dense_backward(dy, ins[i], op.kernel.val._data, outs[i], op.act, None,
                                 op.need_dx, op.db is not None, g_in, op.dw, op.db)
            elif masks[i] is not None:  # the gradient of x * mask (as ops.mul's)
                np.multiply(dy, masks[i], out=g_in)
            else:
                g_in = dy
            dy = g_in
        # The eager step's own metric code. Metrics never see the logits buffer (they get
        # the correct count or a fresh softmax of it); an output they see is a copy.
        cache = ({"logits": Tensor(h), "correct": correct} if self.fused
                 else {"out": Tensor(h.copy())})
        vals = [loss] + model._metric_values(Tensor(y), cache)
        if update:
            model.optimizer._apply_arrays(self.variables, self.flat_grads)
        for d in self.dense:
            d.layer.apply_constraints()
        return vals

    def _loss(self, h, y, w, b):
        """(loss, d loss / d h or None, correct count or None) from the last layer's
        output h, computed as the eager step does."""
        model = self.model
        if self.fused and w is None:
            # Loss and d loss / d logits in one pass; grad_scale is the mean's 1/n.
            _, _, correct = K.softmax_cross_entropy(h, y, b.dlogits, b.losses, None,
                                                    b.grad_scale, 0.0, True)
            loss = float(K.reduce_mean(b.losses, None, False))
            return loss, b.dlogits, correct
        if self.fused:  # weighted: the mean of w * losses on the tape, as eager
            _, _, correct = K.softmax_cross_entropy(h, y, b.dlogits, b.losses, None, 1.0,
                                                    0.0, True)
            loss, dper = _loss_grad(lambda per: model._reduce_loss(per, Tensor(w)), b.losses)
            if dper is None:
                return loss, None, correct
            return loss, np.multiply(b.dlogits, dper[:, None], out=b.dlogits), correct
        # The compiled loss on the tape, from the output on. A copy: the user's loss may
        # keep what it is given, and h is overwritten by the next step.
        y_t, w_t = Tensor(y), None if w is None else Tensor(w)
        loss, dh = _loss_grad(lambda out: model._reduce_loss(model.loss(y_t, out), w_t),
                              h.copy())
        if dh is None:
            from .training import loss_ignores_output
            raise loss_ignores_output(model.loss)
        return loss, dh, None


def _loss_grad(f, a):
    """(float(f(a)), d f / d a as a float32 array of a's shape, or None when f does not
    depend on a) through the tape, as the eager step differentiates it."""
    x = Tensor(a)
    tape, value = autodiff._run(f, (x,), [x], False)
    autodiff._check_output(value, "fit", scalar=True)
    g = autodiff._backprop(tape, value, np.ones((), np.float32), [x])[0]
    if g is not None:
        g = np.ascontiguousarray(g, np.float32).reshape(a.shape)
    return float(value.item()), g
