"""Fused optimizer update ops (TF's training ops): ApplyGradientDescent, ApplyMomentum,
ApplyAdam, SparseApplyMomentum, ApplyRMSProp / ApplyCenteredRMSProp and their sparse
variants, ApplyAdagrad / SparseApplyAdagrad. Each updates its variable (and slot) storage in place;
inputs named by ``ref_inputs`` are bound to the session's variable cells by the planner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.errors import InvalidArgumentError, node_error
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import TensorSpec
from graphflow.ops.state_ops import uninitialized


class _Apply(Op):
    """Shared rule: the variable and its slots are refs; scalars are scalars; ``grad`` has the
    variable's shape (dense) or ``indices.shape + var.shape[1:]`` (sparse)."""

    calls_blas = False

    stateful = True
    differentiable = False
    returns_alias = True
    attr_defaults = {"use_locking": False}
    scalar_inputs: tuple[int, ...] = ()
    grad_input = 0

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        var = ctx.inputs[0]
        for i, role in enumerate(self.input_names):
            if role == "indices":
                continue
            if i in self.scalar_inputs:
                ctx.require_rank(i, 0)
            if ctx.inputs[i].dtype != var.dtype:
                ctx.fail(f"{ctx.input_label(i)} must have the variable's dtype {var.dtype.name}",
                         "cast the learning rate / gradient to the variable's dtype")
        self.check_grad_shape(ctx)
        return [TensorSpec(var.dtype, var.shape)]

    def check_grad_shape(self, ctx: InferContext) -> None:
        var, grad = ctx.inputs[0], ctx.inputs[self.grad_input]
        if not grad.shape.is_compatible_with(var.shape):
            ctx.fail(f"{ctx.input_label(self.grad_input)} must have the variable's shape "
                     f"{var.shape}")


def _values(cells: list[Any], node: str, op_type: str) -> list[np.ndarray]:
    out = []
    for cell in cells:
        if cell.value is None:
            raise uninitialized(cell.name, node, op_type)
        out.append(cell.value)
    return out


@register
class ApplyGradientDescent(_Apply):
    """var -= alpha * delta."""

    op_type = "ApplyGradientDescent"
    input_names = ("var", "alpha", "delta")
    ref_inputs = (0,)
    scalar_inputs = (1,)
    grad_input = 2
    scratch_inputs = (2,)  # alpha * delta may go into delta's buffer when it dies here

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        (cell,), name = ctx.refs, ctx.name
        shape = ctx.concrete(ctx.inputs[2])
        donated = 2 in ctx.donated
        step = ctx.scratch(shape, ctx.inputs[2].dtype.np_dtype) \
            if shape and not donated else None

        def apply(alpha: np.ndarray, delta: np.ndarray) -> np.ndarray:
            var = cell.value
            if var is None:
                raise uninitialized(cell.name, name, "ApplyGradientDescent")
            if donated and delta.shape == var.shape and delta.dtype == var.dtype:
                var -= np.multiply(delta, alpha, out=delta)  # the gradient's own buffer
            elif step is not None and delta.shape == step.shape:
                np.multiply(delta, alpha, out=step)  # no per-run temporary
                var -= step
            else:
                var -= alpha * delta
            return var
        return apply


@register
class ApplyMomentum(_Apply):
    """accum = accum * momentum + grad; var -= lr * accum
    (Nesterov: var -= lr * grad + lr * momentum * accum)."""

    op_type = "ApplyMomentum"
    input_names = ("var", "accum", "lr", "grad", "momentum")
    ref_inputs = (0, 1)
    scalar_inputs = (2, 4)
    grad_input = 3
    attr_defaults = {"use_locking": False, "use_nesterov": False}

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cells, name, nesterov = ctx.refs, ctx.name, ctx.attr("use_nesterov")

        def apply(lr: np.ndarray, grad: np.ndarray, momentum: np.ndarray) -> np.ndarray:
            var, accum = _values(cells, name, "ApplyMomentum")
            accum *= momentum
            accum += grad
            if nesterov:
                var -= lr * grad + lr * momentum * accum
            else:
                var -= lr * accum
            return var
        return apply


@register
class SparseApplyMomentum(_Apply):
    """For each row i in indices (assumed unique): accum[i] = accum[i] * momentum + grad[i];
    var[i] -= lr * accum[i] (Nesterov as ApplyMomentum)."""

    op_type = "SparseApplyMomentum"
    input_names = ("var", "accum", "lr", "grad", "indices", "momentum")
    ref_inputs = (0, 1)
    scalar_inputs = (2, 5)
    grad_input = 3
    attr_defaults = {"use_locking": False, "use_nesterov": False}

    def check_grad_shape(self, ctx: InferContext) -> None:
        var, grad, indices = ctx.inputs[0], ctx.inputs[3], ctx.inputs[4]
        ctx.require_dtype(4, lambda d: d in (dtypes.int32, dtypes.int64), "int32/int64 indices")
        ctx.require_rank(4, 1)
        if var.shape.rank is not None:
            expected = indices.shape.concatenate(var.shape[1:])
            if not grad.shape.is_compatible_with(expected):
                ctx.fail(f"{ctx.input_label(3)} must have shape indices.shape + var.shape[1:] = "
                         f"{expected}")

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cells, name, nesterov = ctx.refs, ctx.name, ctx.attr("use_nesterov")

        def apply(lr: np.ndarray, grad: np.ndarray, indices: np.ndarray,
                  momentum: np.ndarray) -> np.ndarray:
            var, accum = _values(cells, name, "SparseApplyMomentum")
            if indices.size and (indices.min() < 0 or indices.max() >= var.shape[0]):
                raise InvalidArgumentError(node_error(name, "SparseApplyMomentum",
                                                      f"index out of range [0, {var.shape[0]})"),
                                           name, "SparseApplyMomentum")
            rows = accum[indices] * momentum + grad
            accum[indices] = rows
            if nesterov:
                var[indices] -= lr * grad + lr * momentum * rows
            else:
                var[indices] -= lr * rows
            return var
        return apply


@register
class ApplyAdam(_Apply):
    """lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m = beta1 m + (1 - beta1) g;
    v = beta2 v + (1 - beta2) g^2; var -= lr_t * m / (sqrt(v) + epsilon)."""

    op_type = "ApplyAdam"
    input_names = ("var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2",
                   "epsilon", "grad")
    ref_inputs = (0, 1, 2)
    scalar_inputs = (3, 4, 5, 6, 7, 8)
    grad_input = 9
    attr_defaults = {"use_locking": False, "use_nesterov": False}

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cells, name, nesterov = ctx.refs, ctx.name, ctx.attr("use_nesterov")

        def apply(beta1_power: np.ndarray, beta2_power: np.ndarray, lr: np.ndarray,
                  beta1: np.ndarray, beta2: np.ndarray, epsilon: np.ndarray,
                  grad: np.ndarray) -> np.ndarray:
            var, m, v = _values(cells, name, "ApplyAdam")
            lr_t = lr * np.sqrt(1 - beta2_power) / (1 - beta1_power)
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * np.square(grad)
            step = (m * beta1 + (1 - beta1) * grad) if nesterov else m
            var -= lr_t * step / (np.sqrt(v) + epsilon)
            return var
        return apply


class _SparseApply(_Apply):
    """A sparse update: ``grad`` holds rows ``indices`` (1-D, assumed unique) of the
    variable; rows outside the variable fail the run naming the node."""

    indices_input = 0

    def check_grad_shape(self, ctx: InferContext) -> None:
        var, grad = ctx.inputs[0], ctx.inputs[self.grad_input]
        indices = ctx.inputs[self.indices_input]
        ctx.require_dtype(self.indices_input, lambda d: d in (dtypes.int32, dtypes.int64),
                          "int32/int64 indices")
        ctx.require_rank(self.indices_input, 1)
        if var.shape.rank is not None:
            expected = indices.shape.concatenate(var.shape[1:])
            if not grad.shape.is_compatible_with(expected):
                ctx.fail(f"{ctx.input_label(self.grad_input)} must have shape indices.shape + "
                         f"var.shape[1:] = {expected}")


def _check_rows(ctx: KernelContext, indices: np.ndarray, n: int) -> None:
    ctx.check_indices(indices, n, "indices", f" (rows of the variable updated by {ctx.name})")


@register
class ApplyRMSProp(_Apply):
    """ms = rho ms + (1 - rho) grad^2; mom = momentum mom + lr grad / sqrt(ms + epsilon);
    var -= mom."""

    op_type = "ApplyRMSProp"
    input_names = ("var", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad")
    ref_inputs = (0, 1, 2)
    scalar_inputs = (3, 4, 5, 6)
    grad_input = 7

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cells, name = ctx.refs, ctx.name

        def apply(lr: np.ndarray, rho: np.ndarray, momentum: np.ndarray, epsilon: np.ndarray,
                  grad: np.ndarray) -> np.ndarray:
            var, ms, mom = _values(cells, name, "ApplyRMSProp")
            ms += (1 - rho) * (np.square(grad) - ms)
            mom *= momentum
            mom += lr * grad / np.sqrt(ms + epsilon)
            var -= mom
            return var
        return apply


@register
class ApplyCenteredRMSProp(_Apply):
    """As ApplyRMSProp with mg = rho mg + (1 - rho) grad and the denominator
    sqrt(ms - mg^2 + epsilon) (the variance instead of the second moment)."""

    op_type = "ApplyCenteredRMSProp"
    input_names = ("var", "mg", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad")
    ref_inputs = (0, 1, 2, 3)
    scalar_inputs = (4, 5, 6, 7)
    grad_input = 8

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cells, name = ctx.refs, ctx.name

        def apply(lr: np.ndarray, rho: np.ndarray, momentum: np.ndarray, epsilon: np.ndarray,
                  grad: np.ndarray) -> np.ndarray:
            var, mg, ms, mom = _values(cells, name, "ApplyCenteredRMSProp")
            ms += (1 - rho) * (np.square(grad) - ms)
            mg += (1 - rho) * (grad - mg)
            mom *= momentum
            mom += lr * grad / np.sqrt(ms - np.square(mg) + epsilon)
            var -= mom
            return var
        return apply


@register
class SparseApplyRMSProp(_SparseApply):
    """ApplyRMSProp on the rows ``indices`` only."""

    op_type = "SparseApplyRMSProp"
    input_names = ("var", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad", "indices")
    ref_inputs = (0, 1, 2)
    scalar_inputs = (3, 4, 5, 6)
    grad_input = 7
    indices_input = 8

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cells, name = ctx.refs, ctx.name

        def apply(lr: np.ndarray, rho: np.ndarray, momentum: np.ndarray, epsilon: np.ndarray,
                  grad: np.ndarray, indices: np.ndarray) -> np.ndarray:
            var, ms, mom = _values(cells, name, "SparseApplyRMSProp")
            _check_rows(ctx, indices, var.shape[0])
            ms_rows = ms[indices] + (1 - rho) * (np.square(grad) - ms[indices])
            ms[indices] = ms_rows
            mom_rows = momentum * mom[indices] + lr * grad / np.sqrt(ms_rows + epsilon)
            mom[indices] = mom_rows
            var[indices] -= mom_rows
            return var
        return apply


@register
class SparseApplyCenteredRMSProp(_SparseApply):
    """ApplyCenteredRMSProp on the rows ``indices`` only."""

    op_type = "SparseApplyCenteredRMSProp"
    input_names = ("var", "mg", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad",
                   "indices")
    ref_inputs = (0, 1, 2, 3)
    scalar_inputs = (4, 5, 6, 7)
    grad_input = 8
    indices_input = 9

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cells, name = ctx.refs, ctx.name

        def apply(lr: np.ndarray, rho: np.ndarray, momentum: np.ndarray, epsilon: np.ndarray,
                  grad: np.ndarray, indices: np.ndarray) -> np.ndarray:
            var, mg, ms, mom = _values(cells, name, "SparseApplyCenteredRMSProp")
            _check_rows(ctx, indices, var.shape[0])
            ms_rows = ms[indices] + (1 - rho) * (np.square(grad) - ms[indices])
            mg_rows = mg[indices] + (1 - rho) * (grad - mg[indices])
            ms[indices], mg[indices] = ms_rows, mg_rows
            denom = np.sqrt(ms_rows - np.square(mg_rows) + epsilon)
            mom_rows = momentum * mom[indices] + lr * grad / denom
            mom[indices] = mom_rows
            var[indices] -= mom_rows
            return var
        return apply


@register
class ApplyAdagrad(_Apply):
    """accum += grad^2 (when update_slots); var -= lr grad / sqrt(accum)."""

    op_type = "ApplyAdagrad"
    input_names = ("var", "accum", "lr", "grad")
    ref_inputs = (0, 1)
    scalar_inputs = (2,)
    grad_input = 3
    attr_defaults = {"use_locking": False, "update_slots": True}

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cells, name, update = ctx.refs, ctx.name, ctx.attr("update_slots")

        def apply(lr: np.ndarray, grad: np.ndarray) -> np.ndarray:
            var, accum = _values(cells, name, "ApplyAdagrad")
            if update:
                accum += np.square(grad)
            var -= lr * grad / np.sqrt(accum)
            return var
        return apply


@register
class SparseApplyAdagrad(_SparseApply):
    """ApplyAdagrad on the rows ``indices`` only."""

    op_type = "SparseApplyAdagrad"
    input_names = ("var", "accum", "lr", "grad", "indices")
    ref_inputs = (0, 1)
    scalar_inputs = (2,)
    grad_input = 3
    indices_input = 4
    attr_defaults = {"use_locking": False, "update_slots": True}

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cells, name, update = ctx.refs, ctx.name, ctx.attr("update_slots")

        def apply(lr: np.ndarray, grad: np.ndarray, indices: np.ndarray) -> np.ndarray:
            var, accum = _values(cells, name, "SparseApplyAdagrad")
            _check_rows(ctx, indices, var.shape[0])
            rows = accum[indices] + np.square(grad) if update else accum[indices]
            accum[indices] = rows
            var[indices] -= lr * grad / np.sqrt(rows)
            return var
        return apply
