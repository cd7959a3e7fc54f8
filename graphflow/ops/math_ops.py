"""Element-wise arithmetic: AddV2/Add, Sub, Mul, RealDiv, Maximum, Minimum, Pow,
SquaredDifference, FloorDiv, FloorMod, Neg, Square, Sqrt, Exp, Log, Abs, Sign, Reciprocal,
Rsqrt, Log1p, Expm1, Floor, and the fused gradient ops SqrtGrad, ReciprocalGrad and
RsqrtGrad (each with a gradient of its own, for higher order): records (shape rule, numpy
kernel, gradient rule or ``differentiable = False``) and their TF1-named builders.

Comparisons, logic and selection are in ``comparison_ops``; activations (Tanh, Sigmoid,
Relu, ...) with their fused gradients in ``activation_ops``; ``MatMul``/``AddN``/``Cast`` in
``linalg_ops``. Kernels are numpy ufuncs where one exists (so a planned buffer is filled
through ``out=``), else ``fn_into`` writes into the buffer. Each gradient docstring states
its math.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import KernelContext, register
from graphflow.framework.tensor import Operation, Tensor
from graphflow.ops import array_ops, linalg_ops, op_builder
from graphflow.ops.array_ops import unbroadcast_pair
from graphflow.ops.comparison_ops import greater, greater_equal, less_equal, select_v2
from graphflow.ops.op_base import (
    FLOAT,
    NUMERIC,
    Binary,
    SameShapeBinary,
    Unary,
    bind_out,
    run_error,
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

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        power = bind_out(self, ctx)
        if ctx.inputs[1].dtype.is_floating:
            return power

        def integer_power(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            if np.any(np.asarray(y) < 0):
                raise ctx.invalid("integers to negative integer powers are not allowed "
                                  f"(exponents {np.asarray(y).reshape(-1)[:8].tolist()})",
                                  "cast to a float dtype first (gf.cast(x, gf.float32))")
            return power(x, y)
        return integer_power

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d(x^y) = (g * y * x^(y-1), g * x^y * log(x)) with log(x) taken as 0 where x <= 0."""
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
                raise run_error(name, op_type, f"integer division by zero (divisor {y.shape} "
                                "contains 0)", "guard the divisor, e.g. gf.maximum(y, 1)")
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


class _OutputGrad(SameShapeBinary):
    """Element-wise ``f(y, dy)`` of an activation gradient that reads the forward output
    (inputs of one shape)."""

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
        """``fn`` in the planned buffer, in ``fn``'s order (the same bits)."""
        np.negative(dy, out=out)
        np.multiply(out, y, out=out)
        return np.multiply(out, y, out=out)

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
        """``fn`` in the planned buffer, in ``fn``'s order (the same bits)."""
        np.multiply(-0.5, dy, out=out)
        np.multiply(out, y, out=out)
        np.multiply(out, y, out=out)
        return np.multiply(out, y, out=out)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d[-0.5 dy y^3] = (-1.5 g dy y^2, -0.5 g y^3) = (-1.5 g dy y^2, RsqrtGrad(y, g))."""
        y, dy = op.inputs
        return [multiply(_const(-1.5, y), multiply(multiply(g, dy), square(y))),
                rsqrt_grad(y, g)]


@register
class SqrtGrad(_OutputGrad):
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
# Builder functions (TF1 names)
# ----------------------------------------------------------------------------------------


def _const(value: float, like: Tensor) -> Tensor:
    return op_builder.constant(value, dtype=like.dtype, graph=like.graph)


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
    """``tf.subtract`` (also ``gf.sub``): ``x - y`` with broadcasting (``Sub``)."""
    return _binary("Sub", x, y, name)


def multiply(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.multiply``: element-wise ``x * y`` with broadcasting (``Mul``)."""
    return _binary("Mul", x, y, name)


def realdiv(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("RealDiv", x, y, name)


def truediv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y; integer inputs are first cast to floating point (TF1 semantics)."""
    x, y = op_builder.convert_n([x, y])
    if x.dtype.is_integer and x.dtype == y.dtype:
        target = dtypes.float32 if x.dtype in (dtypes.int8, dtypes.int16, dtypes.uint8) \
            else dtypes.float64
        x, y = linalg_ops.cast(x, target), linalg_ops.cast(y, target)
    return op_builder.apply1("RealDiv", [x, y], {"T": x.dtype}, name=name or "truediv")


divide = truediv


def maximum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.maximum``: element-wise max of ``x`` and ``y`` with broadcasting; on ties the
    gradient goes to ``x``, as in TF."""
    return _binary("Maximum", x, y, name)


def minimum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``tf.minimum``: element-wise min of ``x`` and ``y`` with broadcasting; on ties the
    gradient goes to ``x``, as in TF."""
    return _binary("Minimum", x, y, name)


def pow(x: Any, y: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF's name
    """``tf.pow``: element-wise ``x ** y`` with broadcasting (``Pow``)."""
    return _binary("Pow", x, y, name)


def negative(x: Any, name: str | None = None) -> Tensor:
    """``tf.negative``: element-wise ``-x`` (``Neg``)."""
    return _unary("Neg", x, name)


def square(x: Any, name: str | None = None) -> Tensor:
    """``tf.square``: element-wise ``x * x`` (``Square``)."""
    return _unary("Square", x, name)


def sqrt(x: Any, name: str | None = None) -> Tensor:
    """``tf.sqrt``: element-wise square root (``Sqrt``)."""
    return _unary("Sqrt", x, name)


def exp(x: Any, name: str | None = None) -> Tensor:
    """``tf.exp``: element-wise ``e ** x`` (``Exp``)."""
    return _unary("Exp", x, name)


def log(x: Any, name: str | None = None) -> Tensor:
    """``tf.log``: element-wise natural logarithm (``Log``)."""
    return _unary("Log", x, name)


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


def reciprocal_grad(y: Any, dy: Any, name: str | None = None) -> Tensor:
    """``ReciprocalGrad(y, dy) = -dy * y^2`` (TF's gradient op of ``Reciprocal``)."""
    return _binary("ReciprocalGrad", y, dy, name)


def rsqrt_grad(y: Any, dy: Any, name: str | None = None) -> Tensor:
    """``RsqrtGrad(y, dy) = -0.5 * dy * y^3`` (TF's gradient op of ``Rsqrt``)."""
    return _binary("RsqrtGrad", y, dy, name)
