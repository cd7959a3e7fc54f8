"""Drawing-model stages that make a picture teach: what a reader of the model cares about,
without the plumbing a TF1 graph is made of (each returns a new ``VizGraph``).

* ``fold_variables``: a variable is one node. Its ``read`` Identity, its initializer
  (``V/Assign``, ``V/initial_value``, ``V/Initializer/...``), whatever only feeds those, and
  the ``init`` NoOp that groups the initializers are absorbed; an edge that read ``V/read``
  starts at V (it still carries the tensor ``V/read:0``, so a values view writes its value).
* ``fold_constants``: every Const is written into the label of the nodes that read it, as
  Netron does (``shape = [1, -1]``), instead of being drawn as a node with an edge.
* ``place_gradients``: each ``gradients/X_grad`` group is drawn in X's name scope (in a red
  ``gradients`` box beside X), so the backward pass of a layer sits next to that layer;
  collapsing then shows each layer's gradient as its own box (``hidden/gradients/``).

``to_dot`` and ``to_html`` apply them unless ``RenderOptions(show_plumbing=True)`` /
``fold_constants=False`` ask for the raw graph.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from graphflow.compiler import gradient_scopes
from graphflow.framework import attrs as attr_codec
from graphflow.framework import op_registry as registry
from graphflow.proto.node_def_pb2 import NodeDef
from graphflow.viz import labels, styles
from graphflow.viz.model import VizEdge, VizGraph, VizNode

#: Parts of a variable ``V`` that ``fold_variables`` absorbs (name below V -> op type).
_PLUMBING = {"read": ("Identity",), "Assign": ("Assign",), "initial_value": ("Const",)}


# -- variables -----------------------------------------------------------------------------
def fold_variables(vg: VizGraph) -> VizGraph:
    """One node per variable; initializers and the ``init`` op hidden (see module doc)."""
    variables = {n.name for n in vg.nodes if n.kind == styles.VARIABLE}
    if not variables:
        return vg
    owner: dict[str, str] = {}  # absorbed node -> its variable ("" for init machinery)
    for n in vg.nodes:
        variable = _plumbing_of(n, variables)
        if variable is not None:
            owner[n.name] = variable
    outs: dict[str, list[VizEdge]] = {}
    ins: dict[str, list[VizEdge]] = {}
    for e in vg.edges:
        outs.setdefault(e.src, []).append(e)
        ins.setdefault(e.dst, []).append(e)
    init_only = {name for name, v in owner.items() if not name.endswith("/read")}
    for n in reversed(vg.nodes):  # whatever only feeds initializers is initializer too
        out = outs.get(n.name, [])
        if n.name not in owner and n.kind != styles.VARIABLE and not n.gradient and out \
                and all(e.dst in init_only for e in out):
            owner[n.name] = ""
            init_only.add(n.name)
    for n in vg.nodes:  # `init`: a NoOp that only groups initializers
        inn = ins.get(n.name, [])
        if n.kind == styles.NOOP and inn and all(e.src in init_only for e in inn) \
                and not outs.get(n.name):
            owner[n.name] = ""
            init_only.add(n.name)
    absorbed: dict[str, list[str]] = {}
    for name, variable in owner.items():
        if variable:
            absorbed.setdefault(variable, []).append(name)
    nodes = [dataclasses.replace(n, absorbed=n.absorbed + tuple(sorted(absorbed[n.name])))
             if n.name in absorbed else n for n in vg.nodes if n.name not in owner]
    edges = []
    for e in vg.edges:
        if e.dst in owner:
            continue
        if e.src in owner:
            if e.src in init_only or not owner[e.src]:
                continue
            e = dataclasses.replace(e, src=owner[e.src])
        edges.append(e)
    return _tidy_containers(VizGraph(tuple(nodes), tuple(edges)))


def _plumbing_of(n: VizNode, variables: set[str]) -> str | None:
    """The variable ``n`` is part of (read, Assign, initial_value, Initializer/...), if any."""
    parts = n.name.split("/")
    for i in range(len(parts) - 1, 0, -1):
        prefix = "/".join(parts[:i])
        if prefix not in variables:
            continue
        rest = parts[i:]
        if rest[0] == "Initializer":
            return prefix
        if len(rest) == 1 and n.op in _PLUMBING.get(rest[0], ()):
            return prefix
    return None


def _tidy_containers(vg: VizGraph) -> VizGraph:
    """A node drawn in the scope named after itself (``W`` with ``W/read``) moves to its
    parent scope when nothing else is left in that scope."""
    used: dict[str, int] = {}
    for n in vg.nodes:
        parts = n.container.split("/") if n.container else []
        for i in range(1, len(parts) + 1):
            scope = "/".join(parts[:i])
            used[scope] = used.get(scope, 0) + 1
    nodes = tuple(dataclasses.replace(n, container=n.container.rpartition("/")[0])
                  if n.container == n.name and used.get(n.name, 0) == 1 else n
                  for n in vg.nodes)
    return VizGraph(nodes, vg.edges)


# -- constants -----------------------------------------------------------------------------
def fold_constants(vg: VizGraph, node_defs: Mapping[str, NodeDef], max_elements: int = 6,
                   precision: int = 4) -> VizGraph:
    """Write each Const read only through data edges (and without control inputs) into its
    readers' labels."""
    outs: dict[str, list[VizEdge]] = {}
    for e in vg.edges:
        outs.setdefault(e.src, []).append(e)
    has_inputs = {e.dst for e in vg.edges}  # a Const with a control input stays drawn
    folded: set[str] = set()
    notes: dict[str, list[str]] = {}
    for n in vg.nodes:
        out = outs.get(n.name, [])
        if n.kind != styles.CONSTANT or not out or n.name in has_inputs or \
                any(e.control or not e.consumer for e in out):
            continue
        text = _const_text(node_defs.get(n.name), max_elements, precision)
        folded.add(n.name)
        for e in out:
            notes.setdefault(e.dst, []).append(f"{_input_name(node_defs.get(e.consumer), e.port)}"
                                               f" = {text}")
    if not folded:
        return vg
    nodes = tuple(dataclasses.replace(n, notes=n.notes + tuple(notes[n.name]),
                                      absorbed=n.absorbed + _readers_consts(n.name, outs, folded))
                  if n.name in notes else n for n in vg.nodes if n.name not in folded)
    edges = tuple(e for e in vg.edges if e.src not in folded)
    return _tidy_containers(VizGraph(nodes, edges))


def _readers_consts(name: str, outs: Mapping[str, list[VizEdge]], folded: set[str]
                    ) -> tuple[str, ...]:
    return tuple(sorted(c for c in folded if any(e.dst == name for e in outs.get(c, []))))


def _const_text(node: NodeDef | None, max_elements: int, precision: int) -> str:
    if node is None or "value" not in node.attr:
        return "?"
    try:
        value = attr_codec.decode(node.attr["value"])
    except Exception:  # noqa: BLE001 - a drawing shows an unreadable constant as "?"
        return "?"
    return labels.format_value(value, max_elements=max_elements, precision=precision)


def _input_name(node: NodeDef | None, port: int) -> str:
    """The name of input ``port`` of ``node`` from its op record (``in<port>`` if unknown)."""
    record = registry.lookup(node.op) if node is not None else None
    names = record.input_names if record is not None else ()
    if port < len(names):
        return names[port].lstrip("*")
    if names and names[-1].startswith("*"):
        return names[-1].lstrip("*")
    return f"in{port}"


# -- gradients -----------------------------------------------------------------------------
def place_gradients(vg: VizGraph) -> VizGraph:
    """Draw each ``gradients/X_grad`` group inside X's scope (see the module doc)."""
    by_name = {n.name: n for n in vg.nodes}
    owner = {a: n.name for n in vg.nodes for a in n.absorbed}
    nodes = []
    for n in vg.nodes:
        forward = gradient_scopes.forward_node_of(n.name) if n.gradient else None
        target = by_name.get(owner.get(forward, forward)) if forward else None
        if forward is None or target is None or target.gradient:
            nodes.append(n)
            continue
        rest = n.name[n.name.rfind("_grad/") + len("_grad/"):]
        base = "/".join(p for p in (target.container, "gradients", f"{_last(forward)}_grad") if p)
        sub = rest.rpartition("/")[0]
        nodes.append(dataclasses.replace(n, container=f"{base}/{sub}" if sub else base,
                                         label=rest.rpartition("/")[2]))
    return VizGraph(tuple(nodes), vg.edges)


def _last(name: str) -> str:
    return name.rpartition("/")[2]
