"""Sources, shapes and tensor plumbing: Const, Placeholder, PlaceholderWithDefault,
Identity, StopGradient, CheckNumerics, Snapshot, Shape, Size, Rank, Reshape, ExpandDims,
Squeeze, Fill, ZerosLike, OnesLike, BroadcastTo and BroadcastGradientArgs, with their
TF1-named builders, and ``unbroadcast`` (summing a gradient back to the shape of a
broadcast operand), which the element-wise families above use.

This module sits below the reductions: the ``Sum`` nodes that ``unbroadcast`` and Fill's
gradient need are added with ``op_builder.raw_op`` (see the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes, tensor_util
from graphflow.framework.errors import InvalidArgumentError
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape, as_shape, broadcast_shapes
from graphflow.ops import op_builder
from graphflow.ops.op_base import ANY, Unary, run_error

# ----------------------------------------------------------------------------------------
# Sources
# ----------------------------------------------------------------------------------------


@register
class Const(Op):
    """A constant tensor stored in the ``value`` attr (TensorProto)."""

    calls_blas = False

    op_type = "Const"
    differentiable = False
    returns_alias = True  # the kernel returns the same (read-only) array every run

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        proto = ctx.node_def.attr["value"].tensor if "value" in ctx.node_def.attr else None
        if proto is None:
            ctx.fail("has no 'value' attribute", "create constants with gf.constant")
        dt = ctx.attr("dtype")
        if dt.as_datatype_enum != dtypes.as_dtype(proto.dtype).as_datatype_enum:
            ctx.fail(f"dtype attr {dt.name} differs from its value's dtype "
                     f"{dtypes.as_dtype(proto.dtype).name}")
        shape = TensorShape(proto.tensor_shape)
        n = shape.num_elements()
        value = None
        if n is not None and n <= 4096:
            value = tensor_util.make_ndarray(proto)
        return [TensorSpec(dt, shape, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        proto = ctx.node_def.attr["value"].tensor
        ctx.check_size(TensorShape(proto.tensor_shape).as_list(), ctx.attr("dtype").np_dtype)
        value = tensor_util.make_ndarray(proto)
        value.flags.writeable = False
        return lambda: value


@register
class Placeholder(Op):
    """A value supplied through ``feed_dict`` at run time."""

    calls_blas = False

    op_type = "Placeholder"
    differentiable = False
    attr_defaults = {"shape": TensorShape(None)}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        return [TensorSpec(ctx.attr("dtype"), ctx.attr("shape"))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name = ctx.name

        def unfed() -> None:
            raise InvalidArgumentError(
                f"placeholder '{name}' must be fed a value (feed_dict={{'{name}:0': ...}})",
                name, "Placeholder")
        return unfed


@register
class PlaceholderWithDefault(Op):
    """Returns ``input`` unless fed; the fed value must match ``shape``."""

    calls_blas = False

    op_type = "PlaceholderWithDefault"
    passes_indexed_slices = True
    input_names = ("input",)
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        shape = ctx.attr("shape")
        if not shape.is_compatible_with(ctx.inputs[0].shape):
            ctx.fail(f"default {ctx.input_label(0)} is not compatible with shape {shape}")
        return [TensorSpec(ctx.inputs[0].dtype, shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda x: x

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d identity(x) = g."""
        return [g]


# ----------------------------------------------------------------------------------------
# Identity-like
# ----------------------------------------------------------------------------------------


@register
class Identity(Op):
    """y = x (also the ``read`` of a TF1 variable)."""

    calls_blas = False

    op_type = "Identity"
    passes_indexed_slices = True
    input_names = ("input",)
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        return [TensorSpec(x.dtype, x.shape, x.value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda x: x

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d identity(x) = g."""
        return [g]


@register
class StopGradient(Identity):
    """y = x in the forward pass; gradients do not flow through (registered non-differentiable)."""

    op_type = "StopGradient"
    differentiable = False


@register
class CheckNumerics(Identity):
    """y = x, failing the run with ``message`` if x contains NaN or Inf."""

    op_type = "CheckNumerics"
    attr_defaults = {"message": ""}
    # An assertion: it must run even when only a control dependency needs it, and must
    # never be folded away or aliased by plan specialization.
    stateful = True

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, message = ctx.name, ctx.attr("message")

        def check(x: np.ndarray) -> np.ndarray:
            if not np.all(np.isfinite(x)):
                kind = "NaN" if np.isnan(x).any() else "Inf"
                raise InvalidArgumentError(f"{message} : Tensor had {kind} values "
                                           f"(CheckNumerics node '{name}')", name, "CheckNumerics")
            return x
        return check

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d check(x) = g, itself checked (TF checks the gradient too)."""
        return [check_numerics(g, f"Not a number (NaN) or infinity (Inf) values detected in "
                                  f"gradient. {op.get_attr('message')}")]


@register
class Snapshot(Unary):
    """y = a copy of ``input`` (never an alias of it), any dtype."""

    op_type = "Snapshot"
    passes_indexed_slices = True
    input_names = ("input",)
    domain = ANY
    fn = staticmethod(np.copy)

    @staticmethod
    def fn_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, x)
        return out

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d snapshot(x) = g."""
        return [g]


# ----------------------------------------------------------------------------------------
# Shape queries
# ----------------------------------------------------------------------------------------


class _ShapeQuery(Op):
    calls_blas = False
    input_names = ("input",)
    differentiable = False
    attr_defaults = {"out_type": dtypes.int32}


@register
class Shape(_ShapeQuery):
    """The run-time shape of ``input`` as a 1-D int tensor (value known statically when the
    static shape is fully defined)."""

    op_type = "Shape"

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x, out_type = ctx.inputs[0].shape, ctx.attr("out_type")
        value = np.array(x.as_list(), dtype=out_type.np_dtype) if x.is_fully_defined() else None
        return [TensorSpec(out_type, (x.rank,), value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        np_dtype = ctx.attr("out_type").np_dtype
        return lambda x: np.array(np.shape(x), dtype=np_dtype)


@register
class Size(_ShapeQuery):
    """Number of elements of ``input`` as a scalar."""

    op_type = "Size"

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        n, out_type = ctx.inputs[0].shape.num_elements(), ctx.attr("out_type")
        return [TensorSpec(out_type, (), None if n is None else np.array(n, out_type.np_dtype))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        np_dtype = ctx.attr("out_type").np_dtype
        return lambda x: np.array(np.size(x), dtype=np_dtype)


@register
class Rank(Op):
    """The number of dimensions of ``input`` as an int32 scalar (value known statically
    when the rank is)."""

    calls_blas = False

    op_type = "Rank"
    input_names = ("input",)
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        rank = ctx.inputs[0].shape.rank
        return [TensorSpec(dtypes.int32, (), None if rank is None
                           else np.array(rank, dtype=np.int32))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda x: np.array(np.ndim(x), dtype=np.int32)


# ----------------------------------------------------------------------------------------
# Reshaping
# ----------------------------------------------------------------------------------------


@register
class Reshape(Op):
    """Same elements, new shape; one ``-1`` entry is inferred."""

    calls_blas = False

    op_type = "Reshape"
    input_names = ("tensor", "shape")
    attr_defaults = {"Tshape": dtypes.int32}
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        target = ctx.inputs[1].value
        if target is None:
            return [TensorSpec(x.dtype, ctx.shape_from_value(1))]
        dims = [int(d) for d in np.asarray(target).reshape(-1)]
        if dims.count(-1) > 1:
            ctx.fail(f"shape {dims} has more than one -1", "give all but one dimension")
        n = x.shape.num_elements()
        known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        out: list[int | None] = list(dims)
        if -1 in dims:
            i = dims.index(-1)
            if n is not None:
                if known == 0 or n % known:
                    ctx.fail(f"cannot reshape {ctx.input_label(0)} ({n} elements) to {dims}")
                out[i] = n // known
            else:
                out[i] = None
        elif n is not None and n != known:
            ctx.fail(f"cannot reshape {ctx.input_label(0)} ({n} elements) into shape "
                     f"{tuple(dims)} ({known} elements)",
                     "the element counts must match; use -1 for one inferred dimension")
        value = None if x.value is None else x.value.reshape(dims)
        return [TensorSpec(x.dtype, out, value)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name = ctx.name
        target = ctx.concrete(ctx.outputs[0])
        if target is not None and ctx.inputs[1].value is not None:
            # A specialized plan with a constant shape: bind the target tuple once (converting
            # the int32 shape array costs microseconds per call); other sizes still fail below.
            size = math.prod(target)

            def reshape_to_target(x: np.ndarray, shape: np.ndarray) -> np.ndarray:
                if x.size == size:
                    return x.reshape(target)
                return reshape_kernel(x, shape)
        else:
            reshape_to_target = None  # type: ignore[assignment]

        def reshape_kernel(x: np.ndarray, shape: np.ndarray) -> np.ndarray:
            try:
                return np.reshape(x, shape)
            except ValueError:
                raise run_error(name, "Reshape", f"cannot reshape a tensor of shape {x.shape} "
                                f"({x.size} elements) into shape "
                                f"{tuple(int(d) for d in shape)}") from None
        return reshape_to_target if reshape_to_target is not None else reshape_kernel

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d reshape(x) = reshape(g, shape(x))."""
        x = op.inputs[0]
        return [reshape(g, static_or_dynamic_shape(x)), None]


@register
class ExpandDims(Op):
    """Insert a size-1 axis at ``axis`` (negative counts from the end)."""

    calls_blas = False

    op_type = "ExpandDims"
    input_names = ("input", "axis")
    attr_defaults = {"Tdim": dtypes.int32}
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x, axis = ctx.inputs
        if axis.value is None or x.shape.rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        a = int(np.asarray(axis.value).reshape(-1)[0])
        rank = x.shape.rank
        if not -rank - 1 <= a <= rank:
            ctx.fail(f"axis {a} is out of range for {ctx.input_label(0)} (rank {rank})")
        a = a if a >= 0 else a + rank + 1
        dims = list(x.shape.dims)
        dims.insert(a, 1)
        return [TensorSpec(x.dtype, dims, None if x.value is None else x.value.reshape(dims))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda x, axis: np.expand_dims(x, int(np.asarray(axis).reshape(-1)[0]))

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d expand_dims(x) = reshape(g, shape(x))."""
        return [reshape(g, static_or_dynamic_shape(op.inputs[0])), None]


@register
class Squeeze(Op):
    """Remove size-1 axes (all of them, or those in ``squeeze_dims``)."""

    calls_blas = False

    op_type = "Squeeze"
    input_names = ("input",)
    attr_defaults = {"squeeze_dims": []}
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        axes = list(ctx.attr("squeeze_dims"))
        if x.shape.rank is None:
            return [TensorSpec(x.dtype, TensorShape(None))]
        rank = x.shape.rank
        norm = []
        for a in axes:
            if not -rank <= a < rank:
                ctx.fail(f"squeeze axis {a} is out of range for {ctx.input_label(0)}")
            norm.append(a % rank)
        out = []
        for i, d in enumerate(x.shape.dims):
            if (norm and i in norm) or (not norm and d == 1):
                if d is not None and d != 1:
                    ctx.fail(f"cannot squeeze axis {i} of {ctx.input_label(0)}: its size is {d}")
                continue
            if not norm and d is None:
                return [TensorSpec(x.dtype, TensorShape(None))]
            out.append(d)
        return [TensorSpec(x.dtype, out)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        axes = tuple(ctx.attr("squeeze_dims"))
        return (lambda x: np.squeeze(x, axis=axes)) if axes else np.squeeze

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d squeeze(x) = reshape(g, shape(x))."""
        return [reshape(g, static_or_dynamic_shape(op.inputs[0]))]


# ----------------------------------------------------------------------------------------
# Filling and broadcasting
# ----------------------------------------------------------------------------------------


@register
class Fill(Op):
    """A tensor of shape ``dims`` filled with the scalar ``value``."""

    calls_blas = False

    op_type = "Fill"
    input_names = ("dims", "value")
    attr_defaults = {"index_type": dtypes.int32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        value = ctx.inputs[1]
        ctx.require_rank(1, 0)
        shape = ctx.shape_from_value(0, "dims")
        folded = None
        if value.value is not None and shape.is_fully_defined() and \
                (shape.num_elements() or 0) <= 4096:
            folded = np.full(shape.as_list(), value.value, dtype=value.dtype.np_dtype)
        return [TensorSpec(value.dtype, shape, folded)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def fill(dims: np.ndarray, value: np.ndarray) -> np.ndarray:
            shape = tuple(int(d) for d in np.asarray(dims).reshape(-1))
            ctx.check_size(shape, value.dtype)  # dims >= 0, and the size guard
            return np.full(shape, value, dtype=value.dtype)
        return fill

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d fill(dims, v) = (None, sum(g)): every element is a copy of v."""
        return [None, op_builder.raw_sum(g, _all_axes(g))]


class _FillLike(Op):
    calls_blas = False
    input_names = ("x",)
    differentiable = False
    fill_value = 0

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        value = None
        if x.shape.is_fully_defined() and (x.shape.num_elements() or 0) <= 4096:
            value = np.full(x.shape.as_list(), self.fill_value, dtype=x.dtype.np_dtype)
        return [TensorSpec(x.dtype, x.shape, value)]


@register
class ZerosLike(_FillLike):
    """Zeros with the shape and dtype of x."""

    op_type = "ZerosLike"

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return np.zeros_like


@register
class OnesLike(_FillLike):
    """Ones with the shape and dtype of x."""

    op_type = "OnesLike"
    fill_value = 1

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return np.ones_like


@register
class BroadcastTo(Op):
    """Broadcast ``input`` to ``shape`` (numpy rules)."""

    calls_blas = False

    op_type = "BroadcastTo"
    input_names = ("input", "shape")
    attr_defaults = {"Tidx": dtypes.int32}
    returns_alias = True  # the kernel returns a read-only view of its input

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        target = ctx.shape_from_value(1)
        try:
            out = broadcast_shapes(x.shape, target)
        except ValueError as err:
            ctx.fail(f"cannot broadcast {ctx.input_label(0)} to shape {target} ({err})")
        if target.rank is not None and out.rank is not None and out.rank != target.rank:
            ctx.fail(f"cannot broadcast {ctx.input_label(0)} to the lower-rank shape {target}")
        return [TensorSpec(x.dtype, target.merge_with(out) if target.rank is not None else out)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        # np.broadcast_to returns a read-only view; consumers never write into inputs.
        return lambda x, shape: np.broadcast_to(x, tuple(int(d) for d in shape))

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d broadcast_to(x) = g summed over the broadcast axes, reshaped to x."""
        return [unbroadcast(g, op.inputs[0], op.outputs[0]), None]


@register
class BroadcastGradientArgs(Op):
    """For shapes s0, s1 of two broadcast operands: the axes of the broadcast result each
    gradient must be summed over (r0, r1)."""

    calls_blas = False

    op_type = "BroadcastGradientArgs"
    input_names = ("s0", "s1")
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_same_dtype(0, 1)
        s0, s1 = ctx.inputs
        if s0.value is not None and s1.value is not None:
            try:
                r0, r1 = _broadcast_gradient_args(s0.value, s1.value)
            except ValueError as err:
                ctx.fail(str(err), "the two shapes must be broadcast-compatible")
            return [TensorSpec(dt, (len(r0),), r0.astype(dt.np_dtype)),
                    TensorSpec(dt, (len(r1),), r1.astype(dt.np_dtype))]
        return [TensorSpec(dt, (None,)), TensorSpec(dt, (None,))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        np_dtype, name = ctx.inputs[0].dtype.np_dtype, ctx.name

        def bga(s0: np.ndarray, s1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            try:
                r0, r1 = _broadcast_gradient_args(s0, s1)
            except ValueError as err:
                raise run_error(name, "BroadcastGradientArgs", str(err)) from None
            return r0.astype(np_dtype), r1.astype(np_dtype)
        return bga


def _broadcast_gradient_args(s0: np.ndarray, s1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(r0, r1) for shapes s0, s1; ValueError if they cannot be broadcast together."""
    a, b = [int(d) for d in s0], [int(d) for d in s1]
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    r0, r1 = [], []
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            if x == 1:
                r0.append(i)
                r1.append(i)
        elif x == 1:
            r0.append(i)
        elif y == 1:
            r1.append(i)
        else:
            raise ValueError(f"incompatible shapes {tuple(int(d) for d in s0)} and "
                             f"{tuple(int(d) for d in s1)} (dimension {x} vs {y})")
    return np.array(r0, dtype=np.int64), np.array(r1, dtype=np.int64)


# ----------------------------------------------------------------------------------------
# Gradient helpers: un-broadcasting
# ----------------------------------------------------------------------------------------


def _all_axes(x: Tensor) -> Any:
    """Every axis of ``x``: a list when its rank is static, else ``Range(0, Size(Shape(x)),
    1)`` named as ``layout_ops.range_`` names it."""
    if x.shape.rank is not None:
        return list(range(x.shape.rank))
    n = size(shape(x))
    g = x.graph
    with g.as_default(), g.name_scope("range") as scope:
        start = op_builder.constant(0, name="start")
        delta = op_builder.constant(1, name="delta")
        return op_builder.apply1("Range", [start, n, delta], {"Tidx": dtypes.int32},
                                 name=scope)


def _reduction_axes(x: TensorShape, other: TensorShape, out: TensorShape) -> list[int] | None:
    """Axes of ``out`` to sum so a gradient of shape ``out`` gets ``x``'s shape, when this is
    decidable statically; None when it depends on run-time dims."""
    if x.rank is None or other.rank is None or out.rank is None:
        return None
    axes = list(range(out.rank - x.rank))  # leading axes x does not have
    lead_other = out.rank - other.rank
    for k in range(x.rank):
        ok = k + out.rank - x.rank
        xd, od = x[k], out[ok]
        od_other = other[ok - lead_other] if ok >= lead_other else 1
        if xd == 1:
            if od != 1:
                axes.append(ok)  # summing an axis that turns out to be 1 is harmless
        elif xd is None and od_other != 1:
            return None  # x's dim may be 1 at run time while the other one is larger
    return axes


def unbroadcast(grad: Tensor, x: Tensor, other: Tensor) -> Tensor:
    """Sum ``grad`` (shaped like the broadcast result of ``x`` and ``other``) down to
    ``x``'s shape: static axes when the shapes decide them, else TF's
    BroadcastGradientArgs on the run-time shapes."""
    return unbroadcast_pair(grad, None, x, other)[0]


def unbroadcast_pair(gx: Tensor | None, gy: Tensor | None, x: Tensor, y: Tensor
                     ) -> list[Tensor | None]:
    """``unbroadcast`` for both operands of a binary op, sharing one run-time
    Shape/Shape/BroadcastGradientArgs triple when either operand needs it."""
    dynamic: list[Tensor] = []  # [shape(x), shape(y), rx, ry], built on first need

    def run_time(i: int) -> tuple[Tensor, Tensor]:
        if not dynamic:
            sx, sy = shape(x), shape(y)
            dynamic.extend([sx, sy, *broadcast_gradient_args(sx, sy)])
        return dynamic[2 + i], dynamic[i]

    out: list[Tensor | None] = []
    for i, (g, a, b) in enumerate(((gx, x, y), (gy, y, x))):
        if g is None:
            out.append(None)
            continue
        axes = _reduction_axes(a.shape, b.shape, g.shape)
        if axes is None:
            axes_t, shape_t = run_time(i)
            out.append(reshape(op_builder.raw_sum(g, axes_t), shape_t))
        else:
            out.append(_sum_static(g, a, axes))
    return out


def _sum_static(grad: Tensor, x: Tensor, axes: list[int]) -> Tensor:
    if axes:
        grad = op_builder.raw_sum(grad, axes)
    if grad.shape.rank != x.shape.rank or not grad.shape.is_compatible_with(x.shape):
        grad = reshape(grad, static_or_dynamic_shape(x))
    return grad


# ----------------------------------------------------------------------------------------
# Builder functions
# ----------------------------------------------------------------------------------------

constant = op_builder.constant


def placeholder(dtype: Any, shape: Any = None, name: str | None = None) -> Tensor:
    """``tf.placeholder``: a value fed at run time; ``None`` dims are unknown until then."""
    dt = dtypes.as_dtype(dtype)
    return op_builder.apply1("Placeholder", [], {"dtype": dt, "shape": as_shape(shape)},
                             name=name or "Placeholder", graph=op_builder.graph_of())


def placeholder_with_default(input: Any, shape: Any, name: str | None = None) -> Tensor:
    """``tf.placeholder_with_default``: ``input`` unless a value is fed;
    a fed value must be compatible with ``shape``."""
    x = op_builder.convert_to_tensor(input)
    return op_builder.apply1("PlaceholderWithDefault", [x], {"dtype": x.dtype,
                                                             "shape": as_shape(shape)},
                             name=name or "PlaceholderWithDefault")


def identity(x: Any, name: str | None = None) -> Tensor:
    """``tf.identity``: the same values as ``x`` in a new node (``Identity``); gradients
    pass through unchanged."""
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1("Identity", [x], {"T": x.dtype}, name=name or "Identity")


def stop_gradient(x: Any, name: str | None = None) -> Tensor:
    """Identity in the forward pass that blocks gradient flow."""
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1("StopGradient", [x], {"T": x.dtype}, name=name or "StopGradient")


def check_numerics(x: Any, message: str, name: str | None = None) -> Tensor:
    """Identity that fails the run if ``x`` has NaN/Inf (``tf.debugging.check_numerics``)."""
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1("CheckNumerics", [x], {"T": x.dtype, "message": message},
                             name=name or "CheckNumerics")


def shape(x: Any, out_type: Any = dtypes.int32, name: str | None = None) -> Tensor:
    """``tf.shape``: the dynamic shape of ``x`` as a 1-D ``out_type`` tensor (int32 by
    default)."""
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1("Shape", [x], {"T": x.dtype, "out_type": dtypes.as_dtype(out_type)},
                             name=name or "Shape")


def snapshot(x: Any, name: str | None = None) -> Tensor:
    """A copy of x (``Snapshot``); gradients pass through unchanged."""
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1("Snapshot", [x], {"T": x.dtype}, name=name or "Snapshot")


def rank(x: Any, name: str | None = None) -> Tensor:
    """``tf.rank``: the int32 scalar number of dimensions (``Rank``)."""
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1("Rank", [x], {"T": x.dtype}, name=name or "Rank")


def size(x: Any, out_type: Any = dtypes.int32, name: str | None = None) -> Tensor:
    """``tf.size``: the number of elements of ``x`` as an ``out_type`` scalar."""
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1("Size", [x], {"T": x.dtype, "out_type": dtypes.as_dtype(out_type)},
                             name=name or "Size")


def static_or_dynamic_shape(x: Tensor) -> Any:
    """``x``'s shape as a Python list when fully known (becomes a Const), else ``gf.shape(x)``."""
    return x.shape.as_list() if x.shape.is_fully_defined() else shape(x)


def _int_tensor(value: Any, g: Any) -> Tensor:
    return op_builder.convert_to_tensor(value, preferred_dtype=dtypes.int32, graph=g) \
        if isinstance(value, Tensor) else op_builder.constant(
            np.asarray(value, dtype=np.int32), graph=g)


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:
    """``tf.reshape``: the elements of ``tensor`` in row-major order with the given
    ``shape`` (one dimension may be -1 and is inferred; ``shape`` is an input, as TF)."""
    x = op_builder.convert_to_tensor(tensor)
    with x.graph.as_default():
        s = _int_tensor(shape, x.graph)
    return op_builder.apply1("Reshape", [x, s], {"T": x.dtype, "Tshape": s.dtype},
                             name=name or "Reshape")


def expand_dims(input: Any, axis: int, name: str | None = None) -> Tensor:
    """``tf.expand_dims``: insert a dimension of size 1 at ``axis`` (negative counts
    from the end)."""
    x = op_builder.convert_to_tensor(input)
    with x.graph.as_default():
        a = _int_tensor(axis, x.graph)
    return op_builder.apply1("ExpandDims", [x, a], {"T": x.dtype, "Tdim": a.dtype},
                             name=name or "ExpandDims")


def squeeze(input: Any, axis: Any = None, name: str | None = None) -> Tensor:
    """``tf.squeeze``: remove the dimensions of size 1 (only those in ``axis`` when
    given; naming one that is not 1 is an error)."""
    x = op_builder.convert_to_tensor(input)
    axes = [] if axis is None else ([int(axis)] if np.isscalar(axis) else [int(a) for a in axis])
    return op_builder.apply1("Squeeze", [x], {"T": x.dtype, "squeeze_dims": axes},
                             name=name or "Squeeze")


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
    """``tf.fill``: a tensor of shape ``dims`` (a 1-D int tensor or list) with every element
    equal to the scalar ``value``."""
    g = op_builder.graph_of(dims, value)
    with g.as_default():
        d = _int_tensor(dims, g)
        v = op_builder.convert_to_tensor(value, graph=g)
    return op_builder.apply1("Fill", [d, v], {"T": v.dtype, "index_type": d.dtype},
                             name=name or "Fill")


def zeros(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:
    """``tf.zeros``: a Const for a static shape, ``Fill`` for a run-time shape tensor."""
    dt = dtypes.as_dtype(dtype)
    if isinstance(shape, Tensor):
        return fill(shape, np.zeros((), dt.np_dtype), name=name or "zeros")
    return op_builder.constant(0, dtype=dt, shape=list(as_shape(shape).as_list()),
                               name=name or "zeros")


def ones(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:
    """``tf.ones``: a tensor of ``shape`` filled with 1 in ``dtype`` (float32 by default)."""
    dt = dtypes.as_dtype(dtype)
    if isinstance(shape, Tensor):
        return fill(shape, np.ones((), dt.np_dtype), name=name or "ones")
    return op_builder.constant(1, dtype=dt, shape=list(as_shape(shape).as_list()),
                               name=name or "ones")


def zeros_like(x: Any, name: str | None = None) -> Tensor:
    """``tf.zeros_like``: zeros with the shape and dtype of ``x``."""
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1("ZerosLike", [x], {"T": x.dtype}, name=name or "zeros_like")


def ones_like(x: Any, name: str | None = None) -> Tensor:
    """``tf.ones_like``: ones with the shape and dtype of ``x``."""
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1("OnesLike", [x], {"T": x.dtype}, name=name or "ones_like")


def broadcast_to(input: Any, shape: Any, name: str | None = None) -> Tensor:
    """``tf.broadcast_to``: ``input`` broadcast to ``shape`` by numpy's rules
    (``BroadcastTo``); its gradient sums over the broadcast dimensions."""
    x = op_builder.convert_to_tensor(input)
    with x.graph.as_default():
        s = _int_tensor(shape, x.graph)
    return op_builder.apply1("BroadcastTo", [x, s], {"T": x.dtype, "Tidx": s.dtype},
                             name=name or "BroadcastTo")


def broadcast_gradient_args(s0: Tensor, s1: Tensor, name: str | None = None
                            ) -> tuple[Tensor, Tensor]:
    op = op_builder.apply("BroadcastGradientArgs", [s0, s1], {"T": s0.dtype},
                          name=name or "BroadcastGradientArgs")
    return op.outputs[0], op.outputs[1]
