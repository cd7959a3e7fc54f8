"""CrfLogLikelihood, CrfLogLikelihoodGrad and CrfDecode: the forward algorithm and Viterbi
vs brute-force enumeration of every tag path (tiny cases), marginals summing to one,
gradients vs central finite differences in float64, padding (masking) and errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import crf_ops
from tests.helpers import assert_gradients, run

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test


def _case(b: int, t: int, k: int, seed: int = 0
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    unary = rng.normal(size=(b, t, k))
    trans = rng.normal(size=(k, k))
    tags = rng.integers(0, k, (b, t)).astype(np.int32)
    lengths = rng.integers(0, t + 1, b).astype(np.int32)
    lengths[0] = t  # one full-length sequence in every case
    return unary, tags, lengths, trans


def _path_score(u: np.ndarray, a: np.ndarray, path: tuple[int, ...]) -> float:
    return float(sum(u[i, p] for i, p in enumerate(path))
                 + sum(a[path[i - 1], path[i]] for i in range(1, len(path))))


def _brute(u: np.ndarray, a: np.ndarray, n: int) -> tuple[float, tuple[int, ...], float]:
    """(log Z, best path, best score) of one sequence by enumerating all K^n paths."""
    if n == 0:
        return 0.0, (), 0.0
    k = u.shape[1]
    scores = {p: _path_score(u, a, p) for p in itertools.product(range(k), repeat=n)}
    best = max(scores, key=lambda p: scores[p])
    return float(np.logaddexp.reduce(list(scores.values()))), best, scores[best]


def _placeholders(k: int, dtype: gf.DType = gf.float64) -> tuple[gf.Tensor, ...]:
    return (gf.placeholder(dtype, [None, None, k], name="unary"),
            gf.placeholder(gf.int32, [None, None], name="tags"),
            gf.placeholder(gf.int32, [None], name="lengths"))


@pytest.mark.parametrize("b,t,k,seed", [(4, 4, 3, 0), (3, 5, 2, 1), (2, 1, 4, 2), (5, 3, 3, 3)])
def test_log_likelihood_and_decode_match_enumeration(b: int, t: int, k: int, seed: int) -> None:
    unary, tags, lengths, trans = _case(b, t, k, seed)
    u, y, n = _placeholders(k)
    a = gf.constant(trans)
    ll, a_out = crf_ops.crf_log_likelihood(u, y, n, a)
    assert ll.op.type == "CrfLogLikelihood" and a_out is a
    path, best = crf_ops.crf_decode(u, a, n)
    assert path.op.type == "CrfDecode" and path.dtype == gf.int32
    got_ll, got_path, got_best = run([ll, path, best], {u: unary, y: tags, n: lengths})
    for i in range(b):
        log_z, best_path, best_score = _brute(unary[i], trans, int(lengths[i]))
        gold = _path_score(unary[i], trans, tuple(tags[i, :lengths[i]]))
        np.testing.assert_allclose(got_ll[i], gold - log_z, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(got_path[i, :lengths[i]], best_path)
        np.testing.assert_array_equal(got_path[i, lengths[i]:], 0)  # padding: tag 0
        np.testing.assert_allclose(got_best[i], best_score, rtol=1e-12, atol=1e-12)
    assert ll.shape.as_list() == [None] and path.shape.as_list() == [None, None]


@pytest.mark.parametrize("scale", [50.0, 400.0])
def test_large_scores_stay_exact(scale: float) -> None:
    """Scores far outside exp's float range (the scaled recursions never exponentiate them
    unshifted): log Z and the marginals still match the enumeration."""
    unary, tags, lengths, trans = _case(3, 4, 3, 6)
    unary, trans = unary * scale, trans * scale
    log_z, node, _ = crf_ops.forward_backward(unary, trans, lengths)
    for i in range(3):
        want, best, _ = _brute(unary[i], trans, int(lengths[i]))
        np.testing.assert_allclose(log_z[i], want, rtol=1e-12)
        if lengths[i]:  # at this scale the best path takes (almost) all the mass
            np.testing.assert_allclose(node[i, np.arange(len(best)), list(best)], 1.0,
                                       atol=1e-6)
    assert np.all(np.isfinite(node))


def test_marginals_match_enumeration_and_sum_to_one() -> None:
    unary, _, lengths, trans = _case(3, 4, 3, 5)
    log_z, node, edge = crf_ops.forward_backward(unary, trans, lengths)
    for i in range(3):
        n = int(lengths[i])
        want_node = np.zeros((4, 3))
        want_edge = np.zeros((3, 3, 3))
        for p in itertools.product(range(3), repeat=n):
            w = np.exp(_path_score(unary[i], trans, p) - log_z[i])
            for s, tag in enumerate(p):
                want_node[s, tag] += w
                if s:
                    want_edge[s - 1, p[s - 1], tag] += w
        np.testing.assert_allclose(node[i], want_node, atol=1e-12)
        np.testing.assert_allclose(edge[i], want_edge, atol=1e-12)
        np.testing.assert_allclose(node[i].sum(1), (np.arange(4) < n).astype(float), atol=1e-12)


def test_padding_is_ignored() -> None:
    """Values past a sequence's length (scores and tags) change nothing, and get zero
    gradient."""
    unary, tags, lengths, trans = _case(3, 5, 3, 7)
    lengths[:] = [5, 2, 0]
    u, y, n = _placeholders(3)
    a = gf.constant(trans)
    ll, _ = crf_ops.crf_log_likelihood(u, y, n, a)
    du, = gf.gradients(gf.reduce_sum(ll), [u])
    noisy_u, noisy_y = unary.copy(), tags.copy()
    pad = np.arange(5)[None, :] >= lengths[:, None]
    noisy_u[pad] = 1e3
    noisy_y[pad] = 99  # out of range, but padding
    clean = run([ll, du], {u: unary, y: tags, n: lengths})
    noisy = run([ll, du], {u: noisy_u, y: noisy_y, n: lengths})
    np.testing.assert_allclose(clean[0], noisy[0], atol=1e-9)
    np.testing.assert_allclose(clean[1], noisy[1], atol=1e-12)
    assert np.all(clean[1][pad] == 0)
    assert clean[0][2] == 0  # an empty sequence has log-likelihood 0


@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_finite_differences(seed: int) -> None:
    unary, tags, lengths, trans = _case(4, 4, 3, seed)
    u, y, n = _placeholders(3)
    a = gf.placeholder(gf.float64, [3, 3], name="a")
    ll, _ = crf_ops.crf_log_likelihood(u, y, n, a)
    w = gf.constant(np.random.default_rng(seed + 10).normal(size=4))
    loss = gf.reduce_sum(ll * w)
    assert_gradients(loss, [u, a], {u: unary, y: tags, n: lengths, a: trans})
    grad_ops = [op.type for op in gf.get_default_graph().get_operations()]
    gf.gradients(loss, [u, a])
    assert "CrfLogLikelihoodGrad" in [op.type for op in gf.get_default_graph().get_operations()
                                      ][len(grad_ops):]


def test_float32_and_static_shapes() -> None:
    unary, tags, lengths, trans = _case(2, 3, 4, 3)
    u = gf.placeholder(gf.float32, [2, 3, 4])
    a = gf.Variable(trans.astype(np.float32), name="transitions")
    ll, _ = crf_ops.crf_log_likelihood(u, tags, lengths, a)
    du, da = gf.gradients(gf.reduce_mean(ll), [u, a])
    assert ll.shape.as_list() == [2] and ll.dtype == gf.float32
    assert du.shape.as_list() == [2, 3, 4] and da.shape.as_list() == [4, 4]
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        got = sess.run(ll, {u: unary.astype(np.float32)})
    _, log_z = crf_ops.forward_alphas(unary, trans, lengths)
    want = crf_ops.gold_scores(unary, tags, trans, lengths) - log_z
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_minus_infinity_transitions_are_forbidden_not_nan() -> None:
    """A -inf transition (a constraint) is never taken and never produces NaN."""
    unary, tags, lengths, trans = _case(2, 4, 3, 4)
    trans[:, 2] = -np.inf  # nothing may move to tag 2 ...
    unary[:, 1:, 2] = 50.0  # ... however attractive
    tags[:] = 0
    path, _ = crf_ops.viterbi(unary, trans, lengths)
    assert not np.any(path[:, 1:] == 2)
    _, log_z = crf_ops.forward_alphas(unary, trans, lengths)
    assert np.all(np.isfinite(log_z))


def test_build_errors_name_the_node_and_the_fix() -> None:
    u = gf.placeholder(gf.float32, [2, 5, 3])
    with pytest.raises(gf.GraphBuildError, match=r"CrfLogLikelihood.*number of tags.*3 vs"):
        crf_ops.crf_log_likelihood(u, np.zeros((2, 5), np.int32), [5, 5],
                                   np.zeros((4, 4), np.float32))
    with pytest.raises(gf.GraphBuildError, match=r"batch size"):
        crf_ops.crf_log_likelihood(u, np.zeros((2, 5), np.int32), [5, 5, 5],
                                   np.zeros((3, 3), np.float32))
    with pytest.raises(gf.GraphBuildError, match=r"number of steps"):
        crf_ops.crf_log_likelihood(u, np.zeros((2, 4), np.int32), [5, 5],
                                   np.zeros((3, 3), np.float32))
    with pytest.raises(gf.GraphBuildError, match=r"must have rank 3"):
        crf_ops.crf_decode(gf.placeholder(gf.float32, [2, 3]), np.zeros((3, 3), np.float32),
                           [1, 1])
    with pytest.raises(gf.GraphBuildError, match=r"int32/int64"):
        crf_ops.crf_log_likelihood(u, gf.placeholder(gf.float32, [2, 5]), [5, 5],
                                   np.zeros((3, 3), np.float32))
    with pytest.raises(TypeError, match="float64"):
        crf_ops.crf_log_likelihood(u, np.zeros((2, 5), np.int32), [5, 5],
                                   gf.constant(np.zeros((3, 3))))


def test_run_errors_name_the_bad_value() -> None:
    u, y, n = _placeholders(3)
    a = gf.constant(np.zeros((3, 3)))
    ll, _ = crf_ops.crf_log_likelihood(u, y, n, a)
    path, _ = crf_ops.crf_decode(u, a, n)
    unary = np.zeros((2, 4, 3))
    with pytest.raises(gf.InvalidArgumentError,
                       match=r"CrfLogLikelihood.*sequence_lengths\[1\] = 5 is not in \[0, 4\]"):
        run(ll, {u: unary, y: np.zeros((2, 4), np.int32), n: np.array([4, 5], np.int32)})
    with pytest.raises(gf.InvalidArgumentError, match=r"tag_indices\[1, 0\] = 3 is not in"):
        run(ll, {u: unary, y: np.array([[0] * 4, [3, 0, 0, 0]], np.int32),
                 n: np.array([4, 2], np.int32)})
    with pytest.raises(gf.InvalidArgumentError, match=r"CrfDecode.*disagree on the batch size"):
        run(path, {u: unary, n: np.array([1, 2, 3], np.int32)})
