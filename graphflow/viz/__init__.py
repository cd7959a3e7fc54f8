"""Pictures of graphs: ``gf.viz.to_dot`` (-> ``pydot.Dot``) and ``gf.viz.render`` (-> file).

Structure view: nodes labelled with name and op type, edges with static shapes, name scopes
as clusters, gradient subgraphs in red, control edges dashed; ``RenderOptions`` collapses
scopes for large graphs. Values view (the lecture's walkthrough picture)::

    values = gf.viz.compute_values(graph, {x: 1, y: 2, z: 0}, grad_of=f)
    gf.viz.render(values, "walkthrough.svg")

writes each edge's forward value (green) and the gradient of ``f`` with respect to it (red).
``gf.viz.to_html(values, "explorer.html")`` writes the interactive explorer (one
self-contained page: pan/zoom, expandable scopes, search, details, step-through of backprop).
"""

from graphflow.viz.dot import to_dot
from graphflow.viz.explorer import to_html
from graphflow.viz.labels import format_value
from graphflow.viz.options import Annotations, RenderOptions
from graphflow.viz.output import GraphvizNotFoundError, find_dot, render, write
from graphflow.viz.values import GraphValues, compute_values

__all__ = ["Annotations", "GraphValues", "GraphvizNotFoundError", "RenderOptions",
           "compute_values", "find_dot", "format_value", "render", "to_dot", "to_html", "write"]
