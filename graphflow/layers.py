"""``gf.layers``: TF1's functional layers (``tf.layers.dense``, ``tf.layers.dropout``).

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

from graphflow.framework import dtypes
from graphflow.framework.tensor import Tensor
from graphflow.ops import (
    array_ops,
    comparison_ops,
    initializers,
    layout_ops,
    linalg_ops,
    nn_ops,
    op_builder,
)
from graphflow.ops.variable_scope import REGULARIZATION_LOSSES, get_variable, variable_scope

__all__ = ["dense", "dropout"]

_ZEROS = initializers.zeros_initializer()


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
    (e.g. a ``placeholder_with_default(False, [])``). For a tensor both paths are built and
    ``SelectV2(training, dropped, inputs)`` (node ``<layer>/cond``) picks one at run time —
    chosen over multiplying by a cast mask because the inference output is then exactly
    ``inputs`` (0 * inf would give NaN) and the gradient flows only through the path taken;
    the random op still runs on every step (graphflow has no ``cond``)."""
    x = op_builder.convert_to_tensor(inputs)
    graph = x.graph
    static = _static_bool(training)
    with graph.as_default(), _layer_scope(name, "dropout", None):
        if static is False:
            return array_ops.identity(x)
        dropped = nn_ops.dropout(x, noise_shape=noise_shape, seed=seed, rate=rate)
        if static is True:
            return dropped
        flag = op_builder.convert_to_tensor(training)
        if not flag.dtype.is_bool or flag.shape.rank not in (0, None):
            raise ValueError(f"gf.layers.dropout: training must be a Python bool or a scalar "
                             f"bool tensor, got '{flag.name}' ({flag.dtype.name}, shape "
                             f"{flag.shape})")
        return comparison_ops.select_v2(flag, dropped, x, name="cond")


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
