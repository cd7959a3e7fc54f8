"""Layout decisions that keep Graphviz fast and the picture readable.

* ``reversed_for_layout``: an edge between two gradient nodes is handed to Graphviz reversed
  (and drawn with ``dir=back``), so the backward pass runs back alongside the forward pass
  it differentiates instead of below it; edges from a forward tensor to the gradient op that
  reads it become short. This is the lecture's picture, and cuts layout time on training
  graphs by an order of magnitude.
* ``resolve_auto``: size-dependent defaults. Graphviz's cost grows with the number of ranks
  each edge crosses (every crossing is a virtual node), and edge labels double the ranks;
  ``span_estimate`` counts the crossings with longest-path ranks, and above a budget the
  fast layout is used (labels placed after layout, bounded optimisation passes). Clusters
  are dropped for very large uncollapsed graphs, where they dominate the layout time.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from graphflow.viz.model import VizEdge, VizGraph
from graphflow.viz.options import CLUSTER_LIMIT, FAST_LAYOUT_LIMIT, RenderOptions

#: Above this many estimated rank crossings (virtual nodes) the fast layout is used.
SPAN_BUDGET = 1500


def reversed_for_layout(edge: VizEdge, gradient: set[str]) -> bool:
    """True if ``edge`` joins two gradient nodes (it is laid out backwards)."""
    return edge.src in gradient and edge.dst in gradient


def layout_pairs(vg: VizGraph) -> Iterable[tuple[str, str]]:
    """The (tail, head) pairs Graphviz ranks, after reversing gradient edges."""
    gradient = {n.name for n in vg.nodes if n.gradient}
    for e in vg.edges:
        yield (e.dst, e.src) if reversed_for_layout(e, gradient) else (e.src, e.dst)


def span_estimate(vg: VizGraph) -> int:
    """Sum over edges of the ranks they cross, with longest-path ranks (an upper bound of
    what Graphviz's ranking produces); a cyclic layout graph counts as over budget."""
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_nodes_from(n.name for n in vg.nodes)
    pairs = list(layout_pairs(vg))
    g.add_edges_from(pairs)
    try:
        order = list(nx.topological_sort(g))
    except nx.NetworkXUnfeasible:
        return SPAN_BUDGET + 1
    rank = dict.fromkeys(order, 0)
    for n in order:
        for m in g.successors(n):
            rank[m] = max(rank[m], rank[n] + 1)
    return sum(max(rank[b] - rank[a] - 1, 0) for a, b in pairs)


def resolve_auto(options: RenderOptions, vg: VizGraph) -> RenderOptions:
    """``options`` with its automatic fields (clusters, fast_layout) decided for ``vg``."""
    changes: dict[str, bool] = {}
    drawn = len(vg.nodes)
    if options.clusters is None:
        changes["clusters"] = drawn <= CLUSTER_LIMIT
    if options.fast_layout is None:
        changes["fast_layout"] = drawn > FAST_LAYOUT_LIMIT or span_estimate(vg) > SPAN_BUDGET
    return options.replace(**changes) if changes else options
