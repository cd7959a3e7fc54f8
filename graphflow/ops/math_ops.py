"""Element-wise arithmetic, activations and comparisons: records (shape rule, kernel,
gradient) and their TF1-named builder functions. ``MatMul``/``AddN``/``Cast`` live in
``linalg_ops``; each gradient docstring states its math."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops import op_builder
from graphflow.ops.elementwise import (
    ANY,
    FLOAT,
    NUMERIC,
    Binary,
    Unary,
    unbroadcast,
    unbroadcast_pair,
)

# ----------------------------------------------------------------------------------------
# Binary arithmetic
# ----------------------------------------------------------------------------------------


@register
class AddV2(Binary):
    """z = x + y."""

    op_type = "AddV2"
    fn = staticmethod(np.add)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(x+y) = (g, g): an addition node distributes the upstream gradient unchanged."""
        x, y = op.inputs
        return unbroadcast_pair(g, g, x, y)


@register
class Add(AddV2):
    """z = x + y (TF's older Add; identical semantics)."""

    op_type = "Add"


@register
class Sub(Binary):
    """z = x - y."""

    op_type = "Sub"
    fn = staticmethod(np.subtract)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(x-y) = (g, -g)."""
        x, y = op.inputs
        return unbroadcast_pair(g, negative(g), x, y)


@register
class Mul(Binary):
    """z = x * y."""

    op_type = "Mul"
    fn = staticmethod(np.multiply)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(x*y) = (g*y, g*x): a multiplication node swaps its inputs."""
        x, y = op.inputs
        return unbroadcast_pair(multiply(g, y), multiply(g, x), x, y)


@register
class RealDiv(Binary):
    """z = x / y (floating point)."""

    op_type = "RealDiv"
    domain = FLOAT
    fn = staticmethod(np.true_divide)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(x/y) = (g/y, -g*x/y^2)."""
        x, y = op.inputs
        gx = realdiv(g, y)
        gy = multiply(g, realdiv(realdiv(negative(x), y), y))
        return unbroadcast_pair(gx, gy, x, y)


def _route_to_winner(g: Tensor, mask: Tensor, x: Tensor, y: Tensor) -> list[Tensor]:
    """Send ``g`` to x where ``mask`` holds and to y elsewhere, each summed to its shape."""
    from graphflow.ops import array_ops

    zeros = array_ops.zeros_like(g)
    return unbroadcast_pair(select_v2(mask, g, zeros), select_v2(mask, zeros, g), x, y)


@register
class Maximum(Binary):
    """z = max(x, y) element-wise."""

    op_type = "Maximum"
    fn = staticmethod(np.maximum)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d max(x, y) = (g where x >= y, g where x < y): a max node routes the whole upstream
        gradient to the input that won the forward pass; ties go to x (TensorFlow's rule)."""
        x, y = op.inputs
        return _route_to_winner(g, greater_equal(x, y), x, y)


@register
class Minimum(Binary):
    """z = min(x, y) element-wise."""

    op_type = "Minimum"
    fn = staticmethod(np.minimum)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d min(x, y) = (g where x <= y, g where x > y); ties go to x."""
        x, y = op.inputs
        return _route_to_winner(g, less_equal(x, y), x, y)


@register
class Pow(Binary):
    """z = x ** y."""

    op_type = "Pow"
    fn = staticmethod(np.power)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(x^y) = (g * y * x^(y-1), g * x^y * log(x)) with log(x) taken as 0 where x <= 0."""
        from graphflow.ops import array_ops

        x, y = op.inputs
        z = op.outputs[0]
        one = op_builder.constant(1, dtype=y.dtype, graph=op.graph)
        gx = multiply(g, multiply(y, pow(x, subtract(y, one))))
        if not y.dtype.is_floating:
            return unbroadcast_pair(gx, None, x, y)
        zeros = array_ops.zeros_like(x)
        positive = greater(x, zeros)
        safe_x = select_v2(positive, x, array_ops.ones_like(x))
        log_x = select_v2(positive, log(safe_x), zeros)
        gy = multiply(g, multiply(z, log_x))
        return unbroadcast_pair(gx, gy, x, y)


# ----------------------------------------------------------------------------------------
# Unary functions
# ----------------------------------------------------------------------------------------


@register
class Neg(Unary):
    """y = -x."""

    op_type = "Neg"
    domain = NUMERIC
    fn = staticmethod(np.negative)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(-x) = -g."""
        return [negative(g)]


@register
class Square(Unary):
    """y = x^2."""

    op_type = "Square"
    domain = NUMERIC
    fn = staticmethod(np.square)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(x^2) = g * 2x."""
        x = op.inputs[0]
        two = op_builder.constant(2, dtype=x.dtype, graph=op.graph)
        return [multiply(g, multiply(two, x))]


@register
class Sqrt(Unary):
    """y = sqrt(x)."""

    op_type = "Sqrt"
    fn = staticmethod(np.sqrt)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d sqrt(x) = g * 0.5 / y  (SqrtGrad reads the forward output y)."""
        return [op_builder.apply1("SqrtGrad", [op.outputs[0], g], {"T": g.dtype})]


@register
class Exp(Unary):
    """y = e^x."""

    op_type = "Exp"
    fn = staticmethod(np.exp)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d e^x = g * y (the forward output)."""
        return [multiply(g, op.outputs[0])]


@register
class Log(Unary):
    """y = ln(x)."""

    op_type = "Log"
    fn = staticmethod(np.log)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d ln(x) = g / x."""
        return [realdiv(g, op.inputs[0])]


@register
class Tanh(Unary):
    """y = tanh(x)."""

    op_type = "Tanh"
    fn = staticmethod(np.tanh)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d tanh(x) = g * (1 - y^2)  (TanhGrad reads the forward output y)."""
        return [op_builder.apply1("TanhGrad", [op.outputs[0], g], {"T": g.dtype})]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows; two branches keep full precision on both sides of 0.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


@register
class Sigmoid(Unary):
    """y = 1 / (1 + e^-x), computed without overflow."""

    op_type = "Sigmoid"
    fn = staticmethod(_sigmoid)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d sigmoid(x) = g * y * (1 - y)  (SigmoidGrad reads the forward output y)."""
        return [op_builder.apply1("SigmoidGrad", [op.outputs[0], g], {"T": g.dtype})]


# -- fused gradient kernels (TF op types), with their own gradients for higher order -----


class _ActivationGrad(Binary):
    """Element-wise ``f(y, dy)`` used by activation gradients; inputs (y, dy)."""

    input_names = ("y", "dy")
    domain = FLOAT


@register
class TanhGrad(_ActivationGrad):
    """z = dy * (1 - y^2)."""

    op_type = "TanhGrad"

    @staticmethod
    def fn(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return dy * (1 - y * y)

    @staticmethod
    def fn_into(y: np.ndarray, dy: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``fn`` computed in the planned buffer, with no temporaries."""
        np.multiply(y, y, out=out)
        np.subtract(1, out, out=out)
        return np.multiply(out, dy, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[dy (1 - y^2)] = (g * dy * -2y, g * (1 - y^2))."""
        y, dy = op.inputs
        minus_two = op_builder.constant(-2, dtype=y.dtype, graph=op.graph)
        return [multiply(multiply(g, dy), multiply(minus_two, y)),
                op_builder.apply1("TanhGrad", [y, g], {"T": g.dtype})]


@register
class SigmoidGrad(_ActivationGrad):
    """z = dy * y * (1 - y)."""

    op_type = "SigmoidGrad"

    @staticmethod
    def fn(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return dy * y * (1 - y)

    @staticmethod
    def fn_into(y: np.ndarray, dy: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``fn`` computed in the planned buffer, with no temporaries."""
        np.subtract(1, y, out=out)
        np.multiply(out, y, out=out)
        return np.multiply(out, dy, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[dy y (1 - y)] = (g * dy * (1 - 2y), g * y * (1 - y))."""
        y, dy = op.inputs
        one = op_builder.constant(1, dtype=y.dtype, graph=op.graph)
        two = op_builder.constant(2, dtype=y.dtype, graph=op.graph)
        return [multiply(multiply(g, dy), subtract(one, multiply(two, y))),
                op_builder.apply1("SigmoidGrad", [y, g], {"T": g.dtype})]


@register
class SqrtGrad(_ActivationGrad):
    """z = dy * 0.5 / y."""

    op_type = "SqrtGrad"

    @staticmethod
    def fn(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return dy * 0.5 / y

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[0.5 dy / y] = (-g * z / y, g * 0.5 / y) where z is this node's output."""
        y, _ = op.inputs
        z = op.outputs[0]
        return [negative(realdiv(multiply(g, z), y)),
                op_builder.apply1("SqrtGrad", [y, g], {"T": g.dtype})]


# ----------------------------------------------------------------------------------------
# Comparisons and selection
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
        from graphflow.framework.tensor_shape import broadcast_shapes

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
        from graphflow.ops import array_ops

        c, t, e = op.inputs
        zeros = array_ops.zeros_like(g)
        gt = select_v2(c, g, zeros)
        ge = select_v2(c, zeros, g)
        return [None, _sum_to(gt, t, op.outputs[0]), _sum_to(ge, e, op.outputs[0])]


def _sum_to(grad: Tensor, x: Tensor, out: Tensor) -> Tensor:
    """Unbroadcast ``grad`` (shaped like ``out``) to ``x``: ``out`` plays the other operand."""
    return unbroadcast(grad, x, out)


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
        from graphflow.ops import array_ops

        c = op.inputs[0]
        zeros = array_ops.zeros_like(g)
        return [None, where(c, g, zeros), where(c, zeros, g)]


# ----------------------------------------------------------------------------------------
# Builder functions (TF1 names)
# ----------------------------------------------------------------------------------------


def _binary(op_type: str, x: Any, y: Any, name: str | None) -> Tensor:
    x, y = op_builder.convert_n([x, y])
    return op_builder.apply1(op_type, [x, y], {"T": x.dtype}, name=name or op_type)


def _unary(op_type: str, x: Any, name: str | None) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1(op_type, [x], {"T": x.dtype}, name=name or op_type)


def add(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x + y with broadcasting (``AddV2``)."""
    return _binary("AddV2", x, y, name or "Add")


def subtract(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Sub", x, y, name)


def multiply(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Mul", x, y, name)


def realdiv(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("RealDiv", x, y, name)


def truediv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y; integer inputs are first cast to floating point (TF1 semantics)."""
    from graphflow.ops import linalg_ops

    x, y = op_builder.convert_n([x, y])
    if x.dtype.is_integer and x.dtype == y.dtype:
        target = dtypes.float32 if x.dtype in (dtypes.int8, dtypes.int16, dtypes.uint8) \
            else dtypes.float64
        x, y = linalg_ops.cast(x, target), linalg_ops.cast(y, target)
    return op_builder.apply1("RealDiv", [x, y], {"T": x.dtype}, name=name or "truediv")


divide = truediv


def maximum(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Maximum", x, y, name)


def minimum(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Minimum", x, y, name)


def pow(x: Any, y: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF's name
    return _binary("Pow", x, y, name)


def negative(x: Any, name: str | None = None) -> Tensor:
    return _unary("Neg", x, name)


def square(x: Any, name: str | None = None) -> Tensor:
    return _unary("Square", x, name)


def sqrt(x: Any, name: str | None = None) -> Tensor:
    return _unary("Sqrt", x, name)


def exp(x: Any, name: str | None = None) -> Tensor:
    return _unary("Exp", x, name)


def log(x: Any, name: str | None = None) -> Tensor:
    return _unary("Log", x, name)


def tanh(x: Any, name: str | None = None) -> Tensor:
    return _unary("Tanh", x, name)


def sigmoid(x: Any, name: str | None = None) -> Tensor:
    return _unary("Sigmoid", x, name)


def greater(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Greater", x, y, name)


def greater_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("GreaterEqual", x, y, name)


def less(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Less", x, y, name)


def less_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("LessEqual", x, y, name)


def equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Equal", x, y, name)


def not_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("NotEqual", x, y, name)


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
