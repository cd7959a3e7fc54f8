"""``gf.cond`` and ``gf.while_loop``: TF1's builders, writing TF1's dataflow ops
(``control_flow_ops``) into the GraphDef exactly as TensorFlow 1 does, so the graphs load
in TensorFlow and TF1-made graphs run here.

Stages of ``while_loop(cond, body, loop_vars)`` (names under ``while/``):
  1. one ``Enter`` per loop variable (frame ``while/while_context``), made in the outer
     context, so outer control dependencies apply to them;
  2. in the loop's context (``WhileContext``): ``Merge(Enter, Enter)`` per variable, the
     condition on the merges, ``LoopCond``, ``Switch(merge, LoopCond)``, ``Identity`` of
     each switch's true side, the body on those, ``NextIteration`` of the body's results,
     which then replaces each Merge's second input (the loop's back edge);
  3. ``Exit`` of each switch's false side: the results.
Outer tensors used in the condition or body are captured by the context with an
``Enter(is_constant=True)``; an op created there without inputs gets a control input from
the loop's pivot (it runs once per iteration), as TF1 does. TensorArrays travel through the
loop as their flow tensor.

``cond(pred, true_fn, false_fn)`` (names under ``cond/``): ``Switch(pred, pred)`` gives the
pivots ``switch_t``/``switch_f``; each branch is built in a ``CondContext`` that captures
every outer tensor it reads through ``Switch(x, pred)`` — so at run time the untaken branch
is dead and does not run — and the branch results meet in one ``Merge`` each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.framework import nest
from graphflow.framework.dtypes import bool_, int32
from graphflow.framework.graph import Graph, get_default_graph
from graphflow.framework.tensor import Operation, Tensor
from graphflow.framework.tensor_shape import as_shape
from graphflow.ops import array_ops, comparison_ops, math_ops, op_builder
from graphflow.ops.control_flow_ops import (
    enter,
    exit_,
    loop_cond,
    merge,
    next_iteration,
    switch,
)


class ControlFlowContext:
    """Where new ops go: the graph asks the current context to map each new op's inputs
    (``map_inputs``) and for a control pivot for input-less ops (``control_pivot``)."""

    def __init__(self, graph: Graph, outer: ControlFlowContext | None) -> None:
        self.graph = graph
        self.outer = outer
        self._captured: dict[tuple[int, int], Tensor] = {}

    def contains(self, op: Operation) -> bool:
        """True if ``op`` was created in this context or one nested in it."""
        ctx = self.graph.context_of(op)
        while ctx is not None:
            if ctx is self:
                return True
            ctx = ctx.outer
        return False

    def map_inputs(self, inputs: list[Tensor]) -> list[Tensor]:
        return [self.map_input(t) for t in inputs]

    def map_input(self, t: Tensor) -> Tensor:
        if self.contains(t.op):
            return t
        key = (t.op.index, t.value_index)
        found = self._captured.get(key)
        if found is None:
            found = self._captured[key] = self.capture(t)
        return found

    def capture(self, t: Tensor) -> Tensor:
        raise NotImplementedError

    def control_pivot(self) -> Operation | None:
        return None

    def in_outer(self) -> Any:
        """A ``with`` block creating ops in the outer context, free of control dependencies
        declared inside this one."""
        return _OuterScope(self)


class _OuterScope:
    def __init__(self, ctx: ControlFlowContext) -> None:
        self.ctx = ctx
        self.stack: list[Any] = []

    def __enter__(self) -> None:
        g = self.ctx.graph
        # (control_dependencies(None) also clears the control-flow context: set it after)
        self.stack = [g.control_dependencies(None), g.control_flow_context_as(self.ctx.outer)]
        for cm in self.stack:
            cm.__enter__()

    def __exit__(self, *exc: Any) -> None:
        for cm in reversed(self.stack):
            cm.__exit__(*exc)


class WhileContext(ControlFlowContext):
    """The body and condition of one while loop (one TF1 frame)."""

    def __init__(self, graph: Graph, outer: ControlFlowContext | None, frame_name: str,
                 parallel_iterations: int) -> None:
        super().__init__(graph, outer)
        self.frame_name = frame_name
        self.parallel_iterations = parallel_iterations
        self.pivot: Operation | None = None

    def capture(self, t: Tensor) -> Tensor:
        """An outer tensor read inside the loop: a loop invariant (``Enter`` is_constant)."""
        with self.in_outer():
            entered = enter(t, self.frame_name, is_constant=True,
                            parallel_iterations=self.parallel_iterations)
        self.graph.set_context_of(entered.op, self)
        return entered

    def control_pivot(self) -> Operation | None:
        return self.pivot


class CondContext(ControlFlowContext):
    """One branch of a cond: outer tensors are read through ``Switch(x, pred)[branch]``."""

    def __init__(self, graph: Graph, outer: ControlFlowContext | None, pred: Tensor,
                 pivot: Tensor, branch: int) -> None:
        super().__init__(graph, outer)
        self.pred = pred
        self.pivot = pivot
        self.branch = branch

    def map_input(self, t: Tensor) -> Tensor:
        if t is self.pred:
            return t
        return super().map_input(t)

    def capture(self, t: Tensor) -> Tensor:
        with self.in_outer():
            sw = switch(t, self.pred)
        self.graph.set_context_of(sw[0].op, self)
        return sw[self.branch]

    def control_pivot(self) -> Operation | None:
        return self.pivot.op


def _is_tensor_array(value: Any) -> bool:
    return hasattr(value, "flow") and hasattr(value, "with_flow")


def _as_flow(value: Any) -> Tensor:
    return value.flow if _is_tensor_array(value) else op_builder.convert_to_tensor(value)


def _from_flow(template: Any, tensor: Tensor) -> Any:
    return template.with_flow(tensor) if _is_tensor_array(template) else tensor


def _graph_of(values: list[Any]) -> Graph:
    for v in values:
        if isinstance(v, Tensor):
            return v.graph
        if _is_tensor_array(v):
            return v.flow.graph
    return get_default_graph()


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               shape_invariants: Any = None, parallel_iterations: int = 10,
               back_prop: bool = True, swap_memory: bool = False, name: str | None = None,
               maximum_iterations: Any = None, return_same_structure: bool = False,
               context_factory: Callable[..., WhileContext] | None = None) -> Any:
    """Repeat ``body`` while ``cond`` is true (TF1 ``tf.while_loop``; see module doc).

    ``loop_vars`` is a (nested) tuple/list of tensors and TensorArrays; ``cond`` and
    ``body`` take them as positional arguments; ``body`` returns the same structure.
    ``shape_invariants`` (same structure) lets a variable's shape change between
    iterations; ``maximum_iterations`` bounds the trip count. ``back_prop`` and
    ``swap_memory`` are accepted for TF1 compatibility (gradients are always available;
    memory stays in RAM). Returns the loop variables' final values. ``context_factory``
    (graphflow's): builds the loop's ``WhileContext`` from (graph, outer, frame name,
    parallel_iterations) — the gradient pass's backward loops map forward values there."""
    if not callable(cond) or not callable(body):
        raise TypeError("while_loop: cond and body must be callables")
    if isinstance(loop_vars, (list, tuple)) and not loop_vars:
        raise ValueError("while_loop: no loop variables given (loop_vars is empty)")
    if not isinstance(parallel_iterations, int) or parallel_iterations <= 0:
        raise ValueError("while_loop: parallel_iterations must be a positive integer")
    single = not return_same_structure and len(nest.flatten(loop_vars)) == 1
    structure = loop_vars if isinstance(loop_vars, (list, tuple)) else [loop_vars]
    invariants = shape_invariants
    if invariants is not None and not isinstance(loop_vars, (list, tuple)):
        invariants = [invariants]
    user_cond, user_body = cond, body
    if maximum_iterations is not None:
        # As TF1: a counter loop variable bounds the trip count.
        limit = op_builder.convert_to_tensor(maximum_iterations, dtype=int32,
                                             name="maximum_iterations")
        structure = [op_builder.constant(0, dtype=int32, name="iteration_counter"),
                     list(structure)]
        if invariants is not None:
            invariants = [as_shape([]), list(invariants)]

        def cond(i: Tensor, lv: list[Any]) -> Tensor:  # noqa: F811 - wraps the user's
            return comparison_ops.logical_and(comparison_ops.less(i, limit),
                                              _call(user_cond, lv))

        def body(i: Tensor, lv: list[Any]) -> list[Any]:  # noqa: F811
            return [math_ops.add(i, 1), _as_list(_call(user_body, lv), lv)]

    flat = nest.flatten(structure)
    graph = _graph_of(flat)
    with graph.as_default(), graph.name_scope(name or "while") as scope:
        frame_name = scope.rstrip("/") + "/while_context"
        outer = graph.control_flow_context
        ctx = (context_factory or WhileContext)(graph, outer, frame_name, parallel_iterations)
        values = [_as_flow(v) for v in flat]
        shapes = _invariant_shapes(invariants, structure, values)
        enters = []
        for v in values:
            e = enter(v, frame_name, parallel_iterations=parallel_iterations, name="Enter")
            graph.set_context_of(e.op, ctx)
            enters.append(e)
        with graph.control_dependencies(None), graph.control_flow_context_as(ctx):
            merges = [merge([e, e], name="Merge")[0] for e in enters]
            for m, shape in zip(merges, shapes):
                if shape is not None:
                    m.relax_shape(shape)
            ctx.pivot = merges[0].op
            packed = nest.pack_sequence_as(structure, [_from_flow(t, m) for t, m in
                                                       zip(flat, merges)])
            pred = op_builder.convert_to_tensor(_call(cond, packed), dtype=bool_)
            if pred.shape.rank not in (None, 0):
                raise ValueError(f"while_loop: cond must return a bool scalar, got shape "
                                 f"{pred.shape} ('{pred.name}')")
            condition = loop_cond(pred, name="LoopCond")
            switches = [switch(m, condition, name="Switch") for m in merges]
            body_in = [array_ops.identity(sw[1], name="Identity") for sw in switches]
            ctx.pivot = body_in[0].op
            packed = nest.pack_sequence_as(structure, [_from_flow(t, b) for t, b in
                                                       zip(flat, body_in)])
            result = _call(body, packed)
            result = _as_list(result, structure)
            try:
                nest.assert_same_structure(structure, result, "loop variables and body results")
            except ValueError as err:
                raise ValueError(f"while_loop: body must return the same structure as "
                                 f"loop_vars: {err}") from None
            outs = [ctx.map_input(_as_flow(r)) for r in nest.flatten(result)]
            for m, o, v in zip(merges, outs, values):
                _check_next(m, o, v)
            nexts = [next_iteration(o, name="NextIteration") for o in outs]
            for m, n in zip(merges, nexts):
                graph.update_input(m.op, 1, n)
            exits = [exit_(sw[0], name="Exit") for sw in switches]
        for x in exits:
            graph.set_context_of(x.op, outer)
    final = nest.pack_sequence_as(structure, [_from_flow(t, x) for t, x in zip(flat, exits)])
    if maximum_iterations is not None:
        final = final[1]
        if isinstance(loop_vars, tuple):
            final = tuple(final)
    if single:
        return nest.flatten(final)[0]
    return final


def _call(fn: Callable[..., Any], packed: Any) -> Any:
    return fn(*packed) if isinstance(packed, (list, tuple)) else fn(packed)


def _as_list(result: Any, structure: Any) -> Any:
    """The body's result in the loop variables' container type (TF1 accepts a tuple for a
    list, and a bare value for a one-variable loop)."""
    is_plain = isinstance(result, (list, tuple)) and not hasattr(result, "_fields")
    if not is_plain and len(structure) == 1:
        return type(structure)([result]) if type(structure) in (list, tuple) else [result]
    if is_plain and type(structure) in (list, tuple):
        return type(structure)(result)
    return result


def _invariant_shapes(invariants: Any, structure: Any, values: list[Tensor]) -> list[Any]:
    if invariants is None:
        return [None] * len(values)
    try:
        nest.assert_same_structure(structure, invariants, "loop variables and shape_invariants")
    except ValueError as err:
        raise ValueError(f"while_loop: {err}") from None
    shapes = [as_shape(s) for s in nest.flatten(invariants)]
    for v, s in zip(values, shapes):
        if not s.is_compatible_with(v.shape):
            raise ValueError(f"while_loop: the shape invariant {s} is not compatible with the "
                             f"shape {v.shape} of loop variable '{v.name}'")
    return shapes


def _check_next(m: Tensor, out: Tensor, initial: Tensor) -> None:
    if out.dtype != m.dtype:
        raise TypeError(f"while_loop: loop variable '{initial.name}' has dtype {m.dtype.name} "
                        f"but the body returns {out.dtype.name} ('{out.name}'); return the "
                        "same dtype (gf.cast)")
    if not out.shape.is_compatible_with(m.shape) or (
            m.shape.rank is not None and out.shape.rank is None) or any(
            a is not None and b is None for a, b in zip(
                m.shape.as_list() if m.shape.rank is not None else [],
                out.shape.as_list() if out.shape.rank is not None else [])):
        raise ValueError(f"while_loop: input tensor '{initial.name}' enters the loop with "
                         f"shape {m.shape}, but has shape {out.shape} after one iteration. "
                         "To allow the shape to vary across iterations, use the "
                         "`shape_invariants` argument of tf.while_loop to specify a less-"
                         "specific shape.")


def cond(pred: Any, true_fn: Callable[[], Any] | None = None,
         false_fn: Callable[[], Any] | None = None, strict: bool = False,
         name: str | None = None, fn1: Any = None, fn2: Any = None) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()`` (TF1 ``tf.cond``; see module doc): both
    branches are built, only the taken one runs. Returns the taken branch's results (the
    branches must return the same structure and dtypes)."""
    true_fn = true_fn if true_fn is not None else fn1
    false_fn = false_fn if false_fn is not None else fn2
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("cond: true_fn and false_fn must be callables")
    pred = op_builder.convert_to_tensor(pred, dtype=bool_)
    if pred.dtype != bool_ or pred.shape.rank not in (None, 0):
        raise ValueError(f"cond: pred must be a bool scalar, got {pred.dtype.name} "
                         f"{pred.shape} ('{pred.name}')")
    graph = pred.graph
    with graph.as_default(), graph.name_scope(name or "cond"):
        outer = graph.control_flow_context
        p_false, p_true = switch(pred, pred, name="Switch")
        pivot_t = array_ops.identity(p_true, name="switch_t")
        pivot_f = array_ops.identity(p_false, name="switch_f")
        pred_id = array_ops.identity(pred, name="pred_id")
        results = []
        for branch, fn, pivot in ((1, true_fn, pivot_t), (0, false_fn, pivot_f)):
            ctx = CondContext(graph, outer, pred_id, pivot, branch)
            with graph.control_flow_context_as(ctx):
                value = fn()
                if value is None:
                    raise ValueError("cond: a branch function returned None; return the "
                                     "tensors (or TensorArrays) the cond should produce")
                flat = [ctx.map_input(_as_flow(v)) for v in nest.flatten(value)]
            results.append((value, flat))
        (value_t, flat_t), (value_f, flat_f) = results
        try:
            nest.assert_same_structure(value_t, value_f, "outputs of true_fn and false_fn")
        except ValueError as err:
            raise ValueError(f"cond: {err}") from None
        outs = []
        for t, f in zip(flat_t, flat_f):
            if t.dtype != f.dtype:
                raise TypeError(f"cond: true_fn returns {t.dtype.name} ('{t.name}') where "
                                f"false_fn returns {f.dtype.name} ('{f.name}'); return the "
                                "same dtypes")
            outs.append(merge([f, t], name="Merge")[0])
    packed = nest.pack_sequence_as(value_t, [_from_flow(tpl, o) for tpl, o in
                                             zip(nest.flatten(value_t), outs)])
    if not strict and isinstance(packed, (list, tuple)) and len(packed) == 1 and \
            not hasattr(packed, "_fields"):
        return packed[0]
    return packed

