"""Graphs and DOT-text helpers shared by the viz tests."""

from __future__ import annotations

import re

import numpy as np

import graphflow as gf
from tests.helpers import lecture_graph  # noqa: F401  (the viz tests' walkthrough graph)

# a DOT node statement: `id [attrs];` (attrs may contain nested <...> HTML labels)
_NODE = re.compile(r"^(\w+) \[(.*)\];$")
_EDGE = re.compile(r"^(\w+) -> (\w+) \[(.*)\];$")


def scoped_model(with_gradients: bool = True) -> tuple[gf.Graph, dict[str, object]]:
    """A 2-layer model with name scopes, variables, an int placeholder, a control
    dependency and (optionally) its gradient subgraph plus an SGD update."""
    rng = np.random.default_rng(0)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        ids = gf.placeholder(gf.int32, [None], name="ids")
        with gf.name_scope("layer1"):
            w1 = gf.Variable(rng.normal(size=(4, 3)).astype(np.float32), name="W")
            h = gf.tanh(gf.matmul(x, w1), name="h")
        with gf.name_scope("layer2"):
            with gf.name_scope("inner"):
                w2 = gf.Variable(rng.normal(size=(3, 2)).astype(np.float32), name="W")
            logits = gf.matmul(h, w2, name="logits")
        with gf.control_dependencies([h.op]):
            marker = gf.identity(gf.cast(ids, gf.float32), name="marker")
        loss = gf.reduce_sum(gf.square(logits), name="loss")
        handles: dict[str, object] = {"x": x, "ids": ids, "w1": w1, "w2": w2, "h": h,
                                      "logits": logits, "marker": marker, "loss": loss}
        if with_gradients:
            grads = gf.gradients(loss, [w1, w2])
            with gf.name_scope("SGD"):
                handles["train"] = gf.group(*[v.assign_sub(0.1 * gr)
                                              for v, gr in zip([w1, w2], grads)], name="train")
    return g, handles


def nodes(text: str) -> dict[str, str]:
    """DOT node id -> its attribute text, for every node statement in ``text``."""
    out = {}
    for line in text.splitlines():
        m = _NODE.match(line.strip())
        if m and m.group(1) not in ("node", "edge", "graph"):
            out[m.group(1)] = m.group(2)
    return out


def edges(text: str) -> list[tuple[str, str, str]]:
    """(tail, head, attribute text) of every edge statement in ``text``."""
    return [(m.group(1), m.group(2), m.group(3)) for m in
            (_EDGE.match(line.strip()) for line in text.splitlines()) if m]


def edge(text: str, src: str, dst: str) -> str:
    """Attribute text of the single edge drawn from DOT id ``src`` to ``dst`` (a reversed
    gradient edge ``dst -> src [dir=back]`` counts as drawn from src to dst)."""
    found = [attrs for a, b, attrs in edges(text)
             if (a, b) == (src, dst) and "dir=back" not in attrs
             or (a, b) == (dst, src) and "dir=back" in attrs]
    assert len(found) == 1, f"expected one edge {src} -> {dst}, found {len(found)}"
    return found[0]
