"""Shared machinery for element-wise op records: shape/dtype rules, constant folding,
and ``unbroadcast`` (summing a gradient back to the shape of a broadcast input)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from graphflow.framework.dtypes import DType
from graphflow.framework.op_registry import InferContext, KernelContext, Op
from graphflow.framework.tensor import Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape, broadcast_shapes

FLOAT = ("a floating-point tensor (float16/float32/float64)", lambda dt: dt.is_floating)
NUMERIC = ("a numeric tensor", lambda dt: dt.is_numeric)
ANY = ("a tensor", lambda dt: True)


def fold(fn: Callable[..., Any], *values: np.ndarray | None) -> np.ndarray | None:
    """Evaluate ``fn`` at build time when every input value is statically known."""
    if any(v is None for v in values):
        return None
    with np.errstate(all="ignore"):
        try:
            return np.asarray(fn(*values))
        except (ValueError, TypeError, ArithmeticError):
            return None


class Unary(Op):
    """y = f(x), same shape and dtype as x (``kernel`` returns ``fn``)."""

    input_names = ("x",)
    domain: ClassVar[tuple[str, Callable[[DType], bool]]] = FLOAT

    @staticmethod
    def fn(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_dtype(0, self.domain[1], self.domain[0])
        return [TensorSpec(x.dtype, x.shape, fold(self.fn, x.value))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return bind_out(self, ctx)

    @property
    def writes_out(self) -> bool:  # type: ignore[override]
        return can_write_out(self)


class Binary(Op):
    """z = f(x, y) with numpy broadcasting; both inputs share one dtype (attr ``T``)."""

    input_names = ("x", "y")
    domain: ClassVar[tuple[str, Callable[[DType], bool]]] = NUMERIC
    result_dtype: ClassVar[DType | None] = None  # None: same as the inputs (bool for compares)

    @staticmethod
    def fn(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_same_dtype(0, 1)
        ctx.require_dtype(0, self.domain[1], self.domain[0])
        x, y = ctx.inputs
        try:
            shape = broadcast_shapes(x.shape, y.shape)
        except ValueError as err:
            ctx.fail(f"{ctx.input_label(0)} and {ctx.input_label(1)} cannot be broadcast "
                     f"together ({err})",
                     "make trailing dimensions equal or 1 (gf.reshape / gf.expand_dims)")
        out_dt = self.result_dtype or dt
        return [TensorSpec(out_dt, shape, fold(self.fn, x.value, y.value))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return bind_out(self, ctx)

    @property
    def writes_out(self) -> bool:  # type: ignore[override]
        return can_write_out(self)


def can_write_out(record: Any) -> bool:
    """An element-wise record can fill a planned buffer if its ``fn`` is a numpy ufunc (which
    takes ``out=``) or it defines ``fn_into(*inputs, out)``."""
    return isinstance(record.fn, np.ufunc) or hasattr(record, "fn_into")


def bind_out(record: Any, ctx: KernelContext) -> Callable[..., Any]:
    """``record.fn``, writing into the planned output buffer when there is one."""
    out = ctx.out[0]
    if out is None:
        return record.fn
    if isinstance(record.fn, np.ufunc):
        ufunc = record.fn
        return lambda *xs: ufunc(*xs, out=out)
    if hasattr(record, "fn_into"):
        into = record.fn_into
        return lambda *xs: into(*xs, out)
    return record.fn


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
    from graphflow.ops import array_ops, reduction_ops

    dynamic: list[Tensor] = []  # [shape(x), shape(y), rx, ry], built on first need

    def run_time(i: int) -> tuple[Tensor, Tensor]:
        if not dynamic:
            sx, sy = array_ops.shape(x), array_ops.shape(y)
            dynamic.extend([sx, sy, *array_ops.broadcast_gradient_args(sx, sy)])
        return dynamic[2 + i], dynamic[i]

    out: list[Tensor | None] = []
    for i, (g, a, b) in enumerate(((gx, x, y), (gy, y, x))):
        if g is None:
            out.append(None)
            continue
        axes = _reduction_axes(a.shape, b.shape, g.shape)
        if axes is None:
            axes_t, shape_t = run_time(i)
            out.append(array_ops.reshape(reduction_ops.reduce_sum(g, axes_t), shape_t))
        else:
            out.append(_sum_static(g, a, axes))
    return out


def _sum_static(grad: Tensor, x: Tensor, axes: list[int]) -> Tensor:
    from graphflow.ops import array_ops, reduction_ops

    if axes:
        grad = reduction_ops.reduce_sum(grad, axes, keepdims=False)
    if grad.shape.rank != x.shape.rank or not grad.shape.is_compatible_with(x.shape):
        grad = array_ops.reshape(grad, array_ops.static_or_dynamic_shape(x))
    return grad
