"""GraphDef -> networkx DiGraph, pruning to what fetches need, deterministic ordering.

Stages (each a plain function over the GraphDef):
  1. NodeDef input strings are split by ``framework.tensor_names.parse_input``;
  2. ``to_networkx`` builds a DiGraph with one node per NodeDef and edges for data
     (``kind="data"``, with ``ports=[(src_output, dst_input), ...]``) and control inputs
     (``kind="control"``); the DiGraph is derived on demand, never stored;
  3. ``prune`` walks backwards from the fetched nodes, stopping at fed tensors;
  4. ``topological_order`` sorts the kept nodes with
     ``networkx.lexicographical_topological_sort`` (ties: pure nodes before state-mutating
     nodes, then GraphDef position), so every pure computation that does not depend on a
     variable update runs before that update. A cycle raises an error naming its nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from graphflow.framework import op_registry as registry
from graphflow.framework.errors import GraphBuildError, NotFoundError
from graphflow.framework.tensor_names import parse_input
from graphflow.proto import graph_pb2


def to_networkx(graph_def: graph_pb2.GraphDef) -> nx.DiGraph:
    """One DiGraph node per NodeDef (attrs ``index``, ``op``); data and control edges."""
    g = nx.DiGraph()
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


def order_networkx(g: Any, state_last: bool = True) -> list[str]:
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
