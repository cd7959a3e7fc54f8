"""``graphflow.ops.stack_ops``: StackV2/StackPushV2/StackPopV2/StackCloseV2 outside loops —
TensorFlow's records, LIFO values vs a Python list, shape rules vs real outputs, every
run-time check by type and message (TensorFlow's wording), per-run stacks, pushed values
kept as private copies, the push's pass-through gradient vs central finite differences, and
a TensorFlow stack graph run in graphflow (skipped without TensorFlow)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import stack_ops
from graphflow.ops.stack_ops import stack_close_v2, stack_pop_v2, stack_push_v2, stack_v2
from graphflow.proto import graph_pb2

from .helpers import assert_gradients, rand, run

F64 = gf.float64


def fails(fetches: Any, match: str, feeds: dict[Any, Any] | None = None) -> None:
    with pytest.raises(gf.InvalidArgumentError, match=match) as info:
        run(fetches, feeds)
    assert " node '" in str(info.value)


def pushes(handle: gf.Tensor, values: list[Any]) -> list[gf.Tensor]:
    """Push ``values`` in order (each push after the previous one); the push outputs."""
    outs: list[gf.Tensor] = []
    for v in values:
        with gf.control_dependencies(outs[-1:]):
            outs.append(stack_push_v2(handle, v))
    return outs


def pops(handle: gf.Tensor, n: int, after: list[gf.Tensor], elem_type: Any = F64
         ) -> list[gf.Tensor]:
    """``n`` pops in order, after ``after``."""
    outs: list[gf.Tensor] = []
    for _ in range(n):
        with gf.control_dependencies((outs[-1:] or after[-1:])):
            outs.append(stack_pop_v2(handle, elem_type))
    return outs


def test_records_follow_tensorflow() -> None:
    inputs = {"StackV2": ("max_size",), "StackPushV2": ("handle", "elem"),
              "StackPopV2": ("handle",), "StackCloseV2": ("handle",)}
    for op_type, names in inputs.items():
        record = registry.get(op_type)
        assert record.input_names == names and record.stateful
        assert record.retains_inputs == (op_type == "StackPushV2")
        assert record.differentiable == (op_type == "StackPushV2")
    assert registry.get("StackV2").attr_defaults == {"stack_name": ""}
    assert registry.get("StackPushV2").attr_defaults == {"swap_memory": False}


def test_nodes_and_static_shapes(graph: gf.Graph) -> None:
    s = stack_v2(-1, F64, stack_name="st")
    node = s.op.node_def
    assert node.op == "StackV2" and node.attr["elem_type"].type == F64.as_datatype_enum
    assert node.attr["stack_name"].s == b"st"
    assert (s.dtype, s.shape.as_list()) == (gf.resource, [2])
    p = stack_push_v2(s, np.zeros((2, 3)), swap_memory=True)
    assert p.op.node_def.attr["swap_memory"].b and p.shape.as_list() == [2, 3]
    assert p.op.node_def.attr["T"].type == F64.as_datatype_enum
    q = stack_pop_v2(s, F64)
    assert q.dtype == F64 and q.shape.rank is None  # TF's rule: unknown
    assert stack_close_v2(s).type == "StackCloseV2"
    with pytest.raises(gf.GraphBuildError, match="StackV2 node.*rank 0"):
        stack_v2(gf.constant([1, 2]), F64)
    with pytest.raises(gf.GraphBuildError, match="StackPopV2 node.*resource handle"):
        stack_pop_v2(q, F64)


def test_push_pop_is_last_in_first_out(graph: gf.Graph) -> None:
    values = [rand((2,), seed=k) for k in range(3)]
    s = stack_v2(-1, F64)
    pushed = pushes(s, [gf.constant(v) for v in values])
    popped = pops(s, 3, pushed)
    got = run(pushed + popped)
    for a, b in zip(got[:3], values):  # a push outputs its element
        np.testing.assert_array_equal(a, b)
    for a, b in zip(got[3:], values[::-1]):
        np.testing.assert_array_equal(a, b)


def test_each_run_has_a_fresh_stack(graph: gf.Graph) -> None:
    s = stack_v2(1, F64)
    (p,) = pushes(s, [gf.constant(np.ones(1))])
    with gf.Session() as sess:
        a = sess.run([s, p])[0]
        b = sess.run([s, p])[0]  # max_size 1: a stack surviving runs would overflow
    assert isinstance(a, stack_ops.StackResource) and a is not b
    assert len(b.elements) == 1


def test_pushed_values_are_private_copies(graph: gf.Graph) -> None:
    v = gf.Variable(np.array([1.0, 2.0]), name="v")
    s = stack_v2(-1, F64)
    p = stack_push_v2(s, v.op.outputs[0])  # the variable's storage itself
    with gf.control_dependencies([p]):
        bump = gf.assign_add(v, np.array([5.0, 5.0]))  # in place
    with gf.control_dependencies([bump]):
        q = stack_pop_v2(s, F64)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(q), [1.0, 2.0])


def test_runtime_errors(graph: gf.Graph) -> None:
    s = stack_v2(2, F64, stack_name="st")
    three = pushes(s, [gf.constant(np.ones(1))] * 3)
    fails(three[-1], r"StackPushV2 node .*Stack\[st\] overflowed its max_size \(2\)")
    assert len(run(three[:2])) == 2  # two fit
    e = stack_v2(-5, F64, stack_name="e")  # negative: unbounded
    fails(stack_pop_v2(e, F64), r"Stack\[e\] is empty when calling Pop\(\)")
    fails(pops(e, 2, pushes(e, [gf.constant(np.ones(1))]))[-1], r"Stack\[e\] is empty")
    c = stack_v2(-1, F64, stack_name="c")
    close = stack_close_v2(c)
    with gf.control_dependencies([close]):
        late = stack_push_v2(c, gf.constant(np.ones(1)))
    fails(late, r"Stack\[c\] has already been closed")
    t = stack_v2(-1, gf.float32, stack_name="t")
    fails(stack_push_v2(t, gf.constant(1.0, dtype=F64)),
          r"Stack\[t\] must have type float32 but got float64")
    (p,) = pushes(t, [gf.constant(1.0)])
    fails(pops(t, 1, [p], elem_type=gf.int32)[0],
          r"Stack\[t\] holds float32 elements but the op pops int32")
    ta_handle = gf.TensorArray(F64, size=1).handle
    fails(stack_pop_v2(ta_handle, F64), "input 'handle' is TensorArrayResource, not a stack")
    m = gf.placeholder(gf.int32, None, name="m")
    fails(stack_v2(m, F64), r"max_size 'm:0' \[int32 \(2,\)\] must have rank 0",
          {m: np.array([1, 2], np.int32)})


def test_unbounded_stack_takes_many_elements(graph: gf.Graph) -> None:
    s = stack_v2(-1, gf.int32)
    pushed = pushes(s, [gf.constant(k) for k in range(50)])
    popped = pops(s, 50, pushed, elem_type=gf.int32)
    assert [int(v) for v in run(popped)] == list(range(49, -1, -1))


def test_push_gradient_passes_through(graph: gf.Graph) -> None:
    x = gf.placeholder(F64, [3], name="x")
    s = stack_v2(-1, F64)
    y = gf.reduce_sum(gf.sin(stack_push_v2(s, x * x)))
    assert_gradients(y, [x], {x: rand(3, seed=3)})


def test_tensorflow_stack_graph_runs_in_graphflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")
    tf1 = tf.compat.v1
    from tensorflow.python.ops import gen_data_flow_ops as gen

    tg = tf1.Graph()
    with tg.as_default():
        x = tf1.placeholder(tf1.float32, [2], name="x")
        h = gen.stack_v2(-1, elem_type=tf1.float32, stack_name="st")
        p1 = gen.stack_push_v2(h, x)
        with tf1.control_dependencies([p1]):
            p2 = gen.stack_push_v2(h, x * 3.0)
        with tf1.control_dependencies([p2]):
            a = gen.stack_pop_v2(h, tf1.float32)
        with tf1.control_dependencies([a]):
            b = gen.stack_pop_v2(h, tf1.float32)
        tf1.identity(a + 0.0, name="a")
        tf1.identity(b * 1.0, name="b")
        tf1.identity(p1, name="pushed")
        feeds = {"x:0": np.array([1.0, -2.0], np.float32)}
        with tf1.Session(graph=tg) as sess:
            theirs = sess.run(["a:0", "b:0", "pushed:0"], feeds)
    graph_def = graph_pb2.GraphDef.FromString(tg.as_graph_def().SerializeToString())
    g = gf.Graph()
    with g.as_default():
        gf.import_graph_def(graph_def, name="")
    ours = run(["a:0", "b:0", "pushed:0"], feeds, graph=g)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o, t)


def test_graphflow_stack_graph_runs_in_tensorflow(graph: gf.Graph) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")
    tf1 = tf.compat.v1
    x = gf.placeholder(gf.float32, [2], name="x")
    s = stack_v2(-1, gf.float32, stack_name="st")
    pushed = pushes(s, [x, x * 3.0])
    a, b = pops(s, 2, pushed, elem_type=gf.float32)
    gf.identity(a, name="a")
    gf.identity(b, name="b")
    feeds = {"x:0": np.array([1.0, -2.0], np.float32)}
    ours = run(["a:0", "b:0"], feeds)
    tg = tf1.Graph()
    with tg.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(graph.as_graph_def().SerializeToString()),
                             name="")
        with tf1.Session(graph=tg) as sess:
            theirs = sess.run(["a:0", "b:0"], feeds)
    np.testing.assert_array_equal(theirs[0], [3.0, -6.0])
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o, t)
