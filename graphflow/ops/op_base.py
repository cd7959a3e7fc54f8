"""Shared machinery of op records (the one helper module of the op families): the
element-wise bases ``Unary``/``Binary`` with their dtype domains, build-time constant
folding (``fold``), planned-buffer binding (``bind_out``), and the kernel helpers
``run_error`` (a run-time node error in ``framework.errors.node_error``'s format) and
``one_or_tuple``. Shape-rule helpers are ``InferContext`` methods (``framework/op_registry``);
builder helpers are in ``op_builder``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from graphflow.framework.dtypes import DType
from graphflow.framework.errors import node_run_error
from graphflow.framework.op_registry import InferContext, KernelContext, Op
from graphflow.framework.tensor import TensorSpec
from graphflow.framework.tensor_shape import broadcast_shapes

FLOAT = ("a floating-point tensor (float16/float32/float64)", lambda dt: dt.is_floating)
NUMERIC = ("a numeric tensor", lambda dt: dt.is_numeric)
ANY = ("a tensor", lambda dt: True)


def fold(fn: Callable[..., Any], *values: np.ndarray | None) -> np.ndarray | None:
    """Evaluate ``fn`` at build time when every input value is statically known."""
    if any(v is None for v in values):
        return None
    with np.errstate(all="ignore"):
        try:
            return np.asarray(fn(*values))
        except (ValueError, TypeError, ArithmeticError):
            return None


class Unary(Op):
    """y = f(x), same shape and dtype as x (``kernel`` returns ``fn``)."""

    calls_blas = False

    input_names = ("x",)
    domain: ClassVar[tuple[str, Callable[[DType], bool]]] = FLOAT

    @staticmethod
    def fn(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        x = ctx.inputs[0]
        ctx.require_dtype(0, self.domain[1], self.domain[0])
        return [TensorSpec(x.dtype, x.shape, fold(self.fn, x.value))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return bind_out(self, ctx)

    @property
    def writes_out(self) -> bool:  # type: ignore[override]
        return can_write_out(self)

    def row_inputs(self, ctx: KernelContext) -> tuple[bool, ...] | None:
        return elementwise_row_inputs(ctx) if _one_ufunc(self) else None


class Binary(Op):
    """z = f(x, y) with numpy broadcasting; both inputs share one dtype (attr ``T``)."""

    calls_blas = False

    input_names = ("x", "y")
    domain: ClassVar[tuple[str, Callable[[DType], bool]]] = NUMERIC
    result_dtype: ClassVar[DType | None] = None  # None: same as the inputs (bool for compares)

    @staticmethod
    def fn(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = ctx.require_same_dtype(0, 1)
        ctx.require_dtype(0, self.domain[1], self.domain[0])
        x, y = ctx.inputs
        try:
            shape = broadcast_shapes(x.shape, y.shape)
        except ValueError as err:
            ctx.fail(f"{ctx.input_label(0)} and {ctx.input_label(1)} cannot be broadcast "
                     f"together ({err})",
                     "make trailing dimensions equal or 1 (gf.reshape / gf.expand_dims)")
        out_dt = self.result_dtype or dt
        return [TensorSpec(out_dt, shape, fold(self.fn, x.value, y.value))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return bind_out(self, ctx)

    @property
    def writes_out(self) -> bool:  # type: ignore[override]
        return can_write_out(self)

    def row_inputs(self, ctx: KernelContext) -> tuple[bool, ...] | None:
        return elementwise_row_inputs(ctx) if _one_ufunc(self) else None


def _one_ufunc(record: Any) -> bool:
    """The record's kernel is ``Unary``'s or ``Binary``'s: one numpy ufunc call."""
    kernel = type(record).kernel
    return isinstance(record.fn, np.ufunc) and (kernel is Unary.kernel or
                                                 kernel is Binary.kernel)


def elementwise_row_inputs(ctx: KernelContext) -> tuple[bool, ...] | None:
    """``Op.row_inputs`` of an element-wise step with numpy broadcasting: an input of the
    output's rank and rows is read by rows; one of lower rank, or of one row, is read
    whole (broadcast to every row); None for anything else (shapes not known, an output of
    fewer than two rows)."""
    out = ctx.concrete(ctx.outputs[0])
    if not out or out[0] < 2:
        return None
    marks = []
    for spec in ctx.inputs:
        shape = ctx.concrete(spec)
        if shape is None:
            return None
        if len(shape) == len(out) and shape[0] == out[0]:
            marks.append(True)
        elif len(shape) < len(out) or shape[0] == 1:
            marks.append(False)
        else:
            return None
    return tuple(marks)


class SameShapeBinary(Binary):
    """``Binary`` whose two inputs must have one shape, as TensorFlow's element-wise
    gradient ops (TanhGrad, SqrtGrad, ...) require: a mismatch of static shapes fails when
    the node is built, one of run-time shapes when it runs (``same_shape_kernel`` around
    ``unchecked_kernel``, which subclasses override)."""

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt, shape = one_shape_inputs(ctx, self.domain,
                                     "pass the activation's value and the upstream gradient "
                                     "of its shape (TensorFlow's gradient ops do not broadcast)")
        x, y = ctx.inputs
        return [TensorSpec(self.result_dtype or dt, shape, fold(self.fn, x.value, y.value))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return same_shape_kernel(ctx, self.unchecked_kernel(ctx))

    def unchecked_kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        """The kernel before the shape check (``fn`` into the planned buffer)."""
        return bind_out(self, ctx)


def one_shape_inputs(ctx: InferContext, domain: tuple[str, Callable[[DType], bool]],
                     fix: str) -> tuple[DType, Any]:
    """The dtype and merged shape of two inputs of one dtype in ``domain`` that must have
    one shape (a clear build-time error otherwise, with ``fix``)."""
    dt = ctx.require_same_dtype(0, 1)
    ctx.require_dtype(0, domain[1], domain[0])
    x, y = ctx.inputs
    if not x.shape.is_compatible_with(y.shape):
        ctx.fail(f"{ctx.input_label(0)} and {ctx.input_label(1)} must have the same shape", fix)
    return dt, x.shape.merge_with(y.shape)


def same_shape_kernel(ctx: KernelContext, kernel: Callable[..., Any]) -> Callable[..., Any]:
    """``kernel`` of a two-input element-wise gradient whose inputs must have one shape:
    checked when it runs (TensorFlow's "must have the same size and shape"), unless the
    plan knows both shapes and they are equal."""
    first, second = ctx.concrete(ctx.inputs[0]), ctx.concrete(ctx.inputs[1])
    if first is not None and first == second:
        return kernel
    names = ctx.record.input_names

    def same_shape_checked(a: np.ndarray, b: np.ndarray) -> Any:
        if np.shape(a) != np.shape(b):
            raise ctx.invalid(f"its inputs {names[0]} {np.shape(a)} and {names[1]} "
                              f"{np.shape(b)} must have the same shape",
                              "pass the activation's value and the upstream gradient of its "
                              "shape (TensorFlow's gradient ops do not broadcast)")
        return kernel(a, b)
    return same_shape_checked


def reads_only_input_specs(record: Any) -> bool:
    """Whether the record's shape rule is ``Unary``'s, ``Binary``'s or ``SameShapeBinary``'s:
    its result depends only on the record and its inputs' dtypes, shapes and values (a
    subclass overriding ``infer``, which may read attrs, does not qualify)."""
    return type(record).infer in _SPEC_ONLY_RULES


def can_write_out(record: Any) -> bool:
    """An element-wise record can fill a planned buffer if its ``fn`` is a numpy ufunc (which
    takes ``out=``) or it defines ``fn_into(*inputs, out)``."""
    return isinstance(record.fn, np.ufunc) or hasattr(record, "fn_into")


_SPEC_ONLY_RULES = (Unary.infer, Binary.infer, SameShapeBinary.infer)


def bind_out(record: Any, ctx: KernelContext) -> Callable[..., Any]:
    """``record.fn``, writing into the planned output buffer when there is one."""
    out = ctx.out[0]
    if out is None:
        return record.fn
    if isinstance(record.fn, np.ufunc):  # a C-level partial: no Python frame per call
        return functools.partial(record.fn, out=out)
    if hasattr(record, "fn_into"):
        into = record.fn_into
        return lambda *xs: into(*xs, out)
    return record.fn


#: The error a kernel raises for a bad run-time value (``framework.errors.node_run_error``;
#: kernels holding their ``KernelContext`` use ``ctx.invalid``, the same error).
run_error = node_run_error


def one_or_tuple(outputs: list[np.ndarray]) -> Any:
    """Kernels of multi-output ops return a tuple, but a single output bare (the plan
    assigns a one-output step's result to one slot)."""
    return outputs[0] if len(outputs) == 1 else tuple(outputs)
