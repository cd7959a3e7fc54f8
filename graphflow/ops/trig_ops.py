"""Trigonometric and rounding element-wise ops: Sin, Cos (with gradients) and Ceil (no
gradient, as TensorFlow), for the schedules and models that need them (cosine decay)."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.framework.op_registry import register
from graphflow.framework.tensor import Operation, Tensor
from graphflow.ops import math_ops, op_builder
from graphflow.ops.op_base import Unary


@register
class Sin(Unary):
    """y = sin(x)."""

    op_type = "Sin"
    fn = staticmethod(np.sin)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d sin(x) = g cos(x)."""
        return [math_ops.multiply(g, cos(op.inputs[0]))]


@register
class Cos(Unary):
    """y = cos(x)."""

    op_type = "Cos"
    fn = staticmethod(np.cos)

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """d cos(x) = -g sin(x)."""
        return [math_ops.negative(math_ops.multiply(g, sin(op.inputs[0])))]


@register
class Ceil(Unary):
    """y = the smallest integer >= x (piecewise constant: no gradient)."""

    op_type = "Ceil"
    fn = staticmethod(np.ceil)
    differentiable = False


def _unary(op_type: str, x: Any, name: str | None) -> Tensor:
    t = op_builder.convert_to_tensor(x)
    return op_builder.apply1(op_type, [t], {"T": t.dtype}, name=name or op_type)


def sin(x: Any, name: str | None = None) -> Tensor:
    """``tf.sin``: element-wise sine (radians)."""
    return _unary("Sin", x, name)


def cos(x: Any, name: str | None = None) -> Tensor:
    """``tf.cos``: element-wise cosine (radians)."""
    return _unary("Cos", x, name)


def ceil(x: Any, name: str | None = None) -> Tensor:
    """``tf.ceil``: the smallest integer >= x, element-wise (no gradient)."""
    return _unary("Ceil", x, name)
