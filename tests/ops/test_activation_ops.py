"""``graphflow.ops.activation_ops``: Tanh, Sigmoid, Relu, Softplus, Softsign, LeakyRelu,
Elu, Relu6 and their fused gradient ops (TanhGrad, SigmoidGrad, ReluGrad, LeakyReluGrad,
EluGrad, Relu6Grad), three layers per op (kernel vs numpy incl. the planned-buffer path,
shape rule vs the kernel's output, float64 gradients vs central differences, second order
through the fused ops), numerical stability for large inputs, the TF-shaped gradient graphs
(the fused op reading the forward output or input) and errors naming the node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import activation_ops, op_builder

from . import helpers
from .helpers import UnaryCase, ValueCase, case_ids, run

RNG = np.random.default_rng(1234)


# ----------------------------------------------------------------------------------------
# Activations: y = f(x)
# ----------------------------------------------------------------------------------------


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _leaky(alpha: float) -> Callable[[np.ndarray], np.ndarray]:
    a = float(np.float32(alpha))  # the attr is a 32-bit float, as in TensorFlow
    return lambda x: np.where(x > 0, x, a * x)


UNARY = [
    UnaryCase("Tanh", "Tanh", gf.tanh, np.tanh, -2, 2),
    UnaryCase("Sigmoid", "Sigmoid", gf.sigmoid, _np_sigmoid, -4, 4, planned=False),
    UnaryCase("Relu", "Relu", gf.nn.relu, lambda x: np.maximum(x, 0), -3, 3, kinks=(0,),
              ints=True),
    UnaryCase("Softplus", "Softplus", gf.nn.softplus, lambda x: np.log1p(np.exp(x)), -4, 4),
    UnaryCase("Softsign", "Softsign", gf.nn.softsign, lambda x: x / (1 + np.abs(x)), -3, 3,
              kinks=(0,)),
    UnaryCase("LeakyRelu", "LeakyRelu", gf.nn.leaky_relu, _leaky(0.2), -3, 3, kinks=(0,)),
    UnaryCase("LeakyRelu_alpha_neg", "LeakyRelu",
              lambda x: gf.nn.leaky_relu(x, alpha=-0.5), _leaky(-0.5), -3, 3, kinks=(0,)),
    UnaryCase("Elu", "Elu", gf.nn.elu, lambda x: np.where(x < 0, np.exp(x) - 1, x), -3, 3,
              kinks=(0,)),
    UnaryCase("Relu6", "Relu6", gf.nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6), -2, 8,
              kinks=(0, 6), ints=True),
]


@pytest.mark.parametrize("case", UNARY, ids=case_ids(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_kernel_matches_numpy(graph, case: UnaryCase, dtype: Any) -> None:
    helpers.unary_kernel_matches_numpy(case, dtype)


@pytest.mark.parametrize("case", [c for c in UNARY if c.ints], ids=lambda c: str(c))
def test_unary_integer_kernel(graph, case: UnaryCase) -> None:
    helpers.unary_integer_kernel(case)


@pytest.mark.parametrize("case", UNARY, ids=case_ids(UNARY))
def test_unary_planned_buffer_matches_plain_kernel(graph, case: UnaryCase) -> None:
    helpers.unary_planned_buffer_matches_plain_kernel(case)


@pytest.mark.parametrize("case", UNARY, ids=case_ids(UNARY))
@pytest.mark.parametrize("static,fed", helpers.UNARY_SHAPES)
def test_unary_shape_rule_matches_kernel(graph, case: UnaryCase, static: Any, fed: Any) -> None:
    helpers.unary_shape_rule_matches_kernel(case, static, fed)


@pytest.mark.parametrize("case", UNARY, ids=case_ids(UNARY))
def test_unary_gradient(graph, case: UnaryCase) -> None:
    helpers.unary_gradient(case)


@pytest.mark.parametrize("case", UNARY, ids=case_ids(UNARY))
def test_unary_second_order_gradient(graph, case: UnaryCase) -> None:
    helpers.unary_second_order_gradient(case)


@pytest.mark.parametrize("build,op_type,reads", [
    (gf.tanh, "TanhGrad", "output"), (gf.sigmoid, "SigmoidGrad", "output"),
    (gf.nn.relu, "ReluGrad", "output"),
    (gf.nn.elu, "EluGrad", "output"), (gf.nn.relu6, "Relu6Grad", "output"),
    (gf.nn.leaky_relu, "LeakyReluGrad", "input")])
def test_activation_gradients_use_tf_fused_ops(graph, build: Any, op_type: str,
                                               reads: str) -> None:
    """Gradient graphs look like TensorFlow's: the fused *Grad op, reading y or x."""
    helpers.gradient_op_reads(build, op_type, reads)


def test_sigmoid_is_stable_for_large_inputs(graph) -> None:
    for dtype in (np.float32, np.float64):
        out = run(gf.sigmoid(gf.constant(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0], dtype))))
        assert out.dtype == dtype
        assert np.all(np.isfinite(out))
        np.testing.assert_allclose(out, [0.0, _np_sigmoid(-40.0), 0.5, 1.0, 1.0], atol=1e-7)


def test_numerically_stable_activations(graph) -> None:
    for dtype in (np.float32, np.float64):
        xv = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype)
        sp, el, ss = run([gf.nn.softplus(xv), gf.nn.elu(xv), gf.nn.softsign(xv)])
        for out in (sp, el, ss):
            assert out.dtype == dtype and np.all(np.isfinite(out))
        np.testing.assert_allclose(sp, [0.0, np.exp(-50.0), np.log(2.0), 50.0, 1000.0],
                                   rtol=1e-6)
        np.testing.assert_allclose(el, [-1.0, -1.0, 0.0, 50.0, 1000.0])


def test_leaky_relu_attr_default_and_integer_input(graph) -> None:
    """``alpha`` is the node's attr; a NodeDef without it (TF omits defaults) means 0.2."""
    y = gf.nn.leaky_relu(gf.constant([-2, 3]), alpha=0.1)
    assert y.dtype == gf.float32 and y.op.get_attr("alpha") == pytest.approx(0.1)
    np.testing.assert_allclose(run(y), [-0.2, 3.0], rtol=1e-6)
    src = gf.Graph()
    with src.as_default():
        gf.nn.leaky_relu(gf.placeholder(gf.float64, (2,), name="x"), name="lr")
    graph_def = src.as_graph_def()
    node = next(n for n in graph_def.node if n.name == "lr")
    del node.attr["alpha"]
    gf.import_graph_def(graph_def, name="")
    out = run("lr:0", {"x:0": np.array([-1.0, 2.0])})
    np.testing.assert_allclose(out, [-0.2, 2.0])
    with pytest.raises(TypeError, match="alpha"):
        gf.nn.leaky_relu(gf.constant([1.0]), alpha=gf.constant(0.3))


def test_float_only_activations_reject_integers_naming_the_node(graph) -> None:
    i = gf.placeholder(gf.int32, (4,), name="counts")
    for build, op_type in ((gf.nn.elu, "Elu"), (gf.tanh, "Tanh"), (gf.sigmoid, "Sigmoid")):
        with pytest.raises(gf.GraphBuildError) as info:
            build(i, name="bad")
        msg = str(info.value)
        assert op_type in msg and "'bad'" in msg and "int32" in msg and "floating" in msg


# ----------------------------------------------------------------------------------------
# Fused gradient ops: (y, dy) / (gradients, features)
# ----------------------------------------------------------------------------------------


FUSED = [  # op type, builder, reference, input domain, kinks, first input is y
    ("TanhGrad", lambda y, dy: op_builder.apply1("TanhGrad", [y, dy], {"T": y.dtype}),
     lambda y, dy: dy * (1 - y * y), (-0.9, 0.9), (), True),
    ("SigmoidGrad", lambda y, dy: op_builder.apply1("SigmoidGrad", [y, dy],
                                                        {"T": y.dtype}),
     lambda y, dy: dy * y * (1 - y), (0.1, 0.9), (), True),
    ("ReluGrad", activation_ops.relu_grad, lambda g, f: np.where(f > 0, g, 0.0), (-2, 2),
     (0,), False),
    ("LeakyReluGrad", lambda g, f: activation_ops.leaky_relu_grad(g, f, alpha=0.3),
     lambda g, f: np.where(f > 0, g, float(np.float32(0.3)) * g), (-2, 2), (0,), False),
    ("EluGrad", activation_ops.elu_grad, lambda g, y: np.where(y < 0, g * (y + 1), g),
     (-0.9, 2), (0,), False),
    ("Relu6Grad", activation_ops.relu6_grad, lambda g, f: g * ((f > 0) & (f < 6)), (-2, 8),
     (0, 6), False),
]


@pytest.mark.parametrize("op_type,build,ref,domain,kinks,y_first", FUSED,
                         ids=[c[0] for c in FUSED])
def test_fused_gradient_op_three_layers(graph, op_type: str, build: Any, ref: Any,
                                        domain: tuple, kinks: tuple, y_first: bool) -> None:
    helpers.fused_gradient_op_three_layers(op_type, build, ref, domain, kinks, y_first)


def test_fused_gradient_op_rejects_mismatched_shapes(graph) -> None:
    g = gf.placeholder(gf.float64, (2, 3), name="g")
    f = gf.placeholder(gf.float64, (3, 2), name="f")
    with pytest.raises(gf.GraphBuildError) as info:
        activation_ops.elu_grad(g, f, name="eg")
    msg = str(info.value)
    for part in ("EluGrad", "'eg'", "(2, 3)", "(3, 2)", "same shape"):
        assert part in msg, msg




# ----------------------------------------------------------------------------------------
# Relu and ReluGrad as value tables (float32 too, unknown batch dims)
# ----------------------------------------------------------------------------------------


def away_from_zero(shape: tuple[int, ...]) -> np.ndarray:
    """Values in +-[0.2, 1.5]: far from Relu's kink so finite differences are exact."""
    return RNG.uniform(0.2, 1.5, shape) * RNG.choice([-1.0, 1.0], shape)


CASES = [
    ValueCase("relu", gf.nn.relu, [away_from_zero((2, 3))], lambda x: np.where(x > 0, x, 0.0)),
    ValueCase("relu_grad", activation_ops.relu_grad,
              [RNG.normal(size=(3, 2)), away_from_zero((3, 2))],
              lambda g, f: np.where(f > 0, g, 0.0), grad_inputs=(0, 1)),
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


def test_relu_of_unknown_rank_keeps_unknown_rank() -> None:
    with gf.Graph().as_default():
        assert gf.nn.relu(gf.placeholder(gf.float32)).shape.rank is None


@pytest.mark.parametrize("name,build,value", [
    ("relu", lambda x: gf.nn.relu(x) * x, away_from_zero((2, 3))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_second_order_gradient(name: str, build: Callable[[gf.Tensor], gf.Tensor],
                               value: np.ndarray) -> None:
    helpers.hessian_vector_gradient(build, value, RNG)


@pytest.mark.parametrize("op_type", ("Relu", "ReluGrad", "Tanh", "TanhGrad", "Sigmoid",
                                     "SigmoidGrad"))
def test_records_have_all_three_parts(op_type: str) -> None:
    helpers.record_has_all_three_parts(op_type)
