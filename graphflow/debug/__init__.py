"""Debugging tools: numeric gradient checks, NaN/Inf origin, gradient-flow reports."""
