"""Bind a ``CompiledPlan`` to kernels and run it: generated code, or a plain interpreter loop.

Stages of ``BoundPlan``:
  1. allocate the plan's buffers and ask each step's op record for its kernel
     (``record.kernel(KernelContext)``), once;
  2. either compile the generated source (``compiler.codegen``) with the kernels and
     constants as its globals — running a step is then a single Python call, with no graph
     walking, name lookups or shape inference on the hot path — or, for an interpreted plan
     (``SessionConfig(interpret=True)``), keep the same bound kernels for a Python loop over
     the steps (the reference the generated code must match). A large plan whose source is
     not compiled yet runs through that loop until its ``COMPILE_AFTER_RUNS``-th run, which
     compiles it (``DEFER_COMPILE_STEPS``);
  3. on a kernel failure, find the step (the generated code's line -> step map, or the loop's
     index) and the values alive at that point, and raise an error naming the node, its op
     type and its inputs' shapes/dtypes (or, under ``check_numerics``, the NaN/Inf origin).
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import os
import threading
import types
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from graphflow.compiler import codegen, parallel, row_chains
from graphflow.compiler.loop_plan import GuardedRecord, LoopUnit
from graphflow.compiler.pipeline import CompiledPlan
from graphflow.compiler.plan import Plan, PlanStep
from graphflow.framework.errors import InvalidArgumentError, OpError, node_error
from graphflow.framework.op_registry import KernelContext
from graphflow.framework.resources import RunResources
from graphflow.framework.tensor import TensorSpec
from graphflow.ops.control_flow_ops import DEAD, MERGE_OPS, SWITCH_OPS
from graphflow.runtime.loops import LoopRunner
from graphflow.runtime.numerics import numerics_error
from graphflow.runtime.own_blas import OwnBlas
from graphflow.runtime.row_chain import ChainStepFailure, bind_row_chain

Kernel = Callable[..., Any]

#: Reuse the bytecode of a generated source already compiled (plans of one signature at
#: different feed shapes usually generate the same text; only their globals differ). Off:
#: every plan's source is compiled anew (tests compare the two).
REUSE_COMPILED_SOURCE = True
_FUNCTION_CODE: dict[str, types.CodeType] = {}
_FUNCTION_CODE_LIMIT = 256

#: A plan of at least ``DEFER_COMPILE_STEPS`` steps whose generated source has no compiled
#: code yet (``REUSE_COMPILED_SOURCE``) runs through the interpreter loop — the reference the
#: generated code matches bit for bit, errors included — and compiles the source on its
#: ``COMPILE_AFTER_RUNS``-th run. Python compiles ~30-40 us of source per step on this
#: machine (0.8-1.2 s for the 27,773 steps of benchmarks/first_run_compile.py, a quarter of
#: its first run), while the loop costs ~1.5-2 us per step more per run (102-121 vs 58-107
#: ms there): a plan run fewer than 8 times never pays the compile, one run more often pays
#: it once, after ~7 slower runs (~0.3 of its price). Plans with steps on the worker
#: thread (asynchronous windows need the generated launch/join lines) compile at once. Off:
#: every plan compiles when bound.
DEFER_COMPILES = True
DEFER_COMPILE_STEPS = 2000
COMPILE_AFTER_RUNS = 8

_WORKER: concurrent.futures.ThreadPoolExecutor | None = None
_WORKER_LOCK = threading.Lock()


def forget_compiled_sources() -> None:
    """Drop the compiled code kept for reuse by source text (``REUSE_COMPILED_SOURCE``), so
    the next plan compiles as in a fresh process (benchmarks of the first run)."""
    _FUNCTION_CODE.clear()


def _forget_worker_after_fork() -> None:
    """A forked child has no worker thread (only the parent's executor object): it makes
    its own on first use instead of queueing work no thread would ever run."""
    global _WORKER, _WORKER_LOCK
    _WORKER, _WORKER_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_worker_after_fork)


def submit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> concurrent.futures.Future:
    """Run ``fn(*args, **kwargs)`` on the process's inter-op worker thread (created on first
    use) in a copy of the caller's context, so numpy's error state (which a Session sets
    for its runs) is the same there; returns the future."""
    global _WORKER
    worker = _WORKER
    if worker is None:
        with _WORKER_LOCK:
            if _WORKER is None:
                _WORKER = concurrent.futures.ThreadPoolExecutor(
                    1, thread_name_prefix="graphflow-inter-op")
            worker = _WORKER
    return worker.submit(contextvars.copy_context().run, fn, *args, **kwargs)


class BoundPlan:
    """A compiled plan bound to one session's kernels; call with feed values, get fetches."""

    def __init__(self, compiled: CompiledPlan, resources: RunResources) -> None:
        self.compiled = compiled
        self.plan = compiled.plan
        self._check = compiled.options.check_numerics
        self._lock = threading.Lock()  # held by each run (and by own_blas's probes)
        self.buffers = [np.empty(shape, dtype=dtype) for shape, dtype in self.plan.buffers]
        self._scratch_tally = [0]
        #: Per asynchronous step with ``PlanStep.share``: the calling thread's part.
        self.shares: dict[int, Kernel] = {}
        #: The runners of its while loops (their sub-plans hold memory of their own).
        self._loops: list[LoopRunner] = []
        probes: list[Any] = []
        self.kernels = [_bind_loop(step, compiled, resources, self._loops)
                        if isinstance(step.op, LoopUnit)
                        else bind_kernel(self.plan, step, resources, self.buffers,
                                         self._scratch_tally, self.shares, index, probes)
                        for index, step in enumerate(self.plan.steps)]
        #: Whether a run in a Session with a worker may leave numpy's BLAS threads as they
        #: are (``runtime/own_blas.py``): not with a while loop, a step on the worker, or
        #: a BLAS step that cannot be probed (a None among the probes).
        self.own_blas = OwnBlas(None if self._loops or None in probes or any(
            step.parallel for step in self.plan.steps) else probes, self._lock)
        #: A plan with cond Switches may compute a dead value; fetching one is an error.
        self._may_be_dead = any(isinstance(step.record, GuardedRecord) or
                                step.op_type in SWITCH_OPS or step.op_type in MERGE_OPS
                                for step in self.plan.steps)
        self._code: Any = None
        #: Runs until the deferred compile, which happens at the start of the run that
        #: brings this to 0 (0 from the start: nothing deferred).
        self._compile_countdown = 0
        code = compiled.code
        if code is not None and not self._defers_compile(code):
            self._run: Callable[..., Any] = self._compile(code)
        else:
            self._interpreter = _Interpreter(self.plan, self.kernels, self._check)
            self._run = self._interpreter.run
            if code is not None:
                self._compile_countdown = COMPILE_AFTER_RUNS

    @property
    def scratch_bytes(self) -> int:
        """Bytes of the work arrays its kernels keep (``KernelContext.scratch``), made when
        bound or on their first runs, and all that its while loops' sub-plans hold (their
        buffers, constants and work arrays, compiled as the loops first meet their shapes)."""
        return self._scratch_tally[0] + sum(loop.held_bytes for loop in self._loops)

    @property
    def base_bytes(self) -> int:
        """The memory of its planned buffers and folded constants."""
        return sum(b.nbytes for b in self.buffers) + sum(
            int(np.asarray(v).nbytes) for v in self.plan.constants.values())

    @property
    def held_bytes(self) -> int:
        """All it holds: ``base_bytes`` and ``scratch_bytes``."""
        return self.base_bytes + self.scratch_bytes

    def _defers_compile(self, code: codegen.GeneratedCode) -> bool:
        return DEFER_COMPILES and COMPILE_AFTER_RUNS > 1 and \
            len(self.plan.steps) >= DEFER_COMPILE_STEPS and \
            not (REUSE_COMPILED_SOURCE and code.source in _FUNCTION_CODE) and \
            not any(st.parallel == parallel.ASYNC for st in self.plan.steps)

    @property
    def compiled_now(self) -> bool:
        """Whether runs go through the generated code (False: the interpreter loop, of an
        interpreted plan or of one whose compile is deferred)."""
        return self._code is not None

    @property
    def source(self) -> str:
        return self.compiled.source

    def _compile(self, code: codegen.GeneratedCode) -> Callable[..., Any]:
        namespace: dict[str, Any] = {codegen.kernel_name(i): k
                                     for i, k in enumerate(self.kernels)}
        namespace.update({codegen.share_name(i): k for i, k in self.shares.items()})
        namespace.update({codegen.constant_name(s): v for s, v in self.plan.constants.items()})
        namespace[codegen.NUMERICS_HOOK] = _numerics_check
        namespace[codegen.SUBMIT] = submit
        cached = _FUNCTION_CODE.get(code.source) if REUSE_COMPILED_SOURCE else None
        if cached is not None:
            # Same text as an earlier plan (e.g. another batch size): reuse its bytecode
            # under this plan's file name, so tracebacks show this plan's source.
            fn = types.FunctionType(cached.replace(co_filename=code.filename), namespace,
                                    codegen.FUNCTION)
        else:
            exec(compile(code.source, code.filename, "exec"), namespace)  # noqa: S102
            fn = namespace[codegen.FUNCTION]
            if REUSE_COMPILED_SOURCE:
                if len(_FUNCTION_CODE) >= _FUNCTION_CODE_LIMIT:
                    _FUNCTION_CODE.pop(next(iter(_FUNCTION_CODE)))
                _FUNCTION_CODE[code.source] = fn.__code__
        self._code = fn.__code__
        return fn

    def __call__(self, feed_values: Sequence[Any]) -> Any:
        # The plan's buffers and kernel scratch are shared by its runs: two threads running
        # the same compiled plan take turns (an uncontended lock costs ~0.1 us).
        with self._lock:
            if self._compile_countdown:
                self._compile_countdown -= 1
                if not self._compile_countdown:  # the deferred compile
                    self._run = self._compile(self.compiled.code)  # type: ignore[arg-type]
            try:
                results = self._run(*feed_values)
            except _StepFailure as failure:  # from the interpreter: it knows the step
                index, alive, err = failure.index, failure.values, failure.error
            except Exception as caught:  # noqa: BLE001 - re-raised with the node that failed
                located, alive = self._locate(caught)
                _await_pending(alive)
                if located is None:
                    raise
                index, err = located, caught
            else:
                if self._may_be_dead and any(r is DEAD for r in results):
                    raise self._dead_fetch(results)
                return results
        error = _node_error(self.plan, index, alive, err)
        if error is err:  # an OpError from the kernel: it already names what failed
            raise err
        raise error from (err.error if isinstance(err, ChainStepFailure) else err)

    def _dead_fetch(self, results: Sequence[Any]) -> InvalidArgumentError:
        index = next(i for i, r in enumerate(results) if r is DEAD)
        tensor = self.plan.slot_tensors[self.plan.fetches[index]]  # type: ignore[index]
        return InvalidArgumentError(node_error(
            tensor.op.name, tensor.op.type, f"the fetched tensor '{tensor.name}' has no value "
            "in this run: it is on the untaken branch of a cond",
            "fetch the cond's result (its Merge) instead of a tensor inside one branch"),
            tensor.op.name, tensor.op.type)

    def _locate(self, err: BaseException) -> tuple[int | None, dict[str, Any]]:
        """The step whose generated line raised (from the line -> step map) and the frame's
        locals there (the values alive at that point)."""
        code = self.compiled.code
        tb = err.__traceback__
        while tb is not None and code is not None:
            if tb.tb_frame.f_code is self._code:
                return code.step_at(tb.tb_lineno), dict(tb.tb_frame.f_locals)
            tb = tb.tb_next
        return None, {}


def _await_pending(frame_locals: dict[str, Any]) -> None:
    """After a failure, wait for the steps still running on the worker (futures in the
    plan's locals), so none writes into the plan's buffers once the call has returned."""
    for value in frame_locals.values():
        if isinstance(value, concurrent.futures.Future):
            concurrent.futures.wait([value])


def _bind_loop(step: PlanStep, compiled: CompiledPlan, resources: RunResources,
               loops: list[LoopRunner]) -> Kernel:
    """A loop step's kernel: its runner (sub-plans bound like this plan; appended to
    ``loops``), guarded when the loop sits in a cond branch."""
    runner = LoopRunner(cast(LoopUnit, step.op), compiled.options, resources, BoundPlan)
    loops.append(runner)
    record = step.record
    if isinstance(record, GuardedRecord):
        return record.guard(runner, len(step.op.outputs))
    return runner


def bind_kernel(plan: Plan, step: PlanStep, resources: RunResources,
                buffers: Sequence[np.ndarray], scratch_tally: list[int] | None = None,
                shares: dict[int, Kernel] | None = None, index: int = -1,
                probes: list[Any] | None = None) -> Kernel:
    """Ask the step's op record for its kernel, with the most concrete specs the plan knows
    and the planned output buffers (``ctx.out``) the kernel may write into; the bytes of
    the work arrays it keeps add up in ``scratch_tally``. For an asynchronous step with a
    share of rows for the calling thread (``PlanStep.share``), ``shares[index]`` gets that
    part (a no-op when the record cannot share: the worker then computes everything). A
    kernel that calls BLAS appends its probe (``Op.blas_probe``, None when it has none) to
    ``probes``."""
    op, record = step.op, step.record
    specs = plan.slot_specs
    known = len(specs)
    op_inputs, ref_inputs = op.inputs, record.ref_inputs
    if ref_inputs or len(step.inputs) < len(op_inputs):
        ins = iter(step.inputs)
        in_specs = [t.spec if i in ref_inputs else _spec(specs, next(ins), t.spec)
                    for i, t in enumerate(op_inputs)]
    else:  # the step's inputs are the op's, in order (a guarded step's extra ones after)
        in_specs = [specs[s] if s < known else t.spec for s, t in zip(step.inputs, op_inputs)]
    out_specs = [t.spec if s is None or s >= known else specs[s]
                 for s, t in zip(step.outputs, op.outputs)]
    ctx = KernelContext(record, op.node_def, in_specs, out_specs, resources, scratch_tally)
    if step.refs:
        ctx.refs = [resources.cell(name) for name in step.refs]
    if step.out_buffers:
        ctx.out = [None if b is None else buffers[b] for b in step.out_buffers]
    if step.donated:
        ctx.donated = frozenset(step.donated)
    if step.parallel == row_chains.ROWS:
        return bind_row_chain(plan, step, resources, buffers, scratch_tally, submit,
                              lambda inner: bind_kernel(plan, inner, resources, buffers,
                                                        scratch_tally))
    if step.parallel == parallel.SPLIT:  # rows on both threads, when the record can
        kernel = record.split_kernel(ctx, submit, step.share)
        if kernel is not None:
            return kernel
    if step.share and step.parallel == parallel.ASYNC and shares is not None:
        pair = record.shared_kernel(ctx, step.share)
        if pair is not None:
            shares[index] = pair[1]
            return pair[0]
        shares[index] = _no_share
    kernel = record.kernel(ctx)
    if probes is not None and record.calls_blas:
        probes.append(record.blas_probe(ctx, kernel))
    return kernel


def _no_share(*args: Any) -> None:
    """The calling thread's part of a step whose record could not share its rows."""


def _spec(specs: list[TensorSpec], slot: int, default: TensorSpec) -> TensorSpec:
    return specs[slot] if slot < len(specs) else default


class _Interpreter:
    """The plain loop: values in a list indexed by slot, one kernel call per step, releases
    and numerics checks exactly where the generated code has them."""

    def __init__(self, plan: Plan, kernels: list[Kernel], check_numerics: bool) -> None:
        self.plan = plan
        self.check = check_numerics
        self.initial: list[Any] = [None] * plan.num_slots
        for slot, value in plan.constants.items():
            self.initial[slot] = value
        self.feed_slots = [s for _, s in plan.feeds]
        self.steps = [(k, st.inputs, st.outputs, () if check_numerics else st.release)
                      for k, st in zip(kernels, plan.steps)]

    def run(self, *feed_values: Any) -> tuple[Any, ...]:
        values = list(self.initial)
        for slot, value in zip(self.feed_slots, feed_values):
            values[slot] = value
        for index, (kernel, inputs, outputs, release) in enumerate(self.steps):
            try:
                result = kernel(*[values[s] for s in inputs])
                if len(outputs) == 1:
                    produced: Sequence[Any] = (result,)
                elif outputs:
                    produced = tuple(result)
                    if len(produced) != len(outputs):
                        raise ValueError(f"expected {len(outputs)} values to unpack, got "
                                         f"{len(produced)}")
                else:
                    produced = ()
                for out, value in zip(outputs, produced):
                    if out is not None:
                        values[out] = value
                if self.check:
                    _numerics_check(index, tuple(values[s] for s in outputs if s is not None))
            except Exception as err:  # noqa: BLE001 - reported with the step below
                raise _StepFailure(index, self._alive(values), err) from err
            for slot in release:
                values[slot] = None
        return tuple(None if s is None else values[s] for s in self.plan.fetches)

    def _alive(self, values: list[Any]) -> dict[str, Any]:
        """The values as the generated function's locals would hold them."""
        constants = self.plan.constants
        return {codegen.local_name(s): v for s, v in enumerate(values)
                if v is not None and s not in constants}


class _StepFailure(Exception):
    """Raised by the interpreter: step ``index`` raised ``error`` with ``values`` alive."""

    def __init__(self, index: int, values: dict[str, Any], error: Exception) -> None:
        super().__init__(index)
        self.index = index
        self.values = values
        self.error = error


class _NumericsFailure(Exception):
    """Raised inside the plan when check_numerics finds NaN/Inf; carries the step index."""


def _numerics_check(step_index: int, values: tuple[Any, ...]) -> None:
    for v in values:
        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and not np.isfinite(v).all():
            raise _NumericsFailure(step_index)
        if isinstance(v, (float, np.floating)) and not np.isfinite(v):
            raise _NumericsFailure(step_index)


def _describe_value(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"{v.dtype} {v.shape}"
    if v is None:
        return "<released>"
    return type(v).__name__


def _node_error(plan: Plan, index: int, frame_locals: dict[str, Any],
                err: BaseException) -> BaseException:
    step = plan.steps[index]
    if isinstance(err, _NumericsFailure):
        return numerics_error(plan, step, frame_locals)
    if isinstance(err, OpError):
        return err
    rows = ""
    if isinstance(err, ChainStepFailure):  # an inner step of a row chain
        step, inputs, rows, err = err.step, err.inputs, err.rows, err.error
    else:
        inputs = [plan.constants[s] if s in plan.constants
                  else frame_locals.get(codegen.local_name(s)) for s in step.inputs]
    described = ", ".join(f"{t.name}: {_describe_value(v)}" for t, v in
                          zip([plan.slot_tensors[s] for s in step.inputs], inputs))
    message = node_error(step.name, step.op_type, f"failed while running: "
                         f"{type(err).__name__}: {err}{rows}. Inputs: [{described}]")
    return InvalidArgumentError(message, step.name, step.op_type)
