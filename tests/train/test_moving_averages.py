"""gf.train.ExponentialMovingAverage vs the TF1 update rule computed in numpy (and vs
TensorFlow itself when it is installed)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.train.moving_averages import moving_average_variables

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test

VALUES = [np.array([1.0, -2.0]), np.array([3.0, 0.5]), np.array([-1.0, 4.0]),
          np.array([2.0, 2.0])]


def _run_updates(var: gf.Variable, update: gf.Operation, shadow: gf.Variable
                 ) -> list[np.ndarray]:
    """Set ``var`` to each of VALUES, run one EMA update after each; the shadow's values."""
    out = []
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        for value in VALUES:
            sess.run(gf.assign(var, value.astype(np.float32)))
            sess.run(update)
            out.append(sess.run(shadow))
    return out


def test_shadow_follows_the_decay_rule() -> None:
    x = gf.Variable(np.array([0.5, 0.25], np.float32), name="x")
    ema = gf.train.ExponentialMovingAverage(0.9)
    update = ema.apply([x])
    shadow = ema.average(x)
    assert shadow is not None and shadow.op.name == "x/ExponentialMovingAverage"
    assert ema.average_name(x) == "x/ExponentialMovingAverage" and ema.name == update.name
    assert not shadow.trainable and shadow in gf.global_variables()
    assert moving_average_variables() == [x]
    want, avg = [], np.array([0.5, 0.25])  # the shadow starts at x's initial value
    for value in VALUES:
        avg = avg - (1 - 0.9) * (avg - value)
        want.append(avg.copy())
    for got, expected in zip(_run_updates(x, update, shadow), want):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_num_updates_caps_the_decay() -> None:
    x = gf.Variable(np.zeros(2, np.float32), name="x")
    step = gf.Variable(np.int64(0), trainable=False, name="step")
    ema = gf.train.ExponentialMovingAverage(0.99, num_updates=step)
    update = ema.apply([x])
    shadow = ema.average(x)
    assert shadow is not None
    increment = gf.assign_add(step, np.int64(1))
    want, avg, got = [], np.zeros(2), []
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        for n, value in enumerate(VALUES):
            decay = min(0.99, (1 + n) / (10 + n))  # 0.1, 2/11, 3/12, 4/13
            avg = avg - (1 - decay) * (avg - value)
            want.append(avg.copy())
            sess.run(gf.assign(x, value.astype(np.float32)))
            sess.run(update)
            got.append(sess.run(shadow))
            sess.run(increment)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_after_an_optimizer_step_it_averages_the_updated_value() -> None:
    """``with control_dependencies([opt_op]): ema.apply(...)``: each update reads the
    variable after that step's optimizer update."""
    w = gf.Variable(np.array([1.0, 2.0], np.float32), name="w")
    loss = gf.reduce_sum(w * w)  # gradient 2w: w <- w - 0.1 * 2w = 0.8 w
    opt = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
    ema = gf.train.ExponentialMovingAverage(0.5)
    with gf.control_dependencies([opt]):
        train = ema.apply([w])
    shadow = ema.average(w)
    assert shadow is not None
    w_np, avg = np.array([1.0, 2.0]), np.array([1.0, 2.0])
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
            w_np = 0.8 * w_np
            avg = avg - 0.5 * (avg - w_np)
            np.testing.assert_allclose(sess.run(w), w_np, rtol=1e-6)
            np.testing.assert_allclose(sess.run(shadow), avg, rtol=1e-6)


@pytest.mark.parametrize("zero_debias", [False, True])
def test_tensor_average_starts_at_zero_and_may_be_debiased(zero_debias: bool) -> None:
    x = gf.Variable(np.zeros(2, np.float32), name="x")
    doubled = gf.multiply(x, 2.0, name="doubled")
    ema = gf.train.ExponentialMovingAverage(0.8, zero_debias=zero_debias)
    update = ema.apply([doubled])
    shadow = ema.average(doubled)
    assert shadow is not None and shadow.op.name == "doubled/ExponentialMovingAverage"
    assert moving_average_variables() == []  # only variables join the collection
    biased, want = np.zeros(2), []
    for t, value in enumerate(VALUES, start=1):
        biased = biased - 0.2 * (biased - 2 * value)
        want.append(biased / (1 - 0.8 ** t) if zero_debias else biased.copy())
    for got, expected in zip(_run_updates(x, update, shadow), want):
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    names = {v.op.name for v in gf.global_variables()}
    debias_vars = {"doubled/ExponentialMovingAverage/biased",
                   "doubled/ExponentialMovingAverage/local_step"}
    assert (debias_vars <= names) == zero_debias


def test_variables_to_restore_loads_averages_into_the_variables(tmp_path: Path) -> None:
    x = gf.Variable(np.array([4.0, 8.0], np.float32), name="x")
    frozen = gf.Variable(np.float32(3.0), trainable=False, name="frozen")
    ema = gf.train.ExponentialMovingAverage(0.5)
    update = ema.apply([x])
    restore = ema.variables_to_restore()
    assert restore == {"x/ExponentialMovingAverage": x, "frozen": frozen}
    assert ema.variables_to_restore([frozen]) == {"frozen/ExponentialMovingAverage": frozen,
                                                  "x": x,
                                                  "x/ExponentialMovingAverage": ema.average(x)}
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(gf.assign(x, np.array([0.0, 0.0], np.float32)))
        sess.run(update)  # shadow: [2, 4]
        path = gf.train.Saver().save(sess, str(tmp_path / "ckpt"))
        np.testing.assert_allclose(sess.run(x), [0.0, 0.0])
        gf.train.Saver(restore).restore(sess, path)
        np.testing.assert_allclose(sess.run(x), [2.0, 4.0])
        assert float(sess.run(frozen)) == 3.0


def test_errors_name_the_variable() -> None:
    count = gf.Variable(np.int32(1), name="count")
    ema = gf.train.ExponentialMovingAverage(0.9)
    with pytest.raises(TypeError, match="half, float, or double: count:0 is int32"):
        ema.apply([count])
    x = gf.Variable(np.zeros(2, np.float32), name="x")
    ema.apply([x])
    with pytest.raises(ValueError, match="Moving average already computed for: x:0"):
        ema.apply([x])
    with pytest.raises(ValueError, match="non-empty name"):
        gf.train.ExponentialMovingAverage(0.9, name="")
    assert ema.average(count) is None
    assert ema.average_name(count) == "count/ExponentialMovingAverage"


def test_same_values_as_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")
    tf1 = tf.compat.v1
    want = []
    graph = tf.Graph()
    with graph.as_default():
        x = tf1.Variable(np.array([0.5, 0.25], np.float32), name="x")
        step = tf1.Variable(np.int64(0), trainable=False, name="step")
        ema = tf1.train.ExponentialMovingAverage(0.9, num_updates=step)
        update = ema.apply([x])
        inc = tf1.assign_add(step, 1)
        value = tf1.placeholder(tf.float32, [2])
        set_x = tf1.assign(x, value)
        assert ema.average_name(x) == "x/ExponentialMovingAverage"
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for v in VALUES:
                sess.run(set_x, {value: v})
                sess.run(update)
                sess.run(inc)
                want.append(sess.run(ema.average(x)))
    got = []
    x = gf.Variable(np.array([0.5, 0.25], np.float32), name="x")
    step = gf.Variable(np.int64(0), trainable=False, name="step")
    ours = gf.train.ExponentialMovingAverage(0.9, num_updates=step)
    update = ours.apply([x])
    inc = gf.assign_add(step, np.int64(1))
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        for v in VALUES:
            sess.run(gf.assign(x, v.astype(np.float32)))
            sess.run(update)
            sess.run(inc)
            got.append(sess.run(ours.average(x)))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
