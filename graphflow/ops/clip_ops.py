"""Clipping and norms, composed of existing ops exactly as TF1 builds them (so the graphs
export to TensorFlow unchanged and the gradients come from the parts): ``clip_by_value``
(Minimum then Maximum), ``clip_by_norm``, ``global_norm`` (L2Loss per tensor), and
``clip_by_global_norm``; ``l2_normalize`` (x * rsqrt(max(sum x^2, epsilon)))."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from graphflow.framework.graph import Graph
from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.tensor import Tensor
from graphflow.ops import (
    array_ops,
    comparison_ops,
    layout_ops,
    linalg_ops,
    math_ops,
    nn_ops,
    op_builder,
    reduction_ops,
)


def _graph(values: Sequence[Any]) -> Graph:
    return op_builder.graph_of(*[v.values if isinstance(v, IndexedSlices) else v
                                 for v in values if v is not None])


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any,
                  name: str | None = None) -> Tensor | IndexedSlices:
    """``tf.clip_by_value``: min(max(t, lo), hi) element-wise, as TF1's Minimum then
    Maximum (the gradient passes where t is inside [lo, hi]); IndexedSlices clip their
    values."""
    if isinstance(t, IndexedSlices):
        values = clip_by_value(t.values, clip_value_min, clip_value_max, name)
        assert isinstance(values, Tensor)
        return IndexedSlices(values, t.indices, t.dense_shape)
    g = op_builder.graph_of(t, clip_value_min, clip_value_max)
    with g.as_default(), g.name_scope(name or "clip_by_value") as scope:
        t = op_builder.convert_to_tensor(t, name="t")
        lo = op_builder.convert_to_tensor(clip_value_min, dtype=t.dtype, name="clip_value_min")
        hi = op_builder.convert_to_tensor(clip_value_max, dtype=t.dtype, name="clip_value_max")
        t_min = math_ops.minimum(t, hi)
        return math_ops.maximum(t_min, lo, name=scope)


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None,
                 name: str | None = None) -> Tensor | IndexedSlices:
    """``tf.clip_by_norm``: t * clip_norm / max(||t||_2, clip_norm), the L2 norm over
    ``axes`` (all when None); a zero t stays zero (the norm is guarded as in TF1)."""
    if isinstance(t, IndexedSlices):
        values = clip_by_norm(t.values, clip_norm, axes, name)
        assert isinstance(values, Tensor)
        return IndexedSlices(values, t.indices, t.dense_shape)
    g = op_builder.graph_of(t, clip_norm)
    with g.as_default(), g.name_scope(name or "clip_by_norm") as scope:
        t = op_builder.convert_to_tensor(t, name="t")
        clip = op_builder.convert_to_tensor(clip_norm, dtype=t.dtype, name="clip_norm")
        l2sum = reduction_ops.reduce_sum(math_ops.multiply(t, t), axes, keepdims=True)
        pred = comparison_ops.greater(l2sum, array_ops.zeros_like(l2sum))
        l2sum_safe = comparison_ops.select_v2(pred, l2sum, array_ops.ones_like(l2sum))
        l2norm = comparison_ops.select_v2(pred, math_ops.sqrt(l2sum_safe), l2sum)
        intermediate = math_ops.multiply(t, clip)
        return array_ops.identity(math_ops.truediv(intermediate, math_ops.maximum(l2norm, clip)),
                                  name=scope)


def global_norm(t_list: Sequence[Any], name: str | None = None) -> Tensor:
    """``tf.global_norm``: sqrt(sum_i ||t_i||^2) over the tensors (None entries skipped,
    IndexedSlices by their values), as TF1: sqrt(2 * sum of L2Loss)."""
    if isinstance(t_list, (Tensor, IndexedSlices)) or not isinstance(t_list, (list, tuple)):
        raise TypeError("global_norm expects a list or tuple of tensors, got "
                        f"{type(t_list).__name__}")
    items = [t for t in t_list if t is not None]
    if not items:
        raise ValueError("global_norm needs at least one tensor that is not None")
    g = _graph(items)
    with g.as_default(), g.name_scope(name or "global_norm") as scope:
        values = [op_builder.convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t)
                  for t in items]
        half_squared = [nn_ops.l2_loss(v) for v in values]
        half_squared_norm = reduction_ops.reduce_sum(layout_ops.stack(half_squared))
        two = op_builder.constant(2.0, dtype=half_squared_norm.dtype)
        return math_ops.sqrt(math_ops.multiply(half_squared_norm, two), name=scope)


def clip_by_global_norm(t_list: Sequence[Any], clip_norm: Any, use_norm: Any = None,
                        name: str | None = None) -> tuple[list[Any], Tensor]:
    """``tf.clip_by_global_norm``: each t_i * clip_norm / max(global_norm, clip_norm);
    returns (the clipped list, None entries kept, and the global norm)."""
    if not isinstance(t_list, (list, tuple)):
        raise TypeError("clip_by_global_norm expects a list or tuple of tensors, got "
                        f"{type(t_list).__name__}")
    items = [t for t in t_list if t is not None]
    g = _graph(items)
    with g.as_default(), g.name_scope(name or "clip_by_global_norm"):
        norm = global_norm(items) if use_norm is None else op_builder.convert_to_tensor(use_norm)
        clip = op_builder.convert_to_tensor(clip_norm, dtype=norm.dtype, name="clip_norm")
        one = op_builder.constant(1.0, dtype=norm.dtype)
        scale = math_ops.multiply(clip, math_ops.minimum(math_ops.truediv(one, norm),
                                                         math_ops.truediv(one, clip)))
        out: list[Any] = []
        for i, t in enumerate(t_list):
            if t is None:
                out.append(None)
                continue
            values = t.values if isinstance(t, IndexedSlices) else op_builder.convert_to_tensor(t)
            s = linalg_ops.cast(scale, values.dtype)
            clipped = array_ops.identity(math_ops.multiply(values, s),
                                         name=f"clip_{i}")
            out.append(IndexedSlices(clipped, t.indices, t.dense_shape)
                       if isinstance(t, IndexedSlices) else clipped)
        return out, norm


def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None,
                 dim: Any = None) -> Tensor:
    """``tf.nn.l2_normalize``: x / sqrt(max(sum(x^2, axis), epsilon)); ``dim`` is the
    deprecated TF1 name of ``axis``."""
    if dim is not None:
        warnings.warn("l2_normalize: dim is deprecated, use axis", DeprecationWarning,
                      stacklevel=2)
        if axis is not None:
            raise ValueError("pass only one of axis and dim to l2_normalize")
        axis = dim
    g = op_builder.graph_of(x)
    with g.as_default(), g.name_scope(name or "l2_normalize") as scope:
        x = op_builder.convert_to_tensor(x, name="x")
        square_sum = reduction_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        eps = op_builder.constant(epsilon, dtype=x.dtype)
        x_inv_norm = math_ops.rsqrt(math_ops.maximum(square_sum, eps))
        return math_ops.multiply(x, x_inv_norm, name=scope)
