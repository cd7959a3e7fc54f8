"""``graphflow.ops.tensor_array_ops``: the TensorArray op records outside loops — kernel
values vs numpy, shape rules vs the kernels' real outputs, every run-time check by type and
message (TensorFlow's wording), the per-run resources and the gradient arrays, float64
gradients vs central finite differences, and TensorFlow's records (names, attrs, flags).
The ``gf.TensorArray`` class, and graphs from and to TensorFlow, are tested in
``test_tensor_array.py``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import tensor_array as build
from graphflow.ops import tensor_array_ops as ta_ops

from .helpers import assert_gradients, rand, run

F64 = gf.float64
TA_OPS = ["TensorArrayV3", "TensorArrayWriteV3", "TensorArrayReadV3", "TensorArrayGatherV3",
          "TensorArrayScatterV3", "TensorArraySizeV3", "TensorArrayConcatV3",
          "TensorArraySplitV3", "TensorArrayCloseV3", "TensorArrayGradV3"]


def raw(size: Any = 3, dtype: Any = gf.float32, **attrs: Any) -> tuple[gf.Tensor, gf.Tensor]:
    """A TensorArrayV3 node: (handle, flow)."""
    return build.tensor_array_v3(size, dtype, **attrs)


def fails(fetches: Any, match: str, feeds: dict[Any, Any] | None = None,
          error: type[Exception] = gf.InvalidArgumentError) -> str:
    """Running ``fetches`` raises ``error`` (on both plans, with the same message) naming a
    node; returns the message."""
    with pytest.raises(error, match=match) as info:
        run(fetches, feeds)
    msg = str(info.value)
    assert " node '" in msg, msg
    return msg


# ----------------------------------------------------------------------------------------
# The records: TensorFlow's definitions
# ----------------------------------------------------------------------------------------


def test_records_have_tensorflows_inputs_flags_and_gradient_registration() -> None:
    expect_inputs = {
        "TensorArrayV3": ("size",), "TensorArrayWriteV3": ("handle", "index", "value",
                                                           "flow_in"),
        "TensorArrayReadV3": ("handle", "index", "flow_in"),
        "TensorArrayGatherV3": ("handle", "indices", "flow_in"),
        "TensorArrayScatterV3": ("handle", "indices", "value", "flow_in"),
        "TensorArraySizeV3": ("handle", "flow_in"), "TensorArrayConcatV3": ("handle", "flow_in"),
        "TensorArraySplitV3": ("handle", "value", "lengths", "flow_in"),
        "TensorArrayCloseV3": ("handle",), "TensorArrayGradV3": ("handle", "flow_in")}
    for op_type in TA_OPS:
        record = registry.get(op_type)
        assert record.input_names == expect_inputs[op_type]
        assert record.stateful, op_type  # never folded
        assert record.retains_inputs == (op_type in ("TensorArrayWriteV3",
                                                     "TensorArrayScatterV3",
                                                     "TensorArraySplitV3")), op_type
        # TF: NotDifferentiable for the creation, grad, size and close ops
        assert record.differentiable == (op_type not in (
            "TensorArrayV3", "TensorArrayGradV3", "TensorArraySizeV3", "TensorArrayCloseV3"))
    assert registry.get("TensorArrayV3").attr_defaults == {
        "element_shape": gf.TensorShape(None), "dynamic_size": False, "clear_after_read": True,
        "identical_element_shapes": False, "tensor_array_name": ""}


def test_node_defs_carry_tensorflows_attrs(graph: gf.Graph) -> None:
    h, f = raw(3, gf.float32, element_shape=[2], dynamic_size=True, tensor_array_name="ta")
    w = build.tensor_array_write_v3(h, 0, gf.constant([1.0, 2.0]), f)
    r = build.tensor_array_read_v3(h, 0, w, gf.float32)
    c, lengths = build.tensor_array_concat_v3(h, w, gf.float32, element_shape_except0=[])
    gh, gf_ = build.tensor_array_grad_v3(h, w, "gradients")
    node = h.op.node_def
    assert node.op == "TensorArrayV3" and node.attr["dtype"].type == gf.float32.as_datatype_enum
    assert [d.size for d in node.attr["element_shape"].shape.dim] == [2]
    assert node.attr["dynamic_size"].b and node.attr["clear_after_read"].b
    assert node.attr["tensor_array_name"].s == b"ta"
    assert not node.attr["identical_element_shapes"].b
    assert w.op.node_def.attr["T"].type == gf.float32.as_datatype_enum
    inputs = list(w.op.node_def.input)
    assert (inputs[0], inputs[3]) == ("TensorArrayV3", "TensorArrayV3:1")
    assert r.op.node_def.attr["dtype"].type == gf.float32.as_datatype_enum
    assert c.op.node_def.attr["element_shape_except0"].shape.dim == []
    assert gh.op.node_def.attr["source"].s == b"gradients"
    # static specs: handle resource [2] (TF's Vector(2)), flows float32 scalars
    assert (h.dtype, h.shape.as_list(), f.dtype, f.shape.as_list()) == (
        gf.resource, [2], gf.float32, [])
    assert (w.dtype, w.shape.as_list()) == (gf.float32, [])
    assert (gh.dtype, gf_.dtype, lengths.dtype, lengths.shape.as_list()) == (
        gf.resource, gf.float32, gf.int64, [None])


# ----------------------------------------------------------------------------------------
# Kernels vs numpy, shape rules vs real outputs
# ----------------------------------------------------------------------------------------


def test_write_read_gather_size_values(graph: gf.Graph) -> None:
    x = rand((3, 2, 4), seed=1)
    h, f = raw(3, F64)
    for i in (2, 0, 1):  # any order
        f = build.tensor_array_write_v3(h, i, gf.constant(x[i]), f)
    r1 = build.tensor_array_read_v3(h, 1, f, F64)
    g = build.tensor_array_gather_v3(h, [2, 0], f, F64, element_shape=[2, 4])
    n = build.tensor_array_size_v3(h, f)
    assert g.shape.as_list() == [2, 2, 4] and n.shape.as_list() == []
    assert r1.shape.rank is None  # TF's rule: the read's shape comes from the Python class
    r1_v, g_v, n_v = run([r1, g, n])
    np.testing.assert_array_equal(r1_v, x[1])
    np.testing.assert_array_equal(g_v, x[[2, 0]])
    assert g_v.shape == tuple(g.shape.as_list())
    assert n_v.dtype == np.int32 and int(n_v) == 3


def test_scatter_then_gather_permuted_and_int_dtype(graph: gf.Graph) -> None:
    x = np.arange(12, dtype=np.int32).reshape(4, 3)
    h, f = raw(4, gf.int32)
    f = build.tensor_array_scatter_v3(h, [3, 1, 0, 2], gf.constant(x), f)
    out = build.tensor_array_gather_v3(h, [0, 1, 2, 3], f, gf.int32)
    v = run(out)
    assert v.dtype == np.int32
    np.testing.assert_array_equal(v, x[[2, 1, 3, 0]])


def test_split_then_concat_with_lengths(graph: gf.Graph) -> None:
    x = rand((6, 2), seed=2)
    h, f = raw(3, F64, clear_after_read=False)
    lengths = gf.constant(np.array([1, 3, 2], np.int64))
    f = build.tensor_array_split_v3(h, gf.constant(x), lengths, f)
    c, lens = build.tensor_array_concat_v3(h, f, F64, element_shape_except0=[2])
    assert c.shape.as_list() == [None, 2]
    r = build.tensor_array_read_v3(h, 1, f, F64)
    c_v, lens_v, r_v = run([c, lens, r])
    np.testing.assert_array_equal(c_v, x)
    assert lens_v.dtype == np.int64 and lens_v.tolist() == [1, 3, 2]
    np.testing.assert_array_equal(r_v, x[1:4])


def test_dynamic_size_grows_on_write_and_scatter(graph: gf.Graph) -> None:
    h, f = raw(0, gf.float32, dynamic_size=True)
    f = build.tensor_array_write_v3(h, 4, gf.constant([1.0]), f)
    n1 = build.tensor_array_size_v3(h, f)
    f = build.tensor_array_scatter_v3(h, [6], gf.constant([[2.0]]), f)
    n2 = build.tensor_array_size_v3(h, f)
    assert [int(v) for v in run([n1, n2])] == [5, 7]


def test_unwritten_elements_read_as_zeros_when_the_element_shape_is_known(graph) -> None:
    # TF: reading an index never written gives zeros when the shape is fully defined
    h, f = raw(3, gf.float32, element_shape=[2])
    f = build.tensor_array_write_v3(h, 0, gf.constant([1.0, 2.0]), f)
    r = build.tensor_array_read_v3(h, 1, f, gf.float32)
    st = build.tensor_array_gather_v3(h, [0, 1, 2], f, gf.float32, element_shape=[2])
    r_v = run(r)
    np.testing.assert_array_equal(r_v, [0.0, 0.0])
    assert r_v.dtype == np.float32
    h2, f2 = raw(3, gf.float32, identical_element_shapes=True)  # shape learnt from a write
    f2 = build.tensor_array_write_v3(h2, 2, gf.constant([[5.0]]), f2)
    st2 = build.tensor_array_gather_v3(h2, [0, 1, 2], f2, gf.float32)
    np.testing.assert_array_equal(run(st), [[1, 2], [0, 0], [0, 0]])
    np.testing.assert_array_equal(run(st2), [[[0]], [[0]], [[5]]])


def test_empty_gather_and_concat_with_a_full_element_shape(graph: gf.Graph) -> None:
    h, f = raw(0, gf.float32, element_shape=[2, 3])
    g = build.tensor_array_gather_v3(h, gf.constant(np.zeros(0, np.int32)), f, gf.float32,
                                      element_shape=[2, 3])
    c, lens = build.tensor_array_concat_v3(h, f, gf.float32, element_shape_except0=[3])
    g_v, c_v, lens_v = run([g, c, lens])
    assert g_v.shape == (0, 2, 3) and c_v.shape == (0, 3) and lens_v.shape == (0,)
    assert g.shape.as_list() == [0, 2, 3]


def test_clear_after_read_false_reads_many_times(graph: gf.Graph) -> None:
    h, f = raw(1, gf.float32, clear_after_read=False)
    f = build.tensor_array_write_v3(h, 0, gf.constant([3.0]), f)
    a = build.tensor_array_read_v3(h, 0, f, gf.float32)
    with gf.control_dependencies([a]):
        b = build.tensor_array_read_v3(h, 0, f, gf.float32)
    assert [float(v[0]) for v in run([a, b])] == [3.0, 3.0]


def test_each_run_makes_a_fresh_array_and_grad_arrays_are_shared_per_source(graph) -> None:
    h, f = raw(2, gf.float32)
    g1, _ = build.tensor_array_grad_v3(h, f, "gradients")
    g2, _ = build.tensor_array_grad_v3(h, f, "gradients")
    g3, _ = build.tensor_array_grad_v3(h, f, "gradients_1")
    with gf.Session() as sess:
        a, b, c, fwd = sess.run([g1, g2, g3, h])
        a2, fwd2 = sess.run([g1, h])
    assert isinstance(fwd, ta_ops.TensorArrayResource)
    assert a is b and a is not c  # one gradient array per (forward array, source) and run
    assert fwd is not fwd2 and a2 is not a  # nothing survives a run
    assert a.is_grad and a.multiple_writes_aggregate and not fwd.is_grad


def test_gradient_array_writes_add_up_and_unwritten_forward_elements_read_as_zeros(graph):
    h, f = raw(3, gf.float32)
    f = build.tensor_array_scatter_v3(h, [0, 1, 2], gf.constant(np.ones((3, 2), np.float32)),
                                       f)
    gh, gflow = build.tensor_array_grad_v3(h, f, "s")
    w1 = build.tensor_array_write_v3(gh, 0, gf.constant([1.0, 2.0]), gflow)
    gh2, _ = build.tensor_array_grad_v3(h, w1, "s")  # the same array, found again
    w2 = build.tensor_array_write_v3(gh2, 0, gf.constant([10.0, 20.0]), w1)
    out = build.tensor_array_gather_v3(gh, [0, 1, 2], w2, gf.float32)
    np.testing.assert_array_equal(run(out), [[11, 22], [0, 0], [0, 0]])


def test_grad_array_takes_the_forward_size_and_freezes_a_dynamic_forward(graph) -> None:
    h, f = raw(0, gf.float32, dynamic_size=True)
    f = build.tensor_array_write_v3(h, 1, gf.constant([1.0]), f)
    gh, gflow = build.tensor_array_grad_v3(h, f, "s")
    n = build.tensor_array_size_v3(gh, gflow)
    assert int(run(n)) == 2
    late = build.tensor_array_write_v3(h, 5, gf.constant([1.0]), gflow)
    fails(late, r"Tried to write to index 5 but array is not resizeable and size is: 2")


def test_written_values_are_private_copies(graph: gf.Graph) -> None:
    v = gf.Variable(np.array([1.0, 2.0]), name="v")
    h, f = raw(1, F64)
    f = build.tensor_array_write_v3(h, 0, v.op.outputs[0], f)  # the variable's storage
    with gf.control_dependencies([f]):
        bump = gf.assign_add(v, np.array([10.0, 10.0]))  # in place, after the write
    with gf.control_dependencies([bump]):
        r = build.tensor_array_read_v3(h, 0, f, F64)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(r), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(v), [11.0, 12.0])  # the bump did run


def test_fed_values_and_planned_buffers_are_kept_intact(graph: gf.Graph) -> None:
    # Values written come from planned buffers (x * 2 on a specialized plan); later steps
    # of the same shape must not overwrite what the array holds.
    x = gf.placeholder(F64, [2], name="x")
    h, f = raw(3, F64)
    f = build.tensor_array_write_v3(h, 0, x * 2.0, f)
    f = build.tensor_array_write_v3(h, 1, x * 3.0, f)
    f = build.tensor_array_write_v3(h, 2, (x * 4.0) + 1.0, f)
    st = build.tensor_array_gather_v3(h, [0, 1, 2], f, F64)
    feed = np.array([1.0, -1.0])
    np.testing.assert_array_equal(run(st, {x: feed}), [[2, -2], [3, -3], [5, -3]])


# ----------------------------------------------------------------------------------------
# Build-time errors
# ----------------------------------------------------------------------------------------


def test_shape_rules_reject_bad_inputs(graph: gf.Graph) -> None:
    with pytest.raises(TypeError, match="float32 but int32 is required"):
        build.tensor_array_v3(gf.constant(2.0), gf.float32)
    with pytest.raises(gf.GraphBuildError, match="rank 0"):
        build.tensor_array_v3(gf.constant([2, 3]), gf.float32)
    with pytest.raises(gf.GraphBuildError, match="size -1 must be >= 0"):
        build.tensor_array_v3(-1, gf.float32)
    h, f = raw(2)
    with pytest.raises(gf.GraphBuildError, match="TensorArrayReadV3 node.*resource handle"):
        build.tensor_array_read_v3(f, 0, f, gf.float32)
    with pytest.raises(gf.GraphBuildError, match="TensorArrayReadV3 node.*float32"):
        build.tensor_array_read_v3(h, 0, gf.constant(0.0, dtype=F64), gf.float32)
    with pytest.raises(gf.GraphBuildError, match="TensorArrayGatherV3 node.*rank 1"):
        build.tensor_array_gather_v3(h, 0, f, gf.float32)
    with pytest.raises(gf.GraphBuildError, match=r"Expected len\(indices\) == values.shape"
                                                 r"\[0\], but saw: 2 vs. 3"):
        build.tensor_array_scatter_v3(h, [0, 1], gf.constant(np.zeros((3, 2), np.float32)), f)
    with pytest.raises(gf.GraphBuildError, match="at least a vector"):
        build.tensor_array_scatter_v3(h, gf.constant(np.zeros(0, np.int32)),
                                       gf.constant(1.0), f)
    with pytest.raises(gf.GraphBuildError, match="TensorArraySplitV3 node.*int64"):
        build.tensor_array_split_v3(h, gf.constant([1.0, 2.0]), gf.constant([1, 1]), f)
    with pytest.raises(gf.GraphBuildError, match="does not match its attr T"):
        gf.Graph.create_op(graph, "TensorArrayWriteV3",
                           [h, gf.constant(0), gf.constant([1.0]), f], {"T": F64})


# ----------------------------------------------------------------------------------------
# Run-time errors (TensorFlow's checks and wording)
# ----------------------------------------------------------------------------------------


def test_write_errors(graph: gf.Graph) -> None:
    h, f = raw(3, gf.float32, tensor_array_name="arr")
    one = gf.constant([1.0])
    fails(build.tensor_array_write_v3(h, 3, one, f),
          r"TensorArrayWriteV3 node 'TensorArrayWriteV3': TensorArray arr: Tried to write to "
          r"index 3 but array is not resizeable and size is: 3")
    fails(build.tensor_array_write_v3(h, -1, one, f), "Tried to write to index -1")
    w = build.tensor_array_write_v3(h, 0, one, f)
    fails(build.tensor_array_write_v3(h, 0, one, w),
          "Could not write to TensorArray index 0 because it has already been written to")
    r = build.tensor_array_read_v3(h, 1, w, gf.float32)  # unwritten: an error, not zeros
    fails(r, "Could not read from TensorArray index 1 because it has not yet been written "
             "to.*not fully defined")
    fails(build.tensor_array_write_v3(h, 1, gf.constant([1.0], dtype=F64), w),
          "TensorArray dtype is float32 but Op is trying to write dtype float64")
    r0 = build.tensor_array_read_v3(h, 0, w, gf.float32)
    with gf.control_dependencies([r0]):
        again = build.tensor_array_write_v3(h, 0, one, w)
    # the read cleared index 0; a write after a read is refused
    fails(again, "Could not write to TensorArray index 0 because it has already been read")


def test_element_shape_errors(graph: gf.Graph) -> None:
    x = gf.placeholder(gf.float32, None, name="x")
    y = gf.placeholder(gf.float32, None, name="y")
    feeds = {x: np.zeros(2, np.float32), y: np.zeros(3, np.float32)}
    h, f = raw(2, gf.float32, identical_element_shapes=True)
    w = build.tensor_array_write_v3(h, 0, x, f)
    w = build.tensor_array_write_v3(h, 1, y, w)
    fails(w, r"Could not write to TensorArray index 1 because the value shape is \[3\] which "
             r"is incompatible with the TensorArray's inferred element shape: \[2\]", feeds)
    h2, f2 = raw(2, gf.float32, element_shape=[3])
    fails(build.tensor_array_write_v3(h2, 0, x, f2), r"value shape is \[2\].*\[3\]", feeds)
    h3, f3 = raw(2, gf.float32)  # no shape inference: a mismatch shows when stacking
    w3 = build.tensor_array_write_v3(h3, 0, x, f3)
    w3 = build.tensor_array_write_v3(h3, 1, y, w3)
    fails(build.tensor_array_gather_v3(h3, [0, 1], w3, gf.float32),
          r"TensorArray has inconsistent shapes.  Index 0 has shape: \[2\] but index 1 has "
          r"shape: \[3\]", feeds)
    fails(build.tensor_array_gather_v3(h3, [0, 1], w3, gf.float32, element_shape=[5]),
          r"TensorArray was passed element_shape \[5\] which does not match the Tensor at "
          r"index 0: \[2\]", feeds)
    fails(build.tensor_array_gather_v3(h2, [0, 1], f2, gf.float32, element_shape=[5]),
          r"the op's element shape \[5\] is incompatible with the array's element shape "
          r"\[3\]")


def test_read_errors(graph: gf.Graph) -> None:
    h, f = raw(3, gf.float32)
    w = build.tensor_array_write_v3(h, 0, gf.constant([1.0]), f)
    fails(build.tensor_array_read_v3(h, 5, w, gf.float32),
          "Tried to read from index 5 but array size is: 3")
    fails(build.tensor_array_read_v3(h, 0, w, F64),
          "TensorArray dtype is float32 but Op requested dtype float64")
    a = build.tensor_array_read_v3(h, 0, w, gf.float32)
    with gf.control_dependencies([a]):
        b = build.tensor_array_read_v3(h, 0, w, gf.float32)
    fails(b, "Could not read index 0 twice because it was cleared after a previous read")
    i = gf.placeholder(gf.int32, None, name="i")
    fails(build.tensor_array_read_v3(h, i, w, gf.float32),
          r"index 'i:0' \[int32 \(2,\)\] must have rank 0", {i: np.array([0, 1], np.int32)})


def test_closed_array_errors(graph: gf.Graph) -> None:
    h, f = raw(2, gf.float32, tensor_array_name="arr")
    close = build.tensor_array_close_v3(h)
    with gf.control_dependencies([close]):
        n = build.tensor_array_size_v3(h, f)
        w = build.tensor_array_write_v3(h, 0, gf.constant([1.0]), f)
    fails(n, "TensorArraySizeV3 node.*TensorArray arr: has already been closed")
    fails(w, "has already been closed")
    assert run(close) is None  # closing alone runs fine


def test_gather_scatter_concat_split_errors(graph: gf.Graph) -> None:
    h, f = raw(2, gf.float32)
    fails(build.tensor_array_gather_v3(h, gf.constant(np.zeros(0, np.int32)), f, gf.float32),
          "TensorArray has size zero, but element shape <unknown> is not fully defined",
          error=gf.UnimplementedError)
    two = gf.constant(np.ones((2, 1), np.float32))
    fails(build.tensor_array_scatter_v3(h, [0, 2], two, f),
          r"Max scatter index must be < array size \(2 vs. 2\)")
    fails(build.tensor_array_scatter_v3(h, [1, -1], two, f), "Tried to write to index -1")
    fails(build.tensor_array_scatter_v3(h, [0, 0], two, f),
          "index 0 because it has already been written to")
    idx = gf.placeholder(gf.int32, [None], name="idx")
    fails(build.tensor_array_scatter_v3(h, idx, two, f),
          r"Expected len\(indices\) == values.shape\[0\], but saw: 3 vs. 2",
          {idx: np.array([0, 1, 1], np.int32)})
    three = gf.constant(np.ones(3, np.float32))
    lens = gf.placeholder(gf.int64, [None], name="lens")
    split = build.tensor_array_split_v3(h, three, lens, f)
    fails(split, "Expected sum of lengths to be equal to values.shape\\[0\\], but sum of "
                 "lengths is 2 and value's shape is: \\[3\\]", {lens: np.array([1, 1])})
    fails(split, r"TensorArray's size is not equal to the size of lengths \(2 vs. 3\), and "
                 "the TensorArray is not marked as dynamically resizeable",
          {lens: np.array([1, 1, 1])})
    fails(split, r"lengths must be >= 0, got \[4, -1\]", {lens: np.array([4, -1])})
    # concat of scalars, concat of mismatched trailing dims
    hs, fs = raw(2, gf.float32)
    fs = build.tensor_array_scatter_v3(hs, [0, 1], gf.constant([1.0, 2.0]), fs)
    fails(build.tensor_array_concat_v3(hs, fs, gf.float32)[0],
          "Concat saw a scalar shape at index 0 but requires at least vectors")
    hm, fm = raw(2, gf.float32)
    fm = build.tensor_array_write_v3(hm, 0, gf.constant([[1.0, 2.0]]), fm)
    fm = build.tensor_array_write_v3(hm, 1, gf.constant([[1.0]]), fm)
    fails(build.tensor_array_concat_v3(hm, fm, gf.float32)[0],
          r"Index 0 has \(excepting dimension 0\) shape: \[2\] but index 1 has \(excepting "
          r"dimension 0\) shape: \[1\]")


def test_grad_array_aggregation_shape_error(graph: gf.Graph) -> None:
    h, f = raw(1, gf.float32)
    f = build.tensor_array_write_v3(h, 0, gf.constant([1.0, 2.0]), f)
    gh, gflow = build.tensor_array_grad_v3(h, f, "s")
    w = build.tensor_array_write_v3(gh, 0, gf.constant([1.0, 2.0, 3.0]), gflow)
    fails(w, r"Could not aggregate to TensorArray index 0 because the existing shape is "
             r"\[2\] but the new input shape is \[3\]")


def test_a_stack_handle_is_not_a_tensor_array(graph: gf.Graph) -> None:
    from graphflow.ops import stack_ops

    s = stack_ops.stack_v2(-1, gf.float32)
    _, f = raw(1)
    fails(build.tensor_array_size_v3(s, f), "input 'handle' is StackResource, not a "
                                             "TensorArray")


# ----------------------------------------------------------------------------------------
# Gradients vs central finite differences (float64)
# ----------------------------------------------------------------------------------------


def test_gradient_unstack_read_combine(graph: gf.Graph) -> None:
    x = gf.placeholder(F64, [4, 3], name="x")
    ta = gf.TensorArray(F64, size=4, clear_after_read=False).unstack(x)
    a, b, c = ta.read(0), ta.read(3), ta.read(0)  # index 0 read twice: gradients add
    y = gf.reduce_sum(gf.tanh(a) * b + c * c)
    assert_gradients(y, [x], {x: rand((4, 3), seed=3)})


def test_gradient_writes_then_stack(graph: gf.Graph) -> None:
    x = gf.placeholder(F64, [3], name="x")
    z = gf.placeholder(F64, [3], name="z")
    ta = gf.TensorArray(F64, size=3)
    ta = ta.write(0, x * z).write(2, gf.sin(x)).write(1, z * z)
    s = ta.stack()
    assert s.shape.as_list() == [3, 3]
    y = gf.reduce_sum(s * gf.constant(rand((3, 3), seed=4)))
    assert_gradients(y, [x, z], {x: rand(3, seed=5), z: rand(3, seed=6)})


def test_gradient_scatter_then_gather_subset(graph: gf.Graph) -> None:
    x = gf.placeholder(F64, [4, 2], name="x")
    ta = gf.TensorArray(F64, size=5).scatter([4, 0, 2, 1], x * x)
    g = ta.gather([2, 4])  # rows 0 and 1 of x; rows 2 and 3 are never read: zero gradient
    y = gf.reduce_sum(g * gf.constant(rand((2, 2), seed=7)))
    assert_gradients(y, [x], {x: rand((4, 2), seed=8)})
    dx = gf.gradients(y, x)[0]
    assert dx.shape.as_list() == [4, 2]
    assert np.all(run(dx, {x: rand((4, 2), seed=8)})[[1, 3]] == 0)


def test_gradient_gather_with_repeated_indices_adds_up(graph: gf.Graph) -> None:
    x = gf.placeholder(F64, [3, 2], name="x")
    ta = gf.TensorArray(F64, size=3, clear_after_read=False).unstack(x)
    g = ta.gather([1, 1, 0, 1])  # the gradient array's scatter adds the three rows of 1
    y = gf.reduce_sum(gf.sin(g) * gf.constant(rand((4, 2), seed=20)))
    assert_gradients(y, [x], {x: rand((3, 2), seed=21)})


def test_gradient_split_then_concat_and_read(graph: gf.Graph) -> None:
    x = gf.placeholder(F64, [5, 2], name="x")
    ta = gf.TensorArray(F64, size=2, clear_after_read=False, infer_shape=False)
    ta = ta.split(gf.exp(x), [2, 3])
    y = gf.reduce_sum(ta.concat() * gf.constant(rand((5, 2), seed=9))) + \
        gf.reduce_sum(ta.read(1) ** 2)
    assert_gradients(y, [x], {x: rand((5, 2), seed=10)})


def test_gradient_writes_then_concat(graph: gf.Graph) -> None:
    x = gf.placeholder(F64, [2, 3], name="x")
    ta = gf.TensorArray(F64, size=2, infer_shape=False).write(0, x).write(1, x[:1] * 2.0)
    y = gf.reduce_sum(gf.square(ta.concat()))
    assert_gradients(y, [x], {x: rand((2, 3), seed=11)})


def test_two_gradient_calls_in_one_run_use_separate_accumulators(graph: gf.Graph) -> None:
    x = gf.placeholder(F64, [2, 2], name="x")
    ta = gf.TensorArray(F64, size=2).unstack(x)
    y = gf.reduce_sum(ta.read(0) * ta.read(1))
    (d1,) = gf.gradients(y, x)
    (d2,) = gf.gradients(y, x)
    sources = {op.get_attr("source") for op in graph.get_operations()
               if op.type == "TensorArrayGradV3"}
    assert sources == {"gradients", "gradients_1"}
    xv = rand((2, 2), seed=12)
    want = np.stack([xv[1], xv[0]])
    v1, v2 = run([d1, d2], {x: xv})
    np.testing.assert_allclose(v1, want)
    np.testing.assert_allclose(v2, want)  # not doubled by sharing one gradient array


def test_gradient_with_explicit_grad_ys_and_scoped_gradients(graph: gf.Graph) -> None:
    x = gf.placeholder(F64, [3], name="x")
    ta = gf.TensorArray(F64, size=1).write(0, x * 3.0)
    r = ta.read(0)
    seed = gf.constant(np.array([1.0, 2.0, 3.0]), name="seed")
    with gf.name_scope("train"):
        (dx,) = gf.gradients(r, x, grad_ys=[seed], name="grads")
    assert {op.get_attr("source") for op in graph.get_operations()
            if op.type == "TensorArrayGradV3"} == {"train/grads"}
    np.testing.assert_allclose(run(dx, {x: rand(3, seed=13)}), [3.0, 6.0, 9.0])


def test_grad_source_falls_back_to_tensorflows_rule() -> None:
    g = gf.Graph()
    with g.as_default():
        h, _ = raw(1)
        with g.name_scope("outer"), g.name_scope("gradients_2"), g.name_scope("other"):
            assert ta_ops._grad_source(h.op) == "outer/gradients_2"
        with g.name_scope("x"):
            assert ta_ops._grad_source(h.op) == "x"
        assert ta_ops._grad_source(h.op) == "gradients"


# ----------------------------------------------------------------------------------------
# End to end: a tiny unrolled RNN over TensorArrays
# ----------------------------------------------------------------------------------------


def test_end_to_end_unrolled_rnn(graph: gf.Graph) -> None:
    steps, n_in, n_h = 4, 3, 2
    xs = gf.placeholder(F64, [steps, n_in], name="xs")
    w = gf.placeholder(F64, [n_in, n_h], name="w")
    u = gf.placeholder(F64, [n_h, n_h], name="u")
    inputs = gf.TensorArray(F64, size=steps).unstack(xs)
    outputs = gf.TensorArray(F64, size=steps)
    h = gf.zeros([1, n_h], dtype=F64)
    for t in range(steps):
        x_t = gf.reshape(inputs.read(t), [1, n_in])
        h = gf.tanh(gf.matmul(x_t, w) + gf.matmul(h, u))
        outputs = outputs.write(t, gf.reshape(h, [n_h]))
    hs = outputs.stack()
    n = outputs.size()
    loss = gf.reduce_sum(hs * gf.constant(rand((steps, n_h), seed=14)))
    feeds = {xs: rand((steps, n_in), seed=15), w: rand((n_in, n_h), seed=16),
             u: rand((n_h, n_h), seed=17)}
    # numpy reference
    hv, want = np.zeros((1, n_h)), []
    for t in range(steps):
        hv = np.tanh(feeds[xs][t:t + 1] @ feeds[w] + hv @ feeds[u])
        want.append(hv[0])
    hs_v, n_v = run([hs, n], feeds)
    np.testing.assert_allclose(hs_v, np.stack(want), rtol=1e-12)
    assert int(n_v) == steps and hs.shape.as_list() == [steps, n_h]
    assert_gradients(loss, [xs, w, u], feeds)
    types = {op.type for op in graph.get_operations()}
    assert {"TensorArrayV3", "TensorArrayScatterV3", "TensorArrayReadV3",
            "TensorArrayWriteV3", "TensorArrayGatherV3", "TensorArrayGradV3"} <= types


def test_write_and_scatter_rules_accept_a_missing_flow_gradient(graph: gf.Graph) -> None:
    # The pass never calls them so, but a rule given None uses the op's own flow as the
    # dependency (TF would pass zeros) and reads zeros from the untouched gradient array.
    x = gf.placeholder(F64, [2, 3], name="x")
    ta = gf.TensorArray(F64, size=2).write(0, x[0])
    sc = gf.TensorArray(F64, size=2).scatter([1, 0], x)
    with graph.name_scope("gradients"):
        for op, zeros in ((ta.flow.op, np.zeros(3)), (sc.flow.op, np.zeros((2, 3)))):
            with graph.name_scope(op.name + "_grad"):
                grads = registry.get(op.type).grad(op, None)
            assert grads[0] is None and grads[1] is None
            assert grads[3].op.type == "Identity" and grads[3].op.inputs[0] is op.outputs[0]
            assert grads[2].op.inputs[0].op.get_attr("source") == "gradients"
            np.testing.assert_array_equal(run(grads[2], {x: rand((2, 3), seed=18)}), zeros)


def test_more_runtime_checks(graph: gf.Graph) -> None:
    n = gf.placeholder(gf.int32, [], name="n")
    fails(raw(n, gf.float32)[0], "Size should be >= 0, got -2", {n: np.int32(-2)})
    h, f = raw(2, gf.float32)
    vals = gf.constant(np.ones((2, 1)))  # float64 into a float32 array
    fails(build.tensor_array_scatter_v3(h, [0, 1], vals, f),
          "TensorArray dtype is float32 but Op is trying to write dtype float64")
    fails(build.tensor_array_split_v3(h, vals, gf.constant(np.array([1, 1])), f),
          "TensorArray dtype is float32 but Op is trying to write dtype float64")
    fails(build.tensor_array_gather_v3(h, [0], f, F64), "Op requested dtype float64")
    fails(build.tensor_array_concat_v3(h, f, gf.int32)[0], "Op requested dtype int32")
    # a gradient array that aggregated writes cannot be differentiated again
    f2 = build.tensor_array_write_v3(h, 0, gf.constant([1.0]), f)
    gh, gflow = build.tensor_array_grad_v3(h, f2, "s")
    w = build.tensor_array_write_v3(gh, 0, gf.constant([1.0]), gflow)
    w = build.tensor_array_write_v3(gh, 0, gf.constant([2.0]), w)
    ggh, _ = build.tensor_array_grad_v3(gh, w, "s2")
    fails(ggh, "Unable to create a gradients TensorArray")


def test_static_shapes_agree_with_every_output(graph: gf.Graph) -> None:
    x = rand((4, 3), seed=19)
    h, f = raw(4, F64, clear_after_read=False, element_shape=[3])
    f = build.tensor_array_scatter_v3(h, [0, 1, 2, 3], gf.constant(x), f)
    hs, fs = raw(2, F64, clear_after_read=False)
    fs = build.tensor_array_split_v3(hs, gf.constant(x), gf.constant(np.array([1, 3])), fs)
    gh, gflow = build.tensor_array_grad_v3(h, f, "s")
    outs = [h, f, gh, gflow, build.tensor_array_read_v3(h, 2, f, F64),
            build.tensor_array_gather_v3(h, [3, 1, 1], f, F64, element_shape=[3]),
            build.tensor_array_gather_v3(h, [0], f, F64),
            *build.tensor_array_concat_v3(hs, fs, F64, element_shape_except0=[3]),
            build.tensor_array_size_v3(h, f), fs]
    values = run(outs, config=gf.SessionConfig())  # one run: the handles are its objects
    for t, v in zip(outs, values):
        if t.dtype == gf.resource:
            assert isinstance(v, ta_ops.TensorArrayResource)
            continue
        assert t.shape.is_compatible_with(np.shape(v)), (t, np.shape(v))
        assert np.asarray(v).dtype == t.dtype.np_dtype, (t, np.asarray(v).dtype)
    assert outs[5].shape.as_list() == [3, 3] and values[5].shape == (3, 3)
