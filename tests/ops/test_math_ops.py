"""Element-wise records of ``graphflow.ops.math_ops``, three layers per op (table-driven):

1. kernel vs a numpy reference (float32 and float64, plus integers where the op allows them);
2. the static shape rule equals the kernel's real output shape (distinct dims, broadcasting,
   partially unknown dims);
3. gradient vs central finite differences in float64 (``gf.test.check_gradients``) on a per-op
   input domain, including broadcasting with static dims and with ``None`` dims fed at run
   time (the BroadcastGradientArgs path of ``unbroadcast_pair``), and second order.

Plus the routing rules of Maximum/Minimum (ties go to x), Select/SelectV2, comparisons,
the fused activation-gradient ops, constant folding and the build-time error messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import op_builder

RNG_SEED = 1234


def run(fetches: Any, feeds: dict | None = None) -> Any:
    with gf.Session() as sess:
        return sess.run(fetches, feeds)


def uniform(shape: tuple[int, ...], low: float, high: float, seed: int = RNG_SEED,
            dtype: Any = np.float64) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def assert_gradients(y: gf.Tensor, xs: list, feeds: dict, tol: float) -> None:
    result = gf.test.check_gradients(y, xs, feeds)
    assert result.max_error < tol, str(result)


# ----------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnaryCase:
    op_type: str
    build: Callable[[Any], gf.Tensor]
    ref: Callable[[np.ndarray], np.ndarray]
    low: float  # input domain [low, high]
    high: float
    tol: float = 1e-6
    ints: bool = False  # also defined on integer tensors

    def __str__(self) -> str:
        return self.op_type


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


UNARY = [
    UnaryCase("Neg", gf.negative, np.negative, -3, 3, ints=True),
    UnaryCase("Square", gf.square, np.square, -3, 3, ints=True),
    UnaryCase("Sqrt", gf.sqrt, np.sqrt, 0.5, 4),          # positive inputs only
    UnaryCase("Exp", gf.exp, np.exp, -2, 2),
    UnaryCase("Log", gf.log, np.log, 0.5, 4),             # positive inputs only
    UnaryCase("Tanh", gf.tanh, np.tanh, -2, 2),
    UnaryCase("Sigmoid", gf.sigmoid, _np_sigmoid, -4, 4),
]


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


def _ids(cases: list) -> list[str]:
    return [str(c) for c in cases]


# ----------------------------------------------------------------------------------------
# Unary ops
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", UNARY, ids=_ids(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_kernel_matches_numpy(graph, case: UnaryCase, dtype: Any) -> None:
    xv = uniform((2, 3), case.low, case.high, dtype=dtype)
    x = gf.placeholder(gf.as_dtype(dtype), (2, 3))
    y = case.build(x)
    assert y.op.type == case.op_type
    out = run(y, {x: xv})
    assert out.dtype == dtype
    np.testing.assert_allclose(out, case.ref(xv), rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("case", [c for c in UNARY if c.ints], ids=lambda c: str(c))
def test_unary_integer_kernel(graph, case: UnaryCase) -> None:
    xv = np.array([[-3, 0, 2], [5, -1, 4]], dtype=np.int32)
    out = run(case.build(gf.constant(xv)))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, case.ref(xv))


@pytest.mark.parametrize("case", UNARY, ids=_ids(UNARY))
@pytest.mark.parametrize("static,fed", [((2, 3, 5), (2, 3, 5)), ((4,), (4,)), ((), ()),
                                        ((None, 3), (2, 3)), (None, (5, 2))])
def test_unary_shape_rule_matches_kernel(graph, case: UnaryCase, static: Any, fed: Any) -> None:
    x = gf.placeholder(gf.float64, static)
    y = case.build(x)
    assert y.shape.as_list() == list(static) if static is not None else y.shape.rank is None
    out = np.asarray(run(y, {x: uniform(fed, case.low, case.high)}))
    assert out.shape == fed
    assert y.shape.is_compatible_with(out.shape)


@pytest.mark.parametrize("case", UNARY, ids=_ids(UNARY))
def test_unary_gradient(graph, case: UnaryCase) -> None:
    x = gf.placeholder(gf.float64, (2, 3))
    assert_gradients(case.build(x), [x], {x: uniform((2, 3), case.low, case.high)}, case.tol)


@pytest.mark.parametrize("case", UNARY, ids=_ids(UNARY))
def test_unary_second_order_gradient(graph, case: UnaryCase) -> None:
    """Gradients of gradients: the rules' own nodes (TanhGrad, SqrtGrad, ...) differentiate."""
    x = gf.placeholder(gf.float64, (3,))
    (dx,) = gf.gradients(case.build(x), [x])
    assert_gradients(dx, [x], {x: uniform((3,), case.low, case.high)}, 10 * case.tol)


def test_sigmoid_is_stable_for_large_inputs(graph) -> None:
    for dtype in (np.float32, np.float64):
        out = run(gf.sigmoid(gf.constant(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0], dtype))))
        assert out.dtype == dtype
        assert np.all(np.isfinite(out))
        np.testing.assert_allclose(out, [0.0, _np_sigmoid(-40.0), 0.5, 1.0, 1.0], atol=1e-7)


def test_unary_float_only_ops_reject_integers(graph) -> None:
    i = gf.placeholder(gf.int32, (4,), name="counts")
    with pytest.raises(gf.GraphBuildError) as info:
        gf.log(i, name="logc")
    msg = str(info.value)
    assert "Log" in msg and "'logc'" in msg and "int32" in msg and "floating" in msg


# ----------------------------------------------------------------------------------------
# Binary ops
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", BINARY, ids=_ids(BINARY))
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


@pytest.mark.parametrize("case", BINARY, ids=_ids(BINARY))
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


@pytest.mark.parametrize("case", BINARY, ids=_ids(BINARY))
@pytest.mark.parametrize("xs,ys", BROADCAST_PAIRS)
def test_binary_broadcast_gradient(graph, case: BinaryCase, xs: tuple, ys: tuple) -> None:
    x, y = gf.placeholder(gf.float64, xs), gf.placeholder(gf.float64, ys)
    z = case.build(x, y)
    feeds = {x: uniform(xs, *case.x_domain, seed=5), y: uniform(ys, *case.y_domain, seed=6)}
    assert_gradients(z, [x, y], feeds, case.tol)
    gx, gy = gf.gradients(z, [x, y])
    assert gx.shape.as_list() == list(xs) and gy.shape.as_list() == list(ys)


@pytest.mark.parametrize("case", BINARY, ids=_ids(BINARY))
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


# -- routing rules of Maximum / Minimum ---------------------------------------------------


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
# Fused activation gradients: TanhGrad, SigmoidGrad, SqrtGrad (inputs y, dy)
# ----------------------------------------------------------------------------------------

ACTIVATION_GRADS = [
    # op type, reference f(y, dy), y domain
    ("TanhGrad", lambda y, dy: dy * (1 - y * y), (-0.9, 0.9)),
    ("SigmoidGrad", lambda y, dy: dy * y * (1 - y), (0.1, 0.9)),
    ("SqrtGrad", lambda y, dy: dy * 0.5 / y, (0.5, 2.0)),
]


def _activation_grad(op_type: str, y: gf.Tensor, dy: gf.Tensor) -> gf.Tensor:
    return op_builder.apply1(op_type, [y, dy], {"T": y.dtype})


@pytest.mark.parametrize("op_type,ref,domain", ACTIVATION_GRADS, ids=[a[0] for a in
                                                                         ACTIVATION_GRADS])
def test_activation_grad_ops_three_layers(graph, op_type: str, ref: Any, domain: tuple) -> None:
    y = gf.placeholder(gf.float64, (2, 3))
    dy = gf.placeholder(gf.float64, (2, 3))
    z = _activation_grad(op_type, y, dy)
    yv, dyv = uniform((2, 3), *domain, seed=13), uniform((2, 3), -1, 1, seed=14)
    out = run(z, {y: yv, dy: dyv})
    np.testing.assert_allclose(out, ref(yv, dyv), rtol=1e-12)       # 1: kernel
    assert tuple(z.shape.as_list()) == out.shape == (2, 3)           # 2: shape rule
    assert_gradients(z, [y, dy], {y: yv, dy: dyv}, 1e-6)             # 3: gradient


@pytest.mark.parametrize("build,op_type", [(gf.tanh, "TanhGrad"), (gf.sigmoid, "SigmoidGrad"),
                                           (gf.sqrt, "SqrtGrad")])
def test_activation_gradient_reads_forward_output(graph, build: Any, op_type: str) -> None:
    """tanh' = 1 - y^2 etc.: the gradient node takes the forward output y, not x."""
    x = gf.placeholder(gf.float64, (3,))
    y = build(x)
    (dx,) = gf.gradients(y, [x])
    assert dx.op.type == op_type
    assert dx.op.inputs[0] is y


# ----------------------------------------------------------------------------------------
# Comparisons
# ----------------------------------------------------------------------------------------

COMPARISONS = [
    ("Greater", gf.greater, np.greater),
    ("GreaterEqual", gf.greater_equal, np.greater_equal),
    ("Less", gf.less, np.less),
    ("LessEqual", gf.less_equal, np.less_equal),
    ("Equal", gf.equal, np.equal),
    ("NotEqual", gf.not_equal, np.not_equal),
]


@pytest.mark.parametrize("op_type,build,ref", COMPARISONS, ids=[c[0] for c in COMPARISONS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_comparison_kernel_and_shape(graph, op_type: str, build: Any, ref: Any,
                                     dtype: Any) -> None:
    xv = np.array([[1, 2, 3], [4, 5, 6]], dtype=dtype)
    yv = np.array([2, 2, 6], dtype=dtype)  # broadcast over rows; ties included
    x = gf.placeholder(gf.as_dtype(dtype), (None, 3))
    z = build(x, gf.constant(yv))
    assert z.op.type == op_type and z.dtype == gf.bool
    assert z.shape.as_list() == [None, 3]
    out = run(z, {x: xv})
    assert out.dtype == np.bool_ and out.shape == (2, 3)
    np.testing.assert_array_equal(out, ref(xv, yv))
    assert registry.get(op_type).differentiable is False


@pytest.mark.parametrize("build,ref", [(gf.equal, np.equal), (gf.not_equal, np.not_equal)])
def test_equality_accepts_bool_inputs(graph, build: Any, ref: Any) -> None:
    a, b = np.array([True, False, True]), np.array([True, True, False])
    np.testing.assert_array_equal(run(build(gf.constant(a), gf.constant(b))), ref(a, b))


def test_comparison_blocks_gradient(graph) -> None:
    """A boolean result carries no gradient: only the Select branch values do."""
    x = gf.placeholder(gf.float64, (4,))
    mask = gf.cast(gf.greater(x, 0.0), gf.float64)
    (gx,) = gf.gradients(gf.reduce_sum(mask), [x])
    assert gx is None


# ----------------------------------------------------------------------------------------
# Select (TF1 where) and SelectV2 (broadcasting where)
# ----------------------------------------------------------------------------------------


def test_select_same_shape_three_layers(graph) -> None:
    c = np.array([[True, False, True], [False, False, True]])
    t = gf.placeholder(gf.float64, (2, 3))
    e = gf.placeholder(gf.float64, (2, 3))
    z = gf.where(gf.constant(c), t, e)
    assert z.op.type == "Select" and z.shape.as_list() == [2, 3]
    tv, ev = uniform((2, 3), -1, 1, seed=15), uniform((2, 3), -1, 1, seed=16)
    np.testing.assert_array_equal(run(z, {t: tv, e: ev}), np.where(c, tv, ev))
    assert_gradients(z, [t, e], {t: tv, e: ev}, 1e-6)
    gt, ge = gf.gradients(z, [t, e])
    gtv, gev = run([gt, ge], {t: tv, e: ev})
    np.testing.assert_array_equal(gtv, c.astype(float))
    np.testing.assert_array_equal(gev, (~c).astype(float))


def test_select_vector_condition_picks_rows(graph) -> None:
    c = np.array([True, False])
    t = gf.placeholder(gf.float64, (2, 3))
    e = gf.placeholder(gf.float64, (2, 3))
    z = gf.where(gf.constant(c), t, e)
    tv, ev = uniform((2, 3), -1, 1, seed=17), uniform((2, 3), -1, 1, seed=18)
    np.testing.assert_array_equal(run(z, {t: tv, e: ev}), np.stack([tv[0], ev[1]]))
    assert_gradients(z, [t, e], {t: tv, e: ev}, 1e-6)


def test_select_shape_errors(graph) -> None:
    t = gf.placeholder(gf.float64, (2, 3), name="t")
    e = gf.placeholder(gf.float64, (3, 2), name="e")
    with pytest.raises(gf.GraphBuildError, match=r"Select node 'sel'.*same shape"):
        gf.where(gf.constant([True, False]), t, e, name="sel")
    with pytest.raises(gf.GraphBuildError, match=r"Select node 'sel2'.*first dimension"):
        gf.where(gf.constant([True, False, True]), t, t, name="sel2")
    with pytest.raises(gf.GraphBuildError, match="bool"):
        gf.where(gf.constant([1.0, 0.0]), t, t)


def test_select_v2_broadcasts_all_three_inputs(graph) -> None:
    c = np.array([[True], [False], [True]])                 # (3, 1)
    t = gf.placeholder(gf.float64, (1, 4))
    e = gf.placeholder(gf.float64, (2, 1, 1))
    z = gf.where_v2(gf.constant(c), t, e)
    assert z.op.type == "SelectV2"
    tv, ev = uniform((1, 4), -1, 1, seed=19), uniform((2, 1, 1), -1, 1, seed=20)
    out = run(z, {t: tv, e: ev})
    np.testing.assert_array_equal(out, np.where(c, tv, ev))
    assert out.shape == (2, 3, 4) and z.shape.as_list() == [2, 3, 4]
    assert_gradients(z, [t, e], {t: tv, e: ev}, 1e-6)
    gt, ge = gf.gradients(z, [t, e])
    gtv, gev = run([gt, ge], {t: tv, e: ev})
    np.testing.assert_array_equal(gtv, np.full((1, 4), 2 * 2.0))   # 2 rows chosen, 2 copies
    np.testing.assert_array_equal(gev, np.full((2, 1, 1), 4.0))    # 1 row of 4 per copy


def test_select_v2_with_run_time_shapes(graph) -> None:
    c = gf.placeholder(gf.bool, (None, 1))
    t = gf.placeholder(gf.float64, (None, 4))
    e = gf.placeholder(gf.float64, (None, None))
    z = gf.where_v2(c, t, e)
    cv = np.array([[True], [False], [True]])
    tv, ev = uniform((1, 4), -1, 1, seed=21), uniform((3, 4), -1, 1, seed=22)
    np.testing.assert_array_equal(run(z, {c: cv, t: tv, e: ev}), np.where(cv, tv, ev))
    assert_gradients(z, [t, e], {c: cv, t: tv, e: ev}, 1e-6)


def test_select_v2_rejects_unbroadcastable_inputs(graph) -> None:
    t = gf.placeholder(gf.float64, (2, 3))
    with pytest.raises(gf.GraphBuildError, match=r"SelectV2 node 'w'.*broadcast"):
        gf.where_v2(gf.constant([True, False, True, True]), t, t, name="w")
