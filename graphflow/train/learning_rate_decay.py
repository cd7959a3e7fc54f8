"""TF1's learning-rate schedules (``tf.train.exponential_decay`` ...): each builds, from
graph ops on ``global_step``, the scalar learning rate of the current step, exactly as
TF1's ``learning_rate_decay.py`` does, so an optimizer given the result reads the decayed
rate each time it runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from graphflow.framework.tensor import Tensor
from graphflow.ops import (
    array_ops,
    comparison_ops,
    linalg_ops,
    math_ops,
    op_builder,
    trig_ops,
)


def _start(what: str, learning_rate: Any, global_step: Any) -> Any:
    """The graph of the schedule (ValueError without a global step, as TF1)."""
    if global_step is None:
        raise ValueError(f"global_step is required for {what}")
    return op_builder.graph_of(learning_rate, global_step)


def _progress(lr: Tensor, global_step: Any, decay_steps: Any, staircase: bool) -> Tensor:
    step = linalg_ops.cast(op_builder.convert_to_tensor(global_step), lr.dtype)
    steps = op_builder.convert_to_tensor(decay_steps, dtype=lr.dtype) \
        if not isinstance(decay_steps, Tensor) else linalg_ops.cast(decay_steps, lr.dtype)
    p = math_ops.truediv(step, steps)
    return math_ops.floor(p) if staircase else p


def _rate(learning_rate: Any) -> Tensor:
    return op_builder.convert_to_tensor(learning_rate, name="learning_rate",
                                        preferred_dtype="float32")


def exponential_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                      decay_rate: Any, staircase: bool = False, name: str | None = None
                      ) -> Tensor:
    """lr * decay_rate ^ (global_step / decay_steps) (the exponent floored when
    ``staircase``)."""
    g = _start("exponential_decay", learning_rate, global_step)
    with g.as_default(), g.name_scope(name or "ExponentialDecay") as scope:
        lr = _rate(learning_rate)
        rate = op_builder.convert_to_tensor(decay_rate, dtype=lr.dtype)
        p = _progress(lr, global_step, decay_steps, staircase)
        return math_ops.multiply(lr, math_ops.pow(rate, p), name=scope)


def natural_exp_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                      decay_rate: Any, staircase: bool = False, name: str | None = None
                      ) -> Tensor:
    """lr * exp(-decay_rate * global_step / decay_steps)."""
    g = _start("natural_exp_decay", learning_rate, global_step)
    with g.as_default(), g.name_scope(name or "NaturalExpDecay") as scope:
        lr = _rate(learning_rate)
        rate = op_builder.convert_to_tensor(decay_rate, dtype=lr.dtype)
        p = _progress(lr, global_step, decay_steps, staircase)
        exponent = math_ops.exp(math_ops.multiply(math_ops.negative(rate), p))
        return math_ops.multiply(lr, exponent, name=scope)


def inverse_time_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                       decay_rate: Any, staircase: bool = False, name: str | None = None
                       ) -> Tensor:
    """lr / (1 + decay_rate * global_step / decay_steps)."""
    g = _start("inverse_time_decay", learning_rate, global_step)
    with g.as_default(), g.name_scope(name or "InverseTimeDecay") as scope:
        lr = _rate(learning_rate)
        rate = op_builder.convert_to_tensor(decay_rate, dtype=lr.dtype)
        p = _progress(lr, global_step, decay_steps, staircase)
        one = op_builder.constant(1, dtype=lr.dtype)
        return math_ops.truediv(lr, math_ops.add(one, math_ops.multiply(rate, p)), name=scope)


def polynomial_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                     end_learning_rate: Any = 0.0001, power: Any = 1.0, cycle: bool = False,
                     name: str | None = None) -> Tensor:
    """(lr - end) * (1 - step / decay_steps) ^ power + end, with step capped at
    decay_steps (or, when ``cycle``, decay_steps stretched to the next multiple)."""
    g = _start("polynomial_decay", learning_rate, global_step)
    with g.as_default(), g.name_scope(name or "PolynomialDecay") as scope:
        lr = _rate(learning_rate)
        end = op_builder.convert_to_tensor(end_learning_rate, dtype=lr.dtype)
        pw = op_builder.convert_to_tensor(power, dtype=lr.dtype)
        step = linalg_ops.cast(op_builder.convert_to_tensor(global_step), lr.dtype)
        steps = linalg_ops.cast(op_builder.convert_to_tensor(decay_steps), lr.dtype)
        one = op_builder.constant(1, dtype=lr.dtype)
        if cycle:
            zero = op_builder.constant(0, dtype=lr.dtype)
            multiplier = comparison_ops.select_v2(
                comparison_ops.equal(step, zero), one,
                trig_ops.ceil(math_ops.truediv(step, steps)))
            steps = math_ops.multiply(steps, multiplier)
        else:
            step = math_ops.minimum(step, steps)
        p = math_ops.truediv(step, steps)
        return math_ops.add(math_ops.multiply(math_ops.subtract(lr, end),
                                              math_ops.pow(math_ops.subtract(one, p), pw)),
                            end, name=scope)


def cosine_decay(learning_rate: Any, global_step: Any, decay_steps: Any, alpha: float = 0.0,
                 name: str | None = None) -> Tensor:
    """lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))
    + alpha)."""
    g = _start("cosine_decay", learning_rate, global_step)
    with g.as_default(), g.name_scope(name or "CosineDecay") as scope:
        lr = _rate(learning_rate)
        step = linalg_ops.cast(op_builder.convert_to_tensor(global_step), lr.dtype)
        steps = linalg_ops.cast(op_builder.convert_to_tensor(decay_steps), lr.dtype)
        completed = math_ops.truediv(math_ops.minimum(step, steps), steps)
        c = op_builder.constant

        cosine = math_ops.multiply(c(0.5, dtype=lr.dtype), math_ops.add(
            c(1.0, dtype=lr.dtype),
            trig_ops.cos(math_ops.multiply(c(math.pi, dtype=lr.dtype), completed))))
        decayed = math_ops.add(math_ops.multiply(c(1.0 - alpha, dtype=lr.dtype), cosine),
                               c(alpha, dtype=lr.dtype))
        return math_ops.multiply(lr, decayed, name=scope)


def piecewise_constant(x: Any, boundaries: Sequence[Any], values: Sequence[Any],
                       name: str | None = None) -> Tensor:
    """values[0] while x <= boundaries[0], values[i] while boundaries[i-1] < x <=
    boundaries[i], values[-1] after the last boundary (one SelectV2 per boundary)."""
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"piecewise_constant: values must have one more entry than "
                         f"boundaries, got {len(values)} values and {len(boundaries)} "
                         "boundaries")
    g = op_builder.graph_of(x, *boundaries, *values)
    with g.as_default(), g.name_scope(name or "PiecewiseConstant") as scope:
        xt = op_builder.convert_to_tensor(x)
        bs = [b if isinstance(b, Tensor) else op_builder.constant(b, dtype=xt.dtype)
              for b in boundaries]
        vs = op_builder.convert_n(list(values))
        for b in bs:
            if b.dtype != xt.dtype:
                raise TypeError(f"piecewise_constant: boundary '{b.name}' has dtype "
                                f"{b.dtype.name} but x has {xt.dtype.name}")
        result = vs[-1]
        for b, v in zip(reversed(bs), reversed(vs[:-1])):
            result = comparison_ops.select_v2(comparison_ops.less_equal(xt, b), v, result)
        return array_ops.identity(result, name=scope)
