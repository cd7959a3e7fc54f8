"""``gf.losses`` (``graphflow/losses.py``; ``gf.nn.sigmoid_cross_entropy_with_logits`` is tested
with the cross-entropy ops in ``tests/ops/test_cross_entropy_ops.py``): values vs numpy references
(every loss, scalar / per-example / per-element weights, zero weights, every reduction),
the TF1 node names and the ``losses`` collection (get_losses, add_loss, get_total_loss),
gradients vs central finite differences in float64, numerical stability, and errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import ref_sigmoid_ce

RNG = np.random.default_rng(42)
R = gf.losses.Reduction
B, C = 5, 3  # batch, classes: distinct dims

# ----------------------------------------------------------------------------------------
# numpy references (per-element losses, then TF1's weighted reduction)
# ----------------------------------------------------------------------------------------


def ref_softmax_ce(labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return -(labels * np.log(p)).sum(-1)


def ref_sparse_ce(labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    onehot = np.eye(logits.shape[-1])[labels.reshape(-1)]
    return ref_softmax_ce(onehot, logits)


def ref_huber(y: np.ndarray, p: np.ndarray, delta: float = 1.0) -> np.ndarray:
    e = np.abs(p - y)
    return np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2)


def ref_reduce(losses: np.ndarray, weights: Any, reduction: str) -> Any:
    w = np.broadcast_to(np.asarray(weights, dtype=np.float64), losses.shape)
    weighted = losses * w
    if reduction == R.NONE:
        return weighted
    total = weighted.sum()
    denom = {R.SUM: 1.0, R.MEAN: w.sum(), R.SUM_OVER_BATCH_SIZE: losses.size,
             R.SUM_BY_NONZERO_WEIGHTS: float((w != 0).sum())}[reduction]
    return 0.0 if denom == 0 else total / denom


@dataclass
class Case:
    name: str
    build: Callable[..., gf.Tensor]  # (labels, predictions, weights, reduction) -> loss
    ref: Callable[[np.ndarray, np.ndarray], np.ndarray]  # per-element losses
    labels: Callable[[], np.ndarray]
    predictions: Callable[[], np.ndarray]
    scope: str
    pred_shape: tuple[int, ...] = (B, C)
    labels_dtype: Any = gf.float64


def probs() -> np.ndarray:
    return RNG.uniform(0.05, 0.95, (B, C))


def binary() -> np.ndarray:
    return (RNG.random((B, C)) > 0.5).astype(np.float64)


def onehot() -> np.ndarray:
    return np.eye(C)[RNG.integers(0, C, B)]


CASES = [
    Case("mean_squared_error", gf.losses.mean_squared_error,
         lambda y, p: (p - y) ** 2, lambda: RNG.standard_normal((B, C)),
         lambda: RNG.standard_normal((B, C)), "mean_squared_error"),
    Case("absolute_difference", gf.losses.absolute_difference,
         lambda y, p: np.abs(p - y), lambda: RNG.standard_normal((B, C)),
         lambda: RNG.standard_normal((B, C)), "absolute_difference"),
    Case("huber_loss", gf.losses.huber_loss, ref_huber,
         lambda: RNG.standard_normal((B, C)) * 2, lambda: RNG.standard_normal((B, C)) * 2,
         "huber_loss"),
    Case("log_loss", gf.losses.log_loss,
         lambda y, p: -y * np.log(p + 1e-7) - (1 - y) * np.log(1 - p + 1e-7), binary, probs,
         "log_loss"),
    Case("hinge_loss", gf.losses.hinge_loss,
         lambda y, x: np.maximum(0, 1 - (2 * y - 1) * x), binary,
         lambda: RNG.standard_normal((B, C)) * 2, "hinge_loss"),
    Case("sigmoid_cross_entropy", gf.losses.sigmoid_cross_entropy, ref_sigmoid_ce, binary,
         lambda: RNG.standard_normal((B, C)) * 3, "sigmoid_cross_entropy_loss"),
    Case("softmax_cross_entropy", gf.losses.softmax_cross_entropy, ref_softmax_ce, onehot,
         lambda: RNG.standard_normal((B, C)) * 2, "softmax_cross_entropy_loss"),
    Case("sparse_softmax_cross_entropy", gf.losses.sparse_softmax_cross_entropy,
         ref_sparse_ce, lambda: RNG.integers(0, C, B), lambda: RNG.standard_normal((B, C)),
         "sparse_softmax_cross_entropy_loss", labels_dtype=gf.int32),
]
IDS = [c.name for c in CASES]


def loss_shape(case: Case) -> tuple[int, ...]:
    return (B,) if "softmax" in case.name else (B, C)


def weight_variants(case: Case) -> list[Any]:
    shape = loss_shape(case)
    per_example = np.array([1.0, 0.0, 2.0, 0.5, 0.0])
    variants: list[Any] = [1.0, 2.5, 0.0, per_example.reshape((B,) + (1,) * (len(shape) - 1))]
    if len(shape) == 2:
        full = RNG.uniform(0, 2, shape)
        full[0, 1] = 0.0
        variants.append(full)
    return variants


def build(case: Case, weights: Any, reduction: str = R.SUM_BY_NONZERO_WEIGHTS
          ) -> tuple[gf.Tensor, gf.Tensor, gf.Tensor]:
    labels_shape = (B,) if case.labels_dtype == gf.int32 else case.pred_shape
    lab = gf.placeholder(case.labels_dtype, labels_shape, name="labels")
    pred = gf.placeholder(gf.float64, case.pred_shape, name="predictions")
    return case.build(lab, pred, weights, reduction=reduction), lab, pred


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_loss_values_with_weights(graph, case: Case) -> None:
    y, p = case.labels(), case.predictions()
    for weights in weight_variants(case):
        for weights_as in ("python", "tensor"):
            w = weights if weights_as == "python" else gf.constant(weights, dtype=gf.float64)
            loss, lab, pred = build(case, w)
            assert loss.shape.as_list() == [] and loss.dtype == gf.float64
            with gf.Session() as sess:
                got = sess.run(loss, {lab: y, pred: p})
            want = ref_reduce(case.ref(y, p), weights, R.SUM_BY_NONZERO_WEIGHTS)
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12,
                                       err_msg=f"weights={weights!r} as {weights_as}")


@pytest.mark.parametrize("reduction", [R.NONE, R.SUM, R.MEAN, R.SUM_OVER_BATCH_SIZE,
                                       R.SUM_BY_NONZERO_WEIGHTS])
@pytest.mark.parametrize("case", [CASES[0], CASES[6]], ids=[IDS[0], IDS[6]])
def test_reductions(graph, case: Case, reduction: str) -> None:
    y, p = case.labels(), case.predictions()
    weights = weight_variants(case)[3]
    loss, lab, pred = build(case, weights, reduction)
    with gf.Session() as sess:
        got = sess.run(loss, {lab: y, pred: p})
    np.testing.assert_allclose(got, ref_reduce(case.ref(y, p), weights, reduction), rtol=1e-10)
    assert R.SUM_OVER_NONZERO_WEIGHTS == R.SUM_BY_NONZERO_WEIGHTS


def test_default_reduction_with_unit_weight_is_the_mean(graph) -> None:
    y, p = RNG.standard_normal((B, C)), RNG.standard_normal((B, C))
    loss = gf.losses.mean_squared_error(y, p)
    with gf.Session() as sess:
        assert sess.run(loss) == pytest.approx(np.mean((p - y) ** 2), rel=1e-12)


def test_label_smoothing(graph) -> None:
    logits = RNG.standard_normal((B, C))
    y1 = onehot()
    soft = gf.losses.softmax_cross_entropy(y1, logits, label_smoothing=0.2)
    y2 = binary()
    sig = gf.losses.sigmoid_cross_entropy(y2, logits, label_smoothing=0.2)
    dyn_logits = gf.placeholder(gf.float64, [B, None])
    dyn_labels = gf.placeholder(gf.float64, [B, None])
    dyn = gf.losses.softmax_cross_entropy(dyn_labels, dyn_logits, label_smoothing=0.2)
    with gf.Session() as sess:
        got_soft, got_sig, got_dyn = sess.run([soft, sig, dyn],
                                              {dyn_logits: logits, dyn_labels: y1})
    want_soft = ref_softmax_ce(y1 * 0.8 + 0.2 / C, logits).mean()
    assert got_soft == pytest.approx(want_soft, rel=1e-12)
    assert got_dyn == pytest.approx(want_soft, rel=1e-12)
    assert got_sig == pytest.approx(ref_sigmoid_ce(y2 * 0.8 + 0.1, logits).mean(), rel=1e-12)


def test_sparse_labels_and_weights_with_a_trailing_unit_dim(graph) -> None:
    logits = RNG.standard_normal((B, C))
    labels = RNG.integers(0, C, B)
    w = np.array([1.0, 0.0, 2.0, 1.0, 3.0])
    loss = gf.losses.sparse_softmax_cross_entropy(labels.reshape(B, 1), logits,
                                                  weights=w.reshape(B, 1))
    with gf.Session() as sess:
        got = sess.run(loss)
    assert got == pytest.approx((ref_sparse_ce(labels, logits) * w).sum() / 4, rel=1e-12)


# ----------------------------------------------------------------------------------------
# Names and the losses collection
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_loss_is_named_and_collected(graph, case: Case) -> None:
    loss, _, _ = build(case, 1.0)
    assert loss.op.name == f"{case.scope}/value"
    assert gf.losses.get_losses() == [loss]
    assert graph.get_collection(gf.GraphKeys.LOSSES) == [loss]


def test_collection_helpers(graph) -> None:
    p = gf.placeholder(gf.float64, [B, C])
    a = gf.losses.mean_squared_error(np.zeros((B, C)), p, scope="first")
    b = gf.losses.absolute_difference(np.zeros((B, C)), p, loss_collection=None)
    c = gf.losses.mean_squared_error(np.zeros((B, C)), p, weights=2.0)
    assert a.op.name == "first/value" and b not in gf.losses.get_losses()
    extra = gf.reduce_sum(p, name="extra")
    gf.losses.add_loss(extra)
    assert gf.losses.get_losses() == [a, c, extra]
    assert gf.losses.get_losses(scope="first") == [a]
    total = gf.losses.get_total_loss()
    assert total.op.name == "total_loss" and total.op.type == "AddN"
    pv = RNG.standard_normal((B, C))
    with gf.Session() as sess:
        got_total, got_a, got_reg = sess.run([total, a, gf.losses.get_regularization_loss()],
                                             {p: pv})
    assert got_total == pytest.approx(3 * got_a + pv.sum(), rel=1e-12)
    assert got_reg == 0.0


def test_get_total_loss_errors(graph) -> None:
    with pytest.raises(ValueError, match="no losses found in the 'losses' collection"):
        gf.losses.get_total_loss()
    gf.losses.add_loss(gf.constant(1.0, dtype=gf.float32, name="l32"))
    gf.losses.add_loss(gf.constant(1.0, dtype=gf.float64, name="l64"))
    with pytest.raises(ValueError, match=r"different dtypes: 'l32:0' \(float32\), 'l64:0' "
                                         r"\(float64\)"):
        gf.losses.get_total_loss()


# ----------------------------------------------------------------------------------------
# Gradients vs finite differences (float64)
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_loss_gradients(graph, case: Case) -> None:
    y, p = case.labels(), case.predictions()
    if case.name in ("absolute_difference", "hinge_loss"):  # keep away from the kinks
        p = np.where(np.abs(p - y) < 0.1, p + 0.3, p) if case.name != "hinge_loss" else \
            np.where(np.abs(np.abs(p) - 1) < 0.1, p * 1.3, p)
    if case.name == "huber_loss":
        p = np.where(np.abs(np.abs(p - y) - 1) < 0.1, p + 0.3, p)
    weights = weight_variants(case)[3]
    loss, lab, pred = build(case, weights)
    result = gf.test.check_gradients(loss, [pred], {lab: y, pred: p})
    assert result.max_error < 1e-6, str(result)


def test_softmax_cross_entropy_stops_the_labels_gradient(graph) -> None:
    lab = gf.placeholder(gf.float64, [B, C])
    logits = gf.placeholder(gf.float64, [B, C])
    loss = gf.losses.softmax_cross_entropy(lab, logits)
    assert gf.gradients(loss, [lab]) == [None]
    assert gf.gradients(loss, [logits])[0] is not None


# ----------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------


def test_loss_errors(graph) -> None:
    p = gf.placeholder(gf.float64, [B, C], name="p")
    with pytest.raises(ValueError, match="mean_squared_error: labels must not be None"):
        gf.losses.mean_squared_error(None, p)
    with pytest.raises(ValueError, match="log_loss: predictions must not be None"):
        gf.losses.log_loss(p, None)
    with pytest.raises(ValueError, match=r"predictions 'p:0' \(5, 3\) and labels "
                                         r"'.*' \(3, 5\) must have the same shape"):
        gf.losses.mean_squared_error(np.zeros((C, B)), p)
    with pytest.raises(ValueError, match=r"weights can not be broadcast to values.*"
                                         r"rank=2 shape=\(5, 3\).*rank=1 shape=\(5,\)"):
        gf.losses.mean_squared_error(np.zeros((B, C)), p, weights=np.ones(B))
    with pytest.raises(ValueError, match="Invalid Reduction Key 'mean'"):
        gf.losses.mean_squared_error(np.zeros((B, C)), p, reduction="mean")
    with pytest.raises(ValueError, match="losses 'n:0' must be floating point, got int32"):
        gf.losses.compute_weighted_loss(gf.constant([1, 2], name="n"))
