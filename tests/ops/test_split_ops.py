"""Split / SplitV: parts vs numpy, shape rules vs the real outputs, gradients (including
unused parts), and errors naming the node."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import assert_gradients, rand, run

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_split_equal_parts(axis: int) -> None:
    xv = rand((4, 6, 2), 1)
    x = gf.placeholder(gf.float64, [4, 6, 2])
    n = 2
    parts = gf.split(x, n, axis=axis)
    assert parts[0].op.type == "Split" and parts[0].op.get_attr("num_split") == n
    outs = run(parts, {x: xv})
    for got, want, t in zip(outs, np.split(xv, n, axis=axis), parts):
        np.testing.assert_array_equal(got, want)
        assert t.shape.as_list() == list(got.shape)
    w = [gf.constant(rand(o.shape, 10 + i)) for i, o in enumerate(outs)]
    assert_gradients(gf.add_n([gf.reduce_sum(p * wi) for p, wi in zip(parts, w)]), [x], {x: xv})


def test_split_v_sizes_with_rest_and_unused_part() -> None:
    xv = rand((3, 7), 2)
    x = gf.placeholder(gf.float64, [3, 7])
    a, b, c = gf.split(x, [2, -1, 1], axis=1)
    assert a.op.type == "SplitV"
    assert [t.shape.as_list() for t in (a, b, c)] == [[3, 2], [3, 4], [3, 1]]
    outs = run([a, b, c], {x: xv})
    for got, want in zip(outs, np.split(xv, [2, 6], axis=1)):
        np.testing.assert_array_equal(got, want)
    # Only a and c feed the loss: b's gradient is zeros in the concat.
    assert_gradients(gf.reduce_sum(a * a) + gf.reduce_sum(c), [x], {x: xv})


def test_split_errors() -> None:
    x = gf.placeholder(gf.float32, [4, 6])
    with pytest.raises(gf.GraphBuildError, match="not divisible by num_split = 4"):
        gf.split(x, 4, axis=1)
    with pytest.raises(gf.GraphBuildError, match=r"sum to 5 but the split dimension has size 6"):
        gf.split(x, [2, 3], axis=1)
    with pytest.raises(gf.GraphBuildError, match="out of range"):
        gf.split(x, 2, axis=2)
    y = gf.placeholder(gf.float32, [None, None])
    parts = gf.split(y, 4, axis=1)
    with pytest.raises(gf.InvalidArgumentError, match=r"Split.*not divisible by num_split = 4"):
        run(parts, {y: np.zeros((2, 6), np.float32)})
    sizes = gf.placeholder(gf.int32, [2])
    v = gf.split(y, sizes, axis=1)
    with pytest.raises(gf.InvalidArgumentError, match=r"SplitV.*sum to 3"):
        run(v, {y: np.zeros((2, 6), np.float32), sizes: [1, 2]})
    np.testing.assert_array_equal(run(v[1], {y: np.ones((2, 6), np.float32), sizes: [1, -1]}),
                                  np.ones((2, 5)))
