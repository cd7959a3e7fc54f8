"""Memory planning: preallocated output buffers, reused across runs and between tensors.

Stages of ``plan_buffers`` (on a specialized plan, whose slots have concrete shapes):
  1. roots: a step whose record may return a view of its inputs (``returns_alias``) keeps
     those inputs' memory alive, so its output's *roots* are its inputs' roots; every other
     output is its own root;
  2. lifetimes: a root lives until the last step that reads any slot sharing it (a step
     running on the worker thread reads its inputs until its join); roots that
     are fetched (returned to the caller), fed, or kept by a kernel past its step
     (``retains_inputs``: a stack push) are never given a planned buffer;
  3. assignment: walking the steps in order, each output of a record that writes into
     ``ctx.out`` (``writes_out``) with a concrete shape gets a buffer of exactly its
     (shape, dtype) from the free pool (or a new one); after the step, buffers whose roots
     died return to the pool. A buffer is never handed out while any tensor in it is live;
     a step's output shares no memory with its inputs, except that an element-wise step
     (one numpy ufunc, or a record's ``inplace_inputs``) may write into the buffer of an
     input read for the last time there (``INPLACE_OUTPUTS``);
  4. donation: an input a record lists in ``scratch_inputs`` whose planned buffer dies at
     the step (and is not the step's output) is donated to the kernel as work space
     (``PlanStep.donated``, ``DONATE_INPUTS``).
The session allocates the buffers once per compiled plan, so steady-state runs allocate
(almost) nothing for these tensors: no page faults, and peak memory is the pool's size.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import numpy as np

from graphflow.compiler.plan import Plan
from graphflow.ops import op_base

_NEVER = 1 << 62  # "lives past the end of the run" (fetched)
_UNSET: Any = object()

#: Let an element-wise step (one numpy ufunc) write its output into the buffer of an input
#: that dies at that step (same shape and dtype), instead of taking a second buffer: less
#: memory traffic for (B, H) chains. Off: outputs never share an input's buffer (tests
#: compare the two).
INPLACE_OUTPUTS = True
#: Let a kernel overwrite an input it lists in ``scratch_inputs`` when that input's planned
#: buffer dies at the step (e.g. ApplyGradientDescent scales the weight gradient in place
#: instead of into a second array of the weight's size). Off: nothing is donated (tests
#: compare the two).
DONATE_INPUTS = True


def plan_buffers(plan: Plan) -> Plan:
    """A copy of ``plan`` with ``buffers`` and per-step ``out_buffers`` filled in."""
    # roots: only for outputs that may share memory with their inputs (alias or stateful
    # records); every other slot's root is itself alone (``_roots_of``).
    roots: dict[int, frozenset[int]] = {}
    for step in plan.steps:
        record = step.record
        if record.returns_alias or record.stateful:
            inputs_roots = frozenset(r for s in step.inputs for r in _roots_of(s, roots))
            for o in step.outputs:
                if o is not None:
                    roots[o] = inputs_roots | {o}

    last: dict[int, int] = {}
    for i, step in enumerate(plan.steps):
        until = step.reads_until(i)  # an asynchronous step reads its inputs until its join
        for s in step.inputs:
            shared = roots.get(s)
            for r in (s,) if shared is None else shared:
                if last.get(r, -1) < until:
                    last[r] = until
    for fetched in plan.fetches:
        if fetched is not None:
            for r in _roots_of(fetched, roots):
                last[r] = _NEVER
    for step in plan.steps:  # values a kernel keeps (stack pushes) must own their memory
        if step.record.retains_inputs:
            for s in step.inputs:
                for r in _roots_of(s, roots):
                    last[r] = _NEVER

    buffers: list[tuple[tuple[int, ...], Any]] = []
    pool: dict[tuple[tuple[int, ...], Any], list[int]] = {}
    owner: dict[int, int] = {}  # root slot -> buffer id
    dying_at: dict[int, list[int]] = {}
    elementwise: dict[int, bool] = {}  # id(record) -> _elementwise(record)
    writes: dict[int, bool] = {}  # id(record) -> record.writes_out (a property for some)
    keys: dict[int, Any] = {}  # id(spec) -> _key (specs are shared by many slots)
    specs = plan.slot_specs
    steps = []
    for i, step in enumerate(plan.steps):
        record = step.record
        writes_out = writes.get(id(record))
        if writes_out is None:
            writes_out = writes[id(record)] = bool(record.writes_out)
        assigned: list[int | None] = []
        for o in step.outputs:
            key = None
            if writes_out and o is not None and o < len(specs):
                spec = specs[o]
                key = keys.get(id(spec), _UNSET)
                if key is _UNSET:
                    key = keys[id(spec)] = _key(spec)
            if o is None or key is None or last.get(o, -1) in (_NEVER, -1):
                assigned.append(None)
                continue
            reused = None
            if INPLACE_OUTPUTS:
                every = elementwise.get(id(record))
                if every is None:
                    every = elementwise[id(record)] = _elementwise(record)
                reused = _dying_input(step, i, key, roots, owner, last, buffers, every)
            free = pool.get(key)
            if reused is not None:  # the output takes over a dying input's buffer
                b = owner[reused]
                dying_at[i].remove(reused)
            elif free:
                b = free.pop()
            else:
                b = len(buffers)
                buffers.append(key)
            assigned.append(b)
            owner[o] = b
            dying_at.setdefault(last[o], []).append(o)
        donated = _donated(step, i, roots, owner, last, assigned) if DONATE_INPUTS else ()
        steps.append(step.evolve(out_buffers=tuple(assigned), donated=donated))
        for r in dying_at.pop(i, ()):
            pool.setdefault(buffers[owner[r]], []).append(owner[r])
    return dataclasses.replace(plan, steps=steps, buffers=buffers)


def _roots_of(slot: int, roots: dict[int, frozenset[int]]) -> Any:
    """The slots whose memory ``slot`` may share (itself alone unless it is in ``roots``)."""
    shared = roots.get(slot)
    return (slot,) if shared is None else shared


def _elementwise(record: Any) -> bool:
    """A record whose kernel is one numpy ufunc call (``op_base.Unary``/``Binary``): its
    output may be one of its inputs' memory (numpy handles the exact overlap)."""
    kind = type(record)
    return isinstance(getattr(record, "fn", None), np.ufunc) and (
        kind.kernel is op_base.Unary.kernel or kind.kernel is op_base.Binary.kernel)


def _positioned_inputs(step: Any) -> Any:
    """(position among the op's inputs, slot) of each of the step's inputs (ref inputs are
    variable cells, not slots)."""
    refs = step.record.ref_inputs
    if not refs:
        return enumerate(step.inputs)
    return zip((p for p in range(len(step.op.inputs)) if p not in refs), step.inputs)


def _dies_here(slot: int, i: int, roots: dict[int, frozenset[int]], owner: dict[int, int],
               last: dict[int, int]) -> bool:
    """The slot has a planned buffer of its own (not a view of anything else) and nothing
    reads it, or a view of it, after step ``i``."""
    if owner.get(slot) is None or last.get(slot) != i:
        return False
    shared = roots.get(slot)
    return shared is None or shared == {slot}


def _dying_input(step: Any, i: int, key: tuple[tuple[int, ...], Any],
                 roots: dict[int, frozenset[int]], owner: dict[int, int],
                 last: dict[int, int], buffers: list[tuple[tuple[int, ...], Any]],
                 elementwise: bool) -> int | None:
    """An input of step ``i`` whose planned buffer could hold the output: one the record
    may overwrite element by element, exactly the output's (shape, dtype), not a view of
    anything else, and last read at this step (``elementwise``: ``_elementwise(record)``)."""
    if elementwise:  # every input qualifies
        candidates: Any = step.inputs
    else:
        allowed = step.record.inplace_inputs
        if not allowed:
            return None
        # an input also read through another position (TanhGrad(y, y)) must stay intact
        candidates = [s for p, s in _positioned_inputs(step)
                      if p in allowed and step.inputs.count(s) == 1]
    for s in candidates:
        if _dies_here(s, i, roots, owner, last) and buffers[owner[s]] == key:
            return s
    return None


def _donated(step: Any, i: int, roots: dict[int, frozenset[int]], owner: dict[int, int],
             last: dict[int, int], assigned: list[int | None]) -> tuple[int, ...]:
    """Positions of the step's ``scratch_inputs`` whose buffers die here: read once by this
    step, by nothing later, and not holding this step's output."""
    wanted = step.record.scratch_inputs
    if not wanted:
        return ()
    return tuple(p for p, s in _positioned_inputs(step)
                 if p in wanted and step.inputs.count(s) == 1 and
                 _dies_here(s, i, roots, owner, last) and owner[s] not in assigned)


def _key(spec: Any) -> tuple[tuple[int, ...], Any] | None:
    """The pool key (shape, dtype) of a buffer for a tensor of ``spec`` (None: no planned
    buffer — a shape not fully known, or not a numeric dtype)."""
    if spec is None:
        return None
    dims = spec.shape.dims
    if dims is None or None in dims:
        return None
    np_dtype = np.dtype(spec.dtype.np_dtype)
    return (cast(tuple[int, ...], dims), np_dtype) if np_dtype.kind in "fiub" else None
