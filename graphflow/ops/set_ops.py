"""``Unique``: the distinct values of a 1-D tensor and, for each element, its index among
them (used to sum duplicate rows of sparse gradients before sparse optimizer updates)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Tensor, TensorSpec
from graphflow.ops import op_builder


@register
class Unique(Op):
    """y = distinct values of x in order of first occurrence; idx[i] = position of x[i] in y
    (TF's ``Unique``, outputs ``y`` and ``idx``)."""

    calls_blas = False

    op_type = "Unique"
    input_names = ("x",)
    differentiable = False
    attr_defaults = {"out_idx": dtypes.int32}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_rank(0, 1)
        x, out_idx = ctx.inputs[0], ctx.attr("out_idx")
        return [TensorSpec(x.dtype, (None,)), TensorSpec(out_idx, x.shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        idx_dtype = ctx.attr("out_idx").np_dtype

        def unique(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            values, first, inverse = np.unique(x, return_index=True, return_inverse=True)
            order = np.argsort(first, kind="stable")  # TF keeps first-occurrence order
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            return values[order], rank[inverse.reshape(-1)].astype(idx_dtype)
        return unique


def unique(x: Any, out_idx: Any = dtypes.int32, name: str | None = None) -> tuple[Tensor, Tensor]:
    x = op_builder.convert_to_tensor(x)
    op = op_builder.apply("Unique", [x], {"T": x.dtype, "out_idx": dtypes.as_dtype(out_idx)},
                          name=name or "Unique")
    return op.outputs[0], op.outputs[1]
