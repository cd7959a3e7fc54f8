"""check_numerics: the run stops at the first node whose output has NaN/Inf, and the error
names it, its op type, its inputs' finiteness and min/max (forward and gradient nodes)."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler.gradient_scopes import forward_node_of
from graphflow.ops import array_ops
from graphflow.runtime.numerics import NumericsError, summarize


def _log_loss_graph() -> tuple[gf.Graph, gf.Tensor, gf.Tensor]:
    g = gf.Graph()
    with g.as_default():
        p = gf.placeholder(gf.float32, [None, 3], name="probs")
        with gf.name_scope("loss"):
            loss = gf.negative(gf.reduce_mean(gf.log(p) * 2.0), name="nll")
    return g, p, loss


def test_log_of_zero_is_caught_at_the_log_node_with_input_min_max() -> None:
    g, p, loss = _log_loss_graph()
    probs = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]], np.float32)
    with gf.Session(graph=g, check_numerics=True) as sess, \
            pytest.raises(gf.InvalidArgumentError) as info:
        sess.run(loss, {p: probs})
    err = info.value
    assert isinstance(err, NumericsError)
    assert err.node_name == "loss/Log" and err.op_type == "Log"
    (x,) = err.inputs
    assert x.tensor == "probs:0" and x.finite and x.min == 0.0 and x.max == 0.5
    (out,) = err.outputs
    assert out.neginf == 1 and out.nan == 0
    msg = str(err)
    assert "Log node 'loss/Log'" in msg and "first node in execution order" in msg
    assert "'probs:0' float32 (2, 3) [fed]: finite, min 0, max 0.5" in msg
    assert "1 -Inf" in msg and "log of 0" in msg


def test_later_nodes_fed_by_the_nan_are_not_blamed() -> None:
    g, p, loss = _log_loss_graph()
    with g.as_default():
        more = gf.exp(loss) * 3.0  # NaN/Inf everywhere downstream of the Log
    with gf.Session(graph=g, check_numerics=True) as sess, pytest.raises(NumericsError) as info:
        sess.run(more, {p: np.zeros((1, 3), np.float32)})
    assert info.value.node_name == "loss/Log"


def test_without_check_numerics_nan_flows_silently_and_the_plan_has_no_checks() -> None:
    g, p, loss = _log_loss_graph()
    probs = np.array([[0.0, 0.5, 0.5]], np.float32)
    with gf.Session(graph=g) as sess:
        assert np.isinf(sess.run(loss, {p: probs}))
        sources = [sess.explain(loss, {p: probs}).source]
    assert sources and all("_numerics" not in s for s in sources)
    assert any("del s" in s for s in sources)  # values are released early when off
    with gf.Session(graph=g, check_numerics=True) as sess:
        assert np.isfinite(sess.run(loss, {p: probs + 0.1}))
        checked = [sess.explain(loss, {p: probs + 0.1}).source]
    assert checked and all("_numerics(" in s and "del s" not in s for s in checked)


def test_gradient_node_origin_names_the_forward_node() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [3], name="x")
        with gf.name_scope("norm"):
            r = gf.sqrt(gf.square(x), name="root")
        total = gf.reduce_sum(r)
        (gx,) = gf.gradients(total, [x])
    with gf.Session(graph=g, check_numerics=True) as sess:
        np.testing.assert_allclose(sess.run(total, {x: [0.0, 1.0, -2.0]}), 3.0)  # forward ok
        with pytest.raises(NumericsError) as info:
            sess.run(gx, {x: [0.0, 1.0, -2.0]})
    err = info.value
    assert err.node_name == "gradients/norm/root_grad/SqrtGrad" and err.op_type == "SqrtGrad"
    assert err.forward_node == "norm/root"
    y, dy = err.inputs
    assert y.tensor == "norm/root:0" and y.min == 0.0 and y.max == 2.0 and y.finite
    assert dy.finite and dy.min == dy.max == 1.0
    assert "backward pass of 'norm/root'" in str(err) and "1 +Inf" in str(err)


def test_a_fed_nan_is_reported_as_fed() -> None:
    g, p, loss = _log_loss_graph()
    with gf.Session(graph=g, check_numerics=True) as sess, pytest.raises(NumericsError) as info:
        sess.run(loss, {p: np.array([[np.nan, 0.5, 0.5]], np.float32)})
    err = info.value
    assert err.node_name == "loss/Log"
    assert not err.inputs[0].finite and err.inputs[0].nan == 1 and err.inputs[0].source == "fed"
    assert "was fed" in str(err)


def test_a_variable_already_holding_nan_stops_at_the_variable() -> None:
    g = gf.Graph()
    with g.as_default():
        with gf.name_scope("dense"):
            w = gf.Variable(np.ones(3, np.float32), name="W")
        y = gf.reduce_sum(w * 2.0)
    with gf.Session(graph=g, check_numerics=True) as sess:
        w.load(np.array([1.0, np.inf, 0.0], np.float32), session=sess)
        with pytest.raises(NumericsError) as info:
            sess.run(y)
    assert info.value.node_name == "dense/W" and info.value.op_type == "VariableV2"
    assert "no value inputs" in str(info.value) and "diverged" in str(info.value)


def test_division_by_zero_hint_and_integer_inputs_are_described() -> None:
    g = gf.Graph()
    with g.as_default():
        a = gf.placeholder(gf.float32, [2], name="a")
        n = gf.placeholder(gf.int32, [2], name="n")
        q = gf.divide(a, gf.cast(n, gf.float32), name="q")
    with gf.Session(graph=g, check_numerics=True) as sess, pytest.raises(NumericsError) as info:
        sess.run(q, {a: [1.0, 2.0], n: [0, 4]})
    err = info.value
    assert err.node_name == "q" and "division by zero" in str(err)
    assert [i.role for i in err.inputs] == ["x", "y"]


def test_debugging_check_numerics_is_the_tf_named_op() -> None:
    assert gf.debugging.check_numerics is array_ops.check_numerics
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [2], name="x")
        y = gf.debugging.check_numerics(x, "activations exploded", name="check")
    assert y.op.type == "CheckNumerics"
    with gf.Session(graph=g) as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
        with pytest.raises(gf.InvalidArgumentError, match="activations exploded"):
            sess.run(y, {x: [1.0, np.inf]})


@pytest.mark.parametrize("name,forward", [
    ("gradients/loss/Log_grad/RealDiv", "loss/Log"),
    ("gradients_1/a/b/MatMul_grad/MatMul_1", "a/b/MatMul"),
    ("scope/gradients/x_grad/Neg", "x"),
    ("loss/Log", None),
    ("gradients/AddN", None),
])
def test_forward_node_of(name: str, forward: str | None) -> None:
    assert forward_node_of(name) == forward


def test_summarize_counts_and_ranges() -> None:
    s = summarize("t:0", "x", np.array([1.0, np.nan, -np.inf, np.inf, -3.0]))
    assert (s.nan, s.posinf, s.neginf, s.finite) == (1, 1, 1, False)
    assert (s.min, s.max) == (-3.0, 1.0)
    assert "NOT finite (1 NaN, 1 +Inf, 1 -Inf)" in s.describe()
    i = summarize("n:0", "n", np.array([3, 7], np.int32))
    assert i.finite and (i.min, i.max) == (3.0, 7.0)
    assert summarize("e:0", "x", np.zeros((0, 2))).describe().endswith("finite, empty")
    assert not summarize("r:0", "x", None).available
