"""Row chains: a run of row-wise steps around a split product, computed by rows on two threads.

At batch 2048 the window classifier's step runs ``x @ W + b1 -> tanh -> @ U + b2 -> softmax
cross-entropy -> * 1/B -> @ U^T -> TanhGrad -> @ W^T`` between the embedding lookup and
the weight gradients: every value on the way has the batch's rows, and row ``i`` of each
depends only on row ``i`` of the values before it. The parallel schedule splits the two
large products across the threads (two hand-offs to the worker) and runs the ~0.7 ms of
steps between them on the calling thread alone. ``fuse_row_chains`` replaces such a run of
steps with one step whose kernel (``runtime/row_chain.py``) gives the worker the first
``share`` rows of *every* step of the run and computes the other rows on the calling
thread: one hand-off, both cores busy through the element-wise steps too.

A chain is a maximal run of consecutive steps of a memory-planned, parallel-scheduled plan
such that, for one row count R (at least ``2 * parallel.MIN_SPLIT_ROWS``):

  * each step's record reads by rows (``Op.row_inputs`` gives, per input, whether output
    row i reads only row i of it — marked True — or all of it); it is pure (not stateful,
    no ref inputs), not on the worker (no asynchronous window is open over it), and not
    a loop or a guarded step;
  * every input marked by rows and every output has R rows; every output the plan uses
    has a planned buffer (the two threads write their rows into it) and is not fetched;
  * an input read whole is not computed inside the chain;
  * it holds a product the schedule split (``parallel.SPLIT``), and at least two steps.

The memory plan stays as it was made for the steps one after another: a buffer reused
inside the chain is reused row block by row block (every buffer the chain writes has R
rows, and each thread only touches its own rows of each), so it is safe; what the pass
checks is that the chain writes no memory behind any of its inputs (a whole input's buffer
written by the other thread's rows would race, and on a failure the kernel re-runs the
steps whole from intact inputs — ``runtime/row_chain.py``). Otherwise the run is left as
it was.

``share`` (the worker's rows) is cut by the cost model (``parallel.split_rows``) in
multiples of ``ROW_CUT_MULTIPLE``; the runtime uses a cut only where each step's record
says its rows there are bit-identical to one whole call (``Op.rows_match``: a product's two
blocks are checked on this machine's BLAS), and otherwise runs the steps whole, as the plan
without chains would. Off (``ROW_CHAINS``): plans keep their steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from graphflow.compiler import parallel
from graphflow.compiler.plan import Plan, PlanStep, assign_releases
from graphflow.framework.op_registry import KernelContext, Op
from graphflow.framework.resources import RunResources
from graphflow.framework.tensor import TensorSpec

ROW_CHAINS = True
#: The worker's rows are a multiple of this (a product's row blocks keep one product's bits
#: at some cuts and not others: the window step's ``h @ U`` at 1024 of 2048 rows, not 976).
ROW_CUT_MULTIPLE = 64
#: The ``PlanStep.parallel`` mark of a chain's step.
ROWS = "rows"

_NO_RESOURCES = RunResources(seed=0)  # the row marks never read resources


class RowChain(Op):
    """The record of a fused chain step: its inner steps as the plan had them (their
    inputs, outputs, planned buffers and schedule marks) and, per inner step, which of
    its inputs are read by rows. The runtime binds it (``runtime/row_chain.py``)."""

    op_type = "RowChain"
    writes_out = True

    def __init__(self, steps: tuple[PlanStep, ...], marks: tuple[tuple[bool, ...], ...],
                 rows: int) -> None:
        self.steps = steps
        self.marks = marks
        self.rows = rows

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        raise NotImplementedError("a row chain's kernel is bound by runtime.row_chain")

    def describe(self) -> str:
        """How a plan listing shows the fused step (``CompiledPlan.describe``)."""
        inner = ", ".join(f"{st.op_type} {st.name}" for st in self.steps)
        return f"row chain of {len(self.steps)} steps over {self.rows} rows: {inner}"


def fuse_row_chains(plan: Plan) -> Plan:
    """``plan`` with each row chain replaced by one step (see module doc)."""
    steps = plan.steps
    if not ROW_CHAINS or not any(st.parallel == parallel.SPLIT and st.op_type == "MatMul"
                                 for st in steps):
        return plan
    busy = _worker_busy(steps)
    fetched = {s for s in plan.fetches if s is not None}
    chains: list[tuple[int, int, tuple[tuple[bool, ...], ...], int]] = []
    behind: dict[int, set[int]] | None = None  # made for the first chain found
    k = 0
    while k < len(steps):
        found = _chain_from(plan, k, busy, fetched)
        if found is None:
            k += 1
            continue
        end, marks, rows = found
        if behind is None:
            behind = _buffers_behind(steps)
        if _memory_allows(steps[k:end], behind):
            chains.append((k, end, marks, rows))
        k = end
    if not chains:
        return plan
    return _fused(plan, chains, fetched)


def _chain_from(plan: Plan, start: int, busy: set[int], fetched: set[int]
                ) -> tuple[int, tuple[tuple[bool, ...], ...], int] | None:
    """(the end, the row marks of each step, R) of the longest chain starting at step
    ``start`` that qualifies (see module doc), or None."""
    steps = plan.steps
    first = _row_marks(plan, steps[start], busy, start, fetched)
    if first is None:
        return None
    marks, rows = [first[0]], first[1]
    inside = {s for s in steps[start].outputs if s is not None}
    end = start + 1
    while end < len(steps):
        found = _row_marks(plan, steps[end], busy, end, fetched)
        if found is None or found[1] != rows or any(
                s in inside for s, by_rows in zip(steps[end].inputs, found[0]) if not by_rows):
            break
        marks.append(found[0])
        inside.update(s for s in steps[end].outputs if s is not None)
        end += 1
    chain = steps[start:end]
    if len(chain) < 2 or rows < 2 * parallel.MIN_SPLIT_ROWS or not any(
            st.parallel == parallel.SPLIT and st.op_type == "MatMul" for st in chain):
        return None
    return end, tuple(marks), rows


def _row_marks(plan: Plan, step: PlanStep, busy: set[int], index: int, fetched: set[int]
               ) -> tuple[tuple[bool, ...], int] | None:
    """(the step's row marks, its rows R) when it may be in a chain, else None."""
    record = step.record
    if index in busy or step.join is not None or step.parallel not in ("", parallel.SPLIT) \
            or record.stateful or step.refs or record.ref_inputs or \
            len(step.inputs) != len(step.op.inputs) or not step.outputs:
        return None
    specs = plan.slot_specs
    known = len(specs)
    if any(s >= known for s in step.inputs) or any(
            s is not None and (s >= known or s in fetched) for s in step.outputs):
        return None
    ctx = KernelContext(record, step.op.node_def, [specs[s] for s in step.inputs],
                        [specs[s] if s is not None else t.spec
                         for s, t in zip(step.outputs, step.op.outputs)], _NO_RESOURCES)
    marks = record.row_inputs(ctx)
    if marks is None or len(marks) != len(step.inputs) or not any(marks):
        return None
    rows = None
    for slot, buffer in zip(step.outputs, step.out_buffers or (None,) * len(step.outputs)):
        if slot is None:
            continue
        shape = _shape(specs[slot])
        if buffer is None or not shape:
            return None
        if rows is None:
            rows = shape[0]
        elif shape[0] != rows:
            return None
    for slot, by_rows in zip(step.inputs, marks):
        if by_rows:
            shape = _shape(specs[slot])
            if not shape or shape[0] != rows:
                return None
    return (tuple(marks), rows) if rows is not None else None


def _worker_busy(steps: list[PlanStep]) -> set[int]:
    """Indices of the steps during which an asynchronous step may run on the worker (from
    its launch to its join)."""
    busy: set[int] = set()
    for i, st in enumerate(steps):
        if st.join is not None:
            busy.update(range(i, st.join))
    return busy


def _memory_allows(chain: list[PlanStep], behind: dict[int, set[int]]) -> bool:
    """Whether the chain's steps write no buffer behind any of their inputs from outside
    the chain (see module doc; ``behind``: ``_buffers_behind`` of the plan's steps)."""
    written = {b for st in chain for b in st.out_buffers if b is not None}
    for st in chain:  # an input donated to a kernel as work space is written too
        for p in st.donated:
            written |= behind.get(st.inputs[p], set())
    produced = {s for st in chain for s in st.outputs if s is not None}
    return not any(behind.get(s, set()) & written for st in chain
                   for s in st.inputs if s not in produced)


def _buffers_behind(steps: list[PlanStep]) -> dict[int, set[int]]:
    """Per slot produced by ``steps``: the planned buffers its memory may be in (its own,
    or those of the values it is a view of; each slot is produced once)."""
    behind: dict[int, set[int]] = {}
    for st in steps:
        viewed = set().union(*(behind.get(s, set()) for s in st.inputs)) \
            if st.record.returns_alias else set()
        for slot, buffer in zip(st.outputs, st.out_buffers or (None,) * len(st.outputs)):
            if slot is not None:
                behind[slot] = viewed | ({buffer} if buffer is not None else set())
    return behind


def _fused(plan: Plan, chains: list[tuple[int, int, tuple[tuple[bool, ...], ...], int]],
           fetched: set[int]) -> Plan:
    steps = plan.steps
    read_at: dict[int, list[int]] = {}
    for i, st in enumerate(steps):
        for s in st.inputs:
            read_at.setdefault(s, []).append(i)
    new_steps: list[PlanStep] = []
    position: dict[int, int] = {}  # old index -> new index (a chain's steps: its step's)
    starts = {start: (end, marks, rows) for start, end, marks, rows in chains}
    k = 0
    while k < len(steps):
        if k not in starts:
            position[k] = len(new_steps)
            new_steps.append(steps[k])
            k += 1
            continue
        end, marks, rows = starts[k]
        inner = tuple(steps[k:end])
        produced = {s for st in inner for s in st.outputs if s is not None}
        inputs: list[int] = []
        for st in inner:
            inputs.extend(s for s in st.inputs if s not in produced and s not in inputs)
        outputs = tuple(s for st in inner for s in st.outputs if s is not None and (
            s in fetched or any(i >= end for i in read_at.get(s, ()))))
        buffer_of = {s: b for st in inner for s, b in zip(st.outputs, st.out_buffers)}
        cost = sum(parallel.step_cost(plan, st) for st in inner)
        for i in range(k, end):
            position[i] = len(new_steps)
        new_steps.append(inner[0].evolve(
            record=RowChain(inner, marks, rows), inputs=tuple(inputs), outputs=outputs,
            out_buffers=tuple(buffer_of[s] for s in outputs), donated=(),
            parallel=ROWS, join=None, share=cut_rows(rows, cost)))
        k = end
    position[len(steps)] = len(new_steps)
    for i, st in enumerate(new_steps):
        if st.join is not None:
            new_steps[i] = st.evolve(join=position[st.join])
    assign_releases(new_steps, fetched | {s for _, s in plan.feeds} | set(plan.constants))
    return dataclasses.replace(plan, steps=new_steps)


def cut_rows(rows: int, cost: int) -> int:
    """The worker's rows of a chain of ``rows`` rows and ``cost`` (the parallel schedule's
    cost model): fewer than half by the hand-off (``parallel.split_rows``), in multiples of
    ``ROW_CUT_MULTIPLE``; half of them (so rounded) when the model gives none."""
    worker = parallel.split_rows(rows, cost) or rows // 2
    return max(worker - worker % ROW_CUT_MULTIPLE, ROW_CUT_MULTIPLE)


def _shape(spec: TensorSpec) -> tuple[int, ...] | None:
    dims = spec.shape.dims
    if dims is None or None in dims:
        return None
    return tuple(dims)  # type: ignore[arg-type]
