"""Test helpers of the op-family test modules (one ``tests/ops/test_<module>.py`` per
``graphflow/ops/<module>.py``), on top of ``tests/helpers.py`` (run, rand, sample,
assert_gradients, re-exported here): int32 constants, naive references, and the
table-driven three-layer checks (kernel vs numpy, shape rule vs the kernel's real
output, float64 gradient vs central finite differences) that several families share.

Each check is a plain function; a test module declares its table and parametrizes thin
``test_*`` wrappers over it, so every family's table lives beside its own tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

import graphflow as gf
from graphflow.framework import op_registry as registry
from tests.helpers import assert_gradients, rand, run, sample

__all__ = ["assert_gradients", "rand", "run", "sample"]  # re-exported for the op tests

RNG_SEED = 1234

#: The value of the variable ``W`` of the ``w`` fixture (``tests/ops/conftest.py``):
#: distinct dims, 4 rows and 3 columns.
W0 = np.arange(12, dtype=np.float64).reshape(4, 3)


# ----------------------------------------------------------------------------------------
# Running and inputs
# ----------------------------------------------------------------------------------------


def run_in(graph: gf.Graph, fetches: Any, feeds: dict[Any, Any]) -> Any:
    """``fetches`` evaluated in a fresh Session of ``graph``."""
    return run(fetches, feeds, graph=graph)


def initialized_session() -> gf.Session:
    """A Session of the default graph with every global variable initialized."""
    sess = gf.Session()
    sess.run(gf.global_variables_initializer())
    return sess


def uniform(shape: Any, low: float, high: float, seed: int = RNG_SEED,
            dtype: Any = np.float64) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def c32(value: Any) -> gf.Tensor:
    """An int32 constant (indices, shapes, begin/end vectors)."""
    return gf.constant(np.asarray(value, dtype=np.int32))


def ref_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """A deliberately naive softmax reference (no max-shift)."""
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def ref_log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.log(ref_softmax(x, axis))


def case_ids(cases: Iterable[Any]) -> list[str]:
    return [str(c) for c in cases]


# ----------------------------------------------------------------------------------------
# Assertions
# ----------------------------------------------------------------------------------------


def assert_static_matches(t: gf.Tensor, out: Any) -> None:
    """Layer 2: the shape rule's static shape is exactly the kernel's output shape."""
    assert tuple(t.shape.as_list()) == np.shape(out), (t.shape, np.shape(out))


def differentiable_records(*modules: Any) -> set[str]:
    """Op types of the differentiable records defined in ``modules``."""
    names = {m.__name__ for m in modules}
    return {op_type for op_type, r in registry.registered_ops().items()
            if type(r).__module__ in names and r.differentiable}


# ----------------------------------------------------------------------------------------
# Unary element-wise table: y = f(x)
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnaryCase:
    name: str
    op_type: str
    build: Callable[[Any], gf.Tensor]
    ref: Callable[[np.ndarray], np.ndarray]
    low: float  # input domain [low, high]
    high: float
    kinks: tuple = ()
    ints: bool = False  # also defined on integer tensors
    grad: str = "check"  # "check": finite differences; "zero": zeros; "none": not differentiable
    tol: float = 1e-6
    planned: bool = True  # the record fills planned buffers (a ufunc or ``fn_into``)

    def __str__(self) -> str:
        return self.name


def unary_kernel_matches_numpy(case: UnaryCase, dtype: Any) -> None:
    xv = sample((2, 3), case.low, case.high, kinks=case.kinks, dtype=dtype)
    x = gf.placeholder(gf.as_dtype(dtype), (2, 3))
    y = case.build(x)
    assert y.op.type == case.op_type
    out = run(y, {x: xv})
    assert out.dtype == dtype
    np.testing.assert_allclose(out, case.ref(xv), rtol=1e-6 if dtype == np.float32 else 1e-12)


def unary_integer_kernel(case: UnaryCase) -> None:
    for xv in (np.array([[-3, 0, 2], [7, -1, 4]], dtype=np.int32),
               np.array([[-3, 0, 2], [5, -1, 4]], dtype=np.int32)):
        out = run(case.build(gf.constant(xv)))
        assert out.dtype == np.int32
        np.testing.assert_array_equal(out, case.ref(xv))


def unary_planned_buffer_matches_plain_kernel(case: UnaryCase) -> None:
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
    assert registry.get(case.op_type).writes_out == case.planned


UNARY_SHAPES = [((2, 3, 5), (2, 3, 5)), ((4,), (4,)), ((), ()), ((None, 3), (4, 3)),
                ((None, 3), (2, 3)), (None, (5, 2))]


def unary_shape_rule_matches_kernel(case: UnaryCase, static: Any, fed: Any) -> None:
    x = gf.placeholder(gf.float64, static)
    y = case.build(x)
    if static is None:
        assert y.shape.rank is None
    else:
        assert y.shape.as_list() == list(static)
    out = np.asarray(run(y, {x: sample(fed, case.low, case.high, kinks=case.kinks)}))
    assert out.shape == fed
    assert y.shape.is_compatible_with(out.shape)


def unary_gradient(case: UnaryCase) -> None:
    x = gf.placeholder(gf.float64, (2, 3))
    xv = sample((2, 3), case.low, case.high, seed=3, kinks=case.kinks)
    assert_gradients(case.build(x), [x], {x: xv}, case.tol)


def unary_second_order_gradient(case: UnaryCase) -> None:
    """Gradients of gradients: the rules' own nodes (TanhGrad, EluGrad, ...) have
    gradients too."""
    x = gf.placeholder(gf.float64, (4,))
    (dx,) = gf.gradients(case.build(x), [x])
    xv = sample((4,), case.low, case.high, seed=4, kinks=case.kinks)
    assert_gradients(dx, [x], {x: xv}, 10 * case.tol)


# ----------------------------------------------------------------------------------------
# Fused gradient ops: z = f(a, b) with inputs (y, dy) or (gradients, features)
# ----------------------------------------------------------------------------------------


def fused_gradient_op_three_layers(op_type: str, build: Any, ref: Any, domain: tuple,
                                   kinks: tuple, y_first: bool) -> None:
    """``y_first``: the first input is the forward output y (TanhGrad, ReciprocalGrad, ...),
    else the upstream gradient (ReluGrad, EluGrad, ...). Both inputs static, and the first
    one with an unknown leading dim."""
    for a_shape in ((2, 3), (None, 3)):
        a = gf.placeholder(gf.float64, a_shape)
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


def gradient_op_reads(build: Any, op_type: str, reads: str) -> None:
    """Gradient graphs look like TensorFlow's: the fused *Grad op, reading y or x."""
    x = gf.placeholder(gf.float64, (3,))
    y = build(x)
    (dx,) = gf.gradients(y, [x])
    assert dx.op.type == op_type
    assert any(t is (y if reads == "output" else x) for t in dx.op.inputs)
    if reads == "output" and op_type in ("TanhGrad", "SigmoidGrad", "SqrtGrad"):
        assert dx.op.inputs[0] is y


# ----------------------------------------------------------------------------------------
# Placeholder-table (layout, slicing, gather): float64 inputs, one output
# ----------------------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    shapes: list[tuple[int, ...]]  # float64 inputs (placeholders)
    build: Callable[..., gf.Tensor]
    ref: Callable[..., np.ndarray]
    # Placeholder shapes for the partially-known variant (default: first dim unknown).
    partial: list[tuple[int | None, ...]] | None = None
    op_type: str = ""
    tol: float = 1e-6

    def partial_shapes(self) -> list[tuple[int | None, ...]]:
        if self.partial is not None:
            return self.partial
        return [tuple(None if k == 0 else d for k, d in enumerate(s)) for s in self.shapes]

    def __str__(self) -> str:
        return self.id


def _build(case: Case, shapes: list) -> tuple[list[gf.Tensor], gf.Tensor]:
    xs = [gf.placeholder(gf.float64, s, name=f"x{i}") for i, s in enumerate(shapes)]
    return xs, case.build(*xs)


def case_kernel_matches_numpy_and_static_shape_is_exact(case: Case) -> None:
    xs, y = _build(case, case.shapes)
    assert y.op.type == case.op_type
    values = [rand(s, seed=i) for i, s in enumerate(case.shapes)]
    out = run(y, dict(zip(xs, values)))
    np.testing.assert_allclose(out, case.ref(*values), rtol=1e-12, atol=1e-12)
    assert y.shape.is_fully_defined(), y.shape
    assert tuple(y.shape.as_list()) == np.shape(out)
    assert out.dtype == np.float64


def case_static_shape_with_unknown_dims_is_compatible(case: Case) -> None:
    xs, y = _build(case, case.partial_shapes())
    values = [rand(s, seed=i) for i, s in enumerate(case.shapes)]
    out = run(y, dict(zip(xs, values)))
    np.testing.assert_allclose(out, case.ref(*values), rtol=1e-12, atol=1e-12)
    assert y.shape.rank == np.ndim(out), (y.shape, np.shape(out))
    assert y.shape.is_compatible_with(np.shape(out)), (y.shape, np.shape(out))


def case_gradient_matches_central_differences(case: Case, known: bool) -> None:
    xs, y = _build(case, case.shapes if known else case.partial_shapes())
    feeds = {x: rand(s, seed=i) for i, (x, s) in enumerate(zip(xs, case.shapes))}
    result = gf.test.check_gradients(y, xs, feeds)
    assert result.max_error < case.tol, str(result)
    assert all(np.abs(a).sum() > 0 for a in result.analytic)  # every input gets a gradient


# ----------------------------------------------------------------------------------------
# Value-table (nn, activations, cross-entropies): inputs given as arrays, own graph each
# ----------------------------------------------------------------------------------------


@dataclass
class ValueCase:
    name: str
    build: Callable[..., gf.Tensor]  # placeholders -> output tensor
    inputs: list[np.ndarray]  # float64 (or int) values, one per placeholder
    ref: Callable[..., np.ndarray]
    grad_inputs: tuple[int, ...] = (0,)  # which inputs the gradient check perturbs
    tol: float = 1e-6

    def __str__(self) -> str:
        return self.name


def _build_values(case: ValueCase, shapes: list[Any] | None = None
                  ) -> tuple[gf.Graph, list[gf.Tensor], gf.Tensor]:
    graph = gf.Graph()
    with graph.as_default():
        phs = [gf.placeholder(gf.as_dtype(v.dtype), v.shape if shapes is None else shapes[i],
                              name=f"in{i}") for i, v in enumerate(case.inputs)]
        out = case.build(*phs)
    return graph, phs, out


def value_kernel_matches_numpy_reference(case: ValueCase) -> None:
    graph, phs, out = _build_values(case)
    got = run_in(graph, out, dict(zip(phs, case.inputs)))
    np.testing.assert_allclose(got, case.ref(*case.inputs), rtol=1e-12, atol=1e-12)
    assert np.asarray(got).dtype == np.float64


def value_float32_kernel_keeps_dtype(case: ValueCase) -> None:
    inputs = [v.astype(np.float32) if v.dtype.kind == "f" else v for v in case.inputs]
    f32 = ValueCase(case.name, case.build, inputs, case.ref)
    graph, phs, out = _build_values(f32)
    assert out.dtype == gf.float32
    got = run_in(graph, out, dict(zip(phs, inputs)))
    assert np.asarray(got).dtype == np.float32
    np.testing.assert_allclose(got, case.ref(*case.inputs), rtol=1e-5, atol=1e-5)


def value_static_shape_equals_kernel_shape(case: ValueCase) -> None:
    graph, phs, out = _build_values(case)
    got = np.asarray(run_in(graph, out, dict(zip(phs, case.inputs))))
    assert out.shape.is_fully_defined()
    assert tuple(out.shape.as_list()) == got.shape


def value_shape_rule_with_unknown_batch_dim(case: ValueCase) -> None:
    """Leading (batch) dims unknown: the rule keeps every dim it can know, and the kernel's
    real shape is compatible with it."""
    def batch_unknown(v: np.ndarray) -> list[int | None]:
        is_batch = v.ndim >= 2 or (v.ndim == 1 and v.dtype.kind == "i")  # sparse labels
        return [None, *v.shape[1:]] if is_batch else list(v.shape)

    shapes = [batch_unknown(v) for v in case.inputs]
    graph, phs, out = _build_values(case, shapes)
    got = np.asarray(run_in(graph, out, dict(zip(phs, case.inputs))))
    assert out.shape.rank == got.ndim
    assert out.shape.is_compatible_with(got.shape)
    known = [d for d in out.shape.as_list() if d is not None]
    assert known == [s for s, d in zip(got.shape, out.shape.as_list()) if d is not None]


def value_gradient_matches_finite_differences(case: ValueCase) -> None:
    graph, phs, out = _build_values(case)
    feeds = dict(zip(phs, case.inputs))
    with graph.as_default(), gf.Session(graph=graph):
        result = gf.test.check_gradients(out, [phs[i] for i in case.grad_inputs], feeds)
    assert result.max_error < case.tol, str(result)


def hessian_vector_gradient(build: Callable[[gf.Tensor], gf.Tensor], value: np.ndarray,
                            rng: np.random.Generator) -> None:
    """d/dx of (dL/dx . w) with a fixed random w, so every element of the Hessian counts."""
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float64, value.shape, name="x")
        y = build(x)
        w = gf.constant(rng.normal(size=y.shape.as_list()))
        (dx,) = gf.gradients(y, [x], grad_ys=[w])
        with gf.Session(graph=graph):
            result = gf.test.check_gradients(dx, [x], {x: value})
    assert result.max_error < 1e-6, str(result)


def record_has_all_three_parts(op_type: str) -> None:
    record = registry.get(op_type)
    assert record.differentiable
    for part in ("infer", "kernel", "grad"):
        method = getattr(type(record), part)
        assert method is not getattr(registry.Op, part), f"{op_type} lacks {part}"
    assert record.grad.__doc__ and "=" in record.grad.__doc__
