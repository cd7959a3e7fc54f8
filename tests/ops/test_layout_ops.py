"""Layout, gather and slicing ops (``graphflow.ops.layout_ops`` / ``gather_ops`` /
``slice_ops``): kernel vs numpy, static shape rule vs the kernel's output (distinct dims,
fully known and partially unknown placeholders), float64 gradient checks (which exercise
the static and the run-time-shape gradient paths), IndexedSlices embedding gradients,
``Tensor.__getitem__``, and build/run-time errors that name the node."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import gather_ops, layout_ops, strided_slice_ops


def run(fetches: Any, feeds: dict | None = None) -> Any:
    with gf.Session() as sess:
        return sess.run(fetches, feeds)


def rand(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


def c32(value: Any) -> gf.Tensor:
    return gf.constant(np.asarray(value, dtype=np.int32))


def _segment_sum_ref(data: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n,) + data.shape[ids.ndim:])
    for pos in np.ndindex(*ids.shape):
        if ids[pos] >= 0:
            out[ids[pos]] += data[pos]
    return out


# ----------------------------------------------------------------------------------------
# The table: every differentiable op, three layers, fully known and partially known inputs
# ----------------------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    shapes: list[tuple[int, ...]]  # float64 inputs (placeholders)
    build: Callable[..., gf.Tensor]
    ref: Callable[..., np.ndarray]
    # Placeholder shapes for the partially-known variant (default: first dim unknown).
    partial: list[tuple[int | None, ...]] | None = None
    op_type: str = ""
    tol: float = 1e-6

    def partial_shapes(self) -> list[tuple[int | None, ...]]:
        if self.partial is not None:
            return self.partial
        return [tuple(None if k == 0 else d for k, d in enumerate(s)) for s in self.shapes]


SEG_IDS = np.array([2, 0, 2, 3, -1])  # a duplicate and a dropped (negative) id
CASES = [
    Case("transpose", [(2, 3, 4)], lambda x: gf.transpose(x, [2, 0, 1]),
         lambda x: np.transpose(x, [2, 0, 1]), op_type="Transpose"),
    Case("transpose_default_reverses", [(2, 3, 4)], lambda x: gf.transpose(x), lambda x: x.T,
         op_type="Transpose"),
    Case("concat_axis1", [(2, 3), (2, 4), (2, 1)], lambda a, b, c: gf.concat([a, b, c], 1),
         lambda a, b, c: np.concatenate([a, b, c], 1), op_type="ConcatV2"),
    Case("concat_axis0_runtime_offsets", [(2, 3), (4, 3)], lambda a, b: gf.concat([a, b], 0),
         lambda a, b: np.concatenate([a, b], 0), op_type="ConcatV2"),
    Case("concat_negative_axis", [(2, 3, 4), (2, 3, 5)], lambda a, b: gf.concat([a, b], -1),
         lambda a, b: np.concatenate([a, b], -1), op_type="ConcatV2"),
    Case("gather_axis0_dup", [(5, 3)], lambda p: gf.gather(p, c32([[0, 4], [4, 2]])),
         lambda p: p[[[0, 4], [4, 2]]], op_type="GatherV2"),
    Case("gather_axis0_unknown_inner", [(5, 3)], lambda p: gf.gather(p, c32([1, 1, 3])),
         lambda p: p[[1, 1, 3]], partial=[(5, None)], op_type="GatherV2"),
    Case("gather_axis1", [(2, 5, 3)], lambda p: gf.gather(p, c32([4, 0, 4, 1]), axis=1),
         lambda p: np.take(p, [4, 0, 4, 1], axis=1), op_type="GatherV2"),
    Case("gather_axis2_matrix_indices", [(2, 3, 4)],
         lambda p: gf.gather(p, c32([[3, 0], [1, 3]]), axis=-1),
         lambda p: np.take(p, [[3, 0], [1, 3]], axis=2), partial=[(2, None, 4)],
         op_type="GatherV2"),
    Case("embedding_lookup", [(6, 4)],
         lambda w: gf.embedding_lookup(w, c32([[1, 5, 1], [0, 2, 1]])),
         lambda w: w[[[1, 5, 1], [0, 2, 1]]], op_type="GatherV2"),
    Case("unsorted_segment_sum", [(5, 3)],
         lambda d: gf.unsorted_segment_sum(d, c32(SEG_IDS), 4),
         lambda d: _segment_sum_ref(d, SEG_IDS, 4), op_type="UnsortedSegmentSum"),
    Case("unsorted_segment_sum_matrix_ids", [(2, 3, 4)],
         lambda d: gf.unsorted_segment_sum(d, c32([[0, 1, 0], [4, 4, 1]]), 5),
         lambda d: _segment_sum_ref(d, np.array([[0, 1, 0], [4, 4, 1]]), 5),
         op_type="UnsortedSegmentSum"),
    Case("slice", [(3, 4, 5)], lambda x: gf.slice(x, [1, 0, 2], [2, -1, 3]),
         lambda x: x[1:3, 0:, 2:5], op_type="Slice"),
    Case("pad", [(2, 3)], lambda x: gf.pad(x, [[1, 0], [2, 3]]),
         lambda x: np.pad(x, [[1, 0], [2, 3]]), op_type="Pad"),
    Case("stack_axis0", [(2, 3), (2, 3), (2, 3)], lambda a, b, c: gf.stack([a, b, c]),
         lambda a, b, c: np.stack([a, b, c]), op_type="Pack"),
    Case("stack_axis_last", [(2, 3), (2, 3)], lambda a, b: gf.stack([a, b], axis=-1),
         lambda a, b: np.stack([a, b], -1), op_type="Pack"),
    Case("unstack_one_output_used", [(3, 2, 4)], lambda x: gf.unstack(x, axis=1)[1],
         lambda x: x[:, 1], op_type="Unpack"),
    Case("unstack_single_output", [(3, 1)], lambda x: gf.unstack(x, axis=1)[0],
         lambda x: x[:, 0], op_type="Unpack"),
    Case("tile", [(2, 3)], lambda x: gf.tile(x, [3, 2]), lambda x: np.tile(x, [3, 2]),
         op_type="Tile"),
    Case("tile_3d", [(2, 1, 3)], lambda x: gf.tile(x, [1, 4, 2]),
         lambda x: np.tile(x, [1, 4, 2]), op_type="Tile"),
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
IDS = [c.id for c in CASES]


def _build(case: Case, shapes: list) -> tuple[list[gf.Tensor], gf.Tensor]:
    xs = [gf.placeholder(gf.float64, s, name=f"x{i}") for i, s in enumerate(shapes)]
    return xs, case.build(*xs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_kernel_matches_numpy_and_static_shape_is_exact(graph, case: Case) -> None:
    xs, y = _build(case, case.shapes)
    assert y.op.type == case.op_type
    values = [rand(s, seed=i) for i, s in enumerate(case.shapes)]
    out = run(y, dict(zip(xs, values)))
    np.testing.assert_allclose(out, case.ref(*values), rtol=1e-12, atol=1e-12)
    assert y.shape.is_fully_defined(), y.shape
    assert tuple(y.shape.as_list()) == np.shape(out)
    assert out.dtype == np.float64


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_static_shape_with_unknown_dims_is_compatible(graph, case: Case) -> None:
    xs, y = _build(case, case.partial_shapes())
    values = [rand(s, seed=i) for i, s in enumerate(case.shapes)]
    out = run(y, dict(zip(xs, values)))
    np.testing.assert_allclose(out, case.ref(*values), rtol=1e-12, atol=1e-12)
    assert y.shape.rank == np.ndim(out), (y.shape, np.shape(out))
    assert y.shape.is_compatible_with(np.shape(out)), (y.shape, np.shape(out))


@pytest.mark.parametrize("known", [True, False], ids=["static", "partial"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_matches_central_differences(graph, case: Case, known: bool) -> None:
    xs, y = _build(case, case.shapes if known else case.partial_shapes())
    feeds = {x: rand(s, seed=i) for i, (x, s) in enumerate(zip(xs, case.shapes))}
    result = gf.test.check_gradients(y, xs, feeds)
    assert result.max_error < case.tol, str(result)
    assert all(np.abs(a).sum() > 0 for a in result.analytic)  # every input gets a gradient


def test_table_covers_every_differentiable_record() -> None:
    covered = {c.op_type for c in CASES} | {"StridedSliceGrad"}  # tested below
    mine = {name for name, r in registry.registered_ops().items()
            if type(r).__module__ in (layout_ops.__name__, gather_ops.__name__,
                                      strided_slice_ops.__name__) and r.differentiable}
    assert mine <= covered, mine - covered


# ----------------------------------------------------------------------------------------
# Gradients: dynamic paths, higher order, IndexedSlices
# ----------------------------------------------------------------------------------------


def test_transpose_with_run_time_perm_uses_invert_permutation(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3, 4))
    perm = gf.placeholder(gf.int32, (3,), name="perm")
    y = gf.transpose(x, perm)
    assert y.shape.as_list() == [None, None, None]
    feeds = {x: rand((2, 3, 4)), perm: np.array([1, 2, 0], np.int32)}
    np.testing.assert_array_equal(run(y, feeds), np.transpose(feeds[x], [1, 2, 0]))
    (gx,) = gf.gradients(gf.reduce_sum(y * y), [x])
    assert "InvertPermutation" in {op.type for op in graph.get_operations()}
    np.testing.assert_allclose(run(gx, feeds), 2 * feeds[x])


def test_slice_and_pad_with_run_time_begin_and_paddings(graph) -> None:
    """Begin/paddings fed at run time: the gradients build their paddings/begin as ops."""
    x = gf.placeholder(gf.float64, (3, 4), name="x")
    begin = gf.placeholder(gf.int32, (2,), name="begin")
    paddings = gf.placeholder(gf.int64, (2, 2), name="paddings")
    y = gf.slice(x, begin, [2, -1])
    z = gf.pad(x, paddings)
    assert y.shape.as_list() == [2, None] and z.shape.as_list() == [None, None]
    feeds = {x: rand((3, 4)), begin: [1, 2], paddings: [[0, 2], [1, 0]]}
    np.testing.assert_array_equal(run(y, feeds), feeds[x][1:3, 2:])
    np.testing.assert_array_equal(run(z, feeds), np.pad(feeds[x], [[0, 2], [1, 0]]))
    for out in (y, z):
        result = gf.test.check_gradients(out, [x], feeds)
        assert result.max_error < 1e-6, str(result)


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


def test_embedding_gradient_is_indexed_slices_of_looked_up_rows(graph) -> None:
    vocab, dim = 50, 4
    w = gf.Variable(rand((vocab, dim)), name="E")
    ids = np.array([[3, 7], [3, 10], [3, 0]], np.int32)  # id 3 three times
    coef = rand((3, 2, dim), seed=1)
    emb = gf.embedding_lookup(w, ids)
    assert emb.op.type == "GatherV2" and emb.op.name == "embedding_lookup"
    assert emb.shape.as_list() == [3, 2, dim]
    loss = gf.reduce_sum(emb * coef)
    (gw,) = gf.gradients(loss, [w])
    assert isinstance(gw, gf.IndexedSlices)
    assert gw.shape.as_list() == [vocab, dim]
    dense = gf.convert_to_tensor(gw)
    assert dense.op.type == "UnsortedSegmentSum" and dense.shape.as_list() == [vocab, dim]
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        value, dense_v = sess.run([gw, dense])
    assert isinstance(value, gf.IndexedSlicesValue)
    assert value.values.shape == (ids.size, dim)  # (num_ids, dim), never (vocab, dim)
    assert value.indices.tolist() == ids.reshape(-1).tolist()
    assert value.dense_shape.tolist() == [vocab, dim]
    expected = np.zeros((vocab, dim))
    np.add.at(expected, ids.reshape(-1), coef.reshape(-1, dim))
    np.testing.assert_allclose(value.to_dense(), expected)
    np.testing.assert_allclose(dense_v, expected)
    assert np.allclose(expected[3], coef[:, 0].sum(0))  # the three uses of id 3 summed


def test_two_lookups_aggregate_to_one_indexed_slices(graph) -> None:
    w = gf.placeholder(gf.float64, (6, 2), name="W")
    a = gf.embedding_lookup(w, c32([1, 2]))
    b = gf.embedding_lookup(w, c32([2, 5, 5]))
    (gw,) = gf.gradients(gf.reduce_sum(a) + gf.reduce_sum(b * 2.0), [w])
    assert isinstance(gw, gf.IndexedSlices)
    value = run(gw, {w: rand((6, 2))})
    assert value.values.shape == (5, 2)
    np.testing.assert_allclose(value.to_dense()[:, 0], [0, 1, 3, 0, 0, 4])


def test_indexed_slices_flowing_into_a_dense_rule_is_densified(graph) -> None:
    """gather(transpose(W)): Transpose's gradient rule receives an IndexedSlices."""
    w = gf.placeholder(gf.float64, (3, 5))
    y = gf.gather(gf.transpose(w), c32([4, 0, 4]))
    result = gf.test.check_gradients(y, [w], {w: rand((3, 5))})
    assert result.max_error < 1e-6, str(result)


def test_convert_indexed_slices_with_run_time_dense_shape(graph) -> None:
    values = gf.placeholder(gf.float64, (None, 2))
    indices = gf.placeholder(gf.int32, (None,))
    shape = gf.placeholder(gf.int32, (2,))
    t = gf.convert_to_tensor(gf.IndexedSlices(values, indices, shape))
    assert t.shape.as_list() == [None, 2]
    out = run(t, {values: np.ones((3, 2)), indices: [1, 1, 3], shape: [4, 2]})
    np.testing.assert_array_equal(out, [[0, 0], [2, 2], [0, 0], [1, 1]])


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


# ----------------------------------------------------------------------------------------
# Non-differentiable ops: Range, OneHot, InvertPermutation, ConcatOffset
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args,dtype,expected", [
    ((5,), gf.int32, np.arange(5)),
    ((2, 11, 3), gf.int32, np.arange(2, 11, 3)),
    ((10, 2, -3), gf.int32, np.arange(10, 2, -3)),
    ((0.0, 1.0, 0.25), gf.float32, np.arange(0, 1, 0.25)),
    ((1, 4.5), gf.float32, np.arange(1, 4.5)),
    ((3, 3), gf.int32, np.arange(0)),
])
def test_range_static_folding_and_kernel(graph, args: tuple, dtype: Any,
                                         expected: np.ndarray) -> None:
    r = gf.range(*args)
    assert r.op.type == "Range" and r.dtype == dtype and r.op.name == "range"
    assert r.shape.as_list() == [len(expected)]
    np.testing.assert_allclose(r.spec.value, expected)
    out = run(r)
    np.testing.assert_allclose(out, expected)
    assert out.dtype == dtype.np_dtype and out.shape == tuple(r.shape.as_list())


def test_range_with_run_time_limit_and_errors(graph) -> None:
    n = gf.placeholder(gf.int64, (), name="n")
    r = layout_ops.range_(1, n, 2, name="odds")
    assert r.dtype == gf.int64 and r.shape.as_list() == [None]
    np.testing.assert_array_equal(run(r, {n: 8}), [1, 3, 5, 7])
    with pytest.raises(gf.InvalidArgumentError, match="'odds'.*start 1 must be <= limit -3"):
        run(r, {n: -3})
    with pytest.raises(gf.GraphBuildError, match="Range node 'range'.*delta must not be 0"):
        gf.range(0, 5, 0)


def test_reduce_sum_of_unknown_rank_uses_range(graph) -> None:
    x = gf.placeholder(gf.float64)
    s = gf.reduce_sum(x)
    assert "Range" in {op.type for op in graph.get_operations()}
    assert run(s, {x: np.ones((2, 3, 4))}) == 24


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_one_hot_kernel_static_shape_and_dtype(graph, axis: Any) -> None:
    idx = gf.placeholder(gf.int32, (2, 3))
    y = gf.one_hot(idx, 5, on_value=2.0, off_value=-1.0, axis=axis)
    assert y.op.type == "OneHot" and y.dtype == gf.float32
    iv = np.array([[0, 4, 7], [-1, 2, 2]], np.int32)  # 7 and -1 are out of range: all off
    ref = np.where(iv[..., None] == np.arange(5), 2.0, -1.0)
    ref = np.moveaxis(ref, -1, -1 if axis is None else axis)
    out = run(y, {idx: iv})
    np.testing.assert_array_equal(out, ref)
    assert tuple(y.shape.as_list()) == out.shape
    assert registry.get("OneHot").differentiable is False


def test_one_hot_defaults_and_folding(graph) -> None:
    y = gf.one_hot([1, 0], 3)
    assert y.dtype == gf.float32
    np.testing.assert_array_equal(y.spec.value, [[0, 1, 0], [1, 0, 0]])
    assert gf.one_hot([1], 2, dtype=gf.int64).dtype == gf.int64
    assert gf.one_hot([1], 2, on_value=5, off_value=0).dtype == gf.int32
    with pytest.raises(TypeError):
        gf.one_hot([1], 2, on_value=gf.constant(1.0), dtype=gf.float64)


def test_invert_permutation(graph) -> None:
    p = gf.placeholder(gf.int32, (4,), name="p")
    q = gf.invert_permutation(p)
    np.testing.assert_array_equal(run(q, {p: [2, 0, 3, 1]}), [1, 3, 0, 2])
    assert gf.invert_permutation(c32([1, 2, 0])).spec.value.tolist() == [2, 0, 1]
    with pytest.raises(gf.InvalidArgumentError, match="InvertPermutation.*not a permutation"):
        run(q, {p: [0, 0, 1, 2]})


def test_concat_offset_kernel_and_folding(graph) -> None:
    shapes = [gf.placeholder(gf.int32, (3,)) for _ in range(3)]
    outs = layout_ops.concat_offset(1, shapes)
    values = [[2, 2, 7], [2, 3, 7], [2, 9, 7]]
    got = run(outs, dict(zip(shapes, values)))
    assert [o.tolist() for o in got] == [[0, 0, 0], [0, 2, 0], [0, 5, 0]]
    folded = layout_ops.concat_offset(-2, [c32(v) for v in values])
    assert [o.spec.value.tolist() for o in folded] == [[0, 0, 0], [0, 2, 0], [0, 5, 0]]
    with pytest.raises(gf.InvalidArgumentError, match="does not match"):
        run(outs, dict(zip(shapes, [[2, 2, 7], [3, 3, 7], [2, 9, 7]])))


# ----------------------------------------------------------------------------------------
# Static values (constant folding) and TF wire conventions
# ----------------------------------------------------------------------------------------


def test_shape_arithmetic_folds_so_reshape_gets_a_static_shape(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3, 4))
    target = gf.concat([[-1], gf.shape(x)[1:]], 0)
    np.testing.assert_array_equal(target.spec.value, [-1, 3, 4])
    assert gf.reshape(gf.placeholder(gf.float64, (6, 4, 2)), target).shape.as_list() == [4, 3, 4]
    assert gf.stack([gf.shape(x)[0], 5]).spec.value.tolist() == [2, 5]
    assert gf.tile(gf.constant([1, 2]), [2]).spec.value.tolist() == [1, 2, 1, 2]
    assert gf.transpose(gf.constant([[1, 2]])).spec.value.tolist() == [[1], [2]]
    assert gf.gather(gf.constant([5, 6, 7]), [2, 0]).spec.value.tolist() == [7, 5]
    assert gf.slice(gf.constant([5, 6, 7]), [1], [-1]).spec.value.tolist() == [6, 7]
    assert gf.pad(gf.constant([1]), [[1, 2]]).spec.value.tolist() == [0, 1, 0, 0]
    assert gf.unstack(gf.constant([[1, 2], [3, 4]]))[1].spec.value.tolist() == [3, 4]
    assert gf.unsorted_segment_sum(gf.constant([1, 2, 3]), [1, 0, 1], 2).spec.value.tolist() \
        == [2, 4]


def test_graph_def_uses_tf_input_order_and_attrs(graph) -> None:
    a, b = gf.placeholder(gf.float32, (2, 3), name="a"), gf.placeholder(gf.float32, (2, 1))
    cat = gf.concat([a, b], 1)
    node = cat.op.node_def
    assert node.name == "concat" and list(node.input) == ["a", "Placeholder", "concat/axis"]
    assert cat.op.get_attr("N") == 2 and cat.op.get_attr("Tidx") == gf.int32
    g = gf.gather(a, [1, 0], axis=1)
    assert list(g.op.node_def.input) == ["a", "GatherV2/indices", "GatherV2/axis"]
    assert {k: g.op.get_attr(k) for k in ("Tparams", "Tindices", "Taxis", "batch_dims")} == \
        {"Tparams": gf.float32, "Tindices": gf.int32, "Taxis": gf.int32, "batch_dims": 0}
    t = gf.transpose(a)
    assert t.op.name == "transpose" and t.op.inputs[1].op.name == "transpose/perm"
    assert gf.concat([a], 0).op.type == "Identity"
    pack = gf.stack([a, a], axis=1)
    assert pack.op.type == "Pack" and pack.op.get_attr("axis") == 1
    assert pack.op.get_attr("N") == 2
    u = gf.unstack(a)
    assert len(u) == 2 and u[0].op.get_attr("num") == 2
    h = gf.one_hot(gf.constant([0, 1]), 3)
    assert [h.op.get_attr(k) for k in ("axis", "T", "TI")] == [-1, gf.float32, gf.int32]
    s = gf.slice(a, [0, 1], [1, 2])
    assert s.op.get_attr("Index") == gf.int32


# ----------------------------------------------------------------------------------------
# Errors: build time (node name, op, shapes) and run time (node, bad value, valid range)
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("build,pattern", [
    (lambda a, b: gf.concat([a, b], 0, name="cat"),
     r"ConcatV2 node 'cat'.*same rank.*'a:0' \[float32 \(2, 3\)\].*'b:0' \[float32 \(2, 3, 4\)\]"),
    (lambda a, b: gf.concat([a, a[:, :1]], 0, name="cat"),
     r"ConcatV2 node 'cat'.*dimension 1.*has 1 where an earlier value has 3"),
    (lambda a, b: gf.concat([a, a], 2, name="cat"), r"'cat'.*axis 2 is out of range.*\[-2, 2\)"),
    (lambda a, b: gf.transpose(a, [0, 0], name="tr"),
     r"Transpose node 'tr'.*perm \[0, 0\] is not a permutation.*'a:0' \[float32 \(2, 3\)\]"),
    (lambda a, b: gf.transpose(b, [1, 0], name="tr"), r"'tr'.*perm \[1, 0\].*\(2, 3, 4\)"),
    (lambda a, b: gf.gather(a, gf.constant([0.0, 1.0]), name="g"),
     r"GatherV2 node 'g'.*indices 'Const:0' \[float32 \(2,\)\] must be int32/int64"),
    (lambda a, b: gf.gather(a, [0, 2], name="g"), r"'g'.*indices\[1\] = 2 is not in \[0, 2\)"),
    (lambda a, b: gf.gather(a, [0], batch_dims=1, name="g"), r"'g'.*batch_dims=1"),
    (lambda a, b: gf.slice(a, [1, 1], [2, 1], name="sl"),
     r"Slice node 'sl'.*begin\[0\] = 1 with size\[0\] = 2 is out of bounds.*\(2, 3\)"),
    (lambda a, b: gf.slice(a, [0], [1], name="sl"), r"'sl'.*one entry per dimension"),
    (lambda a, b: gf.pad(a, [[1, 1]], name="p"), r"Pad node 'p'.*\[rank, 2\] = \[2, 2\]"),
    (lambda a, b: gf.stack([a, b], name="st"), r"Pack node 'st'.*same shape.*\(2, 3, 4\)"),
    (lambda a, b: gf.tile(a, [2], name="t"), r"Tile node 't'.*one entry per dimension"),
    (lambda a, b: gf.unstack(a, num=3, name="u"), r"Unpack node 'u'.*num = 3.*\(2, 3\)"),
    (lambda a, b: gf.unsorted_segment_sum(b, [0, 1, 0], 2, name="s"),
     r"UnsortedSegmentSum node 's'.*prefix.*\(2, 3, 4\)"),
    (lambda a, b: gf.unsorted_segment_sum(a, [0, 3], 2, name="s"),
     r"'s'.*segment id 3 is out of range \[0, 2\)"),
    (lambda a, b: a[0, 1, 2], r"StridedSlice node 'strided_slice'.*3 dimensions.*rank 2"),
    (lambda a, b: a[2], r"'strided_slice'.*index 2 is out of bounds.*\[-2, 2\)"),
    (lambda a, b: a[::0], r"'strided_slice'.*strides\[0\] must be non-zero"),
    (lambda a, b: a[..., 0, ...], r"at most one ellipsis"),
    (lambda a, b: gf.one_hot([[0]], 3, axis=3, name="oh"), r"OneHot node 'oh'.*axis 3"),
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


def test_builder_argument_errors(graph) -> None:
    x = gf.placeholder(gf.float32, (2, 3))
    with pytest.raises(NotImplementedError, match="REFLECT"):
        gf.pad(x, [[1, 1], [0, 0]], mode="REFLECT")
    with pytest.raises(NotImplementedError, match="sharded"):
        gf.embedding_lookup([x, x], [0])
    with pytest.raises(ValueError, match="pass num="):
        gf.unstack(gf.placeholder(gf.float32, (None, 3)))
    with pytest.raises(TypeError, match="integers"):
        gf.tile(x, [1.5, 2])


@pytest.mark.parametrize("indices,message", [
    ([0, 5, 1], r"GatherV2 node 'lookup': indices\[1\] = 5 is not in \[0, 4\)"),
    ([[0, 1], [-1, 2]], r"'lookup': indices\[1\]\[0\] = -1 is not in \[0, 4\)"),
])
def test_gather_out_of_range_at_run_time(graph, indices: list, message: str) -> None:
    params = gf.placeholder(gf.float64, (None, 2))
    ids = gf.placeholder(gf.int32, name="ids")
    y = gf.gather(params, ids, name="lookup")
    with pytest.raises(gf.InvalidArgumentError, match=message) as info:
        run(y, {params: np.ones((4, 2)), ids: np.array(indices, np.int32)})
    assert info.value.node_name == "lookup"


def test_run_time_errors_of_slicing_and_segments(graph) -> None:
    x = gf.placeholder(gf.float64, (None, 3))
    s = gf.slice(x, [1, 0], [2, -1], name="sl")
    with pytest.raises(gf.InvalidArgumentError, match=r"Slice node 'sl'.*\(2, 3\)"):
        run(s, {x: np.ones((2, 3))})
    r = x[3]
    with pytest.raises(gf.InvalidArgumentError, match=r"'strided_slice'.*index 3 is out of bounds"):
        run(r, {x: np.ones((2, 3))})
    ids = gf.placeholder(gf.int32, (None,))
    seg = gf.unsorted_segment_sum(x, ids, 2, name="seg")
    with pytest.raises(gf.InvalidArgumentError, match=r"'seg'.*segment_ids\[1\] = 2.*\[0, 2\)"):
        run(seg, {x: np.ones((2, 3)), ids: [0, 2]})
    u = gf.unstack(x, num=2, axis=0, name="u")
    with pytest.raises(gf.InvalidArgumentError, match=r"Unpack node 'u'.*num = 2"):
        run(u, {x: np.ones((3, 3))})
