"""TF1 initializers (``gf.zeros_initializer`` ... ``gf.variance_scaling_initializer``,
``gf.initializers.*``): values and statistics on large shapes (mean, std, bounds; glorot
limit sqrt(6 / (fan_in + fan_out)); truncated-normal correction 0.8796), fan computation,
graph ops built (seeded random sources, no baked constants), seed determinism, dtypes,
argument errors and config round trips."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import initializers as init_ops

SHAPE = (200, 300)  # distinct dims: fan_in 200, fan_out 300
FAN_IN, FAN_OUT = SHAPE
TRUNC = 0.87962566103423978


def sample(initializer: Any, shape: Any = SHAPE, dtype: Any = gf.float64,
           graph_seed: int | None = None) -> np.ndarray:
    g = gf.Graph()
    with g.as_default():
        if graph_seed is not None:
            gf.set_random_seed(graph_seed)
        t = initializer(list(shape), dtype=dtype)
        with gf.Session() as sess:
            return sess.run(t)


# (id, initializer, expected mean, expected std, bound on |x - mean| or None)
GLOROT_LIMIT = math.sqrt(6.0 / (FAN_IN + FAN_OUT))
STATS = [
    ("random_uniform", gf.random_uniform_initializer(-2.0, 3.0, seed=1), 0.5,
     5 / math.sqrt(12), 2.5),
    ("random_normal", gf.random_normal_initializer(1.0, 2.0, seed=2), 1.0, 2.0, None),
    ("truncated_normal", gf.truncated_normal_initializer(1.0, 2.0, seed=3), 1.0,
     2.0 * TRUNC, 4.0),
    ("glorot_uniform", gf.glorot_uniform_initializer(seed=4), 0.0,
     GLOROT_LIMIT / math.sqrt(3), GLOROT_LIMIT),
    ("glorot_normal", gf.glorot_normal_initializer(seed=5), 0.0,
     math.sqrt(2.0 / (FAN_IN + FAN_OUT)), 2 * math.sqrt(2.0 / (FAN_IN + FAN_OUT)) / TRUNC),
    ("vs_fan_in_untruncated", gf.variance_scaling_initializer(
        2.0, "fan_in", "untruncated_normal", seed=6), 0.0, math.sqrt(2.0 / FAN_IN), None),
    ("vs_fan_out_uniform", gf.variance_scaling_initializer(3.0, "fan_out", "uniform", seed=7),
     0.0, math.sqrt(3.0 / FAN_OUT), math.sqrt(9.0 / FAN_OUT)),
    ("vs_normal_alias", gf.variance_scaling_initializer(1.0, "fan_avg", "normal", seed=8), 0.0,
     math.sqrt(2.0 / (FAN_IN + FAN_OUT)), None),
    ("he_normal", gf.initializers.he_normal(seed=9), 0.0, math.sqrt(2.0 / FAN_IN), None),
    ("he_uniform", gf.initializers.he_uniform(seed=10), 0.0, math.sqrt(2.0 / FAN_IN),
     math.sqrt(6.0 / FAN_IN)),
    ("lecun_normal", gf.initializers.lecun_normal(seed=11), 0.0, math.sqrt(1.0 / FAN_IN), None),
    ("lecun_uniform", gf.initializers.lecun_uniform(seed=12), 0.0, math.sqrt(1.0 / FAN_IN),
     math.sqrt(3.0 / FAN_IN)),
]


@pytest.mark.parametrize("case", STATS, ids=[c[0] for c in STATS])
def test_random_initializer_statistics(case: tuple[Any, ...]) -> None:
    _, initializer, mean, std, bound = case
    x = sample(initializer)
    assert x.shape == SHAPE and x.dtype == np.float64
    n = x.size
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(n) + 1e-12
    assert x.std() == pytest.approx(std, rel=0.02)
    if bound is not None:
        dev = np.abs(x - mean)
        assert dev.max() <= bound
        assert dev.max() > 0.95 * bound  # the samples reach the bound: it is the right one


def test_glorot_uniform_limit_on_a_conv_kernel() -> None:
    shape = (3, 3, 4, 5)  # receptive field 9: fan_in 36, fan_out 45
    assert init_ops.compute_fans(list(shape)) == (36, 45)
    x = sample(gf.glorot_uniform_initializer(seed=1), shape)
    limit = math.sqrt(6.0 / (36 + 45))
    assert np.abs(x).max() <= limit and np.abs(x).max() > 0.9 * limit


@pytest.mark.parametrize("shape,fans", [([], (1, 1)), ([7], (7, 7)), ([2, 9], (2, 9)),
                                        ([5, 2, 3], (10, 15))])
def test_compute_fans(shape: list[int], fans: tuple[int, int]) -> None:
    assert init_ops.compute_fans(shape) == fans


def test_constant_like_initializers() -> None:
    np.testing.assert_array_equal(sample(gf.zeros_initializer(), (2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(sample(gf.ones_initializer(), (3, 2)), np.ones((3, 2)))
    np.testing.assert_array_equal(sample(gf.constant_initializer(2.5), (2, 3)),
                                  np.full((2, 3), 2.5))
    np.testing.assert_array_equal(sample(gf.constant_initializer([1, 2, 3, 4, 5, 6]), (2, 3)),
                                  np.arange(1.0, 7.0).reshape(2, 3))
    # TF1: a shorter list is padded with its last element
    np.testing.assert_array_equal(sample(gf.constant_initializer([1, 2]), (2, 2)),
                                  [[1.0, 2.0], [2.0, 2.0]])
    ints = sample(gf.zeros_initializer(dtype=gf.int32), (2,), dtype=None)
    assert ints.dtype == np.int32


def test_default_dtype_is_the_constructors() -> None:
    assert sample(gf.random_normal_initializer(seed=1), (3,), dtype=None).dtype == np.float32
    assert sample(gf.ones_initializer(gf.float64), (3,), dtype=None).dtype == np.float64
    assert sample(gf.ones_initializer(gf.float64), (3,), dtype=gf.float32).dtype == np.float32


def test_random_initializers_build_seeded_random_ops_not_constants() -> None:
    g = gf.Graph()
    with g.as_default():
        gf.glorot_uniform_initializer(seed=42)([100, 80])
        gf.glorot_normal_initializer(seed=43)([100, 80])
        gf.random_normal_initializer(seed=44)([100, 80])
    types = [op.type for op in g.get_operations()]
    assert types.count("RandomUniform") == 1 and types.count("TruncatedNormal") == 1
    assert types.count("RandomStandardNormal") == 1
    for op in g.get_operations():
        if op.type == "Const":
            assert op.outputs[0].shape.num_elements() <= 2  # shapes and scalars only
        if op.type.startswith(("Random", "Truncated")):
            assert op.get_attr("seed2") in (42, 43, 44)


def test_seeds_make_values_deterministic() -> None:
    a = sample(gf.glorot_uniform_initializer(seed=7), (20, 30))
    b = sample(gf.glorot_uniform_initializer(seed=7), (20, 30))
    c = sample(gf.glorot_uniform_initializer(seed=8), (20, 30))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    d = sample(gf.truncated_normal_initializer(), (20, 30), graph_seed=5)
    e = sample(gf.truncated_normal_initializer(), (20, 30), graph_seed=5)
    np.testing.assert_array_equal(d, e)


def test_get_variable_uses_the_initializer_under_its_name() -> None:
    def make() -> np.ndarray:
        g = gf.Graph()
        with g.as_default():
            w = gf.get_variable("W", [20, 10], initializer=gf.glorot_normal_initializer(seed=3))
            assert g.get_operation_by_name(
                "W/Initializer/truncated_normal/TruncatedNormal").type == "TruncatedNormal"
            with gf.Session() as sess:
                sess.run(gf.global_variables_initializer())
                return sess.run(w)
    np.testing.assert_array_equal(make(), make())


def test_initializers_namespace() -> None:
    assert gf.initializers.zeros is gf.zeros_initializer
    assert gf.initializers.glorot_uniform is gf.glorot_uniform_initializer
    assert gf.initializers.variance_scaling is gf.variance_scaling_initializer
    assert gf.initializers.constant is gf.constant_initializer
    g = gf.Graph()
    with g.as_default():
        v = gf.Variable(3.0, name="v")
        op = gf.initializers.global_variables()
        op2 = gf.initializers.variables([v], name="init_v")
        with gf.Session() as sess:
            sess.run(op)
            sess.run(op2)
            assert sess.run(v) == 3.0


def test_config_round_trip() -> None:
    init = gf.variance_scaling_initializer(2.0, "fan_out", "uniform", seed=3)
    clone = gf.variance_scaling_initializer.from_config(init.get_config())
    assert clone.get_config() == init.get_config()
    assert gf.glorot_uniform_initializer.from_config({"seed": 1}).seed == 1
    assert "seed=1" in repr(gf.glorot_uniform_initializer(seed=1))


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="`scale` must be a positive float"):
        gf.variance_scaling_initializer(0.0)
    with pytest.raises(ValueError, match="Invalid `mode` argument: 'fan_sum'"):
        gf.variance_scaling_initializer(mode="fan_sum")
    with pytest.raises(ValueError, match="Invalid `distribution` argument: 'cauchy'"):
        gf.variance_scaling_initializer(distribution="cauchy")
    with pytest.raises(ValueError, match="maxval 1.0 must be greater than minval 2.0"):
        gf.random_uniform_initializer(2.0)
    with pytest.raises(ValueError, match="stddev must be >= 0"):
        gf.random_normal_initializer(stddev=-1.0)
    with pytest.raises(ValueError, match="Expected floating point type, got int32"):
        sample(gf.glorot_uniform_initializer(), (2, 2), dtype=gf.int32)
    with pytest.raises(ValueError, match=r"shape \(\?, 3\) must be fully defined"):
        sample(gf.zeros_initializer(), (None, 3))
    with pytest.raises(ValueError, match="too many elements provided.*needs at most 2"):
        sample(gf.constant_initializer([1, 2, 3]), (2,))
    with pytest.raises(TypeError, match="verify_shape=True"):
        sample(gf.constant_initializer([1, 2], verify_shape=True), (1, 2))
    g = gf.Graph()
    with g.as_default(), pytest.raises(TypeError, match="value must be a Python or numpy"):
        gf.constant_initializer(gf.constant(1.0))
