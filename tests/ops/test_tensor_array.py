"""``graphflow.ops.tensor_array``: ``gf.TensorArray``, TF1's functional class — the nodes it
builds (TensorFlow's names), static element shapes, derived arrays sharing what they know,
``with_flow``, build-time errors; and the TensorFlow reference: the same TensorArray
computation built in ``tf.compat.v1`` (graph mode, TF1 control flow) and exported, loaded
with ``gf.import_graph_def`` and run (gradients included), the reverse, and a TF1
while-loop RNN over TensorArrays with its gradient loop (skipped without TensorFlow: run
with ``/tmp/tfvenv/bin/python -m pytest``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.proto import graph_pb2

from .helpers import run

F64 = gf.float64


# ----------------------------------------------------------------------------------------
# Construction
# ----------------------------------------------------------------------------------------


def test_constructor_argument_errors(graph: gf.Graph) -> None:
    ta = gf.TensorArray(gf.float32, size=2)
    with pytest.raises(ValueError, match="`size` must be provided"):
        gf.TensorArray(gf.float32)
    with pytest.raises(ValueError, match="both `handle` and `tensor_array_name`"):
        gf.TensorArray(gf.float32, handle=ta.handle, flow=ta.flow, tensor_array_name="a")
    with pytest.raises(TypeError, match="Expected `handle` to be a Tensor"):
        gf.TensorArray(gf.float32, handle="h", flow=ta.flow)  # type: ignore[arg-type]
    for kwargs in ({"size": 2}, {"element_shape": [2]}, {"dynamic_size": True},
                   {"clear_after_read": False}):
        with pytest.raises(ValueError, match="Cannot provide both a `handle`"):
            gf.TensorArray(gf.float32, handle=ta.handle, flow=ta.flow, **kwargs)
    with pytest.raises(ValueError, match="flow must not be None"):
        gf.TensorArray(gf.float32, handle=ta.handle)
    with pytest.raises(TypeError, match="a TensorArray handle is a resource tensor"):
        gf.TensorArray(gf.float32, handle=ta.flow, flow=ta.flow)


def test_nodes_and_names_follow_tensorflow(graph: gf.Graph) -> None:
    ta = gf.TensorArray(gf.float32, size=3, element_shape=[2], tensor_array_name="seq")
    assert ta.handle.name == "TensorArray:0" and ta.flow.name == "TensorArray:1"
    node = ta.handle.op.node_def
    assert node.op == "TensorArrayV3" and node.attr["identical_element_shapes"].b
    assert node.attr["tensor_array_name"].s == b"seq" and node.attr["clear_after_read"].b
    w = ta.write(0, [1.0, 2.0])
    assert w.flow.op.name == "TensorArrayWrite/TensorArrayWriteV3"
    assert w.handle is ta.handle and w is not ta and ta.flow.name == "TensorArray:1"
    u = gf.TensorArray(gf.float32, size=3).unstack(np.ones((3, 2), np.float32))
    assert u.flow.op.name == "TensorArrayUnstack/TensorArrayScatter/TensorArrayScatterV3"
    assert w.read(0).op.name == "TensorArrayReadV3"
    assert w.stack().op.name == "TensorArrayStack/TensorArrayGatherV3"
    assert isinstance(w.close(), gf.Operation) and w.close().type == "TensorArrayCloseV3"
    assert "gf.TensorArray" in repr(w) and w.dtype == gf.float32 and not w.dynamic_size


def test_write_converts_python_values_and_rejects_other_dtypes(graph: gf.Graph) -> None:
    ta = gf.TensorArray(gf.float32, size=2).write(0, 1).write(1, 2.5)
    v = run(ta.stack())
    assert v.dtype == np.float32 and v.tolist() == [1.0, 2.5]
    with pytest.raises(TypeError, match="holds float32 elements but got .* float64"):
        ta.write(0, gf.constant(1.0, dtype=F64))
    with pytest.raises(TypeError, match="float64"):
        gf.TensorArray(gf.float32, size=1).split(gf.constant([1.0], dtype=F64), [1])


# ----------------------------------------------------------------------------------------
# Static element shapes
# ----------------------------------------------------------------------------------------


def test_element_shape_is_inferred_from_writes_and_shared(graph: gf.Graph) -> None:
    ta = gf.TensorArray(F64, size=3)
    assert ta.element_shape.rank is None
    w = ta.write(0, np.zeros((2, 4)))
    assert ta.element_shape.as_list() == [2, 4] == w.element_shape.as_list()  # shared
    assert w.read(1).shape.as_list() == [2, 4]
    assert w.stack().shape.as_list() == [3, 2, 4]
    assert w.gather([0, 2]).shape.as_list() == [2, 2, 4]
    assert w.concat().shape.as_list() == [6, 4]
    with pytest.raises(ValueError, match=r"Inconsistent shapes: saw \(3,\) but expected "
                                         r"\(2, 4\)"):
        w.write(1, np.zeros(3))
    p = gf.TensorArray(F64, size=2, element_shape=[None, 3])
    x = gf.placeholder(F64, [5, None])
    p.write(0, x)
    assert p.element_shape.as_list() == [5, 3]  # merged


def test_no_inference_mixes_shapes_and_dynamic_arrays_stack_to_unknown_length(graph) -> None:
    ta = gf.TensorArray(F64, size=2, infer_shape=False)
    ta = ta.write(0, np.ones(2)).write(1, np.ones(3))
    assert ta.element_shape.rank is None
    np.testing.assert_array_equal(run(ta.concat()), np.ones(5))
    d = gf.TensorArray(F64, size=0, dynamic_size=True).write(0, np.ones(2)).write(1,
                                                                                 np.zeros(2))
    s = d.stack()
    assert s.shape.as_list() == [None, 2] and d.size().op.type == "TensorArraySizeV3"
    np.testing.assert_array_equal(run(s), [[1, 1], [0, 0]])


def test_fixed_size_is_a_constant_and_split_with_equal_lengths_infers_the_shape(graph) -> None:
    ta = gf.TensorArray(F64, size=3)
    assert ta.size().op.type == "Const"
    s = ta.split(np.arange(12.0).reshape(6, 2), [2, 2, 2])
    assert s.element_shape.as_list() == [2, 2]
    np.testing.assert_array_equal(run(s.read(2)), [[8, 9], [10, 11]])
    assert s.flow.op.type == "TensorArraySplitV3"
    assert s.flow.op.inputs[2].dtype == gf.int64  # lengths cast as in TF


# ----------------------------------------------------------------------------------------
# Derived arrays: with_flow, identity, grad
# ----------------------------------------------------------------------------------------


def test_with_flow_rebuilds_an_array_around_another_flow(graph: gf.Graph) -> None:
    ta = gf.TensorArray(F64, size=2).write(0, np.array([1.0, 2.0]))
    moved = gf.identity(ta.flow)  # e.g. a flow carried through a loop
    again = ta.with_flow(moved)
    assert again.handle is ta.handle and again.flow is moved
    assert again.element_shape.as_list() == [2] and again.read(0).shape.as_list() == [2]
    again = again.write(1, np.array([3.0, 4.0]))
    assert again._element_shape is ta._element_shape  # one shared record of the shape
    np.testing.assert_array_equal(run(again.stack()), [[1, 2], [3, 4]])
    ident = ta.identity()
    assert ident.flow.op.type == "Identity" and ident.flow.op.inputs[0] is ta.flow
    rebuilt = gf.TensorArray(F64, handle=ta.handle, flow=ta.flow)
    np.testing.assert_array_equal(run(rebuilt.read(0)), [1, 2])


def test_grad_makes_an_aggregating_gradient_array(graph: gf.Graph) -> None:
    ta = gf.TensorArray(F64, size=2).unstack(np.ones((2, 3)))
    g = ta.grad("gradients")
    assert g.handle.op.type == "TensorArrayGradV3" and g.handle.op.get_attr("source") == \
        "gradients"
    assert g.flow.op.name == "TensorArrayGrad/gradient_flow"
    assert g.handle.op in g.flow.op.control_inputs
    assert g.element_shape.as_list() == [3]  # shared with the forward array
    g2 = ta.grad("gradients").write(1, np.full(3, 2.0))
    g3 = g2.write(1, np.full(3, 5.0))
    np.testing.assert_array_equal(run(g3.stack()), [[0, 0, 0], [7, 7, 7]])


# ----------------------------------------------------------------------------------------
# TensorFlow reference (skipped without TensorFlow)
# ----------------------------------------------------------------------------------------

X = np.random.default_rng(5).normal(size=(4, 3)).astype(np.float32)
PIECES = np.random.default_rng(6).normal(size=(5, 2)).astype(np.float32)


def build(api: Any, ta_class: Any) -> dict[str, Any]:
    """One TensorArray computation written against the TF1 API (``api``: graphflow or
    ``tf.compat.v1``): unstack/read, writes/stack, split/concat, a dynamic array's size,
    and the gradients of a loss through all of them."""
    x = api.placeholder(api.float32, [4, 3], name="x")
    pieces = api.placeholder(api.float32, [5, 2], name="pieces")
    inputs = ta_class(api.float32, size=4, clear_after_read=False).unstack(x)
    y = inputs.read(1) * 2.0 + api.tanh(inputs.read(3)) * inputs.read(1)
    outs = ta_class(api.float32, size=2).write(0, y).write(1, api.sigmoid(y))
    stacked = outs.stack()
    parts = ta_class(api.float32, size=2, infer_shape=False).split(pieces * x[0, 0], [2, 3])
    joined = api.reshape(parts.concat(), [5, 2])  # a known rank: TF's Sum gradient then
    # needs no DynamicStitch (not a graphflow op)
    grown = ta_class(api.float32, size=0, dynamic_size=True).write(3, x[0])
    loss = api.reduce_sum(stacked * stacked) + api.reduce_sum(joined * joined)
    dx, dpieces = api.gradients(loss, [x, pieces])
    return {"stacked": api.identity(stacked, name="stacked"),
            "joined": api.identity(joined, name="joined"),
            "size": api.identity(grown.size(), name="grown_size"),
            "loss": api.identity(loss, name="loss"),
            "dx": api.identity(dx, name="dx"), "dpieces": api.identity(dpieces, name="dp")}


NAMES = ["stacked:0", "joined:0", "grown_size:0", "loss:0", "dx:0", "dp:0"]
FEEDS = {"x:0": X, "pieces:0": PIECES}


@pytest.fixture
def tf1() -> Iterator[Any]:
    """``tf.compat.v1`` with TF1 control flow (TensorArrayV3 ops) for the test's duration."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    was_v2 = v1.control_flow_v2_enabled()
    v1.disable_control_flow_v2()
    try:
        yield v1
    finally:
        if was_v2:
            v1.enable_control_flow_v2()


def tf_run(tf1: Any, graph_def_bytes: bytes | None = None) -> tuple[list[Any], bytes]:
    g = tf1.Graph()
    with g.as_default():
        if graph_def_bytes is None:
            build(tf1, tf1.TensorArray)
        else:
            tf1.import_graph_def(tf1.GraphDef.FromString(graph_def_bytes), name="")
        with tf1.Session(graph=g) as sess:
            values = sess.run(NAMES, FEEDS)
    return values, g.as_graph_def().SerializeToString()


def assert_close(ours: list[Any], theirs: list[Any]) -> None:
    for name, a, b in zip(NAMES, ours, theirs):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (name, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5, err_msg=name)


def test_tensorflow_graph_runs_in_graphflow(tf1: Any) -> None:
    theirs, data = tf_run(tf1)
    graph_def = graph_pb2.GraphDef.FromString(data)
    ops = {n.op for n in graph_def.node}
    assert {"TensorArrayV3", "TensorArrayScatterV3", "TensorArrayReadV3",
            "TensorArrayWriteV3", "TensorArrayGatherV3", "TensorArraySplitV3",
            "TensorArrayConcatV3", "TensorArraySizeV3", "TensorArrayGradV3"} <= ops
    g = gf.Graph()
    with g.as_default():
        gf.import_graph_def(graph_def, name="")
    ours = run(NAMES, FEEDS, graph=g)
    assert_close(ours, theirs)


def test_graphflow_graph_runs_in_tensorflow(tf1: Any) -> None:
    g = gf.Graph()
    with g.as_default():
        build(gf, gf.TensorArray)
    ours = run(NAMES, FEEDS, graph=g)
    theirs, _ = tf_run(tf1, g.as_graph_def().SerializeToString())
    assert_close(ours, theirs)


def test_tensorflow_while_loop_rnn_with_gradients_runs_in_graphflow(tf1: Any) -> None:
    """The TensorArrays inside a TF1 while_loop (TF's dynamic_rnn pattern: unstack, read and
    write per step, stack after) and its gradient loop (TensorArrayGradV3 in the backward
    loop, forward values kept on stacks), exported from TensorFlow and run in graphflow."""
    rng = np.random.default_rng(8)
    xv = rng.normal(size=(2, 5, 3)).astype(np.float32)
    tg = tf1.Graph()
    with tg.as_default():
        x = tf1.placeholder(tf1.float32, [2, 5, 3], name="x")
        w = tf1.constant(rng.normal(size=(3, 4)).astype(np.float32))
        u = tf1.constant(rng.normal(size=(4, 4)).astype(np.float32))
        inputs = tf1.TensorArray(tf1.float32, size=5).unstack(tf1.transpose(x, [1, 0, 2]))

        def body(t: Any, h: Any, out: Any) -> Any:
            h = tf1.tanh(tf1.matmul(inputs.read(t), w) + tf1.matmul(h, u))
            return t + 1, h, out.write(t, h)

        _, _, out = tf1.while_loop(lambda t, h, o: t < 5, body,
                                   [tf1.constant(0), tf1.zeros([2, 4]),
                                    tf1.TensorArray(tf1.float32, size=5)])
        outputs = tf1.transpose(out.stack(), [1, 0, 2], name="outputs")
        (dx,) = tf1.gradients(tf1.reduce_sum(outputs * outputs), x)
        tf1.identity(dx, name="dx")
        with tf1.Session(graph=tg) as sess:
            theirs = sess.run(["outputs:0", "dx:0"], {"x:0": xv})
    graph_def = graph_pb2.GraphDef.FromString(tg.as_graph_def().SerializeToString())
    assert {"Enter", "TensorArrayGradV3", "StackPushV2", "StackPopV2"} <= \
        {n.op for n in graph_def.node}
    g = gf.Graph()
    with g.as_default():
        gf.import_graph_def(graph_def, name="")
    ours = run(["outputs:0", "dx:0"], {"x:0": xv}, graph=g)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
