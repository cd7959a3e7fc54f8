"""Random sources (RandomUniform, RandomStandardNormal, TruncatedNormal): shapes and dtypes
(static rule vs real output), value ranges and rough statistics, and TF1's seeding rules —
deterministic per session with a graph seed (``gf.set_random_seed``) or an op seed, a fresh
stream on every run, different streams for different ops."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry

SHAPE = (2, 3, 4)

BUILDERS = [
    ("RandomUniform", gf.random_uniform),
    ("RandomStandardNormal", gf.random_normal),
    ("TruncatedNormal", gf.truncated_normal),
]
IDS = [b[0] for b in BUILDERS]


def sample_once(build: Any, graph_seed: int | None = None, op_seed: int | None = None,
                extra_nodes: int = 0, runs: int = 1) -> list[np.ndarray]:
    """Build a fresh graph (optionally with some unrelated nodes first) and sample."""
    g = gf.Graph()
    with g.as_default():
        if graph_seed is not None:
            gf.set_random_seed(graph_seed)
        for _ in range(extra_nodes):
            gf.constant(0.0)
        t = build(SHAPE, seed=op_seed)
        with gf.Session() as sess:
            return [sess.run(t) for _ in range(runs)]


@pytest.mark.parametrize("op_type,build", BUILDERS, ids=IDS)
@pytest.mark.parametrize("dtype", [gf.float32, gf.float64])
def test_random_shape_and_dtype(op_type: str, build: Any, dtype: Any) -> None:
    g = gf.Graph()
    with g.as_default():
        t = build(SHAPE, dtype=dtype, seed=1)
        source = [op for op in g.get_operations() if op.type == op_type]
        assert len(source) == 1 and registry.get(op_type).stateful
        assert t.dtype == dtype and t.shape.as_list() == list(SHAPE)
        with gf.Session() as sess:
            out = sess.run(t)
    assert out.dtype == dtype.np_dtype and out.shape == SHAPE


@pytest.mark.parametrize("op_type,build", BUILDERS, ids=IDS)
def test_random_with_run_time_shape(op_type: str, build: Any) -> None:
    g = gf.Graph()
    with g.as_default():
        dims = gf.placeholder(gf.int32, (2,))
        t = build(dims, seed=3)
        assert t.shape.as_list() == [None, None]
        with gf.Session() as sess:
            assert sess.run(t, {dims: [5, 2]}).shape == (5, 2)


def test_random_uniform_range_and_stats() -> None:
    g = gf.Graph()
    with g.as_default():
        t = gf.random_uniform((4000,), minval=-2.0, maxval=3.0, dtype=gf.float64, seed=5)
        with gf.Session() as sess:
            out = sess.run(t)
    assert out.min() >= -2.0 and out.max() < 3.0
    assert abs(out.mean() - 0.5) < 0.1


@pytest.mark.parametrize("op_type,build", BUILDERS, ids=IDS)
def test_float32_sources_draw_float32_samples(op_type: str, build: Any) -> None:
    """float32 tensors come from numpy's float32 generators (no float64 draw and conversion
    pass): uniform samples are multiples of 2**-24 in [0, 1), and every source keeps its
    statistics."""
    g = gf.Graph()
    with g.as_default():
        t = build((20000,), dtype=gf.float32, seed=11)
        with gf.Session() as sess:
            out = sess.run(t)
    assert out.dtype == np.float32
    if op_type == "RandomUniform":
        assert out.min() >= 0.0 and out.max() < 1.0 and abs(out.mean() - 0.5) < 0.02
        scaled = out.astype(np.float64) * 2.0 ** 24
        np.testing.assert_array_equal(scaled, np.round(scaled))
    elif op_type == "RandomStandardNormal":
        assert abs(out.mean()) < 0.05 and abs(out.std() - 1.0) < 0.05
    else:
        assert np.abs(out).max() <= 2.0 and 0.8 < out.std() < 0.95  # truncated at 2 sigma


def test_random_normal_mean_and_stddev() -> None:
    g = gf.Graph()
    with g.as_default():
        t = gf.random_normal((4000,), mean=1.0, stddev=2.0, dtype=gf.float64, seed=6)
        with gf.Session() as sess:
            out = sess.run(t)
    assert abs(out.mean() - 1.0) < 0.15 and abs(out.std() - 2.0) < 0.15


def test_truncated_normal_stays_within_two_stddevs() -> None:
    g = gf.Graph()
    with g.as_default():
        t = gf.truncated_normal((4000,), mean=-1.0, stddev=0.5, dtype=gf.float64, seed=7)
        with gf.Session() as sess:
            out = sess.run(t)
    assert out.min() >= -2.0 and out.max() <= 0.0
    assert out.std() > 0.3  # not collapsed


@pytest.mark.parametrize("op_type,build", BUILDERS, ids=IDS)
def test_graph_seed_makes_sessions_reproducible(op_type: str, build: Any) -> None:
    first = sample_once(build, graph_seed=42, runs=2)
    second = sample_once(build, graph_seed=42, runs=2)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)                 # same graph + seed: same stream
    assert not np.array_equal(first[0], first[1])           # each run draws fresh values
    other = sample_once(build, graph_seed=43)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("op_type,build", BUILDERS, ids=IDS)
def test_op_seed_makes_sessions_reproducible(op_type: str, build: Any) -> None:
    a = sample_once(build, op_seed=7)
    b = sample_once(build, op_seed=7, extra_nodes=5)  # op seed alone: position irrelevant
    np.testing.assert_array_equal(a[0], b[0])
    c = sample_once(build, op_seed=8)
    assert not np.array_equal(a[0], c[0])


def test_graph_and_op_seed_together() -> None:
    a = sample_once(gf.random_normal, graph_seed=1, op_seed=2, extra_nodes=3)
    b = sample_once(gf.random_normal, graph_seed=1, op_seed=2)
    np.testing.assert_array_equal(a[0], b[0])


def test_two_ops_under_one_graph_seed_differ() -> None:
    g = gf.Graph()
    with g.as_default():
        gf.set_random_seed(11)
        a = gf.random_uniform(SHAPE)
        b = gf.random_uniform(SHAPE)
        with gf.Session() as sess:
            av, bv = sess.run([a, b])
    assert not np.array_equal(av, bv)


def test_no_seed_differs_between_sessions() -> None:
    a = sample_once(gf.random_uniform)
    b = sample_once(gf.random_uniform)
    assert not np.array_equal(a[0], b[0])


def test_seed_attrs_are_written_like_tf() -> None:
    g = gf.Graph()
    with g.as_default():
        gf.set_random_seed(42)
        gf.random_normal(SHAPE, seed=9, name="noise")
        op = g.get_operation_by_name("noise/RandomStandardNormal")
        assert (op.get_attr("seed"), op.get_attr("seed2")) == (42, 9)
        assert op.get_attr("dtype") == gf.float32 and op.get_attr("T") == gf.int32


def test_random_ops_reject_integer_dtype() -> None:
    g = gf.Graph()
    with g.as_default():
        with pytest.raises(gf.GraphBuildError, match=r"RandomStandardNormal node .*int32"):
            gf.random_normal(SHAPE, dtype=gf.int32)


def test_random_sources_are_not_differentiated() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, SHAPE)
        noise = gf.random_normal(SHAPE, dtype=gf.float64, seed=1)
        (gx,) = gf.gradients(gf.reduce_sum(x * noise), [x])
        assert registry.get("RandomUniform").differentiable is False
        with gf.Session() as sess:
            # one run: the gradient equals the noise drawn in that same run
            gv, nv = sess.run([gx, noise], {x: np.zeros(SHAPE)})
    np.testing.assert_array_equal(gv, nv)
