"""Graphs written for TensorBoard carry TF's ``_output_shapes`` attr (one shape per output,
-1 for unknown dims), so its graph tab labels edges with shapes: ``gf.io.write_graph(...,
add_shapes=True)`` for a Graph or a GraphDef."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import text_format

import graphflow as gf
from graphflow.io.graph_io import write_graph
from graphflow.proto import graph_pb2


def _graph():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        w = gf.constant(np.ones((3, 5), np.float32), name="w")
        y = gf.matmul(x, w, name="y")
        gf.unstack(gf.reshape(y, [-1, 5, 1]), axis=1, name="parts")
    return g


def _shapes(graph_def):
    return {n.name: [[d.size for d in s.dim] if not s.unknown_rank else None
                     for s in n.attr["_output_shapes"].list.shape]
            for n in graph_def.node}


@pytest.mark.parametrize("as_text", [True, False])
def test_write_graph_adds_output_shapes(tmp_path, as_text):
    path = write_graph(_graph(), tmp_path, "g.pbtxt" if as_text else "g.pb", as_text=as_text,
                       add_shapes=True)
    graph_def = graph_pb2.GraphDef()
    if as_text:
        text_format.Parse(open(path).read(), graph_def)
    else:
        graph_def.ParseFromString(open(path, "rb").read())
    shapes = _shapes(graph_def)
    assert shapes["x"] == [[-1, 3]]
    assert shapes["w"] == [[3, 5]]
    assert shapes["y"] == [[-1, 5]]
    assert shapes["parts"] == [[-1, 1]] * 5  # one shape per output


def test_write_graph_of_a_graph_def_infers_shapes(tmp_path):
    plain = _graph().as_graph_def()
    assert not any("_output_shapes" in n.attr for n in plain.node)
    path = write_graph(plain, tmp_path, "g.pb", as_text=False, add_shapes=True)
    shaped = graph_pb2.GraphDef.FromString(open(path, "rb").read())
    assert _shapes(shaped)["y"] == [[-1, 5]]
    for node in shaped.node:  # nothing else changes
        del node.attr["_output_shapes"]
    assert shaped == plain


def test_default_writes_no_shapes(tmp_path):
    path = write_graph(_graph(), tmp_path, "g.pb", as_text=False)
    graph_def = graph_pb2.GraphDef.FromString(open(path, "rb").read())
    assert not any("_output_shapes" in n.attr for n in graph_def.node)
    # and the shaped file loads back into graphflow
    shaped = write_graph(_graph(), tmp_path, "s.pb", as_text=False, add_shapes=True)
    assert gf.io.load_graph(shaped).get_tensor_by_name("y:0").shape.as_list() == [None, 5]
