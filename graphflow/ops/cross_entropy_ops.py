"""Cross-entropies: the fused SoftmaxCrossEntropyWithLogits and
SparseSoftmaxCrossEntropyWithLogits ops (records with their one-node builders) and the TF1
entry points ``gf.nn.softmax_cross_entropy_with_logits(_v2)``,
``sparse_softmax_cross_entropy_with_logits`` and ``sigmoid_cross_entropy_with_logits``
(keyword-only, any rank; composites built from primitives where the fused ops do not
apply). Kernels subtract the row maximum before ``exp``, so large logits neither overflow
nor produce NaN. Each gradient docstring states its math.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import (
    array_ops,
    comparison_ops,
    gather_ops,
    math_ops,
    nn_ops,
    op_builder,
    reduction_ops,
)
from graphflow.ops.op_base import run_error

# ----------------------------------------------------------------------------------------
# Gradient helpers shared by both fused ops
# ----------------------------------------------------------------------------------------


def _softmax_grad_term(gg: Tensor, logits: Tensor) -> Tensor:
    """J_softmax(logits)^T gg = (gg - sum(gg * s, -1, keepdims)) * s, s = softmax(logits):
    the logits gradient coming from the ``backprop`` output (= softmax - labels)."""
    s = nn_ops.softmax_op(logits)
    dot = reduction_ops.reduce_sum(math_ops.multiply(gg, s), -1, keepdims=True)
    return math_ops.multiply(math_ops.subtract(gg, dot), s)


def _scale_rows(g_loss: Tensor, m: Tensor) -> Tensor:
    """expand_dims(g_loss, -1) * m: one upstream scalar per example times its row."""
    return math_ops.multiply(array_ops.expand_dims(g_loss, -1), m)


def _add(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    if a is None:
        return b
    return a if b is None else math_ops.add(a, b)


def _require_matrix(ctx: InferContext, i: int) -> TensorShape:
    shape = ctx.inputs[i].shape
    if shape.rank is not None and shape.rank != 2:
        ctx.fail(f"{ctx.input_label(i)} must have rank 2 [batch, classes], got rank "
                 f"{shape.rank}",
                 "use gf.nn.softmax_cross_entropy_with_logits, which handles other ranks")
    return shape.with_rank(2) if shape.rank is None else shape


# ----------------------------------------------------------------------------------------
# SoftmaxCrossEntropyWithLogits (dense labels)
# ----------------------------------------------------------------------------------------


@register
class SoftmaxCrossEntropyWithLogits(Op):
    """loss[i] = -sum_j labels[i, j] * log_softmax(features)[i, j] and
    backprop = softmax(features) - labels, for rank-2 [batch, classes] inputs."""

    calls_blas = False

    op_type = "SoftmaxCrossEntropyWithLogits"
    input_names = ("features", "labels")

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_same_dtype(0, 1)
        ctx.require_dtype(0, lambda d: d.is_floating, "a floating-point tensor")
        features = _require_matrix(ctx, 0)
        labels = _require_matrix(ctx, 1)
        if not features.is_compatible_with(labels):
            ctx.fail(f"{ctx.input_label(0)} and {ctx.input_label(1)} must have the same shape "
                     "[batch, classes]",
                     "give one label distribution per row of logits (one-hot or soft labels)")
        shape = features.merge_with(labels)
        return [TensorSpec(dt, (shape[0],)), TensorSpec(dt, shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, op_type = ctx.name, ctx.op_type

        def softmax_ce(features: np.ndarray, labels: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
            if features.shape != labels.shape or features.ndim != 2:
                raise run_error(name, op_type, f"features {features.shape} and labels "
                                f"{labels.shape} must both be [batch, classes] with the same "
                                "shape")
            shifted = nn_ops.subtract_row_max(features)
            e = np.exp(shifted)
            total = np.sum(e, axis=-1, keepdims=True)
            loss = -np.sum(labels * (shifted - np.log(total)), axis=-1)
            e /= total
            e -= labels
            return loss, e
        return softmax_ce

    def grad(self, op: Operation, g_loss: Tensor | None, g_backprop: Tensor | None
             ) -> list[Tensor | None]:
        """With s = softmax(x), loss = -sum(labels * log s) and backprop = s - labels:
        d/dx = expand_dims(g_loss, -1) * backprop + (g_bp - sum(g_bp * s, -1, keepdims)) * s,
        d/dlabels = expand_dims(g_loss, -1) * -log_softmax(x) - g_bp. (TF omits the -g_bp
        labels term; it is included here so second-order gradients are exact.)"""
        logits = op.inputs[0]
        d_logits = d_labels = None
        if g_loss is not None:
            d_logits = _scale_rows(g_loss, op.outputs[1])
            d_labels = _scale_rows(g_loss, math_ops.negative(nn_ops.log_softmax_op(logits)))
        if g_backprop is not None:
            d_logits = _add(d_logits, _softmax_grad_term(g_backprop, logits))
            d_labels = _add(d_labels, math_ops.negative(g_backprop))
        return [d_logits, d_labels]


# ----------------------------------------------------------------------------------------
# SparseSoftmaxCrossEntropyWithLogits (class-index labels)
# ----------------------------------------------------------------------------------------


def _sparse_ce_into(features: np.ndarray, labels: np.ndarray, e: np.ndarray, loss: np.ndarray,
                    column: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sparse cross-entropy kernel in planned buffers: ``e`` (backprop, [batch, classes]),
    ``loss`` ([batch]) and a [batch, 1] work column; no temporaries but the picked logits."""
    # ufunc reductions: what np.max/np.sum run, without their Python layer
    np.maximum.reduce(features, 1, None, column, True)
    np.subtract(features, column, out=e)  # shifted logits: exp never overflows
    picked = e[rows, labels]
    np.exp(e, out=e)
    np.add.reduce(e, 1, None, column, True)
    np.log(column[:, 0], out=loss)
    loss -= picked
    e /= column
    e[rows, labels] -= 1
    return loss, e


#: For 2..7 classes the row max and row sum of the planned sparse cross-entropy run as
#: element-wise ops over the columns (C - 1 calls over [batch] vectors) instead of numpy
#: reductions over the short last axis, which loop per row (~4x slower at batch 2048,
#: ~3x at 32). numpy reduces so few elements left to right, as the columns do, so the
#: results are the same bits (tests compare). Off: the row reductions.
COLUMN_REDUCTIONS = True
_MAX_COLUMNS = 7
_ROW_SUMS_MATCH: dict[tuple[Any, ...], bool] = {}


def _row_sums_match(shape: tuple[int, ...], at: int, dtype: Any) -> bool:
    """Whether numpy's sums over the last axis of rows ``[:at]`` and ``[at:]`` of a C-order
    array of ``shape`` equal those of the whole array bit for bit (random values; cached)."""
    key = (shape, at, np.dtype(dtype).str)
    known = _ROW_SUMS_MATCH.get(key)
    if known is None:
        x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
        whole = np.add.reduce(x, 1, None, None, True)
        parts = np.concatenate([np.add.reduce(x[:at], 1, None, None, True),
                                np.add.reduce(x[at:], 1, None, None, True)])
        known = bool(np.array_equal(whole, parts))
        if len(_ROW_SUMS_MATCH) >= 1024:
            _ROW_SUMS_MATCH.clear()
        _ROW_SUMS_MATCH[key] = known
    return known


def _sparse_ce_columns(features: np.ndarray, labels: np.ndarray, e: np.ndarray,
                       loss: np.ndarray, column: np.ndarray, row_starts: np.ndarray,
                       flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_sparse_ce_into`` for a few classes: the row reductions over columns; the labels'
    entries addressed by flat index (``row_starts + labels``)."""
    classes = features.shape[1]
    acc = column[:, 0]
    np.maximum(features[:, 0], features[:, 1], out=acc)
    for j in range(2, classes):
        np.maximum(acc, features[:, j], out=acc)
    np.subtract(features, column, out=e)  # shifted logits: exp never overflows
    np.add(row_starts, labels, out=flat)
    entries = e.reshape(-1)
    picked = entries[flat]
    np.exp(e, out=e)
    np.add(e[:, 0], e[:, 1], out=acc)
    for j in range(2, classes):
        np.add(acc, e[:, j], out=acc)
    np.log(acc, out=loss)
    loss -= picked
    e /= column
    entries[flat] -= 1
    return loss, e


@register
class SparseSoftmaxCrossEntropyWithLogits(Op):
    """loss[i] = -log_softmax(features)[i, labels[i]] and
    backprop = softmax(features) - one_hot(labels), for [batch, classes] features and
    [batch] integer labels in [0, classes)."""

    calls_blas = False

    op_type = "SparseSoftmaxCrossEntropyWithLogits"
    input_names = ("features", "labels")
    attr_defaults = {"Tlabels": dtypes.int64}
    writes_out = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_dtype(0, lambda d: d.is_floating, "a floating-point tensor")
        ctx.require_dtype(1, lambda d: d in (dtypes.int32, dtypes.int64),
                          "an int32/int64 tensor of class indices")
        features = _require_matrix(ctx, 0)
        labels = ctx.inputs[1].shape
        if labels.rank is not None and labels.rank != 1:
            ctx.fail(f"{ctx.input_label(1)} must have rank 1 [batch], got rank {labels.rank}",
                     "pass one class index per row of the logits")
        batch = features[0]
        if labels.rank is not None:
            if batch is not None and labels[0] is not None and batch != labels[0]:
                ctx.fail(f"{ctx.input_label(0)} and {ctx.input_label(1)} disagree on the batch "
                         f"size ({batch} vs {labels[0]})",
                         "give exactly one label per row of logits")
            batch = batch if batch is not None else labels[0]
        return [TensorSpec(dt, (batch,)), TensorSpec(dt, (batch, features[1]))]

    def row_inputs(self, ctx: KernelContext) -> tuple[bool, ...] | None:
        """Row i of the loss and of the backprop reads row i of the features and label i
        (a label out of range fails the step whole, whichever rows hold it)."""
        features, labels = (ctx.concrete(s) for s in ctx.inputs)
        if features is None or labels is None or len(features) != 2 or \
                labels != features[:1]:
            return None
        return (True, True)

    def rows_match(self, ctx: KernelContext, at: int) -> bool:
        """Few classes go through column-wise ufuncs (element by element: any rows keep
        their bits); more go through numpy's row sums, checked once per case on random
        values for the two blocks against all rows."""
        features = ctx.concrete(ctx.inputs[0])
        if features is None or not 0 < at < features[0]:
            return False
        if COLUMN_REDUCTIONS and 2 <= features[1] <= _MAX_COLUMNS:
            return True
        return _row_sums_match(features, at, ctx.inputs[0].dtype.np_dtype)

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, op_type = ctx.name, ctx.op_type

        def sparse_softmax_ce(features: np.ndarray, labels: np.ndarray
                              ) -> tuple[np.ndarray, np.ndarray]:
            if features.ndim != 2 or labels.shape != features.shape[:1]:
                raise run_error(name, op_type, f"features must be [batch, classes] and labels "
                                f"[batch], got features {features.shape} and labels "
                                f"{labels.shape}")
            n, classes = features.shape
            if not gather_ops.indices_in_range(labels, classes):
                row = int(np.flatnonzero((labels < 0) | (labels >= classes))[0])
                raise run_error(name, op_type, f"received a label value of {int(labels[row])} "
                                f"(row {row}) which is outside the valid range of "
                                f"[0, {classes}) for {classes} classes",
                                f"labels must be class indices in [0, {classes})")
            if planned is not None and features.shape == planned[0].shape:
                if columns is not None and COLUMN_REDUCTIONS:
                    return _sparse_ce_columns(features, labels, *planned[:3], *columns)
                return _sparse_ce_into(features, labels, *planned)
            shifted = nn_ops.subtract_row_max(features)
            e = np.exp(shifted)
            total = np.sum(e, axis=-1, keepdims=True)
            picked = np.take_along_axis(shifted, labels[:, None].astype(np.intp), axis=1)
            loss = (np.log(total) - picked)[:, 0]
            e /= total
            e[np.arange(n), labels] -= 1
            return loss, e

        planned = columns = None
        shape = ctx.concrete(ctx.outputs[1])
        if ctx.out[0] is not None and ctx.out[1] is not None and shape is not None:
            column = ctx.scratch((shape[0], 1), ctx.out[1].dtype)
            planned = (ctx.out[1], ctx.out[0], column, np.arange(shape[0]))
            if 2 <= shape[1] <= _MAX_COLUMNS:
                columns = (np.arange(shape[0], dtype=np.intp) * shape[1],
                           ctx.scratch((shape[0],), np.intp))
        return sparse_softmax_ce

    def grad(self, op: Operation, g_loss: Tensor | None, g_backprop: Tensor | None
             ) -> list[Tensor | None]:
        """With s = softmax(x): d/dx = expand_dims(g_loss, -1) * backprop
        + (g_bp - sum(g_bp * s, -1, keepdims)) * s (the second term only when the backprop
        output itself is differentiated, e.g. second order); integer labels get None."""
        logits = op.inputs[0]
        d_logits = None if g_loss is None else _scale_rows(g_loss, op.outputs[1])
        if g_backprop is not None:
            d_logits = _add(d_logits, _softmax_grad_term(g_backprop, logits))
        return [d_logits, None]


# ----------------------------------------------------------------------------------------
# Builder functions
# ----------------------------------------------------------------------------------------


def softmax_cross_entropy_with_logits_op(features: Any, labels: Any, name: str | None = None
                                         ) -> tuple[Tensor, Tensor]:
    """One ``SoftmaxCrossEntropyWithLogits`` node: (loss [batch], backprop [batch, classes])."""
    f = op_builder.convert_to_tensor(features)
    lab = op_builder.convert_to_tensor(labels, dtype=f.dtype)
    op = op_builder.apply("SoftmaxCrossEntropyWithLogits", [f, lab], {"T": f.dtype},
                          name=name or "SoftmaxCrossEntropyWithLogits")
    return op.outputs[0], op.outputs[1]


def sparse_softmax_cross_entropy_with_logits_op(features: Any, labels: Any,
                                                name: str | None = None
                                                ) -> tuple[Tensor, Tensor]:
    """One ``SparseSoftmaxCrossEntropyWithLogits`` node: (loss, backprop)."""
    f = op_builder.convert_to_tensor(features)
    lab = op_builder.convert_to_tensor(labels, preferred_dtype=dtypes.int32, graph=f.graph)
    op = op_builder.apply("SparseSoftmaxCrossEntropyWithLogits", [f, lab],
                          {"T": f.dtype, "Tlabels": lab.dtype},
                          name=name or "SparseSoftmaxCrossEntropyWithLogits")
    return op.outputs[0], op.outputs[1]


def keyword_only(fn: str, sentinel: Any, labels: Any, logits: Any) -> None:
    """TF1's rule for the cross-entropy entry points: named labels= and logits= only."""
    if sentinel is not None:
        raise ValueError(f"Only call `{fn}` with named arguments (labels=..., logits=..., "
                         "...); a positional argument was given")
    if labels is None or logits is None:
        raise ValueError(f"{fn}: both labels= and logits= must be provided")


def softmax_cross_entropy_with_logits_v2(_sentinel: Any = None, labels: Any = None,
                                         logits: Any = None, dim: int = -1,
                                         name: str | None = None,
                                         axis: int | None = None) -> Tensor:
    """``tf.nn.softmax_cross_entropy_with_logits_v2``: per-example -sum(labels * log
    softmax(logits)) over the class axis (``axis``, or its older name ``dim``); gradients
    flow into both logits and labels. Rank-2 inputs with classes last use the fused op;
    other ranks/axes a stable composite built from primitives."""
    fn = "softmax_cross_entropy_with_logits_v2"
    keyword_only(fn, _sentinel, labels, logits)
    x = op_builder.convert_to_tensor(logits)
    lab = op_builder.convert_to_tensor(labels, dtype=x.dtype)
    if not x.shape.is_compatible_with(lab.shape):
        raise ValueError(f"{fn}: labels '{lab.name}' {lab.shape} and logits '{x.name}' "
                         f"{x.shape} must have the same shape")
    a = nn_ops.resolve_class_axis(fn, x, axis if axis is not None else dim, None)
    with x.graph.as_default(), \
            x.graph.name_scope(name or "softmax_cross_entropy_with_logits") as scope:
        if a is None and x.shape.rank == 2 and lab.shape.rank in (2, None):
            return softmax_cross_entropy_with_logits_op(x, lab, name=scope)[0]
        a = -1 if a is None else a  # unknown rank: reduce over the axis as given
        log_p = nn_ops.log_softmax_along(x, a)
        return math_ops.negative(reduction_ops.reduce_sum(math_ops.multiply(lab, log_p), a),
                                 name=scope)


def softmax_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                      logits: Any = None, dim: int = -1,
                                      name: str | None = None,
                                      axis: int | None = None) -> Tensor:
    """TF1 ``tf.nn.softmax_cross_entropy_with_logits``: like ``_v2`` but no gradient flows
    into ``labels`` (TF1 wraps them in ``stop_gradient``)."""
    keyword_only("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    x = op_builder.convert_to_tensor(logits)
    with x.graph.as_default():
        lab = array_ops.stop_gradient(op_builder.convert_to_tensor(labels, dtype=x.dtype),
                                      name="labels_stop_gradient")
        return softmax_cross_entropy_with_logits_v2(labels=lab, logits=x, dim=dim, axis=axis,
                                                    name=name)


def sparse_softmax_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                             logits: Any = None, name: str | None = None
                                             ) -> Tensor:
    """``tf.nn.sparse_softmax_cross_entropy_with_logits``: per-example -log softmax(logits)
    at the integer class ``labels``. logits [d0, ..., dn, classes] with labels [d0, ..., dn];
    ranks above 2 are flattened to the fused rank-2 op (classes must be static) and the loss
    reshaped back to the labels' shape."""
    fn = "sparse_softmax_cross_entropy_with_logits"
    keyword_only(fn, _sentinel, labels, logits)
    x = op_builder.convert_to_tensor(logits)
    lab = op_builder.convert_to_tensor(labels, preferred_dtype=dtypes.int32, graph=x.graph)
    xr, lr = x.shape.rank, lab.shape.rank
    if xr == 0:
        raise ValueError(f"{fn}: logits '{x.name}' must have rank >= 1, got a scalar")
    if xr is not None and lr is not None and lr != xr - 1:
        raise ValueError(f"{fn}: rank mismatch: labels '{lab.name}' {lab.shape} must have rank "
                         f"{xr - 1} (the rank of logits '{x.name}' {x.shape} minus 1); "
                         "pass one class index per row of logits")
    if xr is not None and lr is not None and not lab.shape.is_compatible_with(x.shape[:-1]):
        raise ValueError(f"{fn}: labels '{lab.name}' {lab.shape} and logits '{x.name}' "
                         f"{x.shape} must agree on the leading (batch) dimensions: labels "
                         f"should have shape {x.shape[:-1]}")
    with x.graph.as_default(), \
            x.graph.name_scope(name or "SparseSoftmaxCrossEntropyWithLogits") as scope:
        if xr == 2 or xr is None:
            return sparse_softmax_cross_entropy_with_logits_op(x, lab, name=scope)[0]
        classes = x.shape[-1]
        if classes is None:
            raise ValueError(f"{fn}: logits '{x.name}' {x.shape} of rank {xr} need a static "
                             "class dimension (the last) to be flattened to rank 2")
        flat_x = array_ops.reshape(x, [-1, classes])
        flat_l = array_ops.reshape(lab, [-1])
        loss = sparse_softmax_cross_entropy_with_logits_op(flat_x, flat_l, name="xentropy")[0]
        out = array_ops.reshape(loss, array_ops.static_or_dynamic_shape(lab), name=scope)
        out.set_shape(lab.shape)  # keep the dims known statically (a Shape value may not be)
        return out


def sigmoid_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                      logits: Any = None, name: str | None = None) -> Tensor:
    """``tf.nn.sigmoid_cross_entropy_with_logits`` (keyword-only): element-wise
    -z*log(sigmoid(x)) - (1-z)*log(1-sigmoid(x)) for logits x and labels z, computed stably
    as max(x, 0) - x*z + log1p(exp(-|x|)) (TF1's composite: relu and -|x| via Select on
    x >= 0), so large |x| neither overflows nor loses precision. Gradient (by the chain
    rule through the primitives): d/dx = sigmoid(x) - z, d/dz = -x."""
    keyword_only("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    x = op_builder.convert_to_tensor(logits)
    with x.graph.as_default(), x.graph.name_scope(name or "logistic_loss") as scope:
        z = op_builder.convert_to_tensor(labels, dtype=x.dtype, name="labels")
        if not z.shape.is_compatible_with(x.shape):
            raise ValueError(f"sigmoid_cross_entropy_with_logits: logits and labels must have "
                             f"the same shape ({x.shape} vs {z.shape}): logits '{x.name}', "
                             f"labels '{z.name}'")
        zeros = array_ops.zeros_like(x)
        cond = comparison_ops.greater_equal(x, zeros)
        relu_logits = comparison_ops.where(cond, x, zeros)
        neg_abs_logits = comparison_ops.where(cond, math_ops.negative(x), x)
        return math_ops.add(math_ops.subtract(relu_logits, math_ops.multiply(x, z)),
                            math_ops.log1p(math_ops.exp(neg_abs_logits)), name=scope)
