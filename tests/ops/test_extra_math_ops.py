"""Records of ``extra_math_ops``, ``activation_ops`` and ``extra_reduction_ops``, three layers
per op (table-driven):

1. kernel vs a numpy reference (float32/float64, integers and bools where the op allows them,
   and the planned-buffer ``out=`` path against the plain one);
2. the static shape rule equals the kernel's real output shape (distinct dims, ``None`` dims
   and unknown ranks fed at run time);
3. float64 gradient vs central finite differences (``gf.test.check_gradients``) on a per-op
   domain kept away from kinks, and second order through the fused *Grad ops.

Plus TF semantics (FloorDiv/FloorMod signs, integer division by zero), zero-safe Prod
gradients, non-differentiable registrations, NodeDef attrs and build-time errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import activation_ops, array_ops, math_ops


def run(fetches: Any, feeds: dict | None = None, config: Any = None) -> Any:
    with gf.Session(config=config) as sess:
        return sess.run(fetches, feeds)


def sample(shape: Any, low: float, high: float, seed: int = 0, kinks: tuple = (),
           dtype: Any = np.float64, margin: float = 0.2) -> np.ndarray:
    """Uniform values in [low, high], pushed at least ``margin`` away from each kink."""
    x = np.random.default_rng(seed).uniform(low, high, size=shape)
    for k in kinks:
        d = x - k
        near = np.abs(d) < margin
        x = np.where(near, k + np.where(d >= 0, margin, -margin) + d, x)
    return x.astype(dtype)


def assert_gradients(y: gf.Tensor, xs: list, feeds: dict, tol: float) -> None:
    result = gf.test.check_gradients(y, xs, feeds)
    assert result.max_error < tol, str(result)


def _ids(cases: list) -> list[str]:
    return [str(c) for c in cases]


# ----------------------------------------------------------------------------------------
# Unary element-wise ops
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnaryCase:
    name: str
    op_type: str
    build: Callable[[Any], gf.Tensor]
    ref: Callable[[np.ndarray], np.ndarray]
    low: float
    high: float
    kinks: tuple = ()
    ints: bool = False
    grad: str = "check"  # "check": finite differences; "zero": zeros; "none": not differentiable
    tol: float = 1e-6

    def __str__(self) -> str:
        return self.name


def _leaky(alpha: float) -> Callable[[np.ndarray], np.ndarray]:
    a = float(np.float32(alpha))  # the attr is a 32-bit float, as in TensorFlow
    return lambda x: np.where(x > 0, x, a * x)


UNARY = [
    UnaryCase("Abs", "Abs", gf.abs, np.abs, -3, 3, kinks=(0,), ints=True),
    UnaryCase("Sign", "Sign", gf.sign, np.sign, -3, 3, kinks=(0,), ints=True, grad="zero"),
    UnaryCase("Reciprocal", "Reciprocal", gf.reciprocal, lambda x: 1 / x, -3, 3, kinks=(0,),
              tol=1e-5),
    UnaryCase("Rsqrt", "Rsqrt", gf.rsqrt, lambda x: 1 / np.sqrt(x), 0.5, 4),
    UnaryCase("Log1p", "Log1p", gf.log1p, np.log1p, -0.5, 3),
    UnaryCase("Expm1", "Expm1", gf.expm1, np.expm1, -2, 2),
    UnaryCase("Floor", "Floor", gf.floor, np.floor, -3, 3, grad="none"),
    UnaryCase("Snapshot", "Snapshot", array_ops.snapshot, np.copy, -3, 3, ints=True),
    UnaryCase("Softplus", "Softplus", gf.nn.softplus, lambda x: np.log1p(np.exp(x)), -4, 4),
    UnaryCase("Softsign", "Softsign", gf.nn.softsign, lambda x: x / (1 + np.abs(x)), -3, 3,
              kinks=(0,)),
    UnaryCase("LeakyRelu", "LeakyRelu", gf.nn.leaky_relu, _leaky(0.2), -3, 3, kinks=(0,)),
    UnaryCase("LeakyRelu_alpha_neg", "LeakyRelu",
              lambda x: gf.nn.leaky_relu(x, alpha=-0.5), _leaky(-0.5), -3, 3, kinks=(0,)),
    UnaryCase("Elu", "Elu", gf.nn.elu, lambda x: np.where(x < 0, np.exp(x) - 1, x), -3, 3,
              kinks=(0,)),
    UnaryCase("Relu6", "Relu6", gf.nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6), -2, 8,
              kinks=(0, 6), ints=True),
]
DIFFERENTIABLE = [c for c in UNARY if c.grad == "check"]


@pytest.mark.parametrize("case", UNARY, ids=_ids(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_kernel_matches_numpy(graph, case: UnaryCase, dtype: Any) -> None:
    xv = sample((2, 3), case.low, case.high, kinks=case.kinks, dtype=dtype)
    x = gf.placeholder(gf.as_dtype(dtype), (2, 3))
    y = case.build(x)
    assert y.op.type == case.op_type
    out = run(y, {x: xv})
    assert out.dtype == dtype
    np.testing.assert_allclose(out, case.ref(xv), rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("case", [c for c in UNARY if c.ints], ids=lambda c: str(c))
def test_unary_integer_kernel(graph, case: UnaryCase) -> None:
    xv = np.array([[-3, 0, 2], [7, -1, 4]], dtype=np.int32)
    out = run(case.build(gf.constant(xv)))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, case.ref(xv))


@pytest.mark.parametrize("case", UNARY, ids=_ids(UNARY))
def test_unary_planned_buffer_matches_plain_kernel(graph, case: UnaryCase) -> None:
    """Feeding a static shape lets the memory planner hand the op a buffer (its output is
    an intermediate); the ufunc ``out=`` / ``fn_into`` path must agree with the plain one,
    also on a second run with other values (no stale buffer contents)."""
    x = gf.placeholder(gf.float64, (3, 4))
    z = gf.multiply(case.build(x), 2.0)
    plain = gf.SessionConfig(plan_memory=False)
    with gf.Session() as planned:
        for seed in (1, 2):
            xv = sample((3, 4), case.low, case.high, seed=seed, kinks=case.kinks)
            np.testing.assert_allclose(planned.run(z, {x: xv}), 2 * case.ref(xv), rtol=1e-12)
            np.testing.assert_array_equal(planned.run(z, {x: xv}), run(z, {x: xv}, plain))
    assert registry.get(case.op_type).writes_out


@pytest.mark.parametrize("case", UNARY, ids=_ids(UNARY))
@pytest.mark.parametrize("static,fed", [((2, 3, 5), (2, 3, 5)), ((4,), (4,)), ((), ()),
                                        ((None, 3), (4, 3)), (None, (5, 2))])
def test_unary_shape_rule_matches_kernel(graph, case: UnaryCase, static: Any, fed: Any) -> None:
    x = gf.placeholder(gf.float64, static)
    y = case.build(x)
    if static is None:
        assert y.shape.rank is None
    else:
        assert y.shape.as_list() == list(static)
    out = np.asarray(run(y, {x: sample(fed, case.low, case.high, kinks=case.kinks)}))
    assert out.shape == fed
    assert y.shape.is_compatible_with(out.shape)


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=_ids(DIFFERENTIABLE))
def test_unary_gradient(graph, case: UnaryCase) -> None:
    x = gf.placeholder(gf.float64, (2, 3))
    xv = sample((2, 3), case.low, case.high, seed=3, kinks=case.kinks)
    assert_gradients(case.build(x), [x], {x: xv}, case.tol)


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=_ids(DIFFERENTIABLE))
def test_unary_second_order_gradient(graph, case: UnaryCase) -> None:
    """Gradients of gradients: the rules' own nodes (ReciprocalGrad, EluGrad, ...) have
    gradients too."""
    x = gf.placeholder(gf.float64, (4,))
    (dx,) = gf.gradients(case.build(x), [x])
    xv = sample((4,), case.low, case.high, seed=4, kinks=case.kinks)
    assert_gradients(dx, [x], {x: xv}, 10 * case.tol)


def test_sign_gradient_is_zeros_and_floor_is_not_differentiable(graph) -> None:
    x = gf.placeholder(gf.float64, (3,))
    (gs,) = gf.gradients(gf.sign(x), [x])
    np.testing.assert_array_equal(run(gs, {x: [-1.0, 0.0, 2.0]}), np.zeros(3))
    assert gf.gradients(gf.floor(x), [x]) == [None]
    for op_type in ("Floor", "FloorDiv", "LogicalNot", "LogicalAnd", "LogicalOr", "Rank",
                    "All", "Any"):
        assert registry.get(op_type).differentiable is False, op_type


@pytest.mark.parametrize("build,op_type,reads", [
    (gf.reciprocal, "ReciprocalGrad", "output"), (gf.rsqrt, "RsqrtGrad", "output"),
    (gf.nn.elu, "EluGrad", "output"), (gf.nn.relu6, "Relu6Grad", "output"),
    (gf.nn.leaky_relu, "LeakyReluGrad", "input")])
def test_activation_gradients_use_tf_fused_ops(graph, build: Any, op_type: str,
                                               reads: str) -> None:
    """Gradient graphs look like TensorFlow's: the fused *Grad op, reading y or x."""
    x = gf.placeholder(gf.float64, (3,))
    y = build(x)
    (dx,) = gf.gradients(y, [x])
    assert dx.op.type == op_type
    assert any(t is (y if reads == "output" else x) for t in dx.op.inputs)


def test_numerically_stable_activations(graph) -> None:
    for dtype in (np.float32, np.float64):
        xv = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype)
        sp, el, ss = run([gf.nn.softplus(xv), gf.nn.elu(xv), gf.nn.softsign(xv)])
        for out in (sp, el, ss):
            assert out.dtype == dtype and np.all(np.isfinite(out))
        np.testing.assert_allclose(sp, [0.0, np.exp(-50.0), np.log(2.0), 50.0, 1000.0],
                                   rtol=1e-6)
        np.testing.assert_allclose(el, [-1.0, -1.0, 0.0, 50.0, 1000.0])


def test_abs_operator_builds_abs_node(graph) -> None:
    x = gf.placeholder(gf.float64, (3,), name="x")
    y = abs(x)
    assert y.op.type == "Abs" and y.op.name == "Abs"
    np.testing.assert_array_equal(run(y, {x: [-2.0, 0.0, 3.5]}), [2.0, 0.0, 3.5])


def test_snapshot_copies_and_passes_gradient(graph) -> None:
    x = gf.placeholder(gf.float64, (3,))
    y = array_ops.snapshot(x)
    xv = np.array([1.0, 2.0, 3.0])
    out = run(y, {x: xv})
    assert not np.shares_memory(out, xv)
    (gx,) = gf.gradients(y, [x])
    assert gx.op.type != "Snapshot"  # d snapshot = g: the seed itself
    np.testing.assert_array_equal(run(gx, {x: xv}), np.ones(3))


def test_leaky_relu_attr_default_and_integer_input(graph) -> None:
    """``alpha`` is the node's attr; a NodeDef without it (TF omits defaults) means 0.2."""
    y = gf.nn.leaky_relu(gf.constant([-2, 3]), alpha=0.1)
    assert y.dtype == gf.float32 and y.op.get_attr("alpha") == pytest.approx(0.1)
    np.testing.assert_allclose(run(y), [-0.2, 3.0], rtol=1e-6)
    src = gf.Graph()
    with src.as_default():
        gf.nn.leaky_relu(gf.placeholder(gf.float64, (2,), name="x"), name="lr")
    graph_def = src.as_graph_def()
    node = next(n for n in graph_def.node if n.name == "lr")
    del node.attr["alpha"]
    gf.import_graph_def(graph_def, name="")
    out = run("lr:0", {"x:0": np.array([-1.0, 2.0])})
    np.testing.assert_allclose(out, [-0.2, 2.0])
    with pytest.raises(TypeError, match="alpha"):
        gf.nn.leaky_relu(gf.constant([1.0]), alpha=gf.constant(0.3))


def test_float_only_ops_reject_integers_naming_the_node(graph) -> None:
    i = gf.placeholder(gf.int32, (4,), name="counts")
    for build, op_type in ((gf.rsqrt, "Rsqrt"), (gf.log1p, "Log1p"), (gf.nn.elu, "Elu"),
                           (gf.floor, "Floor"), (gf.reciprocal, "Reciprocal")):
        with pytest.raises(gf.GraphBuildError) as info:
            build(i, name="bad")
        msg = str(info.value)
        assert op_type in msg and "'bad'" in msg and "int32" in msg and "floating" in msg


# ----------------------------------------------------------------------------------------
# Fused gradient ops: (gradients, features) / (y, dy)
# ----------------------------------------------------------------------------------------

FUSED = [
    ("ReciprocalGrad", math_ops.reciprocal_grad, lambda y, dy: -dy * y * y,
     (-2, 2), ()),
    ("RsqrtGrad", math_ops.rsqrt_grad, lambda y, dy: -0.5 * dy * y ** 3, (0.2, 2), ()),
    ("LeakyReluGrad", lambda g, f: activation_ops.leaky_relu_grad(g, f, alpha=0.3),
     lambda g, f: np.where(f > 0, g, float(np.float32(0.3)) * g), (-2, 2), (0,)),
    ("EluGrad", activation_ops.elu_grad, lambda g, y: np.where(y < 0, g * (y + 1), g),
     (-0.9, 2), (0,)),
    ("Relu6Grad", activation_ops.relu6_grad, lambda g, f: g * ((f > 0) & (f < 6)), (-2, 8),
     (0, 6)),
]


@pytest.mark.parametrize("op_type,build,ref,domain,kinks", FUSED, ids=[c[0] for c in FUSED])
def test_fused_gradient_op_three_layers(graph, op_type: str, build: Any, ref: Any,
                                        domain: tuple, kinks: tuple) -> None:
    """First input: y (ReciprocalGrad/RsqrtGrad) or the upstream gradient (the rest)."""
    y_first = op_type in ("ReciprocalGrad", "RsqrtGrad")
    a = gf.placeholder(gf.float64, (None, 3))
    b = gf.placeholder(gf.float64, (2, 3))
    z = build(a, b)
    assert z.op.type == op_type and z.shape.as_list() == [2, 3]
    xv = sample((2, 3), *domain, seed=5, kinks=kinks)
    gv = sample((2, 3), -1, 1, seed=6)
    av, bv = (xv, gv) if y_first else (gv, xv)
    out = run(z, {a: av, b: bv})
    np.testing.assert_allclose(out, ref(av, bv), rtol=1e-12)     # 1: kernel
    assert out.shape == (2, 3)                                    # 2: shape rule
    assert_gradients(z, [a, b], {a: av, b: bv}, 1e-6)             # 3: gradient
    zz = gf.multiply(z, 1.0)  # planned-buffer path (fn_into / bound kernel)
    np.testing.assert_allclose(run(zz, {a: av, b: bv}), ref(av, bv), rtol=1e-12)


def test_fused_gradient_op_rejects_mismatched_shapes(graph) -> None:
    g = gf.placeholder(gf.float64, (2, 3), name="g")
    f = gf.placeholder(gf.float64, (3, 2), name="f")
    with pytest.raises(gf.GraphBuildError) as info:
        activation_ops.elu_grad(g, f, name="eg")
    msg = str(info.value)
    for part in ("EluGrad", "'eg'", "(2, 3)", "(3, 2)", "same shape"):
        assert part in msg, msg


# ----------------------------------------------------------------------------------------
# Binary ops: SquaredDifference, FloorDiv, FloorMod, LogicalAnd/Or
# ----------------------------------------------------------------------------------------


def _floormod_point(xs: tuple, ys: tuple, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x = y * (n + f) with f in [0.2, 0.8]: x / y is never near an integer (a jump)."""
    rng = np.random.default_rng(seed)
    yv = rng.uniform(0.6, 1.6, ys) * rng.choice([-1.0, 1.0], ys)
    shape = np.broadcast_shapes(xs, ys)
    n = rng.integers(-3, 3, shape) + rng.uniform(0.2, 0.8, shape)
    xv = np.broadcast_to(yv, shape) * n
    # x must have its own (smaller) shape: pick y constant along x's broadcast axes.
    if xv.shape != xs:
        yv = np.full(ys, 1.3)
        n = rng.integers(-3, 3, xs) + rng.uniform(0.2, 0.8, xs)
        xv = 1.3 * n
    return xv, yv


@dataclass(frozen=True)
class BinaryCase:
    op_type: str
    build: Callable[[Any, Any], gf.Tensor]
    ref: Callable[[np.ndarray, np.ndarray], np.ndarray]
    point: Callable[[tuple, tuple, int], tuple[np.ndarray, np.ndarray]]
    differentiable: bool = True

    def __str__(self) -> str:
        return self.op_type


def _uniform_point(xs: tuple, ys: tuple, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return sample(xs, -2, 2, seed=seed), sample(ys, -2, 2, seed=seed + 100)


def _divisor_point(xs: tuple, ys: tuple, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return sample(xs, -5, 5, seed=seed), sample(ys, -2, 2, seed=seed + 100, kinks=(0,),
                                                margin=0.5)


BINARY = [
    BinaryCase("SquaredDifference", gf.squared_difference, lambda x, y: (x - y) ** 2,
               _uniform_point),
    BinaryCase("FloorDiv", gf.floordiv, lambda x, y: np.floor(x / y), _divisor_point,
               differentiable=False),
    BinaryCase("FloorMod", gf.floormod, np.mod, _floormod_point),
]

BROADCAST_PAIRS = [((3, 1, 4), (2, 4)), ((), (2, 3)), ((2, 3), ()), ((4,), (3, 4)),
                   ((3, 1), (1, 4)), ((2, 3), (2, 3))]
DYNAMIC_PAIRS = [((None, 4), (3, 4), (None, 4), (1, 4)), (None, (2, 1, 4), (3, 4), (3, 4)),
                 ((None, 1, 4), (3, 1, 4), (None, 4), (2, 4))]


@pytest.mark.parametrize("case", BINARY, ids=_ids(BINARY))
@pytest.mark.parametrize("xs,ys", BROADCAST_PAIRS)
def test_binary_kernel_shape_and_gradient(graph, case: BinaryCase, xs: tuple,
                                          ys: tuple) -> None:
    x, y = gf.placeholder(gf.float64, xs), gf.placeholder(gf.float64, ys)
    z = case.build(x, y)
    assert z.op.type == case.op_type
    xv, yv = case.point(xs, ys, 7)
    out = np.asarray(run(z, {x: xv, y: yv}))
    np.testing.assert_allclose(out, case.ref(xv, yv), rtol=1e-12, atol=1e-12)
    assert out.shape == np.broadcast_shapes(xs, ys) == tuple(z.shape.as_list())
    if case.differentiable:
        assert_gradients(z, [x, y], {x: xv, y: yv}, 1e-6)
        gx, gy = gf.gradients(z, [x, y])
        assert gx.shape.as_list() == list(xs) and gy.shape.as_list() == list(ys)
    else:
        assert gf.gradients(z, [x, y]) == [None, None]


@pytest.mark.parametrize("case", [c for c in BINARY if c.differentiable], ids=lambda c: str(c))
@pytest.mark.parametrize("x_static,x_fed,y_static,y_fed", DYNAMIC_PAIRS)
def test_binary_gradient_with_dims_known_only_at_run_time(graph, case: BinaryCase,
                                                          x_static: Any, x_fed: tuple,
                                                          y_static: Any, y_fed: tuple) -> None:
    x, y = gf.placeholder(gf.float64, x_static), gf.placeholder(gf.float64, y_static)
    z = case.build(x, y)
    xv, yv = case.point(x_fed, y_fed, 8)
    out = np.asarray(run(z, {x: xv, y: yv}))
    np.testing.assert_allclose(out, case.ref(xv, yv), rtol=1e-12, atol=1e-12)
    assert z.shape.is_compatible_with(out.shape)
    assert_gradients(z, [x, y], {x: xv, y: yv}, 1e-6)


def test_squared_difference_second_order(graph) -> None:
    x, y = gf.placeholder(gf.float64, (2, 3)), gf.placeholder(gf.float64, (3,))
    gx, gy = gf.gradients(gf.squared_difference(x, y), [x, y])
    feeds = {x: sample((2, 3), -2, 2, seed=9), y: sample((3,), -2, 2, seed=10)}
    assert_gradients(gf.add(gf.reduce_sum(gx), gf.reduce_sum(gy)), [x, y], feeds, 1e-6)
    assert_gradients(gx, [x, y], feeds, 1e-6)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_floordiv_floormod_follow_tensorflow_signs(graph, dtype: Any) -> None:
    """Floor semantics: the quotient rounds toward -inf and the remainder takes y's sign."""
    xv = np.array([7, -7, 7, -7, 0, 6], dtype=dtype)
    yv = np.array([2, 2, -2, -2, 3, 3], dtype=dtype)
    q, r = run([gf.floordiv(xv, yv), gf.floormod(xv, yv)])
    assert q.dtype == dtype and r.dtype == dtype
    np.testing.assert_array_equal(q, [3, -4, -4, 3, 0, 2])
    np.testing.assert_array_equal(r, [1, 1, -1, -1, 0, 0])
    np.testing.assert_array_equal(q * yv + r, xv)


def test_float_floordiv_is_floor_of_quotient(graph) -> None:
    """TF computes floor(x / y): 1 // 0.1 is 10 (numpy's floor_divide says 9)."""
    assert run(gf.floordiv(gf.constant(1.0, dtype=gf.float64), 0.1)) == 10.0
    assert gf.mod is gf.floormod


@pytest.mark.parametrize("build,op_type", [(gf.floordiv, "FloorDiv"), (gf.floormod, "FloorMod")])
def test_integer_division_by_zero_fails_naming_the_node(graph, build: Any, op_type: str) -> None:
    x = gf.placeholder(gf.int32, (3,), name="x")
    z = build(x, gf.constant([1, 0, 2]), name="q")
    with pytest.raises(gf.InvalidArgumentError) as info:
        run(z, {x: [1, 2, 3]})
    msg = str(info.value)
    assert op_type in msg and "'q'" in msg and "division by zero" in msg
    assert build(gf.constant([4]), gf.constant([0])).spec.value is None  # never folded


LOGICAL = [("LogicalAnd", gf.logical_and, np.logical_and),
           ("LogicalOr", gf.logical_or, np.logical_or)]


@pytest.mark.parametrize("op_type,build,ref", LOGICAL, ids=[c[0] for c in LOGICAL])
def test_logical_binary_broadcasts(graph, op_type: str, build: Any, ref: Any) -> None:
    xv = np.array([[True, False, True], [False, False, True]])
    yv = np.array([True, False, False])
    x = gf.placeholder(gf.bool, (None, 3))
    z = build(x, yv)
    assert z.op.type == op_type and z.dtype == gf.bool and z.shape.as_list() == [None, 3]
    assert "T" not in z.op.node_def.attr  # TF's logical ops have no attrs
    out = run(z, {x: xv})
    assert out.dtype == np.bool_ and out.shape == (2, 3)
    np.testing.assert_array_equal(out, ref(xv, yv))


def test_logical_not_and_bool_only(graph) -> None:
    x = gf.placeholder(gf.bool, (2, None))
    y = gf.logical_not(x)
    assert y.shape.as_list() == [2, None] and not y.op.node_def.attr
    xv = np.array([[True, False, False], [False, True, True]])
    np.testing.assert_array_equal(run(y, {x: xv}), ~xv)
    f = gf.placeholder(gf.float32, (3,), name="f")
    with pytest.raises(gf.GraphBuildError, match=r"LogicalAnd node 'la'.*bool"):
        gf.logical_and(f, f, name="la")
    with pytest.raises(gf.GraphBuildError, match=r"LogicalNot node.*bool"):
        gf.logical_not(f)


# ----------------------------------------------------------------------------------------
# Rank
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("static,fed", [((2, 3, 5), (2, 3, 5)), ((None, 4), (3, 4)),
                                        ((), ()), (None, (4, 1, 2, 3))])
def test_rank(graph, static: Any, fed: tuple) -> None:
    x = gf.placeholder(gf.float32, static)
    r = gf.rank(x)
    assert r.op.type == "Rank" and r.dtype == gf.int32 and r.shape.as_list() == []
    if static is None:
        assert r.spec.value is None
    else:
        assert int(r.spec.value) == len(static)
    out = run(r, {x: np.zeros(fed, np.float32)})
    assert out.dtype == np.int32 and int(out) == len(fed)


# ----------------------------------------------------------------------------------------
# Reductions: Prod, All, Any
# ----------------------------------------------------------------------------------------

AXES = [None, 0, 1, -1, [0, 2], [2, 0, 1], []]


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy_and_shape_rule(graph, axis: Any, keepdims: bool) -> None:
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    rng = np.random.default_rng(11)
    fv = rng.uniform(0.5, 1.5, (2, 3, 4))
    iv = rng.integers(-3, 4, (2, 3, 4)).astype(np.int32)
    bv = rng.random((2, 3, 4)) < 0.7
    for build, value, ref in ((gf.reduce_prod, fv, np.prod), (gf.reduce_prod, iv, np.prod),
                              (gf.reduce_all, bv, np.all), (gf.reduce_any, bv, np.any)):
        for static in ((2, 3, 4), (None, 3, None)):
            x = gf.placeholder(gf.as_dtype(value.dtype), static)
            y = build(x, axis, keepdims=keepdims)
            out = np.asarray(run(y, {x: value}))
            want = ref(value, axis=np_axis, keepdims=keepdims)
            assert out.dtype == value.dtype and out.shape == want.shape
            np.testing.assert_allclose(out, want, rtol=1e-12)
            assert y.shape.is_compatible_with(out.shape)
            if static == (2, 3, 4):
                assert tuple(y.shape.as_list()) == out.shape


def test_reductions_with_unknown_rank_and_attrs(graph) -> None:
    x = gf.placeholder(gf.bool, None)
    y = gf.reduce_any(x)
    assert y.shape.rank is None and "T" not in y.op.node_def.attr
    assert y.op.type == "Any" and y.op.get_attr("keep_dims") is False
    bv = np.zeros((2, 3), bool)
    assert run(y, {x: bv}) == np.False_
    bv[1, 2] = True
    assert run(y, {x: bv}) == np.True_ and run(gf.reduce_all(x), {x: bv}) == np.False_
    p = gf.reduce_prod(gf.placeholder(gf.float32, (2, 3)), 1, keep_dims=True)
    assert p.op.type == "Prod" and p.op.get_attr("T") == gf.float32
    assert p.shape.as_list() == [2, 1]
    with pytest.raises(gf.GraphBuildError, match=r"All node 'al'.*bool"):
        gf.reduce_all(gf.constant([1.0]), name="al")
    np.testing.assert_array_equal(gf.reduce_all(gf.constant([[True, False], [True, True]]),
                                                1).spec.value, [False, True])  # folded


PROD_GRAD_CASES = [  # (static shape, fed value shape, axis, zeros at)
    ((2, 3, 4), (2, 3, 4), None, []),
    ((2, 3, 4), (2, 3, 4), 1, []),
    ((2, 3, 4), (2, 3, 4), [0, 2], []),
    ((2, 3, 4), (2, 3, 4), [2, 1], [(0, 1, 2)]),                 # one zero in a slice
    ((2, 3, 4), (2, 3, 4), -1, [(1, 0, 1), (1, 0, 3)]),          # two zeros in one slice
    ((None, 3, None), (2, 3, 4), [0, 2], [(1, 2, 0)]),           # run-time dims
    ((None, 3), (4, 3), 0, [(2, 1)]),
    ((), (), None, []),
]


@pytest.mark.parametrize("static,fed,axis,zeros", PROD_GRAD_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_prod_gradient_is_exact_with_zeros(graph, static: Any, fed: tuple, axis: Any,
                                           zeros: list, keepdims: bool) -> None:
    """Prod is multilinear, so central differences are exact even at zeros; the rule uses
    exclusive cumulative products (no division) and must match them there too."""
    xv = sample(fed, 0.5, 1.5, seed=12) * np.random.default_rng(13).choice([-1, 1], fed)
    for idx in zeros:
        xv[idx] = 0.0
    x = gf.placeholder(gf.float64, static)
    y = gf.reduce_prod(x, axis, keepdims=keepdims)
    assert_gradients(y, [x], {x: xv}, 1e-8)
    (gx,) = gf.gradients(y, [x])
    g = np.asarray(run(gx, {x: xv}))
    assert np.all(np.isfinite(g)) and g.shape == fed


def test_prod_second_order_gradient(graph) -> None:
    """Through Cumprod's gradient (exact for nonzero x, as in TensorFlow)."""
    x = gf.placeholder(gf.float64, (2, 3, 4))
    (gx,) = gf.gradients(gf.reduce_prod(x, [0, 2]), [x])
    xv = sample((2, 3, 4), 0.5, 1.5, seed=14)
    assert_gradients(gf.reduce_sum(gf.square(gx)), [x], {x: xv}, 1e-6)


def test_prod_gradient_needs_static_axes(graph) -> None:
    """Axes fed at run time: the gradient pass says why there is no rule for this node."""
    x = gf.placeholder(gf.float64, (2, 3), name="x")
    axes = gf.placeholder(gf.int32, (1,), name="axes")
    y = gf.reduce_prod(x, axes, name="p")
    with pytest.raises(LookupError, match=r"'p'.*Prod node 'p'.*constant reduction axes"):
        gf.gradients(y, [x])


# ----------------------------------------------------------------------------------------
# Scans: Cumsum, Cumprod
# ----------------------------------------------------------------------------------------


def ref_scan(x: np.ndarray, axis: int, exclusive: bool, reverse: bool, prod: bool
             ) -> np.ndarray:
    """A deliberately naive loop over positions along ``axis``."""
    xm = np.moveaxis(x, axis, 0)
    out = np.empty_like(xm)
    n = xm.shape[0]
    for i in range(n):
        if reverse:
            idx = range(i + 1 if exclusive else i, n)
        else:
            idx = range(0, i if exclusive else i + 1)
        acc = np.ones_like(xm[0]) if prod else np.zeros_like(xm[0])
        for j in idx:
            acc = acc * xm[j] if prod else acc + xm[j]
        out[i] = acc
    return np.moveaxis(out, 0, axis)


SCAN_FLAGS = [(False, False), (True, False), (False, True), (True, True)]


@pytest.mark.parametrize("op_type", ["Cumsum", "Cumprod"])
@pytest.mark.parametrize("exclusive,reverse", SCAN_FLAGS)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_scan_three_layers(graph, op_type: str, exclusive: bool, reverse: bool,
                           axis: int) -> None:
    build = gf.cumsum if op_type == "Cumsum" else gf.cumprod
    prod = op_type == "Cumprod"
    xv = sample((2, 3, 4), 0.5, 1.5, seed=15)
    x = gf.placeholder(gf.float64, (None, 3, 4))
    y = build(x, axis, exclusive=exclusive, reverse=reverse)
    assert y.op.type == op_type and y.shape.as_list() == [None, 3, 4]
    out = run(y, {x: xv})
    np.testing.assert_allclose(out, ref_scan(xv, axis, exclusive, reverse, prod), rtol=1e-12)
    assert out.shape == (2, 3, 4)
    assert_gradients(y, [x], {x: xv}, 1e-6)
    iv = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
    iout = run(build(iv, axis % 2, exclusive=exclusive, reverse=reverse))
    assert iout.dtype == np.int32
    np.testing.assert_array_equal(iout, ref_scan(iv, axis % 2, exclusive, reverse, prod))


def test_scan_errors(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3), name="x")
    with pytest.raises(gf.GraphBuildError, match=r"Cumsum node 'cs'.*axis 2.*rank 2"):
        gf.cumsum(x, 2, name="cs")
    with pytest.raises(gf.GraphBuildError, match=r"Cumprod node.*rank >= 1"):
        gf.cumprod(gf.constant(2.0))
    a = gf.placeholder(gf.int32, (), name="a")
    with pytest.raises(gf.InvalidArgumentError, match=r"Cumsum node 'dyn'.*axis 5"):
        run(gf.cumsum(x, a, name="dyn"), {x: np.ones((2, 3)), a: 5})
