"""Freezing: fold variable values into constants so a graph runs without a Session's state
(TF1's ``graph_util.convert_variables_to_constants``), and sub-graph extraction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphflow.compiler import graph_index
from graphflow.framework import attrs as attr_codec
from graphflow.framework import dtypes, tensor_names, tensor_util
from graphflow.framework.errors import NotFoundError
from graphflow.proto import graph_pb2

VARIABLE_OPS = ("VariableV2", "Variable")


def extract_sub_graph(graph_def: graph_pb2.GraphDef, dest_nodes: Iterable[str]
                      ) -> graph_pb2.GraphDef:
    """The nodes ``dest_nodes`` need (data and control inputs), in their original order."""
    dest = [tensor_names.split_tensor_name(n)[0] for n in dest_nodes]
    try:
        keep = graph_index.prune(graph_def, dest, follow_refs=True)
    except NotFoundError as err:
        raise NotFoundError(f"extract_sub_graph: {err}") from None
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.node.extend(n for n in graph_def.node if n.name in keep)
    return out


def convert_variables_to_constants(sess: Any, input_graph_def: graph_pb2.GraphDef,
                                   output_node_names: Iterable[str],
                                   variable_names_whitelist: Iterable[str] | None = None,
                                   variable_names_blacklist: Iterable[str] | None = None
                                   ) -> graph_pb2.GraphDef:
    """Keep what ``output_node_names`` need and replace each variable (VariableV2) by a
    ``Const`` holding its current value in ``sess``; the ``<var>/read`` Identity stays."""
    sub = extract_sub_graph(input_graph_def, output_node_names)
    allow = set(variable_names_whitelist) if variable_names_whitelist is not None else None
    deny = set(variable_names_blacklist or ())
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(sub.versions)
    for node in sub.node:
        frozen = out.node.add()
        if node.op in VARIABLE_OPS and (allow is None or node.name in allow) and \
                node.name not in deny:
            value = sess.run(f"{node.name}:0")
            dt = dtypes.as_dtype(node.attr["dtype"].type)
            frozen.name, frozen.op = node.name, "Const"
            frozen.attr["dtype"].CopyFrom(attr_codec.encode(dt))
            frozen.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(value, dtype=dt))
        else:
            frozen.CopyFrom(node)
    return out
