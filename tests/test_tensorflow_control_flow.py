"""Control flow against TensorFlow itself (skipped without it; never a CI dependency):
TF1 graphs with ``tf.while_loop``/``tf.cond`` (control flow v1) load and run in graphflow
with TF's values, graphflow's loops run in TensorFlow, and graphflow's gradients of a loop
equal ``tf.gradients`` of the same GraphDef.

Run it with a TensorFlow environment, e.g.:
    PYTHONPATH=. /tmp/tfvenv/bin/python -m pytest tests/test_tensorflow_control_flow.py
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")

import graphflow as gf  # noqa: E402  (after the skip: TF is optional)
from graphflow.proto import graph_pb2  # noqa: E402

tf1 = tf.compat.v1
W = (np.arange(9, dtype=np.float32).reshape(3, 3) - 4) / 10
X = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)


@pytest.fixture(autouse=True)
def _v1_control_flow() -> Any:
    tf1.disable_eager_execution()
    tf1.disable_control_flow_v2()
    yield


def _build(api: Any, cond_fn: Any, loop_fn: Any) -> None:
    n = api.placeholder(api.int32, [], name="n")
    x0 = api.placeholder(api.float32, [None, 3], name="x")
    w = api.constant(W, name="w")

    def body(i, x):
        y = cond_fn(api.equal(i % 2, 0), lambda: api.tanh(api.matmul(x, w)), lambda: x * 1.5)
        return i + 1, y
    i, x = loop_fn(lambda i, x: i < n, body, [api.constant(0), x0])
    api.identity(x, name="out")


def _to_graphflow(tf_graph_def: Any) -> graph_pb2.GraphDef:
    out = graph_pb2.GraphDef()
    out.ParseFromString(tf_graph_def.SerializeToString())
    return out


def _run_graphflow(graph_def: graph_pb2.GraphDef, fetches: list[str], feeds: dict) -> Any:
    with gf.Graph().as_default():
        gf.import_graph_def(graph_def, name="")
        with gf.Session() as sess:
            return sess.run(fetches, feeds)


def test_a_tf1_while_loop_with_a_cond_runs_in_graphflow() -> None:
    g = tf.Graph()
    with g.as_default():
        _build(tf1, tf1.cond, tf1.while_loop)
        with tf1.Session() as sess:
            want = sess.run("out:0", {"n:0": 5, "x:0": X})
    ops = {node.op for node in g.as_graph_def().node}
    assert {"Enter", "Merge", "Switch", "LoopCond", "NextIteration", "Exit"} <= ops
    got = _run_graphflow(_to_graphflow(g.as_graph_def()), ["out:0"], {"n:0": 5, "x:0": X})
    np.testing.assert_allclose(got[0], want, rtol=1e-5)


def test_a_graphflow_loop_runs_in_tensorflow() -> None:
    with gf.Graph().as_default() as g:
        _build(gf, gf.cond, gf.while_loop)
        with gf.Session() as sess:
            want = sess.run("out:0", {"n:0": 5, "x:0": X})
    tf_def = tf1.GraphDef()
    tf_def.ParseFromString(g.as_graph_def().SerializeToString())
    with tf.Graph().as_default():
        tf1.import_graph_def(tf_def, name="")
        with tf1.Session() as sess:
            got = sess.run("out:0", {"n:0": 5, "x:0": X})
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_a_frozen_tf1_tensor_array_rnn_loads_and_runs() -> None:
    """An RNN as TF1's dynamic_rnn builds it (TensorArray unstack, while loop reading and
    writing TensorArrays, stack), frozen: TensorArrayV3 and friends inside a loop frame."""
    g = tf.Graph()
    with g.as_default():
        inputs = tf1.placeholder(tf.float32, [4, 2, 3], name="inputs")
        kernel = tf1.get_variable("kernel", initializer=np.linspace(
            -0.5, 0.5, 30, dtype=np.float32).reshape(6, 5)[:, :3])
        in_ta = tf1.TensorArray(tf.float32, size=4).unstack(inputs)
        out_ta = tf1.TensorArray(tf.float32, size=4)

        def step(t, h, out):
            h = tf.tanh(tf.matmul(tf.concat([in_ta.read(t), h], 1), kernel))
            return t + 1, h, out.write(t, h)
        _, h, out = tf1.while_loop(lambda t, *_: t < 4, step,
                                   [tf.constant(0), tf.zeros([2, 3]), out_ta])
        tf.identity(out.stack(), name="outputs")
        tf.identity(h, name="state")
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            frozen = tf1.graph_util.convert_variables_to_constants(
                sess, g.as_graph_def(), ["outputs", "state"])
            feeds = {"inputs:0": np.linspace(-1, 1, 24, dtype=np.float32).reshape(4, 2, 3)}
            want = sess.run(["outputs:0", "state:0"], feeds)
    assert any(node.op == "TensorArrayWriteV3" for node in frozen.node)
    got = _run_graphflow(_to_graphflow(frozen), ["outputs:0", "state:0"], feeds)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _loop_loss(api: Any) -> tuple[Any, Any, Any]:
    x0 = api.placeholder(api.float32, [2, 3], name="x")
    w = api.placeholder(api.float32, [3, 3], name="w")

    def body(i, x):
        y = api.tanh(api.matmul(x, w)) + 0.5 * x
        y = api.cond(api.equal(i % 2, 0), lambda: y * y, lambda: api.sin(y))
        return i + 1, y
    _, x = api.while_loop(lambda i, x: i < 4, body, [api.constant(0), x0])
    return api.reduce_sum(api.square(x)), x0, w


def test_loop_gradients_equal_tensorflows() -> None:
    """The same program in both (TensorFlow cannot differentiate an imported loop: its
    gradient code needs the Python WhileContext); same values, same gradients."""
    with gf.Graph().as_default():
        loss, x0, w = _loop_loss(gf)
        grads = gf.gradients(loss, [x0, w])
        with gf.Session() as sess:
            ours = sess.run([loss, *grads], {x0: X, w: W})
    with tf.Graph().as_default():
        loss, x0, w = _loop_loss(tf1)
        grads = tf1.gradients(loss, [x0, w])
        with tf1.Session() as sess:
            theirs = sess.run([loss, *grads], {x0: X, w: W})
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
