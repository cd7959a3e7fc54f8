"""Engine tests of the gradient pass (``gf.gradients`` / ``add_gradients``).

The lecture's worked examples are tests, with its numbers exactly: the computation graph
f = (x + y) max(y, z) at (1, 2, 0), d/dx x^3 at 1 and 4 (and the second derivative 6x), and
the one-layer net s = u^T tanh(W x + b) whose gradients are delta = u * f'(z) and delta x^T.
Then the pass's contract: one AddN per fan-out, node names under gradients/<op>_grad/,
disconnected xs -> None, grad_ys seeding, stop_gradients and StopGradient, integer tensors
get no gradient, a missing rule raises LookupError naming op type and node, graphs loaded
from a .pb, the shape convention, and a node count linear in the size of the graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler.gradients import add_gradients
from graphflow.framework import op_registry as registry
from graphflow.framework.op_registry import Op
from graphflow.framework.tensor import TensorSpec
from graphflow.ops import op_builder
from tests.helpers import replaced_record, run


def scalar(name: str) -> gf.Tensor:
    return gf.placeholder(gf.float64, (), name=name)


def gradient_ops(graph: gf.Graph, scope: str = "gradients/") -> list[gf.Operation]:
    return [op for op in graph.get_operations() if op.name.startswith(scope)]


# ----------------------------------------------------------------------------------------
# The lecture's worked examples
# ----------------------------------------------------------------------------------------


def build_lecture_graph() -> tuple[gf.Tensor, ...]:
    x, y, z = scalar("x"), scalar("y"), scalar("z")
    a = gf.add(x, y, name="a")          # a = x + y
    b = gf.maximum(y, z, name="b")      # b = max(y, z)
    f = gf.multiply(a, b, name="f")     # f = a * b
    return x, y, z, a, b, f


def test_lecture_computation_graph_forward_and_backward(graph) -> None:
    x, y, z, a, b, f = build_lecture_graph()
    gx, gy, gz = gf.gradients(f, [x, y, z])
    feeds = {x: 1.0, y: 2.0, z: 0.0}
    av, bv, fv, gxv, gyv, gzv = run([a, b, f, gx, gy, gz], feeds)
    assert (av, bv, fv) == (3.0, 2.0, 6.0)          # forward: a = 3, b = 2, f = 6
    assert (gxv, gyv, gzv) == (2.0, 5.0, 0.0)       # backward: (2, 2 + 3, 0)


def test_lecture_local_gradients_at_each_node(graph) -> None:
    """Upstream 1 at f; * swaps its inputs (df/da = b = 2, df/db = a = 3); + distributes
    2 to x and y; max routes its 3 entirely to the winner y."""
    x, y, z, a, b, f = build_lecture_graph()
    ga, gb = gf.gradients(f, [a, b])
    gx_via_a, gy_via_a = gf.gradients(a, [x, y], grad_ys=[ga])
    gy_via_b, gz_via_b = gf.gradients(b, [y, z], grad_ys=[gb])
    values = run([ga, gb, gx_via_a, gy_via_a, gy_via_b, gz_via_b], {x: 1.0, y: 2.0, z: 0.0})
    assert [float(v) for v in values] == [2.0, 3.0, 2.0, 2.0, 3.0, 0.0]


def test_fan_out_is_summed_by_one_add_n(graph) -> None:
    x, y, z, a, b, f = build_lecture_graph()
    gx, gy, gz = gf.gradients(f, [x, y, z])
    assert gy.op.type == "AddN" and gy.op.name.startswith("gradients/")
    assert len(gy.op.inputs) == 2  # one contribution through +, one through max
    add_ns = [op for op in gradient_ops(graph) if op.type == "AddN"]
    assert add_ns == [gy.op]       # the only fan-out in f is y's
    assert gx.op.type != "AddN" and gz.op.type != "AddN"


def test_three_way_fan_out_uses_a_single_add_n(graph) -> None:
    x = scalar("x")
    f = gf.tanh(x) + gf.square(x) + gf.exp(x)
    (gx,) = gf.gradients(f, [x])
    assert gx.op.type == "AddN" and len(gx.op.inputs) == 3
    assert [op.type for op in gradient_ops(graph)].count("AddN") == 1
    xv = 0.3
    assert np.isclose(run(gx, {x: xv}), 1 - np.tanh(xv) ** 2 + 2 * xv + np.exp(xv))


@pytest.mark.parametrize("build", ["pow", "mul"])
def test_lecture_cube_first_derivative(graph, build: str) -> None:
    x = scalar("x")
    f = gf.pow(x, 3.0) if build == "pow" else x * x * x
    (df,) = gf.gradients(f, [x])
    assert run(df, {x: 1.0}) == pytest.approx(3.0, abs=1e-12)    # 3x^2 at 1
    assert run(df, {x: 4.0}) == pytest.approx(48.0, abs=1e-12)   # 3x^2 at 4
    # "if the input changes by a small amount, the output changes by ~gradient times it"
    assert run(f, {x: 1.01}) == pytest.approx(1.03, abs=1e-3)
    assert run(f, {x: 4.01}) == pytest.approx(64.48, abs=1e-2)


@pytest.mark.parametrize("build", ["pow", "mul"])
def test_lecture_cube_second_derivative(graph, build: str) -> None:
    """Gradients of gradients: d2/dx2 x^3 = 6x."""
    x = scalar("x")
    f = gf.pow(x, 3.0) if build == "pow" else x * x * x
    (df,) = gf.gradients(f, [x])
    (d2f,) = gf.gradients(df, [x])
    (d3f,) = gf.gradients(d2f, [x])
    for xv in (1.0, 4.0, -2.5):
        assert run(d2f, {x: xv}) == pytest.approx(6 * xv, abs=1e-9)
        assert run(d3f, {x: xv}) == pytest.approx(6.0, abs=1e-9)


def test_lecture_one_layer_net_delta_and_weight_gradient(graph) -> None:
    """s = u^T h, h = tanh(z), z = W x + b with column vectors; x in R^n (n = 3),
    W is m x n, b, u in R^m (m = 4). By hand: ds/db = delta = u * f'(z) (Hadamard),
    ds/dW = delta x^T (an m x n outer product: the shape convention), ds/dx = W^T delta."""
    n, m = 3, 4
    rng = np.random.default_rng(0)
    xv, Wv = rng.normal(size=(n, 1)), rng.normal(size=(m, n))
    bv, uv = rng.normal(size=(m, 1)), rng.normal(size=(m, 1))
    x = gf.placeholder(gf.float64, (n, 1), name="x")
    W = gf.placeholder(gf.float64, (m, n), name="W")
    b = gf.placeholder(gf.float64, (m, 1), name="b")
    u = gf.placeholder(gf.float64, (m, 1), name="u")
    z = gf.matmul(W, x) + b
    s = gf.matmul(u, gf.tanh(z), transpose_a=True)  # (1, 1)
    gb, gW, gx = gf.gradients(s, [b, W, x])
    assert gb.shape.as_list() == [m, 1] and gW.shape.as_list() == [m, n]
    assert gx.shape.as_list() == [n, 1]
    gbv, gWv, gxv = run([gb, gW, gx], {x: xv, W: Wv, b: bv, u: uv})
    zv = Wv @ xv + bv
    delta = uv * (1 - np.tanh(zv) ** 2)
    np.testing.assert_allclose(gbv, delta, rtol=1e-12)
    np.testing.assert_allclose(gWv, delta @ xv.T, rtol=1e-12)
    np.testing.assert_allclose(gxv, Wv.T @ delta, rtol=1e-12)
    result = gf.test.check_gradients(s, [b, W, x], {x: xv, W: Wv, b: bv, u: uv})
    assert result.max_error < 1e-8, str(result)


def test_local_error_signal_is_built_once_and_reused(graph) -> None:
    """Rule 2 of the lecture: delta (the TanhGrad output) feeds both the W and the b
    gradients; it is not recomputed per parameter."""
    x = gf.placeholder(gf.float64, (3, 1))
    W = gf.placeholder(gf.float64, (4, 3))
    b = gf.placeholder(gf.float64, (4, 1))
    s = gf.reduce_sum(gf.tanh(gf.matmul(W, x) + b))
    gf.gradients(s, [W, b])
    assert [op.type for op in gradient_ops(graph)].count("TanhGrad") == 1


# ----------------------------------------------------------------------------------------
# Names, disconnected xs, seeding, stopping
# ----------------------------------------------------------------------------------------


def test_gradient_nodes_are_named_under_gradients_op_grad(graph) -> None:
    x, y, z, a, b, f = build_lecture_graph()
    forward = {op.name for op in graph.get_operations()}
    gf.gradients(f, [x, y, z])
    new = [op for op in graph.get_operations() if op.name not in forward]
    assert new and all(op.name.startswith("gradients/") for op in new)
    scopes = {op.name.split("/")[1] for op in new}
    allowed = {f"{name}_grad" for name in forward} | {"f_seed"}
    assert scopes <= allowed, scopes - allowed
    assert {"f_grad", "b_grad"} <= scopes  # the Mul and Maximum rules ran in their scopes
    assert any(op.name.startswith("gradients/b_grad/") and op.type == "SelectV2" for op in new)
    # a second call gets a fresh scope, as in TF
    gf.gradients(f, [x])
    assert any(op.name.startswith("gradients_1/") for op in graph.get_operations())


def test_custom_scope_name(graph) -> None:
    x = scalar("x")
    (gx,) = gf.gradients(x * x, [x], name="backprop")
    assert gx.op.name.startswith("backprop/")


def test_disconnected_x_gets_none(graph) -> None:
    x, y, w = scalar("x"), scalar("y"), scalar("w")
    f = x * y
    gw, gx = gf.gradients(f, [w, x])
    assert gw is None
    assert run(gx, {x: 2.0, y: 5.0}) == 5.0


def test_x_upstream_only_through_integer_or_non_float_path_gets_none(graph) -> None:
    x = gf.placeholder(gf.float64, (3,))
    y = gf.cast(gf.greater(x, 0.0), gf.float64) + gf.cast(gf.cast(x, gf.int32), gf.float64)
    assert gf.gradients(gf.reduce_sum(y), [x]) == [None]


def test_grad_ys_seed_scales_the_result(graph) -> None:
    x, y, z, a, b, f = build_lecture_graph()
    gx, gy = gf.gradients(f, [x, y], grad_ys=[gf.constant(10.0, dtype=gf.float64)])
    assert run([gx, gy], {x: 1.0, y: 2.0, z: 0.0}) == [20.0, 50.0]


def test_grad_ys_for_a_vector_output(graph) -> None:
    x = gf.placeholder(gf.float64, (3,))
    y = x * x
    (gx,) = gf.gradients(y, [x], grad_ys=[np.array([1.0, 0.0, -2.0])])
    np.testing.assert_allclose(run(gx, {x: [1.0, 2.0, 3.0]}), [2.0, 0.0, -12.0])


def test_grad_ys_default_is_ones(graph) -> None:
    x = gf.placeholder(gf.float64, (None, 3))
    (gx,) = gf.gradients(x * 2.0, [x])  # d sum(y)/dx with a run-time shape seed
    np.testing.assert_allclose(run(gx, {x: np.zeros((2, 3))}), np.full((2, 3), 2.0))


def test_grad_ys_must_match_ys(graph) -> None:
    x = gf.placeholder(gf.float64, (3,))
    with pytest.raises(gf.GraphBuildError, match=r"grad_ys.*\(2,\).*\(3,\)"):
        gf.gradients(x * x, [x], grad_ys=[np.ones(2)])
    with pytest.raises(ValueError, match="2 grad_ys given for 1 ys"):
        gf.gradients(x * x, [x], grad_ys=[np.ones(3), np.ones(3)])


def test_multiple_ys_are_summed(graph) -> None:
    x = scalar("x")
    (gx,) = gf.gradients([x * x, 3.0 * x], [x])
    assert run(gx, {x: 2.0}) == 7.0


def test_x_that_is_also_the_y(graph) -> None:
    x = gf.placeholder(gf.float64, (2,))
    (gx,) = gf.gradients(x, [x])
    np.testing.assert_array_equal(run(gx, {x: [5.0, 6.0]}), [1.0, 1.0])


def test_intermediate_x(graph) -> None:
    x = scalar("x")
    h = gf.square(x, name="h")
    f = h * h + h
    gh, gx = gf.gradients(f, [h, x])
    ghv, gxv = run([gh, gx], {x: 3.0})
    assert ghv == 2 * 9.0 + 1 and gxv == ghv * 2 * 3.0


def test_stop_gradients_argument_treats_tensors_as_constants(graph) -> None:
    x, y, z, a, b, f = build_lecture_graph()
    gx, gy, gz = gf.gradients(f, [x, y, z], stop_gradients=[a])
    assert gx is None                               # x reaches f only through a
    assert run([gy, gz], {x: 1.0, y: 2.0, z: 0.0}) == [3.0, 0.0]  # only the max path


def test_stop_gradient_op_blocks_flow(graph) -> None:
    x, y = scalar("x"), scalar("y")
    f = gf.stop_gradient(x) * y + x
    gx, gy = gf.gradients(f, [x, y])
    assert run([gx, gy], {x: 3.0, y: 4.0}) == [1.0, 3.0]
    assert gf.gradients(gf.stop_gradient(x) * y, [x]) == [None]


def test_integer_inputs_get_no_gradient(graph) -> None:
    x = gf.placeholder(gf.float64, (3,))
    k = gf.placeholder(gf.int32, (3,))
    f = gf.reduce_sum(x * gf.cast(k, gf.float64))
    gx, gk = gf.gradients(f, [x, k])
    assert gk is None
    np.testing.assert_array_equal(run(gx, {x: np.zeros(3), k: [1, 2, 3]}), [1.0, 2.0, 3.0])


def test_integer_ys_cannot_be_differentiated(graph) -> None:
    k = gf.placeholder(gf.int32, (3,), name="k")
    with pytest.raises(TypeError, match="'doubled:0'.*int32"):
        gf.gradients(gf.multiply(k, 2, name="doubled"), [k])


# ----------------------------------------------------------------------------------------
# Missing rules, serialized graphs
# ----------------------------------------------------------------------------------------


class _NoGradSquare(Op):
    """y = x^2 with a kernel and shape rule but no gradient rule (and differentiable)."""

    op_type = "TestOnlyNoGradSquare"
    input_names = ("x",)

    def infer(self, ctx: registry.InferContext) -> list[TensorSpec]:
        return [TensorSpec(ctx.inputs[0].dtype, ctx.inputs[0].shape)]

    def kernel(self, ctx: registry.KernelContext) -> Any:
        return np.square


def test_missing_rule_raises_lookup_error_naming_op_type_and_node(graph) -> None:
    with replaced_record(_NoGradSquare.op_type, _NoGradSquare()):
        x = scalar("x")
        y = op_builder.apply1(_NoGradSquare.op_type, [x], name="layer/mystery")
        assert run(y, {x: 3.0}) == 9.0
        with pytest.raises(LookupError) as info:
            gf.gradients(y * 2.0, [x])
        msg = str(info.value)
        assert "TestOnlyNoGradSquare" in msg and "'layer/mystery'" in msg
        assert "stop_gradient" in msg
        # stopping the flow before the op makes the graph differentiable again
        (gx,) = gf.gradients(y * 2.0 + x, [x], stop_gradients=[y])
        assert run(gx, {x: 3.0}) == 1.0
    assert registry.lookup(_NoGradSquare.op_type) is None


def test_gradients_on_a_graph_loaded_from_pb(tmp_path) -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, (None, 3), name="x")
        W = gf.constant(np.arange(12.0).reshape(3, 4) / 10, name="W")
        b = gf.constant(np.array([0.1, -0.2, 0.3, 0.0]), name="b")
        gf.reduce_sum(gf.tanh(gf.matmul(x, W) + b), name="loss")
    path = gf.io.write_graph(g, str(tmp_path), "g.pb", as_text=False)
    loaded = gf.io.load_graph(path)
    assert [n.name for n in loaded.as_graph_def().node] == [n.name for n in
                                                             g.as_graph_def().node]
    with loaded.as_default():
        lx, lW = loaded.get_tensor_by_name("x:0"), loaded.get_tensor_by_name("W:0")
        loss = loaded.get_tensor_by_name("loss:0")
        gx, gW = gf.gradients(loss, [lx, lW])
        assert gW.shape.as_list() == [3, 4] and gx.shape.as_list() == [None, 3]
        xv = np.random.default_rng(1).normal(size=(2, 3))
        Wv = np.arange(12.0).reshape(3, 4) / 10
        delta = 1 - np.tanh(xv @ Wv + [0.1, -0.2, 0.3, 0.0]) ** 2
        gxv, gWv = run([gx, gW], {lx: xv})
        np.testing.assert_allclose(gWv, xv.T @ delta, rtol=1e-12)
        np.testing.assert_allclose(gxv, delta @ Wv.T, rtol=1e-12)


def test_add_gradients_is_a_pure_graph_def_pass(graph) -> None:
    x = gf.placeholder(gf.float64, (2,), name="x")
    gf.reduce_sum(gf.square(x), name="loss")
    before = graph.as_graph_def()
    frozen = before.SerializeToString(deterministic=True)
    out, names = add_gradients(before, ["loss:0"], ["x:0"])
    assert before.SerializeToString(deterministic=True) == frozen  # input untouched
    assert len(out.node) > len(before.node)
    assert names[0] is not None and names[0].startswith("gradients/")
    g2 = gf.Graph()
    with g2.as_default():
        gf.import_graph_def(out, name="")
        gx = g2.get_tensor_by_name(names[0])
        np.testing.assert_allclose(run(gx, {g2.get_tensor_by_name("x:0"): [1.0, -3.0]}),
                                   [2.0, -6.0])


# ----------------------------------------------------------------------------------------
# Shape convention and linearity
# ----------------------------------------------------------------------------------------


def test_gradient_shapes_equal_the_tensors_static_shapes(graph) -> None:
    a = gf.placeholder(gf.float64, (2, 3), name="a")
    v = gf.placeholder(gf.float64, (3,), name="v")
    s = gf.placeholder(gf.float64, (), name="s")
    p = gf.placeholder(gf.float64, (None, 3), name="p")
    col = gf.placeholder(gf.float64, (2, 1), name="col")
    w = gf.Variable(np.ones((3, 5)), name="w")
    y = gf.reduce_sum(gf.matmul(gf.tanh(a * v + s) * col, w.value())) + gf.reduce_mean(p * v)
    xs = [a, v, s, p, col, w]
    grads = gf.gradients(y, xs)
    for x, g in zip(xs, grads):
        assert g is not None
        assert g.dtype == x.dtype
        assert g.shape.as_list() == x.shape.as_list(), (x, g)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        feeds = {a: np.ones((2, 3)), v: np.ones(3), s: 0.5, p: np.ones((4, 3)),
                 col: np.ones((2, 1))}
        values = sess.run(grads, feeds)
    assert [np.shape(val) for val in values] == [(2, 3), (3,), (), (4, 3), (2, 1), (3, 5)]


def _chain(x: gf.Tensor, n: int) -> gf.Tensor:
    h = x
    for i in range(n):
        h = (gf.tanh(h), h * 0.9, gf.sigmoid(h), h + 0.1)[i % 4]
    return h


def _count_gradient_nodes(n: int, build: Any) -> int:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, (3,), name="x")
        y = gf.reduce_sum(build(x, n))
        before = len(g.get_operations())
        (gx,) = gf.gradients(y, [x])
        assert gx is not None
        return len(g.get_operations()) - before


def _fan_out_chain(x: gf.Tensor, n: int) -> gf.Tensor:
    """h_{k+1} = h_k * h_k + h_k: three uses per level; naive re-expansion would be
    exponential, memoized backprop is linear."""
    h = x
    for _ in range(n):
        h = h * h + h
    return h


@pytest.mark.parametrize("build", [_chain, _fan_out_chain], ids=["chain", "fan_out"])
def test_gradient_pass_creates_nodes_linear_in_graph_size(build: Any) -> None:
    small, large = _count_gradient_nodes(200, build), _count_gradient_nodes(800, build)
    assert small > 200  # every op contributed gradient nodes
    ratio = large / small
    assert 3.8 <= ratio <= 4.2, (small, large)  # 4x the ops -> ~4x the gradient nodes
    assert large - 4 * small == pytest.approx(0, abs=20)  # constant per-graph overhead only


def test_fan_out_chain_gradient_value(graph) -> None:
    x = scalar("x")
    h = _fan_out_chain(x, 3)
    (gx,) = gf.gradients(h, [x])
    # h1 = x^2 + x, dh/dx by the chain rule through three levels
    xv, d, hv = 0.1, 1.0, 0.1
    for _ in range(3):
        d *= 2 * hv + 1
        hv = hv * hv + hv
    assert run(gx, {x: xv}) == pytest.approx(d, rel=1e-12)


def test_gradients_build_no_networkx_graph(monkeypatch):
    """Reachability and order come from the Graph's handles (linear in the ops between the
    xs and the ys), never from a networkx graph of the whole GraphDef."""
    import networkx

    def refuse(*args, **kwargs):
        raise AssertionError("gf.gradients built a networkx graph")

    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3], name="x")
        unrelated = gf.tanh(gf.placeholder(gf.float64, [3]))
        y = gf.reduce_sum(gf.exp(x) * x) + gf.reduce_sum(unrelated)
        monkeypatch.setattr(networkx, "DiGraph", refuse)
        monkeypatch.setattr(networkx, "lexicographical_topological_sort", refuse)
        (dx,) = gf.gradients(y, [x])
        monkeypatch.undo()
        value = np.array([0.1, -0.7, 2.0])
        with gf.Session() as sess:
            got = sess.run(dx, {x: value})
    np.testing.assert_allclose(got, np.exp(value) * (value + 1), rtol=1e-12)
