"""The gradient-flow report (``gf.debug.gradient_flow_report``) as summary values, so
TensorBoard plots how each layer's gradients and updates evolve during training.

``gradient_flow_summary(report)`` makes, per layer (input -> loss order of the report):
``<prefix>/<layer>/grad_norm``, ``grad_rms``, ``update_ratio`` (learning rate x gradient
norm / weight norm), ``weight_norm`` and ``zero_fraction``, plus ``saturated`` or ``dead``
when the layer has tanh/sigmoid or ReLU activations, and ``<prefix>/loss`` (the report's
mean loss). Non-finite statistics are skipped (TensorBoard cannot plot them), never written
as numbers they are not. ``histogram_summary`` turns arrays into histogram values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from graphflow.debug.gradient_flow import GradientFlowReport
from graphflow.ops.summary_ops import histogram_proto
from graphflow.proto import summary_pb2


def scalar_summary(values: Mapping[str, float]) -> summary_pb2.Summary:
    """One Summary with a ``simple_value`` per tag (non-finite values are left out)."""
    out = summary_pb2.Summary()
    for tag, value in values.items():
        if value is not None and math.isfinite(float(value)):
            out.value.add(tag=tag, simple_value=float(value))
    return out


def histogram_summary(values: Mapping[str, Any]) -> summary_pb2.Summary:
    """One Summary with a histogram per tag (arrays with NaN/Inf are left out)."""
    out = summary_pb2.Summary()
    for tag, array in values.items():
        flat = np.asarray(array, dtype=np.float64)
        if np.isfinite(flat).all():
            out.value.add(tag=tag, histo=histogram_proto(flat))
    return out


def gradient_flow_summary(report: GradientFlowReport, prefix: str = "gradient_flow"
                          ) -> summary_pb2.Summary:
    """Per-layer scalars of a gradient-flow report (see the module doc)."""
    values: dict[str, float] = {}
    if report.losses:
        values[f"{prefix}/loss"] = float(np.mean(report.losses))
    for layer in report.layers:
        base = f"{prefix}/{layer.name}"
        values[f"{base}/grad_norm"] = layer.grad_norm
        values[f"{base}/grad_rms"] = layer.grad_rms
        values[f"{base}/update_ratio"] = layer.update_ratio
        values[f"{base}/weight_norm"] = layer.weight_norm
        values[f"{base}/zero_fraction"] = layer.zero_fraction
        if layer.saturated is not None:
            values[f"{base}/saturated"] = layer.saturated
        if layer.dead is not None:
            values[f"{base}/dead"] = layer.dead
    return scalar_summary(values)
