"""``graphflow.ops.comparison_ops``: comparisons (bool results, no gradient), the logical
ops (bool in and out, no ``T`` attr, as in TensorFlow) and Select / SelectV2 (TF1's and
TF2's ``where``): kernels vs numpy, static shapes (broadcasting, unknown dims), gradients
of the selected branches vs central differences, and build-time errors naming the node.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry

from .helpers import assert_gradients, run, uniform

# ----------------------------------------------------------------------------------------
# Comparisons
# ----------------------------------------------------------------------------------------


COMPARISONS = [
    ("Greater", gf.greater, np.greater),
    ("GreaterEqual", gf.greater_equal, np.greater_equal),
    ("Less", gf.less, np.less),
    ("LessEqual", gf.less_equal, np.less_equal),
    ("Equal", gf.equal, np.equal),
    ("NotEqual", gf.not_equal, np.not_equal),
]


@pytest.mark.parametrize("op_type,build,ref", COMPARISONS, ids=[c[0] for c in COMPARISONS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_comparison_kernel_and_shape(graph, op_type: str, build: Any, ref: Any,
                                     dtype: Any) -> None:
    xv = np.array([[1, 2, 3], [4, 5, 6]], dtype=dtype)
    yv = np.array([2, 2, 6], dtype=dtype)  # broadcast over rows; ties included
    x = gf.placeholder(gf.as_dtype(dtype), (None, 3))
    z = build(x, gf.constant(yv))
    assert z.op.type == op_type and z.dtype == gf.bool
    assert z.shape.as_list() == [None, 3]
    out = run(z, {x: xv})
    assert out.dtype == np.bool_ and out.shape == (2, 3)
    np.testing.assert_array_equal(out, ref(xv, yv))
    assert registry.get(op_type).differentiable is False


@pytest.mark.parametrize("build,ref", [(gf.equal, np.equal), (gf.not_equal, np.not_equal)])
def test_equality_accepts_bool_inputs(graph, build: Any, ref: Any) -> None:
    a, b = np.array([True, False, True]), np.array([True, True, False])
    np.testing.assert_array_equal(run(build(gf.constant(a), gf.constant(b))), ref(a, b))


def test_comparison_blocks_gradient(graph) -> None:
    """A boolean result carries no gradient: only the Select branch values do."""
    x = gf.placeholder(gf.float64, (4,))
    mask = gf.cast(gf.greater(x, 0.0), gf.float64)
    (gx,) = gf.gradients(gf.reduce_sum(mask), [x])
    assert gx is None




# ----------------------------------------------------------------------------------------
# Logical ops
# ----------------------------------------------------------------------------------------


LOGICAL = [("LogicalAnd", gf.logical_and, np.logical_and),
           ("LogicalOr", gf.logical_or, np.logical_or)]


@pytest.mark.parametrize("op_type,build,ref", LOGICAL, ids=[c[0] for c in LOGICAL])
def test_logical_binary_broadcasts(graph, op_type: str, build: Any, ref: Any) -> None:
    xv = np.array([[True, False, True], [False, False, True]])
    yv = np.array([True, False, False])
    x = gf.placeholder(gf.bool, (None, 3))
    z = build(x, yv)
    assert z.op.type == op_type and z.dtype == gf.bool and z.shape.as_list() == [None, 3]
    assert "T" not in z.op.node_def.attr  # TF's logical ops have no attrs
    out = run(z, {x: xv})
    assert out.dtype == np.bool_ and out.shape == (2, 3)
    np.testing.assert_array_equal(out, ref(xv, yv))


def test_logical_not_and_bool_only(graph) -> None:
    x = gf.placeholder(gf.bool, (2, None))
    y = gf.logical_not(x)
    assert y.shape.as_list() == [2, None] and not y.op.node_def.attr
    xv = np.array([[True, False, False], [False, True, True]])
    np.testing.assert_array_equal(run(y, {x: xv}), ~xv)
    f = gf.placeholder(gf.float32, (3,), name="f")
    with pytest.raises(gf.GraphBuildError, match=r"LogicalAnd node 'la'.*bool"):
        gf.logical_and(f, f, name="la")
    with pytest.raises(gf.GraphBuildError, match=r"LogicalNot node.*bool"):
        gf.logical_not(f)


def test_logical_ops_are_not_differentiable() -> None:
    for op_type in ("LogicalNot", "LogicalAnd", "LogicalOr"):
        assert registry.get(op_type).differentiable is False, op_type


# ----------------------------------------------------------------------------------------
# Select (TF1 where) and SelectV2 (broadcasting where)
# ----------------------------------------------------------------------------------------


def test_select_same_shape_three_layers(graph) -> None:
    c = np.array([[True, False, True], [False, False, True]])
    t = gf.placeholder(gf.float64, (2, 3))
    e = gf.placeholder(gf.float64, (2, 3))
    z = gf.where(gf.constant(c), t, e)
    assert z.op.type == "Select" and z.shape.as_list() == [2, 3]
    tv, ev = uniform((2, 3), -1, 1, seed=15), uniform((2, 3), -1, 1, seed=16)
    np.testing.assert_array_equal(run(z, {t: tv, e: ev}), np.where(c, tv, ev))
    assert_gradients(z, [t, e], {t: tv, e: ev}, 1e-6)
    gt, ge = gf.gradients(z, [t, e])
    gtv, gev = run([gt, ge], {t: tv, e: ev})
    np.testing.assert_array_equal(gtv, c.astype(float))
    np.testing.assert_array_equal(gev, (~c).astype(float))


def test_select_vector_condition_picks_rows(graph) -> None:
    c = np.array([True, False])
    t = gf.placeholder(gf.float64, (2, 3))
    e = gf.placeholder(gf.float64, (2, 3))
    z = gf.where(gf.constant(c), t, e)
    tv, ev = uniform((2, 3), -1, 1, seed=17), uniform((2, 3), -1, 1, seed=18)
    np.testing.assert_array_equal(run(z, {t: tv, e: ev}), np.stack([tv[0], ev[1]]))
    assert_gradients(z, [t, e], {t: tv, e: ev}, 1e-6)


def test_select_shape_errors(graph) -> None:
    t = gf.placeholder(gf.float64, (2, 3), name="t")
    e = gf.placeholder(gf.float64, (3, 2), name="e")
    with pytest.raises(gf.GraphBuildError, match=r"Select node 'sel'.*same shape"):
        gf.where(gf.constant([True, False]), t, e, name="sel")
    with pytest.raises(gf.GraphBuildError, match=r"Select node 'sel2'.*first dimension"):
        gf.where(gf.constant([True, False, True]), t, t, name="sel2")
    with pytest.raises(gf.GraphBuildError, match="bool"):
        gf.where(gf.constant([1.0, 0.0]), t, t)


def test_select_v2_broadcasts_all_three_inputs(graph) -> None:
    c = np.array([[True], [False], [True]])                 # (3, 1)
    t = gf.placeholder(gf.float64, (1, 4))
    e = gf.placeholder(gf.float64, (2, 1, 1))
    z = gf.where_v2(gf.constant(c), t, e)
    assert z.op.type == "SelectV2"
    tv, ev = uniform((1, 4), -1, 1, seed=19), uniform((2, 1, 1), -1, 1, seed=20)
    out = run(z, {t: tv, e: ev})
    np.testing.assert_array_equal(out, np.where(c, tv, ev))
    assert out.shape == (2, 3, 4) and z.shape.as_list() == [2, 3, 4]
    assert_gradients(z, [t, e], {t: tv, e: ev}, 1e-6)
    gt, ge = gf.gradients(z, [t, e])
    gtv, gev = run([gt, ge], {t: tv, e: ev})
    np.testing.assert_array_equal(gtv, np.full((1, 4), 2 * 2.0))   # 2 rows chosen, 2 copies
    np.testing.assert_array_equal(gev, np.full((2, 1, 1), 4.0))    # 1 row of 4 per copy


def test_select_v2_with_run_time_shapes(graph) -> None:
    c = gf.placeholder(gf.bool, (None, 1))
    t = gf.placeholder(gf.float64, (None, 4))
    e = gf.placeholder(gf.float64, (None, None))
    z = gf.where_v2(c, t, e)
    cv = np.array([[True], [False], [True]])
    tv, ev = uniform((1, 4), -1, 1, seed=21), uniform((3, 4), -1, 1, seed=22)
    np.testing.assert_array_equal(run(z, {c: cv, t: tv, e: ev}), np.where(cv, tv, ev))
    assert_gradients(z, [t, e], {c: cv, t: tv, e: ev}, 1e-6)


def test_select_v2_rejects_unbroadcastable_inputs(graph) -> None:
    t = gf.placeholder(gf.float64, (2, 3))
    with pytest.raises(gf.GraphBuildError, match=r"SelectV2 node 'w'.*broadcast"):
        gf.where_v2(gf.constant([True, False, True, True]), t, t, name="w")
