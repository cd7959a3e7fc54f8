"""The plan pipeline: what to run for some fetches of a graph, given feeds of some shapes.

Passes, in order (each a function from data to data; ``compile_plan`` chains them):
  1. plan (``compiler.plan.build_plan``): prune to what the fetches need, order, number the
     slots, compute releases; once per (fetches, feeds) signature (``signature_plan``, which
     also rejects a plan that needs a placeholder nobody feeds);
  2. specialize (``compiler.specialize.specialize``): re-run shape rules with the fed shapes,
     fold constants (kernels run with the session's ``RunResources``, never a Session),
     alias identities, drop dead steps; then, without ``check_numerics``, fuse a scalar
     product into the row update that consumes it (``compiler.fusion``);
  3. parallel schedule (``compiler.parallel.schedule``, with ``threads > 1``): large
     matrix products to run on a worker thread, or split across both;
  4. memory plan (``compiler.memory.plan_buffers``): preallocated output buffers with
     lifetime-based reuse (only for concrete feed shapes, without ``check_numerics``);
     then, with ``threads > 1``, row chains (``compiler.row_chains.fuse_row_chains``): a
     run of row-wise steps around a split product becomes one step computed by rows on
     both threads;
  5. codegen (``compiler.codegen.generate``): the source of one straight-line function and
     its line -> step map, registered with ``linecache``; skipped when the runtime
     interprets the steps instead.

The result, a ``CompiledPlan``, is plain data: the runtime binds each step's kernel and runs
it (``runtime.executor``); ``str()`` of it is the readable listing ``Session.explain`` and
``graphflow inspect --plan`` show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.compiler import graph_index, parallel
from graphflow.compiler.codegen import GeneratedCode, generate
from graphflow.compiler.fusion import ScaledRowUpdate, fuse_scaled_row_updates
from graphflow.compiler.importer import import_graph_def
from graphflow.compiler.loop_plan import LoopUnit
from graphflow.compiler.memory import plan_buffers
from graphflow.compiler.plan import Plan, build_plan
from graphflow.compiler.row_chains import RowChain, fuse_row_chains
from graphflow.compiler.specialize import specialize
from graphflow.framework.errors import InvalidArgumentError
from graphflow.framework.graph import Graph
from graphflow.framework.resources import RunResources
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.proto import graph_pb2

Shape = tuple[int, ...]


@dataclass(frozen=True)
class CompileOptions:
    """Which passes run. ``specialize`` and ``plan_memory`` are ``SessionConfig``'s switches;
    ``check_numerics`` keeps every computing step (no folding, no buffers) and adds a check
    after each; ``codegen=False`` leaves the steps for an interpreter loop; ``threads=2``
    lets large matrix products run on a worker thread (``compiler.parallel``; generated
    code with concrete feed shapes only)."""

    specialize: bool = True
    plan_memory: bool = True
    check_numerics: bool = False
    codegen: bool = True
    threads: int = 1


@dataclass(eq=False)
class CompiledPlan:
    """The output of the pipeline for one set of feed shapes.

    Attributes:
        plan: the final plan (steps, slots, constants, buffers).
        feed_specs: the specs the plan was specialized to (one per feed, in order).
        options: the passes that ran.
        code: the generated function (None when the plan is interpreted).
    """

    plan: Plan
    feed_specs: list[TensorSpec]
    options: CompileOptions
    code: GeneratedCode | None

    @property
    def source(self) -> str:
        """The generated source ('' when the plan is interpreted)."""
        return self.code.source if self.code is not None else ""

    @property
    def steps(self) -> list[Any]:
        return self.plan.steps

    @property
    def constants(self) -> dict[int, Any]:
        """Folded values by slot (``plan.slot_tensors[slot]`` is the tensor)."""
        return self.plan.constants

    @property
    def buffers(self) -> list[tuple[Shape, Any]]:
        """(shape, dtype) of each preallocated buffer."""
        return self.plan.buffers

    def describe(self) -> str:
        """A readable listing: feeds, steps (node, op, input and output tensors and slots),
        folded constants, buffers, fetches, and the generated source."""
        plan = self.plan
        names = [t.name for t in plan.slot_tensors]
        passes = [p for p, on in (("specialize", self.options.specialize),
                                  ("plan_memory", self.options.plan_memory),
                                  ("check_numerics", self.options.check_numerics),
                                  (f"parallel({self.options.threads} threads)",
                                   self.options.threads > 1)) if on]
        mode = "generated code" if self.code is not None else "interpreted"
        lines = [f"plan: {len(plan.steps)} steps, {len(plan.constants)} folded constants, "
                 f"{len(plan.buffers)} buffers ({mode}; passes: {', '.join(passes) or 'none'})"]
        lines.append("feeds:")
        for (tensor, slot), spec in zip(plan.feeds, self.feed_specs):
            lines.append(f"  s{slot} = {tensor.name} {spec.dtype.name} {spec.shape}")
        if not plan.feeds:
            lines.append("  (none)")
        lines.append("steps:")

        def ref(slot: int | None) -> str:
            if slot is None:
                return "_"
            kind = "c" if slot in plan.constants else "s"
            return f"{names[slot]}={kind}{slot}"

        for i, st in enumerate(plan.steps):
            ins = ", ".join(ref(s) for s in st.inputs)
            outs = ", ".join(ref(s) for s in st.outputs)
            extra = f" refs={list(st.refs)}" if st.refs else ""
            bufs = [f"b{b}" for b in st.out_buffers if b is not None]
            extra += f" into={bufs}" if bufs else ""
            if isinstance(st.record, (ScaledRowUpdate, RowChain)):
                extra += f" ({st.record.describe()})"
            if st.parallel:
                extra += f" on worker, awaited before step {st.join}" if st.join is not None \
                    else f" {st.parallel}: rows on both threads"
                if st.share and st.join is not None:
                    extra += f" (rows [:{st.share}] computed here at the join)"
                elif st.share:
                    extra += f" (the worker's: rows [:{st.share}])"
            lines.append(f"  {i:4d} {st.op_type:<20} {st.name}  ({ins}) -> ({outs}){extra}")
            if isinstance(st.op, LoopUnit):  # its condition and body sub-plans (pass 1)
                lines.extend("         " + line for line in st.op.describe().splitlines())
        if plan.constants:
            lines.append("folded constants:")
            for slot in sorted(plan.constants):
                value = np.asarray(plan.constants[slot])
                lines.append(f"  c{slot} = {names[slot]} {value.dtype} {value.shape}"
                             f"{_preview(value)}")
        if plan.buffers:
            lines.append("buffers:")
            for b, (shape, dtype) in enumerate(plan.buffers):
                lines.append(f"  b{b}: {np.dtype(dtype)} {shape}")
        lines.append("fetches: " + ", ".join(
            "(operation)" if s is None else ref(s) for s in plan.fetches))
        if self.code is not None:
            lines.append(f"source ({self.code.filename}):")
            lines.extend(f"  {line}" for line in self.code.lines())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()


def _preview(value: np.ndarray) -> str:
    if value.size > 6 or value.dtype.kind not in "biuf":
        return ""
    return " " + np.array2string(value, separator=", ").replace("\n", "")


def signature_plan(graph: Graph, fetches: Sequence[Tensor | Operation],
                   feeds: Sequence[Tensor]) -> Plan:
    """Pass 1 for one (fetches, feeds) signature; InvalidArgumentError if the plan needs a
    placeholder that is not fed (naming the fetches that depend on it)."""
    plan = build_plan(graph, fetches, feeds)
    unfed = [st for st in plan.steps if st.op_type == "Placeholder"]
    if unfed:
        raise InvalidArgumentError(_unfed_message(unfed[0].op, fetches, feeds),
                                   unfed[0].name, "Placeholder")
    return plan


def compile_plan(graph: Graph | graph_pb2.GraphDef, fetches: Sequence[Any],
                 feeds: Sequence[Any] = (), feed_shapes: Sequence[Any] | None = None,
                 config: CompileOptions | None = None, resources: RunResources | None = None,
                 base: Plan | None = None) -> CompiledPlan:
    """Run the passes (see module doc) for ``fetches`` given ``feeds``.

    ``graph`` is a Graph (fetches: Tensors/Operations, feeds: Tensors) or a GraphDef (then
    fetches and feeds are names, resolved in a fresh import of it). ``feed_shapes``: one
    concrete shape per feed to specialize to; None plans for the feeds' static shapes (a
    shape-generic plan, without planned buffers). ``resources``: the run-time resources
    constant folding may read (default: empty). ``base``: the pass-1 plan of this same
    signature, when the caller keeps it (a Session does, per signature)."""
    options = config if config is not None else CompileOptions()
    graph, fetch_elems, feed_tensors = _resolve(graph, fetches, feeds)
    plan = base if base is not None else signature_plan(graph, fetch_elems, feed_tensors)
    if feed_shapes is None:
        specs = [t.spec for t in feed_tensors]
        concrete = False
    else:
        if len(feed_shapes) != len(feed_tensors):
            raise ValueError(f"compile_plan: {len(feed_shapes)} feed shapes for "
                             f"{len(feed_tensors)} feeds")
        specs = [TensorSpec(t.dtype, tuple(shape)) for t, shape in zip(feed_tensors, feed_shapes)]
        concrete = True
    return compile_from_plan(plan, specs, concrete, options, resources)


def compile_from_plan(plan: Plan, specs: list[TensorSpec], concrete: bool,
                      options: CompileOptions, resources: RunResources | None = None
                      ) -> CompiledPlan:
    """Passes 2-4 on a pass-1 plan, given its feeds' specs (``concrete``: fully known
    shapes, so buffers can be planned) — also how a loop's sub-plans are compiled."""
    check = options.check_numerics
    if options.specialize:
        plan = specialize(plan, specs, resources if resources is not None else RunResources(),
                          fold=not check)
        if not check:
            plan = fuse_scaled_row_updates(plan)
        if concrete and options.threads > 1 and options.codegen and not check:
            plan = parallel.schedule(plan)
        if concrete and options.plan_memory and not check:
            plan = plan_buffers(plan)
            if options.threads > 1 and options.codegen:
                plan = fuse_row_chains(plan)
    code = generate(plan, check) if options.codegen else None
    return CompiledPlan(plan, specs, options, code)


def check_feed_shapes(plan: Plan, feeds: Sequence[Tensor], feed_shapes: Sequence[Any],
                      resources: RunResources) -> None:
    """Everything a specialized plan checks for these feed shapes (the shape rules re-run
    with them, and the kernels constant folding runs), for a caller that then runs the
    shape-generic plan: it raises the same errors and returns nothing."""
    specialize(plan, [TensorSpec(t.dtype, tuple(shape)) for t, shape in zip(feeds, feed_shapes)],
               resources)


def _resolve(graph: Graph | graph_pb2.GraphDef, fetches: Sequence[Any], feeds: Sequence[Any]
             ) -> tuple[Graph, list[Tensor | Operation], list[Tensor]]:
    if not isinstance(graph, Graph):
        imported = Graph()
        with imported.as_default():
            import_graph_def(graph, name="")
        graph = imported
    fetch_elems = [graph.as_graph_element(f) for f in fetches]
    feed_tensors: list[Tensor] = []
    for f in feeds:
        t = graph.as_graph_element(f, allow_operation=False)
        assert isinstance(t, Tensor)
        feed_tensors.append(t)
    return graph, fetch_elems, feed_tensors


def _unfed_message(placeholder: Operation, fetches: Sequence[Tensor | Operation],
                   feeds: Sequence[Tensor]) -> str:
    # Only the fetches that need the placeholder given the feeds (a fed tensor in between
    # cuts the dependency), so the message names the fetch to fix.
    fed_keys = {(t.op.index, t.value_index) for t in feeds}
    needers = [f.name for f in fetches if any(
        op is placeholder for op in graph_index.prune_ops(
            [f if isinstance(f, Operation) else f.op], fed_keys))]
    shape = placeholder.outputs[0].shape
    return (f"You must feed a value for placeholder tensor '{placeholder.name}' with dtype "
            f"{placeholder.outputs[0].dtype.name} and shape {shape}: "
            f"fetch {', '.join(repr(n) for n in needers)} depends on it. Add it to feed_dict, "
            f"e.g. feed_dict={{{placeholder.name}: value}}")
