"""Helpers shared by the test packages (``from tests.helpers import run``): running fetches,
seeded inputs, the float64 gradient assertion, the lecture's walkthrough graph, a
temporarily replaced op record, and protobuf field numbers.

Package helper modules (``tests/ops/helpers.py``'s op tables, ``tests/viz/helpers.py``'s DOT
parsing, ``tests/debug/conftest.py``'s model builders) hold what only their package needs;
what two packages need lives here, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from google.protobuf.message import Message

import graphflow as gf
from graphflow.framework import op_registry as registry


def run(fetches: Any, feeds: dict[Any, Any] | None = None,
        config: gf.SessionConfig | None = None, graph: gf.Graph | None = None) -> Any:
    """``fetches`` evaluated in a fresh Session of ``graph`` (default: the fetch's own graph
    when it is one Tensor or Operation, else the default graph)."""
    if graph is None:
        graph = getattr(fetches, "graph", None)
    with gf.Session(graph=graph, config=config) as sess:
        return sess.run(fetches, feeds)


def rand(shape: Any, seed: int = 0, dtype: Any = np.float64) -> np.ndarray:
    """Seeded uniform values in [-1, 1)."""
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(dtype)


def sample(shape: Any, low: float, high: float, seed: int = 0, kinks: tuple[float, ...] = (),
           dtype: Any = np.float64, margin: float = 0.2) -> np.ndarray:
    """Seeded uniform values in [low, high], pushed at least ``margin`` away from each kink
    (where a finite difference would straddle a non-differentiable point)."""
    x = np.random.default_rng(seed).uniform(low, high, size=shape)
    for k in kinks:
        d = x - k
        near = np.abs(d) < margin
        x = np.where(near, k + np.where(d >= 0, margin, -margin) + d, x)
    return x.astype(dtype)


def assert_gradients(y: gf.Tensor, xs: list[Any], feeds: dict[Any, Any],
                     tol: float = 1e-6) -> None:
    """Analytic gradients of ``y`` agree with central finite differences (run the graph in
    float64) within ``tol``; the failure message names the worst element."""
    result = gf.test.check_gradients(y, xs, feeds)
    assert result.max_error < tol, str(result)


def ref_sigmoid_ce(labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """numpy reference of the logistic loss -[z log sigmoid(x) + (1 - z) log(1 - sigmoid(x))]
    (``labels`` z, ``logits`` x), written the naive way on purpose."""
    p = 1 / (1 + np.exp(-logits))
    return -labels * np.log(p) - (1 - labels) * np.log(1 - p)


def lecture_graph(scalars: bool = True, named: bool = True
                  ) -> tuple[gf.Graph, dict[str, gf.Tensor]]:
    """The lecture's walkthrough f = (x + y) * max(y, z) in a new Graph, with handles
    ``x, y, z, a, b, f`` (a = x + y, b = max(y, z)). ``scalars``: the placeholders have
    shape () (else unknown shape); ``named``: a and b are the nodes "a" and "b" (else their
    default names "add" and "Maximum"). The output node is always "f"."""
    g = gf.Graph()
    with g.as_default():
        shape = [] if scalars else None
        x = gf.placeholder(gf.float32, shape, name="x")
        y = gf.placeholder(gf.float32, shape, name="y")
        z = gf.placeholder(gf.float32, shape, name="z")
        a = gf.add(x, y, name="a") if named else x + y
        b = gf.maximum(y, z, name="b") if named else gf.maximum(y, z)
        f = gf.multiply(a, b, name="f")
    return g, {"x": x, "y": y, "z": z, "a": a, "b": b, "f": f}


@contextmanager
def replaced_record(op_type: str, record: registry.Op) -> Iterator[registry.Op]:
    """``record`` registered for ``op_type`` inside the ``with`` block (e.g. a deliberately
    broken gradient rule), the previous record restored after it, even on failure."""
    previous = registry.override(op_type, record)
    try:
        yield record
    finally:
        registry.restore(op_type, previous)


def field_numbers(message: type[Message]) -> dict[str, int]:
    """Field name -> field number of a protobuf message class (the wire contract)."""
    return {f.name: f.number for f in message.DESCRIPTOR.fields}
