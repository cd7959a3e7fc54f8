"""``gf.variable_scope`` / ``gf.get_variable`` / ``gf.get_variable_scope``: TF1 node names
(variables depend on the variable scope only, ops on the name scope), nesting, re-entry,
scope objects, default names, reuse (True, AUTO_REUSE, inheritance, reuse_variables), the
scope's initializer/dtype/regularizer, values from tensors and arrays, collections, the
per-graph store, and every error (type and message)."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

# ----------------------------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------------------------


def test_get_variable_node_layout_matches_tf1(graph) -> None:
    with gf.variable_scope("scope"):
        w = gf.get_variable("W", [4, 3])
    ops = {op.name: op for op in graph.get_operations()}
    assert ops["scope/W"].type == "VariableV2"
    assert ops["scope/W/Assign"].type == "Assign"
    assert ops["scope/W/read"].type == "Identity"
    assert ops["scope/W/Initializer/random_uniform/RandomUniform"].type == "RandomUniform"
    assert all(name.startswith("scope/W") for name in ops)
    assert list(ops["scope/W/Assign"].node_def.input)[0] == "scope/W"
    assert w.name == "scope/W:0" and w.op is ops["scope/W"]
    assert w.value().name == "scope/W/read:0" and w.initializer is ops["scope/W/Assign"]
    assert w.shape.as_list() == [4, 3] and w.dtype == gf.float32
    assert isinstance(w, gf.Variable)


def test_variable_names_ignore_name_scopes_but_ops_do_not(graph) -> None:
    with gf.name_scope("ns"):
        with gf.variable_scope("a") as scope:
            w = gf.get_variable("W", [2])
            with gf.name_scope("inner"):
                v = gf.get_variable("V", [2])
            y = gf.multiply(w, 2.0)
    assert (w.op.name, v.op.name) == ("a/W", "a/V")
    assert y.op.name == "ns/a/Mul"
    assert scope.name == "a" and scope.original_name_scope == "ns/a/"


def test_nested_scopes(graph) -> None:
    with gf.variable_scope("a"):
        with gf.variable_scope("b") as inner:
            w = gf.get_variable("W", [1])
            c = gf.constant(1.0)
            assert gf.get_variable_scope() is inner
    assert w.op.name == "a/b/W" and c.op.name == "a/b/Const"
    assert inner.name == "a/b" and inner.original_name_scope == "a/b/"
    assert gf.get_variable_scope().name == ""


def test_reentering_a_string_scope_keeps_the_prefix_with_a_new_name_scope(graph) -> None:
    with gf.variable_scope("a"):
        gf.get_variable("W", [1])
        c1 = gf.constant(1.0)
    with gf.variable_scope("a") as again:
        v = gf.get_variable("V", [1])
        c2 = gf.constant(1.0)
    assert v.op.name == "a/V" and again.name == "a"
    assert (c1.op.name, c2.op.name) == ("a/Const", "a_1/Const")


def test_default_names_are_made_unique(graph) -> None:
    names = []
    for _ in range(3):
        with gf.variable_scope(None, default_name="dense") as s:
            names.append(s.name)
            gf.get_variable("kernel", [1])
    assert names == ["dense", "dense_1", "dense_2"]
    with gf.variable_scope("net"):
        with gf.variable_scope(None, default_name="dense") as a:
            pass
        with gf.variable_scope(None, default_name="dense") as b:
            pass
    assert (a.name, b.name) == ("net/dense", "net/dense_1")
    assert (a.original_name_scope, b.original_name_scope) == ("net/dense/", "net/dense_1/")


def test_scope_object_jumps_to_its_absolute_name(graph) -> None:
    with gf.variable_scope("a") as a_scope:
        w = gf.get_variable("W", [2])
    with gf.variable_scope("x"):
        with gf.variable_scope(a_scope, reuse=True) as s:
            assert gf.get_variable("W") is w
            c = gf.constant(0.0)
            assert s.name == "a" and s.original_name_scope == "a/"
        with gf.variable_scope(a_scope):
            v = gf.get_variable("V", [1])
    assert c.op.name == "x/a/Const"  # the name scope is named after the scope's last part
    assert v.op.name == "a/V"


def test_auxiliary_name_scope_false_keeps_the_name_scope(graph) -> None:
    with gf.name_scope("outer"):
        with gf.variable_scope("a", auxiliary_name_scope=False) as s:
            c = gf.constant(1.0)
            w = gf.get_variable("W", [1])
    assert c.op.name == "outer/Const" and w.op.name == "a/W"
    assert s.original_name_scope == "outer/"


def test_values_selects_the_graph() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.constant(1.0)
    with gf.variable_scope("a", values=[x]):
        w = gf.get_variable("W", [1])
    assert w.graph is g


def test_store_is_per_graph() -> None:
    g1, g2 = gf.Graph(), gf.Graph()
    with g1.as_default(), gf.variable_scope("a"):
        w1 = gf.get_variable("W", [1])
    with g2.as_default(), gf.variable_scope("a"):
        w2 = gf.get_variable("W", [2])  # no "already exists": another graph
    assert w1.graph is g1 and w2.graph is g2 and w2.shape.as_list() == [2]


# ----------------------------------------------------------------------------------------
# Reuse
# ----------------------------------------------------------------------------------------


def test_reuse_true_returns_the_same_variable(graph) -> None:
    with gf.variable_scope("a"):
        w = gf.get_variable("W", [3, 4])
    with gf.variable_scope("a", reuse=True) as s:
        assert s.reuse is True
        assert gf.get_variable("W", [3, 4]) is w
        assert gf.get_variable("W") is w  # shape may be omitted when reusing
    assert len(gf.global_variables()) == 1


def test_reuse_is_inherited_and_cannot_be_switched_off(graph) -> None:
    with gf.variable_scope("a"), gf.variable_scope("b"):
        w = gf.get_variable("W", [1])
    with gf.variable_scope("a", reuse=True):
        with gf.variable_scope("b", reuse=False) as inner:
            assert inner.reuse is True
            assert gf.get_variable("W") is w


def test_auto_reuse_creates_then_returns(graph) -> None:
    def layer() -> gf.Variable:
        with gf.variable_scope("shared", reuse=gf.AUTO_REUSE):
            return gf.get_variable("W", [2, 5])
    w1, w2 = layer(), layer()
    assert w1 is w2 and w1.op.name == "shared/W"
    assert len(gf.trainable_variables()) == 1


def test_reuse_variables_switches_the_current_scope(graph) -> None:
    with gf.variable_scope("a") as scope:
        w = gf.get_variable("W", [1])
        scope.reuse_variables()
        assert gf.get_variable("W") is w
    with gf.variable_scope(scope) as again:  # a scope object keeps its reuse flag
        assert again.reuse is True and gf.get_variable("W") is w


# ----------------------------------------------------------------------------------------
# Initial values, dtypes, collections, regularizers
# ----------------------------------------------------------------------------------------


def run_init(graph: gf.Graph, *fetches: object) -> list[np.ndarray]:
    with gf.Session(graph=graph) as sess:
        sess.run(gf.global_variables_initializer())
        return sess.run(list(fetches))


def test_default_initializer_is_glorot_uniform(graph) -> None:
    gf.set_random_seed(3)
    w = gf.get_variable("W", [30, 50])
    (value,) = run_init(graph, w)
    limit = np.sqrt(6.0 / (30 + 50))
    assert np.abs(value).max() <= limit and np.abs(value).max() > 0.9 * limit
    assert value.dtype == np.float32


def test_scope_initializer_is_inherited_and_overridable(graph) -> None:
    with gf.variable_scope("a", initializer=gf.constant_initializer(3.0)):
        w = gf.get_variable("W", [2, 3])
        with gf.variable_scope("b"):
            v = gf.get_variable("V", [2])
        u = gf.get_variable("U", [2], initializer=gf.ones_initializer())
        k = gf.get_variable("K", [2], initializer=gf.zeros_initializer)  # a class
    values = run_init(graph, w, v, u, k)
    np.testing.assert_array_equal(values[0], np.full((2, 3), 3.0))
    np.testing.assert_array_equal(values[1], [3.0, 3.0])
    np.testing.assert_array_equal(values[2], [1.0, 1.0])
    np.testing.assert_array_equal(values[3], [0.0, 0.0])


def test_initializer_without_partition_info_argument(graph) -> None:
    w = gf.get_variable("W", [2, 3], initializer=lambda shape, dtype: gf.fill(shape, 7.0))
    np.testing.assert_array_equal(run_init(graph, w)[0], np.full((2, 3), 7.0))
    assert graph.get_operation_by_name("W/Initializer/Fill").type == "Fill"


def test_scope_dtype_and_integer_default(graph) -> None:
    with gf.variable_scope("a", dtype=gf.float64):
        w = gf.get_variable("W", [2])
    n = gf.get_variable("n", [3], dtype=gf.int32)
    assert w.dtype == gf.float64 and n.dtype == gf.int32
    values = run_init(graph, w, n)
    assert values[0].dtype == np.float64
    np.testing.assert_array_equal(values[1], [0, 0, 0])


def test_initial_value_from_array_and_tensor(graph) -> None:
    value = np.arange(6.0).reshape(2, 3)
    a = gf.get_variable("a", initializer=value)
    t = gf.get_variable("t", initializer=gf.constant([1, 2], dtype=gf.int64))
    f = gf.get_variable("f", initializer=[1.0, 2.0], dtype=gf.float64)
    assert a.shape.as_list() == [2, 3] and a.dtype == gf.float64
    assert t.dtype == gf.int64 and f.dtype == gf.float64
    assert graph.get_operation_by_name("a/initial_value").type == "Const"
    got = run_init(graph, a, t, f)
    np.testing.assert_array_equal(got[0], value)
    np.testing.assert_array_equal(got[1], [1, 2])
    np.testing.assert_array_equal(got[2], [1.0, 2.0])


def test_trainable_and_collections(graph) -> None:
    w = gf.get_variable("W", [1])
    s = gf.get_variable("step", [], dtype=gf.int64, trainable=False)
    c = gf.get_variable("c", [1], collections=["mine"])
    assert gf.trainable_variables() == [w, c]  # trainable adds the key, as TF1
    assert gf.global_variables() == [w, s]  # explicit collections replace GLOBAL_VARIABLES
    assert graph.get_collection("mine") == [c]


def test_regularizer_adds_a_regularization_loss(graph) -> None:
    with gf.variable_scope("a", regularizer=lambda v: gf.reduce_sum(gf.square(v))):
        w = gf.get_variable("W", initializer=np.array([1.0, 2.0]))
        gf.get_variable("b", [2], regularizer=lambda v: None)  # may return None
    losses = gf.losses.get_regularization_losses()
    assert len(losses) == 1 and losses[0].op.name.startswith("a/W/Regularizer/")
    assert run_init(graph, losses[0])[0] == pytest.approx(5.0)
    assert w.op.name == "a/W"


def test_control_dependencies_do_not_reach_the_variable(graph) -> None:
    gate = gf.no_op(name="gate")
    with gf.control_dependencies([gate]):
        w = gf.get_variable("W", [1])
        y = gf.identity(w)
    assert all(not inp.startswith("^") for op in graph.get_operations()
               if op.name.startswith("W") for inp in op.node_def.input)
    assert "^gate" in list(y.op.node_def.input)


# ----------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------


def test_error_already_exists(graph) -> None:
    with gf.variable_scope("a"):
        gf.get_variable("W", [3, 4])
    with pytest.raises(ValueError) as err, gf.variable_scope("a"):
        gf.get_variable("W", [3, 4])
    msg = str(err.value)
    assert msg.startswith("Variable a/W already exists, disallowed. Did you mean to set "
                          "reuse=True or reuse=gf.AUTO_REUSE in VarScope?")
    assert "Originally defined at" in msg and "test_variable_scope.py" in msg


def test_error_does_not_exist(graph) -> None:
    with pytest.raises(ValueError) as err, gf.variable_scope("a", reuse=True):
        gf.get_variable("W", [3, 4])
    assert str(err.value).startswith("Variable a/W does not exist, or was not created with "
                                     "get_variable()")
    plain = gf.Variable(1.0, name="b")  # exists, but not made by get_variable
    with pytest.raises(ValueError, match="Variable b does not exist, or was not created"), \
            gf.variable_scope(gf.get_variable_scope(), reuse=True):
        gf.get_variable("b")
    assert plain.op.name == "b"


def test_error_shape_mismatch_on_reuse_names_both_shapes(graph) -> None:
    with gf.variable_scope("a"):
        gf.get_variable("W", [3, 4])
    with pytest.raises(ValueError) as err, gf.variable_scope("a", reuse=True):
        gf.get_variable("W", [3, 5])
    assert str(err.value) == ("Trying to share variable a/W, but specified shape (3, 5) and "
                              "found shape (3, 4).")


def test_error_dtype_mismatch_on_reuse(graph) -> None:
    gf.get_variable("W", [2], dtype=gf.float64)
    with pytest.raises(ValueError, match="specified dtype float32 and found dtype float64"), \
            gf.variable_scope(gf.get_variable_scope(), reuse=True):
        gf.get_variable("W", [2])


def test_error_new_variable_needs_a_full_shape(graph) -> None:
    with pytest.raises(ValueError, match=r"Shape of a new variable \(W\) must be fully "
                                         r"defined, but instead was <unknown>"):
        gf.get_variable("W")
    with pytest.raises(ValueError, match=r"\(V\) must be fully defined.*\(\?, 3\)"):
        gf.get_variable("V", [None, 3])


def test_error_constant_initializer_with_shape(graph) -> None:
    with pytest.raises(ValueError, match="If initializer is a constant, do not specify shape"):
        gf.get_variable("W", [2], initializer=np.zeros(2))


def test_error_initializer_tensor_dtype_mismatch(graph) -> None:
    t = gf.constant([1.0, 2.0], dtype=gf.float32)
    with pytest.raises(ValueError, match="Initializer type 'float32' and explicit dtype "
                                         "'float64' don't match"):
        gf.get_variable("W", initializer=t, dtype=gf.float64)


def test_error_initializer_required_for_strings(graph) -> None:
    with pytest.raises(ValueError, match="An initializer for variable s of string is required"):
        gf.get_variable("s", [1], dtype=gf.string)


def test_error_name_taken_by_another_node(graph) -> None:
    gf.constant(1.0, name="W")
    with pytest.raises(ValueError, match="already has a node named 'W' that was not created "
                                         "by get_variable"):
        gf.get_variable("W", [1])


def test_error_bad_scope_arguments(graph) -> None:
    with pytest.raises(TypeError, match="If default_name is None then name_or_scope is "
                                        "required"):
        gf.variable_scope(None)
    with pytest.raises(TypeError, match="must be a string or a VariableScope, got int"):
        gf.variable_scope(3)
    with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
        gf.variable_scope(None, default_name="d", reuse=True)
    with pytest.raises(ValueError, match="reuse must be True, False, None or gf.AUTO_REUSE"):
        gf.variable_scope("a", reuse="yes")
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        gf.get_variable("", [1])


def test_error_improper_nesting(graph) -> None:
    outer, inner = gf.variable_scope("a"), gf.variable_scope("b")
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(RuntimeError, match="Improper nesting of variable_scope"):
        outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)
    assert gf.get_variable_scope().name == ""


def test_empty_name_prolongs_the_current_scope(graph) -> None:
    with gf.variable_scope("a"):
        with gf.variable_scope("") as same:
            w = gf.get_variable("W", [1])
            c = gf.constant(1.0)
    assert same.name == "a" and w.op.name == "a/W" and c.op.name == "a/Const"


def test_leaving_a_scope_forgets_its_default_names(graph) -> None:
    """TF1 quirk kept on purpose: default names restart when the parent is re-entered, so a
    second ``dense`` under a re-entered parent collides (use reuse or distinct names)."""
    with gf.variable_scope("net"):
        with gf.variable_scope(None, default_name="dense") as first:
            gf.get_variable("kernel", [1])
    with gf.variable_scope("net"):
        with gf.variable_scope(None, default_name="dense") as again:
            with pytest.raises(ValueError, match="Variable net/dense/kernel already exists"):
                gf.get_variable("kernel", [1])
    assert first.name == again.name == "net/dense"
    assert again.original_name_scope == "net_1/dense/"


def test_a_scope_manager_can_be_reentered_but_not_nested_in_itself(graph) -> None:
    ctx = gf.variable_scope("a", reuse=gf.AUTO_REUSE)
    with ctx:
        w = gf.get_variable("W", [1])
        with pytest.raises(RuntimeError, match="already active"), ctx:
            pass
    with ctx:
        assert gf.get_variable("W") is w
