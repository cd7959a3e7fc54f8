"""Execution plans: what a Session runs for one (fetches, feeds) signature.

Stages of ``build_plan`` (over the Graph's handles: no input strings are parsed):
  1. prune to the operations the fetches need, stopping at fed tensors
     (``graph_index.prune_ops``; each op's record is looked up once, here);
  2. order them deterministically (``graph_index.order_ops``);
  3. give every tensor that is fed, produced or fetched a slot index;
  4. for each node, record its slots: value inputs, outputs, and ref inputs (variables it
     mutates, which are bound by name instead of by value);
  5. compute each slot's last use so the session can release buffers early.

A ``Plan`` is plain data (inspect it with ``describe()``); every ``PlanStep`` carries its op
record, so later passes never look a record up by its type string again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graphflow.compiler import graph_index
from graphflow.framework import op_registry as registry
from graphflow.framework.errors import GraphBuildError, InvalidArgumentError, node_error
from graphflow.framework.graph import Graph
from graphflow.framework.tensor import Operation, Tensor, TensorSpec


@dataclass
class PlanStep:
    """One node to run: its Operation, where its inputs/outputs live, which vars it mutates."""

    op: Operation
    record: registry.Op
    inputs: tuple[int, ...]
    outputs: tuple[int | None, ...]  # None: output not used by anything in the plan
    refs: tuple[str, ...] = ()  # names of VariableV2 nodes bound to the op's ref inputs
    release: tuple[int, ...] = ()  # slots whose last use is this step
    out_buffers: tuple[int | None, ...] = ()  # planned buffer per output (memory plan)

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def op_type(self) -> str:
        return self.op.type


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


def build_plan(graph: Graph, fetches: Sequence[Tensor | Operation], feeds: Sequence[Tensor]
               ) -> Plan:
    """Compile a plan computing ``fetches`` given values for ``feeds`` (see module doc)."""
    for element in [*fetches, *feeds]:
        graph.check_same_graph(element, "this plan's graph")
    fed_keys = {(t.op.index, t.value_index) for t in feeds}
    targets = [f if isinstance(f, Operation) else f.op for f in fetches
               if not (isinstance(f, Tensor) and (f.op.index, f.value_index) in fed_keys)]
    records: graph_index.Records = {}
    order = graph_index.order_ops(graph_index.prune_ops(targets, fed_keys, records), records)

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
        record = records[op.index]
        ref_idx = set(record.ref_inputs)
        refs = tuple(_ref_variable(op, i) for i in record.ref_inputs)
        inputs = tuple(slot_of(t) for i, t in enumerate(op.inputs) if i not in ref_idx)
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
        index = st.op.index
        outputs: list[int | None] = []
        for i in range(len(st.op.outputs)):
            out = slots.get((index, i))
            outputs.append(out if out is not None and out in used and out not in fed_slots
                           else None)
        st.outputs = tuple(outputs)
    _check_inputs_available(steps, fed_slots, slot_tensors)
    assign_releases(steps, set(s for s in fetch_slots if s is not None) | fed_slots)
    aliases = [False if s is None else _may_alias(slot_tensors[s], records)
               for s in fetch_slots]
    return Plan(steps, len(slot_tensors), feed_slots, fetch_slots, aliases, slot_tensors,
                targets=frozenset(f.index for f in fetches if isinstance(f, Operation)))


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


def assign_releases(steps: list[PlanStep], keep: set[int]) -> None:
    last_use: dict[int, int] = {}
    for i, st in enumerate(steps):
        for s in st.inputs:
            last_use[s] = i
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
