"""Optimizers: one step matches the update rule computed by hand in numpy; a small MLP's
loss goes down with each optimizer; global step, slots, errors; sparse row updates."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf


def _quadratic(dtype=np.float64):
    """loss = sum((W x - t)^2) / 2 with a fixed x, t; returns the pieces and dloss/dW."""
    graph = gf.Graph()
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((3, 4)).astype(dtype)
    xv = rng.standard_normal((4, 2)).astype(dtype)
    tv = rng.standard_normal((3, 2)).astype(dtype)
    with graph.as_default():
        W = gf.Variable(w0, name="W")
        loss = gf.reduce_sum(gf.square(gf.matmul(W, gf.constant(xv)) - gf.constant(tv))) * 0.5

    def grad(w):
        return (w @ xv - tv) @ xv.T
    return graph, W, loss, w0, grad


def _run_steps(opt, steps=3):
    graph, W, loss, w0, grad = _quadratic()
    with graph.as_default():
        train = opt.minimize(loss)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            values = []
            for _ in range(steps):
                sess.run(train)
                values.append(sess.run(W))
    return w0, grad, values


def test_gradient_descent_step_matches_numpy():
    w0, grad, values = _run_steps(gf.train.GradientDescentOptimizer(0.1))
    w = w0.copy()
    for got in values:
        w = w - 0.1 * grad(w)
        np.testing.assert_allclose(got, w, rtol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_step_matches_numpy(nesterov):
    w0, grad, values = _run_steps(gf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=nesterov))
    w, accum = w0.copy(), np.zeros_like(w0)
    for got in values:
        g = grad(w)
        accum = 0.9 * accum + g
        w = w - (0.05 * g + 0.05 * 0.9 * accum if nesterov else 0.05 * accum)
        np.testing.assert_allclose(got, w, rtol=1e-12)


def test_adam_step_matches_numpy():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    w0, grad, values = _run_steps(gf.train.AdamOptimizer(lr, b1, b2, eps), steps=4)
    w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t, got in enumerate(values, start=1):
        g = grad(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(got, w, rtol=1e-10)


@pytest.mark.parametrize("make_opt", [
    lambda: gf.train.GradientDescentOptimizer(0.5),
    lambda: gf.train.MomentumOptimizer(0.1, 0.9),
    lambda: gf.train.AdamOptimizer(0.05),
], ids=["sgd", "momentum", "adam"])
def test_mlp_loss_decreases(make_opt):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 5)).astype(np.float32)
    Y = (X @ rng.standard_normal((5, 1)) > 0).astype(np.float32)
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float32, [None, 5], name="x")
        y = gf.placeholder(gf.float32, [None, 1], name="y")
        W1 = gf.Variable(rng.standard_normal((5, 8)).astype(np.float32) * 0.5, name="W1")
        b1 = gf.Variable(np.zeros(8, np.float32), name="b1")
        W2 = gf.Variable(rng.standard_normal((8, 1)).astype(np.float32) * 0.5, name="W2")
        p = gf.sigmoid(gf.tanh(x @ W1 + b1) @ W2)
        loss = gf.reduce_mean(gf.square(p - y))
        step = gf.train.get_or_create_global_step()
        train = make_opt().minimize(loss, global_step=step)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            first = sess.run(loss, {x: X, y: Y})
            for _ in range(60):
                _, last = sess.run([train, loss], {x: X, y: Y})
            assert sess.run(step) == 60
    assert last < 0.5 * first


def test_slots_and_names_follow_tensorflow():
    graph, W, loss, _, _ = _quadratic()
    with graph.as_default():
        opt = gf.train.AdamOptimizer()
        train = opt.minimize(loss)
        names = {op.name for op in graph.get_operations()}
    assert train.name == "Adam"
    assert {"W/Adam", "W/Adam_1", "beta1_power", "beta2_power",
            "Adam/update_W/ApplyAdam"} <= names
    assert opt.get_slot(W, "m").op.name == "W/Adam"
    assert opt.get_slot_names() == ["m", "v"]


def test_minimize_without_gradients_is_a_clear_error():
    graph = gf.Graph()
    with graph.as_default():
        W = gf.Variable(np.ones(3, np.float32), name="W")
        loss = gf.reduce_sum(gf.stop_gradient(W.value()))
        with pytest.raises(ValueError, match="no gradients provided.*W"):
            gf.train.GradientDescentOptimizer(0.1).minimize(loss)


def test_no_variables_is_a_clear_error():
    graph = gf.Graph()
    with graph.as_default():
        loss = gf.reduce_sum(gf.constant([1.0, 2.0]))
        with pytest.raises(ValueError, match="no variables to optimize"):
            gf.train.GradientDescentOptimizer(0.1).minimize(loss)


def test_update_of_uninitialized_variable_names_it():
    graph, W, loss, _, _ = _quadratic()
    with graph.as_default():
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with gf.Session() as sess, pytest.raises(gf.FailedPreconditionError, match="'W'"):
            sess.run(train)


def test_saver_round_trip(tmp_path):
    graph, W, loss, w0, _ = _quadratic()
    with graph.as_default():
        train = gf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
        saver = gf.train.Saver()
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            sess.run(train)
            saved_w = sess.run(W)
            path = saver.save(sess, tmp_path / "model", global_step=7)
        assert path.endswith("model-7")  # a V2 prefix: model-7.index + model-7.data-*
        assert (tmp_path / "model-7.index").exists()
        assert (tmp_path / "model-7.data-00000-of-00001").exists()
        assert gf.train.latest_checkpoint(tmp_path) == path
        with gf.Session() as sess:
            saver.restore(sess, path)
            np.testing.assert_array_equal(sess.run(W), saved_w)
            sess.run(train)  # momentum slot restored too: training resumes
            assert not np.allclose(sess.run(W), saved_w)


def test_lazy_adam_updates_only_the_looked_up_rows() -> None:
    """One step on E[ids] against the formulas of graphflow/train/lazy_adam.py's docstring."""
    rng = np.random.default_rng(0)
    e0 = rng.standard_normal((6, 3)).astype(np.float32)
    ids = np.array([4, 1, 4], dtype=np.int32)
    graph = gf.Graph()
    with graph.as_default():
        E = gf.Variable(e0, name="E")
        loss = gf.reduce_sum(gf.square(gf.nn.embedding_lookup(E, ids)))
        train_op = gf.train.LazyAdamOptimizer(0.1).minimize(loss)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            sess.run(train_op)
            sess.run(train_op)
            got = sess.run(E)
    want = e0.astype(np.float64).copy()
    m, v = np.zeros_like(want), np.zeros_like(want)
    for t in (1, 2):
        g = np.zeros_like(want)
        np.add.at(g, ids, 2 * want[ids])
        rows = np.unique(ids)
        m[rows] = 0.9 * m[rows] + 0.1 * g[rows]
        v[rows] = 0.999 * v[rows] + 0.001 * g[rows] ** 2
        lr_t = 0.1 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        want[rows] -= lr_t * m[rows] / (np.sqrt(v[rows]) + 1e-8)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    untouched = [0, 2, 3, 5]
    np.testing.assert_array_equal(got[untouched], e0[untouched])
