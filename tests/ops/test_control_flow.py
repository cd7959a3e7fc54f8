"""gf.while_loop and gf.cond: values against numpy, only the taken branch runs, nested
loops, TensorArrays in loops, errors, and gradients (loops and conds, nested, data-
dependent trip counts) against central finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import run


def _numeric(f, v: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(v)
    for idx in np.ndindex(v.shape):
        d = np.zeros_like(v)
        d[idx] = eps
        out[idx] = (f(v + d) - f(v - d)) / (2 * eps)
    return out


def test_while_loop_matches_a_python_loop() -> None:
    x0 = gf.placeholder(gf.float32, [None])
    n = gf.placeholder(gf.int32, [])
    i, x = gf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, x * 2.0 + 1.0),
                         [gf.constant(0), x0])
    for steps in (0, 1, 5):
        got_i, got_x = run([i, x], {x0: np.array([1.0, -2.0], np.float32), n: steps})
        want = np.array([1.0, -2.0], np.float32)
        for _ in range(steps):
            want = want * 2 + 1
        assert got_i == steps
        np.testing.assert_allclose(got_x, want)


def test_while_loop_graph_has_tf1_nodes_and_names() -> None:
    with gf.Graph().as_default() as g:
        i = gf.while_loop(lambda i: i < 3, lambda i: i + 1, [gf.constant(0)])
    ops = {op.type for op in g.get_operations()}
    assert {"Enter", "Merge", "Switch", "LoopCond", "NextIteration", "Exit"} <= ops
    assert i.name == "while/Exit:0"
    enter = g.get_operation_by_name("while/Enter")
    assert enter.get_attr("frame_name") == "while/while_context"
    merge = g.get_operation_by_name("while/Merge")
    assert [t.op.type for t in merge.inputs] == ["Enter", "NextIteration"]


def test_single_loop_variable_comes_back_bare_unless_same_structure_is_asked() -> None:
    out = gf.while_loop(lambda i: i < 3, lambda i: i + 1, [gf.constant(0)])
    assert isinstance(out, gf.Tensor)
    out = gf.while_loop(lambda i: i < 3, lambda i: [i + 1], [gf.constant(0)],
                        return_same_structure=True)
    assert isinstance(out, list) and run(out[0]) == 3


def test_nested_structures_travel_through_the_loop() -> None:
    state = {"a": gf.constant(1.0), "b": (gf.constant(2.0), gf.constant(0))}

    def body(s):
        return {"a": s["a"] * 2.0, "b": (s["b"][0] + 1.0, s["b"][1] + 1)}
    out = gf.while_loop(lambda s: s["b"][1] < 4, body, [state])
    a, (b, k) = out[0]["a"], out[0]["b"]
    assert run([a, b, k]) == [16.0, 6.0, 4]


def test_nested_loops_and_a_cond_inside_the_body() -> None:
    x0 = gf.placeholder(gf.float32, [3])
    n = gf.placeholder(gf.int32, [])

    def body(i, x):
        _, y = gf.while_loop(lambda j, y: j < i, lambda j, y: (j + 1, y * 1.5),
                             [gf.constant(0), x])
        y = gf.cond(gf.equal(i % 2, 0), lambda: y + 1.0, lambda: y - 1.0)
        return i + 1, y
    _, x = gf.while_loop(lambda i, x: i < n, body, [gf.constant(0), x0])
    start = np.array([1.0, 2.0, 3.0], np.float32)
    want = start.copy()
    for i in range(4):
        want = want * 1.5 ** i
        want = want + 1 if i % 2 == 0 else want - 1
    np.testing.assert_allclose(run(x, {x0: start, n: 4}), want, rtol=1e-6)
    with gf.Session(config=gf.SessionConfig(interpret=True)) as sess:
        np.testing.assert_allclose(sess.run(x, {x0: start, n: 4}), want, rtol=1e-6)


def test_maximum_iterations_bounds_the_trip_count() -> None:
    i = gf.while_loop(lambda i: i < 100, lambda i: i + 1, [gf.constant(0)],
                      maximum_iterations=7)
    assert run(i) == 7


def test_shape_invariants_let_a_variable_grow() -> None:
    x = gf.while_loop(lambda x: gf.size(x) < 8, lambda x: gf.concat([x, x], 0),
                      [gf.constant([1.0])], shape_invariants=[gf.TensorShape([None])])
    np.testing.assert_allclose(run(x), np.ones(8))


def test_a_shape_change_without_an_invariant_is_a_build_error() -> None:
    with pytest.raises(ValueError, match="enters the loop with shape .*`shape_invariants`"):
        gf.while_loop(lambda x: gf.size(x) < 8, lambda x: gf.concat([x, x], 0),
                      [gf.constant([1.0])])


def test_body_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="same structure as loop_vars"):
        gf.while_loop(lambda i, x: i < 3, lambda i, x: i + 1, [gf.constant(0),
                                                               gf.constant(1.0)])
    with pytest.raises(TypeError, match="has dtype int32 but the body returns float32"):
        gf.while_loop(lambda i: i < 3, lambda i: gf.cast(i, gf.float32), [gf.constant(0)])
    with pytest.raises(ValueError, match="cond must return a bool scalar"):
        gf.while_loop(lambda i: gf.stack([i < 3, i < 4]), lambda i: i + 1, [gf.constant(0)])
    with pytest.raises(ValueError, match="loop_vars is empty"):
        gf.while_loop(lambda: True, lambda: (), [])


def test_outer_tensors_are_captured_as_loop_invariants() -> None:
    w = gf.placeholder(gf.float32, [])
    x = gf.while_loop(lambda x: x < 100.0, lambda x: x * w, [gf.constant(1.0)])
    assert run(x, {w: 3.0}) == 243.0
    enters = [op for op in gf.get_default_graph().get_operations() if op.type == "Enter"]
    assert any(op.get_attr("is_constant") and op.inputs[0] is w for op in enters)


def test_cond_runs_only_the_taken_branch() -> None:
    calls: list[str] = []

    def counted(tag: str, value: float):
        def fn(x):
            calls.append(tag)
            return np.float32(x + value)
        return fn
    p = gf.placeholder(gf.bool, [])
    x = gf.constant(1.0)
    out = gf.cond(p, lambda: gf.py_func(counted("true", 10.0), [x], gf.float32),
                  lambda: gf.py_func(counted("false", -10.0), [x], gf.float32))
    with gf.Session() as sess:
        assert sess.run(out, {p: True}) == 11.0
        assert calls == ["true"]
        assert sess.run(out, {p: False}) == -9.0
        assert calls == ["true", "false"]


def test_cond_with_structures_and_errors() -> None:
    p = gf.placeholder(gf.bool, [])
    a, b = gf.cond(p, lambda: (gf.constant(1.0), gf.constant(2)),
                   lambda: (gf.constant(3.0), gf.constant(4)))
    assert run([a, b], {p: True}) == [1.0, 2]
    assert run([a, b], {p: False}) == [3.0, 4]
    with pytest.raises(TypeError, match="true_fn returns float32 .* false_fn returns int32"):
        gf.cond(p, lambda: gf.constant(1.0), lambda: gf.constant(1))
    with pytest.raises(ValueError, match="same nested structure"):
        gf.cond(p, lambda: (gf.constant(1.0),), lambda: (gf.constant(1.0), gf.constant(2.0)))
    with pytest.raises(ValueError, match="returned None"):
        gf.cond(p, lambda: None, lambda: gf.constant(1.0))
    with pytest.raises(ValueError, match="pred must be a bool scalar"):
        gf.cond(gf.constant([True]), lambda: 1.0, lambda: 2.0)


def test_a_loop_inside_a_cond_runs_only_when_taken() -> None:
    p = gf.placeholder(gf.bool, [])
    z = gf.cond(p, lambda: gf.while_loop(lambda k: k < 10, lambda k: k + 3,
                                         [gf.constant(1)]),
                lambda: gf.constant(-1))
    assert run(z, {p: True}) == 10
    assert run(z, {p: False}) == -1


def test_tensor_arrays_in_a_loop_and_their_gradients() -> None:
    xs = gf.placeholder(gf.float64, [5, 2, 3])
    w = gf.placeholder(gf.float64, [3, 3])
    u = gf.placeholder(gf.float64, [3, 3])
    inputs = gf.TensorArray(gf.float64, size=5).unstack(xs)

    def body(t, h, out):
        h = gf.tanh(gf.matmul(inputs.read(t), w) + gf.matmul(h, u))
        return t + 1, h, out.write(t, h)
    _, h, out = gf.while_loop(lambda t, h, out: t < 5, body,
                              [gf.constant(0), gf.zeros([2, 3], gf.float64),
                               gf.TensorArray(gf.float64, size=5)])
    loss = gf.reduce_sum(out.stack() ** 2) + gf.reduce_sum(h)
    grads = gf.gradients(loss, [xs, w, u])
    rng = np.random.default_rng(1)
    values = [rng.normal(size=(5, 2, 3)), rng.normal(size=(3, 3)) * .5,
              rng.normal(size=(3, 3)) * .5]

    def f(xv, wv, uv):
        hv, total = np.zeros((2, 3)), 0.0
        for t in range(5):
            hv = np.tanh(xv[t] @ wv + hv @ uv)
            total += (hv * hv).sum()
        return total + hv.sum()
    got = run([loss, *grads], dict(zip([xs, w, u], values)))
    assert got[0] == pytest.approx(f(*values))
    for k in range(3):
        def fk(v, k=k):
            args = list(values)
            args[k] = v
            return f(*args)
        np.testing.assert_allclose(got[1 + k], _numeric(fk, values[k]), atol=1e-7)


def test_gradient_through_a_loop_with_an_invariant_weight() -> None:
    x0 = gf.placeholder(gf.float64, [3])
    w = gf.placeholder(gf.float64, [3])
    n = gf.placeholder(gf.int32, [])
    _, x = gf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, gf.tanh(x * w) + x),
                         [gf.constant(0), x0])
    loss = gf.reduce_sum(x * x)
    gx, gw = gf.gradients(loss, [x0, w])
    xv, wv = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, -0.7])

    def f(a, b, steps):
        for _ in range(steps):
            a = np.tanh(a * b) + a
        return (a * a).sum()
    for steps in (0, 1, 4):
        got_x, got_w = run([gx, gw], {x0: xv, w: wv, n: steps})
        np.testing.assert_allclose(got_x, _numeric(lambda v, s=steps: f(v, wv, s), xv),
                                   atol=1e-7)
        np.testing.assert_allclose(got_w, _numeric(lambda v, s=steps: f(xv, v, s), wv),
                                   atol=1e-7)


def test_gradient_through_nested_loops() -> None:
    x0 = gf.placeholder(gf.float64, [2, 3])
    w = gf.placeholder(gf.float64, [3, 3])

    def body(i, x):
        _, y = gf.while_loop(lambda j, y: j < i,
                             lambda j, y: (j + 1, gf.tanh(gf.matmul(y, w)) * 0.5 + y * 0.5),
                             [gf.constant(0), x])
        return i + 1, y + 0.1 * x
    _, x = gf.while_loop(lambda i, x: i < 3, body, [gf.constant(0), x0])
    loss = gf.reduce_sum(x * x)
    gx, gw = gf.gradients(loss, [x0, w])
    rng = np.random.default_rng(0)
    xv, wv = rng.normal(size=(2, 3)), rng.normal(size=(3, 3)) * 0.5

    def f(a, b):
        for i in range(3):
            y = a.copy()
            for _ in range(i):
                y = np.tanh(y @ b) * 0.5 + y * 0.5
            a = y + 0.1 * a
        return (a * a).sum()
    got_x, got_w = run([gx, gw], {x0: xv, w: wv})
    np.testing.assert_allclose(got_x, _numeric(lambda v: f(v, wv), xv), atol=1e-7)
    np.testing.assert_allclose(got_w, _numeric(lambda v: f(xv, v), wv), atol=1e-7)


def test_gradient_when_the_trip_count_depends_on_the_data() -> None:
    x0 = gf.placeholder(gf.float64, [])
    x = gf.while_loop(lambda x: x < 10.0, lambda x: x * x + 1.0, [x0])
    (g,) = gf.gradients(x, [x0])

    def f(v):
        while v < 10.0:
            v = v * v + 1.0
        return v
    for start in (0.5, 2.0, 4.0, 12.0):
        assert run(g, {x0: start}) == pytest.approx(_numeric(f, np.array(start)), rel=1e-6)


def test_repeated_runs_give_the_same_gradient() -> None:
    """Stacks are made per run: nothing a run pushed is left for the next."""
    x0 = gf.placeholder(gf.float64, [2])
    x = gf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, gf.sin(x) * x),
                      [gf.constant(0), x0])[1]
    (g,) = gf.gradients(gf.reduce_sum(x), [x0])
    with gf.Session() as sess:
        first = sess.run(g, {x0: np.array([0.3, 0.7])})
        for _ in range(3):
            np.testing.assert_array_equal(sess.run(g, {x0: np.array([0.3, 0.7])}), first)
        sess.run(x, {x0: np.array([0.3, 0.7])})  # forward only: no pushes, no leftovers
        np.testing.assert_array_equal(sess.run(g, {x0: np.array([0.3, 0.7])}), first)


def test_gradient_graph_exports_and_reloads_with_the_same_values() -> None:
    x0 = gf.placeholder(gf.float64, [3], name="x0")
    x = gf.while_loop(lambda i, x: i < 4, lambda i, x: (i + 1, gf.tanh(x) * 1.3),
                      [gf.constant(0), x0])[1]
    (g,) = gf.gradients(gf.reduce_sum(x), [x0])
    feed = np.array([0.1, 0.5, -0.4])
    want = run(g, {x0: feed})
    other = gf.Graph()
    with other.as_default():
        gf.import_graph_def(x0.graph.as_graph_def(), name="")
        with gf.Session() as sess:
            np.testing.assert_array_equal(sess.run(g.name, {"x0:0": feed}), want)


def test_cond_gradients_route_to_the_taken_branch() -> None:
    p = gf.placeholder(gf.bool, [])
    x = gf.placeholder(gf.float64, [2])
    y = gf.cond(p, lambda: gf.sin(x) * 3.0, lambda: x * x)
    (g,) = gf.gradients(gf.reduce_sum(y), [x])
    xv = np.array([0.3, -1.2])
    np.testing.assert_allclose(run(g, {p: True, x: xv}), 3 * np.cos(xv))
    np.testing.assert_allclose(run(g, {p: False, x: xv}), 2 * xv)


def test_cond_gradient_when_one_branch_ignores_the_input() -> None:
    p = gf.placeholder(gf.bool, [])
    x = gf.placeholder(gf.float64, [2])
    y = gf.cond(p, lambda: x * 2.0, lambda: gf.constant([1.0, 1.0], gf.float64))
    (g,) = gf.gradients(gf.reduce_sum(y), [x])
    np.testing.assert_allclose(run(g, {p: True, x: np.ones(2)}), [2.0, 2.0])
    np.testing.assert_allclose(run(g, {p: False, x: np.ones(2)}), [0.0, 0.0])


def test_gradients_inside_a_loop_body_are_refused() -> None:
    seen = []

    def body(x):
        seen.append(x)
        return x * 2.0
    out = gf.while_loop(lambda x: x < 5.0, body, [gf.constant(1.0)])
    with pytest.raises(gf.GraphBuildError, match="inside while loop"):
        gf.gradients(out, [seen[0]])


def test_gradient_of_conds_inside_a_loop_body() -> None:
    """Values inside a branch are pushed only when the branch runs; their pops are guarded
    by the popped predicate (nested conds too)."""
    x0 = gf.placeholder(gf.float64, [3])
    w = gf.placeholder(gf.float64, [3])

    def body(i, x):
        y = gf.cond(gf.equal(i % 2, 0), lambda: gf.tanh(x * w), lambda: gf.sin(x) * w + x)
        z = gf.cond(gf.reduce_sum(y) > 0.0, lambda: y * y,
                    lambda: gf.cond(gf.reduce_sum(x) > 0.0, lambda: y * 3.0, lambda: -y))
        return i + 1, z + 0.5 * x
    _, x = gf.while_loop(lambda i, x: i < 5, body, [gf.constant(0), x0])
    loss = gf.reduce_sum(x * x)
    gx, gw = gf.gradients(loss, [x0, w])

    def f(a, b):
        for i in range(5):
            y = np.tanh(a * b) if i % 2 == 0 else np.sin(a) * b + a
            z = y * y if y.sum() > 0 else (y * 3 if a.sum() > 0 else -y)
            a = z + 0.5 * a
        return (a * a).sum()
    for xv, wv in [(np.array([0.3, -0.2, 0.5]), np.array([0.7, -1.1, 0.4])),
                   (np.array([-0.9, -0.2, 0.1]), np.array([0.2, 0.3, 0.4]))]:
        value, got_x, got_w = run([loss, gx, gw], {x0: xv, w: wv})
        assert value == pytest.approx(f(xv, wv))
        np.testing.assert_allclose(got_x, _numeric(lambda v, b=wv: f(v, b), xv), atol=1e-7)
        np.testing.assert_allclose(got_w, _numeric(lambda v, a=xv: f(a, v), wv), atol=1e-7)


def test_tensors_inside_a_loop_cannot_be_fetched_or_fed() -> None:
    seen = []

    def body(i, x):
        y = x * 2.0
        seen.append(y)
        return i + 1, y
    _, x = gf.while_loop(lambda i, x: i < 3, body, [gf.constant(0), gf.constant(1.0)])
    with pytest.raises(gf.InvalidArgumentError, match="inside while loop .* cannot be fetched"):
        run(seen[0])
    with pytest.raises(gf.InvalidArgumentError, match="inside while loop .* cannot be fed"):
        run(x, {seen[0]: 3.0})
    assert run(x) == 8.0


def test_debug_tools_accept_a_graph_with_a_loop() -> None:
    """Topological order ignores the loop's back edge; the gradient-flow report covers the
    variables (activations inside a loop have a value per iteration and are left out)."""
    from graphflow.compiler import graph_index

    with gf.Graph().as_default() as g:
        x0 = gf.placeholder(gf.float32, [4, 3], name="x0")
        w = gf.Variable(np.eye(3, dtype=np.float32) * 0.9, name="W")
        _, x = gf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, gf.tanh(gf.matmul(x, w))),
                             [gf.constant(0), x0])
        loss = gf.reduce_mean(gf.square(gf.layers.dense(x, 2, name="out")), name="loss")
        order = graph_index.topological_order(g.as_graph_def())
        assert order.index("while/Merge") < order.index("while/NextIteration")
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            report = gf.debug.gradient_flow_report(loss, {x0: np.ones((4, 3), np.float32)},
                                                   session=sess)
    assert {v.name for v in report.variables} >= {"W", "out/kernel"}


def test_a_variable_made_inside_a_loop_body_lives_outside_it() -> None:
    """As TF1: control_dependencies(None) (which variable creation uses) also clears the
    control-flow context, so the variable is made once and read through an Enter."""
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [2])

        def body(i, acc):
            w = gf.get_variable("w", [2], initializer=gf.ones_initializer())
            return i + 1, acc * w * 2.0
        _, out = gf.while_loop(lambda i, acc: i < 3, body, [gf.constant(0), x])
        (var,) = gf.global_variables()
        assert g.context_of(var.op) is None
        gx, gw = gf.gradients(out, [x, var])
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            value, dx, dw = sess.run([out, gx, gw], {x: [1.0, 2.0]})
    np.testing.assert_allclose(value, [8.0, 16.0])
    np.testing.assert_allclose(dx, [8.0, 8.0])
    np.testing.assert_allclose(dw, [24.0, 48.0])  # d(8 w^3 x)/dw at w = 1


def test_tensor_array_loop_gradients_under_any_gradient_name() -> None:
    """The gradient arrays of one gf.gradients call are shared by its name scope, whatever
    it is called (gf.test.check_gradients uses "gradient_check")."""
    x = gf.placeholder(gf.float64, [3, 2])
    w = gf.placeholder(gf.float64, [2])
    inputs = gf.TensorArray(gf.float64, size=3).unstack(x)

    def body(t, h, ta):
        h = gf.tanh(inputs.read(t) * w + h)
        return t + 1, h, ta.write(t, h)
    _, _, ta = gf.while_loop(lambda t, *_: t < 3, body, [gf.constant(0), gf.zeros(
        [2], gf.float64), gf.TensorArray(gf.float64, size=3)])
    loss = gf.reduce_sum(ta.stack() * gf.constant(np.arange(6.0).reshape(3, 2)))
    default = gf.gradients(loss, [w])[0]
    named = gf.gradients(loss, [w], name="gradient_check")[0]
    feeds = {x: np.random.default_rng(0).normal(size=(3, 2)), w: np.array([0.5, -0.3])}
    got_default, got_named = run([default, named], feeds)
    np.testing.assert_allclose(got_named, got_default)
    assert np.abs(got_default).min() > 0.1
