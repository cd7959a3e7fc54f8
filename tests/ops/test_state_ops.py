"""The stateful ops of ``graphflow.ops.state_ops`` on TF1 reference variables: uninitialized
reads, assign / assign_add / assign_sub / scatter_* values (duplicate indices accumulate),
state kept across runs and per session, NoOp/group, shape rules and error messages.
``gf.Variable`` itself is tested in ``test_variables.py``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import row_updates

from .helpers import W0, initialized_session

# ----------------------------------------------------------------------------------------
# Reads
# ----------------------------------------------------------------------------------------


def test_uninitialized_read_names_variable_and_fix(graph, w: gf.Variable) -> None:
    y = gf.reduce_sum(w.value() * 2.0)
    with gf.Session() as sess:
        with pytest.raises(gf.FailedPreconditionError) as info:
            sess.run(y)
    msg = str(info.value)
    assert "'W'" in msg and "uninitialized" in msg
    assert "initializer" in msg and "global_variables_initializer" in msg
    assert info.value.node_name == "W"


def test_fetched_value_is_a_snapshot(graph, w: gf.Variable) -> None:
    with initialized_session() as sess:
        before = sess.run(w.value())
        sess.run(w.assign_add(np.ones((4, 3))))
        np.testing.assert_array_equal(before, W0)
        before[0, 0] = -1.0  # writing the fetched array does not write the variable
        np.testing.assert_array_equal(sess.run(w.value()), W0 + 1)


# ----------------------------------------------------------------------------------------
# Updates
# ----------------------------------------------------------------------------------------


def test_assign_assign_add_assign_sub(graph, w: gf.Variable) -> None:
    new = np.full((4, 3), 2.0)
    set_op = gf.assign(w, new)
    add_op = gf.assign_add(w, np.ones((4, 3)))
    sub_op = w.assign_sub(np.full((4, 3), 0.5))
    assert (set_op.op.type, add_op.op.type, sub_op.op.type) == ("Assign", "AssignAdd",
                                                                 "AssignSub")
    for t in (set_op, add_op, sub_op):
        assert t.shape.as_list() == [4, 3] and t.dtype == gf.float64   # shape rule
        assert t.op.inputs[0] is w.op.outputs[0]                       # ref input 0 = W
    with initialized_session() as sess:
        np.testing.assert_array_equal(sess.run(set_op), new)
        np.testing.assert_array_equal(sess.run(add_op), new + 1)
        np.testing.assert_array_equal(sess.run(sub_op), new + 0.5)
        np.testing.assert_array_equal(sess.run(w.value()), new + 0.5)


def test_state_is_kept_across_runs_and_is_per_session(graph) -> None:
    counter = gf.Variable(0, name="counter")
    inc = counter.assign_add(1)
    with initialized_session() as s1, initialized_session() as s2:
        for _ in range(3):
            s1.run(inc)
        s2.run(inc)
        assert s1.run(counter.value()) == 3
        assert s2.run(counter.value()) == 1
        s1.run(counter.initializer)  # re-running the initializer resets the value
        assert s1.run(counter.value()) == 0


def test_assign_from_a_computation_of_the_variable(graph, w: gf.Variable) -> None:
    step = gf.assign(w, w.value() * 2.0 + 1.0)
    with initialized_session() as sess:
        sess.run(step)
        sess.run(step)
        np.testing.assert_array_equal(sess.run(w.value()), (W0 * 2 + 1) * 2 + 1)


def test_assign_shape_mismatch_is_a_build_error(graph, w: gf.Variable) -> None:
    with pytest.raises(gf.GraphBuildError) as info:
        gf.assign(w, np.zeros((3, 4)), name="bad_assign")
    msg = str(info.value)
    assert "Assign node 'bad_assign'" in msg and "(3, 4)" in msg and "(4, 3)" in msg


def test_assign_with_validate_shape_false_changes_shape(graph) -> None:
    v = gf.Variable(np.zeros(2), name="v", validate_shape=False)
    grow = gf.assign(v, np.ones(5), validate_shape=False)
    assert grow.shape.as_list() == [5]
    with initialized_session() as sess:
        sess.run(grow)
        np.testing.assert_array_equal(sess.run(v.value()), np.ones(5))


def test_assign_dtype_mismatch(graph, w: gf.Variable) -> None:
    with pytest.raises(TypeError, match="float32.*float64|float64.*float32"):
        gf.assign(w, gf.constant(np.zeros((4, 3), np.float32)))


def test_update_ops_need_the_variable_itself(graph, w: gf.Variable) -> None:
    with pytest.raises(TypeError, match="gf.Variable"):
        gf.assign_add(w.value(), np.ones((4, 3)))


def test_assign_add_on_uninitialized_variable(graph, w: gf.Variable) -> None:
    with gf.Session() as sess:
        with pytest.raises(gf.FailedPreconditionError, match="'W'.*initializer"):
            sess.run(w.assign_add(np.ones((4, 3))))


# ----------------------------------------------------------------------------------------
# Scatter updates (row updates; duplicate indices accumulate for add/sub)
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("build,op_type", [(gf.scatter_add, "ScatterAdd"),
                                           (gf.scatter_sub, "ScatterSub"),
                                           (gf.scatter_update, "ScatterUpdate")])
def test_scatter_ops_values_with_duplicate_indices(graph, w: gf.Variable, build: Any,
                                                   op_type: str) -> None:
    indices = np.array([0, 2, 0], dtype=np.int32)  # row 0 twice
    updates = np.array([[1.0, 1.0, 1.0], [10.0, 20.0, 30.0], [100.0, 100.0, 100.0]])
    t = build(w, indices, updates)
    assert t.op.type == op_type and t.shape.as_list() == [4, 3]
    expected = W0.copy()
    if op_type == "ScatterAdd":
        np.add.at(expected, indices, updates)
        assert expected[0].tolist() == (W0[0] + 101).tolist()  # both updates accumulated
    elif op_type == "ScatterSub":
        np.subtract.at(expected, indices, updates)
        assert expected[0].tolist() == (W0[0] - 101).tolist()
    else:
        expected[[2, 0]] = updates[[1, 2]]  # duplicates: one of them wins (the last here)
    with initialized_session() as sess:
        np.testing.assert_array_equal(sess.run(t), expected)
        np.testing.assert_array_equal(sess.run(w.value()), expected)


def test_scatter_add_with_matrix_indices(graph, w: gf.Variable) -> None:
    indices = np.array([[1, 3], [1, 1]], dtype=np.int32)
    updates = np.ones((2, 2, 3))
    t = gf.scatter_add(w, indices, updates)
    expected = W0.copy()
    expected[1] += 3
    expected[3] += 1
    with initialized_session() as sess:
        np.testing.assert_array_equal(sess.run(t), expected)


def test_scatter_shape_and_range_errors(graph, w: gf.Variable) -> None:
    with pytest.raises(gf.GraphBuildError, match=r"ScatterAdd node 'sa'.*\(2, 3\)"):
        gf.scatter_add(w, np.array([0, 1], np.int32), np.ones((2, 4)), name="sa")
    with pytest.raises(gf.GraphBuildError, match="int32/int64"):
        gf.scatter_add(w, gf.constant([0.0]), np.ones((1, 3)))
    bad = gf.scatter_update(w, np.array([4], np.int32), np.ones((1, 3)), name="su")
    with initialized_session() as sess:
        with pytest.raises(gf.InvalidArgumentError, match=r"ScatterUpdate node 'su'.*\[0, 4\)"):
            sess.run(bad)
        np.testing.assert_array_equal(sess.run(w.value()), W0)  # nothing half-written


@pytest.mark.parametrize("take_checks", [True, False])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("ids", [[5, 1, 0], [5, 1, 5]], ids=["distinct", "repeated"])
@pytest.mark.parametrize("bad", [-1, 6])
def test_a_bad_row_id_is_named_and_nothing_is_written(monkeypatch: pytest.MonkeyPatch,
                                                      take_checks: bool, index_dtype: Any,
                                                      ids: list, bad: int) -> None:
    """Whichever path the planned row update takes (whole rows of distinct ids, whose gather
    may check int32 ids itself; the flat ufunc.at for repeats), an id outside the
    variable's rows is named before any row is changed; good ids update as ufunc.at."""
    monkeypatch.setattr(row_updates, "TAKE_CHECKS_BOUNDS", take_checks)
    start = np.arange(12.0).reshape(6, 2)
    with gf.Graph().as_default():
        table = gf.Variable(start, name="table")
        idx = gf.placeholder(index_dtype, [3], name="idx")
        upd = gf.placeholder(gf.float64, [3, 2], name="upd")
        sub = gf.scatter_sub(table, idx, upd, name="sub")
        updates = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            got = sess.run(sub, {idx: np.array(ids, index_dtype), upd: updates})
            expected = start.copy()
            np.subtract.at(expected, ids, updates)
            np.testing.assert_array_equal(got, expected)
            wrong = np.array(ids, index_dtype)
            wrong[1] = bad
            with pytest.raises(gf.InvalidArgumentError,
                               match=rf"ScatterSub node 'sub'.*indices\[1\] = {bad} is not in "
                               r"\[0, 6\) \(rows of variable 'table'\)"):
                sess.run(sub, {idx: wrong, upd: updates})
            np.testing.assert_array_equal(sess.variable_value("table"), expected)


# ----------------------------------------------------------------------------------------
# Records, NoOp/group, gradients through variables
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("op_type", ["VariableV2", "Assign", "AssignAdd", "AssignSub",
                                     "ScatterAdd", "ScatterSub", "ScatterUpdate", "NoOp"])
def test_state_records_are_non_differentiable(op_type: str) -> None:
    record = registry.get(op_type)
    assert record.differentiable is False
    if op_type not in ("NoOp",):
        assert record.stateful is True


def test_update_records_declare_their_ref_input() -> None:
    for op_type in ("Assign", "AssignAdd", "AssignSub", "ScatterAdd", "ScatterSub",
                    "ScatterUpdate"):
        assert registry.get(op_type).ref_inputs == (0,)


def test_group_runs_every_update(graph) -> None:
    a = gf.Variable(1.0, name="a")
    b = gf.Variable(10.0, name="b")
    both = gf.group(a.assign_add(1.0), b.assign_sub(1.0), name="step")
    assert both.type == "NoOp" and both.name == "step"
    with initialized_session() as sess:
        assert sess.run(both) is None
        assert sess.run([a.value(), b.value()]) == [2.0, 9.0]


def test_gradient_with_respect_to_a_variable(graph, w: gf.Variable) -> None:
    x = gf.constant(np.array([[1.0], [2.0], [3.0]]))
    loss = gf.reduce_sum(gf.matmul(w.value(), x))
    (gw,) = gf.gradients(loss, [w])
    assert gw.shape.as_list() == [4, 3] and gw.dtype == gf.float64  # the shape convention
    with initialized_session() as sess:
        np.testing.assert_array_equal(sess.run(gw), np.tile([1.0, 2.0, 3.0], (4, 1)))
