"""``graphflow.ops.math_ops``: element-wise arithmetic, three layers per op (table-driven):

1. kernel vs a numpy reference (float32 and float64, plus integers where the op allows them,
   and the planned-buffer ``out=`` path against the plain one);
2. the static shape rule equals the kernel's real output shape (distinct dims, broadcasting,
   partially unknown dims);
3. gradient vs central finite differences in float64 (``gf.test.check_gradients``) on a per-op
   input domain, including broadcasting with static dims and with ``None`` dims fed at run
   time (the BroadcastGradientArgs path of ``unbroadcast_pair``), and second order through
   the fused SqrtGrad/ReciprocalGrad/RsqrtGrad ops.

Plus the routing rules of Maximum/Minimum (ties go to x), TF semantics of FloorDiv/FloorMod
(signs, integer division by zero), constant folding and the build-time error messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import math_ops, op_builder

from . import helpers
from .helpers import UnaryCase, assert_gradients, case_ids, run, sample, uniform

# ----------------------------------------------------------------------------------------
# Unary ops
# ----------------------------------------------------------------------------------------


UNARY = [
    UnaryCase("Neg", "Neg", gf.negative, np.negative, -3, 3, ints=True),
    UnaryCase("Square", "Square", gf.square, np.square, -3, 3, ints=True),
    UnaryCase("Sqrt", "Sqrt", gf.sqrt, np.sqrt, 0.5, 4),          # positive inputs only
    UnaryCase("Exp", "Exp", gf.exp, np.exp, -2, 2),
    UnaryCase("Log", "Log", gf.log, np.log, 0.5, 4),             # positive inputs only
    UnaryCase("Abs", "Abs", gf.abs, np.abs, -3, 3, kinks=(0,), ints=True),
    UnaryCase("Sign", "Sign", gf.sign, np.sign, -3, 3, kinks=(0,), ints=True, grad="zero"),
    UnaryCase("Reciprocal", "Reciprocal", gf.reciprocal, lambda x: 1 / x, -3, 3, kinks=(0,),
              tol=1e-5),
    UnaryCase("Rsqrt", "Rsqrt", gf.rsqrt, lambda x: 1 / np.sqrt(x), 0.5, 4),
    UnaryCase("Log1p", "Log1p", gf.log1p, np.log1p, -0.5, 3),
    UnaryCase("Expm1", "Expm1", gf.expm1, np.expm1, -2, 2),
    UnaryCase("Floor", "Floor", gf.floor, np.floor, -3, 3, grad="none"),
]
DIFFERENTIABLE = [c for c in UNARY if c.grad == "check"]


@pytest.mark.parametrize("case", UNARY, ids=case_ids(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_kernel_matches_numpy(graph, case: UnaryCase, dtype: Any) -> None:
    helpers.unary_kernel_matches_numpy(case, dtype)


@pytest.mark.parametrize("case", [c for c in UNARY if c.ints], ids=lambda c: str(c))
def test_unary_integer_kernel(graph, case: UnaryCase) -> None:
    helpers.unary_integer_kernel(case)


@pytest.mark.parametrize("case", UNARY, ids=case_ids(UNARY))
def test_unary_planned_buffer_matches_plain_kernel(graph, case: UnaryCase) -> None:
    helpers.unary_planned_buffer_matches_plain_kernel(case)


@pytest.mark.parametrize("case", UNARY, ids=case_ids(UNARY))
@pytest.mark.parametrize("static,fed", helpers.UNARY_SHAPES)
def test_unary_shape_rule_matches_kernel(graph, case: UnaryCase, static: Any, fed: Any) -> None:
    helpers.unary_shape_rule_matches_kernel(case, static, fed)


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=case_ids(DIFFERENTIABLE))
def test_unary_gradient(graph, case: UnaryCase) -> None:
    helpers.unary_gradient(case)


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=case_ids(DIFFERENTIABLE))
def test_unary_second_order_gradient(graph, case: UnaryCase) -> None:
    helpers.unary_second_order_gradient(case)


def test_sign_gradient_is_zeros_and_floor_is_not_differentiable(graph) -> None:
    x = gf.placeholder(gf.float64, (3,))
    (gs,) = gf.gradients(gf.sign(x), [x])
    np.testing.assert_array_equal(run(gs, {x: [-1.0, 0.0, 2.0]}), np.zeros(3))
    assert gf.gradients(gf.floor(x), [x]) == [None]
    for op_type in ("Floor", "FloorDiv"):
        assert registry.get(op_type).differentiable is False, op_type


@pytest.mark.parametrize("build,op_type,reads", [
    (gf.reciprocal, "ReciprocalGrad", "output"), (gf.rsqrt, "RsqrtGrad", "output"),
    (gf.sqrt, "SqrtGrad", "output")])
def test_gradients_use_tf_fused_ops(graph, build: Any, op_type: str, reads: str) -> None:
    """sqrt' = 0.5 / y etc.: the fused *Grad node takes the forward output y, not x."""
    helpers.gradient_op_reads(build, op_type, reads)


def test_unary_float_only_ops_reject_integers(graph) -> None:
    i = gf.placeholder(gf.int32, (4,), name="counts")
    with pytest.raises(gf.GraphBuildError) as info:
        gf.log(i, name="logc")
    msg = str(info.value)
    assert "Log" in msg and "'logc'" in msg and "int32" in msg and "floating" in msg


def test_float_only_ops_reject_integers_naming_the_node(graph) -> None:
    i = gf.placeholder(gf.int32, (4,), name="counts")
    for build, op_type in ((gf.rsqrt, "Rsqrt"), (gf.log1p, "Log1p"), (gf.floor, "Floor"),
                           (gf.reciprocal, "Reciprocal")):
        with pytest.raises(gf.GraphBuildError) as info:
            build(i, name="bad")
        msg = str(info.value)
        assert op_type in msg and "'bad'" in msg and "int32" in msg and "floating" in msg


# ----------------------------------------------------------------------------------------
# Fused gradient ops of Sqrt, Reciprocal, Rsqrt: inputs (y, dy)
# ----------------------------------------------------------------------------------------


FUSED = [
    ("SqrtGrad", lambda y, dy: op_builder.apply1("SqrtGrad", [y, dy], {"T": y.dtype}),
     lambda y, dy: dy * 0.5 / y, (0.5, 2.0), ()),
    ("ReciprocalGrad", math_ops.reciprocal_grad, lambda y, dy: -dy * y * y, (-2, 2), ()),
    ("RsqrtGrad", math_ops.rsqrt_grad, lambda y, dy: -0.5 * dy * y ** 3, (0.2, 2), ()),
]


@pytest.mark.parametrize("op_type,build,ref,domain,kinks", FUSED, ids=[c[0] for c in FUSED])
def test_fused_gradient_op_three_layers(graph, op_type: str, build: Any, ref: Any,
                                        domain: tuple, kinks: tuple) -> None:
    helpers.fused_gradient_op_three_layers(op_type, build, ref, domain, kinks, y_first=True)


# ----------------------------------------------------------------------------------------
# Binary ops: AddV2/Add, Sub, Mul, RealDiv, Maximum, Minimum, Pow
# ----------------------------------------------------------------------------------------


def _raw_add(x: Any, y: Any, name: str | None = None) -> gf.Tensor:
    """TF's older ``Add`` op type (graphs written by old TF use it; same semantics)."""
    x, y = op_builder.convert_n([x, y])
    return op_builder.apply1("Add", [x, y], {"T": x.dtype}, name=name or "Add")


def _raw_realdiv(x: Any, y: Any, name: str | None = None) -> gf.Tensor:
    x, y = op_builder.convert_n([x, y])
    return op_builder.apply1("RealDiv", [x, y], {"T": x.dtype}, name=name or "RealDiv")


@dataclass(frozen=True)
class BinaryCase:
    op_type: str
    build: Callable[[Any, Any], gf.Tensor]
    ref: Callable[[np.ndarray, np.ndarray], np.ndarray]
    x_domain: tuple[float, float] = (-2.0, 2.0)
    y_domain: tuple[float, float] = (-2.0, 2.0)
    tol: float = 1e-6
    ints: bool = True

    def __str__(self) -> str:
        return self.op_type


BINARY = [
    BinaryCase("AddV2", gf.add, np.add),
    BinaryCase("Add", _raw_add, np.add),
    BinaryCase("Sub", gf.subtract, np.subtract),
    BinaryCase("Mul", gf.multiply, np.multiply),
    BinaryCase("RealDiv", _raw_realdiv, np.true_divide, y_domain=(0.5, 2.0), ints=False),
    BinaryCase("Maximum", gf.maximum, np.maximum),
    BinaryCase("Minimum", gf.minimum, np.minimum),
    # positive base: x^y and log(x) are smooth there
    BinaryCase("Pow", gf.pow, np.power, x_domain=(0.5, 2.0), y_domain=(-1.5, 1.5), tol=1e-5,
               ints=False),
]


# Static broadcasting pairs, all with distinct dims: (x shape, y shape).
BROADCAST_PAIRS = [
    ((3, 1, 4), (2, 4)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((4,), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3), (2, 3)),
]


# Partially unknown static shapes fed at run time: (x static, x fed, y static, y fed).
DYNAMIC_PAIRS = [
    ((None, 4), (3, 4), (None, 4), (1, 4)),      # both None in axis 0: run-time decision
    ((None, None), (3, 1), (None,), (4,)),
    (None, (2, 1, 4), (3, 4), (3, 4)),           # x of unknown rank
    ((None, 1, 4), (3, 1, 4), (None, 4), (2, 4)),
]


@pytest.mark.parametrize("case", BINARY, ids=case_ids(BINARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_kernel_matches_numpy(graph, case: BinaryCase, dtype: Any) -> None:
    xv = uniform((2, 3), *case.x_domain, seed=1, dtype=dtype)
    yv = uniform((2, 3), *case.y_domain, seed=2, dtype=dtype)
    x, y = gf.placeholder(gf.as_dtype(dtype), (2, 3)), gf.placeholder(gf.as_dtype(dtype), (2, 3))
    z = case.build(x, y)
    assert z.op.type == case.op_type
    out = run(z, {x: xv, y: yv})
    assert out.dtype == dtype
    np.testing.assert_allclose(out, case.ref(xv, yv), rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("case", [c for c in BINARY if c.ints], ids=lambda c: str(c))
def test_binary_integer_kernel(graph, case: BinaryCase) -> None:
    xv = np.array([[1, -2, 3], [4, 0, -6]], dtype=np.int32)
    yv = np.array([2, 2, -1], dtype=np.int32)
    out = run(case.build(gf.constant(xv), gf.constant(yv)))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, case.ref(xv, yv))


@pytest.mark.parametrize("case", BINARY, ids=case_ids(BINARY))
@pytest.mark.parametrize("xs,ys", BROADCAST_PAIRS)
def test_binary_broadcast_shape_rule_matches_kernel(graph, case: BinaryCase, xs: tuple,
                                                    ys: tuple) -> None:
    x, y = gf.placeholder(gf.float64, xs), gf.placeholder(gf.float64, ys)
    z = case.build(x, y)
    xv, yv = uniform(xs, *case.x_domain, seed=3), uniform(ys, *case.y_domain, seed=4)
    out = np.asarray(run(z, {x: xv, y: yv}))
    assert out.shape == np.broadcast_shapes(xs, ys)
    assert tuple(z.shape.as_list()) == out.shape
    np.testing.assert_allclose(out, case.ref(xv, yv), rtol=1e-12)


@pytest.mark.parametrize("case", BINARY, ids=case_ids(BINARY))
@pytest.mark.parametrize("xs,ys", BROADCAST_PAIRS)
def test_binary_broadcast_gradient(graph, case: BinaryCase, xs: tuple, ys: tuple) -> None:
    x, y = gf.placeholder(gf.float64, xs), gf.placeholder(gf.float64, ys)
    z = case.build(x, y)
    feeds = {x: uniform(xs, *case.x_domain, seed=5), y: uniform(ys, *case.y_domain, seed=6)}
    assert_gradients(z, [x, y], feeds, case.tol)
    gx, gy = gf.gradients(z, [x, y])
    assert gx.shape.as_list() == list(xs) and gy.shape.as_list() == list(ys)


@pytest.mark.parametrize("case", BINARY, ids=case_ids(BINARY))
@pytest.mark.parametrize("x_static,x_fed,y_static,y_fed", DYNAMIC_PAIRS)
def test_binary_gradient_with_dims_known_only_at_run_time(graph, case: BinaryCase,
                                                          x_static: Any, x_fed: tuple,
                                                          y_static: Any, y_fed: tuple) -> None:
    x, y = gf.placeholder(gf.float64, x_static), gf.placeholder(gf.float64, y_static)
    z = case.build(x, y)
    xv, yv = uniform(x_fed, *case.x_domain, seed=7), uniform(y_fed, *case.y_domain, seed=8)
    out = np.asarray(run(z, {x: xv, y: yv}))
    np.testing.assert_allclose(out, case.ref(xv, yv), rtol=1e-12)
    assert z.shape.is_compatible_with(out.shape)
    assert_gradients(z, [x, y], {x: xv, y: yv}, case.tol)
    gx, gy = gf.gradients(z, [x, y])
    gxv, gyv = run([gx, gy], {x: xv, y: yv})
    assert np.shape(gxv) == x_fed and np.shape(gyv) == y_fed


def test_dynamic_broadcast_uses_broadcast_gradient_args(graph) -> None:
    """With None in the same axis of both operands, only the run-time shapes decide which
    axes to sum: the gradient graph then contains Shape/BroadcastGradientArgs (one triple
    shared by both operands)."""
    x = gf.placeholder(gf.float64, (None, 4))
    y = gf.placeholder(gf.float64, (None, 4))
    gx, gy = gf.gradients(x * y, [x, y])
    grad_types = [op.type for op in graph.get_operations() if op.name.startswith("gradients/")]
    assert grad_types.count("BroadcastGradientArgs") == 1
    assert grad_types.count("Shape") == 2
    xv, yv = uniform((3, 4), -1, 1, seed=9), uniform((1, 4), -1, 1, seed=10)
    gxv, gyv = run([gx, gy], {x: xv, y: yv})
    np.testing.assert_allclose(gxv, np.broadcast_to(yv, (3, 4)))
    np.testing.assert_allclose(gyv, xv.sum(axis=0, keepdims=True))
    # the same graph also serves the opposite broadcast direction
    gxv, gyv = run([gx, gy], {x: yv, y: xv})
    np.testing.assert_allclose(gxv, xv.sum(axis=0, keepdims=True))


def test_second_order_gradient_through_dynamic_broadcast(graph) -> None:
    """The dynamic unbroadcast builds Sum nodes with run-time axes; differentiating the
    gradient again must work too (d/dx of d(x*y)/dy summed)."""
    x = gf.placeholder(gf.float64, (None, 4))
    y = gf.placeholder(gf.float64, (None, 4))
    _, gy = gf.gradients(x * y * x, [x, y])  # gy = sum over broadcast axes of x^2
    xv, yv = uniform((3, 4), -1, 1, seed=11), uniform((1, 4), -1, 1, seed=12)
    (gxx,) = gf.gradients(gy, [x])
    np.testing.assert_allclose(run(gxx, {x: xv, y: yv}), 2 * xv)
    assert_gradients(gy, [x], {x: xv, y: yv}, 1e-6)


def test_binary_rejects_mixed_dtypes_naming_node_and_dtypes(graph) -> None:
    a = gf.placeholder(gf.float32, (3,), name="a")
    b = gf.placeholder(gf.float64, (3,), name="b")
    with pytest.raises(gf.GraphBuildError) as info:
        gf.add(a, b, name="sum_ab")
    msg = str(info.value)
    for part in ("AddV2", "'sum_ab'", "float32", "float64", "'a:0'", "'b:0'", "gf.cast"):
        assert part in msg, msg


def test_binary_rejects_unbroadcastable_shapes_at_build_time(graph) -> None:
    a = gf.placeholder(gf.float64, (2, 3), name="a")
    b = gf.placeholder(gf.float64, (4,), name="b")
    with pytest.raises(gf.GraphBuildError) as info:
        gf.multiply(a, b, name="prod")
    msg = str(info.value)
    for part in ("Mul", "'prod'", "(2, 3)", "(4,)", "broadcast"):
        assert part in msg, msg
    assert "prod" not in [op.name for op in graph.get_operations()]  # nothing half-added


def test_constant_folding_matches_kernel(graph) -> None:
    a, b = gf.constant([1.5, -2.0]), gf.constant([2.0, 4.0])
    for build, ref in ((gf.multiply, np.multiply), (gf.subtract, np.subtract),
                       (gf.maximum, np.maximum), (gf.pow, np.power)):
        z = build(a, b)
        assert z.spec.value is not None
        np.testing.assert_array_equal(z.spec.value, ref([1.5, -2.0], [2.0, 4.0]))
        np.testing.assert_array_equal(run(z), z.spec.value)
    sq = gf.sqrt(gf.constant([4.0, 9.0]))
    np.testing.assert_array_equal(sq.spec.value, [2.0, 3.0])


def test_truediv_of_integers_casts_to_float(graph) -> None:
    z = gf.truediv(gf.constant([3, 7], dtype=gf.int32), gf.constant([2, 2], dtype=gf.int32))
    assert z.dtype == gf.float64 and z.op.type == "RealDiv"
    np.testing.assert_array_equal(run(z), [1.5, 3.5])


def test_maximum_routes_gradient_to_winner_and_ties_to_x(graph) -> None:
    x = gf.constant([1.0, 2.0, 3.0, -1.0])
    y = gf.constant([1.0, 0.0, 3.0, 5.0])  # ties at 0 and 2
    gx, gy = gf.gradients(gf.maximum(x, y), [x, y])
    gxv, gyv = run([gx, gy])
    np.testing.assert_array_equal(gxv, [1.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(gyv, [0.0, 0.0, 0.0, 1.0])


def test_minimum_routes_gradient_to_winner_and_ties_to_x(graph) -> None:
    x = gf.constant([1.0, 2.0, 3.0, -1.0])
    y = gf.constant([1.0, 0.0, 3.0, 5.0])
    gx, gy = gf.gradients(gf.minimum(x, y), [x, y])
    gxv, gyv = run([gx, gy])
    np.testing.assert_array_equal(gxv, [1.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(gyv, [0.0, 1.0, 0.0, 0.0])


def test_maximum_with_broadcast_scalar_sums_the_routed_gradient(graph) -> None:
    """relu-style max(x, 0): the scalar collects the gradient of every element it won."""
    x = gf.constant([[-1.0, 2.0, 0.0], [3.0, -4.0, -5.0]])
    zero = gf.constant(0.0)
    gx, gz = gf.gradients(gf.maximum(x, zero), [x, zero])
    gxv, gzv = run([gx, gz])
    np.testing.assert_array_equal(gxv, [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])  # tie at 0 -> x
    assert np.shape(gzv) == () and gzv == 3.0


def test_pow_gradients_at_zero_base_are_finite(graph) -> None:
    """d(x^y)/dy = x^y log(x) is taken as 0 where x <= 0 (TF's rule), so no NaN at x = 0."""
    x = gf.constant([0.0, 2.0])
    y = gf.constant([2.0, 3.0])
    gx, gy = gf.gradients(gf.pow(x, y), [x, y])
    gxv, gyv = run([gx, gy])
    np.testing.assert_allclose(gxv, [0.0, 12.0])
    np.testing.assert_allclose(gyv, [0.0, 8.0 * np.log(2.0)])




# ----------------------------------------------------------------------------------------
# Binary ops: SquaredDifference, FloorDiv, FloorMod
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
class PointCase:
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


POINT_BINARY = [
    PointCase("SquaredDifference", gf.squared_difference, lambda x, y: (x - y) ** 2,
               _uniform_point),
    PointCase("FloorDiv", gf.floordiv, lambda x, y: np.floor(x / y), _divisor_point,
               differentiable=False),
    PointCase("FloorMod", gf.floormod, np.mod, _floormod_point),
]


POINT_DYNAMIC_PAIRS = [((None, 4), (3, 4), (None, 4), (1, 4)), (None, (2, 1, 4), (3, 4), (3, 4)),
                       ((None, 1, 4), (3, 1, 4), (None, 4), (2, 4))]


@pytest.mark.parametrize("case", POINT_BINARY, ids=case_ids(POINT_BINARY))
@pytest.mark.parametrize("xs,ys", BROADCAST_PAIRS)
def test_binary_kernel_shape_and_gradient(graph, case: PointCase, xs: tuple,
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


@pytest.mark.parametrize("case", [c for c in POINT_BINARY if c.differentiable],
                         ids=lambda c: str(c))
@pytest.mark.parametrize("x_static,x_fed,y_static,y_fed", POINT_DYNAMIC_PAIRS)
def test_point_binary_gradient_with_dims_known_only_at_run_time(
        graph, case: PointCase, x_static: Any, x_fed: tuple, y_static: Any,
        y_fed: tuple) -> None:
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
