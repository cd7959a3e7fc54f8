"""``gf.nn``: TF1's ``tf.nn`` namespace (activations, bias_add, cross-entropy losses,
l2_loss, dropout, embedding_lookup). The op records and builders live in
``graphflow.ops.nn_ops``; ``sigmoid``/``tanh`` are re-exported from ``math_ops``;
``sigmoid_cross_entropy_with_logits`` is a composite defined here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.framework.tensor import Tensor
from graphflow.ops import array_ops, extra_math_ops, math_ops, op_builder
from graphflow.ops.activation_ops import elu, leaky_relu, relu6, softplus, softsign
from graphflow.ops.math_ops import sigmoid, tanh
from graphflow.ops.nn_ops import (
    _keyword_only,
    bias_add,
    dropout,
    l2_loss,
    log_softmax,
    relu,
    softmax,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    sparse_softmax_cross_entropy_with_logits,
)

__all__ = [
    "bias_add", "dropout", "embedding_lookup", "l2_loss", "log_softmax", "relu", "sigmoid",
    "softmax", "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
    "sigmoid_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits", "tanh",
    "elu", "leaky_relu", "relu6", "softplus", "softsign",
]


def embedding_lookup(params: Any, ids: Any, partition_strategy: str = "mod",
                     name: str | None = None, validate_indices: bool = True,
                     max_norm: float | None = None) -> Tensor:
    """``tf.nn.embedding_lookup``: rows ``params[ids]``. TF1's signature; the lookup itself
    is implemented by the indexing-op family (``gather_ops``, or ``layout_ops``), imported
    lazily here. ``partition_strategy``/``validate_indices`` only matter for sharded params
    in TF and are accepted for compatibility; ``max_norm`` is not supported."""
    if max_norm is not None:
        raise NotImplementedError("gf.nn.embedding_lookup: max_norm is not supported; clip "
                                  "the looked-up rows explicitly instead")
    return _embedding_lookup_impl()(params, ids, name=name)


def _embedding_lookup_impl() -> Callable[..., Tensor]:
    import importlib

    for module in ("graphflow.ops.gather_ops", "graphflow.ops.layout_ops"):
        try:
            impl = getattr(importlib.import_module(module), "embedding_lookup", None)
        except ImportError:
            continue
        if impl is not None:
            return impl
    raise NotImplementedError("gf.nn.embedding_lookup: no embedding_lookup builder is "
                              "registered yet (expected in graphflow.ops.gather_ops or "
                              "graphflow.ops.layout_ops)")


def sigmoid_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                      logits: Any = None, name: str | None = None) -> Tensor:
    """``tf.nn.sigmoid_cross_entropy_with_logits`` (keyword-only): element-wise
    -z*log(sigmoid(x)) - (1-z)*log(1-sigmoid(x)) for logits x and labels z, computed stably
    as max(x, 0) - x*z + log1p(exp(-|x|)) (TF1's composite: relu and -|x| via Select on
    x >= 0), so large |x| neither overflows nor loses precision. Gradient (by the chain
    rule through the primitives): d/dx = sigmoid(x) - z, d/dz = -x."""
    _keyword_only("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    x = op_builder.convert_to_tensor(logits)
    with x.graph.as_default(), x.graph.name_scope(name or "logistic_loss") as scope:
        z = op_builder.convert_to_tensor(labels, dtype=x.dtype, name="labels")
        if not z.shape.is_compatible_with(x.shape):
            raise ValueError(f"sigmoid_cross_entropy_with_logits: logits and labels must have "
                             f"the same shape ({x.shape} vs {z.shape}): logits '{x.name}', "
                             f"labels '{z.name}'")
        zeros = array_ops.zeros_like(x)
        cond = math_ops.greater_equal(x, zeros)
        relu_logits = math_ops.where(cond, x, zeros)
        neg_abs_logits = math_ops.where(cond, math_ops.negative(x), x)
        return math_ops.add(math_ops.subtract(relu_logits, math_ops.multiply(x, z)),
                            extra_math_ops.log1p(math_ops.exp(neg_abs_logits)), name=scope)
