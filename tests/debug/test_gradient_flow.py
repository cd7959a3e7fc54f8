"""Gradient-flow report: per-variable / per-layer gradient norms, update ratios, zero
gradients, saturation and dead ReLUs, and the vanishing / exploding flags."""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphflow as gf
from graphflow.debug.gradient_flow import Thresholds, gradient_flow_report

from .conftest import deep_stack

LAYERS = [f"layer{i}" for i in range(1, 9)] + ["out"]


def test_deep_tanh_stack_with_large_weights_is_saturated_in_every_layer() -> None:
    """The demonstration: 8 tanh layers of 64 units, weights ~ N(0, 3^2/64)."""
    stack = deep_stack("tanh", weight_std=3.0)
    report = gradient_flow_report(stack.loss, stack.feeds(batches=2), learning_rate=0.1)
    assert [layer.name for layer in report.layers] == LAYERS  # input -> loss
    hidden = report.layers[:-1]
    assert all(layer.saturated > 0.25 for layer in hidden)
    (flag,) = report.flagged("saturated")
    assert flag.layers == tuple(LAYERS[:-1])
    assert all("saturated" in layer.notes for layer in hidden)
    # Saturated tanh units pass (almost) no gradient, yet with gain 3 the remaining units
    # amplify it: the weight gradients grow toward the input here, they do not vanish.
    assert not report.vanishing
    assert report.layers[0].grad_rms > report.layers[-2].grad_rms
    table = report.to_table()
    assert "layer1" in table and "[saturated]" in table and "38." in table


def test_well_scaled_tanh_stack_has_no_flags() -> None:
    stack = deep_stack("tanh", weight_std=1.0)
    report = gradient_flow_report(stack.loss, stack.feeds(), learning_rate=0.01)
    assert report.flags == []
    assert all(layer.saturated < 0.05 for layer in report.layers[:-1])
    assert "flags: none" in report.to_table()


def test_deep_sigmoid_stack_gradients_vanish_toward_the_input() -> None:
    stack = deep_stack("sigmoid", weight_std=1.0)
    report = gradient_flow_report(stack.loss, stack.feeds())
    assert report.vanishing and not report.exploding
    first, last = report.layers[0], report.layers[-1]
    assert first.grad_rms < Thresholds().vanish_ratio * last.grad_rms
    # every hidden layer passes back well under half of what it receives
    assert all(layer.ratio_to_next < 0.5 for layer in report.layers[:-2])
    (flag,) = report.flagged("vanishing")
    assert "'layer1'" in flag.message and "'out'" in flag.message


def test_dead_relus_are_units_zero_for_every_example() -> None:
    stack = deep_stack("relu", layers=3, width=16, weight_std=1.0, bias=0.0)
    with stack.graph.as_default():
        b = next(v for v in gf.trainable_variables() if v.op.name == "layer2/b")
    with gf.Session(graph=stack.graph) as sess:
        sess.run(gf.global_variables_initializer())
        bias = np.zeros(16, np.float32)
        bias[:12] = -100.0  # 12 of 16 units can never fire
        b.load(bias, session=sess)
        report = gradient_flow_report(stack.loss, stack.feeds(batches=2), session=sess)
    layer2 = report.layer("layer2")
    assert layer2.dead == pytest.approx(12 / 16)
    acts = {a.name: a for a in report.activations}
    assert acts["layer2/Relu"].dead == pytest.approx(0.75) and acts["layer2/Relu"].units == 16
    (flag,) = report.flagged("dead_relu")
    assert flag.layers == ("layer2",)
    w = {v.name: v for v in report.variables}["layer2/W"]
    # the weights into the dead units get exactly zero gradient: 12 of 16 columns (and
    # rows fed by units of layer1 that happen to be 0 for the whole batch)
    assert 0.75 <= w.zero_fraction < 0.9


def test_update_ratio_norms_and_zero_fraction_follow_their_definitions() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        with gf.name_scope("lin"):
            w = gf.Variable(np.array([1.0, 2.0, 2.0], np.float32), name="w")
        loss = gf.reduce_sum(x * w, name="loss")  # d loss / d w = sum over the batch of x
    batches = [{x: np.array([[3.0, 0.0, 4.0]], np.float32)},
               {x: np.array([[0.0, 0.0, 1.0]], np.float32)}]
    report = gradient_flow_report(loss, batches, learning_rate=0.5)
    (v,) = report.variables
    assert v.grad_norm == pytest.approx((5.0 + 1.0) / 2)  # mean of the per-batch norms
    assert v.weight_norm == pytest.approx(3.0)
    assert v.update_ratio == pytest.approx(0.5 * (5 / 3 + 1 / 3) / 2)
    assert v.zero_fraction == pytest.approx((1 / 3 + 2 / 3) / 2)
    assert report.losses == pytest.approx([11.0, 2.0])
    assert report.layers[0].name == "lin" and report.layers[0].params == 3


def test_non_finite_and_huge_gradients_are_exploding() -> None:
    g = gf.Graph()
    with g.as_default():
        with gf.name_scope("a"):
            w = gf.Variable(np.array([0.0, 4.0], np.float32), name="w")
        loss = gf.reduce_sum(gf.sqrt(w), name="loss")  # d sqrt(w) at 0 is +Inf
    report = gradient_flow_report(loss)
    assert report.exploding
    assert "check_numerics=True" in report.flagged("exploding")[0].message
    with g.as_default():
        big = gf.multiply(gf.reduce_sum(w * w), 1e6, name="big")
    report = gradient_flow_report(big, thresholds=Thresholds(explode_norm=100.0))
    assert report.exploding and report.flagged("exploding")[0].layers == ("a",)


def test_report_uses_session_values_and_leaves_the_graph_alone() -> None:
    stack = deep_stack("tanh", layers=2, width=8, weight_std=1.0)
    with stack.graph.as_default():
        w1 = next(v for v in gf.trainable_variables() if v.op.name == "layer1/W")
        init = gf.global_variables_initializer()
    before = len(stack.graph.get_operations())
    with gf.Session(graph=stack.graph) as sess:
        sess.run(init)
        w1.load(np.full((8, 8), 0.5, np.float32), session=sess)
        report = gradient_flow_report(stack.loss, stack.feeds(), session=sess)
    assert {v.name: v for v in report.variables}["layer1/W"].weight_norm == pytest.approx(4.0)
    assert len(stack.graph.get_operations()) == before


def test_loss_by_name_on_a_graph_def_and_var_list() -> None:
    stack = deep_stack("tanh", layers=2, width=8, weight_std=1.0)
    graph_def = stack.graph.as_graph_def()
    feeds = [{"x": f[stack.x], "y:0": f[stack.y]} for f in stack.feeds()]
    report = gradient_flow_report("loss", feeds, graph=graph_def, var_list=["layer2/W"])
    assert [v.name for v in report.variables] == ["layer2/W"]
    assert math.isfinite(report.layers[0].grad_norm) and report.layers[0].grad_norm > 0


def test_errors_name_the_problem() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [2], name="x")
        loss = gf.reduce_sum(x * 2.0, name="loss")
    with pytest.raises(ValueError, match="depends on no trainable variable"):
        gradient_flow_report(loss, {x: [1.0, 2.0]})
    with pytest.raises(ValueError, match="pass graph="):
        gradient_flow_report("loss", {})
