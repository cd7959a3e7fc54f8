"""Pruning to what fetches need and deterministic ordering, over a GraphDef or a Graph.

Stages (each a plain function over the GraphDef):
  1. NodeDef input strings are split by ``framework.tensor_names.parse_input``;
  2. ``to_networkx`` builds a DiGraph with one node per NodeDef and edges for data
     (``kind="data"``, with ``ports=[(src_output, dst_input), ...]``) and control inputs
     (``kind="control"``); the DiGraph is derived on demand, never stored;
  3. ``prune`` walks backwards from the fetched nodes, stopping at fed tensors;
  4. ``topological_order`` sorts the kept nodes with
     ``networkx.lexicographical_topological_sort`` (ties: pure nodes before state-mutating
     nodes, then GraphDef position), so every pure computation that does not depend on a
     variable update runs before that update. A while loop's back edge (NextIteration ->
     Merge) does not constrain the order; any other cycle raises an error naming its nodes.

The same two walks over a ``Graph``'s handles (``prune_ops``, ``order_ops``) parse no input
strings and build no networkx graph: the plan and the gradient pass use them, so their cost
is linear in the nodes they keep (plus a heap), not in the whole GraphDef.
"""

from __future__ import annotations

import heapq
from collections.abc import Container, Iterable, Sequence
from typing import Any

import networkx as nx

from graphflow.framework import op_registry as registry
from graphflow.framework.errors import GraphBuildError, NotFoundError
from graphflow.framework.tensor import Operation
from graphflow.framework.tensor_names import parse_input
from graphflow.proto import graph_pb2

#: Op records by ``Operation.index``, filled by ``prune_ops`` so a pass looks each one up once.
Records = dict[int, registry.Op]


def to_networkx(graph_def: graph_pb2.GraphDef) -> nx.DiGraph:
    """One DiGraph node per NodeDef (attrs ``index``, ``op``); data and control edges."""
    g: nx.DiGraph[str] = nx.DiGraph()
    for i, node in enumerate(graph_def.node):
        g.add_node(node.name, index=i, op=node.op)
    for node in graph_def.node:
        for dst_port, text in enumerate(node.input):
            src, src_port, is_control = parse_input(text)
            if src not in g:
                raise NotFoundError(f"node '{node.name}' ({node.op}) has input '{text}', but the "
                                    f"graph has no node named '{src}'", node.name, node.op)
            if is_control:
                if not g.has_edge(src, node.name):
                    g.add_edge(src, node.name, kind="control", ports=[])
            else:
                if g.has_edge(src, node.name):
                    g.edges[src, node.name]["ports"].append((src_port, dst_port))
                    g.edges[src, node.name]["kind"] = "data"
                else:
                    g.add_edge(src, node.name, kind="data", ports=[(src_port, dst_port)])
    return g


def prune(graph_def: graph_pb2.GraphDef, targets: Iterable[str],
          fed: Iterable[tuple[str, int]] = (), follow_refs: bool = False) -> set[str]:
    """Names of the nodes that must run to compute ``targets`` (node names) when the tensors
    in ``fed`` (node, output) are supplied by the caller. Ref inputs (the variable an op
    mutates) are not followed — the op needs the variable's storage, not its value — unless
    ``follow_refs`` (every node the targets reference, as sub-graph extraction wants)."""
    by_name = {node.name: node for node in graph_def.node}
    fed_set = set(fed)
    needed: set[str] = set()
    stack = []
    for t in targets:
        if t not in by_name:
            raise NotFoundError(f"the graph has no node named '{t}'", t)
        stack.append(t)
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        needed.add(name)
        node = by_name[name]
        record = None if follow_refs else registry.lookup(node.op)
        refs = record.ref_inputs if record is not None else ()
        for i, text in enumerate(node.input):
            if i in refs:  # the op writes this variable; it does not need its value
                continue
            src, port, _ = parse_input(text)
            if src not in by_name:
                raise NotFoundError(f"node '{name}' ({node.op}) has input '{text}', but the "
                                    f"graph has no node named '{src}'", name, node.op)
            if (src, port) in fed_set:
                continue
            if src not in needed:
                stack.append(src)
    return needed


def mutates_state(op_type: str) -> bool:
    record = registry.lookup(op_type)
    return bool(record is not None and record.ref_inputs)


def topological_order(graph_def: graph_pb2.GraphDef, nodes: Iterable[str] | None = None,
                      state_last: bool = True) -> list[str]:
    """Deterministic execution order of ``nodes`` (default: all); cycle -> GraphBuildError.
    ``state_last=False`` breaks ties by GraphDef position only (the importer uses it, so an
    already sorted GraphDef keeps its node order)."""
    g = to_networkx(graph_def)
    if nodes is not None:
        g = g.subgraph(set(nodes))
    return order_networkx(g, state_last)


_BACK_EDGE_SOURCES = frozenset({"NextIteration", "RefNextIteration"})
_BACK_EDGE_TARGETS = frozenset({"Merge", "RefMerge"})


def order_networkx(g: Any, state_last: bool = True) -> list[str]:
    """The deterministic order of ``g``'s nodes; a while loop's back edges (NextIteration ->
    Merge, the one cycle TF1 allows) are not ordering constraints."""
    back = [(a, b) for a, b in g.edges if g.nodes[a]["op"] in _BACK_EDGE_SOURCES
            and g.nodes[b]["op"] in _BACK_EDGE_TARGETS]
    if back:
        g = nx.restricted_view(g, [], back)
    keys = {n: (1 if state_last and mutates_state(d["op"]) else 0, d["index"])
            for n, d in g.nodes(data=True)}
    try:
        return list(nx.lexicographical_topological_sort(g, key=keys.__getitem__))
    except nx.NetworkXUnfeasible:
        cycle = nx.find_cycle(g)
        names = [edge[0] for edge in cycle]
        path = " -> ".join(f"'{n}' ({g.nodes[n]['op']})" for n in names + [names[0]])
        raise GraphBuildError(f"the graph has a cycle: {path}. A GraphDef must be acyclic; "
                              "remove one of these inputs") from None


def record_of(op: Operation, records: Records) -> registry.Op:
    """The op record of ``op``, looked up by type string once and then kept in ``records``."""
    record = records.get(op.index)
    if record is None:
        record = records[op.index] = registry.get(op.type, op.name)
    return record


def prune_ops(targets: Iterable[Operation], fed: Container[tuple[int, int]] = (),
              records: Records | None = None, follow_refs: bool = False) -> list[Operation]:
    """``prune`` over a Graph's handles: the operations that must run to compute ``targets``
    when the tensors ``fed`` ((op index, output) pairs) are supplied, in creation order.
    Follows data and control inputs, stops at fed tensors, and (unless ``follow_refs``) does
    not follow ref inputs. ``records`` (op index -> record) is filled for every kept op."""
    records = {} if records is None else records
    needed: dict[int, Operation] = {}
    stack = list(targets)
    while stack:
        op = stack.pop()
        if op.index in needed:
            continue
        needed[op.index] = op
        refs = () if follow_refs else record_of(op, records).ref_inputs
        for i, t in enumerate(op.inputs):
            src = t.op
            if i in refs or (src.index, t.value_index) in fed:
                continue
            if src.index not in needed:
                stack.append(src)
        for c in op.control_inputs:
            if (c.index, 0) not in fed and c.index not in needed:
                stack.append(c)
    return [needed[i] for i in sorted(needed)]


def _index(op: Operation) -> int:
    return op.index


def order_ops(ops: Sequence[Operation], records: Records | None = None,
              state_last: bool = True) -> list[Operation]:
    """``topological_order`` over handles: the same order (a lexicographical topological sort
    keyed by (mutates state, position), over data and control edges among ``ops``)."""
    records = {} if records is None else records
    ops = sorted(ops, key=_index)
    late = [op for op in ops if record_of(op, records).ref_inputs] if state_last else []
    if not late:
        # Graphs are append-only (every input, data or control, is created before its
        # consumer), so creation order is topological, and the smallest waiting position is
        # always ready: the sort below would return exactly this order.
        return ops
    members = {op.index for op in ops}
    waiting: dict[int, int] = {}
    successors: dict[int, list[Operation]] = {}
    for op in ops:
        preds = {t.op.index for t in op.inputs} | {c.index for c in op.control_inputs}
        preds &= members
        waiting[op.index] = len(preds)
        for p in preds:
            successors.setdefault(p, []).append(op)

    def key(op: Operation) -> tuple[int, int]:
        late = 1 if state_last and record_of(op, records).ref_inputs else 0
        return late, op.index

    by_index = {op.index: op for op in ops}
    heap = [key(op) for op in ops if waiting[op.index] == 0]
    heapq.heapify(heap)
    order: list[Operation] = []
    while heap:
        _, index = heapq.heappop(heap)
        op = by_index[index]
        order.append(op)
        for succ in successors.get(index, ()):
            waiting[succ.index] -= 1
            if waiting[succ.index] == 0:
                heapq.heappush(heap, key(succ))
    if len(order) != len(ops):  # a Graph is append-only, so this needs a corrupted graph
        stuck = sorted(i for i, n in waiting.items() if n > 0)
        raise GraphBuildError("the graph has a cycle among: " + ", ".join(
            f"'{by_index[i].name}' ({by_index[i].type})" for i in stuck[:10]))
    return order
