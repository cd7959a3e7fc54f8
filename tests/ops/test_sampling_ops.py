"""Candidate samplers (seeded, expected counts as TF defines them) and nce_loss /
sampled_softmax_loss vs a numpy reference on the same sampled classes, with float64
gradients w.r.t. inputs, weights and biases (the sampler's outputs fed, so central
differences see the same samples)."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import sampling_ops
from tests.helpers import assert_gradients, rand

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test

N_CLASSES, DIM = 12, 4
LABELS = np.array([[1], [5], [3]], np.int64)


def _sampler_outputs(graph: gf.Graph, op_type: str) -> list[gf.Tensor]:
    (op,) = [o for o in graph.get_operations() if o.type == op_type]
    return list(op.outputs)


@pytest.mark.parametrize("builder,op_type", [
    (sampling_ops.log_uniform_candidate_sampler, "LogUniformCandidateSampler"),
    (sampling_ops.uniform_candidate_sampler, "UniformCandidateSampler")])
@pytest.mark.parametrize("unique", [True, False])
def test_samplers(builder: object, op_type: str, unique: bool) -> None:
    gf.set_random_seed(7)
    s, te, se = builder(LABELS, 1, 6, unique, N_CLASSES)  # type: ignore[operator]
    assert s.op.type == op_type and s.shape.as_list() == [6] and te.shape.as_list() == [3, 1]
    with gf.Session() as sess:
        sv, tev, sev = sess.run([s, te, se])
    with gf.Session() as sess:  # the same seed gives the same candidates in a new session
        np.testing.assert_array_equal(sess.run(s), sv)
    assert sv.dtype == np.int64 and ((0 <= sv) & (sv < N_CLASSES)).all()
    if unique:
        assert len(set(sv.tolist())) == 6
    if op_type == "UniformCandidateSampler":
        p = np.full(N_CLASSES, 1 / N_CLASSES)
    else:
        k = np.arange(N_CLASSES)
        p = (np.log(k + 2) - np.log(k + 1)) / np.log(N_CLASSES + 1)
    if not unique:
        np.testing.assert_allclose(sev, 6 * p[sv], rtol=1e-6)
        np.testing.assert_allclose(tev, 6 * p[LABELS], rtol=1e-6)
    else:  # 1 - (1 - p)^tries with the same number of tries for every class
        tries = np.log1p(-sev) / np.log1p(-p[sv])
        assert np.allclose(tries, tries[0], rtol=1e-4) and tries[0] >= 6 - 1e-3


def test_sampler_rejects_impossible_unique_draws() -> None:
    with pytest.raises(gf.GraphBuildError, match="cannot draw num_sampled = 13 unique"):
        sampling_ops.uniform_candidate_sampler(LABELS, 1, 13, True, N_CLASSES)


def _ref_logits(x: np.ndarray, w: np.ndarray, b: np.ndarray, sampled: np.ndarray,
                te: np.ndarray, se: np.ndarray, remove_hits: bool) -> np.ndarray:
    true_logits = np.sum(x * w[LABELS[:, 0]], axis=1, keepdims=True) + b[LABELS]
    sampled_logits = x @ w[sampled].T + b[sampled]
    if remove_hits:
        sampled_logits = sampled_logits + np.where(LABELS == sampled[None, :],
                                                   -np.finfo(np.float32).max, 0.0)
    true_logits = true_logits - np.log(te.astype(np.float64))
    sampled_logits = sampled_logits - np.log(se.astype(np.float64))
    return np.concatenate([true_logits, sampled_logits], axis=1)


@pytest.mark.parametrize("kind", ["nce", "sampled_softmax"])
def test_sampled_losses_match_numpy_and_gradients(kind: str) -> None:
    wv, bv, xv = rand((N_CLASSES, DIM), 1), rand((N_CLASSES,), 2), rand((3, DIM), 3)
    w = gf.placeholder(gf.float64, [N_CLASSES, DIM])
    b = gf.placeholder(gf.float64, [N_CLASSES])
    x = gf.placeholder(gf.float64, [3, DIM])
    fn = gf.nn.nce_loss if kind == "nce" else gf.nn.sampled_softmax_loss
    loss = fn(w, b, LABELS, x, num_sampled=5, num_classes=N_CLASSES, seed=3)
    assert loss.shape.as_list() == [3]
    sampler = _sampler_outputs(loss.graph, "LogUniformCandidateSampler")
    feeds = {w: wv, b: bv, x: xv}
    with gf.Session() as sess:
        got, sv, tev, sev = sess.run([loss, *sampler], feeds)
    logits = _ref_logits(xv, wv, bv, sv, tev, sev, remove_hits=kind != "nce")
    targets = np.concatenate([np.ones((3, 1)), np.zeros((3, 5))], axis=1)
    if kind == "nce":
        want = np.sum(np.maximum(logits, 0) - logits * targets
                      + np.log1p(np.exp(-np.abs(logits))), axis=1)
    else:
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        want = -np.sum(targets * logp, axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    fixed = {**feeds, **dict(zip(sampler, (sv, tev, sev)))}
    assert_gradients(gf.reduce_sum(loss * gf.constant(np.array([1.0, -0.5, 2.0]))),
                     [x, w, b], fixed)


def test_nce_loss_trains_with_variables() -> None:
    w = gf.Variable(rand((N_CLASSES, DIM), 4), name="nce_w")
    b = gf.Variable(np.zeros(N_CLASSES), name="nce_b")
    x = gf.constant(rand((3, DIM), 5))
    loss = gf.reduce_mean(gf.nn.nce_loss(w, b, LABELS, x, 4, N_CLASSES, seed=1))
    train = gf.train.GradientDescentOptimizer(0.5).minimize(loss)
    sparse = [op.type for op in loss.graph.get_operations() if op.type.startswith("Scatter")
              or op.type == "ApplyGradientDescent"]
    assert sparse  # the weight rows are updated from an IndexedSlices gradient
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        first = sess.run(loss)
        for _ in range(20):
            sess.run(train)
        assert sess.run(loss) < first
