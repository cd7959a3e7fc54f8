"""MaxPool/MaxPoolGrad/MaxPoolGradGrad and AvgPool/AvgPoolGrad (graphflow/ops/pooling_ops.py):
kernels vs a per-pixel numpy reference (padding never wins a max; averages count only real
elements), shape rules vs real outputs, first- and second-order gradients vs central finite
differences in float64 over a padding/stride/format table, TF's tie rule, errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework.errors import GraphBuildError, InvalidArgumentError
from graphflow.ops import pooling_ops
from tests.ops.helpers import assert_gradients, assert_static_matches, run

pytestmark = pytest.mark.usefixtures("graph")

# (name, ksize hw, strides hw, padding, data_format)
CASES = [
    ("valid-2x2-s2", (2, 2), (2, 2), "VALID", "NHWC"),
    ("same-3x3-s2", (3, 3), (2, 2), "SAME", "NHWC"),
    ("same-3x2-s1", (3, 2), (1, 1), "SAME", "NHWC"),
    ("valid-3x1-s1x2", (3, 1), (1, 2), "VALID", "NHWC"),
    ("nchw-same-2x3-s2", (2, 3), (2, 2), "SAME", "NCHW"),
    ("explicit", (2, 2), (1, 2), [[0, 0], [1, 0], [0, 1], [0, 0]], "NHWC"),
]
# (case, kind): AvgPool has no EXPLICIT padding in TensorFlow.
TABLE = [(c, kind) for kind in ("max", "avg") for c in CASES
         if kind == "max" or not isinstance(c[3], list)]
IDS = [f"{c[0]}-{kind}" for c, kind in TABLE]


def _pads(n: int, k: int, s: int, padding: object, explicit: tuple[int, int]) -> tuple[int, int]:
    if padding == "VALID":
        return 0, 0
    if isinstance(padding, list):
        return explicit
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def naive_pool(x: np.ndarray, k: tuple, s: tuple, padding: object, kind: str) -> np.ndarray:
    """NHWC reference: windows clipped to the real input (TF's rule for both kinds)."""
    n, h, w, c = x.shape
    ex = padding if isinstance(padding, list) else [[0, 0]] * 4
    (t, b), (left, r) = _pads(h, k[0], s[0], padding, tuple(ex[1])), \
        _pads(w, k[1], s[1], padding, tuple(ex[2]))
    oh, ow = (h + t + b - k[0]) // s[0] + 1, (w + left + r - k[1]) // s[1] + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - t, j * s[1] - left
            win = x[:, max(h0, 0):h0 + k[0], max(w0, 0):w0 + k[1], :]
            out[:, i, j] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out


def _vec(hw: tuple, fmt: str) -> list[int]:
    return [1, hw[0], hw[1], 1] if fmt == "NHWC" else [1, 1, hw[0], hw[1]]


def _fmt(x: np.ndarray, fmt: str) -> np.ndarray:
    return x if fmt == "NHWC" else x.transpose(0, 3, 1, 2)


def _distinct(shape: tuple, seed: int) -> np.ndarray:
    """Values far apart (no near-ties, so max pooling is differentiable at them)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(int(np.prod(shape)))).reshape(shape) * 0.1 - 1.0


@pytest.mark.parametrize(("case", "kind"), TABLE, ids=IDS)
def test_kernel_and_shape_rule_match_reference(case: tuple, kind: str) -> None:
    _, k, s, padding, fmt = case
    xv = _distinct((2, 5, 6, 3), seed=1)
    x = gf.placeholder(gf.float64, _fmt(xv, fmt).shape)
    pool = pooling_ops.max_pool if kind == "max" else pooling_ops.avg_pool
    y = pool(x, _vec(k, fmt), _vec(s, fmt), padding, data_format=fmt)
    out = run(y, {x: _fmt(xv, fmt)})
    assert_static_matches(y, out)
    np.testing.assert_allclose(out, _fmt(naive_pool(xv, k, s, padding, kind), fmt),
                               rtol=1e-12)


@pytest.mark.parametrize(("case", "kind"), TABLE, ids=IDS)
def test_first_and_second_order_gradients(case: tuple, kind: str) -> None:
    _, k, s, padding, fmt = case
    xv = _fmt(_distinct((1, 5, 4, 2), seed=2), fmt)
    x = gf.placeholder(gf.float64, xv.shape)
    pool = pooling_ops.max_pool if kind == "max" else pooling_ops.avg_pool
    y = pool(x, _vec(k, fmt), _vec(s, fmt), padding, data_format=fmt)
    w = gf.constant(np.random.default_rng(3).normal(size=y.shape.as_list()))
    loss = gf.reduce_sum(gf.square(y) * w)
    (gx,) = gf.gradients(loss, [x])
    assert gx.op.type == ("MaxPoolGrad" if kind == "max" else "AvgPoolGrad") or \
        gx.op.inputs[0].op.type in ("MaxPoolGrad", "AvgPoolGrad")
    assert_gradients(loss, [x], {x: xv}, tol=1e-7)
    if case[0] in ("same-3x3-s2", "nchw-same-2x3-s2", "explicit"):  # second order
        assert_gradients(gf.reduce_sum(gf.square(gx)), [x], {x: xv}, tol=1e-6)


def test_max_pool_grad_routes_ties_to_the_first_maximum() -> None:
    x = gf.constant(np.array([[[[1.0], [3.0]], [[3.0], [2.0]]]]))  # one 2x2 window, tie
    y = pooling_ops.max_pool(x, 2, 2, "VALID")
    (gx,) = gf.gradients(y, [x])
    np.testing.assert_array_equal(run(gx)[0, :, :, 0], [[0, 1], [0, 0]])


def test_max_pool_on_integers_pads_with_the_lowest_value() -> None:
    x = gf.constant(-np.arange(9, dtype=np.int32).reshape(1, 3, 3, 1) - 5)
    out = run(pooling_ops.max_pool(x, 2, 2, "SAME"))
    np.testing.assert_array_equal(out[0, :, :, 0], [[-5, -7], [-11, -13]])


def test_avg_pool_grad_with_a_run_time_shape() -> None:
    x = gf.placeholder(gf.float64, (None, None, None, 2))
    y = pooling_ops.avg_pool(x, 3, 2, "SAME")
    (gx,) = gf.gradients(gf.reduce_sum(y), [x])
    xv = np.zeros((1, 5, 5, 2))
    out = run(gx, {x: xv})
    # corner window (rows 0-1, cols 0-1 real: 4 elements) -> 1/4; centre sees several.
    assert out.shape == xv.shape
    np.testing.assert_allclose(out[0, 0, 0, 0], 1 / 4)
    np.testing.assert_allclose(out.sum(), 2 * 9)  # each of the 9 windows x 2 channels adds 1


def test_errors_name_node_and_fix() -> None:
    x = gf.placeholder(gf.float32, (1, 4, 4, 2))
    with pytest.raises(GraphBuildError, match="batch or channel"):
        pooling_ops.max_pool(x, [2, 2, 2, 1], 1, "SAME")
    with pytest.raises(ValueError, match="explicit padding is not supported"):
        pooling_ops.avg_pool(x, 2, 1, [[0, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(GraphBuildError, match="AvgPool.*floating-point"):
        pooling_ops.avg_pool(gf.placeholder(gf.int32, (1, 4, 4, 2)), 2, 2, "VALID")
    with pytest.raises(GraphBuildError, match="whole window"):
        pooling_ops.max_pool(x, 2, 2, [[0, 0], [0, 2], [0, 0], [0, 0]])
    p = gf.placeholder(gf.float32, None)
    y = pooling_ops.max_pool(p, 2, 2, "VALID", name="pool")
    with gf.Session() as sess, pytest.raises(InvalidArgumentError, match="pool.*rank 4"):
        sess.run(y, {p: np.ones((4, 4), np.float32)})
