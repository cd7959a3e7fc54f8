"""Code generation: a plan as the source of one straight-line Python function.

Stages of ``generate``:
  1. one parameter per fed slot (``def _plan(s0, s1):``);
  2. one line per step, keeping every tensor in a local variable (``s3 = k2(s0, c1)``:
     ``k<i>`` is step i's bound kernel, ``c<slot>`` a plan constant) and deleting it after its
     last use; under ``check_numerics`` a ``_numerics(i, (outputs,))`` line follows every
     step and nothing is deleted (an error can then report every input);
     a step the parallel pass made asynchronous (``compiler/parallel.py``) is launched
     instead (``_f4 = _submit(k4, s2, s3)``) and awaited, its outputs bound and its inputs
     deleted, just before the step its join names (``s5 = _f4.result(); del _f4; ...``);
     when the calling thread computes a share of its rows (``PlanStep.share``), that call
     comes first at the join (``k4_share(s2, s3)``);
  3. ``return (fetches,)``;
  4. record which step each line belongs to (``GeneratedCode.line_steps``), and register the
     source with ``linecache`` under its file name, so tracebacks through the plan show the
     generated line (the entry is dropped when the ``GeneratedCode`` is).

The runtime binds the kernels and constants named here and compiles the source
(``runtime.executor``); this module only writes text.
"""

from __future__ import annotations

import itertools
import linecache
import weakref
from dataclasses import dataclass, field

from graphflow.compiler.plan import Plan, PlanStep

#: Name of the generated function, of the numerics hook, of the worker's submit function
#: (``SUBMIT(kernel, *args)`` returns a future), and the prefixes of its names.
FUNCTION = "_plan"
NUMERICS_HOOK = "_numerics"
SUBMIT = "_submit"
_counter = itertools.count()


@dataclass(eq=False)
class GeneratedCode:
    """The source of a plan's function and, per line number (1-based), the step it runs."""

    source: str
    filename: str
    line_steps: dict[int, int] = field(default_factory=dict)

    def step_at(self, lineno: int) -> int | None:
        """The index of the step whose line ``lineno`` is (None: not a step's line)."""
        return self.line_steps.get(lineno)

    def lines(self) -> list[str]:
        return self.source.splitlines()


def kernel_name(index: int) -> str:
    """The global the generated code calls for step ``index``."""
    return f"k{index}"


def constant_name(slot: int) -> str:
    """The global holding the plan constant of ``slot``."""
    return f"c{slot}"


def share_name(index: int) -> str:
    """The global the generated code calls at asynchronous step ``index``'s join for the
    rows the calling thread computes (``PlanStep.share``)."""
    return f"k{index}_share"


def future_name(index: int) -> str:
    """The local holding the future of asynchronous step ``index`` until its join."""
    return f"_f{index}"


def local_name(slot: int) -> str:
    """The local variable holding the value of ``slot`` (also the key of that value in the
    frame's locals, which the runtime reads to report a failing step's inputs)."""
    return f"s{slot}"


def generate(plan: Plan, check_numerics: bool = False) -> GeneratedCode:
    """The source of ``plan``'s function and its line -> step map (see module doc)."""

    def ref(slot: int) -> str:
        return constant_name(slot) if slot in plan.constants else local_name(slot)

    params = ", ".join(local_name(s) for _, s in plan.feeds)
    lines = [f"def {FUNCTION}({params}):"]
    line_steps: dict[int, int] = {}
    joins: dict[int, list[int]] = {}  # step index -> asynchronous steps awaited before it

    def join_lines(at: int) -> None:
        for j in joins.pop(at, ()):
            if plan.steps[j].share:
                shared = ", ".join(ref(s) for s in plan.steps[j].inputs)
                lines.append(f"    {share_name(j)}({shared})")
                line_steps[len(lines)] = j
            lines.append(f"    {_target(plan.steps[j])}{future_name(j)}.result(); "
                         f"del {future_name(j)}{_release(plan.steps[j], check_numerics)}")
            line_steps[len(lines)] = j

    for i, step in enumerate(plan.steps):
        join_lines(i)
        args = ", ".join(ref(s) for s in step.inputs)
        if step.join is not None:  # launched on the worker; awaited before step ``join``
            lines.append(f"    {future_name(i)} = {SUBMIT}({kernel_name(i)}"
                         f"{', ' if args else ''}{args})")
            line_steps[len(lines)] = i
            joins.setdefault(step.join, []).append(i)
            continue
        lines.append(f"    {_target(step)}{kernel_name(i)}({args})"
                     f"{_release(step, check_numerics)}")
        line_steps[len(lines)] = i
        if check_numerics:
            produced = [local_name(s) for s in step.outputs if s is not None]
            if produced:
                tuple_text = ", ".join(produced) + ("," if len(produced) == 1 else "")
                lines.append(f"    {NUMERICS_HOOK}({i}, ({tuple_text}))")
                line_steps[len(lines)] = i
    join_lines(len(plan.steps))
    fetched = ", ".join("None" if s is None else ref(s) for s in plan.fetches)
    lines.append(f"    return ({fetched}{',' if len(plan.fetches) == 1 else ''})")
    source = "\n".join(lines) + "\n"
    code = GeneratedCode(source, f"<graphflow plan {next(_counter)}>", line_steps)
    _register(code)
    return code


def _target(step: PlanStep) -> str:
    outs = ["_" if s is None else local_name(s) for s in step.outputs]
    return f"{', '.join(outs)} = " if outs else ""


def _release(step: PlanStep, check_numerics: bool) -> str:
    # Under check_numerics inputs stay alive, so an error can report their min/max.
    return "" if check_numerics else "".join(f"; del {local_name(s)}" for s in step.release)


def _register(code: GeneratedCode) -> None:
    """Make ``linecache`` (and so ``traceback``) know the source; forget it with ``code``.
    An entry whose modification time is None is never invalidated by ``checkcache``."""
    linecache.cache[code.filename] = (len(code.source), None, code.source.splitlines(True),
                                      code.filename)
    weakref.finalize(code, linecache.cache.pop, code.filename, None)
