"""MirrorPad/MirrorPadGrad (graphflow/ops/mirror_pad_ops.py): values vs numpy's reflect and
symmetric modes, shape rules, gradients (and the gradient's gradient) vs central finite
differences, TF's pad-size limits as errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework.errors import GraphBuildError, InvalidArgumentError
from graphflow.ops.mirror_pad_ops import mirror_pad
from tests.ops.helpers import assert_gradients, assert_static_matches, rand, run

pytestmark = pytest.mark.usefixtures("graph")


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC"])
def test_values_shapes_and_gradients(mode: str) -> None:
    xv = rand((3, 4), seed=1)
    pads = [[2, 1], [0, 3]]
    x = gf.placeholder(gf.float64, xv.shape)
    y = mirror_pad(x, pads, mode)
    out = run(y, {x: xv})
    assert_static_matches(y, out)
    np.testing.assert_array_equal(out, np.pad(xv, pads, mode=mode.lower()))
    w = gf.constant(rand(out.shape, seed=2))
    loss = gf.reduce_sum(gf.square(y) * w)
    assert_gradients(loss, [x], {x: xv})
    (gx,) = gf.gradients(loss, [x])
    assert gx.op.type == "MirrorPadGrad" or "MirrorPadGrad" in {
        t.op.type for t in gx.op.inputs}
    assert_gradients(gf.reduce_sum(gf.square(gx)), [x], {x: xv})


def test_pad_limits_are_errors() -> None:
    x = gf.placeholder(gf.float32, (3,))
    with pytest.raises(GraphBuildError, match="too large"):
        mirror_pad(x, [[3, 0]], "REFLECT")
    mirror_pad(x, [[3, 0]], "SYMMETRIC")  # allowed: pad <= dim
    with pytest.raises(ValueError, match="REFLECT"):
        mirror_pad(x, [[1, 0]], "CONSTANT")
    p = gf.placeholder(gf.int32, (1, 2))
    y = mirror_pad(gf.placeholder(gf.float32, None, name="v"), p, "REFLECT", name="mp")
    with gf.Session() as sess, pytest.raises(InvalidArgumentError, match="mp.*too large"):
        sess.run(y, {"v:0": np.ones(2, np.float32), p: [[2, 0]]})
