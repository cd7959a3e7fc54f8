"""RMSPropOptimizer: ApplyRMSProp / ApplyCenteredRMSProp updates vs a numpy reference over
several steps (dense and IndexedSlices gradients), slots, op types."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test

W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
TARGET = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])


def _ref_rmsprop(w: np.ndarray, grads: list[np.ndarray], lr: float, decay: float,
                 momentum: float, eps: float, centered: bool) -> np.ndarray:
    ms, mom, mg = np.ones_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        ms = decay * ms + (1 - decay) * g * g
        denom = ms + eps
        if centered:
            mg = decay * mg + (1 - decay) * g
            denom = ms - mg * mg + eps
        mom = momentum * mom + lr * g / np.sqrt(denom)
        w = w - mom
    return w


@pytest.mark.parametrize("centered", [False, True])
def test_dense_steps_match_numpy(centered: bool) -> None:
    w = gf.Variable(W0.copy(), name="w")
    loss = gf.reduce_sum(gf.square(w - TARGET))
    opt = gf.train.RMSPropOptimizer(0.05, decay=0.8, momentum=0.5, epsilon=1e-6,
                                    centered=centered)
    train = opt.minimize(loss)
    kinds = {op.type for op in gf.get_default_graph().get_operations()}
    assert ("ApplyCenteredRMSProp" if centered else "ApplyRMSProp") in kinds
    want_slots = ["momentum", "rms"] + (["mg"] if centered else [])
    assert opt.get_slot_names() == sorted(want_slots)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(opt.get_slot(w, "rms")), np.ones_like(W0))
        ref_w, grads = W0.copy(), []
        for _ in range(4):
            grads.append(2 * (ref_w - TARGET))
            ref_w = _ref_rmsprop(W0, grads, 0.05, 0.8, 0.5, 1e-6, centered)
            sess.run(train)
        np.testing.assert_allclose(sess.run(w), ref_w, rtol=1e-12)


@pytest.mark.parametrize("centered", [False, True])
def test_sparse_rows_only(centered: bool) -> None:
    table = np.arange(12, dtype=np.float64).reshape(4, 3) / 10
    emb = gf.Variable(table.copy(), name="emb")
    ids = gf.constant(np.array([2, 0, 2], np.int32))
    loss = gf.reduce_sum(gf.square(gf.gather(emb, ids)))
    opt = gf.train.RMSPropOptimizer(0.1, momentum=0.9, centered=centered)
    train = opt.minimize(loss)
    kind = "SparseApplyCenteredRMSProp" if centered else "SparseApplyRMSProp"
    assert kind in {op.type for op in gf.get_default_graph().get_operations()}
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        ref = table.copy()
        ms, mom, mg = np.ones_like(ref), np.zeros_like(ref), np.zeros_like(ref)
        for _ in range(3):
            g = np.zeros_like(ref)
            g[2] = 2 * 2 * ref[2]  # row 2 is gathered twice
            g[0] = 2 * ref[0]
            for r in (0, 2):
                ms[r] = 0.9 * ms[r] + 0.1 * g[r] ** 2
                denom = ms[r] + 1e-10
                if centered:
                    mg[r] = 0.9 * mg[r] + 0.1 * g[r]
                    denom = ms[r] - mg[r] ** 2 + 1e-10
                mom[r] = 0.9 * mom[r] + 0.1 * g[r] / np.sqrt(denom)
                ref[r] -= mom[r]
            sess.run(train)
        got = sess.run(emb)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    np.testing.assert_array_equal(got[[1, 3]], table[[1, 3]])  # untouched rows


def test_sparse_rows_out_of_range_fail_naming_the_node() -> None:
    v = gf.Variable(np.zeros((2, 2)), name="v")
    opt = gf.train.RMSPropOptimizer(0.1)
    grad = gf.IndexedSlices(gf.constant(np.ones((1, 2))), gf.constant(np.array([5], np.int32)),
                            gf.constant([2, 2]))
    train = opt.apply_gradients([(grad, v)])
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        with pytest.raises(gf.InvalidArgumentError, match=r"SparseApplyRMSProp.*= 5 is not"):
            sess.run(train)
