"""tf.nn.moments: mean/variance vs numpy, shapes (keep_dims or not), float64 gradients."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import assert_gradients, rand, run

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test


@pytest.mark.parametrize("axes,keep", [([0], False), ([0, 2], False), ([1], True),
                                       ([0, 1, 2], False)])
def test_moments(axes: list[int], keep: bool) -> None:
    xv = rand((2, 3, 4), 3)
    x = gf.placeholder(gf.float64, [2, 3, 4])
    mean, var = gf.nn.moments(x, axes, keep_dims=keep)
    m, v = run([mean, var], {x: xv})
    np.testing.assert_allclose(m, xv.mean(axis=tuple(axes), keepdims=keep), rtol=1e-12)
    np.testing.assert_allclose(v, xv.var(axis=tuple(axes), keepdims=keep), rtol=1e-12)
    assert mean.shape.as_list() == list(m.shape) and var.shape.as_list() == list(v.shape)
    w1, w2 = gf.constant(rand(m.shape, 4)), gf.constant(rand(v.shape, 5))
    assert_gradients(gf.reduce_sum(mean * w1) + gf.reduce_sum(var * w2), [x], {x: xv})


def test_moments_float16_reduces_in_float32() -> None:
    xv = (np.arange(6, dtype=np.float16) * 100).reshape(2, 3)
    mean, var = gf.nn.moments(gf.constant(xv), [1])
    assert mean.dtype == gf.float16
    m, v = run([mean, var])
    np.testing.assert_allclose(m, xv.astype(np.float32).mean(1), rtol=1e-3)
    np.testing.assert_allclose(v, xv.astype(np.float32).var(1), rtol=1e-3)
