"""``gf.nn``: TF1's ``tf.nn`` namespace (activations, bias_add, cross-entropy losses,
l2_loss, dropout, embedding_lookup). The op records and builders live in
``graphflow.ops.nn_ops``; ``sigmoid``/``tanh`` are re-exported from ``math_ops``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.framework.tensor import Tensor
from graphflow.ops.activation_ops import elu, leaky_relu, relu6, softplus, softsign
from graphflow.ops.math_ops import sigmoid, tanh
from graphflow.ops.nn_ops import (
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
    "sparse_softmax_cross_entropy_with_logits", "tanh",
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
