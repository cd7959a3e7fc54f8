"""The gradient of a while loop: a while loop that runs the body's gradient backwards.

Given a forward loop (``frames.LoopParts``) and the gradients of its Exits, stages of
``loop_gradient``:
  1. count the forward iterations: a counter loop variable added to the forward loop
     (Enter 0 -> Merge -> Switch on the loop's LoopCond -> +1 -> NextIteration; its Exit is
     the trip count N), as TF1 does;
  2. build the backward loop with ``gf.while_loop`` (name ``<loop>_grad``) over
     ``(k = N, one gradient per float loop variable, one accumulator per float loop
     invariant or captured tensor)`` while ``k > 0``; its body differentiates the forward
     body (the graph's gradient pass, ``backprop``, at the forward loop's frame) from the
     NextIteration inputs (seeded with the current gradients) to the loop variables (their
     Switch and Merge outputs) and invariants, adds the invariants' gradients to their
     accumulators, and decrements k;
  3. forward values the gradient rules read are saved per iteration: the backward loop's
     context (``GradLoopContext``) turns each forward tensor a rule reads into a
     ``StackPopV2`` in the backward loop, and adds a ``StackPushV2`` of it to the forward
     body (its stack made per run, at the top level, entered into the loops). Pushes run in
     forward order and pops in reverse, so one stack serves every iteration of nested
     loops too; the pushes are control inputs of the counter's Exit, so they run exactly
     when the gradient is fetched. Loop invariants are read directly (not stacked);
  4. the backward loop's Exits are the gradients of the forward loop's initial values and,
     for the accumulators, of its invariants and captured tensors.
Everything is ordinary TF1 nodes (Enter/Merge/Switch/Exit, StackV2/StackPushV2/StackPopV2)
in the same GraphDef. ``backprop`` is passed in by ``compiler/gradients.py`` (this module
is below it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.compiler.frames import Frame, FrameMap, LoopParts
from graphflow.framework.dtypes import int32
from graphflow.framework.graph import Graph
from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.tensor import Tensor
from graphflow.framework.tensor_shape import TensorShape
from graphflow.ops import array_ops, comparison_ops, math_ops, op_builder, stack_ops
from graphflow.ops.control_flow import WhileContext, while_loop
from graphflow.ops.control_flow_ops import (
    branch_of,
    enter,
    exit_,
    merge,
    next_iteration,
    switch,
)

Backprop = Callable[..., list[Any]]
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/>]")


class GradLoopContext(WhileContext):
    """The backward loop's context: a forward-body tensor read by a gradient rule becomes
    the pop of a stack the forward body pushes it onto; loop invariants are captured."""

    def __init__(self, graph: Graph, outer: Any, frame_name: str, parallel_iterations: int,
                 forward: LoopParts, fmap: FrameMap, counter_exit: Tensor) -> None:
        super().__init__(graph, outer, frame_name, parallel_iterations)
        self.forward = forward
        self.fmap = fmap
        self.counter_exit = counter_exit
        self.constant_enters = {e.index for e in forward.invariants} | {
            v.enter.index for v in forward.variables}
        self._pops: dict[tuple[int, int], Tensor] = {}

    def map_input(self, t: Tensor) -> Tensor:
        if not self.contains(t.op) and self.fmap.frame_of(t.op) is self.forward.frame:
            if t.op.index in self.constant_enters:  # the same value in every iteration
                return super().map_input(t.op.inputs[0])
            key = (t.op.index, t.value_index)
            popped = self._pops.get(key)
            if popped is None:
                popped = self._pops[key] = self._pop(t)
            return popped
        return super().map_input(t)

    def _pop(self, t: Tensor) -> Tensor:
        """Stage 3 for ``t``. A value inside a cond branch of the forward body is pushed only
        when that branch runs, so its pop is guarded the same way: it reads the stack through
        ``Switch(handle, pred)`` on the branch's side, ``pred`` being popped in turn (TF1's
        guarded history values)."""
        branch = _cond_branch(t, self.forward.frame, self.fmap)
        graph = self.graph
        with graph.control_flow_context_as(None), graph.control_dependencies(None), \
                graph.name_scope(_scope(t.op.name) + "_stack/"):
            handle = stack_ops.stack_v2(-1, t.dtype, stack_name=t.op.name)
            inside = handle
            for frame in _chain(self.forward.frame):
                inside = enter(inside, frame.name, is_constant=True)
            push = stack_ops.stack_push_v2(inside, t)
            graph.add_control_input(self.counter_exit.op, push.op)
        source = self.map_input(handle)
        if branch is not None:
            pred, port = branch
            source = switch(source, self.map_input(pred))[port]
        popped = stack_ops.stack_pop_v2(source, t.dtype)
        popped.set_shape(t.shape)
        return popped


def _scope(name: str) -> str:
    return _UNSAFE.sub("_", name)


def _chain(frame: Frame) -> list[Frame]:
    """``frame`` and its ancestors, outermost first."""
    out: list[Frame] = []
    f: Frame | None = frame
    while f is not None:
        out.append(f)
        f = f.parent
    return out[::-1]


def _cond_branch(t: Tensor, frame: Frame, fmap: FrameMap) -> tuple[Tensor, int] | None:
    """(pred, port) of the cond branch of the loop body ``t`` is computed in, if any."""
    found = branch_of(t)
    if found is None or fmap.frame_of(found[0].op) is not frame:
        return None
    return found


def _counter(graph: Graph, parts: LoopParts) -> Tensor:
    """Stage 1: a loop variable counting the forward iterations; returns its Exit."""
    anchor = parts.variables[0].enter.inputs[0].op  # in the loop's parent frame
    frame = parts.frame
    iterations = parts.variables[0].enter.get_attr("parallel_iterations")
    with graph.control_flow_context_as(None), graph.control_dependencies(None), \
            graph.name_scope(_scope(frame.name) + "_counter/"):
        zero = graph.create_op("Const", [], {"value": _scalar(0), "dtype": int32},
                               name="zero", control_inputs=[anchor]).outputs[0]
        entered = enter(zero, frame.name, parallel_iterations=iterations)
        merged = merge([entered, entered])[0]
        on_false, on_true = switch(merged, parts.loop_cond.outputs[0])
        current = array_ops.identity(on_true)
        one = graph.create_op("Const", [], {"value": _scalar(1), "dtype": int32},
                              name="one", control_inputs=[current.op]).outputs[0]
        graph.update_input(merged.op, 1, next_iteration(math_ops.add(current, one)))
        return exit_(on_false)


def _scalar(value: int) -> np.ndarray:
    return np.asarray(value, dtype=np.int32)


def loop_gradient(graph: Graph, parts: LoopParts, exit_grads: dict[int, Any], fmap: FrameMap,
                  backprop: Backprop) -> list[tuple[Tensor, Any]]:
    """The gradients of the loop's outer inputs given its Exits' gradients (module doc)."""
    counter = _counter(graph, parts)
    frame = parts.frame
    var_ids = [i for i, v in enumerate(parts.variables) if v.merge.outputs[0].dtype.is_floating]
    inv_inputs = [e.inputs[0] for e in parts.invariants] + list(parts.captures)
    inv_outputs = [e.outputs[0] for e in parts.invariants] + list(parts.captures)
    acc_ids = [j for j, t in enumerate(inv_inputs) if t.dtype.is_floating]
    if not var_ids:
        return []
    initial = []
    for i in var_ids:
        g = exit_grads.get(i)
        var = parts.variables[i]
        if g is None:
            source = var.exit.outputs[0] if var.exit is not None else var.enter.inputs[0]
            g = array_ops.zeros_like(source)
        initial.append(op_builder.dense(g))
    accumulators = [array_ops.zeros_like(inv_inputs[j]) for j in acc_ids]
    shapes = [TensorShape([]), [parts.variables[i].merge.outputs[0].shape for i in var_ids],
              [inv_inputs[j].shape for j in acc_ids]]
    stops = {id(v.merge) for v in parts.variables} | {
        id(v.switch) for v in parts.variables if v.switch is not None} | {
        id(v.enter) for v in parts.variables} | {id(e) for e in parts.invariants}
    targets: list[Tensor] = []
    for i in var_ids:
        var = parts.variables[i]
        targets.append(var.merge.outputs[0])
        targets.append(var.switch.outputs[1] if var.switch is not None else
                       var.merge.outputs[0])
    targets += [inv_outputs[j] for j in acc_ids]

    def cond(k: Tensor, grads: list[Tensor], accs: list[Tensor]) -> Tensor:
        return comparison_ops.greater(k, 0)

    def body(k: Tensor, grads: list[Tensor], accs: list[Tensor]) -> list[Any]:
        seeds = [(parts.variables[i].next.inputs[0], g) for i, g in zip(var_ids, grads)]
        found = backprop(graph, seeds, targets, stops, level=frame)
        new_grads = []
        for n, g in enumerate(grads):
            via_merge, via_switch = found[2 * n], found[2 * n + 1]
            if via_switch is None and via_merge is None:
                new_grads.append(array_ops.zeros_like(g))
                continue
            parts_ = [op_builder.dense(x) for x in (via_merge, via_switch) if x is not None]
            new_grads.append(parts_[0] if len(parts_) == 1 else math_ops.add(*parts_))
        new_accs = []
        for acc, g in zip(accs, found[2 * len(var_ids):]):
            new_accs.append(acc if g is None else math_ops.add(acc, _dense(g)))
        return [math_ops.subtract(k, 1), new_grads, new_accs]

    def factory(g: Graph, outer: Any, name: str, pi: int) -> GradLoopContext:
        return GradLoopContext(g, outer, name, pi, parts, fmap, counter)

    _, final_grads, final_accs = while_loop(
        cond, body, [counter, initial, accumulators], shape_invariants=shapes,
        parallel_iterations=parts.variables[0].enter.get_attr("parallel_iterations"),
        name=_scope(frame.name.replace("/while_context", "")) + "_grad",
        context_factory=factory, return_same_structure=True)
    out: list[tuple[Tensor, Any]] = []
    for i, g in zip(var_ids, final_grads):
        out.append((parts.variables[i].enter.inputs[0], g))
    for j, g in zip(acc_ids, final_accs):
        out.append((inv_inputs[j], g))
    return out


def _dense(g: Any) -> Tensor:
    return op_builder.dense(g) if isinstance(g, IndexedSlices) else g

