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

#: The shape-generic plan (no specialization, folding or planned buffers).
GENERIC = gf.SessionConfig(specialize=False, plan_memory=False)


def run(fetches: Any, feeds: dict[Any, Any] | None = None,
        config: gf.SessionConfig | None = None, graph: gf.Graph | None = None) -> Any:
    """``fetches`` evaluated in a fresh Session of ``graph`` (default: the fetch's own graph
    when it is one Tensor or Operation, else the default graph).

    Without an explicit ``config`` the fetches run twice — on the specialized plan (the
    default) and on the shape-generic plan — and both must agree: the same bits or the same
    error. So every table-driven op test also checks that results never depend on which plan
    ran (a planned Mean that multiplied by 1/count where np.mean divides was caught so)."""
    if graph is None:
        graph = getattr(fetches, "graph", None)
    if config is not None:
        with gf.Session(graph=graph, config=config) as sess:
            return sess.run(fetches, feeds)
    outcomes = []
    for each in (None, GENERIC):
        with gf.Session(graph=graph, config=each) as sess:
            try:
                outcomes.append((sess.run(fetches, feeds), None))
            except gf.OpError as err:
                outcomes.append((None, err))
    (value, error), (generic_value, generic_error) = outcomes
    if error is not None or generic_error is not None:
        assert type(error) is type(generic_error) and str(error) == str(generic_error), (
            f"the specialized and the generic plan disagree: {error!r} vs {generic_error!r}")
        raise error  # type: ignore[misc]
    assert_same_structure(value, generic_value)
    return value


def assert_same_structure(a: Any, b: Any) -> None:
    """Nested fetch results equal, arrays bit for bit (dtype, shape and bytes)."""
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_structure(x, y)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        for k in a:
            assert_same_structure(a[k], b[k])
    elif a is None or b is None:
        assert a is None and b is None
    else:
        x, y = np.asarray(a), np.asarray(b)
        assert x.shape == y.shape and x.dtype == y.dtype, (x.shape, y.shape, x.dtype, y.dtype)
        if x.dtype.kind == "O":  # objects (strings): their bytes would be pointers
            np.testing.assert_array_equal(x, y)
            return
        assert x.tobytes() == y.tobytes(), (
            f"the specialized and the generic plan give other bits ({x.dtype}{list(x.shape)}): "
            f"{x.reshape(-1)[:6]} vs {y.reshape(-1)[:6]}")


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
