"""Inter-op parallelism: which steps of a specialized plan run on a second thread.

With ``CompileOptions(threads=2)`` (``SessionConfig(inter_op_threads=2)``), a plan may hand
large matrix products to one worker thread while the calling thread goes on; numpy releases
the GIL inside BLAS, so both cores compute. Stages of ``schedule``:
  1. heavy steps: the MatMul steps of at least ``MIN_FLOPS`` floating-point operations
     (their specs are concrete here);
  2. for each, the window it could run in: from just after its inputs are produced (it is
     moved there) to its first consumer — earlier when it reads variable storage (a slot of
     a stateful step, or a view of one) and a stateful step (an update in place) comes first;
     the main thread's work in that window is estimated (MatMul flops, elements otherwise);
  3. **overlap**: the step with the most main-thread work in its window (at least half its
     own flops) runs asynchronously there — launched at the window's start, joined before
     its end — then the next best whose window does not intersect an accepted one, with at
     most one step in flight at a time (one worker);
  4. **split**: every other heavy MatMul outside those windows with at least
     ``2 * MIN_SPLIT_ROWS`` output rows computes its first half of the rows on the worker
     and the rest on the calling thread, into the same output (the kernel is
     ``MatMul.split_kernel``, which refuses the split when, on this machine's BLAS, the two
     halves are not bit-identical to one product of those shapes).

The memory planner keeps an asynchronous step's inputs alive until its join
(``PlanStep.join``), code generation writes the launch and join lines, and the runtime owns
the worker (``runtime.executor``). Results are bit-identical to the serial plan: the same
kernels compute the same values; only where they run changes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from graphflow.compiler.plan import Plan, PlanStep

#: A MatMul this large (2*m*k*n) is worth a hand-off to the worker (~10-30 us each way).
MIN_FLOPS = 1 << 24
#: A split MatMul gives each thread at least this many output rows.
MIN_SPLIT_ROWS = 128
#: Estimated cost of a non-MatMul step per element it reads or writes, in flops.
ELEMENT_COST = 8

ASYNC, SPLIT = "async", "split"


def schedule(plan: Plan) -> Plan:
    """A copy of ``plan`` with asynchronous steps moved to where they launch (``PlanStep.
    parallel == ASYNC``, ``join`` = the index of the step before which they are awaited, or
    ``len(steps)``: before returning) and large products marked ``SPLIT`` (see module doc)."""
    steps = list(plan.steps)
    costs = [_cost(plan, st) for st in steps]
    heavy = [i for i, st in enumerate(steps) if st.op_type == "MatMul" and costs[i] >= MIN_FLOPS]
    if not heavy:
        return plan
    state = _state_slots(steps)
    producer = {s: i for i, st in enumerate(steps) for s in st.outputs if s is not None}
    windows = []
    for i in heavy:
        start = max([producer.get(s, -1) for s in steps[i].inputs] + [-1]) + 1
        end = _window_end(steps, i, state)
        work = sum(costs[k] for k in range(start, end) if k != i)
        if work * 2 >= costs[i]:
            windows.append((work, i, start, end))
    accepted: list[tuple[int, int, int]] = []  # (step, start, end)
    # The most work hidden first: min(main-thread work, the step's own), then the most slack.
    for _, i, start, end in sorted(windows, key=lambda w: (-min(w[0], costs[w[1]]), -w[0], w[1])):
        if all(end <= s or e <= start for _, s, e in accepted):
            accepted.append((i, start, end))
    inside = {k for _, s, e in accepted for k in range(s, e)}
    marks: dict[int, str] = {i: ASYNC for i, _, _ in accepted}
    for i in heavy:
        if i not in marks and i not in inside and _rows(plan, steps[i]) >= 2 * MIN_SPLIT_ROWS:
            marks[i] = SPLIT
    if not marks:
        return plan
    # Move each asynchronous step to the start of its window; ``join`` is the index (in the
    # new order) of the step that ends the window.
    launch_at = {start: i for i, start, _ in accepted}
    end_of = {i: end for i, _, end in accepted}
    order: list[int] = []
    for k in range(len(steps)):
        if k in launch_at:
            order.append(launch_at[k])
        if marks.get(k) != ASYNC:
            order.append(k)
    position = {old: new for new, old in enumerate(order)}
    position[len(steps)] = len(steps)
    new_steps = []
    for old in order:
        st = steps[old]
        mark = marks.get(old, "")
        join = None
        if mark == ASYNC:
            end = end_of[old]
            join = position[end] if end < len(steps) else len(steps)
        new_steps.append(dataclasses.replace(st, parallel=mark, join=join))
    _assign_releases(new_steps, plan)
    return dataclasses.replace(plan, steps=new_steps)


def _assign_releases(steps: list[PlanStep], plan: Plan) -> None:
    """Releases as ``plan.assign_releases`` computes them, with an asynchronous step's
    reads counted at its join (its join line deletes what it read last)."""
    keep = {s for s in plan.fetches if s is not None} | {s for _, s in plan.feeds} | \
        set(plan.constants)
    last: dict[int, int] = {}
    reader: dict[int, int] = {}
    for i, st in enumerate(steps):
        at = st.reads_until(i)
        for s in st.inputs:
            if at >= last.get(s, -1):
                last[s], reader[s] = at, i
    per_step: dict[int, list[int]] = {}
    for s, i in reader.items():
        if s not in keep:
            per_step.setdefault(i, []).append(s)
    for i, st in enumerate(steps):
        st.release = tuple(sorted(per_step.get(i, ())))


def _window_end(steps: list[PlanStep], i: int, state: set[int]) -> int:
    """The first step after ``i`` that needs its outputs — or, when it reads variable
    storage, that may update state in place (a stateful step); ``len(steps)`` if none."""
    outs = {s for s in steps[i].outputs if s is not None}
    reads_state = any(s in state for s in steps[i].inputs)
    for k in range(i + 1, len(steps)):
        st = steps[k]
        if outs.intersection(st.inputs) or (reads_state and (st.record.stateful or st.refs)):
            return k
    return len(steps)


def _state_slots(steps: list[PlanStep]) -> set[int]:
    """Slots that may share memory with variable storage: outputs of stateful steps, and
    outputs of steps that may return a view of such a slot."""
    state: set[int] = set()
    for st in steps:
        if st.record.stateful or st.refs or (st.record.returns_alias and
                                             any(s in state for s in st.inputs)):
            state.update(s for s in st.outputs if s is not None)
    return state


def _cost(plan: Plan, step: PlanStep) -> int:
    shapes = [_shape(plan, s) for s in (*step.inputs, *step.outputs) if s is not None]
    if any(shape is None for shape in shapes):
        return 0
    if step.op_type == "MatMul" and len(step.outputs) == 1 and step.outputs[0] is not None:
        out = _shape(plan, step.outputs[0])
        a = _shape(plan, step.inputs[0])
        if out is not None and a is not None and len(out) == 2 and len(a) == 2:
            k = a[0] if step.op.get_attr("transpose_a") else a[1]
            return 2 * out[0] * out[1] * k
    return ELEMENT_COST * sum(_size(shape) for shape in shapes if shape is not None)


def _rows(plan: Plan, step: PlanStep) -> int:
    out = _shape(plan, step.outputs[0]) if step.outputs and step.outputs[0] is not None \
        else None
    return out[0] if out else 0


def _shape(plan: Plan, slot: int) -> tuple[int, ...] | None:
    if slot >= len(plan.slot_specs):
        return None
    shape: Any = plan.slot_specs[slot].shape
    return tuple(shape.as_list()) if shape.is_fully_defined() else None


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
