"""Tests for graphflow.debug: NaN/Inf origin, gradient-flow report, graph inspection,
per-node gradient check and the debugging picture."""
