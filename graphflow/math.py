"""``gf.math``: TF's ``tf.math`` namespace — element-wise arithmetic, comparisons and logic,
reductions, scans, arg-max, top-k and rounding under their ``tf.math.*`` names. Every name is
the builder defined in its op family (``graphflow.ops.*``); nothing is implemented here."""

from __future__ import annotations

from graphflow.ops.activation_ops import sigmoid, softplus, tanh
from graphflow.ops.clip_ops import l2_normalize
from graphflow.ops.comparison_ops import (
                                          equal,
                                          greater,
                                          greater_equal,
                                          less,
                                          less_equal,
                                          logical_and,
                                          logical_not,
                                          logical_or,
                                          not_equal,
)
from graphflow.ops.gather_ops import argmax, argmin, unsorted_segment_sum
from graphflow.ops.linalg_ops import add_n
from graphflow.ops.math_ops import (
                                          abs,
                                          add,
                                          divide,
                                          exp,
                                          expm1,
                                          floor,
                                          floordiv,
                                          floormod,
                                          log,
                                          log1p,
                                          maximum,
                                          minimum,
                                          mod,
                                          multiply,
                                          negative,
                                          pow,
                                          reciprocal,
                                          rsqrt,
                                          sign,
                                          sqrt,
                                          square,
                                          squared_difference,
                                          subtract,
                                          truediv,
)
from graphflow.ops.reduction_ops import (
                                          cumprod,
                                          cumsum,
                                          reduce_all,
                                          reduce_any,
                                          reduce_max,
                                          reduce_mean,
                                          reduce_min,
                                          reduce_prod,
                                          reduce_sum,
)
from graphflow.ops.rounding_ops import round
from graphflow.ops.topk_ops import in_top_k, top_k

__all__ = [
    "abs", "add", "add_n", "argmax", "argmin", "cumprod", "cumsum", "divide", "equal", "exp",
    "expm1", "floor", "floordiv", "floormod", "greater", "greater_equal", "in_top_k",
    "l2_normalize", "less", "less_equal", "log", "log1p", "logical_and", "logical_not",
    "logical_or", "maximum", "minimum", "mod", "multiply", "negative", "not_equal", "pow",
    "reciprocal", "reduce_all", "reduce_any", "reduce_max", "reduce_mean", "reduce_min",
    "reduce_prod", "reduce_sum", "round", "rsqrt", "sigmoid", "sign", "softplus", "sqrt",
    "square", "squared_difference", "subtract", "tanh", "top_k", "truediv",
    "unsorted_segment_sum",
]
