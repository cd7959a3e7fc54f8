"""``inspect_graph``: op counts, parameters, placeholders, outputs, forward vs gradient
nodes, producer version and unregistered ops, read from the GraphDef alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.debug.inspect_graph import inspect_graph
from graphflow.proto import graph_pb2

from .conftest import training_graph


def _custom_op_graph_def() -> graph_pb2.GraphDef:
    """x -> FancyCustomOp -> Relu: an op type graphflow has no record for."""
    g = gf.Graph()
    with g.as_default():
        gf.placeholder(gf.float32, [None, 7], name="x")
    graph_def = g.as_graph_def()
    node = graph_def.node.add(name="fancy", op="FancyCustomOp")
    node.input.append("x")
    relu = graph_def.node.add(name="act", op="Relu")
    relu.input.append("fancy")
    return graph_def


def test_training_graph_summary() -> None:
    info = inspect_graph(training_graph())
    assert info.producer == 134
    assert info.op_counts["MatMul"] >= 4 and info.op_counts["VariableV2"] == 3
    assert info.op_counts["Placeholder"] == 2
    assert info.gradient_nodes > 0
    assert info.forward_nodes + info.gradient_nodes == info.node_count
    assert info.gradient_nodes == sum(1 for name in _names(training_graph())
                                      if name.startswith("gradients/"))
    params = {p.name: p for p in info.parameters}
    assert params["hidden/W"].shape == (4, 5) and params["hidden/W"].dtype == "float32"
    assert params["out/U"].shape == (5, 3) and params["hidden/b"].shape == (5,)
    assert all(p.role == "model" for p in params.values())
    assert info.parameter_count == 20 + 5 + 15
    assert [(p.name, p.dtype, p.shape) for p in info.placeholders] == [
        ("x", "float32", (None, 4)), ("y", "int32", (None,))]
    outputs = {o.name: o for o in info.outputs}
    assert set(outputs) == {"probabilities", "train", "init"}
    assert outputs["probabilities"].shape == (None, 3)
    assert not info.unknown_ops
    text = info.to_text()
    for expected in ("producer version 134", "hidden/W", "(4, 5)", "placeholders: 2",
                     "probabilities", "forward", "gradient)"):
        assert expected in text
    assert "WARNING" not in text


def _names(g: gf.Graph) -> list[str]:
    return [op.name for op in g.get_operations()]


def test_optimizer_slots_and_counters_are_state_not_model_parameters() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 2], name="x")
        w = gf.Variable(np.ones((2, 1), np.float32), name="w")
        loss = gf.reduce_sum(gf.matmul(x, w), name="loss")
        step = gf.train.get_or_create_global_step()
        gf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    info = inspect_graph(g)
    roles = {p.name: p.role for p in info.parameters}
    assert roles["w"] == "model"
    assert {roles[n] for n in ("w/Adam", "w/Adam_1", "beta1_power", "global_step")} == {"state"}
    assert info.parameter_count == 2
    assert "optimizer/state variables" in info.to_text()


def test_frozen_graph_counts_large_float_consts() -> None:
    g = training_graph()
    with gf.Session(graph=g) as sess:
        sess.run("init")
        frozen = gf.graph_util.convert_variables_to_constants(sess, g.as_graph_def(),
                                                              ["probabilities"])
    info = inspect_graph(frozen)
    assert info.frozen
    names = {p.name: p for p in info.parameters}
    assert names["hidden/W"].op_type == "Const" and names["hidden/W"].shape == (4, 5)
    assert names["out/U"].shape == (5, 3)
    assert "hidden/b" not in names  # 5 elements: below the default size of 10
    assert "hidden/b" in {p.name for p in inspect_graph(frozen, 5).parameters}
    assert "frozen graph" in info.to_text()


def test_unregistered_ops_are_reported_and_the_rest_still_works(tmp_path: Path) -> None:
    path = tmp_path / "custom.pb"
    path.write_bytes(_custom_op_graph_def().SerializeToString())
    info = inspect_graph(path)
    assert info.unknown_ops == {"FancyCustomOp": ["fancy"]}
    assert info.op_counts == {"Placeholder": 1, "FancyCustomOp": 1, "Relu": 1}
    assert [o.name for o in info.outputs] == ["act"]
    assert info.placeholders[0].shape == (None, 7)
    text = info.to_text()
    assert "WARNING: graphflow cannot run this graph" in text and "FancyCustomOp" in text
    assert "NOT REGISTERED" in text


def test_a_file_that_is_not_a_graph_def_is_a_data_loss_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.pb"
    path.write_bytes(b"\xff\xfe this is not a protobuf \x00\x01")
    with pytest.raises(gf.DataLossError, match="notes.pb"):
        inspect_graph(path)
