"""``to_dot``: a Graph, GraphDef or evaluated ``GraphValues`` -> ``pydot.Dot``.

Stages: take the GraphDef and static shapes of the source; build the drawing model
(``viz.model``); hide the gradient subgraph if asked; in a values view add end points for
unread tensors; collapse name scopes if asked; then write the model as DOT: nested clusters
for name scopes, one styled node per model node, one labelled edge per model edge (static
shape, or forward value and gradient in a values view), annotations last. Every iteration
follows the model's deterministic order, so the same graph always gives the same DOT text.

An edge between two gradient nodes is written reversed with ``dir=back`` (``b -> a
[dir=back]`` still draws the arrow from a to b); see ``viz.layout``. ``newrank`` lets
clusters and ranks coexist (Graphviz 2.4x fails on some clustered graphs without it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pydot

from graphflow.compiler import gradient_scopes
from graphflow.framework.graph import Graph
from graphflow.framework.tensor import TensorSpec
from graphflow.framework.tensor_names import as_graph_def, split_tensor_name
from graphflow.viz import labels, layout, model, rules, simplify, styles
from graphflow.viz.model import VizEdge, VizGraph, VizNode
from graphflow.viz.options import Annotations, RenderOptions
from graphflow.viz.values import GraphValues


def to_dot(graph: Any, options: RenderOptions | None = None,
           annotations: Annotations | None = None) -> pydot.Dot:
    """Draw ``graph`` (a ``gf.Graph``, a ``GraphDef``, or the ``GraphValues`` returned by
    ``gf.viz.compute_values`` for the values view) as a ``pydot.Dot``."""
    options = options or RenderOptions()
    values = graph if isinstance(graph, GraphValues) else None
    source = values.graph if values is not None else graph
    graph_def = as_graph_def(source)
    vg = model.build(graph_def, _specs(source))
    show_gradients = options.show_gradient_nodes
    if show_gradients is None:
        show_gradients = values is None or values.target is None
    if not show_gradients:
        vg = model.hide_gradients(vg)
    if values is not None:
        vg = model.restrict(vg, {n.name for n in vg.nodes} - values.helper_nodes)
    vg = simplified(vg, graph_def, options)
    if values is not None:
        vg = model.add_sinks(vg, _unread(vg, values))
    if options.collapse_depth is not None:
        vg = model.collapse(vg, options.collapse_depth)
    op_of = {n.name: n.op for n in graph_def.node}
    options = layout.resolve_auto(options, vg)
    return _Writer(options, annotations or Annotations(), values, op_of).write(vg)


def simplified(vg: VizGraph, graph_def: Any, options: RenderOptions) -> VizGraph:
    """``vg`` with the teaching simplifications ``options`` ask for (``viz.simplify``)."""
    if not options.show_plumbing:
        vg = simplify.fold_variables(vg)
    if options.fold_constants:
        vg = simplify.fold_constants(vg, {n.name: n for n in graph_def.node},
                                     options.max_elements, options.precision)
    return simplify.place_gradients(vg)


def _specs(source: Any) -> dict[str, list[TensorSpec | None]] | None:
    if isinstance(source, Graph):
        return {op.name: [t.spec for t in op.outputs] for op in source.get_operations()}
    return None


def _unread(vg: VizGraph, values: GraphValues) -> list[str]:
    """Evaluated tensors of drawn nodes that no drawn edge carries (e.g. the loss)."""
    drawn = {n.name for n in vg.nodes if not (n.kind == styles.VARIABLE and n.absorbed)}
    carried = {t for e in vg.edges for t in e.tensors}
    out = [t for t in values.forward if split_tensor_name(t)[0] in drawn and t not in carried]
    if values.target is not None and values.target not in carried:
        out.append(values.target)
    return sorted(set(out))


class _Writer:
    """Writes one ``VizGraph`` as DOT (holds the options and the id makers)."""

    def __init__(self, options: RenderOptions, annotations: Annotations,
                 values: GraphValues | None, op_of: Mapping[str, str]) -> None:
        self.options = options
        self.notes = annotations
        self.values = values
        self.op_of = op_of
        self.node_id = labels.IdMaker("n_")
        self.scope_id = labels.IdMaker("s_")
        self.sink_id = labels.IdMaker("out_")
        self.cluster_id = labels.IdMaker("")
        self.ids: dict[str, str] = {}
        self.readers = _gradient_readers(values) if values is not None else {}
        self.ran = ({split_tensor_name(t)[0] for t in values.forward} if values is not None
                    else set())
        self.gradient: set[str] = set()

    def write(self, vg: VizGraph) -> pydot.Dot:
        rankdir = self.options.rankdir or ("LR" if self.values is not None else "TB")
        dot = pydot.Dot("graphflow", graph_type="digraph", strict=False)
        for key, value in styles.graph_attrs(rankdir, bool(self.options.fast_layout),
                                             bool(self.options.clusters)).items():
            dot.set(key, value)
        dot.set_node_defaults(**styles.default_node_attrs())
        dot.set_edge_defaults(**styles.default_edge_attrs())
        containers = self._clusters(dot, vg)
        for node in vg.nodes:
            containers.get(node.container if self.options.clusters else "", dot).add_node(
                self._node(node))
        self.gradient = {n.name for n in vg.nodes if n.gradient}
        for edge in vg.edges:
            dot.add_edge(self._edge(edge, edge.src in self.gradient or edge.dst in self.gradient))
        if self.values is not None and self.options.legend:
            dot.add_node(self._legend())
        if self.notes.legend and self.options.legend:
            dot.add_node(self._marks_legend())
        return dot

    # -- clusters --------------------------------------------------------------------------
    def _clusters(self, dot: pydot.Dot, vg: VizGraph) -> dict[str, Any]:
        """One nested cluster per name scope that holds a drawn node; scope -> subgraph."""
        out: dict[str, Any] = {"": dot}
        if not self.options.clusters:
            return out
        scopes: set[str] = set()
        for node in vg.nodes:
            parts = node.container.split("/") if node.container else []
            scopes.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        for scope in sorted(scopes):  # parents sort before their children
            parent, _, last = scope.rpartition("/")
            cluster = pydot.Cluster(self.cluster_id(scope), label=labels.html_label(
                labels.font(last, bold=True)), tooltip=labels.quoted(scope),
                **styles.cluster_attrs(gradient_scopes.is_gradient_scope(scope)))
            out[parent].add_subgraph(cluster)
            out[scope] = cluster
        return out

    # -- nodes -----------------------------------------------------------------------------
    def _node(self, node: VizNode) -> pydot.Node:
        if node.kind == model.SINK:
            node_id = self.sink_id(node.name[len(model.SINK_PREFIX):])
            self.ids[node.name] = node_id
            return pydot.Node(node_id, shape="point", width="0.08", label="",
                              color=styles.MUTED_COLOR)
        maker = self.scope_id if node.kind == styles.SCOPE else self.node_id
        node_id = self.ids[node.name] = maker(node.name)
        attrs = styles.node_attrs(node.kind, node.gradient)
        attrs["label"] = self._node_label(node)
        attrs["tooltip"] = labels.quoted(self._tooltip(node))
        attrs.update(self._annotated(self.notes.node_attrs, node.names))
        return pydot.Node(node_id, **attrs)

    def _node_label(self, node: VizNode) -> str:
        title = self._relative_name(node)
        if node.kind == styles.SCOPE:
            detail = model.op_summary(node.members, self.op_of)
            title += "/"
        else:
            detail = node.op + (" (unknown op)" if node.kind == styles.UNKNOWN else "")
        parts = [labels.font(title, bold=True),
                 labels.font(detail, color=styles.MUTED_COLOR, size=9)]
        parts += [labels.font(line, color=styles.MUTED_COLOR, size=9) for line in node.notes]
        note = next((self.notes.node_notes[n] for n in node.names
                     if n in self.notes.node_notes), None)
        if note:
            parts.append(labels.font(note, color=styles.GRADIENT_VALUE_COLOR, bold=True))
        return labels.html_label(*parts)

    def _relative_name(self, node: VizNode) -> str:
        if not self.options.clusters or not node.container:
            return node.name
        if node.label:
            return node.label
        if node.name == node.container:
            return node.name.rpartition("/")[2]
        return node.name[len(node.container) + 1:]

    @staticmethod
    def _tooltip(node: VizNode) -> str:
        if node.kind == styles.SCOPE:
            return f"{node.name}/ ({len(node.members)} ops)"
        return f"{node.name} ({node.op})"

    # -- edges -----------------------------------------------------------------------------
    def _edge(self, edge: VizEdge, gradient: bool) -> pydot.Edge:
        attrs = styles.edge_attrs(edge.control, gradient)
        if not edge.control:
            label = self._edge_label(edge)
            if label:
                attrs["xlabel" if self.options.fast_layout else "label"] = label
        if edge.count > 1:
            attrs["penwidth"] = f"{min(1 + math.log2(edge.count), 4):.2f}"
        attrs.update(self._annotated(self.notes.edge_attrs, edge.tensors))
        src, dst = self.ids[edge.src], self.ids[edge.dst]
        if layout.reversed_for_layout(edge, self.gradient):
            return pydot.Edge(dst, src, dir="back", **attrs)  # laid out flowing backwards
        return pydot.Edge(src, dst, **attrs)

    def _edge_label(self, edge: VizEdge) -> str:
        parts: list[str] = []
        single = edge.tensors[0] if len(edge.tensors) == 1 else None
        if self.values is not None and single is not None and self._ran(edge):
            parts += self._value_lines(single, edge)
        if not parts and self.options.show_shapes and edge.label:
            port = str(split_tensor_name(single)[1]) if single else "0"
            text = edge.label if port == "0" else f":{port} {edge.label}"
            color = styles.MUTED_COLOR if self.values is not None else None
            parts.append(labels.font(text, color=color))
        rule = self._rule(edge)
        if rule:
            parts.append(labels.font(rule, color=styles.GRADIENT_VALUE_COLOR, italic=True))
        note = next((self.notes.edge_notes[t] for t in edge.tensors
                     if t in self.notes.edge_notes), None)
        if note:
            parts.append(labels.font(note, color=styles.GRADIENT_VALUE_COLOR, bold=True))
        return labels.html_label(*parts) if parts else ""

    def _rule(self, edge: VizEdge) -> str:
        """On an edge leaving the gradient group of a forward node X: X's local rule."""
        if edge.src not in self.gradient or edge.count > 1:
            return ""
        forward = gradient_scopes.forward_node_of(edge.src)
        if forward is None or forward == gradient_scopes.forward_node_of(edge.dst):
            return ""
        return rules.short_rule(self.op_of.get(forward, ""))

    def _ran(self, edge: VizEdge) -> bool:
        """Values are written on edges into nodes that ran (not into, e.g., initializers)."""
        return edge.dst.startswith(model.SINK_PREFIX) or not edge.consumer or \
            edge.consumer in self.ran

    def _value_lines(self, tensor: str, edge: VizEdge) -> list[str]:
        """Forward value (green) and the gradient flowing back along the edge (red); where a
        tensor feeds several ops, the edge's share and the tensor's total: ``3 (sum 5)``."""
        values = self.values
        assert values is not None
        fmt = {"max_elements": self.options.max_elements, "precision": self.options.precision}
        out = []
        value = values.forward.get(tensor)
        if value is not None:
            out.append(labels.font(labels.format_value(value, **fmt),
                                   color=styles.FORWARD_VALUE_COLOR))
        if edge.dst.startswith(model.SINK_PREFIX):
            share = values.gradients.get(tensor)
        else:
            share = values.edge_gradients.get((edge.consumer, edge.port))
        if share is not None:
            text = labels.format_value(share, **fmt)
            total = values.gradients.get(tensor)
            if self.readers.get(tensor, 0) > 1 and total is not None:
                text += f" (sum {labels.format_value(total, **fmt)})"
            out.append(labels.font(text, color=styles.GRADIENT_VALUE_COLOR))
        return out

    # -- annotations and legend ------------------------------------------------------------
    @staticmethod
    def _annotated(table: Mapping[str, Mapping[str, str]], names: tuple[str, ...]
                   ) -> dict[str, str]:
        for name in sorted(names):
            if name in table:
                return {k: _attr_value(v) for k, v in sorted(table[name].items())}
        return {}

    def _legend(self) -> pydot.Node:
        assert self.values is not None
        rows = [labels.font("value (forward pass)", color=styles.FORWARD_VALUE_COLOR)]
        if self.values.target is not None:
            rows.append(labels.font(f"gradient of {self.values.target} along the edge",
                                    color=styles.GRADIENT_VALUE_COLOR))
        return pydot.Node("legend__", shape="note", label=labels.html_label(*rows),
                          fillcolor="#ffffff", style="filled", color=styles.MUTED_COLOR)


    def _marks_legend(self) -> pydot.Node:
        """The annotations' legend: a colour swatch (solid, dashed or dotted) per row."""
        rows = []
        for colour, text in self.notes.legend:
            hue, _, style = colour.partition(" ")
            mark = {"dashed": "- - -", "dotted": ". . . ."}.get(style, "&#9608;&#9608;&#9608;")
            rows.append(f'<tr><td><font color="{labels.html_text(hue)}">{mark}</font></td>'
                        f'<td align="left">{labels.html_text(text)}</td></tr>')
        body = "".join(rows)
        return pydot.Node("marks_legend__", shape="plaintext",
                          label=f'<<table border="1" cellborder="0" color="{styles.MUTED_COLOR}"'
                                f' cellspacing="2">{body}</table>>')


def _gradient_readers(values: GraphValues) -> dict[str, int]:
    """Tensor name -> how many edges on a path to the target read it."""
    out: dict[str, int] = {}
    for consumer, port in values.edge_gradients:
        tensor = values.graph.get_operation_by_name(consumer).inputs[port].name
        out[tensor] = out.get(tensor, 0) + 1
    return out


def _attr_value(value: Any) -> str:
    """An annotation value as a DOT attribute: HTML labels pass, other text is quoted."""
    text = str(value)
    if text.startswith("<") and text.endswith(">"):
        return text
    return labels.quoted(text)
