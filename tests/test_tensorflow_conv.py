"""TensorFlow as the reference for the convolution, pooling and batch-norm ops (skipped
without tensorflow; run with a Python that has it, e.g.
``/tmp/tfvenv/bin/python -m pytest tests/test_tensorflow_conv.py``).

1. For every padding/stride/dilation/format case of a table: the same raw op (TF's op type
   and attrs) in TF and in graphflow, the same inputs; outputs and the gradients of a
   weighted sum with respect to every input must agree.
2. A MobileNet-v1-shaped network (conv, depthwise conv, fused batch norm, relu6, pooling,
   spatial mean, softmax) built in ``tf.compat.v1`` with random weights, frozen with
   ``convert_variables_to_constants`` and written to a .pb: graphflow loads it and gives
   TF's outputs, and ``graphflow inspect`` / ``graphflow render --collapse`` work on it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.io import graph_io

tf = pytest.importorskip("tensorflow")
v1 = tf.compat.v1

pytestmark = pytest.mark.usefixtures("graph")


def _vec(hw: tuple[int, int], fmt: str) -> list[int]:
    return [1, hw[0], hw[1], 1] if fmt == "NHWC" else [1, 1, hw[0], hw[1]]


# (op, padding, strides, dilations, data_format); EXPLICIT paddings are NHWC/NCHW 8-vectors.
CONV_CASES = [
    ("Conv2D", "VALID", (1, 1), (1, 1), "NHWC"),
    ("Conv2D", "SAME", (2, 2), (1, 1), "NHWC"),
    ("Conv2D", "SAME", (1, 1), (2, 2), "NHWC"),
    ("Conv2D", "VALID", (2, 1), (1, 1), "NHWC"),
    ("Conv2D", [0, 0, 1, 2, 0, 1, 0, 0], (2, 1), (1, 1), "NHWC"),
    ("Conv2D", "SAME", (2, 2), (1, 1), "NCHW"),
    ("DepthwiseConv2dNative", "VALID", (1, 1), (1, 1), "NHWC"),
    ("DepthwiseConv2dNative", "SAME", (2, 2), (1, 1), "NHWC"),
    ("DepthwiseConv2dNative", "VALID", (2, 2), (1, 1), "NHWC"),
    ("DepthwiseConv2dNative", "SAME", (1, 1), (2, 2), "NHWC"),
    ("DepthwiseConv2dNative", "VALID", (1, 1), (2, 2), "NCHW"),
]
# TF's CPU kernels lack some of these (no dilations in backprops/depthwise, no NCHW filter
# backprop): TF's side is then built as TF's Python API does it — dilations through
# with_space_to_batch (SpaceToBatchND around an undilated conv), NCHW through transposes
# around the NHWC op. graphflow's side is always the single raw op.


def _conv_attrs(padding: object, strides: tuple, dilations: tuple, fmt: str) -> dict:
    attrs = {"strides": _vec(strides, fmt), "dilations": _vec(dilations, fmt),
             "data_format": fmt}
    if isinstance(padding, list):
        attrs.update(padding="EXPLICIT", explicit_paddings=padding)
    else:
        attrs["padding"] = padding
    return attrs


def _tf_values(build, inputs: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """TF's output of ``build(*placeholders)`` and the gradients of sum(y * w)."""
    g = tf.Graph()
    with g.as_default():
        phs = [v1.placeholder(tf.float64, a.shape) for a in inputs]
        y = build(*phs)
        w = tf.constant(np.random.default_rng(7).normal(size=y.shape.as_list()))
        grads = tf.gradients(tf.reduce_sum(y * w), phs)
        with v1.Session(graph=g) as sess:
            out = sess.run([y] + grads, dict(zip(phs, inputs)))
    return out[0], out[1:]


def _gf_values(build, inputs: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    phs = [gf.placeholder(gf.float64, a.shape) for a in inputs]
    y = build(*phs)
    w = gf.constant(np.random.default_rng(7).normal(size=y.shape.as_list()))
    grads = gf.gradients(gf.reduce_sum(y * w), phs)
    with gf.Session() as sess:
        out = sess.run([y] + grads, dict(zip(phs, inputs)))
    return out[0], out[1:]


def _compare(tf_build, gf_build, inputs: list[np.ndarray]) -> None:
    want, want_grads = _tf_values(tf_build, inputs)
    got, got_grads = _gf_values(gf_build, inputs)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    for a, b in zip(got_grads, want_grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv_ops_and_gradients_match_tensorflow(case: tuple) -> None:
    op, padding, strides, dilations, fmt = case
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 5, 3) if fmt == "NHWC" else (2, 3, 6, 5))
    f = rng.normal(size=(3, 2, 3, 4 if op == "Conv2D" else 2))
    attrs = _conv_attrs(padding, strides, dilations, fmt)

    def tf_raw(a, b, fmt_attrs):
        fn = tf.raw_ops.Conv2D if op == "Conv2D" else tf.raw_ops.DepthwiseConv2dNative
        return fn(input=a, filter=b, **fmt_attrs)

    def tf_nhwc(a, b):
        nhwc = _conv_attrs(padding, strides, (1, 1), "NHWC")
        if dilations == (1, 1):
            return tf_raw(a, b, nhwc)

        def undilated(inp, num_spatial_dims, padding):
            return tf_raw(inp, b, {**nhwc, "padding": padding})

        return tf.nn.with_space_to_batch(a, list(dilations), padding, op=undilated,
                                         filter_shape=list(b.shape[:2]))

    def tf_build(a, b):
        if fmt == "NHWC":
            return tf_nhwc(a, b)
        return tf.transpose(tf_nhwc(tf.transpose(a, [0, 2, 3, 1]), b), [0, 3, 1, 2])

    def gf_build(a, b):
        return gf.get_default_graph().create_op(op, [a, b], {"T": gf.float64, **attrs}
                                                ).outputs[0]

    _compare(tf_build, gf_build, [x, f])


def test_conv2d_transpose_and_conv1d_match_tensorflow() -> None:
    rng = np.random.default_rng(1)
    v, f = rng.normal(size=(2, 3, 3, 4)), rng.normal(size=(3, 3, 2, 4))
    _compare(lambda a, b: tf.nn.conv2d_transpose(a, b, [2, 6, 5, 2], [1, 2, 2, 1], "SAME"),
             lambda a, b: gf.nn.conv2d_transpose(a, b, [2, 6, 5, 2], [1, 2, 2, 1], "SAME"),
             [v, f])
    x, k = rng.normal(size=(2, 9, 3)), rng.normal(size=(3, 3, 5))
    _compare(lambda a, b: v1.nn.conv1d(a, b, 2, "SAME"),
             lambda a, b: gf.nn.conv1d(a, b, 2, "SAME"), [x, k])
    d, p = rng.normal(size=(3, 3, 3, 2)), rng.normal(size=(1, 1, 6, 4))
    x4 = rng.normal(size=(1, 5, 5, 3))
    _compare(lambda a, b, c: tf.nn.separable_conv2d(a, b, c, [1, 1, 1, 1], "SAME"),
             lambda a, b, c: gf.nn.separable_conv2d(a, b, c, [1, 1, 1, 1], "SAME"),
             [x4, d, p])


POOL_CASES = [
    ("MaxPool", (2, 2), (2, 2), "VALID", "NHWC"),
    ("MaxPool", (3, 3), (2, 2), "SAME", "NHWC"),
    ("MaxPool", (3, 2), (1, 2), "SAME", "NHWC"),
    ("AvgPool", (2, 2), (2, 2), "VALID", "NHWC"),
    ("AvgPool", (3, 3), (2, 2), "SAME", "NHWC"),
    ("AvgPool", (3, 2), (1, 1), "SAME", "NHWC"),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pooling_and_gradients_match_tensorflow(case: tuple) -> None:
    op, k, s, padding, fmt = case
    x = np.random.default_rng(2).permutation(2 * 5 * 6 * 3).reshape(2, 5, 6, 3) * 0.1
    attrs = {"ksize": _vec(k, fmt), "strides": _vec(s, fmt), "padding": padding,
             "data_format": fmt}
    fn = tf.raw_ops.MaxPool if op == "MaxPool" else tf.raw_ops.AvgPool
    _compare(lambda a: fn(**({"input": a} if op == "MaxPool" else {"value": a}), **attrs),
             lambda a: gf.get_default_graph().create_op(op, [a], {"T": gf.float64, **attrs}
                                                        ).outputs[0], [x])


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_fused_batch_norm_and_gradients_match_tensorflow(training: bool) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(1, 2, size=(2, 3, 4, 3)).astype(np.float32)
    stats = [rng.normal(size=3).astype(np.float32) for _ in range(3)] + [
        rng.uniform(0.5, 2, size=3).astype(np.float32)]
    w_val = rng.normal(size=x.shape).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        phs = [v1.placeholder(tf.float32, a.shape) for a in [x] + stats]
        y, m, var = v1.nn.fused_batch_norm(*phs, epsilon=0.01, is_training=training)
        w = tf.constant(w_val)
        grads = tf.gradients(tf.reduce_sum(y * w), phs[:3])
        with v1.Session(graph=g) as sess:
            want = sess.run([y, m, var] + grads, dict(zip(phs, [x] + stats)))
    gph = [gf.placeholder(gf.float32, a.shape) for a in [x] + stats]
    gy, gm, gv = gf.nn.fused_batch_norm(*gph, epsilon=0.01, is_training=training)
    ggrads = gf.gradients(gf.reduce_sum(gy * gf.constant(w_val)), gph[:3])
    with gf.Session() as sess:
        got = sess.run([gy, gm, gv] + ggrads, dict(zip(gph, [x] + stats)))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-4)


# ----------------------------------------------------------------------------------------
# A frozen MobileNet-v1-shaped network
# ----------------------------------------------------------------------------------------


def _mobilenet_graph_def(x_val: np.ndarray) -> tuple[object, np.ndarray]:
    """Build, initialize (random weights and BN statistics), freeze; (GraphDef, TF probs)."""
    rng = np.random.default_rng(4)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 32, 32, 3], name="input")

        def var(name, shape, low=-0.5, high=0.5):
            return v1.get_variable(name, initializer=rng.uniform(low, high, shape).astype(
                np.float32))

        def bn(h, name):
            c = h.shape[-1]
            with v1.variable_scope(name):
                y, _, _ = v1.nn.fused_batch_norm(
                    h, var("gamma", [c], 0.5, 1.5), var("beta", [c]), var("mean", [c]),
                    var("variance", [c], 0.5, 2.0), epsilon=0.001, is_training=False)
            return tf.nn.relu6(y)

        with v1.variable_scope("Conv2d_0"):
            h = tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]])
            h = tf.nn.conv2d(h, var("weights", [3, 3, 3, 8]), [1, 2, 2, 1], "VALID")
            h = bn(h, "BatchNorm")
        for i, (stride, out) in enumerate([(1, 16), (2, 32), (1, 32)], start=1):
            with v1.variable_scope(f"Conv2d_{i}_depthwise"):
                h = tf.nn.depthwise_conv2d(h, var("depthwise_weights", [3, 3, h.shape[-1], 1]),
                                           [1, stride, stride, 1], "SAME")
                h = bn(h, "BatchNorm")
            with v1.variable_scope(f"Conv2d_{i}_pointwise"):
                h = tf.nn.conv2d(h, var("weights", [1, 1, h.shape[-1], out]), [1, 1, 1, 1],
                                 "SAME")
                h = bn(h, "BatchNorm")
        with v1.variable_scope("Logits"):
            pooled = tf.nn.max_pool2d(h, 2, 2, "VALID")
            h = tf.nn.avg_pool2d(pooled, [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
            h = tf.reduce_mean(h, [1, 2], keepdims=True, name="global_pool")
            h = tf.nn.conv2d(h, var("weights", [1, 1, 32, 10]), [1, 1, 1, 1], "SAME")
            h = tf.nn.bias_add(h, var("biases", [10]))
            logits = tf.squeeze(h, [1, 2], name="SpatialSqueeze")
        tf.nn.softmax(logits, name="Predictions")
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            probs = sess.run("Predictions:0", {x: x_val})
            frozen = v1.graph_util.convert_variables_to_constants(
                sess, g.as_graph_def(), ["Predictions"])
    return frozen, probs


def test_frozen_mobilenet_loads_and_matches_tensorflow(tmp_path: Path) -> None:
    x_val = np.random.default_rng(5).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    frozen, want = _mobilenet_graph_def(x_val)
    path = tmp_path / "mobilenet.pb"
    path.write_bytes(frozen.SerializeToString())
    types = {n.op for n in frozen.node}
    assert {"Conv2D", "DepthwiseConv2dNative", "FusedBatchNormV3", "Relu6", "MaxPool",
            "AvgPool", "Mean", "Pad", "Squeeze", "Softmax", "BiasAdd"} <= types

    graph_def = graph_io.read_graph(path)
    g = gf.Graph()
    with g.as_default():
        gf.import_graph_def(graph_def, name="")
        with gf.Session(graph=g) as sess:
            got = sess.run("Predictions:0", {"input:0": x_val})
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    assert np.argmax(got, 1).tolist() == np.argmax(want, 1).tolist()

    cli = [sys.executable, "-m", "graphflow"]
    inspect = subprocess.run(cli + ["inspect", str(path)], capture_output=True, text=True,
                             check=False)
    assert inspect.returncode == 0, inspect.stderr
    for word in ("Conv2D", "DepthwiseConv2dNative", "FusedBatchNormV3", "input"):
        assert word in inspect.stdout
    assert "cannot run" not in inspect.stdout.lower() or "none" in inspect.stdout.lower()
    svg = tmp_path / "mobilenet.svg"
    render = subprocess.run(cli + ["render", str(path), "--collapse", "-o", str(svg)],
                            capture_output=True, text=True, check=False)
    assert render.returncode == 0, render.stderr
    text = svg.read_text()
    assert "Conv2d_1_depthwise" in text and "Logits" in text
