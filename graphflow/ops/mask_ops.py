"""Masks: the one-input ``Where`` (coordinates of the true entries, int64 ``[n, rank]``),
``boolean_mask`` (reshape + Where + GatherV2, as TF1 builds it, so the gradient is the
gather's) and ``sequence_mask`` (Range < lengths)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Tensor, TensorSpec
from graphflow.ops import (
    array_ops,
    comparison_ops,
    gather_ops,
    layout_ops,
    linalg_ops,
    op_builder,
    reduction_ops,
)


@register
class Where(Op):
    """index[i] = the coordinates of the i-th true (non-zero) entry of ``input``, in
    row-major order: int64 of shape [number of true entries, rank]."""

    op_type = "Where"
    input_names = ("input",)
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        rank = x.shape.rank
        return [TensorSpec(dtypes.int64, [None, rank] if rank is not None else [None, None])]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda x: np.argwhere(x).astype(np.int64)


def where_indices(condition: Any, name: str | None = None) -> Tensor:
    """``tf.where(condition)`` with one argument: the coordinates of the true entries."""
    c = op_builder.convert_to_tensor(condition)
    return op_builder.apply1("Where", [c], {"T": c.dtype}, name=name or "Where")


def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask", axis: Any = None
                 ) -> Tensor:
    """``tf.boolean_mask``: the entries of ``tensor`` where the bool ``mask`` (whose shape
    matches ``tensor.shape[axis:axis + mask.rank]``) is true, those dims flattened into one.
    The mask's rank must be known when the graph is built (as in TensorFlow)."""
    g = op_builder.graph_of(tensor, mask)
    with g.as_default(), g.name_scope(name):
        t = op_builder.convert_to_tensor(tensor, name="tensor")
        m = op_builder.convert_to_tensor(mask, name="mask")
        if m.dtype != dtypes.bool_:
            raise TypeError(f"boolean_mask: mask '{m.name}' must be bool, got {m.dtype.name}")
        k = m.shape.rank
        if k is None:
            raise ValueError("boolean_mask: the rank of the mask must be known when the graph "
                             "is built (give the placeholder a shape)")
        if k == 0:
            raise ValueError("boolean_mask: the mask cannot be a scalar")
        a = 0 if axis is None else int(axis)
        r = t.shape.rank
        if r is not None:
            if a < 0:
                a += r
            if not 0 <= a <= r - k:
                raise ValueError(f"boolean_mask: axis {axis} with a mask of rank {k} does not "
                                 f"fit a tensor of rank {r}")
            covered = t.shape[a:a + k]
            if not covered.is_compatible_with(m.shape):
                raise ValueError(f"boolean_mask: mask shape {m.shape} does not match the "
                                 f"tensor's dims {covered} (tensor shape {t.shape}, axis {a})")
        elif a < 0:
            raise ValueError("boolean_mask: a negative axis needs a tensor of known rank")
        dims = list(t.shape.dims or ()) if r is not None else None
        covered_dims = [d for d in (dims or [])[a:a + k] if d is not None]
        if dims is not None and len(covered_dims) == k:
            leading: Any = math.prod(covered_dims)
        else:
            shape = array_ops.shape(t)
            leading = reduction_ops.reduce_prod(layout_ops.slice(shape, [a], [k]), [0])
        static = [d for d in (dims or []) if d is not None]
        if dims is not None and len(static) == len(dims):
            new_shape: Any = static[:a] + [leading] + static[a + k:]
        else:
            shape = array_ops.shape(t)
            lead_t = array_ops.reshape(leading if isinstance(leading, Tensor)
                                       else op_builder.constant(leading), [1])
            new_shape = layout_ops.concat([layout_ops.slice(shape, [0], [a]), lead_t,
                                           layout_ops.slice(shape, [a + k], [-1])], 0)
        flat = array_ops.reshape(t, new_shape)
        flat_mask = array_ops.reshape(m, [-1])
        indices = array_ops.squeeze(where_indices(flat_mask), [1])
        return gather_ops.gather(flat, indices, axis=a)


def sequence_mask(lengths: Any, maxlen: Any = None, dtype: Any = dtypes.bool_,
                  name: str | None = None) -> Tensor:
    """``tf.sequence_mask``: mask[..., j] = j < lengths[...], for j in [0, maxlen)
    (maxlen defaults to max(lengths)), cast to ``dtype``."""
    g = op_builder.graph_of(lengths, maxlen)
    with g.as_default(), g.name_scope(name or "SequenceMask"):
        lens = op_builder.convert_to_tensor(lengths, name="lengths",
                                            preferred_dtype=dtypes.int32)
        if not lens.dtype.is_integer:
            raise TypeError(f"sequence_mask: lengths '{lens.name}' must be integers, got "
                            f"{lens.dtype.name}")
        if maxlen is None:
            top = reduction_ops.reduce_max(lens)
        else:
            top = op_builder.convert_to_tensor(maxlen, name="maxlen",
                                               preferred_dtype=lens.dtype)
            if top.shape.rank not in (None, 0):
                raise ValueError(f"sequence_mask: maxlen must be a scalar, got shape "
                                 f"{top.shape}")
        row = layout_ops.range_(op_builder.constant(0, dtype=top.dtype), top,
                                op_builder.constant(1, dtype=top.dtype))
        matrix = linalg_ops.cast(array_ops.expand_dims(lens, -1), top.dtype)
        result = comparison_ops.less(row, matrix)
        want = dtypes.as_dtype(dtype)
        return result if want == dtypes.bool_ else linalg_ops.cast(result, want)
