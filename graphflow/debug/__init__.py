"""Debugging tools: numeric gradient checks, NaN/Inf origin, gradient-flow reports (and their
time axis for recurrent networks), graph inspection and the per-node gradient check
(``gf.debug``)."""

from graphflow.debug.gradient_check import (
                                            GradientCheckResult,
                                            check_gradients,
                                            compute_gradient,
                                            compute_gradient_error,
)
from graphflow.debug.gradient_flow import (
                                            ActivationFlow,
                                            Flag,
                                            GradientFlowReport,
                                            LayerFlow,
                                            Thresholds,
                                            VariableFlow,
                                            gradient_flow_report,
)
from graphflow.debug.inspect_graph import GraphInspection, inspect_graph
from graphflow.debug.per_node_check import NodeCheckReport, NodeGradientCheck, check_node_gradients
from graphflow.debug.time_axis import (
                                            TimeAxisGradients,
                                            probed_rnn,
                                            render_time_axis,
                                            time_axis_gradients,
                                            write_time_axis,
)
from graphflow.runtime.numerics import NumericsError, ValueSummary

__all__ = [
    "ActivationFlow", "Flag", "GradientCheckResult", "GradientFlowReport", "GraphInspection",
    "LayerFlow", "NodeCheckReport", "NodeGradientCheck", "NumericsError", "Thresholds",
    "ValueSummary", "VariableFlow", "check_gradients", "check_node_gradients",
    "compute_gradient", "compute_gradient_error", "gradient_flow_report", "inspect_graph",
    "TimeAxisGradients", "probed_rnn", "render_time_axis", "time_axis_gradients",
    "write_time_axis",
]
