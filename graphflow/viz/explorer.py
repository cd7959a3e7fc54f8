"""``to_html``: the graph explorer, one self-contained HTML page (no network access).

The page shows a Graph, GraphDef or ``GraphValues`` with pan/zoom, name scopes that expand
and collapse in place, a search box, and a details panel (``id="details"``) for the selected
node: op, attributes, input/output shapes and dtypes, value and gradient when computed, and
the gradient rule's math from its docstring. With values and a ``grad_of`` target, Next/Back
buttons (``step-next``/``step-back``) walk the forward pass and then the backward pass node
by node (``viz.explorer_steps``). Every drawn node carries ``data-node="<full name>"``.

Stages: the same drawing model as the static pictures (``viz.model`` plus the teaching
simplifications of ``viz.simplify``), turned into plain JSON (nodes with their details,
edges with shapes/values/gradient shares, the scope tree, the steps); the page inlines that
JSON, the vendored dagre layout library (``viz/static/dagre.min.js``, MIT, with its licence)
and ``viz/static/explorer.js``/``.css``, which lay out only what is expanded and redraw on
every expand/collapse.
"""

from __future__ import annotations

import html
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from graphflow.compiler import gradient_scopes
from graphflow.framework import attrs as attr_codec
from graphflow.framework.graph import Graph
from graphflow.framework.tensor import TensorSpec
from graphflow.framework.tensor_names import as_graph_def
from graphflow.proto.node_def_pb2 import NodeDef
from graphflow.viz import dot, explorer_steps, labels, model, rules, styles
from graphflow.viz.model import VizEdge, VizGraph, VizNode
from graphflow.viz.options import RenderOptions
from graphflow.viz.values import GraphValues

#: Graphs with at most this many drawn nodes open with every scope expanded.
EXPAND_LIMIT = 30
#: Values longer than this many elements are summarised in the details panel.
DETAIL_ELEMENTS = 24
_STATIC = ("dagre.min.js", "LICENSE-dagre.txt", "explorer.js", "explorer.css")


def to_html(graph: Any, path: str | os.PathLike[str] | None = None,
            options: RenderOptions | None = None, title: str | None = None,
            expanded: bool | None = None) -> str | Path:
    """The explorer page of ``graph`` (Graph, GraphDef or ``GraphValues``): written to
    ``path`` (returns the path) or returned as text when ``path`` is None. ``expanded``:
    open with all scopes expanded (default: when at most ``EXPAND_LIMIT`` nodes)."""
    data = explorer_data(graph, options, title, expanded)
    text = page(data)
    if path is None:
        return text
    target = Path(path)
    if target.parent and not target.parent.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def explorer_data(graph: Any, options: RenderOptions | None = None, title: str | None = None,
                  expanded: bool | None = None) -> dict[str, Any]:
    """The JSON the page draws (see the module docstring); also what the tests check."""
    options = options or RenderOptions()
    values = graph if isinstance(graph, GraphValues) else None
    source = values.graph if values is not None else graph
    graph_def = as_graph_def(source)
    node_defs = {n.name: n for n in graph_def.node}
    specs = _specs(source)
    vg = model.build(graph_def, specs)
    show_gradients = options.show_gradient_nodes
    if show_gradients is None:
        show_gradients = values is None or values.target is None
    if not show_gradients:
        vg = model.hide_gradients(vg)
    if values is not None:
        vg = model.restrict(vg, {n.name for n in vg.nodes} - values.helper_nodes)
    vg = dot.simplified(vg, graph_def, options)
    if specs is None:
        specs = {k: v for k, v in model.infer_specs(graph_def).items() if v is not None}
    writer = _Payload(vg, node_defs, specs, values, options)
    nodes = [writer.node(n) for n in vg.nodes]
    edges = [writer.edge(e) for e in vg.edges]
    steps = explorer_steps.walkthrough(vg, values, vg.edges, options.max_elements,
                                       options.precision) if values is not None else []
    auto = len(vg.nodes) <= EXPAND_LIMIT
    return {
        "title": title or ("graphflow explorer" if values is None or values.target is None
                           else f"graphflow explorer: backprop of {values.target}"),
        "rankdir": options.rankdir or ("LR" if values is not None else "TB"),
        "target": values.target if values is not None else None,
        "hasValues": values is not None,
        "expanded": auto if expanded is None else expanded,
        "nodes": nodes,
        "edges": edges,
        "scopes": _scope_tree(vg),
        "steps": [s.as_json() for s in steps],
        "colors": {"forward": styles.FORWARD_VALUE_COLOR,
                   "gradient": styles.GRADIENT_VALUE_COLOR, "muted": styles.MUTED_COLOR},
    }


def _specs(source: Any) -> dict[str, list[TensorSpec | None]] | None:
    if isinstance(source, Graph):
        return {op.name: [t.spec for t in op.outputs] for op in source.get_operations()}
    return None


def scope_of(n: VizNode) -> str:
    """The scope a node is drawn in on the page: a node that shares its name with a scope
    (a variable ``W`` with its optimizer slots ``W/Adam``) sits beside that scope, so it stays
    visible, and clickable, while the scope is collapsed."""
    return n.container.rpartition("/")[0] if n.container == n.name else n.container


def _scope_tree(vg: VizGraph) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for n in vg.nodes:
        scope = scope_of(n)
        parts = scope.split("/") if scope else []
        for i in range(1, len(parts) + 1):
            scope = "/".join(parts[:i])
            counts[scope] = counts.get(scope, 0) + 1
    out = []
    for scope in sorted(counts):
        out.append({"name": scope, "parent": scope.rpartition("/")[0],
                    "label": scope.rpartition("/")[2], "count": counts[scope],
                    "gradient": gradient_scopes.is_gradient_scope(scope)})
    return out


class _Payload:
    """Turns drawing-model nodes and edges into the page's JSON records."""

    def __init__(self, vg: VizGraph, node_defs: dict[str, NodeDef],
                 specs: dict[str, Any], values: GraphValues | None,
                 options: RenderOptions) -> None:
        self.node_defs = node_defs
        self.specs = specs
        self.values = values
        self.options = options
        self.readers: dict[str, int] = {}
        for e in vg.edges:
            for t in e.tensors:
                self.readers[t] = self.readers.get(t, 0) + 1

    def fmt(self, value: Any, long: bool = False) -> str:
        return labels.format_value(value, DETAIL_ELEMENTS if long else self.options.max_elements,
                                   self.options.precision)

    def node(self, n: VizNode) -> dict[str, Any]:
        style = styles.node_attrs(n.kind, n.gradient)
        node_def = self.node_defs.get(n.name)
        inputs = []
        if node_def is not None:
            for text in node_def.input:
                control = text.startswith("^")
                name = text[1:] if control else (text if ":" in text else f"{text}:0")
                inputs.append({"tensor": name, "control": control,
                               "spec": "" if control else self._spec_text(name)})
        outputs = []
        for i, spec in enumerate(self.specs.get(n.name) or []):
            tensor = f"{n.name}:{i}"
            out: dict[str, Any] = {"tensor": tensor, "spec": labels.shape_text(spec) +
                                   ("" if spec is None or spec.dtype.name != "float32"
                                    else " float32")}
            if self.values is not None:
                read = f"{n.name}/read:0" if n.kind == styles.VARIABLE and n.absorbed else None
                value = self.values.forward.get(tensor)
                if value is not None:
                    out["value"] = self.fmt(value, long=True)
                    out["short"] = self.fmt(value)
                grad = self.values.gradients.get(tensor)
                if grad is None and read is not None:
                    grad = self.values.gradients.get(read)
                if grad is not None:
                    out["grad"] = self.fmt(grad, long=True)
                    out["gshort"] = self.fmt(grad)
            outputs.append(out)
        return {
            "name": n.name, "op": n.op, "kind": n.kind, "gradient": n.gradient,
            "scope": scope_of(n), "label": self._label(n), "notes": list(n.notes),
            "absorbed": list(n.absorbed), "fill": style["fillcolor"], "stroke": style["color"],
            "dashed": "dashed" in style["style"], "attrs": self._attrs(node_def),
            "inputs": inputs, "outputs": outputs, "rule": rules.lecture_rule(n.op),
            "ruleDoc": rules.rule_doc(n.op), "ruleShort": rules.short_rule(n.op),
        }

    @staticmethod
    def _label(n: VizNode) -> str:
        if n.label:
            return n.label
        if n.container and n.name.startswith(n.container + "/"):
            return n.name[len(n.container) + 1:]
        if n.container == n.name:
            return n.name.rpartition("/")[2]
        return n.name

    def _spec_text(self, tensor: str) -> str:
        name, _, port = tensor.rpartition(":")
        specs = self.specs.get(name) or []
        k = int(port) if port.isdigit() else 0
        spec = specs[k] if k < len(specs) else None
        if spec is None:
            return ""
        return labels.shape_text(spec) + (" float32" if spec.dtype.name == "float32" else "")

    def _attrs(self, node_def: NodeDef | None) -> dict[str, str]:
        if node_def is None:
            return {}
        out = {}
        for key in sorted(node_def.attr):
            if key.startswith("_"):
                continue
            try:
                value = attr_codec.decode(node_def.attr[key])
            except Exception:  # noqa: BLE001 - show what cannot be decoded as such
                out[key] = "(unreadable)"
                continue
            if hasattr(value, "shape") and hasattr(value, "dtype") and \
                    not isinstance(value, type):
                text = labels.format_value(value, DETAIL_ELEMENTS, self.options.precision)
            else:  # a DType prints its name
                name = getattr(value, "name", None) if hasattr(value, "is_floating") else None
                text = str(name or value)
            out[key] = text if len(text) <= 400 else text[:397] + "..."
        return out

    def edge(self, e: VizEdge) -> dict[str, Any]:
        tensor = e.tensors[0] if len(e.tensors) == 1 else ""
        out: dict[str, Any] = {"src": e.src, "dst": e.dst, "control": e.control,
                               "tensor": tensor, "shape": e.label}
        if self.values is not None and tensor and not e.control:
            value = self.values.forward.get(tensor)
            if value is not None:
                out["value"] = self.fmt(value)
            share = self.values.edge_gradients.get((e.consumer, e.port))
            if share is None and self.values.target and e.dst == \
                    self.values.target.rpartition(":")[0]:
                share = self.values.gradients.get(tensor)
            if share is not None:
                text = self.fmt(share)
                total = self.values.gradients.get(tensor)
                if self.readers.get(tensor, 0) > 1 and total is not None:
                    text += f" (sum {self.fmt(total)})"
                out["grad"] = text
        return out


# -- the page ------------------------------------------------------------------------------
def static_text(name: str) -> str:
    """A vendored file of ``graphflow/viz/static`` (``dagre.min.js``, ``explorer.js``, ...)."""
    if name not in _STATIC:
        raise ValueError(f"no static file {name!r}; known: {', '.join(_STATIC)}")
    return resources.files("graphflow.viz").joinpath("static", name).read_text("utf-8")


def _script_safe(text: str) -> str:
    """Inline ``text`` in a <script>: no ``</script`` (or ``<!--``) can end it early."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def page(data: dict[str, Any]) -> str:
    """The whole HTML document for ``explorer_data``'s ``data``."""
    payload = _script_safe(json.dumps(data, ensure_ascii=True, separators=(",", ":")))
    licence = static_text("LICENSE-dagre.txt").replace("*/", "* /")
    title = html.escape(data["title"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>
{static_text("explorer.css")}
</style>
</head>
<body>
<header id="toolbar">
  <span id="title">{title}</span>
  <input id="search" type="search" placeholder="search nodes (Enter selects)" autocomplete="off">
  <span id="search-count"></span>
  <button id="expand-all" type="button">expand all</button>
  <button id="collapse-all" type="button">collapse all</button>
  <button id="fit" type="button">fit</button>
</header>
<main>
  <div id="canvas"><svg id="graph"></svg></div>
  <aside id="side">
    <section id="stepper">
      <div class="step-buttons">
        <button id="step-back" type="button">&#9664; Back</button>
        <button id="step-next" type="button">Next &#9654;</button>
        <button id="step-reset" type="button">show all</button>
        <span id="step-count"></span>
      </div>
      <div id="step-info"></div>
    </section>
    <section id="details"><p class="hint">Click a node to see its details; click a
    collapsed scope to expand it, a scope's title to collapse it; drag to pan, wheel to
    zoom.</p></section>
  </aside>
</main>
<script id="graph-data" type="application/json">{payload}</script>
<script>
/* dagre {_dagre_version()} (graph layout), vendored from the npm registry; licence:
{licence}
*/
{_script_safe(static_text("dagre.min.js"))}
</script>
<script>
{_script_safe(static_text("explorer.js"))}
</script>
</body>
</html>
"""


def _dagre_version() -> str:
    first = static_text("LICENSE-dagre.txt").splitlines()[0]
    return first.partition("dagre ")[2].split()[0] if "dagre " in first else ""
