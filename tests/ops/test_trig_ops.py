"""Sin, Cos, Ceil: kernels vs numpy, shapes, float64 gradients (Ceil has none)."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import trig_ops
from tests.helpers import assert_gradients, rand, run

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test


@pytest.mark.parametrize("fn,ref", [(trig_ops.sin, np.sin), (trig_ops.cos, np.cos)])
def test_sin_cos(fn: object, ref: object) -> None:
    xv = rand((2, 3), 1) * 3
    x = gf.placeholder(gf.float64, [2, 3])
    y = fn(x)  # type: ignore[operator]
    out = run(y, {x: xv})
    np.testing.assert_allclose(out, ref(xv), rtol=1e-12)  # type: ignore[operator]
    assert y.shape.as_list() == list(out.shape)
    assert_gradients(gf.reduce_sum(y * gf.constant(rand((2, 3), 2))), [x], {x: xv})


def test_ceil() -> None:
    xv = np.array([-1.5, -0.2, 0.0, 0.3, 2.0])
    y = trig_ops.ceil(gf.constant(xv))
    np.testing.assert_array_equal(run(y), np.ceil(xv))
    assert gf.gradients(y, [y.op.inputs[0]]) == [None]
