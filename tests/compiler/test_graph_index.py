"""Tests for graphflow.compiler.graph_index: input parsing, GraphDef -> networkx (data and
control edges), pruning that stops at fed tensors, deterministic order, cycle errors."""

from __future__ import annotations

import pytest

import graphflow as gf
from graphflow.compiler import graph_index as gi
from graphflow.framework import tensor_names
from graphflow.proto import graph_pb2


def graph_def(*nodes: tuple[str, str, list[str]]) -> graph_pb2.GraphDef:
    gd = graph_pb2.GraphDef()
    for name, op, inputs in nodes:
        node = gd.node.add(name=name, op=op)
        node.input.extend(inputs)
    return gd


@pytest.mark.parametrize(("text", "parsed"), [
    ("x", ("x", 0, False)),
    ("x:0", ("x", 0, False)),
    ("scope/x:10", ("scope/x", 10, False)),
    ("^a/b", ("a/b", 0, True)),
    ("a:b", ("a:b", 0, False)),  # not a port number: part of the name
])
def test_parse_input(text, parsed):
    assert tensor_names.parse_input(text) == parsed


def test_split_tensor_name():
    assert tensor_names.split_tensor_name("scope/x:1") == ("scope/x", 1)
    assert tensor_names.split_tensor_name("x") == ("x", 0)


@pytest.fixture()
def small():
    """x -> y -> z <- c ; w = identity(z) with control inputs ^y, ^c."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [2], name="x")
        y = gf.identity(x, name="y")
        c = gf.constant([1.0, 2.0], name="c")
        z = gf.add(y, c, name="z")
        with gf.control_dependencies([y, c]):
            gf.identity(z, name="w")
        gf.identity(z, name="v")
    return g


def test_to_networkx_edges(small):
    nxg = gi.to_networkx(small.as_graph_def())
    assert list(nxg.nodes) == ["x", "y", "c", "z", "w", "v"]
    assert nxg.nodes["z"] == {"index": 3, "op": "AddV2"}
    data = {(u, v): d["ports"] for u, v, d in nxg.edges(data=True) if d["kind"] == "data"}
    control = {(u, v) for u, v, d in nxg.edges(data=True) if d["kind"] == "control"}
    assert data == {("x", "y"): [(0, 0)], ("y", "z"): [(0, 0)], ("c", "z"): [(0, 1)],
                    ("z", "w"): [(0, 0)], ("z", "v"): [(0, 0)]}
    assert control == {("y", "w"), ("c", "w")}


def test_to_networkx_multi_port_edge():
    gd = graph_def(("a", "Const", []), ("b", "AddV2", ["a", "a"]), ("c", "NoOp", ["^b"]))
    nxg = gi.to_networkx(gd)
    assert nxg.edges["a", "b"] == {"kind": "data", "ports": [(0, 0), (0, 1)]}
    assert nxg.edges["b", "c"] == {"kind": "control", "ports": []}


def test_to_networkx_missing_input_names_the_node():
    gd = graph_def(("a", "Identity", ["ghost:0"]))
    with pytest.raises(gf.NotFoundError, match=r"node 'a' \(Identity\) has input 'ghost:0', but "
                                               r"the graph has no node named 'ghost'"):
        gi.to_networkx(gd)


def test_prune_follows_data_and_control_inputs(small):
    gd = small.as_graph_def()
    assert gi.prune(gd, ["w"]) == {"w", "z", "y", "x", "c"}
    assert gi.prune(gd, ["v"]) == {"v", "z", "y", "x", "c"}
    assert gi.prune(gd, ["c"]) == {"c"}


def test_prune_stops_at_fed_tensors(small):
    gd = small.as_graph_def()
    assert gi.prune(gd, ["v"], [("y", 0)]) == {"v", "z", "c"}
    assert gi.prune(gd, ["v"], [("z", 0)]) == {"v"}
    assert gi.prune(gd, ["v"], [("z", 1)]) == {"v", "z", "y", "x", "c"}  # other port: not fed


def test_prune_does_not_follow_ref_inputs():
    g = gf.Graph()
    with g.as_default():
        w = gf.Variable(1.0, name="W")
        step = w.assign_add(2.0, name="step")
    needed = gi.prune(g.as_graph_def(), [step.op.name])
    assert "step" in needed and "W" not in needed  # the update needs storage, not a value


def test_prune_unknown_target():
    with pytest.raises(gf.NotFoundError, match="the graph has no node named 'nope'"):
        gi.prune(graph_def(("a", "Const", [])), ["nope"])


def test_topological_order_is_deterministic_and_valid():
    # Listed out of order; ties are broken by GraphDef position, so the order is fixed.
    gd = graph_def(("d", "AddV2", ["b", "c"]), ("c", "Neg", ["a"]), ("b", "Neg", ["a"]),
                   ("a", "Const", []), ("e", "Const", []))
    order = gi.topological_order(gd)
    assert order == ["a", "c", "b", "d", "e"]
    for _ in range(3):
        assert gi.topological_order(gd) == order
    assert gi.topological_order(gd, ["a", "b"]) == ["a", "b"]


def test_topological_order_runs_pure_nodes_before_updates():
    g = gf.Graph()
    with g.as_default():
        w = gf.Variable(1.0, name="W")
        upd = w.assign(5.0, name="upd")
        later = gf.identity(w.value(), name="later")  # created after the update, pure
    order = gi.topological_order(g.as_graph_def())
    assert order.index("later") < order.index(upd.op.name)
    assert later.op.name == "later"


def test_cycle_raises_naming_the_nodes_in_the_cycle():
    gd = graph_def(("c", "Const", []), ("a", "AddV2", ["c", "b"]), ("b", "Neg", ["a:0"]),
                   ("d", "Identity", ["b"]), ("e", "NoOp", ["^d"]))
    with pytest.raises(gf.GraphBuildError) as info:
        gi.topological_order(gd)
    message = str(info.value)
    assert "the graph has a cycle" in message
    assert "'a' (AddV2)" in message and "'b' (Neg)" in message
    assert "'c'" not in message and "'d'" not in message and "'e'" not in message


def test_control_edge_cycle_is_found():
    gd = graph_def(("a", "NoOp", ["^b"]), ("b", "NoOp", ["^a"]))
    with pytest.raises(gf.GraphBuildError, match=r"cycle: '(a|b)' \(NoOp\) -> '(a|b)' \(NoOp\) "
                                                  r"-> '(a|b)' \(NoOp\)"):
        gi.topological_order(gd)


# -- the same walks over a Graph's handles ----------------------------------------------------

def test_prune_ops_matches_prune_on_the_graph_def(small):
    gd = small.as_graph_def()
    ops = {op.name: op for op in small.get_operations()}
    for target, fed in [("w", []), ("v", []), ("c", []), ("v", [("y", 0)]), ("v", [("z", 0)]),
                        ("v", [("z", 1)])]:
        fed_idx = {(ops[n].index, i) for n, i in fed}
        kept = gi.prune_ops([ops[target]], fed_idx)
        assert {op.name for op in kept} == gi.prune(gd, [target], fed)
        assert [op.index for op in kept] == sorted(op.index for op in kept)


def test_prune_ops_fills_records_and_skips_ref_inputs():
    g = gf.Graph()
    with g.as_default():
        w = gf.Variable(1.0, name="W")
        step = w.assign_add(2.0, name="step")
    records: gi.Records = {}
    kept = gi.prune_ops([step.op], records=records)
    assert "W" not in {op.name for op in kept}
    assert set(records) == {op.index for op in kept}
    assert records[step.op.index].op_type == "AssignAdd"
    assert "W" in {op.name for op in gi.prune_ops([step.op], follow_refs=True)}


def test_order_ops_matches_topological_order():
    g = gf.Graph()
    with g.as_default():
        w = gf.Variable(1.0, name="W")
        upd = w.assign(5.0, name="upd")
        later = gf.identity(w.value(), name="later")
        with gf.control_dependencies([upd]):
            after = gf.identity(later, name="after")
        gf.add(after, later, name="sum")
    ops = g.get_operations()
    assert [op.name for op in gi.order_ops(ops)] == gi.topological_order(g.as_graph_def())
    assert [op.name for op in gi.order_ops(ops, state_last=False)] == \
        gi.topological_order(g.as_graph_def(), state_last=False)
    subset = [op for op in ops if op.name in ("upd", "later", "after")]
    assert [op.name for op in gi.order_ops(subset)] == ["later", "upd", "after"]
