"""Element-wise kernels that write into a planned buffer (``fn_into``) give the bits of the
plain kernel (``fn``): whether a plan has memory planning must never change a result."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry

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
