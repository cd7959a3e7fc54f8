"""The drawing model: a GraphDef reduced to what a picture needs, and its transformations.

Stages (plain functions, each returning a new ``VizGraph``):
  1. ``build``: one ``VizNode`` per NodeDef, in lexicographic topological order (by name, so
     the result does not depend on the GraphDef's node order), one ``VizEdge`` per data input
     (labelled with the static shape) and per control input; each node knows the name scope
     (cluster) it sits in and whether it belongs to a gradient subgraph;
  2. ``hide_gradients``: drop the nodes under ``gradients*/`` scopes and their edges;
  3. ``add_sinks``: values view only: a small end point for tensors nobody visible reads,
     so their value (e.g. the loss) still has an edge to be written on;
  4. ``collapse``: replace every name scope at a given depth by one node; parallel edges
     between two collapsed scopes become one edge carrying all their tensors.

Static shapes come from the Graph when one is given; for a bare GraphDef each node's shape
rule is run on its inputs' shapes, as importing it would (a node whose op graphflow does not
know, or whose rule fails, gets unlabeled out-edges). TensorFlow's ``_output_shapes``
attribute, when present, refines both.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from graphflow.compiler import gradient_scopes
from graphflow.framework import attrs as attr_codec
from graphflow.framework import op_registry as registry
from graphflow.framework.tensor import TensorSpec
from graphflow.framework.tensor_names import parse_input, split_tensor_name
from graphflow.framework.tensor_shape import TensorShape, as_shape
from graphflow.proto import graph_pb2
from graphflow.proto.node_def_pb2 import NodeDef
from graphflow.viz import labels, styles

SINK = "sink"
SINK_PREFIX = "\x00sink/"  # cannot collide with a node name


@dataclass(frozen=True)
class VizNode:
    """One drawn node: a graph node, a collapsed name scope, or a values-view end point."""

    name: str
    op: str
    kind: str
    gradient: bool
    container: str  # the name scope (cluster) the node is drawn in; "" for the top level
    members: tuple[str, ...] = ()  # graph nodes inside a collapsed scope
    absorbed: tuple[str, ...] = ()  # graph nodes folded into this one (viz.simplify)
    notes: tuple[str, ...] = ()  # extra label lines, e.g. folded constants ("shape = [1, -1]")
    label: str = ""  # the name to print inside its cluster, when not a suffix of the container

    @property
    def names(self) -> tuple[str, ...]:
        """The graph node names this drawn node stands for."""
        return (self.members or (self.name,)) + self.absorbed


@dataclass(frozen=True)
class VizEdge:
    """One drawn edge; ``tensors`` are the tensor names it carries (empty for control)."""

    src: str
    dst: str
    control: bool
    tensors: tuple[str, ...] = ()
    label: str = ""  # static shape text
    count: int = 1  # graph edges aggregated into this one
    consumer: str = ""  # for a single data edge: the graph node it feeds (even if collapsed)
    port: int = -1  # ... and which of that node's inputs; -1 otherwise


@dataclass(frozen=True)
class VizGraph:
    nodes: tuple[VizNode, ...]
    edges: tuple[VizEdge, ...]


# -- 1. build ------------------------------------------------------------------------------
def build(graph_def: graph_pb2.GraphDef,
          specs: Mapping[str, Sequence[TensorSpec | None]] | None = None) -> VizGraph:
    """The drawing model of ``graph_def``; ``specs`` (node name -> output specs) are the
    static facts of a built Graph, else they are inferred here."""
    by_name = {n.name: n for n in graph_def.node}
    order = _order(graph_def, by_name)
    if specs is None:
        specs = infer_specs(graph_def, order)
    shape_of = _shape_labels(by_name, specs)
    scopes = _scopes(by_name)
    nodes = tuple(_node(by_name[name], scopes) for name in order)
    edges: list[VizEdge] = []
    for name in order:
        node = by_name[name]
        data_index = 0
        for text in node.input:
            src, port, control = parse_input(text)
            if src in by_name and control:
                edges.append(VizEdge(src, name, True))
            elif src in by_name:  # (a dangling input has nothing to draw it from)
                tensor = f"{src}:{port}"
                edges.append(VizEdge(src, name, False, (tensor,), shape_of.get(tensor, ""),
                                     consumer=name, port=data_index))
            data_index += not control
    return VizGraph(nodes, tuple(edges))


def _order(graph_def: graph_pb2.GraphDef, by_name: Mapping[str, NodeDef]) -> list[str]:
    g = nx.DiGraph()
    g.add_nodes_from(sorted(by_name))
    for node in graph_def.node:
        for text in node.input:
            src = parse_input(text)[0]
            if src in by_name:
                g.add_edge(src, node.name)
    try:
        return list(nx.lexicographical_topological_sort(g))
    except nx.NetworkXUnfeasible:  # not a valid GraphDef, but still draw it
        return sorted(by_name)


def _scopes(names: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for name in names:
        parts = name.split("/")
        for i in range(1, len(parts)):
            out.add("/".join(parts[:i]))
    return out


def _parent(name: str) -> str:
    return name.rpartition("/")[0]


def _node(node: NodeDef, scopes: set[str]) -> VizNode:
    name, op = node.name, node.op
    container = name if name in scopes else _parent(name)  # "W" sits with "W/read"
    return VizNode(name, op, styles.classify(op), gradient_scopes.is_gradient_node(name), container)


def infer_specs(graph_def: graph_pb2.GraphDef, order: Sequence[str] | None = None
                ) -> dict[str, list[TensorSpec | None] | None]:
    """Static output specs of every node, running each op's shape rule; None where unknown."""
    by_name = {n.name: n for n in graph_def.node}
    specs: dict[str, list[TensorSpec | None] | None] = {}
    for name in order if order is not None else _order(graph_def, by_name):
        node = by_name[name]
        record = registry.lookup(node.op)
        inputs: list[TensorSpec] = []
        input_names: list[str] = []
        for text in node.input:
            src, port, control = parse_input(text)
            if control:
                continue
            known = specs.get(src)
            spec = known[port] if known is not None and port < len(known) else None
            if spec is None:
                record = None
                break
            inputs.append(spec)
            input_names.append(f"{src}:{port}")
        out: list[TensorSpec | None] | None = None
        if record is not None:
            try:
                out = list(record.infer(registry.InferContext(record, node, inputs,
                                                              input_names)))
            except Exception:  # noqa: BLE001 - a drawing falls back to unlabeled edges
                out = None
        specs[name] = out
    return specs


def _shape_labels(by_name: Mapping[str, NodeDef],
                  specs: Mapping[str, Sequence[TensorSpec | None] | None]) -> dict[str, str]:
    """Tensor name -> shape text: the static spec, refined by TensorFlow's ``_output_shapes``
    attribute when the writer stored it (``as_graph_def(add_shapes=True)``), which also
    labels the outputs of ops graphflow does not know."""
    out: dict[str, str] = {}
    for name, node in by_name.items():
        inferred = list(specs.get(name) or [])
        declared = _declared_shapes(node)
        for i in range(max(len(inferred), len(declared))):
            spec = inferred[i] if i < len(inferred) else None
            shape = declared[i] if i < len(declared) else None
            if spec is not None and shape is not None:
                try:
                    spec = TensorSpec(spec.dtype, spec.shape.merge_with(shape))
                except ValueError:
                    pass  # contradicting facts: keep graphflow's own
            if spec is not None:
                out[f"{name}:{i}"] = labels.shape_text(spec)
            elif shape is not None:
                out[f"{name}:{i}"] = labels.shape_text(_ShapeOnly(shape), show_dtype=False)
    return out


def _declared_shapes(node: NodeDef) -> list[TensorShape]:
    """TensorFlow's ``_output_shapes`` attribute (empty if absent or unreadable)."""
    attr = node.attr
    if "_output_shapes" not in attr:
        return []
    try:
        shapes = attr_codec.decode(attr["_output_shapes"])
        return [as_shape(s) for s in shapes or []]
    except Exception:  # noqa: BLE001 - a drawing ignores an unreadable hint
        return []


class _ShapeOnly:
    """A shape without a dtype, for ``labels.shape_text``."""

    def __init__(self, shape: TensorShape) -> None:
        self.shape = shape
        self.dtype = None


# -- 2. hide gradients ---------------------------------------------------------------------
def hide_gradients(vg: VizGraph) -> VizGraph:
    """Drop every node of a gradient subgraph and the edges touching them."""
    return restrict(vg, {n.name for n in vg.nodes if not n.gradient})


def restrict(vg: VizGraph, keep: set[str]) -> VizGraph:
    nodes = tuple(n for n in vg.nodes if n.name in keep)
    edges = tuple(e for e in vg.edges if e.src in keep and e.dst in keep)
    return VizGraph(nodes, edges)


# -- 3. sinks ------------------------------------------------------------------------------
def add_sinks(vg: VizGraph, tensors: Iterable[str]) -> VizGraph:
    """Give each of ``tensors`` that no drawn edge carries an edge to a small end point."""
    by_name = {n.name: n for n in vg.nodes}
    carried = {t for e in vg.edges for t in e.tensors}
    nodes, edges = list(vg.nodes), list(vg.edges)
    for tensor in sorted(set(tensors) - carried):
        src = split_tensor_name(tensor)[0]
        if src not in by_name:
            continue
        sink = SINK_PREFIX + tensor
        nodes.append(VizNode(sink, "", SINK, by_name[src].gradient, ""))
        edges.append(VizEdge(src, sink, False, (tensor,)))
    return VizGraph(tuple(nodes), tuple(edges))


# -- 4. collapse ---------------------------------------------------------------------------
def collapse(vg: VizGraph, depth: int) -> VizGraph:
    """Replace each name scope at ``depth`` (1 = top level) by one node of kind SCOPE."""
    group_of: dict[str, str] = {}
    for n in vg.nodes:
        parts = n.container.split("/") if n.container else []
        if n.kind != SINK and len(parts) >= depth:
            group = "/".join(parts[:depth])
            if n.gradient and not gradient_scopes.is_gradient_scope(group):
                group += "/gradients"  # gradients placed beside a forward scope: own group
            group_of[n.name] = group
    members: dict[str, list[str]] = {}
    for name, group in group_of.items():
        members.setdefault(group, []).append(name)
    nodes: list[VizNode] = []
    for n in vg.nodes:
        group = group_of.get(n.name)
        if group is None:
            nodes.append(n)
        elif members[group][0] == n.name:  # first member (in drawing order) places the group
            beside = n.gradient and not gradient_scopes.is_gradient_scope(_parent(group))
            nodes.append(VizNode(group, "", styles.SCOPE, gradient_scopes.is_gradient_scope(group),
                                 _parent(_parent(group)) if beside else _parent(group),
                                 tuple(sorted(members[group]))))
    return VizGraph(tuple(nodes), _aggregate(vg.edges, group_of))


def _aggregate(edges: Sequence[VizEdge], group_of: Mapping[str, str]) -> tuple[VizEdge, ...]:
    merged: dict[tuple[str, str, bool], list[VizEdge]] = {}
    for e in edges:
        src, dst = group_of.get(e.src, e.src), group_of.get(e.dst, e.dst)
        if src != dst:
            merged.setdefault((src, dst, e.control), []).append(e)
    out = []
    for (src, dst, control), group in merged.items():
        tensors = tuple(dict.fromkeys(t for e in group for t in e.tensors))
        count = sum(e.count for e in group)
        if len(group) == 1:
            out.append(group[0] if (src, dst) == (group[0].src, group[0].dst) else
                       dataclasses.replace(group[0], src=src, dst=dst))
            continue
        if len(tensors) == 1:
            label = group[0].label
        elif tensors:
            label = f"{len(tensors)} tensors"
        else:
            label = ""
        out.append(VizEdge(src, dst, control, tensors, label, count))
    return tuple(out)


def op_summary(members: Sequence[str], op_of: Mapping[str, str], limit: int = 3) -> str:
    """``"12 ops: MatMul x4, AddV2 x3, ..."`` for a collapsed scope."""
    counts = Counter(op_of[m] for m in members if m in op_of)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = [f"{op} x{k}" if k > 1 else op for op, k in top[:limit]]
    if len(top) > limit:
        parts.append("...")
    noun = "op" if len(members) == 1 else "ops"
    return f"{len(members)} {noun}: {', '.join(parts)}"

