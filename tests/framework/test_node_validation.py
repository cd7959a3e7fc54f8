"""Every NodeDef is checked when it enters a Graph: malformed nodes are refused with an error
naming the node, its op and the fix — never a wrong result or an internal exception."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework.errors import GraphBuildError
from graphflow.proto import graph_pb2, types_pb2


def lecture_graph_def() -> graph_pb2.GraphDef:
    """The lecture's f = (x + y) * max(y, z), with dy accumulated through an AddN."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, (), name="x")
        y = gf.placeholder(gf.float32, (), name="y")
        z = gf.placeholder(gf.float32, (), name="z")
        gf.multiply(x + y, gf.maximum(y, z), name="f")
        gf.add_n([x, y], name="s")
    return g.as_graph_def()


def node(graph_def: graph_pb2.GraphDef, name: str) -> object:
    return next(n for n in graph_def.node if n.name == name)


def load(graph_def: graph_pb2.GraphDef) -> gf.Graph:
    g = gf.Graph()
    with g.as_default():
        gf.import_graph_def(graph_def, name="")
    return g


def run_f(graph: gf.Graph) -> float:
    with gf.Session(graph=graph) as sess:
        return float(sess.run("f:0", {"x:0": 1.0, "y:0": 2.0, "z:0": 0.0}))


def test_the_unmodified_graph_loads_and_gives_the_lecture_value() -> None:
    assert run_f(load(lecture_graph_def())) == 6.0


def test_a_node_named_like_a_tensor_is_refused() -> None:
    """A node 'x:0' would make the input 'x:0' ambiguous (it resolved to the placeholder
    'x' before, giving f = 2 instead of 6)."""
    gd = lecture_graph_def()
    extra = gd.node.add()
    extra.CopyFrom(node(gd, "x"))
    extra.name = "x:0"
    with pytest.raises(GraphBuildError, match=r"Placeholder node 'x:0': 'x:0' is not a valid "
                                              r"node name.*Fix: .*no ':'"):
        load(gd)


@pytest.mark.parametrize("bad", ["a b", "/lead", "nul\x00", "_under", "x:0", "é"])
def test_invalid_node_names_are_refused_on_import(bad: str) -> None:
    gd = lecture_graph_def()
    node(gd, "f").name = bad
    with pytest.raises(GraphBuildError, match="is not a valid node name"):
        load(gd)


def test_an_empty_node_name_is_refused() -> None:
    gd = lecture_graph_def()
    node(gd, "f").name = ""
    with pytest.raises(GraphBuildError, match=r"'' \(empty\) is not a valid node name"):
        load(gd)


def test_addn_whose_n_disagrees_with_its_inputs_is_refused() -> None:
    """AddN with N = 2 listing one input used to sum the one input (dy = 3 instead of 5)."""
    gd = lecture_graph_def()
    s = node(gd, "s")
    assert s.attr["N"].i == 2
    del s.input[1]
    with pytest.raises(GraphBuildError, match=r"AddN node 's': attr N = 2 but the node lists 1 "
                                              r"'inputs' input\(s\). Fix: set N to 1"):
        load(gd)


@pytest.mark.parametrize("count", [1, 3])
def test_wrong_number_of_inputs_is_refused(count: int) -> None:
    gd = lecture_graph_def()
    f = node(gd, "f")
    del f.input[:]
    f.input.extend(["add", "Maximum", "x"][:count])
    with pytest.raises(GraphBuildError, match=rf"Mul node 'f': has {count} data input\(s\), "
                                              r"but Mul takes 2 \(x, y\)"):
        load(gd)


def test_attr_of_the_wrong_kind_is_refused() -> None:
    gd = lecture_graph_def()
    f = node(gd, "f")
    f.attr["T"].Clear()
    f.attr["T"].s = b"float"
    with pytest.raises(GraphBuildError, match=r"Mul node 'f': attr 'T' must be a DataType, got "
                                              r"a string"):
        load(gd)


def test_bool_attr_stored_as_int_is_refused() -> None:
    g = gf.Graph()
    with g.as_default():
        a = gf.placeholder(gf.float32, (2, 3), name="a")
        gf.matmul(a, a, transpose_b=True, name="m")
    gd = g.as_graph_def()
    node(gd, "m").attr["transpose_b"].Clear()
    node(gd, "m").attr["transpose_b"].i = 1
    with pytest.raises(GraphBuildError, match="attr 'transpose_b' must be a bool, got an int"):
        load(gd)


def test_unknown_datatype_enum_is_refused() -> None:
    gd = lecture_graph_def()
    node(gd, "x").attr["dtype"].type = 4242
    with pytest.raises(GraphBuildError, match=r"Placeholder node 'x': attr 'dtype': DataType "
                                              r"4242 is not supported"):
        load(gd)


def test_unsupported_but_valid_datatype_is_refused_by_name() -> None:
    gd = lecture_graph_def()
    node(gd, "x").attr["dtype"].type = types_pb2.DT_COMPLEX64
    with pytest.raises(GraphBuildError, match="DT_COMPLEX64 is not supported"):
        load(gd)


def test_a_port_with_a_non_ascii_digit_is_refused() -> None:
    gd = lecture_graph_def()
    node(gd, "f").input[0] = "add:\u00b2"
    with pytest.raises(GraphBuildError, match=r"input 'add:\u00b2' is not a tensor name"):
        load(gd)


def test_a_control_input_before_a_data_input_is_refused() -> None:
    gd = lecture_graph_def()
    f = node(gd, "f")
    f.input.insert(0, "^z")
    with pytest.raises(GraphBuildError, match="data input 'add' comes after a control input"):
        load(gd)


def test_duplicate_names_in_an_in_memory_import_are_refused() -> None:
    gd = lecture_graph_def()
    dup = gd.node.add()
    dup.CopyFrom(node(gd, "z"))
    with pytest.raises(GraphBuildError, match="the node name 'z' is used twice"):
        load(gd)


def test_a_dangling_input_is_refused() -> None:
    gd = lecture_graph_def()
    node(gd, "f").input[1] = "nowhere"
    with pytest.raises(GraphBuildError, match="input 'nowhere' names no node of the graph"):
        load(gd)


def test_an_output_index_out_of_range_is_refused() -> None:
    gd = lecture_graph_def()
    node(gd, "f").input[1] = "Maximum:3"
    with pytest.raises(GraphBuildError, match=r"reads output 3 of 'Maximum' \(Maximum\), which "
                                              r"has 1 output"):
        load(gd)


def test_a_dimension_below_minus_one_is_refused() -> None:
    gd = lecture_graph_def()
    x = node(gd, "x")
    x.attr["shape"].shape.dim.add().size = -5
    with pytest.raises(GraphBuildError, match="attr 'shape' has dimension -5"):
        load(gd)


def test_a_node_without_op_is_refused() -> None:
    gd = lecture_graph_def()
    node(gd, "f").op = ""
    with pytest.raises(GraphBuildError, match="has no op type"):
        load(gd)


def test_builder_names_follow_the_same_rule() -> None:
    g = gf.Graph()
    with g.as_default(), pytest.raises(GraphBuildError, match="is not a valid node name"):
        gf.constant(np.float32(1.0), name="a b/")


def _without_y() -> graph_pb2.GraphDef:
    gd = lecture_graph_def()
    for n in list(gd.node):
        if n.name == "y":
            gd.node.remove(n)
    return gd


def test_an_input_supplied_by_input_map_may_be_absent_from_the_graph_def() -> None:
    g = gf.Graph()
    with g.as_default():
        y = gf.placeholder(gf.float32, (), name="outer_y")
        gf.import_graph_def(_without_y(), input_map={"y:0": y}, name="")
    with gf.Session(graph=g) as sess:
        assert float(sess.run("f:0", {"x:0": 1.0, y: 2.0, "z:0": 0.0})) == 6.0


def test_input_map_of_another_output_names_the_fix() -> None:
    g = gf.Graph()
    with g.as_default():
        y = gf.placeholder(gf.float32, (), name="outer_y")
        with pytest.raises(GraphBuildError, match=r"input 'y' is neither in the GraphDef nor a "
                                                  r"key of input_map. Fix: add 'y' to input_map"):
            gf.import_graph_def(_without_y(), input_map={"y:1": y}, name="")


def test_an_attr_with_an_empty_name_is_not_an_internal_error() -> None:
    gd = lecture_graph_def()
    node(gd, "f").attr[""].i = 3
    assert run_f(load(gd)) == 6.0  # attrs no record reads are ignored (records do not list
    # every attr TF defines; refusing unknown attrs would refuse real TF graphs)
