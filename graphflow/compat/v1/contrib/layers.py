"""``tf.contrib.layers``: the parts TF1 programs use most — ``xavier_initializer`` (every
CS224N assignment-3 solution), ``xavier_initializer_conv2d``, ``variance_scaling_initializer``
(contrib's ``factor``/``mode``/``uniform`` arguments), ``l2_regularizer``,
``l1_regularizer``, ``flatten`` and ``fully_connected``. Built on graphflow's core
initializers, ``get_variable`` and ops, with contrib's formulas: uniform samples in
``±sqrt(3 * factor / n)``; normal samples truncated at two standard deviations with
``stddev = sqrt(1.3 * factor / n)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.framework import dtypes
from graphflow.framework.tensor import Tensor
from graphflow.layers import flatten as _core_flatten
from graphflow.ops import (
    activation_ops,
    initializers,
    linalg_ops,
    math_ops,
    nn_ops,
    op_builder,
    reduction_ops,
)
from graphflow.ops.variable_scope import get_variable, variable_scope

_ZEROS = initializers.zeros_initializer()
_MODES = {"FAN_IN": "fan_in", "FAN_OUT": "fan_out", "FAN_AVG": "fan_avg"}


def variance_scaling_initializer(factor: float = 2.0, mode: str = "FAN_IN",
                                 uniform: bool = False, seed: int | None = None,
                                 dtype: Any = dtypes.float32) -> initializers.VarianceScaling:
    """contrib's ``variance_scaling_initializer`` (default: He et al., truncated normal)."""
    if mode not in _MODES:
        raise TypeError(f"variance_scaling_initializer: mode must be one of {sorted(_MODES)}, "
                        f"got {mode!r}")
    if uniform:
        return initializers.VarianceScaling(factor, _MODES[mode], "uniform", seed, dtype)
    # contrib: truncated_normal(stddev=sqrt(1.3 * factor / n)); core divides sqrt(scale / n)
    # by the truncated normal's stddev ratio, so this scale gives contrib's stddev exactly.
    scale = 1.3 * factor * initializers.TRUNCATED_NORMAL_STDDEV ** 2
    return initializers.VarianceScaling(scale, _MODES[mode], "truncated_normal", seed, dtype)


def xavier_initializer(uniform: bool = True, seed: int | None = None,
                       dtype: Any = dtypes.float32) -> initializers.VarianceScaling:
    """Glorot & Bengio (2010): ``variance_scaling_initializer(1.0, 'FAN_AVG', uniform)``."""
    return variance_scaling_initializer(1.0, "FAN_AVG", uniform, seed, dtype)


xavier_initializer_conv2d = xavier_initializer


def l2_regularizer(scale: float, scope: str | None = None) -> Callable[[Any], Tensor | None]:
    """``weights -> scale * l2_loss(weights)`` (named ``l2_regularizer``); scale 0 gives no
    loss (``None``), a negative scale is a ValueError, as contrib's."""
    if scale < 0:
        raise ValueError(f"l2_regularizer: setting a scale less than 0 on a regularizer: {scale}")

    def l2(weights: Any) -> Tensor | None:
        if scale == 0:
            return None
        w = op_builder.convert_to_tensor(weights)
        return math_ops.multiply(op_builder.convert_to_tensor(scale, dtype=w.dtype),
                                 nn_ops.l2_loss(w), name=scope or "l2_regularizer")
    return l2


def l1_regularizer(scale: float, scope: str | None = None) -> Callable[[Any], Tensor | None]:
    """``weights -> scale * sum(|weights|)`` (named ``l1_regularizer``)."""
    if scale < 0:
        raise ValueError(f"l1_regularizer: setting a scale less than 0 on a regularizer: {scale}")

    def l1(weights: Any) -> Tensor | None:
        if scale == 0:
            return None
        w = op_builder.convert_to_tensor(weights)
        total = reduction_ops.reduce_sum(math_ops.abs(w))
        return math_ops.multiply(op_builder.convert_to_tensor(scale, dtype=w.dtype), total,
                                 name=scope or "l1_regularizer")
    return l1


def flatten(inputs: Any, outputs_collections: Any = None, scope: str | None = None) -> Tensor:
    """``[batch, ...] -> [batch, k]``."""
    return _core_flatten(inputs, name=scope)


def fully_connected(inputs: Any, num_outputs: int,
                    activation_fn: Callable[[Tensor], Tensor] | None = activation_ops.relu,
                    normalizer_fn: Any = None, normalizer_params: Any = None,
                    weights_initializer: Any = None, weights_regularizer: Any = None,
                    biases_initializer: Any = _ZEROS,
                    biases_regularizer: Any = None, reuse: Any = None,
                    variables_collections: Any = None, outputs_collections: Any = None,
                    trainable: bool = True, scope: str | None = None) -> Tensor:
    """``activation_fn(inputs @ weights + biases)`` for rank-2 inputs, with contrib's variable
    names ``<scope>/weights`` and ``<scope>/biases`` (scope ``fully_connected``); default
    weights are ``xavier_initializer()``. ``normalizer_fn`` is not supported."""
    if normalizer_fn is not None:
        raise NotImplementedError("fully_connected(normalizer_fn=...) is not supported; apply "
                                  "tf.layers.batch_normalization to the output yourself")
    x = op_builder.convert_to_tensor(inputs)
    if x.shape.rank != 2 or x.shape.dims[1] is None:
        raise ValueError(f"fully_connected: inputs '{x.name}' must be rank 2 with a known last "
                         f"dimension, got shape {x.shape}; flatten them first")
    with variable_scope(scope, default_name="fully_connected", reuse=reuse):
        w = get_variable("weights", [int(x.shape.dims[1]), num_outputs], dtype=x.dtype,
                         initializer=weights_initializer or xavier_initializer(),
                         regularizer=weights_regularizer, trainable=trainable)
        y = linalg_ops.matmul(x, w)
        if biases_initializer is not None:
            b = get_variable("biases", [num_outputs], dtype=x.dtype,
                             initializer=biases_initializer, regularizer=biases_regularizer,
                             trainable=trainable)
            y = nn_ops.bias_add(y, b)
        return activation_fn(y) if activation_fn is not None else y

