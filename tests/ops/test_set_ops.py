"""``graphflow.ops.set_ops``: ``Unique`` — the distinct values of a 1-D tensor in order of
first occurrence and each element's position among them (TF's ``Unique``), used to sum
duplicate rows of sparse gradients."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.ops import set_ops

from .helpers import run


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float64])
def test_unique_keeps_first_occurrence_order(graph, dtype: type) -> None:
    xv = np.array([7, 3, 7, 1, 3, 3, 9], dtype=dtype)
    x = gf.placeholder(gf.as_dtype(dtype), (None,))
    y, idx = set_ops.unique(x)
    assert y.op.type == "Unique" and y.shape.as_list() == [None]
    assert idx.dtype == gf.int32 and idx.shape.as_list() == [None]
    yv, iv = run([y, idx], {x: xv})
    np.testing.assert_array_equal(yv, [7, 3, 1, 9])
    np.testing.assert_array_equal(iv, [0, 1, 0, 2, 1, 1, 3])
    np.testing.assert_array_equal(yv[iv], xv)  # idx reconstructs x
    assert yv.dtype == dtype


def test_unique_out_idx_static_shape_and_errors(graph) -> None:
    x = gf.constant(np.array([2, 2, 5], np.int64))
    y, idx = set_ops.unique(x, out_idx=gf.int64)
    assert idx.dtype == gf.int64 and idx.shape.as_list() == [3]
    assert run(idx).dtype == np.int64
    assert registry.get("Unique").differentiable is False
    with pytest.raises(gf.GraphBuildError, match=r"Unique node 'u'.*rank 1"):
        set_ops.unique(gf.constant([[1, 2]]), name="u")
