"""TensorFlow 1's dataflow control-flow ops: Switch, Merge, Enter, Exit, NextIteration,
LoopCond (and ControlTrigger), with TF's op names, inputs and attrs, so graphs with
``tf.cond`` and ``tf.while_loop`` made by TensorFlow 1 load and graphflow's own load in
TensorFlow.

How they run (the compiler and runtime implement it; see ``compiler/frames.py``):
  * ``Switch(data, pred)`` forwards ``data`` to output 1 when ``pred`` is true, else to
    output 0; the other output is *dead* (the ``DEAD`` marker). Every op with a dead input
    is dead too and does not run — so only the taken branch of a cond computes anything;
    ``Merge`` forwards its first live input (and that input's index).
  * ``Enter`` ... ``Exit`` delimit a loop *frame* (its ``frame_name``): the compiler turns a
    frame into one plan step whose kernel runs the loop's condition and body as compiled
    sub-plans until the condition (``LoopCond``) is false; ``Merge`` joins each loop
    variable's initial value (from ``Enter``) with the next iteration's (``NextIteration``).
    Outside such a frame those four are never run one by one.

Gradients: Switch's and Merge's rules here differentiate a cond (TF1's ``_SwitchGrad`` /
``_MergeGrad``); a while loop is differentiated as a whole by the gradient pass
(``compiler/loop_gradients.py``), so the loop ops' own rules only say so.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework.dtypes import bool_, int32
from graphflow.framework.errors import GraphBuildError, node_error
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, op_builder


class _Dead:
    """The value of a dead tensor: the output of the untaken side of a Switch, and of every
    op downstream of one until a Merge. Never handed to a kernel, never fetched."""

    _instance: _Dead | None = None

    def __new__(cls) -> _Dead:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<dead tensor>"

    def __reduce__(self) -> str:
        return "DEAD"


DEAD = _Dead()

#: Op types that delimit a loop frame (run by the frame, never as plan steps of their own).
LOOP_OPS = frozenset({"Enter", "RefEnter", "Exit", "RefExit", "NextIteration",
                      "RefNextIteration", "LoopCond"})
SWITCH_OPS = frozenset({"Switch", "RefSwitch"})
MERGE_OPS = frozenset({"Merge", "RefMerge"})
CONTROL_FLOW_OPS = LOOP_OPS | SWITCH_OPS | MERGE_OPS


def _loop_op_grad(self: Op, op: Operation, *grads: Any) -> list[Any]:
    """A loop's ops are differentiated together: the gradient of a while loop is a while
    loop running the body's gradient backwards over the iterations (d exit -> d enter),
    built by ``compiler/loop_gradients.py``; this rule is never called on its own."""
    raise LookupError(
        f"'{op.name}' ({op.type}) is part of a while loop, which the gradient pass "
        "differentiates as a whole (compiler/loop_gradients.py); its rule is never called on "
        "its own. If you see this, the loop's structure was not recognised: build loops with "
        "gf.while_loop or load them from a TensorFlow 1 GraphDef")


def _without_value(spec: TensorSpec) -> TensorSpec:
    return TensorSpec(spec.dtype, spec.shape)


class _LoopValue(Op):
    """A value passed on unchanged across a loop frame's boundary or to the next iteration
    (run by the frame, never as a plan step of its own); it has no static value."""

    input_names = ("data",)
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        return [_without_value(ctx.inputs[0])]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda x: x

    grad = _loop_op_grad


@register
class Enter(_LoopValue):
    """Makes ``data`` available in the loop frame ``frame_name`` (once per iteration when
    ``is_constant``: a loop invariant; otherwise a loop variable's initial value)."""

    op_type = "Enter"
    attr_defaults = {"is_constant": False, "parallel_iterations": 10}

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        frame = ctx.attr("frame_name")
        if not isinstance(frame, (str, bytes)) or not frame:
            ctx.fail("needs a non-empty 'frame_name' attribute (the loop it enters)")
        x = ctx.inputs[0]
        return [x if ctx.attr("is_constant") else _without_value(x)]


@register
class RefEnter(Enter):
    """Enter of a reference (variable) tensor, as TF1 writes for variables read in a loop."""

    op_type = "RefEnter"


@register
class Exit(_LoopValue):
    """Makes a loop variable's final value available outside its frame."""

    op_type = "Exit"


@register
class RefExit(Exit):
    op_type = "RefExit"


@register
class NextIteration(_LoopValue):
    """A loop variable's value for the next iteration (the Merge it feeds reads it)."""

    op_type = "NextIteration"


@register
class RefNextIteration(NextIteration):
    op_type = "RefNextIteration"


@register
class LoopCond(Op):
    """The loop's condition: the loop runs another iteration while ``input`` is true."""

    op_type = "LoopCond"
    input_names = ("input",)
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_bool_scalar(ctx, 0, "the loop condition")
        return [TensorSpec(bool_, ())]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda x: x


def _require_bool_scalar(ctx: InferContext, i: int, what: str) -> None:
    spec = ctx.inputs[i]
    if spec.dtype != bool_:
        ctx.fail(f"{what} {ctx.input_label(i)} must be a bool scalar",
                 "compare to get a bool (e.g. gf.less(i, n)) or gf.cast(x, gf.bool)")
    if spec.shape.rank not in (None, 0):
        ctx.fail(f"{what} {ctx.input_label(i)} must be a scalar (rank 0), got rank "
                 f"{spec.shape.rank}", "reduce it to one bool (gf.reduce_all / reduce_any)")


@register
class Switch(Op):
    """``(output_false, output_true)``: ``data`` goes to output 1 if ``pred`` else output 0;
    the other output is dead."""

    op_type = "Switch"
    input_names = ("data", "pred")
    stateful = True  # its outputs are decided at run time: never folded into constants
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        _require_bool_scalar(ctx, 1, "the predicate")
        x = _without_value(ctx.inputs[0])
        return [x, TensorSpec(x.dtype, x.shape)]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        name, op_type = ctx.name, ctx.op_type

        def switch(data: Any, pred: Any) -> tuple[Any, Any]:
            if np.ndim(pred) != 0:
                raise ctx.invalid(f"the predicate must be a scalar, got shape "
                                  f"{np.shape(pred)}", "reduce it to one bool")
            return (DEAD, data) if pred else (data, DEAD)
        switch.__qualname__ = f"Switch[{name}:{op_type}]"
        return switch

    def grad(self, op: Operation, g_false: Any, g_true: Any) -> list[Any]:
        """Cond: d switch = merge(g_false, g_true) (the taken branch's gradient; a branch
        without one contributes zeros that are dead when it is not taken)."""
        x = op.inputs[0]
        if not x.dtype.is_floating or (g_false is None and g_true is None):
            return [None, None]
        grads = [g if g is not None else array_ops.zeros_like(op.outputs[k])
                 for k, g in enumerate((g_false, g_true))]
        return [merge([op_builder.dense(g) for g in grads], name="cond_grad")[0], None]


@register
class RefSwitch(Switch):
    op_type = "RefSwitch"


@register
class Merge(Op):
    """``(output, value_index)``: the first live input and its index (dead if none is)."""

    op_type = "Merge"
    input_names = ("*inputs",)
    stateful = True  # decided at run time by which input is live: never folded
    returns_alias = True

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        if not ctx.inputs:
            ctx.fail("needs at least one input")
        dtype = ctx.require_same_dtype()
        shape = ctx.inputs[0].shape
        for spec in ctx.inputs[1:]:
            shape = _most_specific_compatible(shape, spec.shape)
        return [TensorSpec(dtype, shape), TensorSpec(int32, ())]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def merge_kernel(*values: Any) -> tuple[Any, Any]:
            for i, v in enumerate(values):
                if v is not DEAD:
                    return v, np.int32(i)
            return DEAD, DEAD
        return merge_kernel

    def grad(self, op: Operation, g: Any, g_index: Any = None) -> list[Any]:
        """Cond: d merge = switch(g, pred): each input gets g on the branch it came from."""
        if g is None:
            return [None] * len(op.inputs)
        g = op_builder.dense(g)
        out: list[Any] = []
        switched: dict[int, tuple[Tensor, Tensor]] = {}
        for t in op.inputs:
            found = branch_of(t)
            if found is None:
                raise GraphBuildError(node_error(
                    op.name, op.type, f"cannot differentiate: input '{t.name}' does not come "
                    "from a branch of a cond (no Switch above it)",
                    "build conditionals with gf.cond"))
            pred, port = found
            if pred.op.index not in switched:
                switched[pred.op.index] = switch(g, pred, name="cond_grad")
            out.append(switched[pred.op.index][port])
        return out


@register
class RefMerge(Merge):
    op_type = "RefMerge"


@register
class ControlTrigger(Op):
    """Does nothing; a target for control edges (TF1 uses it in loop gradients)."""

    op_type = "ControlTrigger"
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        return []

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return lambda: None


def _most_specific_compatible(a: TensorShape, b: TensorShape) -> TensorShape:
    """The shape both ``a`` and ``b`` have: unknown where they differ (TF's Merge rule)."""
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.as_list(), b.as_list())])


def branch_of(t: Tensor, limit: int = 100_000) -> tuple[Tensor, int] | None:
    """``(pred, port)`` of the nearest cond Switch above ``t`` (data and control edges,
    breadth first): the cond branch ``t`` belongs to (port 1: the true branch). A while
    loop's Switch (on a LoopCond) is neither a cond nor passed."""
    seen: set[int] = set()
    queue: deque[tuple[Operation, int | None]] = deque([(t.op, t.value_index)])
    while queue and len(seen) < limit:
        op, port = queue.popleft()
        if op.type in SWITCH_OPS and op.inputs[1].op.type == "LoopCond":
            continue  # the loop's own switch: above it is the previous iteration
        if op.type in SWITCH_OPS and port is not None:
            return op.inputs[1], port
        if op.index in seen:
            continue
        seen.add(op.index)
        if op.type in MERGE_OPS:  # a nested cond's merge: its own switch is not ours
            for x in op.inputs:
                queue.extend(_above_nested_cond(x))
            continue
        queue.extend((x.op, x.value_index) for x in op.inputs)
        queue.extend((c, None) for c in op.control_inputs)
    return None


def _above_nested_cond(t: Tensor) -> list[tuple[Operation, int | None]]:
    found = branch_of(t)
    if found is None:
        return []
    pred, _ = found
    # The nested cond's switches read ``pred``; continue above them (through pred's op).
    return [(pred.op, pred.value_index)]


# -- builders (used by gf.cond / gf.while_loop and by the gradient pass) --------------------

def switch(data: Any, pred: Any, name: str | None = None) -> tuple[Tensor, Tensor]:
    """``(output_false, output_true)`` of a Switch node."""
    data = op_builder.convert_to_tensor(data)
    pred = op_builder.convert_to_tensor(pred, dtype=bool_)
    op = op_builder.apply("Switch", [data, pred], {"T": data.dtype}, name=name or "Switch")
    return op.outputs[0], op.outputs[1]


def merge(inputs: list[Any], name: str | None = None) -> tuple[Tensor, Tensor]:
    """``(output, value_index)`` of a Merge node."""
    tensors = [op_builder.convert_to_tensor(x) for x in inputs]
    op = op_builder.apply("Merge", tensors, {"T": tensors[0].dtype, "N": len(tensors)},
                          name=name or "Merge")
    return op.outputs[0], op.outputs[1]


def enter(data: Tensor, frame_name: str, is_constant: bool = False,
          parallel_iterations: int = 10, name: str | None = None) -> Tensor:
    return op_builder.apply1("Enter", [data], {
        "T": data.dtype, "frame_name": frame_name, "is_constant": is_constant,
        "parallel_iterations": parallel_iterations}, name=name or "Enter")


def exit_(data: Tensor, name: str | None = None) -> Tensor:
    return op_builder.apply1("Exit", [data], {"T": data.dtype}, name=name or "Exit")


def next_iteration(data: Tensor, name: str | None = None) -> Tensor:
    return op_builder.apply1("NextIteration", [data], {"T": data.dtype},
                             name=name or "NextIteration")


def loop_cond(pred: Tensor, name: str | None = None) -> Tensor:
    return op_builder.apply1("LoopCond", [pred], {}, name=name or "LoopCond")
