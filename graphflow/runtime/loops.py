"""Running a while loop step: its condition and body sub-plans, compiled per shape.

A ``LoopRunner`` is the kernel of one loop step (``compiler/loop_plan.LoopUnit``). Stages
of a call:
  1. the loop variables start as the Enter inputs' values; invariants and captured outer
     tensors are fed unchanged to every iteration;
  2. run the condition sub-plan on the variables; stop when it is false;
  3. run the body sub-plan; its NextIteration values become the variables; each value is
     checked against the loop variable's static shape (a body that changes a shape its
     invariant fixes is an error naming the variable, never a silently wrong plan);
  4. return the Exit values (the variables after the last iteration).
Each sub-plan is compiled by the same pipeline as a Session's plans and kept per set of
feed shapes (least recently used evicted past ``MAX_PLANS``), so an RNN's body is a
specialized, memory-planned generated function called once per time step.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.compiler.loop_plan import LoopUnit
from graphflow.compiler.pipeline import CompileOptions, compile_from_plan
from graphflow.compiler.plan import Plan
from graphflow.framework.errors import InvalidArgumentError, node_error
from graphflow.framework.resources import RunResources
from graphflow.framework.tensor import TensorSpec
from graphflow.ops.control_flow_ops import DEAD

MAX_PLANS = 32


class SubPlan:
    """One sub-plan of a loop, compiled and bound per set of feed shapes."""

    def __init__(self, plan: Plan, options: CompileOptions, resources: RunResources,
                 bind: Callable[[Any, RunResources], Any]) -> None:
        self.plan = plan
        self.options = options
        self.resources = resources
        self.bind = bind
        self.feeds = [t for t, _ in plan.feeds]
        self.by_shape: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    @property
    def held_bytes(self) -> int:
        """What its compiled specializations hold (``BoundPlan.held_bytes`` of each; a
        snapshot, as a run in another thread may be adding one)."""
        return sum(bound.held_bytes for bound in tuple(self.by_shape.values()))

    def __call__(self, values: Sequence[Any], key: Any = None) -> Any:
        """Run on ``values``; ``key`` (optional) identifies their shapes — the caller's
        cheaper equivalent of the tuple of every value's shape."""
        if key is None:
            key = _shapes(values)
        bound = self.by_shape.get(key)
        if bound is None:
            bound = self._compile(key, _shapes(values))
        elif len(self.by_shape) > 1:
            self.by_shape.move_to_end(key)
        return bound(values)

    def _compile(self, key: Any, shapes: tuple[Any, ...]) -> Any:
        options = self.options
        if options.specialize:
            specs = [TensorSpec(t.dtype, shape) if shape is not None else t.spec
                     for t, shape in zip(self.feeds, shapes)]
            concrete = all(s is not None for s in shapes)
        else:
            specs, concrete = [t.spec for t in self.feeds], False
        bound = self.bind(compile_from_plan(self.plan, specs, concrete, options, self.resources),
                          self.resources)
        self.by_shape[key] = bound
        if len(self.by_shape) > MAX_PLANS:
            self.by_shape.popitem(last=False)
        return bound


class LoopRunner:
    """The kernel of a loop step (see module doc)."""

    def __init__(self, unit: LoopUnit, options: CompileOptions, resources: RunResources,
                 bind: Callable[[Any, RunResources], Any]) -> None:
        self.unit = unit
        parts = unit.parts
        self.cond = SubPlan(unit.cond_plan, options, resources, bind)
        self.body = SubPlan(unit.body_plan, options, resources, bind)
        self.num_vars = len(parts.variables)
        self.with_switch = [i for i, v in enumerate(parts.variables) if v.switch is not None]
        self.outputs = unit.output_vars
        self.static = [_known_dims(v.merge.outputs[0].shape) for v in parts.variables]
        self.names = [v.enter.inputs[0].name for v in parts.variables]
        # (variable, rank, ((axis, size), ...)) for the variables whose rank is known
        self.checks = [(i, len(dims), tuple((a, d) for a, d in enumerate(dims) if d is not None))
                       for i, dims in enumerate(self.static) if dims is not None]

    @property
    def held_bytes(self) -> int:
        """What its condition and body sub-plans hold (counted in the enclosing plan's
        ``BoundPlan.scratch_bytes``, so the Session's plan cache budget sees it)."""
        return self.cond.held_bytes + self.body.held_bytes

    def __call__(self, *inputs: Any) -> Any:
        n = self.num_vars
        initial = list(inputs[:n])
        rest = list(inputs[n:])
        outer = initial + rest
        outer_key = _shapes(outer)  # fixed for the whole loop
        variables = list(initial)
        cond, body, with_switch = self.cond, self.body, self.with_switch
        iteration = 0
        while True:
            key = (_shapes(variables), outer_key)
            (pred,) = cond(variables + outer, key)
            if pred is DEAD:
                raise self._error("its condition is dead (it depends on the untaken branch "
                                  "of a cond)", "compute the condition outside the cond")
            if not pred:
                break
            produced = body([variables[i] for i in with_switch] + variables + outer, key)
            variables = list(produced[:n])
            self._check(variables, iteration)
            iteration += 1
        outs = [variables[i] for i in self.outputs]
        if len(outs) == 1:
            return outs[0]
        return tuple(outs)

    def _check(self, values: list[Any], iteration: int) -> None:
        for i, rank, known in self.checks:
            shape = getattr(values[i], "shape", None)
            if shape is not None and len(shape) == rank:
                for axis, size in known:
                    if shape[axis] != size:
                        break
                else:
                    continue  # the common case: the declared shape
            self._report(values, iteration)
        for value in values:
            if value is DEAD:
                self._report(values, iteration)

    def _report(self, values: list[Any], iteration: int) -> None:
        for i, (value, dims) in enumerate(zip(values, self.static)):
            if value is DEAD:
                raise self._error(f"loop variable {i} ('{self.names[i]}') is dead after "
                                  f"iteration {iteration} (the body returned a value from "
                                  "the untaken branch of a cond)")
            if dims is None:
                continue
            shape = np.shape(value)
            if len(shape) != len(dims) or any(d is not None and d != s
                                              for d, s in zip(dims, shape)):
                raise self._error(
                    f"loop variable {i} ('{self.names[i]}') has shape {shape} after iteration "
                    f"{iteration}, but the loop declares shape "
                    f"{tuple('?' if d is None else d for d in dims)}",
                    "pass shape_invariants to gf.while_loop for a shape that changes")

    def _error(self, message: str, fix: str | None = None) -> InvalidArgumentError:
        return InvalidArgumentError(node_error(self.unit.name, "WhileLoop", message, fix),
                                    self.unit.name, "WhileLoop")


def _shapes(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple([getattr(v, "shape", None) for v in values])


def _known_dims(shape: Any) -> list[int | None] | None:
    return None if shape.rank is None else shape.as_list()
