"""Element-wise kernels that write into a planned buffer (``fn_into``) give the bits of the
plain kernel (``fn``): whether a plan has memory planning must never change a result."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry
from graphflow.ops import activation_ops, op_base, op_builder

_WITH_FN_INTO = sorted(name for name, record in op_registry.registered_ops().items()
                       if hasattr(record, "fn_into"))


def test_the_element_wise_gradient_ops_are_among_them() -> None:
    assert {"SigmoidGrad", "TanhGrad", "RsqrtGrad", "ReciprocalGrad"} <= set(_WITH_FN_INTO)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op_type", _WITH_FN_INTO)
def test_fn_into_gives_the_bits_of_fn(op_type: str, dtype: Any) -> None:
    record: Any = op_registry.registered_ops()[op_type]
    arity = len(inspect.signature(record.fn_into).parameters) - 1
    rng = np.random.default_rng(7)
    inputs = [(rng.random(2000) * 4 - 2).astype(dtype) for _ in range(arity)]
    with np.errstate(all="ignore"):
        plain = np.asarray(record.fn(*inputs))
        into = record.fn_into(*inputs, np.empty(plain.shape, plain.dtype))
    assert into.dtype == plain.dtype
    assert into.tobytes() == plain.tobytes()


@pytest.mark.parametrize("activation", [gf.sigmoid, gf.tanh, gf.math.rsqrt,
                                        gf.math.reciprocal])
def test_gradients_are_the_same_with_and_without_memory_planning(activation: Any) -> None:
    """The gradient ops of these activations write into planned buffers in a specialized
    plan; the same graph without memory planning gives the same bits."""
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float32, [None, 64])
        w = gf.constant(np.linspace(-1, 1, 64 * 64, dtype=np.float32).reshape(64, 64))
        h = activation(gf.matmul(x, w) / 64.0 + 2.0)  # near 2: not saturated
        grad = gf.gradients(gf.reduce_sum(h * h), x)[0]
    xv = np.random.default_rng(3).random((16, 64), dtype=np.float32)
    results = []
    for plan_memory in (True, False):
        with gf.Session(graph=graph, config=gf.SessionConfig(plan_memory=plan_memory)) as sess:
            results.append([sess.run(grad, {x: xv}) for _ in range(2)])
    planned, plain = results
    assert np.isfinite(plain[0]).all() and np.abs(plain[0]).min() > 1e-3
    for got in (*planned, plain[1]):
        assert got.tobytes() == plain[0].tobytes()


def _activation_grad(op_type: str, forward: Any, shape: tuple[int, ...], dtype: Any
                     ) -> tuple[np.ndarray, np.ndarray, Any, Any, Any, Any]:
    """Values y = forward(x) and dy, and a graph computing ``op_type(y, dy * 2)``, whose
    second input is a planned buffer that dies at that step."""
    rng = np.random.default_rng(5)
    y_value = forward(rng.standard_normal(shape) * 2).astype(dtype)
    dy_value = (rng.standard_normal(shape) * 3).astype(dtype)
    graph = gf.Graph()
    with graph.as_default():
        y = gf.placeholder(gf.as_dtype(dtype), shape)
        dy = gf.placeholder(gf.as_dtype(dtype), shape)
        z = op_builder.apply1(op_type, [y, dy * 2.0], {"T": y.dtype})
    return y_value, dy_value, graph, y, dy, z


@pytest.mark.parametrize("block_bytes", [8, 1000, 1 << 19])
@pytest.mark.parametrize("shape", [(37,), (50, 7), (9, 4, 3), (0, 5), (4, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_grad_over_dy_gives_the_bits_of_fn(shape: tuple[int, ...], dtype: Any,
                                                block_bytes: int,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """When y is still read after TanhGrad and dy dies there, the plan writes TanhGrad into
    dy's buffer, a block of rows at a time (blocks of one row, a few, or all): the bits of
    ``fn`` all the same, with the switch off (a buffer of its own) and without memory
    planning."""
    monkeypatch.setattr(activation_ops, "_BLOCK_BYTES", block_bytes)
    y_value, dy_value, graph, y, dy, z = _activation_grad("TanhGrad", np.tanh, shape, dtype)
    with graph.as_default():
        after = z + y  # y is read after TanhGrad: its buffer cannot take z
        z_copy = z * 1.0  # fetched: z itself, being fetched, would get no planned buffer
    expected = np.asarray(activation_ops.TanhGrad.fn(y_value, dy_value * dtype(2.0)))
    results = {}
    for name, config, over_dy in (("over dy", gf.SessionConfig(), True),
                                  ("switch off", gf.SessionConfig(), False),
                                  ("no memory plan", gf.SessionConfig(plan_memory=False), True)):
        monkeypatch.setattr(activation_ops, "TANH_GRAD_OVER_DY", over_dy)
        with gf.Session(graph=graph, config=config) as sess:
            feeds = {y: y_value, dy: dy_value}
            steps = sess.explain([z_copy, after], feeds).plan.steps
            outs = [st for st in steps if st.op_type in ("Mul", "TanhGrad")]
            if name == "over dy" and y_value.size:  # TanhGrad took the product's buffer
                assert outs[0].out_buffers == outs[1].out_buffers
            results[name] = [sess.run([z_copy, after], feeds) for _ in range(2)]
    for runs in results.values():
        for got_z, got_after in runs:
            assert got_z.tobytes() == expected.tobytes()
            assert got_after.tobytes() == (expected + y_value).tobytes()


@pytest.mark.parametrize("block_bytes", [8, 1000, 1 << 19])
@pytest.mark.parametrize("shape", [(37,), (50, 7), (9, 4, 3), (0, 5), ()])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_grad_in_blocks_gives_the_bits_of_fn(shape: tuple[int, ...], dtype: Any,
                                                     block_bytes: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The planned SigmoidGrad goes through blocks of rows (of one row, a few, or all) with
    a small work array, writing into dy's buffer when dy dies there: the bits of ``fn``, as
    without memory planning; its work array is one block, not the size of y."""
    monkeypatch.setattr(activation_ops, "_BLOCK_BYTES", block_bytes)
    y_value, dy_value, graph, y, dy, z = _activation_grad(
        "SigmoidGrad", lambda v: 1 / (1 + np.exp(-v)), shape, dtype)
    with graph.as_default():
        z_copy = z * 1.0
    expected = np.asarray(activation_ops.SigmoidGrad.fn(y_value, dy_value * dtype(2.0)))
    for config in (gf.SessionConfig(), gf.SessionConfig(plan_memory=False)):
        with gf.Session(graph=graph, config=config) as sess:
            for _ in range(2):
                got = sess.run(z_copy, {y: y_value, dy: dy_value})
                assert np.asarray(got).tobytes() == expected.tobytes()
            if config.plan_memory and len(shape) >= 1 and y_value.size:
                signature = next(s for s in sess._plans.values() if s.feeds)
                bound = next(iter(signature.by_shape.values()))
                row_bytes = y_value.nbytes // shape[0]
                rows = max(1, min(shape[0], block_bytes // max(row_bytes, 1)))
                assert bound.scratch_bytes == rows * row_bytes  # one block's work array


@pytest.mark.parametrize("op_type", ["TanhGrad", "SigmoidGrad", "SqrtGrad", "RsqrtGrad",
                                     "ReciprocalGrad", "ReluGrad", "EluGrad", "Relu6Grad",
                                     "LeakyReluGrad"])
def test_gradient_ops_refuse_inputs_of_two_shapes(op_type: str) -> None:
    """As TensorFlow's element-wise gradient ops: inputs of two static shapes fail when the
    node is built, fed ones of two shapes when it runs — on every kind of plan, never a
    broadcast result or numpy's text."""
    graph = gf.Graph()
    with graph.as_default():
        a = gf.placeholder(gf.float32, [1, 20], name="a")
        b = gf.placeholder(gf.float32, [64, 20], name="b")
        with pytest.raises(ValueError, match=f"{op_type}.*must have the same shape"):
            op_builder.apply1(op_type, [a, b], {"T": a.dtype})
        x = gf.placeholder(gf.float32, [None, 20], name="x")
        y = gf.placeholder(gf.float32, [None, 20], name="y")
        z = op_builder.apply1(op_type, [x, y], {"T": x.dtype}, name="grad") * 1.0
    rng = np.random.default_rng(9)
    feeds = {x: rng.random((1, 20)).astype(np.float32) + 0.5,
             y: rng.standard_normal((64, 20)).astype(np.float32)}
    for config in (gf.SessionConfig(), gf.SessionConfig(specialize=False),
                   gf.SessionConfig(interpret=True), gf.SessionConfig(plan_memory=False)):
        with gf.Session(graph=graph, config=config) as sess:
            with pytest.raises(gf.errors.InvalidArgumentError,
                               match=r"'grad'.*\(1, 20\).*\(64, 20\).*must have the same shape"):
                sess.run(z, feeds)
            same = {x: feeds[x], y: feeds[y][:1]}  # one shape: runs
            assert sess.run(z, same).shape == (1, 20)


class _Context:
    """What ``same_shape_kernel`` asks of a KernelContext."""

    def __init__(self, shapes: list[Any]) -> None:
        self.inputs, self.record = shapes, activation_ops.TanhGrad()

    def concrete(self, shape: Any) -> Any:
        return shape

    def invalid(self, message: str, fix: str | None = None) -> Exception:
        return gf.errors.InvalidArgumentError(f"{message}. Fix: {fix}", "grad", "TanhGrad")


def test_the_run_time_shape_check_of_gradient_kernels() -> None:
    """Where the plan does not know both shapes (``same_shape_kernel``), the kernel checks
    them when it runs; where it knows them equal, the kernel runs unwrapped."""
    def kernel(a: Any, b: Any) -> Any:
        return a * b

    assert op_base.same_shape_kernel(_Context([(4, 3), (4, 3)]), kernel) is kernel
    checked = op_base.same_shape_kernel(_Context([None, (4, 3)]), kernel)
    assert checked is not kernel
    np.testing.assert_array_equal(checked(np.ones((4, 3)), np.full((4, 3), 2.0)),
                                  np.full((4, 3), 2.0))
    with pytest.raises(gf.errors.InvalidArgumentError,
                       match=r"y \(1, 3\) and dy \(4, 3\) must have the same shape"):
        checked(np.ones((1, 3)), np.ones((4, 3)))
