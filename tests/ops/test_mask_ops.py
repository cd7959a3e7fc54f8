"""Where (one input), boolean_mask and sequence_mask: values vs numpy, shapes, gradients."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import assert_gradients, rand, run

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test


def test_where_coordinates() -> None:
    mv = np.array([[True, False, True], [False, True, False]])
    w = gf.ops.mask_ops.where_indices(gf.constant(mv))
    out = run(w)
    np.testing.assert_array_equal(out, np.argwhere(mv))
    assert out.dtype == np.int64 and w.shape.as_list() == [None, 2]


@pytest.mark.parametrize("axis", [None, 1])
def test_boolean_mask(axis: int | None) -> None:
    xv = rand((2, 3, 4), 1)
    a = 0 if axis is None else axis
    mshape = xv.shape[a:a + 2]
    mv = np.random.default_rng(3).random(mshape) > 0.4
    x = gf.placeholder(gf.float64, [2, 3, 4])
    m = gf.placeholder(gf.bool, list(mshape))
    y = gf.boolean_mask(x, m, axis=axis)
    out = run(y, {x: xv, m: mv})
    if a == 0:
        want = xv[mv]
    else:
        want = np.stack([xv[i][mv] for i in range(xv.shape[0])])
    np.testing.assert_array_equal(out, want)
    assert y.shape.is_compatible_with(out.shape)
    w = gf.constant(rand(out.shape, 2))
    assert_gradients(gf.reduce_sum(y * w), [x], {x: xv, m: mv})


def test_boolean_mask_unknown_dims() -> None:
    x = gf.placeholder(gf.float64, [None, None])
    m = gf.placeholder(gf.bool, [None])
    y = gf.boolean_mask(x, m)
    xv, mv = rand((4, 3)), np.array([True, False, False, True])
    np.testing.assert_array_equal(run(y, {x: xv, m: mv}), xv[mv])
    assert_gradients(gf.reduce_sum(y * y), [x], {x: xv, m: mv})


def test_boolean_mask_errors() -> None:
    x = gf.placeholder(gf.float32, [2, 3])
    with pytest.raises(ValueError, match="does not match"):
        gf.boolean_mask(x, gf.placeholder(gf.bool, [3]))
    with pytest.raises(TypeError, match="must be bool"):
        gf.boolean_mask(x, gf.placeholder(gf.int32, [2]))
    with pytest.raises(ValueError, match="rank of the mask must be known"):
        gf.boolean_mask(x, gf.placeholder(gf.bool))


def test_sequence_mask() -> None:
    lens = np.array([[1, 3], [0, 2]])
    m = gf.sequence_mask(gf.constant(lens, dtype=gf.int32), 4)
    out = run(m)
    np.testing.assert_array_equal(out, np.arange(4) < lens[..., None])
    assert m.dtype == gf.bool and m.shape.as_list() == list(out.shape) == [2, 2, 4]
    f = gf.sequence_mask([2, 1], dtype=gf.float32)  # maxlen = max(lengths)
    np.testing.assert_array_equal(run(f), [[1.0, 1.0], [1.0, 0.0]])
    assert f.dtype == gf.float32
    with pytest.raises(TypeError, match="must be integers"):
        gf.sequence_mask(gf.constant([1.5]))
