"""Execution plans: what a Session runs for one (fetches, feeds) signature.

Stages of ``build_plan`` (over the Graph's handles: no input strings are parsed):
  1. prune to the operations the fetches need, stopping at fed tensors
     (``graph_index.prune_ops``; each op's record is looked up once, here);
  2. order them deterministically (``graph_index.order_ops``); a graph with while loops has
     each loop collapsed into one step first (``LoopUnit``, with its condition and body as
     sub-plans built by this same function at the loop's frame), and the steps that may
     receive a cond's dead value guarded (``GuardedRecord``) — see ``compiler/loop_plan.py``;
  3. give every tensor that is fed, produced or fetched a slot index;
  4. for each node, record its slots: value inputs, outputs, and ref inputs (variables it
     mutates, which are bound by name instead of by value);
  5. compute each slot's last use so the session can release buffers early.

A ``Plan`` is plain data (inspect it with ``describe()``); every ``PlanStep`` carries its op
record, so later passes never look a record up by its type string again.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from graphflow.compiler import frames, graph_index
from graphflow.compiler.frames import Frame
from graphflow.compiler.loop_plan import GuardedRecord, LoopRecord, LoopUnit
from graphflow.framework import op_registry as registry
from graphflow.framework.dtypes import bool_
from graphflow.framework.errors import GraphBuildError, InvalidArgumentError, node_error
from graphflow.framework.graph import Graph
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops.control_flow_ops import CONTROL_FLOW_OPS, MERGE_OPS, SWITCH_OPS


@dataclass
class PlanStep:
    """One node to run: its Operation, where its inputs/outputs live, which vars it mutates."""

    op: Operation  # or a LoopUnit: a whole while loop (compiler/loop_plan.py)
    record: registry.Op
    inputs: tuple[int, ...]
    outputs: tuple[int | None, ...]  # None: output not used by anything in the plan
    refs: tuple[str, ...] = ()  # names of VariableV2 nodes bound to the op's ref inputs
    release: tuple[int, ...] = ()  # slots whose last use is this step
    out_buffers: tuple[int | None, ...] = ()  # planned buffer per output (memory plan)
    donated: tuple[int, ...] = ()  # op-input positions the kernel may overwrite (memory plan)
    #: "" (runs on the calling thread), "async" (launched on the worker here, awaited before
    #: step ``join``) or "split" (its rows computed on both threads): compiler/parallel.py.
    parallel: str = ""
    join: int | None = None
    #: Where a product's rows are cut between the threads: an asynchronous step's calling
    #: thread computes its first ``share`` rows at the join (0: the worker computes all);
    #: a split step's worker computes its first ``share`` rows (0: half of them).
    share: int = 0

    def evolve(self, **changes: Any) -> PlanStep:
        """A copy with the given fields changed: ``dataclasses.replace`` without its
        per-field ``__init__`` call (~2x faster, 2.2 vs 4.1-4.6 us; a plan pass copies every
        step). PlanStep has no ``__post_init__`` or init-only fields; unknown names are
        refused."""
        if not changes.keys() <= _STEP_FIELDS:
            raise TypeError(f"PlanStep has no field(s) {sorted(changes.keys() - _STEP_FIELDS)}")
        new = object.__new__(PlanStep)
        fields = new.__dict__
        fields.update(self.__dict__)
        fields.update(changes)
        return new

    def reads_until(self, index: int) -> int:
        """The last step index at which this step (at ``index``) may still read its inputs:
        its join when it runs asynchronously, else ``index``."""
        return self.join if self.join is not None else index

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def op_type(self) -> str:
        return self.op.type


_STEP_FIELDS = frozenset(f.name for f in dataclasses.fields(PlanStep))


@dataclass
class Plan:
    """An ordered list of steps over numbered value slots."""

    steps: list[PlanStep]
    num_slots: int
    feeds: list[tuple[Tensor, int]]  # fed tensor -> slot, in the order of the signature
    fetches: list[int | None]  # slot per fetched element; None for Operations (no value)
    fetch_aliases: list[bool] = field(default_factory=list)  # fetched value may alias state
    slot_tensors: list[Tensor] = field(default_factory=list)  # slot -> tensor
    constants: dict[int, Any] = field(default_factory=dict)  # slot -> value known in advance
    slot_specs: list[TensorSpec] = field(default_factory=list)  # slot -> most concrete spec
    buffers: list[tuple[tuple[int, ...], Any]] = field(default_factory=list)  # (shape, dtype)
    #: Indices of the ops fetched as Operations: they run even when nothing reads them (as in
    #: TensorFlow, a fetched op is executed, so its run-time checks apply).
    targets: frozenset[int] = frozenset()

    def describe(self) -> str:
        """A readable listing: one line per step with its input and output slots."""
        lines = [f"plan: {len(self.steps)} steps, {self.num_slots} slots, "
                 f"{len(self.constants)} constants, {len(self.buffers)} buffers"]
        for f, s in self.feeds:
            lines.append(f"  feed  {f.name} -> s{s}")
        for s in sorted(self.constants):
            v = self.constants[s]
            lines.append(f"  const s{s} = {self.slot_tensors[s].name} {getattr(v, 'shape', ())}")
        for i, st in enumerate(self.steps):
            ins = ", ".join(f"s{s}" for s in st.inputs)
            outs = ", ".join("_" if s is None else f"s{s}" for s in st.outputs)
            refs = f" refs={list(st.refs)}" if st.refs else ""
            rel = f" free={[f's{s}' for s in st.release]}" if st.release else ""
            buf = [b for b in st.out_buffers if b is not None]
            into = f" into={[f'b{b}' for b in buf]}" if buf else ""
            lines.append(f"  {i:4d} {st.op_type:<22} {st.name}  ({ins}) -> ({outs})"
                         f"{refs}{into}{rel}")
        lines.append("  fetch " + ", ".join("op" if s is None else f"s{s}" for s in self.fetches))
        return "\n".join(lines)


def build_plan(graph: Graph, fetches: Sequence[Tensor | Operation], feeds: Sequence[Tensor],
               level: Frame | None = None) -> Plan:
    """Compile a plan computing ``fetches`` given values for ``feeds`` (see module doc).
    ``level``: the loop frame the plan runs in (a loop's condition or body sub-plan); every
    loop inside it becomes one step (``compiler/loop_plan.py``)."""
    for element in [*fetches, *feeds]:
        graph.check_same_graph(element, "this plan's graph")
    fed_keys = {(t.op.index, t.value_index) for t in feeds}
    targets = [f if isinstance(f, Operation) else f.op for f in fetches
               if not (isinstance(f, Tensor) and (f.op.index, f.value_index) in fed_keys)]
    records: graph_index.Records = {}
    pruned = graph_index.prune_ops(targets, fed_keys, records)
    fmap = frames.frame_map(graph)
    unit_of: dict[int, int] = {}
    order: list[Any]
    if fmap.has_control_flow:
        if level is None:
            for t in feeds:
                frame = fmap.loop_of(t.op)
                if frame is not None:
                    raise InvalidArgumentError(node_error(
                        t.op.name, t.op.type, f"'{t.name}' is computed inside while loop "
                        f"'{frame.name}' and cannot be fed", "feed the loop's inputs "
                        "(tensors outside it) instead"), t.op.name, t.op.type)
        order = _with_loops(graph, pruned, level, fmap, records, unit_of)
        _check_fetches_outside_loops(fetches, order, unit_of)
    else:
        order = graph_index.order_ops(pruned, records)

    slots: dict[tuple[int, int], int] = {}
    slot_tensors: list[Tensor] = []

    def slot_of(t: Tensor) -> int:
        key = (t.op.index, t.value_index)
        if key not in slots:
            slots[key] = len(slot_tensors)
            slot_tensors.append(t)
        return slots[key]

    feed_slots = [(t, slot_of(t)) for t in feeds]
    steps: list[PlanStep] = []
    for op in order:
        if isinstance(op, LoopUnit):
            # A LoopUnit has the Operation attributes the passes read (name, type, inputs,
            # outputs, node_def, index, control_inputs).
            steps.append(PlanStep(cast(Operation, op), LoopRecord(op),
                                  tuple(slot_of(t) for t in op.inputs), ()))
            continue
        record = records[op.index]
        ref_inputs = record.ref_inputs
        if ref_inputs:
            refs = tuple(_ref_variable(op, i) for i in ref_inputs)
            inputs = tuple(slot_of(t) for i, t in enumerate(op.inputs) if i not in ref_inputs)
        else:
            refs, inputs = (), tuple([slot_of(t) for t in op.inputs])
        steps.append(PlanStep(op, record, inputs, (), refs))
    # Outputs get slots only if something reads them (a later step or a fetch).
    used = {s for st in steps for s in st.inputs}
    fetch_slots: list[int | None] = []
    for f in fetches:
        if isinstance(f, Operation):
            fetch_slots.append(None)
        else:
            s = slot_of(f)
            used.add(s)
            fetch_slots.append(s)
    fed_slots = {s for _, s in feed_slots}
    for st in steps:
        outputs: list[int | None] = []
        for t in st.op.outputs:
            out = slots.get((t.op.index, t.value_index))
            outputs.append(out if out is not None and out in used and out not in fed_slots
                           else None)
        st.outputs = tuple(outputs)
    if fmap.has_control_flow:
        steps = _guard_dead_values(steps, slot_tensors)
    _check_inputs_available(steps, fed_slots, slot_tensors)
    assign_releases(steps, set(s for s in fetch_slots if s is not None) | fed_slots)
    aliases = [False if s is None else _may_alias(slot_tensors[s], records)
               for s in fetch_slots]
    fetched_ops = {f.index for f in fetches if isinstance(f, Operation)}
    return Plan(steps, len(slot_tensors), feed_slots, fetch_slots, aliases, slot_tensors,
                targets=frozenset(unit_of.get(i, i) for i in fetched_ops))


def _with_loops(graph: Graph, pruned: list[Operation], level: Frame | None,
                fmap: frames.FrameMap, records: graph_index.Records,
                unit_of: dict[int, int]) -> list[Any]:
    """The plan's nodes in order, each loop frame directly inside ``level`` collapsed into
    one ``LoopUnit`` (with its sub-plans); ``unit_of`` maps each collapsed op to its unit."""
    plain: list[Operation] = []
    groups: dict[Frame, list[Operation]] = {}
    for op in pruned:
        f = fmap.loop_of(op)
        if f is level:
            plain.append(op)
            continue
        child = frames.child_of(f, level)
        if child is None:
            where = f"loop frame '{level.name}'" if level is not None else "the top level"
            raise GraphBuildError(node_error(
                op.name, op.type, f"is needed by {where} but lies outside it (in "
                f"{'the top level' if f is None else repr(f.name)}) and is not entered "
                "with an Enter node", "read outer tensors inside a loop through Enter "
                "(gf.while_loop does this for you)"))
        groups.setdefault(child, []).append(op)
    if not groups:
        return graph_index.order_ops(plain, records)
    units = [_loop_unit(graph, frame, ops, fmap, records) for frame, ops in groups.items()]
    for unit in units:
        for op in unit.parts.ops:
            unit_of[op.index] = unit.index
    return _order_with_units(plain, units, unit_of, records)


def _check_fetches_outside_loops(fetches: Sequence[Tensor | Operation], order: list[Any],
                                 unit_of: dict[int, int]) -> None:
    """A tensor computed inside a loop has one value per iteration: only the loop's Exits
    can be fetched (an Operation inside a loop is run by running its loop)."""
    outputs = {(t.op.index, t.value_index) for item in order if isinstance(item, LoopUnit)
               for t in item.outputs}
    for f in fetches:
        if isinstance(f, Tensor) and f.op.index in unit_of and \
                (f.op.index, f.value_index) not in outputs:
            unit = next(item for item in order if isinstance(item, LoopUnit)
                        and item.index == unit_of[f.op.index])
            raise InvalidArgumentError(node_error(
                f.op.name, f.op.type, f"'{f.name}' is computed inside while loop "
                f"'{unit.name}', where it has a value per iteration, so it cannot be "
                "fetched", "fetch the loop's results (what gf.while_loop returns), or "
                "collect per-iteration values in a gf.TensorArray"), f.op.name, f.op.type)


def _loop_unit(graph: Graph, frame: Frame, ops: list[Operation], fmap: frames.FrameMap,
               records: graph_index.Records) -> LoopUnit:
    parts = frames.loop_parts(frame, ops, fmap)
    variables = parts.variables
    inputs = ([v.enter.inputs[0] for v in variables] +
              [e.inputs[0] for e in parts.invariants] + parts.captures)
    with_exit = [(i, v.exit) for i, v in enumerate(variables) if v.exit is not None]
    unit = LoopUnit(parts, tuple(inputs), tuple(x.outputs[0] for _, x in with_exit),
                    tuple(i for i, _ in with_exit), parts.loop_cond.index,
                    control_inputs=tuple(parts.outer_controls))
    merges = [v.merge.outputs[0] for v in variables]
    enters = [v.enter.outputs[0] for v in variables]
    shared = merges + enters + [e.outputs[0] for e in parts.invariants] + parts.captures
    unit.cond_plan = build_plan(graph, [parts.loop_cond.inputs[0]], shared, level=frame)
    in_cond = {st.op.index for st in unit.cond_plan.steps}
    side_effects: list[Tensor | Operation] = [op for op in ops if op.type not in CONTROL_FLOW_OPS
                    and records[op.index].stateful and op.index not in in_cond]
    switches = [v.switch.outputs[1] for v in variables if v.switch is not None]
    body_fetches: list[Tensor | Operation] = [v.next.inputs[0] for v in variables]
    unit.body_plan = build_plan(graph, body_fetches + side_effects, switches + shared,
                                level=frame)
    return unit


def _order_with_units(plain: list[Operation], units: list[LoopUnit], unit_of: dict[int, int],
                      records: graph_index.Records) -> list[Any]:
    """A deterministic topological order of plain ops and loop units (ties: pure before
    state-mutating, then position in the graph)."""
    items: dict[int, Any] = {op.index: op for op in plain}
    position: dict[int, int] = {op.index: op.index for op in plain}
    for unit in units:
        items[unit.index] = unit
        position[unit.index] = min(op.index for op in unit.parts.ops)
    waiting: dict[int, int] = {}
    successors: dict[int, list[int]] = {}
    for key, item in items.items():
        preds = {unit_of.get(t.op.index, t.op.index) for t in item.inputs}
        preds |= {unit_of.get(c.index, c.index) for c in item.control_inputs}
        preds.discard(key)
        preds &= items.keys()
        waiting[key] = len(preds)
        for p in preds:
            successors.setdefault(p, []).append(key)

    def sort_key(key: int) -> tuple[int, int]:
        item = items[key]
        late = 1 if not isinstance(item, LoopUnit) and records[key].ref_inputs else 0
        return late, position[key]

    heap = [(*sort_key(k), k) for k, n in waiting.items() if n == 0]
    heapq.heapify(heap)
    order: list[Any] = []
    while heap:
        *_, key = heapq.heappop(heap)
        order.append(items[key])
        for succ in successors.get(key, ()):
            waiting[succ] -= 1
            if waiting[succ] == 0:
                heapq.heappush(heap, (*sort_key(succ), succ))
    if len(order) != len(items):
        stuck = [items[k] for k, n in waiting.items() if n > 0][:10]
        raise GraphBuildError("the graph has a cycle outside any while loop among: " +
                              ", ".join(f"'{i.name}' ({i.type})" for i in stuck))
    return order


def _guard_dead_values(steps: list[PlanStep], slot_tensors: list[Tensor]) -> list[PlanStep]:
    """Wrap the records of steps that may receive a dead value (downstream of a cond's
    Switch) in ``GuardedRecord``s; give each such step that another step depends on by a
    control edge a liveness token (an extra output, read as an extra input)."""
    controlled = {c.index for st in steps for c in st.op.control_inputs}
    dead_slots: set[int] = set()
    tokens: dict[int, int] = {}  # op index -> its liveness token's slot
    may_die: set[int] = set()
    out: list[PlanStep] = []
    for st in steps:
        op = st.op
        if op.type in MERGE_OPS:
            if st.inputs and all(s in dead_slots for s in st.inputs):
                dead_slots.update(s for s in st.outputs if s is not None)
            out.append(st)
            continue
        positions = tuple(i for i, s in enumerate(st.inputs) if s in dead_slots)
        token_ins = tuple(tokens[c.index] for c in op.control_inputs if c.index in tokens)
        dead_controls = [c for c in op.control_inputs if c.index in may_die]
        if op.type in SWITCH_OPS:
            dead_slots.update(s for s in st.outputs if s is not None)
        if not positions and not dead_controls:
            out.append(st)
            continue
        may_die.add(op.index)
        dead_slots.update(s for s in st.outputs if s is not None)
        outputs = st.outputs
        token_out = op.index in controlled
        if token_out:
            tokens[op.index] = len(slot_tensors)
            slot_tensors.append(Tensor(op, len(op.outputs), TensorSpec(bool_, ())))
            outputs = (*outputs, tokens[op.index])
        record = GuardedRecord(st.record, positions, len(token_ins), token_out)
        out.append(st.evolve(record=record, inputs=st.inputs + token_ins, outputs=outputs))
    return out


def _ref_variable(op: Operation, index: int) -> str:
    src = op.inputs[index].op
    if src.type not in ("VariableV2", "Variable"):
        raise GraphBuildError(node_error(
            op.name, op.type, f"input {index} must be a variable (a VariableV2 node) because "
            f"the op updates it in place, but it comes from '{src.name}' ({src.type})",
            "pass the gf.Variable itself, not a value read from it"))
    return src.get_attr("shared_name") or src.name


def _check_inputs_available(steps: list[PlanStep], fed: set[int], tensors: list[Tensor]) -> None:
    produced = set(fed)
    for st in steps:
        for s in st.inputs:
            if s not in produced:  # only possible when a producer was pruned away wrongly
                raise InvalidArgumentError(node_error(
                    st.name, st.op_type, f"needs '{tensors[s].name}', which nothing in the "
                    "plan produces"), st.name, st.op_type)
        produced.update(s for s in st.outputs if s is not None)


def state_slots(steps: list[PlanStep]) -> set[int]:
    """Slots that may share memory with variable storage: outputs of stateful steps, and
    outputs of steps that may return a view of such a slot."""
    state: set[int] = set()
    for st in steps:
        if st.record.stateful or st.refs or (st.record.returns_alias and
                                             any(s in state for s in st.inputs)):
            state.update(s for s in st.outputs if s is not None)
    return state


def assign_releases(steps: list[PlanStep], keep: set[int]) -> None:
    """Set each step's ``release``: the slots (not in ``keep``) it reads last. A step run on
    the worker thread reads its inputs until its join (``reads_until``), so it releases
    them there, after any step before the join that reads them too."""
    last_read: dict[int, int] = {}
    last_use: dict[int, int] = {}  # slot -> the step releasing it
    for i, st in enumerate(steps):
        until = st.reads_until(i)
        for s in st.inputs:
            if until >= last_read.get(s, -1):
                last_read[s], last_use[s] = until, i
    per_step: dict[int, list[int]] = {}
    for s, i in last_use.items():
        if s not in keep:
            per_step.setdefault(i, []).append(s)
    for i, st in enumerate(steps):
        st.release = tuple(sorted(per_step.get(i, ())))


def _may_alias(t: Tensor, records: graph_index.Records) -> bool:
    """True if a fetched value might share memory with variable storage, a constant or a
    reused buffer (the session then copies it before returning it)."""
    record = records.get(t.op.index)
    if record is None:  # a fed tensor, fetched back: its producer is not in the plan
        record = registry.lookup(t.op.type)
    return record is None or record.returns_alias or record.stateful
