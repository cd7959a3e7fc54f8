"""BatchMatMulV2 / BatchMatMul and gf.matmul's dispatch: kernel vs numpy, shape rule vs the
kernel's output (distinct dims), gradients vs central differences in float64, errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import assert_gradients, rand, run

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test

CASES = [  # x shape, y shape, adj_x, adj_y
    ((2, 3, 4), (2, 4, 5), False, False),
    ((2, 4, 3), (2, 4, 5), True, False),
    ((2, 3, 4), (2, 5, 4), False, True),
    ((2, 4, 3), (2, 5, 4), True, True),
    ((2, 1, 3, 4), (5, 4, 2), False, False),  # batch dims broadcast: (2, 1) with (5,)
    ((3, 4), (2, 4, 5), False, False),  # a matrix times a batch
]


def _ref(x: np.ndarray, y: np.ndarray, ax: bool, ay: bool) -> np.ndarray:
    return np.matmul(np.swapaxes(x, -1, -2) if ax else x, np.swapaxes(y, -1, -2) if ay else y)


@pytest.mark.parametrize("xs,ys,ax,ay", CASES)
def test_kernel_shape_and_gradient(xs: tuple, ys: tuple, ax: bool, ay: bool) -> None:
    xv, yv = rand(xs, 1), rand(ys, 2)
    x, y = gf.placeholder(gf.float64, xs), gf.placeholder(gf.float64, ys)
    z = gf.matmul(x, y, transpose_a=ax, transpose_b=ay)
    assert z.op.type == "BatchMatMulV2"
    assert z.op.get_attr("adj_x") is ax and z.op.get_attr("adj_y") is ay
    out = run(z, {x: xv, y: yv})
    np.testing.assert_allclose(out, _ref(xv, yv, ax, ay), rtol=1e-12)
    assert z.shape.as_list() == list(out.shape)
    assert_gradients(gf.reduce_sum(z * z), [x, y], {x: xv, y: yv})


def test_unknown_batch_dims_gradient_sums_broadcast_dims() -> None:
    x = gf.placeholder(gf.float64, [None, 3, 4])
    y = gf.placeholder(gf.float64, [4, 2])
    z = gf.matmul(x, y)
    xv, yv = rand((5, 3, 4), 3), rand((4, 2), 4)
    np.testing.assert_allclose(run(z, {x: xv, y: yv}), xv @ yv, rtol=1e-12)
    assert_gradients(gf.reduce_sum(z * z), [x, y],
                     {x: xv, y: yv})


def test_batch_matmul_v1_needs_equal_batch_dims() -> None:
    x = gf.placeholder(gf.float64, [2, 3, 4])
    y = gf.placeholder(gf.float64, [2, 4, 5])
    z = gf.get_default_graph().create_op("BatchMatMul", [x, y], {"T": gf.float64}).outputs[0]
    xv, yv = rand((2, 3, 4)), rand((2, 4, 5))
    np.testing.assert_allclose(run(z, {x: xv, y: yv}), xv @ yv, rtol=1e-12)
    assert_gradients(gf.reduce_sum(z * z), [x, y], {x: xv, y: yv})
    with pytest.raises(gf.GraphBuildError, match="equal batch dims"):
        gf.get_default_graph().create_op(
            "BatchMatMul", [x, gf.placeholder(gf.float64, [1, 4, 5])], {"T": gf.float64})


def test_errors_name_the_node_and_shapes() -> None:
    x = gf.placeholder(gf.float32, [2, 3, 4])
    with pytest.raises(gf.GraphBuildError, match=r"inner dimensions.*4 columns.*5 rows"):
        gf.matmul(x, gf.placeholder(gf.float32, [2, 5, 6]))
    with pytest.raises(gf.GraphBuildError, match="batch dims"):
        gf.matmul(x, gf.placeholder(gf.float32, [3, 4, 6]))
    # MatMul itself stays rank 2: a rank-3 operand is still an error there.
    with pytest.raises(gf.GraphBuildError, match="rank 2"):
        gf.get_default_graph().create_op("MatMul", [x, x], {"T": gf.float32})
    a = gf.placeholder(gf.float32, [None, None, None])
    b = gf.placeholder(gf.float32, [None, None, None])
    with pytest.raises(gf.InvalidArgumentError, match=r"BatchMatMulV2.*inner dimensions"):
        run(gf.matmul(a, b), {a: np.zeros((2, 3, 4)), b: np.zeros((2, 5, 6))})


def test_rank2_matmul_and_at_operator() -> None:
    a, b = gf.constant(rand((3, 4))), gf.constant(rand((4, 2), 1))
    assert gf.matmul(a, b).op.type == "MatMul"
    x = gf.constant(rand((2, 3, 4)))
    z = x @ b
    assert z.op.type == "BatchMatMulV2"
    np.testing.assert_allclose(run(z), rand((2, 3, 4)) @ rand((4, 2), 1), rtol=1e-12)
