"""Neural-network ops: BiasAdd/BiasAddGrad, Relu/ReluGrad, Softmax, LogSoftmax, the fused
cross-entropy ops (SoftmaxCrossEntropyWithLogits, SparseSoftmaxCrossEntropyWithLogits) and
L2Loss: records (shape rule, numpy kernel, gradient rule) and their TF1-named builders.

Softmax-family kernels subtract the row maximum before ``exp`` (log-sum-exp), so logits of
1000 neither overflow nor produce NaN. The TF1 public wrappers (keyword-only cross-entropy
entry points, ``softmax(axis=...)``, ``dropout``) are at the end; ``graphflow.nn`` re-exports
them as ``gf.nn``. Each gradient docstring states its math.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.errors import InvalidArgumentError
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, linalg_ops, math_ops, op_builder, reduction_ops
from graphflow.ops.elementwise import NUMERIC, Unary

_DATA_FORMATS = ("NHWC", "NCHW")

# ----------------------------------------------------------------------------------------
# BiasAdd / BiasAddGrad
# ----------------------------------------------------------------------------------------


def _channel_axis(ctx: InferContext, rank: int | None) -> int | None:
    """The axis BiasAdd adds the bias to: last for NHWC, 1 for NCHW (None if rank unknown)."""
    fmt = ctx.attr("data_format")
    if fmt not in _DATA_FORMATS:
        ctx.fail(f"data_format must be 'NHWC' or 'NCHW', got {fmt!r}",
                 "use 'NHWC' (bias on the last axis) or 'NCHW' (bias on axis 1)")
    min_rank = 2 if fmt == "NHWC" else 3
    if rank is not None and rank < min_rank:
        ctx.fail(f"{ctx.input_label(0)} must have rank >= {min_rank} for data_format "
                 f"{fmt}, got rank {rank}",
                 "use gf.add for lower ranks, or reshape the value to [batch, channels, ...]")
    if rank is None:
        return None
    return rank - 1 if fmt == "NHWC" else 1


def _reduce_axes(ndim: int, fmt: str) -> tuple[int, ...]:
    """The axes BiasAddGrad sums over: every axis but the channel axis."""
    channel = ndim - 1 if fmt == "NHWC" else 1
    return tuple(a for a in range(ndim) if a != channel)


@register
class BiasAdd(Op):
    """out = value + bias, with the 1-D bias added along the channel axis (last for NHWC,
    axis 1 for NCHW)."""

    op_type = "BiasAdd"
    input_names = ("value", "bias")
    attr_defaults = {"data_format": "NHWC"}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_same_dtype(0, 1)
        ctx.require_dtype(0, NUMERIC[1], NUMERIC[0])
        value, bias = ctx.inputs
        ctx.require_rank(1, 1)
        axis = _channel_axis(ctx, value.shape.rank)
        if axis is None:
            return [TensorSpec(dt, TensorShape(None))]
        dims = list(value.shape.dims)
        channels, length = dims[axis], bias.shape[0]
        if channels is not None and length is not None and channels != length:
            ctx.fail(f"bias length {length} of {ctx.input_label(1)} does not match the channel "
                     f"dimension {channels} (axis {axis}) of {ctx.input_label(0)}",
                     f"give the bias {channels} elements (one per channel), or check "
                     "data_format")
        dims[axis] = channels if channels is not None else length
        return [TensorSpec(dt, dims)]

    writes_out = True

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        out = ctx.out[0]
        if ctx.attr("data_format") == "NHWC":
            return np.add if out is None else (lambda value, bias: np.add(value, bias, out=out))
        return lambda value, bias: np.add(value, bias.reshape((-1,) + (1,) * (value.ndim - 2)),
                                          out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(value + bias) = (g, BiasAddGrad(g)): the bias gradient sums g over every axis
        except the channel axis."""
        return [g, bias_add_grad(g, data_format=op.get_attr("data_format"))]


@register
class BiasAddGrad(Op):
    """out[c] = sum of out_backprop over every axis except the channel axis."""

    op_type = "BiasAddGrad"
    input_names = ("out_backprop",)
    attr_defaults = {"data_format": "NHWC"}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_dtype(0, NUMERIC[1], NUMERIC[0])
        axis = _channel_axis(ctx, x.shape.rank)
        return [TensorSpec(x.dtype, (None if axis is None else x.shape[axis],))]

    writes_out = True

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fmt, out = ctx.attr("data_format"), ctx.out[0]
        return lambda g: np.sum(g, axis=_reduce_axes(g.ndim, fmt), dtype=g.dtype, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d BiasAddGrad(x) = g broadcast back over the summed axes (TF's _BiasAddGradGrad
        tiles g to x's shape): NHWC broadcasts g[c] along the last axis, NCHW reshapes g to
        [C, 1, ..., 1] first."""
        x = op.inputs[0]
        if op.get_attr("data_format") == "NCHW":
            if x.shape.rank is None:
                raise NotImplementedError(
                    f"BiasAddGrad node '{op.name}': its NCHW gradient needs the input rank "
                    "known when the graph is built")
            g = array_ops.reshape(g, [-1] + [1] * (x.shape.rank - 2))
        return [array_ops.broadcast_to(g, array_ops.static_or_dynamic_shape(x))]


# ----------------------------------------------------------------------------------------
# Relu / ReluGrad
# ----------------------------------------------------------------------------------------


@register
class Relu(Unary):
    """y = max(features, 0)."""

    op_type = "Relu"
    input_names = ("features",)
    domain = NUMERIC

    @staticmethod
    def fn(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d relu(x) = g * (x > 0) = ReluGrad(g, y); y > 0 exactly where x > 0, so the rule
        reads the forward output as TensorFlow's does."""
        return [relu_grad(g, op.outputs[0])]


@register
class ReluGrad(Op):
    """backprops = gradients * (features > 0) (TF input order: gradients first)."""

    op_type = "ReluGrad"
    input_names = ("gradients", "features")

    @staticmethod
    def fn(gradients: np.ndarray, features: np.ndarray) -> np.ndarray:
        return gradients * (features > 0)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_same_dtype(0, 1)
        ctx.require_dtype(0, NUMERIC[1], NUMERIC[0])
        g, f = ctx.inputs
        if not g.shape.is_compatible_with(f.shape):
            ctx.fail(f"{ctx.input_label(0)} and {ctx.input_label(1)} must have the same shape",
                     "pass the upstream gradient of a Relu and that Relu's input or output")
        return [TensorSpec(dt, g.shape.merge_with(f.shape))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return self.fn

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[dy * (x > 0)] = (g * (x > 0), 0) = (ReluGrad(g, x), zeros_like(x)): the mask is
        piecewise constant in x."""
        features = op.inputs[1]
        return [relu_grad(g, features), array_ops.zeros_like(features)]


# ----------------------------------------------------------------------------------------
# Softmax / LogSoftmax
# ----------------------------------------------------------------------------------------


def _sparse_ce_into(features: np.ndarray, labels: np.ndarray, e: np.ndarray, loss: np.ndarray,
                    column: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sparse cross-entropy kernel in planned buffers: ``e`` (backprop, [batch, classes]),
    ``loss`` ([batch]) and a [batch, 1] work column; no temporaries but the picked logits."""
    np.max(features, axis=1, keepdims=True, out=column)
    np.subtract(features, column, out=e)  # shifted logits: exp never overflows
    picked = e[rows, labels]
    np.exp(e, out=e)
    np.sum(e, axis=1, keepdims=True, out=column)
    np.log(column[:, 0], out=loss)
    loss -= picked
    e /= column
    e[rows, labels] -= 1
    return loss, e


def _shifted(x: np.ndarray) -> np.ndarray:
    """x minus its row maximum (last axis): every entry <= 0, so exp never overflows."""
    return x - np.max(x, axis=-1, keepdims=True)


def _softmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return np.empty_like(x)
    e = np.exp(_shifted(x))
    e /= np.sum(e, axis=-1, keepdims=True)
    return e


def _log_softmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return np.empty_like(x)
    s = _shifted(x)
    return s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True))


class _SoftmaxLike(Unary):
    """Normalization over the last axis of a rank >= 1 floating-point tensor."""

    input_names = ("logits",)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        logits = ctx.inputs[0]
        if logits.shape.rank == 0:
            ctx.fail(f"{ctx.input_label(0)} must have rank >= 1 (classes on the last axis)",
                     "reshape a scalar to a vector first")
        return super().infer(ctx)


@register
class Softmax(_SoftmaxLike):
    """y = exp(x) / sum(exp(x), -1), computed as exp(x - max) / sum(exp(x - max))."""

    op_type = "Softmax"
    fn = staticmethod(_softmax)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d softmax(x) = (g - sum(g * y, -1, keepdims)) * y  (reads the forward output y)."""
        y = op.outputs[0]
        dot = reduction_ops.reduce_sum(math_ops.multiply(g, y), -1, keepdims=True)
        return [math_ops.multiply(math_ops.subtract(g, dot), y)]


@register
class LogSoftmax(_SoftmaxLike):
    """y = x - log(sum(exp(x), -1)), computed as (x - max) - log(sum(exp(x - max)))."""

    op_type = "LogSoftmax"
    fn = staticmethod(_log_softmax)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d log_softmax(x) = g - sum(g, -1, keepdims) * exp(y)  (exp(y) is the softmax)."""
        total = reduction_ops.reduce_sum(g, -1, keepdims=True)
        return [math_ops.subtract(g, math_ops.multiply(total, math_ops.exp(op.outputs[0])))]


# ----------------------------------------------------------------------------------------
# Fused softmax cross-entropy
# ----------------------------------------------------------------------------------------


def _softmax_grad_term(gg: Tensor, logits: Tensor) -> Tensor:
    """J_softmax(logits)^T gg = (gg - sum(gg * s, -1, keepdims)) * s, s = softmax(logits):
    the logits gradient coming from the ``backprop`` output (= softmax - labels)."""
    s = softmax_op(logits)
    dot = reduction_ops.reduce_sum(math_ops.multiply(gg, s), -1, keepdims=True)
    return math_ops.multiply(math_ops.subtract(gg, dot), s)


def _scale_rows(g_loss: Tensor, m: Tensor) -> Tensor:
    """expand_dims(g_loss, -1) * m: one upstream scalar per example times its row."""
    return math_ops.multiply(array_ops.expand_dims(g_loss, -1), m)


def _add(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    if a is None:
        return b
    return a if b is None else math_ops.add(a, b)


@register
class SoftmaxCrossEntropyWithLogits(Op):
    """loss[i] = -sum_j labels[i, j] * log_softmax(features)[i, j] and
    backprop = softmax(features) - labels, for rank-2 [batch, classes] inputs."""

    op_type = "SoftmaxCrossEntropyWithLogits"
    input_names = ("features", "labels")

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_same_dtype(0, 1)
        ctx.require_dtype(0, lambda d: d.is_floating, "a floating-point tensor")
        features = _require_matrix(ctx, 0)
        labels = _require_matrix(ctx, 1)
        if not features.is_compatible_with(labels):
            ctx.fail(f"{ctx.input_label(0)} and {ctx.input_label(1)} must have the same shape "
                     "[batch, classes]",
                     "give one label distribution per row of logits (one-hot or soft labels)")
        shape = features.merge_with(labels)
        return [TensorSpec(dt, (shape[0],)), TensorSpec(dt, shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, op_type = ctx.name, ctx.op_type

        def softmax_ce(features: np.ndarray, labels: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
            if features.shape != labels.shape or features.ndim != 2:
                raise InvalidArgumentError(
                    f"{op_type} node '{name}': features {features.shape} and labels "
                    f"{labels.shape} must both be [batch, classes] with the same shape",
                    name, op_type)
            shifted = _shifted(features)
            e = np.exp(shifted)
            total = np.sum(e, axis=-1, keepdims=True)
            loss = -np.sum(labels * (shifted - np.log(total)), axis=-1)
            e /= total
            e -= labels
            return loss, e
        return softmax_ce

    def grad(self, op: Operation, g_loss: Tensor | None, g_backprop: Tensor | None
             ) -> list[Tensor | None]:
        """With s = softmax(x), loss = -sum(labels * log s) and backprop = s - labels:
        d/dx = expand_dims(g_loss, -1) * backprop + (g_bp - sum(g_bp * s, -1, keepdims)) * s,
        d/dlabels = expand_dims(g_loss, -1) * -log_softmax(x) - g_bp. (TF omits the -g_bp
        labels term; it is included here so second-order gradients are exact.)"""
        logits = op.inputs[0]
        d_logits = d_labels = None
        if g_loss is not None:
            d_logits = _scale_rows(g_loss, op.outputs[1])
            d_labels = _scale_rows(g_loss, math_ops.negative(log_softmax_op(logits)))
        if g_backprop is not None:
            d_logits = _add(d_logits, _softmax_grad_term(g_backprop, logits))
            d_labels = _add(d_labels, math_ops.negative(g_backprop))
        return [d_logits, d_labels]


def _require_matrix(ctx: InferContext, i: int) -> TensorShape:
    shape = ctx.inputs[i].shape
    if shape.rank is not None and shape.rank != 2:
        ctx.fail(f"{ctx.input_label(i)} must have rank 2 [batch, classes], got rank "
                 f"{shape.rank}",
                 "use gf.nn.softmax_cross_entropy_with_logits, which handles other ranks")
    return shape.with_rank(2) if shape.rank is None else shape


@register
class SparseSoftmaxCrossEntropyWithLogits(Op):
    """loss[i] = -log_softmax(features)[i, labels[i]] and
    backprop = softmax(features) - one_hot(labels), for [batch, classes] features and
    [batch] integer labels in [0, classes)."""

    op_type = "SparseSoftmaxCrossEntropyWithLogits"
    input_names = ("features", "labels")
    attr_defaults = {"Tlabels": dtypes.int64}
    writes_out = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_dtype(0, lambda d: d.is_floating, "a floating-point tensor")
        ctx.require_dtype(1, lambda d: d in (dtypes.int32, dtypes.int64),
                          "an int32/int64 tensor of class indices")
        features = _require_matrix(ctx, 0)
        labels = ctx.inputs[1].shape
        if labels.rank is not None and labels.rank != 1:
            ctx.fail(f"{ctx.input_label(1)} must have rank 1 [batch], got rank {labels.rank}",
                     "pass one class index per row of the logits")
        batch = features[0]
        if labels.rank is not None:
            if batch is not None and labels[0] is not None and batch != labels[0]:
                ctx.fail(f"{ctx.input_label(0)} and {ctx.input_label(1)} disagree on the batch "
                         f"size ({batch} vs {labels[0]})",
                         "give exactly one label per row of logits")
            batch = batch if batch is not None else labels[0]
        return [TensorSpec(dt, (batch,)), TensorSpec(dt, (batch, features[1]))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, op_type = ctx.name, ctx.op_type

        def sparse_softmax_ce(features: np.ndarray, labels: np.ndarray
                              ) -> tuple[np.ndarray, np.ndarray]:
            if features.ndim != 2 or labels.shape != features.shape[:1]:
                raise InvalidArgumentError(
                    f"{op_type} node '{name}': features must be [batch, classes] and labels "
                    f"[batch], got features {features.shape} and labels {labels.shape}",
                    name, op_type)
            n, classes = features.shape
            if n and (labels.min() < 0 or labels.max() >= classes):
                row = int(np.flatnonzero((labels < 0) | (labels >= classes))[0])
                raise InvalidArgumentError(
                    f"{op_type} node '{name}': received a label value of {int(labels[row])} "
                    f"(row {row}) which is outside the valid range of [0, {classes}) for "
                    f"{classes} classes. Fix: labels must be class indices in [0, {classes})",
                    name, op_type)
            if planned is not None and features.shape == planned[0].shape:
                return _sparse_ce_into(features, labels, *planned)
            shifted = _shifted(features)
            e = np.exp(shifted)
            total = np.sum(e, axis=-1, keepdims=True)
            picked = np.take_along_axis(shifted, labels[:, None].astype(np.intp), axis=1)
            loss = (np.log(total) - picked)[:, 0]
            e /= total
            e[np.arange(n), labels] -= 1
            return loss, e

        planned = None
        shape = ctx.concrete(ctx.outputs[1])
        if ctx.out[0] is not None and ctx.out[1] is not None and shape is not None:
            column = ctx.scratch((shape[0], 1), ctx.out[1].dtype)
            planned = (ctx.out[1], ctx.out[0], column, np.arange(shape[0]))
        return sparse_softmax_ce

    def grad(self, op: Operation, g_loss: Tensor | None, g_backprop: Tensor | None
             ) -> list[Tensor | None]:
        """With s = softmax(x): d/dx = expand_dims(g_loss, -1) * backprop
        + (g_bp - sum(g_bp * s, -1, keepdims)) * s (the second term only when the backprop
        output itself is differentiated, e.g. second order); integer labels get None."""
        logits = op.inputs[0]
        d_logits = None if g_loss is None else _scale_rows(g_loss, op.outputs[1])
        if g_backprop is not None:
            d_logits = _add(d_logits, _softmax_grad_term(g_backprop, logits))
        return [d_logits, None]


# ----------------------------------------------------------------------------------------
# L2Loss
# ----------------------------------------------------------------------------------------


@register
class L2Loss(Op):
    """output = sum(t^2) / 2, a scalar."""

    op_type = "L2Loss"
    input_names = ("t",)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_dtype(0, lambda d: d.is_floating, "a floating-point tensor")
        return [TensorSpec(dt, ())]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda t: np.asarray(np.sum(np.square(t)) / 2, dtype=t.dtype)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(sum(t^2) / 2) = g * t."""
        return [math_ops.multiply(op.inputs[0], g)]


# ----------------------------------------------------------------------------------------
# Raw builders (one node each)
# ----------------------------------------------------------------------------------------


def _unary(op_type: str, x: Any, name: str | None) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1(op_type, [x], {"T": x.dtype}, name=name or op_type)


def relu(features: Any, name: str | None = None) -> Tensor:
    """``tf.nn.relu``: max(features, 0)."""
    return _unary("Relu", features, name)


def relu_grad(gradients: Any, features: Any, name: str | None = None) -> Tensor:
    g, f = op_builder.convert_n([gradients, features])
    return op_builder.apply1("ReluGrad", [g, f], {"T": g.dtype}, name=name or "ReluGrad")


def softmax_op(logits: Any, name: str | None = None) -> Tensor:
    """One ``Softmax`` node over the last axis."""
    return _unary("Softmax", logits, name)


def log_softmax_op(logits: Any, name: str | None = None) -> Tensor:
    """One ``LogSoftmax`` node over the last axis."""
    return _unary("LogSoftmax", logits, name)


def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """``tf.nn.l2_loss``: sum(t^2) / 2."""
    return _unary("L2Loss", t, name)


def _bias_format(data_format: str | None) -> str:
    """TF's spellings: None/'NHWC'/'N...C' -> NHWC, 'NCHW'/'NC...' -> NCHW."""
    if data_format is None:
        return "NHWC"
    fmt = data_format.decode() if isinstance(data_format, bytes) else str(data_format)
    if fmt.startswith("NC"):
        return "NCHW"
    if fmt.startswith("N") and fmt.endswith("C"):
        return "NHWC"
    raise ValueError(f"bias_add: data_format must be 'NHWC' (channels last) or 'NCHW' "
                     f"(channels on axis 1), got {data_format!r}")


def bias_add(value: Any, bias: Any, data_format: str | None = None,
             name: str | None = None) -> Tensor:
    """``tf.nn.bias_add``: value + bias along the channel axis (last for NHWC, 1 for NCHW)."""
    v, b = op_builder.convert_n([value, bias])
    return op_builder.apply1("BiasAdd", [v, b], {"T": v.dtype,
                                                 "data_format": _bias_format(data_format)},
                             name=name or "BiasAdd")


def bias_add_grad(out_backprop: Any, data_format: str = "NHWC",
                  name: str | None = None) -> Tensor:
    g = op_builder.convert_to_tensor(out_backprop)
    return op_builder.apply1("BiasAddGrad", [g], {"T": g.dtype,
                                                  "data_format": _bias_format(data_format)},
                             name=name or "BiasAddGrad")


def softmax_cross_entropy_with_logits_op(features: Any, labels: Any, name: str | None = None
                                         ) -> tuple[Tensor, Tensor]:
    """One ``SoftmaxCrossEntropyWithLogits`` node: (loss [batch], backprop [batch, classes])."""
    f = op_builder.convert_to_tensor(features)
    lab = op_builder.convert_to_tensor(labels, dtype=f.dtype)
    op = op_builder.apply("SoftmaxCrossEntropyWithLogits", [f, lab], {"T": f.dtype},
                          name=name or "SoftmaxCrossEntropyWithLogits")
    return op.outputs[0], op.outputs[1]


def sparse_softmax_cross_entropy_with_logits_op(features: Any, labels: Any,
                                                name: str | None = None
                                                ) -> tuple[Tensor, Tensor]:
    """One ``SparseSoftmaxCrossEntropyWithLogits`` node: (loss, backprop)."""
    f = op_builder.convert_to_tensor(features)
    lab = op_builder.convert_to_tensor(labels, preferred_dtype=dtypes.int32, graph=f.graph)
    op = op_builder.apply("SparseSoftmaxCrossEntropyWithLogits", [f, lab],
                          {"T": f.dtype, "Tlabels": lab.dtype},
                          name=name or "SparseSoftmaxCrossEntropyWithLogits")
    return op.outputs[0], op.outputs[1]


# ----------------------------------------------------------------------------------------
# TF1 public wrappers (gf.nn)
# ----------------------------------------------------------------------------------------


def _resolve_axis(fn: str, x: Tensor, axis: Any, dim: Any) -> int | None:
    """The normalized class axis, or None for "the last axis" (fused kernels)."""
    if axis is not None and dim is not None:
        raise ValueError(f"{fn}: pass only one of axis and dim (dim is its deprecated name)")
    a = axis if axis is not None else dim
    if a is None or a == -1:
        return None
    if isinstance(a, Tensor):
        raise TypeError(f"{fn}: axis must be a Python int, got tensor '{a.name}'")
    rank = x.shape.rank
    if rank is None:
        raise ValueError(f"{fn}: axis={a} needs the rank of '{x.name}' known when the graph is "
                         "built (its shape is unknown); use the last axis (-1)")
    if not -rank <= int(a) < rank:
        raise ValueError(f"{fn}: axis {a} is out of range for '{x.name}' of shape {x.shape}")
    a = int(a) % rank
    return None if a == rank - 1 else a


def _shifted_along(x: Tensor, axis: int) -> Tensor:
    """x - max(x, axis): the max is a constant shift, so its gradient is stopped."""
    top = array_ops.stop_gradient(reduction_ops.reduce_max(x, axis, keepdims=True))
    return math_ops.subtract(x, top)


def _log_softmax_along(x: Tensor, axis: int, name: str | None = None) -> Tensor:
    """Composite, numerically stable log-softmax over any static axis."""
    s = _shifted_along(x, axis)
    total = reduction_ops.reduce_sum(math_ops.exp(s), axis, keepdims=True)
    return math_ops.subtract(s, math_ops.log(total), name=name)


def softmax(logits: Any, axis: int | None = None, name: str | None = None,
            dim: int | None = None) -> Tensor:
    """``tf.nn.softmax``: a fused ``Softmax`` node over the last axis; other axes use a
    stable composite (exp(x - max) / sum) built from primitives."""
    x = op_builder.convert_to_tensor(logits)
    a = _resolve_axis("softmax", x, axis, dim)
    if a is None:
        return softmax_op(x, name=name)
    with x.graph.as_default(), x.graph.name_scope(name or "Softmax") as scope:
        e = math_ops.exp(_shifted_along(x, a))
        return math_ops.realdiv(e, reduction_ops.reduce_sum(e, a, keepdims=True), name=scope)


def log_softmax(logits: Any, axis: int | None = None, name: str | None = None,
                dim: int | None = None) -> Tensor:
    """``tf.nn.log_softmax``: a fused ``LogSoftmax`` node over the last axis; other axes use
    a stable composite built from primitives."""
    x = op_builder.convert_to_tensor(logits)
    a = _resolve_axis("log_softmax", x, axis, dim)
    if a is None:
        return log_softmax_op(x, name=name)
    with x.graph.as_default(), x.graph.name_scope(name or "LogSoftmax") as scope:
        return _log_softmax_along(x, a, name=scope)


def _keyword_only(fn: str, sentinel: Any, labels: Any, logits: Any) -> None:
    if sentinel is not None:
        raise ValueError(f"Only call `{fn}` with named arguments (labels=..., logits=..., "
                         "...); a positional argument was given")
    if labels is None or logits is None:
        raise ValueError(f"{fn}: both labels= and logits= must be provided")


def softmax_cross_entropy_with_logits_v2(_sentinel: Any = None, labels: Any = None,
                                         logits: Any = None, dim: int = -1,
                                         name: str | None = None,
                                         axis: int | None = None) -> Tensor:
    """``tf.nn.softmax_cross_entropy_with_logits_v2``: per-example -sum(labels * log
    softmax(logits)) over the class axis (``axis``, or its older name ``dim``); gradients
    flow into both logits and labels. Rank-2 inputs with classes last use the fused op;
    other ranks/axes a stable composite built from primitives."""
    fn = "softmax_cross_entropy_with_logits_v2"
    _keyword_only(fn, _sentinel, labels, logits)
    x = op_builder.convert_to_tensor(logits)
    lab = op_builder.convert_to_tensor(labels, dtype=x.dtype)
    if not x.shape.is_compatible_with(lab.shape):
        raise ValueError(f"{fn}: labels '{lab.name}' {lab.shape} and logits '{x.name}' "
                         f"{x.shape} must have the same shape")
    a = _resolve_axis(fn, x, axis if axis is not None else dim, None)
    with x.graph.as_default(), \
            x.graph.name_scope(name or "softmax_cross_entropy_with_logits") as scope:
        if a is None and x.shape.rank == 2 and lab.shape.rank in (2, None):
            return softmax_cross_entropy_with_logits_op(x, lab, name=scope)[0]
        if x.shape.rank is None:
            raise ValueError(f"{fn}: logits '{x.name}' must have a known rank")
        a = x.shape.rank - 1 if a is None else a
        log_p = _log_softmax_along(x, a)
        return math_ops.negative(reduction_ops.reduce_sum(math_ops.multiply(lab, log_p), a),
                                 name=scope)


def softmax_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                      logits: Any = None, dim: int = -1,
                                      name: str | None = None,
                                      axis: int | None = None) -> Tensor:
    """TF1 ``tf.nn.softmax_cross_entropy_with_logits``: like ``_v2`` but no gradient flows
    into ``labels`` (TF1 wraps them in ``stop_gradient``)."""
    _keyword_only("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    x = op_builder.convert_to_tensor(logits)
    with x.graph.as_default():
        lab = array_ops.stop_gradient(op_builder.convert_to_tensor(labels, dtype=x.dtype),
                                      name="labels_stop_gradient")
        return softmax_cross_entropy_with_logits_v2(labels=lab, logits=x, dim=dim, axis=axis,
                                                    name=name)


def sparse_softmax_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                             logits: Any = None, name: str | None = None
                                             ) -> Tensor:
    """``tf.nn.sparse_softmax_cross_entropy_with_logits``: per-example -log softmax(logits)
    at the integer class ``labels``. logits [d0, ..., dn, classes] with labels [d0, ..., dn];
    ranks above 2 are flattened to the fused rank-2 op (classes must be static) and the loss
    reshaped back to the labels' shape."""
    fn = "sparse_softmax_cross_entropy_with_logits"
    _keyword_only(fn, _sentinel, labels, logits)
    x = op_builder.convert_to_tensor(logits)
    lab = op_builder.convert_to_tensor(labels, preferred_dtype=dtypes.int32, graph=x.graph)
    xr, lr = x.shape.rank, lab.shape.rank
    if xr == 0:
        raise ValueError(f"{fn}: logits '{x.name}' must have rank >= 1, got a scalar")
    if xr is not None and lr is not None and lr != xr - 1:
        raise ValueError(f"{fn}: rank mismatch: labels '{lab.name}' {lab.shape} must have rank "
                         f"{xr - 1} (the rank of logits '{x.name}' {x.shape} minus 1); "
                         "pass one class index per row of logits")
    if xr is not None and lr is not None and not lab.shape.is_compatible_with(x.shape[:-1]):
        raise ValueError(f"{fn}: labels '{lab.name}' {lab.shape} and logits '{x.name}' "
                         f"{x.shape} must agree on the leading (batch) dimensions: labels "
                         f"should have shape {x.shape[:-1]}")
    with x.graph.as_default(), \
            x.graph.name_scope(name or "SparseSoftmaxCrossEntropyWithLogits") as scope:
        if xr == 2 or xr is None:
            return sparse_softmax_cross_entropy_with_logits_op(x, lab, name=scope)[0]
        classes = x.shape[-1]
        if classes is None:
            raise ValueError(f"{fn}: logits '{x.name}' {x.shape} of rank {xr} need a static "
                             "class dimension (the last) to be flattened to rank 2")
        flat_x = array_ops.reshape(x, [-1, classes])
        flat_l = array_ops.reshape(lab, [-1])
        loss = sparse_softmax_cross_entropy_with_logits_op(flat_x, flat_l, name="xentropy")[0]
        out = array_ops.reshape(loss, array_ops.static_or_dynamic_shape(lab), name=scope)
        out.set_shape(lab.shape)  # keep the dims known statically (a Shape value may not be)
        return out


def dropout(x: Any, keep_prob: Any = None, noise_shape: Any = None, seed: int | None = None,
            name: str | None = None, rate: Any = None) -> Tensor:
    """TF1 ``tf.nn.dropout``: keep each element with probability keep_prob (= 1 - rate) and
    scale kept ones by 1 / keep_prob. A composite of RandomUniform, GreaterEqual, Cast, Mul
    and RealDiv: mask = cast(uniform >= rate), out = x / keep_prob * mask."""
    if (keep_prob is None) == (rate is None):
        raise ValueError("dropout: pass exactly one of keep_prob and rate (rate = 1 - keep_prob)")
    x = op_builder.convert_to_tensor(x)
    if not x.dtype.is_floating:
        raise ValueError(f"dropout: x '{x.name}' must be floating point, got {x.dtype.name}")
    for what, v in (("keep_prob", keep_prob), ("rate", rate)):
        if v is not None and not isinstance(v, Tensor):
            lo_ok = float(v) > 0 if what == "keep_prob" else float(v) >= 0
            hi_ok = float(v) <= 1 if what == "keep_prob" else float(v) < 1
            if not (lo_ok and hi_ok):
                span = "(0, 1]" if what == "keep_prob" else "[0, 1)"
                raise ValueError(f"dropout: {what} must be a number in {span}, got {v}")
    if keep_prob is not None and not isinstance(keep_prob, Tensor) and float(keep_prob) == 1:
        return x
    if rate is not None and not isinstance(rate, Tensor) and float(rate) == 0:
        return x
    with x.graph.as_default(), x.graph.name_scope(name or "dropout") as scope:
        if keep_prob is not None:
            keep = op_builder.convert_to_tensor(keep_prob, dtype=x.dtype, name="keep_prob")
            drop = math_ops.subtract(op_builder.constant(1, dtype=x.dtype), keep, name="rate")
        else:
            drop = op_builder.convert_to_tensor(rate, dtype=x.dtype, name="rate")
            keep = math_ops.subtract(op_builder.constant(1, dtype=x.dtype), drop,
                                     name="keep_prob")
        if noise_shape is None:
            noise_shape = array_ops.static_or_dynamic_shape(x)
        uniform = _random_uniform(noise_shape, x.dtype, seed)
        mask = linalg_ops.cast(math_ops.greater_equal(uniform, drop), x.dtype)
        return math_ops.multiply(math_ops.realdiv(x, keep), mask, name=scope)


def _random_uniform(shape: Any, dtype: dtypes.DType, seed: int | None) -> Tensor:
    from graphflow.ops import random_ops

    return random_ops.random_uniform(shape, dtype=dtype, seed=seed)
