"""``graphflow.ops.variables``: ``gf.Variable`` as a TF1 reference variable — the node layout
TensorFlow writes (``W``, ``W/initial_value``, ``W/Assign``, ``W/read``), unique scoped
names, collections, initializers, ``load``, conversion to the ``read`` tensor and the
errors of an unusable initial value."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

from .helpers import W0, initialized_session

# ----------------------------------------------------------------------------------------
# Variable creation
# ----------------------------------------------------------------------------------------


def test_variable_node_layout_matches_tf1(graph, w: gf.Variable) -> None:
    ops = {op.name: op for op in graph.get_operations()}
    assert set(ops) == {"W", "W/initial_value", "W/Assign", "W/read"}
    assert ops["W"].type == "VariableV2"
    assert ops["W/initial_value"].type == "Const"
    assert ops["W/Assign"].type == "Assign"
    assert ops["W/read"].type == "Identity"
    assert list(ops["W/Assign"].node_def.input) == ["W", "W/initial_value"]
    assert list(ops["W/read"].node_def.input) == ["W"]
    assert ops["W"].get_attr("shape").as_list() == [4, 3]
    assert ops["W"].get_attr("dtype") == gf.float64
    assert ops["W/Assign"].get_attr("validate_shape") is True
    assert w.name == "W:0" and w.op is ops["W"]
    assert w.value().name == "W/read:0" and w.initializer is ops["W/Assign"]
    assert w.shape.as_list() == [4, 3] and w.dtype == gf.float64


def test_variable_names_are_unique_and_scoped(graph) -> None:
    a = gf.Variable(1.0, name="v")
    b = gf.Variable(2.0, name="v")
    with gf.name_scope("layer"):
        c = gf.Variable([1.0, 2.0], name="bias")
    assert (a.op.name, b.op.name, c.op.name) == ("v", "v_1", "layer/bias")
    assert b.value().op.name == "v_1/read"
    assert c.initializer.name == "layer/bias/Assign"


def test_variable_collections(graph) -> None:
    a = gf.Variable(1.0, name="a")
    b = gf.Variable(2.0, name="b", trainable=False)
    assert gf.global_variables() == [a, b]
    assert gf.trainable_variables() == [a]


def test_variable_needs_fully_defined_initial_shape(graph) -> None:
    p = gf.placeholder(gf.float64, (None, 3))
    with pytest.raises(ValueError, match="not fully defined"):
        gf.Variable(p, name="bad")


def test_variable_from_callable_dtype_and_conversion(graph) -> None:
    v = gf.Variable(lambda: np.ones((2, 3)), name="c", dtype=gf.float32)
    assert v.dtype == gf.float32 and v.shape.as_list() == [2, 3]
    assert v.initial_value.op.name == "c/initial_value"
    assert gf.convert_to_tensor(v) is v.value() and v.read_value() is v.value()
    assert repr(v) == "<gf.Variable 'c:0' shape=(2, 3) dtype=float32>"
    with pytest.raises(ValueError, match="needs an initial_value"):
        gf.Variable(name="none")
    u = gf.Variable(gf.placeholder_with_default(np.zeros(2), [None]), validate_shape=False,
                    name="free")
    assert u.shape.rank is None


# ----------------------------------------------------------------------------------------
# Initialization, reads, load
# ----------------------------------------------------------------------------------------


def test_initializer_sets_initial_value(graph, w: gf.Variable) -> None:
    with initialized_session() as sess:
        np.testing.assert_array_equal(sess.run(w.value()), W0)
        np.testing.assert_array_equal(sess.run(w), W0)  # the variable itself reads too


def test_variables_initializer_runs_only_listed_variables(graph, w: gf.Variable) -> None:
    other = gf.Variable(5.0, name="other")
    with gf.Session() as sess:
        sess.run(gf.variables_initializer([other]))
        assert sess.run(other.value()) == 5.0
        with pytest.raises(gf.FailedPreconditionError):
            sess.run(w.value())


def test_load_writes_the_session_storage(graph, w: gf.Variable) -> None:
    with initialized_session() as sess:
        w.load(np.zeros((4, 3)), sess)
        np.testing.assert_array_equal(sess.run(w.value()), np.zeros((4, 3)))
        assert w.eval(sess).shape == (4, 3)
        with pytest.raises(ValueError, match=r"shape \(2,\) into variable 'W'"):
            w.load(np.zeros(2), sess)
    np.testing.assert_array_equal(W0, np.arange(12.0).reshape(4, 3))  # the source is kept
