"""``graphflow.ops.gather_ops``: GatherV2 (+ ``embedding_lookup``, whose gradient is an
IndexedSlices of the looked-up rows), UnsortedSegmentSum (+ densifying IndexedSlices),
OneHot and ArgMax/ArgMin — kernel vs numpy, static shape rule vs the kernel's output,
float64 gradients, TF wire conventions, and build/run-time errors that name the node."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import gather_ops, row_updates

from . import helpers
from .helpers import Case, c32, case_ids, rand, run

# ----------------------------------------------------------------------------------------
# The table: three layers, fully known and partially known inputs
# ----------------------------------------------------------------------------------------


def _segment_sum_ref(data: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n,) + data.shape[ids.ndim:])
    for pos in np.ndindex(*ids.shape):
        if ids[pos] >= 0:
            out[ids[pos]] += data[pos]
    return out


SEG_IDS = np.array([2, 0, 2, 3, -1])  # a duplicate and a dropped (negative) id
CASES = [
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
    covered = {c.op_type for c in CASES}
    mine = helpers.differentiable_records(gather_ops)
    assert mine <= covered, mine - covered


# ----------------------------------------------------------------------------------------
# IndexedSlices gradients of lookups
# ----------------------------------------------------------------------------------------


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




# ----------------------------------------------------------------------------------------
# OneHot
# ----------------------------------------------------------------------------------------


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




# ----------------------------------------------------------------------------------------
# ArgMax / ArgMin
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("build,ref,op_type", [(gf.argmax, np.argmax, "ArgMax"),
                                            (gf.argmin, np.argmin, "ArgMin")])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_arg_reductions_kernel_and_shape(graph, build: Any, ref: Any, op_type: str,
                                         axis: int) -> None:
    xv = np.array([[3.0, -1.0, 3.0, 0.5], [2.0, 7.0, -4.0, 7.0], [0.0, 0.0, 1.0, -2.0]])
    x = gf.placeholder(gf.float64, (None, 4))
    y = build(x, axis)
    assert y.op.type == op_type and y.dtype == gf.int64
    assert y.shape.as_list() == ([4] if axis == 0 else [None])
    out = run(y, {x: xv})
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, ref(xv, axis=axis))  # first index on ties
    assert registry.get(op_type).differentiable is False


def test_arg_reductions_attrs_dtypes_and_errors(graph) -> None:
    x = gf.placeholder(gf.int32, (2, 5), name="x")
    y = gf.argmax(x, 1, output_type=gf.int32, name="am")
    assert y.dtype == gf.int32 and y.op.get_attr("output_type") == gf.int32
    assert list(y.op.node_def.input) == ["x", "dimension"]
    np.testing.assert_array_equal(run(y, {x: [[1, 5, 2, 5, 0], [9, 1, 1, 0, 9]]}), [1, 0])
    assert gf.argmin(gf.constant([4.0, 1.0, 3.0])).shape.as_list() == []
    assert gf.argmax(gf.placeholder(gf.float32)).shape.rank is None
    with pytest.raises(gf.GraphBuildError, match=r"ArgMax node 'bad'.*axis 2.*rank 2"):
        gf.argmax(x, 2, name="bad")
    with pytest.raises(gf.GraphBuildError, match=r"ArgMin node.*numeric"):
        gf.argmin(gf.constant([True, False]))


# ----------------------------------------------------------------------------------------
# Static values (constant folding) and TF wire conventions
# ----------------------------------------------------------------------------------------


def test_gather_ops_fold_constants(graph) -> None:
    assert gf.gather(gf.constant([5, 6, 7]), [2, 0]).spec.value.tolist() == [7, 5]
    assert gf.unsorted_segment_sum(gf.constant([1, 2, 3]), [1, 0, 1], 2).spec.value.tolist() \
        == [2, 4]


def test_graph_def_uses_tf_input_order_and_attrs(graph) -> None:
    a = gf.placeholder(gf.float32, (2, 3), name="a")
    g = gf.gather(a, [1, 0], axis=1)
    assert list(g.op.node_def.input) == ["a", "GatherV2/indices", "GatherV2/axis"]
    assert {k: g.op.get_attr(k) for k in ("Tparams", "Tindices", "Taxis", "batch_dims")} == \
        {"Tparams": gf.float32, "Tindices": gf.int32, "Taxis": gf.int32, "batch_dims": 0}
    h = gf.one_hot(gf.constant([0, 1]), 3)
    assert [h.op.get_attr(k) for k in ("axis", "T", "TI")] == [-1, gf.float32, gf.int32]


# ----------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("build,pattern", [
    (lambda a, b: gf.gather(a, gf.constant([0.0, 1.0]), name="g"),
     r"GatherV2 node 'g'.*indices 'Const:0' \[float32 \(2,\)\] must be int32/int64"),
    (lambda a, b: gf.gather(a, [0, 2], name="g"), r"'g'.*indices\[1\] = 2 is not in \[0, 2\)"),
    (lambda a, b: gf.gather(a, [0], batch_dims=1, name="g"), r"'g'.*batch_dims=1"),
    (lambda a, b: gf.unsorted_segment_sum(b, [0, 1, 0], 2, name="s"),
     r"UnsortedSegmentSum node 's'.*prefix.*\(2, 3, 4\)"),
    (lambda a, b: gf.unsorted_segment_sum(a, [0, 3], 2, name="s"),
     r"'s'.*segment id 3 is out of range \[0, 2\)"),
    (lambda a, b: gf.one_hot([[0]], 3, axis=3, name="oh"), r"OneHot node 'oh'.*axis 3"),
])
def test_build_errors_name_node_op_and_shapes(graph, build: Any, pattern: str) -> None:
    a = gf.placeholder(gf.float32, (2, 3), name="a")
    b = gf.placeholder(gf.float32, (2, 3, 4), name="b")
    with pytest.raises(gf.GraphBuildError, match=pattern):
        build(a, b)


def test_builder_argument_errors(graph) -> None:
    x = gf.placeholder(gf.float32, (2, 3))
    with pytest.raises(NotImplementedError, match="sharded"):
        gf.embedding_lookup([x, x], [0])
    with pytest.raises(NotImplementedError, match="max_norm"):
        gf.embedding_lookup(x, [0], max_norm=1.0)


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


def test_run_time_errors_of_segments(graph) -> None:
    x = gf.placeholder(gf.float64, (None, 3))
    ids = gf.placeholder(gf.int32, (None,))
    seg = gf.unsorted_segment_sum(x, ids, 2, name="seg")
    with pytest.raises(gf.InvalidArgumentError, match=r"'seg'.*segment_ids\[1\] = 2.*\[0, 2\)"):
        run(seg, {x: np.ones((2, 3)), ids: [0, 2]})


# ----------------------------------------------------------------------------------------
# Duplicate-safe row updates: bit-identical to ufunc.at over every row
# ----------------------------------------------------------------------------------------


def _row_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    return [
        ("unique", rng.permutation(40)[:25], np.empty(0)),
        ("few_repeats", rng.integers(0, 40, 60), np.empty(0)),
        ("one_id_everywhere", np.full(30, 3), np.empty(0)),
        ("padding_id_heavy", np.where(rng.random(80) < 0.5, 0, rng.integers(0, 40, 80)),
         np.empty(0)),
        ("empty", np.zeros(0, np.int64), np.empty(0)),
        ("matrix_of_ids", rng.integers(0, 40, (6, 5)), np.empty(0)),
        # every round of first occurrences, then ufunc.at for the repeats left
        ("many_rounds", rng.integers(0, 40, 2000), np.empty(0)),
        ("rounds_then_few", np.concatenate([rng.permutation(40)] * 3 + [np.arange(5)]),
         np.empty(0)),
    ]


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


_FLAT = {"_SMALL": 1 << 62, "_SORT_MAX": 1024}
_ROUNDS = {"_SMALL": 0, "_SORT_MAX": 0}
_PATHS: dict[str, dict[str, Any]] = {
    "flat": {**_FLAT, "SMALL_DISTINCT_ROWS": False},
    "small_distinct_or_flat": _FLAT,
    "sorted_ids": {"_SMALL": 0, "_SORT_MAX": 1024},
    "keyed_ids": _ROUNDS,
    "stamped_ids": {**_ROUNDS, "SORTED_FIRST_OCCURRENCES": False},
    # rounds in chunks of a few rows (a chunk boundary inside every round), or in one pass
    "keyed_ids_small_chunks": {**_ROUNDS, "_CHUNK_BYTES": 56},
    "stamped_ids_small_chunks": {**_ROUNDS, "_CHUNK_BYTES": 56,
                                 "SORTED_FIRST_OCCURRENCES": False},
    "keyed_ids_unchunked": {**_ROUNDS, "CHUNKED_ROW_UPDATES": False},
}


def _row_path(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """Force one of RowUpdate's paths: flat ufunc.at (small updates), whole rows when a small
    update's ids are distinct (else flat), rounds of whole rows with the first-occurrence
    mask from a stable sort (few ids), from sorted int64 keys or from a stamp (many), in
    chunks of a few bytes or in one pass."""
    for name, value in _PATHS[path].items():
        monkeypatch.setattr(row_updates, name, value)


@pytest.mark.parametrize("path", list(_PATHS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.complex64])
@pytest.mark.parametrize("ufunc", [np.add, np.subtract])
@pytest.mark.parametrize("name,indices,_", _row_cases(), ids=[c[0] for c in _row_cases()])
def test_row_update_is_bit_identical_to_ufunc_at(name: str, indices: np.ndarray, _: Any,
                                                 dtype: Any, ufunc: Any, path: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _row_path(monkeypatch, path)
    rng = np.random.default_rng(3)
    target = (rng.standard_normal((40, 3, 2)) * 100).astype(dtype)
    updates = (rng.standard_normal(indices.shape + (3, 2)) * 100).astype(dtype)
    if dtype == np.float32 and updates.size:  # -0.0 + 0.0 and inf - inf must match too
        updates.reshape(-1)[:3] = [-0.0, np.inf, -np.inf]
        target.reshape(-1)[:2] = [0.0, np.inf]
    expected = target.copy()
    with np.errstate(all="ignore"):
        ufunc.at(expected, indices, updates)
        planned = row_updates.RowUpdate(updates.shape, 2, lambda s, d: np.empty(s, d))
        for _run in range(2):  # the plan-lifetime work arrays are reused
            got = target.copy()
            planned(ufunc, got, indices, updates)
            assert _same_bits(got, expected)
        got = target.copy()
        row_updates.update_rows(ufunc, got, indices, updates)
    assert _same_bits(got, expected)


def test_row_update_exact_even_if_repeated_assignments_kept_the_first_write(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The stamped first-occurrence mask does not trust numpy's order of repeated fancy
    assignments: when the claimed positions are not the first ones it falls back to an
    exact minimum (np.minimum.at), and the result is still bit-identical."""
    _row_path(monkeypatch, "stamped_ids")

    class ForwardClaim(row_updates.RowUpdate):
        def _claim(self, stamp: np.ndarray, idx: np.ndarray) -> None:
            stamp[idx] = self.order  # the last occurrence wins: not the first position

    rng = np.random.default_rng(5)
    indices = rng.integers(0, 10, 50)
    target = rng.standard_normal((10, 4)).astype(np.float32)
    updates = rng.standard_normal((50, 4)).astype(np.float32) * 1e3
    expected = target.copy()
    np.subtract.at(expected, indices, updates)
    got = target.copy()
    ForwardClaim(updates.shape, 1, lambda s, d: np.empty(s, d))(np.subtract, got, indices,
                                                                 updates)
    assert _same_bits(got, expected)


@pytest.mark.parametrize("path", list(_PATHS))
def test_row_update_switch_off_gives_the_same_bits(monkeypatch: pytest.MonkeyPatch,
                                                   path: str) -> None:
    _row_path(monkeypatch, path)
    rng = np.random.default_rng(9)
    indices = rng.integers(0, 30, 200)
    target = rng.standard_normal((30, 5)).astype(np.float32)
    updates = rng.standard_normal((200, 5)).astype(np.float32)
    on = target.copy()
    row_updates.update_rows(np.subtract, on, indices, updates)
    monkeypatch.setattr(row_updates, "FAST_ROW_UPDATES", False)
    off = target.copy()
    row_updates.update_rows(np.subtract, off, indices, updates)
    assert _same_bits(on, off)


def test_small_distinct_update_moves_whole_rows_and_repeats_take_the_flat_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A small update with distinct ids goes through one whole-row gather/scatter (no
    ufunc.at); one repeated id sends it down the flat ufunc.at path; both match ufunc.at."""
    _row_path(monkeypatch, "small_distinct_or_flat")
    calls: list[str] = []
    real_at = np.subtract.at

    class CountingUfunc:  # np.subtract, recording which path ran
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            calls.append("rows")
            return np.subtract(*args, **kwargs)

        def at(self, *args: Any) -> None:
            calls.append("at")
            real_at(*args)

    rng = np.random.default_rng(13)
    target = rng.standard_normal((100, 4)).astype(np.float32)
    updates = rng.standard_normal((6, 4)).astype(np.float32)
    planned = row_updates.RowUpdate(updates.shape, 1, lambda s, d: np.empty(s, d))
    for indices, path in ((np.array([7, 3, 99, 0, 42, 8], np.int32), "rows"),
                          (np.array([7, 3, 99, 3, 42, 8], np.int32), "at")):
        expected = target.copy()
        np.subtract.at(expected, indices, updates)
        got = target.copy()
        calls.clear()
        planned(CountingUfunc(), got, indices, updates)
        assert calls == [path]
        assert _same_bits(got, expected)


def test_row_update_on_a_strided_target_and_mixed_dtypes() -> None:
    """Targets the fast path does not take (a strided view; float64 updates into a float32
    target) still get ufunc.at's result."""
    rng = np.random.default_rng(11)
    indices = np.array([1, 5, 1, 11, 5, 5])
    strided = rng.standard_normal((12, 8))[:, ::2]
    updates = rng.standard_normal((6, 4))
    expected = strided.copy()
    np.add.at(expected, indices, updates)
    row_updates.update_rows(np.add, strided, indices, updates)
    assert _same_bits(np.ascontiguousarray(strided), expected)
    narrow = rng.standard_normal((12, 4)).astype(np.float32)
    expected = narrow.copy()
    np.add.at(expected, indices, updates)
    row_updates.update_rows(np.add, narrow, indices, updates)
    assert _same_bits(narrow, expected)


def test_segment_sum_kernel_is_bit_identical_to_np_add_at() -> None:
    rng = np.random.default_rng(13)
    data = rng.standard_normal((300, 7)).astype(np.float32)
    ids = rng.integers(-1, 20, 300)
    expected = np.zeros((20, 7), np.float32)
    keep = ids >= 0
    np.add.at(expected, ids[keep], data[keep])
    got = run(gf.math.unsorted_segment_sum(gf.constant(data), gf.constant(ids), 20))
    assert _same_bits(np.asarray(got), expected)


@pytest.mark.parametrize("fast,small", [(True, True), (True, False), (False, False)])
@pytest.mark.parametrize("dtype,index_dtype", [(np.float32, np.int32), (np.float64, np.int64),
                                               (np.int32, np.int32), (np.bool_, np.int64),
                                               (np.int64, np.int32)])
def test_planned_row_gather_copies_the_same_bytes(monkeypatch: pytest.MonkeyPatch, fast: bool,
                                                  small: bool, dtype: Any, index_dtype: Any
                                                  ) -> None:
    """The planned axis-0 gather (bounds checked by numpy's take itself on uint32-viewed
    int32 indices for a small output, by one unsigned max, or a min and a max with the
    switches off) gives exactly np.take's bytes — NaN payloads and -0.0 included — and the
    same errors naming the first bad index."""
    monkeypatch.setattr(gather_ops, "FAST_ROW_GATHER", fast)
    monkeypatch.setattr(gather_ops, "CHECKED_SMALL_GATHERS", small)
    rng = np.random.default_rng(17)
    table = (rng.standard_normal((30, 3, 2)) * 10).astype(dtype)
    if dtype == np.float32:
        table.view(np.uint32).reshape(-1)[:2] = [0x7FC00123, 0x80000000]  # NaN payload, -0.0
    ids = rng.integers(0, 30, (4, 5)).astype(index_dtype)
    ids[0, :2] = [0, 29]
    with gf.Graph().as_default() as g:
        params = gf.placeholder(dtype, [None, 3, 2], name="params")
        idx = gf.placeholder(index_dtype, [None, 5], name="idx")
        rows = gf.gather(params, idx, name="rows")
        out = gf.gather(rows, c32([0, 1, 2, 3]))  # rows is not fetched: a planned buffer
        with gf.Session(graph=g) as s:
            assert any(st.op_type == "GatherV2" and st.out_buffers != (None,)
                       for st in s.explain(out, {params: table, idx: ids}).steps)
            for _ in range(2):
                got = s.run(out, {params: table, idx: ids})
                assert got.tobytes() == np.take(table, ids, axis=0).tobytes()
            signature = next(sig for sig in s._plans.values() if sig.feeds)
            bound = next(iter(signature.by_shape.values()))
            kernel = bound.kernels[next(i for i, st in enumerate(bound.plan.steps)
                                        if st.name == "rows")]
            assert kernel.__name__ == ("gather_small" if small and index_dtype == np.int32
                                       else "gather_rows")
            for bad in (-1, 30):
                wrong = ids.copy()
                wrong[2, 3] = bad
                with pytest.raises(gf.InvalidArgumentError, match=rf"indices\[2\]\[3\] = {bad} "
                                   r"is not in \[0, 30\)") as info:
                    s.run(out, {params: table, idx: wrong})
                assert info.value.node_name == "rows"


def test_ids_that_keep_repeating_skip_the_distinct_check_and_keep_their_bits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """After k checks in a row found repeats, the next 2^(k-1) - 1 calls skip the check
    (flat path); a batch of distinct ids is taken by whole rows again once a check runs.
    Every call gives ufunc.at's bits whichever path ran."""
    _row_path(monkeypatch, "small_distinct_or_flat")
    checks = 0
    real = row_updates.RowUpdate._distinct

    def counted(self: Any, indices: np.ndarray) -> bool:
        nonlocal checks
        checks += 1
        return real(self, indices)

    monkeypatch.setattr(row_updates.RowUpdate, "_distinct", counted)
    rng = np.random.default_rng(17)
    target = rng.standard_normal((50, 3)).astype(np.float32)
    updates = rng.standard_normal((8, 3)).astype(np.float32)
    planned = row_updates.RowUpdate(updates.shape, 1, lambda s, d: np.empty(s, d))
    repeating = np.array([1, 2, 2, 3, 4, 5, 6, 7], np.int32)
    distinct = np.array([9, 1, 40, 3, 4, 5, 6, 7], np.int32)
    got, expected = target.copy(), target.copy()
    checked_at = []
    for call in range(12):
        before = checks
        planned(np.subtract, got, repeating, updates)
        np.subtract.at(expected, repeating, updates)
        if checks > before:
            checked_at.append(call)
    assert checked_at == [0, 1, 3, 7]  # gaps of 0, 1, 3: 2^(k-1) - 1 skipped calls
    assert _same_bits(got, expected)
    for _call in range(8):  # skipped calls, then a check that finds the ids distinct
        planned(np.subtract, got, distinct, updates)
        np.subtract.at(expected, distinct, updates)
    assert planned.failed_checks == 0 and planned.skip_checks == 0
    assert _same_bits(got, expected)


def test_a_large_planned_gather_keeps_its_buffer_and_bounds_check() -> None:
    """Past _SMALL_GATHER_BYTES the planned gather writes into its planned buffer (a fresh
    array per run would cost page faults) after the separate bounds check."""
    rng = np.random.default_rng(19)
    table = rng.standard_normal((1000, 64)).astype(np.float32)
    ids = rng.integers(0, 1000, 300).astype(np.int32)
    assert ids.size * 64 * 4 > gather_ops._SMALL_GATHER_BYTES
    with gf.Graph().as_default() as g:
        params = gf.placeholder(gf.float32, [None, 64])
        idx = gf.placeholder(gf.int32, [None])
        out = gf.gather(gf.gather(params, idx, name="rows"), c32([0, 1]))
        with gf.Session(graph=g) as s:
            got = s.run(out, {params: table, idx: ids})
            signature = next(sig for sig in s._plans.values() if sig.feeds)
            bound = next(iter(signature.by_shape.values()))
            step = next(i for i, st in enumerate(bound.plan.steps) if st.name == "rows")
            assert bound.kernels[step].__name__ == "gather_rows"
            np.testing.assert_array_equal(got, table[ids[:2]])
            ids[5] = -3
            with pytest.raises(gf.InvalidArgumentError, match=r"indices\[5\] = -3"):
                s.run(out, {params: table, idx: ids})


def test_the_distinct_check_back_off_stops_at_63_skipped_calls(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _row_path(monkeypatch, "small_distinct_or_flat")
    target = np.zeros((10, 2), np.float32)
    updates = np.ones((4, 2), np.float32)
    planned = row_updates.RowUpdate(updates.shape, 1, lambda s, d: np.empty(s, d))
    ids = np.array([1, 1, 2, 3], np.int32)
    for _call in range(3000):
        planned(np.add, target, ids, updates)
        assert planned.skip_checks <= 63 and planned.failed_checks <= 7
    assert planned.failed_checks == 7  # it reached the cap
    expected = np.zeros((10, 2), np.float32)
    np.add.at(expected, np.tile(ids, 3000), np.ones((12000, 2), np.float32))
    assert _same_bits(target, expected)
