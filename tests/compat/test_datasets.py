"""tf.data basics through compat.v1: sources, batch/shuffle/repeat/map/take, one-shot and
initializable iterators, OutOfRangeError at the end, errors for bad use."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow.compat.v1 as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def drain(next_element, sess, init=None):
    if init is not None:
        sess.run(init)
    out = []
    while True:
        try:
            out.append(sess.run(next_element))
        except tf.errors.OutOfRangeError:
            return out


def test_from_tensor_slices_batch_and_end_of_sequence() -> None:
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    y = np.arange(5, dtype=np.int64)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)
    assert ds.output_types == (tf.float32, tf.int64)
    assert [s.as_list() for s in ds.output_shapes] == [[None, 2], [None]]
    xb, yb = ds.make_one_shot_iterator().get_next()
    assert xb.shape.as_list() == [None, 2] and yb.dtype == tf.int64
    with tf.Session() as sess:
        got = drain((xb, yb), sess)
        with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
            sess.run(xb)
    assert [len(b[1]) for b in got] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in got]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in got]), y)


def test_drop_remainder_gives_a_static_batch_dimension() -> None:
    ds = tf.data.Dataset.range(7).batch(3, drop_remainder=True)
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    assert nxt.shape.as_list() == [3]
    with tf.Session() as sess:
        assert [b.tolist() for b in drain(nxt, sess)] == [[0, 1, 2], [3, 4, 5]]


def test_shuffle_is_a_seeded_permutation_and_reshuffles_each_epoch() -> None:
    ds = tf.data.Dataset.range(20).shuffle(5, seed=3).repeat(2)
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        got = [int(v) for v in drain(nxt, sess)]
    first, second = got[:20], got[20:]
    assert sorted(first) == list(range(20)) and sorted(second) == list(range(20))
    assert first != list(range(20)) and first != second
    tf.reset_default_graph()
    again = tf.data.Dataset.range(20).shuffle(5, seed=3).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert [int(v) for v in drain(again, sess)] == first
    # a buffer of 5 moves an element at most 4 places earlier than its position
    assert all(v <= i + 4 for i, v in enumerate(first))


def test_map_runs_on_numpy_values_and_dicts_keep_their_keys() -> None:
    ds = tf.data.Dataset.from_tensor_slices({"a": np.arange(4), "b": np.ones(4)})
    ds = ds.map(lambda d: {"s": d["a"] * 10 + d["b"], "a": d["a"]}).take(3)
    nxt = ds.make_one_shot_iterator().get_next()
    assert sorted(nxt) == ["a", "s"]
    with tf.Session() as sess:
        got = drain(nxt, sess)
    assert [float(g["s"]) for g in got] == [1.0, 11.0, 21.0]


def test_initializable_iterator_restarts() -> None:
    it = tf.data.Dataset.from_tensors(np.array([1.0, 2.0])).repeat(2) \
        .make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="initializer"):
            sess.run(nxt)
        assert len(drain(nxt, sess, it.initializer)) == 2
        assert len(drain(nxt, sess, it.initializer)) == 2
    with pytest.raises(ValueError, match="no initializer"):
        tf.data.Dataset.range(3).make_one_shot_iterator().initializer  # noqa: B018


def test_training_loop_over_a_dataset() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5], np.float32))[:, None]
    xb, yb = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(64, seed=1).batch(16) \
        .repeat(40).make_one_shot_iterator().get_next()
    w = tf.Variable(np.zeros((3, 1), np.float32))
    loss = tf.reduce_mean(tf.square(tf.matmul(xb, w) - yb))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        steps = 0
        try:
            while True:
                sess.run(train)
                steps += 1
        except tf.errors.OutOfRangeError:
            pass
        assert steps == 160
        np.testing.assert_allclose(sess.run(w).ravel(), [1.0, -2.0, 0.5], atol=1e-3)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(TypeError, match="numpy arrays"):
        tf.data.Dataset.from_tensor_slices(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="first dimensions differ"):
        tf.data.Dataset.from_tensor_slices((np.ones(3), np.ones(4)))
    ragged = tf.data.Dataset.range(3).map(lambda i: np.ones(int(i) + 1))
    nxt = ragged.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        sess.run(nxt)
        with pytest.raises(tf.errors.InvalidArgumentError, match="declared"):
            sess.run(nxt)
