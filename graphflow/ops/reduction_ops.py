"""Reductions Sum, Mean, Max, Min: reduction indices are an input tensor (TF convention),
``keep_dims`` keeps reduced axes as size 1. Records, gradients and builders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, op_builder
from graphflow.ops.elementwise import fold


def _normalize_axes(ctx: InferContext, rank: int, value: np.ndarray) -> list[int]:
    axes = []
    for a in np.asarray(value).reshape(-1):
        a = int(a)
        if not -rank <= a < max(rank, 1):
            ctx.fail(f"reduction axis {a} is out of range for {ctx.input_label(0)} (rank {rank})",
                     f"use axes in [-{rank}, {rank})")
        axes.append(a % rank if rank else 0)
    return sorted(set(axes))


class _Reduce(Op):
    input_names = ("input", "reduction_indices")
    writes_out = True
    attr_defaults = {"keep_dims": False, "Tidx": dtypes.int32}
    np_fn: Callable[..., np.ndarray] = staticmethod(np.sum)

    #: (what the input must be, the check): numeric for Sum/Mean/..., bool for All/Any.
    input_domain: tuple[str, Callable[[Any], bool]] = ("a numeric tensor",
                                                       lambda d: d.is_numeric)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x, axes = ctx.inputs
        ctx.require_dtype(0, self.input_domain[1], self.input_domain[0])
        ctx.require_dtype(1, lambda d: d in (dtypes.int32, dtypes.int64), "int32/int64 axes")
        keep = ctx.attr("keep_dims")
        if x.shape.rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        if axes.value is None:
            shape = [None] * x.shape.rank if keep else None
            return [TensorSpec(x.dtype, TensorShape(shape))]
        norm = _normalize_axes(ctx, x.shape.rank, axes.value)
        dims = [(1 if i in norm else d) for i, d in enumerate(x.shape.dims)] if keep else \
            [d for i, d in enumerate(x.shape.dims) if i not in norm]
        value = fold(lambda v: self.np_fn(v, axis=tuple(norm), keepdims=keep), x.value)
        return [TensorSpec(x.dtype, dims, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        keep, fn = ctx.attr("keep_dims"), self.np_fn
        # np.sum of int32 would widen to int64; pin the accumulator to the output dtype.
        extra = {"dtype": ctx.outputs[0].dtype.np_dtype} if fn in (np.sum, np.mean) else {}
        axes_value, rank = ctx.inputs[1].value, ctx.inputs[0].shape.rank
        if axes_value is not None and rank is not None:  # static axes: bind them now
            axes = _kernel_axes(axes_value, rank)
            out = ctx.out[0]
            if out is not None:  # a planned buffer (only for plans with concrete shapes)
                return lambda x, _axes: fn(x, axis=axes, keepdims=keep, out=out, **extra)
            return lambda x, _axes: fn(x, axis=axes, keepdims=keep, **extra)
        return lambda x, a: fn(x, axis=_kernel_axes(a, np.ndim(x)), keepdims=keep, **extra)


def _kernel_axes(value: np.ndarray, rank: int) -> tuple[int, ...]:
    """Reduction indices as numpy wants them: in [0, rank), without duplicates (TF accepts
    ``[1, -2]`` on a rank-3 input as one axis; numpy would reject the repeat). A scalar has
    nothing to reduce: the shape rule lets axis 0 through, so the kernel drops it."""
    if not rank:
        return ()
    return tuple(sorted({int(a) % rank for a in np.asarray(value).reshape(-1)}))


def _keep_dims_shape(t: Tensor, op: Operation) -> Tensor:
    """Reshape a reduced tensor so the reduced axes are size 1 (a no-op with keep_dims)."""
    if op.get_attr("keep_dims"):
        return t
    x, axes = op.inputs
    if axes.spec.value is None or x.shape.rank is None:
        # Axes (or rank) known only at run time, e.g. the Sum nodes that the dynamic
        # unbroadcast of a gradient builds: take the kept shape from the same reduction
        # run with keep_dims=True (one extra pass over x, the cost of the gradient itself).
        kept = _reduce("Sum", x, axes, True, "kept_dims", None)
        return array_ops.reshape(t, array_ops.shape(kept))
    for a in _kernel_axes(axes.spec.value, x.shape.rank):
        t = array_ops.expand_dims(t, a)
    return t


def _broadcast_back(t: Tensor, x: Tensor) -> Tensor:
    return array_ops.broadcast_to(t, array_ops.static_or_dynamic_shape(x))


@register
class Sum(_Reduce):
    """Sum over the given axes."""

    op_type = "Sum"
    np_fn = staticmethod(np.sum)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d sum(x) = g broadcast back over the reduced axes (every element counts once)."""
        x = op.inputs[0]
        return [_broadcast_back(_keep_dims_shape(g, op), x), None]


@register
class Mean(_Reduce):
    """Mean over the given axes."""

    op_type = "Mean"
    np_fn = staticmethod(np.mean)

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        """Floating-point means with static axes and a known count are a sum and one scale
        (np.mean's Python layer costs more than the arithmetic on small tensors)."""
        x, y = ctx.inputs[0], ctx.outputs[0]
        nx, ny = x.shape.num_elements(), y.shape.num_elements()
        if not x.dtype.is_floating or ctx.inputs[1].value is None or x.shape.rank is None \
                or not nx or not ny:
            return super().kernel(ctx)
        axes = _kernel_axes(ctx.inputs[1].value, x.shape.rank)
        keep, out = ctx.attr("keep_dims"), ctx.out[0]
        scale = y.dtype.np_dtype.type(ny / nx)

        def mean(v: np.ndarray, _axes: Any) -> Any:
            total = np.add.reduce(v, axis=axes, keepdims=keep, out=out)
            return np.multiply(total, scale, out=total if out is not None else None)
        return mean

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d mean(x) = g broadcast back over the reduced axes, divided by the count reduced."""
        from graphflow.ops import linalg_ops, math_ops

        x, y = op.inputs[0], op.outputs[0]
        nx, ny = x.shape.num_elements(), y.shape.num_elements()
        if nx is not None and ny:
            scale: Any = op_builder.constant(1.0 / (nx // ny), dtype=g.dtype, graph=op.graph)
            scaled = math_ops.multiply(g, scale)
        else:
            count = math_ops.truediv(array_ops.size(x), array_ops.size(y))
            scaled = math_ops.realdiv(g, linalg_ops.cast(count, g.dtype))
        return [_broadcast_back(_keep_dims_shape(scaled, op), x), None]


class _MinMaxReduce(_Reduce):
    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        from graphflow.ops import linalg_ops, math_ops

        x, axes = op.inputs
        y = _keep_dims_shape(op.outputs[0], op)
        indicators = linalg_ops.cast(math_ops.equal(x, y), g.dtype)
        num_selected = reduce_sum(indicators, axes, keepdims=True)
        share = math_ops.realdiv(indicators, num_selected)
        return [math_ops.multiply(share, _keep_dims_shape(g, op)), None]


@register
class Max(_MinMaxReduce):
    """Maximum over the given axes."""

    op_type = "Max"
    np_fn = staticmethod(np.max)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d max(x) routes g to the element(s) that won; k tied maxima each get g / k."""
        return _MinMaxReduce.grad(self, op, g)


@register
class Min(_MinMaxReduce):
    """Minimum over the given axes."""

    op_type = "Min"
    np_fn = staticmethod(np.min)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d min(x) routes g to the element(s) that won; k tied minima each get g / k."""
        return _MinMaxReduce.grad(self, op, g)


def _reduce(op_type: str, x: Any, axis: Any, keepdims: bool, name: str | None,
            keep_dims: bool | None) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    keep = bool(keep_dims if keep_dims is not None else keepdims)
    with x.graph.as_default():
        if axis is None:
            if x.shape.rank is not None:
                axes = op_builder.constant(np.arange(x.shape.rank, dtype=np.int32))
            else:
                from graphflow.ops import layout_ops
                axes = layout_ops.range_(0, array_ops.size(array_ops.shape(x)), 1)
        elif isinstance(axis, Tensor):
            axes = axis
        else:
            axes = op_builder.constant(np.asarray(axis, dtype=np.int32))
    return op_builder.apply1(op_type, [x, axes], {"T": x.dtype, "Tidx": axes.dtype,
                                                  "keep_dims": keep}, name=name or op_type)


def reduce_sum(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None, keep_dims: bool | None = None) -> Tensor:
    """Sum over ``axis`` (all axes when None); ``keep_dims`` is TF1's spelling."""
    return _reduce("Sum", input_tensor, axis, keepdims, name, keep_dims)


def reduce_mean(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                name: str | None = None, keep_dims: bool | None = None) -> Tensor:
    return _reduce("Mean", input_tensor, axis, keepdims, name, keep_dims)


def reduce_max(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None, keep_dims: bool | None = None) -> Tensor:
    return _reduce("Max", input_tensor, axis, keepdims, name, keep_dims)


def reduce_min(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None, keep_dims: bool | None = None) -> Tensor:
    return _reduce("Min", input_tensor, axis, keepdims, name, keep_dims)
