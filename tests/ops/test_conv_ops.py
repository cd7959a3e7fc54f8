"""Conv2D, DepthwiseConv2dNative and their backprops (graphflow/ops/conv_ops.py and
conv_geometry.py): kernels vs a naive per-pixel numpy reference, shape rules vs the kernels'
real output, every gradient (first order, and second order through the backprop ops) vs
central finite differences in float64, over a table of padding/stride/dilation/format
combinations; builders' node structure (conv1d as TF1 builds it, conv2d_transpose,
separable_conv2d); errors by type and message."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework.errors import GraphBuildError, InvalidArgumentError
from graphflow.ops import conv_ops
from tests.ops.helpers import assert_gradients, assert_static_matches, rand, run

pytestmark = pytest.mark.usefixtures("graph")


@dataclass(frozen=True)
class Case:
    name: str
    padding: object  # "SAME" / "VALID" / explicit [[b, a]] * 4
    strides: tuple[int, int]
    dilations: tuple[int, int] = (1, 1)
    data_format: str = "NHWC"
    x_hw: tuple[int, int] = (5, 4)
    k_hw: tuple[int, int] = (2, 3)

    def __str__(self) -> str:
        return self.name

    def vec(self, hw: tuple[int, int]) -> list[int]:
        return [1, hw[0], hw[1], 1] if self.data_format == "NHWC" else [1, 1, hw[0], hw[1]]

    def pads(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Spatial pads exactly as TF's formulas give them."""
        if isinstance(self.padding, list):
            p = self.padding
            return ((p[1][0], p[1][1]), (p[2][0], p[2][1])) if self.data_format == "NHWC" \
                else ((p[2][0], p[2][1]), (p[3][0], p[3][1]))
        out = []
        for n, k, s, d in zip(self.x_hw, self.k_hw, self.strides, self.dilations):
            if self.padding == "VALID":
                out.append((0, 0))
                continue
            eff = (k - 1) * d + 1
            total = max((-(-n // s) - 1) * s + eff - n, 0)
            out.append((total // 2, total - total // 2))
        return out[0], out[1]


CASES = [
    Case("valid-s1", "VALID", (1, 1)),
    Case("same-s1", "SAME", (1, 1)),
    Case("same-s2", "SAME", (2, 2)),
    Case("valid-s2x1", "VALID", (2, 1)),
    Case("same-d2", "SAME", (1, 1), (2, 1)),
    Case("valid-d2", "VALID", (1, 1), (1, 2), x_hw=(4, 6)),
    Case("same-s2-d2", "SAME", (2, 2), (2, 2), x_hw=(6, 5)),
    Case("explicit", [[0, 0], [1, 2], [0, 1], [0, 0]], (2, 1)),
    Case("nchw-same-s2", "SAME", (2, 2), data_format="NCHW"),
    Case("nchw-valid-d2", "VALID", (1, 1), (2, 1), data_format="NCHW"),
    Case("nchw-explicit", [[0, 0], [0, 0], [2, 0], [1, 1]], (1, 2), data_format="NCHW"),
]

N, C, M = 2, 2, 3


def naive_conv(x: np.ndarray, f: np.ndarray, case: Case, depthwise: bool) -> np.ndarray:
    """Per-output-pixel reference in NHWC (loops, no tricks)."""
    (t, b), (left, r) = case.pads()
    xp = np.pad(x, ((0, 0), (t, b), (left, r), (0, 0)))
    kh, kw, c, m = f.shape
    (sh, sw), (dh, dw) = case.strides, case.dilations
    oh = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    ow = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, c * m if depthwise else m))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * sh:i * sh + (kh - 1) * dh + 1:dh,
                       j * sw:j * sw + (kw - 1) * dw + 1:dw, :]  # [N, KH, KW, C]
            if depthwise:
                out[:, i, j, :] = np.einsum("nhwc,hwcm->ncm", patch, f).reshape(x.shape[0], -1)
            else:
                out[:, i, j, :] = np.einsum("nhwc,hwcm->nm", patch, f)
    return out


def _to_fmt(x: np.ndarray, fmt: str) -> np.ndarray:
    return x if fmt == "NHWC" else x.transpose(0, 3, 1, 2)


def _build(case: Case, depthwise: bool, x_val: np.ndarray, f_val: np.ndarray
           ) -> tuple[gf.Tensor, gf.Tensor, gf.Tensor]:
    x = gf.placeholder(gf.float64, x_val.shape, name="x")
    f = gf.placeholder(gf.float64, f_val.shape, name="f")
    if depthwise:
        y = conv_ops.depthwise_conv2d_native(x, f, case.vec(case.strides), case.padding,
                                             data_format=case.data_format,
                                             dilations=case.vec(case.dilations))
    else:
        y = conv_ops.conv2d(x, f, case.vec(case.strides), case.padding,
                            data_format=case.data_format, dilations=case.vec(case.dilations))
    return x, f, y


def _inputs(case: Case, depthwise: bool, m: int = M) -> tuple[np.ndarray, np.ndarray]:
    x = rand((N, case.x_hw[0], case.x_hw[1], C), seed=1)
    f = rand((case.k_hw[0], case.k_hw[1], C, m if not depthwise else 2), seed=2)
    return x, f


@pytest.mark.parametrize("depthwise", [False, True], ids=["conv2d", "depthwise"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_kernel_and_shape_rule_match_naive_reference(case: Case, depthwise: bool) -> None:
    x_nhwc, f = _inputs(case, depthwise)
    x_val = _to_fmt(x_nhwc, case.data_format)
    x, fp, y = _build(case, depthwise, x_val, f)
    out = run(y, {x: x_val, fp: f})
    assert_static_matches(y, out)
    np.testing.assert_allclose(out, _to_fmt(naive_conv(x_nhwc, f, case, depthwise),
                                            case.data_format), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("depthwise", [False, True], ids=["conv2d", "depthwise"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradients_match_finite_differences(case: Case, depthwise: bool) -> None:
    x_nhwc, f = _inputs(case, depthwise, m=2)
    x_val = _to_fmt(x_nhwc[:1], case.data_format)
    x, fp, y = _build(case, depthwise, x_val, f)
    w = gf.constant(rand(tuple(y.shape.as_list()), seed=3))
    loss = gf.reduce_sum(y * w)
    grads = gf.gradients(loss, [x, fp])
    fam = conv_ops.FAMILIES[depthwise]
    assert [g.op.type for g in grads] == [fam[1], fam[2]]
    assert_gradients(loss, [x, fp], {x: x_val, fp: f}, tol=1e-7)


@pytest.mark.parametrize("depthwise", [False, True], ids=["conv2d", "depthwise"])
@pytest.mark.parametrize("case", [CASES[6], CASES[10]], ids=str)
def test_backprop_ops_have_checked_gradients(case: Case, depthwise: bool) -> None:
    """Second order: the gradients of Conv2DBackpropInput/Filter (built from the three
    conv ops) vs finite differences of the first-order gradient."""
    x_nhwc, f = _inputs(case, depthwise)
    x_val = _to_fmt(x_nhwc[:1], case.data_format)
    x, fp, y = _build(case, depthwise, x_val, f)
    w = gf.constant(rand(tuple(y.shape.as_list()), seed=3))
    dx, df = gf.gradients(gf.reduce_sum(gf.square(y) * w), [x, fp])
    second = gf.reduce_sum(gf.square(dx)) + gf.reduce_sum(gf.square(df))
    assert_gradients(second, [x, fp], {x: x_val, fp: f}, tol=1e-6)


def test_conv2d_transpose_is_the_input_gradient_and_trains() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(1, 2, 3, 3))
    f = rng.normal(size=(3, 3, 2, 3))  # [h, w, out_channels, in_channels]
    value = gf.placeholder(gf.float64, v.shape)
    filt = gf.placeholder(gf.float64, f.shape)
    y = conv_ops.conv2d_transpose(value, filt, [1, 4, 5, 2], [1, 2, 2, 1], "SAME")
    assert y.op.type == "Conv2DBackpropInput" and y.op.name == "conv2d_transpose"
    out = run(y, {value: v, filt: f})
    # Adjoint identity: <conv2d(z), v> == <z, conv2d_transpose(v)> for every z.
    z = rng.normal(size=(1, 4, 5, 2))
    zt = gf.constant(z)
    fwd = run(conv_ops.conv2d(zt, filt, [1, 2, 2, 1], "SAME"), {filt: f})
    np.testing.assert_allclose(np.sum(fwd * v), np.sum(z * out), rtol=1e-12)
    assert_static_matches(y, out)
    assert_gradients(gf.reduce_sum(gf.square(y)), [value, filt], {value: v, filt: f})


def test_conv1d_builds_expanddims_conv2d_squeeze_as_tf1() -> None:
    x = gf.placeholder(gf.float64, (2, 7, 3), name="x")
    f = gf.placeholder(gf.float64, (3, 3, 4), name="f")
    y = conv_ops.conv1d(x, f, 2, "SAME")
    ops = [(op.name, op.type) for op in gf.get_default_graph().get_operations()][2:]
    assert ops[-2:] == [("conv1d", "Conv2D"), ("conv1d/Squeeze", "Squeeze")]
    assert {t for _, t in ops} >= {"ExpandDims", "Conv2D", "Squeeze"}
    assert y.shape.as_list() == [2, 4, 4]
    xv, fv = rand((2, 7, 3), seed=4), rand((3, 3, 4), seed=5)
    out = run(y, {x: xv, f: fv})
    ref = naive_conv(xv[:, None], fv[None], Case("", "SAME", (1, 2), k_hw=(1, 3),
                                                 x_hw=(1, 7)), False)[:, 0]
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    assert_gradients(gf.reduce_sum(gf.square(y)), [x, f], {x: xv, f: fv})


def test_separable_conv2d_is_depthwise_then_pointwise() -> None:
    xv, dv, pv = rand((1, 5, 5, 2), seed=6), rand((3, 3, 2, 2), seed=7), rand((1, 1, 4, 3),
                                                                              seed=8)
    x = gf.constant(xv)
    y = conv_ops.separable_conv2d(x, gf.constant(dv), gf.constant(pv), [1, 1, 1, 1], "SAME")
    assert y.op.name == "separable_conv2d" and y.op.type == "Conv2D"
    assert y.op.inputs[0].op.name == "separable_conv2d/depthwise"
    dw = naive_conv(xv, dv, Case("", "SAME", (1, 1), k_hw=(3, 3)), True)
    np.testing.assert_allclose(run(y), np.einsum("nhwc,cm->nhwm", dw, pv[0, 0]), rtol=1e-12)


def test_int_and_two_entry_strides_are_accepted() -> None:
    x = gf.placeholder(gf.float32, (1, 8, 8, 2))
    f = gf.constant(np.ones((3, 3, 2, 4), np.float32))
    assert conv_ops.conv2d(x, f, 2, "SAME").shape.as_list() == [1, 4, 4, 4]
    y = conv_ops.conv2d(x, f, [2, 1], "VALID", dilations=2)
    assert y.op.get_attr("strides") == [1, 2, 1, 1]
    assert y.op.get_attr("dilations") == [1, 2, 2, 1]
    assert y.shape.as_list() == [1, 2, 4, 4]


def test_unknown_batch_and_generic_plan_agree() -> None:
    x = gf.placeholder(gf.float64, (None, None, None, 2))
    f = gf.constant(rand((3, 2, 2, 3), seed=9))
    y = conv_ops.conv2d(x, f, [1, 2, 1, 1], "SAME")
    assert y.shape.as_list() == [None, None, None, 3]
    xv = rand((2, 5, 4, 2), seed=10)
    specialized = run(y, {x: xv})
    generic = run(y, {x: xv}, config=gf.SessionConfig(specialize=False))
    np.testing.assert_array_equal(specialized, generic)
    assert specialized.shape == (2, 3, 4, 3)


# -- errors ------------------------------------------------------------------------------


def test_channel_mismatch_is_a_build_error_naming_node_and_shapes() -> None:
    x = gf.placeholder(gf.float32, (1, 5, 5, 3))
    f = gf.constant(np.ones((3, 3, 2, 4), np.float32))
    with pytest.raises(GraphBuildError, match=r"Conv2D.*input depth 3.*in_channels 2"):
        conv_ops.conv2d(x, f, 1, "SAME", name="c")


def test_bad_attrs_are_build_errors() -> None:
    x = gf.placeholder(gf.float32, (1, 5, 5, 2))
    f = gf.constant(np.ones((3, 3, 2, 4), np.float32))
    with pytest.raises(GraphBuildError, match="padding must be one of"):
        conv_ops.conv_node("Conv2D", [x, f], {"strides": [1, 1, 1, 1], "padding": "FULL"})
    with pytest.raises(GraphBuildError, match="batch or channel"):
        conv_ops.conv2d(x, f, [2, 1, 1, 1], "SAME")
    with pytest.raises(GraphBuildError, match="output size would be negative"):
        conv_ops.conv2d(gf.placeholder(gf.float32, (1, 1, 1, 2)), f, 1, "VALID",
                        dilations=2)
    with pytest.raises(GraphBuildError, match="explicit_paddings"):
        conv_ops.conv_node("Conv2D", [x, f], {"strides": [1, 1, 1, 1], "padding": "EXPLICIT",
                                              "explicit_paddings": [1, 1]})


def test_run_time_shape_errors_name_the_node() -> None:
    x = gf.placeholder(gf.float32, (None, None, None, None))
    f = gf.placeholder(gf.float32, (None, None, None, None))
    y = conv_ops.conv2d(x, f, 1, "VALID", name="conv")
    with gf.Session() as sess:
        with pytest.raises(InvalidArgumentError, match=r"conv.*input depth 3"):
            sess.run(y, {x: np.ones((1, 4, 4, 3), np.float32),
                         f: np.ones((2, 2, 2, 1), np.float32)})
        with pytest.raises(InvalidArgumentError, match="negative"):
            sess.run(y, {x: np.ones((1, 1, 4, 2), np.float32),
                         f: np.ones((3, 2, 2, 1), np.float32)})


def test_backprop_input_checks_out_backprop_against_input_sizes() -> None:
    f = gf.constant(np.ones((3, 3, 2, 4), np.float32))
    dy = gf.placeholder(gf.float32, (1, 3, 3, 4))
    with pytest.raises(GraphBuildError, match="does not match the output"):
        conv_ops.conv_node(
            "Conv2DBackpropInput", [gf.constant(np.array([1, 8, 8, 2], np.int32)), f, dy],
            {"strides": [1, 1, 1, 1], "padding": "SAME"})
