"""gf.jacobian and gf.test.compute_gradient check the lecture's claims by machine: the
Jacobian of an element-wise f is diag(f'(z)); of W x + b it is W w.r.t. x and I w.r.t. b."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import rand, run

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test

W = rand((3, 4), 1)
B = rand((3,), 2)
X = rand((4,), 3)


def _affine() -> tuple[gf.Tensor, gf.Tensor, gf.Tensor]:
    x = gf.placeholder(gf.float64, [4], name="x")
    b = gf.placeholder(gf.float64, [3], name="b")
    y = gf.reshape(gf.matmul(gf.constant(W), gf.reshape(x, [4, 1])), [3]) + b
    return x, b, y


def test_jacobian_of_elementwise_is_diagonal() -> None:
    zv = rand((5,), 4) * 2
    z = gf.placeholder(gf.float64, [5])
    j = gf.jacobian(gf.sigmoid(z), z)
    assert j.shape.as_list() == [5, 5]
    got = run(j, {z: zv})
    s = 1 / (1 + np.exp(-zv))
    np.testing.assert_allclose(got, np.diag(s * (1 - s)), rtol=1e-12, atol=1e-15)
    jt = run(gf.jacobian(gf.tanh(z), z), {z: zv})
    np.testing.assert_allclose(jt, np.diag(1 - np.tanh(zv) ** 2), rtol=1e-12, atol=1e-15)


def test_jacobian_of_affine_map_is_w_and_identity() -> None:
    x, b, y = _affine()
    jx, jb = gf.jacobian(y, [x, b])
    got_x, got_b = run([jx, jb], {x: X, b: B})
    np.testing.assert_allclose(got_x, W, rtol=1e-12)
    np.testing.assert_array_equal(got_b, np.eye(3))


def test_compute_gradient_returns_theoretical_and_numerical() -> None:
    x, b, y = _affine()
    with gf.Session():
        (tx, nx), (tb, nb) = gf.test.compute_gradient([x, b], [[4], [3]], y, [3],
                                                      x_init_value=[X, B])
    # TF's layout: (x.size, y.size), the transpose of dy/dx.
    np.testing.assert_allclose(tx, W.T, rtol=1e-12)
    np.testing.assert_allclose(nx, W.T, rtol=1e-6)
    np.testing.assert_array_equal(tb, np.eye(3))
    np.testing.assert_allclose(nb, np.eye(3), atol=1e-8)


def test_jacobian_matrix_output_and_independent_input() -> None:
    a = gf.placeholder(gf.float64, [2, 3])
    c = gf.placeholder(gf.float64, [2])
    y = gf.square(a)
    ja, jc = gf.jacobian(y, [a, c])
    av = rand((2, 3), 5)
    got_a, got_c = run([ja, jc], {a: av, c: np.zeros(2)})
    assert got_a.shape == (2, 3, 2, 3) and got_c.shape == (2, 3, 2)
    want = np.zeros((2, 3, 2, 3))
    for i in range(2):
        for k in range(3):
            want[i, k, i, k] = 2 * av[i, k]
    np.testing.assert_allclose(got_a, want, rtol=1e-12)
    np.testing.assert_array_equal(got_c, 0)


def test_jacobian_needs_static_y_shape() -> None:
    x = gf.placeholder(gf.float64, [None])
    with pytest.raises(ValueError, match="must be fully known"):
        gf.jacobian(x * 2.0, x)
