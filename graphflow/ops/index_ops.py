"""ArgMax / ArgMin: the index of the largest / smallest value along an axis (an input, as
in TF). Integer outputs: registered non-differentiable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Tensor, TensorSpec
from graphflow.ops import op_builder


class _ArgReduce(Op):
    input_names = ("input", "dimension")
    differentiable = False
    attr_defaults = {"output_type": dtypes.int64, "Tidx": dtypes.int32}
    np_fn: Callable[..., np.ndarray] = staticmethod(np.argmax)

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x, axis = ctx.inputs
        ctx.require_dtype(0, lambda d: d.is_numeric, "a numeric tensor")
        ctx.require_rank(1, 0)
        out_type = ctx.attr("output_type")
        if x.shape.rank is None or axis.value is None:
            return [TensorSpec(out_type, None if x.shape.rank is None
                               else [None] * (x.shape.rank - 1))]
        rank = x.shape.rank
        a = int(axis.value)
        if not -rank <= a < rank:
            ctx.fail(f"axis {a} is out of range for {ctx.input_label(0)} (rank {rank})")
        dims = [d for i, d in enumerate(x.shape.dims) if i != a % rank]
        return [TensorSpec(out_type, dims)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fn, np_dtype = self.np_fn, ctx.attr("output_type").np_dtype
        return lambda x, axis: fn(x, axis=int(axis)).astype(np_dtype, copy=False)


@register
class ArgMax(_ArgReduce):
    """Index of the maximum along ``dimension`` (first one on ties)."""

    op_type = "ArgMax"
    np_fn = staticmethod(np.argmax)


@register
class ArgMin(_ArgReduce):
    """Index of the minimum along ``dimension`` (first one on ties)."""

    op_type = "ArgMin"
    np_fn = staticmethod(np.argmin)


def _arg(op_type: str, x: Any, axis: int, output_type: Any, name: str | None) -> Tensor:
    x = op_builder.convert_to_tensor(x)
    with x.graph.as_default():
        a = op_builder.constant(np.int32(axis), name="dimension")
    return op_builder.apply1(op_type, [x, a], {"T": x.dtype, "Tidx": a.dtype,
                                               "output_type": dtypes.as_dtype(output_type)},
                             name=name or op_type)


def argmax(input: Any, axis: int | None = None, name: str | None = None,
           output_type: Any = dtypes.int64) -> Tensor:
    """``tf.argmax`` (axis defaults to 0, as TF1's ``dimension``)."""
    return _arg("ArgMax", input, 0 if axis is None else axis, output_type, name)


def argmin(input: Any, axis: int | None = None, name: str | None = None,
           output_type: Any = dtypes.int64) -> Tensor:
    return _arg("ArgMin", input, 0 if axis is None else axis, output_type, name)
