"""TopKV2 and InTopKV2: values/indices vs numpy (ties by index, as TF), shapes, the
gradient scattered to the chosen positions, errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import assert_gradients, run

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test


def _distinct(shape: tuple[int, ...], seed: int) -> np.ndarray:
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape).astype(np.float64) / n


@pytest.mark.parametrize("shape,k", [((5,), 2), ((2, 3, 6), 3), ((3, 4), 4), ((3, 4), 0)])
def test_top_k(shape: tuple[int, ...], k: int) -> None:
    xv = _distinct(shape, 1)
    x = gf.placeholder(gf.float64, list(shape))
    values, indices = gf.nn.top_k(x, k)
    assert values.op.type == "TopKV2"
    v, i = run([values, indices], {x: xv})
    order = np.argsort(-xv, axis=-1)[..., :k]
    np.testing.assert_array_equal(i, order)
    np.testing.assert_array_equal(v, np.take_along_axis(xv, order, -1))
    assert i.dtype == np.int32
    assert values.shape.as_list() == list(v.shape) and indices.shape.as_list() == list(i.shape)
    if k:
        w = gf.constant(np.random.default_rng(2).uniform(-1, 1, v.shape))
        assert_gradients(gf.reduce_sum(values * w), [x], {x: xv})


def test_top_k_ties_keep_lower_index_first() -> None:
    v, i = run(list(gf.nn.top_k(gf.constant([1.0, 3.0, 3.0, 2.0, 3.0]), 3)))
    np.testing.assert_array_equal(i, [1, 2, 4])
    np.testing.assert_array_equal(v, [3.0, 3.0, 3.0])


def test_top_k_dynamic_k_and_errors() -> None:
    x = gf.placeholder(gf.float64, [2, None])
    k = gf.placeholder(gf.int32, [])
    values, _ = gf.nn.top_k(x, k)
    assert values.shape.as_list() == [2, None]
    xv = _distinct((2, 5), 3)
    np.testing.assert_array_equal(run(values, {x: xv, k: 2}), -np.sort(-xv, -1)[:, :2])
    with pytest.raises(gf.InvalidArgumentError, match=r"TopKV2.*k = 6 is not in \[0, 5\]"):
        run(values, {x: xv, k: 6})
    with pytest.raises(gf.GraphBuildError, match="k = 4 is larger"):
        gf.nn.top_k(gf.placeholder(gf.float32, [2, 3]), 4)


def test_in_top_k() -> None:
    pv = np.array([[0.1, 0.5, 0.3, 0.2], [0.4, 0.4, 0.1, 0.1], [0.2, 0.1, np.nan, 0.3]])
    p = gf.constant(pv.astype(np.float32))
    targets = gf.constant(np.array([2, 1, 0], np.int32))
    r = gf.nn.in_top_k(p, targets, 2)
    assert r.op.type == "InTopKV2" and r.shape.as_list() == [3]
    # row 0: 0.3 is 2nd -> True; row 1: a tie with the top counts as in; row 2: NaN -> False
    np.testing.assert_array_equal(run(r), [True, True, False])
    np.testing.assert_array_equal(run(gf.nn.in_top_k(p, targets, 1)), [False, True, False])
    out_of_range = gf.nn.in_top_k(p, gf.constant(np.array([7, 0, 0], np.int32)), 4)
    np.testing.assert_array_equal(run(out_of_range), [False, True, False])
    with pytest.raises(gf.GraphBuildError, match="3 rows but"):
        gf.nn.in_top_k(p, gf.constant(np.array([1, 2], np.int32)), 1)
    with pytest.raises(gf.GraphBuildError, match="must be float32"):
        gf.nn.in_top_k(gf.constant(pv), targets, 1)
