"""``graphflow.ops.nn_ops``: BiasAdd/BiasAddGrad, Softmax, LogSoftmax, L2Loss and the TF1
wrappers softmax(axis=...), log_softmax and dropout. Layers: (1) kernels vs hand-written
numpy references, (2) static shape rules vs the kernels' real output shapes (distinct dims,
partially unknown batch dims), (3) gradients vs central finite differences in float64
(first and second order); plus imported graphs without default attrs, errors and dropout.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import nn_ops

from . import helpers
from .helpers import ValueCase, ref_log_softmax, ref_softmax, run_in

RNG = np.random.default_rng(1234)


# ----------------------------------------------------------------------------------------
# Op table: builder over placeholders, input values, reference
# ----------------------------------------------------------------------------------------


CASES = [
    ValueCase("bias_add_nhwc", gf.nn.bias_add, [RNG.normal(size=(2, 3, 4)), RNG.normal(size=4)],
              lambda v, b: v + b, grad_inputs=(0, 1)),
    ValueCase("bias_add_nchw", lambda v, b: gf.nn.bias_add(v, b, data_format="NCHW"),
              [RNG.normal(size=(2, 3, 4, 5)), RNG.normal(size=3)],
              lambda v, b: v + b[None, :, None, None], grad_inputs=(0, 1)),
    ValueCase("bias_add_grad_nhwc", nn_ops.bias_add_grad, [RNG.normal(size=(2, 3, 4))],
              lambda g: g.sum(axis=(0, 1))),
    ValueCase("bias_add_grad_nchw", lambda g: nn_ops.bias_add_grad(g, data_format="NCHW"),
              [RNG.normal(size=(2, 3, 4, 5))], lambda g: g.sum(axis=(0, 2, 3))),
    ValueCase("softmax", gf.nn.softmax, [RNG.normal(size=(3, 4))], ref_softmax),
    ValueCase("softmax_rank3", gf.nn.softmax, [RNG.normal(size=(2, 3, 4))], ref_softmax),
    ValueCase("log_softmax", gf.nn.log_softmax, [RNG.normal(size=(3, 4))], ref_log_softmax),
    ValueCase("l2_loss", gf.nn.l2_loss, [RNG.normal(size=(2, 3))], lambda t: np.sum(t ** 2) / 2),
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
# Explicit shape-rule expectations (distinct dims, partially unknown)
# ----------------------------------------------------------------------------------------


def test_shape_rules_partially_unknown() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 7])
        x4 = gf.placeholder(gf.float32, [None, 3, 5, 2])
        assert gf.nn.bias_add(x, gf.placeholder(gf.float32, [None])).shape.as_list() == [None, 7]
        assert gf.nn.bias_add(gf.placeholder(gf.float32, [2, None]),
                              gf.placeholder(gf.float32, [9])).shape.as_list() == [2, 9]
        assert nn_ops.bias_add_grad(x4, data_format="NCHW").shape.as_list() == [3]
        assert nn_ops.bias_add_grad(x4).shape.as_list() == [2]
        assert nn_ops.bias_add_grad(gf.placeholder(gf.float32)).shape.as_list() == [None]
        assert gf.nn.l2_loss(x).shape.as_list() == []
        unknown = gf.placeholder(gf.float32)
        assert gf.nn.softmax(unknown).shape.rank is None


# ----------------------------------------------------------------------------------------
# Second-order gradients, imported graphs
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,build,value", [
    ("softmax", lambda x: gf.nn.softmax(x), RNG.normal(size=(2, 3))),
    ("log_softmax", lambda x: gf.nn.log_softmax(x), RNG.normal(size=(2, 3))),
    ("bias_add", lambda x: gf.nn.bias_add(x * x, gf.constant(np.arange(3.0))),
     RNG.normal(size=(2, 3))),
    ("l2_loss", lambda x: gf.nn.l2_loss(x * x), RNG.normal(size=(2, 3))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_second_order_gradient(name: str, build: Callable[[gf.Tensor], gf.Tensor],
                               value: np.ndarray) -> None:
    helpers.hessian_vector_gradient(build, value, RNG)


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
        got = run_in(graph, [out, db], {v: np.ones((2, 3)), b: np.arange(3.0)})
    np.testing.assert_allclose(got[0], np.ones((2, 3)) + np.arange(3.0))
    np.testing.assert_allclose(got[1], [2.0, 2.0, 2.0])


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


def test_softmax_rejects_scalars_and_bad_axes() -> None:
    with gf.Graph().as_default():
        with pytest.raises(gf.GraphBuildError, match="rank >= 1"):
            gf.nn.softmax(gf.constant(1.0))
        x = gf.placeholder(gf.float32, [2, 3])
        with pytest.raises(ValueError, match="out of range"):
            gf.nn.softmax(x, axis=2)
        # Unknown rank: a non-last axis builds (issue 11) and is checked when it runs.
        unknown = gf.placeholder(gf.float32)
        out = gf.nn.softmax(unknown, axis=5)
        with gf.Session() as sess, pytest.raises(gf.InvalidArgumentError,
                                                 match="axis 5 is out of range"):
            sess.run(out, {unknown: np.ones((2, 3), np.float32)})




# ----------------------------------------------------------------------------------------
# TF1 wrappers: softmax along other axes
# ----------------------------------------------------------------------------------------


def test_softmax_and_log_softmax_along_other_axes() -> None:
    value = RNG.normal(size=(3, 4, 2))
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, value.shape)
        outs = [gf.nn.softmax(x, axis=0), gf.nn.softmax(x, dim=1), gf.nn.log_softmax(x, axis=1),
                gf.nn.softmax(x, axis=2)]
        got = run_in(graph, outs, {x: value})
        np.testing.assert_allclose(got[0], ref_softmax(value, 0))
        np.testing.assert_allclose(got[1], ref_softmax(value, 1))
        np.testing.assert_allclose(got[2], ref_log_softmax(value, 1))
        np.testing.assert_allclose(got[3], ref_softmax(value, 2))
        assert outs[3].op.type == "Softmax" and outs[0].op.type != "Softmax"
        with gf.Session(graph=graph):
            for out in outs[:3]:
                result = gf.test.check_gradients(out, [x], {x: value})
                assert result.max_error < 1e-6, str(result)


# ----------------------------------------------------------------------------------------
# dropout
# ----------------------------------------------------------------------------------------


def test_dropout_scales_kept_units_and_routes_gradient() -> None:
    n = 20_000
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [n])
        out = gf.nn.dropout(x, keep_prob=0.8, seed=3)
        (dx,) = gf.gradients(out, [x])
        got, grad = run_in(graph, [out, dx], {x: np.ones(n)})
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
# Registry
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("op_type", ("BiasAdd", "BiasAddGrad", "Softmax", "LogSoftmax",
                                     "L2Loss"))
def test_records_have_all_three_parts(op_type: str) -> None:
    helpers.record_has_all_three_parts(op_type)
