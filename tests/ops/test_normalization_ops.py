"""FusedBatchNorm/V2/V3 and FusedBatchNormGrad* (graphflow/ops/normalization_ops.py) and the
builders fused_batch_norm / batch_normalization: values vs numpy (batch statistics,
Bessel-corrected variance output, running averages, inference), shape rules, gradients of
every input vs central finite differences in float64 (training and inference, NHWC and
NCHW), and errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.framework.errors import GraphBuildError
from graphflow.ops import normalization_ops as bn
from tests.ops.helpers import assert_gradients, assert_static_matches, run

pytestmark = pytest.mark.usefixtures("graph")

C = 3


def _inputs(fmt: str, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (2, 3, 2, C) if fmt == "NHWC" else (2, C, 3, 2)
    return {"x": rng.normal(1.0, 2.0, size=shape), "scale": rng.normal(size=C),
            "offset": rng.normal(size=C), "mean": rng.normal(size=C),
            "variance": rng.uniform(0.5, 2.0, size=C)}


def _b(v: np.ndarray, fmt: str) -> np.ndarray:
    return v.reshape((1, 1, 1, -1) if fmt == "NHWC" else (1, -1, 1, 1))


def _eps(e: float) -> float:
    return float(np.float32(e))  # attrs are float32, as in TensorFlow


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_values_match_numpy(fmt: str, training: bool) -> None:
    v = _inputs(fmt)
    ph = {k: gf.placeholder(gf.float64, a.shape, name=k) for k, a in v.items()}
    y, m, var = bn.fused_batch_norm(ph["x"], ph["scale"], ph["offset"], ph["mean"],
                                    ph["variance"], epsilon=0.01, data_format=fmt,
                                    is_training=training)
    assert y.op.type == "FusedBatchNormV3" and len(y.op.outputs) == 6
    out = run([y, m, var], {ph[k]: a for k, a in v.items()})
    for t, o in zip([y, m, var], out):
        assert_static_matches(t, o)
    axes = (0, 1, 2) if fmt == "NHWC" else (0, 2, 3)
    x = v["x"]
    mu, sig2 = (x.mean(axes), x.var(axes)) if training else (v["mean"], v["variance"])
    ref = (x - _b(mu, fmt)) / np.sqrt(_b(sig2, fmt) + _eps(0.01)) * _b(v["scale"], fmt) \
        + _b(v["offset"], fmt)
    np.testing.assert_allclose(out[0], ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out[1], mu, rtol=1e-12)
    np.testing.assert_allclose(out[2], x.var(axes, ddof=1) if training else sig2, rtol=1e-12)


def test_running_averages_with_exponential_avg_factor() -> None:
    v = _inputs("NHWC")
    outs = bn.fused_batch_norm(gf.constant(v["x"]), v["scale"], v["offset"], v["mean"],
                               v["variance"], exponential_avg_factor=0.25)
    _, m, var = run(list(outs))
    x = v["x"]
    np.testing.assert_allclose(m, 0.75 * v["mean"] + 0.25 * x.mean((0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(var, 0.75 * v["variance"] + 0.25 * x.var((0, 1, 2), ddof=1),
                               rtol=1e-12)


GRAD_TABLE = [("FusedBatchNormV3", fmt, training) for fmt in ("NHWC", "NCHW")
              for training in (True, False)] + [
    ("FusedBatchNorm", "NHWC", True), ("FusedBatchNormV2", "NCHW", False)]


@pytest.mark.parametrize(("version", "fmt", "training"), GRAD_TABLE, ids=str)
def test_gradients_match_finite_differences(version: str, fmt: str, training: bool) -> None:
    v = _inputs(fmt, seed=1)
    ph = {k: gf.placeholder(gf.float64, a.shape, name=k) for k, a in v.items()}
    attrs = {"T": gf.float64, "epsilon": 0.01, "data_format": fmt, "is_training": training}
    if version != "FusedBatchNorm":
        attrs["U"] = gf.float64
    y = gf.get_default_graph().create_op(version, [ph[k] for k in v], attrs).outputs[0]
    w = gf.constant(np.random.default_rng(2).normal(size=v["x"].shape))
    loss = gf.reduce_sum(gf.square(y) * w)
    grads = gf.gradients(loss, [ph["x"]])
    assert grads[0].op.type == version.replace("Norm", "NormGrad")
    xs = [ph["x"], ph["scale"], ph["offset"]] + ([] if training else
                                                  [ph["mean"], ph["variance"]])
    assert_gradients(loss, xs, {ph[k]: a for k, a in v.items()}, tol=1e-6)


def test_batch_normalization_composite_matches_formula_and_gradients() -> None:
    v = _inputs("NHWC", seed=3)
    ph = {k: gf.placeholder(gf.float64, a.shape, name=k) for k, a in v.items()}
    y = bn.batch_normalization(ph["x"], ph["mean"], ph["variance"], ph["offset"],
                               ph["scale"], 1e-3)
    assert y.op.name.startswith("batchnorm/")
    feeds = {ph[k]: a for k, a in v.items()}
    ref = (v["x"] - v["mean"]) / np.sqrt(v["variance"] + 1e-3) * v["scale"] + v["offset"]
    np.testing.assert_allclose(run(y, feeds), ref, rtol=1e-12)
    assert_gradients(gf.reduce_sum(gf.square(y)), list(ph.values()), feeds)


def test_errors() -> None:
    x = gf.placeholder(gf.float32, (2, 4, 4, 3))
    with pytest.raises(GraphBuildError, match="one per channel"):
        bn.fused_batch_norm(x, np.ones(2, np.float32), np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="mean and variance are required"):
        bn.fused_batch_norm(x, np.ones(3, np.float32), is_training=False)
    with pytest.raises(GraphBuildError, match="exponential_avg_factor"):
        bn.fused_batch_norm(x, np.ones(3, np.float32), np.zeros(3, np.float32),
                            np.zeros(3, np.float32), np.ones(3, np.float32),
                            exponential_avg_factor=2.0)
    y, m, _ = bn.fused_batch_norm(x, np.ones(3, np.float32))
    with pytest.raises(LookupError, match="batch_mean"):
        gf.gradients(gf.reduce_sum(m), [x])
    (gx,) = gf.gradients(gf.reduce_sum(y), [x])
    with pytest.raises(LookupError, match="second-order"):
        gf.gradients(gf.reduce_sum(gx), [x])
