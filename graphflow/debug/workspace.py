"""A private, runnable copy of a graph for the debugging tools (the user's graph is never
modified: tools that add gradient or probe nodes add them to the copy).

Stages of ``Workspace.build``:
  1. import the GraphDef (from a Graph, a GraphDef or a ``.pb`` path) into a fresh Graph,
     keeping every node name;
  2. variable values: those a given Session holds are fed to the copy's ``VariableV2``
     outputs; every other variable is initialized by running its ``<var>/Assign``
     initializer in the copy's own Session;
  3. feeds are resolved by name (a Tensor, Variable, ``"op"`` or ``"op:k"`` of the source
     graph); ``random_feeds`` invents values for placeholders when no data is given
     (floats ~ N(0, 1), integers 0, booleans False, unknown dims = ``batch_size``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graphflow.compiler.importer import import_graph_def
from graphflow.framework import tensor_names
from graphflow.framework.graph import Graph
from graphflow.framework.tensor import Operation, Tensor
from graphflow.io.graph_io import read_graph
from graphflow.ops.variables import Variable
from graphflow.proto import graph_pb2
from graphflow.runtime.session import Session

VARIABLE_OPS = ("VariableV2", "Variable")


def as_graph_def(source: Any) -> graph_pb2.GraphDef:
    """The GraphDef of a Graph, a GraphDef, or a graph file path (read with
    ``io.read_graph``); everything but the path is ``tensor_names.as_graph_def``'s."""
    if isinstance(source, (str, os.PathLike)):
        return read_graph(source)
    try:
        return tensor_names.as_graph_def(source)
    except TypeError:
        raise TypeError(f"expected a gf.Graph, a GraphDef or a graph file path, got "
                        f"{type(source).__name__}") from None


def tensor_name(key: Any) -> str:
    """``"op:k"`` for a Tensor, Variable, Operation or name (a bare name means output 0)."""
    if isinstance(key, Variable):
        return key.name  # its VariableV2 output
    if isinstance(key, Operation):
        return f"{key.name}:0"
    if isinstance(key, Tensor):
        return key.name
    if not isinstance(key, str):
        raise TypeError(f"expected a Tensor or a tensor name, got {type(key).__name__} {key!r}")
    node, index = tensor_names.split_tensor_name(key)
    return f"{node}:{index}"


@dataclass
class Workspace:
    """A runnable copy of a graph and the values its variables hold there."""

    graph: Graph
    session: Any
    variable_values: dict[Tensor, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, source: Any, session: Any = None,
              variable_values: Mapping[str, np.ndarray] | None = None) -> Workspace:
        """Copy ``source``; take variable values from ``session`` and/or
        ``variable_values`` ({variable op name: value}); initialize the rest."""
        graph = Graph()
        with graph.as_default():
            import_graph_def(as_graph_def(source), name="")
        sess = Session(graph=graph)
        ws = cls(graph, sess)
        given = dict(variable_values or {})
        for op in ws.variables():
            value = given.get(op.name)
            if value is None and session is not None:
                value = session.variable_value(op.name)
            if value is not None:
                ws.variable_values[op.outputs[0]] = np.asarray(value)
        _initialize(ws)
        return ws

    def close(self) -> None:
        self.session.close()

    def variables(self) -> list[Operation]:
        return [op for op in self.graph.get_operations() if op.type in VARIABLE_OPS]

    def tensor(self, key: Any) -> Tensor:
        """The copy's tensor named like ``key``; ValueError naming it if absent."""
        name = tensor_name(key)
        try:
            return self.graph.get_tensor_by_name(name)
        except (KeyError, ValueError) as err:
            raise ValueError(f"the graph has no tensor '{name}': {str(err).strip(chr(34))}"
                             ) from None

    def feeds(self, feed_dict: Mapping[Any, Any] | None) -> dict[Tensor, Any]:
        """``feed_dict`` re-keyed to the copy's tensors, plus the variable values."""
        out: dict[Tensor, Any] = dict(self.variable_values)
        for key, value in (feed_dict or {}).items():
            out[self.tensor(key)] = value
        return out

    def run(self, fetches: Any, feed_dict: Mapping[Any, Any] | None = None) -> Any:
        return self.session.run(fetches, self.feeds(feed_dict))


def _initialize(ws: Workspace) -> None:
    """Run the initializer (``<var>/Assign``) of every variable not given a value."""
    fed = {t.op.name for t in ws.variable_values}
    inits = []
    for var in ws.variables():
        if var.name in fed:
            continue
        try:
            init = ws.graph.get_operation_by_name(f"{var.name}/Assign")
        except KeyError:
            continue
        if init.inputs and init.inputs[0].op is var:
            inits.append(init)
    if inits:
        ws.session.run(inits, dict(ws.variable_values))


def placeholders(graph: Graph, needed: Iterable[str] | None = None) -> list[Operation]:
    """The ``Placeholder`` ops of ``graph`` (only those named in ``needed`` if given)."""
    keep = None if needed is None else set(needed)
    return [op for op in graph.get_operations()
            if op.type == "Placeholder" and (keep is None or op.name in keep)]


def random_feeds(graph: Graph, needed: Iterable[str] | None = None, batch_size: int = 4,
                 seed: int = 0) -> dict[str, np.ndarray]:
    """Made-up values for the placeholders (see the module doc), keyed by tensor name."""
    rng = np.random.default_rng(seed)
    out = {}
    for op in placeholders(graph, needed):
        t = op.outputs[0]
        dims = t.shape.dims
        shape = (batch_size,) if dims is None else tuple(batch_size if d is None else d
                                                          for d in dims)
        kind = t.dtype.np_dtype.kind
        if kind in "fc":
            value = rng.standard_normal(shape).astype(t.dtype.np_dtype)
        elif kind == "O":
            value = np.full(shape, b"", dtype=object)
        else:
            value = np.zeros(shape, dtype=t.dtype.np_dtype)
        out[t.name] = value
    return out


def load_feeds(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Feeds from a ``.npz`` file whose keys are tensor or placeholder names (``"x"`` or
    ``"x:0"``); returned keyed by tensor name."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"feed file '{p}' does not exist")
    try:
        with np.load(p, allow_pickle=False) as data:
            return {tensor_name(k): data[k] for k in data.files}
    except (ValueError, OSError) as err:
        raise ValueError(f"cannot read feeds from '{p}': {err} (expected a .npz file written "
                         "by np.savez with placeholder names as keys)") from None


def ancestors(graph: Graph, targets: Iterable[Tensor | Operation]) -> set[str]:
    """Names of the ops the targets depend on through data edges (targets included)."""
    seen: set[str] = set()
    stack = [t.op if isinstance(t, Tensor) else t for t in targets]
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        stack.extend(t.op for t in op.inputs)
    return seen
