"""Learning-rate schedules on global_step vs TF1's formulas computed in numpy, per step."""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphflow as gf

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test

STEPS = [0, 1, 5, 10, 15, 20, 37]


def _values(rate: gf.Tensor, step: gf.Variable) -> list[float]:
    out = []
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        for s in STEPS:
            sess.run(gf.assign(step, s))
            out.append(float(sess.run(rate)))
    return out


def _step() -> gf.Variable:
    return gf.train.get_or_create_global_step()


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_natural_exp_inverse_time(staircase: bool) -> None:
    step = _step()
    exp = gf.train.exponential_decay(0.1, step, 10, 0.5, staircase=staircase)
    nat = gf.train.natural_exp_decay(0.1, step, 10, 0.5, staircase=staircase)
    inv = gf.train.inverse_time_decay(0.1, step, 10, 0.5, staircase=staircase)
    assert exp.op.type == "Mul" and exp.dtype == gf.float32
    for rate, fn in ((exp, lambda p: 0.1 * 0.5 ** p), (nat, lambda p: 0.1 * math.exp(-0.5 * p)),
                     (inv, lambda p: 0.1 / (1 + 0.5 * p))):
        want = [fn(math.floor(s / 10) if staircase else s / 10) for s in STEPS]
        np.testing.assert_allclose(_values(rate, step), want, rtol=1e-6)


@pytest.mark.parametrize("cycle", [False, True])
def test_polynomial_decay(cycle: bool) -> None:
    step = _step()
    rate = gf.train.polynomial_decay(0.1, step, 10, end_learning_rate=0.01, power=2.0,
                                     cycle=cycle)
    want = []
    for s in STEPS:
        steps = 10.0
        if cycle:
            steps *= 1.0 if s == 0 else math.ceil(s / 10)
            p = s / steps
        else:
            p = min(s, 10) / 10
        want.append((0.1 - 0.01) * (1 - p) ** 2 + 0.01)
    np.testing.assert_allclose(_values(rate, step), want, rtol=1e-6)


def test_cosine_decay() -> None:
    step = _step()
    rate = gf.train.cosine_decay(0.2, step, 20, alpha=0.1)
    want = [0.2 * ((1 - 0.1) * 0.5 * (1 + math.cos(math.pi * min(s, 20) / 20)) + 0.1)
            for s in STEPS]
    np.testing.assert_allclose(_values(rate, step), want, rtol=1e-6)


def test_piecewise_constant() -> None:
    step = _step()
    rate = gf.train.piecewise_constant(step, [np.int64(5), np.int64(15)], [1.0, 0.5, 0.1])
    want = [1.0 if s <= 5 else 0.5 if s <= 15 else 0.1 for s in STEPS]
    np.testing.assert_allclose(_values(rate, step), want)
    with pytest.raises(ValueError, match="one more entry"):
        gf.train.piecewise_constant(step, [5], [1.0])


def test_decayed_rate_drives_an_optimizer() -> None:
    step = _step()
    w = gf.Variable(np.array([1.0]), name="w")
    lr = gf.train.exponential_decay(gf.constant(0.5, dtype=gf.float64), step, 1, 0.5,
                                    staircase=True)
    train = gf.train.GradientDescentOptimizer(lr).minimize(gf.reduce_sum(w), global_step=step)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        # steps 0, 1, 2 use 0.5, 0.25, 0.125
        np.testing.assert_allclose(sess.run(w), [1.0 - 0.875])
        assert sess.run(step) == 3


def test_global_step_required() -> None:
    with pytest.raises(ValueError, match="global_step is required"):
        gf.train.exponential_decay(0.1, None, 10, 0.5)
