"""Read and write GraphDef files: binary ``.pb`` and protobuf text ``.pbtxt``, the same
bytes TensorFlow's ``tf.io.write_graph`` / ``tf.io.read_file`` + ``ParseFromString`` use."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from google.protobuf import message, text_format

from graphflow.compiler.importer import import_graph_def
from graphflow.framework import tensor_names
from graphflow.framework.errors import (
    DataLossError,
    GraphflowError,
    NotFoundError,
    UnimplementedError,
    node_error,
)
from graphflow.framework.graph import Graph
from graphflow.framework.tensor_names import parse_input
from graphflow.proto import graph_pb2

TEXT_SUFFIXES = (".pbtxt", ".txt", ".prototxt")

# Fields of TensorFlow's schema that graphflow's omits (debug metadata, inferred full types).
# TensorFlow writes them into .pbtxt files; graphflow skips them, as its binary parser skips
# unknown fields. Any other unknown field name is still an error.
_TF_ONLY_FIELDS = {("graphflow.NodeDef", "experimental_debug_info"),
                   ("graphflow.NodeDef", "experimental_type"),
                   ("graphflow.GraphDef", "debug_info")}
_UNKNOWN_FIELD = re.compile(r'Message type "([\w.]+)" has no field named "(\w+)"')


def write_graph(graph_or_graph_def: Any, logdir: str | os.PathLike[str], name: str,
                as_text: bool = True, add_shapes: bool = False) -> str:
    """Write a graph to ``logdir/name`` as protobuf text (default) or binary; returns the path
    (TF's ``tf.io.write_graph`` signature). Output is deterministic. ``add_shapes`` adds
    TF's ``_output_shapes`` attr to every node (as ``Graph.as_graph_def(add_shapes=True)``),
    so TensorBoard and Netron label the edges with static shapes."""
    if add_shapes:
        graph_def = with_output_shapes(graph_or_graph_def)
    else:
        graph_def = tensor_names.as_graph_def(graph_or_graph_def)
    directory = Path(logdir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if path.is_dir():
        raise ValueError(f"cannot write the graph to '{path}': it is a directory; pass a file "
                         "name as `name`")
    if as_text:
        path.write_text(text_format.MessageToString(graph_def), encoding="utf-8")
    else:
        path.write_bytes(graph_def.SerializeToString(deterministic=True))
    return str(path)


def with_output_shapes(graph_or_graph_def: Any) -> graph_pb2.GraphDef:
    """A copy of the GraphDef with ``_output_shapes`` on every node: a ``gf.Graph`` gives its
    static shapes; a GraphDef is imported into a scratch Graph to infer them (its nodes are
    otherwise unchanged)."""
    if isinstance(graph_or_graph_def, Graph):
        return graph_or_graph_def.as_graph_def(add_shapes=True)
    graph_def = graph_pb2.GraphDef()
    graph_def.CopyFrom(tensor_names.as_graph_def(graph_or_graph_def))
    scratch = Graph()
    with scratch.as_default():
        import_graph_def(graph_def, name="")
    shaped = {n.name: n.attr["_output_shapes"] for n in scratch.as_graph_def(add_shapes=True).node}
    for node in graph_def.node:
        node.attr["_output_shapes"].CopyFrom(shaped[node.name])
    return graph_def


def read_graph(path: str | os.PathLike[str]) -> graph_pb2.GraphDef:
    """Read a ``.pb`` (binary) or ``.pbtxt`` (text) GraphDef; DataLossError names the file if
    it is unreadable, truncated or not a GraphDef. A text-format file with a binary name (what
    ``tf.io.write_graph(g, d, "graph.pb")`` writes: its default is text) is read as text."""
    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"graph file '{p}' does not exist")
    if p.is_dir():
        raise NotFoundError(f"'{p}' is a directory, not a graph file; name the .pb/.pbtxt "
                            "file inside it")
    try:
        data = p.read_bytes()
    except OSError as err:
        raise DataLossError(f"cannot read graph file '{p}': {err.strerror or err}") from None
    return parse_graph_def(data, str(p), as_text=True if p.suffix in TEXT_SUFFIXES else None)


def parse_graph_def(data: bytes, where: str, as_text: bool | None = None) -> graph_pb2.GraphDef:
    """Parse GraphDef bytes (``where`` names their source in errors): binary, or text when
    ``as_text`` (None: binary, falling back to text when the bytes look like text); checked
    for unique names and dangling inputs. Every failure is a DataLossError."""
    p = Path(where)
    graph_def = graph_pb2.GraphDef()
    try:
        if as_text:
            _parse_text(data, graph_def, p)
        else:
            _parse_binary(data, graph_def, p)
    except RecursionError:
        raise DataLossError(f"'{p}' nests messages too deeply to parse; the file is corrupt or "
                            "not a GraphDef") from None
    _validate(graph_def, where)
    return graph_def


def _parse_binary(data: bytes, graph_def: graph_pb2.GraphDef, p: Path) -> None:
    try:
        graph_def.ParseFromString(data)
    except message.DecodeError as err:
        if _looks_like_text(data):  # tf.io.write_graph writes text by default, any name
            graph_def.Clear()
            try:
                _parse_text(data, graph_def, p)
            except DataLossError:
                pass
            else:
                return
        hint = " (is it a text-format file? name it .pbtxt)" if _looks_like_text(data) else ""
        raise DataLossError(f"'{p}' is not a valid binary GraphDef: {err}; the file is "
                            f"truncated or not a GraphDef{hint}") from None
    if data and not graph_def.HasField("versions"):
        raise DataLossError(
            f"'{p}' parsed, but has no 'versions' field, which every TensorFlow and "
            "graphflow writer stores after the nodes: the file is probably truncated or "
            "is not a GraphDef")


def _parse_text(data: bytes, graph_def: graph_pb2.GraphDef, p: Path) -> None:
    try:
        text = data.decode("utf-8")
        text_format.Parse(text, graph_def)
        return
    except (text_format.ParseError, UnicodeDecodeError) as err:
        unknown = _UNKNOWN_FIELD.search(str(err))
        if unknown and unknown.group(1) == "graphflow.FunctionDefLibrary":
            raise UnimplementedError(f"'{p}': the GraphDef has a function library; graphflow "
                                     "does not run TensorFlow functions (inline them or export "
                                     "a TF1 graph)") from None
        if not unknown or (unknown.group(1), unknown.group(2)) not in _TF_ONLY_FIELDS:
            raise DataLossError(f"'{p}' is not a valid text-format GraphDef: {err}") from None
    graph_def.Clear()
    text_format.Parse(text, graph_def, allow_unknown_field=True)


def _looks_like_text(data: bytes) -> bool:
    head = data[:64].lstrip()
    return head.startswith((b"node", b"versions", b"library"))


def _validate(graph_def: graph_pb2.GraphDef, where: str) -> None:
    names = set()
    for i, node in enumerate(graph_def.node):
        if not node.name or not node.op:
            raise DataLossError(f"'{where}': node #{i} has no {'name' if not node.name else 'op'}"
                                "; the file is corrupt or not a GraphDef")
        if node.name in names:
            raise DataLossError(f"'{where}': duplicate node name '{node.name}'")
        names.add(node.name)
    for node in graph_def.node:
        for text in node.input:
            src = parse_input(text)[0]
            if src not in names:
                raise DataLossError(f"'{where}': " + node_error(
                    node.name, node.op, f"has input '{text}', but no node '{src}' exists; the "
                    "file is truncated or corrupt"))


def load_graph(path: str | os.PathLike[str], name: str = "") -> Graph:
    """Read a graph file and import it into a new ``Graph`` (names unchanged by default).
    Errors name the file, the node and its op type."""
    graph_def = read_graph(path)
    graph = Graph()
    with graph.as_default():
        try:
            import_graph_def(graph_def, name=name)
        except GraphflowError as err:
            err.args = (f"while loading '{path}': {err}",) + err.args[1:]
            if hasattr(err, "message"):
                err.message = err.args[0]
            raise
        except (ValueError, TypeError) as err:
            raise type(err)(f"while loading '{path}': {err}") from err
    return graph
