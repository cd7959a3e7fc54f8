"""``graphflow.ops.strided_slice_ops``: StridedSlice, StridedSliceGrad and ``t[...]``
(``Tensor.__getitem__`` with TF's masks) — kernel vs numpy, static shape rule vs the
kernel's output, float64 gradients (second order through StridedSliceGrad), tensor indices
and variables, and build/run-time errors that name the node."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import strided_slice_ops

from . import helpers
from .helpers import Case, c32, case_ids, rand, run

# ----------------------------------------------------------------------------------------
# The table: three layers, fully known and partially known inputs
# ----------------------------------------------------------------------------------------


CASES = [
    Case("getitem_column", [(3, 4)], lambda x: x[:, 1], lambda x: x[:, 1],
         op_type="StridedSlice"),
    Case("getitem_rows", [(5, 4)], lambda x: x[1:3], lambda x: x[1:3], op_type="StridedSlice"),
    Case("getitem_reverse_last", [(2, 3, 4)], lambda x: x[..., ::-1], lambda x: x[..., ::-1],
         op_type="StridedSlice"),
    Case("getitem_newaxis", [(3, 4)], lambda x: x[None, 2], lambda x: x[None, 2],
         partial=[(3, None)], op_type="StridedSlice"),
    Case("getitem_steps", [(5, 6)], lambda x: x[::2, -1:0:-2], lambda x: x[::2, -1:0:-2],
         op_type="StridedSlice"),
    Case("getitem_mixed", [(3, 4, 5)], lambda x: x[1, :, None, 2:], lambda x: x[1, :, None, 2:],
         partial=[(3, None, 5)], op_type="StridedSlice"),
    Case("getitem_ellipsis_middle", [(2, 3, 4, 5)], lambda x: x[-1, ..., 1:4],
         lambda x: x[-1, ..., 1:4], op_type="StridedSlice"),
    Case("getitem_clamped_bounds", [(3, 4)], lambda x: x[-10:10, 2:100],
         lambda x: x[-10:10, 2:100], partial=[(3, None)], op_type="StridedSlice"),
    Case("strided_slice_masks", [(4, 5)],
         lambda x: gf.strided_slice(x, [1, 3], [0, 0], [1, -1], end_mask=1, shrink_axis_mask=0),
         lambda x: x[1:, 3:0:-1], op_type="StridedSlice"),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_kernel_matches_numpy_and_static_shape_is_exact(graph, case: Case) -> None:
    helpers.case_kernel_matches_numpy_and_static_shape_is_exact(case)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_static_shape_with_unknown_dims_is_compatible(graph, case: Case) -> None:
    helpers.case_static_shape_with_unknown_dims_is_compatible(case)


@pytest.mark.parametrize("known", [True, False], ids=["static", "partial"])
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_gradient_matches_central_differences(graph, case: Case, known: bool) -> None:
    helpers.case_gradient_matches_central_differences(case, known)


def test_table_covers_every_differentiable_record() -> None:
    covered = {c.op_type for c in CASES} | {"StridedSliceGrad"}  # tested below
    mine = helpers.differentiable_records(strided_slice_ops)
    assert mine <= covered, mine - covered


# ----------------------------------------------------------------------------------------
# StridedSliceGrad, second order, getitem
# ----------------------------------------------------------------------------------------


def test_strided_slice_grad_and_its_gradient(graph) -> None:
    """StridedSliceGrad scatters dy into zeros; its own gradient slices back (2nd order)."""
    dy = gf.placeholder(gf.float64, (2, 3), name="dy")
    b, e, s = c32([1, 0]), c32([0, 5]), c32([1, 2])
    y = strided_slice_ops.strided_slice_grad(c32([3, 5]), b, e, s, dy, end_mask=1)
    assert y.shape.as_list() == [3, 5] and y.op.type == "StridedSliceGrad"
    dyv = rand((2, 3))
    expected = np.zeros((3, 5))
    expected[1:, 0:5:2] = dyv
    np.testing.assert_array_equal(run(y, {dy: dyv}), expected)
    result = gf.test.check_gradients(y, [dy], {dy: dyv})
    assert result.max_error < 1e-6, str(result)


def test_second_order_through_getitem(graph) -> None:
    x = gf.placeholder(gf.float64, (3, 4))
    (gx,) = gf.gradients(gf.reduce_sum(x[1:, ::2] ** 3.0), [x])  # StridedSliceGrad(3 x^2)
    xv = rand((3, 4))
    result = gf.test.check_gradients(gx, [x], {x: xv})
    assert result.max_error < 1e-5, str(result)


def test_getitem_column_on_placeholder_value_and_gradient(graph) -> None:
    x = gf.placeholder(gf.float64, (3, 4))
    y = x[:, 1]
    assert y.op.type == "StridedSlice" and y.op.name == "strided_slice"
    assert [y.op.get_attr(m) for m in strided_slice_ops.MASK_ATTRS] == [1, 1, 0, 0, 2]
    xv = rand((3, 4))
    np.testing.assert_array_equal(run(y, {x: xv}), xv[:, 1])
    (gx,) = gf.gradients(gf.reduce_sum(y * y), [x])
    expected = np.zeros((3, 4))
    expected[:, 1] = 2 * xv[:, 1]
    np.testing.assert_allclose(run(gx, {x: xv}), expected)


def test_getitem_with_tensor_index_and_variable(graph) -> None:
    i = gf.placeholder(gf.int32, (), name="i")
    v = gf.Variable(np.arange(12.0).reshape(3, 4), name="v")
    row = v[i]
    assert row.shape.as_list() == [4]
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(row, {i: 2}), [8, 9, 10, 11])
        np.testing.assert_array_equal(sess.run(v[i, 1:], {i: 0}), [1, 2, 3])


def test_shape_arithmetic_folds_so_reshape_gets_a_static_shape(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3, 4))
    target = gf.concat([[-1], gf.shape(x)[1:]], 0)
    np.testing.assert_array_equal(target.spec.value, [-1, 3, 4])
    assert gf.reshape(gf.placeholder(gf.float64, (6, 4, 2)), target).shape.as_list() == [4, 3, 4]


# ----------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("build,pattern", [
    (lambda a, b: a[0, 1, 2], r"StridedSlice node 'strided_slice'.*3 dimensions.*rank 2"),
    (lambda a, b: a[2], r"'strided_slice'.*index 2 is out of bounds.*\[-2, 2\)"),
    (lambda a, b: a[::0], r"'strided_slice'.*strides\[0\] must be non-zero"),
    (lambda a, b: a[..., 0, ...], r"at most one ellipsis"),
])
def test_build_errors_name_node_op_and_shapes(graph, build: Any, pattern: str) -> None:
    a = gf.placeholder(gf.float32, (2, 3), name="a")
    b = gf.placeholder(gf.float32, (2, 3, 4), name="b")
    with pytest.raises(gf.GraphBuildError, match=pattern):
        build(a, b)


@pytest.mark.parametrize("bad", [1.5, True, np.array([0, 1]), "0"], ids=str)
def test_getitem_rejects_non_integer_indices(graph, bad: Any) -> None:
    x = gf.placeholder(gf.float32, (2, 3))
    with pytest.raises(TypeError, match="Only integers, slices"):
        _ = x[bad]
    with pytest.raises(TypeError, match="Only integers, slices"):
        _ = x[gf.constant([0, 1])]  # a vector tensor: use gf.gather


def test_run_time_index_out_of_bounds(graph) -> None:
    x = gf.placeholder(gf.float64, (None, 3))
    r = x[3]
    with pytest.raises(gf.InvalidArgumentError, match=r"'strided_slice'.*index 3 is out of bounds"):
        run(r, {x: np.ones((2, 3))})
