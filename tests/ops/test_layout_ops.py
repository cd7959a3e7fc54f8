"""``graphflow.ops.layout_ops``: Transpose, InvertPermutation, ConcatV2, ConcatOffset, Pack,
Unpack, Tile, Range, Slice and Pad — kernel vs numpy, static shape rule vs the kernel's
output (distinct dims, fully known and partially unknown placeholders), float64 gradient
checks (which exercise the static and the run-time-shape gradient paths), constant folding,
TF wire conventions, and build/run-time errors that name the node."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import layout_ops

from . import helpers
from .helpers import Case, c32, case_ids, rand, run

# ----------------------------------------------------------------------------------------
# The table: every differentiable op, three layers, fully known and partially known inputs
# ----------------------------------------------------------------------------------------


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
    mine = helpers.differentiable_records(layout_ops)
    assert mine <= covered, mine - covered


# ----------------------------------------------------------------------------------------
# Gradients with run-time permutations, begins and paddings
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




# ----------------------------------------------------------------------------------------
# Non-differentiable ops: Range, InvertPermutation, ConcatOffset
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


def test_layout_ops_fold_constants(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3, 4))
    assert gf.stack([gf.shape(x)[0], 5]).spec.value.tolist() == [2, 5]
    assert gf.tile(gf.constant([1, 2]), [2]).spec.value.tolist() == [1, 2, 1, 2]
    assert gf.transpose(gf.constant([[1, 2]])).spec.value.tolist() == [[1], [2]]
    assert gf.slice(gf.constant([5, 6, 7]), [1], [-1]).spec.value.tolist() == [6, 7]
    assert gf.pad(gf.constant([1]), [[1, 2]]).spec.value.tolist() == [0, 1, 0, 0]
    assert gf.unstack(gf.constant([[1, 2], [3, 4]]))[1].spec.value.tolist() == [3, 4]


def test_graph_def_uses_tf_input_order_and_attrs(graph) -> None:
    a, b = gf.placeholder(gf.float32, (2, 3), name="a"), gf.placeholder(gf.float32, (2, 1))
    cat = gf.concat([a, b], 1)
    node = cat.op.node_def
    assert node.name == "concat" and list(node.input) == ["a", "Placeholder", "concat/axis"]
    assert cat.op.get_attr("N") == 2 and cat.op.get_attr("Tidx") == gf.int32
    t = gf.transpose(a)
    assert t.op.name == "transpose" and t.op.inputs[1].op.name == "transpose/perm"
    assert gf.concat([a], 0).op.type == "Identity"
    pack = gf.stack([a, a], axis=1)
    assert pack.op.type == "Pack" and pack.op.get_attr("axis") == 1
    assert pack.op.get_attr("N") == 2
    u = gf.unstack(a)
    assert len(u) == 2 and u[0].op.get_attr("num") == 2
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
    (lambda a, b: gf.slice(a, [1, 1], [2, 1], name="sl"),
     r"Slice node 'sl'.*begin\[0\] = 1 with size\[0\] = 2 is out of bounds.*\(2, 3\)"),
    (lambda a, b: gf.slice(a, [0], [1], name="sl"), r"'sl'.*one entry per dimension"),
    (lambda a, b: gf.pad(a, [[1, 1]], name="p"), r"Pad node 'p'.*\[rank, 2\] = \[2, 2\]"),
    (lambda a, b: gf.stack([a, b], name="st"), r"Pack node 'st'.*same shape.*\(2, 3, 4\)"),
    (lambda a, b: gf.tile(a, [2], name="t"), r"Tile node 't'.*one entry per dimension"),
    (lambda a, b: gf.unstack(a, num=3, name="u"), r"Unpack node 'u'.*num = 3.*\(2, 3\)"),
])
def test_build_errors_name_node_op_and_shapes(graph, build: Any, pattern: str) -> None:
    a = gf.placeholder(gf.float32, (2, 3), name="a")
    b = gf.placeholder(gf.float32, (2, 3, 4), name="b")
    with pytest.raises(gf.GraphBuildError, match=pattern):
        build(a, b)


def test_builder_argument_errors(graph) -> None:
    x = gf.placeholder(gf.float32, (2, 3))
    with pytest.raises(NotImplementedError, match="REFLECT"):
        gf.pad(x, [[1, 1], [0, 0]], mode="REFLECT")
    with pytest.raises(ValueError, match="pass num="):
        gf.unstack(gf.placeholder(gf.float32, (None, 3)))
    with pytest.raises(TypeError, match="integers"):
        gf.tile(x, [1.5, 2])


def test_run_time_errors_of_slicing_and_unstacking(graph) -> None:
    x = gf.placeholder(gf.float64, (None, 3))
    s = gf.slice(x, [1, 0], [2, -1], name="sl")
    with pytest.raises(gf.InvalidArgumentError, match=r"Slice node 'sl'.*\(2, 3\)"):
        run(s, {x: np.ones((2, 3))})
    u = gf.unstack(x, num=2, axis=0, name="u")
    with pytest.raises(gf.InvalidArgumentError, match=r"Unpack node 'u'.*num = 2"):
        run(u, {x: np.ones((3, 3))})
