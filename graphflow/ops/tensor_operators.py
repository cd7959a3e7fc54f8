"""Install Python operators on ``Tensor`` — ``+ - * / // % @ ** -x abs(x) < <= > >=`` and
indexing (``t[...]``) — with TF1's default node names. ``==`` stays identity, as in TF1, so
tensors can key dicts. This is the one module that installs operators (``Tensor`` itself
holds no op code); importing ``graphflow.ops`` runs it."""

from __future__ import annotations

from typing import Any

from graphflow.framework.tensor import Tensor
from graphflow.ops import batch_matmul_ops, comparison_ops, math_ops, strided_slice_ops


def _install() -> None:
    def binary(fn: Any, name: str) -> tuple[Any, Any]:
        return (lambda x, y: fn(x, y, name=name)), (lambda x, y: fn(y, x, name=name))

    pairs = {
        "add": binary(math_ops.add, "add"),
        "sub": binary(math_ops.subtract, "sub"),
        "mul": binary(math_ops.multiply, "mul"),
        "truediv": binary(math_ops.truediv, "truediv"),
        "pow": binary(math_ops.pow, "pow"),
        "floordiv": binary(math_ops.floordiv, "floordiv"),  # FloorDiv, as TF's ``//``
        "mod": binary(math_ops.floormod, "mod"),  # FloorMod, as TF's ``%``
        "matmul": binary(batch_matmul_ops.matmul, "matmul"),
    }
    for op, (fwd, rev) in pairs.items():
        Tensor._override_operator(f"__{op}__", fwd)
        Tensor._override_operator(f"__r{op}__", rev)
    Tensor._override_operator("__neg__", lambda x: math_ops.negative(x, name="Neg"))
    Tensor._override_operator("__abs__", lambda x: math_ops.abs(x, name="Abs"))
    Tensor._override_operator("__lt__", lambda x, y: comparison_ops.less(x, y, name="Less"))
    Tensor._override_operator("__le__",
                              lambda x, y: comparison_ops.less_equal(x, y, name="LessEqual"))
    Tensor._override_operator("__gt__",
                              lambda x, y: comparison_ops.greater(x, y, name="Greater"))
    Tensor._override_operator("__ge__", lambda x, y: comparison_ops.greater_equal(
        x, y, name="GreaterEqual"))
    Tensor._override_operator("__getitem__", strided_slice_ops.getitem)


_install()
