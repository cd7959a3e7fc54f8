"""gf.layers.conv1d/conv2d/max_pooling2d/average_pooling2d/batch_normalization/flatten:
TF1's variables and nodes, values vs numpy, a small CNN that trains, batch-norm
moving-average updates through UPDATE_OPS."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import conv_ops
from tests.ops.helpers import rand

pytestmark = pytest.mark.usefixtures("graph")


def _init_run(fetches, feeds=None):
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        return sess.run(fetches, feeds)


def test_conv2d_layer_variables_nodes_and_values() -> None:
    x = gf.placeholder(gf.float64, (2, 6, 5, 3), name="x")
    y = gf.layers.conv2d(x, 4, 3, strides=2, padding="same", activation=gf.nn.relu)
    names = [v.name for v in gf.trainable_variables()]
    assert names == ["conv2d/kernel:0", "conv2d/bias:0"]
    assert y.op.name == "conv2d/Relu" and y.shape.as_list() == [2, 3, 3, 4]
    xv = rand((2, 6, 5, 3), seed=1)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        out, k, b = sess.run([y, "conv2d/kernel:0", "conv2d/bias:0"], {x: xv})
    ref = _init_free_conv(xv, k, 2) + b
    np.testing.assert_allclose(out, np.maximum(ref, 0), rtol=1e-10)
    gf.layers.conv2d(x, 4, 3, padding="same", name="conv2d", reuse=True)  # shares
    with pytest.raises(ValueError, match="already exists"):
        gf.layers.conv2d(x, 4, 3, name="conv2d")


def _init_free_conv(x: np.ndarray, k: np.ndarray, s: int) -> np.ndarray:
    g = gf.Graph()
    with g.as_default(), gf.Session() as sess:
        return sess.run(conv_ops.conv2d(gf.constant(x), gf.constant(k), s, "SAME"))


def test_conv1d_pooling_and_flatten_shapes() -> None:
    x = gf.placeholder(gf.float32, (None, 9, 2))
    c1 = gf.layers.conv1d(x, 5, 3, padding="valid")
    assert c1.shape.as_list() == [None, 7, 5]
    img = gf.placeholder(gf.float32, (None, 8, 8, 3))
    p = gf.layers.max_pooling2d(img, 2, 2)
    a = gf.layers.average_pooling2d(img, 3, 2, padding="same")
    assert p.op.name == "max_pooling2d/MaxPool" and p.shape.as_list() == [None, 4, 4, 3]
    assert a.op.type == "AvgPool" and a.shape.as_list() == [None, 4, 4, 3]
    f = gf.layers.flatten(p)
    assert f.shape.as_list() == [None, 48]
    xv = np.arange(2 * 8 * 8 * 3, dtype=np.float32).reshape(2, 8, 8, 3)
    out = _init_run(f, {img: xv})
    ref = xv.reshape(2, 4, 2, 4, 2, 3).max(axis=(2, 4)).reshape(2, -1)
    np.testing.assert_array_equal(out, ref)


def test_small_cnn_trains() -> None:
    rng = np.random.default_rng(0)
    xv = rng.normal(size=(16, 6, 6, 1))
    yv = (xv[:, :3].sum(axis=(1, 2, 3)) > xv[:, 3:].sum(axis=(1, 2, 3))).astype(np.int32)
    x = gf.placeholder(gf.float64, (None, 6, 6, 1))
    labels = gf.placeholder(gf.int32, (None,))
    h = gf.layers.conv2d(x, 4, 3, padding="same", activation=gf.nn.relu)
    h = gf.layers.max_pooling2d(h, 2, 2)
    h = gf.layers.batch_normalization(h, training=True)
    logits = gf.layers.dense(gf.layers.flatten(h), 2)
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits))
    updates = gf.get_collection(gf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    train = gf.train.AdamOptimizer(0.05).minimize(loss)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        first = sess.run(loss, {x: xv, labels: yv})
        for _ in range(30):
            sess.run([train] + updates, {x: xv, labels: yv})
        last = sess.run(loss, {x: xv, labels: yv})
        moving = sess.run("batch_normalization/moving_mean:0")
    assert last < 0.5 * first
    assert np.all(moving != 0)


def test_batch_norm_layer_inference_and_tensor_training_flag() -> None:
    xv = rand((4, 2, 2, 3), seed=2) * 3 + 1
    x = gf.constant(xv)
    flag = gf.placeholder_with_default(False, [])
    y = gf.layers.batch_normalization(x, momentum=0.5, training=flag)
    updates = gf.get_collection(gf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2, updates
    update_mean = updates[0]
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        infer = sess.run(y)  # moving stats 0 / 1: y = x / sqrt(1 + eps)
        np.testing.assert_allclose(infer, xv / np.sqrt(1 + np.float32(1e-3)), rtol=1e-6)
        sess.run(update_mean)  # flag False: decay 0, unchanged
        np.testing.assert_array_equal(sess.run("batch_normalization/moving_mean:0"), 0)
        trained = sess.run(y, {flag: True})
        np.testing.assert_allclose(trained.mean(axis=(0, 1, 2)), 0, atol=1e-9)
        sess.run(update_mean, {flag: True})
        np.testing.assert_allclose(sess.run("batch_normalization/moving_mean:0"),
                                   0.5 * xv.mean(axis=(0, 1, 2)), rtol=1e-9)
