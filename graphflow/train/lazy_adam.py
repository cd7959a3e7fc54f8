"""Lazy Adam: Adam whose sparse (embedding-row) update touches only the looked-up rows.

TF1's ``AdamOptimizer`` applies an ``IndexedSlices`` gradient by decaying the moments ``m``
and ``v`` of the *whole* variable every step and then moving every row by
``lr_t * m / (sqrt(v) + eps)`` — for a 20,000 x 50 embedding matrix that is a dozen dense
passes per step, which dominates the window classifier's step time. Lazy Adam (TF's
``tf.contrib.opt.LazyAdamOptimizer``) updates, for the rows ``r`` of the (de-duplicated)
gradient ``g`` only:

    m[r] = beta1 m[r] + (1 - beta1) g        v[r] = beta2 v[r] + (1 - beta2) g^2
    var[r] -= lr_t m[r] / (sqrt(v[r]) + eps),  lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)

Rows that were not looked up keep their moments and values (no decay, no momentum drift).
Dense variables use exactly TF1's ``ApplyAdam``. Built from gather/scatter ops, so it needs no
kernel of its own.
"""

from __future__ import annotations

from typing import Any

from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.ops import gather_ops, math_ops, state_ops
from graphflow.train.adam import AdamOptimizer


class LazyAdamOptimizer(AdamOptimizer):
    """``AdamOptimizer`` with the row-only sparse update described in the module docstring."""

    def __init__(self, learning_rate: Any = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, use_locking: bool = False,
                 name: str = "LazyAdam") -> None:
        super().__init__(learning_rate, beta1, beta2, epsilon, use_locking, name)

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Any:
        m, v = self._slot(var, "m"), self._slot(var, "v")
        b1p, b2p = self._powers(var)
        lr, b1, b2, eps = self._hypers(var)
        idx = grad.indices
        lr_t = lr * math_ops.sqrt(1.0 - b2p) / (1.0 - b1p)
        m_rows = b1 * gather_ops.gather(m, idx) + (1.0 - b1) * grad.values
        v_rows = b2 * gather_ops.gather(v, idx) + (1.0 - b2) * math_ops.square(grad.values)
        m_t = state_ops.scatter_update(m, idx, m_rows)
        v_t = state_ops.scatter_update(v, idx, v_rows)
        step = lr_t * m_rows / (math_ops.sqrt(v_rows) + eps)
        return state_ops.group(state_ops.scatter_sub(var, idx, step), m_t, v_t)
