"""Memory planning: planned buffers, and element-wise outputs written in place."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler import memory
from graphflow.ops import op_builder


def _chain() -> tuple[gf.Tensor, gf.Tensor, gf.Tensor]:
    x = gf.placeholder(gf.float64, [None, 8])
    w = gf.constant(np.linspace(-1, 1, 64).reshape(8, 8))
    h = gf.matmul(x, w) + 1.0
    y = gf.sigmoid(h) * 3.0 - h
    return x, y, gf.reduce_sum(y * y)


@pytest.mark.parametrize("inplace", [True, False])
def test_inplace_outputs_give_the_same_values(monkeypatch: pytest.MonkeyPatch,
                                              inplace: bool) -> None:
    monkeypatch.setattr(memory, "INPLACE_OUTPUTS", inplace)
    x, y, loss = _chain()
    xv = np.random.default_rng(0).normal(size=(5, 8))
    with gf.Session() as sess:
        got = sess.run([y, loss], {x: xv})
        again = sess.run([y, loss], {x: xv})  # the buffers are reused across runs
    w = np.linspace(-1, 1, 64).reshape(8, 8)
    h = xv @ w + 1.0
    want = 1 / (1 + np.exp(-h)) * 3.0 - h
    np.testing.assert_allclose(got[0], want, rtol=1e-12)
    np.testing.assert_allclose(got[1], (want * want).sum(), rtol=1e-12)
    np.testing.assert_array_equal(again[0], got[0])


def test_inplace_outputs_use_fewer_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    x, _, loss = _chain()
    counts = {}
    for inplace in (False, True):
        monkeypatch.setattr(memory, "INPLACE_OUTPUTS", inplace)
        with gf.Session() as sess:
            plan = sess.explain(loss, {x: np.zeros((5, 8))})
        counts[inplace] = len(plan.buffers)
        buffer_of = {s: b for st in plan.steps for s, b in zip(st.outputs, st.out_buffers)
                     if b is not None}
        shared = [st.name for st in plan.steps if st.out_buffers and st.out_buffers[0]
                  is not None and st.out_buffers[0] in {buffer_of.get(s) for s in st.inputs}]
        assert bool(shared) == inplace, shared
    assert counts[True] < counts[False]


def test_an_input_read_later_is_not_overwritten() -> None:
    x = gf.placeholder(gf.float64, [4])
    a = gf.exp(x)
    b = a * 2.0       # a is still needed below: b must not take a's buffer
    c = a + b
    xv = np.array([0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(gf.Session().run(c, {x: xv}), 3 * np.exp(xv))


# -- donated inputs (scratch_inputs) and inputs an output may overwrite (inplace_inputs) --


def _mlp(batch: int = 6) -> tuple[gf.Graph, list, dict]:
    """A tanh layer, a sigmoid layer and plain SGD: the gradients of W1 and W2 die at their
    ApplyGradientDescent steps; TanhGrad and SigmoidGrad read their inputs last."""
    graph = gf.Graph()
    rng = np.random.default_rng(0)
    with graph.as_default():
        x = gf.placeholder(gf.float64, [None, 7])
        labels = gf.placeholder(gf.float64, [None, 3])
        w1 = gf.Variable(rng.normal(size=(7, 9)), name="W1")
        w2 = gf.Variable(rng.normal(size=(9, 3)), name="W2")
        out = gf.sigmoid(gf.matmul(gf.tanh(gf.matmul(x, w1)), w2))
        loss = gf.reduce_mean(gf.square(out - labels))
        train = gf.train.GradientDescentOptimizer(0.5).minimize(loss)
        init = gf.global_variables_initializer()
    feed = {x: rng.normal(size=(batch, 7)), labels: rng.random((batch, 3))}
    return graph, [train, loss, init], feed


def _train(steps: int = 5) -> tuple[list[float], list[np.ndarray], Any]:
    graph, (train, loss, init), feed = _mlp()
    with gf.Session(graph=graph) as sess:
        sess.run(init)
        losses = [sess.run([train, loss], feed)[1] for _ in range(steps)]
        plan = sess.explain([train, loss], feed)
        return losses, [sess.variable_value(n) for n in ("W1", "W2")], plan


@pytest.mark.parametrize("switch", ["DONATE_INPUTS", "INPLACE_OUTPUTS"])
def test_donation_and_inplace_outputs_give_the_same_training(
        monkeypatch: pytest.MonkeyPatch, switch: str) -> None:
    on_losses, on_vars, on_plan = _train()
    monkeypatch.setattr(memory, switch, False)
    off_losses, off_vars, off_plan = _train()
    assert on_losses == off_losses and on_losses[-1] < on_losses[0]
    for a, b in zip(on_vars, off_vars):
        assert a.tobytes() == b.tobytes()
    applies = [st for st in on_plan.steps if st.op_type == "ApplyGradientDescent"]
    assert applies and all(st.donated == (2,) for st in applies)  # not vacuous
    if switch == "DONATE_INPUTS":
        assert all(not st.donated for st in off_plan.steps)


def _output_buffer_of(plan: Any, op_type: str) -> tuple[Any, dict[int, int]]:
    buffer_of = {s: b for st in plan.steps for s, b in zip(st.outputs, st.out_buffers)
                 if s is not None and b is not None}
    return next(st for st in plan.steps if st.op_type == op_type), buffer_of


def test_activation_gradients_overwrite_only_the_input_their_kernel_reads_first() -> None:
    _, _, plan = _train(1)
    tanh_grad, buffer_of = _output_buffer_of(plan, "TanhGrad")
    y, dy = tanh_grad.inputs  # TanhGrad may write over y (its forward output), never dy
    assert tanh_grad.out_buffers[0] == buffer_of[y] != buffer_of.get(dy)
    sigmoid_grad, _ = _output_buffer_of(plan, "SigmoidGrad")
    y, dy = sigmoid_grad.inputs  # SigmoidGrad reads dy first: it may write over dy
    assert buffer_of.get(y) != sigmoid_grad.out_buffers[0]


def test_a_gradient_read_after_the_update_or_fetched_is_not_donated() -> None:
    """A gradient something reads after its ApplyGradientDescent (or that is fetched) keeps
    its value: that update scales into its scratch, not into the gradient."""
    graph, (_, loss, init), feed = _mlp()
    with graph.as_default():
        variables = gf.trainable_variables()
        grads = gf.gradients(loss, variables)
        update = gf.train.GradientDescentOptimizer(0.5).apply_gradients(
            list(zip(grads, variables)))
        with gf.control_dependencies([update]):
            after = gf.reduce_sum(grads[0])  # W1's gradient, read after W1's update
    for fetches, kept in (([after], "W1"), ([update, grads[1]], "W2")):
        with gf.Session(graph=graph) as sess:
            sess.run(init)
            expected = sess.run(grads, feed)  # the gradients before any update
            plan = sess.explain(fetches, feed)
            got = sess.run(fetches, feed)[-1]
        donated = {st.name.split("/")[1]: st.donated for st in plan.steps
                   if st.op_type == "ApplyGradientDescent"}
        assert donated == {"update_W1": () if kept == "W1" else (2,),
                           "update_W2": () if kept == "W2" else (2,)}
        want = expected[0].sum() if kept == "W1" else expected[1]
        np.testing.assert_array_equal(got, want)


def test_a_fed_or_variable_delta_is_never_overwritten() -> None:
    graph = gf.Graph()
    with graph.as_default():
        var = gf.Variable(np.ones((3, 4)), name="var")
        other = gf.Variable(np.full((3, 4), 2.0), name="other")
        delta = gf.placeholder(gf.float64, [3, 4])
        sgd = gf.train.GradientDescentOptimizer(0.5)
        fed = sgd.apply_gradients([(delta, var)])
        from_variable = sgd.apply_gradients([(other, var)])
        init = gf.global_variables_initializer()
    dv = np.full((3, 4), 4.0)
    with gf.Session(graph=graph) as sess:
        sess.run(init)
        sess.run(fed, {delta: dv})
        sess.run(from_variable)
        for fetches, feed in ((fed, {delta: dv}), (from_variable, None)):
            plan = sess.explain(fetches, feed)
            assert all(not st.donated for st in plan.steps)
        np.testing.assert_array_equal(dv, 4.0)
        np.testing.assert_array_equal(sess.variable_value("other"), 2.0)
        np.testing.assert_array_equal(sess.variable_value("var"), 1.0 - 2.0 - 1.0)


@pytest.mark.parametrize("op_type", ["TanhGrad", "SigmoidGrad"])
def test_an_input_read_at_two_positions_is_not_overwritten(op_type: str) -> None:
    """TanhGrad(y, y) may not write over y: its kernel reads y again, through dy, after it
    started writing (the planned and the plain plan give the same bits)."""
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float64, [None, 5])
        y = gf.tanh(x * 1.5)  # a planned buffer that dies at the gradient op
        z = op_builder.apply1(op_type, [y, y], {"T": y.dtype}) * 2.0
    xv = np.random.default_rng(4).normal(size=(3, 5))
    t = np.tanh(xv * 1.5)
    want = 2.0 * (t * (1 - t * t) if op_type == "TanhGrad" else t * t * (1 - t))
    results = []
    for plan_memory in (True, False):
        with gf.Session(graph=graph, config=gf.SessionConfig(plan_memory=plan_memory)) as s:
            results.append(s.run(z, {x: xv}))
    np.testing.assert_allclose(results[0], want, rtol=1e-12)
    assert results[0].tobytes() == results[1].tobytes()
