"""Reductions Sum, Mean, Max, Min: several axes (None, single, negative, lists, empty,
duplicates after normalisation), keep_dims, reduction indices fed at run time; kernel vs
numpy, shape rule vs kernel output (distinct dims), float64 gradient checks, and the
tie rule of the Max/Min gradient (k tied winners each get g / k)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf

SHAPE = (2, 3, 4)

REDUCTIONS = [
    ("Sum", gf.reduce_sum, np.sum),
    ("Mean", gf.reduce_mean, np.mean),
    ("Max", gf.reduce_max, np.max),
    ("Min", gf.reduce_min, np.min),
]
AXES = [None, 0, 1, -1, [0, 2], [-1, -3], [2, 0], [], [0, 1, 2], [1, -2]]


def run(fetches: Any, feeds: dict | None = None) -> Any:
    with gf.Session() as sess:
        return sess.run(fetches, feeds)


def distinct_values(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Values without ties (a random permutation, scaled), so max/min are differentiable."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) / n - 0.5


def np_axes(axis: Any) -> Any:
    if axis is None:
        return None
    return tuple(sorted({a % len(SHAPE) for a in np.atleast_1d(axis).tolist()}))


def assert_gradients(y: gf.Tensor, xs: list, feeds: dict, tol: float = 1e-6) -> None:
    result = gf.test.check_gradients(y, xs, feeds)
    assert result.max_error < tol, str(result)


@pytest.mark.parametrize("op_type,build,ref", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keep", [False, True])
def test_reduction_three_layers(graph, op_type: str, build: Any, ref: Any, axis: Any,
                                keep: bool) -> None:
    x = gf.placeholder(gf.float64, SHAPE)
    y = build(x, axis, keepdims=keep)
    assert y.op.type == op_type and y.op.get_attr("keep_dims") is keep
    assert y.op.inputs[1].dtype == gf.int32  # reduction indices are an input tensor (TF)
    xv = distinct_values(SHAPE)
    out = np.asarray(run(y, {x: xv}))
    expected = ref(xv, axis=np_axes(axis), keepdims=keep)
    np.testing.assert_allclose(out, expected, rtol=1e-12)                     # 1: kernel
    assert tuple(y.shape.as_list()) == out.shape == np.shape(expected)        # 2: shape
    assert_gradients(y, [x], {x: xv})                                         # 3: gradient
    (gx,) = gf.gradients(y, [x])
    assert gx.shape.as_list() == list(SHAPE)


@pytest.mark.parametrize("op_type,build,ref", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("keep", [False, True])
def test_reduction_of_partially_unknown_shape(graph, op_type: str, build: Any, ref: Any,
                                              keep: bool) -> None:
    x = gf.placeholder(gf.float64, (None, 3, None))
    y = build(x, [0, -1], keepdims=keep)
    assert y.shape.as_list() == ([1, 3, 1] if keep else [3])
    xv = distinct_values((5, 3, 2))
    np.testing.assert_allclose(run(y, {x: xv}), ref(xv, axis=(0, 2), keepdims=keep))
    assert_gradients(y, [x], {x: xv})


@pytest.mark.parametrize("op_type,build,ref", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("keep", [False, True])
def test_reduction_with_run_time_axes(graph, op_type: str, build: Any, ref: Any,
                                      keep: bool) -> None:
    """Reduction indices fed at run time: the static shape is only as known as it can be,
    and the gradient takes the kept-dims shape from the run time."""
    x = gf.placeholder(gf.float64, SHAPE)
    axes = gf.placeholder(gf.int32, (None,))
    y = build(x, axes, keepdims=keep)
    assert y.shape.as_list() == [None] * 3 if keep else y.shape.rank is None
    xv = distinct_values(SHAPE)
    for axis in ([1], [-1, 0], [0, 1, 2]):
        out = run(y, {x: xv, axes: axis})
        np.testing.assert_allclose(out, ref(xv, axis=np_axes(axis), keepdims=keep))
        assert y.shape.is_compatible_with(np.shape(out))
        assert_gradients(y, [x], {x: xv, axes: np.array(axis, np.int32)})


def test_reduction_kernel_accepts_axes_that_coincide_after_normalising(graph) -> None:
    """[1, -2] name the same axis of a rank-3 tensor: TF reduces it once (so does the shape
    rule), and the kernel must agree rather than fail in numpy."""
    x = gf.constant(distinct_values(SHAPE))
    y = gf.reduce_sum(x, [1, -2])
    assert y.shape.as_list() == [2, 4]
    np.testing.assert_allclose(run(y), distinct_values(SHAPE).sum(axis=1))


def test_reduce_with_int_dtype_keeps_dtype(graph) -> None:
    xv = np.arange(24, dtype=np.int32).reshape(SHAPE)
    s = gf.reduce_sum(gf.constant(xv), 1)
    out = run(s)
    assert s.dtype == gf.int32 and out.dtype == np.int32
    np.testing.assert_array_equal(out, xv.sum(axis=1))
    m = run(gf.reduce_max(gf.constant(xv), [0, 2]))
    np.testing.assert_array_equal(m, xv.max(axis=(0, 2)))


def test_reduction_axis_out_of_range_names_node(graph) -> None:
    x = gf.placeholder(gf.float64, SHAPE, name="x")
    with pytest.raises(gf.GraphBuildError) as info:
        gf.reduce_sum(x, 3, name="total")
    msg = str(info.value)
    for part in ("Sum", "'total'", "axis 3", "rank 3", "[-3, 3)"):
        assert part in msg, msg
    with pytest.raises(gf.GraphBuildError, match="axis -4"):
        gf.reduce_mean(x, [0, -4])


def test_reduction_indices_must_be_integers(graph) -> None:
    x = gf.placeholder(gf.float64, SHAPE)
    with pytest.raises(gf.GraphBuildError, match="int32/int64"):
        gf.reduce_sum(x, gf.constant([1.0]))


# -- the tie rule of Max/Min and the Mean scale -------------------------------------------


def test_max_gradient_splits_ties_equally(graph) -> None:
    """max([3, 3, 1]): the two tied maxima share the upstream gradient -> [0.5, 0.5, 0]."""
    x = gf.constant([3.0, 3.0, 1.0], dtype=gf.float64)
    (gx,) = gf.gradients(gf.reduce_max(x), [x])
    np.testing.assert_array_equal(run(gx), [0.5, 0.5, 0.0])


def test_min_gradient_splits_ties_equally_per_row(graph) -> None:
    x = gf.constant([[1.0, 1.0, 1.0, 2.0], [4.0, 0.0, 3.0, 0.0]], dtype=gf.float64)
    (gx,) = gf.gradients(gf.reduce_min(x, axis=1), [x])
    np.testing.assert_allclose(run(gx), [[1 / 3, 1 / 3, 1 / 3, 0.0], [0.0, 0.5, 0.0, 0.5]])


def test_max_gradient_with_upstream_weights(graph) -> None:
    x = gf.constant([[5.0, 1.0, 5.0], [0.0, 2.0, 1.0]], dtype=gf.float64)
    y = gf.reduce_max(x, axis=-1)
    (gx,) = gf.gradients(y, [x], grad_ys=[np.array([4.0, 10.0])])
    np.testing.assert_allclose(run(gx), [[2.0, 0.0, 2.0], [0.0, 10.0, 0.0]])


def test_mean_gradient_divides_by_count_reduced(graph) -> None:
    x = gf.placeholder(gf.float64, (None, 4))
    (gx,) = gf.gradients(gf.reduce_mean(x, 0), [x])
    np.testing.assert_allclose(run(gx, {x: np.zeros((5, 4))}), np.full((5, 4), 1 / 5))
    (gall,) = gf.gradients(gf.reduce_mean(x), [x])
    np.testing.assert_allclose(run(gall, {x: np.zeros((5, 4))}), np.full((5, 4), 1 / 20))


@pytest.mark.parametrize("axis", [None, 0, [0]])
def test_reduction_of_a_scalar(graph, axis: Any) -> None:
    """A scalar has nothing to reduce; the shape rule accepts axis 0, so must the kernel."""
    x = gf.placeholder(gf.float64, ())
    y = gf.reduce_sum(x, axis)
    assert y.shape.as_list() == []
    assert run(y, {x: 2.5}) == 2.5
    assert_gradients(y * y, [x], {x: np.float64(2.5)})


@pytest.mark.parametrize("op_type,build,ref", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction_of_unknown_rank_over_all_axes(graph, op_type: str, build: Any,
                                                 ref: Any) -> None:
    """axis=None on a tensor of unknown rank: the axes come from range(rank(x)) at run time."""
    x = gf.placeholder(gf.float64, None)
    y = build(x)
    xv = distinct_values((3, 2))
    np.testing.assert_allclose(run(y, {x: xv}), ref(xv))
    assert_gradients(y, [x], {x: xv})
