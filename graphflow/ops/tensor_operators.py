"""Install Python operators on ``Tensor`` (``+ - * / @ ** -x < <= > >=`` and indexing),
with TF1's default node names. ``==`` stays identity, as in TF1, so tensors can key dicts."""

from __future__ import annotations

from typing import Any

from graphflow.framework.tensor import Tensor
from graphflow.ops import linalg_ops, math_ops


def _install() -> None:
    def binary(fn: Any, name: str) -> tuple[Any, Any]:
        return (lambda x, y: fn(x, y, name=name)), (lambda x, y: fn(y, x, name=name))

    pairs = {
        "add": binary(math_ops.add, "add"),
        "sub": binary(math_ops.subtract, "sub"),
        "mul": binary(math_ops.multiply, "mul"),
        "truediv": binary(math_ops.truediv, "truediv"),
        "pow": binary(math_ops.pow, "pow"),
        "matmul": binary(linalg_ops.matmul, "matmul"),
    }
    for op, (fwd, rev) in pairs.items():
        Tensor._override_operator(f"__{op}__", fwd)
        Tensor._override_operator(f"__r{op}__", rev)
    Tensor._override_operator("__neg__", lambda x: math_ops.negative(x, name="Neg"))
    Tensor._override_operator("__lt__", lambda x, y: math_ops.less(x, y, name="Less"))
    Tensor._override_operator("__le__", lambda x, y: math_ops.less_equal(x, y, name="LessEqual"))
    Tensor._override_operator("__gt__", lambda x, y: math_ops.greater(x, y, name="Greater"))
    Tensor._override_operator("__ge__",
                              lambda x, y: math_ops.greater_equal(x, y, name="GreaterEqual"))


_install()
