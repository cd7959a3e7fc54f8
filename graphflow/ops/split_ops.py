"""Splitting a tensor along an axis: ``Split`` (``num_split`` equal parts) and ``SplitV``
(parts of the sizes ``size_splits``, one of them -1 for "the rest"), with TF1's
``gf.split(value, num_or_size_splits, axis)``. The gradient of either is the concat of the
parts' gradients (zeros for parts nobody used)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, layout_ops, op_builder
from graphflow.ops.op_base import one_or_tuple


def _parts_grad(op: Operation, grads: tuple[Any, ...], axis: Any) -> Tensor:
    parts = [array_ops.zeros_like(y) if g is None else op_builder.dense(g)
             for g, y in zip(grads, op.outputs)]
    return layout_ops.concat(parts, axis)


class _BadSizes(ValueError):
    """A bad ``size_splits`` (message, fix), raised as a build or run-time node error."""


def _resolve_sizes(sizes: list[int], dim: int | None, n: int) -> list[int]:
    """``size_splits`` with its -1 resolved against ``dim`` (when known)."""
    if len(sizes) != n:
        raise _BadSizes(f"size_splits has {len(sizes)} entries but num_split = {n}",
                        "give one size per output")
    unknown = [i for i, s in enumerate(sizes) if s == -1]
    if len(unknown) > 1 or any(s < -1 for s in sizes):
        raise _BadSizes(f"size_splits {sizes} may hold at most one -1 and no other negative "
                        "size", "give the sizes, with one -1 for the rest")
    if dim is None:
        return sizes
    known = sum(s for s in sizes if s != -1)
    out = list(sizes)
    if unknown:
        if known > dim:
            raise _BadSizes(f"size_splits {sizes} sum to {known}, more than the split "
                            f"dimension's size {dim}", "make the sizes fit the dimension")
        out[unknown[0]] = dim - known
    elif known != dim:
        raise _BadSizes(f"size_splits {sizes} sum to {known} but the split dimension has "
                        f"size {dim}",
                        "make the sizes sum to the dimension, or use -1 for one of them")
    return out


@register
class Split(Op):
    """``num_split`` equal parts of ``value`` along ``split_dim`` (the FIRST input)."""

    calls_blas = False

    op_type = "Split"
    input_names = ("split_dim", "value")
    returns_alias = True  # the parts are views of the input

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_dtype(0, lambda d: d == dtypes.int32, "an int32 scalar")
        x, n = ctx.inputs[1], ctx.attr("num_split")
        if n < 1:
            ctx.fail(f"num_split must be >= 1, got {n}")
        axis = ctx.static_axis(0, x.shape.rank)
        if axis is None or x.shape.rank is None:
            rank = x.shape.rank
            return [TensorSpec(x.dtype, TensorShape(None if rank is None else [None] * rank))
                    for _ in range(n)]
        dims = list(x.shape.dims or ())
        if dims[axis] is not None:
            if dims[axis] % n:
                ctx.fail(f"dimension {axis} of {ctx.input_label(1)} ({dims[axis]}) is not "
                         f"divisible by num_split = {n}",
                         "use gf.split with a list of sizes (SplitV) for unequal parts")
            dims[axis] //= n
        return [TensorSpec(x.dtype, dims) for _ in range(n)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        n = ctx.attr("num_split")

        def split(split_dim: np.ndarray, x: np.ndarray) -> Any:
            (axis,) = ctx.check_axes(split_dim, x.ndim, "split_dim")
            if x.shape[axis] % n:
                raise ctx.invalid(f"dimension {axis} of the input of shape {x.shape} is not "
                                  f"divisible by num_split = {n}",
                                  "use a list of sizes (SplitV) for unequal parts")
            return one_or_tuple(np.split(x, n, axis=axis))
        return split

    def grad(self, op: Operation, *grads: Any) -> list[Tensor | None]:
        """d split(x) = concat(g_1..g_n, axis) (zeros for unused parts); none for the axis."""
        return [None, _parts_grad(op, grads, op.inputs[0])]


@register
class SplitV(Op):
    """Parts of ``value`` along ``split_dim`` (the LAST input) of sizes ``size_splits``."""

    calls_blas = False

    op_type = "SplitV"
    input_names = ("value", "size_splits", "split_dim")
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_index(1)
        ctx.require_dtype(2, lambda d: d == dtypes.int32, "an int32 scalar")
        x, n = ctx.inputs[0], ctx.attr("num_split")
        axis = ctx.static_axis(2, x.shape.rank)
        sizes = ctx.static_ints(1)
        if x.shape.rank is None or axis is None:
            rank = x.shape.rank
            return [TensorSpec(x.dtype, TensorShape(None if rank is None else [None] * rank))
                    for _ in range(n)]
        if sizes is None:
            return [TensorSpec(x.dtype, [None if k == axis else d
                                         for k, d in enumerate(x.shape.dims or ())])
                    for _ in range(n)]
        try:
            sizes = _resolve_sizes(sizes, x.shape[axis], n)
        except _BadSizes as err:
            ctx.fail(*err.args)
        out = []
        for s in sizes:
            dims = list(x.shape.dims or ())
            dims[axis] = None if s == -1 else s
            out.append(TensorSpec(x.dtype, dims))
        return out

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        n = ctx.attr("num_split")

        def split_v(x: np.ndarray, size_splits: np.ndarray, split_dim: np.ndarray) -> Any:
            (axis,) = ctx.check_axes(split_dim, x.ndim, "split_dim")
            try:
                sizes = _resolve_sizes([int(s) for s in np.asarray(size_splits).reshape(-1)],
                                       x.shape[axis], n)
            except _BadSizes as err:
                raise ctx.invalid(*err.args) from None
            return one_or_tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))
        return split_v

    def grad(self, op: Operation, *grads: Any) -> list[Tensor | None]:
        """d split_v(x) = concat(g_1..g_n, axis) (zeros for unused parts)."""
        return [_parts_grad(op, grads, op.inputs[2]), None, None]


def split(value: Any, num_or_size_splits: Any, axis: Any = 0, num: int | None = None,
          name: str = "split") -> list[Tensor]:
    """``tf.split``: an int -> ``Split`` into that many equal parts; a list/1-D tensor of
    sizes -> ``SplitV`` (``num`` is needed when the sizes are a tensor of unknown length)."""
    g = op_builder.graph_of(value, num_or_size_splits, axis)
    with g.as_default():
        x = op_builder.convert_to_tensor(value)
        axis_t = op_builder.int_input(axis, "split_dim", dtype=dtypes.int32)
        if isinstance(num_or_size_splits, (int, np.integer)):
            n = int(num_or_size_splits)
            return list(op_builder.apply("Split", [axis_t, x], {"T": x.dtype, "num_split": n},
                                         name=name).outputs)
        sizes = op_builder.int_input(num_or_size_splits, "size_splits")
        if num is None:
            length = sizes.shape[0] if sizes.shape.rank == 1 else None
            if length is None:
                raise ValueError("split: cannot infer the number of parts from size_splits "
                                 f"{num_or_size_splits!r}; pass num=")
            num = int(length)
        return list(op_builder.apply("SplitV", [x, sizes, axis_t],
                                     {"T": x.dtype, "Tlen": sizes.dtype, "num_split": int(num)},
                                     name=name).outputs)
