"""TF1 stacks as op records: StackV2 (creation), StackPushV2, StackPopV2, StackCloseV2,
with TensorFlow's op names, attrs, inputs and outputs, and small builders (TF's
``gen_data_flow_ops`` names). TF1's while-loop gradients keep forward values on them.

Run time: a ``StackV2`` kernel creates a fresh ``StackResource`` at every run (its handle
output is that Python object, ``gf.resource``), so nothing leaks between runs. Every op is
stateful; a push stores a private copy of its element (``retains_inputs``) and outputs the
element itself. Errors as TensorFlow's kernel: pushing past ``max_size`` (when it is >= 0),
popping an empty stack, any use after close, a dtype other than the stack's.

Gradients: TensorFlow registers none for the V2 stack ops. Here StackV2, StackPopV2 and
StackCloseV2 are registered non-differentiable (nothing differentiable flows into their
outputs) and StackPushV2, whose output is its element, passes the gradient through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import op_builder

#: The static shape of a stack handle (TensorFlow's shape function: ``Vector(2)``).
HANDLE_SHAPE = TensorShape([2])


class StackResource:
    """One stack of one run (TensorFlow's ``Stack`` resource)."""

    def __init__(self, name: str, elem_type: dtypes.DType, max_size: int) -> None:
        self.name = name
        self.elem_type = elem_type
        self.max_size = max_size  # < 0: unbounded
        self.elements: list[np.ndarray] = []
        self.closed = False

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self.elements)} elements"
        return f"<Stack '{self.name}' {self.elem_type.name} {state}>"

    def _check_open(self, ctx: KernelContext) -> None:
        if self.closed:
            raise ctx.invalid(f"Stack[{self.name}] has already been closed",
                              "do not use a stack after its close op ran")

    def push(self, ctx: KernelContext, value: np.ndarray) -> None:
        self._check_open(ctx)
        if value.dtype != self.elem_type.np_dtype:
            raise ctx.invalid(f"Stack[{self.name}] must have type {self.elem_type.name} but got "
                              f"{value.dtype.name}", f"push {self.elem_type.name} values")
        if 0 <= self.max_size <= len(self.elements):
            raise ctx.invalid(f"Stack[{self.name}] overflowed its max_size ({self.max_size})",
                              "create the stack with a larger max_size (or -1: unbounded)")
        self.elements.append(np.array(value, copy=True))

    def pop(self, ctx: KernelContext, elem_type: dtypes.DType) -> np.ndarray:
        self._check_open(ctx)
        if elem_type != self.elem_type:
            raise ctx.invalid(f"Stack[{self.name}] holds {self.elem_type.name} elements but the "
                              f"op pops {elem_type.name}", "set elem_type to the stack's type")
        if not self.elements:
            raise ctx.invalid(f"Stack[{self.name}] is empty when calling Pop()",
                              "pop at most as many elements as were pushed")
        return self.elements.pop()


def _stack(ctx: KernelContext, handle: Any) -> StackResource:
    if not isinstance(handle, StackResource):
        raise ctx.invalid(f"input 'handle' is {type(handle).__name__}, not a stack",
                          "feed this op the handle output of a StackV2 node")
    return handle


def _require_handle(ctx: InferContext) -> None:
    ctx.require_dtype(0, lambda d: d == dtypes.resource, "a resource handle (a stack's handle "
                      "output)")


class _StackOp(Op):
    """Every stack op reads or changes run-time state: never folded or pruned as pure."""

    stateful = True


@register
class StackV2(_StackOp):
    """Creates an empty stack of ``elem_type`` holding at most ``max_size`` elements
    (unbounded when negative); outputs its handle (a fresh run-time object per run)."""

    op_type = "StackV2"
    input_names = ("max_size",)
    differentiable = False
    attr_defaults = {"stack_name": ""}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        ctx.require_dtype(0, lambda d: d == dtypes.int32, "int32")
        ctx.require_rank(0, 0)
        if not isinstance(ctx.attr("elem_type"), dtypes.DType):
            ctx.fail("attr 'elem_type' must be a type", "store elem_type as a type attr")
        return [TensorSpec(dtypes.resource, HANDLE_SHAPE)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        elem_type, name = ctx.attr("elem_type"), ctx.attr("stack_name") or ctx.name

        def create(max_size: Any) -> StackResource:
            a = np.asarray(max_size)
            if a.ndim != 0:
                raise ctx.invalid(f"Stack size must be a scalar, but had shape: {list(a.shape)}",
                                  "pass one max_size")
            return StackResource(name, elem_type, int(a))
        return create


@register
class StackPushV2(_StackOp):
    """Pushes ``elem``; the output is ``elem`` itself."""

    op_type = "StackPushV2"
    input_names = ("handle", "elem")
    attr_defaults = {"swap_memory": False}
    retains_inputs = True
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle(ctx)
        elem = ctx.inputs[1]
        if ctx.attr("T") != elem.dtype:
            ctx.fail(f"{ctx.input_label(1)} does not match its attr T={ctx.attr('T').name}",
                     "set T to the element's dtype")
        return [TensorSpec(elem.dtype, elem.shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def push(handle: Any, elem: Any) -> Any:
            _stack(ctx, handle).push(ctx, np.asarray(elem))
            return elem
        return push

    def grad(self, op: Operation, g: Any) -> list[Any]:
        """output = elem, so d elem = g (the handle has no gradient)."""
        return [None, g]


@register
class StackPopV2(_StackOp):
    """Pops the last pushed element (an error when the stack is empty)."""

    op_type = "StackPopV2"
    input_names = ("handle",)
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle(ctx)
        return [TensorSpec(ctx.attr("elem_type"), TensorShape(None))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        elem_type = ctx.attr("elem_type")

        def pop(handle: Any) -> np.ndarray:
            return _stack(ctx, handle).pop(ctx, elem_type)
        return pop


@register
class StackCloseV2(_StackOp):
    """Drops the elements; later ops on the stack fail."""

    op_type = "StackCloseV2"
    input_names = ("handle",)
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_handle(ctx)
        return []

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def close(handle: Any) -> None:
            s = _stack(ctx, handle)
            s.elements = []
            s.closed = True
        return close


# ----------------------------------------------------------------------------------------
# Builders (TensorFlow's gen_data_flow_ops names)
# ----------------------------------------------------------------------------------------


def stack_v2(max_size: Any, elem_type: Any, stack_name: str = "",
             name: str | None = None) -> Tensor:
    """A ``StackV2`` node: the handle of a new stack (``max_size`` < 0: unbounded)."""
    g = op_builder.graph_of(max_size)
    with g.as_default():
        size = op_builder.convert_to_tensor(max_size, dtype=dtypes.int32, name="max_size")
    return op_builder.apply1("StackV2", [size], {"elem_type": dtypes.as_dtype(elem_type),
                                                 "stack_name": stack_name},
                             name=name or "StackV2", graph=g)


def stack_push_v2(handle: Tensor, elem: Any, swap_memory: bool = False,
                  name: str | None = None) -> Tensor:
    """A ``StackPushV2`` node: pushes ``elem``, outputs it."""
    with handle.graph.as_default():
        e = op_builder.convert_to_tensor(elem)
    return op_builder.apply1("StackPushV2", [handle, e], {"T": e.dtype,
                                                          "swap_memory": bool(swap_memory)},
                             name=name or "StackPushV2")


def stack_pop_v2(handle: Tensor, elem_type: Any, name: str | None = None) -> Tensor:
    """A ``StackPopV2`` node: the last pushed element."""
    return op_builder.apply1("StackPopV2", [handle], {"elem_type": dtypes.as_dtype(elem_type)},
                             name=name or "StackPopV2")


def stack_close_v2(handle: Tensor, name: str | None = None) -> Operation:
    """A ``StackCloseV2`` node."""
    return op_builder.apply("StackCloseV2", [handle], name=name or "StackCloseV2")
