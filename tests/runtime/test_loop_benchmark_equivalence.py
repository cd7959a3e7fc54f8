"""benchmarks/rnn_loop_vs_unrolled.py measures the same computation twice: its while-loop RNN
and its unrolled RNN (T=5 here) give the same loss and gradients, and both equal numpy."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "rnn_loop_vs_unrolled.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("rnn_loop_vs_unrolled", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def _numpy(kernel, bias, x, y):
    """Loss mean((h_T - y)^2) and its gradients w.r.t. kernel, bias, x by hand (BPTT)."""
    steps, _, depth = x.shape
    hs, h = [np.zeros_like(y)], np.zeros_like(y)
    for t in range(steps):
        h = np.tanh(np.concatenate([x[t], h], 1) @ kernel + bias)
        hs.append(h)
    loss = np.mean((h - y) ** 2)
    dh = 2 * (h - y) / y.size
    dk, db, dx = np.zeros_like(kernel), np.zeros_like(bias), np.zeros_like(x)
    for t in reversed(range(steps)):
        dz = dh * (1 - hs[t + 1] ** 2)
        dk += np.concatenate([x[t], hs[t]], 1).T @ dz
        db += dz.sum(0)
        dx[t] = dz @ kernel[:depth].T
        dh = dz @ kernel[depth:].T
    return loss, dk, db, dx


def test_loop_and_unrolled_agree_with_each_other_and_numpy(bench):
    model = bench.build(steps=5, batch=3, units=4, depth=2, dtype=gf.float64, seed=0)
    feed = model.feed(seed=2)
    with gf.Session(graph=model.graph) as sess:
        sess.run("init")
        kernel, bias = sess.run(model.variables)
        loops = sess.run(model.loop.fetches, feed)
        unrolled = sess.run(model.unrolled.fetches, feed)
        losses = bench.check_equal(model, sess, feed, rtol=1e-12)
    want = _numpy(kernel, bias, feed[model.x], feed[model.y])
    for got_loop, got_unrolled, expected in zip(loops, unrolled, want):
        np.testing.assert_allclose(got_loop, expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(got_unrolled, expected, rtol=1e-12, atol=1e-15)
    assert losses[0] == pytest.approx(want[0], rel=1e-12)
    # The loop variant really is a loop, the unrolled one really is not.
    loop_types = [op.type for op in _ancestors(model.loop.loss)]
    unrolled_types = [op.type for op in _ancestors(model.unrolled.loss)]
    assert {"Enter", "Exit", "NextIteration", "TensorArrayReadV3"} <= set(loop_types)
    assert loop_types.count("Tanh") == 1  # one cell, in the loop body
    assert not set(unrolled_types) & {"Enter", "Exit", "NextIteration"}
    assert unrolled_types.count("Tanh") == 5  # five copies of the cell


def _ancestors(tensor):
    seen, stack = {}, [tensor.op]
    while stack:
        op = stack.pop()
        if op.name not in seen:
            seen[op.name] = op
            stack.extend(t.op for t in op.inputs)
    return list(seen.values())


def test_check_equal_fails_on_a_different_computation(bench):
    model = bench.build(steps=5, batch=3, units=4, depth=2, dtype=gf.float64, seed=0)
    feed = model.feed(seed=2)
    with gf.Session(graph=model.graph) as sess:
        sess.run("init")
        model.unrolled.grads[0] = model.unrolled.grads[0] * 1.001
        with pytest.raises(AssertionError, match="loop and unrolled disagree on "
                                                 "rnn/basic_rnn_cell/kernel"):
            bench.check_equal(model, sess, feed, rtol=1e-10)
