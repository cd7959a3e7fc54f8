"""``tf.nn.moments``: mean and variance over axes, composed as TF1 builds it (Mean, then
Mean of SquaredDifference against the stopped mean), so the gradient comes from the parts."""

from __future__ import annotations

import warnings
from typing import Any

from graphflow.framework.tensor import Tensor
from graphflow.ops import array_ops, linalg_ops, math_ops, op_builder, reduction_ops


def moments(x: Any, axes: Any, shift: Any = None, name: str | None = None,
            keep_dims: bool | None = None, keepdims: bool | None = None
            ) -> tuple[Tensor, Tensor]:
    """(mean, variance) of ``x`` over ``axes`` (a list of ints); ``keep_dims`` is TF1's
    spelling of ``keepdims``; ``shift`` is accepted and unused, as in TF 1.x. float16
    inputs are reduced in float32 and cast back (TF's rule)."""
    if keep_dims is not None:
        if keepdims is not None:
            raise ValueError("pass only one of keepdims and keep_dims to moments")
        keepdims = keep_dims
    if shift is not None:
        warnings.warn("moments: shift is unused (as in TensorFlow 1.x)", DeprecationWarning,
                      stacklevel=2)
    keep = bool(keepdims)
    g = op_builder.graph_of(x)
    with g.as_default(), g.name_scope(name or "moments"):
        x = op_builder.convert_to_tensor(x, name="x")
        y = linalg_ops.cast(x, "float32") if x.dtype.name == "float16" else x
        axes_list = list(axes) if isinstance(axes, (list, tuple)) else axes
        mean = reduction_ops.reduce_mean(y, axes_list, keepdims=True, name="mean")
        variance = reduction_ops.reduce_mean(
            math_ops.squared_difference(y, array_ops.stop_gradient(mean)), axes_list,
            keepdims=True, name="variance")
        if not keep:
            mean = array_ops.squeeze(mean, axes_list)
            variance = array_ops.squeeze(variance, axes_list)
        if x.dtype.name == "float16":
            return linalg_ops.cast(mean, x.dtype), linalg_ops.cast(variance, x.dtype)
        return mean, variance
