"""``graphflow.ops.op_base``: the shared machinery of op records — constant folding at build
time, the element-wise bases ``Unary``/``Binary`` (dtype domains, broadcasting shape rule,
planned-buffer binding), and the kernel helpers ``run_error`` (a node error in
``framework.errors.node_error``'s format) and ``one_or_tuple``."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework import op_registry as registry
from graphflow.framework.errors import node_error
from graphflow.ops import math_ops, op_base


def test_fold_evaluates_known_values_only() -> None:
    np.testing.assert_array_equal(op_base.fold(np.add, np.array([1, 2]), np.array(3)), [4, 5])
    assert op_base.fold(np.add, np.array([1]), None) is None
    assert op_base.fold(lambda a: a.reshape(7), np.ones(3)) is None  # errors: no folding
    with np.errstate(all="raise"):
        assert np.isinf(op_base.fold(np.divide, np.array(1.0), np.array(0.0)))


def test_run_error_names_node_and_op_in_the_shared_format() -> None:
    err = op_base.run_error("scope/r", "Reshape", "cannot reshape", "check the shape")
    assert isinstance(err, gf.InvalidArgumentError)
    assert str(err) == node_error("scope/r", "Reshape", "cannot reshape", "check the shape")
    assert str(err) == "Reshape node 'scope/r': cannot reshape. Fix: check the shape"
    assert err.node_name == "scope/r" and err.op_type == "Reshape"


def test_one_or_tuple() -> None:
    a, b = np.zeros(1), np.ones(1)
    assert op_base.one_or_tuple([a]) is a
    assert op_base.one_or_tuple([a, b]) == (a, b)


def test_elementwise_bases_write_out_when_they_can() -> None:
    assert registry.get("AddV2").writes_out        # a numpy ufunc
    assert registry.get("TanhGrad").writes_out     # fn_into
    assert not registry.get("Sigmoid").writes_out  # neither
    out = np.empty(3)

    class Ctx:
        pass

    ctx = Ctx()
    ctx.out = [out]  # type: ignore[attr-defined]
    kernel = op_base.bind_out(registry.get("AddV2"), ctx)  # type: ignore[arg-type]
    assert kernel(np.ones(3), np.ones(3)) is out
    np.testing.assert_array_equal(out, [2, 2, 2])
    ctx.out = [None]  # type: ignore[attr-defined]
    assert op_base.bind_out(registry.get("AddV2"), ctx) is np.add  # type: ignore[arg-type]


def test_binary_shape_rule_broadcasts_and_checks_domains(graph) -> None:
    a = gf.placeholder(gf.float32, (None, 1, 4), name="a")
    b = gf.placeholder(gf.float32, (3, 1), name="b")
    assert gf.add(a, b).shape.as_list() == [None, 3, 4]
    with pytest.raises(gf.GraphBuildError, match=r"RealDiv node 'd'.*floating"):
        math_ops.realdiv(gf.constant([1]), gf.constant([2]), name="d")
    with pytest.raises(gf.GraphBuildError, match=r"Sqrt node 's'.*floating"):
        gf.sqrt(gf.constant([4]), name="s")
