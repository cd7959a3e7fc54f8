"""Bind a ``Plan`` to kernels and compile it into one straight-line Python function.

Stages:
  1. ask each step's op record for its kernel (``record.kernel(KernelContext)``), once;
  2. generate the source of a function whose body is one line per step, keeping every
     tensor in a local variable (``s3 = k2(s0, s1)``) and deleting it after its last use;
  3. compile it with ``exec``; running a step is then a single Python call, with no graph
     walking, name lookups or shape inference on the hot path.

When a kernel raises, the failing line number gives the step, and the frame's locals give
the input values, so the error names the node, its op type and its input shapes/dtypes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.compiler.plan import Plan, PlanStep
from graphflow.framework import op_registry as registry
from graphflow.framework.errors import InvalidArgumentError, OpError
from graphflow.framework.op_registry import KernelContext
from graphflow.framework.resources import RunResources
from graphflow.runtime.numerics import numerics_error

_HEADER_LINES = 2  # "def _plan(...):" and "pass" come before step 0


class CompiledPlan:
    """A plan bound to one session's kernels; call with feed values, get fetch values."""

    def __init__(self, plan: Plan, resources: RunResources, check_numerics: bool = False
                 ) -> None:
        self.plan = plan
        self._check = check_numerics
        self._lock = threading.Lock()
        self.buffers = [np.empty(shape, dtype=dtype) for shape, dtype in plan.buffers]
        kernels = [_bind_kernel(plan, step, resources, self.buffers) for step in plan.steps]
        self.source = _generate_source(plan, check_numerics)
        namespace: dict[str, Any] = {f"k{i}": k for i, k in enumerate(kernels)}
        namespace.update({f"c{s}": v for s, v in plan.constants.items()})
        namespace["_numerics"] = _numerics_failure
        code = compile(self.source, f"<graphflow plan {id(self):x}>", "exec")
        exec(code, namespace)  # noqa: S102 - source generated above from the plan
        self._fn: Callable[..., Any] = namespace["_plan"]
        self._code = namespace["_plan"].__code__

    def __call__(self, feed_values: list[Any]) -> Any:
        # The plan's buffers and kernel scratch are shared by its runs: two threads running
        # the same compiled plan take turns (an uncontended lock costs ~0.1 us).
        with self._lock:
            return self._call(feed_values)

    def _call(self, feed_values: list[Any]) -> Any:
        try:
            return self._fn(*feed_values)
        except Exception as err:  # noqa: BLE001 - re-raised with the node that failed
            step_index, frame_locals = self._locate(err)
            if step_index is None:
                raise
            raise _node_error(self.plan, step_index, frame_locals, err) from err

    def _locate(self, err: BaseException) -> tuple[int | None, dict[str, Any]]:
        tb = err.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code is self._code:
                line = tb.tb_lineno - 1 - _HEADER_LINES
                per_step = 2 if self._check else 1
                return line // per_step, dict(tb.tb_frame.f_locals)
            tb = tb.tb_next
        return None, {}


def _bind_kernel(plan: Plan, step: PlanStep, resources: RunResources, buffers: list[np.ndarray]
                 ) -> Callable[..., Any]:
    """Ask the step's op record for its kernel, with the most concrete specs the plan knows
    and the planned output buffers (``ctx.out``) the kernel may write into."""
    op = step.op
    record = registry.get(op.type, op.name)
    specs = plan.slot_specs
    ins = iter(step.inputs)
    in_specs = [t.spec if i in record.ref_inputs else _spec(specs, next(ins), t.spec)
                for i, t in enumerate(op.inputs)]
    out_specs = [t.spec if s is None else _spec(specs, s, t.spec)
                 for s, t in zip(step.outputs, op.outputs)]
    ctx = KernelContext(record, op.node_def, in_specs, out_specs, resources)
    ctx.refs = [resources.cell(name) for name in step.refs]
    ctx.out = [None if b is None else buffers[b] for b in step.out_buffers] or \
        [None] * len(op.outputs)
    return record.kernel(ctx)


def _spec(specs: list[Any], slot: int, default: Any) -> Any:
    return specs[slot] if slot < len(specs) else default


def _ref(plan: Plan, slot: int) -> str:
    """How generated code names a slot: a plan constant or a local variable."""
    return f"c{slot}" if slot in plan.constants else f"s{slot}"


def _generate_source(plan: Plan, check_numerics: bool) -> str:
    params = ", ".join(f"s{s}" for _, s in plan.feeds)
    lines = [f"def _plan({params}):", "    pass"]
    for i, step in enumerate(plan.steps):
        args = ", ".join(_ref(plan, s) for s in step.inputs)
        outs = [("_" if s is None else f"s{s}") for s in step.outputs]
        if not outs:
            target = ""
        elif len(outs) == 1:
            target = f"{outs[0]} = "
        else:
            target = f"{', '.join(outs)} = "
        # Under check_numerics inputs stay alive, so an error can report their min/max.
        release = "" if check_numerics else "".join(f"; del s{s}" for s in step.release)
        lines.append(f"    {target}k{i}({args}){release}")
        if check_numerics:
            produced = [f"s{s}" for s in step.outputs if s is not None]
            tensors = ", ".join(produced)
            lines.append(f"    _numerics({i}, ({tensors}{',' if len(produced) == 1 else ''}))"
                         if produced else "    pass")
    fetched = ", ".join("None" if s is None else _ref(plan, s) for s in plan.fetches)
    lines.append(f"    return ({fetched}{',' if len(plan.fetches) == 1 else ''})")
    return "\n".join(lines) + "\n"


class _NumericsFailure(Exception):
    """Raised inside the plan when check_numerics finds NaN/Inf; carries the step index."""


def _numerics_failure(step_index: int, values: tuple[Any, ...]) -> None:
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
    inputs = [plan.constants[s] if s in plan.constants else frame_locals.get(f"s{s}")
              for s in step.inputs]
    described = ", ".join(f"{t.name}: {_describe_value(v)}" for t, v in
                          zip([plan.slot_tensors[s] for s in step.inputs], inputs))
    message = (f"{step.op_type} node '{step.name}' failed while running: "
               f"{type(err).__name__}: {err}. Inputs: [{described}]")
    return InvalidArgumentError(message, step.name, step.op_type)
