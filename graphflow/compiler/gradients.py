"""Reverse-mode differentiation as a graph pass: writes the gradient subgraph into the graph.

Stages of ``gradients(ys, xs)``:
  1. walk the data edges (``Operation.inputs``; control edges carry no gradient) back from
     the ys' ops: their ancestors;
  2. keep the nodes on a path from an x to a y: among those ancestors, in creation order
     (a topological order, graphs being append-only), the xs' ops and every op reading a
     kept op. Both walks are linear in the ancestors, whatever the size of the graph;
  3. seed each y with ``grad_ys`` (default: ones of y's shape);
  4. visit the kept nodes in reverse topological order. For each op: sum the gradient
     contributions of each output with one ``AddN`` (fan-out), then ask the op's registered
     rule for its input gradients given those upstream gradients, under the name scope
     ``gradients/<op name>_grad/``. Each op's upstream gradient (its local error signal)
     is built once and reused by every input below it, so the pass is O(nodes + edges);
  5. check the shape convention (every gradient has its tensor's static shape and dtype)
     and return the aggregated gradient of each x (None if x does not reach any y).

``StopGradient`` ops (registered non-differentiable) and ``stop_gradients`` tensors block
flow. Rules are looked up by op type string, so graphs loaded from ``.pb`` files work.
``add_gradients`` is the pure GraphDef -> GraphDef form of the pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from graphflow.compiler import frames, graph_index, loop_gradients
from graphflow.compiler.frames import Frame
from graphflow.compiler.importer import import_graph_def
from graphflow.framework import op_registry as registry
from graphflow.framework.errors import GraphBuildError
from graphflow.framework.graph import Graph, paused_gc
from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.tensor import Operation, Tensor
from graphflow.ops import array_ops, layout_ops, linalg_ops, op_builder
from graphflow.ops.variables import Variable

Grad = Tensor | IndexedSlices


def gradients(ys: Any, xs: Any, grad_ys: Any = None, name: str = "gradients",
              stop_gradients: Any = None) -> list[Grad | None]:
    """Symbolic d(sum ys)/d(x) for each x in ``xs`` (TF1 ``tf.gradients`` semantics)."""
    ys, xs = _as_tensor_list(ys, "ys"), _as_tensor_list(xs, "xs")
    stops = {id(t.op) for t in _as_tensor_list(stop_gradients or [], "stop_gradients")}
    graph = ys[0].graph
    for t in ys + xs:
        graph.check_same_graph(t, "gf.gradients")
    grad_ys = [None] * len(ys) if grad_ys is None else list(grad_ys)
    if len(grad_ys) != len(ys):
        raise ValueError(f"gradients: {len(grad_ys)} grad_ys given for {len(ys)} ys")
    with graph.as_default(), graph.name_scope(name) as scope, \
            graph.gradient_pass(scope.rstrip("/")), paused_gc():
        seeds: list[tuple[Tensor, Grad]] = []
        for y, gy in zip(ys, grad_ys):
            if not y.dtype.is_floating:
                raise TypeError(f"gradients: y '{y.name}' has dtype {y.dtype.name}; only "
                                "floating-point tensors can be differentiated")
            if gy is None:
                with graph.name_scope(_scope_of(y.op, "_seed")):
                    gy = _ones_like(y)
            else:
                gy = op_builder.convert_to_tensor(gy, dtype=y.dtype)
                _check_shape_convention(gy, y, "grad_ys for")
            seeds.append((y, gy))
        _check_not_inside_loops(graph, ys + xs)
        return backprop(graph, seeds, xs, stops)


def backprop(graph: Graph, seeds: Sequence[tuple[Tensor, Grad]], xs: Sequence[Tensor],
             stops: set[int], level: Frame | None = None) -> list[Grad | None]:
    """Stages 1-5 of the pass (module doc) from ``seeds`` (tensor, its gradient) to ``xs``,
    among the ops of loop frame ``level`` (None: the top level); each while loop inside
    ``level`` is differentiated as a whole (``loop_gradients.loop_gradient``), which calls
    this function again for the loop's body. ``stops``: ids of ops gradients do not pass."""
    ys = [t for t, _ in seeds]
    fmap = frames.frame_map(graph)
    relevant, loops = _between(ys, xs, fmap, level, stops)
    x_ops = {x.op.index for x in xs}  # a set: the per-op membership test stays O(1)
    pending: dict[int, list[list[Grad]]] = {}  # op id -> per-output gradient contributions

    def contribute(t: Tensor, g: Grad) -> None:
        pending.setdefault(t.op.index, [[] for _ in t.op.outputs])[t.value_index].append(g)

    for y, gy in seeds:
        contribute(y, gy)
    for op in reversed(graph_index.order_ops(list(relevant.values()))):
        loop = loops.get(op.index)
        if loop is None and op.type in frames.EXIT_OPS and fmap.loop_of(op) is not level:
            continue  # another Exit of a loop: differentiated with the loop, at its lowest
        if loop is not None:  # the loop's last Exit in reverse order: all exits have grads
            exit_grads = {}
            for k, var in enumerate(loop.variables):
                if var.exit is not None and var.exit.index in pending:
                    with graph.name_scope(_scope_of(var.exit, "_grad")):
                        exit_grads[k] = _aggregate(pending.pop(var.exit.index)[0])
            for x_in, g in loop_gradients.loop_gradient(graph, loop, exit_grads, fmap,
                                                        backprop):
                if g is not None and x_in.op.index in relevant and x_in.dtype.is_floating:
                    _check_shape_convention(g, x_in, "gradient of the while loop for input")
                    contribute(x_in, g)
            continue
        out_grads = pending.pop(op.index, None)
        if out_grads is None:
            continue
        with graph.name_scope(_scope_of(op, "_grad")):
            summed = [_aggregate(gs) for gs in out_grads]
            # Keep x's own gradient available for the final answer.
            if op.index in x_ops:
                pending[op.index] = [[s] if s is not None else [] for s in summed]
            if id(op) in stops or not any(t.op.index in relevant for t in op.inputs):
                continue
            record = registry.get(op.type, op.name)
            if not record.differentiable:
                continue
            in_grads = _call_rule(record, op, summed)
        for x_in, g in zip(op.inputs, in_grads):
            if g is None or x_in.op.index not in relevant or not x_in.dtype.is_floating:
                continue
            _check_shape_convention(g, x_in, f"gradient rule of {op.type} for input")
            contribute(x_in, g)

    result: list[Grad | None] = []
    for x in xs:
        grads = pending.get(x.op.index, [[] for _ in x.op.outputs])[x.value_index]
        if not grads:
            result.append(None)
            continue
        with graph.name_scope(_scope_of(x.op, "_grad")):
            result.append(_aggregate(grads))
    return result


def _check_not_inside_loops(graph: Graph, tensors: list[Tensor]) -> None:
    fmap = frames.frame_map(graph)
    if not fmap.has_control_flow:
        return
    for t in tensors:
        frame = fmap.frame_of(t.op)
        if frame is not None:
            raise GraphBuildError(
                f"gradients: '{t.name}' is computed inside while loop '{frame.name}'; "
                "differentiate tensors outside the loop (its results, or the tensors it "
                "reads)")


_SCOPE_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/>]")


def _scope_of(op: Operation, suffix: str) -> str:
    """``<op name><suffix>``, with characters a scope name cannot hold replaced by ``_``
    (an imported GraphDef may name nodes with quotes, spaces or unicode)."""
    return _SCOPE_UNSAFE.sub("_", op.name) + suffix


def _as_tensor_list(values: Any, what: str) -> list[Tensor]:
    if not isinstance(values, (list, tuple)):
        values = [values]
    out = []
    for v in values:
        if isinstance(v, Variable):  # differentiate w.r.t. its VariableV2 output
            v = v.op.outputs[0]
        out.append(v if isinstance(v, Tensor) else op_builder.convert_to_tensor(v))
    if what != "stop_gradients" and not out:
        raise ValueError(f"gradients: {what} is empty")
    return out


def _between(ys: list[Tensor], xs: Sequence[Tensor], fmap: frames.FrameMap,
             level: Frame | None, stops: set[int]
             ) -> tuple[dict[int, Operation], dict[int, frames.LoopParts]]:
    """The ops on a data path from some x to some y (both ends included), by index, in
    creation order, and the while loops among them: loop parts by the index of the loop's
    lowest Exit on such a path (where the reverse walk differentiates the loop). The walk
    up from the ys does not pass ops in ``stops`` or outside ``level``."""
    upstream: dict[int, Operation] = {}
    stack = [y.op for y in ys]
    while stack:
        op = stack.pop()
        if op.index in upstream:
            continue
        upstream[op.index] = op
        if id(op) in stops or (level is not None and not _within(fmap.loop_of(op), level)):
            continue
        stack.extend(t.op for t in op.inputs if t.op.index not in upstream)
    x_ops = {x.op.index for x in xs}
    groups: dict[Frame, list[Operation]] = {}
    if fmap.has_control_flow:
        for op in upstream.values():
            frame = fmap.loop_of(op)
            if frame is not level and _within(frame, level):
                groups.setdefault(frames.child_of(frame, level), []).append(op)  # type: ignore[arg-type]
    parts_of: dict[int, frames.LoopParts] = {}
    for frame, ops in groups.items():
        parts = frames.loop_parts(frame, sorted(ops, key=_index), fmap)
        for op in ops:
            parts_of[op.index] = parts
    reached: dict[int, Operation] = {}
    loops: dict[int, frames.LoopParts] = {}
    triggered: set[int] = set()
    for index in sorted(upstream):  # every input of an op was created before it
        op = upstream[index]
        loop_parts = parts_of.get(index)
        if loop_parts is not None:  # inside a loop: only its Exits take part, as the loop
            parts = loop_parts
            if op.type in frames.EXIT_OPS and any(
                    t.op.index in reached for t in _loop_inputs(parts)):
                reached[index] = op
                if id(parts) not in triggered:  # the lowest such Exit triggers the loop
                    triggered.add(id(parts))
                    loops[index] = parts
            continue
        if index in x_ops or any(t.op.index in reached for t in op.inputs):
            reached[index] = op
    return reached, loops


def _within(frame: Frame | None, level: Frame | None) -> bool:
    return level is None or (frame is not None and frame.within(level))


def _index(op: Operation) -> int:
    return op.index


def _loop_inputs(parts: frames.LoopParts) -> list[Tensor]:
    return ([v.enter.inputs[0] for v in parts.variables] +
            [e.inputs[0] for e in parts.invariants] + parts.captures)


def _call_rule(record: registry.Op, op: Operation, summed: list[Grad | None]
               ) -> Sequence[Grad | None]:
    if not record.passes_indexed_slices:  # e.g. a gather's gradient reaching TanhGrad
        summed = [op_builder.dense(g) if isinstance(g, IndexedSlices) else g for g in summed]
    try:
        in_grads = record.grad(op, *summed)
    except NotImplementedError as err:
        if type(record).grad is registry.Op.grad:
            raise LookupError(f"no gradient defined for operation '{op.name}' (op type: "
                              f"{op.type}). Register a gradient rule for '{op.type}' or stop "
                              "the gradient with gf.stop_gradient") from None
        raise LookupError(f"the gradient rule of {op.type} cannot handle node '{op.name}': "
                          f"{err}") from None
    if len(in_grads) != len(op.inputs):
        raise GraphBuildError(f"gradient rule of {op.type} returned {len(in_grads)} gradients "
                              f"for node '{op.name}', which has {len(op.inputs)} inputs")
    return in_grads


def _aggregate(grads: list[Grad]) -> Grad | None:
    """Sum the gradient contributions of one tensor (fan-out) with a single AddN."""
    if not grads:
        return None
    if len(grads) == 1:
        return grads[0]
    slices = [g for g in grads if isinstance(g, IndexedSlices)]
    if len(slices) == len(grads):
        return IndexedSlices(layout_ops.concat([g.values for g in slices], 0),
                             layout_ops.concat([g.indices for g in slices], 0),
                             slices[0].dense_shape, slices[0].shape)
    dense = [op_builder.convert_to_tensor(g) for g in grads]
    return linalg_ops.add_n(dense, name="AddN")


def _ones_like(y: Tensor) -> Tensor:
    if y.shape.is_fully_defined() and (y.shape.num_elements() or 0) <= 1:
        return op_builder.constant(1, dtype=y.dtype, shape=y.shape.as_list(), name="grad_ys")
    if y.shape.is_fully_defined():
        return array_ops.fill(y.shape.as_list(), op_builder.constant(1, dtype=y.dtype),
                              name="grad_ys")
    return array_ops.ones_like(y, name="grad_ys")


def _check_shape_convention(g: Grad, x: Tensor, what: str) -> None:
    """The lecture's shape convention: a gradient has exactly the shape of its tensor."""
    if isinstance(g, IndexedSlices):
        if g.dtype != x.dtype:
            raise GraphBuildError(f"{what} '{x.name}': IndexedSlices dtype {g.dtype.name} != "
                                  f"{x.dtype.name}")
        return
    if g.dtype != x.dtype:
        raise GraphBuildError(f"{what} '{x.name}' has dtype {g.dtype.name}, expected "
                              f"{x.dtype.name} (the tensor's dtype)")
    if not g.shape.is_compatible_with(x.shape):
        raise GraphBuildError(f"{what} '{x.name}' has shape {g.shape}, expected {x.shape} (a "
                              "gradient must have exactly the shape of its tensor)")
    g.set_shape(x.shape)


def add_gradients(graph_def: Any, ys: Sequence[str], xs: Sequence[str],
                  name: str = "gradients") -> tuple[Any, list[str | None]]:
    """Pure form of the pass: GraphDef in, GraphDef (with the gradient subgraph) out, plus
    the name of each x's gradient tensor (None if disconnected). ``ys``/``xs`` are tensor
    names such as ``"loss:0"``."""
    graph = Graph()
    with graph.as_default():
        import_graph_def(graph_def, name="")
        grads = gradients([graph.get_tensor_by_name(y) for y in ys],
                          [graph.get_tensor_by_name(x) for x in xs], name=name)
    names = [None if g is None else (g.name if isinstance(g, Tensor) else
                                     g.values.name) for g in grads]
    return graph.as_graph_def(), names
