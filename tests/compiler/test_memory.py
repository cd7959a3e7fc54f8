"""Memory planning: planned buffers, and element-wise outputs written in place."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler import memory


def _chain() -> tuple[gf.Tensor, gf.Tensor, gf.Tensor]:
    x = gf.placeholder(gf.float64, [None, 8])
    w = gf.constant(np.linspace(-1, 1, 64).reshape(8, 8))
    h = gf.matmul(x, w) + 1.0
    y = gf.sigmoid(h) * 3.0 - h
    return x, y, gf.reduce_sum(y * y)


@pytest.mark.parametrize("inplace", [True, False])
def test_inplace_outputs_give_the_same_values(monkeypatch: pytest.MonkeyPatch,
                                              inplace: bool) -> None:
    monkeypatch.setattr(memory, "INPLACE_OUTPUTS", inplace)
    x, y, loss = _chain()
    xv = np.random.default_rng(0).normal(size=(5, 8))
    with gf.Session() as sess:
        got = sess.run([y, loss], {x: xv})
        again = sess.run([y, loss], {x: xv})  # the buffers are reused across runs
    w = np.linspace(-1, 1, 64).reshape(8, 8)
    h = xv @ w + 1.0
    want = 1 / (1 + np.exp(-h)) * 3.0 - h
    np.testing.assert_allclose(got[0], want, rtol=1e-12)
    np.testing.assert_allclose(got[1], (want * want).sum(), rtol=1e-12)
    np.testing.assert_array_equal(again[0], got[0])


def test_inplace_outputs_use_fewer_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    x, _, loss = _chain()
    counts = {}
    for inplace in (False, True):
        monkeypatch.setattr(memory, "INPLACE_OUTPUTS", inplace)
        with gf.Session() as sess:
            plan = sess.explain(loss, {x: np.zeros((5, 8))})
        counts[inplace] = len(plan.buffers)
        buffer_of = {s: b for st in plan.steps for s, b in zip(st.outputs, st.out_buffers)
                     if b is not None}
        shared = [st.name for st in plan.steps if st.out_buffers and st.out_buffers[0]
                  is not None and st.out_buffers[0] in {buffer_of.get(s) for s in st.inputs}]
        assert bool(shared) == inplace, shared
    assert counts[True] < counts[False]


def test_an_input_read_later_is_not_overwritten() -> None:
    x = gf.placeholder(gf.float64, [4])
    a = gf.exp(x)
    b = a * 2.0       # a is still needed below: b must not take a's buffer
    c = a + b
    xv = np.array([0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(gf.Session().run(c, {x: xv}), 3 * np.exp(xv))
