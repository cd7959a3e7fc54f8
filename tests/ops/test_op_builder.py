"""``graphflow.ops.op_builder``: the helpers every builder uses — the graph of the inputs,
TF1's ``convert_to_tensor`` (Tensors pass through dtype-checked, registered types convert
themselves, Python values become Consts), ``int_input`` for index/shape arguments,
``dense`` for IndexedSlices gradients, and ``raw_op``/``raw_sum`` (one node of a given op
type, built exactly as the family's own builder builds it)."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import op_builder

from .helpers import run


def test_graph_of_prefers_the_inputs_graph(graph) -> None:
    other = gf.Graph()
    with other.as_default():
        t = gf.constant(1.0)
    assert op_builder.graph_of(2.0, [3.0, t]) is other
    assert op_builder.graph_of(2.0) is graph


def test_convert_to_tensor_passes_tensors_and_checks_dtypes(graph) -> None:
    x = gf.placeholder(gf.float32, (2,), name="x")
    assert op_builder.convert_to_tensor(x) is x
    assert op_builder.convert_to_tensor(x, dtype=gf.float32) is x
    with pytest.raises(TypeError, match=r"'x:0' has dtype float32 but float64.*gf.cast"):
        op_builder.convert_to_tensor(x, dtype=gf.float64)
    with pytest.raises(TypeError, match="has no value"):
        op_builder.convert_to_tensor(x.op)
    with pytest.raises(TypeError, match="None"):
        op_builder.convert_to_tensor(None)
    with pytest.raises(TypeError, match="gf.cast"):
        op_builder.convert_to_tensor(np.array([1.5]), dtype=gf.int32)


def test_convert_to_tensor_makes_consts_and_uses_preferred_dtype(graph) -> None:
    c = op_builder.convert_to_tensor([1, 2], name="c")
    assert c.op.type == "Const" and c.op.name == "c" and c.dtype == gf.int32
    p = op_builder.convert_to_tensor(3, preferred_dtype=gf.float64)
    assert p.dtype == gf.float64 and run(p) == 3.0
    # the preference is dropped when the value does not fit it
    s = op_builder.convert_to_tensor("text", preferred_dtype=gf.float32)
    assert s.dtype == gf.string


def test_convert_n_gives_python_numbers_the_tensors_dtype(graph) -> None:
    x = gf.placeholder(gf.float64, (2,))
    a, b = op_builder.convert_n([2, x])
    assert a.dtype == gf.float64 and b is x


def test_registered_conversions_apply(graph) -> None:
    v = gf.Variable(np.ones(2), name="v")
    assert op_builder.convert_to_tensor(v) is v.value()
    values = gf.constant(np.ones((2, 3)))
    dense = op_builder.convert_to_tensor(
        gf.IndexedSlices(values, gf.constant([0, 2]), gf.constant([4, 3])))
    assert dense.op.type == "UnsortedSegmentSum"
    np.testing.assert_array_equal(run(dense), [[1, 1, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0]])


def test_int_input(graph) -> None:
    c = op_builder.int_input([1, 2], "begin")
    assert c.op.type == "Const" and c.op.name == "begin" and c.dtype == gf.int32
    assert op_builder.int_input([2 ** 40], "big").dtype == gf.int64
    assert op_builder.int_input([1], "forced", dtype=gf.int64).dtype == gf.int64
    n = gf.placeholder(gf.int32, (), name="n")
    assert op_builder.int_input(n, "size") is n
    packed = op_builder.int_input([n, 3], "shape")
    assert packed.op.type == "Pack" and packed.op.name == "shape"
    assert packed.op.get_attr("N") == 2 and packed.op.get_attr("axis") == 0
    np.testing.assert_array_equal(run(packed, {n: 7}), [7, 3])
    with pytest.raises(TypeError, match="begin must be integers"):
        op_builder.int_input([1.5], "begin")


def test_dense_passes_tensors_and_densifies_indexed_slices(graph) -> None:
    t = gf.constant([1.0])
    assert op_builder.dense(t) is t and op_builder.dense(None) is None
    s = gf.IndexedSlices(gf.constant([[1.0, 2.0]]), gf.constant([1]), gf.constant([2, 2]))
    np.testing.assert_array_equal(run(op_builder.dense(s)), [[0, 0], [1, 2]])


def test_raw_sum_builds_the_node_reduce_sum_builds(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3), name="x")
    raw = op_builder.raw_sum(x, [1])
    built = gf.reduce_sum(x, [1])
    for a, b in ((raw, built), (raw.op.inputs[1], built.op.inputs[1])):
        assert a.op.type == b.op.type
        assert dict(a.op.node_def.attr) == dict(b.op.node_def.attr)
    assert raw.op.name == "Sum" and raw.op.inputs[1].op.name == "Const"
    axes = gf.placeholder(gf.int64, (None,), name="axes")
    dyn = op_builder.raw_sum(x, axes, keep_dims=True)
    assert dyn.op.get_attr("Tidx") == gf.int64 and dyn.op.get_attr("keep_dims") is True
    np.testing.assert_allclose(run(dyn, {x: np.ones((2, 3)), axes: [0]}), [[2, 2, 2]])


def test_raw_op_converts_python_inputs_to_int32_consts(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3), name="x")
    y = op_builder.raw_op("Reshape", [x, [3, 2]], {"T": gf.float64, "Tshape": gf.int32},
                          name="r")
    assert y.op.name == "r" and y.op.inputs[1].dtype == gf.int32
    assert y.shape.as_list() == [3, 2]
    assert op_builder.raw_op("Shape", [x], {"T": gf.float64}).op.name == "Shape"
