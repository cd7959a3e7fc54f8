"""Sources, identity-like ops, shape queries, reshaping, filling and broadcasting from
``graphflow.ops.array_ops``: kernel vs numpy, static shape rule vs the kernel's output
(distinct dims), float64 gradient checks, and error messages that name the node."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import array_ops

from . import helpers
from .helpers import UnaryCase, assert_gradients, assert_static_matches, rand, run

# ----------------------------------------------------------------------------------------
# Const, Placeholder
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value,dtype", [
    (np.arange(6.0).reshape(2, 3), gf.float64),
    (np.arange(4, dtype=np.int32), gf.int32),
    (np.array([True, False]), gf.bool),
    (np.float32(2.5), gf.float32),
])
def test_const_kernel_shape_and_static_value(graph, value: np.ndarray, dtype: Any) -> None:
    c = gf.constant(value, name="c")
    assert c.op.type == "Const" and c.dtype == dtype and c.op.name == "c"
    np.testing.assert_array_equal(c.spec.value, value)
    out = run(c)
    assert out.dtype == dtype.np_dtype
    np.testing.assert_array_equal(out, value)
    assert_static_matches(c, out)


def test_const_broadcasts_python_value_to_shape(graph) -> None:
    c = gf.constant(1.5, dtype=gf.float64, shape=[2, 3])
    np.testing.assert_array_equal(run(c), np.full((2, 3), 1.5))


def test_const_fetch_is_a_writable_copy(graph) -> None:
    c = gf.constant([1.0, 2.0])
    with gf.Session() as sess:
        first = sess.run(c)
        first[0] = 99.0  # must not corrupt the constant
        np.testing.assert_array_equal(sess.run(c), [1.0, 2.0])


def test_const_can_be_differentiated_against(graph) -> None:
    """Const has no inputs (registered non-differentiable), but as an x it gets a gradient."""
    c = gf.constant([1.0, 2.0], dtype=gf.float64)
    (gc,) = gf.gradients(gf.reduce_sum(c * 3.0), [c])
    np.testing.assert_array_equal(run(gc), [3.0, 3.0])
    assert registry.get("Const").differentiable is False


def test_placeholder_must_be_fed(graph) -> None:
    x = gf.placeholder(gf.float64, (None, 3), name="inputs")
    y = gf.identity(x, name="y")
    with pytest.raises(gf.InvalidArgumentError) as info:
        run(y)
    msg = str(info.value)
    assert "'inputs'" in msg and "float64" in msg and "feed" in msg


def test_placeholder_feed_shape_is_checked(graph) -> None:
    x = gf.placeholder(gf.float64, (None, 3), name="inputs")
    np.testing.assert_array_equal(run(x * 1.0, {x: np.ones((5, 3))}), np.ones((5, 3)))
    with pytest.raises(gf.InvalidArgumentError, match=r"\(2, 4\).*inputs:0"):
        run(x * 1.0, {x: np.ones((2, 4))})


def test_placeholder_static_shape(graph) -> None:
    assert gf.placeholder(gf.float32, (None, 3)).shape.as_list() == [None, 3]
    assert gf.placeholder(gf.float32).shape.rank is None
    assert gf.placeholder(gf.int32, ()).shape.as_list() == []


# ----------------------------------------------------------------------------------------
# Identity, StopGradient, CheckNumerics
# ----------------------------------------------------------------------------------------


def test_identity_three_layers(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3))
    y = gf.identity(x)
    xv = rand((2, 3))
    out = run(y, {x: xv})
    np.testing.assert_array_equal(out, xv)
    assert_static_matches(y, out)
    assert_gradients(y, [x], {x: xv})


def test_identity_passes_static_value(graph) -> None:
    assert gf.identity(gf.constant([1, 2])).spec.value.tolist() == [1, 2]


def test_stop_gradient_is_identity_forward_and_blocks_backward(graph) -> None:
    x = gf.placeholder(gf.float64, (3,))
    y = gf.stop_gradient(x)
    assert y.op.type == "StopGradient"
    xv = rand((3,))
    np.testing.assert_array_equal(run(y, {x: xv}), xv)
    assert y.shape.as_list() == [3]
    assert gf.gradients(gf.reduce_sum(y * y), [x]) == [None]
    (gx,) = gf.gradients(gf.reduce_sum(y * x), [x])  # only the unstopped factor counts
    np.testing.assert_allclose(run(gx, {x: xv}), xv)
    assert registry.get("StopGradient").differentiable is False


def test_check_numerics_passes_finite_values_and_gradients(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3))
    y = gf.check_numerics(x, "activations")
    xv = rand((2, 3))
    out = run(y, {x: xv})
    np.testing.assert_array_equal(out, xv)
    assert_static_matches(y, out)
    assert_gradients(y, [x], {x: xv})
    (gx,) = gf.gradients(y, [x])
    assert gx.op.type == "CheckNumerics"  # the gradient is checked too (as in TF)


@pytest.mark.parametrize("bad,kind", [(np.nan, "NaN"), (np.inf, "Inf")])
def test_check_numerics_fails_naming_node_and_message(graph, bad: float, kind: str) -> None:
    x = gf.placeholder(gf.float64, (3,))
    y = gf.check_numerics(x, "logits went bad", name="check_logits")
    with pytest.raises(gf.InvalidArgumentError) as info:
        run(y, {x: np.array([1.0, bad, 2.0])})
    msg = str(info.value)
    assert "logits went bad" in msg and kind in msg and "'check_logits'" in msg


# ----------------------------------------------------------------------------------------
# Shape, Size
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("out_type", [gf.int32, gf.int64])
def test_shape_static_and_dynamic(graph, out_type: Any) -> None:
    known = gf.placeholder(gf.float64, (2, 3, 5))
    s = gf.shape(known, out_type=out_type)
    assert s.dtype == out_type and s.shape.as_list() == [3]
    np.testing.assert_array_equal(s.spec.value, [2, 3, 5])  # folded: fully defined
    partial = gf.placeholder(gf.float64, (None, 4))
    d = gf.shape(partial, out_type=out_type)
    assert d.spec.value is None and d.shape.as_list() == [2]
    out = run(d, {partial: np.zeros((7, 4))})
    assert out.dtype == out_type.np_dtype
    np.testing.assert_array_equal(out, [7, 4])
    unknown = gf.shape(gf.placeholder(gf.float64))
    assert unknown.shape.as_list() == [None]


def test_size_static_and_dynamic(graph) -> None:
    s = gf.size(gf.placeholder(gf.float64, (2, 3, 5)))
    assert s.shape.as_list() == [] and int(s.spec.value) == 30
    x = gf.placeholder(gf.float64, (None, 4))
    d = gf.size(x, out_type=gf.int64)
    out = run(d, {x: np.zeros((3, 4))})
    assert out == 12 and out.dtype == np.int64 and np.shape(out) == ()
    assert registry.get("Shape").differentiable is False
    assert registry.get("Size").differentiable is False


# ----------------------------------------------------------------------------------------
# Reshape, ExpandDims, Squeeze
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("target,expected", [
    ([6, 4], (6, 4)),
    ([-1, 4], (6, 4)),
    ([4, -1], (4, 6)),
    ([2, -1, 3], (2, 4, 3)),
    ([-1], (24,)),
    ([3, 8], (3, 8)),
])
def test_reshape_three_layers(graph, target: list, expected: tuple) -> None:
    x = gf.placeholder(gf.float64, (2, 3, 4))
    y = gf.reshape(x, target)
    assert y.op.type == "Reshape"
    xv = rand((2, 3, 4))
    out = run(y, {x: xv})
    np.testing.assert_array_equal(out, xv.reshape(target))
    assert out.shape == expected
    assert_static_matches(y, out)
    assert_gradients(y, [x], {x: xv})


def test_reshape_with_unknown_dims(graph) -> None:
    x = gf.placeholder(gf.float64, (None, 4))
    y = gf.reshape(x, [-1, 2])
    assert y.shape.as_list() == [None, 2]
    xv = rand((3, 4))
    np.testing.assert_array_equal(run(y, {x: xv}), xv.reshape(-1, 2))
    assert_gradients(y, [x], {x: xv})
    (gx,) = gf.gradients(y, [x])
    assert gx.shape.as_list() == [None, 4]


def test_reshape_to_run_time_shape_tensor(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 6))
    target = gf.placeholder(gf.int32, (2,))
    y = gf.reshape(x, target)
    assert y.shape.as_list() == [None, None]
    xv = rand((2, 6))
    out = run(y, {x: xv, target: [3, 4]})
    np.testing.assert_array_equal(out, xv.reshape(3, 4))
    assert_gradients(y, [x], {x: xv, target: np.array([4, 3], np.int32)})


def test_reshape_errors_name_node_and_shapes(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3), name="x")
    with pytest.raises(gf.GraphBuildError) as info:
        gf.reshape(x, [4, 2], name="flat")
    msg = str(info.value)
    for part in ("Reshape", "'flat'", "6 elements", "(4, 2)", "8 elements"):
        assert part in msg, msg
    with pytest.raises(gf.GraphBuildError, match="more than one -1"):
        gf.reshape(x, [-1, -1])
    with pytest.raises(gf.GraphBuildError, match=r"cannot reshape.*\[4, -1\]"):
        gf.reshape(x, [4, -1])
    target = gf.placeholder(gf.int32, (2,))
    y = gf.reshape(x, target, name="dyn")
    with pytest.raises(gf.InvalidArgumentError, match=r"Reshape node 'dyn'.*\(2, 3\).*\(4, 4\)"):
        run(y, {x: rand((2, 3)), target: [4, 4]})


@pytest.mark.parametrize("axis,expected", [(0, (1, 2, 3, 4)), (1, (2, 1, 3, 4)),
                                           (3, (2, 3, 4, 1)), (-1, (2, 3, 4, 1)),
                                           (-2, (2, 3, 1, 4)), (-4, (1, 2, 3, 4))])
def test_expand_dims_three_layers(graph, axis: int, expected: tuple) -> None:
    x = gf.placeholder(gf.float64, (2, 3, 4))
    y = gf.expand_dims(x, axis)
    xv = rand((2, 3, 4))
    out = run(y, {x: xv})
    np.testing.assert_array_equal(out, np.expand_dims(xv, axis))
    assert out.shape == expected
    assert_static_matches(y, out)
    assert_gradients(y, [x], {x: xv})


def test_expand_dims_axis_out_of_range(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3), name="x")
    with pytest.raises(gf.GraphBuildError, match=r"ExpandDims node 'e'.*axis 3.*rank 2"):
        gf.expand_dims(x, 3, name="e")


@pytest.mark.parametrize("axis,expected", [(None, (3, 4)), ([2], (1, 3, 4)),
                                           ([0], (3, 1, 4)), ([-4, 2], (3, 4)),
                                           (-2, (1, 3, 4))])
def test_squeeze_three_layers(graph, axis: Any, expected: tuple) -> None:
    x = gf.placeholder(gf.float64, (1, 3, 1, 4))
    y = gf.squeeze(x, axis)
    xv = rand((1, 3, 1, 4))
    out = run(y, {x: xv})
    np.testing.assert_array_equal(out, np.squeeze(xv, None if axis is None else tuple(
        [axis] if np.isscalar(axis) else axis)))
    assert out.shape == expected
    assert_static_matches(y, out)
    assert_gradients(y, [x], {x: xv})


def test_squeeze_errors_and_unknown_dims(graph) -> None:
    x = gf.placeholder(gf.float64, (1, 3, 1), name="x")
    with pytest.raises(gf.GraphBuildError, match=r"Squeeze node 's'.*axis 1.*size is 3"):
        gf.squeeze(x, [1], name="s")
    with pytest.raises(gf.GraphBuildError, match="out of range"):
        gf.squeeze(x, [3])
    u = gf.placeholder(gf.float64, (None, 3))
    assert gf.squeeze(u).shape.rank is None          # None might be 1: rank unknown
    assert gf.squeeze(u, [0]).shape.as_list() == [3]


# ----------------------------------------------------------------------------------------
# Fill, ZerosLike, OnesLike, zeros, ones
# ----------------------------------------------------------------------------------------


def test_fill_three_layers(graph) -> None:
    v = gf.placeholder(gf.float64, (), name="v")
    y = gf.fill([2, 3], v)
    assert y.op.type == "Fill" and y.shape.as_list() == [2, 3]
    out = run(y, {v: 1.5})
    np.testing.assert_array_equal(out, np.full((2, 3), 1.5))
    assert_static_matches(y, out)
    # every element is a copy of v: d/dv = sum of the upstream gradient
    assert_gradients(y, [v], {v: np.float64(0.3)})
    (gv,) = gf.gradients(y * gf.constant(rand((2, 3), 1)), [v])
    np.testing.assert_allclose(run(gv, {v: 0.3}), rand((2, 3), 1).sum())


def test_fill_with_run_time_dims_and_folding(graph) -> None:
    dims = gf.placeholder(gf.int32, (2,))
    y = gf.fill(dims, 7)
    assert y.shape.as_list() == [None, None] and y.dtype == gf.int32
    np.testing.assert_array_equal(run(y, {dims: [3, 2]}), np.full((3, 2), 7))
    folded = gf.fill([2, 2], gf.constant(4.0))
    np.testing.assert_array_equal(folded.spec.value, np.full((2, 2), 4.0))


def test_fill_value_must_be_scalar(graph) -> None:
    with pytest.raises(gf.GraphBuildError, match=r"Fill node 'f'.*rank 0"):
        gf.fill([2, 3], gf.constant([1.0, 2.0]), name="f")


@pytest.mark.parametrize("build,value", [(gf.zeros_like, 0), (gf.ones_like, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_zeros_like_ones_like(graph, build: Any, value: int, dtype: Any) -> None:
    x = gf.placeholder(gf.as_dtype(dtype), (None, 3))
    y = build(x)
    assert y.dtype == gf.as_dtype(dtype) and y.shape.as_list() == [None, 3]
    out = run(y, {x: np.ones((2, 3), dtype) * 5})
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, np.full((2, 3), value))
    known = build(gf.placeholder(gf.as_dtype(dtype), (2, 3)))
    np.testing.assert_array_equal(known.spec.value, np.full((2, 3), value))  # folded


def test_zeros_like_ones_like_carry_no_gradient(graph) -> None:
    x = gf.placeholder(gf.float64, (2,))
    assert gf.gradients(gf.reduce_sum(gf.ones_like(x) + gf.zeros_like(x)), [x]) == [None]
    assert registry.get("ZerosLike").differentiable is False
    assert registry.get("OnesLike").differentiable is False


def test_zeros_and_ones_builders(graph) -> None:
    np.testing.assert_array_equal(run(gf.zeros([2, 3])), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(run(gf.ones([3], gf.int32)), np.ones(3, np.int32))
    dims = gf.placeholder(gf.int32, (2,))
    np.testing.assert_array_equal(run(gf.zeros(dims, gf.float64), {dims: [1, 4]}),
                                  np.zeros((1, 4)))


# ----------------------------------------------------------------------------------------
# BroadcastTo, BroadcastGradientArgs
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("src,target", [((3, 1), [2, 3, 4]), ((4,), [3, 4]), ((), [2, 3]),
                                        ((1, 3), [5, 3]), ((2, 3), [2, 3])])
def test_broadcast_to_three_layers(graph, src: tuple, target: list) -> None:
    x = gf.placeholder(gf.float64, src)
    y = gf.broadcast_to(x, target)
    xv = rand(src, 2)
    out = run(y, {x: xv})
    np.testing.assert_array_equal(out, np.broadcast_to(xv, target))
    assert_static_matches(y, out)
    assert_gradients(y, [x], {x: xv})


def test_broadcast_to_run_time_shape(graph) -> None:
    x = gf.placeholder(gf.float64, (None, 1))
    y = gf.broadcast_to(x, gf.shape(gf.placeholder(gf.float64, (3, 4), name="like")))
    xv = rand((3, 1))
    like = graph.get_tensor_by_name("like:0")
    np.testing.assert_array_equal(run(y, {x: xv, like: np.zeros((3, 4))}),
                                  np.broadcast_to(xv, (3, 4)))
    assert_gradients(y, [x], {x: xv, like: np.zeros((3, 4))})


def test_broadcast_to_errors(graph) -> None:
    x = gf.placeholder(gf.float64, (3,), name="x")
    with pytest.raises(gf.GraphBuildError, match=r"BroadcastTo node 'b'.*cannot broadcast"):
        gf.broadcast_to(x, [2, 4], name="b")
    y = gf.placeholder(gf.float64, (2, 3), name="y")
    with pytest.raises(gf.GraphBuildError, match="lower-rank"):
        gf.broadcast_to(y, [3])


def test_broadcast_to_result_does_not_alias_variable_storage(graph) -> None:
    """np.broadcast_to returns a view of its input; a fetched value must still be a snapshot
    (and writable), not a window onto variable storage that a later assign_add changes."""
    v = gf.Variable(np.array([1.0, 2.0, 3.0]), name="v")
    b = gf.broadcast_to(v.value(), [2, 3])
    bump = v.assign_add([10.0, 10.0, 10.0])
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        before = sess.run(b)
        sess.run(bump)
        np.testing.assert_array_equal(before, [[1.0, 2.0, 3.0]] * 2)
        before[0, 0] = 0.0  # an ordinary, writable numpy array


# r0/r1: the axes of the broadcast result each operand's gradient is summed over.
BGA_CASES = [
    ([2, 3, 4], [4], [], [0, 1]),
    ([3, 1, 4], [2, 4], [1], [0]),
    ([2, 1], [1, 3], [1], [0]),
    ([], [2, 3], [0, 1], []),
    ([5, 3], [5, 3], [], []),
    ([1], [1], [0], [0]),     # both 1: listing the axis for both is harmless (sums a size-1 axis)
]


@pytest.mark.parametrize("s0,s1,r0,r1", BGA_CASES)
def test_broadcast_gradient_args_static_and_run_time(graph, s0: list, s1: list, r0: list,
                                                     r1: list) -> None:
    folded = array_ops.broadcast_gradient_args(gf.constant(np.array(s0, np.int32)),
                                               gf.constant(np.array(s1, np.int32)))
    assert [t.spec.value.tolist() for t in folded] == [r0, r1]
    p0, p1 = gf.placeholder(gf.int32, (None,)), gf.placeholder(gf.int32, (None,))
    dyn = array_ops.broadcast_gradient_args(p0, p1)
    assert dyn[0].op.type == "BroadcastGradientArgs"
    assert dyn[0].shape.as_list() == [None] and dyn[0].dtype == gf.int32
    out0, out1 = run(list(dyn), {p0: np.array(s0, np.int32), p1: np.array(s1, np.int32)})
    assert out0.tolist() == r0 and out1.tolist() == r1
    assert out0.dtype == np.int32
    # the contract: summing a gradient of the broadcast shape over r_i gives operand i's size
    g = np.ones(np.broadcast_shapes(tuple(s0), tuple(s1)))
    assert g.sum(axis=tuple(r0)).size == int(np.prod(s0))
    assert g.sum(axis=tuple(r1)).size == int(np.prod(s1))


def test_broadcast_gradient_args_incompatible_shapes_name_node(graph) -> None:
    with pytest.raises(gf.GraphBuildError, match=r"BroadcastGradientArgs node 'bga'.*\(2, 3\)"):
        array_ops.broadcast_gradient_args(gf.constant(np.array([2, 3], np.int32)),
                                          gf.constant(np.array([4], np.int32)), name="bga")
    p0, p1 = gf.placeholder(gf.int32, (None,)), gf.placeholder(gf.int32, (None,))
    r0, _ = array_ops.broadcast_gradient_args(p0, p1, name="bga_dyn")
    with pytest.raises(gf.InvalidArgumentError, match=r"'bga_dyn'.*\(2, 3\).*\(4,\)"):
        run(r0, {p0: np.array([2, 3], np.int32), p1: np.array([4], np.int32)})


# ----------------------------------------------------------------------------------------
# Snapshot (a copy, never an alias) and Rank
# ----------------------------------------------------------------------------------------


SNAPSHOT = [UnaryCase("Snapshot", "Snapshot", array_ops.snapshot, np.copy, -3, 3, ints=True)]


@pytest.mark.parametrize("case", SNAPSHOT, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_snapshot_kernel_matches_numpy(graph, case: UnaryCase, dtype: Any) -> None:
    helpers.unary_kernel_matches_numpy(case, dtype)


@pytest.mark.parametrize("case", SNAPSHOT, ids=str)
def test_snapshot_integer_kernel(graph, case: UnaryCase) -> None:
    helpers.unary_integer_kernel(case)


@pytest.mark.parametrize("case", SNAPSHOT, ids=str)
def test_snapshot_planned_buffer_matches_plain_kernel(graph, case: UnaryCase) -> None:
    helpers.unary_planned_buffer_matches_plain_kernel(case)


@pytest.mark.parametrize("case", SNAPSHOT, ids=str)
@pytest.mark.parametrize("static,fed", helpers.UNARY_SHAPES)
def test_snapshot_shape_rule_matches_kernel(graph, case: UnaryCase, static: Any,
                                            fed: Any) -> None:
    helpers.unary_shape_rule_matches_kernel(case, static, fed)


@pytest.mark.parametrize("case", SNAPSHOT, ids=str)
def test_snapshot_gradient(graph, case: UnaryCase) -> None:
    helpers.unary_gradient(case)


@pytest.mark.parametrize("case", SNAPSHOT, ids=str)
def test_snapshot_second_order_gradient(graph, case: UnaryCase) -> None:
    helpers.unary_second_order_gradient(case)


def test_snapshot_copies_and_passes_gradient(graph) -> None:
    x = gf.placeholder(gf.float64, (3,))
    y = array_ops.snapshot(x)
    xv = np.array([1.0, 2.0, 3.0])
    out = run(y, {x: xv})
    assert not np.shares_memory(out, xv)
    (gx,) = gf.gradients(y, [x])
    assert gx.op.type != "Snapshot"  # d snapshot = g: the seed itself
    np.testing.assert_array_equal(run(gx, {x: xv}), np.ones(3))


@pytest.mark.parametrize("static,fed", [((2, 3, 5), (2, 3, 5)), ((None, 4), (3, 4)),
                                        ((), ()), (None, (4, 1, 2, 3))])
def test_rank(graph, static: Any, fed: tuple) -> None:
    x = gf.placeholder(gf.float32, static)
    r = gf.rank(x)
    assert r.op.type == "Rank" and r.dtype == gf.int32 and r.shape.as_list() == []
    if static is None:
        assert r.spec.value is None
    else:
        assert int(r.spec.value) == len(static)
    out = run(r, {x: np.zeros(fed, np.float32)})
    assert out.dtype == np.int32 and int(out) == len(fed)


def test_rank_is_not_differentiable() -> None:
    assert registry.get("Rank").differentiable is False
