"""Top-k along the last axis: ``TopKV2`` (the k largest values, sorted descending, and
their indices; ties keep the lower index first, as TensorFlow) and ``InTopKV2`` (is each
target among the k largest predictions?). TopKV2's gradient scatters the values' gradient
back to the chosen positions (TF's rule, with UnsortedSegmentSum for ScatterNd)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import (
    array_ops,
    gather_ops,
    layout_ops,
    math_ops,
    op_builder,
    reduction_ops,
)


def _top_k(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    # A stable sort of -x keeps equal values in index order (TensorFlow's tie rule).
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, axis=-1), order.astype(np.int32)


@register
class TopKV2(Op):
    """(values, indices): the ``k`` largest entries of each last-axis row of ``input``."""

    calls_blas = False

    op_type = "TopKV2"
    input_names = ("input", "k")
    attr_defaults = {"sorted": True}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_dtype(0, lambda d: d.is_numeric, "a real numeric tensor")
        ctx.require_dtype(1, lambda d: d == dtypes.int32, "an int32 scalar")
        ctx.require_rank(1, 0)
        k_vals = ctx.static_ints(1)
        k = None if k_vals is None else k_vals[0]
        if k is not None and k < 0:
            ctx.fail(f"k must be >= 0, got {k}")
        if x.shape.rank is None:
            return [TensorSpec(x.dtype, TensorShape(None)),
                    TensorSpec(dtypes.int32, TensorShape(None))]
        if x.shape.rank < 1:
            ctx.fail(f"{ctx.input_label(0)} must have rank >= 1", "top_k works on vectors")
        last = x.shape[-1]
        if k is not None and last is not None and k > last:
            ctx.fail(f"k = {k} is larger than the last dimension of {ctx.input_label(0)} "
                     f"({last})", f"use k <= {last}")
        dims = list(x.shape.dims or ())[:-1] + [k]
        return [TensorSpec(x.dtype, dims), TensorSpec(dtypes.int32, dims)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def top_k(x: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            kk = int(k)
            if x.ndim < 1:
                raise ctx.invalid("input must have rank >= 1, got a scalar")
            if not 0 <= kk <= x.shape[-1]:
                raise ctx.invalid(f"k = {kk} is not in [0, {x.shape[-1]}] (the last "
                                  f"dimension of the input of shape {x.shape})",
                                  f"use k <= {x.shape[-1]}")
            return _top_k(x, kk)
        return top_k

    def grad(self, op: Operation, g_values: Any, g_indices: Any) -> list[Tensor | None]:
        """d values[..., j] / d input[..., indices[..., j]] = 1: the values' gradient is
        scattered (summed) back to the chosen positions of each row; none for k."""
        x = op.inputs[0]
        if g_values is None:
            return [array_ops.zeros_like(x), None]
        g = op_builder.dense(g_values)
        indices = op.outputs[1]
        in_shape = array_ops.shape(x)
        ind_shape = array_ops.shape(indices)
        one = op_builder.constant(1)
        ind_lastdim = gather_ops.gather(ind_shape, math_ops.subtract(array_ops.size(ind_shape),
                                                                     one))
        ind_2d = array_ops.reshape(indices, layout_ops.stack([op_builder.constant(-1),
                                                              ind_lastdim]))
        in_lastdim = gather_ops.gather(in_shape, math_ops.subtract(array_ops.size(in_shape),
                                                                   one))
        outerdim = gather_ops.gather(array_ops.shape(ind_2d), 0)
        offsets = layout_ops.range_(0, math_ops.multiply(outerdim, in_lastdim), in_lastdim)
        flat_ind = array_ops.reshape(
            math_ops.add(ind_2d, array_ops.expand_dims(offsets, -1)), [-1])
        total = reduction_ops.reduce_prod(in_shape)
        scattered = gather_ops.unsorted_segment_sum(array_ops.reshape(g, [-1]), flat_ind, total)
        return [array_ops.reshape(scattered, in_shape), None]


@register
class InTopKV2(Op):
    """out[i] = targets[i] is among the ``k`` largest of predictions[i, :] (a target whose
    prediction ties the k-th largest counts as in; a non-finite prediction or a target out
    of range gives False, as TensorFlow)."""

    calls_blas = False

    op_type = "InTopKV2"
    input_names = ("predictions", "targets", "k")
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_dtype(0, lambda d: d == dtypes.float32, "float32 (TensorFlow's InTopKV2 "
                          "takes float32 predictions)")
        ctx.require_index(1, 2)
        p = ctx.require_rank(0, 2)
        t = ctx.require_rank(1, 1)
        ctx.require_rank(2, 0)
        if p.rank is not None and t.rank is not None and p[0] is not None \
                and t[0] is not None and p[0] != t[0]:
            ctx.fail(f"{ctx.input_label(0)} has {p[0]} rows but {ctx.input_label(1)} has "
                     f"{t[0]} targets", "give one target per row")
        return [TensorSpec(dtypes.bool_, [p[0] if p.rank is not None else None])]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def in_top_k(predictions: np.ndarray, targets: np.ndarray, k: np.ndarray
                     ) -> np.ndarray:
            if predictions.shape[0] != targets.shape[0]:
                raise ctx.invalid(f"predictions has {predictions.shape[0]} rows but targets "
                                  f"has {targets.shape[0]} entries", "give one target per row")
            n, c = predictions.shape
            out = np.zeros(n, dtype=bool)
            valid = (targets >= 0) & (targets < c)
            rows = np.flatnonzero(valid)
            if rows.size:
                tp = predictions[rows, targets[rows]]
                greater = (predictions[rows] > tp[:, None]).sum(axis=1)
                finite = np.isfinite(predictions[rows]).all(axis=1)
                out[rows] = finite & (greater < int(k))
            return out
        return in_top_k


def top_k(input: Any, k: Any = 1, sorted: bool = True,  # noqa: A002
          name: str | None = None) -> tuple[Tensor, Tensor]:
    """``tf.nn.top_k``: (values, indices) of the k largest entries along the last axis."""
    x = op_builder.convert_to_tensor(input)
    k_t = op_builder.int_input(k, "k", dtype=dtypes.int32)
    op = op_builder.apply("TopKV2", [x, k_t], {"T": x.dtype, "sorted": bool(sorted)},
                          name=name or "TopKV2")
    return op.outputs[0], op.outputs[1]


def in_top_k(predictions: Any, targets: Any, k: Any, name: str | None = None) -> Tensor:
    """``tf.nn.in_top_k``: bool per row, is the target among the k largest predictions."""
    p = op_builder.convert_to_tensor(predictions)
    t = op_builder.convert_to_tensor(targets, preferred_dtype=dtypes.int32)
    k_t = op_builder.convert_to_tensor(k, dtype=t.dtype) if isinstance(k, Tensor) else \
        op_builder.constant(np.asarray(k, dtype=t.dtype.np_dtype))
    return op_builder.apply1("InTopKV2", [p, t, k_t], {"T": t.dtype}, name=name or "InTopKV2")

