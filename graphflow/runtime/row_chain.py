"""Bind a row chain (``compiler/row_chains.py``): its steps by rows on the worker and here.

``bind_row_chain`` binds each inner step's record twice, for the worker's rows ``[:cut]``
and for the calling thread's ``[cut:]``: the kernel contexts have those rows in the specs
of the inputs read by rows and of the outputs, and ``ctx.out`` is that block of the planned
buffers. The chain's kernel submits the worker's block and computes the other here, each
running the inner steps in order; internal values live in the planned buffers as the
memory plan put them (each thread in its own rows).

The cut is ``PlanStep.share`` when every inner record says its two blocks there keep the
bits of one call (``Op.rows_match``), else half the rows rounded to the chain's multiple;
when neither holds, the chain's kernel runs the inner steps whole, bound as the plan
without chains binds them (``bind_whole``: split products included).

On a failure in either block the kernel waits for the worker and runs the steps whole from
the start (the chain writes no memory behind its inputs, so they are intact): the error is
then exactly the one the plan without chains raises, from the same step, with its message
and rows. Only when the steps run whole do not fail (a failure of the block alone: memory,
the worker) is the block's error raised. A non-OpError from an inner step comes out as
``ChainStepFailure``, which the executor reports naming that step (and, for a block, its
rows).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from graphflow.compiler.plan import Plan, PlanStep
from graphflow.compiler.row_chains import ROW_CUT_MULTIPLE, RowChain
from graphflow.framework.errors import OpError
from graphflow.framework.op_registry import KernelContext
from graphflow.framework.resources import RunResources
from graphflow.framework.tensor import TensorSpec

Kernel = Callable[..., Any]


class ChainStepFailure(Exception):
    """Inner step ``step`` of a row chain raised ``error`` (not an OpError) on ``inputs``:
    run whole, or (``rows``: its text) on a block of rows when the steps run whole then
    did not fail."""

    def __init__(self, step: PlanStep, inputs: list[Any], error: Exception,
                 rows: str = "") -> None:
        super().__init__(step.name)
        self.step = step
        self.inputs = inputs
        self.error = error
        self.rows = rows


def bind_row_chain(plan: Plan, step: PlanStep, resources: RunResources,
                   buffers: Sequence[np.ndarray], scratch_tally: list[int] | None,
                   submit: Callable[..., concurrent.futures.Future],
                   bind_whole: Callable[[PlanStep], Kernel]) -> Kernel:
    """The chain step's kernel (see module doc)."""
    chain = cast(RowChain, step.record)
    program = _Program(step, chain)
    whole: list[Kernel] = []  # bound on the first failure, or at once when no cut holds

    def run_whole(values: Sequence[Any]) -> Any:
        if not whole:
            whole.extend(bind_whole(inner) for inner in chain.steps)
        return program.run_whole(whole, values)

    cut = _cut(plan, chain, step.share, resources)
    if cut is None:
        return lambda *values: run_whole(values)
    worker = program.part(plan, resources, buffers, scratch_tally, 0, cut)
    here = program.part(plan, resources, buffers, scratch_tally, cut, chain.rows)
    results = program.results(buffers)

    def row_chain(*values: Any) -> Any:
        future = submit(worker, values)
        try:
            here(values)
        except Exception:
            concurrent.futures.wait([future])
            run_whole(values)  # raises the plan's own error
            raise  # (the steps run whole did not fail: the block's error)
        except BaseException:
            concurrent.futures.wait([future])
            raise
        try:
            future.result()
        except Exception:
            run_whole(values)
            raise
        except BaseException:  # interrupted while waiting: never leave the worker writing
            concurrent.futures.wait([future])
            raise
        return results
    return row_chain


def _cut(plan: Plan, chain: RowChain, share: int, resources: RunResources) -> int | None:
    """The first of ``share`` and half the rows (rounded down to ``ROW_CUT_MULTIPLE``) at
    which every inner step's two blocks keep the bits of one call; None: neither."""
    half = chain.rows // 2 - chain.rows // 2 % ROW_CUT_MULTIPLE
    for at in dict.fromkeys((share, half)):
        if 0 < at < chain.rows and all(
                inner.record.rows_match(_context(plan, inner, marks, None, resources, None), at)
                for inner, marks in zip(chain.steps, chain.marks)):
            return at
    return None


def _context(plan: Plan, inner: PlanStep, marks: tuple[bool, ...], rows: int | None,
             resources: RunResources | None, scratch_tally: list[int] | None
             ) -> KernelContext:
    """The inner step's kernel context, with ``rows`` rows in the specs of its inputs read
    by rows and of its outputs (None: all of them)."""
    specs = plan.slot_specs

    def block(spec: TensorSpec) -> TensorSpec:
        if rows is None:
            return spec
        return TensorSpec(spec.dtype, (rows, *spec.shape.as_list()[1:]))
    ins = [block(specs[s]) if by_rows else specs[s] for s, by_rows in zip(inner.inputs, marks)]
    outs = [block(specs[s]) if s is not None else t.spec
            for s, t in zip(inner.outputs, inner.op.outputs)]
    return KernelContext(inner.record, inner.op.node_def, ins, outs, resources, scratch_tally)


class _Program:
    """The chain's steps over local value positions: the chain step's inputs first (each
    whole and, where an inner step reads it by rows, as a block), then the inner steps'
    outputs."""

    def __init__(self, step: PlanStep, chain: RowChain) -> None:
        self.step, self.chain = step, chain
        position: dict[tuple[int, bool], int] = {}
        external = set(step.inputs)
        for k, s in enumerate(step.inputs):
            position[(s, False)] = k
        self.blocks: list[tuple[int, int]] = []  # (input index, local position of its block)
        size = len(step.inputs)
        for inner, marks in zip(chain.steps, chain.marks):
            for s, by_rows in zip(inner.inputs, marks):
                if by_rows and s in external and (s, True) not in position:
                    position[(s, True)] = size
                    self.blocks.append((step.inputs.index(s), size))
                    size += 1
        self.args: list[tuple[int, ...]] = []
        self.outs: list[tuple[int | None, ...]] = []
        produced: dict[int, int] = {}
        for inner, marks in zip(chain.steps, chain.marks):
            self.args.append(tuple(produced[s] if s in produced else position[(s, by_rows)]
                                   for s, by_rows in zip(inner.inputs, marks)))
            outs: list[int | None] = []
            for slot in inner.outputs:
                if slot is None:
                    outs.append(None)
                else:
                    produced[slot] = size
                    outs.append(size)
                    size += 1
            self.outs.append(tuple(outs))
        self.size = size
        #: Per inner step, its inputs' local positions when run whole (no blocks).
        self.whole_args = [tuple(produced[s] if s in produced else position[(s, False)]
                                 for s in inner.inputs) for inner in chain.steps]

    def part(self, plan: Plan, resources: RunResources, buffers: Sequence[np.ndarray],
             scratch_tally: list[int] | None, start: int, stop: int
             ) -> Callable[[Sequence[Any]], None]:
        """The function computing rows ``[start:stop]`` of every inner step."""
        kernels, views = [], []
        for inner, marks in zip(self.chain.steps, self.chain.marks):
            ctx = _context(plan, inner, marks, stop - start, resources, scratch_tally)
            ctx.out = [None if b is None else buffers[b][start:stop] for b in inner.out_buffers]
            ctx.donated = frozenset(p for p in inner.donated if marks[p])
            kernels.append(inner.record.kernel(ctx))
            views.append(tuple(ctx.out))
        steps = list(zip(self.chain.steps, kernels, self.args, self.outs, views))
        blocks, size = self.blocks, self.size
        where = f" (on rows [{start}:{stop}] of its row chain; run whole, it did not fail)"

        def rows(values: Sequence[Any]) -> None:
            local: list[Any] = [*values, *[None] * (size - len(values))]
            for k, block in blocks:
                local[block] = values[k][start:stop]
            for inner, kernel, args, outs, into in steps:
                result = _call(inner, kernel, [local[a] for a in args], where)
                produced = (result,) if len(outs) == 1 else result
                for at, value, view in zip(outs, produced, into):
                    if at is not None:
                        if value is not view:  # a kernel that did not fill its block
                            np.copyto(view, value)
                        local[at] = view
        return rows

    def results(self, buffers: Sequence[np.ndarray]) -> Any:
        """What the chain step returns: its outputs' planned buffers (one bare)."""
        out = tuple(buffers[b] for b in self.step.out_buffers)  # type: ignore[index]
        return out[0] if len(out) == 1 else out

    def run_whole(self, kernels: list[Kernel], values: Sequence[Any]) -> Any:
        """The inner steps run whole, in order (errors as described in the module doc);
        returns the chain step's outputs."""
        local: list[Any] = [*values, *[None] * (self.size - len(values))]
        for kernel, inner, args, outs in zip(kernels, self.chain.steps, self.whole_args,
                                             self.outs):
            result = _call(inner, kernel, [local[a] for a in args], "")
            produced = (result,) if len(outs) == 1 else result
            for at, value in zip(outs, produced):
                if at is not None:
                    local[at] = value
        by_slot = {s: at for inner, outs in zip(self.chain.steps, self.outs)
                   for s, at in zip(inner.outputs, outs) if s is not None and at is not None}
        out = tuple(local[by_slot[s]] for s in self.step.outputs if s is not None)
        return out[0] if len(out) == 1 else out


def _call(inner: PlanStep, kernel: Kernel, inputs: list[Any], rows: str) -> Any:
    """``kernel(*inputs)`` of an inner step; an error other than an OpError comes out as a
    ``ChainStepFailure`` naming that step (``rows``: the block's text, or "" run whole)."""
    try:
        return kernel(*inputs)
    except OpError:
        raise
    except Exception as err:  # noqa: BLE001 - reported naming the inner step
        raise ChainStepFailure(inner, inputs, err, rows) from err
