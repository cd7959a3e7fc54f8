"""``graphflow.ops.reduction_ops``: reductions Sum, Mean, Max, Min, Prod, All, Any and the
scans Cumsum, Cumprod. Several axes (None, single, negative, lists, empty, duplicates after
normalisation), keep_dims, reduction indices fed at run time, unknown ranks; kernel vs
numpy, shape rule vs kernel output (distinct dims), float64 gradient checks, the tie rule
of the Max/Min gradient (k tied winners each get g / k), Prod's zero-safe gradient and the
scans' exclusive/reverse variants."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry

from .helpers import assert_gradients, run, sample

SHAPE = (2, 3, 4)

REDUCTIONS = [
    ("Sum", gf.reduce_sum, np.sum),
    ("Mean", gf.reduce_mean, np.mean),
    ("Max", gf.reduce_max, np.max),
    ("Min", gf.reduce_min, np.min),
]
AXES = [None, 0, 1, -1, [0, 2], [-1, -3], [2, 0], [], [0, 1, 2], [1, -1]]


def distinct_values(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Values without ties (a random permutation, scaled), so max/min are differentiable."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) / n - 0.5


def np_axes(axis: Any) -> Any:
    if axis is None:
        return None
    return tuple(sorted({a % len(SHAPE) for a in np.atleast_1d(axis).tolist()}))


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


def test_reduction_axes_that_coincide_after_normalising_are_refused(graph) -> None:
    """[1, -2] name the same axis of a rank-3 tensor: TensorFlow builds the node but refuses
    to run it (InvalidArgumentError: duplicate reduction dimension); graphflow refuses it
    when the node is built, and a fed duplicate when it runs."""
    x = gf.constant(distinct_values(SHAPE))
    with pytest.raises(gf.GraphBuildError, match=r"reduction axis -2 appears more than once "
                                                 r"in \[1, -2\]"):
        gf.reduce_sum(x, [1, -2])
    axes = gf.placeholder(gf.int32, [None])
    y = gf.reduce_sum(x, axes)
    with pytest.raises(gf.InvalidArgumentError, match="axis -2 appears more than once"):
        run(y, {axes: np.array([1, -2], np.int32)})


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


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((6,), None), ((7, 3), 0), ((2, 3001), -1)])
def test_mean_gradient_is_the_same_for_static_and_dynamic_counts(
        dtype: Any, shape: tuple[int, ...], axis: Any) -> None:
    """TF's rule: the upstream gradient divided by the count (not multiplied by 1/count,
    which rounds otherwise) — so a graph whose count is static (a fixed batch) and one
    whose count is known only at run time give the same bits, g / count in the dtype."""
    x_value = np.ones(shape, dtype)
    upstream = (np.random.default_rng(8).standard_normal(
        np.mean(x_value, axis=axis).shape) * 5).astype(dtype)
    got = []
    for static in (True, False):
        g = gf.Graph()
        with g.as_default():
            x = gf.placeholder(gf.as_dtype(dtype), shape if static else [None, *shape[1:]])
            y = gf.reduce_mean(x, axis)
            (dx,) = gf.gradients(y, [x], grad_ys=[gf.constant(upstream)])
        with gf.Session(graph=g) as sess:
            got.append(sess.run(dx, {x: x_value}))
    count = np.prod(shape) // upstream.size
    per_output = (upstream / dtype(count)).astype(dtype)  # as TF: in the gradient's dtype
    expected = np.broadcast_to(np.expand_dims(per_output, axis) if axis is not None
                               else per_output, shape)
    for value in got:
        assert value.dtype == dtype and value.tobytes() == np.ascontiguousarray(
            expected).tobytes()


MEAN_PLANS = {"specialized": gf.SessionConfig(inter_op_threads=1),
              "default": gf.SessionConfig(),
              "planned_buffers_off": gf.SessionConfig(plan_memory=False),
              "shape_generic": gf.SessionConfig(specialize=False),
              "interpreted": gf.SessionConfig(interpret=True)}


@pytest.mark.parametrize("config", ["specialized", "shape_generic"])
@pytest.mark.parametrize("shape,axis,expected_shape", [((0,), None, ()), ((0, 3), 0, (3,)),
                                                       ((3, 0), 0, (0,))])
def test_mean_of_nothing_is_nan_without_a_warning(config: str, shape: tuple[int, ...],
                                                  axis: Any, expected_shape: tuple) -> None:
    """TF's mean of an empty reduction is NaN, silently; numpy's own "Mean of empty slice"
    warning does not reach the user, on either kind of plan."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None] * len(shape))
        y = gf.reduce_mean(x, axis)
    with gf.Session(graph=g, config=MEAN_PLANS[config]) as sess:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any warning fails the test
            got = np.asarray(sess.run(y, {x: np.zeros(shape, np.float32)}))
    assert got.dtype == np.float32 and got.shape == expected_shape
    assert np.isnan(got).all()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape,axis,keep", [((6,), None, False), ((7, 3), 0, False),
                                             ((7, 3), 0, True), ((3001,), None, False),
                                             ((2, 3001), -1, True), ((3, 5, 6), [0, 2], False)])
def test_mean_gives_np_means_bits_whichever_plan_ran(dtype: Any, shape: tuple[int, ...],
                                                     axis: Any, keep: bool) -> None:
    """The planned Mean (static axes and count: a sum and a division) and the shape-generic
    one (np.mean) give the same bits — np.mean's: the sum in the input's dtype divided by
    the count (6, 7, 3001 items: a multiplication by 1/count rounds differently, and 3001
    is no float16). Fed with a static and with an unknown batch dimension."""
    x_value = (np.random.default_rng(4).standard_normal(shape) * 3).astype(dtype)
    expected = np.mean(x_value, axis=None if axis is None else tuple(
        a % len(shape) for a in np.atleast_1d(axis)), keepdims=keep, dtype=dtype)
    for static in (True, False):
        g = gf.Graph()
        with g.as_default():
            x = gf.placeholder(gf.as_dtype(dtype), shape if static else [None, *shape[1:]])
            y = gf.reduce_mean(x, axis, keepdims=keep)
        for name, config in MEAN_PLANS.items():
            with gf.Session(graph=g, config=config) as sess:
                for _ in range(2):  # a second run: the cached plan
                    got = np.asarray(sess.run(y, {x: x_value}))
                    assert got.dtype == dtype and got.shape == np.shape(expected), name
                    assert got.tobytes() == np.asarray(expected).tobytes(), (name, static)


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


def test_reduce_sum_of_unknown_rank_uses_range(graph) -> None:
    x = gf.placeholder(gf.float64)
    s = gf.reduce_sum(x)
    assert "Range" in {op.type for op in graph.get_operations()}
    assert run(s, {x: np.ones((2, 3, 4))}) == 24


# ----------------------------------------------------------------------------------------
# Prod, All, Any
# ----------------------------------------------------------------------------------------


PROD_ALL_ANY_AXES = [None, 0, 1, -1, [0, 2], [2, 0, 1], []]


@pytest.mark.parametrize("axis", PROD_ALL_ANY_AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy_and_shape_rule(graph, axis: Any, keepdims: bool) -> None:
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    rng = np.random.default_rng(11)
    fv = rng.uniform(0.5, 1.5, (2, 3, 4))
    iv = rng.integers(-3, 4, (2, 3, 4)).astype(np.int32)
    bv = rng.random((2, 3, 4)) < 0.7
    for build, value, ref in ((gf.reduce_prod, fv, np.prod), (gf.reduce_prod, iv, np.prod),
                              (gf.reduce_all, bv, np.all), (gf.reduce_any, bv, np.any)):
        for static in ((2, 3, 4), (None, 3, None)):
            x = gf.placeholder(gf.as_dtype(value.dtype), static)
            y = build(x, axis, keepdims=keepdims)
            out = np.asarray(run(y, {x: value}))
            want = ref(value, axis=np_axis, keepdims=keepdims)
            assert out.dtype == value.dtype and out.shape == want.shape
            np.testing.assert_allclose(out, want, rtol=1e-12)
            assert y.shape.is_compatible_with(out.shape)
            if static == (2, 3, 4):
                assert tuple(y.shape.as_list()) == out.shape


def test_reductions_with_unknown_rank_and_attrs(graph) -> None:
    x = gf.placeholder(gf.bool, None)
    y = gf.reduce_any(x)
    assert y.shape.rank is None and "T" not in y.op.node_def.attr
    assert y.op.type == "Any" and y.op.get_attr("keep_dims") is False
    bv = np.zeros((2, 3), bool)
    assert run(y, {x: bv}) == np.False_
    bv[1, 2] = True
    assert run(y, {x: bv}) == np.True_ and run(gf.reduce_all(x), {x: bv}) == np.False_
    p = gf.reduce_prod(gf.placeholder(gf.float32, (2, 3)), 1, keep_dims=True)
    assert p.op.type == "Prod" and p.op.get_attr("T") == gf.float32
    assert p.shape.as_list() == [2, 1]
    with pytest.raises(gf.GraphBuildError, match=r"All node 'al'.*bool"):
        gf.reduce_all(gf.constant([1.0]), name="al")
    np.testing.assert_array_equal(gf.reduce_all(gf.constant([[True, False], [True, True]]),
                                                1).spec.value, [False, True])  # folded


def test_bool_reductions_are_not_differentiable() -> None:
    for op_type in ("All", "Any"):
        assert registry.get(op_type).differentiable is False, op_type


PROD_GRAD_CASES = [  # (static shape, fed value shape, axis, zeros at)
    ((2, 3, 4), (2, 3, 4), None, []),
    ((2, 3, 4), (2, 3, 4), 1, []),
    ((2, 3, 4), (2, 3, 4), [0, 2], []),
    ((2, 3, 4), (2, 3, 4), [2, 1], [(0, 1, 2)]),                 # one zero in a slice
    ((2, 3, 4), (2, 3, 4), -1, [(1, 0, 1), (1, 0, 3)]),          # two zeros in one slice
    ((None, 3, None), (2, 3, 4), [0, 2], [(1, 2, 0)]),           # run-time dims
    ((None, 3), (4, 3), 0, [(2, 1)]),
    ((), (), None, []),
]


@pytest.mark.parametrize("static,fed,axis,zeros", PROD_GRAD_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_prod_gradient_is_exact_with_zeros(graph, static: Any, fed: tuple, axis: Any,
                                           zeros: list, keepdims: bool) -> None:
    """Prod is multilinear, so central differences are exact even at zeros; the rule uses
    exclusive cumulative products (no division) and must match them there too."""
    xv = sample(fed, 0.5, 1.5, seed=12) * np.random.default_rng(13).choice([-1, 1], fed)
    for idx in zeros:
        xv[idx] = 0.0
    x = gf.placeholder(gf.float64, static)
    y = gf.reduce_prod(x, axis, keepdims=keepdims)
    assert_gradients(y, [x], {x: xv}, 1e-8)
    (gx,) = gf.gradients(y, [x])
    g = np.asarray(run(gx, {x: xv}))
    assert np.all(np.isfinite(g)) and g.shape == fed


def test_prod_second_order_gradient(graph) -> None:
    """Through Cumprod's gradient (exact for nonzero x, as in TensorFlow)."""
    x = gf.placeholder(gf.float64, (2, 3, 4))
    (gx,) = gf.gradients(gf.reduce_prod(x, [0, 2]), [x])
    xv = sample((2, 3, 4), 0.5, 1.5, seed=14)
    assert_gradients(gf.reduce_sum(gf.square(gx)), [x], {x: xv}, 1e-6)


def test_prod_gradient_needs_static_axes(graph) -> None:
    """Axes fed at run time: the gradient pass says why there is no rule for this node."""
    x = gf.placeholder(gf.float64, (2, 3), name="x")
    axes = gf.placeholder(gf.int32, (1,), name="axes")
    y = gf.reduce_prod(x, axes, name="p")
    with pytest.raises(LookupError, match=r"'p'.*Prod node 'p'.*constant reduction axes"):
        gf.gradients(y, [x])




# ----------------------------------------------------------------------------------------
# Scans: Cumsum, Cumprod
# ----------------------------------------------------------------------------------------


def ref_scan(x: np.ndarray, axis: int, exclusive: bool, reverse: bool, prod: bool
             ) -> np.ndarray:
    """A deliberately naive loop over positions along ``axis``."""
    xm = np.moveaxis(x, axis, 0)
    out = np.empty_like(xm)
    n = xm.shape[0]
    for i in range(n):
        if reverse:
            idx = range(i + 1 if exclusive else i, n)
        else:
            idx = range(0, i if exclusive else i + 1)
        acc = np.ones_like(xm[0]) if prod else np.zeros_like(xm[0])
        for j in idx:
            acc = acc * xm[j] if prod else acc + xm[j]
        out[i] = acc
    return np.moveaxis(out, 0, axis)


SCAN_FLAGS = [(False, False), (True, False), (False, True), (True, True)]


@pytest.mark.parametrize("op_type", ["Cumsum", "Cumprod"])
@pytest.mark.parametrize("exclusive,reverse", SCAN_FLAGS)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_scan_three_layers(graph, op_type: str, exclusive: bool, reverse: bool,
                           axis: int) -> None:
    build = gf.cumsum if op_type == "Cumsum" else gf.cumprod
    prod = op_type == "Cumprod"
    xv = sample((2, 3, 4), 0.5, 1.5, seed=15)
    x = gf.placeholder(gf.float64, (None, 3, 4))
    y = build(x, axis, exclusive=exclusive, reverse=reverse)
    assert y.op.type == op_type and y.shape.as_list() == [None, 3, 4]
    out = run(y, {x: xv})
    np.testing.assert_allclose(out, ref_scan(xv, axis, exclusive, reverse, prod), rtol=1e-12)
    assert out.shape == (2, 3, 4)
    assert_gradients(y, [x], {x: xv}, 1e-6)
    iv = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
    iout = run(build(iv, axis % 2, exclusive=exclusive, reverse=reverse))
    assert iout.dtype == np.int32
    np.testing.assert_array_equal(iout, ref_scan(iv, axis % 2, exclusive, reverse, prod))


def test_scan_errors(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3), name="x")
    with pytest.raises(gf.GraphBuildError, match=r"Cumsum node 'cs'.*axis 2.*rank 2"):
        gf.cumsum(x, 2, name="cs")
    with pytest.raises(gf.GraphBuildError, match=r"Cumprod node.*rank >= 1"):
        gf.cumprod(gf.constant(2.0))
    a = gf.placeholder(gf.int32, (), name="a")
    with pytest.raises(gf.InvalidArgumentError, match=r"Cumsum node 'dyn'.*axis 5"):
        run(gf.cumsum(x, a, name="dyn"), {x: np.ones((2, 3)), a: 5})


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("shape,axes,keep", [((32, 200), [0], False), ((7, 5, 3), [0, 2], True),
                                              ((64, 9), [1], False), ((3, 1000), [1], True)])
def test_planned_sum_is_bitwise_np_sum(dtype: Any, shape: tuple[int, ...], axes: list[int],
                                       keep: bool) -> None:
    """A specialized plan's Sum (into its planned buffer, by np.add.reduce directly) gives
    exactly np.sum's bits; so does BiasAddGrad (a sum over every axis but the channel)."""
    rng = np.random.default_rng(3)
    value = (rng.standard_normal(shape) * 100).astype(dtype)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(dtype, shape)
        total = gf.reduce_sum(x, axis=axes, keepdims=keep)
        fetches = [total]
        floating = np.dtype(dtype).kind == "f"
        if floating:  # BiasAddGrad(x): the gradient of bias_add's bias with grad_ys = x
            bias = gf.constant(np.zeros(shape[-1], dtype))
            fetches += gf.gradients(gf.nn.bias_add(gf.zeros_like(x), bias), [bias],
                                    grad_ys=[x])
            assert any(op.type == "BiasAddGrad" for op in g.get_operations())
        with gf.Session() as sess:
            got = sess.run(fetches, {x: value})
    want = np.sum(value, axis=tuple(axes), keepdims=keep, dtype=dtype)
    assert got[0].dtype == want.dtype and np.array_equal(got[0], want)
    if floating:
        want_bias = np.sum(value, axis=tuple(range(value.ndim - 1)), dtype=dtype)
        assert np.array_equal(got[1], want_bias)
