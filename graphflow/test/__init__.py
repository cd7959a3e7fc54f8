"""``gf.test``: TF1's test helpers (numeric gradient checks)."""

from graphflow.debug.gradient_check import check_gradients, compute_gradient, compute_gradient_error  # noqa: F401
