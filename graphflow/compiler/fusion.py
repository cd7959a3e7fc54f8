"""Fusion of a scalar product into the row update that consumes it.

Sparse SGD writes ``ScatterSub(E, ids, Mul(rows, learning_rate))`` (``GradientDescent``'s
``update_E/Mul``): the Mul step writes the scaled rows out whole (2 MB for the window
classifier's 10,240 rows of 50 floats at batch 2048), and the row update reads them back.
``fuse_scaled_row_updates`` drops such a Mul step and lets the row update compute the
product itself, a chunk of rows at a time while the chunk is in cache
(``ops.state_ops._Scatter.scaled_kernel``, ``ops.row_updates.RowUpdate``). A product is
fused when:

  * the update is a ScatterAdd/ScatterSub and its updates come from a Mul step;
  * one operand of the Mul is a plan constant of shape () — a float16/32/64 scalar, so
    the product is element-wise IEEE multiplication, the same bits however it is chunked;
  * the other operand is a slot that cannot share memory with variable storage (the
    update writes a variable while it reads the operand: ``plan.state_slots``);
  * nothing else reads the product, and neither it nor the Mul op is fetched.

The fused step keeps the update's node (errors name it) and reads the Mul's operand as its
updates; the operands' order is kept (``constant * x`` or ``x * constant``). Not run under
``check_numerics`` (the NaN/Inf origin must be the Mul step). Off: every Mul step runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.compiler.plan import Plan, PlanStep, assign_releases, state_slots
from graphflow.framework.op_registry import InferContext, KernelContext, Op
from graphflow.framework.tensor import TensorSpec

FUSE_SCALED_ROW_UPDATES = True
_ROW_UPDATES = frozenset({"ScatterAdd", "ScatterSub"})
_FLOAT_CHARS = frozenset("efd")  # numpy float16/32/64
#: What a record declares per class (op_registry.Op), copied from the wrapped record.
_DECLARED = ("op_type", "input_names", "attr_defaults", "differentiable",
             "passes_indexed_slices", "stateful", "ref_inputs", "returns_alias", "writes_out",
             "retains_inputs", "inplace_inputs", "scratch_inputs", "calls_blas")


class ScaledRowUpdate(Op):
    """``inner``'s record (a ScatterAdd/ScatterSub) applied to ``constant * updates``."""

    def __init__(self, inner: Op, constant: np.ndarray, constant_first: bool) -> None:
        self.inner = inner
        vars(self).update({name: getattr(inner, name) for name in _DECLARED})
        self.constant = constant
        self.constant_first = constant_first

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        return self.inner.infer(ctx)

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        return self.inner.scaled_kernel(ctx, self.constant,  # type: ignore[attr-defined]
                                        self.constant_first)

    def describe(self) -> str:
        """How a plan listing shows the fused step (``CompiledPlan.describe``)."""
        value = f"{self.constant} ({self.constant.dtype})"
        product = f"{value} * updates" if self.constant_first else f"updates * {value}"
        return f"fused Mul: applies {product}"


def fuse_scaled_row_updates(plan: Plan) -> Plan:
    """``plan`` with each fusable Mul step folded into its row update (see module doc)."""
    steps = plan.steps
    # (the record's op type: a class attribute, where ``PlanStep.op_type`` reads the NodeDef)
    if not FUSE_SCALED_ROW_UPDATES or \
            not any(getattr(st.record, "op_type", "") in _ROW_UPDATES for st in steps):
        return plan
    readers: dict[int, int] = {}
    for st in steps:
        for s in st.inputs:
            readers[s] = readers.get(s, 0) + 1
    producer = {s: k for k, st in enumerate(steps) for s in st.outputs if s is not None}
    fetched = {s for s in plan.fetches if s is not None}
    state = state_slots(steps)
    fused: dict[int, PlanStep] = {}  # update step -> its fused replacement
    dropped: set[int] = set()
    for k, st in enumerate(steps):
        if st.op_type not in _ROW_UPDATES or len(st.inputs) != 2 or \
                isinstance(st.record, ScaledRowUpdate):
            continue
        indices, updates = st.inputs
        m = producer.get(updates)
        if m is None or steps[m].op_type != "Mul" or readers.get(updates) != 1 or \
                updates in fetched or steps[m].op.index in plan.targets:
            continue
        found = _scalar_operand(plan, steps[m])
        if found is None or found[1] in state:
            continue
        constant, operand, constant_first = found
        record = ScaledRowUpdate(st.record, constant, constant_first)
        fused[k] = st.evolve(record=record, inputs=(indices, operand))
        dropped.add(m)
    if not fused:
        return plan
    new_steps = [fused.get(k, st) for k, st in enumerate(steps) if k not in dropped]
    assign_releases(new_steps, fetched | {s for _, s in plan.feeds} | set(plan.constants))
    return dataclasses.replace(plan, steps=new_steps)


def _scalar_operand(plan: Plan, mul: PlanStep) -> tuple[np.ndarray, int, bool] | None:
    """(the scalar constant, the other operand's slot, whether the constant comes first)
    of a Mul step by a float16/32/64 scalar plan constant; None otherwise."""
    if len(mul.inputs) != 2 or mul.outputs[0] is None:
        return None
    a, b = mul.inputs
    for constant_slot, operand, first in ((a, b, True), (b, a, False)):
        value = plan.constants.get(constant_slot)
        if value is None or operand in plan.constants:
            continue
        value = np.asarray(value)
        if value.shape == () and value.dtype.char in _FLOAT_CHARS:
            return value, operand, first
    return None
