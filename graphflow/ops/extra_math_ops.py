"""More element-wise math that TF1 graphs commonly contain: Abs, Sign, Reciprocal, Rsqrt,
Log1p, Expm1, Floor, SquaredDifference, FloorDiv, FloorMod, the logical ops, Snapshot and
Rank. Records (shape rule, numpy kernel, gradient rule or ``differentiable = False``) with
their TF1-named builders; ``Tensor.__abs__`` is installed at the end.

Kernels are numpy ufuncs where one exists (so a planned buffer is filled through ``out=``),
else ``fn_into`` writes into the buffer. Each gradient docstring states its math; the fused
gradient ops ``ReciprocalGrad``/``RsqrtGrad`` have gradients of their own (higher order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.errors import InvalidArgumentError
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops import array_ops, op_builder
from graphflow.ops.elementwise import (
    ANY,
    FLOAT,
    NUMERIC,
    Binary,
    Unary,
    unbroadcast_pair,
)
from graphflow.ops.math_ops import add, exp, multiply, negative, realdiv, square, subtract

BOOL = ("a bool tensor", lambda dt: dt.is_bool)

# ----------------------------------------------------------------------------------------
# Unary functions
# ----------------------------------------------------------------------------------------


@register
class Abs(Unary):
    """y = |x|."""

    op_type = "Abs"
    domain = NUMERIC
    fn = staticmethod(np.abs)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d|x| = g * sign(x) (0 at x = 0, TensorFlow's choice at the kink)."""
        return [multiply(g, sign(op.inputs[0]))]


@register
class Sign(Unary):
    """y = -1, 0 or 1 by the sign of x."""

    op_type = "Sign"
    domain = NUMERIC
    fn = staticmethod(np.sign)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d sign(x) = 0 (piecewise constant): zeros_like(x), as TensorFlow returns."""
        return [array_ops.zeros_like(op.inputs[0])]


@register
class Reciprocal(Unary):
    """y = 1 / x."""

    op_type = "Reciprocal"
    fn = staticmethod(np.reciprocal)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(1/x) = -g * y^2 = ReciprocalGrad(y, g) (reads the forward output y)."""
        return [reciprocal_grad(op.outputs[0], g)]


def _rsqrt(x: np.ndarray) -> np.ndarray:
    return np.reciprocal(np.sqrt(x))


@register
class Rsqrt(Unary):
    """y = 1 / sqrt(x)."""

    op_type = "Rsqrt"
    fn = staticmethod(_rsqrt)

    @staticmethod
    def fn_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.sqrt(x, out=out)
        return np.reciprocal(out, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d x^(-1/2) = -0.5 * g * y^3 = RsqrtGrad(y, g) (reads the forward output y)."""
        return [rsqrt_grad(op.outputs[0], g)]


@register
class Log1p(Unary):
    """y = ln(1 + x), accurate for small x."""

    op_type = "Log1p"
    fn = staticmethod(np.log1p)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d ln(1 + x) = g / (1 + x)."""
        x = op.inputs[0]
        return [realdiv(g, add(_const(1, x), x))]


@register
class Expm1(Unary):
    """y = e^x - 1, accurate for small x."""

    op_type = "Expm1"
    fn = staticmethod(np.expm1)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(e^x - 1) = g * e^x."""
        return [multiply(g, exp(op.inputs[0]))]


@register
class Floor(Unary):
    """y = the largest integer <= x (floating point). TensorFlow registers no gradient
    (``None``), so it is non-differentiable here too."""

    op_type = "Floor"
    fn = staticmethod(np.floor)
    differentiable = False


# -- fused gradient kernels (TF op types), inputs (y, dy) ---------------------------------


class _OutputGrad(Binary):
    """Element-wise ``f(y, dy)`` of an activation gradient that reads the forward output."""

    input_names = ("y", "dy")
    domain = FLOAT


@register
class ReciprocalGrad(_OutputGrad):
    """z = -dy * y^2."""

    op_type = "ReciprocalGrad"

    @staticmethod
    def fn(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return -dy * y * y

    @staticmethod
    def fn_into(y: np.ndarray, dy: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(y, y, out=out)
        np.multiply(out, dy, out=out)
        return np.negative(out, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[-dy y^2] = (-2 g dy y, -g y^2) = (-2 g dy y, ReciprocalGrad(y, g))."""
        y, dy = op.inputs
        return [multiply(_const(-2, y), multiply(multiply(g, dy), y)), reciprocal_grad(y, g)]


@register
class RsqrtGrad(_OutputGrad):
    """z = -0.5 * dy * y^3."""

    op_type = "RsqrtGrad"

    @staticmethod
    def fn(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return -0.5 * dy * y * y * y

    @staticmethod
    def fn_into(y: np.ndarray, dy: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(y, y, out=out)
        np.multiply(out, y, out=out)
        np.multiply(out, dy, out=out)
        return np.multiply(out, -0.5, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[-0.5 dy y^3] = (-1.5 g dy y^2, -0.5 g y^3) = (-1.5 g dy y^2, RsqrtGrad(y, g))."""
        y, dy = op.inputs
        return [multiply(_const(-1.5, y), multiply(multiply(g, dy), square(y))),
                rsqrt_grad(y, g)]


# ----------------------------------------------------------------------------------------
# Binary arithmetic
# ----------------------------------------------------------------------------------------


def _squared_difference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.square(np.subtract(x, y))


@register
class SquaredDifference(Binary):
    """z = (x - y)^2 with broadcasting."""

    op_type = "SquaredDifference"
    fn = staticmethod(_squared_difference)

    @staticmethod
    def fn_into(x: np.ndarray, y: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.subtract(x, y, out=out)
        return np.square(out, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(x - y)^2 = (2 (x - y) g, -2 (x - y) g), each summed to its input's shape."""
        x, y = op.inputs
        gx = multiply(multiply(_const(2, x), g), subtract(x, y))
        return unbroadcast_pair(gx, negative(gx), x, y)


def _floor_div(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """TF's FloorDiv: floor(x / y) for floats (not numpy's fmod-based floor_divide, which
    gives 9.0 for 1 // 0.1), floor division for integers; an integer zero divisor raises."""
    if np.asarray(x).dtype.kind in "iu":
        if not np.all(y):
            raise ZeroDivisionError("Integer division by zero")
        return np.floor_divide(x, y)
    return np.floor(np.true_divide(x, y))


def _floor_mod(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """TF's FloorMod: the remainder takes the sign of the divisor (numpy's ``mod``)."""
    if np.asarray(x).dtype.kind in "iu" and not np.all(y):
        raise ZeroDivisionError("Integer division by zero")
    return np.mod(x, y)


class _FloorBinary(Binary):
    """Floor division family: integer zero divisors fail the run (as in TensorFlow) with an
    InvalidArgumentError naming the node; floats follow IEEE (x / 0 = inf, mod 0 = nan)."""

    writes_out = True

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, op_type, out = ctx.name, ctx.op_type, ctx.out[0]
        integer = ctx.inputs[0].dtype.is_integer
        fn = self.fn

        def floor_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            if integer and not np.all(y):
                raise InvalidArgumentError(
                    f"{op_type} node '{name}': integer division by zero (divisor {y.shape} "
                    "contains 0). Fix: guard the divisor, e.g. gf.maximum(y, 1)", name, op_type)
            with np.errstate(divide="ignore", invalid="ignore"):
                result = fn(x, y)
            if out is None:
                return result
            np.copyto(out, result)
            return out
        return floor_kernel


@register
class FloorDiv(_FloorBinary):
    """z = floor(x / y) element-wise (integers and floats)."""

    op_type = "FloorDiv"
    fn = staticmethod(_floor_div)
    differentiable = False  # TensorFlow's gradient is (None, None): piecewise constant


@register
class FloorMod(_FloorBinary):
    """z = x - floor(x / y) * y, the remainder with the sign of y (integers and floats)."""

    op_type = "FloorMod"
    fn = staticmethod(_floor_mod)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor | None]:
        """d mod(x, y) = (g, -g * floor(x / y)) away from the jumps (TensorFlow's rule),
        each summed to its input's shape."""
        x, y = op.inputs
        return unbroadcast_pair(g, negative(multiply(g, floordiv(x, y))), x, y)


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
# Snapshot and Rank
# ----------------------------------------------------------------------------------------


@register
class Snapshot(Unary):
    """y = a copy of ``input`` (never an alias of it), any dtype."""

    op_type = "Snapshot"
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


@register
class Rank(Op):
    """The number of dimensions of ``input`` as an int32 scalar (value known statically
    when the rank is)."""

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
# Builder functions (TF1 names)
# ----------------------------------------------------------------------------------------


def _const(value: float, like: Tensor) -> Tensor:
    return op_builder.constant(value, dtype=like.dtype, graph=like.graph)


def _unary(op_type: str, x: Any, name: str | None, typed: bool = True) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1(op_type, [x], {"T": x.dtype} if typed else {},
                             name=name or op_type)


def _binary(op_type: str, x: Any, y: Any, name: str | None, typed: bool = True) -> Tensor:
    x, y = op_builder.convert_n([x, y])
    return op_builder.apply1(op_type, [x, y], {"T": x.dtype} if typed else {},
                             name=name or op_type)


def abs(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF's name
    """``tf.abs``: |x| element-wise (``Abs``)."""
    return _unary("Abs", x, name)


def sign(x: Any, name: str | None = None) -> Tensor:
    """``tf.sign``: -1, 0 or 1 element-wise; its gradient is zero."""
    return _unary("Sign", x, name)


def reciprocal(x: Any, name: str | None = None) -> Tensor:
    """``tf.math.reciprocal``: 1 / x (``Reciprocal``)."""
    return _unary("Reciprocal", x, name)


def rsqrt(x: Any, name: str | None = None) -> Tensor:
    """``tf.math.rsqrt``: 1 / sqrt(x) (``Rsqrt``)."""
    return _unary("Rsqrt", x, name)


def log1p(x: Any, name: str | None = None) -> Tensor:
    """``tf.math.log1p``: ln(1 + x)."""
    return _unary("Log1p", x, name)


def expm1(x: Any, name: str | None = None) -> Tensor:
    """``tf.math.expm1``: e^x - 1."""
    return _unary("Expm1", x, name)


def floor(x: Any, name: str | None = None) -> Tensor:
    """``tf.floor`` (floating point; no gradient)."""
    return _unary("Floor", x, name)


def squared_difference(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.squared_difference``: (x - y)^2 with broadcasting."""
    return _binary("SquaredDifference", x, y, name)


def floordiv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.floordiv``: floor(x / y) (``FloorDiv``; integers and floats, no gradient)."""
    return _binary("FloorDiv", x, y, name)


def floormod(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.floormod`` / ``tf.mod``: the remainder of floor division, sign of y."""
    return _binary("FloorMod", x, y, name)


mod = floormod


def logical_not(x: Any, name: str | None = None) -> Tensor:
    return _unary("LogicalNot", x, name, typed=False)


def logical_and(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("LogicalAnd", x, y, name, typed=False)


def logical_or(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("LogicalOr", x, y, name, typed=False)


def snapshot(x: Any, name: str | None = None) -> Tensor:
    """A copy of x (``Snapshot``); gradients pass through unchanged."""
    return _unary("Snapshot", x, name)


def rank(x: Any, name: str | None = None) -> Tensor:
    """``tf.rank``: the int32 scalar number of dimensions (``Rank``)."""
    return _unary("Rank", x, name)


def reciprocal_grad(y: Any, dy: Any, name: str | None = None) -> Tensor:
    """``ReciprocalGrad(y, dy) = -dy * y^2`` (TF's gradient op of ``Reciprocal``)."""
    return _binary("ReciprocalGrad", y, dy, name)


def rsqrt_grad(y: Any, dy: Any, name: str | None = None) -> Tensor:
    """``RsqrtGrad(y, dy) = -0.5 * dy * y^3`` (TF's gradient op of ``Rsqrt``)."""
    return _binary("RsqrtGrad", y, dy, name)


def _install_abs() -> None:
    """``abs(t)`` builds an ``Abs`` node named like TF1's ``Tensor.__abs__``."""
    Tensor._override_operator("__abs__", lambda x: abs(x, name="Abs"))


_install_abs()

