"""Tests for graphflow.framework.tensor: Tensor handles (static dtype/shape), Python operator
overloads with TF1's op types and names, identity ``==``, and build-time misuse errors."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import graphflow as gf
from tests.helpers import run

X = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]], np.float32)  # shape (2, 3)
Y = np.array([[2.0, 1.0, -3.0], [4.0, 0.25, 2.0]], np.float32)

# (operator, op type, default node name, numpy reference)
BINARY = [
    (operator.add, "AddV2", "add", np.add),
    (operator.sub, "Sub", "sub", np.subtract),
    (operator.mul, "Mul", "mul", np.multiply),
    (operator.truediv, "RealDiv", "truediv", np.divide),
    (operator.lt, "Less", "Less", np.less),
    (operator.le, "LessEqual", "LessEqual", np.less_equal),
    (operator.gt, "Greater", "Greater", np.greater),
    (operator.ge, "GreaterEqual", "GreaterEqual", np.greater_equal),
]


@pytest.mark.parametrize(("fn", "op_type", "name", "ref"), BINARY, ids=[b[1] for b in BINARY])
def test_binary_operators(g, fn, op_type, name, ref):
    x = gf.constant(X)
    y = gf.placeholder(gf.float32, [None, 3])
    z = fn(x, y)
    assert z.op.type == op_type and z.op.name == name
    assert z.shape == gf.TensorShape([2, 3])
    assert z.dtype == (gf.bool if ref(X, Y).dtype == np.bool_ else gf.float32)
    np.testing.assert_allclose(run(z, {y: Y}), ref(X, Y))


@pytest.mark.parametrize(("fn", "ref"), [(operator.add, np.add), (operator.sub, np.subtract),
                                         (operator.mul, np.multiply),
                                         (operator.truediv, np.divide),
                                         (operator.pow, np.power)])
def test_reversed_operators_with_python_numbers_and_numpy(g, fn, ref):
    x = gf.constant(np.abs(X) + 0.5)
    xv = np.abs(X) + 0.5
    left = fn(2.0, x)  # Python number on the left
    assert left.dtype == gf.float32 and left.shape == gf.TensorShape([2, 3])
    np.testing.assert_allclose(run(left), ref(np.float32(2.0), xv), rtol=1e-6)
    row = np.array([1.0, 2.0, 3.0], np.float32)
    arr = fn(row, x)  # numpy array on the left defers to the Tensor (__array_priority__)
    assert isinstance(arr, gf.Tensor) and arr.shape == gf.TensorShape([2, 3])
    np.testing.assert_allclose(run(arr), ref(row, xv), rtol=1e-6)


def test_reversed_operand_order_in_node(g):
    x = gf.constant(3.0, name="x")
    z = 2.0 - x
    assert z.op.type == "Sub" and z.op.inputs[1] is x and run(z) == -1.0


def test_comparison_with_number_on_the_left(g):
    x = gf.constant(np.array([0.0, 1.0, 2.0], np.float32))
    z = 1.0 < x  # Python turns this into x > 1.0
    assert z.op.type == "Greater" and z.dtype == gf.bool
    np.testing.assert_array_equal(run(z), [False, False, True])


def test_matmul_operator(g):
    a = gf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = gf.constant(np.arange(12, dtype=np.float32).reshape(3, 4))
    c = a @ b
    assert c.op.type == "MatMul" and c.op.name == "matmul" and c.shape == gf.TensorShape([2, 4])
    np.testing.assert_allclose(run(c), np.arange(6).reshape(2, 3) @ np.arange(12).reshape(3, 4))
    m = np.ones((4, 2), np.float32) @ a
    assert isinstance(m, gf.Tensor) and m.shape == gf.TensorShape([4, 3])
    np.testing.assert_allclose(run(m), np.ones((4, 2)) @ np.arange(6).reshape(2, 3))


def test_pow_and_neg(g):
    x = gf.constant(np.array([1.0, 2.0, 3.0], np.float32))
    p = x ** 2
    n = -x
    assert p.op.type == "Pow" and p.op.name == "pow"
    assert n.op.type == "Neg" and n.op.name == "Neg"
    np.testing.assert_allclose(run(p), [1.0, 4.0, 9.0])
    np.testing.assert_allclose(run(n), [-1.0, -2.0, -3.0])


def test_int_division_casts_like_tf1(g):
    i = gf.constant(np.array([3, 7], np.int32))
    j = gf.constant(np.array([2, 2], np.int32))
    q = i / j
    assert q.dtype == gf.float64 and q.op.type == "RealDiv"
    assert [t.op.type for t in q.op.inputs] == ["Cast", "Cast"]
    np.testing.assert_allclose(run(q), [1.5, 3.5])
    h = gf.constant(np.array([3], np.int16)) / 2
    assert h.dtype == gf.float32


def test_python_numbers_take_the_tensor_dtype(g):
    d = gf.constant(np.array([1.0], np.float64))
    assert (d + 1).dtype == gf.float64 and (1 + d).dtype == gf.float64
    i = gf.constant(np.array([1], np.int64))
    assert (i * 2).dtype == gf.int64


def test_mismatched_dtypes_are_a_build_error(g):
    f = gf.constant(np.array([1.0], np.float32), name="f")
    d = gf.constant(np.array([1.0], np.float64), name="d")
    with pytest.raises(gf.GraphBuildError, match=r"AddV2 node 'add': inputs must have the same "
                                                 r"dtype, got x 'f:0' \[float32 \(1,\)\] and "
                                                 r"y 'd:0' \[float64 \(1,\)\]"):
        _ = f + d


def test_eq_is_identity_so_tensors_key_dicts(g):
    a = gf.constant(1.0)
    b = gf.constant(1.0)
    assert (a == a) is True  # noqa: PLR0124
    assert (a == b) is False and (a != b) is True
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert len(g.get_operations()) == 2  # == built no node


def test_tensor_properties(g):
    x = gf.placeholder(gf.float32, [None, 3], name="x")
    assert x.dtype == gf.float32 and x.shape == gf.TensorShape([None, 3])
    assert x.get_shape() == x.shape and x.value_index == 0 and x.graph is g
    assert repr(x) == "<gf.Tensor 'x:0' shape=(?, 3) dtype=float32>"
    x.set_shape([2, None])
    assert x.shape == gf.TensorShape([2, 3])
    with pytest.raises(ValueError, match=r"set_shape: tensor 'x:0' has shape \(2, 3\), which is "
                                         r"not compatible with the requested \(4, 3\)"):
        x.set_shape([4, 3])


@pytest.mark.parametrize(("misuse", "pattern"), [
    (bool, r"using a gf.Tensor \('x:0'\) as a Python bool is not allowed"),
    (len, r"len\(\) of gf.Tensor 'x:0' is not defined at graph-build time"),
    (iter, r"gf.Tensor 'x:0' is not iterable when the graph is built"),
])
def test_python_protocol_errors(g, misuse, pattern):
    x = gf.placeholder(gf.float32, [3], name="x")
    with pytest.raises(TypeError, match=pattern):
        misuse(x)
    with pytest.raises(TypeError, match="as a Python bool"):
        if x > 0:
            pass


def test_operation_properties(g):
    x = gf.placeholder(gf.float32, [2], name="x")
    y = gf.identity(x, name="y")
    assert y.op.name == "y" and y.op.type == "Identity" and y.op.inputs == (x,)
    assert y.op.outputs == (y,) and y.op.values() == (y,) and y.op.graph is g
    assert repr(y.op) == "<gf.Operation 'y' type=Identity>"
