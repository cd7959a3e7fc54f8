"""Issue 11's reproducers: inputs that used to give a wrong number or leak an internal
exception. Each must now give TensorFlow's answer or graphflow's own error (node, op, the
offending value and a Fix), independent of how many shapes a Session has seen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework.errors import DataLossError, GraphflowError, InvalidArgumentError
from graphflow.proto import graph_pb2, types_pb2
from tests.helpers import assert_gradients

REDUCTIONS: dict[str, Callable[..., gf.Tensor]] = {
    "Sum": gf.reduce_sum, "Mean": gf.reduce_mean, "Max": gf.reduce_max,
    "Min": gf.reduce_min, "Prod": gf.reduce_prod,
}


def _fed_axis_graph(reduce: Callable[..., gf.Tensor], dtype: gf.DType = gf.float32
                    ) -> tuple[gf.Graph, gf.Tensor, gf.Tensor, gf.Tensor]:
    g = gf.Graph()
    with g.as_default():
        m = gf.placeholder(dtype, [None, None], name="m")
        a = gf.placeholder(gf.int32, [None], name="a")
        out = reduce(m, axis=a)
    return g, m, a, out


@pytest.mark.parametrize("op_type", sorted(REDUCTIONS))
@pytest.mark.parametrize("axes, message", [
    ([5], r"axis 5 is out of range for a rank-2 input \(valid: -2 to 1\)"),
    ([-3], r"axis -3 is out of range for a rank-2 input \(valid: -2 to 1\)"),
    ([1, 1], r"axis 1 appears more than once"),
    ([1, -1], r"axis -1 appears more than once"),
])
def test_fed_reduction_axes_are_checked(op_type: str, axes: list[int], message: str) -> None:
    g, m, a, out = _fed_axis_graph(REDUCTIONS[op_type])
    with gf.Session(graph=g) as sess:
        with pytest.raises(InvalidArgumentError, match=rf"{op_type} node '.*': {message}"):
            sess.run(out, {m: np.ones((2, 3), np.float32), a: np.array(axes, np.int32)})
        # A valid axis still works (and agrees with numpy).
        got = sess.run(out, {m: np.arange(6, dtype=np.float32).reshape(2, 3) + 1,
                             a: np.array([-1], np.int32)})
    fn = {"Sum": np.sum, "Mean": np.mean, "Max": np.max, "Min": np.min, "Prod": np.prod}
    np.testing.assert_allclose(got, fn[op_type](np.arange(6).reshape(2, 3) + 1, axis=-1))


def test_fed_reduction_axis_of_any_is_checked() -> None:
    g, m, a, out = _fed_axis_graph(gf.reduce_any, gf.bool)
    with gf.Session(graph=g) as sess, pytest.raises(InvalidArgumentError, match="axis 2 is out"):
        sess.run(out, {m: np.ones((2, 3), bool), a: np.array([2], np.int32)})


def test_one_hot_with_a_negative_fed_depth_is_an_error() -> None:
    g = gf.Graph()
    with g.as_default():
        depth = gf.placeholder(gf.int32, [], name="depth")
        out = gf.one_hot(gf.constant([0, 1]), depth)
    with gf.Session(graph=g) as sess:
        with pytest.raises(InvalidArgumentError, match=r"OneHot node '.*': depth must be >= 0, "
                                                        r"got -3"):
            sess.run(out, {depth: -3})
        np.testing.assert_array_equal(sess.run(out, {depth: 3}), np.eye(3)[[0, 1]])


def _run_after_many_shapes(build: Callable[[], tuple[gf.Tensor, dict[gf.Tensor, Callable[[int],
                                                                                     object]]]],
                           bad_feed: Callable[[dict[gf.Tensor, object]], dict[gf.Tensor, object]]
                           ) -> tuple[str, str]:
    """The error a fresh Session gives for ``bad_feed``, and the one a Session that first ran
    twelve other feed shapes gives (they must be the same)."""
    messages = []
    for warm in (False, True):
        g = gf.Graph()
        with g.as_default():
            out, feeds = build()
        with gf.Session(graph=g) as sess:
            if warm:
                for n in range(2, 14):
                    sess.run(out, {t: make(n) for t, make in feeds.items()})
            with pytest.raises(GraphflowError) as info:
                sess.run(out, bad_feed(feeds))
            messages.append(f"{type(info.value).__name__}: {info.value}")
    return messages[0], messages[1]


def test_matmul_of_rank_3_feeds_fails_the_same_after_many_shapes() -> None:
    def build() -> tuple[gf.Tensor, dict[gf.Tensor, Callable[[int], object]]]:
        a = gf.placeholder(gf.float32, None, name="a")
        b = gf.placeholder(gf.float32, None, name="b")
        return gf.matmul(a, b), {a: lambda n: np.ones((n, 3), np.float32),
                                 b: lambda n: np.ones((3, 2), np.float32)}

    fresh, warm = _run_after_many_shapes(
        build, lambda f: {t: np.ones((2, 2, 2), np.float32) for t in f})
    assert fresh == warm
    assert "MatMul node" in fresh


def test_bias_add_with_a_wrong_bias_fails_the_same_after_many_shapes() -> None:
    def build() -> tuple[gf.Tensor, dict[gf.Tensor, Callable[[int], object]]]:
        x = gf.placeholder(gf.float32, None, name="x")
        b = gf.placeholder(gf.float32, None, name="b")
        return gf.nn.bias_add(x, b), {x: lambda n: np.ones((n, 3), np.float32),
                                      b: lambda n: np.ones(3, np.float32)}

    fresh, warm = _run_after_many_shapes(
        build, lambda f: dict(zip(f, [np.ones((2, 3), np.float32), np.ones(1, np.float32)])))
    assert fresh == warm
    assert "BiasAdd node" in fresh


def test_softmax_of_a_scalar_fails_the_same_after_many_shapes() -> None:
    def build() -> tuple[gf.Tensor, dict[gf.Tensor, Callable[[int], object]]]:
        x = gf.placeholder(gf.float32, None, name="x")
        return gf.nn.softmax(x), {x: lambda n: np.ones((n, 3), np.float32)}

    fresh, warm = _run_after_many_shapes(build, lambda f: {t: np.float32(1.0) for t in f})
    assert fresh == warm
    assert "Softmax node" in fresh


def test_static_axis_out_of_range_fails_the_same_after_many_shapes() -> None:
    def build() -> tuple[gf.Tensor, dict[gf.Tensor, Callable[[int], object]]]:
        x = gf.placeholder(gf.float32, None, name="x")
        return gf.reduce_sum(x, axis=5), {x: lambda n: np.ones([2] * 6 + [n], np.float32)}

    fresh, warm = _run_after_many_shapes(build, lambda f: {t: np.ones((2, 3), np.float32)
                                                           for t in f})
    assert fresh == warm
    assert "Sum node" in fresh


def test_out_of_range_gather_feeding_another_op_names_the_node() -> None:
    g = gf.Graph()
    with g.as_default():
        ids = gf.placeholder(gf.int32, [None], name="ids")
        table = gf.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
        out = gf.tanh(gf.gather(table, ids)) * 2.0
    with gf.Session(graph=g) as sess:
        for bad in (7, -1):
            with pytest.raises(InvalidArgumentError,
                               match=rf"GatherV2 node '.*': indices\[1\] = {bad} is not in "
                                     r"\[0, 4\)"):
                sess.run(out, {ids: np.array([0, bad], np.int32)})


@pytest.mark.parametrize("fn", [gf.tanh, gf.sigmoid, gf.sqrt])
def test_gather_gradient_reaching_a_fused_gradient_op_is_densified(fn: Callable[..., gf.Tensor]
                                                                    ) -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [4], name="x")
        y = gf.reduce_sum(gf.gather(fn(x), [0, 2, 2]))
        (dx,) = gf.gradients(y, [x])
    value = np.array([0.3, 0.7, 1.1, 1.9])
    with gf.Session(graph=g) as sess:
        got = sess.run(gf.convert_to_tensor(dx) if not isinstance(dx, gf.Tensor) else dx,
                       {x: value})
    eps = 1e-6
    f = {gf.tanh: np.tanh, gf.sigmoid: lambda v: 1 / (1 + np.exp(-v)), gf.sqrt: np.sqrt}[fn]
    numeric = [(f(value[i] + eps) - f(value[i] - eps)) / (2 * eps) * [1, 0, 2, 0][i]
               for i in range(4)]
    np.testing.assert_allclose(np.asarray(got), numeric, rtol=1e-6)


def test_axis_given_as_a_tensor() -> None:
    g = gf.Graph()
    with g.as_default():
        m = gf.constant(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], np.float32))
        axis = gf.constant(1)
        arg = gf.argmax(m, axis)
        total = gf.reduce_sum(m, axis=[axis, 0])
    with gf.Session(graph=g) as sess:
        np.testing.assert_array_equal(sess.run(arg), [1, 0])
        assert float(sess.run(total)) == 18.0


def test_a_huge_constant_is_refused_by_the_size_guard() -> None:
    g = gf.Graph()
    with g.as_default():
        big = gf.fill([1_000_000, 1_000_000], 1.0)
        out = gf.reduce_sum(big)
    with gf.Session(graph=g) as sess, pytest.raises(
            InvalidArgumentError, match=r"Fill node '.*': would allocate 4\.0 TB .*"
                                        r"SessionConfig\(max_tensor_bytes="):
        sess.run(out)


def test_the_size_guard_is_configurable() -> None:
    g = gf.Graph()
    with g.as_default():
        out = gf.reduce_sum(gf.fill([1000, 1000], 1.0))
    config = gf.SessionConfig(max_tensor_bytes=1000)
    with gf.Session(graph=g, config=config) as sess, pytest.raises(
            InvalidArgumentError, match=r"would allocate 4\.0 MB"):
        sess.run(out)
    with gf.Session(graph=g) as sess:
        assert float(sess.run(out)) == 1e6


def test_static_bad_perm_and_multiples_are_build_errors() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, None, name="x")
        with pytest.raises(gf.GraphBuildError, match=r"perm \[0, 0\] is not a permutation"):
            gf.transpose(x, [0, 0])
        with pytest.raises(gf.GraphBuildError, match=r"multiples \[2, -1\] must be >= 0"):
            gf.tile(x, [2, -1])


@pytest.mark.parametrize("build, message", [
    (lambda p: gf.transpose(gf.placeholder(gf.float32, None, name="x"), p),
     r"Transpose node '.*': perm \[0, 0\] is not a permutation of the axes \[0, 1\]"),
    (lambda p: gf.tile(gf.placeholder(gf.float32, None, name="x"), p),
     r"Tile node '.*': multiples must be >= 0, got \[0, -1\]"),
])
def test_fed_bad_perm_and_multiples_are_graphflow_errors(build: Callable[..., gf.Tensor],
                                                         message: str) -> None:
    g = gf.Graph()
    with g.as_default():
        p = gf.placeholder(gf.int32, [None], name="p")
        out = build(p)
    feeds = {"x:0": np.ones((2, 3), np.float32), "p:0": np.array([0, 0], np.int32)}
    if "Tile" in message:
        feeds["p:0"] = np.array([0, -1], np.int32)
    with gf.Session(graph=g) as sess, pytest.raises(InvalidArgumentError, match=message) as info:
        sess.run(out, feeds)
    assert "Fix:" in str(info.value)


def test_fill_with_negative_dims_is_an_error() -> None:
    g = gf.Graph()
    with g.as_default():
        dims = gf.placeholder(gf.int32, [2], name="dims")
        out = gf.fill(dims, 1.0)
    with gf.Session(graph=g) as sess, pytest.raises(
            InvalidArgumentError, match=r"Fill node '.*': dims must be >= 0, got \[2, -3\]"):
        sess.run(out, {dims: [2, -3]})


def test_argmax_over_an_empty_axis_is_an_error() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, None], name="x")
        out = gf.argmax(x, 1)
    with gf.Session(graph=g) as sess, pytest.raises(
            InvalidArgumentError, match=r"ArgMax node '.*': .*empty"):
        sess.run(out, {x: np.ones((2, 0), np.float32)})


def test_reduce_max_of_an_empty_tensor_is_minus_infinity_as_in_tensorflow() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None], name="x")
        hi, lo = gf.reduce_max(x), gf.reduce_min(x)
    with gf.Session(graph=g) as sess:
        got_hi, got_lo = sess.run([hi, lo], {x: np.zeros(0, np.float32)})
    assert got_hi == -np.inf and got_lo == np.inf


def test_integer_pow_with_a_negative_exponent_is_an_error() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.int32, [None], name="x")
        out = gf.pow(x, gf.constant(np.array([2, -1], np.int32)))
    with gf.Session(graph=g) as sess, pytest.raises(
            InvalidArgumentError, match=r"Pow node '.*': integers to negative integer powers"):
        sess.run(out, {x: np.array([2, 3], np.int32)})


def test_scatter_out_of_range_names_the_index() -> None:
    g = gf.Graph()
    with g.as_default():
        v = gf.Variable(np.zeros((3, 2), np.float32), name="v")
        idx = gf.placeholder(gf.int32, [None], name="idx")
        up = gf.scatter_add(v, idx, np.ones((2, 2), np.float32))
    with gf.Session(graph=g) as sess:
        sess.run(gf.variables_initializer([v]))
        with pytest.raises(InvalidArgumentError, match=r"indices\[1\] = 5 is not in \[0, 3\)"):
            sess.run(up, {idx: [0, 5]})


def test_deeply_nested_pbtxt_is_a_data_loss_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.pbtxt"
    path.write_text('node { name: "a" op: "Const" attr { key: "value" value { list { '
                    + "func { attr { key: \"k\" value { " * 3000 + "} } " * 3000
                    + "} } } }")
    with pytest.raises(DataLossError, match="deep.pbtxt"):
        gf.io.read_graph(path)


def test_softmax_and_cross_entropy_on_a_non_last_axis_with_unknown_rank() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, None, name="x")
        weights = gf.constant(np.array([[1.0, 2.0, -1.0], [0.5, -2.0, 3.0]]))
        y = gf.reduce_sum(gf.nn.softmax(x, axis=0) * weights)
        ce = gf.nn.softmax_cross_entropy_with_logits_v2(labels=gf.constant(np.eye(2, 3)),
                                                        logits=x, axis=0)
    xv = np.array([[0.1, -0.4, 0.7], [0.3, 0.2, -0.5]])
    e = np.exp(xv)
    p = e / e.sum(axis=0)
    with gf.Session(graph=g) as sess:
        np.testing.assert_allclose(sess.run(y, {x: xv}), (p * weights_value()).sum(),
                                   rtol=1e-12)
        np.testing.assert_allclose(sess.run(ce, {x: xv}), -(np.eye(2, 3) * np.log(p)).sum(0),
                                   rtol=1e-12)
    with g.as_default():
        assert_gradients(y, [x], {x: xv})


def weights_value() -> np.ndarray:
    return np.array([[1.0, 2.0, -1.0], [0.5, -2.0, 3.0]])


@pytest.mark.parametrize("indices", [[0, 2, 2], [[1, 0], [2, 2]]])
def test_gather_gradient_along_axis_1_with_unknown_ranks(indices: list) -> None:
    g = gf.Graph()
    rng = np.random.default_rng(3)
    with g.as_default():
        x = gf.placeholder(gf.float64, None, name="x")
        w = gf.constant(rng.uniform(-1, 1, (2, *np.shape(indices), 4)))
        y = gf.reduce_sum(gf.gather(x, indices, axis=1) * w)
        assert_gradients(y, [x], {x: rng.uniform(-1, 1, (2, 3, 4))})


def test_a_fetched_operation_runs_and_its_checks_apply() -> None:
    """Fetching an op runs it (TensorFlow semantics), even a pure one nothing reads: its
    run-time checks apply instead of the plan silently skipping it."""
    g = gf.Graph()
    with g.as_default():
        ids = gf.placeholder(gf.int32, [None], name="ids")
        gather = gf.gather(gf.constant(np.arange(4.0)), ids)
    with gf.Session(graph=g) as sess:
        assert sess.run(gather.op, {ids: [1, 2]}) is None
        with pytest.raises(InvalidArgumentError, match=r"indices\[0\] = 9 is not in \[0, 4\)"):
            sess.run(gather.op, {ids: [9]})
        assert [st.op_type for st in sess.explain(gather.op, {ids: [1]}).steps] == ["GatherV2"]


def test_a_graph_def_constant_of_a_trillion_elements_loads_but_does_not_allocate() -> None:
    """A Const whose TensorProto says 1e6 x 1e6 with one float_val (TF's splat form) is a
    valid GraphDef and imports; running it hits the size guard instead of trying to
    allocate 4 TB."""
    gd = graph_pb2.GraphDef()
    gd.versions.producer = 134
    node = gd.node.add()
    node.name, node.op = "big", "Const"
    node.attr["dtype"].type = types_pb2.DT_FLOAT
    tensor = node.attr["value"].tensor
    tensor.dtype = types_pb2.DT_FLOAT
    tensor.float_val.append(1.0)
    for size in (1_000_000, 1_000_000):
        tensor.tensor_shape.dim.add().size = size
    g = gf.Graph()
    with g.as_default():
        gf.import_graph_def(gd, name="")
        total = gf.reduce_sum(g.get_tensor_by_name("big:0"))
    with gf.Session(graph=g) as sess, pytest.raises(
            InvalidArgumentError, match=r"Const node 'big': would allocate 4\.0 TB"):
        sess.run(total)
