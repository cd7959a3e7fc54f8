"""map_fn, scan, foldl, foldr (graphflow/ops/functional_ops.py): values vs Python loops over
numpy (nested elems and results, initializers, reverse, a run-time number of elements),
TF1's loop names, gradients vs central finite differences in float64, and the errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import assert_gradients

pytestmark = pytest.mark.usefixtures("graph")

XV = np.random.default_rng(0).normal(size=(5, 3))


def run(fetches: Any, feeds: dict[Any, Any] | None = None) -> Any:
    with gf.Session() as sess:
        return sess.run(fetches, feeds)


def loop_names() -> list[str]:
    return sorted(op.name for op in gf.get_default_graph().get_operations()
                  if op.type == "LoopCond")


def test_map_fn_values_names_and_gradients() -> None:
    x = gf.placeholder(gf.float64, [5, 3], name="x")
    y = gf.map_fn(lambda row: gf.reduce_sum(row * row) * row, x)
    assert y.shape.as_list() == [5, 3]
    assert loop_names() == ["map/while/LoopCond"]
    ref = np.stack([np.sum(r * r) * r for r in XV])
    np.testing.assert_allclose(run(y, {x: XV}), ref, rtol=1e-12)
    assert_gradients(gf.reduce_sum(gf.sin(y)), [x], {x: XV})


def test_map_fn_nested_elems_dtype_and_run_time_length() -> None:
    a = gf.placeholder(gf.float64, [None, 2], name="a")
    b = gf.placeholder(gf.int32, [None], name="b")
    out = gf.map_fn(lambda e: (e[0] * gf.cast(e[1], gf.float64), gf.reduce_sum(e[0])),
                    (a, b), dtype=(gf.float64, gf.float64), name="pairs")
    assert isinstance(out, tuple) and out[0].shape.as_list() == [None, 2]
    assert loop_names() == ["pairs/while/LoopCond"]
    for n in (1, 4):
        av = np.arange(2 * n, dtype=np.float64).reshape(n, 2)
        bv = np.arange(n, dtype=np.int32) - 1
        p, s = run(out, {a: av, b: bv})
        np.testing.assert_allclose(p, av * bv[:, None])
        np.testing.assert_allclose(s, av.sum(1))
    casted = gf.map_fn(lambda v: gf.cast(v, gf.float32) * 0.5, b, dtype=gf.float32)
    np.testing.assert_allclose(run(casted, {b: [2, 4, 6]}), [1, 2, 3])


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_without_initializer_is_a_running_sum(reverse: bool) -> None:
    x = gf.placeholder(gf.float64, [5, 3])
    y = gf.scan(lambda acc, e: acc + e, x, reverse=reverse)
    ref = np.cumsum(XV[::-1], 0)[::-1] if reverse else np.cumsum(XV, 0)
    np.testing.assert_allclose(run(y, {x: XV}), ref, rtol=1e-12)
    assert loop_names() == ["scan/while/LoopCond"]


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_with_a_nested_initializer_and_gradients(reverse: bool) -> None:
    x = gf.placeholder(gf.float64, [5, 3])
    init = (gf.zeros([3], gf.float64), gf.ones([], gf.float64))

    def step(acc: Any, e: Any) -> Any:
        h, scale = acc
        return gf.tanh(h * 0.5 + e), scale * gf.reduce_sum(e * e)
    hs, scales = gf.scan(step, x, initializer=init, reverse=reverse)
    assert hs.shape.as_list() == [5, 3] and scales.shape.as_list() == [5]
    h, s, ref_h, ref_s = np.zeros(3), 1.0, [], []
    for e in (XV[::-1] if reverse else XV):
        h, s = np.tanh(h * 0.5 + e), s * np.sum(e * e)
        ref_h.append(h)
        ref_s.append(s)
    if reverse:
        ref_h, ref_s = ref_h[::-1], ref_s[::-1]
    got_h, got_s = run([hs, scales], {x: XV})
    np.testing.assert_allclose(got_h, np.stack(ref_h), rtol=1e-12)
    np.testing.assert_allclose(got_s, ref_s, rtol=1e-12)
    assert_gradients(gf.reduce_sum(hs * hs) + gf.reduce_sum(scales) * 1e-3, [x], {x: XV})


def test_foldl_and_foldr_order_initializers_and_nested_elems() -> None:
    x = gf.placeholder(gf.float64, [5, 3])
    left = gf.foldl(lambda a, e: a * 0.5 + e, x)
    right = gf.foldr(lambda a, e: a * 0.5 + e, x)
    left0 = gf.foldl(lambda a, e: a * 0.5 + e, x, initializer=gf.ones([3], gf.float64))
    right0 = gf.foldr(lambda a, e: a * 0.5 + e, x, initializer=gf.ones([3], gf.float64))
    pair = gf.foldl(lambda a, e: a + e[0] * e[1], (x, x * 2.0),
                    initializer=gf.zeros([3], gf.float64))
    assert loop_names() == ["foldl/while/LoopCond", "foldl_1/while/LoopCond",
                            "foldl_2/while/LoopCond", "foldr/while/LoopCond",
                            "foldr_1/while/LoopCond"]

    def fold(a: Any, seq: Any) -> Any:
        for e in seq:
            a = a * 0.5 + e
        return a
    got = run([left, right, left0, right0, pair], {x: XV})
    np.testing.assert_allclose(got[0], fold(XV[0], XV[1:]), rtol=1e-12)
    np.testing.assert_allclose(got[1], fold(XV[-1], XV[-2::-1]), rtol=1e-12)
    np.testing.assert_allclose(got[2], fold(np.ones(3), XV), rtol=1e-12)
    np.testing.assert_allclose(got[3], fold(np.ones(3), XV[::-1]), rtol=1e-12)
    np.testing.assert_allclose(got[4], (2 * XV * XV).sum(0), rtol=1e-12)
    assert_gradients(gf.reduce_sum(gf.square(right0)) + gf.reduce_sum(left), [x],
                          {x: XV})


def test_functional_ops_errors() -> None:
    x = gf.placeholder(gf.float32, [4, 2], name="x")
    with pytest.raises(TypeError, match="map_fn: fn must be callable"):
        gf.map_fn(3, x)
    with pytest.raises(ValueError, match="scan: elems must be 1\\+ dimensional"):
        gf.scan(lambda a, e: a + e, gf.constant(1.0))
    with pytest.raises(ValueError, match="same first dimension"):
        gf.map_fn(lambda e: e[0], (x, gf.zeros([3, 2])), dtype=gf.float32)
    with pytest.raises(ValueError, match="map_fn: fn's output structure doesn't match elems"):
        gf.map_fn(lambda e: (e, e), x)
    with pytest.raises(TypeError, match="dtype float64 where dtype says float32"):
        gf.map_fn(lambda e: gf.cast(e, gf.float64), x, dtype=gf.float32)
    with pytest.raises(TypeError, match="float64 where initializer says float32"):
        gf.foldl(lambda a, e: gf.cast(a, gf.float64), x, initializer=gf.zeros([2]))
    with pytest.raises(ValueError, match="foldr: fn's output structure doesn't match"):
        gf.foldr(lambda a, e: (a, e), x)
