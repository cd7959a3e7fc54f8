"""Tests for graphflow.framework.graph: unique names, name scopes, default graphs, lookups,
control dependencies, collections, variables and cross-graph errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.proto import graph_pb2


def names(graph: gf.Graph) -> list[str]:
    return [op.name for op in graph.get_operations()]


# -- names ---------------------------------------------------------------------------------

def test_unique_names_add_add_1(g):
    a = gf.constant(1.0)
    assert [(a + a).op.name, (a + a).op.name, (a + a).op.name] == ["add", "add_1", "add_2"]
    assert a.op.name == "Const" and gf.constant(2.0).op.name == "Const_1"


def test_unique_names_are_case_insensitive_like_tf(g):
    assert gf.constant(1.0, name="Add").op.name == "Add"
    assert gf.constant(1.0, name="add").op.name == "add_1"
    assert gf.constant(1.0, name="ADD").op.name == "ADD_2"
    # An explicit name that collides with a generated suffix gets its own suffix (TF).
    assert gf.constant(1.0, name="add_1").op.name == "add_1_1"


def test_name_scopes(g):
    with gf.name_scope("a") as scope:
        assert scope == "a/" and g.get_name_scope() == "a"
        x = gf.constant(1.0, name="x")
        with gf.name_scope("inner") as inner:
            assert inner == "a/inner/"
            assert gf.constant(1.0).op.name == "a/inner/Const"
        with gf.name_scope(None):  # None resets to the root
            assert gf.constant(1.0, name="w").op.name == "w"
        with gf.name_scope(""):
            assert g.get_name_scope() == ""
    with gf.name_scope("a") as reopened:  # reopening a used scope makes a new one
        assert reopened == "a_1/"
        assert gf.constant(1.0, name="x").op.name == "a_1/x"
    with gf.name_scope("a/") as exact:  # a trailing '/' re-enters exactly
        assert exact == "a/"
        assert gf.constant(1.0, name="x").op.name == "a/x_1"
    assert x.op.name == "a/x" and g.get_name_scope() == ""


def test_name_scope_default_name(g):
    with gf.name_scope(None, default_name="layer") as scope:
        assert scope == "layer/"


@pytest.mark.parametrize("bad", ["bad name!", "a b"])
def test_invalid_scope_and_node_names(g, bad):
    with pytest.raises(ValueError, match=f"'{bad}' is not a valid name scope"), \
            gf.name_scope(bad):
        pass
    with pytest.raises(ValueError, match=f"'{bad}' is not a valid node name"):
        gf.constant(1.0, name=bad)


def test_rejected_node_does_not_use_its_name(g):
    x = gf.placeholder(gf.float32, [2, 3])
    y = gf.placeholder(gf.float32, [4, 3])
    with pytest.raises(gf.GraphBuildError):
        gf.add(x, y)
    assert gf.add(x, x).op.name == "Add"
    assert "Add" in names(g) and "Add_1" not in names(g)


# -- default graph -------------------------------------------------------------------------

def test_as_default_nests_and_restores():
    outer = gf.get_default_graph()
    g1, g2 = gf.Graph(), gf.Graph()
    with g1.as_default() as entered:
        assert entered is g1 and gf.get_default_graph() is g1
        with g2.as_default():
            assert gf.get_default_graph() is g2
            assert gf.constant(1.0).graph is g2
        assert gf.get_default_graph() is g1
    assert gf.get_default_graph() is outer


def test_reset_default_graph():
    gf.constant(1.0)
    before = gf.get_default_graph()
    gf.reset_default_graph()
    after = gf.get_default_graph()
    assert after is not before and after.get_operations() == []


def test_reset_default_graph_inside_as_default_is_an_error():
    message = r"do not call gf.reset_default_graph\(\) inside a `with graph.as_default\(\):` block"
    with gf.Graph().as_default(), pytest.raises(AssertionError, match=message):
        gf.reset_default_graph()


# -- lookups -------------------------------------------------------------------------------

def test_get_by_name(g):
    with gf.name_scope("scope"):
        y = gf.identity(gf.constant(1.0), name="y")
    assert g.get_tensor_by_name("scope/y:0") is y
    assert g.get_operation_by_name("scope/y") is y.op
    assert g.as_graph_element("scope/y:0") is y and g.as_graph_element("scope/y") is y.op


def test_get_operation_by_name_suggests_close_names(g):
    with gf.name_scope("scope"):
        gf.identity(gf.constant(1.0), name="y")
    with pytest.raises(KeyError) as info:
        g.get_operation_by_name("scope/yy")
    assert isinstance(info.value, gf.NotFoundError)
    assert str(info.value) == ("the graph has no operation named 'scope/yy'; did you mean "
                               "'scope/y', 'scope/Const'?")
    with pytest.raises(KeyError, match="no operation named 'scope/yy'; did you mean 'scope/y'"):
        g.get_tensor_by_name("scope/yy:0")


def test_get_tensor_by_name_errors(g):
    gf.placeholder(gf.float32, name="x")
    with pytest.raises(ValueError, match=r"'x' is not a tensor name: tensor names look like "
                                         r"'op_name:0' \(did you mean 'x:0'\?\)"):
        g.get_tensor_by_name("x")
    with pytest.raises(ValueError, match=r"operation 'x' \(Placeholder\) has 1 output\(s\), so "
                                         r"'x:1' does not exist"):
        g.get_tensor_by_name("x:1")
    with pytest.raises(TypeError, match="cannot interpret int 3 as a graph element"):
        g.as_graph_element(3)


# -- control dependencies ------------------------------------------------------------------

def test_control_dependencies_add_caret_inputs(g):
    a = gf.constant(1.0, name="a")
    b = gf.constant(2.0, name="b")
    with gf.control_dependencies([a]):
        c = gf.identity(b, name="c")
        with gf.control_dependencies([b.op]):
            d = gf.identity(c, name="d")
            with gf.control_dependencies(None):  # clears the outer contexts
                e = gf.identity(c, name="e")
        f = gf.identity(a, name="f")  # already a data input: no redundant ^a (as TF)
    assert list(c.op.node_def.input) == ["b", "^a"]
    assert list(d.op.node_def.input) == ["c", "^b", "^a"]
    assert list(e.op.node_def.input) == ["c"]
    assert list(f.op.node_def.input) == ["a"]
    assert c.op.control_inputs == (a.op,)
    assert set(d.op.control_inputs) == {a.op, b.op}


def test_control_dependencies_rejects_non_ops(g):
    message = r"control_dependencies\(\) takes Operations or Tensors, got int: 3"
    with pytest.raises(TypeError, match=message), gf.control_dependencies([3]):
        pass


def test_group_runs_after_its_inputs(g):
    a = gf.constant(1.0, name="a")
    grp = gf.group(a, gf.no_op(name="n"), name="grp")
    assert grp.type == "NoOp" and list(grp.node_def.input) == ["^a", "^n"]


# -- collections, placeholders, GraphDef ---------------------------------------------------

def test_collections(g):
    g.add_to_collection("mine", 1)
    g.add_to_collection("mine", 2)
    assert g.get_collection("mine") == [1, 2]
    assert g.get_collection("absent") == []
    g.get_collection("mine").append(3)  # a copy
    assert g.get_collection("mine") == [1, 2]
    g.get_collection_ref("mine").append(3)  # the list itself
    assert g.get_collection("mine") == [1, 2, 3]
    assert g.get_all_collection_keys() == ["mine"]


def test_placeholder_with_unknown_dims(g):
    x = gf.placeholder(gf.float32, [None, 3], name="x")
    assert x.shape == gf.TensorShape([None, 3]) and x.dtype == gf.float32
    assert str(x.shape) == "(?, 3)" and x.shape.as_list() == [None, 3]
    assert x.name == "x:0" and x.op.type == "Placeholder"
    shape_attr = x.op.node_def.attr["shape"].shape
    assert [d.size for d in shape_attr.dim] == [-1, 3]
    assert gf.placeholder(gf.int64).shape.rank is None
    assert x.op.get_attr("dtype") == gf.float32


def test_get_attr_missing_names_the_node(g):
    x = gf.placeholder(gf.float32, name="x")
    with pytest.raises(ValueError, match=r"node 'x' \(Placeholder\) has no attribute 'T'; its "
                                         r"attributes: dtype, shape"):
        x.op.get_attr("T")


def test_as_graph_def_is_a_copy_with_versions(g):
    gf.constant(1.0)
    gd = g.as_graph_def()
    assert isinstance(gd, graph_pb2.GraphDef)
    assert gd.versions.producer >= 22 and [n.name for n in gd.node] == ["Const"]
    gd.node.add().name = "extra"
    assert [n.name for n in g.as_graph_def().node] == ["Const"]
    shapes = g.as_graph_def(add_shapes=True).node[0].attr["_output_shapes"]
    assert len(shapes.list.shape) == 1


def test_finalized_graph_rejects_new_nodes(g):
    g.finalize()
    assert g.finalized
    with pytest.raises(RuntimeError, match="finalized"):
        gf.constant(1.0)


def test_consumers(g):
    x = gf.placeholder(gf.float32, name="x")
    y = x * 2.0
    z = gf.identity(x)
    assert set(x.consumers()) == {y.op, z.op}
    assert y.consumers() == []


# -- variables ---------------------------------------------------------------------------

def test_variable_nodes_follow_tf1(g):
    w = gf.Variable(np.ones((2, 3), np.float32), name="W")
    assert names(g) == ["W/initial_value", "W", "W/Assign", "W/read"]
    assert g.get_operation_by_name("W").type == "VariableV2"
    assign = g.get_operation_by_name("W/Assign")
    assert assign.type == "Assign" and list(assign.node_def.input) == ["W", "W/initial_value"]
    read = g.get_operation_by_name("W/read")
    assert read.type == "Identity" and list(read.node_def.input) == ["W"]
    assert w.name == "W:0" and w.shape == gf.TensorShape([2, 3]) and w.dtype == gf.float32
    assert w.initializer is assign and w.value() is read.outputs[0]


def test_variable_names_are_unique_and_scoped(g):
    gf.Variable(1.0, name="W")
    w1 = gf.Variable(1.0, name="W")
    with gf.name_scope("layer"):
        v = gf.Variable(0.5, name="V")
    assert w1.op.name == "W_1" and "W_1/read" in names(g)
    assert v.op.name == "layer/V" and "layer/V/Assign" in names(g)


def test_trainable_and_global_variables(g):
    a = gf.Variable(1.0, name="a")
    b = gf.Variable(2.0, name="b", trainable=False)
    assert gf.trainable_variables() == [a]
    assert gf.global_variables() == [a, b]
    init = gf.global_variables_initializer()
    assert init.name == "init" and init.type == "NoOp"
    assert list(init.node_def.input) == ["^a/Assign", "^b/Assign"]


def test_variable_errors(g):
    with pytest.raises(ValueError, match="gf.Variable needs an initial_value"):
        gf.Variable(None)
    p = gf.placeholder(gf.float32, [None, 2])
    with pytest.raises(ValueError, match=r"the initial value has shape \(\?, 2\), which is not "
                                         r"fully defined"):
        gf.Variable(p, name="V")


# -- two graphs ------------------------------------------------------------------------------

def test_mixing_tensors_from_two_graphs_is_a_clear_error():
    g1, g2 = gf.Graph(), gf.Graph()
    with g1.as_default():
        x = gf.placeholder(gf.float32, name="x")
    with g2.as_default():
        c = gf.constant(1.0, name="c")
    for build in (lambda: x + c, lambda: gf.add(c, x), lambda: gf.matmul(x, c)):
        with pytest.raises(ValueError, match=r"belongs to a different Graph than '.*'\. Build "
                                             r"every tensor of a computation inside the same"):
            build()
    with g1.as_default(), pytest.raises(ValueError, match="different Graph"), \
            gf.control_dependencies([c]):
        pass
