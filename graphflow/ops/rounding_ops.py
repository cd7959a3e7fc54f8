"""``Round``: element-wise rounding half to even (TensorFlow's banker's rounding, which is
numpy's ``np.round``); integer inputs pass through. TensorFlow's gradient of Round is
``None`` (``_RoundGrad`` returns ``[None]``), so the record is non-differentiable: a
gradient through it is ``None``, exactly as ``tf.gradients`` reports it."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.framework.op_registry import register
from graphflow.framework.tensor import Tensor
from graphflow.ops import op_builder
from graphflow.ops.op_base import NUMERIC, Unary


@register
class Round(Unary):
    """y = x rounded to the nearest integer, ties to even (0.5 -> 0, 1.5 -> 2, -2.5 -> -2)."""

    op_type = "Round"
    domain = NUMERIC
    fn = staticmethod(np.round)
    differentiable = False


def round(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF's name
    """``tf.round``: half to even, as TensorFlow; no gradient (``None``), as TensorFlow."""
    x = op_builder.convert_to_tensor(x)
    return op_builder.apply1("Round", [x], {"T": x.dtype}, name=name or "Round")
