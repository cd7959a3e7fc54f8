"""The tensor-name grammar of NodeDef inputs, and "Graph or GraphDef -> GraphDef".

TensorFlow names a node's inputs ``"op"`` (output 0), ``"op:k"`` (output k) and ``"^op"``
(a control input); fetches and feeds use ``"op:k"``. This module is the one place that
parses those strings, so every layer reads them the same way.
"""

from __future__ import annotations

from typing import Any

from graphflow.proto import graph_pb2


def parse_input(text: str) -> tuple[str, int, bool]:
    """``"x"`` -> ("x", 0, False); ``"x:2"`` -> ("x", 2, False); ``"^x"`` -> ("x", 0, True)."""
    if text.startswith("^"):
        return text[1:], 0, True
    name, sep, index = text.rpartition(":")
    if sep and index.isascii() and index.isdigit():
        return name, int(index), False
    return text, 0, False


def split_tensor_name(name: str) -> tuple[str, int]:
    """``"scope/x:1"`` -> ("scope/x", 1); a bare op name means output 0."""
    node, index, _ = parse_input(name)
    return node, index


def input_ref(node: str, index: int) -> str:
    """How a NodeDef input names output ``index`` of ``node``: ``node`` or ``node:index``."""
    return node if index == 0 else f"{node}:{index}"


def as_graph_def(graph_or_graph_def: Any) -> graph_pb2.GraphDef:
    """The GraphDef of a ``gf.Graph`` (a copy), a graphflow GraphDef (itself), or any other
    protobuf GraphDef with TensorFlow's wire format (e.g. TensorFlow's own, re-parsed)."""
    if isinstance(graph_or_graph_def, graph_pb2.GraphDef):
        return graph_or_graph_def
    as_def = getattr(graph_or_graph_def, "as_graph_def", None)
    if callable(as_def):  # gf.Graph (and TensorFlow's Graph, whose result is re-parsed below)
        graph_or_graph_def = as_def()
        if isinstance(graph_or_graph_def, graph_pb2.GraphDef):
            return graph_or_graph_def
    if hasattr(graph_or_graph_def, "SerializeToString"):  # e.g. a tensorflow GraphDef
        out = graph_pb2.GraphDef()
        out.ParseFromString(graph_or_graph_def.SerializeToString())
        return out
    raise TypeError(f"expected a gf.Graph or GraphDef, got {type(graph_or_graph_def).__name__}")
