"""``gf.layers``: TF1's functional layers (``tf.layers.dense``, ``dropout``, ``conv1d``,
``conv2d``, ``max_pooling2d``, ``average_pooling2d``, ``batch_normalization``, ``flatten``).

Each call opens a variable scope — ``name`` if given, else a unique default (``dense``,
``dense_1``, ...) — creates its variables there with ``gf.get_variable`` and builds its ops
under the matching name scope, so a layer produces exactly TF1's nodes::

    dense/kernel, dense/kernel/Assign, dense/kernel/read, dense/kernel/Initializer/...
    dense/bias, ..., dense/MatMul, dense/BiasAdd, dense/Relu (with activation=gf.nn.relu)

Sharing: call again with the same ``name`` and ``reuse=True`` (or ``gf.AUTO_REUSE``), or
inside a reusing ``gf.variable_scope``; the same name without reuse raises TF1's "already
exists" ValueError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.graph import GraphKeys
from graphflow.framework.tensor import Tensor
from graphflow.ops import (
    array_ops,
    comparison_ops,
    control_flow,
    conv_ops,
    initializers,
    layout_ops,
    linalg_ops,
    math_ops,
    nn_ops,
    normalization_ops,
    op_builder,
    pooling_ops,
    state_ops,
)
from graphflow.ops.variable_scope import REGULARIZATION_LOSSES, get_variable, variable_scope

__all__ = ["dense", "dropout", "conv1d", "conv2d", "max_pooling2d", "average_pooling2d",
           "batch_normalization", "flatten"]

_ZEROS = initializers.zeros_initializer()
_ONES = initializers.ones_initializer()


def _layer_scope(name: str | None, default: str, reuse: Any) -> variable_scope:
    """TF1 legacy layers: ``name`` as given, else a unique default name; with reuse and no
    name, the default name itself (so the first such layer's variables are found)."""
    if name is not None:
        return variable_scope(name, reuse=reuse)
    if reuse:
        return variable_scope(default, reuse=reuse)
    return variable_scope(None, default_name=default)


def dense(inputs: Any, units: int, activation: Callable[[Tensor], Tensor] | None = None,
          use_bias: bool = True, kernel_initializer: Any = None,
          bias_initializer: Any = _ZEROS, kernel_regularizer: Any = None,
          bias_regularizer: Any = None, activity_regularizer: Any = None,
          kernel_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
          name: str | None = None, reuse: Any = None) -> Tensor:
    """``tf.layers.dense``: ``activation(inputs @ kernel + bias)``.

    ``kernel`` is [in_dim, units] (in_dim = the static last dimension of ``inputs``),
    ``bias`` is [units]; both have the inputs' floating dtype. ``kernel_initializer=None``
    uses the scope's initializer, else glorot_uniform (as TF1); ``bias_initializer``
    defaults to zeros. Inputs of rank > 2 are contracted on their last axis (nodes under
    ``<layer>/Tensordot``). Regularizer results go to the ``regularization_losses``
    collection. Constraints are not supported."""
    if kernel_constraint is not None or bias_constraint is not None:
        raise NotImplementedError("gf.layers.dense: kernel_constraint/bias_constraint are not "
                                  "supported; apply the projection to the variables "
                                  "explicitly after each training step")
    x = op_builder.convert_to_tensor(inputs)
    if isinstance(units, bool) or int(units) != units or int(units) <= 0:
        raise ValueError(f"gf.layers.dense: units must be a positive integer, got {units!r}")
    units = int(units)
    if not x.dtype.is_floating:
        raise ValueError(f"gf.layers.dense: inputs '{x.name}' must be floating point, got "
                         f"{x.dtype.name}; convert them with gf.cast({x.op.name}, gf.float32)")
    rank = x.shape.rank
    if rank is not None and rank < 2:
        raise ValueError(f"gf.layers.dense: Input 0 ('{x.name}', shape {x.shape}) is "
                         f"incompatible with the layer: expected min_ndim=2, found "
                         f"ndim={rank}; reshape it to [batch, features]")
    in_dim = x.shape[-1] if rank is not None else None
    if in_dim is None:
        raise ValueError(f"gf.layers.dense: The last dimension of the inputs to `Dense` should "
                         f"be defined. Found `None` (inputs '{x.name}', shape {x.shape}); "
                         "give the placeholder a static feature dimension")
    graph = x.graph
    with graph.as_default(), _layer_scope(name, "dense", reuse):
        kernel = _get("kernel", [in_dim, units], x.dtype, kernel_initializer,
                      kernel_regularizer, trainable)
        bias = _get("bias", [units], x.dtype, bias_initializer, bias_regularizer,
                    trainable) if use_bias else None
        if rank == 2:
            out = linalg_ops.matmul(x, kernel)
        else:
            out = _tensordot_last(x, kernel, units)
        if bias is not None:
            out = nn_ops.bias_add(out, bias)
        if activation is not None:
            out = activation(out)
        if activity_regularizer is not None:
            with graph.name_scope("ActivityRegularizer"):
                loss = activity_regularizer(out)
            if loss is not None:
                graph.add_to_collection(REGULARIZATION_LOSSES, loss)
    return out


def _get(name: str, shape: list[int], dtype: dtypes.DType, initializer: Any,
         regularizer: Any, trainable: bool) -> Any:
    return get_variable(name, shape, dtype=dtype, initializer=initializer,
                        regularizer=regularizer, trainable=trainable)


def _tensordot_last(x: Tensor, kernel: Any, units: int) -> Tensor:
    """x [..., in] . kernel [in, units] -> [..., units]: reshape to 2-D, MatMul, reshape back
    (the leading dims from the static shape, else from Shape at run time)."""
    graph = x.graph
    in_dim = x.shape[-1]
    lead = x.shape[:-1]
    with graph.name_scope("Tensordot") as scope:
        flat = array_ops.reshape(x, [-1, in_dim])
        prod = linalg_ops.matmul(flat, kernel)
        if lead.is_fully_defined():
            out_shape: Any = lead.as_list() + [units]
        else:
            dyn = layout_ops.slice(array_ops.shape(x), [0], [lead.rank])
            out_shape = layout_ops.concat([dyn, op_builder.constant([units])], 0)
        out = array_ops.reshape(prod, out_shape, name=scope)
    out.set_shape(lead.concatenate([units]))
    return out


def dropout(inputs: Any, rate: Any = 0.5, noise_shape: Any = None, seed: int | None = None,
            training: Any = False, name: str | None = None) -> Tensor:
    """``tf.layers.dropout``: in training, zero each element with probability ``rate`` and
    scale the rest by 1 / (1 - rate) (``gf.nn.dropout``); otherwise the identity.

    ``training`` is a Python bool (the branch is chosen when the graph is built, as TF1's
    ``smart_cond``; a constant bool tensor counts as a Python bool) or a scalar bool tensor
    (e.g. a ``placeholder_with_default(False, [])``). For a tensor, ``gf.cond`` (scope
    ``<layer>/cond``) picks the path at run time, as TF1's ``smart_cond`` does: only the
    taken branch runs (no random numbers are drawn at inference), the inference output is
    exactly ``inputs``, and the gradient flows only through the path taken."""
    x = op_builder.convert_to_tensor(inputs)
    graph = x.graph
    static = _static_bool(training)
    with graph.as_default(), _layer_scope(name, "dropout", None):
        if static is False:
            return array_ops.identity(x)
        if static is True:
            return nn_ops.dropout(x, noise_shape=noise_shape, seed=seed, rate=rate)
        flag = op_builder.convert_to_tensor(training)
        if not flag.dtype.is_bool or flag.shape.rank not in (0, None):
            raise ValueError(f"gf.layers.dropout: training must be a Python bool or a scalar "
                             f"bool tensor, got '{flag.name}' ({flag.dtype.name}, shape "
                             f"{flag.shape})")
        return control_flow.cond(
            flag, lambda: nn_ops.dropout(x, noise_shape=noise_shape, seed=seed, rate=rate),
            lambda: array_ops.identity(x), name="cond")


def _static_bool(training: Any) -> bool | None:
    """True/False when ``training`` is known while building (Python bool, numpy bool, or a
    tensor with a static value), else None."""
    if isinstance(training, Tensor):
        value = training.spec.value
        if value is None or not training.dtype.is_bool or getattr(value, "size", 1) != 1:
            return None
        return bool(value)
    if hasattr(training, "_as_graph_element"):
        return None
    if isinstance(training, (bool, int)) or hasattr(training, "dtype"):
        return bool(training)
    raise TypeError(f"gf.layers.dropout: training must be a bool or a bool tensor, got "
                    f"{type(training).__name__}: {training!r}")


# ----------------------------------------------------------------------------------------
# Convolution, pooling, batch normalization, flatten
# ----------------------------------------------------------------------------------------


def _pair(value: Any, n: int, what: str) -> list[int]:
    v = [int(value)] * n if isinstance(value, int) else [int(i) for i in value]
    if len(v) != n or min(v) < 1:
        raise ValueError(f"gf.layers: {what} must be a positive int or {n} positive ints, "
                         f"got {value!r}")
    return v


def _channels_format(data_format: str, rank: int) -> tuple[str, int]:
    """(TF op data_format, channel axis) of a Keras-style data_format."""
    if data_format in ("channels_last", "NHWC", "NWC"):
        return ("NHWC", rank - 1)
    if data_format in ("channels_first", "NCHW", "NCW"):
        return ("NCHW", 1)
    raise ValueError(f"gf.layers: data_format must be 'channels_last' or 'channels_first', "
                     f"got {data_format!r}")


def _conv_layer(kind: str, inputs: Any, filters: int, kernel_size: Any, strides: Any,
                padding: str, data_format: str, dilation_rate: Any, activation: Any,
                use_bias: bool, kernel_initializer: Any, bias_initializer: Any,
                kernel_regularizer: Any, bias_regularizer: Any, trainable: bool,
                name: str | None, reuse: Any) -> Tensor:
    x = op_builder.convert_to_tensor(inputs)
    n = 1 if kind == "conv1d" else 2
    rank = n + 2
    if x.shape.rank != rank:
        raise ValueError(f"gf.layers.{kind}: inputs '{x.name}' must have rank {rank} "
                         f"(batch, {'width' if n == 1 else 'height, width'}, channels), got "
                         f"shape {x.shape}")
    fmt, axis = _channels_format(data_format, rank)
    in_dim = x.shape[axis]
    if in_dim is None:
        raise ValueError(f"gf.layers.{kind}: the channel dimension of '{x.name}' (shape "
                         f"{x.shape}) must be known")
    k, s, d = (_pair(kernel_size, n, "kernel_size"), _pair(strides, n, "strides"),
               _pair(dilation_rate, n, "dilation_rate"))
    pad = str(padding).upper()
    if pad not in ("SAME", "VALID"):
        raise ValueError(f"gf.layers.{kind}: padding must be 'valid' or 'same', got {padding!r}")
    with x.graph.as_default(), _layer_scope(name, kind, reuse):
        kernel = _get("kernel", k + [in_dim, int(filters)], x.dtype, kernel_initializer,
                      kernel_regularizer, trainable)
        bias = _get("bias", [int(filters)], x.dtype, bias_initializer, bias_regularizer,
                    trainable) if use_bias else None
        if n == 1:
            out = conv_ops.conv1d(x, kernel, s[0], pad, dilations=d[0],
                                  data_format="NWC" if fmt == "NHWC" else "NCW")
        else:
            out = conv_ops.conv2d(x, kernel, s, pad, data_format=fmt, dilations=d)
        if bias is not None:
            out = nn_ops.bias_add(out, bias, data_format=fmt)
        if activation is not None:
            out = activation(out)
    return out


def conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
           padding: str = "valid", data_format: str = "channels_last",
           dilation_rate: Any = (1, 1), activation: Callable[[Tensor], Tensor] | None = None,
           use_bias: bool = True, kernel_initializer: Any = None,
           bias_initializer: Any = _ZEROS, kernel_regularizer: Any = None,
           bias_regularizer: Any = None, trainable: bool = True, name: str | None = None,
           reuse: Any = None) -> Tensor:
    """``tf.layers.conv2d``: ``activation(conv2d(inputs, kernel) + bias)`` with ``kernel``
    [kh, kw, in_channels, filters] and ``bias`` [filters] (variables of the layer scope)."""
    return _conv_layer("conv2d", inputs, filters, kernel_size, strides, padding, data_format,
                       dilation_rate, activation, use_bias, kernel_initializer,
                       bias_initializer, kernel_regularizer, bias_regularizer, trainable,
                       name, reuse)


def conv1d(inputs: Any, filters: int, kernel_size: Any, strides: Any = 1,
           padding: str = "valid", data_format: str = "channels_last",
           dilation_rate: Any = 1, activation: Callable[[Tensor], Tensor] | None = None,
           use_bias: bool = True, kernel_initializer: Any = None,
           bias_initializer: Any = _ZEROS, kernel_regularizer: Any = None,
           bias_regularizer: Any = None, trainable: bool = True, name: str | None = None,
           reuse: Any = None) -> Tensor:
    """``tf.layers.conv1d``: kernel [k, in_channels, filters], built with ``gf.nn.conv1d``
    (ExpandDims, Conv2D, Squeeze)."""
    return _conv_layer("conv1d", inputs, filters, kernel_size, strides, padding, data_format,
                       dilation_rate, activation, use_bias, kernel_initializer,
                       bias_initializer, kernel_regularizer, bias_regularizer, trainable,
                       name, reuse)


def _pool_layer(kind: str, op: Callable[..., Tensor], inputs: Any, pool_size: Any,
                strides: Any, padding: str, data_format: str, name: str | None) -> Tensor:
    x = op_builder.convert_to_tensor(inputs)
    fmt, _ = _channels_format(data_format, 4)
    pad = str(padding).upper()
    with x.graph.as_default(), _layer_scope(name, kind, None):
        return op(x, _pair(pool_size, 2, "pool_size"), _pair(strides, 2, "strides"), pad,
                  data_format=fmt)


def max_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                  data_format: str = "channels_last", name: str | None = None) -> Tensor:
    """``tf.layers.max_pooling2d``: one MaxPool node under the layer scope."""
    return _pool_layer("max_pooling2d", pooling_ops.max_pool, inputs, pool_size, strides,
                       padding, data_format, name)


def average_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                      data_format: str = "channels_last", name: str | None = None) -> Tensor:
    """``tf.layers.average_pooling2d``: one AvgPool node under the layer scope."""
    return _pool_layer("average_pooling2d", pooling_ops.avg_pool, inputs, pool_size,
                       strides, padding, data_format, name)


def flatten(inputs: Any, name: str | None = None,
            data_format: str = "channels_last") -> Tensor:
    """``tf.layers.flatten``: [batch, ...] -> [batch, prod(...)] (one Reshape; channels_first
    inputs are transposed to channels_last first, as Keras does)."""
    x = op_builder.convert_to_tensor(inputs)
    with x.graph.as_default(), _layer_scope(name, "flatten", None):
        if data_format == "channels_first" and x.shape.rank is not None and x.shape.rank > 2:
            x = layout_ops.transpose(x, [0] + list(range(2, x.shape.rank)) + [1])
        rest = x.shape[1:] if x.shape.rank is not None else None
        if rest is not None and rest.is_fully_defined():
            size = 1
            for dim in rest.as_list():
                size *= int(dim)
            return array_ops.reshape(x, [-1, size])
        batch = layout_ops.slice(array_ops.shape(x), [0], [1])
        return array_ops.reshape(x, layout_ops.concat([batch, op_builder.constant([-1])], 0))


def batch_normalization(inputs: Any, axis: int = -1, momentum: float = 0.99,
                        epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                        beta_initializer: Any = _ZEROS,
                        gamma_initializer: Any = _ONES,
                        moving_mean_initializer: Any = _ZEROS,
                        moving_variance_initializer: Any = _ONES,
                        beta_regularizer: Any = None, gamma_regularizer: Any = None,
                        training: Any = False, trainable: bool = True,
                        name: str | None = None, reuse: Any = None) -> Tensor:
    """``tf.layers.batch_normalization`` (fused, 4-D inputs with the channel axis last or
    1): variables gamma, beta, moving_mean, moving_variance; training normalizes with the
    batch statistics (FusedBatchNormV3, is_training=True) and adds the moving-average
    updates ``moving -= (moving - batch) * (1 - momentum)`` to ``UPDATE_OPS`` (run them
    with the train op, as in TF1); inference uses the moving statistics. ``training`` may
    be a scalar bool tensor: both nodes are built and SelectV2 picks y, and the update
    uses a decay of 0 when it is False."""
    x = op_builder.convert_to_tensor(inputs)
    if x.shape.rank != 4:
        raise ValueError(f"gf.layers.batch_normalization: graphflow's fused batch norm needs "
                         f"4-D inputs, got '{x.name}' with shape {x.shape}; reshape to "
                         "[batch, 1, 1, features] or use gf.nn.batch_normalization")
    a = axis % 4
    if a not in (1, 3):
        raise ValueError(f"gf.layers.batch_normalization: axis must be the channel axis (-1, "
                         f"3 or 1), got {axis}")
    fmt = "NHWC" if a == 3 else "NCHW"
    c = x.shape[a]
    if c is None:
        raise ValueError(f"gf.layers.batch_normalization: the channel dimension of '{x.name}'"
                         f" (shape {x.shape}) must be known")
    static = _static_bool(training)
    graph = x.graph
    with graph.as_default(), _layer_scope(name, "batch_normalization", reuse):
        gamma = _get("gamma", [c], x.dtype, gamma_initializer, gamma_regularizer,
                     trainable and scale) if scale else op_builder.constant(
                         np.ones(c, x.dtype.np_dtype))
        beta = _get("beta", [c], x.dtype, beta_initializer, beta_regularizer,
                    trainable and center) if center else op_builder.constant(
                        np.zeros(c, x.dtype.np_dtype))
        mean = get_variable("moving_mean", [c], dtype=x.dtype,
                            initializer=moving_mean_initializer, trainable=False)
        var = get_variable("moving_variance", [c], dtype=x.dtype,
                           initializer=moving_variance_initializer, trainable=False)

        def fused(is_training: bool) -> tuple[Tensor, Tensor, Tensor]:
            if is_training:
                return normalization_ops.fused_batch_norm(x, gamma, beta, epsilon=epsilon,
                                                          data_format=fmt)
            return normalization_ops.fused_batch_norm(x, gamma, beta, mean.value(),
                                                      var.value(), epsilon=epsilon,
                                                      data_format=fmt, is_training=False)

        if static is False:
            return fused(False)[0]
        y, batch_mean, batch_var = fused(True)
        decay: Any = op_builder.constant(1.0 - momentum, dtype=x.dtype)
        if static is None:
            flag = op_builder.convert_to_tensor(training)
            y = comparison_ops.select_v2(flag, y, fused(False)[0])
            decay = comparison_ops.select_v2(flag, decay, op_builder.constant(
                0.0, dtype=x.dtype))
        for variable, stat, what in ((mean, batch_mean, "AssignMovingAvg"),
                                     (var, batch_var, "AssignMovingAvg_1")):
            with graph.name_scope(what):
                delta = math_ops.multiply(math_ops.subtract(variable.value(), stat), decay)
                graph.add_to_collection(GraphKeys.UPDATE_OPS,
                                        state_ops.assign_sub(variable, delta))
        return y
