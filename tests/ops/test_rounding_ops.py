"""Round: kernel vs numpy (half to even, as TensorFlow), shape rule vs the kernel's output,
and TF's gradient (None: Round is registered non-differentiable)."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import run


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_round_kernel_and_shape(dtype) -> None:
    values = np.array([[0.5, 1.5, 2.5], [-0.5, -1.5, 3.49]]) if dtype in (np.float32,
                                                                       np.float64) else \
        np.array([[1, -2, 3], [4, 5, -6]])
    x = gf.placeholder(gf.as_dtype(dtype), (None, 3))
    y = gf.round(x)
    assert y.shape.as_list() == [None, 3] and y.dtype == x.dtype
    got = run(y, {x: values.astype(dtype)})
    np.testing.assert_array_equal(got, np.round(values.astype(dtype)))
    assert got.shape == (2, 3)


def test_round_folds_constants_and_has_no_gradient() -> None:
    c = gf.round(gf.constant([2.5, -3.5]))
    np.testing.assert_array_equal(run(c), [2.0, -4.0])
    x = gf.constant([0.3, 0.7], dtype=gf.float64)
    assert gf.gradients(gf.reduce_sum(gf.round(x) * x), x)[0] is not None  # via the x factor
    assert gf.gradients(gf.reduce_sum(gf.round(x)), x) == [None]


def test_round_refuses_bool() -> None:
    with pytest.raises(gf.GraphBuildError, match="Round"):
        gf.round(gf.constant([True]))
