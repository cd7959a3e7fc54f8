"""Inter-op parallelism: which steps of a specialized plan run on a second thread.

With ``CompileOptions(threads=2)`` (``SessionConfig(inter_op_threads=2)``), a plan may hand
large matrix products to one worker thread while the calling thread goes on; numpy releases
the GIL inside BLAS, so both cores compute. Stages of ``schedule``:
  1. heavy steps: the MatMul steps of at least ``MIN_FLOPS`` floating-point operations
     (their specs are concrete here), and the convolutions of ``ASYNC_CONV_OPS`` by their
     products' flops (these only run whole on the worker);
  2. for each, the window it could run in: from just after its inputs and control inputs
     are produced to its first consumer (or first step with it as a control input); when
     it reads variable storage (a slot of a stateful step, or a view of one) the window
     also lies between the stateful steps (updates in place) around it; at most
     ``MAX_WINDOW`` steps;
  3. **overlap**: within its window, the launch point that a cost model (MatMul flops,
     elements read and written otherwise) says finishes the window soonest — the calling
     thread runs the steps before the launch alone (splitting products), then the rest
     while the worker runs the step, which is awaited at the window's end; windows are
     accepted by time saved, never two at once (one worker); pure steps before a launch
     that nothing reads until the window's end move into it, after the launch, within the
     product's time (``SINK_INTO_WINDOWS``);
  4. **split**: every other heavy MatMul outside the accepted windows with at least
     ``2 * MIN_SPLIT_ROWS`` output rows computes its first half of the rows on the worker
     (fewer when the hand-off makes the worker start late: ``split_rows``) and the rest
     on the calling thread, into the same output (the kernel is
     ``MatMul.split_kernel``, which refuses the split when, on this machine's BLAS, the two
     halves are not bit-identical to one product of those shapes); so does a large gather
     of rows (``SPLIT_GATHER_ELEMENTS``; ``GatherV2.split_kernel``, a copy);
  5. **share**: an asynchronous product whose window leaves the calling thread idle (the
     steps beside it cost less than the product, by the cost model) gives its first rows
     back to the calling thread, which computes them at the join while the worker finishes
     the rest (``PlanStep.share``; ``MatMul.shared_kernel``, which refuses when the two
     row blocks are not bit-identical to one product; ``SHARE_WINDOW_PRODUCTS``).

The memory planner keeps an asynchronous step's inputs alive until its join
(``PlanStep.join``), code generation writes the launch and join lines, and the runtime owns
the worker (``runtime.executor``). Results are bit-identical to the serial plan: the same
kernels compute the same values; only where they run changes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from graphflow.compiler.loop_plan import LoopUnit
from graphflow.compiler.plan import Plan, PlanStep, assign_releases, state_slots

#: A MatMul this large (2*m*k*n) is worth a hand-off to the worker (~10-30 us each way).
MIN_FLOPS = 1 << 24
#: A split MatMul gives each thread at least this many output rows.
MIN_SPLIT_ROWS = 128
#: Cost model of the other steps, in flops-equivalents per element read or written
#: (measured against a float32 product on one core: an element-wise pass ~16, a row
#: update of embedding rows, which reads and writes rows at random, ~256); a step that
#: only makes a view (``returns_alias``: Reshape, Identity) costs nothing.
ELEMENT_COST = 16
ROW_UPDATE_COST = 256
ROW_UPDATE_OPS = frozenset({"ScatterSub", "ScatterAdd", "ScatterUpdate", "UnsortedSegmentSum",
                            "SparseApplyMomentum", "SparseApplyAdagrad", "SparseApplyRMSProp",
                            "SparseApplyCenteredRMSProp"})
#: Steps that run before an asynchronous product's launch but that nothing needs until its
#: window ends (the bias gradients' sums, ``dU = h^T @ delta`` of the window classifier) move
#: into the window, after the launch, while the cost model says the calling thread there
#: stays within the product's time: they run while the worker computes. Pure steps only
#: (not stateful, not reading variable storage, not a control input). Off: plan order.
SINK_INTO_WINDOWS = True
#: A gather along axis 0 (``SPLIT_GATHER_OPS``) with at least this many output elements and
#: ``2 * MIN_SPLIT_ROWS`` rows gathers half of its rows on the worker (random row reads from
#: a large table: two cores keep twice the cache misses in flight; the window step's
#: 10k-row embedding lookup took 0.55-0.59 ms split against 0.80-0.83 whole). A copy is
#: the same bytes however it is split.
SPLIT_GATHERS = True  # off: gathers always run on the calling thread
SPLIT_GATHER_ELEMENTS = 1 << 18
SPLIT_GATHER_OPS = frozenset({"GatherV2"})
#: An asynchronous product hands its first rows back to the calling thread when the steps
#: beside it in its window cost less than the product (the two threads then finish about
#: together): ``rows * (product + HAND_OFF_COST - beside) / (2 * product)`` rows, in
#: multiples of ``SHARE_ROW_MULTIPLE``, at least ``MIN_SHARE_ROWS`` on each side. The
#: hand-off (``HAND_OFF_COST``: the worker starts ~50-100 us late on these VMs; fixed row
#: cuts of the B=2048 window step measured best at 0.465-0.477 of a split product's rows
#: for the worker and 32-48 of dW's 250 for the calling thread) counts against the worker.
#: Off: the worker computes every row.
SHARE_WINDOW_PRODUCTS = True
#: A split product's worker takes fewer rows than the calling thread, by the hand-off
#: (``split_rows``). Off: half each.
UNEVEN_SPLITS = True
HAND_OFF_COST = 1 << 23
MIN_SHARE_ROWS = 16
SHARE_ROW_MULTIPLE = 8
#: Convolutions (im2col, then one BLAS product) are heavy steps too, by their product's
#: flops: one may run whole on the worker beside independent steps (a convolution's two
#: gradients do not depend on each other); never split. Off: an empty set.
ASYNC_CONV_OPS = frozenset({"Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"})
#: A window is searched over at most this many steps (keeps the pass linear on big plans).
MAX_WINDOW = 512

ASYNC, SPLIT = "async", "split"


def schedule(plan: Plan) -> Plan:
    """A copy of ``plan`` with asynchronous steps moved to where they launch (``PlanStep.
    parallel == ASYNC``, ``join`` = the index of the step before which they are awaited, or
    ``len(steps)``: before returning) and large products marked ``SPLIT`` (see module doc)."""
    steps = list(plan.steps)
    costs = [step_cost(plan, st) for st in steps]
    heavy = [i for i, st in enumerate(steps)
             if (st.op_type == "MatMul" or st.op_type in ASYNC_CONV_OPS) and
             costs[i] >= MIN_FLOPS]
    gathers = [i for i, st in enumerate(steps) if SPLIT_GATHERS and
               st.op_type in SPLIT_GATHER_OPS and _output_size(plan, st) >= SPLIT_GATHER_ELEMENTS]
    if not heavy and not gathers:
        return plan
    state = state_slots(steps)
    producer = {s: i for i, st in enumerate(steps) for s in st.outputs if s is not None}
    splittable = {i for i in heavy + gathers if steps[i].op_type not in ASYNC_CONV_OPS and
                  _rows(plan, steps[i]) >= 2 * MIN_SPLIT_ROWS}
    # Main-thread time of a step outside every window: a split product takes half.
    alone = [c // 2 if i in splittable else c for i, c in enumerate(costs)]
    windows = []  # (time saved, step, launch, end)
    index_of = {st.op.index: k for k, st in enumerate(steps)}
    last_stateful, previous = [], -1  # per position: the last stateful step before it
    for k, st in enumerate(steps):
        last_stateful.append(previous)
        if st.record.stateful or st.refs:
            previous = k
    for i in heavy:
        start = _window_start(steps, i, state, producer, index_of, last_stateful[i])
        end = _window_end(steps, i, state, start + MAX_WINDOW)
        found = _best_launch(i, start, end, costs, alone)
        if found is not None:
            windows.append((*found, i, end))
    accepted: list[tuple[int, int, int]] = []  # (step, launch, end)
    for _, launch, i, end in sorted(windows, key=lambda w: (-w[0], w[2])):
        if all(end <= s or e <= launch for _, s, e in accepted):
            accepted.append((i, launch, end))
    inside = {k for _, s, e in accepted for k in range(s, e)}
    marks: dict[int, str] = {i: ASYNC for i, _, _ in accepted}
    for i in sorted(splittable):
        if i not in marks and i not in inside:
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
    if SINK_INTO_WINDOWS:
        order = _sink_into_windows(order, steps, accepted, marks, costs, state, producer)
    position = {old: new for new, old in enumerate(order)}
    position[len(steps)] = len(steps)
    new_steps = []
    for old in order:
        st = steps[old]
        mark = marks.get(old, "")
        join, share = None, 0
        if mark == ASYNC:
            end = end_of[old]
            join = position[end] if end < len(steps) else len(steps)
            beside = sum(costs[k] for k in order[position[old] + 1:join])
            share = main_share(_rows(plan, st), costs[old], beside) \
                if st.op_type == "MatMul" else 0
        elif mark == SPLIT and st.op_type == "MatMul":
            share = split_rows(_rows(plan, st), costs[old])
        new_steps.append(st.evolve(parallel=mark, join=join, share=share))
    assign_releases(new_steps, {s for s in plan.fetches if s is not None} |
                    {s for _, s in plan.feeds} | set(plan.constants))
    return dataclasses.replace(plan, steps=new_steps)


def main_share(rows: int, product: int, beside: int) -> int:
    """How many of an asynchronous product's first ``rows`` the calling thread computes at
    the join (see ``SHARE_WINDOW_PRODUCTS``), given the product's cost and that of the
    calling thread's steps in its window; 0: none."""
    if not SHARE_WINDOW_PRODUCTS or product <= 0:
        return 0
    share = rows * (product + HAND_OFF_COST - beside) // (2 * product)
    share -= share % SHARE_ROW_MULTIPLE
    return share if MIN_SHARE_ROWS <= share <= rows - MIN_SHARE_ROWS else 0


def split_rows(rows: int, product: int) -> int:
    """How many of a split product's first ``rows`` the worker computes: the threads finish
    together when it takes ``rows * (product - HAND_OFF_COST) / (2 * product)`` (it starts
    a hand-off late), in multiples of ``SHARE_ROW_MULTIPLE`` and at least
    ``MIN_SPLIT_ROWS`` on each side; 0 (half of them) with ``UNEVEN_SPLITS`` off."""
    if not UNEVEN_SPLITS or product <= 0:
        return 0
    worker = rows * max(product - HAND_OFF_COST, 0) // (2 * product)
    worker -= worker % SHARE_ROW_MULTIPLE
    return worker if MIN_SPLIT_ROWS <= worker <= rows - MIN_SPLIT_ROWS else 0


def _sink_into_windows(order: list[int], steps: list[PlanStep],
                       accepted: list[tuple[int, int, int]], marks: dict[int, str],
                       costs: list[int], state: set[int], producer: dict[int, int]
                       ) -> list[int]:
    """``order`` (old step indices) with, for each accepted window, the pure steps before its
    launch that nothing reads before the window moved to just after the launch (in their
    order), as long as the calling thread's cost in the window stays within the product's.
    Steps are visited from the launch backwards, so a step moves only if each of its
    readers comes after the launch or moves too."""
    readers: dict[int, list[int]] = {}
    for k, st in enumerate(steps):
        for s in st.inputs:
            p = producer.get(s)
            if p is not None:
                readers.setdefault(p, []).append(k)
    controls = {c.index for st in steps for c in st.op.control_inputs}
    for i, launch, end in accepted:
        budget = costs[i] - sum(costs[k] for k in range(launch, end) if k != i)
        at = order.index(i)
        moved: set[int] = set()
        for pos in range(at - 1, max(at - 1 - MAX_WINDOW, -1), -1):
            k = order[pos]
            st = steps[k]
            if k in marks or costs[k] > budget or st.record.stateful or st.refs or \
                    isinstance(st.op, LoopUnit) or st.op.index in controls or \
                    any(s in state for s in st.inputs):
                continue
            if all((r >= launch and r != i) or r in moved for r in readers.get(k, ())):
                moved.add(k)
                budget -= costs[k]
        if moved:
            kept = [k for k in order if k not in moved]
            at = kept.index(i) + 1
            order = kept[:at] + [k for k in order if k in moved] + kept[at:]
    return order


def _best_launch(i: int, start: int, end: int, costs: list[int], alone: list[int]
                 ) -> tuple[int, int] | None:
    """(time saved, launch position) of the best place in ``[start, end)`` to hand step
    ``i`` to the worker, by the cost model: before the launch the calling thread runs the
    steps alone (splitting products); from it to ``end`` it runs the rest while the worker
    runs step ``i``. None when no launch beats running the window serially."""
    serial = sum(alone[k] for k in range(start, end))
    after = sum(costs[k] for k in range(start, end) if k != i)
    before = 0
    best: tuple[int, int] | None = None
    for launch in range(start, end):
        finish = before + max(after, costs[i])
        if serial - finish > 0 and (best is None or serial - finish > best[0]):
            best = (serial - finish, launch)
        if launch != i:
            before += alone[launch]
            after -= costs[launch]
    return best


def _window_start(steps: list[PlanStep], i: int, state: set[int], producer: dict[int, int],
                  index_of: dict[Any, int], last_stateful: int) -> int:
    """The earliest position step ``i`` may move to: after the producers of its inputs and
    of its control inputs — and, when it reads variable storage, after every stateful step
    before it (which may have updated that storage in place)."""
    step = steps[i]
    after = [producer.get(s, -1) for s in step.inputs]
    after += [index_of.get(c.index, -1) for c in step.op.control_inputs]
    if any(s in state for s in step.inputs):
        after.append(last_stateful)
    return max(after + [-1]) + 1


def _window_end(steps: list[PlanStep], i: int, state: set[int], limit: int) -> int:
    """The first step after ``i`` that needs its outputs or has it as a control input — or,
    when it reads variable storage, that may update state in place (a stateful step);
    at most ``limit`` (an earlier join is always safe), ``len(steps)`` if none."""
    outs = {s for s in steps[i].outputs if s is not None}
    op = steps[i].op
    reads_state = any(s in state for s in steps[i].inputs)
    last = min(limit, len(steps))
    for k in range(i + 1, last):
        st = steps[k]
        if outs.intersection(st.inputs) or (reads_state and (st.record.stateful or st.refs)) \
                or any(c is op for c in st.op.control_inputs):
            return k
    return last


def step_cost(plan: Plan, step: PlanStep) -> int:
    """The cost model's time of ``step`` in flops-equivalents (see ``ELEMENT_COST``):
    a product's or a convolution's flops, else the elements it reads and writes; 0 when
    a shape is not known."""
    shapes = [_shape(plan, s) for s in (*step.inputs, *step.outputs) if s is not None]
    if any(shape is None for shape in shapes):
        return 0
    if step.op_type == "MatMul" and len(step.outputs) == 1 and step.outputs[0] is not None:
        out = _shape(plan, step.outputs[0])
        a = _shape(plan, step.inputs[0])
        if out is not None and a is not None and len(out) == 2 and len(a) == 2:
            k = a[0] if step.op.get_attr("transpose_a") else a[1]
            return 2 * out[0] * out[1] * k
    if step.op_type in ASYNC_CONV_OPS:
        return _conv_flops(plan, step)
    if step.op_type in ROW_UPDATE_OPS:  # the rows it is given (its variable is a ref)
        return ROW_UPDATE_COST * sum(_size(shape) for shape in
                                     (_shape(plan, s) for s in step.inputs) if shape)
    if step.record.returns_alias:
        return 0
    return ELEMENT_COST * sum(_size(shape) for shape in shapes if shape is not None)


def _conv_flops(plan: Plan, step: PlanStep) -> int:
    """2 * (output positions x output channels) * (kernel height x width x input
    channels): the flops of a convolution's product, or of either of its gradients'
    (filters are [KH, KW, C, M] in either data format)."""
    forward = step.op_type == "Conv2D"
    if len(step.inputs) < (2 if forward else 3) or not step.outputs or \
            step.outputs[0] is None:
        return 0
    big = _shape(plan, step.outputs[0] if forward else step.inputs[2])
    filt = _shape(plan, step.outputs[0] if step.op_type == "Conv2DBackpropFilter"
                  else step.inputs[1])
    if big is None or filt is None or len(filt) != 4 or not filt[3]:
        return 0
    return 2 * _size(big) * (_size(filt) // filt[3])


def _rows(plan: Plan, step: PlanStep) -> int:
    out = _shape(plan, step.outputs[0]) if step.outputs and step.outputs[0] is not None \
        else None
    return out[0] if out else 0


def _output_size(plan: Plan, step: PlanStep) -> int:
    out = _shape(plan, step.outputs[0]) if step.outputs and step.outputs[0] is not None \
        else None
    return _size(out) if out is not None else 0


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
