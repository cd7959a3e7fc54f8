"""Batched matrix multiply: ``BatchMatMulV2`` (numpy broadcasting of the batch dims) and
TF1's ``BatchMatMul`` (batch dims equal), with ``adj_x``/``adj_y``, and ``matmul``, TF1's
``tf.matmul`` that builds ``MatMul`` for rank-2 operands and ``BatchMatMulV2`` when either
operand has rank >= 3 (``MatMul`` itself stays rank 2, as in TensorFlow).

This module sits above ``reduction_ops`` because the gradient sums over broadcast batch
dims (``array_ops.unbroadcast``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape, broadcast_shapes
from graphflow.ops import array_ops, linalg_ops, op_builder
from graphflow.ops.op_base import fold


def _swap(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


@register
class BatchMatMulV2(Op):
    """out[..., i, j] = sum_k op(x)[..., i, k] op(y)[..., k, j] where op transposes the two
    last dims when adj_x/adj_y is set; the batch dims (all but the last two) broadcast."""

    op_type = "BatchMatMulV2"
    input_names = ("x", "y")
    attr_defaults = {"adj_x": False, "adj_y": False}
    broadcast = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_same_dtype(0, 1)
        ctx.require_dtype(0, lambda d: d.is_numeric, "a numeric tensor")
        x, y = ctx.inputs[0].shape, ctx.inputs[1].shape
        for i, s in enumerate((x, y)):
            if s.rank is not None and s.rank < 2:
                ctx.fail(f"{ctx.input_label(i)} must have rank >= 2, got rank {s.rank}",
                         "use gf.expand_dims to add a matrix dimension")
        if x.rank is None or y.rank is None:
            return [TensorSpec(dt, TensorShape(None))]
        ax, ay = ctx.attr("adj_x"), ctx.attr("adj_y")
        m, kx = (x[-1], x[-2]) if ax else (x[-2], x[-1])
        ky, n = (y[-1], y[-2]) if ay else (y[-2], y[-1])
        if kx is not None and ky is not None and kx != ky:
            ctx.fail(f"inner dimensions do not match: {ctx.input_label(0)}"
                     f"{' (adjoint)' if ax else ''} has {kx} columns but {ctx.input_label(1)}"
                     f"{' (adjoint)' if ay else ''} has {ky} rows",
                     "check the operand order, or set adj_x/adj_y")
        bx, by = TensorShape(list(x.dims or ())[:-2]), TensorShape(list(y.dims or ())[:-2])
        if self.broadcast:
            try:
                batch = broadcast_shapes(bx, by)
            except ValueError as err:
                ctx.fail(f"the batch dims of {ctx.input_label(0)} and {ctx.input_label(1)} "
                         f"cannot be broadcast ({err})",
                         "make the batch dims equal or 1 (gf.reshape / gf.expand_dims)")
        else:
            if bx.rank != by.rank or not bx.is_compatible_with(by):
                ctx.fail(f"BatchMatMul needs equal batch dims, got {ctx.input_label(0)} and "
                         f"{ctx.input_label(1)}",
                         "use BatchMatMulV2 (gf.matmul builds it), which broadcasts")
            batch = bx.merge_with(by)
        value = fold(self._fn(ax, ay), ctx.inputs[0].value, ctx.inputs[1].value)
        return [TensorSpec(dt, list(batch.dims or ()) + [m, n], value)]

    @staticmethod
    def _fn(ax: bool, ay: bool) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        def fn(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return np.matmul(_swap(x) if ax else x, _swap(y) if ay else y)
        return fn

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        fn = self._fn(ctx.attr("adj_x"), ctx.attr("adj_y"))
        broadcast, adj = self.broadcast, (ctx.attr("adj_x"), ctx.attr("adj_y"))

        def batch_matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            if not broadcast and x.shape[:-2] != y.shape[:-2]:
                raise ctx.invalid(f"batch dims {x.shape[:-2]} and {y.shape[:-2]} differ",
                                  "use BatchMatMulV2, which broadcasts")
            try:
                return fn(x, y)
            except ValueError:
                raise ctx.invalid(f"cannot multiply x of shape {x.shape} by y of shape "
                                  f"{y.shape} (adj_x={adj[0]}, adj_y={adj[1]})",
                                  "the inner dims must agree and the batch dims broadcast"
                                  ) from None
        return batch_matmul

    def grad(self, op: Operation, g: Tensor) -> list[Tensor]:
        """As MatMul's rule on the last two dims (dx = g y^T, dy = x^T g, reordered for
        adj_x/adj_y), each gradient summed over the batch dims its operand broadcast."""
        x, y = op.inputs
        ax, ay = op.get_attr("adj_x"), op.get_attr("adj_y")
        mm = _batch_matmul
        if not ax and not ay:
            gx, gy = mm(g, y, False, True), mm(x, g, True, False)
        elif not ax and ay:
            gx, gy = mm(g, y, False, False), mm(g, x, True, False)
        elif ax and not ay:
            gx, gy = mm(y, g, False, True), mm(x, g, False, False)
        else:
            gx, gy = mm(y, g, True, True), mm(g, x, True, True)
        if not self.broadcast:
            return [gx, gy]
        return [_sum_batch(gx, x, y), _sum_batch(gy, y, x)]


@register
class BatchMatMul(BatchMatMulV2):
    """TF1's BatchMatMul: as BatchMatMulV2 but the batch dims must be equal."""

    op_type = "BatchMatMul"
    broadcast = False


def _sum_batch(grad: Tensor, x: Tensor, other: Tensor) -> Tensor:
    """``grad`` (batch dims broadcast against ``other``) summed down to ``x``'s shape."""
    if x.shape.is_fully_defined() and grad.shape.is_fully_defined() \
            and x.shape.as_list() == grad.shape.as_list():
        return grad
    # unbroadcast needs the broadcast shape of x and other; compare x with grad itself,
    # whose batch dims are the broadcast ones and whose matrix dims equal x's.
    return array_ops.unbroadcast(grad, x, grad)


def _batch_matmul(x: Tensor, y: Tensor, adj_x: bool, adj_y: bool,
                  name: str | None = None) -> Tensor:
    return op_builder.apply1("BatchMatMulV2", [x, y],
                             {"T": x.dtype, "adj_x": bool(adj_x), "adj_y": bool(adj_y)},
                             name=name or "MatMul")


def batch_matmul(x: Any, y: Any, adj_x: bool = False, adj_y: bool = False,
                 name: str | None = None) -> Tensor:
    """TF1 ``tf.linalg.matmul`` on batches / ``tf.raw_ops.BatchMatMulV2``."""
    x, y = op_builder.convert_n([x, y])
    return _batch_matmul(x, y, adj_x, adj_y, name or "MatMul")


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           adjoint_a: bool = False, adjoint_b: bool = False, a_is_sparse: bool = False,
           b_is_sparse: bool = False, name: str | None = None) -> Tensor:
    """``tf.matmul``: ``MatMul`` for rank-2 operands (or of unknown rank), ``BatchMatMulV2``
    when either has rank >= 3 (the batch dims broadcast); ``adjoint_*`` equals
    ``transpose_*`` for real dtypes."""
    a, b = op_builder.convert_n([a, b])
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
    ranks = [t.shape.rank for t in (a, b)]
    if any(r is not None and r >= 3 for r in ranks):
        return _batch_matmul(a, b, ta, tb, name or "MatMul")
    return linalg_ops.matmul(a, b, transpose_a=ta, transpose_b=tb, name=name)
