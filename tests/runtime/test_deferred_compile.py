"""A large plan runs through the interpreter loop until its ``COMPILE_AFTER_RUNS``-th run,
which compiles the generated source (``executor.DEFER_COMPILES``): every run — values,
variable updates, errors, NaN origins — is the same as with the source compiled when the
plan is bound, and plans that are small, already compiled (the same source) or have steps
on the worker thread compile at once. The size threshold is lowered here so that small
graphs take the deferred path."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.runtime import executor


@pytest.fixture
def deferred(monkeypatch):
    """Plans of 4 steps or more defer their compile to their third run."""
    monkeypatch.setattr(executor, "DEFER_COMPILE_STEPS", 4)
    monkeypatch.setattr(executor, "COMPILE_AFTER_RUNS", 3)
    executor.forget_compiled_sources()
    yield
    executor.forget_compiled_sources()


def _bound_plans(sess):
    return [bound for signature in sess._plans.values() if signature.feeds
            for bound in signature.by_shape.values()]


def _training(defer: bool, monkeypatch, steps: int = 6, config=None):
    """A window-classifier SGD loop: per-run losses, gradients and the final variables, and
    per run whether its plan ran compiled."""
    monkeypatch.setattr(executor, "DEFER_COMPILES", defer)
    executor.forget_compiled_sources()
    rng = np.random.default_rng(0)
    with gf.Graph().as_default():
        ids = gf.placeholder(gf.int32, [None, 3], name="ids")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        emb = gf.Variable(rng.standard_normal((20, 4)).astype(np.float32), name="E")
        w = gf.Variable(rng.standard_normal((12, 5)).astype(np.float32), name="W")
        x = gf.reshape(gf.nn.embedding_lookup(emb, ids), [-1, 12])
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=gf.tanh(gf.matmul(x, w))))
        (dw,) = gf.gradients(loss, [w])
        train = gf.train.GradientDescentOptimizer(0.5).minimize(loss)
        with gf.Session(config=config or gf.SessionConfig()) as sess:
            sess.run(gf.global_variables_initializer())
            out, modes = [], []
            for _ in range(steps):
                feed = {ids: rng.integers(0, 20, (8, 3)).astype(np.int32),
                        labels: rng.integers(0, 5, 8).astype(np.int32)}
                out.append(sess.run([train, loss, dw], feed)[1:])
                modes.append([b.compiled_now for b in _bound_plans(sess)])
            out.append(sess.run([emb, w]))
    return out, modes


def test_runs_are_interpreted_until_the_compile_then_the_same_as_compiled_at_once(
        deferred, monkeypatch):
    got, modes = _training(True, monkeypatch)
    want, modes_at_once = _training(False, monkeypatch)
    assert modes == [[False], [False], [True], [True], [True], [True]]
    assert modes_at_once == [[True]] * 6
    for a, b in zip(got, want):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
            assert u.dtype == v.dtype


def test_small_plans_and_plans_already_compiled_compile_at_once(deferred, monkeypatch):
    monkeypatch.setattr(executor, "DEFER_COMPILE_STEPS", 10_000)
    _, modes = _training(True, monkeypatch, steps=2)
    assert modes == [[True], [True]]
    monkeypatch.setattr(executor, "DEFER_COMPILE_STEPS", 4)
    _, first = _training(True, monkeypatch, steps=3)
    assert first == [[False], [False], [True]]
    # a second session of the same graph generates the same source: compiled already
    monkeypatch.setattr(executor, "forget_compiled_sources", lambda: None)
    _, again = _training(True, monkeypatch, steps=1)
    assert again == [[True]]


def test_plans_with_steps_on_the_worker_compile_at_once(deferred, monkeypatch):
    # the window classifier's SGD step at sizes where the worker takes a product
    # (x @ W: 2 * 512 * 128 * 256 flops, above parallel.MIN_FLOPS)
    rng = np.random.default_rng(0)
    with gf.Graph().as_default():
        ids = gf.placeholder(gf.int32, [None, 2], name="ids")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        emb = gf.Variable(rng.uniform(-0.1, 0.1, (300, 64)).astype(np.float32), name="E")
        w = gf.Variable((rng.standard_normal((128, 256)) * 0.1).astype(np.float32), name="W")
        u = gf.Variable((rng.standard_normal((256, 5)) * 0.1).astype(np.float32), name="U")
        h = gf.tanh(gf.matmul(gf.reshape(gf.nn.embedding_lookup(emb, ids), [-1, 128]), w))
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=gf.matmul(h, u)))
        train = gf.train.GradientDescentOptimizer(0.5).minimize(loss)
        with gf.Session(config=gf.SessionConfig(inter_op_threads=2)) as sess:
            sess.run(gf.global_variables_initializer())
            sess.run([train, loss], {ids: rng.integers(0, 300, (512, 2)).astype(np.int32),
                                     labels: rng.integers(0, 5, 512).astype(np.int32)})
            (bound,) = _bound_plans(sess)
            assert any(st.parallel == "async" for st in bound.plan.steps)
            assert bound.compiled_now


def _failing(defer: bool, monkeypatch, runs: int, check_numerics: bool):
    """The error of the ``runs``-th run of one plan, whose earlier runs succeed (a gather
    of a row that does not exist, or under check_numerics a log of zero), and whether that
    run was compiled."""
    monkeypatch.setattr(executor, "DEFER_COMPILES", defer)
    executor.forget_compiled_sources()
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None], name="x")
        idx = gf.placeholder(gf.int32, [None], name="idx")
        if check_numerics:
            out = gf.reduce_sum(gf.log(x * 1.5 - 0.5) * 2.0 + 1.0, name="loss")
        else:
            out = gf.gather(gf.tanh(x) * 2.0 + 1.0, idx, name="pick") - 1.0
        good_x, bad_x = np.ones(6, np.float32), np.array([1, 1, 1 / 3, 1, 1, 1], np.float32)
        good_idx, bad_idx = np.array([0, 5], np.int32), np.array([0, 6], np.int32)
        with gf.Session(check_numerics=check_numerics) as sess:
            for _ in range(runs - 1):
                sess.run(out, {x: good_x, idx: good_idx})
            with pytest.raises(gf.InvalidArgumentError) as caught:
                sess.run(out, {x: bad_x if check_numerics else good_x,
                               idx: good_idx if check_numerics else bad_idx})
            (compiled,) = [b.compiled_now for b in _bound_plans(sess)]
    return type(caught.value), str(caught.value), compiled


@pytest.mark.parametrize("check_numerics", [False, True], ids=["run-time error", "NaN origin"])
@pytest.mark.parametrize("runs", [1, 3], ids=["interpreted run", "compiled run"])
def test_errors_are_the_same_interpreted_and_compiled(deferred, monkeypatch, runs,
                                                      check_numerics):
    kind, message, compiled = _failing(True, monkeypatch, runs, check_numerics)
    assert (kind, message) == _failing(False, monkeypatch, runs, check_numerics)[:2]
    assert compiled is (runs == 3)
    assert ("check_numerics: Log node" if check_numerics else "GatherV2 node 'pick'") in message
