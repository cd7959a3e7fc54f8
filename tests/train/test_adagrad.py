"""AdagradOptimizer: ApplyAdagrad / SparseApplyAdagrad vs a numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test

W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def test_dense_steps_match_numpy() -> None:
    w = gf.Variable(W0.copy(), name="w")
    loss = gf.reduce_sum(gf.square(w) * 0.5)
    opt = gf.train.AdagradOptimizer(0.3, initial_accumulator_value=0.2)
    train = opt.minimize(loss)
    assert "ApplyAdagrad" in {op.type for op in gf.get_default_graph().get_operations()}
    assert opt.get_slot_names() == ["accumulator"]
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(opt.get_slot(w, "accumulator")),
                                      np.full_like(W0, 0.2))
        ref, acc = W0.copy(), np.full_like(W0, 0.2)
        for _ in range(4):
            g = ref.copy()
            acc += g * g
            ref -= 0.3 * g / np.sqrt(acc)
            sess.run(train)
        np.testing.assert_allclose(sess.run(w), ref, rtol=1e-12)


def test_sparse_updates_touch_only_gathered_rows() -> None:
    table = np.arange(8, dtype=np.float64).reshape(4, 2) / 4
    emb = gf.Variable(table.copy(), name="emb")
    loss = gf.reduce_sum(gf.gather(emb, gf.constant(np.array([1, 3, 1], np.int32))))
    train = gf.train.AdagradOptimizer(0.5).minimize(loss)
    assert "SparseApplyAdagrad" in {op.type for op in gf.get_default_graph().get_operations()}
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        ref, acc = table.copy(), np.full_like(table, 0.1)
        for _ in range(3):
            g = np.zeros_like(ref)
            g[1], g[3] = 2.0, 1.0
            for r in (1, 3):
                acc[r] += g[r] ** 2
                ref[r] -= 0.5 * g[r] / np.sqrt(acc[r])
            sess.run(train)
        np.testing.assert_allclose(sess.run(emb), ref, rtol=1e-12)


def test_initial_accumulator_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        gf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
