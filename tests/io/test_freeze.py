"""Freezing: convert_variables_to_constants and extract_sub_graph."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf


def _trained_graph():
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float32, [None, 2], name="x")
        W = gf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="W")
        y = gf.identity(gf.matmul(x, W), name="y")
        gf.argmax(y, 1, name="pred")
        gf.assign_add(W, np.ones((2, 3), np.float32), name="bump")
    return graph


def test_frozen_graph_computes_the_session_values_without_variables():
    graph = _trained_graph()
    with graph.as_default(), gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        sess.run("bump")  # the frozen constant must hold the current value, not the initial
        want = sess.run(["y:0", "pred:0"], {"x:0": [[1.0, 2.0]]})
        frozen = gf.graph_util.convert_variables_to_constants(
            sess, graph.as_graph_def(), ["y", "pred"])
    ops = {n.name: n.op for n in frozen.node}
    assert ops["W"] == "Const" and "VariableV2" not in ops.values()
    assert "bump" not in ops and "W/Assign" not in ops  # only what the outputs need
    with gf.Graph().as_default(), gf.Session() as sess:
        gf.import_graph_def(frozen, name="")
        got = sess.run(["y:0", "pred:0"], {"x:0": [[1.0, 2.0]]})
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[0], [[9.0, 12.0, 15.0]])
    assert got[1].tolist() == want[1].tolist() == [2]


def test_extract_sub_graph_keeps_inputs_in_order_and_names_missing_nodes():
    graph_def = _trained_graph().as_graph_def()
    sub = gf.graph_util.extract_sub_graph(graph_def, ["y:0"])
    names = [n.name for n in sub.node]
    assert names == [n.name for n in graph_def.node if n.name in set(names)]
    assert {"x", "W", "W/read", "MatMul", "y"} <= set(names) and "pred" not in names
    with pytest.raises(gf.NotFoundError, match="extract_sub_graph.*'nope'"):
        gf.graph_util.extract_sub_graph(graph_def, ["nope"])
