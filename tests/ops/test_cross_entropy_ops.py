"""``graphflow.ops.cross_entropy_ops``: the fused SoftmaxCrossEntropyWithLogits and
SparseSoftmaxCrossEntropyWithLogits ops and the TF1 entry points (softmax / sparse / sigmoid
cross-entropy, keyword-only, any rank and axis). Layers: kernels vs naive numpy references,
shape rules vs the kernels' output, float64 gradients (first and second order, also with
respect to the labels); plus numerical stability for large logits and the errors users see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import cross_entropy_ops
from graphflow.ops.cross_entropy_ops import (
    softmax_cross_entropy_with_logits_op,
    sparse_softmax_cross_entropy_with_logits_op,
)
from tests.helpers import ref_sigmoid_ce

from . import helpers
from .helpers import ValueCase, ref_log_softmax, ref_softmax, run_in

RNG = np.random.default_rng(1234)


# ----------------------------------------------------------------------------------------
# Hand-written numpy references (deliberately naive: no max-shift)
# ----------------------------------------------------------------------------------------


def ref_ce(logits: np.ndarray, labels: np.ndarray, axis: int = -1) -> np.ndarray:
    return -np.sum(labels * np.log(ref_softmax(logits, axis)), axis=axis)


def ref_sparse_ce(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    p = ref_softmax(logits)
    return np.array([-np.log(p[i, labels[i]]) for i in range(len(labels))])


def ref_one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    out = np.zeros((len(labels), classes))
    for i, c in enumerate(labels):
        out[i, c] = 1.0
    return out


def soft_labels(shape: tuple[int, ...]) -> np.ndarray:
    raw = RNG.random(shape) + 0.1
    return raw / raw.sum(axis=-1, keepdims=True)




# ----------------------------------------------------------------------------------------
# Op table: builder over placeholders, input values, reference
# ----------------------------------------------------------------------------------------


def _ce_loss(x: gf.Tensor, lab: gf.Tensor) -> gf.Tensor:
    return softmax_cross_entropy_with_logits_op(x, lab)[0]


def _ce_backprop(x: gf.Tensor, lab: gf.Tensor) -> gf.Tensor:
    return softmax_cross_entropy_with_logits_op(x, lab)[1]


def _sparse_loss(x: gf.Tensor, lab: gf.Tensor) -> gf.Tensor:
    return sparse_softmax_cross_entropy_with_logits_op(x, lab)[0]


def _sparse_backprop(x: gf.Tensor, lab: gf.Tensor) -> gf.Tensor:
    return sparse_softmax_cross_entropy_with_logits_op(x, lab)[1]


_LABELS = np.array([2, 0, 4], dtype=np.int64)


CASES = [
    ValueCase("ce_loss", _ce_loss, [RNG.normal(size=(3, 5)), soft_labels((3, 5))], ref_ce,
              grad_inputs=(0, 1)),
    ValueCase("ce_backprop", _ce_backprop, [RNG.normal(size=(3, 5)), soft_labels((3, 5))],
              lambda x, lab: ref_softmax(x) - lab, grad_inputs=(0, 1)),
    ValueCase("sparse_ce_loss", _sparse_loss, [RNG.normal(size=(3, 5)), _LABELS], ref_sparse_ce),
    ValueCase("sparse_ce_backprop", _sparse_backprop, [RNG.normal(size=(3, 5)), _LABELS],
              lambda x, lab: ref_softmax(x) - ref_one_hot(lab, 5)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_kernel_matches_numpy_reference(case: ValueCase) -> None:
    helpers.value_kernel_matches_numpy_reference(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_float32_kernel_keeps_dtype(case: ValueCase) -> None:
    helpers.value_float32_kernel_keeps_dtype(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_static_shape_equals_kernel_shape(case: ValueCase) -> None:
    helpers.value_static_shape_equals_kernel_shape(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_shape_rule_with_unknown_batch_dim(case: ValueCase) -> None:
    helpers.value_shape_rule_with_unknown_batch_dim(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradient_matches_finite_differences(case: ValueCase) -> None:
    helpers.value_gradient_matches_finite_differences(case)


# ----------------------------------------------------------------------------------------
# Shape rules, second-order gradients
# ----------------------------------------------------------------------------------------


def test_shape_rules_partially_unknown() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 7])
        lab = gf.placeholder(gf.int64, [6])
        loss, bp = sparse_softmax_cross_entropy_with_logits_op(x, lab)
        assert loss.shape.as_list() == [6] and bp.shape.as_list() == [6, 7]
        dense_loss, dense_bp = softmax_cross_entropy_with_logits_op(
            x, gf.placeholder(gf.float32, [4, None]))
        assert dense_loss.shape.as_list() == [4] and dense_bp.shape.as_list() == [4, 7]


@pytest.mark.parametrize("name,build,value", [
    ("ce", lambda x: gf.nn.softmax_cross_entropy_with_logits_v2(
        labels=gf.constant(soft_labels((2, 3))), logits=x), RNG.normal(size=(2, 3))),
    ("sparse_ce", lambda x: gf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=gf.constant(np.array([2, 0])), logits=x), RNG.normal(size=(2, 3))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_second_order_gradient(name: str, build: Callable[[gf.Tensor], gf.Tensor],
                               value: np.ndarray) -> None:
    helpers.hessian_vector_gradient(build, value, RNG)


def test_cross_entropy_second_order_wrt_labels() -> None:
    """d/dlabels of d loss/d logits exercises the backprop-output term (-g_bp for labels)."""
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float64, [2, 4], name="x")
        lab = gf.placeholder(gf.float64, [2, 4], name="labels")
        loss = softmax_cross_entropy_with_logits_op(x, lab)[0]
        (dx,) = gf.gradients(loss, [x], grad_ys=[gf.constant(np.array([0.7, -1.3]))])
        feeds = {x: RNG.normal(size=(2, 4)), lab: soft_labels((2, 4))}
        with gf.Session(graph=graph):
            result = gf.test.check_gradients(dx, [x, lab], feeds)
    assert result.max_error < 1e-6, str(result)


# ----------------------------------------------------------------------------------------
# Numerical stability
# ----------------------------------------------------------------------------------------


def test_large_logits_do_not_overflow() -> None:
    logits = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0]])
    labels = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    sparse = np.array([2, 0])
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [2, 3])
        fetches = [gf.nn.softmax(x), gf.nn.log_softmax(x),
                   *softmax_cross_entropy_with_logits_op(x, gf.constant(labels)),
                   *sparse_softmax_cross_entropy_with_logits_op(x, gf.constant(sparse))]
        sm, lsm, loss, bp, sloss, sbp = run_in(graph, fetches, {x: logits})
    for v in (sm, lsm, loss, bp, sloss, sbp):
        assert np.all(np.isfinite(v))
    np.testing.assert_allclose(sm[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(lsm[0], [0.0, -1000.0, -2000.0])
    lse = 1000 + np.log(2 + np.exp(-1.0))
    np.testing.assert_allclose(loss, [1000.0, lse - 1000.0])
    np.testing.assert_allclose(sloss, [2000.0, lse - 1000.0])
    np.testing.assert_allclose(bp[0], [1.0, -1.0, 0.0])


def test_large_logits_float32() -> None:
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float32, [1, 2])
        loss = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1], logits=x)
        got = run_in(graph, [gf.nn.softmax(x), loss], {x: np.array([[1000.0, -1000.0]])})
    assert all(np.all(np.isfinite(v)) for v in got)
    np.testing.assert_allclose(got[1], [2000.0])




# ----------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------


def test_sparse_ce_label_out_of_range_at_run_time() -> None:
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float32, [None, 4])
        lab = gf.placeholder(gf.int32, [None])
        loss = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x,
                                                              name="xent")
        with gf.Session(graph=graph) as sess:
            logits = np.zeros((3, 4), np.float32)
            with pytest.raises(gf.InvalidArgumentError) as info:
                sess.run(loss, {x: logits, lab: [0, 7, 1]})
            msg = str(info.value)
            for part in ("xent", "SparseSoftmaxCrossEntropyWithLogits", "label value of 7",
                         "[0, 4)", "4 classes"):
                assert part in msg, msg
            assert info.value.node_name == "xent"
            with pytest.raises(gf.InvalidArgumentError, match="label value of -1"):
                sess.run(loss, {x: logits, lab: [0, 1, -1]})
            np.testing.assert_allclose(sess.run(loss, {x: logits, lab: [0, 3, 1]}),
                                       np.full(3, np.log(4.0)), rtol=1e-6)


def test_sparse_ce_build_time_rank_and_batch_errors() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [3, 5], name="logits")
        with pytest.raises(ValueError) as info:
            gf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=gf.placeholder(gf.int32, [3, 5], name="lab"), logits=x)
        assert "rank" in str(info.value) and "(3, 5)" in str(info.value)
        with pytest.raises(ValueError) as info:
            gf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=gf.placeholder(gf.int32, [4], name="lab"), logits=x)
        msg = str(info.value)
        assert "(4,)" in msg and "(3, 5)" in msg and "batch" in msg, msg
        # The raw op enforces the same rules in its shape rule.
        with pytest.raises(gf.GraphBuildError, match="rank 1"):
            sparse_softmax_cross_entropy_with_logits_op(
                x, gf.placeholder(gf.int32, [3, 1]))
        with pytest.raises(gf.GraphBuildError, match=r"batch size \(3 vs 4\)"):
            sparse_softmax_cross_entropy_with_logits_op(x, gf.placeholder(gf.int32, [4]))
        with pytest.raises(gf.GraphBuildError, match="int32/int64"):
            sparse_softmax_cross_entropy_with_logits_op(
                x, gf.placeholder(gf.float32, [3]))


def test_dense_ce_raw_op_errors() -> None:
    with gf.Graph().as_default():
        x3 = gf.placeholder(gf.float32, [2, 3, 4])
        with pytest.raises(gf.GraphBuildError, match="rank 2"):
            softmax_cross_entropy_with_logits_op(x3, x3)
        x = gf.placeholder(gf.float32, [2, 3])
        with pytest.raises(gf.GraphBuildError, match="same shape"):
            softmax_cross_entropy_with_logits_op(x, gf.placeholder(gf.float32, [2, 4]))
        with pytest.raises(ValueError, match="same shape"):
            gf.nn.softmax_cross_entropy_with_logits_v2(
                labels=gf.placeholder(gf.float32, [2, 4]), logits=x)


@pytest.mark.parametrize("fn", [gf.nn.softmax_cross_entropy_with_logits,
                                gf.nn.softmax_cross_entropy_with_logits_v2,
                                gf.nn.sparse_softmax_cross_entropy_with_logits],
                         ids=lambda f: f.__name__)
def test_cross_entropy_requires_keyword_arguments(fn: Callable[..., Any]) -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [2, 3])
        with pytest.raises(ValueError, match="named arguments"):
            fn(x, x)
        with pytest.raises(ValueError, match="labels= and logits="):
            fn(logits=x)




# ----------------------------------------------------------------------------------------
# TF1 wrappers: axes, ranks, label gradients
# ----------------------------------------------------------------------------------------


def test_softmax_cross_entropy_other_ranks_and_axes() -> None:
    logits, labels = RNG.normal(size=(2, 3, 4)), soft_labels((2, 3, 4))
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, logits.shape)
        lab = gf.placeholder(gf.float64, labels.shape)
        last = gf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=x)
        first = gf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=x, axis=0)
        v1_dim = gf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=x, dim=1)
        got = run_in(graph, [last, first, v1_dim], {x: logits, lab: labels})
        assert last.shape.as_list() == [2, 3] and first.shape.as_list() == [3, 4]
        np.testing.assert_allclose(got[0], ref_ce(logits, labels, -1))
        np.testing.assert_allclose(got[1], ref_ce(logits, labels, 0))
        np.testing.assert_allclose(got[2], ref_ce(logits, labels, 1))
        with gf.Session(graph=graph):
            result = gf.test.check_gradients(first, [x, lab], {x: logits, lab: labels})
        assert result.max_error < 1e-6, str(result)


def test_v1_stops_label_gradient_v2_does_not() -> None:
    logits, labels = RNG.normal(size=(2, 3)), soft_labels((2, 3))
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [2, 3])
        lab = gf.placeholder(gf.float64, [2, 3])
        v1 = gf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=x, name="xent_v1")
        v2 = gf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=x, name="xent_v2")
        assert v1.op.name == "xent_v1" and v2.op.type == "SoftmaxCrossEntropyWithLogits"
        assert gf.gradients(v1, [lab])[0] is None
        g1x, = gf.gradients(v1, [x])
        g2x, g2l = gf.gradients(v2, [x, lab])
        got = run_in(graph, [v1, v2, g1x, g2x, g2l], {x: logits, lab: labels})
    np.testing.assert_allclose(got[0], got[1])
    np.testing.assert_allclose(got[2], ref_softmax(logits) - labels)
    np.testing.assert_allclose(got[3], ref_softmax(logits) - labels)
    np.testing.assert_allclose(got[4], -ref_log_softmax(logits))


def test_sparse_ce_flattens_higher_ranks() -> None:
    logits = RNG.normal(size=(2, 3, 5))
    labels = np.array([[0, 4, 2], [1, 1, 3]])
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [None, 3, 5])
        lab = gf.placeholder(gf.int64, [None, 3])
        loss = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x)
        assert loss.shape.as_list() == [None, 3]
        got = run_in(graph, loss, {x: logits, lab: labels})
        expected = ref_sparse_ce(logits.reshape(6, 5), labels.reshape(6)).reshape(2, 3)
        np.testing.assert_allclose(got, expected)
        with gf.Session(graph=graph):
            result = gf.test.check_gradients(loss, [x], {x: logits, lab: labels})
        assert result.max_error < 1e-6, str(result)
        assert gf.gradients(loss, [lab])[0] is None


def test_sparse_ce_large_batch_matches_reference() -> None:
    """A large batch (speed is measured in benchmarks/, never asserted in tests)."""
    batch, classes = 20_000, 20
    logits = RNG.normal(size=(batch, classes)).astype(np.float32)
    labels = RNG.integers(0, classes, size=batch)
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float32, [None, classes])
        lab = gf.placeholder(gf.int64, [None])
        loss, bp = sparse_softmax_cross_entropy_with_logits_op(x, lab)
        with gf.Session(graph=graph) as sess:
            got_loss, got_bp = sess.run([loss, bp], {x: logits, lab: labels})
    rows = RNG.integers(0, batch, size=50)
    np.testing.assert_allclose(got_loss[rows], ref_sparse_ce(logits[rows].astype(np.float64),
                                                              labels[rows]), rtol=1e-4)
    np.testing.assert_allclose(got_bp.sum(axis=1), 0.0, atol=1e-5)




# ----------------------------------------------------------------------------------------
# gf.nn.sigmoid_cross_entropy_with_logits
# ----------------------------------------------------------------------------------------


def test_sigmoid_cross_entropy_with_logits_values_and_stability(graph) -> None:
    x = np.array([[-1000.0, -20.0, -1.5, 0.0], [0.3, 2.0, 30.0, 1000.0]])
    z = np.array([[0.0, 1.0, 0.3, 1.0], [1.0, 0.0, 0.5, 1.0]])
    out = gf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)
    assert out.op.name == "logistic_loss" and out.shape.as_list() == [2, 4]
    with gf.Session() as sess:
        got = sess.run(out)
    want = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    mid = np.abs(x) < 25  # where the naive formula is still accurate (1 - p cancels)
    np.testing.assert_allclose(got[mid], ref_sigmoid_ce(z[mid], x[mid]), rtol=1e-9)
    assert got[0, 0] == 0.0 and got[1, 3] == 0.0 and np.isfinite(got).all()


def test_sigmoid_cross_entropy_with_logits_gradient(graph) -> None:
    x = gf.placeholder(gf.float64, [3, 4], name="x")
    z = gf.placeholder(gf.float64, [3, 4], name="z")
    out = gf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)
    xv, zv = RNG.standard_normal((3, 4)) * 3, RNG.random((3, 4))
    result = gf.test.check_gradients(out, [x, z], {x: xv, z: zv})
    assert result.max_error < 1e-7, str(result)
    (gx,) = gf.gradients(gf.reduce_sum(out), [x])
    with gf.Session() as sess:
        np.testing.assert_allclose(sess.run(gx, {x: xv, z: zv}), 1 / (1 + np.exp(-xv)) - zv,
                                   rtol=1e-12)


def test_sigmoid_cross_entropy_with_logits_errors(graph) -> None:
    x = gf.placeholder(gf.float32, [2, 3])
    with pytest.raises(ValueError, match="Only call `sigmoid_cross_entropy_with_logits` with "
                                         "named arguments"):
        gf.nn.sigmoid_cross_entropy_with_logits(x, x)
    with pytest.raises(ValueError, match="both labels= and logits= must be provided"):
        gf.nn.sigmoid_cross_entropy_with_logits(logits=x)
    with pytest.raises(ValueError, match=r"same shape \(\(2, 3\) vs \(3, 2\)\)"):
        gf.nn.sigmoid_cross_entropy_with_logits(labels=np.zeros((3, 2)), logits=x)




# ----------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("op_type", ("SoftmaxCrossEntropyWithLogits",
                                     "SparseSoftmaxCrossEntropyWithLogits"))
def test_records_have_all_three_parts(op_type: str) -> None:
    helpers.record_has_all_three_parts(op_type)


def _planned_sparse_ce(logits: np.ndarray, labels: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Loss and backprop of the sparse cross-entropy computed in planned buffers (the
    outputs are not fetched themselves: exact copies of them are)."""
    with gf.Graph().as_default() as g:
        x = gf.placeholder(logits.dtype, [None, logits.shape[1]])
        y = gf.placeholder(gf.int32, [None])
        op = cross_entropy_ops.sparse_softmax_cross_entropy_with_logits_op(x, y)
        rows = gf.range(logits.shape[0])
        loss, backprop = gf.gather(op[0], rows), gf.gather(op[1], rows)
        with gf.Session(graph=g) as s:
            feed = {x: logits, y: labels}
            steps = s.explain([loss, backprop], feed).steps
            got = s.run([loss, backprop], feed)
    return got[0], got[1], [st.out_buffers for st in steps if st.op_type.startswith("Sparse")]


@pytest.mark.parametrize("classes", [2, 3, 5, 7, 8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_reductions_give_the_same_bits(monkeypatch: pytest.MonkeyPatch, classes: int,
                                              dtype: Any) -> None:
    """The planned sparse cross-entropy with its row max/sum over columns (2..7 classes)
    gives the bits of the row reductions, also for +-0, huge, +-inf and NaN logits."""
    rng = np.random.default_rng(classes)
    logits = (rng.standard_normal((300, classes)) *
              rng.choice([1e-3, 1.0, 30.0, 1e4], (300, classes))).astype(dtype)
    logits[0], logits[1, 0], logits[2, -1], logits[3, 0] = 0.0, -0.0, np.inf, np.nan
    logits[4] = -np.inf
    logits[5, :] = -0.0
    labels = rng.integers(0, classes, 300).astype(np.int32)
    on = _planned_sparse_ce(logits, labels)
    assert on[2] and all(b is not None for b in on[2][0])  # the kernel wrote into buffers
    monkeypatch.setattr(cross_entropy_ops, "COLUMN_REDUCTIONS", False)
    off = _planned_sparse_ce(logits, labels)
    for a, b in zip(on[:2], off[:2]):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
