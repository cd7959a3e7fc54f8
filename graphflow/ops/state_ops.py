"""Stateful ops of TF1 reference variables: VariableV2 (the storage), Assign, AssignAdd,
AssignSub, ScatterAdd/ScatterSub/ScatterUpdate (row updates), and NoOp/group.

Ops that mutate a variable name it through a *ref input* (input 0). The planner binds
that input to the session's storage cell of the variable instead of passing a value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.errors import FailedPreconditionError
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import gather_ops, op_builder, row_updates
from graphflow.ops.op_base import run_error


def uninitialized(var_name: str, node: str, op_type: str) -> FailedPreconditionError:
    """The error of reading (or updating in place) a variable before its initializer ran
    (TensorFlow's wording)."""
    return FailedPreconditionError(
        f"attempting to use uninitialized value '{var_name}' (in node '{node}', {op_type}). "
        "Run the initializer first: sess.run(gf.global_variables_initializer())",
        node, op_type)


@register
class VariableV2(Op):
    """A mutable tensor held by the session; its output reads the current value."""

    calls_blas = False

    op_type = "VariableV2"
    differentiable = False
    stateful = True
    returns_alias = True
    attr_defaults = {"container": "", "shared_name": ""}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        return [TensorSpec(ctx.attr("dtype"), ctx.attr("shape"))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name = ctx.attr("shared_name") or ctx.name
        cell = ctx.resources.cell(name)
        node = ctx.name

        def read() -> np.ndarray:
            value = cell.value
            if value is None:
                raise uninitialized(name, node, "VariableV2")
            return value
        return read


class _Update(Op):
    """Shared shape rule of ops that update variable ``ref`` with ``value``."""

    calls_blas = False

    input_names = ("ref", "value")
    ref_inputs = (0,)
    stateful = True
    differentiable = False
    returns_alias = True
    attr_defaults = {"use_locking": False}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_same_dtype(0, 1)
        ref, value = ctx.inputs
        if not value.shape.is_compatible_with(ref.shape):
            ctx.fail(f"{ctx.input_label(1)} does not match the variable's shape: "
                     f"{ctx.input_label(0)}", "reshape the value to the variable's shape")
        return [TensorSpec(ref.dtype, ref.shape)]


@register
class Assign(_Update):
    """ref = value (copies value into the variable's storage)."""

    op_type = "Assign"
    attr_defaults = {"use_locking": True, "validate_shape": True}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        if ctx.attr("validate_shape"):
            return super().infer(ctx)
        ctx.require_same_dtype(0, 1)
        return [TensorSpec(ctx.inputs[0].dtype, ctx.inputs[1].shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cell = ctx.refs[0]
        np_dtype = ctx.inputs[0].dtype.np_dtype
        static = ctx.inputs[0].shape if ctx.attr("validate_shape") else TensorShape(None)
        name = ctx.name

        def assign(value: np.ndarray) -> np.ndarray:
            if not static.is_compatible_with(np.shape(value)):
                raise run_error(name, "Assign", f"cannot assign a value of shape "
                                f"{np.shape(value)} to variable '{cell.name}' of shape {static}")
            cell.value = np.array(value, dtype=np_dtype, copy=True)
            return cell.value
        return assign


class _InPlace(_Update):
    ufunc: Callable[..., Any] = np.add

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        cell, ufunc, name, op_type = ctx.refs[0], self.ufunc, ctx.name, self.op_type

        def update(value: np.ndarray) -> np.ndarray:
            current = cell.value
            if current is None:
                raise uninitialized(cell.name, name, op_type)
            ufunc(current, value, out=current)
            return current
        return update


@register
class AssignAdd(_InPlace):
    """ref += value, in place."""

    op_type = "AssignAdd"
    ufunc = np.add


@register
class AssignSub(_InPlace):
    """ref -= value, in place."""

    op_type = "AssignSub"
    ufunc = np.subtract


class _Scatter(Op):
    """ref[indices[i]] op= updates[i]; duplicate indices accumulate (add/sub)."""

    calls_blas = False

    input_names = ("ref", "indices", "updates")
    ref_inputs = (0,)
    stateful = True
    differentiable = False
    returns_alias = True
    attr_defaults = {"use_locking": False}
    ufunc: Any = np.add

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ref, indices, updates = ctx.inputs
        ctx.require_same_dtype(0, 2)
        ctx.require_dtype(1, lambda d: d in (dtypes.int32, dtypes.int64), "int32/int64 indices")
        if ref.shape.rank is not None and indices.shape.rank is not None:
            expected = indices.shape.concatenate(ref.shape[1:])
            if not updates.shape.is_compatible_with(expected):
                ctx.fail(f"{ctx.input_label(2)} must have shape indices.shape + ref.shape[1:] = "
                         f"{expected}")
        return [TensorSpec(ref.dtype, ref.shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return self._scatter_kernel(ctx, None)

    def scaled_kernel(self, ctx: KernelContext, constant: np.ndarray, constant_first: bool
                      ) -> Callable[..., Any]:
        """The kernel of this update applied to ``constant * updates`` (operands in that
        order when ``constant_first``, else ``updates * constant``): a Mul step fused into
        the row update (``compiler/fusion.py``), which then never writes the scaled updates
        out whole. The same bits as the Mul step and then this kernel."""
        if self.ufunc is None:
            raise ValueError(f"{self.op_type} does not combine rows: nothing to scale")
        return self._scatter_kernel(ctx, (constant, constant_first))

    def _scatter_kernel(self, ctx: KernelContext, scale: row_updates.Scale | None
                        ) -> Callable[..., Any]:
        cell, name, op_type, ufunc = ctx.refs[0], ctx.name, self.op_type, self.ufunc
        shape = ctx.concrete(ctx.inputs[2])  # updates: indices.shape + row shape
        row_ndim = None if ctx.inputs[0].shape.rank is None else ctx.inputs[0].shape.rank - 1
        plan = row_updates.RowUpdate(shape, row_ndim, ctx.scratch) \
            if shape and row_ndim and len(shape) > row_ndim else None

        def check(indices: np.ndarray, rows: int) -> None:
            if not gather_ops.indices_in_range(indices, rows):
                ctx.check_indices(indices, rows, context=f" (rows of variable '{cell.name}')")

        def scatter(indices: np.ndarray, updates: np.ndarray) -> np.ndarray:
            current = cell.value
            if current is None:
                raise uninitialized(cell.name, name, op_type)
            if ufunc is not None and plan is not None and plan.fits(current, updates):
                plan(ufunc, current, indices, updates, check, scale)  # checks, then writes
                return current
            check(indices, current.shape[0])
            if scale is not None:
                updates = row_updates.scaled(updates, scale)
            if ufunc is None:
                current[indices] = updates
            else:
                scatter_rows(ufunc, current, indices, updates)
            return current
        return scatter


def scatter_rows(ufunc: Any, target: np.ndarray, indices: np.ndarray, updates: np.ndarray
                 ) -> None:
    """target[indices[i]] (ufunc)= updates[i], rows with equal indices all applied, exactly
    as ``ufunc.at`` (``row_updates.update_rows``: first occurrences as whole-row gathers and
    scatters, repeats in order)."""
    if target.ndim < 2 or not target.flags.c_contiguous:
        ufunc.at(target, indices, updates)
        return
    row_updates.update_rows(ufunc, target, indices, updates)


@register
class ScatterAdd(_Scatter):
    op_type = "ScatterAdd"
    ufunc = np.add


@register
class ScatterSub(_Scatter):
    op_type = "ScatterSub"
    ufunc = np.subtract


@register
class ScatterUpdate(_Scatter):
    op_type = "ScatterUpdate"
    ufunc = None


@register
class NoOp(Op):
    """Does nothing; used with control inputs to group other ops."""

    calls_blas = False

    op_type = "NoOp"
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        return []

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda: None


def no_op(name: str | None = None) -> Operation:
    """``tf.no_op``: an op that does nothing (``NoOp``); useful as a target of control
    dependencies."""
    return op_builder.apply("NoOp", [], name=name or "NoOp", graph=op_builder.graph_of())


def group(*inputs: Any, name: str | None = None) -> Operation:
    """An op that runs all ``inputs`` (ops or tensors) when it runs (``tf.group``)."""
    ops = []
    for item in inputs:
        for x in (item if isinstance(item, (list, tuple)) else [item]):
            if hasattr(x, "_as_graph_element"):
                x = x._as_graph_element()
            ops.append(x.op if isinstance(x, Tensor) else x)
    g = op_builder.graph_of(*ops)
    with g.control_dependencies(ops):
        return g.create_op("NoOp", [], name=name or "group_deps")


def _ref_update(op_type: str, ref: Tensor, value: Any, name: str | None,
                attrs: dict[str, Any] | None = None) -> Tensor:
    with ref.graph.as_default():
        v = op_builder.convert_to_tensor(value, dtype=ref.dtype)
    return op_builder.apply1(op_type, [ref, v], {"T": ref.dtype, **(attrs or {})},
                             name=name or op_type)


def assign(ref: Any, value: Any, validate_shape: bool = True, use_locking: bool = True,
           name: str | None = None) -> Tensor:
    """``tf.assign``: store ``value`` in variable ``ref``; returns the new value."""
    return _ref_update("Assign", as_ref(ref), value, name,
                       {"validate_shape": validate_shape, "use_locking": use_locking})


def assign_add(ref: Any, value: Any, use_locking: bool = False, name: str | None = None
               ) -> Tensor:
    """``tf.assign_add``: ``ref += value`` in variable ``ref`` (an ``AssignAdd`` node);
    returns the updated value."""
    return _ref_update("AssignAdd", as_ref(ref), value, name, {"use_locking": use_locking})


def assign_sub(ref: Any, value: Any, use_locking: bool = False, name: str | None = None
               ) -> Tensor:
    """``tf.assign_sub``: ``ref -= value`` in variable ``ref`` (an ``AssignSub`` node);
    returns the updated value."""
    return _ref_update("AssignSub", as_ref(ref), value, name, {"use_locking": use_locking})


def _scatter(op_type: str, ref: Any, indices: Any, updates: Any, name: str | None) -> Tensor:
    r = as_ref(ref)
    with r.graph.as_default():
        idx = op_builder.convert_to_tensor(indices, preferred_dtype=dtypes.int32)
        upd = op_builder.convert_to_tensor(updates, dtype=r.dtype)
    return op_builder.apply1(op_type, [r, idx, upd], {"T": r.dtype, "Tindices": idx.dtype,
                                                     "use_locking": False},
                             name=name or op_type)


def scatter_add(ref: Any, indices: Any, updates: Any, name: str | None = None) -> Tensor:
    """``tf.scatter_add``: ``ref[indices[i]] += updates[i]`` row by row (duplicate
    indices add up); returns the updated variable."""
    return _scatter("ScatterAdd", ref, indices, updates, name)


def scatter_sub(ref: Any, indices: Any, updates: Any, name: str | None = None) -> Tensor:
    """``tf.scatter_sub``: ``ref[indices[i]] -= updates[i]`` row by row (duplicate
    indices add up); returns the updated variable."""
    return _scatter("ScatterSub", ref, indices, updates, name)


def scatter_update(ref: Any, indices: Any, updates: Any, name: str | None = None) -> Tensor:
    """``tf.scatter_update``: ``ref[indices[i]] = updates[i]`` row by row; returns
    the updated variable."""
    return _scatter("ScatterUpdate", ref, indices, updates, name)


def as_ref(ref: Any) -> Tensor:
    """The ``VariableV2`` output an update op writes: a ``gf.Variable``'s, or that tensor."""
    if hasattr(ref, "_gradient_target"):  # gf.Variable -> its VariableV2 output
        return ref._gradient_target()
    if isinstance(ref, Tensor) and ref.op.type in ("VariableV2", "Variable"):
        return ref
    raise TypeError(f"expected a gf.Variable to update, got {ref!r}; updates need the variable "
                    "itself, not a value computed from it")
