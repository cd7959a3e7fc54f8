"""Neural-network ops: BiasAdd/BiasAddGrad, Softmax, LogSoftmax and L2Loss — records
(shape rule, numpy kernel, gradient rule) and their TF1-named builders — plus the TF1
wrappers ``softmax(axis=...)``, ``log_softmax`` and ``dropout``. Activations (Relu, Elu,
...) are in ``activation_ops``, the cross-entropies in ``cross_entropy_ops``;
``graphflow.nn`` re-exports all of them as ``gf.nn``.

Softmax-family kernels subtract the row maximum before ``exp`` (log-sum-exp), so logits of
1000 neither overflow nor produce NaN. Each gradient docstring states its math.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework.errors import node_error
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import (
    array_ops,
    comparison_ops,
    linalg_ops,
    math_ops,
    op_builder,
    random_ops,
    reduction_ops,
)
from graphflow.ops.op_base import NUMERIC, Unary, elementwise_row_inputs

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

    calls_blas = False

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

    def row_inputs(self, ctx: KernelContext) -> tuple[bool, ...] | None:
        return elementwise_row_inputs(ctx)  # the bias is never along the rows (axis 0)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(value + bias) = (g, BiasAddGrad(g)): the bias gradient sums g over every axis
        except the channel axis."""
        return [g, bias_add_grad(g, data_format=op.get_attr("data_format"))]


@register
class BiasAddGrad(Op):
    """out[c] = sum of out_backprop over every axis except the channel axis."""

    calls_blas = False

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
        rank = ctx.inputs[0].shape.rank
        if rank is not None:  # np.add.reduce is what np.sum runs, minus its Python layer
            axes, dtype = _reduce_axes(rank, fmt), ctx.inputs[0].dtype.np_dtype
            return lambda g: np.add.reduce(g, axes, dtype, out)
        return lambda g: np.sum(g, axis=_reduce_axes(g.ndim, fmt), dtype=g.dtype, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d BiasAddGrad(x) = g broadcast back over the summed axes (TF's _BiasAddGradGrad
        tiles g to x's shape): NHWC broadcasts g[c] along the last axis, NCHW reshapes g to
        [C, 1, ..., 1] first."""
        x = op.inputs[0]
        if op.get_attr("data_format") == "NCHW":
            if x.shape.rank is None:
                raise NotImplementedError(node_error(
                    op.name, "BiasAddGrad", "its NCHW gradient needs the input rank known "
                    "when the graph is built"))
            g = array_ops.reshape(g, [-1] + [1] * (x.shape.rank - 2))
        return [array_ops.broadcast_to(g, array_ops.static_or_dynamic_shape(x))]


# ----------------------------------------------------------------------------------------
# Softmax / LogSoftmax
# ----------------------------------------------------------------------------------------


def subtract_row_max(x: np.ndarray) -> np.ndarray:
    """x minus its row maximum (last axis): every entry <= 0, so exp never overflows."""
    return x - np.max(x, axis=-1, keepdims=True)


def _softmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return np.empty_like(x)
    e = np.exp(subtract_row_max(x))
    e /= np.sum(e, axis=-1, keepdims=True)
    return e


def _log_softmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return np.empty_like(x)
    s = subtract_row_max(x)
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
# L2Loss
# ----------------------------------------------------------------------------------------


@register
class L2Loss(Op):
    """output = sum(t^2) / 2, a scalar."""

    calls_blas = False

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
# Builder functions
# ----------------------------------------------------------------------------------------


def _unary(op_type: str, x: Any, name: str | None) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1(op_type, [x], {"T": x.dtype}, name=name or op_type)


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


def resolve_class_axis(fn: str, x: Tensor, axis: Any, dim: Any) -> int | None:
    """The normalized class axis of softmax-like builder ``fn`` (``axis``, or its
    deprecated name ``dim``), or None for "the last axis" (fused kernels). With an input of
    unknown rank any axis but -1 is returned as given, for the composite path."""
    if axis is not None and dim is not None:
        raise ValueError(f"{fn}: pass only one of axis and dim (dim is its deprecated name)")
    a = axis if axis is not None else dim
    if a is None or a == -1:
        return None
    if isinstance(a, Tensor):
        raise TypeError(f"{fn}: axis must be a Python int, got tensor '{a.name}'")
    rank = x.shape.rank
    if rank is None:  # the composite reduces over ``a`` as given (checked when it runs)
        return int(a)
    if not -rank <= int(a) < rank:
        raise ValueError(f"{fn}: axis {a} is out of range for '{x.name}' of shape {x.shape}")
    a = int(a) % rank
    return None if a == rank - 1 else a


def _shifted_along(x: Tensor, axis: int) -> Tensor:
    """x - max(x, axis): the max is a constant shift, so its gradient is stopped."""
    top = array_ops.stop_gradient(reduction_ops.reduce_max(x, axis, keepdims=True))
    return math_ops.subtract(x, top)


def log_softmax_along(x: Tensor, axis: int, name: str | None = None) -> Tensor:
    """Composite, numerically stable log-softmax over any static axis."""
    s = _shifted_along(x, axis)
    total = reduction_ops.reduce_sum(math_ops.exp(s), axis, keepdims=True)
    return math_ops.subtract(s, math_ops.log(total), name=name)


def softmax(logits: Any, axis: int | None = None, name: str | None = None,
            dim: int | None = None) -> Tensor:
    """``tf.nn.softmax``: a fused ``Softmax`` node over the last axis; other axes use a
    stable composite (exp(x - max) / sum) built from primitives."""
    x = op_builder.convert_to_tensor(logits)
    a = resolve_class_axis("softmax", x, axis, dim)
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
    a = resolve_class_axis("log_softmax", x, axis, dim)
    if a is None:
        return log_softmax_op(x, name=name)
    with x.graph.as_default(), x.graph.name_scope(name or "LogSoftmax") as scope:
        return log_softmax_along(x, a, name=scope)


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
        uniform = random_ops.random_uniform(noise_shape, dtype=x.dtype, seed=seed)
        mask = linalg_ops.cast(comparison_ops.greater_equal(uniform, drop), x.dtype)
        return math_ops.multiply(math_ops.realdiv(x, keep), mask, name=scope)
