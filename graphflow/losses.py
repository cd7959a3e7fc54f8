"""``gf.losses``: TF1's ``tf.losses`` (``tf.compat.v1.losses``) — weighted, reduced losses
that register themselves in the ``losses`` collection (``GraphKeys.LOSSES``).

Every loss builds per-element losses ``l`` and calls ``compute_weighted_loss(l, weights)``:
``weighted = l * weights`` (weights: a scalar, or a tensor of ``l``'s rank whose dims are 1
or equal to ``l``'s), then the ``reduction``:

* ``Reduction.SUM_BY_NONZERO_WEIGHTS`` (TF1's default, = ``SUM_OVER_NONZERO_WEIGHTS``):
  ``sum(weighted) / count of non-zero weights`` broadcast over ``l`` — a plain mean when
  ``weights`` is a non-zero Python number (``weights=1.0`` gives ``mean(l)``);
* ``SUM``: ``sum(weighted)``; ``MEAN``: ``sum(weighted) / sum(weights * ones_like(l))``;
  ``SUM_OVER_BATCH_SIZE``: ``sum(weighted) / size(l)``; ``NONE``: ``weighted`` itself.

Divisions are TF's ``div_no_nan`` (0 when the denominator is 0; built here as a Select
around RealDiv), and the result is the node ``<loss scope>/value``. The scalar is added to
``loss_collection`` (None: not added). Difference from TF1: TF1 casts losses and weights to
float32 and the result back; here everything stays in the predictions' floating dtype, so
float64 losses keep float64 precision (and gradients check in float64).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import nn
from graphflow.framework import dtypes
from graphflow.framework.graph import GraphKeys, get_default_graph
from graphflow.framework.tensor import Tensor
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import (
    activation_ops,
    array_ops,
    comparison_ops,
    linalg_ops,
    math_ops,
    op_builder,
    reduction_ops,
)
from graphflow.ops.variable_scope import REGULARIZATION_LOSSES

__all__ = [
    "Reduction", "absolute_difference", "add_loss", "compute_weighted_loss", "get_losses",
    "get_regularization_loss", "get_regularization_losses", "get_total_loss", "hinge_loss",
    "huber_loss", "log_loss", "mean_squared_error", "sigmoid_cross_entropy",
    "softmax_cross_entropy", "sparse_softmax_cross_entropy",
]


class Reduction:
    """How ``compute_weighted_loss`` reduces weighted losses (TF1's string values)."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE,
                cls.SUM_OVER_NONZERO_WEIGHTS, cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key: str) -> None:
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key!r}; use one of gf.losses.Reduction."
                             "NONE, SUM, MEAN, SUM_OVER_BATCH_SIZE, SUM_BY_NONZERO_WEIGHTS")


_DEFAULT = Reduction.SUM_BY_NONZERO_WEIGHTS


# ----------------------------------------------------------------------------------------
# The losses collection
# ----------------------------------------------------------------------------------------


def add_loss(loss: Any, loss_collection: str | None = GraphKeys.LOSSES) -> None:
    """``tf.losses.add_loss``: add ``loss`` to ``loss_collection`` (of its graph)."""
    if loss_collection:
        graph = loss.graph if isinstance(loss, Tensor) else get_default_graph()
        graph.add_to_collection(loss_collection, loss)


def get_losses(scope: str | None = None, loss_collection: str = GraphKeys.LOSSES
               ) -> list[Tensor]:
    """The losses in ``loss_collection`` of the default graph (names matching ``scope``)."""
    return get_default_graph().get_collection(loss_collection, scope)


def get_regularization_losses(scope: str | None = None) -> list[Tensor]:
    """The ``regularization_losses`` collection (from get_variable/dense regularizers)."""
    return get_default_graph().get_collection(REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope: str | None = None,
                            name: str = "total_regularization_loss") -> Tensor:
    """The sum of the regularization losses, or a constant 0.0 if there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return linalg_ops.add_n(losses, name=name)
    return op_builder.constant(0.0, name=name)


def get_total_loss(add_regularization_losses: bool = True, name: str = "total_loss",
                   scope: str | None = None) -> Tensor:
    """``tf.losses.get_total_loss``: AddN of the collected losses (plus the regularization
    losses unless ``add_regularization_losses=False``)."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("get_total_loss: no losses found in the 'losses' collection"
                         f"{'' if scope is None else f' matching scope {scope!r}'} (nor "
                         "regularization losses). Build one with gf.losses.* or register "
                         "yours with gf.losses.add_loss(loss)")
    dts = {t.dtype for t in losses}
    if len(dts) > 1:
        listed = ", ".join(f"'{t.name}' ({t.dtype.name})" for t in losses)
        raise ValueError(f"get_total_loss: the collected losses have different dtypes: "
                         f"{listed}; cast them to one dtype before add_loss")
    return linalg_ops.add_n(losses, name=name)


# ----------------------------------------------------------------------------------------
# Weighting and reduction
# ----------------------------------------------------------------------------------------


def _as_weights(weights: Any, losses: Tensor) -> Tensor:
    """``weights`` as a tensor of the losses' dtype, checked broadcastable to them (TF1's
    assert_broadcastable: a scalar, or the same rank with each dim 1 or equal)."""
    if isinstance(weights, Tensor) or hasattr(weights, "_as_graph_element"):
        w = op_builder.convert_to_tensor(weights)
        w = linalg_ops.cast(w, losses.dtype)
    else:
        w = op_builder.convert_to_tensor(weights, dtype=losses.dtype, name="weights")
    wr, lr = w.shape.rank, losses.shape.rank
    if wr is None or lr is None or wr == 0:
        return w
    ok = wr == lr and all(
        dw is None or dl is None or dw == 1 or dw == dl
        for dw, dl in zip(w.shape.as_list(), losses.shape.as_list()))
    if not ok:
        raise ValueError(f"weights can not be broadcast to values: values '{losses.name}' "
                         f"rank={lr} shape={losses.shape}, weights '{w.name}' rank={wr} "
                         f"shape={w.shape}. Give weights the losses' rank with dims 1 or "
                         "equal to theirs (e.g. [batch, 1] for per-example weights), or a "
                         "scalar")
    return w


def _div_no_nan(x: Tensor, y: Tensor, name: str) -> Tensor:
    """x / y, or 0 where y == 0 (TF's div_no_nan) as Select(y != 0, x / y', 0) with
    y' = Select(y != 0, y, 1), so neither branch divides by zero."""
    nonzero = comparison_ops.not_equal(y, array_ops.zeros_like(y))
    safe = comparison_ops.where(nonzero, y, array_ops.ones_like(y))
    return comparison_ops.where(nonzero, math_ops.realdiv(x, safe), array_ops.zeros_like(x),
                          name=name)


def _num_elements(losses: Tensor) -> Tensor:
    with losses.graph.name_scope("num_elements") as scope:
        return linalg_ops.cast(array_ops.size(losses, name=scope), losses.dtype)


def _num_present(losses: Tensor, weights: Any, w: Tensor) -> Tensor:
    """How many losses have a non-zero weight (weights broadcast over the losses)."""
    if isinstance(weights, (int, float)) and not isinstance(weights, bool) and weights != 0:
        return _num_elements(losses)
    with losses.graph.name_scope("num_present") as scope:
        present = comparison_ops.where(comparison_ops.equal(w, array_ops.zeros_like(w)),
                                 array_ops.zeros_like(w), array_ops.ones_like(w))
        present = math_ops.multiply(present, array_ops.ones_like(losses))
        return reduction_ops.reduce_sum(present, name=scope)


def compute_weighted_loss(losses: Any, weights: Any = 1.0, scope: str | None = None,
                          loss_collection: str | None = GraphKeys.LOSSES,
                          reduction: str = _DEFAULT) -> Tensor:
    """``tf.losses.compute_weighted_loss``: weight, reduce (see the module docstring) and
    add to ``loss_collection``. The result has the losses' (floating) dtype."""
    Reduction.validate(reduction)
    losses = op_builder.convert_to_tensor(losses)
    if not losses.dtype.is_floating:
        raise ValueError(f"compute_weighted_loss: losses '{losses.name}' must be floating "
                         f"point, got {losses.dtype.name}")
    graph = losses.graph
    with graph.as_default(), graph.name_scope(scope or "weighted_loss"):
        w = _as_weights(weights, losses)
        weighted = math_ops.multiply(losses, w)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            total = reduction_ops.reduce_sum(weighted)
            if reduction == Reduction.MEAN:
                denom = reduction_ops.reduce_sum(
                    math_ops.multiply(array_ops.ones_like(losses), w))
                loss = _div_no_nan(total, denom, "value")
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                loss = _div_no_nan(total, _num_present(losses, weights, w), "value")
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = _div_no_nan(total, _num_elements(losses), "value")
            else:
                loss = total
        add_loss(loss, loss_collection)
    return loss


# ----------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------


def _pair(fn: str, labels: Any, predictions: Any, what: str = "predictions"
          ) -> tuple[Tensor, Tensor]:
    """Convert (labels, predictions) to tensors of the predictions' floating dtype (float32
    for non-float predictions) and check their shapes are compatible."""
    if labels is None:
        raise ValueError(f"{fn}: labels must not be None.")
    if predictions is None:
        raise ValueError(f"{fn}: {what} must not be None.")
    p = op_builder.convert_to_tensor(predictions)
    if not p.dtype.is_floating:
        p = linalg_ops.cast(p, dtypes.float32)
    if isinstance(labels, Tensor) or hasattr(labels, "_as_graph_element"):
        lab = linalg_ops.cast(op_builder.convert_to_tensor(labels), p.dtype)
    else:
        lab = op_builder.convert_to_tensor(labels, dtype=p.dtype, name="labels")
    if not p.shape.is_compatible_with(lab.shape):
        raise ValueError(f"{fn}: {what} '{p.name}' {p.shape} and labels '{lab.name}' "
                         f"{lab.shape} must have the same shape")
    return lab, p


def _static_shape(value: Any) -> TensorShape:
    """The static shape of a tensor, variable or array-like (without adding nodes)."""
    shape = getattr(value, "shape", None)
    if isinstance(shape, TensorShape):
        return shape
    return TensorShape(list(np.shape(value)))


def _loss_scope(scope: str | None, default: str, *values: Any) -> Any:
    graph = op_builder.graph_of(*values)
    return graph, graph.name_scope(scope or default)


def mean_squared_error(labels: Any, predictions: Any, weights: Any = 1.0,
                       scope: str | None = None,
                       loss_collection: str | None = GraphKeys.LOSSES,
                       reduction: str = _DEFAULT) -> Tensor:
    """``tf.losses.mean_squared_error``: losses (predictions - labels)^2."""
    graph, ctx = _loss_scope(scope, "mean_squared_error", predictions, labels, weights)
    with graph.as_default(), ctx as s:
        lab, p = _pair("mean_squared_error", labels, predictions)
        losses = math_ops.squared_difference(p, lab)
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def absolute_difference(labels: Any, predictions: Any, weights: Any = 1.0,
                        scope: str | None = None,
                        loss_collection: str | None = GraphKeys.LOSSES,
                        reduction: str = _DEFAULT) -> Tensor:
    """``tf.losses.absolute_difference``: losses |predictions - labels|."""
    graph, ctx = _loss_scope(scope, "absolute_difference", predictions, labels, weights)
    with graph.as_default(), ctx as s:
        lab, p = _pair("absolute_difference", labels, predictions)
        losses = math_ops.abs(math_ops.subtract(p, lab))
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def huber_loss(labels: Any, predictions: Any, weights: Any = 1.0, delta: float = 1.0,
               scope: str | None = None, loss_collection: str | None = GraphKeys.LOSSES,
               reduction: str = _DEFAULT) -> Tensor:
    """``tf.losses.huber_loss``: with e = |predictions - labels| and q = min(e, delta),
    losses 0.5 * q^2 + delta * (e - q) (quadratic near 0, linear beyond delta)."""
    graph, ctx = _loss_scope(scope, "huber_loss", predictions, labels, weights)
    with graph.as_default(), ctx as s:
        lab, p = _pair("huber_loss", labels, predictions)
        error = math_ops.abs(math_ops.subtract(p, lab))
        quadratic = math_ops.minimum(error, op_builder.constant(delta, dtype=p.dtype))
        linear = math_ops.subtract(error, quadratic)
        half = op_builder.constant(0.5, dtype=p.dtype)
        losses = math_ops.add(math_ops.multiply(half, math_ops.square(quadratic)),
                              math_ops.multiply(op_builder.constant(delta, dtype=p.dtype),
                                                linear))
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def log_loss(labels: Any, predictions: Any, weights: Any = 1.0, epsilon: float = 1e-7,
             scope: str | None = None, loss_collection: str | None = GraphKeys.LOSSES,
             reduction: str = _DEFAULT) -> Tensor:
    """``tf.losses.log_loss`` for probabilities p and labels y:
    losses -y * log(p + eps) - (1 - y) * log(1 - p + eps)."""
    graph, ctx = _loss_scope(scope, "log_loss", predictions, labels, weights)
    with graph.as_default(), ctx as s:
        y, p = _pair("log_loss", labels, predictions)
        eps = op_builder.constant(epsilon, dtype=p.dtype)
        one = op_builder.constant(1.0, dtype=p.dtype)
        pos = math_ops.multiply(y, math_ops.log(math_ops.add(p, eps)))
        neg = math_ops.multiply(math_ops.subtract(one, y),
                                math_ops.log(math_ops.add(math_ops.subtract(one, p), eps)))
        losses = math_ops.subtract(math_ops.negative(pos), neg)
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def hinge_loss(labels: Any, logits: Any, weights: Any = 1.0, scope: str | None = None,
               loss_collection: str | None = GraphKeys.LOSSES,
               reduction: str = _DEFAULT) -> Tensor:
    """``tf.losses.hinge_loss`` for 0/1 labels y: losses relu(1 - (2y - 1) * logits)."""
    graph, ctx = _loss_scope(scope, "hinge_loss", logits, labels, weights)
    with graph.as_default(), ctx as s:
        y, x = _pair("hinge_loss", labels, logits, "logits")
        one = op_builder.constant(1.0, dtype=x.dtype)
        signs = math_ops.subtract(math_ops.multiply(op_builder.constant(2.0, dtype=x.dtype), y),
                                  one)
        losses = activation_ops.relu(math_ops.subtract(one, math_ops.multiply(signs, x)))
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def sigmoid_cross_entropy(multi_class_labels: Any, logits: Any, weights: Any = 1.0,
                          label_smoothing: float = 0, scope: str | None = None,
                          loss_collection: str | None = GraphKeys.LOSSES,
                          reduction: str = _DEFAULT) -> Tensor:
    """``tf.losses.sigmoid_cross_entropy``: element-wise
    ``gf.nn.sigmoid_cross_entropy_with_logits``; with smoothing the labels become
    z * (1 - label_smoothing) + 0.5 * label_smoothing."""
    graph, ctx = _loss_scope(scope, "sigmoid_cross_entropy_loss", logits, multi_class_labels,
                             weights)
    with graph.as_default(), ctx as s:
        z, x = _pair("sigmoid_cross_entropy", multi_class_labels, logits, "logits")
        if label_smoothing > 0:
            z = math_ops.add(
                math_ops.multiply(z, op_builder.constant(1.0 - label_smoothing, dtype=x.dtype)),
                op_builder.constant(0.5 * label_smoothing, dtype=x.dtype))
        losses = nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x, name="xentropy")
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def softmax_cross_entropy(onehot_labels: Any, logits: Any, weights: Any = 1.0,
                          label_smoothing: float = 0, scope: str | None = None,
                          loss_collection: str | None = GraphKeys.LOSSES,
                          reduction: str = _DEFAULT) -> Tensor:
    """``tf.losses.softmax_cross_entropy``: per-example -sum(labels * log softmax(logits))
    over the last axis; with smoothing the labels become
    labels * (1 - label_smoothing) + label_smoothing / num_classes. No gradient flows into
    the labels (``labels_stop_gradient``), as TF1. weights: scalar or [batch]."""
    graph, ctx = _loss_scope(scope, "softmax_cross_entropy_loss", logits, onehot_labels,
                             weights)
    with graph.as_default(), ctx as s:
        lab, x = _pair("softmax_cross_entropy", onehot_labels, logits, "logits")
        if label_smoothing > 0:
            classes = x.shape[-1] if x.shape.rank else None
            if classes is None and lab.shape.rank:
                classes = lab.shape[-1]
            if classes is not None:
                negatives: Any = op_builder.constant(label_smoothing / classes, dtype=x.dtype)
            else:  # classes known only at run time: sum of ones over the class axis
                n = reduction_ops.reduce_sum(array_ops.ones_like(lab), -1, keepdims=True)
                negatives = math_ops.realdiv(
                    op_builder.constant(label_smoothing, dtype=x.dtype), n)
            lab = math_ops.add(
                math_ops.multiply(lab, op_builder.constant(1.0 - label_smoothing,
                                                           dtype=x.dtype)), negatives)
        lab = array_ops.stop_gradient(lab, name="labels_stop_gradient")
        losses = nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=x, name="xentropy")
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)


def sparse_softmax_cross_entropy(labels: Any, logits: Any, weights: Any = 1.0,
                                 scope: str | None = None,
                                 loss_collection: str | None = GraphKeys.LOSSES,
                                 reduction: str = _DEFAULT) -> Tensor:
    """``tf.losses.sparse_softmax_cross_entropy``: per-example -log softmax(logits)[label]
    for integer labels [batch] (a trailing dim of 1, [batch, 1], is squeezed, as TF1);
    weights: scalar, [batch] or [batch, 1]."""
    if labels is None:
        raise ValueError("sparse_softmax_cross_entropy: labels must not be None.")
    if logits is None:
        raise ValueError("sparse_softmax_cross_entropy: logits must not be None.")
    graph, ctx = _loss_scope(scope, "sparse_softmax_cross_entropy_loss", logits, labels,
                             weights)
    with graph.as_default(), ctx as s:
        x = op_builder.convert_to_tensor(logits)
        lab = op_builder.convert_to_tensor(labels, preferred_dtype=dtypes.int32)
        lr, xr = lab.shape.rank, x.shape.rank
        if lr is not None and xr is not None and lr == xr and lab.shape[-1] in (1, None):
            lab = array_ops.squeeze(lab, [-1])
            lr -= 1
        w_shape = _static_shape(weights)
        if lr is not None and w_shape.rank == lr + 1 and w_shape[-1] in (1, None):
            weights = array_ops.squeeze(op_builder.convert_to_tensor(weights), [-1])
        losses = nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x,
                                                             name="xentropy")
        return compute_weighted_loss(losses, weights, s, loss_collection, reduction)
