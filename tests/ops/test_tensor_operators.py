"""``graphflow.ops.tensor_operators``: the Python operators installed on ``Tensor`` build the
TF1 op types with TF1's default node names (``add``, ``mul``, ``Neg``, ``Abs``, ``Less`` ...),
reflected operands keep their order, ``==`` stays identity, and indexing builds a
StridedSlice. It is the only module that installs operators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphflow as gf

from .helpers import run

XV = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
YV = np.array([2.0, -0.5, 1.0])


@pytest.mark.parametrize("build,op_type,name,ref", [
    (lambda x, y: x + y, "AddV2", "add", lambda x, y: x + y),
    (lambda x, y: x - y, "Sub", "sub", lambda x, y: x - y),
    (lambda x, y: x * y, "Mul", "mul", lambda x, y: x * y),
    (lambda x, y: x / y, "RealDiv", "truediv", lambda x, y: x / y),
    (lambda x, y: x ** 2.0, "Pow", "pow", lambda x, y: x ** 2.0),
    (lambda x, y: 1.0 - x, "Sub", "sub", lambda x, y: 1.0 - x),
    (lambda x, y: 2.0 / x, "RealDiv", "truediv", lambda x, y: 2.0 / x),
    (lambda x, y: 3.0 ** y, "Pow", "pow", lambda x, y: 3.0 ** y),
    (lambda x, y: -x, "Neg", "Neg", lambda x, y: -x),
    (lambda x, y: abs(x), "Abs", "Abs", lambda x, y: np.abs(x)),
    (lambda x, y: x < y, "Less", "Less", lambda x, y: x < y),
    (lambda x, y: x <= y, "LessEqual", "LessEqual", lambda x, y: x <= y),
    (lambda x, y: x > y, "Greater", "Greater", lambda x, y: x > y),
    (lambda x, y: x >= y, "GreaterEqual", "GreaterEqual", lambda x, y: x >= y),
], ids=lambda v: v if isinstance(v, str) else None)
def test_operators_build_tf_ops_with_tf1_names(graph, build: Any, op_type: str, name: str,
                                               ref: Any) -> None:
    x = gf.placeholder(gf.float64, (2, 3), name="x")
    y = gf.placeholder(gf.float64, (3,), name="y")
    z = build(x, y)
    assert z.op.type == op_type and z.op.name == name
    np.testing.assert_allclose(run(z, {x: XV, y: YV}), ref(XV, YV))


def test_matmul_operator_and_reflection(graph) -> None:
    a = gf.placeholder(gf.float64, (2, 3), name="a")
    w = np.arange(6.0).reshape(3, 2)
    z = a @ w
    assert z.op.type == "MatMul" and z.op.name == "matmul"
    np.testing.assert_allclose(run(z, {a: XV}), XV @ w)
    r = np.ones((4, 2)) @ a  # numpy defers to Tensor.__rmatmul__
    assert isinstance(r, gf.Tensor) and r.op.type == "MatMul"
    np.testing.assert_allclose(run(r, {a: XV}), np.ones((4, 2)) @ XV)


def test_abs_operator_builds_abs_node(graph) -> None:
    x = gf.placeholder(gf.float64, (3,), name="x")
    y = abs(x)
    assert y.op.type == "Abs" and y.op.name == "Abs"
    np.testing.assert_array_equal(run(y, {x: [-2.0, 0.0, 3.5]}), [2.0, 0.0, 3.5])


def test_equality_is_identity_so_tensors_key_dicts(graph) -> None:
    x = gf.placeholder(gf.float64, (3,), name="x")
    y = gf.identity(x)
    assert (x == x) is True and (x == y) is False
    assert {x: 1, y: 2}[x] == 1


def test_getitem_builds_a_strided_slice(graph) -> None:
    x = gf.placeholder(gf.float64, (2, 3), name="x")
    y = x[:, 1]
    assert y.op.type == "StridedSlice" and y.op.name == "strided_slice"
    np.testing.assert_array_equal(run(y, {x: XV}), XV[:, 1])


def test_variables_delegate_operators_to_their_value(graph) -> None:
    v = gf.Variable(np.array([1.0, -2.0]), name="v")
    exprs = [v + 1.0, 1.0 - v, v * v, -v, abs(v), v[1], v < 0.0]
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        got = sess.run(exprs)
    want = [[2.0, -1.0], [0.0, 3.0], [1.0, 4.0], [-1.0, 2.0], [1.0, 2.0], -2.0,
            [False, True]]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_only_tensor_operators_installs_operators() -> None:
    root = Path(gf.__file__).parent
    installers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                        if "Tensor._override_operator(" in p.read_text(encoding="utf-8"))
    assert installers == ["ops/tensor_operators.py"]
