"""Per-node gradient check: each rule tested locally in float64; the first wrong node is
named, where a whole-graph check only reports one mismatch."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import graphflow as gf
from graphflow.debug.per_node_check import check_node_gradients
from graphflow.framework import op_registry as registry
from graphflow.ops import activation_ops, math_ops
from tests.helpers import replaced_record

from .conftest import deep_stack, training_graph


class _TanhWithoutDerivative(activation_ops.Tanh):
    """Deliberately broken: d tanh(x) = g, forgetting the factor (1 - y^2)."""

    def grad(self, op, g):  # type: ignore[override]
        return [g]


class _MulForgetsY(math_ops.Mul):
    """Deliberately broken for input 1 only: d(x*y)/dy = g (should be g*x)."""

    def grad(self, op, g):  # type: ignore[override]
        right = super().grad(op, g)
        return [right[0], g]


class _RaisingSigmoid(activation_ops.Sigmoid):
    def grad(self, op, g):  # type: ignore[override]
        raise ValueError("rule crashed")


@pytest.fixture()
def broken_tanh() -> Iterator[registry.Op]:
    with replaced_record("Tanh", _TanhWithoutDerivative()) as record:
        yield record


@pytest.fixture()
def broken_mul() -> Iterator[registry.Op]:
    with replaced_record("Mul", _MulForgetsY()) as record:
        yield record


def test_correct_rules_all_pass_on_a_float32_training_graph() -> None:
    report = check_node_gradients(training_graph(), "loss")
    assert report.ok and report.first_wrong is None
    checked = {c.node: c for c in report.checks}
    assert {"hidden/MatMul", "hidden/Tanh", "out/logits", "loss"} <= set(checked)
    assert all(c.status == "ok" for c in report.checks)
    assert max(c.error for c in report.checks) < 1e-6  # float64 copies of float32 nodes
    assert not any(name.startswith("gradients/") for name in checked)
    assert "random values for x:0, y:0" in report.to_table()


def test_broken_tanh_rule_is_pinpointed(broken_tanh: None) -> None:
    stack = deep_stack("tanh", layers=3, width=6, weight_std=1.0)
    feeds = stack.feeds(batch=4)[0]
    # A whole-graph check only says that d loss / d x is wrong ...
    with stack.graph.as_default(), gf.Session(graph=stack.graph) as sess:
        sess.run(gf.global_variables_initializer())
        x64 = {stack.x: feeds[stack.x].astype(np.float64), stack.y: feeds[stack.y]}
        whole = gf.test.check_gradients(stack.loss, [stack.x], x64, delta=1e-3,
                                        session=sess)
    assert whole.max_error > 1e-2  # float32 graph: a coarse step, still clearly wrong
    # ... the per-node check names the node whose rule is wrong, the first in order.
    report = check_node_gradients(stack.graph, stack.loss, feeds)
    first = report.first_wrong
    assert first is not None and first.node == "layer1/Tanh" and first.op_type == "Tanh"
    assert [c.node for c in report.wrong] == ["layer1/Tanh", "layer2/Tanh", "layer3/Tanh"]
    assert first.input_index == 0 and first.input_tensor == "layer1/add:0"
    assert first.error > 1e-2
    assert report.check("layer1/MatMul").status == "ok"
    text = report.to_table()
    assert "FIRST WRONG RULE: Tanh node 'layer1/Tanh'" in text


def test_the_wrong_input_of_a_rule_is_named(broken_mul: None) -> None:
    g = gf.Graph()
    with g.as_default():
        a = gf.placeholder(gf.float32, [2, 3], name="a")
        b = gf.placeholder(gf.float32, [2, 3], name="b")
        with gf.name_scope("prod"):
            p = gf.multiply(gf.exp(a), b + 1.0, name="p")
        gf.reduce_sum(p, name="total")
    report = check_node_gradients(g)  # every floating output: here 'total'
    assert report.targets == ["total:0"]
    first = report.first_wrong
    assert first.node == "prod/p" and first.input_index == 1 and first.input_tensor == "prod/add:0"


def test_a_rule_that_raises_is_an_error_naming_the_node() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [3], name="x")
        gf.reduce_sum(gf.sigmoid(x, name="s"), name="total")
    with replaced_record("Sigmoid", _RaisingSigmoid()):
        report = check_node_gradients(g, "total", {x: np.array([0.1, 0.2, 0.3])})
    first = report.first_wrong
    assert first.node == "s" and first.status == "error" and "rule crashed" in first.reason


def test_kinks_are_not_reported_as_wrong_rules() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [4], name="x")
        gf.reduce_sum(gf.nn.relu(x, name="r") * 3.0, name="total")
    report = check_node_gradients(g, "total", {x: np.array([0.0, 1.0, -2.0, 0.0])})
    relu = report.check("r")
    assert relu.status == "ok" and relu.kinks == 2 and relu.checked == 4


def test_nodes_with_non_finite_values_are_skipped() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        gf.reduce_sum(gf.log(x, name="lg"), name="total")
    report = check_node_gradients(g, "total", {"x": np.array([-1.0, 2.0])})
    assert report.check("lg").status == "skipped" and "not finite" in report.check("lg").reason
    assert report.ok


def test_large_inputs_are_sampled() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [40, 50], name="x")
        gf.reduce_sum(gf.square(x, name="sq"), name="total")
    report = check_node_gradients(g, "total", max_elements=16)
    assert report.check("sq").checked == 16 and report.ok

