"""``graphflow inspect FILE.pb``: what is in a graph file, read from the GraphDef alone.

Stages of ``inspect_graph``:
  1. read the file with ``gf.io.read_graph`` (a file that is not a GraphDef raises
     ``DataLossError``); nothing is imported, so graphs with op types graphflow cannot run
     are still inspected;
  2. count nodes per op type, and forward vs gradient nodes (a gradient node lies under a
     ``gradients/`` or ``gradients_N/`` name scope);
  3. parameters: ``VariableV2`` nodes (dtype and shape from their attrs), each marked
     ``model`` when its value reaches a forward output of the model, else ``state``
     (optimizer slots such as ``W/Adam``, ``beta1_power``, ``global_step``); in frozen
     graphs (no variables), floating-point ``Const`` nodes outside gradient scopes with at
     least ``min_const_elements`` elements;
  4. placeholders (dtype, shape) and outputs: nodes no other node reads (by a data or a
     control input); variable initializers (``<var>/Assign``), unread variable reads and
     gradient-scope leftovers are counted rather than listed;
  5. op types missing from graphflow's registry (the graph cannot run until they exist).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphflow.compiler.gradient_scopes import is_gradient_node
from graphflow.compiler.importer import import_graph_def
from graphflow.debug.tables import format_table
from graphflow.debug.workspace import VARIABLE_OPS, as_graph_def
from graphflow.framework import dtypes
from graphflow.framework import op_registry as registry
from graphflow.framework.graph import Graph
from graphflow.framework.tensor_names import parse_input
from graphflow.proto import graph_pb2

#: A float Const with at least this many elements counts as a (frozen) parameter.
MIN_CONST_ELEMENTS = 10


@dataclass(frozen=True)
class TensorInfo:
    """A named node with the dtype and shape its attrs declare (``None``: not declared)."""

    name: str
    op_type: str
    dtype: str | None = None
    shape: tuple[int | None, ...] | None = None
    role: str = ""  # parameters: "model" or "state"

    @property
    def size(self) -> int | None:
        if self.shape is None:
            return None
        dims = [d for d in self.shape if d is not None]
        if len(dims) < len(self.shape):
            return None
        return int(np.prod(dims)) if dims else 1

    def shape_text(self) -> str:
        if self.shape is None:
            return "?"
        return "(" + ", ".join("?" if d is None else str(d) for d in self.shape) + \
            ("," if len(self.shape) == 1 else "") + ")"


@dataclass
class GraphInspection:
    """What ``inspect_graph`` found; ``to_text()`` renders it."""

    source: str
    producer: int
    min_consumer: int
    node_count: int
    op_counts: dict[str, int]
    forward_nodes: int
    gradient_nodes: int
    parameters: list[TensorInfo]
    placeholders: list[TensorInfo]
    outputs: list[TensorInfo]
    unknown_ops: dict[str, list[str]] = field(default_factory=dict)  # op type -> nodes
    unlisted_outputs: dict[str, int] = field(default_factory=dict)  # kind -> count

    @property
    def parameter_count(self) -> int:
        """Number of values in the model's parameters (``state`` variables excluded)."""
        return sum(p.size or 0 for p in self.parameters if p.role != "state")

    @property
    def frozen(self) -> bool:
        return bool(self.parameters) and all(p.op_type == "Const" for p in self.parameters)

    def to_text(self) -> str:
        out = [f"graph: {self.source}",
               (f"  producer version {self.producer}, min consumer {self.min_consumer}; "
                f"{self.node_count} nodes ({self.forward_nodes} forward, "
                f"{self.gradient_nodes} gradient)")]
        if self.unknown_ops:
            out.append("WARNING: graphflow cannot run this graph: op types not registered: "
                       + "; ".join(f"{op} ({len(nodes)} node{'s' * (len(nodes) > 1)}, e.g. "
                                   f"'{nodes[0]}')" for op, nodes in
                                   sorted(self.unknown_ops.items())))
        out.append("")
        ordered = sorted(self.op_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        out.append(f"op types ({len(self.op_counts)}):")
        if self.unknown_ops:
            out.append(format_table(["op", "count", "runs"], [
                [op, str(n), "NOT REGISTERED" if op in self.unknown_ops else "yes"]
                for op, n in ordered], right=[1]))
        else:
            out.append(format_table(["op", "count"], [[op, str(n)] for op, n in ordered]))
        out.append("")
        model = [p for p in self.parameters if p.role != "state"]
        kind = " (frozen graph: Consts)" if self.frozen else ""
        out.append(f"parameters{kind}: {len(model)} tensors, {self.parameter_count:,} values"
                   + (f" (+ {len(self.parameters) - len(model)} optimizer/state variables)"
                      if len(model) < len(self.parameters) else ""))
        if self.parameters:
            out.append(format_table(["name", "op", "role", "dtype", "shape", "size"],
                                    [[p.name, p.op_type, p.role or "-", p.dtype or "?",
                                      p.shape_text(), "?" if p.size is None else f"{p.size:,}"]
                                     for p in model + [p for p in self.parameters
                                                       if p.role == "state"]], right=[5]))
        out.append("")
        out.append(f"placeholders: {len(self.placeholders)}")
        if self.placeholders:
            out.append(format_table(["name", "dtype", "shape"],
                                    [[p.name, p.dtype or "?", p.shape_text()]
                                     for p in self.placeholders]))
        out.append("")
        out.append(f"outputs (nodes nothing else reads): {len(self.outputs)}")
        if self.outputs:
            out.append(format_table(["name", "op", "dtype", "shape"],
                                    [[o.name, o.op_type, o.dtype or "-",
                                      "-" if o.shape is None else o.shape_text()]
                                     for o in self.outputs]))
        if self.unlisted_outputs:
            out.append("  also unread: " + ", ".join(
                f"{n} {kind}" for kind, n in sorted(self.unlisted_outputs.items())))
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()


def inspect_graph(source: Any, min_const_elements: int = MIN_CONST_ELEMENTS
                  ) -> GraphInspection:
    """Inspect a graph file path, a GraphDef or a ``gf.Graph`` (see the module doc)."""
    graph_def = as_graph_def(source)
    label = os.fspath(source) if isinstance(source, (str, os.PathLike)) else \
        type(source).__name__
    counts = Counter(node.op for node in graph_def.node)
    gradient = sum(1 for node in graph_def.node if is_gradient_node(node.name))
    unknown: dict[str, list[str]] = {}
    for node in graph_def.node:
        if registry.lookup(node.op) is None:
            unknown.setdefault(node.op, []).append(node.name)
    params = []
    variables = [node for node in graph_def.node if node.op in VARIABLE_OPS]
    model = _model_variables(graph_def)
    for node in variables:
        params.append(TensorInfo(node.name, node.op, _dtype(node, "dtype"),
                                 _shape(node, "shape"),
                                 "model" if node.name in model else "state"))
    if not variables:  # a frozen graph: the weights are Consts
        for node in graph_def.node:
            if node.op == "Const" and not is_gradient_node(node.name):
                info = _const_info(node)
                if info.dtype in _FLOAT_NAMES and (info.size or 0) >= min_const_elements:
                    params.append(info)
    placeholders = [TensorInfo(n.name, n.op, _dtype(n, "dtype"), _shape(n, "shape"))
                    for n in graph_def.node if n.op in ("Placeholder", "PlaceholderWithDefault")]
    outputs, unlisted = _outputs(graph_def, unknown)
    return GraphInspection(label, graph_def.versions.producer, graph_def.versions.min_consumer,
                           len(graph_def.node), dict(counts), len(graph_def.node) - gradient,
                           gradient, params, placeholders, outputs, unknown, unlisted)


_FLOAT_NAMES = {"float16", "float32", "float64", "bfloat16"}


def _updates(node: Any) -> bool:
    record = registry.lookup(node.op)
    return bool(record is not None and record.ref_inputs)


def _model_variables(graph_def: graph_pb2.GraphDef) -> set[str]:
    """Variables whose value reaches a forward output: a node outside gradient scopes that
    is not a state update, Identity or NoOp, and that only gradient nodes read (or none);
    what feeds only state updates (optimizer arithmetic) is not an output."""
    forward = {n.name: n for n in graph_def.node
               if not is_gradient_node(n.name) and not _updates(n)}
    readers: dict[str, list[str]] = {}
    for node in graph_def.node:
        if is_gradient_node(node.name):
            continue
        for text in node.input:
            src, _, control = parse_input(text)
            if not control and src in forward:
                readers.setdefault(src, []).append(node.name)
    sinks = [n for n, node in forward.items()
             if n not in readers and node.op not in ("Identity", "NoOp")]
    reach: set[str] = set()
    stack = list(sinks)
    while stack:
        name = stack.pop()
        if name in reach:
            continue
        reach.add(name)
        stack.extend(src for src, _, control in map(parse_input, forward[name].input)
                     if not control and src in forward)
    return {n for n in reach if forward[n].op in VARIABLE_OPS}


def _outputs(graph_def: graph_pb2.GraphDef, unknown: dict[str, list[str]]
             ) -> tuple[list[TensorInfo], dict[str, int]]:
    read = set()
    for node in graph_def.node:
        for text in node.input:
            read.add(parse_input(text)[0])
    by_name = {n.name: n for n in graph_def.node}
    unlisted: dict[str, int] = {}
    names = []
    for node in graph_def.node:
        if node.name in read:
            continue
        kind = _unlisted_kind(node, by_name)
        if kind:
            unlisted[kind] = unlisted.get(kind, 0) + 1
        else:
            names.append(node.name)
    specs = _static_specs(graph_def) if not unknown else {}
    out = []
    for name in names:
        spec = specs.get(name)
        if spec is None:
            out.append(TensorInfo(name, by_name[name].op))
            continue
        dims = spec.shape.dims
        out.append(TensorInfo(name, by_name[name].op, spec.dtype.name,
                              None if dims is None else tuple(dims)))
    return out, unlisted


def _unlisted_kind(node: Any, by_name: dict[str, Any]) -> str | None:
    """Why an unread node is not worth listing as an output (None: list it)."""
    if is_gradient_node(node.name):
        return "gradient-scope nodes"
    first = by_name.get(parse_input(node.input[0])[0]) if node.input else None
    if first is not None and first.op in VARIABLE_OPS:
        if node.op == "Assign" and node.name == f"{first.name}/Assign":
            return "variable initializers"
        if node.op == "Identity":
            return "unread variable reads"
    return None


def _static_specs(graph_def: graph_pb2.GraphDef) -> dict[str, Any]:
    """Static spec of output 0 of each node, when the whole graph imports (else {})."""
    graph = Graph()
    try:
        with graph.as_default():
            import_graph_def(graph_def, name="")
    except Exception:  # noqa: BLE001 - shapes are a bonus; the listing works without them
        return {}
    return {op.name: op.outputs[0].spec for op in graph.get_operations() if op.outputs}


def _dtype(node: Any, attr: str) -> str | None:
    if attr not in node.attr or node.attr[attr].WhichOneof("value") != "type":
        return None
    try:
        return dtypes.as_dtype(node.attr[attr].type).name
    except (TypeError, ValueError, KeyError):
        return f"DataType({node.attr[attr].type})"


def _shape(node: Any, attr: str) -> tuple[int | None, ...] | None:
    if attr not in node.attr or node.attr[attr].WhichOneof("value") != "shape":
        return None
    proto = node.attr[attr].shape
    if proto.unknown_rank:
        return None
    return tuple(None if d.size < 0 else int(d.size) for d in proto.dim)


def _const_info(node: Any) -> TensorInfo:
    tensor = node.attr["value"].tensor if "value" in node.attr else None
    dtype = _dtype(node, "dtype")
    if tensor is None:
        return TensorInfo(node.name, node.op, dtype)
    dims = tuple(int(d.size) for d in tensor.tensor_shape.dim)
    return TensorInfo(node.name, node.op, dtype, dims)
