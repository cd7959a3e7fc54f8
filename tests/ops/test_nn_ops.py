"""Tests for graphflow.ops.nn_ops and the gf.nn namespace.

Layers: (1) kernels vs hand-written numpy references, (2) static shape rules vs the kernels'
real output shapes (distinct dims, partially unknown batch dims), (3) gradients vs central
finite differences in float64 (first order for every differentiable op, second order for
the fused-gradient ops and the softmax family); plus numerical stability, build-time and
run-time errors, and the TF1 wrappers (keyword-only cross-entropy, axis handling, dropout).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import activation_ops, nn_ops
from graphflow.ops.cross_entropy_ops import (
    softmax_cross_entropy_with_logits_op,
    sparse_softmax_cross_entropy_with_logits_op,
)

RNG = np.random.default_rng(1234)


# ----------------------------------------------------------------------------------------
# Hand-written numpy references (deliberately naive: no max-shift)
# ----------------------------------------------------------------------------------------


def ref_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def ref_log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.log(ref_softmax(x, axis))


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


def away_from_zero(shape: tuple[int, ...]) -> np.ndarray:
    """Values in +-[0.2, 1.5]: far from Relu's kink so finite differences are exact."""
    return RNG.uniform(0.2, 1.5, shape) * RNG.choice([-1.0, 1.0], shape)


# ----------------------------------------------------------------------------------------
# Op table: builder over placeholders, input values, reference
# ----------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    build: Callable[..., gf.Tensor]  # placeholders -> output tensor
    inputs: list[np.ndarray]  # float64 (or int) values, one per placeholder
    ref: Callable[..., np.ndarray]
    grad_inputs: tuple[int, ...] = (0,)  # which inputs the gradient check perturbs
    tol: float = 1e-6

    def __str__(self) -> str:
        return self.name


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
    Case("relu", gf.nn.relu, [away_from_zero((2, 3))], lambda x: np.where(x > 0, x, 0.0)),
    Case("relu_grad", activation_ops.relu_grad, [RNG.normal(size=(3, 2)), away_from_zero((3, 2))],
         lambda g, f: np.where(f > 0, g, 0.0), grad_inputs=(0, 1)),
    Case("bias_add_nhwc", gf.nn.bias_add, [RNG.normal(size=(2, 3, 4)), RNG.normal(size=4)],
         lambda v, b: v + b, grad_inputs=(0, 1)),
    Case("bias_add_nchw", lambda v, b: gf.nn.bias_add(v, b, data_format="NCHW"),
         [RNG.normal(size=(2, 3, 4, 5)), RNG.normal(size=3)],
         lambda v, b: v + b[None, :, None, None], grad_inputs=(0, 1)),
    Case("bias_add_grad_nhwc", nn_ops.bias_add_grad, [RNG.normal(size=(2, 3, 4))],
         lambda g: g.sum(axis=(0, 1))),
    Case("bias_add_grad_nchw", lambda g: nn_ops.bias_add_grad(g, data_format="NCHW"),
         [RNG.normal(size=(2, 3, 4, 5))], lambda g: g.sum(axis=(0, 2, 3))),
    Case("softmax", gf.nn.softmax, [RNG.normal(size=(3, 4))], ref_softmax),
    Case("softmax_rank3", gf.nn.softmax, [RNG.normal(size=(2, 3, 4))], ref_softmax),
    Case("log_softmax", gf.nn.log_softmax, [RNG.normal(size=(3, 4))], ref_log_softmax),
    Case("ce_loss", _ce_loss, [RNG.normal(size=(3, 5)), soft_labels((3, 5))], ref_ce,
         grad_inputs=(0, 1)),
    Case("ce_backprop", _ce_backprop, [RNG.normal(size=(3, 5)), soft_labels((3, 5))],
         lambda x, lab: ref_softmax(x) - lab, grad_inputs=(0, 1)),
    Case("sparse_ce_loss", _sparse_loss, [RNG.normal(size=(3, 5)), _LABELS], ref_sparse_ce),
    Case("sparse_ce_backprop", _sparse_backprop, [RNG.normal(size=(3, 5)), _LABELS],
         lambda x, lab: ref_softmax(x) - ref_one_hot(lab, 5)),
    Case("l2_loss", gf.nn.l2_loss, [RNG.normal(size=(2, 3))], lambda t: np.sum(t ** 2) / 2),
]


def _build(case: Case, shapes: list[Any] | None = None
           ) -> tuple[gf.Graph, list[gf.Tensor], gf.Tensor]:
    graph = gf.Graph()
    with graph.as_default():
        phs = [gf.placeholder(gf.as_dtype(v.dtype), v.shape if shapes is None else shapes[i],
                              name=f"in{i}") for i, v in enumerate(case.inputs)]
        out = case.build(*phs)
    return graph, phs, out


def _run(graph: gf.Graph, fetches: Any, feeds: dict[Any, Any]) -> Any:
    with gf.Session(graph=graph) as sess:
        return sess.run(fetches, feeds)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_kernel_matches_numpy_reference(case: Case) -> None:
    graph, phs, out = _build(case)
    got = _run(graph, out, dict(zip(phs, case.inputs)))
    np.testing.assert_allclose(got, case.ref(*case.inputs), rtol=1e-12, atol=1e-12)
    assert np.asarray(got).dtype == np.float64


@pytest.mark.parametrize("case", CASES, ids=str)
def test_float32_kernel_keeps_dtype(case: Case) -> None:
    inputs = [v.astype(np.float32) if v.dtype.kind == "f" else v for v in case.inputs]
    f32 = Case(case.name, case.build, inputs, case.ref)
    graph, phs, out = _build(f32)
    assert out.dtype == gf.float32
    got = _run(graph, out, dict(zip(phs, inputs)))
    assert np.asarray(got).dtype == np.float32
    np.testing.assert_allclose(got, case.ref(*case.inputs), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_static_shape_equals_kernel_shape(case: Case) -> None:
    graph, phs, out = _build(case)
    got = np.asarray(_run(graph, out, dict(zip(phs, case.inputs))))
    assert out.shape.is_fully_defined()
    assert tuple(out.shape.as_list()) == got.shape


@pytest.mark.parametrize("case", CASES, ids=str)
def test_shape_rule_with_unknown_batch_dim(case: Case) -> None:
    """Leading (batch) dims unknown: the rule keeps every dim it can know, and the kernel's
    real shape is compatible with it."""
    def batch_unknown(v: np.ndarray) -> list[int | None]:
        is_batch = v.ndim >= 2 or (v.ndim == 1 and v.dtype.kind == "i")  # sparse labels
        return [None, *v.shape[1:]] if is_batch else list(v.shape)

    shapes = [batch_unknown(v) for v in case.inputs]
    graph, phs, out = _build(case, shapes)
    got = np.asarray(_run(graph, out, dict(zip(phs, case.inputs))))
    assert out.shape.rank == got.ndim
    assert out.shape.is_compatible_with(got.shape)
    known = [d for d in out.shape.as_list() if d is not None]
    assert known == [s for s, d in zip(got.shape, out.shape.as_list()) if d is not None]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradient_matches_finite_differences(case: Case) -> None:
    graph, phs, out = _build(case)
    feeds = dict(zip(phs, case.inputs))
    with graph.as_default(), gf.Session(graph=graph):
        result = gf.test.check_gradients(out, [phs[i] for i in case.grad_inputs], feeds)
    assert result.max_error < case.tol, str(result)


# ----------------------------------------------------------------------------------------
# Explicit shape-rule expectations (distinct dims, partially unknown)
# ----------------------------------------------------------------------------------------


def test_shape_rules_partially_unknown() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 7])
        x4 = gf.placeholder(gf.float32, [None, 3, 5, 2])
        lab = gf.placeholder(gf.int64, [6])
        loss, bp = sparse_softmax_cross_entropy_with_logits_op(x, lab)
        assert loss.shape.as_list() == [6] and bp.shape.as_list() == [6, 7]
        dense_loss, dense_bp = softmax_cross_entropy_with_logits_op(
            x, gf.placeholder(gf.float32, [4, None]))
        assert dense_loss.shape.as_list() == [4] and dense_bp.shape.as_list() == [4, 7]
        assert gf.nn.bias_add(x, gf.placeholder(gf.float32, [None])).shape.as_list() == [None, 7]
        assert gf.nn.bias_add(gf.placeholder(gf.float32, [2, None]),
                              gf.placeholder(gf.float32, [9])).shape.as_list() == [2, 9]
        assert nn_ops.bias_add_grad(x4, data_format="NCHW").shape.as_list() == [3]
        assert nn_ops.bias_add_grad(x4).shape.as_list() == [2]
        assert nn_ops.bias_add_grad(gf.placeholder(gf.float32)).shape.as_list() == [None]
        assert gf.nn.l2_loss(x).shape.as_list() == []
        unknown = gf.placeholder(gf.float32)
        assert gf.nn.softmax(unknown).shape.rank is None
        assert gf.nn.relu(unknown).shape.rank is None


# ----------------------------------------------------------------------------------------
# Second-order gradients
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,build,value", [
    ("softmax", lambda x: gf.nn.softmax(x), RNG.normal(size=(2, 3))),
    ("log_softmax", lambda x: gf.nn.log_softmax(x), RNG.normal(size=(2, 3))),
    ("relu", lambda x: gf.nn.relu(x) * x, away_from_zero((2, 3))),
    ("bias_add", lambda x: gf.nn.bias_add(x * x, gf.constant(np.arange(3.0))),
     RNG.normal(size=(2, 3))),
    ("ce", lambda x: gf.nn.softmax_cross_entropy_with_logits_v2(
        labels=gf.constant(soft_labels((2, 3))), logits=x), RNG.normal(size=(2, 3))),
    ("sparse_ce", lambda x: gf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=gf.constant(np.array([2, 0])), logits=x), RNG.normal(size=(2, 3))),
    ("l2_loss", lambda x: gf.nn.l2_loss(x * x), RNG.normal(size=(2, 3))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_second_order_gradient(name: str, build: Callable[[gf.Tensor], gf.Tensor],
                               value: np.ndarray) -> None:
    """d/dx of (dL/dx . w) with a fixed random w, so every element of the Hessian counts."""
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float64, value.shape, name="x")
        y = build(x)
        w = gf.constant(RNG.normal(size=y.shape.as_list()))
        (dx,) = gf.gradients(y, [x], grad_ys=[w])
        with gf.Session(graph=graph):
            result = gf.test.check_gradients(dx, [x], {x: value})
    assert result.max_error < 1e-6, str(result)


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


def test_imported_graph_without_default_attrs_differentiates() -> None:
    """TF strips default-valued attrs (data_format="NHWC") from saved GraphDefs; such a
    graph still imports, runs and differentiates (the default is filled in)."""
    with gf.Graph().as_default() as source:
        v = gf.placeholder(gf.float64, [2, 3], name="v")
        b = gf.placeholder(gf.float64, [3], name="b")
        gf.identity(gf.nn.bias_add(v, b, name="ba"), name="out")
    graph_def = source.as_graph_def()
    node = next(n for n in graph_def.node if n.op == "BiasAdd")
    del node.attr["data_format"]
    with gf.Graph().as_default() as graph:
        gf.import_graph_def(graph_def, name="")
        v, b, out = (graph.get_tensor_by_name(n) for n in ("v:0", "b:0", "out:0"))
        db = gf.gradients(out, [b])[0]
        got = _run(graph, [out, db], {v: np.ones((2, 3)), b: np.arange(3.0)})
    np.testing.assert_allclose(got[0], np.ones((2, 3)) + np.arange(3.0))
    np.testing.assert_allclose(got[1], [2.0, 2.0, 2.0])


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
        sm, lsm, loss, bp, sloss, sbp = _run(graph, fetches, {x: logits})
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
        got = _run(graph, [gf.nn.softmax(x), loss], {x: np.array([[1000.0, -1000.0]])})
    assert all(np.all(np.isfinite(v)) for v in got)
    np.testing.assert_allclose(got[1], [2000.0])


# ----------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------


def test_bias_add_length_mismatch_names_both_shapes() -> None:
    with gf.Graph().as_default():
        v = gf.placeholder(gf.float32, [2, 5], name="value")
        b = gf.placeholder(gf.float32, [3], name="bias")
        with pytest.raises(gf.GraphBuildError) as info:
            gf.nn.bias_add(v, b, name="my_bias_add")
    msg = str(info.value)
    for part in ("BiasAdd", "my_bias_add", "(2, 5)", "(3,)", "bias length 3", "channel"):
        assert part in msg, msg


def test_bias_add_nchw_mismatch_and_bad_ranks() -> None:
    with gf.Graph().as_default():
        v = gf.placeholder(gf.float32, [2, 3, 4, 5])
        with pytest.raises(gf.GraphBuildError, match="channel dimension 3"):
            gf.nn.bias_add(v, gf.placeholder(gf.float32, [5]), data_format="NCHW")
        with pytest.raises(gf.GraphBuildError, match="rank >= 2"):
            gf.nn.bias_add(gf.placeholder(gf.float32, [4]), gf.placeholder(gf.float32, [4]))
        with pytest.raises(gf.GraphBuildError, match="rank 1"):
            gf.nn.bias_add(v, gf.placeholder(gf.float32, [1, 5]))
        with pytest.raises(ValueError, match="data_format"):
            gf.nn.bias_add(v, gf.placeholder(gf.float32, [5]), data_format="HWCN")


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


def test_softmax_rejects_scalars_and_bad_axes() -> None:
    with gf.Graph().as_default():
        with pytest.raises(gf.GraphBuildError, match="rank >= 1"):
            gf.nn.softmax(gf.constant(1.0))
        x = gf.placeholder(gf.float32, [2, 3])
        with pytest.raises(ValueError, match="out of range"):
            gf.nn.softmax(x, axis=2)
        with pytest.raises(ValueError, match="known"):
            gf.nn.softmax(gf.placeholder(gf.float32), axis=0)


# ----------------------------------------------------------------------------------------
# TF1 wrappers: axes, ranks, label gradients
# ----------------------------------------------------------------------------------------


def test_softmax_and_log_softmax_along_other_axes() -> None:
    value = RNG.normal(size=(3, 4, 2))
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, value.shape)
        outs = [gf.nn.softmax(x, axis=0), gf.nn.softmax(x, dim=1), gf.nn.log_softmax(x, axis=1),
                gf.nn.softmax(x, axis=2)]
        got = _run(graph, outs, {x: value})
        np.testing.assert_allclose(got[0], ref_softmax(value, 0))
        np.testing.assert_allclose(got[1], ref_softmax(value, 1))
        np.testing.assert_allclose(got[2], ref_log_softmax(value, 1))
        np.testing.assert_allclose(got[3], ref_softmax(value, 2))
        assert outs[3].op.type == "Softmax" and outs[0].op.type != "Softmax"
        with gf.Session(graph=graph):
            for out in outs[:3]:
                result = gf.test.check_gradients(out, [x], {x: value})
                assert result.max_error < 1e-6, str(result)


def test_softmax_cross_entropy_other_ranks_and_axes() -> None:
    logits, labels = RNG.normal(size=(2, 3, 4)), soft_labels((2, 3, 4))
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, logits.shape)
        lab = gf.placeholder(gf.float64, labels.shape)
        last = gf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=x)
        first = gf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=x, axis=0)
        v1_dim = gf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=x, dim=1)
        got = _run(graph, [last, first, v1_dim], {x: logits, lab: labels})
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
        got = _run(graph, [v1, v2, g1x, g2x, g2l], {x: logits, lab: labels})
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
        got = _run(graph, loss, {x: logits, lab: labels})
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
# dropout
# ----------------------------------------------------------------------------------------


def test_dropout_scales_kept_units_and_routes_gradient() -> None:
    n = 20_000
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [n])
        out = gf.nn.dropout(x, keep_prob=0.8, seed=3)
        (dx,) = gf.gradients(out, [x])
        got, grad = _run(graph, [out, dx], {x: np.ones(n)})
    assert set(np.unique(got)) <= {0.0, 1.25}
    assert abs(np.mean(got != 0) - 0.8) < 0.02
    np.testing.assert_allclose(grad, got)  # d out/dx = mask / keep_prob
    assert {op.type for op in graph.get_operations()} >= {"RandomUniform", "GreaterEqual",
                                                           "Cast", "RealDiv", "Mul"}


def test_dropout_rate_tensor_keep_prob_and_noise_shape() -> None:
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float32, [None, 6])
        keep = gf.placeholder(gf.float32, [])
        by_keep = gf.nn.dropout(x, keep, seed=1)
        by_rate = gf.nn.dropout(x, rate=0.5, noise_shape=[400, 1], seed=2)
        with gf.Session(graph=graph) as sess:
            ones = np.ones((400, 6), np.float32)
            a, b = sess.run([by_keep, by_rate], {x: ones, keep: 0.25})
            assert set(np.unique(a)) <= {0.0, 4.0} and abs(np.mean(a != 0) - 0.25) < 0.05
            assert set(np.unique(b)) <= {0.0, 2.0}
            assert np.all(b == b[:, :1])  # one coin per row: noise_shape broadcasts
            np.testing.assert_allclose(sess.run(by_keep, {x: ones, keep: 1.0}), ones)
        assert gf.nn.dropout(x, keep_prob=1.0) is x
        assert gf.nn.dropout(x, rate=0.0) is x
        for kwargs in ({}, {"keep_prob": 0.5, "rate": 0.5}, {"keep_prob": 0.0},
                       {"rate": 1.0}):
            with pytest.raises(ValueError, match="dropout"):
                gf.nn.dropout(x, **kwargs)


# ----------------------------------------------------------------------------------------
# Registry / namespace
# ----------------------------------------------------------------------------------------


NN_OPS = ("BiasAdd", "BiasAddGrad", "Relu", "ReluGrad", "Softmax", "LogSoftmax",
          "SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits", "L2Loss")


@pytest.mark.parametrize("op_type", NN_OPS)
def test_records_have_all_three_parts(op_type: str) -> None:
    from graphflow.framework import op_registry as registry

    record = registry.get(op_type)
    assert record.differentiable
    for part in ("infer", "kernel", "grad"):
        method = getattr(type(record), part)
        assert method is not getattr(registry.Op, part), f"{op_type} lacks {part}"
    assert record.grad.__doc__ and "=" in record.grad.__doc__


def test_gf_nn_namespace() -> None:
    for name in ("relu", "softmax", "log_softmax", "sigmoid", "tanh", "bias_add",
                 "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
                 "sparse_softmax_cross_entropy_with_logits", "l2_loss", "dropout",
                 "embedding_lookup"):
        assert callable(getattr(gf.nn, name)), name
    assert gf.nn.sigmoid is gf.sigmoid and gf.nn.tanh is gf.tanh


def test_embedding_lookup_delegates_to_the_indexing_ops() -> None:
    from graphflow.ops import gather_ops

    assert gf.nn.embedding_lookup is gather_ops.embedding_lookup
    params = RNG.normal(size=(5, 3))
    with gf.Graph().as_default() as graph:
        out = gf.nn.embedding_lookup(gf.constant(params), gf.constant(np.array([4, 0, 4])))
        got = _run(graph, out, {})
    np.testing.assert_allclose(got, params[[4, 0, 4]])
    with pytest.raises(NotImplementedError, match="max_norm"):
        gf.nn.embedding_lookup(gf.constant(params), gf.constant(np.array([0])), max_norm=1.0)
