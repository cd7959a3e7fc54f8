"""clip_by_value, clip_by_norm, global_norm, clip_by_global_norm, l2_normalize: values vs
numpy, static shapes vs the real outputs, float64 gradients vs central differences."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import assert_gradients, rand, run, sample

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test


def test_clip_by_value() -> None:
    xv = sample((3, 4), -2, 2, kinks=(-0.5, 0.7))
    x = gf.placeholder(gf.float64, [3, 4])
    y = gf.clip_by_value(x, -0.5, 0.7)
    assert [o.type for o in (y.op, y.op.inputs[0].op)] == ["Maximum", "Minimum"]
    out = run(y, {x: xv})
    np.testing.assert_array_equal(out, np.clip(xv, -0.5, 0.7))
    assert y.shape.as_list() == list(out.shape)
    assert_gradients(gf.reduce_sum(y * y), [x], {x: xv})


def test_clip_by_value_indexed_slices() -> None:
    s = gf.IndexedSlices(gf.constant(np.array([[3.0, -3.0]])), gf.constant([1]),
                         gf.constant([2, 2]))
    out = gf.clip_by_value(s, -1.0, 1.0)
    assert isinstance(out, gf.IndexedSlices)
    np.testing.assert_array_equal(run(out.values), [[1.0, -1.0]])


@pytest.mark.parametrize("axes", [None, [1], [0]])
def test_clip_by_norm(axes: list[int] | None) -> None:
    xv = rand((3, 4), 5) * 3
    x = gf.placeholder(gf.float64, [3, 4])
    y = gf.clip_by_norm(x, 1.5, axes=axes)
    norm = np.sqrt(np.sum(xv * xv, axis=None if axes is None else tuple(axes), keepdims=True))
    out = run(y, {x: xv})
    np.testing.assert_allclose(out, xv * 1.5 / np.maximum(norm, 1.5), rtol=1e-12)
    assert y.shape.as_list() == list(out.shape)
    assert_gradients(gf.reduce_sum(y * gf.constant(rand((3, 4), 6))), [x], {x: xv})


def test_clip_by_norm_leaves_small_and_zero_tensors() -> None:
    small = np.array([0.1, -0.2])
    np.testing.assert_allclose(run(gf.clip_by_norm(gf.constant(small), 5.0)), small)
    zero = gf.constant(np.zeros(3))
    np.testing.assert_array_equal(run(gf.clip_by_norm(zero, 1.0)), np.zeros(3))


def test_global_norm_and_clip_by_global_norm() -> None:
    av, bv = rand((2, 3), 1) * 4, rand((5,), 2) * 4
    a, b = gf.placeholder(gf.float64, [2, 3]), gf.placeholder(gf.float64, [5])
    norm = gf.global_norm([a, None, b])
    want = np.sqrt(np.sum(av ** 2) + np.sum(bv ** 2))
    np.testing.assert_allclose(run(norm, {a: av, b: bv}), want, rtol=1e-12)
    (ca, none, cb), n = gf.clip_by_global_norm([a, None, b], 2.0)
    assert none is None
    got = run([ca, cb, n], {a: av, b: bv})
    np.testing.assert_allclose(got[0], av * 2.0 / max(want, 2.0), rtol=1e-12)
    np.testing.assert_allclose(got[1], bv * 2.0 / max(want, 2.0), rtol=1e-12)
    np.testing.assert_allclose(got[2], want, rtol=1e-12)
    assert ca.shape.as_list() == [2, 3] and cb.shape.as_list() == [5]
    loss = gf.reduce_sum(ca * gf.constant(rand((2, 3), 3))) + gf.reduce_sum(cb * cb)
    assert_gradients(loss, [a, b], {a: av, b: bv})
    assert_gradients(norm, [a, b], {a: av, b: bv})


def test_clip_by_global_norm_below_the_limit_is_identity() -> None:
    av = np.array([0.1, 0.2])
    (ca,), _ = gf.clip_by_global_norm([gf.constant(av)], 10.0)
    np.testing.assert_allclose(run(ca), av, rtol=1e-12)


def test_global_norm_rejects_bad_input() -> None:
    with pytest.raises(TypeError, match="list or tuple"):
        gf.global_norm(gf.constant([1.0]))
    with pytest.raises(ValueError, match="at least one"):
        gf.global_norm([None])


@pytest.mark.parametrize("axis", [0, 1, [0, 1]])
def test_l2_normalize(axis: object) -> None:
    xv = rand((3, 4), 7)
    x = gf.placeholder(gf.float64, [3, 4])
    y = gf.nn.l2_normalize(x, axis=axis)
    ax = tuple(axis) if isinstance(axis, list) else axis
    want = xv / np.sqrt(np.maximum(np.sum(xv ** 2, axis=ax, keepdims=True), 1e-12))
    out = run(y, {x: xv})
    np.testing.assert_allclose(out, want, rtol=1e-12)
    assert y.shape.as_list() == list(out.shape)
    assert_gradients(gf.reduce_sum(y * gf.constant(rand((3, 4), 8))), [x], {x: xv})


def test_l2_normalize_dim_is_deprecated_alias() -> None:
    with pytest.warns(DeprecationWarning, match="dim is deprecated"):
        y = gf.nn.l2_normalize(gf.constant(np.array([[3.0, 4.0]])), dim=1)
    np.testing.assert_allclose(run(y), [[0.6, 0.8]])
