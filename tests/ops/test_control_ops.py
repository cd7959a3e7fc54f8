"""Print, Assert and PyFunc: pass-through values, what is printed, assertion errors with
message and data, Python callables in kernels (dtype checks, errors, optional gradient)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import control_ops
from tests.helpers import assert_gradients, rand, run

pytestmark = pytest.mark.usefixtures("graph")  # a fresh default graph per test


def test_print_passes_input_and_prints_data(capsys: pytest.CaptureFixture[str]) -> None:
    xv = rand((2, 3), 1)
    x = gf.placeholder(gf.float64, [2, 3])
    y = gf.Print(x, [x, "tail"], message="x is: ", summarize=2)
    assert y.op.type == "Print" and y.shape.as_list() == [2, 3]
    with gf.Session() as sess:
        out = sess.run(y, {x: xv})
    np.testing.assert_array_equal(out, xv)
    err = capsys.readouterr().err
    assert f"x is: [{xv.flat[0]} {xv.flat[1]}...][tail]" in err
    assert_gradients(gf.reduce_sum(y * y), [x], {x: xv})


def test_print_first_n(capsys: pytest.CaptureFixture[str]) -> None:
    x = gf.constant([1, 2])
    y = gf.Print(x, [x], message="step", first_n=2)
    with gf.Session() as sess:
        for _ in range(4):
            sess.run(y)
    assert capsys.readouterr().err.count("step[1 2]") == 2
    with pytest.raises(ValueError, match="at least one data tensor"):
        gf.Print(x, [])


def test_assert_raises_with_message_and_data() -> None:
    x = gf.placeholder(gf.float32, [3])
    check = gf.Assert(gf.reduce_all(x < 5.0), ["x must stay below 5:", x])
    assert check.type == "Assert" and not check.outputs
    with gf.control_dependencies([check]):
        y = gf.identity(x * 2.0)
    with gf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1, 2, 3]}), [2, 4, 6])
        with pytest.raises(gf.InvalidArgumentError,
                           match=r"Assert node '.*Assert': assertion failed: "
                                 r"\[x must stay below 5:\] \[1.0 7.0 3.0\]"):
            sess.run(y, {x: [1, 7, 3]})
    with pytest.raises(gf.GraphBuildError, match="must have rank 0, got rank 1"):
        gf.Assert(gf.constant([True, False]), ["vector condition"])


def test_py_func_runs_python() -> None:
    xv = rand((2, 3), 2)
    x = gf.placeholder(gf.float64, [2, 3])
    y = gf.py_func(lambda v: np.sort(v, axis=1), [x], gf.float64)
    assert y.op.type == "PyFunc" and y.dtype == gf.float64
    np.testing.assert_array_equal(run(y, {x: xv}), np.sort(xv, axis=1))
    a, b = gf.py_func(lambda u, v: (u + v, (u > v).astype(np.int32)), [x, x * 0.5],
                      [gf.float64, gf.int32], stateful=False)
    assert a.op.type == "PyFuncStateless"
    got = run([a, b], {x: xv})
    np.testing.assert_allclose(got[0], xv * 1.5)
    np.testing.assert_array_equal(got[1], (xv > xv * 0.5).astype(np.int32))
    # no gradient unless one is given
    assert gf.gradients(gf.reduce_sum(y), [x]) == [None]


def test_py_func_gradient_rule() -> None:
    xv = rand((4,), 3)
    x = gf.placeholder(gf.float64, [4])
    y = gf.py_func(lambda v: v ** 3, [x], gf.float64,
                   grad=lambda op, g: [g * 3.0 * op.inputs[0] * op.inputs[0]])
    y.set_shape([4])
    assert_gradients(gf.reduce_sum(y * gf.constant(rand((4,), 4))), [x], {x: xv})


def test_py_func_errors() -> None:
    x = gf.constant(np.arange(3.0))

    def broken(v: np.ndarray) -> np.ndarray:
        raise RuntimeError("no luck")
    with pytest.raises(gf.InvalidArgumentError, match="raised RuntimeError: no luck"):
        run(gf.py_func(broken, [x], gf.float64))
    with pytest.raises(gf.InvalidArgumentError, match="returned 1 value.*Tout lists 2"):
        run(gf.py_func(lambda v: v, [x], [gf.float64, gf.float64]))
    with pytest.raises(gf.InvalidArgumentError, match="dtype float64 but Tout.0. is int32"):
        run(gf.py_func(lambda v: v, [x], gf.int32))


def test_py_func_token_registry_is_per_graph() -> None:
    g = gf.Graph()
    with g.as_default():
        y = gf.py_func(lambda v: v, [gf.constant([1.0])], gf.float32)
        token = y.op.get_attr("token")
        graph_def = g.graph_def
    assert control_ops.registered_py_func(token) is not None
    del g, y
    gc.collect()
    assert control_ops.registered_py_func(token) is None
    with gf.Graph().as_default(), pytest.raises(gf.GraphBuildError, match="not registered"):
        gf.import_graph_def(graph_def, name="")
