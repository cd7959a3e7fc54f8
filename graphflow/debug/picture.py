"""The debugging reports on the picture: a gradient heat map and the NaN/Inf origin, drawn
on the rendering package's values view through its ``gf.viz.Annotations`` hook.

Stages of ``debug_dot`` / ``render_debug``:
  1. evaluate the graph with ``gf.viz.compute_values`` (forward values and, with
     ``grad_of``, the gradient of that tensor with respect to every forward tensor);
  2. heat map (``gradient_heatmap``): each forward tensor's gradient magnitude (its RMS,
     ``sqrt(mean(g^2))``) is placed on a log scale between the smallest and largest
     non-zero magnitudes of the picture and coloured from blue (small: a vanishing signal)
     through grey to red (large); the pen gets wider with the magnitude. Zero gradients are
     drawn dotted grey, non-finite ones dashed light purple;
  3. NaN/Inf (``nan_annotations``): the origin is the first node in execution order with a
     non-finite output (a gradient node counts, and is shown on the forward node whose
     backward pass it belongs to); it is drawn purple and bold with a note giving the
     NaN/Inf counts and its inputs' min/max, and every non-finite tensor downstream of it
     (the path the NaN took) is drawn purple and bold too. These marks override the heat
     map;
  4. draw with ``gf.viz.to_dot`` / ``gf.viz.render`` and those annotations.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydot

from graphflow.compiler.gradient_scopes import forward_node_of, is_gradient_node
from graphflow.framework.graph import Graph
from graphflow.framework.indexed_slices import as_dense
from graphflow.framework.tensor_names import split_tensor_name
from graphflow.runtime.numerics import summarize
from graphflow.viz.dot import to_dot
from graphflow.viz.options import Annotations, RenderOptions
from graphflow.viz.output import render
from graphflow.viz.values import GraphValues, compute_values

NAN_COLOR = "#7e22ce"
NAN_FILL = "#f3e8ff"
GRADIENT_NAN_COLOR = "#c084fc"  # a non-finite gradient (a consequence, not the origin)
ZERO_COLOR = "#9ca3af"
#: Heat-map stops from small to large gradient magnitude (blue -> grey -> red).
HEAT_STOPS = ((0x3b, 0x4c, 0xc0), (0xb8, 0xb8, 0xb8), (0xb4, 0x04, 0x26))


@dataclass(frozen=True)
class NanOrigin:
    """Where NaN/Inf first appears in an evaluated graph, and where it spread."""

    node: str  # the first node (in execution order) with a non-finite output
    op_type: str
    drawn_node: str  # the forward node that carries the mark (== node for forward nodes)
    tensors: tuple[str, ...]  # non-finite forward tensors downstream (the path)
    note: str


def gradient_magnitude(g: Any) -> float:
    """RMS of a gradient value (NaN when it is not finite)."""
    a = as_dense(g, np.float64)
    if a.size == 0:
        return 0.0
    if not np.isfinite(a).all():
        return float("nan")
    return float(np.sqrt(np.mean(a * a)))


def heat_color(fraction: float) -> str:
    """``#rrggbb`` on the blue -> grey -> red ramp for ``fraction`` in [0, 1]."""
    f = min(max(fraction, 0.0), 1.0) * (len(HEAT_STOPS) - 1)
    i = min(int(f), len(HEAT_STOPS) - 2)
    t = f - i
    a, b = HEAT_STOPS[i], HEAT_STOPS[i + 1]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def gradient_heatmap(values: GraphValues, vmin: float | None = None,
                     vmax: float | None = None, notes: bool = False) -> Annotations:
    """``gf.viz.Annotations`` colouring each forward edge by the magnitude of the gradient
    of its tensor (``values`` from ``gf.compute_values(..., grad_of=...)``).
    ``vmin``/``vmax`` fix the scale's ends (default: the picture's extremes); ``notes``
    adds ``|g| rms=...`` to the edge labels."""
    mags = {t: gradient_magnitude(g) for t, g in values.gradients.items()
            if not is_gradient_node(split_tensor_name(t)[0])}
    positive = [m for m in mags.values() if m > 0 and math.isfinite(m)]
    lo = math.log10(vmin) if vmin else (math.log10(min(positive)) if positive else 0.0)
    hi = math.log10(vmax) if vmax else (math.log10(max(positive)) if positive else 0.0)
    edge_attrs: dict[str, dict[str, str]] = {}
    edge_notes: dict[str, str] = {}
    for tensor, m in sorted(mags.items()):
        if math.isnan(m):
            edge_attrs[tensor] = {"color": GRADIENT_NAN_COLOR, "penwidth": "1.5",
                                  "style": "dashed"}
            if notes:
                edge_notes[tensor] = "|g| NaN/Inf"
            continue
        if m == 0:
            edge_attrs[tensor] = {"color": ZERO_COLOR, "style": "dotted"}
        else:
            frac = 0.5 if hi - lo < 1e-12 else (math.log10(m) - lo) / (hi - lo)
            edge_attrs[tensor] = {"color": heat_color(frac),
                                  "penwidth": f"{1 + 2.5 * min(max(frac, 0.0), 1.0):.2f}"}
        if notes:
            edge_notes[tensor] = f"|g| rms={m:.3g}"
    return Annotations(edge_attrs=edge_attrs, edge_notes=edge_notes,
                       legend=heatmap_legend(lo, hi, any(m == 0 for m in mags.values()),
                                             any(math.isnan(m) for m in mags.values())))


def heatmap_legend(lo: float, hi: float, zero: bool = False, nan: bool = False
                   ) -> tuple[tuple[str, str], ...]:
    """The heat map's legend rows: its colour scale (log10 ends ``lo``/``hi``) and marks."""
    rows = [(heat_color(0.0), f"small gradient: rms {10 ** lo:.3g} (vanishing signal)"),
            (heat_color(0.5), f"rms {10 ** ((lo + hi) / 2):.3g} (log scale)"),
            (heat_color(1.0), f"large gradient: rms {10 ** hi:.3g}")]
    if zero:
        rows.append((f"{ZERO_COLOR} dotted", "zero gradient"))
    if nan:
        rows.append((f"{GRADIENT_NAN_COLOR} dashed", "NaN/Inf gradient"))
    return tuple(rows)


def find_nan_origin(values: GraphValues) -> NanOrigin | None:
    """The first node of ``values.graph`` (execution order) whose output has NaN/Inf, and
    the non-finite forward tensors downstream of it; None when everything is finite."""
    graph = values.graph
    ops = [op for op in graph.get_operations() if op.name not in values.helper_nodes]
    origin = next((op for op in ops if any(_bad(values.forward.get(t.name))
                                             for t in op.outputs)), None)
    if origin is None:
        return None
    drawn = origin.name
    forward = forward_node_of(origin.name) if is_gradient_node(origin.name) else None
    if forward is not None:
        drawn = forward
    if forward is None:  # the NaN flows forward from the origin
        downstream = _downstream(graph, origin.name)
        path = tuple(sorted(t.name for op in ops if op.name in downstream
                            and not is_gradient_node(op.name) for t in op.outputs
                            if _bad(values.forward.get(t.name))))
    else:  # it flows backward: every forward tensor whose gradient it reached
        path = tuple(sorted(t for t, g in values.gradients.items() if _bad(g)))
    bad_out = [summarize(t.name, f"output {k}", values.forward.get(t.name))
               for k, t in enumerate(origin.outputs) if _bad(values.forward.get(t.name))]
    ins = [summarize(t.name, t.name, values.forward.get(t.name)) for t in origin.inputs]
    parts = [f"NaN/Inf origin: {bad_out[0].bad_counts()}" if bad_out else "NaN/Inf origin"]
    if forward is not None:
        parts.append(f"in its gradient: {origin.name} ({origin.type})")
    for s in ins:
        if s.min is not None:
            parts.append(f"{s.tensor}: min {s.min:.4g} max {s.max:.4g}"
                         + ("" if s.finite else f" ({s.bad_counts()})"))
    return NanOrigin(origin.name, origin.type, drawn, path, "\n".join(parts))


def nan_annotations(values: GraphValues, origin: NanOrigin | None = None) -> Annotations:
    """``gf.viz.Annotations`` marking the NaN/Inf origin and its path (empty if none)."""
    origin = origin or find_nan_origin(values)
    if origin is None:
        return Annotations()
    node_attrs = {origin.drawn_node: {"color": NAN_COLOR, "fillcolor": NAN_FILL,
                                      "penwidth": "3.5", "style": "filled,bold"}}
    downstream = {split_tensor_name(t)[0] for t in origin.tensors} - {origin.drawn_node}
    if origin.node != origin.drawn_node:
        downstream -= {split_tensor_name(t)[0] for t in origin.tensors}
    for name in sorted(downstream):
        node_attrs[name] = {"color": NAN_COLOR, "penwidth": "2"}
    edges = {t: {"color": NAN_COLOR, "penwidth": "3", "style": "bold"} for t in origin.tensors}
    legend = ((NAN_COLOR, f"NaN/Inf origin: {origin.drawn_node}"),
              (NAN_COLOR, "the path the NaN/Inf took (bold)"))
    return Annotations(node_attrs=node_attrs, edge_attrs=edges,
                       node_notes={origin.drawn_node: origin.note}, legend=legend)


def merge(*annotations: Annotations) -> Annotations:
    """One ``Annotations`` from several; later ones win per node/edge."""
    out: dict[str, dict[str, Any]] = {"node_attrs": {}, "edge_attrs": {}, "node_notes": {},
                                      "edge_notes": {}}
    legend: dict[tuple[str, str], None] = {}
    for a in annotations:
        for key, table in out.items():
            table.update(getattr(a, key))
        legend.update(dict.fromkeys(a.legend))
    return Annotations(**out, legend=tuple(legend))


def debug_annotations(values: GraphValues, heatmap: bool = True, notes: bool = False
                      ) -> Annotations:
    """Heat map (when ``values`` has gradients) with the NaN origin and path on top."""
    parts = []
    if heatmap and values.target is not None:
        parts.append(gradient_heatmap(values, notes=notes))
    parts.append(nan_annotations(values))
    return merge(*parts)


def debug_dot(graph: Any, feed_dict: Mapping[Any, Any] | None = None, grad_of: Any = None,
              session: Any = None, options: RenderOptions | None = None,
              heatmap: bool = True) -> pydot.Dot:
    """The values view of ``graph`` (``pydot.Dot``) with the heat map and NaN marks."""
    values = compute_values(graph, feed_dict, grad_of=grad_of, session=session)
    return to_dot(values, options, debug_annotations(values, heatmap))


def render_debug(graph: Any, path: str | os.PathLike[str],
                 feed_dict: Mapping[Any, Any] | None = None, grad_of: Any = None,
                 session: Any = None, options: RenderOptions | None = None,
                 heatmap: bool = True) -> Path:
    """Write ``debug_dot``'s picture to ``path`` (.dot, .svg, .png, .pdf)."""
    values = compute_values(graph, feed_dict, grad_of=grad_of, session=session)
    return render(values, path, options, debug_annotations(values, heatmap))


def _bad(value: Any) -> bool:
    if value is None:
        return False
    a = as_dense(value)
    return a.dtype.kind in "fc" and not np.isfinite(a).all()


def _downstream(graph: Graph, name: str) -> set[str]:
    """``name`` and every op reachable from it through data edges."""
    consumers: dict[str, list[str]] = {}
    for op in graph.get_operations():
        for t in op.inputs:
            consumers.setdefault(t.op.name, []).append(op.name)
    seen: set[str] = set()
    stack = [name]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(consumers.get(n, ()))
    return seen
