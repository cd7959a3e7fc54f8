"""Comparisons, logic and selection: Greater, GreaterEqual, Less, LessEqual, Equal, NotEqual,
LogicalNot, LogicalAnd, LogicalOr (bool results, no gradient), and Select / SelectV2 (TF1's
and TF2's ``where``), with their TF1-named builders.

Logical ops take and return bool and, as in TensorFlow, carry no ``T`` attr. This family
sits below ``math_ops``, whose Maximum/Minimum/Pow gradients compare and select.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import broadcast_shapes
from graphflow.ops import array_ops, op_builder
from graphflow.ops.op_base import ANY, Binary, Unary

BOOL = ("a bool tensor", lambda dt: dt.is_bool)

# ----------------------------------------------------------------------------------------
# Comparisons
# ----------------------------------------------------------------------------------------


class _Compare(Binary):
    """Element-wise comparison; the boolean result has no gradient."""

    result_dtype = dtypes.bool_
    differentiable = False


@register
class Greater(_Compare):
    op_type = "Greater"
    fn = staticmethod(np.greater)


@register
class GreaterEqual(_Compare):
    op_type = "GreaterEqual"
    fn = staticmethod(np.greater_equal)


@register
class Less(_Compare):
    op_type = "Less"
    fn = staticmethod(np.less)


@register
class LessEqual(_Compare):
    op_type = "LessEqual"
    fn = staticmethod(np.less_equal)


@register
class Equal(_Compare):
    op_type = "Equal"
    domain = ANY
    attr_defaults = {"incompatible_shape_error": True}
    fn = staticmethod(np.equal)


@register
class NotEqual(_Compare):
    op_type = "NotEqual"
    domain = ANY
    attr_defaults = {"incompatible_shape_error": True}
    fn = staticmethod(np.not_equal)


# ----------------------------------------------------------------------------------------
# Logical ops (bool in, bool out; no ``T`` attr, as in TensorFlow)
# ----------------------------------------------------------------------------------------


@register
class LogicalNot(Unary):
    """y = not x."""

    op_type = "LogicalNot"
    domain = BOOL
    fn = staticmethod(np.logical_not)
    differentiable = False


@register
class LogicalAnd(Binary):
    """z = x and y with broadcasting."""

    op_type = "LogicalAnd"
    domain = BOOL
    result_dtype = dtypes.bool_
    fn = staticmethod(np.logical_and)
    differentiable = False


@register
class LogicalOr(Binary):
    """z = x or y with broadcasting."""

    op_type = "LogicalOr"
    domain = BOOL
    result_dtype = dtypes.bool_
    fn = staticmethod(np.logical_or)
    differentiable = False


# ----------------------------------------------------------------------------------------
# Selection
# ----------------------------------------------------------------------------------------


@register
class SelectV2(Op):
    """out = where(condition, t, e), broadcasting all three (tf.where in TF2)."""

    op_type = "SelectV2"
    input_names = ("condition", "t", "e")

    @staticmethod
    def fn(c: np.ndarray, t: np.ndarray, e: np.ndarray) -> np.ndarray:
        return np.where(c, t, e)

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return self.fn

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_dtype(0, lambda dt: dt.is_bool, "a bool tensor")
        dt = ctx.require_same_dtype(1, 2)
        c, t, e = ctx.inputs
        try:
            shape = broadcast_shapes(broadcast_shapes(c.shape, t.shape), e.shape)
        except ValueError as err:
            ctx.fail(f"{ctx.input_label(0)}, {ctx.input_label(1)} and {ctx.input_label(2)} "
                     f"cannot be broadcast together ({err})")
        return [TensorSpec(dt, shape)]

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d where(c, t, e) = (None, g where c, g where not c), each summed to its input."""
        c, t, e = op.inputs
        zeros = array_ops.zeros_like(g)
        gt = select_v2(c, g, zeros)
        ge = select_v2(c, zeros, g)
        return [None, _sum_to(gt, t, op.outputs[0]), _sum_to(ge, e, op.outputs[0])]


def _sum_to(grad: Tensor, x: Tensor, out: Tensor) -> Tensor:
    """Unbroadcast ``grad`` (shaped like ``out``) to ``x``: ``out`` plays the other operand."""
    return array_ops.unbroadcast(grad, x, out)


@register
class Select(SelectV2):
    """TF1 tf.where: condition has the shape of t/e, or is a vector over their first axis."""

    op_type = "Select"

    @staticmethod
    def fn(c: np.ndarray, t: np.ndarray, e: np.ndarray) -> np.ndarray:
        if c.ndim == 1 and t.ndim > 1:
            c = c.reshape((-1,) + (1,) * (t.ndim - 1))
        return np.where(c, t, e)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_dtype(0, lambda dt: dt.is_bool, "a bool tensor")
        dt = ctx.require_same_dtype(1, 2)
        c, t, e = ctx.inputs
        if not t.shape.is_compatible_with(e.shape):
            ctx.fail(f"{ctx.input_label(1)} and {ctx.input_label(2)} must have the same shape",
                     "use gf.where_v2 for broadcasting")
        shape = t.shape.merge_with(e.shape)
        ok = c.shape.is_compatible_with(shape) or (
            c.shape.rank == 1 and shape.rank is not None and shape.rank >= 1
            and c.shape.is_compatible_with(shape[:1]))
        if not ok:
            ctx.fail(f"{ctx.input_label(0)} must have the shape of t/e {shape} or be a vector "
                     "over their first dimension", "use gf.where_v2 for broadcasting")
        return [TensorSpec(dt, shape)]

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d where(c, t, e) = (None, g where c, g where not c)."""
        c = op.inputs[0]
        zeros = array_ops.zeros_like(g)
        return [None, where(c, g, zeros), where(c, zeros, g)]


# ----------------------------------------------------------------------------------------
# Builder functions (TF1 names)
# ----------------------------------------------------------------------------------------


def _unary(op_type: str, x: Any, name: str | None, typed: bool = True) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1(op_type, [x], {"T": x.dtype} if typed else {},
                             name=name or op_type)


def _binary(op_type: str, x: Any, y: Any, name: str | None, typed: bool = True) -> Tensor:
    x, y = op_builder.convert_n([x, y])
    return op_builder.apply1(op_type, [x, y], {"T": x.dtype} if typed else {},
                             name=name or op_type)


def greater(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.greater``: element-wise ``x > y`` with broadcasting; a bool tensor."""
    return _binary("Greater", x, y, name)


def greater_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.greater_equal``: element-wise ``x >= y`` with broadcasting; a bool
    tensor."""
    return _binary("GreaterEqual", x, y, name)


def less(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.less``: element-wise ``x < y`` with broadcasting; a bool tensor."""
    return _binary("Less", x, y, name)


def less_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.less_equal``: element-wise ``x <= y`` with broadcasting; a bool tensor."""
    return _binary("LessEqual", x, y, name)


def equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.equal``: element-wise ``x == y`` with broadcasting; a bool tensor."""
    return _binary("Equal", x, y, name)


def not_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.not_equal``: element-wise ``x != y`` with broadcasting; a bool tensor."""
    return _binary("NotEqual", x, y, name)


def logical_not(x: Any, name: str | None = None) -> Tensor:
    """``tf.logical_not``: element-wise NOT of a bool tensor."""
    return _unary("LogicalNot", x, name, typed=False)


def logical_and(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.logical_and``: element-wise AND of bool tensors, with broadcasting."""
    return _binary("LogicalAnd", x, y, name, typed=False)


def logical_or(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.logical_or``: element-wise OR of bool tensors, with broadcasting."""
    return _binary("LogicalOr", x, y, name, typed=False)


def where(condition: Any, x: Any, y: Any, name: str | None = None) -> Tensor:
    """TF1 ``tf.where(condition, x, y)`` (``Select``); x and y are both required here."""
    c = op_builder.convert_to_tensor(condition)
    x, y = op_builder.convert_n([x, y])
    return op_builder.apply1("Select", [c, x, y], {"T": x.dtype}, name=name or "Select")


def select_v2(condition: Any, x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.where_v2``: element-wise choice with broadcasting of all three inputs."""
    c = op_builder.convert_to_tensor(condition)
    x, y = op_builder.convert_n([x, y])
    return op_builder.apply1("SelectV2", [c, x, y], {"T": x.dtype}, name=name or "SelectV2")


where_v2 = select_v2
