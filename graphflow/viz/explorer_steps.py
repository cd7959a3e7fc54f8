"""The explorer's step-through: the lecture's walkthrough of backprop for any small graph.

``walkthrough(vg, values)`` returns one ``Step`` per node of the forward pass (inputs first,
each node once all its inputs are computed), then, when ``values`` has a target, one per
node of the backward pass (the target first, each node once every reader of its output has
sent its gradient back). A backward step says what arrives at the node (the upstream
gradient; where the output fans out to several readers, the sum of their shares: the
lecture's "gradients sum at outward branches"), the node's local rule (``viz.rules``), and
what it sends to each input, with the running sum at inputs that feed several nodes. Nodes
without inputs (placeholders, variables) end the pass with their final gradient.

The numbers come from ``GraphValues`` (``compute_values``): ``gradients`` for the totals,
``edge_gradients`` for each edge's share; nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphflow.viz import labels, rules
from graphflow.viz.model import VizEdge, VizGraph, VizNode
from graphflow.viz.values import GraphValues


@dataclass(frozen=True)
class Step:
    """One step of the walkthrough (plain data; the page shows ``title`` and ``lines``)."""

    phase: str  # "forward" or "backward"
    node: str
    title: str
    lines: tuple[str, ...]
    edges: tuple[int, ...] = ()  # indices (into the explorer's edge list) it explains
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"phase": self.phase, "node": self.node, "title": self.title,
                "lines": list(self.lines), "edges": list(self.edges)}


def fmt(value: Any, max_elements: int = 6, precision: int = 4) -> str:
    return labels.format_value(value, max_elements=max_elements, precision=precision)


def tensor_label(tensor: str, alias: Mapping[str, str] | None = None) -> str:
    """``a:0`` -> ``a``; other outputs keep their index; a node folded into another
    (``W/read`` into the variable ``W``, see ``viz.simplify``) is called by that one's name."""
    name, _, port = tensor.rpartition(":")
    if alias and name in alias:
        return alias[name]
    return name if port == "0" else tensor


def walkthrough(vg: VizGraph, values: GraphValues, edges: Sequence[VizEdge],
                max_elements: int = 6, precision: int = 4) -> list[Step]:
    """The forward steps and, when ``values.target`` is set, the backward steps."""
    walker = _Walker(vg, values, edges, max_elements, precision)
    return walker.forward() + walker.backward()


class _Walker:
    def __init__(self, vg: VizGraph, values: GraphValues, edges: Sequence[VizEdge],
                 max_elements: int, precision: int) -> None:
        self.values = values
        self.fmt = {"max_elements": max_elements, "precision": precision}
        self.nodes = {n.name: n for n in vg.nodes if not n.gradient}
        self.edges = [(i, e) for i, e in enumerate(edges)
                      if not e.control and e.src in self.nodes and e.dst in self.nodes]
        self.ins: dict[str, list[tuple[int, VizEdge]]] = {}
        self.outs: dict[str, list[tuple[int, VizEdge]]] = {}
        for i, e in self.edges:
            self.ins.setdefault(e.dst, []).append((i, e))
            self.outs.setdefault(e.src, []).append((i, e))
        self.target = values.target.rpartition(":")[0] if values.target else None
        self.alias = {a: n.name for n in vg.nodes for a in n.absorbed}

    def label(self, tensor: str) -> str:
        return tensor_label(tensor, self.alias)

    def f(self, value: Any) -> str:
        return fmt(value, **self.fmt)

    # -- forward ---------------------------------------------------------------------------
    def forward(self) -> list[Step]:
        ran = [n for n in self.nodes.values() if self._output(n) is not None]
        level: dict[str, int] = {}
        for n in self.nodes.values():  # drawing order is topological
            level[n.name] = 1 + max((level.get(e.src, 0) for _, e in self.ins.get(n.name, [])),
                                    default=-1)
        ran.sort(key=lambda n: (level[n.name], n.name))
        steps = []
        for k, n in enumerate(ran, 1):
            out = self._output(n)
            assert out is not None
            tensor, value = out
            ins = self.ins.get(n.name, [])
            lines = []
            if ins:
                parts = [f"{self.label(e.tensors[0])} = {self._value(e.tensors[0])}"
                         for _, e in sorted(ins, key=lambda ie: ie[1].port)]
                lines.append("inputs: " + ", ".join(parts))
            lines += [f"constant {note}" for note in n.notes]
            how = "fed" if n.kind == "placeholder" else ("variable" if n.kind == "variable"
                                                          else n.op)
            lines.append(f"{self.label(tensor)} = {self.f(value)}"
                         + (f" ({how})" if not ins else ""))
            steps.append(Step("forward", n.name, f"Forward {k}/{len(ran)}: {n.name} ({n.op})",
                              tuple(lines), tuple(i for i, _ in ins)))
        return steps

    def _output(self, n: VizNode) -> tuple[str, Any] | None:
        """The tensor (and value) of ``n`` the walkthrough shows: what its edges carry."""
        carried = [e.tensors[0] for _, e in self.outs.get(n.name, []) if e.tensors]
        for tensor in carried + [f"{n.name}:0"]:
            value = self.values.forward.get(tensor)
            if value is not None:
                return tensor, value
        return None

    def _value(self, tensor: str) -> str:
        value = self.values.forward.get(tensor)
        return "?" if value is None else self.f(value)

    # -- backward --------------------------------------------------------------------------
    def backward(self) -> list[Step]:
        if self.target is None or self.target not in self.nodes:
            return []
        dist = self._distance_to_target()
        order = sorted(dist, key=lambda name: (dist[name], name))
        received: dict[str, list[tuple[str, Any]]] = {}  # tensor -> (from node, share) so far
        readers: dict[str, int] = {}
        for name in order:
            for _, e in self.ins.get(name, []):
                if self._share(e) is not None:
                    readers[e.tensors[0]] = readers.get(e.tensors[0], 0) + 1
        steps = []
        for k, name in enumerate(order, 1):
            n = self.nodes[name]
            lines = [self._upstream(n, received, readers)]
            ins = [(i, e) for i, e in sorted(self.ins.get(name, []), key=lambda ie: ie[1].port)
                   if self._share(e) is not None]
            if ins:
                rule = rules.lecture_rule(n.op)
                lines.append(f"local rule ({n.op}): {rule}" if rule else
                             f"local rule ({n.op}): its registered gradient")
                formula = rules.rule_doc(n.op).partition(": ")[0]
                if formula.startswith("d") and formula.rstrip(".") not in lines[-1]:
                    lines.append(f"math: {formula}")
                for _, e in ins:
                    tensor = e.tensors[0]
                    share = self._share(e)
                    got = received.setdefault(tensor, [])
                    got.append((name, share))
                    line = f"sends to {self.label(tensor)}: {self.f(share)}"
                    if readers.get(tensor, 0) > 1:
                        line += f" (running sum at {self.label(tensor)}: {self._sum(got)})"
                    lines.append(line)
            title = f"Backward {k}/{len(order)}: {name} ({n.op})"
            steps.append(Step("backward", name, title, tuple(lines), tuple(i for i, _ in ins)))
        return steps

    def _distance_to_target(self) -> dict[str, int]:
        """Longest path (in edges) from each node to the target, over edges carrying a
        gradient; every reader of a node is then strictly closer to the target."""
        assert self.target is not None
        dist = {self.target: 0}
        for name in reversed(list(self.nodes)):  # reverse topological order
            for _, e in self.outs.get(name, []):
                if e.dst in dist and self._share(e) is not None:
                    dist[name] = max(dist.get(name, 0), dist[e.dst] + 1)
        return dist

    def _share(self, e: VizEdge) -> Any:
        share = self.values.edge_gradients.get((e.consumer, e.port))
        if share is None and e.dst == self.target and e.tensors:
            share = self.values.gradients.get(e.tensors[0])
        return share

    def _upstream(self, n: VizNode, received: Mapping[str, list[tuple[str, Any]]],
                  readers: Mapping[str, int]) -> str:
        target = self.label(self.values.target or "")
        if n.name == self.target:
            return f"start: d{target}/d{target} = 1 (the upstream gradient of the output)"
        tensors = {e.tensors[0] for _, e in self.outs.get(n.name, []) if e.tensors}
        parts = []
        for tensor in sorted(tensors):
            got = received.get(tensor, [])
            total = self.values.gradients.get(tensor)
            if total is None:
                continue
            name = f"d{target}/d{self.label(tensor)}"
            if len(got) > 1:
                sources = " + ".join(f"{self.f(g)} (from {src})" for src, g in got)
                parts.append(f"{name} = {sources} = {self.f(total)}")
            else:
                parts.append(f"{name} = {self.f(total)}")
        if not parts:
            return "no gradient arrives here"
        lead = "upstream gradient" if self.ins.get(n.name) else "final gradient"
        return f"{lead}: " + "; ".join(parts)

    def _sum(self, got: Sequence[tuple[str, Any]]) -> str:
        if len(got) == 1:
            return self.f(got[0][1])
        total = np.sum([np.asarray(g, dtype=np.float64) for _, g in got], axis=0)
        return " + ".join(self.f(g) for _, g in got) + f" = {self.f(total)}"
