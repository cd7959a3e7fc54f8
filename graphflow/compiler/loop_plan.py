"""Plan steps for control flow: a whole while loop as one step, and dead-value guards.

A loop frame (``compiler/frames.py``) becomes one ``PlanStep`` whose ``op`` is a
``LoopUnit``: it reads the loop's outer inputs (initial values, invariants, captures) and
produces its Exit values. The unit carries two sub-plans compiled by the same pipeline:
  * ``cond_plan``: the LoopCond's input from the loop variables (fed at the Merges);
  * ``body_plan``: the NextIteration inputs from the variables (fed at the Switches' true
    sides), plus every stateful op of the frame (stack pushes, TensorArray writes) as a
    target, so it runs once per iteration;
the runtime (``runtime/loops.py``) runs them, specialized per shape, until the condition
is false. Nested loops are loop steps of their parent's sub-plans.

A step downstream of a cond's Switch may receive a dead value: ``GuardedRecord`` wraps its
record so the kernel is skipped (its outputs dead) when an input or a control input is
dead; it is stateful, so no pass folds it, aliases it away or drops it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphflow.compiler.frames import LoopParts
from graphflow.framework.dtypes import bool_
from graphflow.framework.op_registry import InferContext, KernelContext, Op
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops.control_flow_ops import DEAD
from graphflow.proto import node_def_pb2


@dataclass(eq=False)
class LoopUnit:
    """A while loop as one node of its parent plan (quacks like an ``Operation``)."""

    parts: LoopParts
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    output_vars: tuple[int, ...]  # loop variable index of each output
    index: int  # the LoopCond's op index: unique among the parent plan's nodes
    cond_plan: Any = None
    body_plan: Any = None
    control_inputs: tuple[Operation, ...] = ()
    node_def: node_def_pb2.NodeDef = field(default_factory=node_def_pb2.NodeDef)

    type = "WhileLoop"

    def __post_init__(self) -> None:
        self.node_def.name = self.name
        self.node_def.op = self.type

    @property
    def name(self) -> str:
        return self.parts.frame.name

    @property
    def graph(self) -> Any:
        return self.parts.loop_cond.graph

    @property
    def num_variables(self) -> int:
        return len(self.parts.variables)

    def describe(self) -> str:
        lines = [f"while loop '{self.name}': {self.num_variables} variables, "
                 f"{len(self.parts.invariants)} invariants, {len(self.parts.captures)} "
                 f"captured tensors"]
        for title, plan in (("condition", self.cond_plan), ("body", self.body_plan)):
            lines.append(f"  {title}:")
            lines.extend("    " + line for line in plan.describe().splitlines())
        return "\n".join(lines)


class LoopRecord(Op):
    """The record of one loop step (an instance per loop, never registered)."""

    op_type = "WhileLoop"
    stateful = True
    returns_alias = True  # a loop that runs zero times returns its inputs
    retains_inputs = True  # its body may push an input onto a stack (loop gradients)
    differentiable = False

    def __init__(self, unit: LoopUnit) -> None:
        self.unit = unit
        # Per-instance values of what records declare per class (one record per loop).
        vars(self)["input_names"] = tuple(f"input{i}" for i in range(len(unit.inputs)))

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        return [TensorSpec(t.dtype, t.shape) for t in self.unit.outputs]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        raise RuntimeError("a loop step is bound by the runtime (runtime/loops.py)")


class GuardedRecord(Op):
    """``inner``'s record for a step that may receive a dead value (see module doc).

    The step's inputs are the op's inputs, then one liveness token per dead-able control
    input; with ``token_out`` its outputs end with its own liveness token."""

    stateful = True
    returns_alias = True
    writes_out = False

    def __init__(self, inner: Op, dead_positions: tuple[int, ...], num_tokens: int,
                 token_out: bool) -> None:
        self.inner = inner
        # Per-instance copies of what the wrapped record declares per class.
        vars(self).update(op_type=inner.op_type, input_names=inner.input_names,
                          attr_defaults=inner.attr_defaults, ref_inputs=inner.ref_inputs,
                          differentiable=inner.differentiable,
                          retains_inputs=inner.retains_inputs,
                          calls_blas=inner.calls_blas)
        self.dead_positions = dead_positions
        self.num_tokens = num_tokens
        self.token_out = token_out

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        specs = self.inner.infer(ctx)
        return [*specs, TensorSpec(bool_, ())] if self.token_out else specs

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        # ctx.outputs: the op's own outputs (the token is not among them)
        return self.guard(self.inner.kernel(ctx), len(ctx.outputs))

    def guard(self, inner: Callable[..., Any], n_out: int) -> Callable[..., Any]:
        """``inner`` (a kernel with ``n_out`` outputs), skipped when a value is dead."""
        positions = self.dead_positions
        tokens = self.num_tokens
        token_out = self.token_out
        dead_result: Any = (DEAD,) * (n_out + (1 if token_out else 0))
        if len(dead_result) == 1:
            dead_result = DEAD
        n_data = None  # number of data arguments, fixed at the first call

        def guarded(*args: Any) -> Any:
            nonlocal n_data
            if n_data is None:
                n_data = len(args) - tokens
            for i in positions:
                if args[i] is DEAD:
                    return dead_result
            for token in args[n_data:]:
                if token is DEAD:
                    return dead_result
            result = inner(*args[:n_data])
            if not token_out:
                return result
            if n_out == 0:
                return True
            if n_out == 1:
                return result, True
            return (*result, True)
        return guarded
